//! Pending: *desired* (the configuration) against *recorded* (the state). Pure and
//! deterministic; never fails. Unknown configured values are skipped, never guessed.
//!
//! - A recorded instance whose block (or `count`/`for_each` key) is gone from the
//!   configuration is `NoLongerConfigured`.
//! - A configured instance with no recorded counterpart is `NotYetCreated`, but only when the
//!   instance set is statically known (not for an unknown `count`/`for_each`, nor inside a
//!   repeated module); `ToBeImported` when an `import` block names it.
//! - A configured attribute the caller compares, with a statically known value that differs
//!   from the recorded one after both sides went through the same normalization, is
//!   `AttributeDiffers`. Attributes the configuration does not write are not compared: their
//!   value is the provider's default, which only the provider knows. Changes under
//!   `lifecycle { ignore_changes }` are not pending: terraform would not make them.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::desired::{Configuration, ConfiguredResource, IgnoreChanges, contains_unknown};
use crate::model::{
    Attributes, InstanceKey, Mode, Path, Pending, PendingKind, RecordedResource, Secret, Value,
};

/// Whether an attribute of a resource type is compared: `(resource_type, attribute)`.
pub type Compared<'a> = &'a dyn Fn(&str, &str) -> bool;

/// The normalization applied to both sides of one attribute before comparing:
/// `(resource_type, attribute, value, all attributes of that side) -> value`. The desired
/// side may hold [`Value::Unknown`] inside maps and lists; a normalizer keeps it as it is.
pub type Normalize<'a> = &'a dyn Fn(&str, &str, &Value, &Attributes) -> Value;

/// Everything pending, sorted by [`Pending::sort_key`].
pub fn pending(
    config: &Configuration,
    recorded: &[RecordedResource],
    compared: Compared<'_>,
    normalize: Normalize<'_>,
) -> Vec<Pending> {
    let mut index: BTreeMap<(Vec<String>, &str, &str), &ConfiguredResource> = BTreeMap::new();
    for r in config.resources.iter().filter(|r| r.mode == Mode::Managed) {
        index.insert(
            (
                r.module_path.clone(),
                r.resource_type.as_str(),
                r.name.as_str(),
            ),
            r,
        );
    }

    let mut out = Vec::new();
    let mut seen: BTreeSet<(Vec<String>, &str, &str, Option<InstanceKey>)> = BTreeSet::new();
    for rec in recorded.iter().filter(|r| r.address.mode == Mode::Managed) {
        let module_path: Vec<String> = rec.address.module.iter().map(|m| m.name.clone()).collect();
        if config.is_inside_unfollowed_module(&module_path) {
            continue;
        }
        let key = (
            module_path,
            rec.address.resource_type.as_str(),
            rec.address.name.as_str(),
        );
        let Some(cr) = index.get(&key).copied() else {
            out.push(resource_level(PendingKind::NoLongerConfigured, rec, None));
            continue;
        };
        let desired = match &cr.instances {
            None => &cr.attributes,
            Some(instances) => match instance(instances, &rec.address.key) {
                Some((k, attrs)) => {
                    seen.insert((key.0.clone(), key.1, key.2, k.clone()));
                    attrs
                }
                None => {
                    out.push(resource_level(
                        PendingKind::NoLongerConfigured,
                        rec,
                        Some(cr),
                    ));
                    continue;
                }
            },
        };
        if cr.ignore_changes == IgnoreChanges::All {
            continue;
        }
        compare_instance(cr, desired, rec, compared, normalize, &mut out);
    }

    for cr in index.values() {
        if cr.in_repeated_module {
            continue;
        }
        let Some(instances) = &cr.instances else {
            continue;
        };
        for (k, attrs) in instances {
            let key = (
                cr.module_path.clone(),
                cr.resource_type.as_str(),
                cr.name.as_str(),
                k.clone(),
            );
            if !seen.contains(&key) {
                let address = cr.address(k.clone()).to_string();
                // Named by an `import` block: terraform imports the object, creates nothing.
                let kind = if config.imports.iter().any(|i| i.to == address) {
                    PendingKind::ToBeImported
                } else {
                    PendingKind::NotYetCreated
                };
                out.push(Pending {
                    kind,
                    address,
                    resource_type: cr.resource_type.clone(),
                    path: None,
                    desired: Value::Map(attrs.clone()),
                    recorded: Value::Null,
                    source: Some(cr.source.clone()),
                });
            }
        }
    }

    out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out
}

/// The configured instance a recorded key belongs to. Terraform moves `a` to `a[0]` when
/// `count` is added, and back when it is removed: those count as the same instance.
fn instance<'a>(
    instances: &'a BTreeMap<Option<InstanceKey>, Attributes>,
    key: &Option<InstanceKey>,
) -> Option<(&'a Option<InstanceKey>, &'a Attributes)> {
    instances.get_key_value(key).or_else(|| match key {
        None => instances.get_key_value(&Some(InstanceKey::Int(0))),
        Some(InstanceKey::Int(0)) => instances.get_key_value(&None),
        _ => None,
    })
}

fn resource_level(
    kind: PendingKind,
    rec: &RecordedResource,
    cr: Option<&ConfiguredResource>,
) -> Pending {
    Pending {
        kind,
        address: rec.address.to_string(),
        resource_type: rec.resource_type.clone(),
        path: None,
        desired: Value::Null,
        recorded: Value::Null,
        source: cr.map(|c| c.source.clone()),
    }
}

fn compare_instance(
    cr: &ConfiguredResource,
    desired: &Attributes,
    rec: &RecordedResource,
    compared: Compared<'_>,
    normalize: Normalize<'_>,
    out: &mut Vec<Pending>,
) {
    let ty = rec.resource_type.as_str();
    for (attr, want) in desired {
        if !compared(ty, attr) || matches!(want, Value::Unknown) {
            continue;
        }
        let root = Path::root(attr.clone());
        if cr.ignore_changes.ignores(&root) {
            continue;
        }
        let have = rec.attributes.get(attr).cloned().unwrap_or(Value::Null);
        let want = normalize(ty, attr, want, desired);
        let have = normalize(ty, attr, &have, &rec.attributes);
        let mut changes = Vec::new();
        if cr.block_attributes.contains(attr) {
            if !blocks_match(&want, &have) && !contains_unknown(&want) {
                changes.push((root, want, have));
            }
        } else {
            diff(&root, &want, &have, &mut changes);
        }
        for (path, want, have) in changes {
            if cr.ignore_changes.ignores(&path) {
                continue;
            }
            out.push(Pending {
                kind: PendingKind::AttributeDiffers,
                address: rec.address.to_string(),
                resource_type: rec.resource_type.clone(),
                path: Some(path),
                desired: want,
                recorded: have,
                source: Some(cr.source.clone()),
            });
        }
    }
}

/// Null and the empty values: what the AWS provider treats as "not set".
fn unset(v: &Value) -> bool {
    v.is_empty_like()
}

/// Collects `(path, desired, recorded)` where a known desired value differs. A sensitive
/// recorded value keeps the desired one it is compared with wrapped as well.
fn diff(path: &Path, want: &Value, have: &Value, out: &mut Vec<(Path, Value, Value)>) {
    match (want, have) {
        (Value::Unknown, _) => {}
        (Value::Sensitive(Secret::Fingerprint(_)), _)
        | (_, Value::Sensitive(Secret::Fingerprint(_))) => {}
        _ if want.is_sensitive() || have.is_sensitive() => {
            let (w, h) = (clear(want), clear(have));
            let mut inner = Vec::new();
            diff(path, w, h, &mut inner);
            if !inner.is_empty() {
                out.push((
                    path.clone(),
                    Value::sensitive(w.clone()),
                    Value::sensitive(h.clone()),
                ));
            }
        }
        (Value::Map(w), Value::Map(h)) => {
            let keys: BTreeSet<&String> = w.keys().chain(h.keys()).collect();
            for k in keys {
                let wv = w.get(k).unwrap_or(&Value::Null);
                let hv = h.get(k).unwrap_or(&Value::Null);
                diff(&path.key(k.clone()), wv, hv, out);
            }
        }
        (Value::Map(w), h) if unset(h) => {
            for (k, wv) in w {
                diff(&path.key(k.clone()), wv, &Value::Null, out);
            }
        }
        (Value::List(w), Value::List(h)) if w.len() == h.len() => {
            for (i, (wv, hv)) in w.iter().zip(h).enumerate() {
                diff(&path.index(i), wv, hv, out);
            }
        }
        _ => {
            if !same(want, have) && !contains_unknown(want) {
                out.push((path.clone(), want.clone(), have.clone()));
            }
        }
    }
}

fn clear(v: &Value) -> &Value {
    match v {
        Value::Sensitive(Secret::Clear(inner)) => inner,
        other => other,
    }
}

/// Equal as terraform would see them after type conversion: `"443"` is `443`, `"true"` is
/// `true`; null is the empty value.
fn same(want: &Value, have: &Value) -> bool {
    if want == have || (unset(want) && unset(have)) {
        return true;
    }
    match (want, have) {
        (Value::Number(a), _) | (_, Value::Number(a)) => {
            want.as_f64()
                .zip(have.as_f64())
                .is_some_and(|(x, y)| x == y)
                && !a.is_nan()
        }
        (Value::Bool(_), _) | (_, Value::Bool(_)) => want
            .as_bool()
            .zip(have.as_bool())
            .is_some_and(|(x, y)| x == y),
        _ => false,
    }
}

fn equal(want: &Value, have: &Value) -> bool {
    let mut changes = Vec::new();
    diff(&Path::default(), want, have, &mut changes);
    changes.is_empty()
}

/// Nested blocks (`ingress { ... }`) name some fields of each object the provider records:
/// every configured block must match its own recorded object on the fields it names, in any
/// order, and the counts must agree.
fn blocks_match(want: &Value, have: &Value) -> bool {
    let (Value::List(w), h) = (want, have) else {
        return equal(want, have);
    };
    let h: &[Value] = match h {
        Value::List(h) => h,
        other if unset(other) => &[],
        _ => return false,
    };
    if w.len() != h.len() {
        return false;
    }
    let mut used = vec![false; h.len()];
    for item in w {
        let found = h
            .iter()
            .enumerate()
            .find(|(i, candidate)| !used[*i] && object_matches(item, candidate));
        match found {
            Some((i, _)) => used[i] = true,
            None => return false,
        }
    }
    true
}

fn object_matches(want: &Value, have: &Value) -> bool {
    match (want, have) {
        (Value::Map(w), Value::Map(h)) => w.iter().all(|(k, wv)| {
            let hv = h.get(k).unwrap_or(&Value::Null);
            match wv {
                Value::List(items)
                    if items.iter().all(|i| matches!(i, Value::Map(_))) && !items.is_empty() =>
                {
                    blocks_match(wv, hv)
                }
                _ => equal(wv, hv),
            }
        }),
        _ => equal(want, have),
    }
}

#[cfg(test)]
mod tests;
