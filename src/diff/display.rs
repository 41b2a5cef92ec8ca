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
        let (r, o) = shown(c, at(&raw_recorded, rest), at(&raw_observed, rest));
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

/// The value at `path` below `v` (`Null` where there is none); a secret on the way stays one.
fn at(v: &Value, path: &[Segment]) -> Value {
    let Some((first, rest)) = path.split_first() else {
        return v.clone();
    };
    match (v, first) {
        (Value::Sensitive(Secret::Clear(inner)), _) => Value::sensitive(at(inner, path)),
        (Value::Sensitive(_), _) => v.clone(),
        (Value::Map(m), Segment::Key(k)) => m.get(k).map_or(Value::Null, |x| at(x, rest)),
        (Value::List(l), Segment::Index(i)) => l.get(*i).map_or(Value::Null, |x| at(x, rest)),
        _ => Value::Null,
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
}
