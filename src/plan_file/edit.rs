//! Edits of the terraform configuration's text, pure: **accept** sets attributes of one
//! resource block to the cloud's values, **import** appends generated blocks. The planner runs
//! them to show the unified diff and the resulting file's SHA-256; `apply` runs them again on
//! the file it finds (which must hash as planned) and writes the result, so both produce the
//! same bytes.
//!
//! The file is parsed with `hcl-edit`, and only the bytes of the value being changed are
//! replaced (or one line inserted or removed), so comments, alignment and everything else
//! in the file stay as the user wrote them. A value the configuration computes (a variable,
//! a local, a function call, a template) is never overwritten: [`Refused`] names the line a
//! person must change instead.
//!
//! Two forms are rewritten whole, in the form the user chose:
//! - **nested blocks** (`ingress { ... }` on a security group, any list of objects written as
//!   blocks): the blocks of that name are replaced by one block per observed object, where
//!   the first of them was; blocks whose values are all literals only (a `dynamic` block, or a
//!   reference inside one, is left to a person);
//! - **a JSON document** written as `jsonencode({...})` of literals, or as a heredoc with no
//!   interpolation: the same form with the observed document (`jsonencode` of the HCL object,
//!   or the heredoc with the document as indented JSON). The provider compares documents by
//!   meaning, so `terraform plan` then shows no change.

use std::ops::Range;

use hcl::edit::Span;
use hcl::edit::expr::{Expression, Object, ObjectKey};
use hcl::edit::structure::{Attribute, Block, Body};
use sha2::{Digest, Sha256};

use crate::model::plan::ConfigEdit;
use crate::model::{Path, Segment, Value};

/// Why an edit cannot be made by driftgate: the line a person must change, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub line: usize,
    pub reason: String,
}

fn refused(line: usize, reason: impl Into<String>) -> Refused {
    Refused {
        line,
        reason: reason.into(),
    }
}

/// Hex SHA-256 of a file's bytes.
pub fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Carries out `edit` on a file's content (`None`: the file does not exist).
pub fn apply(content: Option<&str>, edit: &ConfigEdit) -> Result<String, Refused> {
    match edit {
        ConfigEdit::Set {
            resource_type,
            name,
            values,
        } => {
            let src = content.ok_or_else(|| refused(1, "the file does not exist"))?;
            let mut out = src.to_string();
            for (path, value) in values {
                out = set(&out, resource_type, name, path, value.as_ref())?;
            }
            Ok(out)
        }
        ConfigEdit::Append { text } => Ok(match content {
            None | Some("") => text.clone(),
            Some(c) if c.ends_with("\n\n") => format!("{c}{text}"),
            Some(c) if c.ends_with('\n') => format!("{c}\n{text}"),
            Some(c) => format!("{c}\n\n{text}"),
        }),
    }
}

/// The unified diff of one file, two lines of context, as `git diff` shows it.
pub fn unified_diff(file: &str, before: Option<&str>, after: &str) -> String {
    let old = before.unwrap_or("");
    let d = similar::TextDiff::from_lines(old, after);
    let from = if before.is_some() {
        format!("a/{file}")
    } else {
        "/dev/null".to_string()
    };
    d.unified_diff()
        .context_radius(2)
        .header(&from, &format!("b/{file}"))
        .to_string()
}

/// An HCL literal for a value: `None` when the value has no literal form (a secret, an
/// unknown).
pub fn literal(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::List(items) => {
            let parts: Option<Vec<String>> = items.iter().map(literal).collect();
            format!("[{}]", parts?.join(", "))
        }
        Value::Map(m) if m.is_empty() => "{}".into(),
        Value::Map(m) => {
            let parts: Option<Vec<String>> = m
                .iter()
                .map(|(k, v)| Some(format!("{} = {}", key(k), literal(v)?)))
                .collect();
            format!("{{ {} }}", parts?.join(", "))
        }
        Value::Sensitive(_) | Value::Unknown => return None,
    })
}

/// A quoted HCL string: `"`, `\` and control characters escaped, and `${` / `%{` doubled so
/// that nothing in the value is read as a template.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An object key: bare when it is an identifier, quoted otherwise.
pub fn key(k: &str) -> String {
    let mut chars = k.chars();
    let ident = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ident { k.to_string() } else { quote(k) }
}

fn line_of(src: &str, pos: usize) -> usize {
    src[..pos.min(src.len())].matches('\n').count() + 1
}

fn line_start(src: &str, pos: usize) -> usize {
    src[..pos].rfind('\n').map_or(0, |i| i + 1)
}

/// The end of the line holding `pos`, past its newline.
fn line_end(src: &str, pos: usize) -> usize {
    src[pos..].find('\n').map_or(src.len(), |i| pos + i + 1)
}

fn indent_at(src: &str, pos: usize) -> String {
    let start = line_start(src, pos);
    src[start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

fn span(s: Option<Range<usize>>) -> Result<Range<usize>, Refused> {
    s.ok_or_else(|| refused(1, "the parser gave no position"))
}

/// Whether an expression is a literal driftgate may overwrite: a plain string (no template),
/// a number, a bool, null, or a list or object of those.
fn is_literal(e: &Expression) -> bool {
    match e {
        Expression::Null(_)
        | Expression::Bool(_)
        | Expression::Number(_)
        | Expression::String(_) => true,
        Expression::Array(a) => a.iter().all(is_literal),
        Expression::Object(o) => o
            .iter()
            .all(|(k, v)| is_literal_key(k) && is_literal(v.expr())),
        _ => false,
    }
}

fn is_literal_key(k: &ObjectKey) -> bool {
    match k {
        ObjectKey::Ident(_) => true,
        ObjectKey::Expression(Expression::String(_)) => true,
        ObjectKey::Expression(_) => false,
    }
}

fn key_text(k: &ObjectKey) -> Option<String> {
    match k {
        ObjectKey::Ident(i) => Some(i.as_str().to_string()),
        ObjectKey::Expression(Expression::String(s)) => Some(s.as_str().to_string()),
        ObjectKey::Expression(_) => None,
    }
}

fn what(e: &Expression) -> &'static str {
    match e {
        Expression::Variable(_) | Expression::Traversal(_) => "a reference",
        Expression::FuncCall(_) => "a function call",
        Expression::StringTemplate(_) | Expression::HeredocTemplate(_) => "a template",
        Expression::Conditional(_) => "a conditional",
        Expression::ForExpr(_) => "a for expression",
        _ => "an expression",
    }
}

/// The top-level `resource "TYPE" "NAME"` block.
fn find_block<'b>(body: &'b Body, ty: &str, name: &str) -> Option<&'b Block> {
    body.blocks().find(|b| {
        b.ident.as_str() == "resource"
            && b.labels.len() == 2
            && b.labels[0].as_str() == ty
            && b.labels[1].as_str() == name
    })
}

fn find_attr<'b>(block: &'b Block, key: &str) -> Option<&'b Attribute> {
    block.body.attributes().find(|a| a.key.as_str() == key)
}

/// Where a new line goes before the closing brace of a block or object spanning `r`, and the
/// indentation of its items (`first_item` is where an existing item starts).
fn insertion(src: &str, r: &Range<usize>, first_item: Option<usize>) -> (usize, String) {
    let close = src[..r.end].rfind('}').unwrap_or(r.end);
    let at = line_start(src, close);
    let indent = match first_item {
        Some(p) => indent_at(src, p),
        None => format!("{}  ", indent_at(src, r.start)),
    };
    (at, indent)
}

fn splice(src: &str, r: Range<usize>, with: &str) -> String {
    format!("{}{}{}", &src[..r.start], with, &src[r.end..])
}

/// Sets (or with `None` removes) one attribute path of one resource block.
fn set(
    src: &str,
    ty: &str,
    name: &str,
    path: &Path,
    value: Option<&Value>,
) -> Result<String, Refused> {
    let body = hcl::edit::parser::parse_body(src)
        .map_err(|e| refused(1, format!("the file does not parse: {}", e.message())))?;
    let block = find_block(&body, ty, name)
        .ok_or_else(|| refused(1, format!("no block `resource \"{ty}\" \"{name}\"`")))?;
    let brange = span(block.span())?;
    let bline = line_of(src, brange.start);
    let new = match value {
        Some(v) => Some(literal(v).ok_or_else(|| {
            refused(
                bline,
                format!(
                    "the cloud's value of `{path}` is a secret: set it through a sensitive variable"
                ),
            )
        })?),
        None => None,
    };
    let (attr_name, map_key) = match path.0.as_slice() {
        [Segment::Key(a)] => (a.as_str(), None),
        [Segment::Key(a), Segment::Key(k)] => (a.as_str(), Some(k.as_str())),
        _ => {
            return Err(refused(
                bline,
                format!("`{path}` lies inside a nested value: change it by hand"),
            ));
        }
    };
    let objects = match value {
        Some(Value::List(items)) if items.iter().all(|i| matches!(i, Value::Map(_))) => {
            Some(items.as_slice())
        }
        _ => None,
    };
    let written_as_blocks = block.body.get_blocks(attr_name).next().is_some()
        || block
            .body
            .get_blocks("dynamic")
            .any(|b| b.labels.first().map(|l| l.as_str()) == Some(attr_name));
    let attr_absent = find_attr(block, attr_name).is_none();
    if written_as_blocks
        || (map_key.is_none() && attr_absent && objects.is_some_and(|o| !o.is_empty()))
    {
        // Written as nested blocks (or objects to add where nothing is written yet: blocks,
        // as the provider's block types are written).
        match (map_key, objects) {
            (None, Some(items)) if attr_absent => {
                return set_blocks(src, block, &brange, attr_name, items);
            }
            _ => {
                return Err(refused(
                    bline,
                    format!("`{attr_name}` is written as nested blocks: change it by hand"),
                ));
            }
        }
    }
    match (find_attr(block, attr_name), map_key) {
        (None, _) => Ok(add_attribute(src, block, &brange, attr_name, map_key, new)),
        (Some(attr), None) => replace_attribute(src, attr, attr_name, value, new),
        (Some(attr), Some(k)) => replace_map_key(src, attr, attr_name, k, new),
    }
}

/// Adds the absent attribute `attr_name` (or `attr_name = { key = ... }`) to the block, first
/// among its attributes; nothing when there is nothing to set.
fn add_attribute(
    src: &str,
    block: &Block,
    brange: &Range<usize>,
    attr_name: &str,
    map_key: Option<&str>,
    new: Option<String>,
) -> String {
    let Some(new) = new else {
        return src.to_string();
    };
    let first_attr = block
        .body
        .attributes()
        .next()
        .and_then(|a| a.span())
        .map(|r| r.start);
    let (at, indent) = insertion(src, brange, first_attr);
    let line = match map_key {
        None => format!("{indent}{attr_name} = {new}\n"),
        Some(k) => format!("{indent}{attr_name} = {{ {} = {new} }}\n", key(k)),
    };
    splice(src, at..at, &line)
}

/// Replaces a whole attribute's literal value (a JSON document in the form it is written in:
/// `jsonencode`, a heredoc, a string), or removes its line when `new` is `None`.
fn replace_attribute(
    src: &str,
    attr: &Attribute,
    attr_name: &str,
    value: Option<&Value>,
    new: Option<String>,
) -> Result<String, Refused> {
    let arange = span(attr.span())?;
    let aline = line_of(src, arange.start);
    let expr = &attr.value;
    if let (Some(Value::String(text)), Some(form)) = (value, document_form(src, expr)) {
        let form = form.map_err(|why| refused(aline, format!("`{attr_name}` is {why}")))?;
        if let Ok(doc) = serde_json::from_str::<serde_json::Value>(text)
            && (doc.is_object() || doc.is_array())
        {
            let indent = indent_at(src, arange.start);
            return Ok(splice(src, span(expr.span())?, &form.write(&doc, &indent)));
        }
    }
    if !is_literal(expr) {
        return Err(refused(
            aline,
            format!("`{attr_name}` is {}: change it by hand", what(expr)),
        ));
    }
    Ok(match new {
        Some(new) => splice(src, span(expr.span())?, &new),
        None => {
            let start = line_start(src, arange.start);
            splice(src, start..line_end(src, arange.end.saturating_sub(1)), "")
        }
    })
}

/// Sets (or removes) the key `k` of an attribute written as a literal object; the object's
/// other keys are kept as written.
fn replace_map_key(
    src: &str,
    attr: &Attribute,
    attr_name: &str,
    k: &str,
    new: Option<String>,
) -> Result<String, Refused> {
    let arange = span(attr.span())?;
    let aline = line_of(src, arange.start);
    let expr = &attr.value;
    let Expression::Object(obj) = expr else {
        return Err(refused(
            aline,
            format!("`{attr_name}` is {}: change it by hand", what(expr)),
        ));
    };
    if !obj.iter().all(|(key, _)| is_literal_key(key)) {
        return Err(refused(
            aline,
            format!("`{attr_name}` has computed keys: change it by hand"),
        ));
    }
    // Only the edited key's value must be a literal; the others are kept as written.
    if let Some((_, v)) = obj
        .iter()
        .find(|(key, _)| key_text(key).as_deref() == Some(k))
        && !is_literal(v.expr())
    {
        let line = v.expr().span().map_or(aline, |r| line_of(src, r.start));
        return Err(refused(
            line,
            format!("`{attr_name}.{k}` is {}: change it by hand", what(v.expr())),
        ));
    }
    edit_object(src, obj, span(expr.span())?, k, new)
}

/// Replaces the nested blocks `name` of `block` by one block per object of `items`, where the
/// first of them is (or, when there is none, before the block's closing brace). An empty
/// `items` is written `name = []`: no blocks at all would leave the rules unmanaged.
fn set_blocks(
    src: &str,
    block: &Block,
    brange: &Range<usize>,
    name: &str,
    items: &[Value],
) -> Result<String, Refused> {
    if let Some(d) = block
        .body
        .get_blocks("dynamic")
        .find(|b| b.labels.first().map(|l| l.as_str()) == Some(name))
    {
        let line = d.span().map_or(1, |r| line_of(src, r.start));
        return Err(refused(
            line,
            format!("`{name}` is a dynamic block: change the values that generate it by hand"),
        ));
    }
    let existing: Vec<&Block> = block.body.get_blocks(name).collect();
    for b in &existing {
        let line = b.span().map_or(1, |r| line_of(src, r.start));
        if b.body.blocks().next().is_some() {
            return Err(refused(
                line,
                format!("a `{name}` block holds blocks of its own: change it by hand"),
            ));
        }
        if let Some(a) = b.body.attributes().find(|a| !is_literal(&a.value)) {
            let line = a.span().map_or(line, |r| line_of(src, r.start));
            return Err(refused(
                line,
                format!(
                    "`{name}.{}` is {}: change it by hand",
                    a.key.as_str(),
                    what(&a.value)
                ),
            ));
        }
    }
    let ranges: Vec<Range<usize>> = existing
        .iter()
        .map(|b| span(b.span()))
        .collect::<Result<_, _>>()?;
    let (at, indent) = match ranges.first() {
        Some(r) => (line_start(src, r.start), indent_at(src, r.start)),
        None => {
            let first = block
                .body
                .iter()
                .next()
                .and_then(|s| s.span())
                .map(|r| r.start);
            insertion(src, brange, first)
        }
    };
    let mut text = String::new();
    if items.is_empty() {
        text = format!("{indent}{name} = []\n");
    }
    for item in items {
        let Value::Map(m) = item else {
            return Err(refused(
                line_of(src, at),
                format!("`{name}` holds a non-object"),
            ));
        };
        let mut lines = Vec::new();
        for (k, v) in m {
            if matches!(v, Value::Null)
                || matches!(v, Value::String(s) if s.is_empty())
                || matches!(v, Value::List(l) if l.is_empty())
                || matches!(v, Value::Map(x) if x.is_empty())
            {
                continue;
            }
            let l = literal(v).ok_or_else(|| {
                refused(
                    line_of(src, at),
                    format!("the cloud's value of `{name}.{k}` is a secret: set it through a sensitive variable"),
                )
            })?;
            lines.push((key(k), l));
        }
        text.push_str(&format!("{indent}{name} {{\n"));
        text.push_str(&aligned(&lines, &format!("{indent}  ")));
        text.push_str(&format!("{indent}}}\n"));
    }
    // From the last range to the first, so the earlier offsets stay valid.
    let mut out = src.to_string();
    for (i, r) in ranges.iter().enumerate().rev() {
        let whole = line_start(src, r.start)..line_end(src, r.end.saturating_sub(1));
        out = splice(&out, whole, if i == 0 { &text } else { "" });
    }
    if ranges.is_empty() {
        out = splice(&out, at..at, &text);
    }
    Ok(out)
}

/// `key = value` lines with the `=` signs of each run of one-line items aligned, as
/// `terraform fmt` writes them (an item whose value spans lines is not aligned, and ends the
/// run).
fn aligned(items: &[(String, String)], indent: &str) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < items.len() {
        if items[i].1.contains('\n') {
            out.push_str(&format!("{indent}{} = {}\n", items[i].0, items[i].1));
            i += 1;
            continue;
        }
        let end = (i..items.len())
            .find(|j| items[*j].1.contains('\n'))
            .unwrap_or(items.len());
        let width = items[i..end]
            .iter()
            .map(|(k, _)| k.len())
            .max()
            .unwrap_or(0);
        for (k, v) in &items[i..end] {
            out.push_str(&format!("{indent}{k:<width$} = {v}\n"));
        }
        i = end;
    }
    out
}

/// How a JSON document is written in the configuration, when driftgate may rewrite it.
enum DocumentForm {
    /// `jsonencode({...})` of literals.
    JsonEncode,
    /// A heredoc with no interpolation: `<<EOT` or `<<-EOT` (`indented`), and its delimiter.
    Heredoc { indented: bool, delimiter: String },
}

/// The document form of `e`: `None` when it is neither, `Some(Err(why))` when it is one that
/// computes something (a reference inside `jsonencode`, an interpolation in the heredoc).
fn document_form(src: &str, e: &Expression) -> Option<Result<DocumentForm, String>> {
    match e {
        Expression::FuncCall(f)
            if f.name.namespace.is_empty() && f.name.name.as_str() == "jsonencode" =>
        {
            let arg = f.args.iter().next();
            Some(match arg {
                Some(a) if f.args.iter().count() == 1 && is_literal(a) => {
                    Ok(DocumentForm::JsonEncode)
                }
                Some(a) => Err(format!("jsonencode() of {}: change it by hand", what(a))),
                None => Err("jsonencode() of nothing: change it by hand".into()),
            })
        }
        Expression::HeredocTemplate(h) => {
            let literal = h
                .template
                .iter()
                .all(|el| matches!(el, hcl::edit::template::Element::Literal(_)));
            if !literal {
                return Some(Err(
                    "a heredoc with interpolations: change it by hand".into()
                ));
            }
            let start = e.span()?.start;
            Some(Ok(DocumentForm::Heredoc {
                indented: src[start..].starts_with("<<-"),
                delimiter: h.delimiter.as_str().to_string(),
            }))
        }
        _ => None,
    }
}

impl DocumentForm {
    /// The expression's new text for `doc`, the attribute being at `indent`.
    fn write(&self, doc: &serde_json::Value, indent: &str) -> String {
        match self {
            DocumentForm::JsonEncode => format!("jsonencode({})", hcl_of_json(doc, indent)),
            DocumentForm::Heredoc {
                indented,
                delimiter,
            } => {
                let json = serde_json::to_string_pretty(doc).unwrap_or_default();
                // Nothing in a heredoc may read as a template.
                let json = json.replace("${", "$${").replace("%{", "%%{");
                if *indented {
                    let body: Vec<String> =
                        json.lines().map(|l| format!("{indent}  {l}")).collect();
                    format!("<<-{delimiter}\n{}\n{indent}{delimiter}", body.join("\n"))
                } else {
                    format!("<<{delimiter}\n{json}\n{delimiter}")
                }
            }
        }
    }
}

/// A JSON value as an HCL expression, laid out as `terraform fmt` lays it out: objects one
/// item per line, lists of scalars on one line, lists of objects one element per line.
fn hcl_of_json(v: &serde_json::Value, indent: &str) -> String {
    use serde_json::Value as J;
    let inner = format!("{indent}  ");
    match v {
        J::Null => "null".into(),
        J::Bool(b) => b.to_string(),
        J::Number(n) => n.to_string(),
        J::String(s) => quote(s),
        J::Array(items) if items.is_empty() => "[]".into(),
        J::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            let parts: Vec<String> = items.iter().map(|i| hcl_of_json(i, indent)).collect();
            format!("[{}]", parts.join(", "))
        }
        J::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|i| format!("{inner}{},\n", hcl_of_json(i, &inner)))
                .collect();
            format!("[\n{}{indent}]", parts.concat())
        }
        J::Object(m) if m.is_empty() => "{}".into(),
        J::Object(m) => {
            let items: Vec<(String, String)> = m
                .iter()
                .map(|(k, x)| (key(k), hcl_of_json(x, &inner)))
                .collect();
            format!("{{\n{}{indent}}}", aligned(&items, &inner))
        }
    }
}

/// Sets or removes one key of a literal object, keeping its layout.
fn edit_object(
    src: &str,
    obj: &Object,
    orange: Range<usize>,
    k: &str,
    new: Option<String>,
) -> Result<String, Refused> {
    let multiline = src[orange.clone()].contains('\n');
    let found = obj
        .iter()
        .find(|(key, _)| key_text(key).as_deref() == Some(k));
    match (found, new) {
        (Some((_, v)), Some(text)) => Ok(splice(src, span(v.expr().span())?, &text)),
        (None, None) => Ok(src.to_string()),
        (Some((key, v)), None) if multiline => {
            let kstart = match key {
                ObjectKey::Ident(i) => span(i.span())?.start,
                ObjectKey::Expression(e) => span(e.span())?.start,
            };
            let vend = span(v.expr().span())?.end;
            let rest = &src[vend..line_end(src, vend)];
            if src[line_start(src, kstart)..kstart].trim().is_empty()
                && rest.trim_start_matches(',').trim().is_empty()
            {
                Ok(splice(
                    src,
                    line_start(src, kstart)..line_end(src, vend),
                    "",
                ))
            } else {
                Ok(splice(src, orange, &one_line(src, obj, k, None)?))
            }
        }
        (None, Some(new)) if multiline => {
            let first = obj.iter().next().and_then(|(key, _)| match key {
                ObjectKey::Ident(i) => i.span().map(|r| r.start),
                ObjectKey::Expression(e) => e.span().map(|r| r.start),
            });
            let (at, indent) = insertion(src, &orange, first);
            Ok(splice(
                src,
                at..at,
                &format!("{indent}{} = {new}\n", key(k)),
            ))
        }
        (_, new) => Ok(splice(src, orange, &one_line(src, obj, k, new)?)),
    }
}

/// A one-line object with `k` set to `new` (or removed), its other items as written.
fn one_line(src: &str, obj: &Object, k: &str, new: Option<String>) -> Result<String, Refused> {
    let mut items = Vec::new();
    let mut seen = false;
    for (key, v) in obj.iter() {
        let kt = key_text(key).unwrap_or_default();
        let ktext = match key {
            ObjectKey::Ident(i) => src[span(i.span())?].to_string(),
            ObjectKey::Expression(e) => src[span(e.span())?].to_string(),
        };
        if kt == k {
            seen = true;
            if let Some(n) = &new {
                items.push(format!("{ktext} = {n}"));
            }
        } else {
            items.push(format!("{ktext} = {}", &src[span(v.expr().span())?]));
        }
    }
    if !seen && let Some(n) = new {
        items.push(format!("{} = {n}", key(k)));
    }
    Ok(if items.is_empty() {
        "{}".into()
    } else {
        format!("{{ {} }}", items.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_one(src: &str, path: Path, v: Option<Value>) -> Result<String, Refused> {
        apply(
            Some(src),
            &ConfigEdit::Set {
                resource_type: "aws_vpc".into(),
                name: "main".into(),
                values: vec![(path, v)],
            },
        )
    }

    const VPC: &str = r#"# the network
resource "aws_vpc" "main" {
  cidr_block           = "10.0.0.0/16" # keep
  enable_dns_hostnames = true
  tags = {
    Name = "main"   # the name
    team = "core"
  }
}

resource "aws_vpc" "other" {
  cidr_block = var.cidr
  tags       = { Name = "other", team = "edge", secret = var.secret }
}
"#;

    #[test]
    fn a_scalar_is_replaced_in_place_keeping_comments_and_alignment() {
        let out = set_one(
            VPC,
            Path::root("enable_dns_hostnames"),
            Some(Value::Bool(false)),
        )
        .unwrap();
        assert_eq!(
            out,
            VPC.replace(
                "enable_dns_hostnames = true",
                "enable_dns_hostnames = false"
            )
        );
        let out = set_one(
            VPC,
            Path::root("cidr_block"),
            Some(Value::str("10.1.0.0/16")),
        )
        .unwrap();
        assert!(out.contains("cidr_block           = \"10.1.0.0/16\" # keep\n"));
    }

    #[test]
    fn a_tag_is_changed_added_and_removed_in_a_multiline_map() {
        let t = Path::root("tags");
        let out = set_one(VPC, t.key("team"), Some(Value::str("edge"))).unwrap();
        assert!(out.contains("    team = \"edge\"\n"), "{out}");
        let out = set_one(VPC, t.key("owner"), Some(Value::str("ops"))).unwrap();
        assert!(
            out.contains("    team = \"core\"\n    owner = \"ops\"\n  }\n"),
            "{out}"
        );
        let out = set_one(VPC, t.key("team"), None).unwrap();
        assert!(
            out.contains("    Name = \"main\"   # the name\n  }\n"),
            "{out}"
        );
        let out = set_one(VPC, t.key("kubernetes.io/role"), Some(Value::str("x"))).unwrap();
        assert!(
            out.contains("    \"kubernetes.io/role\" = \"x\"\n"),
            "{out}"
        );
        // The other block is untouched.
        assert!(
            out.contains("tags       = { Name = \"other\", team = \"edge\", secret = var.secret }")
        );
    }

    #[test]
    fn one_line_maps_stay_on_one_line() {
        let edit = |path: Path, v: Option<Value>| {
            apply(
                Some(VPC),
                &ConfigEdit::Set {
                    resource_type: "aws_vpc".into(),
                    name: "other".into(),
                    values: vec![(path, v)],
                },
            )
        };
        let t = Path::root("tags");
        let out = edit(t.key("team"), None).unwrap();
        assert!(
            out.contains("tags       = { Name = \"other\", secret = var.secret }\n"),
            "{out}"
        );
        let out = edit(t.key("env"), Some(Value::str("prod"))).unwrap();
        assert!(
            out.contains(
                "{ Name = \"other\", team = \"edge\", secret = var.secret, env = \"prod\" }"
            ),
            "{out}"
        );
        // A computed value beside the edited key stays; the computed one itself is refused.
        let r = edit(t.key("secret"), Some(Value::str("x"))).unwrap_err();
        assert!(r.reason.contains("a reference"), "{}", r.reason);
        assert_eq!(r.line, 13);
    }

    #[test]
    fn an_absent_attribute_is_added_before_the_closing_brace() {
        let out = set_one(
            VPC,
            Path::root("instance_tenancy"),
            Some(Value::str("dedicated")),
        )
        .unwrap();
        assert!(
            out.contains("    team = \"core\"\n  }\n  instance_tenancy = \"dedicated\"\n}\n"),
            "{out}"
        );
    }

    #[test]
    fn computed_values_and_secrets_are_refused_with_their_line() {
        let r = apply(
            Some(VPC),
            &ConfigEdit::Set {
                resource_type: "aws_vpc".into(),
                name: "other".into(),
                values: vec![(Path::root("cidr_block"), Some(Value::str("10.9.0.0/16")))],
            },
        )
        .unwrap_err();
        assert_eq!(r.line, 12);
        assert!(r.reason.contains("a reference"), "{}", r.reason);
        let r = set_one(
            VPC,
            Path::root("tags").key("secret"),
            Some(Value::sensitive(Value::str("hunter2"))),
        )
        .unwrap_err();
        assert!(r.reason.contains("secret"), "{}", r.reason);
        assert!(!r.reason.contains("hunter2"));
        let r = set_one(
            VPC,
            Path::root("ingress").index(0).key("from_port"),
            Some(Value::Number(22.0)),
        )
        .unwrap_err();
        assert!(r.reason.contains("nested"), "{}", r.reason);
    }

    #[test]
    fn strings_are_quoted_so_nothing_is_read_as_a_template() {
        assert_eq!(quote("a\"b\\c${x}%{y}$z"), r#""a\"b\\c$${x}%%{y}$z""#);
        assert_eq!(key("kubernetes.io/role"), "\"kubernetes.io/role\"");
        assert_eq!(key("Name"), "Name");
        assert_eq!(literal(&Value::Number(3600.0)).unwrap(), "3600");
        let src = "resource \"aws_vpc\" \"main\" {\n  description = \"x\"\n}\n";
        let out = set_one(src, Path::root("description"), Some(Value::str("${bad}"))).unwrap();
        let parsed = hcl::edit::parser::parse_body(&out).unwrap();
        let b = find_block(&parsed, "aws_vpc", "main").unwrap();
        assert!(matches!(
            find_attr(b, "description").unwrap().value,
            Expression::StringTemplate(_) | Expression::String(_)
        ));
    }

    const SG: &str = r#"resource "aws_security_group" "web" {
  name = "web" # the name

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"#;

    fn sg_edit(src: &str, path: &str, v: Option<Value>) -> Result<String, Refused> {
        apply(
            Some(src),
            &ConfigEdit::Set {
                resource_type: "aws_security_group".into(),
                name: "web".into(),
                values: vec![(Path::root(path), v)],
            },
        )
    }

    fn rule(port: f64, cidrs: &[&str]) -> Value {
        Value::Map(
            [
                ("protocol", Value::str("tcp")),
                ("from_port", Value::Number(port)),
                ("to_port", Value::Number(port)),
                (
                    "cidr_blocks",
                    Value::List(cidrs.iter().map(|c| Value::str(*c)).collect()),
                ),
                ("description", Value::str("")),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        )
    }

    #[test]
    fn nested_blocks_are_rewritten_where_the_first_one_was() {
        let out = sg_edit(
            SG,
            "ingress",
            Some(Value::List(vec![
                rule(22.0, &["0.0.0.0/0"]),
                rule(443.0, &["10.0.0.0/8"]),
            ])),
        )
        .unwrap();
        let want = r#"resource "aws_security_group" "web" {
  name = "web" # the name

  ingress {
    cidr_blocks = ["0.0.0.0/0"]
    from_port   = 22
    protocol    = "tcp"
    to_port     = 22
  }
  ingress {
    cidr_blocks = ["10.0.0.0/8"]
    from_port   = 443
    protocol    = "tcp"
    to_port     = 443
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"#;
        assert_eq!(out, want);
        hcl::edit::parser::parse_body(&out).unwrap();
        // No rule left: `ingress = []`, since no block would leave the rules unmanaged.
        let out = sg_edit(SG, "ingress", Some(Value::List(vec![]))).unwrap();
        assert!(
            out.contains("  name = \"web\" # the name\n\n  ingress = []\n  egress {"),
            "{out}"
        );
        // Rules where none are written: blocks, before the closing brace.
        let bare = "resource \"aws_security_group\" \"web\" {\n  name = \"web\"\n}\n";
        let out = sg_edit(
            bare,
            "egress",
            Some(Value::List(vec![rule(5432.0, &["10.1.0.0/16"])])),
        )
        .unwrap();
        assert_eq!(
            out,
            "resource \"aws_security_group\" \"web\" {\n  name = \"web\"\n  egress {\n    cidr_blocks = [\"10.1.0.0/16\"]\n    from_port   = 5432\n    protocol    = \"tcp\"\n    to_port     = 5432\n  }\n}\n"
        );
    }

    #[test]
    fn computed_blocks_are_left_to_a_person() {
        let computed = SG.replace(
            "cidr_blocks = [\"10.0.0.0/8\"]\n  }\n  egress",
            "cidr_blocks = [var.office]\n  }\n  egress",
        );
        let r = sg_edit(
            &computed,
            "ingress",
            Some(Value::List(vec![rule(22.0, &["0.0.0.0/0"])])),
        )
        .unwrap_err();
        assert_eq!(r.line, 14, "{}", r.reason);
        assert!(
            r.reason.contains("`ingress.cidr_blocks` is"),
            "{}",
            r.reason
        );
        let dynamic = "resource \"aws_security_group\" \"web\" {\n  dynamic \"ingress\" {\n    for_each = var.ports\n    content {\n      from_port = ingress.value\n    }\n  }\n}\n";
        let r = sg_edit(
            dynamic,
            "ingress",
            Some(Value::List(vec![rule(22.0, &["0.0.0.0/0"])])),
        )
        .unwrap_err();
        assert_eq!(r.line, 2);
        assert!(r.reason.contains("dynamic"), "{}", r.reason);
        let secret = Value::List(vec![Value::Map(
            [(
                "description".to_string(),
                Value::sensitive(Value::str("hunter2")),
            )]
            .into(),
        )]);
        let r = sg_edit(SG, "ingress", Some(secret)).unwrap_err();
        assert!(r.reason.contains("secret") && !r.reason.contains("hunter2"));
    }

    const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:GetLogEvents","s3:GetObject"],"Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;

    fn policy_edit(src: &str, v: &str) -> Result<String, Refused> {
        apply(
            Some(src),
            &ConfigEdit::Set {
                resource_type: "aws_iam_role_policy".into(),
                name: "app".into(),
                values: vec![(Path::root("policy"), Some(Value::str(v)))],
            },
        )
    }

    #[test]
    fn a_jsonencode_document_is_rewritten_as_jsonencode() {
        let src = r#"resource "aws_iam_role_policy" "app" {
  name = "read-logs"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["logs:GetLogEvents"], Resource = "*" }]
  })
}
"#;
        let out = policy_edit(src, DOC).unwrap();
        let want = r#"resource "aws_iam_role_policy" "app" {
  name = "read-logs"
  policy = jsonencode({
    Statement = [
      {
        Action = ["logs:GetLogEvents", "s3:GetObject"]
        Condition = {
          IpAddress = {
            "aws:SourceIp" = "10.0.0.0/8"
          }
        }
        Effect   = "Allow"
        Resource = "*"
      },
    ]
    Version = "2012-10-17"
  })
}
"#;
        assert_eq!(out, want);
        // The same document, read back through HCL.
        let body: hcl::Body = hcl::from_str(&out).unwrap();
        let block = body.blocks().next().unwrap();
        let expr = block
            .body()
            .attributes()
            .find(|a| a.key() == "policy")
            .unwrap()
            .expr()
            .clone();
        let hcl::Expression::FuncCall(call) = expr else {
            panic!("not a call")
        };
        let arg: hcl::Value =
            hcl::eval::Evaluate::evaluate(&call.args[0], &hcl::eval::Context::new()).unwrap();
        let arg: serde_json::Value = serde_json::to_value(arg).unwrap();
        assert_eq!(arg, serde_json::from_str::<serde_json::Value>(DOC).unwrap());

        // Something computed inside: left to a person, at its line.
        let computed = src.replace("Resource = \"*\"", "Resource = aws_s3_bucket.logs.arn");
        let r = policy_edit(&computed, DOC).unwrap_err();
        assert_eq!(r.line, 3);
        assert!(r.reason.contains("jsonencode() of"), "{}", r.reason);
    }

    #[test]
    fn a_heredoc_document_is_rewritten_as_the_same_heredoc() {
        let plain = "resource \"aws_iam_role_policy\" \"app\" {\n  policy = <<EOF\n{\"Version\": \"2012-10-17\", \"Statement\": []}\nEOF\n  name = \"x\"\n}\n";
        let plain_doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}]}"#;
        let plain_out = policy_edit(plain, plain_doc).unwrap();
        let want = "resource \"aws_iam_role_policy\" \"app\" {\n  policy = <<EOF\n{\n  \"Statement\": [\n    {\n      \"Action\": \"s3:*\",\n      \"Effect\": \"Allow\",\n      \"Resource\": \"arn:aws:s3:::b/$${aws:username}\"\n    }\n  ],\n  \"Version\": \"2012-10-17\"\n}\nEOF\n  name = \"x\"\n}\n";
        assert_eq!(plain_out, want);
        let indented = "resource \"aws_iam_role_policy\" \"app\" {\n  policy = <<-EOT\n    {\"Statement\": []}\n  EOT\n}\n";
        let out = policy_edit(indented, r#"{"Statement":[]}"#).unwrap();
        assert_eq!(
            out,
            "resource \"aws_iam_role_policy\" \"app\" {\n  policy = <<-EOT\n    {\n      \"Statement\": []\n    }\n  EOT\n}\n"
        );
        // Both read back as the document (`$${` is a literal `${`).
        for (text, doc) in [(&plain_out, plain_doc), (&out, r#"{"Statement":[]}"#)] {
            let body: hcl::Body = hcl::from_str(text).unwrap();
            let policy = body
                .blocks()
                .next()
                .unwrap()
                .body()
                .attributes()
                .next()
                .unwrap();
            let v: hcl::Value =
                hcl::eval::Evaluate::evaluate(policy.expr(), &hcl::eval::Context::new()).unwrap();
            let got: serde_json::Value = serde_json::from_str(v.as_str().unwrap()).unwrap();
            assert_eq!(got, serde_json::from_str::<serde_json::Value>(doc).unwrap());
        }
        let templated = indented.replace("{\"Statement\": []}", "{\"Statement\": ${local.s}}");
        let r = policy_edit(&templated, r#"{"Statement":[]}"#).unwrap_err();
        assert!(r.reason.contains("interpolation"), "{}", r.reason);
        assert_eq!(r.line, 2);
    }

    #[test]
    fn append_separates_blocks_with_one_blank_line() {
        let e = ConfigEdit::Append {
            text: "import {\n}\n".into(),
        };
        assert_eq!(apply(None, &e).unwrap(), "import {\n}\n");
        assert_eq!(apply(Some("a\n"), &e).unwrap(), "a\n\nimport {\n}\n");
        let d = unified_diff("x.tf", None, "import {\n}\n");
        assert!(d.starts_with("--- /dev/null\n+++ b/x.tf\n"), "{d}");
    }
}
