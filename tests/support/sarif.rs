//! SARIF 2.1.0 checks for the tests: against the official OASIS schema when
//! `../shared/schemas/sarif-schema-2.1.0.json` is there (the project may not ship it: see
//! ../shared/schemas/README.md), and always structurally: the members SARIF 2.1.0 requires
//! and their shapes. Without the schema the test still checks that, so it is never a no-op;
//! the schema validation it could not do is counted as not applicable here.

use serde_json::Value as Json;

use super::root;
use super::skip::{Need, skip};

/// The official SARIF schema, or `None` (counted as not applicable here) when it is absent.
pub fn schema() -> Option<Json> {
    let path = root().join("../shared/schemas/sarif-schema-2.1.0.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("the SARIF schema is JSON")),
        Err(e) => {
            skip(
                Need::External,
                &format!(
                    "the SARIF schema {} cannot be read ({e}): validated structurally only \
                     (see README.md, \"Files the tests read from ../shared\")",
                    path.display()
                ),
            );
            None
        }
    }
}

/// Checks `sarif` (`what` names it in failures): structurally, and against `schema` when given.
pub fn check(schema: Option<&Json>, sarif: &Json, what: &str) {
    let problems = structural(sarif);
    assert!(
        problems.is_empty(),
        "{what}: not SARIF 2.1.0:\n{}",
        problems.join("\n")
    );
    if let Some(schema) = schema {
        let validator = jsonschema::draft4::new(schema).expect("the SARIF schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(sarif)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what}: SARIF does not match the schema:\n{}",
            errors.join("\n")
        );
    }
}

/// What is wrong with `sarif` as a SARIF 2.1.0 log, by the members the specification requires
/// (sarifLog: `version` "2.1.0", `runs`; run: `tool.driver.name`; result: `message.text` or
/// `message.id`) and the shapes of those driftgate writes. Empty when nothing is.
pub fn structural(sarif: &Json) -> Vec<String> {
    let mut p = Vec::new();
    let Some(log) = sarif.as_object() else {
        return vec!["$: not an object".into()];
    };
    for key in log.keys() {
        if !matches!(
            key.as_str(),
            "$schema" | "version" | "runs" | "inlineExternalProperties" | "properties"
        ) {
            p.push(format!("$.{key}: not a member of sarifLog"));
        }
    }
    if log.get("version") != Some(&Json::from("2.1.0")) {
        p.push(format!(
            "$.version: {:?}, not \"2.1.0\"",
            log.get("version")
        ));
    }
    if let Some(s) = log.get("$schema")
        && !s.is_string()
    {
        p.push("$.$schema: not a string".into());
    }
    let Some(runs) = log.get("runs").and_then(Json::as_array) else {
        p.push("$.runs: missing or not an array".into());
        return p;
    };
    for (i, run) in runs.iter().enumerate() {
        let at = format!("$.runs[{i}]");
        let driver = &run["tool"]["driver"];
        if !driver.is_object() {
            p.push(format!("{at}.tool.driver: missing"));
        }
        if driver["name"].as_str().is_none_or(str::is_empty) {
            p.push(format!("{at}.tool.driver.name: missing or empty"));
        }
        let rules = match driver.get("rules") {
            None => 0,
            Some(Json::Array(rules)) => {
                for (k, r) in rules.iter().enumerate() {
                    if !r["id"].is_string() {
                        p.push(format!("{at}.tool.driver.rules[{k}].id: missing"));
                    }
                }
                rules.len()
            }
            Some(_) => {
                p.push(format!("{at}.tool.driver.rules: not an array"));
                0
            }
        };
        let results = match run.get("results") {
            None => continue,
            Some(Json::Array(r)) => r,
            Some(_) => {
                p.push(format!("{at}.results: not an array"));
                continue;
            }
        };
        for (k, r) in results.iter().enumerate() {
            let at = format!("{at}.results[{k}]");
            if !r.is_object() {
                p.push(format!("{at}: not an object"));
                continue;
            }
            if !(r["message"]["text"].is_string() || r["message"]["id"].is_string()) {
                p.push(format!("{at}.message: no text or id"));
            }
            if let Some(l) = r.get("level")
                && !matches!(l.as_str(), Some("none" | "note" | "warning" | "error"))
            {
                p.push(format!("{at}.level: {l}"));
            }
            if let Some(id) = r.get("ruleId")
                && !id.is_string()
            {
                p.push(format!("{at}.ruleId: not a string"));
            }
            if let Some(ix) = r.get("ruleIndex")
                && ix.as_u64().is_none_or(|ix| ix as usize >= rules)
            {
                p.push(format!("{at}.ruleIndex: {ix} is not a rule's index"));
            }
            if let Some(locations) = r.get("locations") {
                match locations.as_array() {
                    Some(ls) => {
                        for (m, l) in ls.iter().enumerate() {
                            let uri = &l["physicalLocation"]["artifactLocation"]["uri"];
                            if l.get("physicalLocation").is_some() && !uri.is_string() {
                                p.push(format!("{at}.locations[{m}]: a physicalLocation without an artifactLocation.uri"));
                            }
                            if let Some(line) = l["physicalLocation"]["region"].get("startLine")
                                && line.as_u64().is_none_or(|n| n < 1)
                            {
                                p.push(format!("{at}.locations[{m}]: startLine {line}"));
                            }
                        }
                    }
                    None => p.push(format!("{at}.locations: not an array")),
                }
            }
            if let Some(f) = r.get("partialFingerprints")
                && !f
                    .as_object()
                    .is_some_and(|m| m.values().all(Json::is_string))
            {
                p.push(format!(
                    "{at}.partialFingerprints: not an object of strings"
                ));
            }
            if let Some(s) = r.get("suppressions")
                && !s.as_array().is_some_and(|s| {
                    s.iter()
                        .all(|x| matches!(x["kind"].as_str(), Some("inSource" | "external")))
                })
            {
                p.push(format!("{at}.suppressions: not suppressions"));
            }
        }
    }
    p
}
