//! Walking OpenAPI schemas on either side of the drift report: `$ref`s followed (inside a file and,
//! for HighLevel's files, into `../common/common-schemas.json`), `allOf` merged, and every node
//! kept with the file and JSON pointer it comes from, so a finding can name the line to edit.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use codegen::load::{SourceFile, escape, normalize};
use serde_json::Value;

/// Most `$ref` hops followed for one node (HighLevel's files have no longer chains; a cycle stops).
const MAX_HOPS: usize = 16;

/// A node of a document and where it lives.
#[derive(Debug, Clone)]
pub struct Node<'a> {
    /// The document holding it.
    pub file: &'a SourceFile,
    /// JSON pointer of the node in [`Self::file`].
    pub pointer: String,
    /// The node.
    pub value: &'a Value,
}

impl<'a> Node<'a> {
    /// The root of `file`.
    pub fn root(file: &'a SourceFile) -> Self {
        Node {
            file,
            pointer: String::new(),
            value: &file.value,
        }
    }
}

/// Resolves `$ref`s: local ones in the node's own file, external ones among `external`
/// (keyed by normalized path on disk, as `codegen::load` loads them).
#[derive(Debug, Clone, Copy)]
pub struct Resolver<'a> {
    external: &'a HashMap<PathBuf, SourceFile>,
}

impl<'a> Resolver<'a> {
    /// A resolver over `external` documents.
    pub fn new(external: &'a HashMap<PathBuf, SourceFile>) -> Self {
        Resolver { external }
    }

    /// The child `key` of `node` (no `$ref` followed).
    pub fn child(&self, node: &Node<'a>, key: &str) -> Option<Node<'a>> {
        let value = match node.value {
            Value::Object(m) => m.get(key)?,
            Value::Array(a) => a.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
        let pointer = format!("{}/{}", node.pointer, escape(key));
        Some(Node {
            file: node.file,
            pointer,
            value,
        })
    }

    /// `node` with `$ref`s followed; `None` when a reference leads nowhere.
    pub fn deref(&self, mut node: Node<'a>) -> Option<Node<'a>> {
        for _ in 0..MAX_HOPS {
            let Some(r) = node.value.get("$ref").and_then(Value::as_str) else {
                return Some(node);
            };
            let (doc, frag) = r.split_once('#').unwrap_or((r, ""));
            let file = if doc.is_empty() {
                node.file
            } else {
                let base = node.file.path.parent()?;
                self.external.get(&normalize(&base.join(doc)))?
            };
            let value = file.value.pointer(frag)?;
            node = Node {
                file,
                pointer: frag.to_owned(),
                value,
            };
        }
        None
    }

    /// The schema at `node` flattened for comparison: `$ref`s followed and `allOf` members merged.
    pub fn flatten(&self, node: Node<'a>) -> Flat<'a> {
        let mut flat = Flat::default_at(node.clone());
        self.merge(node, &mut flat, 0);
        flat
    }

    fn merge(&self, node: Node<'a>, flat: &mut Flat<'a>, depth: usize) {
        if depth > MAX_HOPS {
            return;
        }
        let Some(node) = self.deref(node) else { return };
        if depth == 0 {
            flat.at = node.clone();
        }
        let Some(m) = node.value.as_object() else {
            return;
        };
        if let Some(t) = m.get("type") {
            let mut set: BTreeSet<String> = match t {
                Value::String(s) => BTreeSet::from([s.clone()]),
                Value::Array(a) => a
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                _ => BTreeSet::new(),
            };
            set.remove("null");
            flat.types.get_or_insert_with(BTreeSet::new).extend(set);
        }
        if let Some(Value::Array(e)) = m.get("enum") {
            flat.enums = Some(
                e.iter()
                    .filter(|v| !v.is_null())
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .collect(),
            );
        }
        if let Some(Value::Array(r)) = m.get("required") {
            flat.required
                .extend(r.iter().filter_map(|v| v.as_str().map(str::to_owned)));
        }
        if m.get("deprecated") == Some(&Value::Bool(true)) {
            flat.deprecated = true;
        }
        if let Some(props) = self.child(&node, "properties")
            && let Some(pm) = props.value.as_object()
        {
            for key in pm.keys() {
                if let Some(child) = self.child(&props, key) {
                    flat.properties.entry(key.clone()).or_insert(child);
                }
            }
            flat.properties_at.get_or_insert(props);
        }
        if let Some(items) = self.child(&node, "items") {
            flat.items.get_or_insert(items);
        }
        if let Some(all) = self.child(&node, "allOf")
            && let Some(a) = all.value.as_array()
        {
            for i in 0..a.len() {
                if let Some(member) = self.child(&all, &i.to_string()) {
                    self.merge(member, flat, depth + 1);
                }
            }
        }
    }
}

/// A schema reduced to the facts the drift report compares.
#[derive(Debug, Clone)]
pub struct Flat<'a> {
    /// Where the schema is defined (after `$ref`s), for the line to edit.
    pub at: Node<'a>,
    /// Allowed types without `null`; `None` when the schema names none.
    pub types: Option<BTreeSet<String>>,
    /// Enum values as text; `None` when not an enum.
    pub enums: Option<BTreeSet<String>>,
    /// The `required` list (merged over `allOf`).
    pub required: BTreeSet<String>,
    /// Properties by name (first definition wins over `allOf` members).
    pub properties: BTreeMap<String, Node<'a>>,
    /// Where `properties` is written (the place to add a missing one).
    pub properties_at: Option<Node<'a>>,
    /// The array's item schema.
    pub items: Option<Node<'a>>,
    /// Marked `deprecated: true`.
    pub deprecated: bool,
}

impl<'a> Flat<'a> {
    fn default_at(at: Node<'a>) -> Self {
        Flat {
            at,
            types: None,
            enums: None,
            required: BTreeSet::new(),
            properties: BTreeMap::new(),
            properties_at: None,
            items: None,
            deprecated: false,
        }
    }
}
