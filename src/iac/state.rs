//! Terraform state format version 4 (terraform >= 0.12) -> the *recorded* side of the model.
//!
//! Reading goes in three steps, like terraform's own `statefile.Read`:
//! 1. sniff the bytes: empty, a saved plan (a zip), not UTF-8, not JSON, truncated;
//! 2. sniff the JSON: `terraform show -json` output, not an object, no `version`, a legacy
//!    (v1-v3) or future (> 4) format version;
//! 3. decode the v4 wire structs (private, below) and convert them into [`RecordedState`]:
//!    managed resources only (data sources are dropped), the current object of each instance
//!    only (deposed objects are skipped, tainted ones kept), addresses as terraform prints them,
//!    and every path listed in `sensitive_attributes` wrapped in [`Value::Sensitive`].
//!
//! Every failure is a coded [`Error`] with the source and a span where there is a position.
//! Unknown fields are ignored: terraform adds fields to v4 over time (`check_results`,
//! `identity`, `identity_schema_version`, ...) without changing the format version.

// `crate::Error` is larger than clippy's default threshold (a `NamedSource` and a span per
// file diagnostic, since the skeleton's `StateParse`): every function returning
// `crate::Result` trips `result_large_err`. Whether to box diagnostics crate-wide is the
// lead's call (see the report); until then this module opts out.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, BTreeSet};

use miette::SourceSpan;
use serde::{Deserialize, Deserializer};

use crate::error::{At, Error, Result};
use crate::model::{
    Address, Attributes, InstanceKey, Mode, ModuleStep, RecordedResource, RecordedState,
    StateSource, Value, format_number,
};

/// Parses the text of a state file. `source` names it in findings and diagnostics.
pub fn parse_state(source: &StateSource, text: &str) -> Result<RecordedState> {
    parse_state_bytes(source, text.as_bytes())
}

/// Parses the raw bytes of a state file (what a file or an S3 object holds): unlike
/// [`parse_state`], this can tell a binary file (a saved plan, a gzip) from a text one.
pub fn parse_state_bytes(source: &StateSource, bytes: &[u8]) -> Result<RecordedState> {
    let path = source.0.clone();
    // Terraform never writes a byte order mark, but editors on Windows do; JSON forbids it.
    let (bom, body) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (3, rest),
        None => (0, bytes),
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::StateEmpty { path });
    }
    // A saved plan (`terraform plan -out=FILE`) is a zip archive: local file header
    // `PK\x03\x04`, or `PK\x05\x06` for an empty archive.
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Err(Error::StatePlanFile { path });
    }
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(e) => {
            let at = bom + e.valid_up_to();
            let reason = if bytes.starts_with(b"\x1F\x8B") {
                "it is gzip-compressed; decompress it first (`gunzip`)".to_string()
            } else {
                format!("it is binary: the byte at offset {at} is not UTF-8 text")
            };
            // `from_utf8_lossy` keeps the valid prefix byte for byte, so `at` still points at
            // the first bad byte in the lossy copy.
            let src = String::from_utf8_lossy(bytes).into_owned();
            let len = src[at..].chars().next().map_or(0, char::len_utf8);
            return Err(Error::StateNotJson {
                at: at_offset(&src, at, false),
                path,
                reason,
                span: Some((at, len).into()),
            });
        }
    };
    let doc = Doc {
        path: &path,
        text,
        bom,
        full: bytes,
    };
    doc.parse(source)
}

/// One document being parsed: its name, its text, and where the text starts in the file.
struct Doc<'a> {
    path: &'a str,
    text: &'a str,
    /// Bytes skipped before `text` (a byte order mark).
    bom: usize,
    /// The file's bytes as read: their SHA-256 is what a plan records.
    full: &'a [u8],
}

impl Doc<'_> {
    /// The place a span points at: line, column and JSON path, never the text there.
    fn at(&self, span: Option<SourceSpan>) -> At {
        let offset = span.map_or(0, |s| s.offset().saturating_sub(self.bom));
        at_offset(self.text, offset.min(self.text.len()), true)
    }

    /// A span over `range` of `text`, shifted to the file.
    fn span(&self, range: std::ops::Range<usize>) -> SourceSpan {
        (self.bom + range.start, range.end - range.start).into()
    }

    /// The span of the value at `path` in the document (the document is valid JSON here).
    fn span_at(&self, path: &[Loc<'_>]) -> Option<SourceSpan> {
        locate(self.text, path).map(|r| self.span(r))
    }

    /// The span serde_json reports for `err`: one character at its line and column.
    fn span_of(&self, err: &serde_json::Error) -> Option<SourceSpan> {
        let at = offset_of(self.text, err.line(), err.column())?;
        let len = self.text[at..].chars().next().map_or(0, char::len_utf8);
        Some(self.span(at..at + len))
    }

    /// The span of the value a type error is about. serde_json reports a type error at the
    /// last byte it consumed: just before a value it peeked at (`{` where a list was due), or
    /// the last byte of a scalar it read (`"nine"` where a number was due). Either way, find
    /// the whole value.
    fn data_span(&self, err: &serde_json::Error) -> Option<SourceSpan> {
        let b = self.text.as_bytes();
        let line_start = offset_of(self.text, err.line(), 1)?;
        let mut at = (line_start + err.column()).min(b.len());
        let starts_value = |c: u8| {
            matches!(
                c,
                b'{' | b'[' | b'"' | b'-' | b't' | b'f' | b'n' | b'0'..=b'9'
            )
        };
        if !b.get(at).copied().is_some_and(starts_value) {
            // Back to the start of the scalar that ends just before `at`.
            at = at.saturating_sub(1);
            if b.get(at) == Some(&b'"') {
                at = self.text[..at].rfind('"').unwrap_or(at);
                while at > 0 && self.text[..at].ends_with('\\') {
                    at = self.text[..at].rfind('"').unwrap_or(0);
                }
            } else {
                while at > 0
                    && (b[at - 1].is_ascii_alphanumeric()
                        || matches!(b[at - 1], b'.' | b'-' | b'+'))
                {
                    at -= 1;
                }
            }
        }
        let mut scan = Scan { b, i: at };
        match scan.value() {
            Some(()) => Some(self.span(at..scan.i)),
            None => self.span_of(err),
        }
    }

    fn parse(&self, source: &StateSource) -> Result<RecordedState> {
        self.check_is_an_object()?;
        let sniff: Sniff = match serde_json::from_str(self.text) {
            Ok(s) => s,
            Err(e) => return Err(self.json_error(&e)),
        };
        self.check_format_version(&sniff)?;
        let path = self.path.to_string();
        let wire: StateV4 = match serde_json::from_str(self.text) {
            Ok(w) => w,
            Err(e) => {
                // Syntax errors were found by the sniff; what is left is a field of the wrong
                // type somewhere.
                let reason = data_reason(&e);
                return Err(Error::StateParse {
                    path,
                    reason,
                    help: invalid_help(),
                    at: self.at(self.data_span(&e)),
                    span: self.data_span(&e),
                });
            }
        };
        self.convert(source, wire)
    }

    /// Only an object can be a state. (Checked before serde, which would also build a struct
    /// from an array, positionally.)
    fn check_is_an_object(&self) -> Result<()> {
        let trimmed = self.text.trim_start();
        if trimmed.starts_with('{') {
            return Ok(());
        }
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(self.text) {
            return Err(self.json_error(&e));
        }
        let what = match trimmed.as_bytes().first() {
            Some(b'[') => "an array",
            Some(b'"') => "a string",
            Some(b't' | b'f') => "a boolean",
            Some(b'n') => "null",
            _ => "a number",
        };
        let start = self.text.len() - trimmed.len();
        let len = trimmed.chars().next().map_or(0, char::len_utf8);
        Err(Error::StateNotAState {
            path: self.path.to_string(),
            reason: format!("the document is {what}, not an object"),
            at: self.at(Some(self.span(start..start + len))),
            span: Some(self.span(start..start + len)),
        })
    }

    /// The state's format version: 4 is read; older and newer ones are refused, saying which.
    fn check_format_version(&self, sniff: &Sniff) -> Result<()> {
        let path = self.path.to_string();
        let version = match &sniff.version {
            Some(v) => v.clone(),
            None => return Err(self.without_version(sniff)),
        };
        let version = match version.as_u64() {
            Some(v) => v,
            None => {
                return Err(Error::StateParse {
                    path,
                    reason: format!(
                        "`version` must be a whole number, found {}",
                        json_kind(&version)
                    ),
                    help: "a terraform state has `\"version\": 4`; was the file edited by hand?"
                        .into(),
                    at: self.at(self.span_at(&[Loc::Key("version")])),
                    span: self.span_at(&[Loc::Key("version")]),
                });
            }
        };
        match version {
            4 => {}
            0..=3 => {
                return Err(Error::StateLegacyVersion {
                    path,
                    version,
                    at: self.at(self.span_at(&[Loc::Key("version")])),
                    span: self.span_at(&[Loc::Key("version")]),
                });
            }
            _ => {
                let written_by = match &sniff.terraform_version {
                    // A version number only (digits and dots): nothing else of the file goes
                    // into a message.
                    Some(serde_json::Value::String(v))
                        if v.len() <= 16
                            && v.starts_with(|c: char| c.is_ascii_digit())
                            && v.bytes().all(|b| b.is_ascii_digit() || b == b'.') =>
                    {
                        format!("terraform {v}")
                    }
                    _ => "a newer terraform".to_string(),
                };
                return Err(Error::StateUnsupportedVersion {
                    path,
                    version,
                    help: format!(
                        "this state was written by {written_by}; upgrade driftgate, or pass a \
                         state of format version 4 (terraform 0.12 to 1.x)"
                    ),
                    at: self.at(self.span_at(&[Loc::Key("version")])),
                    span: self.span_at(&[Loc::Key("version")]),
                });
            }
        }
        Ok(())
    }

    fn json_error(&self, e: &serde_json::Error) -> Error {
        let path = self.path.to_string();
        match e.classify() {
            serde_json::error::Category::Eof => Error::StateTruncated {
                path,
                at: self.at(Some(self.span(self.text.len()..self.text.len()))),
                span: Some(self.span(self.text.len()..self.text.len())),
            },
            // `Sniff` accepts any object, and only objects reach it; a type error can only
            // be in `version`'s neighbours we ask for by type (none today).
            serde_json::error::Category::Data => Error::StateNotAState {
                path,
                reason: data_reason(e),
                at: self.at(self.span_of(e)),
                span: self.span_of(e),
            },
            _ => {
                let message = e.to_string();
                let reason = message
                    .rsplit_once(" at line ")
                    .map_or(message.as_str(), |(m, _)| m)
                    .to_string();
                // serde_json's syntax messages name what was expected, never a value.
                Error::StateNotJson {
                    path,
                    reason,
                    at: self.at(self.span_of(e)),
                    span: self.span_of(e),
                }
            }
        }
    }

    /// A JSON object without `version`: say what it is, if we can tell.
    fn without_version(&self, sniff: &Sniff) -> Error {
        let path = self.path.to_string();
        if sniff.format_version.is_some() {
            return Error::StateShowJson {
                path,
                at: self.at(self.key_span("format_version")),
                span: self.key_span("format_version"),
            };
        }
        let (reason, key) = if sniff.encrypted_data.is_some() {
            (
                "it is an encrypted OpenTofu state; decrypt it with `tofu state pull`".to_string(),
                Some("encrypted_data"),
            )
        } else if sniff.modules.is_some() {
            (
                "it has a `modules` array (the pre-0.12 layout) but no `version`".to_string(),
                Some("modules"),
            )
        } else {
            ("it has no `version` field".to_string(), None)
        };
        let span = match key {
            Some(k) => self.key_span(k),
            None => {
                let start = self.text.len() - self.text.trim_start().len();
                Some(self.span(start..start + 1))
            }
        };
        Error::StateNotAState {
            path,
            reason,
            at: self.at(span),
            span,
        }
    }

    /// The span of a top-level key (the `"name"` itself, not its value).
    fn key_span(&self, key: &str) -> Option<SourceSpan> {
        locate_key(self.text, key).map(|r| self.span(r))
    }

    fn invalid(&self, reason: String, at: &[Loc<'_>]) -> Error {
        Error::StateParse {
            path: self.path.to_string(),
            reason,
            help: invalid_help(),
            at: self.at(self.span_at(at)),
            span: self.span_at(at),
        }
    }

    fn convert(&self, source: &StateSource, wire: StateV4) -> Result<RecordedState> {
        let mut resources = Vec::new();
        let mut seen = BTreeSet::new();
        for (ri, r) in wire.resources.into_iter().enumerate() {
            if !self.is_managed(ri, &r)? {
                continue;
            }
            let module = self.module_of(ri, &r)?;
            for (ii, mut inst) in r.instances.into_iter().enumerate() {
                let at = |field: &'static str| {
                    [
                        Loc::Key("resources"),
                        Loc::Index(ri),
                        Loc::Key("instances"),
                        Loc::Index(ii),
                        Loc::Key(field),
                    ]
                };
                let address = Address {
                    module: module.clone(),
                    mode: Mode::Managed,
                    resource_type: r.type_.clone(),
                    name: r.name.clone(),
                    key: self.instance_key(&inst.index_key, &at("index_key"))?,
                };
                match inst.status.as_deref() {
                    // Tainted objects still exist in the cloud: they are recorded, and drift.
                    None | Some("") | Some("tainted") => {}
                    Some(_) => {
                        return Err(self.invalid(
                            format!(
                                "instance `{address}` has a status other than `tainted` (the only one terraform writes)"
                            ),
                            &at("status"),
                        ));
                    }
                }
                // A deposed object is an old object awaiting destruction after a
                // create_before_destroy replacement: not what the configuration manages now.
                if inst.deposed.as_deref().is_some_and(|d| !d.is_empty()) {
                    continue;
                }
                if !seen.insert(address.clone()) {
                    return Err(self.invalid(
                        format!("instance `{address}` appears twice in the state"),
                        &[
                            Loc::Key("resources"),
                            Loc::Index(ri),
                            Loc::Key("instances"),
                            Loc::Index(ii),
                        ],
                    ));
                }
                let attributes =
                    self.instance_attributes(&address, &mut inst, &at("attributes"))?;
                resources.push(RecordedResource {
                    address,
                    resource_type: r.type_.clone(),
                    provider: r.provider.clone(),
                    state: source.clone(),
                    schema_version: inst.schema_version,
                    attributes,
                });
            }
        }
        resources.sort_by(|a, b| a.address.cmp(&b.address));
        Ok(RecordedState {
            source: source.clone(),
            terraform_version: wire.terraform_version,
            serial: wire.serial,
            lineage: wire.lineage,
            sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(self.full)),
            resources,
        })
    }

    /// Whether the `ri`th resource is managed; a data source is read, not managed, and cannot
    /// drift. Any other mode is refused.
    fn is_managed(&self, ri: usize, r: &ResourceV4) -> Result<bool> {
        match r.mode.as_str() {
            "managed" => Ok(true),
            "data" => Ok(false),
            _ => Err(self.invalid(
                format!(
                    "resource `{}.{}` has a mode other than `managed` or `data` (the ones terraform writes)",
                    r.type_, r.name
                ),
                &[Loc::Key("resources"), Loc::Index(ri), Loc::Key("mode")],
            )),
        }
    }

    /// The module path of the `ri`th resource (`module.a.module.b[0]`), empty at the root.
    fn module_of(&self, ri: usize, r: &ResourceV4) -> Result<Vec<ModuleStep>> {
        match r.module.as_deref() {
            None | Some("") => Ok(Vec::new()),
            Some(m) => parse_module_path(m).map_err(|_| {
                self.invalid(
                    "the module address does not follow terraform's syntax \
                     (`module.NAME`, `module.NAME[KEY]`, joined by `.`)"
                        .to_string(),
                    &[Loc::Key("resources"), Loc::Index(ri), Loc::Key("module")],
                )
            }),
        }
    }

    /// An instance's key: none, a number (`count`) or a string (`for_each`).
    fn instance_key(
        &self,
        index_key: &Option<serde_json::Value>,
        at: &[Loc<'_>],
    ) -> Result<Option<InstanceKey>> {
        match index_key {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(InstanceKey::Str(s.clone()))),
            Some(serde_json::Value::Number(n)) => match n.as_i64() {
                Some(i) => Ok(Some(InstanceKey::Int(i))),
                // Go's encoding/json reads every number as a float64; terraform accepts `1.0`
                // as the key 1, and so do we.
                None => match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                        Ok(Some(InstanceKey::Int(f as i64)))
                    }
                    _ => Err(self.invalid(
                        "the instance key is a number but not a whole one".to_string(),
                        at,
                    )),
                },
            },
            Some(other) => Err(self.invalid(
                format!(
                    "the instance key is {}, neither a number (count) nor a string (for_each)",
                    json_kind(other)
                ),
                at,
            )),
        }
    }

    /// An instance's attributes, its sensitive ones marked.
    fn instance_attributes(
        &self,
        address: &Address,
        inst: &mut InstanceV4,
        at: &[Loc<'_>],
    ) -> Result<Attributes> {
        let mut attributes = match inst.attributes.take() {
            Some(serde_json::Value::Object(map)) => map
                .into_iter()
                .map(|(k, v)| (k, convert_value(v)))
                .collect::<Attributes>(),
            // `attributes_flat` is how terraform 0.12 kept objects it upgraded from a v3 state
            // until their provider rewrote them.
            None | Some(serde_json::Value::Null) => match &inst.attributes_flat {
                Some(flat) => expand_flatmap(flat),
                None => Attributes::new(),
            },
            Some(other) => {
                return Err(self.invalid(
                    format!(
                        "the attributes of `{address}` are {}, not an object",
                        json_kind(&other)
                    ),
                    at,
                ));
            }
        };
        if let Some(paths) = &inst.sensitive_attributes {
            mark_sensitive(&mut attributes, paths);
        }
        Ok(attributes)
    }
}

/// What a serde type error says, without the value it found: serde quotes the value
/// (`invalid type: string "hunter2", expected u64`), and a state holds secrets in clear. Only
/// what serde itself wrote is kept: the kind of value it found and what it expected.
fn data_reason(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m);
    // serde's own text comes last: a quoted value sits before `, expected`, so the last one
    // is serde's.
    let expected = message.rsplit_once(", expected ").map(|(_, x)| x);
    let found = [
        "string",
        "integer",
        "floating point",
        "boolean",
        "map",
        "sequence",
        "null",
        "unit",
        "char",
        "bytes",
    ]
    .into_iter()
    .find(|k| {
        message
            .strip_prefix("invalid type: ")
            .is_some_and(|rest| rest.starts_with(k))
    });
    let safe = |x: &str| !x.contains(['`', '"', '\'']);
    if let Some(field) = message.strip_prefix("missing field ") {
        // The name of a field of the format, not a value.
        return format!("missing field {field}");
    }
    match (message.starts_with("invalid type: "), found, expected) {
        (true, Some(found), Some(x)) if safe(x) => {
            format!("a value has the wrong type: found {found}, expected {x}")
        }
        (true, Some(found), _) => format!("a value has the wrong type: found {found}"),
        (_, _, Some(x)) if safe(x) => format!("a value is not valid here: expected {x}"),
        _ => "a value has the wrong type or form".to_string(),
    }
}

/// The place of `offset` in `text`: 1-based line and column (in characters) and, when the text
/// is JSON (`json`), the path of the value there. Nothing of the text itself.
fn at_offset(text: &str, offset: usize, json: bool) -> At {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    At {
        line,
        column,
        json_path: if json {
            json_path_at(text, offset)
        } else {
            "$".to_string()
        },
    }
}

/// The JSON path (`$.resources[2].instances[0].attributes`) of the value at `offset` in a
/// JSON text, which may be broken or cut short: a tolerant scan that tracks the containers
/// and keys it is in.
pub(crate) fn json_path_at(text: &str, offset: usize) -> String {
    enum Frame {
        Object { key: Option<String>, in_value: bool },
        Array { index: usize },
    }
    let b = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < b.len() && i < offset {
        match b[i] {
            b'{' => stack.push(Frame::Object {
                key: None,
                in_value: false,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { key, in_value }) => {
                    *key = None;
                    *in_value = false;
                }
                None => {}
            },
            b':' => {
                if let Some(Frame::Object { in_value, .. }) = stack.last_mut() {
                    *in_value = true;
                }
            }
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                if let Some(Frame::Object {
                    key,
                    in_value: false,
                }) = stack.last_mut()
                {
                    let raw = &text[start..j.min(b.len())];
                    *key = Some(
                        serde_json::from_str::<String>(&format!("\"{raw}\""))
                            .unwrap_or_else(|_| raw.to_string()),
                    );
                }
                i = j;
            }
            _ => {}
        }
        i += 1;
    }
    let mut out = String::from("$");
    for f in &stack {
        match f {
            Frame::Array { index } => out.push_str(&format!("[{index}]")),
            Frame::Object { key: Some(k), .. } => {
                let plain = !k.is_empty()
                    && k.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
                    && !k.as_bytes()[0].is_ascii_digit();
                if plain {
                    out.push('.');
                    out.push_str(k);
                } else {
                    out.push_str(&format!("[{}]", serde_json::Value::String(k.clone())));
                }
            }
            Frame::Object { key: None, .. } => {}
        }
    }
    out
}

fn invalid_help() -> String {
    "the file does not follow terraform's state format version 4; was it edited by hand? \
     `terraform state pull > terraform.tfstate` writes the state as terraform reads it"
        .to_string()
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The byte offset of serde_json's 1-based line and column (columns count bytes).
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let mut start = 0;
    for _ in 1..line {
        start += text[start..].find('\n')? + 1;
    }
    let mut at = (start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    Some(at)
}

// ---- wire format ---------------------------------------------------------------------------

/// Enough of any JSON object to tell what it is; `IgnoredAny` still checks the whole document
/// is well-formed JSON, so syntax errors surface here with their position.
#[derive(Deserialize)]
struct Sniff {
    #[serde(default)]
    version: Option<serde_json::Value>,
    #[serde(default)]
    terraform_version: Option<serde_json::Value>,
    /// `terraform show -json` and plan JSON have this instead of `version`.
    #[serde(default)]
    format_version: Option<serde_json::Value>,
    /// The v1-v3 layout.
    #[serde(default)]
    modules: Option<serde::de::IgnoredAny>,
    /// An encrypted OpenTofu state.
    #[serde(default)]
    encrypted_data: Option<serde::de::IgnoredAny>,
}

/// Go's encoding/json leaves a field at its zero value for `null`; so do we.
fn null_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize)]
struct StateV4 {
    #[serde(default, deserialize_with = "null_default")]
    terraform_version: String,
    #[serde(default, deserialize_with = "null_default")]
    serial: u64,
    #[serde(default, deserialize_with = "null_default")]
    lineage: String,
    #[serde(default, deserialize_with = "null_default")]
    resources: Vec<ResourceV4>,
}

#[derive(Deserialize)]
struct ResourceV4 {
    #[serde(default)]
    module: Option<String>,
    mode: String,
    #[serde(rename = "type")]
    type_: String,
    name: String,
    #[serde(default, deserialize_with = "null_default")]
    provider: String,
    #[serde(default, deserialize_with = "null_default")]
    instances: Vec<InstanceV4>,
}

#[derive(Deserialize)]
struct InstanceV4 {
    #[serde(default)]
    index_key: Option<serde_json::Value>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    deposed: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    schema_version: u64,
    #[serde(default)]
    attributes: Option<serde_json::Value>,
    #[serde(default)]
    attributes_flat: Option<BTreeMap<String, String>>,
    #[serde(default)]
    sensitive_attributes: Option<serde_json::Value>,
}

// ---- values --------------------------------------------------------------------------------

fn convert_value(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        // Without serde_json's arbitrary_precision every number has an f64 form.
        serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(a) => Value::List(a.into_iter().map(convert_value).collect()),
        serde_json::Value::Object(o) => {
            Value::Map(o.into_iter().map(|(k, v)| (k, convert_value(v))).collect())
        }
    }
}

/// Rebuilds a value tree from terraform's legacy "flatmap" (`tags.%`, `tags.Name`,
/// `ingress.#`, `ingress.1234.from_port`). Without the provider's schema every leaf stays a
/// string; lists (`#`) keep their elements in index order (sets use hashes as indexes).
fn expand_flatmap(flat: &BTreeMap<String, String>) -> Attributes {
    let tops: BTreeSet<&str> = flat
        .keys()
        .map(|k| k.split_once('.').map_or(k.as_str(), |(head, _)| head))
        .collect();
    tops.into_iter()
        .map(|name| (name.to_string(), expand_flat_at(flat, name, 0)))
        .collect()
}

/// The keys under `under` (`tags.`), with `under` cut off, and their values.
fn flat_children<'a>(
    flat: &'a BTreeMap<String, String>,
    under: &'a str,
) -> impl Iterator<Item = (&'a str, &'a String)> + 'a {
    use std::ops::Bound;
    flat.range::<str, _>((Bound::Included(under), Bound::Unbounded))
        .take_while(move |(k, _)| k.starts_with(under))
        .map(move |(k, v)| (&k[under.len()..], v))
}

fn expand_flat_at(flat: &BTreeMap<String, String>, prefix: &str, depth: usize) -> Value {
    let under = format!("{prefix}.");
    let children = || flat_children(flat, &under);
    // Flatmap nests as deep as the schema; anything deeper than this is not terraform's.
    if depth > 64 {
        return flat.get(prefix).cloned().map_or(Value::Null, Value::String);
    }
    if flat.contains_key(&format!("{prefix}.#")) {
        let mut segments: Vec<&str> = children()
            .map(|(rest, _)| rest.split_once('.').map_or(rest, |(head, _)| head))
            .filter(|s| *s != "#")
            .collect();
        segments.sort_by_key(|s| (s.parse::<u64>().unwrap_or(u64::MAX), s.to_string()));
        segments.dedup();
        return Value::List(
            segments
                .into_iter()
                .map(|s| expand_flat_at(flat, &format!("{prefix}.{s}"), depth + 1))
                .collect(),
        );
    }
    if flat.contains_key(&format!("{prefix}.%")) {
        let mut map = BTreeMap::new();
        for (rest, v) in children() {
            if rest == "%" {
                continue;
            }
            let head = rest.split_once('.').map_or(rest, |(head, _)| head);
            let nested = head != rest
                && (flat.contains_key(&format!("{prefix}.{head}.#"))
                    || flat.contains_key(&format!("{prefix}.{head}.%")));
            if nested {
                map.entry(head.to_string()).or_insert_with(|| {
                    expand_flat_at(flat, &format!("{prefix}.{head}"), depth + 1)
                });
            } else {
                // Map keys may contain dots: the rest of the key is the map key.
                map.insert(rest.to_string(), Value::String(v.clone()));
            }
        }
        return Value::Map(map);
    }
    if let Some(v) = flat.get(prefix) {
        return Value::String(v.clone());
    }
    // A nested block element (`ingress.1234.from_port`): an object of its fields.
    let heads: BTreeSet<&str> = children()
        .map(|(rest, _)| rest.split_once('.').map_or(rest, |(head, _)| head))
        .collect();
    Value::Map(
        heads
            .into_iter()
            .map(|h| {
                (
                    h.to_string(),
                    expand_flat_at(flat, &format!("{prefix}.{h}"), depth + 1),
                )
            })
            .collect(),
    )
}

// ---- sensitive attributes ------------------------------------------------------------------

/// One step of a sensitive path, as terraform serializes a `cty.Path`.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// `{"type":"get_attr","value":"tags"}`: an object attribute.
    Attr(String),
    /// `{"type":"index","value":{"value":"k","type":"string"}}`: a map key.
    Key(String),
    /// `{"type":"index","value":{"value":1,"type":"number"}}`: a list index.
    Index(f64),
    /// Anything else: a set element (indexed by its whole value), or a step type a newer
    /// terraform writes. We cannot follow it, so what it leads into is hidden whole.
    Opaque,
}

/// A path of steps; `None` means "could not be read at all".
type SensitivePath = Option<Vec<Step>>;

/// Wraps every value that `sensitive_attributes` names in [`Value::Sensitive`].
///
/// Terraform >= 0.15 writes a list of paths, each a list of steps. We also accept the shapes
/// other writers and older tools have produced, because the rule is to hide more, never less:
/// a single step instead of a path, a bare attribute name (`"password"`, `"tags.secret"`), and
/// a mask tree like `terraform show -json`'s `sensitive_values` (`{"password": true}`). A path
/// that cannot be followed hides the value where it stops; a path that cannot be read at all
/// hides every attribute but `id` (the identity reconciliation needs; the AWS provider never
/// marks it sensitive). `null` values are left alone: there is nothing to hide in them.
fn mark_sensitive(attrs: &mut Attributes, spec: &serde_json::Value) {
    let mut paths: Vec<SensitivePath> = Vec::new();
    collect_paths(spec, &mut paths);
    for path in paths {
        match path {
            Some(steps) => mark_path(attrs, &steps),
            None => mark_all_but_id(attrs),
        }
    }
}

fn collect_paths(spec: &serde_json::Value, out: &mut Vec<SensitivePath>) {
    use serde_json::Value as J;
    match spec {
        J::Null => {}
        J::Array(items) => {
            for item in items {
                match item {
                    J::Array(steps) if !steps.is_empty() => {
                        out.push(Some(steps.iter().map(parse_step).collect()));
                    }
                    J::Object(o) if o.contains_key("type") => {
                        out.push(Some(vec![parse_step(item)]))
                    }
                    J::String(s) => out.push(Some(dotted_path(s))),
                    _ => out.push(None),
                }
            }
        }
        J::Object(_) => mask_tree(spec, &mut Vec::new(), out),
        _ => out.push(None),
    }
}

/// `tags.secret` -> attribute `tags`, key `secret` (a flatmap-style name).
fn dotted_path(s: &str) -> Vec<Step> {
    let mut parts = s.split('.');
    let mut steps = vec![Step::Attr(parts.next().unwrap_or_default().to_string())];
    steps.extend(parts.map(|p| match p.parse::<u64>() {
        Ok(i) => Step::Index(i as f64),
        Err(_) => Step::Key(p.to_string()),
    }));
    steps
}

/// `{"tags": {"secret": true}, "list": [false, true]}`: every `true` names a sensitive value.
fn mask_tree(node: &serde_json::Value, prefix: &mut Vec<Step>, out: &mut Vec<SensitivePath>) {
    use serde_json::Value as J;
    match node {
        J::Bool(true) if prefix.is_empty() => out.push(None),
        J::Bool(true) => out.push(Some(prefix.clone())),
        J::Object(o) => {
            for (k, v) in o {
                prefix.push(if prefix.is_empty() {
                    Step::Attr(k.clone())
                } else {
                    Step::Key(k.clone())
                });
                mask_tree(v, prefix, out);
                prefix.pop();
            }
        }
        J::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                prefix.push(Step::Index(i as f64));
                mask_tree(v, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn parse_step(step: &serde_json::Value) -> Step {
    use serde_json::Value as J;
    let J::Object(o) = step else {
        return Step::Opaque;
    };
    match (o.get("type").and_then(J::as_str), o.get("value")) {
        (Some("get_attr"), Some(J::String(name))) => Step::Attr(name.clone()),
        (Some("index"), Some(key)) => {
            // The key is a cty value serialized with its type: {"value": ..., "type": ...};
            // tolerate a bare value too.
            let key = match key {
                J::Object(k) if k.contains_key("value") => &k["value"],
                other => other,
            };
            match key {
                J::String(s) => Step::Key(s.clone()),
                J::Number(n) => n.as_f64().map_or(Step::Opaque, Step::Index),
                _ => Step::Opaque,
            }
        }
        _ => Step::Opaque,
    }
}

fn mark_path(attrs: &mut Attributes, steps: &[Step]) {
    match steps.first() {
        Some(Step::Attr(name) | Step::Key(name)) => {
            if let Some(v) = attrs.get_mut(name) {
                mark_value(v, &steps[1..]);
            }
        }
        _ => mark_all_but_id(attrs),
    }
}

fn mark_value(v: &mut Value, rest: &[Step]) {
    if matches!(v, Value::Sensitive(_) | Value::Null) {
        return;
    }
    let Some(step) = rest.first() else {
        hide(v);
        return;
    };
    // An attribute of dynamic type (`terraform_data.input`, some framework-based resources)
    // is stored as `{"value": ..., "type": ...}`; the path steps through the value inside.
    if let Value::Map(m) = v {
        let steps_over = match step {
            Step::Attr(k) | Step::Key(k) => !m.contains_key(k),
            _ => true,
        };
        if steps_over
            && m.len() == 2
            && m.contains_key("type")
            && let Some(inner) = m.get_mut("value")
        {
            mark_value(inner, rest);
            return;
        }
    }
    let child = match v {
        Value::Map(m) => match step {
            Step::Attr(k) | Step::Key(k) => Some(m.get_mut(k)),
            Step::Index(n) => Some(m.get_mut(&format_number(*n))),
            Step::Opaque => None,
        },
        Value::List(l) => match step {
            Step::Index(n) if n.fract() == 0.0 && *n >= 0.0 => Some(l.get_mut(*n as usize)),
            _ => None,
        },
        _ => None,
    };
    match child {
        Some(Some(child)) => mark_value(child, &rest[1..]),
        // The path does not fit the value (terraform records paths of values that exist, so
        // a missing key or index means a shape we do not know), or we cannot follow the
        // step: hide all of it.
        Some(None) | None => hide(v),
    }
}

fn hide(v: &mut Value) {
    if !v.is_null() {
        *v = Value::sensitive(std::mem::replace(v, Value::Null));
    }
}

fn mark_all_but_id(attrs: &mut Attributes) {
    for (k, v) in attrs.iter_mut() {
        if k != "id" {
            hide(v);
        }
    }
}

// ---- addresses -----------------------------------------------------------------------------

/// Parses a module instance address as terraform writes it in a state:
/// `module.a["x"].module.b[0]`.
fn parse_module_path(s: &str) -> std::result::Result<Vec<ModuleStep>, String> {
    let mut steps = Vec::new();
    let mut rest = s;
    loop {
        rest = rest
            .strip_prefix("module.")
            .ok_or_else(|| format!("expected `module.` at `{rest}`"))?;
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        if end == 0 {
            return Err("a module name is empty".into());
        }
        let name = rest[..end].to_string();
        rest = &rest[end..];
        let key = if let Some(after) = rest.strip_prefix('[') {
            let (key, after) = parse_key(after)?;
            rest = after
                .strip_prefix(']')
                .ok_or_else(|| format!("expected `]` at `{after}`"))?;
            Some(key)
        } else {
            None
        };
        steps.push(ModuleStep { name, key });
        if rest.is_empty() {
            return Ok(steps);
        }
        rest = rest
            .strip_prefix('.')
            .ok_or_else(|| format!("expected `.` at `{rest}`"))?;
    }
}

/// An instance key inside `[...]`: a whole number or an HCL quoted string.
fn parse_key(s: &str) -> std::result::Result<(InstanceKey, &str), String> {
    if let Some(body) = s.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return Ok((InstanceKey::Str(out), &body[i + 1..])),
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 'r')) => out.push('\r'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, '"')) => out.push('"'),
                    Some((_, '\\')) => out.push('\\'),
                    Some((_, u @ ('u' | 'U'))) => {
                        let n = if u == 'u' { 4 } else { 8 };
                        let hex: String = chars.by_ref().take(n).map(|(_, c)| c).collect();
                        let c = u32::from_str_radix(&hex, 16)
                            .ok()
                            .filter(|_| hex.len() == n)
                            .and_then(char::from_u32)
                            .ok_or_else(|| format!("invalid escape `\\{u}{hex}`"))?;
                        out.push(c);
                    }
                    other => {
                        return Err(format!(
                            "invalid escape `\\{}`",
                            other.map(|(_, c)| c).unwrap_or(' ')
                        ));
                    }
                },
                // HCL doubles the template introducers to write them literally.
                '$' | '%' if body[i + 1..].starts_with(&format!("{c}{{")) => {
                    out.push(c);
                    out.push('{');
                    chars.next();
                    chars.next();
                }
                c => out.push(c),
            }
        }
        Err("an instance key string is not closed".into())
    } else {
        let end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '-'))
            .unwrap_or(s.len());
        let n = s[..end]
            .parse::<i64>()
            .map_err(|_| format!("expected a number or a quoted string at `{s}`"))?;
        Ok((InstanceKey::Int(n), &s[end..]))
    }
}

// ---- locating values in the text (for spans) -----------------------------------------------

/// One step into a JSON document.
#[derive(Debug, Clone, Copy)]
enum Loc<'a> {
    Key(&'a str),
    Index(usize),
}

/// The byte range of the value at `path` in `text`, which must be valid JSON (serde_json has
/// parsed it already). `None` when the path is not there.
fn locate(text: &str, path: &[Loc<'_>]) -> Option<std::ops::Range<usize>> {
    let mut s = Scan {
        b: text.as_bytes(),
        i: 0,
    };
    s.ws();
    for step in path {
        match *step {
            Loc::Key(want) => {
                s.eat(b'{')?;
                loop {
                    s.ws();
                    let key = s.string()?;
                    s.ws();
                    s.eat(b':')?;
                    s.ws();
                    if key_is(&text[key], want) {
                        break;
                    }
                    s.value()?;
                    s.ws();
                    s.eat(b',')?;
                }
            }
            Loc::Index(want) => {
                s.eat(b'[')?;
                for _ in 0..want {
                    s.ws();
                    s.value()?;
                    s.ws();
                    s.eat(b',')?;
                }
                s.ws();
            }
        }
    }
    let start = s.i;
    s.value()?;
    Some(start..s.i)
}

/// The byte range of the top-level key `want` (with its quotes).
fn locate_key(text: &str, want: &str) -> Option<std::ops::Range<usize>> {
    let mut s = Scan {
        b: text.as_bytes(),
        i: 0,
    };
    s.ws();
    s.eat(b'{')?;
    loop {
        s.ws();
        let key = s.string()?;
        if key_is(&text[key.clone()], want) {
            return Some(key);
        }
        s.ws();
        s.eat(b':')?;
        s.ws();
        s.value()?;
        s.ws();
        s.eat(b',')?;
    }
}

/// Whether the quoted JSON string `raw` decodes to `want`.
fn key_is(raw: &str, want: &str) -> bool {
    if raw.contains('\\') {
        serde_json::from_str::<String>(raw).is_ok_and(|k| k == want)
    } else {
        raw.len() == want.len() + 2 && &raw[1..raw.len() - 1] == want
    }
}

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scan<'_> {
    fn ws(&mut self) {
        while self.b.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    /// A string, quotes included.
    fn string(&mut self) -> Option<std::ops::Range<usize>> {
        let start = self.i;
        self.eat(b'"')?;
        loop {
            match self.b.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some(start..self.i);
                }
                b'\\' => self.i += 2,
                _ => self.i += 1,
            }
        }
    }

    /// Skips one value (iteratively: nesting depth does not grow the stack).
    fn value(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            self.ws();
            match self.b.get(self.i)? {
                b'"' => {
                    self.string()?;
                }
                b'{' | b'[' => {
                    depth += 1;
                    self.i += 1;
                }
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    self.i += 1;
                }
                b',' | b':' if depth > 0 => self.i += 1,
                _ => {
                    let start = self.i;
                    while self.b.get(self.i).is_some_and(|c| {
                        !matches!(c, b',' | b'}' | b']' | b':') && !c.is_ascii_whitespace()
                    }) {
                        self.i += 1;
                    }
                    if self.i == start {
                        return None;
                    }
                }
            }
            if depth == 0 {
                return Some(());
            }
        }
    }
}

#[cfg(test)]
mod tests;
