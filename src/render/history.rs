//! The run history for people and machines: `driftgate history` (a table or JSON of the
//! runs), the line a table report ends with when the run was recorded, and the notices
//! `driftgate report` prints on stderr (what it wrote, a webhook that failed).
//!
//! Nothing here holds a value: runs and findings in the history are identities and counts.

use serde::Serialize;

use crate::model::tracked::{RunSummary, Tracked};

/// The version of `driftgate history --format json`. Adding a field keeps it.
pub const HISTORY_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct HistoryJson<'a> {
    schema_version: u32,
    history: &'a str,
    runs: Vec<RunJson<'a>>,
}

#[derive(Serialize)]
struct CountsJson {
    critical: i64,
    high: i64,
    medium: i64,
    low: i64,
    info: i64,
}

#[derive(Serialize)]
struct RunJson<'a> {
    id: i64,
    time: &'a str,
    command: &'a str,
    actor: &'a str,
    states: &'a [String],
    regions: &'a [String],
    complete: bool,
    exit_code: i64,
    findings: i64,
    by_severity: CountsJson,
    new: i64,
    resolved: i64,
}

/// `driftgate history --format json`: the runs, oldest first.
pub fn runs_json(location: &str, runs: &[RunSummary]) -> String {
    let wire = HistoryJson {
        schema_version: HISTORY_SCHEMA_VERSION,
        history: location,
        runs: runs
            .iter()
            .map(|r| RunJson {
                id: r.id,
                time: &r.time,
                command: &r.command,
                actor: &r.actor,
                states: &r.states,
                regions: &r.regions,
                complete: r.complete,
                exit_code: r.exit_code,
                findings: r.findings(),
                by_severity: CountsJson {
                    critical: r.counts[0].1,
                    high: r.counts[1].1,
                    medium: r.counts[2].1,
                    low: r.counts[3].1,
                    info: r.counts[4].1,
                },
                new: r.new,
                resolved: r.resolved,
            })
            .collect(),
    };
    let mut out = crate::mask::json_pretty(&wire).unwrap_or_else(|e| format!("{e}"));
    out.push('\n');
    out
}

/// `driftgate history`: one line per run, oldest first, identifiers never broken
/// (`render::grid`). `total` is how many runs the history holds (`--last N` shows fewer).
pub fn runs_table(
    location: &str,
    runs: &[RunSummary],
    total: usize,
    width: Option<usize>,
) -> String {
    use super::grid::{Col, Grid, Style};
    if runs.is_empty() {
        return format!("History {location}: no runs recorded yet.\n");
    }
    let mut t = Grid::new(
        Style::Plain,
        &[
            ("run", Col::Id),
            ("time", Col::Id),
            ("command", Col::Id),
            ("exit", Col::Id),
            ("findings", Col::Text),
            ("new", Col::Id),
            ("resolved", Col::Id),
            ("inputs", Col::Text),
        ],
    );
    for r in runs {
        let by: Vec<String> = r
            .counts
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        let findings = if by.is_empty() {
            "0".to_string()
        } else {
            format!("{} ({})", r.findings(), by.join(", "))
        };
        t.row([
            r.id.to_string(),
            r.time.clone(),
            r.command.clone(),
            format!(
                "{}{}",
                r.exit_code,
                if r.complete { "" } else { " incomplete" }
            ),
            findings,
            r.new.to_string(),
            r.resolved.to_string(),
            format!("{} in {}", r.states.join(", "), r.regions.join(", ")),
        ]);
    }
    let shown = if runs.len() < total {
        format!("the last {} of {total} runs", runs.len())
    } else {
        super::common::plural(total, "run", "runs")
    };
    format!("History {location}: {shown}\n\n{}", t.render(width))
}

/// The line a table report ends with when its run was recorded.
pub fn recorded_line(location: &str, t: &Tracked) -> String {
    let since = match t.previous_run {
        Some(p) => format!("since run {p}"),
        None => "first run of these inputs".to_string(),
    };
    format!(
        "\nHistory: run {} recorded in {location} ({since}): {} new, {} open, {} resolved.\n",
        t.run_id,
        t.new_count(),
        t.open_count(),
        t.resolved.len()
    )
}

/// stderr: what `driftgate report` wrote, and where the run was recorded.
pub fn report_written(files: &[std::path::PathBuf], location: &str, t: &Tracked) {
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    eprintln!(
        "driftgate report: wrote {}; run {} recorded in {location}",
        names.join(", "),
        t.run_id
    );
}

/// stderr: nothing changed since the last run, so no notification (without --notify-always).
pub fn notify_skipped(webhooks: usize) {
    if webhooks > 0 {
        eprintln!(
            "driftgate report: nothing new or resolved since the last run: no notification (--notify-always sends one anyway)"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    fn run(id: i64, new: i64, resolved: i64, high: i64) -> RunSummary {
        RunSummary {
            id,
            time: format!("2026-12-0{id}T02:00:00Z"),
            command: "report".into(),
            actor: "ci".into(),
            states: vec!["s3://bucket/prod/terraform.tfstate".into()],
            regions: vec!["us-east-1".into()],
            complete: true,
            exit_code: if high > 0 { 2 } else { 0 },
            counts: [
                (Severity::Critical, 0),
                (Severity::High, high),
                (Severity::Medium, 0),
                (Severity::Low, 0),
                (Severity::Info, 0),
            ],
            new,
            resolved,
        }
    }

    #[test]
    fn the_table_lists_runs_with_time_inputs_counts_new_and_resolved() {
        let text = runs_table(
            "h.db",
            &[run(1, 0, 0, 0), run(2, 3, 0, 3), run(3, 0, 1, 2)],
            3,
            None,
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "History h.db: 3 runs");
        assert!(lines[2].starts_with("run  time"), "{text}");
        assert!(lines[4].contains("2026-12-02T02:00:00Z"), "{text}");
        assert!(lines[4].contains("3 (3 high)"), "{text}");
        // An input is never broken.
        assert!(lines[5].contains("s3://bucket/prod/terraform.tfstate in us-east-1"));
        assert!(runs_table("h.db", &[], 0, None).contains("no runs"));
    }

    /// `--last 2` of 3 runs says so (issue 17, point 11), and one run is "1 run".
    #[test]
    fn the_heading_says_how_many_runs_of_how_many() {
        let two = runs_table("h.db", &[run(2, 3, 0, 3), run(3, 0, 1, 2)], 3, None);
        assert!(
            two.starts_with("History h.db: the last 2 of 3 runs\n"),
            "{two}"
        );
        let one = runs_table("h.db", &[run(1, 0, 0, 0)], 1, None);
        assert!(one.starts_with("History h.db: 1 run\n"), "{one}");
    }

    /// Piped (no terminal) or on a narrow terminal, a state's location stays whole.
    #[test]
    fn inputs_are_never_broken_at_any_width() {
        let runs = [run(1, 0, 0, 0), run(2, 3, 0, 3)];
        for width in [None, Some(40), Some(60)] {
            let text = runs_table("h.db", &runs, 2, width);
            assert!(
                text.lines()
                    .any(|l| l.contains("s3://bucket/prod/terraform.tfstate")),
                "{width:?}:\n{text}"
            );
            assert!(
                text.lines().any(|l| l.contains("2026-12-02T02:00:00Z")),
                "{text}"
            );
        }
    }

    #[test]
    fn the_json_lists_the_same_runs() {
        let v: serde_json::Value =
            serde_json::from_str(&runs_json("h.db", &[run(2, 3, 0, 3)])).unwrap();
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["runs"][0]["id"], 2);
        assert_eq!(v["runs"][0]["findings"], 3);
        assert_eq!(v["runs"][0]["by_severity"]["high"], 3);
        assert_eq!(v["runs"][0]["new"], 3);
        assert_eq!(v["runs"][0]["time"], "2026-12-02T02:00:00Z");
    }
}
