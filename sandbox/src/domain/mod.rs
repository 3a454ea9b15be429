//! HighLevel's business rules as the sandbox emulates them, one file per concern, apart from
//! HTTP: how a contact's derived fields and tags are computed and how duplicates are matched
//! (`contacts`), how custom-field values are checked and applied to a contact or an opportunity
//! (`custom_fields`), how message channels, types and do-not-disturb work (`messages`), what a
//! blog post and its slug must look like (`blogs`), and the social planner's post rules and
//! statistics (`social`).
//!
//! These functions work on the store's data (plain `serde_json` records and [`crate::store::Store`])
//! and report problems as plain strings, so both the seed and the HTTP handlers can use them and
//! none of them depends on either. The layering, bottom up, is: `util`/`error` → `store` →
//! `domain` → `seed` → `state` → `api`/`guard`.

pub(crate) mod blogs;
pub(crate) mod contacts;
pub(crate) mod custom_fields;
pub(crate) mod messages;
pub(crate) mod social;
