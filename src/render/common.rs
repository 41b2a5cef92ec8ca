//! What every report format shows the same way: the verdict, the order of findings (most
//! severe first, then by address), a finding's name, its changes as masked values and line
//! diffs, and the rules that graded it (the built-in catalogue and the policy's own).
//!
//! Values reach text only through [`crate::mask::mask`]: a [`ShownChange`] holds [`Masked`]
//! values, never raw ones. A gap's free text (its `reason` and `detail`, which can quote AWS
//! error messages and endpoint URLs with credentials in them) reaches text only through
//! [`crate::mask::mask_text`]: a [`ShownGap`] holds it masked.

use std::collections::BTreeMap;

use similar::TextDiff;

use crate::mask::{Masked, mask, mask_text};
use crate::model::{DriftKind, Finding, Gap, NotCheckedReason, ScanReport, Severity, Unchecked};

/// A value whose one-line form is longer than this is shown as a diff rather than inline.
pub const LONG_VALUE: usize = 60;

/// How a scan ended, in the order the verdict line is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The scan could not see everything: never reads as clean.
    Incomplete,
    /// Findings at or above `fail_on` (exit 2).
    Drift,
    /// Findings, all below `fail_on`.
    BelowThreshold,
    /// Nothing found and everything seen.
    Clean,
}

impl Verdict {
    pub fn of(report: &ScanReport) -> Verdict {
        if !report.is_complete() {
            Verdict::Incomplete
        } else if report.fails() {
            Verdict::Drift
        } else if !report.findings.is_empty() {
            Verdict::BelowThreshold
        } else {
            Verdict::Clean
        }
    }
}

pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `6 changed, 1 missing, 3 unmanaged`.
pub fn drift_counts(report: &ScanReport) -> String {
    let s = &report.summary;
    format!(
        "{} changed, {} missing, {} unmanaged",
        s.changed, s.missing, s.unmanaged
    )
}

/// Why a scan is incomplete, in a few words: `2 gaps, 3 resources in regions not scanned`.
pub fn why_incomplete(report: &ScanReport) -> String {
    let mut parts = Vec::new();
    if !report.gaps.is_empty() {
        parts.push(plural(report.gaps.len(), "gap", "gaps"));
    }
    let region = report
        .not_checked
        .iter()
        .filter(|n| {
            matches!(
                n.reason,
                NotCheckedReason::RegionNotScanned(_) | NotCheckedReason::RegionUnknown
            )
        })
        .count();
    if region > 0 {
        parts.push(plural(
            region,
            "resource in a region not scanned (or unknown)",
            "resources in regions not scanned (or unknown)",
        ));
    }
    let hidden = report
        .not_checked
        .iter()
        .filter(|n| n.reason == NotCheckedReason::Unobserved)
        .count();
    if hidden > 0 {
        parts.push(plural(
            hidden,
            "resource hidden by a gap",
            "resources hidden by gaps",
        ));
    }
    let unsupported = report.unsupported();
    if unsupported > 0 && (report.strict || report.unchecked == Unchecked::Fail) {
        parts.push(plural(
            unsupported,
            "resource of an unsupported type",
            "resources of unsupported types",
        ));
    }
    parts.join(", ")
}

/// The one-line verdict every format leads with (without styling).
pub fn verdict_line(report: &ScanReport) -> String {
    let drift = drift_counts(report);
    match Verdict::of(report) {
        Verdict::Incomplete => format!(
            "INCOMPLETE: the scan could not see everything ({}). Seen: {drift}.",
            why_incomplete(report)
        ),
        Verdict::Clean => format!(
            "No drift: {} match what the cloud reports.",
            plural(
                report.summary.checked,
                "checked resource",
                "checked resources"
            )
        ),
        Verdict::BelowThreshold => format!(
            "Drift below the fail_on threshold ({}): {drift}; {}.",
            report.fail_on.unwrap_or(Severity::Info),
            severity_counts(report)
        ),
        Verdict::Drift => format!("Drift: {drift}; {}.", severity_counts(report)),
    }
}

/// `3 critical, 2 high, 3 medium`: the findings per severity, the levels that have any.
pub fn severity_counts(report: &ScanReport) -> String {
    let parts: Vec<String> = counts_by_severity(&report.findings)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    if parts.is_empty() {
        "no findings".to_string()
    } else {
        parts.join(", ")
    }
}

/// A finding's name: its address, or `TYPE ID` for an unmanaged resource.
pub fn finding_name(f: &Finding) -> String {
    let d = &f.drift;
    d.address
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| format!("{} {}", d.resource_type, d.id))
}

/// The object a finding's resource is part of, as `(type, id)`: a route's table, a rule's or an
/// association's ACL, a membership's or an attachment's group. From data: the `parent` blocks
/// of the resource's spec (the first whose `via` attribute the finding's attributes hold and
/// whose filter they match), preferring a parent that is itself among `findings`, else a plain
/// container (a parent block without `attribute`), else the first. `None` for a finding without
/// attributes (a missing resource) or a type without parents.
pub fn parent_of(
    f: &Finding,
    registry: &crate::spec::Registry,
    findings: &[Finding],
) -> Option<(String, String)> {
    let spec = registry.get(&f.drift.resource_type)?;
    let attrs = f.drift.observed.as_ref()?;
    let candidates: Vec<(&crate::spec::Parent, String)> = spec
        .parents
        .iter()
        .filter(|p| crate::spec::filter_matches(&p.filter, attrs))
        .filter_map(|p| {
            let id = attrs.get(&p.via)?.scalar_text().filter(|t| !t.is_empty())?;
            Some((p, id))
        })
        .collect();
    let present = |(p, id): &&(&crate::spec::Parent, String)| {
        findings.iter().any(|g| is_object(g, &p.resource_type, id))
    };
    let chosen = candidates
        .iter()
        .find(present)
        .or_else(|| candidates.iter().find(|(p, _)| p.attribute.is_none()))
        .or_else(|| candidates.first())?;
    Some((chosen.0.resource_type.clone(), chosen.1.clone()))
}

/// Whether a finding is about the object `(resource_type, id)`: its id, or its observed `id`.
pub fn is_object(f: &Finding, resource_type: &str, id: &str) -> bool {
    f.drift.resource_type == resource_type
        && (f.drift.id == id
            || f.drift
                .observed
                .as_ref()
                .and_then(|a| a.get("id"))
                .and_then(|v| v.scalar_text())
                .is_some_and(|v| v == id))
}

/// The order every human format uses: most severe first, then by name, kind and id.
pub fn severity_order(findings: &[Finding]) -> Vec<&Finding> {
    let mut v: Vec<&Finding> = findings.iter().collect();
    v.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| finding_name(a).cmp(&finding_name(b)))
            .then_with(|| a.drift.kind.cmp(&b.drift.kind))
            .then_with(|| a.drift.id.cmp(&b.drift.id))
    });
    v
}

/// Findings per severity, most severe first, every level present (zero counts included).
pub fn counts_by_severity(findings: &[Finding]) -> Vec<(Severity, usize)> {
    Severity::ALL
        .iter()
        .map(|s| (*s, findings.iter().filter(|f| f.severity == *s).count()))
        .collect()
}

/// Findings per kind, in kind order (changed, missing, unmanaged).
pub fn counts_by_kind(findings: &[Finding]) -> Vec<(DriftKind, usize)> {
    [DriftKind::Changed, DriftKind::Missing, DriftKind::Unmanaged]
        .iter()
        .map(|k| (*k, findings.iter().filter(|f| f.drift.kind == *k).count()))
        .collect()
}

/// One change of a finding as every format shows it: masked values, the observed one in the
/// recorded one's order where they agree by meaning.
#[derive(Debug, Clone)]
pub struct ShownChange {
    pub path: String,
    pub recorded: Masked,
    pub observed: Masked,
    /// The rule that graded this change, and its severity.
    pub rule: Option<(Severity, String)>,
}

impl ShownChange {
    /// Whether the values are documents or too long for a cell: shown as a line diff.
    pub fn is_long(&self) -> bool {
        is_long(&self.recorded) || is_long(&self.observed)
    }

    /// The unified line diff (`--- recorded` / `+++ observed`), without styling.
    pub fn diff(&self) -> String {
        unified_diff(&diff_text(&self.recorded), &diff_text(&self.observed))
    }

    /// `"t3.micro" -> "t3.large"`.
    pub fn inline(&self) -> String {
        format!("{} -> {}", self.recorded.inline(), self.observed.inline())
    }

    /// A few words for a message: the inline values when short, else `document changed`.
    pub fn brief(&self) -> String {
        if self.is_long() {
            format!("{} (changed, see diff)", self.path)
        } else {
            format!("{}: {}", self.path, self.inline())
        }
    }
}

/// The changes of a finding, masked, in path order.
pub fn shown_changes(f: &Finding) -> Vec<ShownChange> {
    f.drift
        .changes
        .iter()
        .enumerate()
        .map(|(i, c)| ShownChange {
            path: c.path.to_string(),
            recorded: mask(&c.recorded),
            observed: mask(&crate::normalize::align::observed_like(
                &c.recorded,
                &c.observed,
            )),
            rule: f.change_rules.get(i).map(|h| (h.severity, h.rule.clone())),
        })
        .collect()
}

/// A gap as every format shows it: its free text (`reason`, `detail`) already masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownGap<'a> {
    pub service: &'a str,
    /// `None` for global services.
    pub region: Option<&'a str>,
    pub operation: &'a str,
    pub resource_types: &'a [String],
    /// The gap's reason through [`mask_text`].
    pub reason: String,
    /// The SDK's error chain through [`mask_text`].
    pub detail: Option<String>,
}

impl ShownGap<'_> {
    /// The gap's region, or `global` for a global service.
    pub fn region_or_global(&self) -> &str {
        self.region.unwrap_or("global")
    }
}

impl<'a> From<&'a Gap> for ShownGap<'a> {
    fn from(g: &'a Gap) -> Self {
        ShownGap {
            service: &g.service,
            region: g.region.as_deref(),
            operation: &g.operation,
            resource_types: &g.resource_types,
            reason: mask_text(&g.reason),
            detail: g.detail.as_deref().map(mask_text),
        }
    }
}

/// The report's gaps in the order every format lists them (the gaps' own order, on their raw
/// fields, so it does not depend on what masking hides), their free text masked.
pub fn shown_gaps(report: &ScanReport) -> Vec<ShownGap<'_>> {
    let mut gaps: Vec<&Gap> = report.gaps.iter().collect();
    gaps.sort();
    gaps.into_iter().map(ShownGap::from).collect()
}

/// A finding as every format shows it: its facts computed once from the report, each format
/// only laying them out. Values are masked ([`ShownChange`], `observed`).
#[derive(Debug, Clone)]
pub struct ShownFinding {
    /// [`finding_name`]: the address, or `TYPE ID` for an unmanaged resource.
    pub name: String,
    /// Whether the finding has an address (then its cloud id is not part of its name).
    pub has_address: bool,
    pub severity: Severity,
    pub kind: DriftKind,
    pub rule: String,
    /// [`why`]: why it has its severity, in a few words.
    pub why: String,
    /// [`kind_and_paths`]: `changed: instance_type, tags.team`.
    pub what: String,
    pub resource_type: String,
    pub id: String,
    pub region: Option<String>,
    /// The state it was recorded in, as the report names it.
    pub state: Option<String>,
    /// Its resource block in the configuration (`main.tf:12`).
    pub source: Option<String>,
    /// The ignore that set it aside, for an ignored finding.
    pub ignored: Option<ShownIgnore>,
    /// Its changes, masked, in path order.
    pub changes: Vec<ShownChange>,
    /// An unmanaged resource's attributes as observed, masked; `None` when there are none.
    pub observed: Option<BTreeMap<String, Masked>>,
}

/// The ignore that set a finding aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownIgnore {
    pub pattern: String,
    /// Where the ignore is written (`driftgate.hcl:12`).
    pub source: String,
    pub reason: Option<String>,
}

impl ShownFinding {
    /// The facts of `f`, its severity explained with `rules`.
    pub fn of(f: &Finding, rules: &[RuleDoc]) -> ShownFinding {
        let d = &f.drift;
        ShownFinding {
            name: finding_name(f),
            has_address: d.address.is_some(),
            severity: f.severity,
            kind: d.kind,
            rule: f.rule.clone(),
            why: why(f, rules),
            what: kind_and_paths(f),
            resource_type: d.resource_type.clone(),
            id: d.id.clone(),
            region: d.region.clone(),
            state: d.state.as_ref().map(|s| s.0.clone()),
            source: f.source.as_ref().map(ToString::to_string),
            ignored: f.ignore().map(|ig| ShownIgnore {
                pattern: ig.pattern.clone(),
                source: ig.source.clone(),
                reason: ig.reason.clone(),
            }),
            changes: shown_changes(f),
            observed: d
                .observed
                .as_ref()
                .filter(|a| !a.is_empty())
                .map(crate::mask::mask_attributes),
        }
    }
}

/// `findings` as every human format lists them: in [`severity_order`], their facts computed.
pub fn shown_findings(findings: &[Finding], rules: &[RuleDoc]) -> Vec<ShownFinding> {
    severity_order(findings)
        .into_iter()
        .map(|f| ShownFinding::of(f, rules))
        .collect()
}

/// What a pending change is (configuration not yet applied).
#[derive(Debug, Clone)]
pub enum PendingWhat {
    /// A resource-level change, in words: `not yet created`, `no longer configured`, ...
    Said(&'static str),
    /// A configured attribute that differs from the recorded one, its values masked.
    Differs {
        path: String,
        recorded: Masked,
        desired: Masked,
    },
}

/// A pending change as every format shows it.
#[derive(Debug, Clone)]
pub struct ShownPending {
    pub address: String,
    pub what: PendingWhat,
    /// Its resource block in the configuration (`main.tf:12`).
    pub source: Option<String>,
}

/// The report's pending changes, in the report's order, their values masked.
pub fn shown_pending(report: &ScanReport) -> Vec<ShownPending> {
    use crate::model::PendingKind;
    report
        .pending
        .iter()
        .map(|p| {
            let what = match (&p.kind, &p.path) {
                (PendingKind::NotYetCreated, _) => PendingWhat::Said("not yet created"),
                (PendingKind::ToBeImported, _) => PendingWhat::Said(
                    "to be imported (an `import` block names it: terraform imports the existing object)",
                ),
                (PendingKind::NoLongerConfigured, _) => PendingWhat::Said("no longer configured"),
                (_, Some(path)) => PendingWhat::Differs {
                    path: path.to_string(),
                    recorded: mask(&p.recorded),
                    desired: mask(&p.desired),
                },
                (_, None) => PendingWhat::Said("differs"),
            };
            ShownPending {
                address: p.address.clone(),
                what,
                source: p.source.as_ref().map(ToString::to_string),
            }
        })
        .collect()
}

/// A recorded resource that was not checked, as every format shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownNotChecked<'a> {
    pub address: String,
    pub resource_type: &'a str,
    pub state: &'a str,
    pub reason: &'a NotCheckedReason,
}

impl ShownNotChecked<'_> {
    /// Why, in a few words (`region us-west-2 not scanned`), the region laid out by `region`.
    pub fn reason_words(&self, region: impl Fn(&str) -> String) -> String {
        match self.reason {
            NotCheckedReason::UnsupportedType => "unsupported type".to_string(),
            NotCheckedReason::RegionNotScanned(r) => format!("region {} not scanned", region(r)),
            NotCheckedReason::RegionUnknown => "region unknown".to_string(),
            NotCheckedReason::Unobserved => "hidden by a gap".to_string(),
        }
    }
}

/// The report's not-checked resources, sorted.
pub fn shown_not_checked(report: &ScanReport) -> Vec<ShownNotChecked<'_>> {
    let mut nc: Vec<_> = report.not_checked.iter().collect();
    nc.sort();
    nc.into_iter()
        .map(|n| ShownNotChecked {
            address: n.address.to_string(),
            resource_type: &n.resource_type,
            state: &n.state.0,
            reason: &n.reason,
        })
        .collect()
}

/// What a finding is about, in one line without values: `changed: instance_type, tags.team`,
/// `missing`, `unmanaged`.
pub fn kind_and_paths(f: &Finding) -> String {
    let d = &f.drift;
    if d.changes.is_empty() {
        return d.kind.as_str().to_string();
    }
    let paths: Vec<String> = d.changes.iter().map(|c| c.path.to_string()).collect();
    format!("{}: {}", d.kind.as_str(), paths.join(", "))
}

/// Whether a changed value is shown as a diff rather than in a cell.
pub fn is_long(m: &Masked) -> bool {
    m.is_json_text() || m.is_multiline() || m.inline().chars().count() > LONG_VALUE
}

/// The text a long value is diffed as: a document pretty-printed in its own key order; a list
/// or map as pretty JSON, with the documents inside it (an `inline_policy` block's `policy`)
/// shown as JSON rather than as one escaped string.
pub fn diff_text(m: &Masked) -> String {
    if m.is_null() {
        return String::new();
    }
    match m.to_json() {
        j @ (serde_json::Value::Array(_) | serde_json::Value::Object(_)) => {
            let mut s = crate::mask::json_pretty(&expand_documents(j)).unwrap_or_default();
            s.push('\n');
            s
        }
        _ => m.document().unwrap_or_else(|| format!("{}\n", m.inline())),
    }
}

/// Strings inside `v` that hold a JSON object or array, replaced by that JSON.
fn expand_documents(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::String(s) => {
            let t = s.trim_start();
            match serde_json::from_str::<J>(&s) {
                Ok(doc @ (J::Object(_) | J::Array(_))) if t.starts_with(['{', '[']) => doc,
                _ => J::String(s),
            }
        }
        J::Array(a) => J::Array(a.into_iter().map(expand_documents).collect()),
        J::Object(o) => J::Object(
            o.into_iter()
                .map(|(k, v)| (k, expand_documents(v)))
                .collect(),
        ),
        other => other,
    }
}

/// A unified line diff with three lines of context, headed `--- recorded` / `+++ observed`.
pub fn unified_diff(before: &str, after: &str) -> String {
    let diff = TextDiff::from_lines(before, after);
    let mut text = diff
        .unified_diff()
        .context_radius(3)
        .missing_newline_hint(false)
        .header("recorded", "observed")
        .to_string();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Where a rule comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleOrigin {
    /// The built-in catalogue (`driftgate rules`).
    BuiltIn,
    /// A `rule` block of the policy file, at this place (`driftgate.hcl:7`).
    Policy(String),
    /// A rule id a finding names that neither the catalogue nor the policy defines.
    Unknown,
}

/// A rule as reports describe it: what `driftgate rules explain` says, with the severity the
/// policy gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDoc {
    pub id: String,
    /// The severity after the policy's re-grades.
    pub severity: Severity,
    /// One line.
    pub summary: String,
    pub explanation: String,
    /// A few words: why a finding of this rule has its severity.
    pub why: String,
    pub origin: RuleOrigin,
    /// A built-in rule's own severity (before the policy's re-grades): a finding graded
    /// otherwise says the policy graded it. `None` for other rules.
    pub default_severity: Option<Severity>,
    /// The specifics behind this report's findings of the rule (`tcp 22 from 0.0.0.0/0`), by
    /// [`detail_key`]; never drawn from a drift that holds a secret.
    pub details: BTreeMap<String, String>,
}

/// What [`RuleDoc::details`] are keyed by: the finding's kind, resource, changed paths and
/// whether it is ignored (an attribute-level ignore splits one drift into two findings).
pub fn detail_key(f: &Finding) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        f.ignore().is_some(),
        f.drift.kind.as_str(),
        f.drift.resource_type,
        f.drift.id,
        kind_and_paths(f)
    )
}

/// The rule docs of the rules a report's findings name that `docs` does not define (so a
/// format that must describe every rule it references always can).
pub fn with_referenced(mut docs: Vec<RuleDoc>, report: &ScanReport) -> Vec<RuleDoc> {
    let mut missing: BTreeMap<String, Severity> = BTreeMap::new();
    for f in report.findings.iter().chain(&report.ignored) {
        let ids = std::iter::once((f.rule.as_str(), f.severity))
            .chain(f.change_rules.iter().map(|h| (h.rule.as_str(), h.severity)));
        for (id, sev) in ids {
            if !docs.iter().any(|d| d.id == id) {
                let e = missing.entry(id.to_string()).or_insert(sev);
                *e = (*e).max(sev);
            }
        }
    }
    for (id, severity) in missing {
        docs.push(RuleDoc {
            summary: format!("Rule `{id}`"),
            explanation: format!("The rule `{id}` graded this finding."),
            why: format!("rule {id}"),
            id,
            severity,
            origin: RuleOrigin::Unknown,
            default_severity: None,
            details: BTreeMap::new(),
        });
    }
    docs
}

/// Why a finding has its severity, in a few words: the rule's reason and the specifics behind
/// this finding (from `docs`), and the severity the policy gave it when that is not the built-in
/// rule's own. A rule `docs` does not describe is named by its id.
pub fn why(f: &Finding, docs: &[RuleDoc]) -> String {
    let doc = docs.iter().find(|d| d.id == f.rule);
    let base = doc
        .map(|d| d.why.clone())
        .unwrap_or_else(|| format!("rule {}", f.rule));
    let base = match doc.and_then(|d| d.details.get(&detail_key(f))) {
        Some(d) => format!("{base} ({d})"),
        None => base,
    };
    match doc.and_then(|d| d.default_severity) {
        Some(s) if s != f.severity => {
            format!("{base}; graded {} by the policy", f.severity)
        }
        _ => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::rules::docs as rule_docs;
    use crate::policy::Policy;
    use crate::render::sample::sample_report;

    #[test]
    fn most_severe_first_then_by_name() {
        let report = sample_report();
        let order: Vec<(Severity, String)> = severity_order(&report.findings)
            .iter()
            .map(|f| (f.severity, finding_name(f)))
            .collect();
        let mut sorted = order.clone();
        sorted.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        assert_eq!(order, sorted);
        assert_eq!(order.len(), report.findings.len());
    }

    #[test]
    fn every_builtin_rule_says_why_in_a_few_words() {
        for d in rule_docs(&Policy::default(), &ScanReport::default()) {
            let words = d.why.split_whitespace().count();
            assert!(
                (1..=8).contains(&words),
                "{}: `{}` is not a few words",
                d.id,
                d.why
            );
        }
    }

    #[test]
    fn why_names_what_was_opened_and_never_from_a_secret() {
        use crate::model::{Change, Drift, DriftKind, Path, Value};
        let block = |cidr: Value| {
            Value::Map(
                [
                    ("protocol", Value::str("tcp")),
                    ("from_port", Value::from(22)),
                    ("to_port", Value::from(22)),
                    ("cidr_blocks", Value::List(vec![cidr])),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            )
        };
        let finding = |cidr: Value| {
            let drift = Drift {
                kind: DriftKind::Changed,
                resource_type: "aws_security_group".into(),
                id: "sg-1".into(),
                address: Some(crate::model::Address::managed("aws_security_group", "web")),
                state: None,
                region: None,
                changes: vec![Change::new(
                    Path::root("ingress"),
                    Value::List(vec![]),
                    Value::List(vec![block(cidr)]),
                )],
                observed: None,
            };
            crate::policy::classify::classify_drift(drift, &Policy::default())
        };
        let why = |f: &Finding| {
            let report = ScanReport {
                findings: vec![f.clone()],
                ..ScanReport::default()
            };
            why(f, &rule_docs(&Policy::default(), &report))
        };
        let f = finding(Value::str("0.0.0.0/0"));
        assert_eq!(f.rule, "ingress_open_world_admin");
        assert_eq!(
            why(&f),
            "SSH/RDP/all ports opened to the internet (tcp 22 from 0.0.0.0/0)"
        );
        let f = finding(Value::sensitive(Value::str("0.0.0.0/0")));
        assert_eq!(f.rule, "ingress_open_world_admin");
        assert_eq!(why(&f), "SSH/RDP/all ports opened to the internet");

        // One drift split by an ignore into an open finding and an ignored one: each gets the
        // specifics of its own changes, never the other's (here: the ignored one's is a secret).
        let open = finding(Value::str("0.0.0.0/0"));
        let mut ignored = finding(Value::sensitive(Value::str("0.0.0.0/0")));
        ignored.status = crate::model::Status::Ignored(crate::model::IgnoreMatch {
            pattern: "id = \"sg-1\"".into(),
            reason: None,
            owner: None,
            expires: None,
            source: "driftgate.hcl:1".into(),
        });
        let report = ScanReport {
            findings: vec![open.clone()],
            ignored: vec![ignored.clone()],
            ..ScanReport::default()
        };
        let docs = rule_docs(&Policy::default(), &report);
        assert_eq!(
            super::why(&open, &docs),
            "SSH/RDP/all ports opened to the internet (tcp 22 from 0.0.0.0/0)"
        );
        assert_eq!(
            super::why(&ignored, &docs),
            "SSH/RDP/all ports opened to the internet"
        );
    }

    #[test]
    fn unknown_rule_ids_get_a_doc() {
        let mut report = sample_report();
        report.findings[0].rule = "made_up".into();
        let docs = with_referenced(rule_docs(&Policy::default(), &report), &report);
        let d = docs.iter().find(|d| d.id == "made_up").unwrap();
        assert_eq!(d.origin, RuleOrigin::Unknown);
    }
}
