//! `driftgate scan`: recorded (states) vs observed (AWS or a recorded observation).

use std::sync::Arc;

use crate::cli::{Format, ScanArgs, Settings};
use crate::commands::{Outcome, needs_aws, read_states, regions, state_locations};
use crate::diff::{self, ScanInput};
use crate::error::{Error, Result};
use crate::model::{ScanReport, Value};
use crate::provider::{aws, snapshot};
use crate::render;
use crate::spec::Registry;

pub async fn run(args: &ScanArgs, settings: &Settings) -> Result<Outcome> {
    let registry = Registry::builtin()?;
    let locations = state_locations(&args.states, &settings.cwd)?;
    let live = args.observed.is_none();
    let sdk = if live || needs_aws(&locations) {
        Some(aws::load_sdk_config(args.regions.first().map(String::as_str)).await)
    } else {
        None
    };
    let states = read_states(&locations, sdk.as_ref()).await?;

    let started = std::time::Instant::now();
    let (observation, key) = match &args.observed {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::ObservationRead {
                path: super::display_path(path),
                reason: e.to_string(),
            })?;
            let (obs, key) = snapshot::read(
                &super::display_path(path),
                &text,
                settings.fingerprint_key.clone(),
            )?;
            (obs, Some(key))
        }
        None => {
            let sdk = sdk.as_ref().expect("loaded above for a live scan");
            let regions = regions(&args.regions, &states, sdk.region().map(|r| r.as_ref()));
            let request = aws::ObserveRequest {
                regions,
                resource_types: registry.types().map(str::to_string).collect(),
            };
            let bar = Arc::new(render::progress::ScanProgress::new(settings.progress));
            let progress_bar = bar.clone();
            let progress: aws::Progress = Arc::new(move |event| match event {
                aws::ProgressEvent::Planned { tasks } => progress_bar.planned(tasks),
                aws::ProgressEvent::Done { task } => progress_bar.done(&task),
            });
            let obs = aws::observe(sdk, &request, progress).await;
            bar.finish();
            (obs, None)
        }
    };
    let elapsed = started.elapsed();

    let fingerprint = key.map(|k| move |v: &Value| crate::mask::fingerprint(v, &k));
    let report: ScanReport = diff::scan(&ScanInput {
        registry: &registry,
        states: &states,
        observation: &observation,
        strict: args.strict,
        fingerprint: fingerprint.as_ref().map(|f| f as &dyn Fn(&Value) -> String),
    });

    let text = match args.format {
        Format::Json => render::json::render_json(
            &report,
            &render::json::JsonExtras {
                api_calls: Some(observation.api_calls.clone()),
                duration_ms: if live {
                    Some(elapsed.as_millis() as u64)
                } else {
                    None
                },
            },
        ),
        Format::Table => render::table::render_table(
            &report,
            &render::table::TableOptions {
                color: settings.color,
            },
        ),
    };
    render::emit(&text, args.out.as_deref())?;
    Ok(outcome(&report))
}

/// Incomplete beats drift: a scan that could not see everything never reads as clean, and
/// its findings are shown but its exit code says "look again".
pub fn outcome(report: &ScanReport) -> Outcome {
    if !report.is_complete() {
        Outcome::Incomplete
    } else if report.findings.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Drift
    }
}
