//! What a person reads for each change. The comparison runs on canonical forms (`before`,
//! `after`); each change also carries the values themselves (`recorded`, `observed`), taken at
//! the change's path from the attribute as the state holds it and as the cloud reported it:
//! `ec2:Describe*` stays `ec2:Describe*`, a document keeps its case, key order and form. The
//! same for every compare mode (tags key by key, rule blocks, documents).
//!
//! Masking: where a compared value holds a secret, the shown values are the compared ones (the
//! secret already wrapped, element by element); where only the raw value holds one, both
//! shown values are wrapped whole. A secret never reaches display through the raw values.

use crate::model::{Attributes, Change, Secret, Segment, Value};
use crate::normalize::{self, Side};
use crate::spec::AttributeSpec;

/// Attach the recorded and observed values of attribute `attr` to its `changes`.
pub fn attach(
    attr: &AttributeSpec,
    recorded: &Attributes,
    observed: &Attributes,
    changes: &mut [Change],
) {
    if changes.is_empty() {
        return;
    }
    let raw_recorded = normalize::raw_attribute(attr, recorded, Side::Recorded);
    let raw_observed = normalize::raw_attribute(attr, observed, Side::Observed);
    for c in changes {
        let rest = c.path.0.get(1..).unwrap_or_default();
        // A path the raw values cannot follow (a change named by a part of the canonical form
        // only, like one source of a multi-source rule: `description["10.1.0.0/16"]`) shows
        // the compared values.
        let (r, o) = match (at(&raw_recorded, rest), at(&raw_observed, rest)) {
            (Some(r), Some(o)) => shown(c, r, o),
            _ => (c.before.clone(), c.after.clone()),
        };
        c.recorded = r;
        c.observed = o;
    }
}

fn shown(c: &Change, recorded: Value, observed: Value) -> (Value, Value) {
    if c.before.contains_sensitive() || c.after.contains_sensitive() {
        (c.before.clone(), c.after.clone())
    } else if recorded.contains_sensitive() || observed.contains_sensitive() {
        (Value::sensitive(recorded), Value::sensitive(observed))
    } else {
        (recorded, observed)
    }
}

/// The value at `path` below `v`: `Null` where a map or list has nothing there, `None` where
/// the path cannot be followed at all (it runs into a scalar); a secret on the way stays one.
fn at(v: &Value, path: &[Segment]) -> Option<Value> {
    let Some((first, rest)) = path.split_first() else {
        return Some(v.clone());
    };
    match (v, first) {
        (Value::Sensitive(Secret::Clear(inner)), _) => at(inner, path).map(Value::sensitive),
        (Value::Sensitive(_), _) => Some(v.clone()),
        (Value::Map(m), Segment::Key(k)) => m.get(k).map_or(Some(Value::Null), |x| at(x, rest)),
        (Value::List(l), Segment::Index(i)) => l.get(*i).map_or(Some(Value::Null), |x| at(x, rest)),
        (Value::Null, _) => Some(Value::Null),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Path;
    use crate::spec::Registry;
    use std::collections::BTreeMap;

    fn attrs(pairs: &[(&str, Value)]) -> Attributes {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn shown_values_are_the_raw_ones_at_the_path() {
        let r = Registry::builtin().unwrap();
        let tags = r.get("aws_vpc").unwrap().attribute("tags").unwrap();
        let recorded = attrs(&[(
            "tags_all",
            Value::Map(BTreeMap::from([("Team".to_string(), Value::str("Core"))])),
        )]);
        let observed = attrs(&[(
            "tags",
            Value::Map(BTreeMap::from([("Team".to_string(), Value::str("Edge"))])),
        )]);
        let mut changes = vec![Change::new(
            Path::root("tags").key("Team"),
            Value::str("canonical-before"),
            Value::str("canonical-after"),
        )];
        attach(tags, &recorded, &observed, &mut changes);
        assert_eq!(changes[0].recorded, Value::str("Core"));
        assert_eq!(changes[0].observed, Value::str("Edge"));
        assert_eq!(changes[0].before, Value::str("canonical-before"));
    }

    #[test]
    fn secrets_stay_secret_in_the_shown_values() {
        let r = Registry::builtin().unwrap();
        let tags = r.get("aws_vpc").unwrap().attribute("tags").unwrap();
        let recorded = attrs(&[(
            "tags",
            Value::Map(BTreeMap::from([(
                "k".to_string(),
                Value::sensitive(Value::str("old-secret")),
            )])),
        )]);
        let observed = attrs(&[(
            "tags",
            Value::Map(BTreeMap::from([(
                "k".to_string(),
                Value::str("new-secret"),
            )])),
        )]);
        // The comparison saw the secret: the shown values are the compared (wrapped) ones.
        let mut changes = vec![Change::new(
            Path::root("tags").key("k"),
            Value::sensitive(Value::str("old-secret")),
            Value::sensitive(Value::str("new-secret")),
        )];
        attach(tags, &recorded, &observed, &mut changes);
        assert!(changes[0].recorded.is_sensitive() && changes[0].observed.is_sensitive());
        // Only the raw value holds it: both shown values are wrapped.
        let mut changes = vec![Change::new(
            Path::root("tags").key("k"),
            Value::str("x"),
            Value::str("y"),
        )];
        attach(tags, &recorded, &observed, &mut changes);
        assert!(changes[0].recorded.is_sensitive() && changes[0].observed.is_sensitive());
    }

    #[test]
    fn a_path_the_raw_values_cannot_follow_shows_the_compared_values() {
        let r = Registry::builtin().unwrap();
        let desc = r
            .get("aws_security_group_rule")
            .unwrap()
            .attribute("description")
            .unwrap();
        // One source of a multi-source rule: the raw description is one string.
        let mut changes = vec![Change::new(
            Path::root("description").key("10.1.0.0/16"),
            Value::str("postgres"),
            Value::str("vendor"),
        )];
        attach(
            desc,
            &attrs(&[("description", Value::str("postgres"))]),
            &attrs(&[("description", Value::str("postgres"))]),
            &mut changes,
        );
        assert_eq!(changes[0].recorded, Value::str("postgres"));
        assert_eq!(changes[0].observed, Value::str("vendor"));
    }
}
