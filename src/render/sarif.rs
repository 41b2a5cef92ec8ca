//! SARIF 2.1.0 (`scan --format sarif`, `report.sarif`): what GitHub code scanning and other
//! SARIF viewers read. Valid against the OASIS schema (tests/formats.rs checks it against
//! `../shared/schemas/sarif-schema-2.1.0.json`).
//!
//! - `tool.driver.rules`: every rule a report can name (the built-in catalogue with the
//!   policy's re-grades, the policy's own rules, and any other id a finding names), with
//!   short and full description, help, default level and `security-severity`.
//! - One result per open finding (and one per ignored finding, with a `suppression` that
//!   carries the ignore): `ruleId`, `level` from severity (critical/high `error`, medium
//!   `warning`, low/info `note`), the severity in `properties`, a message naming the address
//!   and the changes (values through the masking layer).
//! - Location: the resource block's file and line when the configuration was read (the path
//!   relative to the repository, never absolute), always a logical location with the address
//!   (unmanaged resources have only that).
//! - `partialFingerprints["driftgate/v2"]`: the finding's fingerprint, the same as the
//!   history's ([`crate::model::fingerprint`]: kind, type, the state's lineage and address or
//!   region and cloud id, rule, changed paths), not of values, severity, the path as typed or
//!   time, so code scanning tracks one alert across runs.

use serde_json::{Value as J, json};

use crate::model::{DriftKind, Finding, ScanReport, Severity};
use crate::render::common::{
    RuleDoc, RuleOrigin, finding_name, kind_and_paths, severity_order, shown_changes,
    with_referenced,
};

/// The published schema's id, written as `$schema`.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Where the report's source locations are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SourceRoot {
    /// No configuration was read, or it is placed nowhere: no physical locations.
    #[default]
    None,
    /// The configuration directory relative to the repository root (or the working
    /// directory), with `/` separators: `""` for the root itself, `infra/prod` below it.
    Relative(String),
    /// The configuration directory is outside the repository and the working directory:
    /// paths are relative to it, under the `uriBaseId` `TFCONFIG`, never absolute.
    Outside,
}

/// What the SARIF log needs besides the report.
#[derive(Debug, Clone, Default)]
pub struct SarifOptions {
    /// The rules to describe (built by `ops::rules::docs`).
    pub rules: Vec<RuleDoc>,
    pub source_root: SourceRoot,
}

/// SARIF `level` for a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning's `security-severity` (a CVSS-like score it buckets into critical
/// >= 9.0, high >= 7.0, medium >= 4.0, low > 0).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// Percent-encodes one path segment for a URI reference (RFC 3986 unreserved stay).
fn uri_segment(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

fn relative_uri(root: &str, file: &str) -> String {
    root.split('/')
        .chain(file.split(['/', '\\']))
        .filter(|s| !s.is_empty() && *s != ".")
        .map(uri_segment)
        .collect::<Vec<_>>()
        .join("/")
}

fn location(f: &Finding, root: &SourceRoot) -> J {
    let name = finding_name(f);
    let logical = json!([{
        "name": name,
        "fullyQualifiedName": name,
        "kind": "resource",
    }]);
    let physical = match (&f.source, root, f.drift.kind) {
        (_, _, DriftKind::Unmanaged) | (None, _, _) | (_, SourceRoot::None, _) => None,
        (Some(src), SourceRoot::Relative(prefix), _) => Some(json!({
            "artifactLocation": { "uri": relative_uri(prefix, &src.file) },
            "region": { "startLine": src.line.max(1) },
        })),
        (Some(src), SourceRoot::Outside, _) => Some(json!({
            "artifactLocation": { "uri": relative_uri("", &src.file), "uriBaseId": "TFCONFIG" },
            "region": { "startLine": src.line.max(1) },
        })),
    };
    match physical {
        Some(p) => json!({ "physicalLocation": p, "logicalLocations": logical }),
        None => json!({ "logicalLocations": logical }),
    }
}

fn message(f: &Finding, rules: &[RuleDoc]) -> String {
    let d = &f.drift;
    let name = finding_name(f);
    let what = match d.kind {
        DriftKind::Changed => {
            let changes: Vec<String> = shown_changes(f).iter().map(|c| c.brief()).collect();
            format!("{name} changed outside terraform: {}", changes.join("; "))
        }
        DriftKind::Missing => format!(
            "{name} ({} {}) is recorded in the state but no longer exists",
            d.resource_type, d.id
        ),
        DriftKind::Unmanaged => format!(
            "{} {} exists in the cloud but no terraform state manages it",
            d.resource_type, d.id
        ),
    };
    format!(
        "{what}. Severity {} (rule {}: {}).",
        f.severity,
        f.rule,
        crate::render::common::why(f, rules)
    )
}

fn result(
    report: &ScanReport,
    f: &Finding,
    rule_index: usize,
    root: &SourceRoot,
    rules: &[RuleDoc],
) -> J {
    let d = &f.drift;
    let changes: Vec<J> = shown_changes(f)
        .into_iter()
        .map(|c| {
            let mut o = json!({
                "path": c.path,
                "recorded": c.recorded.to_json(),
                "observed": c.observed.to_json(),
            });
            if let Some((sev, rule)) = c.rule {
                o["severity"] = json!(sev.as_str());
                o["rule"] = json!(rule);
            }
            o
        })
        .collect();
    let mut r = json!({
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": { "text": message(f, rules) },
        "locations": [location(f, root)],
        "partialFingerprints": { "driftgate/v2": report.fingerprint(f) },
        "properties": {
            "severity": f.severity.as_str(),
            "kind": d.kind.as_str(),
            "resource_type": d.resource_type,
            "id": d.id,
            "address": d.address.as_ref().map(ToString::to_string),
            "region": d.region,
            "state": d.state.as_ref().map(|s| s.0.clone()),
            "summary": kind_and_paths(f),
            "changes": changes,
        },
    });
    if let Some(ig) = f.ignore() {
        let mut justification = format!("ignored by {} ({})", ig.pattern, ig.source);
        if let Some(reason) = &ig.reason {
            justification.push_str(": ");
            justification.push_str(reason);
        }
        r["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": justification,
        }]);
    }
    r
}

fn rule(d: &RuleDoc) -> J {
    let origin = match &d.origin {
        RuleOrigin::BuiltIn => "built-in".to_string(),
        RuleOrigin::Policy(src) => format!("policy ({src})"),
        RuleOrigin::Unknown => "unknown".to_string(),
    };
    let help = match &d.origin {
        RuleOrigin::BuiltIn => format!(
            "{}\n\n`driftgate rules explain {}` says more; re-grade it in driftgate.hcl with \
             `rule \"{}\" {{ severity = \"...\" }}`.",
            d.explanation, d.id, d.id
        ),
        _ => d.explanation.clone(),
    };
    let mut props = json!({
        "severity": d.severity.as_str(),
        "origin": origin,
        "tags": ["drift", "terraform"],
    });
    if d.severity > Severity::Info {
        props["security-severity"] = json!(security_severity(d.severity));
    }
    json!({
        "id": d.id,
        "name": d.id,
        "shortDescription": { "text": d.summary },
        "fullDescription": { "text": d.explanation },
        "help": { "text": help.clone(), "markdown": help },
        "defaultConfiguration": { "level": level(d.severity) },
        "properties": props,
    })
}

/// The SARIF log (pretty JSON, trailing newline).
pub fn render(report: &ScanReport, opts: &SarifOptions) -> String {
    let rules = with_referenced(opts.rules.clone(), report);
    let index = |id: &str| rules.iter().position(|r| r.id == id).unwrap_or(0);
    let results: Vec<J> = severity_order(&report.findings)
        .into_iter()
        .chain(severity_order(&report.ignored))
        .map(|f| result(report, f, index(&f.rule), &opts.source_root, &rules))
        .collect();
    let mut gaps: Vec<_> = report.gaps.iter().collect();
    gaps.sort();
    let notifications: Vec<J> = gaps
        .iter()
        .map(|g| {
            json!({
                "level": "error",
                "message": { "text": format!(
                    "{} {} ({}) failed: {}; not seen: {}",
                    g.service,
                    g.operation,
                    g.region.as_deref().unwrap_or("global"),
                    crate::mask::mask_text(&g.reason),
                    g.resource_types.join(", "),
                ) },
            })
        })
        .collect();
    let mut run = json!({
        "tool": { "driver": {
            "name": "driftgate",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "rules": rules.iter().map(rule).collect::<Vec<_>>(),
        } },
        "invocations": [{
            "executionSuccessful": report.is_complete(),
            "toolExecutionNotifications": notifications,
        }],
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "verdict": crate::render::common::verdict_line(report),
            "complete": report.is_complete(),
            "states": report.states.iter().map(|s| s.0.clone()).collect::<Vec<_>>(),
            "regions": report.regions,
        },
    });
    if opts.source_root == SourceRoot::Outside {
        run["originalUriBaseIds"] = json!({
            "TFCONFIG": { "description": { "text": "The terraform configuration directory (--config)." } }
        });
    }
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [run],
    });
    let mut s = crate::mask::json_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SourceLocation;
    use crate::ops::rules::docs as rule_docs;
    use crate::policy::Policy;
    use crate::render::sample::{SECRET, sample_report};

    fn opts(root: SourceRoot) -> SarifOptions {
        SarifOptions {
            rules: rule_docs(&Policy::default(), &sample_report()),
            source_root: root,
        }
    }

    fn parse(s: &str) -> J {
        serde_json::from_str(s).expect("SARIF is JSON")
    }

    #[test]
    fn one_result_per_finding_with_level_and_severity() {
        let report = sample_report();
        let v = parse(&render(&report, &opts(SourceRoot::None)));
        assert!(!v.to_string().contains(SECRET));
        let results = v["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), report.findings.len());
        for r in results {
            let sev: Severity = r["properties"]["severity"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(r["level"], level(sev));
            let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
            let i = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], r["ruleId"]);
            assert!(r["locations"][0].get("physicalLocation").is_none());
            assert!(r["locations"][0]["logicalLocations"][0]["name"].is_string());
        }
        let web = results
            .iter()
            .find(|r| r["properties"]["address"] == "module.app.aws_instance.web")
            .unwrap();
        let text = web["message"]["text"].as_str().unwrap();
        assert!(text.contains("module.app.aws_instance.web"), "{text}");
        assert!(
            text.contains(r#"instance_type: "t3.micro" -> "t3.large""#),
            "{text}"
        );
        assert!(
            text.contains("user_data: (sensitive) -> (sensitive)"),
            "{text}"
        );
    }

    #[test]
    fn levels_follow_severity() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(level(Severity::Info), "note");
    }

    #[test]
    fn physical_locations_are_relative_and_unmanaged_is_logical() {
        let mut report = sample_report();
        for f in &mut report.findings {
            f.source = Some(SourceLocation {
                file: "modules/app/main.tf".into(),
                line: 12,
            });
        }
        let v = parse(&render(
            &report,
            &opts(SourceRoot::Relative("infra/prod env".into())),
        ));
        for r in v["runs"][0]["results"].as_array().unwrap() {
            let loc = &r["locations"][0];
            if r["properties"]["kind"] == "unmanaged" {
                assert!(loc.get("physicalLocation").is_none(), "{r:#}");
            } else {
                let p = &loc["physicalLocation"];
                assert_eq!(
                    p["artifactLocation"]["uri"],
                    "infra/prod%20env/modules/app/main.tf"
                );
                assert_eq!(p["region"]["startLine"], 12);
            }
        }
        let v = parse(&render(&report, &opts(SourceRoot::Outside)));
        let p = &v["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
        assert_eq!(p["artifactLocation"]["uri"], "modules/app/main.tf");
        assert_eq!(p["artifactLocation"]["uriBaseId"], "TFCONFIG");
    }

    #[test]
    fn fingerprints_ignore_values_severity_and_order() {
        let report = sample_report();
        let a = render(&report, &opts(SourceRoot::None));
        let mut shuffled = report.clone();
        shuffled.findings.reverse();
        for f in &mut shuffled.findings {
            f.severity = Severity::Info;
            for c in &mut f.drift.changes {
                c.observed = crate::model::Value::str("something else");
            }
        }
        let b = render(&shuffled, &opts(SourceRoot::None));
        let prints = |s: &str| -> std::collections::BTreeSet<String> {
            parse(s)["runs"][0]["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    r["partialFingerprints"]["driftgate/v2"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect()
        };
        assert_eq!(prints(&a), prints(&b));
        assert_eq!(prints(&a).len(), report.findings.len(), "one per drift");
        // Another changed attribute is another drift.
        let mut other = report.clone();
        other.findings[0].drift.changes.pop();
        assert_ne!(prints(&render(&other, &opts(SourceRoot::None))), prints(&a));
    }

    #[test]
    fn rules_carry_descriptions_levels_and_the_policys_rules() {
        let policy = Policy::parse(
            "driftgate.hcl",
            r#"
rule "tags_changed" { severity = "high" }
rule "prod_sizing" {
  severity      = "critical"
  resource_type = "aws_instance"
  path          = "instance_type"
}
"#,
        )
        .unwrap();
        let v = parse(&render(
            &sample_report(),
            &SarifOptions {
                rules: rule_docs(&policy, &sample_report()),
                source_root: SourceRoot::None,
            },
        ));
        let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        let tags = rules.iter().find(|r| r["id"] == "tags_changed").unwrap();
        assert_eq!(tags["defaultConfiguration"]["level"], "error");
        assert!(tags["shortDescription"]["text"].is_string());
        assert!(tags["fullDescription"]["text"].is_string());
        assert!(
            tags["help"]["text"]
                .as_str()
                .unwrap()
                .contains("rules explain")
        );
        let team = rules.iter().find(|r| r["id"] == "prod_sizing").unwrap();
        assert_eq!(team["defaultConfiguration"]["level"], "error");
        assert_eq!(team["properties"]["severity"], "critical");
        assert!(
            team["properties"]["origin"]
                .as_str()
                .unwrap()
                .contains("driftgate.hcl:3")
        );
    }
}
