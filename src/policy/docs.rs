//! Text about the built-in rules, from their descriptors: `driftgate rules`,
//! `driftgate rules explain ID`, and the generated reference docs/rules.md.
//! (Returned as strings; `render`/`cli` print them.)

use std::fmt::Write;

use crate::policy::rules::{CATALOGUE, Rule, find};

/// `driftgate rules`: one line per rule.
pub fn rules_list_text() -> String {
    let width = CATALOGUE
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    let mut out = String::new();
    let _ = writeln!(out, "{:width$}  {:8}  SUMMARY", "ID", "SEVERITY");
    for r in CATALOGUE {
        let _ = writeln!(
            out,
            "{:width$}  {:8}  {}",
            r.id,
            r.severity.as_str(),
            r.summary
        );
    }
    let _ = writeln!(
        out,
        "\n`driftgate rules explain ID` explains one rule; re-grade a rule in driftgate.hcl with\n`rule \"ID\" {{ severity = \"info\" }}`."
    );
    out
}

fn indent(text: &str, by: &str) -> String {
    text.lines()
        .map(|l| format!("{by}{l}").trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `driftgate rules explain ID`; `None` for an unknown id.
pub fn rule_explain_text(id: &str) -> Option<String> {
    let r = find(id)?;
    let mut out = String::new();
    let _ = writeln!(out, "{} (default severity: {})", r.id, r.severity);
    let _ = writeln!(out, "{}", r.summary);
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", r.explanation);
    let _ = writeln!(out);
    let _ = writeln!(out, "Example:");
    let _ = writeln!(out, "{}", indent(r.example, "  "));
    if r.fallback {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "This is a fallback rule: it applies only when no other built-in rule does."
        );
    }
    Some(out)
}

/// Joins a hard-wrapped paragraph into one line per paragraph (for Markdown).
fn unwrap_paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(|p| p.lines().map(str::trim).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn rule_section(out: &mut String, r: &Rule) {
    let _ = writeln!(out, "## `{}`\n", r.id);
    let _ = writeln!(
        out,
        "Default severity: **{}**{}\n",
        r.severity,
        if r.fallback {
            " (fallback: applies only when no other built-in rule does)"
        } else {
            ""
        }
    );
    let _ = writeln!(out, "{}\n", r.summary);
    let _ = writeln!(out, "{}\n", unwrap_paragraphs(r.explanation));
    let _ = writeln!(out, "Example:\n\n```text\n{}\n```\n", r.example);
}

/// docs/rules.md, generated from the descriptors (a test keeps the checked-in copy fresh).
pub fn render_rules_markdown() -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Built-in rules\n");
    let _ = writeln!(
        out,
        "<!-- Generated from src/policy/rules/*.rs by `DRIFTGATE_BLESS=1 cargo test --lib policy::docs`. Do not edit. -->\n"
    );
    let _ = writeln!(
        out,
        "Every finding gets a severity (critical, high, medium, low, info) and the rule that set it. \
Each change of a changed resource is graded on its own, by the most severe rule that matches it; \
the finding takes the most severe of its changes. A missing or unmanaged resource is graded as a whole. \
Re-grade a rule in the policy file with `rule \"ID\" {{ severity = \"...\" }}` (see [policy.md](policy.md)).\n"
    );
    let _ = writeln!(out, "| Rule | Default severity | Summary |");
    let _ = writeln!(out, "|---|---|---|");
    for r in CATALOGUE {
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | {} | {} |",
            r.id,
            r.id,
            r.severity,
            r.summary.replace('|', "\\|")
        );
    }
    let _ = writeln!(out);
    for r in CATALOGUE {
        rule_section(&mut out, r);
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_rules_md_is_fresh() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
        let want = render_rules_markdown();
        if std::env::var_os("DRIFTGATE_BLESS").is_some() {
            std::fs::write(&path, &want).expect("write docs/rules.md");
            return;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/rules.md is stale: regenerate it with `DRIFTGATE_BLESS=1 cargo test --lib policy::docs` and commit it"
        );
    }

    #[test]
    fn list_names_every_rule_and_explain_knows_them() {
        let list = rules_list_text();
        for r in CATALOGUE {
            assert!(list.contains(r.id));
            let text = rule_explain_text(r.id).unwrap();
            assert!(text.starts_with(&format!("{} (default severity: {})", r.id, r.severity)));
            assert!(text.contains("Example:"));
        }
        assert!(rule_explain_text("no_such_rule").is_none());
    }

    #[test]
    fn explain_snapshot() {
        insta::assert_snapshot!(rule_explain_text("ingress_open_world_admin").unwrap());
    }
}
