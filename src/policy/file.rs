//! The policy file (`driftgate.hcl`): parsed with hcl-rs's span-keeping parser (`hcl::edit`)
//! and walked by hand, so every unknown key, bad severity or bad date is reported with a span
//! into the file.
//!
//! ```hcl
//! fail_on   = "high"
//! unchecked = "report"                             # accept unsupported types (default "fail")
//! rule "tags_changed" { severity = "info" }        # re-grade a built-in rule
//! rule "prod_sizing" {                             # a rule of the team's own
//!   severity      = "high"
//!   resource_type = "aws_instance"
//!   address       = "module.prod.*"
//!   path          = "instance_type"
//!   kinds         = ["changed"]
//! }
//! ignore {
//!   address = "aws_iam_role.ci_*"
//!   path    = "tags.*"
//!   reason  = "CI rotates these tags"
//!   owner   = "platform@example.com"
//!   expires = "2026-12-31"
//! }
//! ```

// `Error` carries the file's text and spans for its diagnostics (as `StateParse` does), which
// makes it larger than clippy's 128-byte default; errors are rare and returned once per run.
// The project may prefer a crate-wide `large-error-threshold` in clippy.toml instead.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use hcl::edit::Span;
use hcl::edit::expr::Expression;
use hcl::edit::structure::{Attribute, Block, Body, Structure};
use miette::{NamedSource, SourceSpan};

use crate::error::{Error, Result};
use crate::model::policy_file::{self as pf, Source, suggest};
use crate::model::{Drift, DriftKind, IgnoreMatch, Path, Severity};
use crate::policy::driftignore::DriftIgnore;
use crate::policy::pattern::Pattern;
use crate::policy::rules;

/// A rule of the team's own: every selector given must match.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomRule {
    pub id: String,
    pub severity: Severity,
    pub resource_type: Option<Pattern>,
    pub address: Option<Pattern>,
    /// Cloud id glob (for unmanaged resources, which have no address).
    pub cloud_id: Option<Pattern>,
    /// Attribute path glob; a rule with a path grades changes only.
    pub path: Option<Pattern>,
    /// Empty: every kind.
    pub kinds: Vec<DriftKind>,
    /// `driftgate.hcl:7`.
    pub source: String,
}

impl CustomRule {
    /// Whether the rule grades the resource of `drift` (selectors other than `path`).
    pub fn matches_resource(&self, drift: &Drift) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&drift.kind))
            && self
                .resource_type
                .as_ref()
                .is_none_or(|p| p.is_match(&drift.resource_type))
            && self.address.as_ref().is_none_or(|p| {
                drift
                    .address
                    .as_ref()
                    .is_some_and(|a| p.is_match(&a.to_string()))
            })
            && self.cloud_id.as_ref().is_none_or(|p| p.is_match(&drift.id))
    }

    /// Whether the rule grades the change at `path` (`None`: a missing/unmanaged resource).
    pub fn matches(&self, drift: &Drift, path: Option<&Path>) -> bool {
        self.matches_resource(drift)
            && match (&self.path, path) {
                (None, _) => true,
                (Some(p), Some(path)) => p.matches_path(path),
                (Some(_), None) => false,
            }
    }
}

/// An `ignore` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Ignore {
    pub address: Option<Pattern>,
    pub resource_type: Option<Pattern>,
    pub cloud_id: Option<Pattern>,
    /// Attribute level: only the matching changes are ignored.
    pub path: Option<Pattern>,
    pub reason: Option<String>,
    pub owner: Option<String>,
    /// The last day the ignore applies.
    pub expires: Option<time::Date>,
    pub source: String,
}

impl Ignore {
    /// Selectors other than `path`.
    pub fn matches_resource(&self, drift: &Drift) -> bool {
        self.resource_type
            .as_ref()
            .is_none_or(|p| p.is_match(&drift.resource_type))
            && self.address.as_ref().is_none_or(|p| {
                drift
                    .address
                    .as_ref()
                    .is_some_and(|a| p.is_match(&a.to_string()))
            })
            && self.cloud_id.as_ref().is_none_or(|p| p.is_match(&drift.id))
    }

    /// Whether the ignore has passed its `expires` date on `today`.
    pub fn is_expired(&self, today: time::Date) -> bool {
        self.expires.is_some_and(|e| today > e)
    }

    /// The selectors as written: `address = "aws_iam_role.ci_*", path = "tags.*"`.
    pub fn pattern(&self) -> String {
        [
            ("resource_type", &self.resource_type),
            ("address", &self.address),
            ("id", &self.cloud_id),
            ("path", &self.path),
        ]
        .iter()
        .filter_map(|(k, p)| p.as_ref().map(|p| format!("{k} = {:?}", p.as_str())))
        .collect::<Vec<_>>()
        .join(", ")
    }

    pub fn to_match(&self) -> IgnoreMatch {
        IgnoreMatch {
            pattern: self.pattern(),
            reason: self.reason.clone(),
            owner: self.owner.clone(),
            expires: self.expires,
            source: self.source.clone(),
        }
    }
}

/// A parsed policy: the exit threshold, re-grades of built-in rules, the team's rules and the
/// ignores (from the policy file and from a `.driftignore`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    pub fail_on: Option<Severity>,
    /// `unchecked = "fail" | "report"`: whether recorded resources of types driftgate does
    /// not support make the scan incomplete. `None`: the default (`fail`).
    pub unchecked: Option<crate::model::Unchecked>,
    /// Built-in rule id -> severity.
    pub regrades: BTreeMap<String, Severity>,
    pub rules: Vec<CustomRule>,
    pub ignores: Vec<Ignore>,
    pub driftignore: Option<DriftIgnore>,
    /// The `approval` block as read: who must sign a plan before `apply` runs it
    /// (`approval::ApprovalRule::from_block` interprets it).
    pub approval: Option<pf::Block>,
    /// `guardrail "NAME" {}` blocks as read, in file order, each with one label of its own
    /// (`planner::guardrail::Guardrail::from_block`).
    pub guardrails: Vec<pf::Block>,
    /// `notify { url = "..." format = "slack" }` blocks as read: where `plan` and `apply`
    /// report (`notify::Target::from_block`).
    pub notify: Vec<pf::Block>,
}

impl Policy {
    /// `fail_on` of the policy file, if it sets one.
    pub fn fail_on(&self) -> Option<Severity> {
        self.fail_on
    }

    /// A built-in rule's severity after re-grading.
    pub fn severity_of(&self, rule: &rules::Rule) -> Severity {
        self.regrades.get(rule.id).copied().unwrap_or(rule.severity)
    }

    /// Adds the entries of a `.driftignore`.
    pub fn with_driftignore(mut self, d: DriftIgnore) -> Policy {
        self.driftignore = Some(d);
        self
    }

    /// Parses a policy file. `path` names it in diagnostics and in ignore sources.
    pub fn parse(path: &str, text: &str) -> Result<Policy> {
        Parser { path, text }.policy()
    }
}

/// The severity at which the exit code becomes 2: `--fail-on` wins over the policy file's
/// `fail_on`; with neither, every finding counts (`info`).
pub fn exit_threshold(cli: Option<Severity>, policy: &Policy) -> Severity {
    cli.or(policy.fail_on()).unwrap_or(Severity::Info)
}

const TOP_KEYS: &[&str] = &[
    "fail_on",
    "unchecked",
    "rule",
    "ignore",
    "approval",
    "guardrail",
    "notify",
];
const RULE_KEYS: &[&str] = &[
    "severity",
    "resource_type",
    "address",
    "id",
    "path",
    "kinds",
];
const IGNORE_KEYS: &[&str] = &[
    "address",
    "resource_type",
    "id",
    "path",
    "reason",
    "owner",
    "expires",
];
const KINDS: &[&str] = &["changed", "missing", "unmanaged"];

struct Parser<'a> {
    path: &'a str,
    text: &'a str,
}

fn span(r: Option<Range<usize>>) -> Option<SourceSpan> {
    r.map(SourceSpan::from)
}

impl Parser<'_> {
    fn src(&self) -> NamedSource<String> {
        NamedSource::new(self.path, self.text.to_string())
    }

    fn line(&self, r: Option<Range<usize>>) -> String {
        let offset = r.map_or(0, |r| r.start).min(self.text.len());
        let line = self.text[..offset].matches('\n').count() + 1;
        format!("{}:{line}", self.path)
    }

    fn invalid(
        &self,
        at: Option<Range<usize>>,
        message: impl Into<String>,
        label: impl Into<String>,
        help: impl Into<String>,
    ) -> Error {
        Error::PolicyInvalid {
            path: self.path.to_string(),
            message: message.into(),
            help: help.into(),
            src: self.src(),
            span: span(at),
            label: label.into(),
        }
    }

    fn unknown_key(
        &self,
        key: &str,
        at: Option<Range<usize>>,
        context: &str,
        known: &[&str],
    ) -> Error {
        let help = pf::unknown_key_help(key, known);
        Error::PolicyUnknownKey {
            path: self.path.to_string(),
            key: key.to_string(),
            context: context.to_string(),
            help,
            src: self.src(),
            span: span(at),
        }
    }

    fn policy(&self) -> Result<Policy> {
        let body: Body = hcl::edit::parser::parse_body(self.text).map_err(|e| {
            let offset = e.location().offset().min(self.text.len());
            Error::PolicySyntax {
                path: self.path.to_string(),
                message: e.message().to_string(),
                src: self.src(),
                span: Some(SourceSpan::from(offset..offset)),
            }
        })?;
        let source = std::sync::Arc::new(Source {
            path: self.path.to_string(),
            text: self.text.to_string(),
        });
        let mut policy = Policy::default();
        let mut seen_fail_on = false;
        let mut rule_ids = BTreeSet::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(a) if a.key.as_str() == "fail_on" => {
                    if seen_fail_on {
                        return Err(self.duplicate(a));
                    }
                    seen_fail_on = true;
                    policy.fail_on = Some(self.severity(a)?);
                }
                Structure::Attribute(a) if a.key.as_str() == "unchecked" => {
                    if policy.unchecked.is_some() {
                        return Err(self.duplicate(a));
                    }
                    policy.unchecked = Some(self.unchecked(a)?);
                }
                Structure::Attribute(a) => {
                    return Err(self.unknown_key(
                        a.key.as_str(),
                        a.key.span(),
                        "the top level",
                        TOP_KEYS,
                    ));
                }
                Structure::Block(b) => self.top_block(b, &source, &mut rule_ids, &mut policy)?,
            }
        }
        Ok(policy)
    }

    /// `unchecked = "fail" | "report"`.
    fn unchecked(&self, a: &Attribute) -> Result<crate::model::Unchecked> {
        match self.string(a)? {
            "fail" => Ok(crate::model::Unchecked::Fail),
            "report" => Ok(crate::model::Unchecked::Report),
            other => Err(self.invalid(
                a.value.span(),
                format!("`unchecked = \"{other}\"` is not a choice"),
                "expected \"fail\" or \"report\"",
                "\"fail\" (the default) makes a scan that could not compare every recorded resource incomplete (exit 1); \"report\" lists them and leaves the exit code alone",
            )),
        }
    }

    /// A top-level block, added to `policy`: a `rule` (its id not seen in `rule_ids`), an
    /// `ignore`, and the blocks other features interpret (`guardrail`, `notify`, `approval`),
    /// kept as written.
    fn top_block(
        &self,
        b: &Block,
        source: &std::sync::Arc<Source>,
        rule_ids: &mut BTreeSet<String>,
        policy: &mut Policy,
    ) -> Result<()> {
        match b.ident.as_str() {
            "rule" => {
                let (label, label_span) = self.one_label(
                    b,
                    "a `rule` block takes exactly one label, its id",
                    "expected `rule \"ID\" { ... }`",
                    "write `rule \"tags_changed\" { severity = \"info\" }` to re-grade a built-in rule, or give your own rule a new id",
                )?;
                if !rule_ids.insert(label.clone()) {
                    return Err(self.invalid(
                        label_span,
                        format!("rule `{label}` is defined twice"),
                        "second definition",
                        "merge the two blocks",
                    ));
                }
                self.rule(b, label, label_span, policy)
            }
            "ignore" => {
                self.no_label(
                    b,
                    "an `ignore` block takes no label",
                    "write `ignore { address = \"...\" reason = \"...\" }`",
                )?;
                policy.ignores.push(self.ignore(b)?);
                Ok(())
            }
            "guardrail" => {
                let (label, label_span) = self.one_label(
                    b,
                    "a `guardrail` block takes exactly one label, its name",
                    "expected `guardrail \"NAME\" { ... }`",
                    "write `guardrail \"iam-frozen\" { resource_types = [\"aws_iam_*\"] reason = \"...\" }`",
                )?;
                if policy
                    .guardrails
                    .iter()
                    .any(|g| g.label().is_some_and(|(name, _)| *name == label))
                {
                    return Err(self.invalid(
                        label_span,
                        format!("guardrail `{label}` is defined twice"),
                        "second definition",
                        "merge the two blocks",
                    ));
                }
                policy.guardrails.push(self.block(b, source));
                Ok(())
            }
            "notify" => {
                self.no_label(
                    b,
                    "a `notify` block takes no label",
                    "write `notify { url = \"https://hooks.slack.com/services/...\" }`",
                )?;
                policy.notify.push(self.block(b, source));
                Ok(())
            }
            "approval" => {
                self.no_label(
                    b,
                    "an `approval` block takes no label",
                    "write `approval { required = 2 approvers = { alice = \"ed25519:...\" } }`",
                )?;
                if policy.approval.is_some() {
                    return Err(self.invalid(
                        b.ident.span(),
                        "the policy has two `approval` blocks",
                        "second block",
                        "merge them into one",
                    ));
                }
                policy.approval = Some(self.block(b, source));
                Ok(())
            }
            other => Err(self.unknown_key(other, b.ident.span(), "the top level", TOP_KEYS)),
        }
    }

    /// The block's one label and its span, or the error `message` (with `label` and `help`).
    fn one_label(
        &self,
        b: &Block,
        message: &str,
        label: &str,
        help: &str,
    ) -> Result<(String, Option<Range<usize>>)> {
        let first = b.labels.first().map(|l| (l.as_str().to_string(), l.span()));
        first
            .filter(|_| b.labels.len() == 1)
            .ok_or_else(|| self.invalid(b.ident.span(), message, label, help))
    }

    /// Refuses a label on a block that takes none.
    fn no_label(&self, b: &Block, message: &str, help: &str) -> Result<()> {
        match b.labels.first() {
            Some(l) => Err(self.invalid(l.span(), message, "remove this label", help)),
            None => Ok(()),
        }
    }

    fn duplicate(&self, a: &Attribute) -> Error {
        self.invalid(
            a.key.span(),
            format!("`{}` is set twice", a.key.as_str()),
            "set again here",
            "keep one of the two",
        )
    }

    /// The attributes of a block body, checked against `known`; nested blocks are refused.
    fn attributes<'b>(
        &self,
        b: &'b Block,
        context: &str,
        known: &[&str],
    ) -> Result<BTreeMap<String, &'b Attribute>> {
        let mut out = BTreeMap::new();
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) => {
                    let key = a.key.as_str();
                    if !known.contains(&key) {
                        return Err(self.unknown_key(key, a.key.span(), context, known));
                    }
                    if out.insert(key.to_string(), a).is_some() {
                        return Err(self.duplicate(a));
                    }
                }
                Structure::Block(inner) => {
                    return Err(self.unknown_key(
                        inner.ident.as_str(),
                        inner.ident.span(),
                        context,
                        known,
                    ));
                }
            }
        }
        Ok(out)
    }

    fn string<'e>(&self, a: &'e Attribute) -> Result<&'e str> {
        match &a.value {
            Expression::String(s) => Ok(s.value().as_str()),
            other => Err(self.invalid(
                other.span(),
                format!("`{}` must be a string", a.key.as_str()),
                "expected a quoted string",
                "write a literal string in double quotes; the policy file has no variables or functions",
            )),
        }
    }

    fn severity(&self, a: &Attribute) -> Result<Severity> {
        let s = self.string(a)?;
        s.parse().map_err(|_| Error::PolicyBadSeverity {
            path: self.path.to_string(),
            value: s.to_string(),
            src: self.src(),
            span: span(a.value.span()),
        })
    }

    fn pattern(&self, a: &Attribute) -> Result<Pattern> {
        let s = self.string(a)?;
        if s.is_empty() {
            return Err(self.invalid(
                a.value.span(),
                format!("`{}` is empty", a.key.as_str()),
                "empty pattern",
                "use `*` to match anything, or leave the key out",
            ));
        }
        Pattern::new(s).map_err(|e| {
            self.invalid(
                a.value.span(),
                format!("`{s}` is not a valid pattern: {e}"),
                "invalid pattern",
                "patterns use `*` (any characters) and `?` (one character)",
            )
        })
    }

    fn opt_pattern(
        &self,
        attrs: &BTreeMap<String, &Attribute>,
        key: &str,
    ) -> Result<Option<Pattern>> {
        attrs.get(key).map(|a| self.pattern(a)).transpose()
    }

    fn rule(
        &self,
        b: &Block,
        label: String,
        label_span: Option<Range<usize>>,
        policy: &mut Policy,
    ) -> Result<()> {
        let context = format!("rule \"{label}\"");
        let attrs = self.attributes(b, &context, RULE_KEYS)?;
        let Some(sev) = attrs.get("severity") else {
            return Err(self.invalid(
                b.ident
                    .span()
                    .map(|s| s.start..label_span.clone().map_or(s.end, |l| l.end)),
                format!("rule `{label}` has no `severity`"),
                "severity missing",
                "add `severity = \"high\"` (critical, high, medium, low or info)",
            ));
        };
        let severity = self.severity(sev)?;
        let selectors: Vec<&&Attribute> = attrs
            .iter()
            .filter(|(k, _)| k.as_str() != "severity")
            .map(|(_, a)| a)
            .collect();
        if rules::find(&label).is_some() {
            if let Some(a) = selectors.first() {
                return Err(self.invalid(
                    a.key.span(),
                    format!("`{label}` is a built-in rule: it can be re-graded, not re-scoped"),
                    "not allowed on a built-in rule",
                    format!(
                        "keep only `severity` in this block; to grade a narrower set of drifts, give a rule of your own a new id (e.g. `rule \"{label}_custom\"`)"
                    ),
                ));
            }
            policy.regrades.insert(label, severity);
            return Ok(());
        }
        if selectors.is_empty() {
            let ids: Vec<&str> = rules::CATALOGUE.iter().map(|r| r.id).collect();
            let help = match suggest(&label, &ids) {
                Some(s) => format!("did you mean the built-in rule `{s}`? A rule of your own needs at least one of resource_type, address, id, path, kinds"),
                None => "a rule of your own needs at least one of resource_type, address, id, path, kinds; `driftgate rules` lists the built-in ids".to_string(),
            };
            return Err(self.invalid(
                label_span,
                format!("`{label}` is not a built-in rule and selects nothing"),
                "unknown rule id",
                help,
            ));
        }
        let kinds = match attrs.get("kinds") {
            None => Vec::new(),
            Some(a) => self.kinds(a)?,
        };
        policy.rules.push(CustomRule {
            id: label,
            severity,
            resource_type: self.opt_pattern(&attrs, "resource_type")?,
            address: self.opt_pattern(&attrs, "address")?,
            cloud_id: self.opt_pattern(&attrs, "id")?,
            path: self.opt_pattern(&attrs, "path")?,
            kinds,
            source: self.line(b.ident.span()),
        });
        Ok(())
    }

    fn kinds(&self, a: &Attribute) -> Result<Vec<DriftKind>> {
        let Expression::Array(items) = &a.value else {
            return Err(self.invalid(
                a.value.span(),
                "`kinds` must be a list",
                "expected a list",
                "write `kinds = [\"changed\", \"missing\", \"unmanaged\"]` (any of them)",
            ));
        };
        let mut out = Vec::new();
        for item in items.iter() {
            let kind = match item {
                Expression::String(s) => match s.value().as_str() {
                    "changed" => Some(DriftKind::Changed),
                    "missing" => Some(DriftKind::Missing),
                    "unmanaged" => Some(DriftKind::Unmanaged),
                    _ => None,
                },
                _ => None,
            };
            let Some(kind) = kind else {
                return Err(self.invalid(
                    item.span(),
                    "not a drift kind",
                    "expected \"changed\", \"missing\" or \"unmanaged\"",
                    format!("drift kinds are: {}", KINDS.join(", ")),
                ));
            };
            if !out.contains(&kind) {
                out.push(kind);
            }
        }
        out.sort();
        Ok(out)
    }

    fn ignore(&self, b: &Block) -> Result<Ignore> {
        let attrs = self.attributes(b, "an `ignore` block", IGNORE_KEYS)?;
        let ident = b.ident.span();
        if !["address", "resource_type", "id"]
            .iter()
            .any(|k| attrs.contains_key(*k))
        {
            return Err(self.invalid(
                ident,
                "this `ignore` selects no resource",
                "needs `address`, `resource_type` or `id`",
                "add `address = \"...\"` (a glob on terraform addresses), or `resource_type` / `id` for unmanaged resources",
            ));
        }
        let Some(reason) = attrs.get("reason") else {
            return Err(self.invalid(
                ident,
                "this `ignore` has no `reason`",
                "reason missing",
                "say why the drift is accepted, e.g. `reason = \"CI rotates these tags\"`; the report shows it next to every ignored finding",
            ));
        };
        let reason = self.string(reason)?.to_string();
        let owner = attrs
            .get("owner")
            .map(|a| self.string(a).map(str::to_string))
            .transpose()?;
        let expires = attrs.get("expires").map(|a| self.date(a)).transpose()?;
        Ok(Ignore {
            address: self.opt_pattern(&attrs, "address")?,
            resource_type: self.opt_pattern(&attrs, "resource_type")?,
            cloud_id: self.opt_pattern(&attrs, "id")?,
            path: self.opt_pattern(&attrs, "path")?,
            reason: Some(reason),
            owner,
            expires,
            source: self.line(ident),
        })
    }

    /// A feature block as plain data, for its feature to interpret.
    fn block(&self, b: &Block, source: &std::sync::Arc<Source>) -> pf::Block {
        pf::Block {
            source: source.clone(),
            ident: b.ident.as_str().to_string(),
            ident_span: b.ident.span(),
            labels: b
                .labels
                .iter()
                .map(|l| (l.as_str().to_string(), l.span()))
                .collect(),
            body: b
                .body
                .iter()
                .map(|s| match s {
                    Structure::Attribute(a) => pf::Item::Attribute(pf::Attribute {
                        key: a.key.as_str().to_string(),
                        key_span: a.key.span(),
                        value: expr(&a.value),
                    }),
                    Structure::Block(inner) => pf::Item::Block {
                        ident: inner.ident.as_str().to_string(),
                        span: inner.ident.span(),
                    },
                })
                .collect(),
        }
    }

    fn date(&self, a: &Attribute) -> Result<time::Date> {
        let s = self.string(a)?;
        let format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(s, format).map_err(|_| Error::PolicyBadDate {
            path: self.path.to_string(),
            value: s.to_string(),
            src: self.src(),
            span: span(a.value.span()),
        })
    }
}

/// A value as plain data, with its span.
fn expr(e: &Expression) -> pf::Expr {
    use hcl::edit::expr::ObjectKey;
    let kind = match e {
        Expression::String(s) => pf::ExprKind::String(s.value().as_str().to_string()),
        Expression::Number(n) => pf::ExprKind::Number(n.value().as_u64()),
        Expression::Array(items) => pf::ExprKind::Array(items.iter().map(expr).collect()),
        Expression::Object(o) => pf::ExprKind::Object(
            o.iter()
                .map(|(k, v)| {
                    let key = match k {
                        ObjectKey::Ident(i) => pf::Key {
                            name: Some(i.as_str().to_string()),
                            span: i.span(),
                        },
                        ObjectKey::Expression(Expression::String(s)) => pf::Key {
                            name: Some(s.value().as_str().to_string()),
                            span: s.span(),
                        },
                        ObjectKey::Expression(x) => pf::Key {
                            name: None,
                            span: x.span(),
                        },
                    };
                    (key, expr(v.expr()))
                })
                .collect(),
        ),
        _ => pf::ExprKind::Other,
    };
    pf::Expr {
        kind,
        span: e.span(),
    }
}
