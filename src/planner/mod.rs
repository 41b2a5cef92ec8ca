//! Remediation planning: findings + recorded resources -> ordered [`Action`]s (pure,
//! deterministic), sealed into a [`Plan`] with a digest ([`digest`]) and written as the plan
//! file ([`crate::plan_file`], beneath the planner: the features that read a plan do not
//! import the planner). Nothing here reads the clock, the environment or
//! the cloud: the caller passes the times, the author and the inputs.
//!
//! What each resource type can revert in place, re-create, or must leave to terraform is said
//! by its spec (`revert`, `immutable`, `recreate` in `providers/aws/**.hcl`); the SDK operations
//! behind each named revert live in [`aws`]. See docs/remediation.md.

pub mod aws;
pub mod guardrail;
pub mod import;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::model::desired::Configuration;
use crate::model::plan::{
    Action, ActionKind, ActionStatus, Author, Call, ConfigEdit, Expect, FindingRef, Inputs,
    PLAN_FORMAT_VERSION, Plan, PlannedChange,
};
use crate::model::{
    Change, DriftKind, Finding, RecordedResource, RecordedState, Secret, Severity, Value,
};
use crate::plan_file::{digest, edit, shell_word};
use crate::spec::{Registry, Revert};

/// What the user asked the planner for.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Plan reverts that interrupt a running workload (stop/start an instance).
    pub allow_disruptive: bool,
    /// Only findings whose address (or `TYPE.ID` for an unmanaged object) matches one of these
    /// globs; all findings when empty.
    pub targets: Vec<String>,
    /// Only findings at or above this severity (the scan's `fail_on`); all when `None`.
    pub min_severity: Option<Severity>,
    /// Changed resources whose address matches one of these globs are *accepted* (the
    /// configuration takes the cloud's value) instead of reverted. Needs the configuration.
    pub accept: Vec<String>,
    /// `--delete-unmanaged`: plan the deletion of unmanaged objects instead of their import
    /// (subject to the guardrails).
    pub delete_unmanaged: bool,
}

/// The file, in the configuration directory, that import blocks are written to.
pub const IMPORT_FILE: &str = "driftgate_imports.tf";

/// The terraform configuration a plan may edit (accept, import).
#[derive(Debug, Clone, Copy)]
pub struct ConfigInput<'a> {
    pub configuration: &'a Configuration,
    /// The text of the configuration's files, by path relative to its directory: every file
    /// a resource block is in, and [`IMPORT_FILE`] when it exists.
    pub files: &'a BTreeMap<String, String>,
}

/// Everything the planner reads.
pub struct PlanInput<'a> {
    pub registry: &'a Registry,
    pub findings: &'a [Finding],
    pub states: &'a [RecordedState],
    pub options: &'a PlanOptions,
    /// The key of the plan's fingerprints (expectations, sensitive values in changes):
    /// [`expectation_key`] of the states.
    pub key: &'a [u8],
    /// The configuration, when the scan read one: accept and import need it.
    pub config: Option<ConfigInput<'a>>,
    /// The observation the findings came from: an import writes documents as the cloud
    /// returned them (the findings hold their canonical form).
    pub observation: Option<&'a crate::model::Observation>,
    /// The reverts the provider's resource units provide (`revert = "<unit's name>"`).
    pub unit_reverts: &'a [&'a crate::model::plan::UnitRevert],
}

/// The key the plan's fingerprints are taken with: SHA-256 over the canonical encoding of
/// every recorded attribute of every state, secrets included. `apply`, which reads the same
/// states again (and checks their SHA-256), derives the same key; the plan file alone does
/// not give it, so a fingerprint of a short secret cannot be guessed from the plan.
pub fn expectation_key(states: &[RecordedState]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"driftgate-expect-key-v1\0");
    for s in states {
        h.update(s.source.0.as_bytes());
        h.update([0]);
        for r in &s.resources {
            h.update(r.address.to_string().as_bytes());
            h.update([0]);
            h.update(crate::mask::canonical_bytes(&Value::Map(
                r.attributes.clone(),
            )));
        }
    }
    h.finalize().to_vec()
}

/// A `--target` glob that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadTarget {
    pub glob: String,
    pub reason: String,
}

/// The planned actions for the findings, in plan order, with ids `a01`, `a02`, ...
pub fn build(input: &PlanInput<'_>) -> Result<Vec<Action>, BadTarget> {
    let targets = target_matcher(&input.options.targets)?;
    let accept = target_matcher(&input.options.accept)?;
    let recorded: BTreeMap<(String, String), &RecordedResource> = input
        .states
        .iter()
        .flat_map(|s| s.resources.iter())
        .map(|r| ((r.state.0.clone(), r.address.to_string()), r))
        .collect();
    let missing: Vec<&Finding> = input
        .findings
        .iter()
        .filter(|f| f.drift.kind == DriftKind::Missing)
        .collect();
    let mut actions = Vec::new();
    // The names earlier imports of this plan took (`TYPE.NAME`): each import's is its own.
    let mut import_names = std::collections::BTreeSet::new();
    for f in input.findings {
        if input.options.min_severity.is_some_and(|m| f.severity < m) {
            continue;
        }
        if let Some(t) = &targets
            && !t.is_match(finding_name(f))
        {
            continue;
        }
        let rec = match (&f.drift.address, &f.drift.state) {
            (Some(a), Some(s)) => recorded.get(&(s.0.clone(), a.to_string())).copied(),
            _ => None,
        };
        let planner = Planner {
            input,
            finding: f,
            recorded: rec,
        };
        let accepted = accept.as_ref().is_some_and(|a| a.is_match(finding_name(f)));
        match f.drift.kind {
            DriftKind::Changed if accepted => actions.push(planner.accept()),
            DriftKind::Changed => actions.extend(planner.revert()),
            DriftKind::Missing => actions.push(planner.recreate(&missing)),
            DriftKind::Unmanaged if input.options.delete_unmanaged => {
                actions.push(planner.delete())
            }
            DriftKind::Unmanaged => actions.push(planner.import(&mut import_names)),
        }
    }
    actions.sort_by(|a, b| order_key(a).cmp(&order_key(b)));
    for (i, a) in actions.iter_mut().enumerate() {
        a.id = format!("a{:02}", i + 1);
    }
    Ok(actions)
}

/// The last step of planning, after the guardrails decided what is blocked: runs the
/// configuration edits of the planned actions (accept, import) in plan order, so each edit's
/// file hashes assume exactly the edits that will run before it.
pub fn finish_edits(actions: &mut [Action], input: &PlanInput<'_>) {
    if let Some(config) = input.config {
        let mut secrets = secret_texts(input.states);
        secrets.extend(config_secrets(config.configuration, input.registry));
        materialize_edits(actions, config.files, &secrets);
    }
}

/// Runs the configuration edits in plan order, each on the file as the edits before it left
/// it: fills in each edit's file hashes and diff, or makes the action manual (naming the
/// line to change) where driftgate must not write. The diff's context lines come from the
/// user's files: any text the states hold as secret is masked there too.
fn materialize_edits(actions: &mut [Action], files: &BTreeMap<String, String>, secrets: &[String]) {
    let mut now: BTreeMap<String, Option<String>> = BTreeMap::new();
    for a in actions
        .iter_mut()
        .filter(|a| a.status == ActionStatus::Planned)
    {
        let mut refusal = None;
        for call in a.calls.iter_mut() {
            let Call::ConfigEdit {
                file,
                before_sha256,
                after_sha256,
                edit,
                diff,
            } = call
            else {
                continue;
            };
            let current = now
                .entry(file.clone())
                .or_insert_with(|| files.get(file.as_str()).cloned())
                .clone();
            match edit::apply(current.as_deref(), edit) {
                Ok(after) => {
                    *before_sha256 = current.as_deref().map(edit::sha256);
                    *after_sha256 = edit::sha256(&after);
                    *diff = crate::mask::mask_text(&crate::mask::scrub_known(
                        &edit::unified_diff(file, current.as_deref(), &after),
                        secrets,
                    ));
                    now.insert(file.clone(), Some(after));
                }
                Err(r) => {
                    refusal = Some((format!("{file}:{}", r.line), r.reason));
                    break;
                }
            }
        }
        if let Some((place, why)) = refusal {
            let follow = a.follow_up.take().unwrap_or_default();
            a.status = ActionStatus::Manual;
            a.calls.clear();
            a.manual_command = Some(if follow.is_empty() {
                format!("edit {place}")
            } else {
                format!("edit {place}, then {follow}")
            });
            a.reason = why;
        }
    }
}

/// Every secret text the states hold, sorted (`mask::scrub_known` replaces the longest
/// first).
/// Every text the configuration marks secret: the values of `sensitive` variables, every
/// sensitive value in a resource's attributes, and what is configured for an attribute the
/// spec marks `sensitive` (a literal `password = "..."`).
fn config_secrets(config: &Configuration, registry: &Registry) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Sensitive(_) => crate::mask::scalar_texts(v, out),
            Value::List(l) => l.iter().for_each(|x| walk(x, out)),
            Value::Map(m) => m.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = config.secrets.clone();
    for r in &config.resources {
        let spec = registry.get(&r.resource_type);
        let instances = r.instances.iter().flat_map(|i| i.values());
        for attrs in std::iter::once(&r.attributes).chain(instances) {
            for (name, v) in attrs {
                if spec
                    .and_then(|s| s.attribute(name))
                    .is_some_and(|a| a.sensitive)
                {
                    crate::mask::scalar_texts(v, &mut out);
                } else {
                    walk(v, &mut out);
                }
            }
        }
    }
    out
}

fn secret_texts(states: &[RecordedState]) -> Vec<String> {
    fn walk(v: &Value, inside: bool, out: &mut Vec<String>) {
        match v {
            Value::Sensitive(Secret::Clear(x)) => walk(x, true, out),
            Value::List(l) => l.iter().for_each(|x| walk(x, inside, out)),
            Value::Map(m) => m.values().for_each(|x| walk(x, inside, out)),
            other if inside => {
                if let Some(t) = other.scalar_text().filter(|t| t.len() >= 4) {
                    out.push(t);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for r in states.iter().flat_map(|s| s.resources.iter()) {
        for v in r.attributes.values() {
            walk(v, false, &mut out);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Where a clear secret is in the actions, if one is (`a01 changes[0].now`): a plan must hold
/// none (secrets are fingerprints, or references to the state), so `plan` refuses to write it.
pub fn clear_secret(actions: &[Action]) -> Option<String> {
    fn has(v: &Value) -> bool {
        match v {
            Value::Sensitive(Secret::Clear(_)) => true,
            Value::List(l) => l.iter().any(has),
            Value::Map(m) => m.values().any(has),
            _ => false,
        }
    }
    fn arg(a: &crate::model::plan::Arg) -> bool {
        matches!(a, crate::model::plan::Arg::Value(v) if has(v))
    }
    for a in actions {
        for (i, c) in a.changes.iter().enumerate() {
            if has(&c.now) || has(&c.target) {
                return Some(format!("{} changes[{i}] ({})", a.id, c.path));
            }
        }
        for (i, c) in a.calls.iter().enumerate() {
            let clear = match c {
                Call::Ec2CreateTags { tags, .. } | Call::IamTag { tags, .. } => {
                    tags.values().any(arg)
                }
                Call::Ec2ModifyInstanceAttribute { value, .. } => arg(value),
                Call::IamUpdateAssumeRolePolicy { document, .. }
                | Call::IamPutInlinePolicy { document, .. }
                | Call::IamCreatePolicyVersion { document, .. } => arg(document),
                Call::IamUpdateRole { description, .. } => description.as_ref().is_some_and(arg),
                Call::ConfigEdit {
                    edit: ConfigEdit::Set { values, .. },
                    ..
                } => values.iter().any(|(_, v)| v.as_ref().is_some_and(has)),
                _ => false,
            };
            if clear {
                return Some(format!("{} calls[{i}] ({})", a.id, c.api()));
            }
        }
    }
    None
}

/// Assemble a plan and seal it with its digest.
pub fn seal(
    actions: Vec<Action>,
    inputs: Inputs,
    author: Author,
    created_at: time::OffsetDateTime,
    ttl: time::Duration,
) -> Plan {
    let created_at = created_at
        .replace_nanosecond(0)
        .unwrap_or(created_at)
        .to_offset(time::UtcOffset::UTC);
    let mut plan = Plan {
        format_version: PLAN_FORMAT_VERSION,
        created_at,
        expires_at: created_at + ttl,
        author,
        inputs,
        actions,
        digest: String::new(),
    };
    plan.digest = digest::digest(&plan);
    plan
}

/// What `--target` globs match: an address, or `TYPE.ID` for an unmanaged object.
fn finding_name(f: &Finding) -> String {
    match &f.drift.address {
        Some(a) => a.to_string(),
        None => format!("{}.{}", f.drift.resource_type, f.drift.id),
    }
}

/// A `--target` or `--accept` pattern that matches no finding it could apply to: a typo, most
/// likely. `nearest` are the closest names it could have meant (edit distance), best first;
/// `known` the names it could match at all, sorted, when none is near.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    pub flag: &'static str,
    pub glob: String,
    /// What the flag selects from: "finding" for `--target`, "changed resource" for `--accept`.
    pub what: &'static str,
    pub nearest: Vec<String>,
    pub known: Vec<String>,
}

/// The first `--target` or `--accept` pattern that matches nothing it could select: a target
/// must match a finding (its address, or `TYPE.ID` of an unmanaged object), an accept a
/// *changed* resource (an accept is only ever an accept: a pattern that selects no change must
/// not leave the plan to revert what the user meant to keep). `Ok(None)` when each matches.
pub fn unmatched(
    options: &PlanOptions,
    findings: &[Finding],
) -> Result<Option<Unmatched>, BadTarget> {
    let names = |changed_only: bool| -> Vec<String> {
        let mut v: Vec<String> = findings
            .iter()
            .filter(|f| !changed_only || f.drift.kind == DriftKind::Changed)
            .map(finding_name)
            .collect();
        v.sort();
        v.dedup();
        v
    };
    for (flag, globs, what, changed_only) in [
        ("--target", &options.targets, "finding", false),
        ("--accept", &options.accept, "changed resource", true),
    ] {
        let candidates = names(changed_only);
        for glob in globs {
            let Some(m) = target_matcher(std::slice::from_ref(glob))? else {
                continue;
            };
            if candidates.iter().any(|n| m.is_match(n)) {
                continue;
            }
            return Ok(Some(Unmatched {
                flag,
                glob: glob.clone(),
                what,
                nearest: nearest(glob, &candidates),
                known: candidates,
            }));
        }
    }
    Ok(None)
}

/// Up to three names closest to `typed` (normalized Damerau-Levenshtein similarity of at least
/// 0.6; for a pattern, compared with its wildcards removed), best first, ties by name.
fn nearest(typed: &str, names: &[String]) -> Vec<String> {
    let bare: String = typed.chars().filter(|c| !matches!(c, '*' | '?')).collect();
    let mut scored: Vec<(f64, &String)> = names
        .iter()
        .map(|n| (strsim::normalized_damerau_levenshtein(&bare, n), n))
        .filter(|(s, _)| *s >= 0.6)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.into_iter().take(3).map(|(_, n)| n.clone()).collect()
}

fn target_matcher(globs: &[String]) -> Result<Option<globset::GlobSet>, BadTarget> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        // `[` is literal in terraform addresses (`aws_instance.worker["a"]`): escape it, so a
        // target is a plain address with `*` and `?` as the only wildcards.
        let escaped = g.replace('[', "\\[").replace(']', "\\]");
        let glob = globset::GlobBuilder::new(&escaped)
            .literal_separator(false)
            .build()
            .map_err(|e| BadTarget {
                glob: g.clone(),
                reason: e.to_string(),
            })?;
        b.add(glob);
    }
    b.build().map(Some).map_err(|e| BadTarget {
        glob: globs.join(", "),
        reason: e.to_string(),
    })
}

/// Plan order: what driftgate executes first (reverts, then re-creations, then the reverts
/// that interrupt a workload), worst severity first within each; then what is left to a
/// person. Ties break by address, id and the first call, so the order is total.
fn order_key(a: &Action) -> impl Ord + '_ {
    let disruptive = guardrail::is_disruptive(a);
    let phase = match (a.status, a.kind) {
        (ActionStatus::Planned, ActionKind::Revert) if disruptive => 2,
        (ActionStatus::Planned, ActionKind::Revert) => 0,
        (ActionStatus::Planned, _) => 1,
        (ActionStatus::Manual, _) => 3,
        (ActionStatus::Blocked, _) => 4,
    };
    (
        phase,
        std::cmp::Reverse(a.finding.severity),
        a.kind,
        a.address.as_ref().map(ToString::to_string),
        a.resource_type.as_str(),
        a.resource_id.as_str(),
        a.changes.first().map(|c| c.path.clone()),
        a.calls.first().cloned(),
    )
}

/// Plans the actions of one finding.
struct Planner<'a> {
    input: &'a PlanInput<'a>,
    finding: &'a Finding,
    recorded: Option<&'a RecordedResource>,
}

/// How the changes of one attribute are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Route {
    Revert(Revert),
    /// No SDK revert: `terraform apply -target`.
    Terraform,
    /// Immutable: `terraform apply -replace`.
    Replace,
}

impl Planner<'_> {
    fn fingerprint(&self, v: &Value) -> String {
        crate::mask::fingerprint(v, self.input.key)
    }

    /// A value as the plan may hold it: every secret inside replaced by its fingerprint.
    fn shown(&self, v: &Value) -> Value {
        match v {
            Value::Sensitive(Secret::Clear(_)) => {
                Value::Sensitive(Secret::Fingerprint(self.fingerprint(v)))
            }
            Value::List(l) => Value::List(l.iter().map(|x| self.shown(x)).collect()),
            Value::Map(m) => {
                Value::Map(m.iter().map(|(k, x)| (k.clone(), self.shown(x))).collect())
            }
            other => other.clone(),
        }
    }

    fn action(&self, kind: ActionKind, changes: &[&Change]) -> Action {
        let d = &self.finding.drift;
        let expect = match d.kind {
            DriftKind::Changed => changes
                .iter()
                .map(|c| Expect::Value {
                    path: c.path.clone(),
                    fingerprint: self.fingerprint(&c.after),
                })
                .collect(),
            DriftKind::Missing => vec![Expect::Absent],
            DriftKind::Unmanaged => vec![Expect::Present],
        };
        Action {
            id: String::new(),
            kind,
            status: ActionStatus::Planned,
            address: d.address.clone(),
            resource_type: d.resource_type.clone(),
            resource_id: d.id.clone(),
            region: d.region.clone(),
            finding: FindingRef {
                kind: d.kind,
                address: d.address.clone(),
                id: d.id.clone(),
                rule: self.finding.rule.clone(),
                severity: self.finding.severity,
            },
            changes: changes
                .iter()
                .map(|c| PlannedChange {
                    path: c.path.clone(),
                    now: self.shown(&c.after),
                    target: self.shown(&c.before),
                })
                .collect(),
            calls: Vec::new(),
            expect,
            manual_command: None,
            follow_up: None,
            reason: String::new(),
            guardrail: None,
            disruptive: false,
        }
    }

    fn address_text(&self) -> String {
        self.finding
            .drift
            .address
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    fn manual(&self, mut a: Action, command: String, reason: String) -> Action {
        a.status = ActionStatus::Manual;
        a.calls.clear();
        a.manual_command = Some(command);
        a.reason = reason;
        a
    }

    fn target_command(&self) -> String {
        format!(
            "terraform apply -target={}",
            shell_word(&self.address_text())
        )
    }

    /// Changed: one action per way of reverting (per named revert, plus one for what
    /// terraform must update and one for what it must replace).
    fn revert(&self) -> Vec<Action> {
        let d = &self.finding.drift;
        let spec = self.input.registry.get(&d.resource_type);
        let mut routes: BTreeMap<Route, Vec<&Change>> = BTreeMap::new();
        for c in &d.changes {
            let attr = c
                .path
                .attribute()
                .and_then(|a| spec.and_then(|s| s.attribute(a)));
            let route = match attr {
                Some(a) if a.immutable => Route::Replace,
                Some(a) => a.revert.map_or(Route::Terraform, Route::Revert),
                None => Route::Terraform,
            };
            routes.entry(route).or_default().push(c);
        }
        let paths = |cs: &[&Change]| {
            cs.iter()
                .map(|c| format!("`{}`", c.path))
                .collect::<Vec<_>>()
                .join(", ")
        };
        routes
            .into_iter()
            .map(|(route, changes)| {
                let a = self.action(ActionKind::Revert, &changes);
                match route {
                    Route::Replace => self.manual(
                        a,
                        format!(
                            "terraform apply -replace={}",
                            shell_word(&self.address_text())
                        ),
                        format!(
                            "{} cannot change in place: terraform must replace the resource",
                            paths(&changes)
                        ),
                    ),
                    Route::Terraform => self.manual(
                        a,
                        self.target_command(),
                        format!(
                            "driftgate has no SDK revert for {}: terraform puts it back",
                            paths(&changes)
                        ),
                    ),
                    Route::Revert(r) => self.revert_with(a, r, &changes),
                }
            })
            .collect()
    }

    fn revert_with(&self, mut a: Action, r: Revert, changes: &[&Change]) -> Action {
        let Some(rec) = self.recorded else {
            return self.manual(
                a,
                self.target_command(),
                "the recorded resource is not in the given states".into(),
            );
        };
        let ctx = aws::Context {
            drift: &self.finding.drift,
            recorded: rec,
            units: self.input.unit_reverts,
        };
        let reverted = aws::revert(r, &ctx, changes);
        // Whether the revert interrupts a workload is the revert's (the unit's or the
        // built-in's), recorded on the action whether it is planned or left to a person.
        a.disruptive = reverted.as_ref().is_ok_and(|rev| rev.disruptive);
        match reverted {
            Ok(rev) if rev.disruptive && !self.input.options.allow_disruptive => self.manual(
                a,
                self.target_command(),
                format!(
                    "reverting {} {}; plan with --allow-disruptive to let driftgate do it",
                    changes
                        .iter()
                        .map(|c| format!("`{}`", c.path))
                        .collect::<Vec<_>>()
                        .join(", "),
                    interruption(r)
                ),
            ),
            Ok(rev) if rev.calls.is_empty() => self.manual(
                a,
                self.target_command(),
                "nothing to call for this change; terraform puts it back".into(),
            ),
            Ok(rev) => {
                a.calls = rev.calls;
                a.reason = if rev.disruptive {
                    format!(
                        "put the recorded value back ({}); {} (--allow-disruptive)",
                        r.name(),
                        interruption(r)
                    )
                } else {
                    format!("put the recorded value back ({})", r.name())
                };
                a
            }
            Err(why) => self.manual(
                a,
                self.target_command(),
                format!("cannot revert through the SDK: {why}"),
            ),
        }
    }

    /// Missing: re-create through the SDK what the spec says can be, unless what it depends
    /// on is missing too; otherwise terraform creates it.
    fn recreate(&self, missing: &[&Finding]) -> Action {
        let d = &self.finding.drift;
        let a = self.action(ActionKind::Recreate, &[]);
        let spec = self.input.registry.get(&d.resource_type);
        let Some(how) = spec.and_then(|s| s.recreate) else {
            return self.manual(
                a,
                self.target_command(),
                "terraform creates it, with everything the configuration says".into(),
            );
        };
        let Some(rec) = self.recorded else {
            return self.manual(
                a,
                self.target_command(),
                "the recorded resource is not in the given states".into(),
            );
        };
        // Something it refers to (its role, group or policy) is missing too: terraform creates
        // both, in dependency order.
        let refers = |id: &str| {
            rec.attributes
                .iter()
                .any(|(k, v)| k != "id" && v.as_str() == Some(id))
        };
        if let Some(dep) = missing
            .iter()
            .find(|m| !std::ptr::eq(**m, self.finding) && refers(&m.drift.id))
        {
            return self.manual(
                a,
                self.target_command(),
                format!(
                    "it refers to {} ({}), which is missing too: terraform creates both",
                    dep.drift
                        .address
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    dep.drift.id
                ),
            );
        }
        let ctx = aws::Context {
            drift: d,
            recorded: rec,
            units: self.input.unit_reverts,
        };
        match aws::recreate(how, &ctx) {
            Ok(calls) => Action {
                calls,
                reason: format!("re-create the recorded object ({})", how.name()),
                ..a
            },
            Err(why) => self.manual(
                a,
                self.target_command(),
                format!("cannot re-create through the SDK: {why}"),
            ),
        }
    }

    /// Changed, `--accept`: the configuration takes the cloud's value. driftgate edits the
    /// block's literal values itself (`plan_file::edit`); what the configuration computes, or a
    /// block repeated by `count`/`for_each` or inside a module, is left to a person.
    fn accept(&self) -> Action {
        let d = &self.finding.drift;
        let changes: Vec<&Change> = d.changes.iter().collect();
        let mut a = self.action(ActionKind::Accept, &changes);
        // For an accept, the value now is the one in code; the target is the cloud's.
        for c in &mut a.changes {
            std::mem::swap(&mut c.now, &mut c.target);
        }
        let follow = "terraform apply -refresh-only".to_string();
        let Some(config) = self.input.config else {
            return self.manual(
                a,
                follow,
                "no configuration was read (--config DIR): change the code by hand".into(),
            );
        };
        let Some(block) = d
            .address
            .as_ref()
            .and_then(|addr| config.configuration.find(addr))
        else {
            return self.manual(
                a,
                follow,
                format!(
                    "no block for {} in the configuration: change the code by hand",
                    self.address_text()
                ),
            );
        };
        let place = block.source.to_string();
        if block.has_count_or_for_each || block.in_repeated_module || !block.module_path.is_empty()
        {
            let why = if block.module_path.is_empty() {
                "the block is repeated by count/for_each"
            } else {
                "the block is inside a module, which other callers may share"
            };
            return self.manual(
                a,
                format!("edit {place}, then {follow}"),
                format!("{why}: change the value that sets it by hand"),
            );
        }
        // A secret is never written into the code, nor carried in the plan as the value of
        // an edit: whatever a guardrail then decides about the action, the plan holds no
        // `Set` of a secret.
        if let Some(c) = d.changes.iter().find(|c| c.observed.contains_sensitive()) {
            return self.manual(
                a,
                format!("edit {place}, then {follow}"),
                format!(
                    "the cloud's value of `{}` is a secret: set it through a sensitive variable",
                    c.path
                ),
            );
        }
        // A security group's rules are written as the blocks the provider reads them as.
        let spec = self.input.registry.get(&d.resource_type);
        let values = d
            .changes
            .iter()
            .map(|c| {
                let v = match &c.observed {
                    Value::Null => None,
                    v => Some(v.clone()),
                };
                let rules = match c.path.0.as_slice() {
                    [crate::model::Segment::Key(name)] => spec
                        .and_then(|s| s.attribute(name))
                        .is_some_and(|a| a.compare == crate::spec::Compare::SgRules),
                    _ => false,
                };
                let v = match v {
                    Some(v) if rules => Some(import::rule_blocks(&c.recorded, &v)),
                    v => v,
                };
                (c.path.clone(), v)
            })
            .collect();
        a.calls = vec![Call::ConfigEdit {
            file: block.source.file.clone(),
            before_sha256: None,
            after_sha256: String::new(),
            edit: ConfigEdit::Set {
                resource_type: block.resource_type.clone(),
                name: block.name.clone(),
                values,
            },
            diff: String::new(),
        }];
        a.follow_up = Some(follow);
        a.reason = format!("take the cloud's value into the configuration ({place})");
        a
    }

    /// Unmanaged, with `--delete-unmanaged`: remove the object. Executed through the SDK only
    /// where one call removes exactly the object (a security group); otherwise the AWS CLI
    /// command a person runs, or a note to delete it by hand.
    fn delete(&self) -> Action {
        let d = &self.finding.drift;
        let a = self.action(ActionKind::Delete, &[]);
        let id = shell_word(&d.id);
        if d.resource_type == "aws_security_group" {
            return Action {
                calls: vec![crate::model::plan::Call::Ec2DeleteSecurityGroup {
                    group_id: d.id.clone(),
                }],
                reason: "in no state: delete the unmanaged security group".into(),
                ..a
            };
        }
        // The spec's `delete` command, filled with shell-quoted observed values.
        let manual = self
            .input
            .registry
            .get(&d.resource_type)
            .and_then(|spec| spec.delete.as_deref())
            .zip(d.observed.as_ref())
            .and_then(|(template, observed)| {
                let mut attributes = observed.clone();
                attributes
                    .entry("id".into())
                    .or_insert_with(|| Value::String(d.id.clone()));
                crate::spec::fill(template, &attributes, shell_word).ok()
            })
            .unwrap_or_else(|| {
                format!(
                    "# delete {} {id} by hand (console or AWS CLI)",
                    d.resource_type
                )
            });
        self.manual(
            a,
            manual,
            format!(
                "in no state: driftgate does not delete {} objects itself (what depends on them \
                 must go first); delete it by hand",
                d.resource_type
            ),
        )
    }

    /// Unmanaged: with the configuration, driftgate writes the `import {}` and `resource {}`
    /// blocks (`planner::import`) into [`IMPORT_FILE`]; without it, this is left to a person.
    /// `taken`: the `TYPE.NAME`s earlier imports of the plan wrote (this one's is added).
    fn import(&self, taken_by_plan: &mut std::collections::BTreeSet<String>) -> Action {
        let d = &self.finding.drift;
        let mut a = self.action(ActionKind::Import, &[]);
        let spec = self.input.registry.get(&d.resource_type);
        let name = match spec {
            Some(spec) => {
                import::resource_name(spec, d, &|via, value| self.parent_name(spec, via, value))
            }
            None => terraform_name(&d.id),
        };
        // The provider's import id (the spec's `import_id`), else the identity.
        let import_id = self
            .input
            .registry
            .get(&d.resource_type)
            .zip(d.observed.as_ref())
            .and_then(|(spec, observed)| spec.import_id_of(observed, &d.id).ok())
            .unwrap_or_else(|| d.id.clone());
        let manual_command = |name: &str| {
            format!(
                "terraform import {} {}",
                shell_word(&format!("{}.{name}", d.resource_type)),
                shell_word(&import_id)
            )
        };
        let Some(config) = self.input.config else {
            return self.manual(
                a,
                manual_command(&name),
                format!(
                    "in no state: give the configuration (--config DIR) and driftgate writes \
                     the import blocks; or add `resource \"{}\" \"{name}\" {{}}` and run this \
                     (or delete the object if it should not exist)",
                    d.resource_type
                ),
            );
        };
        let name = free_name(name, &d.resource_type, &config, taken_by_plan);
        let generated = self
            .input
            .registry
            .get(&d.resource_type)
            .ok_or_else(|| "driftgate has no spec for its type".to_string())
            .and_then(|spec| import::generate(spec, d, self.observed_attributes(), &name));
        match generated {
            Ok(g) => {
                a.calls = vec![Call::ConfigEdit {
                    file: IMPORT_FILE.into(),
                    before_sha256: None,
                    after_sha256: String::new(),
                    edit: ConfigEdit::Append { text: g.text },
                    diff: String::new(),
                }];
                let vars: String = g
                    .variables
                    .iter()
                    .map(|v| format!("TF_VAR_{v}=... "))
                    .collect();
                a.follow_up = Some(format!(
                    "{vars}terraform plan (shows the import of {} and no change), then terraform apply",
                    g.address
                ));
                a.reason = format!(
                    "write import and resource blocks for {} into {IMPORT_FILE}",
                    g.address
                );
                a
            }
            Err(why) => self.manual(
                a,
                manual_command(&name),
                format!("cannot generate its configuration: {why}"),
            ),
        }
    }

    /// The finding's object as observed, raw (its attributes in the observation).
    fn observed_attributes(&self) -> Option<&BTreeMap<String, Value>> {
        let d = &self.finding.drift;
        self.input.observation.and_then(|o| {
            o.resources
                .iter()
                .find(|r| {
                    r.resource_type == d.resource_type
                        && d.region == r.region
                        && (r.cloud_id == d.id
                            || r.attributes.get("id").and_then(Value::as_str)
                                == Some(d.id.as_str()))
                })
                .map(|r| &r.attributes)
        })
    }
}

impl Planner<'_> {
    /// The name the states give the parent of an object (`spec`'s `parent` through `via`)
    /// whose id is `value`: its address without the type (`module.net.aws_route_table.private[0]`
    /// → `net_private_0`), when exactly one recorded parent has that id.
    fn parent_name(
        &self,
        spec: &crate::spec::ResourceSpec,
        via: &str,
        value: &str,
    ) -> Option<String> {
        let types: std::collections::BTreeSet<&str> = spec
            .parents
            .iter()
            .filter(|p| p.via == via)
            .map(|p| p.resource_type.as_str())
            .collect();
        let mut names = std::collections::BTreeSet::new();
        for r in self.input.states.iter().flat_map(|s| &s.resources) {
            if types.contains(r.resource_type.as_str())
                && r.attributes.get("id").and_then(Value::as_str) == Some(value)
            {
                let shown = r.address.to_string();
                let without_type = shown
                    .replace("module.", "")
                    .replace(&format!("{}.", r.resource_type), "");
                names.insert(import::identifier(&without_type));
            }
        }
        match names.len() {
            1 => names.pop_first(),
            _ => None,
        }
    }
}

/// A terraform resource name for a cloud id: letters, digits, `_` and `-`, starting with a
/// letter or `_`.
pub(crate) fn terraform_name(id: &str) -> String {
    let tail = id.rsplit(['/', ':']).next().unwrap_or(id);
    let mut out: String = tail
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .replace('-', "_");
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

/// What a disruptive revert interrupts, as its reason says it: the built-in one stops and
/// starts an instance; a unit's (an instance profile's role) interrupts what runs with it.
fn interruption(r: Revert) -> &'static str {
    match r {
        Revert::Unit(_) => "interrupts a running workload",
        _ => "stops and starts the instance",
    }
}

/// `name`, or `name_2`, `name_3`, ...: the first that no top-level block of the configuration
/// has for `resource_type`, nor an earlier import of this plan (`taken_by_plan`, which gets it).
fn free_name(
    name: String,
    resource_type: &str,
    config: &ConfigInput<'_>,
    taken_by_plan: &mut std::collections::BTreeSet<String>,
) -> String {
    let taken = |n: &str| {
        taken_by_plan.contains(&format!("{resource_type}.{n}"))
            || config.configuration.resources.iter().any(|r| {
                r.module_path.is_empty() && r.resource_type == resource_type && r.name == n
            })
    };
    let mut free = name.clone();
    let mut i = 2;
    while taken(&free) {
        free = format!("{name}_{i}");
        i += 1;
    }
    taken_by_plan.insert(format!("{resource_type}.{free}"));
    free
}
