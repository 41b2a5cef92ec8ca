//! `driftgate report`, the nightly job: scan, record the run in the history, write the report
//! files into `--out-dir`, and tell the team's webhooks when something changed.
//!
//! Order matters: the history is opened first (a damaged or foreign history stops the job
//! before any AWS call), the run is recorded before anything is written, and a webhook comes
//! last and can only warn: a failed notification never loses the report or changes the exit
//! code, which is the scan's.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::history::{Location, Run, Store, Tracked};
use crate::ops::scan::{Evaluation, ScanOptions, evaluate_releasing, outcome};
use crate::ops::{Outcome, Settings};
use crate::render;
use crate::render::run_message::{RunMessage, run_message, should_notify};

/// What `driftgate report` was asked for.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// The scan's inputs (`format` and `out` are not used: the files go to `out_dir`).
    pub scan: ScanOptions,
    pub history: Location,
    pub out_dir: PathBuf,
    /// Webhook URLs.
    pub notify: Vec<String>,
    /// `None`: inferred from each URL.
    pub notify_format: Option<crate::notify::Format>,
    /// Notify even when nothing changed since the last run.
    pub notify_always: bool,
}

/// Runs the report, then appends its audit entry.
pub async fn run(options: &ReportOptions, settings: &Settings) -> Result<Outcome> {
    super::notify::check_urls(&options.notify)?;
    let mut inputs = std::collections::BTreeMap::new();
    let result = report(options, settings, &mut inputs).await;
    let logged = super::audit::record(settings, "report", &result, inputs);
    let outcome = result?;
    logged.map(|()| outcome)
}

async fn report(
    options: &ReportOptions,
    settings: &Settings,
    inputs: &mut std::collections::BTreeMap<String, String>,
) -> Result<Outcome> {
    let mut store = Store::open(&options.history, true, settings.now).await?;
    let evaluation = evaluate_releasing(&options.scan, settings).await?;
    *inputs = super::audit::state_inputs(&evaluation.states);
    let result = outcome(&evaluation.report);
    let run = Run::of(
        &evaluation.report,
        result as i64,
        "report",
        &settings.actor,
        settings.now,
    );
    let tracked = store.record(&run).await?;
    let trend = crate::history::trend(&store.runs(Some(30)).await?, &run.states, &run.regions);
    let files = write_reports(&options.out_dir, &evaluation, &tracked, trend, settings)?;
    let shown = options.history.shown();
    render::history::report_written(&files, &shown, &tracked);
    let message = run_message(&evaluation.report, &tracked, result as i64);
    render::emit(&message.to_text(), None)?;
    // `--notify` URLs and the policy's `notify` blocks, each URL once (as `plan` and `apply`).
    let targets = super::notify::targets(
        &options.notify,
        options.notify_format,
        &super::scan::PolicyBlocks::of(&evaluation.policy)?.notify,
    );
    if should_notify(&tracked, options.notify_always) {
        // A failed webhook is a warning and an audit entry (`ops::notify::deliver`): the report
        // is written and the run recorded already, and the exit code stays the scan's.
        super::notify::deliver(&targets, &notification(&message), settings, None).await;
    } else {
        render::history::notify_skipped(targets.len());
    }
    render::notice::warn_scan(
        &evaluation.report,
        render::notice::Destination::File(&options.out_dir.join("report.json")),
    );
    Ok(result)
}

/// Writes every report file into `dir` (created when missing) and returns their paths.
///
/// `report.json` (with the run's statuses), `report.md`, `report.sarif` and `report.html`
/// (with the trend of open findings over the last runs of the same inputs), each rendered from
/// the same scan with the options `scan` builds for it.
fn write_reports(
    dir: &Path,
    evaluation: &Evaluation,
    tracked: &Tracked,
    trend: Vec<(time::OffsetDateTime, usize)>,
    settings: &Settings,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.display().to_string(),
        source,
    })?;
    let json = render::json::render_json(
        &evaluation.report,
        &render::json::JsonExtras {
            api_calls: Some(evaluation.observation.api_calls.clone()),
            duration_ms: evaluation
                .live
                .then_some(evaluation.elapsed.as_millis() as u64),
            history: Some(tracked.clone()),
            ..Default::default()
        },
    );
    let report = &evaluation.report;
    let files: Vec<(&str, String)> = vec![
        ("report.json", json),
        (
            "report.md",
            render::markdown::render(report, &super::scan::markdown_options(evaluation)),
        ),
        (
            "report.sarif",
            render::sarif::render(report, &super::scan::sarif_options(evaluation, settings)),
        ),
        (
            "report.html",
            render::html::render(
                report,
                &super::scan::html_options(evaluation, settings, Some(trend)),
            ),
        ),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        render::emit(&text, Some(&path))?;
        written.push(path);
    }
    Ok(written)
}

/// The run's message as a notification (`notify::Message`: Slack Block Kit, a Teams card or
/// the generic JSON are shaped from it, every string masked by `notify`).
fn notification(message: &RunMessage) -> crate::notify::Message {
    let line = |f: &crate::render::run_message::MessageFinding, since: &str| {
        format!(
            "{} `{}` {} ({}), {since} {}",
            f.severity, f.name, f.kind, f.rule, f.first_seen
        )
    };
    let mut sections = Vec::new();
    if !message.top.is_empty() {
        let mut lines: Vec<String> = message
            .top
            .iter()
            .map(|f| line(f, &format!("{} since", f.status)))
            .collect();
        if message.more > 0 {
            lines.push(format!("and {} more", message.more));
        }
        sections.push(crate::notify::Section {
            heading: "Top findings".into(),
            lines,
        });
    }
    if !message.resolved_top.is_empty() {
        let mut lines: Vec<String> = message
            .resolved_top
            .iter()
            .map(|f| line(f, "open since"))
            .collect();
        if message.more_resolved > 0 {
            lines.push(format!("and {} more", message.more_resolved));
        }
        sections.push(crate::notify::Section {
            heading: "Resolved".into(),
            lines,
        });
    }
    crate::notify::Message {
        kind: "report".into(),
        title: message.title.clone(),
        summary: message
            .counts
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect::<Vec<_>>()
            .join(", "),
        facts: vec![
            ("run".into(), message.run.to_string()),
            ("new".into(), message.new.to_string()),
            ("open".into(), message.open.to_string()),
            ("resolved".into(), message.resolved.to_string()),
            ("complete".into(), message.complete.to_string()),
            ("exit code".into(), message.exit_code.to_string()),
        ],
        sections,
        commands: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value as Json;
    use time::macros::datetime;

    /// The clean scenario's observation with the policy `p` widened (unless `reverted`) and
    /// the VPC's `team` tag changed, out of band.
    fn observation(dir: &Path, name: &str, drift: bool, reverted: bool) -> PathBuf {
        let clean = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenarios/clean");
        let mut obs: Json =
            serde_json::from_str(&std::fs::read_to_string(clean.join("observed.json")).unwrap())
                .unwrap();
        for r in obs["resources"].as_array_mut().unwrap() {
            if drift && r["cloud_id"] == "vpc-b8fd61646a8157153" {
                r["attributes"]["tags"]["team"] = "platform".into();
            }
            if drift && !reverted && r["resource_type"] == "aws_iam_policy" {
                let p = r["attributes"]["policy"].as_str().unwrap();
                r["attributes"]["policy"] = p.replace("ec2:Describe*", "ec2:*").into();
            }
        }
        let path = dir.join(name);
        std::fs::write(&path, obs.to_string()).unwrap();
        path
    }

    /// The four nightly runs with an injected clock: `first_seen` is exactly the time
    /// of the run that first saw the drift, `resolved_at` the time of the run that no longer did.
    #[tokio::test]
    async fn four_nightly_runs_with_an_injected_clock() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let state = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/scenarios/clean/terraform.tfstate");
        let nights = [
            (
                datetime!(2026-12-01 02:00 UTC),
                observation(d, "1.json", false, false),
            ),
            (
                datetime!(2026-12-02 02:00 UTC),
                observation(d, "2.json", true, false),
            ),
            (
                datetime!(2026-12-03 02:00 UTC),
                observation(d, "3.json", true, true),
            ),
            (
                datetime!(2026-12-04 02:00 UTC),
                observation(d, "4.json", true, true),
            ),
        ];
        let mut reports = Vec::new();
        for (now, observed) in &nights {
            let mut settings = crate::cli::settings_from_env(
                crate::cli::ColorChoice::Never,
                Some(d.join("audit.jsonl")),
            );
            settings.now = *now;
            settings.today = now.date();
            settings.cwd = d.to_path_buf();
            let options = ReportOptions {
                scan: ScanOptions {
                    states: vec![state.display().to_string()],
                    observed: Some(observed.clone()),
                    ..ScanOptions::default()
                },
                history: Location::File(d.join("history.db")),
                out_dir: d.join("out"),
                notify: vec![],
                notify_format: None,
                notify_always: false,
            };
            run(&options, &settings).await.unwrap();
            let text = std::fs::read_to_string(d.join("out/report.json")).unwrap();
            reports.push(serde_json::from_str::<Json>(&text).unwrap());
        }
        let statuses = |r: &Json| -> Vec<(String, String, String)> {
            r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f["address"].as_str().unwrap().to_string(),
                        f["status"].as_str().unwrap().to_string(),
                        f["first_seen"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        };
        let second = "2026-12-02T02:00:00Z".to_string();
        assert!(statuses(&reports[0]).is_empty());
        assert_eq!(
            statuses(&reports[1]),
            [
                ("aws_iam_policy.p".into(), "new".into(), second.clone()),
                ("aws_vpc.main".into(), "new".into(), second.clone()),
            ]
        );
        let still = vec![(
            "aws_vpc.main".to_string(),
            "open".to_string(),
            second.clone(),
        )];
        assert_eq!(statuses(&reports[2]), still);
        assert_eq!(reports[2]["resolved"][0]["address"], "aws_iam_policy.p");
        assert_eq!(reports[2]["resolved"][0]["first_seen"], second.as_str());
        assert_eq!(
            reports[2]["resolved"][0]["resolved_at"],
            "2026-12-03T02:00:00Z"
        );
        assert_eq!(statuses(&reports[3]), still);
        assert_eq!(reports[3]["history"]["time"], "2026-12-04T02:00:00Z");
        assert_eq!(reports[3]["history"]["previous_run"], 3);
    }
}
