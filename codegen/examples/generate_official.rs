//! Writes the generated files for every operation of a folder of official HighLevel files into
//! an output folder (to check that the emitted Rust compiles for all 576 operations):
//! `cargo run -p codegen --example generate_official -- ../shared/highlevel-openapi/apps /tmp/out`.

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(out)) = (args.next(), args.next()) else {
        eprintln!("usage: generate_official <official folder> <output folder>");
        std::process::exit(2);
    };
    match codegen::generate_official(
        std::path::Path::new(&dir),
        &codegen::Policy::every_operation(),
    ) {
        Ok(output) => {
            for (rel, text) in &output.files {
                let path = std::path::Path::new(&out).join(rel);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).expect("create output folder");
                }
                std::fs::write(&path, text).expect("write output file");
            }
            println!(
                "{} files, {} warnings",
                output.files.len(),
                output.warnings.len()
            );
        }
        Err(d) => {
            eprintln!("{d}");
            std::process::exit(1);
        }
    }
}
