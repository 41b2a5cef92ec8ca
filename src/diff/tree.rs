//! Attribute tree diff of two canonical values. Maps (tags) are diffed key by key, so a
//! change names `tags.team`; lists are sets or ordered blocks whose identity is the whole
//! value, so they change as a whole. Never fails.
//!
//! Secrets inside lists: a list that holds a sensitive element (terraform marks one element of
//! `cidr_blocks` when it came from a sensitive variable) is compared element by element with
//! [`equal`], which looks through the sensitivity marker (a clear secret equals the clear value
//! the cloud reports; a fingerprint equals the value it was taken of). When such a list did
//! change, the change carries the sensitivity over to the observed side ([`follow`]): an
//! observed element that equals a recorded secret is that secret, and an observed element that
//! stands where a removed secret stood (the same element but for its secret parts) is the value
//! that replaced it. Both print as `(sensitive)`.

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
        (Value::List(_), Value::List(_))
            if before.contains_sensitive() || after.contains_sensitive() =>
        {
            if !equal(before, after, fp) {
                out.push(Change::new(
                    path.clone(),
                    before.clone(),
                    follow(before, after, fp),
                ));
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
        _ => equal(clear(a), clear(b), fp),
    }
}

/// Equality that looks through sensitivity markers at every depth. Lists that hold a secret
/// compare as multisets (canonical lists are sorted, and a marked element sorts apart from the
/// clear one); other lists compare in order.
pub fn equal(a: &Value, b: &Value, fp: Option<Fingerprinter<'_>>) -> bool {
    match (a, b) {
        (Value::Sensitive(_), _) | (_, Value::Sensitive(_)) => sensitive_equal(a, b, fp),
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w, fp)))
        }
        (Value::List(x), Value::List(y)) => {
            if x.len() != y.len() {
                return false;
            }
            if !a.contains_sensitive() && !b.contains_sensitive() {
                return x == y;
            }
            matching(x, y, fp).iter().all(Option::is_some)
        }
        _ => a == b,
    }
}

/// For each element of `after`, the index of the element of `before` it equals (each used
/// once), or `None`: a greedy matching, exact because [`equal`] is an equivalence.
fn matching(
    before: &[Value],
    after: &[Value],
    fp: Option<Fingerprinter<'_>>,
) -> Vec<Option<usize>> {
    let mut used = vec![false; before.len()];
    after
        .iter()
        .map(|a| {
            let hit = (0..before.len()).find(|&i| !used[i] && equal(&before[i], a, fp))?;
            used[hit] = true;
            Some(hit)
        })
        .collect()
}

/// `after` with the sensitivity of `before` carried over to it: used for the observed side of
/// a change, so that what stands where a secret stood is a secret too. Maps key by key; lists
/// element by element (an element equal to a recorded one takes its markings; a new element
/// takes the markings of a removed secret-holding element it matches outside the secret parts,
/// see `same_outside_secrets`); a recorded secret makes the observed value there a secret.
pub fn follow(before: &Value, after: &Value, fp: Option<Fingerprinter<'_>>) -> Value {
    match (before, after) {
        (_, Value::Sensitive(_)) => after.clone(),
        (Value::Sensitive(_), _) => Value::sensitive(after.clone()),
        (Value::Map(b), Value::Map(a)) => Value::Map(
            a.iter()
                .map(|(k, v)| {
                    let v = match b.get(k) {
                        Some(bv) => follow(bv, v, fp),
                        None => v.clone(),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        (Value::List(b), Value::List(a)) if before.contains_sensitive() => {
            let matched = matching(b, a, fp);
            let mut used = vec![false; b.len()];
            matched.iter().flatten().for_each(|&i| used[i] = true);
            // Recorded elements that hold a secret and have no equal observed element: the
            // places a secret stood before something else took them.
            let removed: Vec<&Value> = b
                .iter()
                .zip(&used)
                .filter(|(v, used)| !**used && v.contains_sensitive())
                .map(|(v, _)| v)
                .collect();
            Value::List(
                a.iter()
                    .zip(&matched)
                    .map(|(v, m)| match m {
                        Some(i) => follow(&b[*i], v, fp),
                        None => match removed.iter().find(|r| same_outside_secrets(r, v)) {
                            Some(r) => follow(r, v, fp),
                            None => v.clone(),
                        },
                    })
                    .collect(),
            )
        }
        (Value::List(b), Value::List(a)) if b.len() == a.len() => {
            Value::List(b.iter().zip(a).map(|(bv, av)| follow(bv, av, fp)).collect())
        }
        _ => after.clone(),
    }
}

/// Whether `v` is `template` but for the values at the places `template` holds a secret: the
/// observed element could be the recorded one with its secret replaced. A secret as a whole
/// matches anything (which observed element replaced it cannot be told, so every candidate is
/// treated as the secret).
fn same_outside_secrets(template: &Value, v: &Value) -> bool {
    match (template, v) {
        (Value::Sensitive(_), _) => true,
        (Value::Map(t), Value::Map(m)) => {
            t.len() == m.len()
                && t.iter()
                    .all(|(k, tv)| m.get(k).is_some_and(|mv| same_outside_secrets(tv, mv)))
        }
        (Value::List(t), Value::List(l)) => {
            t.len() == l.len() && t.iter().zip(l).all(|(a, b)| same_outside_secrets(a, b))
        }
        _ => template == v,
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

    fn cidrs(items: &[Value]) -> Value {
        Value::List(items.to_vec())
    }

    #[test]
    fn a_secret_list_element_equals_its_clear_value_in_any_order() {
        let recorded = cidrs(&[
            Value::str("10.0.0.0/8"),
            Value::sensitive(Value::str("198.51.100.7/32")),
        ]);
        // Sorted canonical lists put a marked element after the clear ones: the order differs.
        let observed = cidrs(&[Value::str("10.0.0.0/8"), Value::str("198.51.100.7/32")]);
        let observed_rev = cidrs(&[Value::str("198.51.100.7/32"), Value::str("10.0.0.0/8")]);
        let mut out = Vec::new();
        diff(
            &Path::root("cidr_blocks"),
            &recorded,
            &observed,
            None,
            &mut out,
        );
        diff(
            &Path::root("cidr_blocks"),
            &recorded,
            &observed_rev,
            None,
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
        // Through a fingerprint, too (a replayed observation).
        let fp = |v: &Value| format!("fp:{v}");
        let replayed = cidrs(&[
            Value::Sensitive(Secret::Fingerprint("fp:\"198.51.100.7/32\"".into())),
            Value::str("10.0.0.0/8"),
        ]);
        diff(
            &Path::root("cidr_blocks"),
            &recorded,
            &replayed,
            Some(&fp),
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn a_rotated_list_element_is_reported_and_sensitive_on_both_sides() {
        let recorded = cidrs(&[
            Value::str("10.0.0.0/8"),
            Value::sensitive(Value::str("198.51.100.7/32")),
        ]);
        let observed = cidrs(&[Value::str("10.0.0.0/8"), Value::str("203.0.113.9/32")]);
        let mut out = Vec::new();
        diff(
            &Path::root("cidr_blocks"),
            &recorded,
            &observed,
            None,
            &mut out,
        );
        assert_eq!(out.len(), 1);
        let shown = |v: &Value| v.to_string();
        assert_eq!(shown(&out[0].before), "[\"10.0.0.0/8\", (sensitive)]");
        assert_eq!(shown(&out[0].after), "[\"10.0.0.0/8\", (sensitive)]");
    }

    #[test]
    fn an_element_equal_to_a_secret_is_that_secret_when_something_else_changed() {
        // 0.0.0.0/0 was added: reported in clear; the secret that is still there is not.
        let recorded = cidrs(&[Value::sensitive(Value::str("198.51.100.7/32"))]);
        let observed = cidrs(&[Value::str("0.0.0.0/0"), Value::str("198.51.100.7/32")]);
        let mut out = Vec::new();
        diff(
            &Path::root("cidr_blocks"),
            &recorded,
            &observed,
            None,
            &mut out,
        );
        assert_eq!(out[0].after.to_string(), "[\"0.0.0.0/0\", (sensitive)]");
    }

    #[test]
    fn a_rule_whose_secret_source_was_replaced_keeps_its_other_fields_readable() {
        let rule = |cidr: Value, port: i64| {
            Value::Map(BTreeMap::from([
                ("cidr_blocks".to_string(), Value::List(vec![cidr])),
                ("from_port".to_string(), Value::from(port)),
            ]))
        };
        let recorded = Value::List(vec![
            rule(Value::str("10.0.0.0/8"), 443),
            rule(Value::sensitive(Value::str("198.51.100.7/32")), 22),
        ]);
        let observed = Value::List(vec![
            rule(Value::str("10.0.0.0/8"), 443),
            rule(Value::str("203.0.113.9/32"), 22),
            rule(Value::str("0.0.0.0/0"), 3389),
        ]);
        let mut out = Vec::new();
        diff(&Path::root("ingress"), &recorded, &observed, None, &mut out);
        let after = out[0].after.to_string();
        assert!(!after.contains("203.0.113.9"), "{after}");
        assert!(
            after.contains("0.0.0.0/0") && after.contains("3389"),
            "{after}"
        );
        assert!(after.contains("\"from_port\" = 22"), "{after}");
    }
}
