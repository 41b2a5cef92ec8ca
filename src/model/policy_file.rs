//! The policy file's feature blocks (`approval`, `guardrail "NAME"`, `notify`) as read: plain
//! data with the byte range of every key and value, and the file they come from. `policy::file`
//! reads the file into these; each feature interprets its own block (`approval::ApprovalRule::
//! from_block`, `planner::guardrail::Guardrail::from_block`, `notify::Target::from_block`) and
//! reports what is wrong as a [`Problem`] at a span, which `crate::error` turns into the policy
//! diagnostics (`driftgate::policy::*`).

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use crate::model::Severity;

/// A byte range into the policy file, when the parser kept one.
pub type Span = Option<Range<usize>>;

/// The policy file: its name in diagnostics and its text.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Source {
    pub path: String,
    pub text: String,
}

impl Source {
    /// `driftgate.hcl:7`: the file and the line of `at`.
    pub fn line(&self, at: &Span) -> String {
        let offset = at.as_ref().map_or(0, |r| r.start).min(self.text.len());
        let line = self.text[..offset].matches('\n').count() + 1;
        format!("{}:{line}", self.path)
    }
}

/// A block as written: `ident "label" { body }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub source: Arc<Source>,
    pub ident: String,
    pub ident_span: Span,
    pub labels: Vec<(String, Span)>,
    pub body: Vec<Item>,
}

/// One item of a block's body.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Attribute(Attribute),
    /// A nested block (no feature block takes one): its ident.
    Block {
        ident: String,
        span: Span,
    },
}

/// `key = value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub key: String,
    pub key_span: Span,
    pub value: Expr,
}

/// A value as written, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// The values a feature block can hold; anything else (a variable, a function call, an
/// operation) is `Other`.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    String(String),
    /// A number literal: its value when it is a whole non-negative number.
    Number(Option<u64>),
    Array(Vec<Expr>),
    Object(Vec<(Key, Expr)>),
    Other,
}

/// An object's key: a name (`alice` or `"alice"`), or `None` for an expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: Option<String>,
    pub span: Span,
}

/// What is wrong in a block, where; `crate::error` renders it with the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub source: Arc<Source>,
    pub span: Span,
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// `driftgate::policy::invalid`.
    Invalid {
        message: String,
        label: String,
        help: String,
    },
    /// `driftgate::policy::unknown_key`.
    UnknownKey {
        key: String,
        context: String,
        help: String,
    },
    /// `driftgate::policy::bad_severity`.
    BadSeverity { value: String },
}

/// Levenshtein distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The known key closest to `key`, if close enough to suggest.
pub fn suggest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (distance(key, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min()
        .map(|(_, k)| k)
}

/// The help of an unknown key: the known ones, and the closest.
pub fn unknown_key_help(key: &str, known: &[&str]) -> String {
    let help = format!("expected one of: {}", known.join(", "));
    match suggest(key, known) {
        Some(s) => format!("did you mean `{s}`? {help}"),
        None => help,
    }
}

impl Block {
    /// A `driftgate::policy::invalid` problem at `at`.
    pub fn invalid(
        &self,
        at: Span,
        message: impl Into<String>,
        label: impl Into<String>,
        help: impl Into<String>,
    ) -> Problem {
        Problem {
            source: self.source.clone(),
            span: at,
            kind: ProblemKind::Invalid {
                message: message.into(),
                label: label.into(),
                help: help.into(),
            },
        }
    }

    /// An unknown key in `context`, with the known ones (and the closest) as help.
    pub fn unknown_key(&self, key: &str, at: Span, context: &str, known: &[&str]) -> Problem {
        Problem {
            source: self.source.clone(),
            span: at,
            kind: ProblemKind::UnknownKey {
                key: key.to_string(),
                context: context.to_string(),
                help: unknown_key_help(key, known),
            },
        }
    }

    /// `driftgate.hcl:7`: where the block starts.
    pub fn line(&self) -> String {
        self.source.line(&self.ident_span)
    }

    /// The block's label, when it has exactly one.
    pub fn label(&self) -> Option<&(String, Span)> {
        self.labels.first().filter(|_| self.labels.len() == 1)
    }

    /// The attributes of the body, checked against `known`; nested blocks are refused, and so
    /// is a key set twice.
    pub fn attributes(
        &self,
        context: &str,
        known: &[&str],
    ) -> Result<BTreeMap<String, &Attribute>, Problem> {
        let mut out = BTreeMap::new();
        for item in &self.body {
            match item {
                Item::Attribute(a) => {
                    if !known.contains(&a.key.as_str()) {
                        return Err(self.unknown_key(&a.key, a.key_span.clone(), context, known));
                    }
                    if out.insert(a.key.clone(), a).is_some() {
                        return Err(self.invalid(
                            a.key_span.clone(),
                            format!("`{}` is set twice", a.key),
                            "set again here",
                            "keep one of the two",
                        ));
                    }
                }
                Item::Block { ident, span } => {
                    return Err(self.unknown_key(ident, span.clone(), context, known));
                }
            }
        }
        Ok(out)
    }

    /// The attribute's value, a literal string.
    pub fn string<'a>(&self, a: &'a Attribute) -> Result<&'a str, Problem> {
        match &a.value.kind {
            ExprKind::String(s) => Ok(s),
            _ => Err(self.invalid(
                a.value.span.clone(),
                format!("`{}` must be a string", a.key),
                "expected a quoted string",
                "write a literal string in double quotes; the policy file has no variables or functions",
            )),
        }
    }

    /// The attribute's value, a severity.
    pub fn severity(&self, a: &Attribute) -> Result<Severity, Problem> {
        let s = self.string(a)?;
        s.parse().map_err(|_| Problem {
            source: self.source.clone(),
            span: a.value.span.clone(),
            kind: ProblemKind::BadSeverity {
                value: s.to_string(),
            },
        })
    }

    /// The attribute's value, a list of literal strings, each with its span.
    pub fn strings(&self, a: &Attribute) -> Result<Vec<(String, Span)>, Problem> {
        let ExprKind::Array(items) = &a.value.kind else {
            return Err(self.invalid(
                a.value.span.clone(),
                format!("`{}` must be a list of strings", a.key),
                "expected a list",
                format!("write `{} = [\"...\"]`", a.key),
            ));
        };
        items
            .iter()
            .map(|item| match &item.kind {
                ExprKind::String(s) => Ok((s.clone(), item.span.clone())),
                _ => Err(self.invalid(
                    item.span.clone(),
                    "expected a string",
                    "not a string",
                    "write literal strings in double quotes",
                )),
            })
            .collect()
    }
}
