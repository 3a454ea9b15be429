//! The tool IR: everything the server needs to list a tool and to call it upstream.
//!
//! Every string and slice is a `Cow<'static, _>` so the generator can emit the IR as `static`
//! items (borrowed) while the run-time catalog builds the very same types from parsed files (owned).

use std::borrow::Cow;

/// A string that is `&'static str` in generated code and `String` when lowered at run time.
pub type Str = Cow<'static, str>;

/// One MCP tool and the HighLevel operation behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDef {
    /// MCP tool name, HighLevel's own `<app>_<operationId>` (sanitized to `[A-Za-z0-9_.-]`).
    pub name: Str,
    /// HighLevel app (OpenAPI file basename), e.g. `contacts`; also the toolset name.
    pub app: Str,
    /// The upstream operationId, verbatim.
    pub operation_id: Str,
    /// Short human title.
    pub title: Str,
    /// Description written for a model choosing a tool (no HTML).
    pub description: Str,
    /// MCP tool annotations.
    pub annotations: Annotations,
    /// OAuth scopes the token needs (informational; used in 401/403 messages).
    pub scopes: Cow<'static, [Str]>,
    /// True when only an agency token can call the operation.
    pub agency_only: bool,
    /// True when the upstream marks the operation deprecated.
    pub deprecated: bool,
    /// HTTP method.
    pub method: HttpMethod,
    /// Path template, byte-exact as HighLevel writes it (trailing slashes kept), e.g. `/contacts/{contactId}`.
    pub path: Str,
    /// Value of the `Version` header, when the operation takes one.
    pub version: Option<Str>,
    /// Every argument the tool accepts, in a stable order.
    pub params: Cow<'static, [ParamDef]>,
    /// Where the location id goes, if anywhere; filled from the call context when the argument is absent.
    pub location: LocationSlot,
    /// The canonical JSON text of the MCP `inputSchema` (JSON Schema 2020-12, keys sorted).
    pub input_schema: Str,
    /// The canonical JSON text of the MCP `outputSchema`, when the success response is a JSON object.
    pub output_schema: Option<Str>,
    /// True when the success response is not an object and is returned under a `result` key.
    pub wrap_result: bool,
    /// What could go wrong if the call was a mistake (drives confirmation and audit).
    pub risk: Risk,
    /// How the request body is encoded.
    pub body_encoding: BodyEncoding,
}

/// The classes of risk of a write, besides the MCP annotations: derived by the generator's
/// rules (codegen/src/risk.rs) and overridable in the overlay (`risk: [outbound]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Risk {
    /// Deletes or overwrites data (DELETE, PUT on a whole record).
    pub destructive: bool,
    /// Reaches a person outside the CRM (messages, emails, invoices sent, posts, review replies).
    pub outbound: bool,
    /// Moves or records money (payments, charges, refunds, transactions, orders).
    pub money: bool,
    /// Acts on many records at once (bulk and batch endpoints).
    pub bulk: bool,
}

impl Risk {
    /// No risk class.
    pub const NONE: Risk = Risk {
        destructive: false,
        outbound: false,
        money: false,
        bulk: false,
    };

    /// The class names, in this fixed order.
    pub const NAMES: [&'static str; 4] = ["destructive", "outbound", "money", "bulk"];

    /// The names of the classes set, in [`Risk::NAMES`] order.
    pub fn names(self) -> Vec<&'static str> {
        let on = [self.destructive, self.outbound, self.money, self.bulk];
        Self::NAMES
            .iter()
            .zip(on)
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect()
    }

    /// Whether no class is set.
    pub fn is_empty(self) -> bool {
        self == Self::NONE
    }

    /// Whether `self` and `other` share a class.
    pub fn intersects(self, other: Risk) -> bool {
        (self.destructive && other.destructive)
            || (self.outbound && other.outbound)
            || (self.money && other.money)
            || (self.bulk && other.bulk)
    }

    /// Adds the class called `name`; `false` when no class has that name.
    pub fn set(&mut self, name: &str) -> bool {
        match name {
            "destructive" => self.destructive = true,
            "outbound" => self.outbound = true,
            "money" => self.money = true,
            "bulk" => self.bulk = true,
            _ => return false,
        }
        true
    }
}

/// How a tool's request body goes on the wire, from the operation's request media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum BodyEncoding {
    /// `application/json` (and every operation without a body).
    #[default]
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `multipart/form-data`; file arguments are `{filename, content_base64, content_type}`.
    Multipart,
}

/// MCP tool annotations (hints for the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Annotations {
    /// The tool does not modify its environment.
    pub read_only: bool,
    /// The tool may perform destructive updates.
    pub destructive: bool,
    /// Calling it twice with the same arguments has no additional effect.
    pub idempotent: bool,
    /// The tool interacts with an open world of external entities (e.g. sends a message to a person).
    pub open_world: bool,
}

/// HTTP methods HighLevel uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HttpMethod {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl HttpMethod {
    /// Upper-case method name as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }

    /// Whether retrying after a failure cannot duplicate an effect (RFC 9110 idempotent methods).
    pub fn is_idempotent(self) -> bool {
        !matches!(self, HttpMethod::Post | HttpMethod::Patch)
    }
}

/// Where a parameter travels in the upstream request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ParamIn {
    /// Substituted into the path template (percent-encoded as one segment).
    Path,
    /// Appended to the query string; arrays repeat the key (`a=1&a=2`).
    Query,
    /// Sent as a request header.
    Header,
    /// A top-level property of the JSON request body.
    Body,
    /// The whole JSON request body (used when the body is not an object with known properties).
    BodyRoot,
}

/// One tool argument and its wire mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDef {
    /// The argument name the model sees (a key of `inputSchema.properties`).
    pub name: Str,
    /// The name on the wire (path variable, query key, header name or body property).
    pub wire: Str,
    /// Where it goes.
    pub location: ParamIn,
    /// Whether the upstream requires it (the location argument may still be filled from context).
    pub required: bool,
    /// JSON text of a value sent when the argument is absent (an overlay default).
    pub default: Option<Str>,
}

/// Where the location id goes for a tool; the named argument is filled from the call context
/// (the `locationId` header or the server default) when the model leaves it out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LocationSlot {
    /// The tool is scoped by a resource id or the token; no location is sent.
    #[default]
    None,
    /// The named argument (a query, path or body parameter) carries the location id.
    Arg(Str),
    /// `altId` carries the location id and `altType` is set to `location` (payments, invoices, ...).
    AltId,
}

/// Whether `name` is a valid MCP tool name: 1 to 128 characters from `A-Z a-z 0-9 _ - .`.
pub fn is_valid_tool_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}
