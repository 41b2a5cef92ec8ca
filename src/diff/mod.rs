//! The drift engine: reconcile recorded resources with observed objects (match by the
//! identity their spec names), diff the matched pairs attribute by attribute, and account for
//! every observed object no state records. Pure and deterministic: the same states and
//! observation give the same report, whatever their order. Never fails.
//!
//! Who manages what: an attribute that another recorded resource manages (`managed_by`) is not
//! compared; an unrecorded object whose parent's attribute already describes it (`parent`) is a
//! change of the parent, not an unmanaged object. This is how a freshly applied stack scans
//! clean where terraform's refresh-only plan shows noise.
//!
//! Where a recorded resource lives: its ARN's region; a resource without one (an
//! `aws_security_group_rule`) lives in its `parent`'s region, found through the states, else
//! through the scan. A resource no evidence places, or placed in a region not scanned, is *not
//! checked* (the scan is incomplete), never missing; the configured region is never assumed.
//! A fan-out resource (one `aws_security_group_rule` with several CIDRs) is compared with every
//! EC2 rule it stands for, source by source in identity-key order, so the result never depends
//! on the order the API listed them in.

mod display;
pub mod pending;
pub mod tree;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::mask::SENSITIVE;
use crate::model::{
    Attributes, DiffReport, Drift, DriftKind, NotChecked, NotCheckedReason, Observation,
    ObservedResource, Owner, Path, RecordedResource, RecordedState, Secret, Summary, Value,
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
    identity(spec, attrs, side, None).keys
}

/// The identity keys of a resource, sorted, each with the source it stands for when the type
/// fans out (`10.1.0.0/16`, `pl-1`, `sg-1`, `self`), which names that source in a change path.
pub fn identity_sources(
    spec: &ResourceSpec,
    attrs: &Attributes,
    side: Side,
) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = identity(spec, attrs, side, None)
        .sources
        .into_iter()
        .filter_map(|(keys, label)| keys.into_iter().next().map(|k| (k, label)))
        .collect();
    out.sort();
    out
}

/// How a resource is matched, and how its identity prints.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Identity {
    /// The keys it is matched by (sorted). A secret part is keyed by its clear text, and in a
    /// replay also by its fingerprint, so it matches a recorded observation's fingerprint.
    pub keys: Vec<String>,
    /// The key a person reads: a secret part prints as `(sensitive)`; a key without a secret
    /// is preferred. `None` when the resource has no identity.
    pub shown: Option<String>,
    /// The key without its fan-out part (fan-out types only).
    pub base: Option<String>,
    /// The fan-out attributes that have items.
    pub slots: Vec<String>,
    /// For each fan-out item that is a secret: its attribute and the keys it gives.
    pub secret_items: Vec<(String, Vec<String>)>,
    /// One entry per source the resource stands for (one per fan-out item; one with no label
    /// for other types): the keys it is matched by, and the source as it names a change path
    /// (`10.1.0.0/16`, `pl-1`, `sg-1`, `self`; `(sensitive)` for a secret).
    pub sources: Vec<(Vec<String>, Option<String>)>,
}

/// The texts a value is keyed by, and whether it is a secret. A clear secret is keyed by its
/// clear text and, when `fp` is given (a replay), by its fingerprint too; a fingerprint by
/// itself. A clear value in a replay is keyed by its fingerprint as well: the recorded
/// observation may hold it as one (a value equal to a secret is stored as a secret).
fn key_texts(v: &Value, fp: Option<Fingerprinter<'_>>) -> Option<(Vec<String>, bool)> {
    match v {
        Value::Sensitive(Secret::Fingerprint(f)) => Some((vec![f.clone()], true)),
        Value::Sensitive(Secret::Clear(inner)) => {
            let (texts, _) = key_texts(inner, fp)?;
            Some((texts, true))
        }
        _ => {
            let t = v.scalar_text().filter(|t| !t.is_empty())?;
            let mut texts = vec![t];
            if let Some(fp) = fp {
                texts.push(fp(v));
            }
            Some((texts, false))
        }
    }
}

/// The identity of a resource (see [`Identity`]). `fp` is the replay's fingerprinter.
pub fn identity(
    spec: &ResourceSpec,
    attrs: &Attributes,
    side: Side,
    fp: Option<Fingerprinter<'_>>,
) -> Identity {
    let mut parts = Vec::with_capacity(spec.identity.len());
    let mut shown_parts = Vec::with_capacity(spec.identity.len());
    for part in &spec.identity {
        // A part naming alternatives (`a|b`) is the first of them with a value.
        let value_of = |name: &str| match spec.attribute(name) {
            Some(a) => normalize::attribute(a, attrs, side),
            None => attrs.get(name).cloned().unwrap_or(Value::Null),
        };
        let v = crate::spec::alternatives(part)
            .map(value_of)
            .find(|v| !v.is_empty_like())
            .unwrap_or(Value::Null);
        // A secret part of the base is keyed by one text: its clear text, or in a replay its
        // fingerprint (what a recorded observation holds there).
        let Some((texts, secret)) = key_texts(&v, None) else {
            return Identity::default();
        };
        let text = match (&v, fp) {
            (Value::Sensitive(Secret::Clear(inner)), Some(fp)) => fp(inner),
            _ => texts[0].clone(),
        };
        parts.push(text.clone());
        shown_parts.push(if secret { SENSITIVE.to_string() } else { text });
    }
    let sep = &spec.identity_separator;
    let base = parts.join(sep);
    let shown_base = shown_parts.join(sep);
    let mut id = Identity {
        base: (!spec.identity_fanout.is_empty()).then(|| base.clone()),
        ..Identity::default()
    };
    let mut shown: Vec<(bool, String)> = Vec::new();
    for name in &spec.identity_fanout {
        let items: Vec<Value> = match attrs.get(name) {
            Some(v @ Value::List(_)) => normalize::elements(v),
            Some(v @ Value::Sensitive(Secret::Clear(inner)))
                if matches!(**inner, Value::List(_)) =>
            {
                normalize::elements(v)
            }
            Some(Value::Bool(true)) => vec![Value::str("true")],
            Some(v @ Value::String(s)) if !s.is_empty() => vec![v.clone()],
            Some(v @ Value::Sensitive(_)) => vec![v.clone()],
            _ => Vec::new(),
        };
        if !items.is_empty() {
            id.slots.push(name.clone());
        }
        for item in items {
            let Some((texts, secret)) = key_texts(&item, fp) else {
                continue;
            };
            let keys: Vec<String> = texts
                .iter()
                .map(|t| format!("{base}{sep}{name}={t}"))
                .collect();
            let shown_item = if secret { SENSITIVE } else { texts[0].as_str() };
            shown.push((secret, format!("{shown_base}{sep}{name}={shown_item}")));
            if secret {
                id.secret_items.push((name.clone(), keys.clone()));
            }
            let label = if secret {
                SENSITIVE.to_string()
            } else if texts[0] == "true" && name == "self" {
                name.clone()
            } else {
                texts[0].clone()
            };
            id.sources.push((keys.clone(), Some(label)));
            id.keys.extend(keys);
        }
    }
    if id.keys.is_empty() {
        id.sources.push((vec![base.clone()], None));
        id.keys.push(base);
        shown.push((false, shown_base));
    }
    id.keys.sort();
    id.keys.dedup();
    shown.sort();
    id.shown = shown.into_iter().next().map(|(_, s)| s);
    id
}

/// Observed objects that stand where a recorded secret stood: a fan-out item of `ident` is a
/// secret and no observed object has its key (the secret was replaced out of band), so the
/// objects with the same base key and a source in the same attribute, that no recorded
/// resource matches, are what replaced it. They are returned with that attribute marked
/// sensitive: the value that now stands where a sensitive one stood is sensitive too.
fn replacing_secrets(
    resource_type: &str,
    ident: &Identity,
    observed_index: &HashMap<(&str, String), Vec<usize>>,
    slots: &HashMap<(&str, String, String), Vec<usize>>,
    matched_directly: &HashSet<usize>,
    resources: &[ObservedResource],
) -> Vec<(usize, ObservedResource)> {
    let Some(base) = &ident.base else {
        return Vec::new();
    };
    let mut out: BTreeMap<usize, ObservedResource> = BTreeMap::new();
    for (attr, keys) in &ident.secret_items {
        if keys
            .iter()
            .any(|k| observed_index.contains_key(&(resource_type, k.clone())))
        {
            continue;
        }
        let candidates = slots
            .get(&(resource_type, base.clone(), attr.clone()))
            .into_iter()
            .flatten()
            .filter(|i| !matched_directly.contains(i));
        for &i in candidates {
            let o = out.entry(i).or_insert_with(|| resources[i].clone());
            if let Some(v) = o.attributes.get_mut(attr) {
                *v = match std::mem::replace(v, Value::Null) {
                    Value::List(l) => Value::List(l.into_iter().map(Value::sensitive).collect()),
                    other => Value::sensitive(other),
                };
            }
        }
    }
    out.into_iter().collect()
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
/// types the union of the set attributes of every object it stands for (the other attributes
/// from the first object in identity-key order; `per_source_values` compares them with every
/// object). `matched` is in identity-key order, never in the order the API listed them.
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
pub fn scan(input: &ScanInput<'_>) -> DiffReport {
    let compared = compare(input);
    let objects = input.observation.resources.iter().map(Cow::Borrowed);
    compared.finish(input.registry, input.states, objects)
}

/// [`scan`], taking the observed objects out of `observation` (its `resources` are left
/// empty): what an unmanaged finding shows of its object is made from the object as the
/// object is dropped, once every comparison is done. The report is the same as `scan`'s; the
/// observed objects and the findings' view of them are never held whole side by side (for
/// an account with an empty state, two copies of every object in it).
pub fn scan_taking(
    registry: &Registry,
    states: &[RecordedState],
    observation: &mut Observation,
    strict: bool,
    fingerprint: Option<Fingerprinter<'_>>,
) -> DiffReport {
    let compared = compare(&ScanInput {
        registry,
        states,
        observation,
        strict,
        fingerprint,
    });
    // Each object is dropped as it is passed: one not shown at once, one shown once its view
    // is made.
    let objects = std::mem::take(&mut observation.resources)
        .into_iter()
        .map(Cow::Owned);
    compared.finish(registry, states, objects)
}

/// A comparison whose unmanaged findings do not show their objects yet.
struct Compared {
    report: DiffReport,
    summary: Summary,
    /// Each unmanaged finding without its view: (its index in the report, its object's index
    /// in the observation), by object index.
    unshown: Vec<(usize, usize)>,
}

impl Compared {
    /// Shows each unmanaged finding's object (`objects`: the observation's objects, in its
    /// order), then counts, sorts and hides secrets.
    fn finish<'o>(
        mut self,
        registry: &Registry,
        states: &[RecordedState],
        objects: impl Iterator<Item = Cow<'o, ObservedResource>>,
    ) -> DiffReport {
        let mut unshown = self.unshown.iter().peekable();
        for (i, o) in objects.enumerate() {
            if unshown.peek().is_none() {
                break;
            }
            let Some(&(drift, _)) = unshown.next_if(|&&(_, object)| object == i) else {
                continue;
            };
            if let Some(spec) = registry.get(&o.resource_type) {
                self.report.drifts[drift].observed = Some(shown_attributes(spec, &o.attributes));
            }
        }
        let recorded: Vec<&RecordedResource> =
            states.iter().flat_map(|s| s.resources.iter()).collect();
        finish(self.report, self.summary, &recorded)
    }
}

/// Every comparison of a scan: recorded resources with what they match, then the observed
/// objects nothing recorded matched.
fn compare(input: &ScanInput<'_>) -> Compared {
    let registry = input.registry;
    let recorded: Vec<&RecordedResource> = input
        .states
        .iter()
        .flat_map(|s| s.resources.iter())
        .collect();
    let managed = managed_elsewhere(registry, &recorded);
    let (observed_index, slots) = index_observed(input);
    let identities: Vec<Option<Identity>> = recorded
        .iter()
        .map(|r| {
            let spec = registry.get(&r.resource_type)?;
            Some(identity(
                spec,
                &r.attributes,
                Side::Recorded,
                input.fingerprint,
            ))
        })
        .collect();
    let matched_directly = matched_directly(&recorded, &identities, &observed_index);
    let mut report = empty_report(input);
    let mut summary = Summary {
        recorded: recorded.len(),
        ..Summary::default()
    };
    let recorded_by_key = index_recorded(registry, &recorded);
    let recorded_keys: HashSet<(&str, String)> = recorded_by_key.keys().cloned().collect();
    let scan = Scan {
        input,
        managed: &managed,
        observed_index: &observed_index,
        slots: &slots,
        matched_directly: &matched_directly,
        scanned_types: input
            .observation
            .resource_types
            .iter()
            .map(String::as_str)
            .collect(),
        locate: Locator {
            registry,
            recorded: &recorded_by_key,
            observed: &observed_index,
            observation: input.observation,
            providers: provider_regions(&recorded),
        },
    };
    let mut matched: HashSet<usize> = HashSet::new();
    for (r, ident) in recorded.iter().zip(&identities) {
        scan.check_recorded(r, ident.as_ref(), &mut report, &mut summary, &mut matched);
    }
    let unshown = scan.report_unmanaged(&recorded_keys, &matched, &mut report, &mut summary);
    Compared {
        report,
        summary,
        unshown,
    }
}

/// Observed objects by (type, identity key), and fan-out objects by (type, base key, fan-out
/// attribute): where a replaced secret is found.
#[allow(clippy::type_complexity)]
fn index_observed<'a>(
    input: &ScanInput<'a>,
) -> (
    HashMap<(&'a str, String), Vec<usize>>,
    HashMap<(&'a str, String, String), Vec<usize>>,
) {
    let mut observed_index: HashMap<(&str, String), Vec<usize>> = HashMap::new();
    let mut slots: HashMap<(&str, String, String), Vec<usize>> = HashMap::new();
    for (i, o) in input.observation.resources.iter().enumerate() {
        if let Some(spec) = input.registry.get(&o.resource_type) {
            let ident = identity(spec, &o.attributes, Side::Observed, input.fingerprint);
            for key in ident.keys {
                observed_index
                    .entry((o.resource_type.as_str(), key))
                    .or_default()
                    .push(i);
            }
            if let Some(base) = ident.base {
                for attr in ident.slots {
                    slots
                        .entry((o.resource_type.as_str(), base.clone(), attr))
                        .or_default()
                        .push(i);
                }
            }
        }
    }
    (observed_index, slots)
}

/// The observed objects some recorded resource's identity key names directly.
fn matched_directly(
    recorded: &[&RecordedResource],
    identities: &[Option<Identity>],
    observed_index: &HashMap<(&str, String), Vec<usize>>,
) -> HashSet<usize> {
    recorded
        .iter()
        .zip(identities)
        .flat_map(|(r, ident)| {
            ident.iter().flat_map(|ident| {
                ident.keys.iter().flat_map(|k| {
                    observed_index
                        .get(&(r.resource_type.as_str(), k.clone()))
                        .into_iter()
                        .flatten()
                        .copied()
                })
            })
        })
        .collect()
}

/// The report before any finding: what was compared, where, and what the scan could not see.
fn empty_report(input: &ScanInput<'_>) -> DiffReport {
    DiffReport {
        states: input.states.iter().map(|s| s.source.clone()).collect(),
        lineages: input
            .states
            .iter()
            .filter(|s| !s.lineage.is_empty())
            .map(|s| (s.source.clone(), s.lineage.clone()))
            .collect(),
        regions: input.observation.regions.clone(),
        gaps: input.observation.gaps.clone(),
        strict: input.strict,
        ..DiffReport::default()
    }
}

/// Recorded resources by (type, identity key): parents (of unrecorded objects, and the region
/// of a recorded resource without an ARN) are found here.
fn index_recorded<'a>(
    registry: &Registry,
    recorded: &[&'a RecordedResource],
) -> HashMap<(&'a str, String), Vec<&'a RecordedResource>> {
    let mut recorded_by_key: HashMap<(&str, String), Vec<&RecordedResource>> = HashMap::new();
    for r in recorded {
        if let Some(spec) = registry.get(&r.resource_type) {
            for k in identity_keys(spec, &r.attributes, Side::Recorded) {
                recorded_by_key
                    .entry((r.resource_type.as_str(), k))
                    .or_default()
                    .push(r);
            }
        }
    }
    recorded_by_key
}

/// Count the findings, sort the report and hide every secret in it: the last step of a scan.
fn finish(
    mut report: DiffReport,
    mut summary: Summary,
    recorded: &[&RecordedResource],
) -> DiffReport {
    hide_secrets(&mut report, recorded);
    for f in &report.drifts {
        match f.kind {
            DriftKind::Changed => summary.changed += 1,
            DriftKind::Missing => summary.missing += 1,
            DriftKind::Unmanaged => summary.unmanaged += 1,
        }
    }
    report
        .drifts
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    report.not_checked.sort();
    summary.not_checked = report.not_checked.len();
    report.summary = summary;
    report
}

/// The observed objects one recorded resource stands for, by the source they stand for.
type PerSource<'a> = Vec<(Option<&'a str>, Vec<&'a ObservedResource>)>;

/// What every step of one scan reads: the input and the indexes built from it once.
struct Scan<'a> {
    input: &'a ScanInput<'a>,
    managed: &'a HashSet<(String, String, String)>,
    observed_index: &'a HashMap<(&'a str, String), Vec<usize>>,
    slots: &'a HashMap<(&'a str, String, String), Vec<usize>>,
    matched_directly: &'a HashSet<usize>,
    scanned_types: BTreeSet<&'a str>,
    locate: Locator<'a>,
}

impl<'a> Scan<'a> {
    /// Owns one recorded resource's verdict: not checked (and why), missing, changed (with its
    /// changes) or clean. Records the observed objects it matched in `matched`.
    fn check_recorded(
        &self,
        r: &RecordedResource,
        ident: Option<&'a Identity>,
        report: &mut DiffReport,
        summary: &mut Summary,
        matched: &mut HashSet<usize>,
    ) {
        let (Some(spec), Some(ident)) = (self.input.registry.get(&r.resource_type), ident) else {
            report
                .not_checked
                .push(not_checked(r, NotCheckedReason::UnsupportedType));
            return;
        };
        let region = match self.place(r, spec) {
            Ok(region) => region,
            Err(reason) => {
                report.not_checked.push(not_checked(r, reason));
                return;
            }
        };
        summary.checked += 1;
        let replacing = replacing_secrets(
            &r.resource_type,
            ident,
            self.observed_index,
            self.slots,
            self.matched_directly,
            &self.input.observation.resources,
        );
        let mut per_source = self.sources_of(r, ident, region.as_deref(), matched);
        // What stands where a recorded secret stood (tainted: that source is a secret too).
        let tainted: Vec<&ObservedResource> = replacing
            .iter()
            .filter(|(_, o)| region.is_none() || o.region == region)
            .map(|(_, o)| o)
            .collect();
        matched.extend(replacing.iter().map(|(i, _)| *i));
        if !tainted.is_empty() {
            per_source.push((Some(SENSITIVE), tainted));
        }
        let id = ident
            .shown
            .clone()
            .or_else(|| r.id().map(str::to_string))
            .unwrap_or_default();
        if per_source.is_empty() {
            report.drifts.push(Drift {
                kind: DriftKind::Missing,
                resource_type: r.resource_type.clone(),
                id,
                address: Some(r.address.clone()),
                state: Some(r.state.clone()),
                region: region.clone(),
                changes: Vec::new(),
                observed: None,
            });
            return;
        }
        let objects: Vec<&ObservedResource> = per_source
            .iter()
            .flat_map(|(_, o)| o.iter().copied())
            .collect();
        let observed = merged_attributes(spec, &objects);
        let mut changes = self.compare(r, spec, &per_source, &observed);
        if !changes.is_empty() {
            hide_mentions_of_secrets(&mut changes, &r.attributes);
            changes.sort();
            report.drifts.push(Drift {
                kind: DriftKind::Changed,
                resource_type: r.resource_type.clone(),
                id,
                address: Some(r.address.clone()),
                state: Some(r.state.clone()),
                region: region.clone().or_else(|| objects[0].region.clone()),
                changes,
                observed: Some(masked_like_recorded(
                    shown_attributes(spec, &observed),
                    &r.attributes,
                )),
            });
        }
    }

    /// Owns where a recorded resource is checked: its region (`None` for a global one), or
    /// why it cannot be checked (not placed, its region or type not scanned, a gap hides it).
    fn place(
        &self,
        r: &RecordedResource,
        spec: &ResourceSpec,
    ) -> Result<Option<String>, NotCheckedReason> {
        let obs = self.input.observation;
        let region = match self.locate.whereabouts(spec, &r.attributes, 0) {
            Whereabouts::Global => None,
            // Nothing of its own says where it is (a region's one setting, seen in every
            // scanned region): the region its provider configuration's other resources are in.
            Whereabouts::Unknown => match self
                .locate
                .providers
                .get(&(r.state.0.as_str(), r.provider.as_str()))
            {
                Some(regions) if regions.len() == 1 => {
                    let region = regions.iter().next().cloned().unwrap_or_default();
                    if !obs.regions.contains(&region) {
                        return Err(NotCheckedReason::RegionNotScanned(region));
                    }
                    Some(region)
                }
                _ => return Err(NotCheckedReason::RegionUnknown),
            },
            Whereabouts::Region(region) if !obs.regions.contains(&region) => {
                return Err(NotCheckedReason::RegionNotScanned(region));
            }
            Whereabouts::Region(region) => Some(region),
        };
        if !self.scanned_types.contains(r.resource_type.as_str())
            || obs
                .gaps
                .iter()
                .any(|g| g.hides(&r.resource_type, region.as_deref()))
        {
            return Err(NotCheckedReason::Unobserved);
        }
        Ok(region)
    }

    /// Owns matching: the observed objects a recorded resource stands for, source by source in
    /// identity-key order (never the order the API listed them in), only those in its own
    /// region. Records them in `matched`.
    fn sources_of(
        &self,
        r: &RecordedResource,
        ident: &'a Identity,
        region: Option<&str>,
        matched: &mut HashSet<usize>,
    ) -> PerSource<'a> {
        let resources = &self.input.observation.resources;
        let mut sources: Vec<&(Vec<String>, Option<String>)> = ident.sources.iter().collect();
        sources.sort_by(|x, y| x.0.cmp(&y.0));
        let mut per_source: PerSource<'a> = Vec::new();
        for (keys, label) in sources {
            let hits: BTreeSet<usize> = keys
                .iter()
                .flat_map(|key| {
                    self.observed_index
                        .get(&(r.resource_type.as_str(), key.clone()))
                        .into_iter()
                        .flatten()
                        .copied()
                })
                .filter(|&i| region.is_none() || resources[i].region.as_deref() == region)
                .collect();
            matched.extend(hits.iter().copied());
            let mut objects: Vec<&ObservedResource> = hits.iter().map(|&i| &resources[i]).collect();
            objects.sort_by(|a, b| a.cloud_id.cmp(&b.cloud_id));
            if !objects.is_empty() {
                per_source.push((label.as_deref(), objects));
            }
        }
        per_source
    }

    /// Owns the attribute-by-attribute comparison of a matched resource (attributes another
    /// resource manages skipped; a fan-out source that differs named by its source).
    fn compare(
        &self,
        r: &RecordedResource,
        spec: &ResourceSpec,
        per_source: &[(Option<&str>, Vec<&ObservedResource>)],
        observed: &Attributes,
    ) -> Vec<crate::model::Change> {
        let own_id = r.id().unwrap_or_default();
        let mut changes = Vec::new();
        for attr in &spec.attributes {
            if self.managed.contains(&(
                spec.resource_type.clone(),
                own_id.to_string(),
                attr.name.clone(),
            )) {
                continue;
            }
            let before = normalize::attribute(attr, &r.attributes, Side::Recorded);
            let after = normalize::attribute(attr, observed, Side::Observed);
            let first = changes.len();
            let root = Path::root(attr.name.clone());
            match per_source_values(attr, per_source, &after) {
                // One EC2 rule of several differs from the others: name it by its source.
                Some(values) => {
                    for (label, value) in values {
                        tree::diff(
                            &root.key(label),
                            &before,
                            &value,
                            self.input.fingerprint,
                            &mut changes,
                        );
                    }
                }
                None => tree::diff(&root, &before, &after, self.input.fingerprint, &mut changes),
            }
            display::attach(attr, &r.attributes, observed, &mut changes[first..]);
        }
        changes
    }

    /// Owns unmanaged findings. Every observed object: group the views of one cloud object; a
    /// group none of whose views matched is unmanaged, unless AWS owns it or its recorded parent
    /// already describes it. The findings do not show their objects yet: returned are each
    /// one's index in the report and its object's in the observation, by object index.
    fn report_unmanaged(
        &self,
        recorded_keys: &HashSet<(&str, String)>,
        matched: &HashSet<usize>,
        report: &mut DiffReport,
        summary: &mut Summary,
    ) -> Vec<(usize, usize)> {
        let mut unshown = Vec::new();
        let obs = self.input.observation;
        let registry = self.input.registry;
        let groups = group_views(&obs.resources);
        for (primary, members) in &groups {
            let o = &obs.resources[*primary];
            summary.observed += 1;
            if members.iter().any(|m| matched.contains(m)) {
                continue;
            }
            if matches!(o.owner, Owner::Aws(_)) && !self.input.strict {
                continue;
            }
            let Some(spec) = registry.get(&o.resource_type) else {
                continue;
            };
            if covered_by_parent(
                registry,
                spec,
                o,
                recorded_keys,
                self.observed_index,
                self.managed,
                obs,
                self.input.strict,
            ) {
                continue;
            }
            unshown.push((report.drifts.len(), *primary));
            report.drifts.push(Drift {
                kind: DriftKind::Unmanaged,
                resource_type: o.resource_type.clone(),
                id: identity(spec, &o.attributes, Side::Observed, self.input.fingerprint)
                    .shown
                    .unwrap_or_else(|| o.cloud_id.clone()),
                address: None,
                state: None,
                region: o.region.clone(),
                changes: Vec::new(),
                // Made by `Compared::finish`, once nothing compares the objects any more.
                observed: None,
            });
        }
        unshown
    }
}

/// Defense in depth: a value the state holds as a secret is a secret wherever else it turns up
/// in this resource's changes (terraform marks only the path it was written to).
fn hide_mentions_of_secrets(changes: &mut [crate::model::Change], recorded: &Attributes) {
    let secrets = sensitive_strings(recorded);
    for c in changes {
        if !c.before.is_sensitive()
            && [&c.before, &c.after, &c.recorded, &c.observed]
                .iter()
                .any(|v| mentions(v, &secrets))
        {
            for v in [
                &mut c.before,
                &mut c.after,
                &mut c.recorded,
                &mut c.observed,
            ] {
                *v = Value::sensitive(std::mem::replace(v, Value::Null));
            }
        }
    }
}

/// The identity and compared attributes of an observed object, canonical: what a reader (or a
/// severity rule) needs to know what the object is.
fn shown_attributes(spec: &ResourceSpec, attrs: &Attributes) -> Attributes {
    let mut shown = Attributes::new();
    for name in spec
        .identity_names()
        .chain(["id", "arn"])
        .chain(spec.context.iter().map(String::as_str))
    {
        if let Some(v) = attrs.get(name) {
            shown.insert(name.to_string(), v.clone());
        }
    }
    for attr in &spec.attributes {
        // Not read for an object no state records (`read = "recorded"`): absent, never shown
        // as its default.
        if attr.read_recorded_only && !attrs.contains_key(&attr.name) {
            continue;
        }
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
/// but observed and reported as unmanaged (its own finding shows the object). An AWS-owned
/// parent (a default security group) is not reported unless `--strict`, so it covers nothing:
/// a rule the account added to it is the account's unmanaged rule.
#[allow(clippy::too_many_arguments)]
fn covered_by_parent(
    registry: &Registry,
    spec: &ResourceSpec,
    o: &ObservedResource,
    recorded_keys: &HashSet<(&str, String)>,
    observed_index: &HashMap<(&str, String), Vec<usize>>,
    managed: &HashSet<(String, String, String)>,
    observation: &Observation,
    strict: bool,
) -> bool {
    let parents: Vec<(&crate::spec::Parent, String)> = spec
        .parents
        .iter()
        .filter(|p| filter_matches(&p.filter, &o.attributes))
        .filter(|p| registry.get(&p.resource_type).is_some())
        .filter_map(|p| Some((p, o.attributes.get(&p.via).and_then(Value::scalar_text)?)))
        .collect();
    // A recorded parent decides, whichever parent type records it.
    for (p, parent_id) in &parents {
        if recorded_keys.contains(&(p.resource_type.as_str(), parent_id.clone())) {
            return match &p.attribute {
                Some(a) => {
                    !managed.contains(&(p.resource_type.clone(), parent_id.clone(), a.clone()))
                }
                None => false,
            };
        }
    }
    parents.iter().any(|(p, parent_id)| {
        observed_index
            .get(&(p.resource_type.as_str(), parent_id.clone()))
            .into_iter()
            .flatten()
            .any(|&i| {
                let parent = &observation.resources[i];
                parent.region == o.region && (strict || parent.owner == Owner::User)
            })
    })
}

/// For a fan-out resource standing for several observed objects: when the objects disagree on
/// a non-set attribute (the description of the second CIDR's rule changed), each object's
/// value by the source it stands for. `None` when there is one object, or they all agree.
fn per_source_values<'a>(
    attr: &crate::spec::AttributeSpec,
    per_source: &[(Option<&'a str>, Vec<&ObservedResource>)],
    merged: &Value,
) -> Option<Vec<(&'a str, Value)>> {
    if attr.compare == Compare::Set || per_source.len() < 2 {
        return None;
    }
    let values: Vec<(&str, Value)> = per_source
        .iter()
        .flat_map(|(label, objects)| {
            objects.iter().map(move |o| {
                (
                    label.unwrap_or_default(),
                    normalize::attribute(attr, &o.attributes, Side::Observed),
                )
            })
        })
        .collect();
    values.iter().any(|(_, v)| v != merged).then_some(values)
}

/// Where a recorded resource lives.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Whereabouts {
    /// A global service (IAM): scanned wherever the scan looks.
    Global,
    Region(String),
    /// No ARN, and neither a parent nor the observation says: never guessed.
    Unknown,
}

/// Finds where a recorded resource lives: its ARN's region; else its parent's (a spec's
/// `parent`, through the states, recursively); else the region of the scanned object it
/// matches or of its observed parent. A resource that none of these place is `Unknown`, never
/// assumed to be in the configured region.
struct Locator<'a> {
    registry: &'a Registry,
    recorded: &'a HashMap<(&'a str, String), Vec<&'a RecordedResource>>,
    observed: &'a HashMap<(&'a str, String), Vec<usize>>,
    observation: &'a Observation,
    /// Per state and provider configuration, the regions its resources say they are in (an
    /// ARN, a recorded `region`): one provider configuration is one region.
    providers: HashMap<(&'a str, &'a str), BTreeSet<String>>,
}

/// The region a recorded resource says it is in: its ARN's, or the `region` the AWS provider
/// records on every regional resource from version 6.
fn own_region(attrs: &Attributes) -> Option<&str> {
    attrs
        .get("arn")
        .and_then(Value::as_str)
        .and_then(crate::model::arn_region)
        .or_else(|| {
            attrs
                .get("region")
                .and_then(Value::as_str)
                .filter(|r| !r.is_empty())
        })
}

/// [`Locator::providers`] of the recorded resources.
fn provider_regions<'a>(
    recorded: &[&'a RecordedResource],
) -> HashMap<(&'a str, &'a str), BTreeSet<String>> {
    let mut out: HashMap<(&str, &str), BTreeSet<String>> = HashMap::new();
    for r in recorded {
        if let Some(region) = own_region(&r.attributes) {
            out.entry((r.state.0.as_str(), r.provider.as_str()))
                .or_default()
                .insert(region.to_string());
        }
    }
    out
}

impl Locator<'_> {
    fn whereabouts(&self, spec: &ResourceSpec, attrs: &Attributes, depth: usize) -> Whereabouts {
        if spec.scope == Scope::Global {
            return Whereabouts::Global;
        }
        if let Some(region) = own_region(attrs) {
            return Whereabouts::Region(region.to_string());
        }
        let parents: Vec<(&crate::spec::Parent, String)> = spec
            .parents
            .iter()
            .filter(|p| filter_matches(&p.filter, attrs))
            .filter_map(|p| Some((p, attrs.get(&p.via).and_then(Value::scalar_text)?)))
            .collect();
        // The states first: the parent recorded beside it.
        let mut found = BTreeSet::new();
        for (p, parent_id) in &parents {
            let Some(parent_spec) = self.registry.get(&p.resource_type) else {
                continue;
            };
            for parent in self
                .recorded
                .get(&(p.resource_type.as_str(), parent_id.clone()))
                .into_iter()
                .flatten()
            {
                if depth < 4
                    && let Whereabouts::Region(r) =
                        self.whereabouts(parent_spec, &parent.attributes, depth + 1)
                {
                    found.insert(r);
                }
            }
        }
        if found.is_empty() {
            // Then the scan: the object itself, or its parent, seen in a scanned region.
            let own = identity_keys(spec, attrs, Side::Recorded)
                .into_iter()
                .map(|k| (spec.resource_type.as_str(), k));
            let of_parents = parents
                .iter()
                .map(|(p, id)| (p.resource_type.as_str(), id.clone()));
            for key in own.chain(of_parents) {
                for &i in self.observed.get(&key).into_iter().flatten() {
                    if let Some(r) = &self.observation.resources[i].region {
                        found.insert(r.clone());
                    }
                }
            }
        }
        // Several candidate regions would be a guess too.
        match (found.len(), found.into_iter().next()) {
            (1, Some(r)) => Whereabouts::Region(r),
            _ => Whereabouts::Unknown,
        }
    }
}

/// Every text the report must not show: what the states hold as secrets, and what now stands
/// where a secret stood (the clear strings inside a change's sensitive observed value that the
/// recorded value does not have).
///
/// terraform marks a whole set when one of its elements is a secret (an inline `ingress` with
/// one sensitive CIDR is sensitive as a whole), so which string of a sensitive container is
/// the secret is not known: every string in it is taken for one, except those the states also
/// hold in clear elsewhere (`tcp`, a CIDR another rule names): those are no secret.
fn secret_texts(recorded: &[&RecordedResource], report: &DiffReport) -> BTreeSet<String> {
    let mut in_clear = BTreeSet::new();
    let mut direct = BTreeSet::new();
    let mut contained = BTreeSet::new();
    for v in recorded.iter().flat_map(|r| r.attributes.values()) {
        classify_strings(v, false, &mut in_clear, &mut direct, &mut contained);
    }
    let mut texts = direct;
    texts.extend(contained.into_iter().filter(|t| !in_clear.contains(t)));
    for c in report.drifts.iter().flat_map(|f| f.changes.iter()) {
        let mut before = BTreeSet::new();
        strings(&c.before, false, &mut before);
        let mut secret_after = BTreeSet::new();
        strings(&c.after, true, &mut secret_after);
        texts.extend(
            secret_after
                .into_iter()
                .filter(|t| !before.contains(t) && !in_clear.contains(t)),
        );
    }
    texts
}

/// Sorts the non-empty strings of a recorded value: outside any secret (`in_clear`), a secret
/// string itself (`direct`), or a string inside a secret list or map (`contained`).
fn classify_strings(
    v: &Value,
    inside: bool,
    in_clear: &mut BTreeSet<String>,
    direct: &mut BTreeSet<String>,
    contained: &mut BTreeSet<String>,
) {
    match v {
        Value::Sensitive(Secret::Clear(inner)) => match inner.as_ref() {
            Value::String(s) if !s.is_empty() => {
                direct.insert(s.clone());
            }
            other => classify_strings(other, true, in_clear, direct, contained),
        },
        Value::String(s) if !s.is_empty() => {
            if inside {
                contained.insert(s.clone());
            } else {
                in_clear.insert(s.clone());
            }
        }
        Value::List(l) => l
            .iter()
            .for_each(|x| classify_strings(x, inside, in_clear, direct, contained)),
        Value::Map(m) => m
            .values()
            .for_each(|x| classify_strings(x, inside, in_clear, direct, contained)),
        _ => {}
    }
}

/// The non-empty strings of `v` (only those inside a clear secret when `only_secret`).
fn strings(v: &Value, only_secret: bool, out: &mut BTreeSet<String>) {
    fn walk(v: &Value, inside: bool, out: &mut BTreeSet<String>) {
        match v {
            Value::Sensitive(Secret::Clear(inner)) => walk(inner, true, out),
            Value::String(s) if inside && !s.is_empty() => {
                out.insert(s.clone());
            }
            Value::List(l) => l.iter().for_each(|x| walk(x, inside, out)),
            Value::Map(m) => m.values().for_each(|x| walk(x, inside, out)),
            _ => {}
        }
    }
    walk(v, !only_secret, out);
}

/// `v` with every string that holds one of `texts` wrapped as a secret, leaf by leaf.
fn wrap_mentions(v: &mut Value, texts: &BTreeSet<String>) {
    match v {
        Value::String(s) if texts.iter().any(|t| s.contains(t.as_str())) => {
            *v = Value::sensitive(std::mem::replace(v, Value::Null));
        }
        Value::List(l) => l.iter_mut().for_each(|x| wrap_mentions(x, texts)),
        Value::Map(m) => m.values_mut().for_each(|x| wrap_mentions(x, texts)),
        _ => {}
    }
}

/// The last guard of a report: a secret (as the states hold it, or as it now stands where one
/// stood) is a secret wherever it turns up, in every finding's changes and observed attributes
/// (terraform marks only the path a secret was written to; the cloud repeats it in other views
/// of one object: a group's rules and the rule objects split from them).
fn hide_secrets(report: &mut DiffReport, recorded: &[&RecordedResource]) {
    let texts = secret_texts(recorded, report);
    if texts.is_empty() {
        return;
    }
    for f in &mut report.drifts {
        for c in &mut f.changes {
            wrap_mentions(&mut c.before, &texts);
            wrap_mentions(&mut c.after, &texts);
        }
        for v in f.observed.iter_mut().flat_map(|o| o.values_mut()) {
            wrap_mentions(v, &texts);
        }
    }
}

/// Mark the observed values that must be stored only as fingerprints in a recorded observation:
/// - an attribute (or map entry) a recorded resource holds as a secret, or a spec marks
///   sensitive, is marked as a whole;
/// - every string that holds a secret (as the states hold it, or as it now stands where a
///   secret stood: found by a scan of this observation against the states) is marked where
///   it stands, in every object: a group's rules, the rule objects split from them, a list
///   element after sorting and splitting.
///
/// Compared attributes that hold a secret are brought to canonical form first, so a
/// fingerprint compares by meaning (and stays put: normalizing is idempotent).
pub fn mark_sensitive(
    registry: &Registry,
    states: &[RecordedState],
    observation: &mut Observation,
) {
    let recorded: Vec<&RecordedResource> = states.iter().flat_map(|s| s.resources.iter()).collect();
    let report = scan(&ScanInput {
        registry,
        states,
        observation,
        strict: false,
        fingerprint: None,
    });
    let texts = secret_texts(&recorded, &report);
    let mut sensitive_paths: HashMap<(String, String), Vec<Vec<String>>> = HashMap::new();
    for r in &recorded {
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
        paths.sort();
        paths.dedup();
        // A secret that is a list element: the recorded index names nothing in the observed
        // list (sorted, split into one object per source); the element is found by its text.
        paths.retain(|p| !p[1..].iter().any(|seg| seg.parse::<usize>().is_ok()));
        // Canonical first (every compared attribute that will hold a marker), then mark.
        let context = o.attributes.clone();
        for attr in &spec.attributes {
            let Some(v) = o.attributes.get(&attr.name) else {
                continue;
            };
            let mut probe = v.clone();
            wrap_mentions(&mut probe, &texts);
            if probe.contains_sensitive() || paths.iter().any(|p| p[0] == attr.name) {
                let canonical = normalize::attribute(attr, &context, Side::Observed);
                o.attributes.insert(attr.name.clone(), canonical);
            }
        }
        for path in paths {
            if spec.attribute(&path[0]).is_none() {
                // Not compared: not needed in a recorded observation at all.
                o.attributes.remove(&path[0]);
                continue;
            }
            if let Some(slot) = value_at_mut(&mut o.attributes, &path) {
                *slot = Value::sensitive(std::mem::replace(slot, Value::Null));
            }
        }
        for v in o.attributes.values_mut() {
            wrap_mentions(v, &texts);
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
