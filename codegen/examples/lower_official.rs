//! Lowers a folder of official HighLevel OpenAPI files and prints the diagnostics and a summary:
//! `cargo run -p codegen --example lower_official -- ../shared/highlevel-openapi/apps`.

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: lower_official <folder of official *.json files>");
        std::process::exit(2);
    };
    let (tools, diags) = codegen::lower_official(
        std::path::Path::new(&dir),
        &codegen::Policy::every_operation(),
    );
    for d in &diags {
        println!("{d}");
    }
    let with_output = tools.iter().filter(|t| t.output_schema.is_some()).count();
    let wrapped = tools.iter().filter(|t| t.wrap_result).count();
    println!(
        "{} tools ({with_output} with outputSchema, {wrapped} wrapped), {} diagnostics",
        tools.len(),
        diags.len()
    );
}
