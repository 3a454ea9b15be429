//! Annotation rules over every official operation as lowered by codegen (the annotations a
//! client sees for `--openapi` tools): GET is read-only and never destructive, DELETE is
//! destructive, PUT and DELETE are idempotent, POST/PUT/PATCH/DELETE are not read-only, and
//! tools that send messages to the outside world are open-world. Skips with a printed reason
//! when ../shared is absent.

use runtime::HttpMethod;

#[test]
fn official_tools_follow_the_annotation_rules() {
    let Some(dir) = codegen::official_dir_or_skip() else {
        return;
    };
    let (tools, _) = codegen::lower_official(&dir, &codegen::Policy::every_operation());
    assert_eq!(tools.len(), 576);
    let mut broken = Vec::new();
    for t in &tools {
        let a = t.annotations;
        let ok = match t.method {
            HttpMethod::Get => a.read_only && !a.destructive && a.idempotent,
            HttpMethod::Delete => !a.read_only && a.destructive && a.idempotent,
            HttpMethod::Put => !a.read_only && a.idempotent,
            HttpMethod::Post | HttpMethod::Patch => !a.read_only,
        };
        if !ok {
            broken.push(format!("{} ({}): {a:?}", t.name, t.method.as_str()));
        }
    }
    assert!(
        broken.is_empty(),
        "annotation rules broken:\n{}",
        broken.join("\n")
    );
    let counts = |m: HttpMethod| tools.iter().filter(|t| t.method == m).count();
    assert!(counts(HttpMethod::Get) > 200 && counts(HttpMethod::Delete) > 50);

    let send = tools
        .iter()
        .find(|t| t.name == "conversations_send-a-new-message")
        .expect("conversations_send-a-new-message is lowered");
    assert!(
        send.annotations.open_world,
        "sending a message reaches the outside world"
    );
    assert!(!send.annotations.read_only);
    // Reading messages stays in the CRM.
    let read = tools
        .iter()
        .find(|t| t.name == "conversations_get-messages")
        .unwrap();
    assert!(!read.annotations.open_world);
}
