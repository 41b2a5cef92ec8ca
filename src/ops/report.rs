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
use crate::ops::scan::{Evaluation, ScanOptions, evaluate, outcome};
use crate::ops::{Outcome, Settings};
use crate::render;
use crate::render::run_message::{RunMessage, run_message, should_notify};

/// The payload shape a webhook expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NotifyFormat {
    #[default]
    Slack,
    Teams,
    Json,
}

/// What `driftgate report` was asked for.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// The scan's inputs (`format` and `out` are not used: the files go to `out_dir`).
    pub scan: ScanOptions,
    pub history: Location,
    pub out_dir: PathBuf,
    /// Webhook URLs.
    pub notify: Vec<String>,
    pub notify_format: NotifyFormat,
    /// Notify even when nothing changed since the last run.
    pub notify_always: bool,
}

/// Runs the report, then appends its audit entry.
pub async fn run(options: &ReportOptions, settings: &Settings) -> Result<Outcome> {
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
    let evaluation = evaluate(&options.scan, settings).await?;
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
    let files = write_reports(&options.out_dir, &evaluation, &tracked)?;
    let shown = options.history.shown();
    render::history::report_written(&files, &shown, &tracked);
    let message = run_message(&evaluation.report, &tracked, result as i64);
    render::emit(&message.to_text(), None)?;
    if should_notify(&tracked, options.notify_always) {
        for url in &options.notify {
            if let Err(reason) = send_notification(url, options.notify_format, &message).await {
                render::history::notify_failed(url, &reason);
            }
        }
    } else {
        render::history::notify_skipped(options.notify.len());
    }
    render::notice::warn_scan(
        &evaluation.report,
        render::notice::Destination::File(&options.out_dir.join("report.json")),
    );
    Ok(result)
}

/// Writes every report file into `dir` (created when missing) and returns their paths.
///
/// FORMATS PLUG-IN: this is the one place the other report formats join. When the SARIF,
/// Markdown and HTML renderers land in `src/render/` (issue 9, "formats": `render::sarif`,
/// `render::markdown`, `render::html`), add `report.md`, `report.html` and `report.sarif` to
/// `files` below, each rendered from the same `evaluation.report` with the options `scan`
/// builds for them. The HTML trend chart is `history::trend(&store.runs(..), &run.states,
/// &run.regions)` (the open findings of the runs over the same inputs), read after `record`.
fn write_reports(dir: &Path, evaluation: &Evaluation, tracked: &Tracked) -> Result<Vec<PathBuf>> {
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
        },
    );
    let files: Vec<(&str, String)> = vec![("report.json", json)];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        render::emit(&text, Some(&path))?;
        written.push(path);
    }
    Ok(written)
}

/// Sends the run's message to one webhook.
///
/// LEAD: connect this to `notify::send` when `src/notify` (issue 8) is merged: shape
/// `message` for `format` (Slack, Teams or plain JSON), post it with notify's client (timeout,
/// retries, masking), and return its error as the reason. Until then no HTTP client is built
/// here (one client for the project), so every send reports that it was not made; the caller
/// turns any error into a warning on stderr, never into the exit code.
async fn send_notification(
    url: &str,
    format: NotifyFormat,
    message: &RunMessage,
) -> std::result::Result<(), String> {
    let _ = (url, format, message);
    Err("this build of driftgate cannot send notifications yet (src/notify is not merged)".into())
}
