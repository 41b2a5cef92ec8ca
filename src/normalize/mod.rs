//! Normalization: bring a recorded and an observed attribute to one canonical form, so that
//! only differences of meaning remain. Each [`Compare`] mode named by a spec is implemented
//! here; spec defaults make null, empty and the provider's default one value.
//!
//! Every function here is pure and idempotent (normalizing a canonical value changes nothing).

pub mod align;
pub mod iam;
pub mod nacl;
pub mod routes;
pub mod sg;

use std::collections::BTreeMap;

use crate::model::{Attributes, Secret, Value};
use crate::spec::{AttributeSpec, Compare};

/// Which side an attribute comes from: only the recorded side has `tags_all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Recorded,
    Observed,
}

/// Attribute `spec` of a resource as the resource holds it, before normalization: what is
/// compared (once canonical) and what a person reads.
pub fn raw_attribute(spec: &AttributeSpec, attrs: &Attributes, side: Side) -> Value {
    let own = attrs.get(&spec.name).unwrap_or(&Value::Null);
    match (spec.compare, side) {
        // tags_all holds provider default_tags too: what the object really carries. terraform
        // marks a sensitive tag in `tags` only (tags_all is computed), so the sensitivity is
        // carried over key by key.
        (Compare::TagMap, Side::Recorded) => match attrs.get("tags_all") {
            Some(v) if !v.is_null() => inherit_sensitivity(v, own),
            _ => own.clone(),
        },
        _ => own.clone(),
    }
}

/// The canonical value of attribute `spec` of a resource whose attributes are `attrs`.
pub fn attribute(spec: &AttributeSpec, attrs: &Attributes, side: Side) -> Value {
    let raw = raw_attribute(spec, attrs, side);
    let v = canonical(spec.compare, &raw, attrs);
    let v = match &spec.default {
        Some(default) if v.is_empty_like() => canonical(spec.compare, default, attrs),
        _ => v,
    };
    if spec.sensitive {
        Value::sensitive(v)
    } else {
        v
    }
}

/// `derived` with every map entry that is sensitive in `source` (or all of it, when `source`
/// is sensitive as a whole) wrapped as sensitive too.
fn inherit_sensitivity(derived: &Value, source: &Value) -> Value {
    match (derived, source) {
        (_, Value::Sensitive(_)) => Value::sensitive(derived.clone()),
        (Value::Map(d), Value::Map(s)) => Value::Map(
            d.iter()
                .map(|(k, v)| {
                    let v = match s.get(k) {
                        Some(sv) => inherit_sensitivity(v, sv),
                        None => v.clone(),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        _ => derived.clone(),
    }
}

/// The canonical form of `v` under `compare`; `attrs` gives the context some modes need (the
/// rule's protocol for ports, the group's own id for `self` rules). Sensitive values are
/// normalized inside their wrapper.
pub fn canonical(compare: Compare, v: &Value, attrs: &Attributes) -> Value {
    match v {
        Value::Sensitive(Secret::Clear(inner)) => {
            Value::sensitive(canonical(compare, inner, attrs))
        }
        Value::Sensitive(Secret::Fingerprint(_)) | Value::Unknown => v.clone(),
        _ => match compare {
            Compare::Exact => exact(v),
            Compare::Set => set(v),
            Compare::TagMap => tag_map(v),
            Compare::IamPolicyDocument => document(v),
            Compare::SgRules => sg::canonical_rules(v, attrs.get("id").and_then(Value::as_str)),
            Compare::IpProtocol => sg::canonical_protocol(v),
            Compare::Port => sg::canonical_port(v, attrs.get("protocol")),
            Compare::InlinePolicies => inline_policies(v),
            Compare::Routes => routes::canonical_routes(v),
            Compare::NaclEntries => nacl::canonical_entries(v),
            Compare::NaclProtocol => nacl::canonical_protocol(v),
            Compare::NaclPort => nacl::canonical_port(v, attrs.get("protocol")),
            Compare::NaclIcmp => nacl::canonical_icmp(v, attrs.get("protocol")),
            Compare::HttpsUrl => https_url(v),
        },
    }
}

/// `f` applied to `v`, or inside `v`'s wrapper when `v` is a clear secret (the result stays
/// wrapped): sensitivity follows an element through every transform.
pub(crate) fn within(v: &Value, f: impl Fn(&Value) -> Value) -> Value {
    match v {
        Value::Sensitive(Secret::Clear(inner)) => Value::sensitive(f(inner)),
        Value::Sensitive(Secret::Fingerprint(_)) => v.clone(),
        other => f(other),
    }
}

/// The elements of a list as they are, or, when the whole list is a clear secret, each element
/// wrapped as a secret of its own (what a list is made of is as secret as the list).
pub(crate) fn elements(v: &Value) -> Vec<Value> {
    match v {
        Value::List(l) => l.clone(),
        Value::Sensitive(Secret::Clear(inner)) => match inner.as_ref() {
            Value::List(l) => l.iter().cloned().map(Value::sensitive).collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// A URL with `https://` (added when it has no scheme, lower-cased when it has) and without a
/// trailing `/`. The canonical form keeps the scheme: it is what a finding shows and an import
/// writes, and the provider's configuration needs it.
fn https_url(v: &Value) -> Value {
    match v {
        Value::String(s) if !s.is_empty() => {
            let rest = match s.get(..8) {
                Some(scheme) if scheme.eq_ignore_ascii_case("https://") => &s[8..],
                _ => s.as_str(),
            };
            Value::String(format!(
                "https://{}",
                rest.strip_suffix('/').unwrap_or(rest)
            ))
        }
        other => other.clone(),
    }
}

fn exact(v: &Value) -> Value {
    match v {
        // State files and some APIs carry numbers as strings ("3600").
        Value::String(s)
            if !s.is_empty() && s.parse::<f64>().is_ok_and(f64::is_finite) && looks_numeric(s) =>
        {
            Value::Number(s.parse().unwrap_or_default())
        }
        other => other.clone(),
    }
}

fn looks_numeric(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.')
}

fn set(v: &Value) -> Value {
    match v {
        Value::Null => Value::List(Vec::new()),
        Value::List(items) => {
            // A secret element stays wrapped, and is normalized inside its wrapper.
            let mut items: Vec<Value> = items.iter().map(|x| within(x, exact)).collect();
            items.sort();
            items.dedup();
            Value::List(items)
        }
        other => other.clone(),
    }
}

/// terraform's AWS provider ignores `aws:`-prefixed tags (AWS owns them).
fn tag_map(v: &Value) -> Value {
    match v {
        Value::Null => Value::Map(BTreeMap::new()),
        Value::Map(m) => Value::Map(
            m.iter()
                .filter(|(k, _)| !k.starts_with("aws:"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn document(v: &Value) -> Value {
    match v {
        Value::String(s) => match iam::canonical_document(s) {
            Some(c) => Value::String(c),
            None => v.clone(),
        },
        other => other.clone(),
    }
}

fn inline_policies(v: &Value) -> Value {
    let Some(items) = v.as_list() else {
        return if v.is_null() {
            Value::List(Vec::new())
        } else {
            v.clone()
        };
    };
    let mut out: Vec<Value> = items
        .iter()
        .filter(|i| {
            // The provider records one empty block `{name = "", policy = ""}` for "none".
            !(i.get("name").is_none_or(Value::is_empty_like)
                && i.get("policy").is_none_or(Value::is_empty_like))
        })
        .map(|i| match i {
            Value::Map(m) => Value::Map(
                m.iter()
                    .map(|(k, v)| {
                        let v = if k == "policy" {
                            document(v)
                        } else {
                            v.clone()
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            other => other.clone(),
        })
        .collect();
    out.sort();
    out.dedup();
    Value::List(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Registry;
    use proptest::prelude::*;

    fn attrs(pairs: &[(&str, Value)]) -> Attributes {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn an_oidc_url_with_or_without_its_scheme_is_one_url() {
        let r = Registry::builtin().unwrap();
        let spec = r
            .get("aws_iam_openid_connect_provider")
            .unwrap()
            .attribute("url")
            .unwrap();
        let of = |url: &str| attribute(spec, &attrs(&[("url", Value::from(url))]), Side::Observed);
        let recorded = of("token.actions.githubusercontent.com");
        assert_eq!(
            recorded,
            Value::from("https://token.actions.githubusercontent.com")
        );
        assert_eq!(of("https://token.actions.githubusercontent.com"), recorded);
        assert_eq!(of("HTTPS://token.actions.githubusercontent.com/"), recorded);
        assert_ne!(of("https://gitlab.example.com"), recorded);
        assert_ne!(of("http://token.actions.githubusercontent.com"), recorded);
    }

    #[test]
    fn defaults_equal_absence() {
        let r = Registry::builtin().unwrap();
        let spec = r
            .get("aws_iam_role")
            .unwrap()
            .attribute("max_session_duration")
            .unwrap();
        let absent = attribute(spec, &attrs(&[]), Side::Observed);
        let recorded = attribute(
            spec,
            &attrs(&[("max_session_duration", Value::from(3600))]),
            Side::Recorded,
        );
        assert_eq!(absent, recorded);
        let desc = r
            .get("aws_iam_role")
            .unwrap()
            .attribute("description")
            .unwrap();
        assert_eq!(
            attribute(
                desc,
                &attrs(&[("description", Value::Null)]),
                Side::Observed
            ),
            attribute(
                desc,
                &attrs(&[("description", Value::str(""))]),
                Side::Recorded
            )
        );
    }

    #[test]
    fn tags_all_is_what_the_object_carries() {
        let r = Registry::builtin().unwrap();
        let spec = r.get("aws_vpc").unwrap().attribute("tags").unwrap();
        let mut all = BTreeMap::new();
        all.insert("team".to_string(), Value::str("core"));
        all.insert("env".to_string(), Value::str("prod"));
        let recorded = attrs(&[("tags", Value::Null), ("tags_all", Value::Map(all.clone()))]);
        let mut seen = all.clone();
        seen.insert("aws:cloudformation:stack-name".into(), Value::str("x"));
        let observed = attrs(&[("tags", Value::Map(seen))]);
        assert_eq!(
            attribute(spec, &recorded, Side::Recorded),
            attribute(spec, &observed, Side::Observed)
        );
        assert_eq!(tag_map(&Value::Null), Value::Map(BTreeMap::new()));
    }

    #[test]
    fn a_sensitive_tag_stays_sensitive_through_tags_all() {
        let r = Registry::builtin().unwrap();
        let spec = r.get("aws_iam_user").unwrap().attribute("tags").unwrap();
        let tags = Value::Map(BTreeMap::from([(
            "secret".to_string(),
            Value::sensitive(Value::str("s3")),
        )]));
        let all = Value::Map(BTreeMap::from([
            ("secret".to_string(), Value::str("s3")),
            ("team".to_string(), Value::str("core")),
        ]));
        let v = attribute(
            spec,
            &attrs(&[("tags", tags), ("tags_all", all)]),
            Side::Recorded,
        );
        let m = v.as_map().unwrap();
        assert!(m["secret"].is_sensitive());
        assert!(!m["team"].is_sensitive());
    }

    #[test]
    fn sets_and_inline_policies() {
        let a = Value::from(vec!["b", "a", "a"]);
        assert_eq!(set(&a), Value::from(vec!["a", "b"]));
        let empty_block = Value::List(vec![Value::Map(
            [
                ("name".to_string(), Value::str("")),
                ("policy".to_string(), Value::str("")),
            ]
            .into(),
        )]);
        assert_eq!(inline_policies(&empty_block), Value::List(vec![]));
    }

    #[test]
    fn a_secret_set_element_stays_wrapped_and_is_normalized_inside() {
        let v = Value::List(vec![
            Value::str("b"),
            Value::sensitive(Value::str("3600")),
            Value::str("a"),
            Value::str("b"),
        ]);
        let c = set(&v);
        assert_eq!(
            c,
            Value::List(vec![
                Value::str("a"),
                Value::str("b"),
                Value::sensitive(Value::from(3600)),
            ])
        );
        assert_eq!(set(&c), c);
    }

    #[test]
    fn sensitive_values_stay_wrapped() {
        let v = Value::sensitive(Value::Map([("aws:x".to_string(), Value::str("1"))].into()));
        assert_eq!(
            canonical(Compare::TagMap, &v, &Attributes::new()),
            Value::sensitive(Value::Map(BTreeMap::new()))
        );
    }

    fn value_strategy() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-1000i64..1000).prop_map(Value::from),
            "[a-z0-9:*/ -]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
                prop::collection::btree_map("[a-z:_]{1,6}", inner, 0..4).prop_map(Value::Map),
            ]
        })
    }

    proptest! {
        #[test]
        fn normalizing_is_idempotent(v in value_strategy()) {
            let ctx = Attributes::new();
            for (_, mode) in Compare::ALL {
                let once = canonical(*mode, &v, &ctx);
                prop_assert_eq!(canonical(*mode, &once, &ctx), once.clone());
            }
        }
    }
}
