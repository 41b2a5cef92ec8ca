//! The attribute value tree shared by the recorded, desired and observed sides.
//!
//! A [`Value`] is terraform's JSON value model plus two markers the drift engine needs:
//! [`Value::Unknown`] (a value nobody can know statically, never guessed) and
//! [`Value::Sensitive`] (a secret: the diff still sees it, nothing prints it).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

/// A secret value. `Clear` holds the value as loaded from state or the cloud; `Fingerprint`
/// holds a keyed hash of it (from a recorded observation), so a replay can still tell a change
/// without the secret ever being written to disk.
///
/// Its `Debug` never shows a clear value (`Clear((sensitive))`): a `{:?}` anywhere (a log, a
/// panic message, an assertion) cannot print a secret.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Secret {
    Clear(Box<Value>),
    Fingerprint(String),
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Clear(_) => f.write_str("Clear((sensitive))"),
            Secret::Fingerprint(h) => f.debug_tuple("Fingerprint").field(h).finish(),
        }
    }
}

/// Terraform's value model. Maps are ordered (`BTreeMap`) so everything derived from a value
/// is deterministic. Its `Debug` is the derived one except that a secret shows masked (see
/// [`Secret`]).
#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Sensitive(Secret),
    Unknown,
}

impl Value {
    pub fn str(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn sensitive(v: Value) -> Value {
        match v {
            Value::Sensitive(_) => v,
            other => Value::Sensitive(Secret::Clear(Box::new(other))),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_sensitive(&self) -> bool {
        matches!(self, Value::Sensitive(_))
    }

    /// Null, `""`, `[]` and `{}`: the values terraform's AWS provider treats as "not set".
    pub fn is_empty_like(&self) -> bool {
        match self {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::List(l) => l.is_empty(),
            Value::Map(m) => m.is_empty(),
            _ => false,
        }
    }

    /// True when this value, or anything inside it, is sensitive.
    pub fn contains_sensitive(&self) -> bool {
        match self {
            Value::Sensitive(_) => true,
            Value::List(l) => l.iter().any(Value::contains_sensitive),
            Value::Map(m) => m.values().any(Value::contains_sensitive),
            _ => false,
        }
    }

    /// A scalar rendered as terraform would write it in an address or identity key.
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(format_number(*n)),
            _ => None,
        }
    }

    /// Child at one path segment (map key, or list index written as a number).
    pub fn get(&self, segment: &str) -> Option<&Value> {
        match self {
            Value::Map(m) => m.get(segment),
            Value::List(l) => segment.parse::<usize>().ok().and_then(|i| l.get(i)),
            _ => None,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            Value::List(_) => 4,
            Value::Map(_) => 5,
            Value::Sensitive(_) => 6,
            Value::Unknown => 7,
        }
    }
}

/// Numbers print like terraform prints them: integers without a fraction.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A total order, so values can be sorted into canonical sets and used as map keys.
impl Ord for Value {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Number(a), Value::Number(b)) => a.total_cmp(b),
            (Value::String(a), Value::String(b)) => a.cmp(b),
            (Value::List(a), Value::List(b)) => a.cmp(b),
            (Value::Map(a), Value::Map(b)) => a.cmp(b),
            (Value::Sensitive(a), Value::Sensitive(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(n as f64)
    }
}

impl From<i32> for Value {
    fn from(n: i32) -> Self {
        Value::Number(n as f64)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(Value::Null)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}

impl From<BTreeMap<String, Value>> for Value {
    fn from(m: BTreeMap<String, Value>) -> Self {
        Value::Map(m)
    }
}

/// Debug-ish display used only in tests and internal messages. Renderers never print values
/// through this; they go through `mask` first.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => write!(f, "null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{}", format_number(*n)),
            Value::String(s) => write!(f, "{s:?}"),
            Value::List(l) => {
                write!(f, "[")?;
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{v}")?;
                }
                write!(f, "]")
            }
            Value::Map(m) => {
                write!(f, "{{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{k:?} = {v}")?;
                }
                write!(f, "}}")
            }
            Value::Sensitive(_) => write!(f, "(sensitive)"),
            Value::Unknown => write!(f, "(known after apply)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_secret() {
        let v = Value::Map(
            [
                (
                    "password".to_string(),
                    Value::sensitive(Value::str("hunter2")),
                ),
                ("user".to_string(), Value::str("app")),
            ]
            .into_iter()
            .collect(),
        );
        for text in [format!("{v:?}"), format!("{v:#?}")] {
            assert!(!text.contains("hunter2"), "{text}");
            assert!(
                text.contains("(sensitive)") && text.contains("app"),
                "{text}"
            );
        }
        let s = Secret::Clear(Box::new(Value::str("hunter2")));
        assert_eq!(format!("{s:?}"), "Clear((sensitive))");
    }

    #[test]
    fn numbers_order_and_print_like_terraform() {
        assert_eq!(format_number(443.0), "443");
        assert_eq!(format_number(1.5), "1.5");
        assert!(Value::from(1) < Value::from(2));
        assert_eq!(Value::Number(3.0), Value::from(3));
    }

    #[test]
    fn display_never_shows_a_secret() {
        let v = Value::sensitive(Value::str("hunter2"));
        assert_eq!(v.to_string(), "(sensitive)");
        assert!(Value::List(vec![v]).contains_sensitive());
    }
}
