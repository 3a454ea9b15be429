//! The emitted Rust is the IR, exactly: the statics compiled into the `generated` crate equal the
//! tools lowered from spec/ in memory, field by field, and the committed schema files equal
//! `tool_json` of the compiled tools. (Fails too when generated/ is stale: run
//! `cargo xtask regenerate`.)

use std::path::PathBuf;

#[test]
fn generated_statics_equal_the_lowered_spec() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut diags = codegen::Diagnostics::default();
    let lowered = codegen::lower_spec_dir(&root.join("spec"), &mut diags);
    assert!(!diags.has_errors(), "{diags}");
    let compiled = generated::tools();
    assert_eq!(compiled.len(), lowered.len());
    assert!(!compiled.is_empty());
    for (c, l) in compiled.iter().zip(&lowered) {
        assert_eq!(**c, l.def, "{} differs from its lowering", l.def.name);
        let file = root
            .join("generated/schemas")
            .join(c.app.as_ref())
            .join(format!("{}.json", c.name));
        let text = std::fs::read_to_string(&file).expect("schema file exists");
        assert_eq!(
            text,
            codegen::pretty(&codegen::tool_json(c)),
            "{}",
            file.display()
        );
    }
}
