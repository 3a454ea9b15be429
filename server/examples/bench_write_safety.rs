//! Benchmark (not a test) of what write safety adds to a call, beside the ungated write itself
//! measured in the same run: against an in-process upstream on 127.0.0.1, one audit record (to
//! the file and to a SQLite grant store), the
//! audit work of one performed write as the server does it (the `sent` record before, the
//! `outcome` record after), the whole write with and without the audit log (interleaved), and a
//! gated call's preview with and without its before-read; then against the in-process sandbox,
//! the preflight checks of three default tools beside the sandbox write. Prints medians and p90s.
//!
//! `cargo run --release -p server --example bench_write_safety [N]` (default N = 2000).

use std::borrow::Cow;
use std::time::{Duration, Instant};

use runtime::{Annotations, CallContext, HttpMethod, LocationSlot, ParamDef, ParamIn, ToolDef};
use serde_json::json;
use server::audit::{AuditLog, Decision, Entry, args_digest, summarize};
use server::gate::preflight::{DEFAULT_BUDGET, Preflight};
use server::gate::{Call, Reader, Safety, SafetyConfig, parse_confirm};
use server::{Secret, ServedTools, Upstream, UpstreamConfig};

fn tool(name: &'static str, method: HttpMethod) -> ToolDef {
    ToolDef {
        name: Cow::Borrowed(name),
        app: Cow::Borrowed("contacts"),
        operation_id: Cow::Borrowed(name.split_once('_').map_or(name, |p| p.1)),
        title: Cow::Borrowed("bench"),
        description: Cow::Borrowed("bench"),
        annotations: Annotations {
            read_only: method == HttpMethod::Get,
            ..Annotations::default()
        },
        scopes: Cow::Borrowed(&[]),
        agency_only: false,
        deprecated: false,
        method,
        path: Cow::Borrowed("/contacts/{contactId}"),
        version: Some(Cow::Borrowed("2021-07-28")),
        params: Cow::Owned(vec![ParamDef {
            name: Cow::Borrowed("contactId"),
            wire: Cow::Borrowed("contactId"),
            location: ParamIn::Path,
            required: true,
            default: None,
        }]),
        location: LocationSlot::None,
        input_schema: Cow::Borrowed(
            r#"{"properties":{"contactId":{"type":"string"}},"required":["contactId"],"type":"object"}"#,
        ),
        output_schema: None,
        wrap_result: false,
        risk: runtime::Risk {
            destructive: method == HttpMethod::Delete,
            ..runtime::Risk::NONE
        },
        body_encoding: runtime::BodyEncoding::Json,
    }
}

fn stats(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)];
    println!(
        "{name:<44} p50 {:>9.1} µs   p90 {:>9.1} µs   (n={})",
        at(0.5).as_secs_f64() * 1e6,
        at(0.9).as_secs_f64() * 1e6,
        v.len()
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let app = axum::Router::new().fallback(|| async {
        axum::Json(json!({"contact": {"id": "c1", "firstName": "Ada", "lastName": "Lovelace"}}))
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let upstream = Upstream::new(UpstreamConfig {
        base_url: base,
        ..Default::default()
    })
    .expect("upstream");
    let token = Secret::new("pit-bench").expect("token");
    let delete = tool("contacts_delete-contact", HttpMethod::Delete);
    let with_read = ServedTools::new([
        delete.clone(),
        tool("contacts_get-contact", HttpMethod::Get),
    ])
    .expect("tools");
    let without_read = ServedTools::new([delete.clone()]).expect("tools");
    let compiled = &with_read
        .get("contacts_delete-contact")
        .expect("tool")
        .compiled;
    let args = json!({"contactId": "c1"})
        .as_object()
        .cloned()
        .expect("args");
    let req = compiled
        .prepare(&args, CallContext::default())
        .expect("request");

    // The ungated write, as the baseline the others add to.
    let mut base = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let _ = upstream.call(&delete, &req, &token).await;
        base.push(t.elapsed());
    }
    stats("ungated write (upstream round trip)", base);

    // One audit record (summary, digest, chain hash, one write) per write.
    let dir = std::env::temp_dir().join(format!("bench-audit-{}", std::process::id()));
    let log = AuditLog::open(&dir.join("audit.jsonl")).expect("log");
    let mut audit = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let entry = Entry {
            time: server::audit::rfc3339(std::time::SystemTime::now()),
            principal: "header:0123abcd".into(),
            location: Some("LOC1".into()),
            tool: delete.name.to_string(),
            method: "DELETE".into(),
            path: req.path_and_query.clone(),
            args: summarize(&args),
            args_sha256: args_digest(&args),
            decision: Decision::Sent,
            reason: None,
            preflight: None,
            status: None,
            ids: vec![],
            duration_us: 0,
        };
        log.append(&entry).await.expect("append");
        audit.push(t.elapsed());
    }
    stats("audit record (one line)", audit);

    // The same record into a SQLite grant store (OAuth mode's default): one transaction each.
    let spec = format!("sqlite:{}", dir.join("store.db").display());
    let store = oauth::store::open(&spec).await.expect("store");
    let in_store = AuditLog::in_store(store, spec);
    let mut stored = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let entry = Entry {
            time: server::audit::rfc3339(std::time::SystemTime::now()),
            principal: "header:0123abcd".into(),
            location: Some("LOC1".into()),
            tool: delete.name.to_string(),
            method: "DELETE".into(),
            path: req.path_and_query.clone(),
            args: summarize(&args),
            args_sha256: args_digest(&args),
            decision: Decision::Sent,
            reason: None,
            preflight: None,
            status: None,
            ids: vec![],
            duration_us: 0,
        };
        in_store.append(&entry).await.expect("append");
        stored.push(t.elapsed());
    }
    stats("audit record (SQLite store row)", stored);

    // The audit work of one performed write, through the same calls the handler makes: the
    // `sent` record before sending, the `outcome` record (ids from the response) after.
    let audited = Safety::new(SafetyConfig {
        audit_log: Some(dir.join("server.jsonl")),
        ..SafetyConfig::default()
    })
    .expect("audited");
    let empty = ServedTools::default();
    let reader = Reader {
        tools: &empty,
        upstream: &upstream,
        token: &token,
        location: Some("LOC1"),
    };
    let (answer, _) = upstream.call(&delete, &req, &token).await;
    let call_at = |t: Instant| Call {
        def: &delete,
        args: &args,
        principal: "header:0123abcd",
        location: Some("LOC1"),
        req: Some(&req),
        started: t,
    };
    let mut per_write = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let call = call_at(t);
        let ticket = audited
            .before_send(&call, None, reader, None)
            .await
            .expect("sent");
        audited.after_send(ticket, &call, &answer, 200).await;
        per_write.push(t.elapsed());
    }
    stats("audit per performed write (2 records)", per_write);

    // The whole write with and without the audit, interleaved (in alternating order) so drift
    // and any first-or-second effect hit both alike.
    let (mut plain, mut logged) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        for audit_now in [i % 2 == 0, i % 2 == 1] {
            let t = Instant::now();
            if audit_now {
                let call = call_at(t);
                let ticket = audited
                    .before_send(&call, None, reader, None)
                    .await
                    .expect("sent");
                let (result, stats) = upstream.call(&delete, &req, &token).await;
                audited
                    .after_send(ticket, &call, &result, stats.status)
                    .await;
                logged.push(t.elapsed());
            } else {
                let _ = upstream.call(&delete, &req, &token).await;
                plain.push(t.elapsed());
            }
        }
    }
    stats("write, interleaved: no audit", plain);
    stats("write, interleaved: with audit", logged);
    let _ = std::fs::remove_dir_all(&dir);

    // A gated call's preview (token issued), with and without the before-read.
    let safety = Safety::new(SafetyConfig {
        confirm: parse_confirm("destructive").expect("classes"),
        ..SafetyConfig::default()
    })
    .expect("safety");
    for (label, tools) in [
        ("gated preview, no before-read", &without_read),
        ("gated preview with before-read", &with_read),
    ] {
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            let call = Call {
                def: &delete,
                args: &args,
                principal: "header:0123abcd",
                location: None,
                req: Some(&req),
                started: t,
            };
            let reader = Reader {
                tools,
                upstream: &upstream,
                token: &token,
                location: None,
            };
            let answer = safety.before_send(&call, None, reader, None).await;
            assert!(answer.is_err(), "a gated call previews");
            v.push(t.elapsed());
        }
        stats(label, v);
    }

    sandbox_preflight(n).await;
}

/// A compiled-in tool by name.
fn generated(name: &str) -> runtime::CompiledTool {
    let def = generated::tools()
        .iter()
        .find(|t| t.name == name)
        .expect("compiled in");
    runtime::CompiledTool::new((*def).clone()).expect("compiles")
}

/// The preflight checks of three default tools against the in-process sandbox, beside the
/// sandbox write of the first two (same run, same client).
async fn sandbox_preflight(n: usize) {
    let sb = sandbox::Sandbox::start(sandbox::SandboxConfig::for_tests())
        .await
        .expect("sandbox");
    let upstream = Upstream::new(UpstreamConfig {
        base_url: sb.base_url(),
        ..Default::default()
    })
    .expect("upstream");
    let token = Secret::new("pit-bench").expect("token");
    let loc = sandbox::DEMO_LOCATION_ID;
    let contact = sb.state().contacts(loc)[0]["id"]
        .as_str()
        .expect("contact")
        .to_owned();
    let opp = sb.state().opportunities(loc)[0].clone();
    let field = sb.state().custom_fields(loc)[0]["id"]
        .as_str()
        .expect("field")
        .to_owned();
    let obj = |v: serde_json::Value| v.as_object().cloned().expect("object");
    let cases = [
        (
            "contacts_update-contact",
            obj(json!({"contactId": contact, "firstName": "Bench"})),
            true,
        ),
        (
            "opportunities_update-opportunity",
            obj(json!({"id": opp["id"], "pipelineId": opp["pipelineId"],
                       "pipelineStageId": opp["pipelineStageId"]})),
            true,
        ),
        (
            "contacts_create-contact",
            obj(json!({"firstName": "Bench", "customFields": [{"id": field, "field_value": "x"}]})),
            false,
        ),
    ];
    let preflight = Preflight::new(DEFAULT_BUDGET).expect("preflight");
    let empty = ServedTools::default();
    let reader = Reader {
        tools: &empty,
        upstream: &upstream,
        token: &token,
        location: Some(loc),
    };
    for (name, args, write) in cases {
        let compiled = generated(name);
        let req = compiled
            .prepare(
                &args,
                CallContext {
                    location_id: Some(loc),
                },
            )
            .expect("request");
        let (mut sent, mut checked) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            if write {
                let t = Instant::now();
                let (r, _) = upstream.call(&compiled.def, &req, &token).await;
                assert_ne!(r.is_error, Some(true), "{name} write failed");
                sent.push(t.elapsed());
            }
            let t = Instant::now();
            let call = Call {
                def: &compiled.def,
                args: &args,
                principal: "server",
                location: Some(loc),
                req: Some(&req),
                started: t,
            };
            let report = preflight.run(&call, reader).await.expect("checked");
            assert!(
                report.problems.is_empty() && report.unverified.is_empty(),
                "{name}: {}",
                report.note()
            );
            checked.push(t.elapsed());
        }
        if write {
            stats(&format!("sandbox: {name} write"), sent);
        }
        stats(&format!("sandbox: {name} preflight"), checked);
    }
}
