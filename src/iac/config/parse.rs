//! Reading one `.tf` (or `.tfvars`) file: hcl-edit's parser (spans, for report locations and
//! diagnostics), terraform's last-wins rule for duplicate object keys, and syntax errors as
//! miette diagnostics pointing at the offending token.

use hcl::edit::structure as edit;
use hcl::{Expression, Object, ObjectKey};
use miette::{NamedSource, SourceSpan};

use crate::{Error, Result};

/// The prefix a duplicate object key is renamed with so hcl-edit accepts it; [`dedup_body`]
/// strips it again, keeping the last value. The NUL-free, `~`-delimited form cannot clash
/// with a key a user writes in practice, and the counter keeps every renamed key unique.
const DUP_MARK: &str = "~driftgate-dup";

/// One parsed file.
pub(super) struct ParsedFile {
    /// The path as the user would write it, relative to the configuration directory.
    pub rel: String,
    /// The text as read from disk.
    pub text: String,
    /// The parsed body; spans refer to `parsed_text`.
    pub body: edit::Body,
    /// The text that was parsed (equal to `text` unless duplicate keys were renamed: renames
    /// only insert bytes inside one line, so line numbers agree with `text`).
    pub parsed_text: String,
    /// Renames applied, in order: (offset in the text at that time, old length, new length).
    patches: Vec<(usize, usize, usize)>,
}

impl ParsedFile {
    /// The 1-based line of a byte offset into `parsed_text`.
    pub fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.parsed_text.len());
        self.parsed_text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// A byte offset into `parsed_text` mapped back to the file as read.
    pub fn original_offset(&self, offset: usize) -> usize {
        map_back(&self.patches, offset)
    }

    pub fn named_source(&self) -> NamedSource<String> {
        NamedSource::new(&self.rel, self.text.clone())
    }

    /// A span into the file as read, from a span into `parsed_text`.
    pub fn span(&self, range: std::ops::Range<usize>) -> SourceSpan {
        let start = self.original_offset(range.start);
        let end = self.original_offset(range.end).max(start);
        SourceSpan::new(start.into(), end - start)
    }
}

fn map_back(patches: &[(usize, usize, usize)], mut offset: usize) -> usize {
    for &(pos, old_len, new_len) in patches.iter().rev() {
        if offset >= pos + new_len {
            offset = offset - new_len + old_len;
        } else if offset > pos {
            offset = pos;
        }
    }
    offset
}

/// Parses `text` (the content of `rel`) into an hcl-edit body.
///
/// hcl-edit refuses an object expression that repeats a key (`{ a = 1, a = 2 }`); terraform
/// accepts it and keeps the last value. Such keys are renamed in a copy of the text and the
/// parse retried; [`dedup_body`] then restores the names with the last value winning.
pub(super) fn parse_file(rel: &str, text: String) -> Result<ParsedFile> {
    let mut parsed_text = text.clone();
    let mut patches = Vec::new();
    loop {
        match hcl::edit::parser::parse_body(&parsed_text) {
            Ok(body) => {
                return Ok(ParsedFile {
                    rel: rel.to_string(),
                    text,
                    body,
                    parsed_text,
                    patches,
                });
            }
            Err(err) => {
                let offset = err.location().offset();
                if err.message().contains("redefined object key")
                    && patches.len() < 10_000
                    && let Some((old_len, replacement)) =
                        rename_duplicate_key(&parsed_text, offset, patches.len())
                {
                    parsed_text.replace_range(offset..offset + old_len, &replacement);
                    patches.push((offset, old_len, replacement.len()));
                    continue;
                }
                return Err(syntax_error(
                    rel,
                    &text,
                    map_back(&patches, offset),
                    err.message(),
                ));
            }
        }
    }
}

/// The key token at `offset` and its renamed form: an identifier `Name` becomes
/// `"~driftgate-dupN~Name"`, a plain quoted key `"Name"` the same. Keys that are templates or
/// parenthesized expressions are left alone (the parse error stands).
fn rename_duplicate_key(text: &str, offset: usize, n: usize) -> Option<(usize, String)> {
    let rest = text.get(offset..)?;
    let mark = format!("{DUP_MARK}{n}~");
    let first = rest.chars().next()?;
    if first.is_alphabetic() || first == '_' {
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        return Some((len, format!("\"{mark}{}\"", &rest[..len])));
    }
    if first == '"' {
        let mut escaped = false;
        for (i, c) in rest.char_indices().skip(1) {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    let inner = &rest[1..i];
                    if inner.contains("${") || inner.contains("%{") {
                        return None;
                    }
                    return Some((i + 1, format!("\"{mark}{inner}\"")));
                }
                '\n' => return None,
                _ => {}
            }
        }
    }
    None
}

/// The diagnostic for a parse error at byte `offset` of `text`.
pub(super) fn syntax_error(rel: &str, text: &str, offset: usize, message: &str) -> Error {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..line_start].matches('\n').count() + 1;
    let column = text[line_start..offset].chars().count() + 1;
    let len = token_len(&text[offset..]);
    let (message, _) = describe(message);
    Error::ConfigSyntax {
        path: rel.to_string(),
        line,
        column,
        message,
        token: shown_token(text, line_start, offset, len),
        span: SourceSpan::new(offset.into(), len),
    }
}

/// The token at `offset` as a syntax error may show it: `None` when it may be (part of) a
/// string literal: inside quotes on its line, a quote itself, after a heredoc opener
/// anywhere before it, or anything but plain syntax characters.
fn shown_token(text: &str, line_start: usize, offset: usize, len: usize) -> Option<String> {
    let token = text.get(offset..offset + len)?;
    if token.is_empty() || token.chars().count() > 40 {
        return None;
    }
    let mut inside = false;
    let mut escaped = false;
    for c in text[line_start..offset].chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if inside => escaped = true,
            '"' => inside = !inside,
            _ => {}
        }
    }
    let plain = token
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-.{}[]()=,:+*/!<>?%&|".contains(c));
    (!inside && plain && !text[..offset].contains("<<")).then(|| token.to_string())
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The length of the token starting a string: an identifier or number, or one character
/// (zero at the end of the input or of a line).
fn token_len(rest: &str) -> usize {
    let mut chars = rest.char_indices();
    match chars.next() {
        None | Some((_, '\n' | '\r')) => 0,
        Some((_, c)) if c.is_alphanumeric() || c == '_' => rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'))
            .unwrap_or(rest.len()),
        Some((_, c)) => c.len_utf8(),
    }
}

/// hcl-edit's message (`invalid object item; expected ...`) split into a sentence for the
/// error line and a short label for under the token.
fn describe(message: &str) -> (String, String) {
    let message = message.trim();
    match message.split_once("; ") {
        Some((what, expected)) => (format!("{what}: {expected}"), expected.to_string()),
        None => (message.to_string(), "here".to_string()),
    }
}

/// Restores renamed duplicate object keys everywhere in a body, the last value winning.
pub(super) fn dedup_body(body: &mut hcl::Body) {
    for structure in body.iter_mut() {
        match structure {
            hcl::Structure::Attribute(attr) => dedup_expr(&mut attr.expr),
            hcl::Structure::Block(block) => dedup_body(&mut block.body),
        }
    }
}

pub(super) fn dedup_expr(expr: &mut Expression) {
    match expr {
        Expression::Array(items) => items.iter_mut().for_each(dedup_expr),
        Expression::Object(object) => {
            // `a` and `"a"` are the same key to terraform, and the last one wins.
            let old = std::mem::take(object);
            let mut entries: Vec<(ObjectKey, Expression)> = Vec::with_capacity(old.len());
            for (key, mut value) in old {
                dedup_expr(&mut value);
                let key = match marked(&key) {
                    Some(name) => plain_key(name.to_string()),
                    None => key,
                };
                if let Some(text) = key_text(&key) {
                    entries.retain(|(k, _)| key_text(k).as_deref() != Some(text.as_str()));
                }
                entries.push((key, value));
            }
            *object = entries
                .into_iter()
                .collect::<Object<ObjectKey, Expression>>();
        }
        Expression::FuncCall(call) => call.args.iter_mut().for_each(dedup_expr),
        Expression::Parenthesis(inner) => dedup_expr(inner),
        Expression::Conditional(cond) => {
            dedup_expr(&mut cond.cond_expr);
            dedup_expr(&mut cond.true_expr);
            dedup_expr(&mut cond.false_expr);
        }
        Expression::Operation(op) => match op.as_mut() {
            hcl::Operation::Unary(u) => dedup_expr(&mut u.expr),
            hcl::Operation::Binary(b) => {
                dedup_expr(&mut b.lhs_expr);
                dedup_expr(&mut b.rhs_expr);
            }
        },
        Expression::ForExpr(f) => {
            dedup_expr(&mut f.collection_expr);
            if let Some(k) = &mut f.key_expr {
                dedup_expr(k);
            }
            dedup_expr(&mut f.value_expr);
        }
        Expression::Traversal(t) => dedup_expr(&mut t.expr),
        _ => {}
    }
}

/// The original name of a renamed key.
fn marked(key: &ObjectKey) -> Option<&str> {
    match key {
        ObjectKey::Expression(Expression::String(s)) => {
            let rest = s.strip_prefix(DUP_MARK)?;
            let (_, name) = rest.split_once('~')?;
            Some(name)
        }
        _ => None,
    }
}

fn key_text(key: &ObjectKey) -> Option<String> {
    match key {
        ObjectKey::Identifier(id) => Some(id.to_string()),
        ObjectKey::Expression(Expression::String(s)) => Some(s.clone()),
        _ => None,
    }
}

fn plain_key(name: String) -> ObjectKey {
    match hcl::Identifier::new(name.clone()) {
        Ok(id) => ObjectKey::Identifier(id),
        Err(_) => ObjectKey::Expression(Expression::String(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_back_across_renames() {
        // "a" (1 byte) at 10 became 5 bytes.
        let patches = [(10, 1, 5)];
        assert_eq!(map_back(&patches, 3), 3);
        assert_eq!(map_back(&patches, 12), 10);
        assert_eq!(map_back(&patches, 15), 11);
    }

    #[test]
    fn duplicate_object_keys_keep_the_last_value() {
        let text = "x = { a = 1, b = 2, a = 3, \"b\" = 4, a = 5 }\ny = 1\n".to_string();
        let parsed = parse_file("main.tf", text).expect("parses");
        let mut body: hcl::Body = parsed.body.clone().into();
        dedup_body(&mut body);
        let x = body.attributes().next().expect("x").expr.clone();
        let Expression::Object(o) = x else {
            panic!("object")
        };
        let pairs: Vec<(String, String)> = o
            .iter()
            .map(|(k, v)| (key_text(k).unwrap(), v.to_string()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("b".to_string(), "4".to_string()),
                ("a".to_string(), "5".to_string())
            ]
        );
        assert_eq!(parsed.line_of(parsed.parsed_text.find("y =").unwrap()), 2);
    }

    #[test]
    fn duplicate_attributes_stay_an_error() {
        // terraform refuses a repeated argument too.
        let err = parse_file("main.tf", "a = 1\na = 2\n".to_string())
            .err()
            .expect("refused");
        assert!(
            matches!(err, Error::ConfigSyntax { line: 2, .. }),
            "{err:?}"
        );
    }
}
