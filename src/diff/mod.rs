//! The drift engine: reconcile recorded resources with observed objects (match by the
//! identity their spec names), diff the matched pairs attribute by attribute, and account for
//! every observed object no state records. Pure and deterministic: the same states and
//! observation give the same report, whatever their order. Never fails.
//!
//! Who manages what: an attribute that another recorded resource manages (`managed_by`) is not
//! compared; an unrecorded object whose parent's attribute already describes it (`parent`) is a
//! change of the parent, not an unmanaged object. This is how a freshly applied stack scans
//! clean where terraform's refresh-only plan shows noise.

pub mod pending;
pub mod tree;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::model::{
    Attributes, Drift, DriftKind, NotChecked, NotCheckedReason, Observation, ObservedResource,
    Owner, Path, RecordedResource, RecordedState, ScanReport, Summary, Value,
};
use crate::normalize::{self, Side};
use crate::spec::{Compare, Registry, ResourceSpec, Scope, filter_matches};

pub use tree::Fingerprinter;

/// What a scan compares.
pub struct ScanInput<'a> {
    pub registry: &'a Registry,
    pub states: &'a [RecordedState],
    pub observation: &'a Observation,
    /// `--strict`: AWS-owned objects count as unmanaged; unsupported types make the scan incomplete.
    pub strict: bool,
    /// Turns a clear value into the fingerprint a recorded observation holds (replays only).
    pub fingerprint: Option<Fingerprinter<'a>>,
}

/// The identity keys of a resource: usually one; one per source for fan-out types
/// (`aws_security_group_rule` with several CIDR blocks is several EC2 rules).
pub fn identity_keys(spec: &ResourceSpec, attrs: &Attributes, side: Side) -> Vec<String> {
    let mut parts = Vec::with_capacity(spec.identity.len());
    for name in &spec.identity {
        let v = match spec.attribute(name) {
            Some(a) => normalize::attribute(a, attrs, side),
            None => attrs.get(name).cloned().unwrap_or(Value::Null),
        };
        match v.scalar_text() {
            Some(t) if !t.is_empty() => parts.push(t),
            _ => return Vec::new(),
        }
    }
    let base = parts.join(&spec.identity_separator);
    let mut keys = Vec::new();
    for name in &spec.identity_fanout {
        let items: Vec<String> = match attrs.get(name) {
            Some(Value::List(l)) => l.iter().filter_map(Value::scalar_text).collect(),
            Some(Value::Bool(true)) => vec!["true".into()],
            Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
            _ => Vec::new(),
        };
        for item in items {
            keys.push(format!(
                "{base}{sep}{name}={item}",
                sep = spec.identity_separator
            ));
        }
    }
    if keys.is_empty() {
        keys.push(base);
    }
    keys.sort();
    keys.dedup();
    keys
}

/// `(resource type, id, attribute)` triples whose attribute another recorded resource manages.
fn managed_elsewhere(
    registry: &Registry,
    recorded: &[&RecordedResource],
) -> HashSet<(String, String, String)> {
    let mut by_type: HashMap<&str, Vec<&RecordedResource>> = HashMap::new();
    for r in recorded {
        by_type.entry(r.resource_type.as_str()).or_default().push(r);
    }
    let mut out = HashSet::new();
    for spec in registry.specs() {
        for attr in &spec.attributes {
            for m in &attr.managed_by {
                for r in by_type.get(m.resource_type.as_str()).into_iter().flatten() {
                    if !filter_matches(&m.filter, &r.attributes) {
                        continue;
                    }
                    if let Some(id) = r.attributes.get(&m.via).and_then(Value::scalar_text) {
                        out.insert((spec.resource_type.clone(), id, attr.name.clone()));
                    }
                }
            }
        }
    }
    out
}

/// The observed attributes to compare a recorded resource with: one object's, or for fan-out
/// types the union of the set attributes of every object it stands for.
fn merged_attributes(spec: &ResourceSpec, matched: &[&ObservedResource]) -> Attributes {
    let mut merged = matched[0].attributes.clone();
    for attr in spec.attributes.iter().filter(|a| a.compare == Compare::Set) {
        let mut items = Vec::new();
        for o in matched {
            if let Some(Value::List(l)) = o.attributes.get(&attr.name) {
                items.extend(l.iter().cloned());
            }
        }
        merged.insert(attr.name.clone(), Value::List(items));
    }
    merged
}

/// Run the whole comparison.
pub fn scan(input: &ScanInput<'_>) -> ScanReport {
    let obs = input.observation;
    let registry = input.registry;
    let recorded: Vec<&RecordedResource> = input
        .states
        .iter()
        .flat_map(|s| s.resources.iter())
        .collect();
    let managed = managed_elsewhere(registry, &recorded);
    let scanned_types: BTreeSet<&str> = obs.resource_types.iter().map(String::as_str).collect();

    // Observed objects by (type, identity key).
    let mut observed_index: HashMap<(&str, String), Vec<usize>> = HashMap::new();
    for (i, o) in obs.resources.iter().enumerate() {
        if let Some(spec) = registry.get(&o.resource_type) {
            for key in identity_keys(spec, &o.attributes, Side::Observed) {
                observed_index
                    .entry((o.resource_type.as_str(), key))
                    .or_default()
                    .push(i);
            }
        }
    }

    let mut report = ScanReport {
        states: input.states.iter().map(|s| s.source.clone()).collect(),
        regions: obs.regions.clone(),
        gaps: obs.gaps.clone(),
        strict: input.strict,
        ..ScanReport::default()
    };
    let mut summary = Summary {
        recorded: recorded.len(),
        ..Summary::default()
    };
    let mut matched: HashSet<usize> = HashSet::new();
    // Recorded resources by (type, identity key): parents of unrecorded objects are found here.
    let mut recorded_keys: HashSet<(&str, String)> = HashSet::new();

    for r in &recorded {
        let Some(spec) = registry.get(&r.resource_type) else {
            report
                .not_checked
                .push(not_checked(r, NotCheckedReason::UnsupportedType));
            continue;
        };
        let keys = identity_keys(spec, &r.attributes, Side::Recorded);
        for k in &keys {
            recorded_keys.insert((r.resource_type.as_str(), k.clone()));
        }
        let region = if spec.scope == Scope::Regional {
            r.region()
        } else {
            None
        };
        if let Some(region) = region
            && !obs.regions.iter().any(|x| x == region)
        {
            report.not_checked.push(not_checked(
                r,
                NotCheckedReason::RegionNotScanned(region.to_string()),
            ));
            continue;
        }
        if !scanned_types.contains(r.resource_type.as_str())
            || obs.gaps.iter().any(|g| g.hides(&r.resource_type, region))
        {
            report
                .not_checked
                .push(not_checked(r, NotCheckedReason::Unobserved));
            continue;
        }
        summary.checked += 1;
        let mut hits: Vec<usize> = keys
            .iter()
            .flat_map(|k| {
                observed_index
                    .get(&(r.resource_type.as_str(), k.clone()))
                    .into_iter()
                    .flatten()
                    .copied()
            })
            .collect();
        hits.sort();
        hits.dedup();
        matched.extend(hits.iter().copied());
        let id = keys
            .first()
            .cloned()
            .or_else(|| r.id().map(str::to_string))
            .unwrap_or_default();
        if hits.is_empty() {
            report.findings.push(Drift {
                kind: DriftKind::Missing,
                resource_type: r.resource_type.clone(),
                id,
                address: Some(r.address.clone()),
                state: Some(r.state.clone()),
                region: region.map(str::to_string),
                changes: Vec::new(),
                observed: None,
            });
            continue;
        }
        let objects: Vec<&ObservedResource> = hits.iter().map(|&i| &obs.resources[i]).collect();
        let observed = merged_attributes(spec, &objects);
        let own_id = r.id().unwrap_or_default();
        let mut changes = Vec::new();
        for attr in &spec.attributes {
            if managed.contains(&(
                spec.resource_type.clone(),
                own_id.to_string(),
                attr.name.clone(),
            )) {
                continue;
            }
            let before = normalize::attribute(attr, &r.attributes, Side::Recorded);
            let after = normalize::attribute(attr, &observed, Side::Observed);
            tree::diff(
                &Path::root(attr.name.clone()),
                &before,
                &after,
                input.fingerprint,
                &mut changes,
            );
        }
        if !changes.is_empty() {
            // Defense in depth: a value the state holds as a secret is a secret wherever else
            // it turns up in this resource (terraform marks only the path it was written to).
            let secrets = sensitive_strings(&r.attributes);
            for c in &mut changes {
                if !c.before.is_sensitive()
                    && (mentions(&c.before, &secrets) || mentions(&c.after, &secrets))
                {
                    c.before = Value::sensitive(std::mem::replace(&mut c.before, Value::Null));
                    c.after = Value::sensitive(std::mem::replace(&mut c.after, Value::Null));
                }
            }
            changes.sort();
            report.findings.push(Drift {
                kind: DriftKind::Changed,
                resource_type: r.resource_type.clone(),
                id,
                address: Some(r.address.clone()),
                state: Some(r.state.clone()),
                region: objects[0].region.clone().or(region.map(str::to_string)),
                changes,
                observed: Some(masked_like_recorded(
                    shown_attributes(spec, &observed),
                    &r.attributes,
                )),
            });
        }
    }

    // Every observed object: group the views of one cloud object; a group none of whose views
    // matched is unmanaged, unless AWS owns it or its recorded parent already describes it.
    let groups = group_views(&obs.resources);
    for (primary, members) in &groups {
        let o = &obs.resources[*primary];
        summary.observed += 1;
        if members.iter().any(|m| matched.contains(m)) {
            continue;
        }
        if matches!(o.owner, Owner::Aws(_)) && !input.strict {
            continue;
        }
        let Some(spec) = registry.get(&o.resource_type) else {
            continue;
        };
        if covered_by_parent(registry, spec, o, &recorded_keys, &observed_index, &managed) {
            continue;
        }
        let keys = identity_keys(spec, &o.attributes, Side::Observed);
        let shown = shown_attributes(spec, &o.attributes);
        report.findings.push(Drift {
            kind: DriftKind::Unmanaged,
            resource_type: o.resource_type.clone(),
            id: keys
                .into_iter()
                .next()
                .unwrap_or_else(|| o.cloud_id.clone()),
            address: None,
            state: None,
            region: o.region.clone(),
            changes: Vec::new(),
            observed: Some(shown),
        });
    }

    for f in &report.findings {
        match f.kind {
            DriftKind::Changed => summary.changed += 1,
            DriftKind::Missing => summary.missing += 1,
            DriftKind::Unmanaged => summary.unmanaged += 1,
        }
    }
    report
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    report.not_checked.sort();
    summary.not_checked = report.not_checked.len();
    report.summary = summary;
    report
}

/// The identity and compared attributes of an observed object, canonical: what a reader (or a
/// severity rule) needs to know what the object is.
fn shown_attributes(spec: &ResourceSpec, attrs: &Attributes) -> Attributes {
    let mut shown = Attributes::new();
    for name in spec
        .identity
        .iter()
        .chain(["id".to_string(), "arn".to_string()].iter())
    {
        if let Some(v) = attrs.get(name) {
            shown.insert(name.clone(), v.clone());
        }
    }
    for attr in &spec.attributes {
        shown.insert(
            attr.name.clone(),
            normalize::attribute(attr, attrs, Side::Observed),
        );
    }
    shown
}

/// Observed attributes with every attribute that holds a secret on the recorded side (or
/// repeats one) wrapped as sensitive as a whole.
fn masked_like_recorded(mut shown: Attributes, recorded: &Attributes) -> Attributes {
    let secrets = sensitive_strings(recorded);
    for (k, v) in shown.iter_mut() {
        let secret_here = recorded.get(k).is_some_and(Value::contains_sensitive);
        if secret_here || mentions(v, &secrets) {
            *v = Value::sensitive(std::mem::replace(v, Value::Null));
        }
    }
    shown
}

/// The clear text of every sensitive string value of a resource.
fn sensitive_strings(attrs: &Attributes) -> Vec<String> {
    fn walk(v: &Value, inside: bool, out: &mut Vec<String>) {
        match v {
            Value::Sensitive(crate::model::Secret::Clear(inner)) => walk(inner, true, out),
            Value::String(s) if inside && !s.is_empty() => out.push(s.clone()),
            Value::List(l) => l.iter().for_each(|x| walk(x, inside, out)),
            Value::Map(m) => m.values().for_each(|x| walk(x, inside, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    attrs.values().for_each(|v| walk(v, false, &mut out));
    out
}

/// Whether `v` holds one of `secrets` as a value or inside a longer string.
fn mentions(v: &Value, secrets: &[String]) -> bool {
    !secrets.is_empty()
        && match v {
            Value::String(s) => secrets.iter().any(|x| s.contains(x.as_str())),
            Value::List(l) => l.iter().any(|x| mentions(x, secrets)),
            Value::Map(m) => m.values().any(|x| mentions(x, secrets)),
            _ => false,
        }
}

fn not_checked(r: &RecordedResource, reason: NotCheckedReason) -> NotChecked {
    NotChecked {
        resource_type: r.resource_type.clone(),
        address: r.address.clone(),
        state: r.state.clone(),
        reason,
    }
}

/// Group views of one cloud object: each primary view with the non-primary views that share
/// its `cloud_id` and region. Sorted by the primary's index (observations are sorted).
fn group_views(resources: &[ObservedResource]) -> BTreeMap<usize, Vec<usize>> {
    let mut primaries: HashMap<(&str, Option<&str>), Vec<usize>> = HashMap::new();
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, o) in resources.iter().enumerate() {
        if o.primary {
            primaries
                .entry((o.cloud_id.as_str(), o.region.as_deref()))
                .or_default()
                .push(i);
            groups.insert(i, vec![i]);
        }
    }
    for (i, o) in resources.iter().enumerate() {
        if !o.primary {
            for p in primaries
                .get(&(o.cloud_id.as_str(), o.region.as_deref()))
                .into_iter()
                .flatten()
            {
                groups.entry(*p).or_default().push(i);
            }
        }
    }
    groups
}

/// Whether an unrecorded object is already accounted for by its parent: the parent is recorded
/// and one of its compared attributes describes the object, or the parent itself is unrecorded
/// but observed (then the parent's own finding, or AWS's ownership, covers it).
fn covered_by_parent(
    registry: &Registry,
    spec: &ResourceSpec,
    o: &ObservedResource,
    recorded_keys: &HashSet<(&str, String)>,
    observed_index: &HashMap<(&str, String), Vec<usize>>,
    managed: &HashSet<(String, String, String)>,
) -> bool {
    for p in spec
        .parents
        .iter()
        .filter(|p| filter_matches(&p.filter, &o.attributes))
    {
        let Some(parent_id) = o.attributes.get(&p.via).and_then(Value::scalar_text) else {
            continue;
        };
        if registry.get(&p.resource_type).is_none() {
            continue;
        }
        if recorded_keys.contains(&(p.resource_type.as_str(), parent_id.clone())) {
            return match &p.attribute {
                Some(a) => !managed.contains(&(p.resource_type.clone(), parent_id, a.clone())),
                None => false,
            };
        }
        if observed_index.contains_key(&(p.resource_type.as_str(), parent_id)) {
            return true;
        }
    }
    false
}

/// Mark the observed values that a recorded resource holds as sensitive (or whose attribute a
/// spec marks sensitive) so that a recorded observation stores them only as fingerprints.
/// Values are brought to canonical form first, so a fingerprint compares by meaning.
pub fn mark_sensitive(
    registry: &Registry,
    states: &[RecordedState],
    observation: &mut Observation,
) {
    let mut sensitive_paths: HashMap<(String, String), Vec<Vec<String>>> = HashMap::new();
    for r in states.iter().flat_map(|s| s.resources.iter()) {
        let Some(spec) = registry.get(&r.resource_type) else {
            continue;
        };
        let mut paths = Vec::new();
        for (k, v) in &r.attributes {
            collect_sensitive(v, &mut vec![k.clone()], &mut paths);
        }
        if paths.is_empty() {
            continue;
        }
        for key in identity_keys(spec, &r.attributes, Side::Recorded) {
            sensitive_paths
                .entry((r.resource_type.clone(), key))
                .or_default()
                .extend(paths.iter().cloned());
        }
    }
    for o in &mut observation.resources {
        let Some(spec) = registry.get(&o.resource_type) else {
            continue;
        };
        let mut paths: Vec<Vec<String>> = spec
            .attributes
            .iter()
            .filter(|a| a.sensitive)
            .map(|a| vec![a.name.clone()])
            .collect();
        for key in identity_keys(spec, &o.attributes, Side::Observed) {
            if let Some(p) = sensitive_paths.get(&(o.resource_type.clone(), key)) {
                paths.extend(p.iter().cloned());
            }
        }
        for path in paths {
            let Some(attr) = spec.attribute(&path[0]) else {
                // Not compared: not needed in a recorded observation at all.
                o.attributes.remove(&path[0]);
                continue;
            };
            let canonical = normalize::attribute(attr, &o.attributes, Side::Observed);
            o.attributes.insert(attr.name.clone(), canonical);
            if let Some(slot) = value_at_mut(&mut o.attributes, &path) {
                *slot = Value::sensitive(std::mem::replace(slot, Value::Null));
            }
        }
    }
}

fn collect_sensitive(v: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Sensitive(_) => out.push(path.clone()),
        Value::Map(m) => {
            for (k, v) in m {
                path.push(k.clone());
                collect_sensitive(v, path, out);
                path.pop();
            }
        }
        Value::List(l) => {
            for (i, v) in l.iter().enumerate() {
                path.push(i.to_string());
                collect_sensitive(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn value_at_mut<'a>(attrs: &'a mut Attributes, path: &[String]) -> Option<&'a mut Value> {
    let mut cur = attrs.get_mut(&path[0])?;
    for seg in &path[1..] {
        cur = match cur {
            Value::Map(m) => m.get_mut(seg)?,
            Value::List(l) => l.get_mut(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
