//! Operations: one function per command over a plain options struct, chaining the stages
//! (read inputs -> observe -> diff -> grade -> render), the way cargo's `ops` sit under its
//! commands. This layer never sees clap: `cli` turns what the user typed into these options
//! and a [`Settings`] (the environment, the terminal and the clock, resolved once). All I/O an
//! operation needs happens here or in the readers, providers and renderers it calls; the
//! stages between are pure.

pub mod apply;
pub mod approve;
pub mod audit;
pub mod checkpoint;
pub mod history;
pub mod merge;
pub mod notify;
pub mod observe;
pub mod plan;
pub mod report;
pub mod rules;
pub mod scan;
pub mod serve;
pub mod touched;
pub mod trust;

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::iac::StateLocation;
use crate::model::RecordedState;
use std::collections::BTreeSet;

/// Everything an operation needs from the outside world, resolved once by `cli` (the only
/// reader of environment variables, the terminal and the clock).
#[derive(Debug, Clone)]
pub struct Settings {
    /// A progress bar on stderr (a terminal, not CI).
    pub progress: bool,
    /// ANSI colors in the table.
    pub color: bool,
    /// The terminal's width in columns when stdout is a terminal; `None` otherwise (a pipe, a
    /// file, a CI log: the table then never wraps).
    pub width: Option<usize>,
    /// DRIFTGATE_FINGERPRINT_KEY: the key for fingerprints of sensitive values.
    pub fingerprint_key: Option<Vec<u8>>,
    /// Today's date (UTC): the only clock reading.
    pub today: time::Date,
    /// The working directory: default paths (`./terraform.tfstate`, `./driftgate.hcl`,
    /// `.tf` files) are resolved against it.
    pub cwd: PathBuf,
    /// Now (UTC): the only clock reading, with `today` (plan times and expiry).
    pub now: time::OffsetDateTime,
    /// Who runs driftgate: `DRIFTGATE_ACTOR`, else the CI's actor variable, else the OS user.
    pub actor: String,
    /// The command line without the program name (masked before it is logged).
    pub args: Vec<String>,
    /// The audit log: `--audit-log`, else DRIFTGATE_AUDIT_LOG, else ./.driftgate/audit.jsonl.
    pub audit_log: PathBuf,
    /// GITHUB_STEP_SUMMARY: a file `scan` appends its Markdown summary to, whatever the format.
    pub step_summary: Option<PathBuf>,
    /// DRIFTGATE_API_PACE: client-side pacing to AWS's documented rate limits (`auto`: AWS's
    /// own endpoints only; `aws`; `off`).
    pub api_pace: crate::provider::aws::pace::Pace,
    /// CI is set (and not `false`): a context that looks like CI.
    pub ci: bool,
    /// The CI's identity of who triggered the job (`trust::identity::ci`).
    pub ci_identity: Option<String>,
    /// The OS user (recorded in plans, never trusted).
    pub os_user: Option<String>,
    /// DRIFTGATE_TRUST_ROOT with its pin (DRIFTGATE_TRUST_ROOT_SHA256, _ADMINS).
    pub trust_pin: Option<crate::trust::Pin>,
    /// The pinned root once `trust::pinned` verified it (then `audit_log` is the root's, when
    /// it names one).
    pub trust_root: Option<std::sync::Arc<crate::trust::Root>>,
}

impl Settings {
    /// The time, actor and command line every audit entry of this run carries.
    pub fn audit_origin(&self) -> crate::audit::Origin {
        crate::audit::Origin {
            time: self.now,
            actor: self.actor.clone(),
            args: self.args.clone(),
        }
    }
}

/// How a report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportFormat {
    #[default]
    Table,
    Json,
}

/// How `scan` prints its report (`--format`); `report` writes several of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScanFormat {
    #[default]
    Table,
    Json,
    Sarif,
    Markdown,
    Junit,
    Html,
}

/// How a command ended, as an exit code (`terraform plan -detailed-exitcode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 0: no drift (and the scan saw everything).
    Clean = 0,
    /// 1: the scan could not see everything (the report says what it missed).
    Incomplete = 1,
    /// 2: drift found.
    Drift = 2,
}

/// `--state` values, or `./terraform.tfstate` when none is given.
pub fn state_locations(given: &[String], cwd: &std::path::Path) -> Result<Vec<StateLocation>> {
    if given.is_empty() {
        return Ok(vec![StateLocation::Local(cwd.join("terraform.tfstate"))]);
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for g in given {
        if !seen.insert(g.clone()) {
            return Err(Error::Usage(format!("state `{g}` is given twice")));
        }
        out.push(g.parse::<StateLocation>()?);
    }
    Ok(out)
}

/// Whether reading these states needs AWS (an S3 backend).
pub fn needs_aws(locations: &[StateLocation]) -> bool {
    locations
        .iter()
        .any(|l| matches!(l, StateLocation::S3 { .. }))
}

/// Read every state; the first unreadable one stops the command (a scan must never silently
/// drop a state).
pub async fn read_states(
    locations: &[StateLocation],
    sdk: Option<&aws_config::SdkConfig>,
) -> Result<Vec<RecordedState>> {
    let mut states = Vec::with_capacity(locations.len());
    for l in locations {
        states.push(crate::iac::read_state(l, sdk).await?);
    }
    Ok(states)
}

/// The regions to observe: the ones asked for, else every region the states' resources live
/// in plus the configured one (and us-east-1 when nothing says otherwise).
pub fn regions(
    asked: &[String],
    states: &[RecordedState],
    configured: Option<&str>,
) -> Vec<String> {
    let mut out: BTreeSet<String> = asked.iter().cloned().collect();
    if out.is_empty() {
        for r in states.iter().flat_map(|s| s.resources.iter()) {
            if let Some(region) = r.region() {
                out.insert(region.to_string());
            }
        }
        if let Some(c) = configured {
            out.insert(c.to_string());
        }
        if out.is_empty() {
            out.insert("us-east-1".to_string());
        }
    }
    out.into_iter().collect()
}

/// For each type with an attribute read one call per object (`read = "recorded"`), the ids of
/// the objects the states record: the only ones a scan needs that attribute for.
pub fn per_object_reads(
    registry: &crate::spec::Registry,
    states: &[RecordedState],
) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut out = std::collections::BTreeMap::new();
    for t in registry.types() {
        let Some(spec) = registry.get(t) else {
            continue;
        };
        if !spec.attributes.iter().any(|a| a.read_recorded_only) {
            continue;
        }
        let ids: std::collections::BTreeSet<String> = states
            .iter()
            .flat_map(|s| s.resources.iter())
            .filter(|r| r.resource_type == t)
            .filter_map(|r| {
                r.attributes
                    .get("id")
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            })
            .collect();
        out.insert(t.to_string(), ids);
    }
    out
}

/// A path for messages: as the user wrote it.
pub fn display_path(p: &std::path::Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Observe the account: every supported type, in the asked regions (else those of the states
/// plus the configured one), with a progress bar on stderr when `settings.progress`.
/// `whole` reads every attribute of every object; otherwise an attribute that costs one call
/// per object (`read = "recorded"` in its spec) is read only for the objects the states record.
/// `touched`: only these objects (and their types) are read, by id (`apply`).
pub async fn observe_account(
    sdk: &aws_config::SdkConfig,
    asked_regions: &[String],
    states: &[RecordedState],
    registry: &crate::spec::Registry,
    settings: &Settings,
    whole: bool,
    touched: Option<&touched::Touched>,
) -> crate::model::Observation {
    use crate::provider::aws;
    let per_object_reads = if whole {
        std::collections::BTreeMap::new()
    } else {
        per_object_reads(registry, states)
    };
    let request = aws::ObserveRequest {
        regions: regions(asked_regions, states, sdk.region().map(|r| r.as_ref())),
        resource_types: match touched {
            Some(t) => t.types(),
            None => registry.types().map(str::to_string).collect(),
        },
        per_object_reads,
        pace: settings.api_pace,
        only: touched.map(|t| t.ids(registry, states)).unwrap_or_default(),
        clock: None,
    };
    let bar = std::sync::Arc::new(crate::render::progress::ScanProgress::new(
        settings.progress,
    ));
    let events = bar.clone();
    let progress: aws::Progress = std::sync::Arc::new(move |event| match event {
        aws::ProgressEvent::Planned { tasks } => events.planned(tasks),
        aws::ProgressEvent::Done { task } => events.done(&task),
        aws::ProgressEvent::ReadsPlanned { reads } => events.reads_planned(reads),
        aws::ProgressEvent::ReadDone => events.read_done(),
    });
    let observation = aws::observe(sdk, &request, progress).await;
    bar.finish();
    observation
}
