//! `src/tools/**.rs`: each tool as a `static runtime::ToolDef`, plus the module tree and the
//! registry (`TOOLS`, sorted by name).
//!
//! Code is built with `quote`, checked by `syn::parse2` and printed by `prettyplease`, so the
//! output does not depend on a system rustfmt. Items are fully qualified (`runtime::ParamIn::Path`)
//! so no tool file can end up with an unused import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::str::FromStr;

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use runtime::{HttpMethod, LocationSlot, ParamIn, ToolDef};

use super::header;
use crate::lower::Lowered;

/// Rust module name for an app or operation: lower snake case, `[a-z0-9_]`, not a keyword.
pub fn module_name(s: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    let mut out = out.trim_end_matches('_').to_owned();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 't');
        out.insert(1, '_');
    }
    if syn::parse_str::<syn::Ident>(&out).is_err() {
        out.push_str("_op");
    }
    out
}

fn raw_str(s: &str) -> TokenStream {
    let mut hashes = String::from("#");
    while s.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    let lit = format!("r{hashes}\"{s}\"{hashes}");
    Literal::from_str(&lit)
        .map(|l| quote!(#l))
        .unwrap_or_else(|_| {
            let l = Literal::string(s);
            quote!(#l)
        })
}

fn cow(s: &str) -> TokenStream {
    let l = Literal::string(s);
    quote!(::std::borrow::Cow::Borrowed(#l))
}

fn docs(text: &str) -> TokenStream {
    let lines = text.lines().map(|l| {
        let l = format!(" {l}");
        quote!(#[doc = #l])
    });
    quote!(#(#lines)*)
}

fn tool_tokens(def: &ToolDef) -> TokenStream {
    let scopes: Vec<TokenStream> = def.scopes.iter().map(|s| cow(s)).collect();
    let n_scopes = Literal::usize_unsuffixed(scopes.len());
    let params: Vec<TokenStream> = def
        .params
        .iter()
        .map(|p| {
            let name = cow(&p.name);
            let wire = cow(&p.wire);
            let loc = match p.location {
                ParamIn::Path => quote!(Path),
                ParamIn::Query => quote!(Query),
                ParamIn::Header => quote!(Header),
                ParamIn::Body => quote!(Body),
                ParamIn::BodyRoot => quote!(BodyRoot),
            };
            let required = p.required;
            let default = match &p.default {
                Some(d) => {
                    let d = cow(d);
                    quote!(::core::option::Option::Some(#d))
                }
                None => quote!(::core::option::Option::None),
            };
            quote! {
                runtime::ParamDef {
                    name: #name,
                    wire: #wire,
                    location: runtime::ParamIn::#loc,
                    required: #required,
                    default: #default,
                }
            }
        })
        .collect();
    let n_params = Literal::usize_unsuffixed(params.len());
    let a = def.annotations;
    let (ro, de, id, ow) = (a.read_only, a.destructive, a.idempotent, a.open_world);
    let r = def.risk;
    let (r_de, r_out, r_money, r_bulk) = (r.destructive, r.outbound, r.money, r.bulk);
    let method = match def.method {
        HttpMethod::Get => quote!(Get),
        HttpMethod::Post => quote!(Post),
        HttpMethod::Put => quote!(Put),
        HttpMethod::Patch => quote!(Patch),
        HttpMethod::Delete => quote!(Delete),
    };
    let version = match &def.version {
        Some(v) => {
            let v = cow(v);
            quote!(::core::option::Option::Some(#v))
        }
        None => quote!(::core::option::Option::None),
    };
    let output = match &def.output_schema {
        Some(s) => {
            let s = raw_str(s);
            quote!(::core::option::Option::Some(::std::borrow::Cow::Borrowed(#s)))
        }
        None => quote!(::core::option::Option::None),
    };
    let location = match &def.location {
        LocationSlot::None => quote!(runtime::LocationSlot::None),
        LocationSlot::Arg(a) => {
            let a = cow(a);
            quote!(runtime::LocationSlot::Arg(#a))
        }
        LocationSlot::AltId => quote!(runtime::LocationSlot::AltId),
    };
    let (name, app, op, title, desc, path) = (
        cow(&def.name),
        cow(&def.app),
        cow(&def.operation_id),
        cow(&def.title),
        cow(&def.description),
        cow(&def.path),
    );
    let input = raw_str(&def.input_schema);
    let (agency, deprecated, wrap) = (def.agency_only, def.deprecated, def.wrap_result);
    let encoding = match def.body_encoding {
        runtime::BodyEncoding::Json => quote!(Json),
        runtime::BodyEncoding::Form => quote!(Form),
        runtime::BodyEncoding::Multipart => quote!(Multipart),
    };
    let doc = docs(&format!(
        "`{}`: {}\n\n`{} {}`",
        def.name,
        def.title,
        def.method.as_str(),
        def.path
    ));
    quote! {
        static SCOPES: [runtime::Str; #n_scopes] = [#(#scopes),*];

        static PARAMS: [runtime::ParamDef; #n_params] = [#(#params),*];

        #doc
        pub static TOOL: runtime::ToolDef = runtime::ToolDef {
            name: #name,
            app: #app,
            operation_id: #op,
            title: #title,
            description: #desc,
            annotations: runtime::Annotations {
                read_only: #ro,
                destructive: #de,
                idempotent: #id,
                open_world: #ow,
            },
            scopes: ::std::borrow::Cow::Borrowed(&SCOPES),
            agency_only: #agency,
            deprecated: #deprecated,
            method: runtime::HttpMethod::#method,
            path: #path,
            version: #version,
            params: ::std::borrow::Cow::Borrowed(&PARAMS),
            location: #location,
            input_schema: ::std::borrow::Cow::Borrowed(#input),
            output_schema: #output,
            wrap_result: #wrap,
            risk: runtime::Risk {
                destructive: #r_de,
                outbound: #r_out,
                money: #r_money,
                bulk: #r_bulk,
            },
            body_encoding: runtime::BodyEncoding::#encoding,
        };
    }
}

fn unparse(tokens: TokenStream) -> Result<String, String> {
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated Rust does not parse: {e}"))?;
    Ok(prettyplease::unparse(&file))
}

/// The Rust files: one per tool, one `mod.rs` per app, and `src/tools/mod.rs` with the registry.
pub fn emit(tools: &[Lowered]) -> Result<BTreeMap<PathBuf, String>, String> {
    let mut files = BTreeMap::new();
    // app module → (tool module → tool), and the source file of each app.
    let mut apps: BTreeMap<String, BTreeMap<String, &Lowered>> = BTreeMap::new();
    let mut registry: Vec<(String, String, String)> = Vec::new();
    for t in tools {
        let app_mod = module_name(&t.def.app);
        let base = module_name(&t.def.operation_id);
        let entry = apps.entry(app_mod.clone()).or_default();
        let mut tool_mod = base.clone();
        let mut n = 2;
        while entry.contains_key(&tool_mod) {
            tool_mod = format!("{base}_{n}");
            n += 1;
        }
        entry.insert(tool_mod.clone(), t);
        registry.push((t.def.name.to_string(), app_mod, tool_mod));
    }
    let mut sources = BTreeSet::new();
    for (app_mod, mods) in &apps {
        let mut app_source = String::new();
        let mut decls = Vec::new();
        for (tool_mod, t) in mods {
            app_source = t.source.clone();
            sources.insert(
                std::path::Path::new(&t.source)
                    .parent()
                    .map(|p| format!("{}/", p.display()))
                    .unwrap_or_default(),
            );
            let text = unparse(tool_tokens(&t.def))?;
            files.insert(
                PathBuf::from(format!("src/tools/{app_mod}/{tool_mod}.rs")),
                format!("{}\n{text}", header("//", &t.source)),
            );
            let ident = format_ident!("{}", tool_mod);
            let doc = docs(&format!("The `{}` tool.", t.def.name));
            decls.push(quote!(#doc pub mod #ident;));
        }
        let app_name = mods
            .values()
            .next()
            .map(|t| t.def.app.to_string())
            .unwrap_or_default();
        let text = unparse(quote!(#(#decls)*))?;
        files.insert(
            PathBuf::from(format!("src/tools/{app_mod}/mod.rs")),
            format!(
                "{}//! Tools of the HighLevel `{app_name}` app.\n\n{text}",
                header("//", &app_source)
            ),
        );
    }
    let app_decls = apps.iter().map(|(app_mod, mods)| {
        let ident = format_ident!("{}", app_mod);
        let app_name = mods
            .values()
            .next()
            .map(|t| t.def.app.to_string())
            .unwrap_or_default();
        let doc = docs(&format!("Tools of the `{app_name}` app."));
        quote!(#doc pub mod #ident;)
    });
    registry.sort();
    let entries = registry.iter().map(|(_, app_mod, tool_mod)| {
        let a = format_ident!("{}", app_mod);
        let t = format_ident!("{}", tool_mod);
        quote!(&#a::#t::TOOL)
    });
    let mut sorted_tools: Vec<&Lowered> = tools.iter().collect();
    sorted_tools.sort_by(|a, b| a.def.name.cmp(&b.def.name));
    let hosted = sorted_tools
        .iter()
        .filter(|t| t.hosted)
        .map(|t| Literal::string(&t.def.name));
    let keywords = sorted_tools
        .iter()
        .filter(|t| !t.keywords.is_empty())
        .map(|t| {
            let name = Literal::string(&t.def.name);
            let words = t.keywords.iter().map(|k| Literal::string(k));
            quote!((#name, &[#(#words),*]))
        });
    let text = unparse(quote! {
        #(#app_decls)*

        /// Every generated tool, sorted by name.
        pub static TOOLS: &[&runtime::ToolDef] = &[#(#entries),*];

        /// The tools served when no selection is given: those HighLevel's hosted server lists.
        pub static HOSTED: &[&str] = &[#(#hosted),*];

        /// Search metadata by tool name (sorted): requests in users' words, then synonyms.
        pub static KEYWORDS: &[(&str, &[&str])] = &[#(#keywords),*];
    })?;
    let source = match sources.len() {
        0 => "spec/tools/".to_owned(),
        _ => sources.into_iter().collect::<Vec<_>>().join(", "),
    };
    files.insert(
        PathBuf::from("src/tools/mod.rs"),
        format!(
            "{}//! The generated tools and their registry.\n\n{text}",
            header("//", &source)
        ),
    );
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_are_snake_case_idents() {
        assert_eq!(module_name("get-contact"), "get_contact");
        assert_eq!(module_name("getAgents"), "get_agents");
        assert_eq!(
            module_name("create-integration provider"),
            "create_integration_provider"
        );
        assert_eq!(module_name("type"), "type_op");
        assert_eq!(module_name("2fa"), "t_2fa");
    }
}
