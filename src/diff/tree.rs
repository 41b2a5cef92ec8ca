//! Attribute tree diff of two canonical values. Maps (tags) are diffed key by key, so a
//! change names `tags.team`; lists are sets or ordered blocks whose identity is the whole
//! value, so they change as a whole. Never fails.

use crate::model::{Change, Path, Secret, Value};

/// Key for turning a clear sensitive value into the fingerprint a recorded observation holds.
pub type Fingerprinter<'a> = &'a dyn Fn(&Value) -> String;

/// Changes from `before` (recorded) to `after` (observed) under `path`, sorted by path.
pub fn diff(
    path: &Path,
    before: &Value,
    after: &Value,
    fp: Option<Fingerprinter<'_>>,
    out: &mut Vec<Change>,
) {
    match (before, after) {
        (Value::Sensitive(_), _) | (_, Value::Sensitive(_)) => {
            if !sensitive_equal(before, after, fp) {
                out.push(Change::new(
                    path.clone(),
                    Value::sensitive(before.clone()),
                    Value::sensitive(after.clone()),
                ));
            }
        }
        // Unknown is never guessed: nothing to compare.
        (Value::Unknown, _) | (_, Value::Unknown) => {}
        (Value::Map(b), Value::Map(a)) => {
            let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
            for k in keys {
                let bv = b.get(k).unwrap_or(&Value::Null);
                let av = a.get(k).unwrap_or(&Value::Null);
                diff(&path.key(k.clone()), bv, av, fp, out);
            }
        }
        _ if before == after => {}
        _ => out.push(Change::new(path.clone(), before.clone(), after.clone())),
    }
}

fn clear(v: &Value) -> &Value {
    match v {
        Value::Sensitive(Secret::Clear(inner)) => inner,
        other => other,
    }
}

fn sensitive_equal(a: &Value, b: &Value, fp: Option<Fingerprinter<'_>>) -> bool {
    match (a, b) {
        (Value::Sensitive(Secret::Fingerprint(x)), Value::Sensitive(Secret::Fingerprint(y))) => {
            x == y
        }
        (Value::Sensitive(Secret::Fingerprint(f)), other)
        | (other, Value::Sensitive(Secret::Fingerprint(f))) => {
            // A recorded observation holds only a fingerprint: compare fingerprints.
            fp.is_some_and(|fp| &fp(clear(other)) == f)
        }
        _ => clear(a) == clear(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn changes(b: &Value, a: &Value) -> Vec<String> {
        let mut out = Vec::new();
        diff(&Path::root("tags"), b, a, None, &mut out);
        out.iter()
            .map(|c| format!("{} {} -> {}", c.path, c.before, c.after))
            .collect()
    }

    #[test]
    fn maps_diff_per_key() {
        let b = Value::Map(BTreeMap::from([
            ("team".into(), Value::str("core")),
            ("x".into(), Value::str("1")),
        ]));
        let a = Value::Map(BTreeMap::from([
            ("team".into(), Value::str("edge")),
            ("y".into(), Value::str("2")),
        ]));
        assert_eq!(
            changes(&b, &a),
            vec![
                "tags.team \"core\" -> \"edge\"",
                "tags.x \"1\" -> null",
                "tags.y null -> \"2\"",
            ]
        );
        assert!(changes(&b, &b).is_empty());
    }

    #[test]
    fn sensitive_changes_are_reported_wrapped() {
        let b = Value::sensitive(Value::str("old"));
        let a = Value::str("new");
        let mut out = Vec::new();
        diff(&Path::root("x"), &b, &a, None, &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].before.is_sensitive() && out[0].after.is_sensitive());
        out.clear();
        diff(&Path::root("x"), &b, &Value::str("old"), None, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn fingerprints_compare_through_the_key() {
        let fp = |v: &Value| format!("fp:{v}");
        let recorded = Value::sensitive(Value::str("s3cret"));
        let same = Value::Sensitive(Secret::Fingerprint("fp:\"s3cret\"".into()));
        let other = Value::Sensitive(Secret::Fingerprint("fp:\"other\"".into()));
        let mut out = Vec::new();
        diff(&Path::root("x"), &recorded, &same, Some(&fp), &mut out);
        assert!(out.is_empty());
        diff(&Path::root("x"), &recorded, &other, Some(&fp), &mut out);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn unknown_is_never_a_change() {
        assert!(changes(&Value::Unknown, &Value::str("x")).is_empty());
    }
}
