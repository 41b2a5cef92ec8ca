//! `driftgate scan`: recorded (states) vs observed (AWS or a recorded observation).

use std::path::PathBuf;

use crate::diff::{self, ScanInput};
use crate::error::{Error, Result};
use crate::model::desired::Configuration;
use crate::model::{ScanReport, Severity, Unchecked, Value};
use crate::normalize;
use crate::ops::{Outcome, ReportFormat, Settings, needs_aws, read_states, state_locations};
use crate::policy::{self, DriftIgnore, Policy};
use crate::provider::{aws, snapshot};
use crate::render;
use crate::spec::Registry;

/// What a scan compares and how it reports (what `driftgate scan` was asked for).
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Local paths or `s3://bucket/key`; empty: `./terraform.tfstate` (or the configuration's
    /// S3 backend).
    pub states: Vec<String>,
    /// Empty: the regions of the states' resources plus the configured one.
    pub regions: Vec<String>,
    pub format: ReportFormat,
    /// Write the report here instead of standard output.
    pub out: Option<PathBuf>,
    pub strict: bool,
    /// Replay a recorded observation instead of calling AWS.
    pub observed: Option<PathBuf>,
    /// The policy file; `None`: `./driftgate.hcl` when it exists.
    pub policy: Option<PathBuf>,
    /// Overrides the policy's `fail_on`.
    pub fail_on: Option<Severity>,
    /// Recorded resources of unsupported types make the scan incomplete, whatever the
    /// policy's `unchecked` says.
    pub fail_on_unchecked: bool,
    /// The configuration directory; `None`: the working directory when it holds `.tf` files.
    pub config: Option<PathBuf>,
}

/// Scans, then appends the run's audit entry (its outcome, or the error, and the states read).
pub async fn run(args: &ScanOptions, settings: &Settings) -> Result<Outcome> {
    let mut inputs = std::collections::BTreeMap::new();
    let result = scan(args, settings, &mut inputs).await;
    let logged = super::audit::record(settings, "scan", &result, inputs);
    // A scan's own error comes first; a successful scan that could not be logged fails.
    let outcome = result?;
    logged.map(|()| outcome)
}

async fn scan(
    args: &ScanOptions,
    settings: &Settings,
    inputs: &mut std::collections::BTreeMap<String, String>,
) -> Result<Outcome> {
    let Evaluation {
        observation,
        report,
        live,
        elapsed,
        states,
        ..
    } = evaluate(args, settings).await?;
    *inputs = super::audit::state_inputs(&states);
    let text = match args.format {
        ReportFormat::Json => render::json::render_json(
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
        ReportFormat::Table => render::table::render_table(
            &report,
            &render::table::TableOptions {
                color: settings.color,
            },
        ),
    };
    render::emit(&text, args.out.as_deref())?;
    let to =
        render::notice::Destination::of(args.out.as_deref(), args.format == ReportFormat::Json);
    render::notice::warn_scan(&report, to);
    Ok(outcome(&report))
}

/// What a scan read, saw and found: the shared first half of `scan` and `plan`.
pub struct Evaluation {
    pub registry: Registry,
    pub states: Vec<crate::model::RecordedState>,
    pub observation: crate::model::Observation,
    pub report: ScanReport,
    /// Observed live (not replayed from `--observed`).
    pub live: bool,
    pub elapsed: std::time::Duration,
}

/// Read the inputs, observe, diff, grade and list pending changes: everything but rendering.
pub async fn evaluate(args: &ScanOptions, settings: &Settings) -> Result<Evaluation> {
    let registry = Registry::builtin()?;
    let config = load_configuration(args, settings)?;
    let policy = load_policy(args, settings)?;
    let locations = match default_backend_state(&args.states, settings, config.as_ref()) {
        Some(uri) => vec![uri.parse()?],
        None => state_locations(&args.states, &settings.cwd)?,
    };
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
            let obs =
                super::observe_account(sdk, &args.regions, &states, &registry, settings).await;
            (obs, None)
        }
    };
    let elapsed = started.elapsed();

    let fingerprint = key.map(|k| move |v: &Value| crate::mask::fingerprint(v, &k));
    let diff = diff::scan(&ScanInput {
        registry: &registry,
        states: &states,
        observation: &observation,
        strict: args.strict,
        fingerprint: fingerprint.as_ref().map(|f| f as &dyn Fn(&Value) -> String),
    });

    let threshold = policy::exit_threshold(args.fail_on, &policy);
    let unchecked = if args.fail_on_unchecked {
        Unchecked::Fail
    } else {
        policy.unchecked.unwrap_or_default()
    };
    let mut report = policy::grade::grade(
        diff,
        &policy,
        config.as_ref(),
        threshold,
        unchecked,
        settings.today,
    );
    if let Some(config) = &config {
        let recorded: Vec<_> = states
            .iter()
            .flat_map(|s| s.resources.iter().cloned())
            .collect();
        let compared = |t: &str, a: &str| registry.get(t).and_then(|s| s.attribute(a)).is_some();
        let normalize =
            |t: &str, a: &str, v: &Value, attrs: &crate::model::Attributes| match registry
                .get(t)
                .and_then(|s| s.attribute(a))
            {
                Some(spec) if !matches!(v, Value::Unknown) => {
                    let c = normalize::canonical(spec.compare, v, attrs);
                    match &spec.default {
                        Some(d) if c.is_empty_like() => {
                            normalize::canonical(spec.compare, d, attrs)
                        }
                        _ => c,
                    }
                }
                _ => v.clone(),
            };
        report.pending = diff::pending::pending(config, &recorded, &compared, &normalize);
    }
    Ok(Evaluation {
        registry,
        states,
        observation,
        report,
        live,
        elapsed,
    })
}

/// Incomplete beats drift: a scan that could not see everything never reads as clean, and
/// its findings are shown but its exit code says "look again".
pub fn outcome(report: &ScanReport) -> Outcome {
    if !report.is_complete() {
        Outcome::Incomplete
    } else if report.fails() {
        Outcome::Drift
    } else {
        Outcome::Clean
    }
}

/// `--config DIR`, else the current directory when it holds `.tf` files, else none.
fn load_configuration(args: &ScanOptions, settings: &Settings) -> Result<Option<Configuration>> {
    match configuration_dir(args, settings) {
        Some(dir) => crate::iac::config::load_config(&dir).map(Some),
        None => Ok(None),
    }
}

/// The configuration directory a scan reads: `--config DIR`, else the current directory when
/// it holds `.tf` files.
pub fn configuration_dir(args: &ScanOptions, settings: &Settings) -> Option<std::path::PathBuf> {
    let dir = match &args.config {
        Some(dir) => dir.clone(),
        None => {
            let has_tf = std::fs::read_dir(&settings.cwd)
                .map(|entries| {
                    entries
                        .flatten()
                        .any(|e| e.path().extension().is_some_and(|x| x == "tf"))
                })
                .unwrap_or(false);
            if !has_tf {
                return None;
            }
            settings.cwd.clone()
        }
    };
    Some(dir)
}

/// `--policy FILE`, else ./driftgate.hcl when it exists; plus ./.driftignore when it exists.
pub(crate) fn load_policy(args: &ScanOptions, settings: &Settings) -> Result<Policy> {
    // The name the report shows is the one the user wrote (or `driftgate.hcl`), never an
    // absolute path: reports stay the same on every machine.
    let mut policy = match policy_file(args, settings) {
        Some((path, shown)) => {
            let text = std::fs::read_to_string(&path).map_err(|source| Error::PolicyRead {
                path: shown.clone(),
                source,
            })?;
            Policy::parse(&shown, &text)?
        }
        None => Policy::default(),
    };
    let ignore = settings.cwd.join(".driftignore");
    if let Ok(text) = std::fs::read_to_string(&ignore) {
        policy = policy.with_driftignore(DriftIgnore::parse(".driftignore", &text));
    }
    Ok(policy)
}

/// The policy file a scan reads (`--policy FILE`, else ./driftgate.hcl when it exists) and the
/// name reports show for it.
pub fn policy_file(
    args: &ScanOptions,
    settings: &Settings,
) -> Option<(std::path::PathBuf, String)> {
    match &args.policy {
        Some(p) => Some((p.clone(), super::display_path(p))),
        None => Some(settings.cwd.join("driftgate.hcl"))
            .filter(|p| p.exists())
            .map(|p| (p, "driftgate.hcl".to_string())),
    }
}

/// With no `--state`, no ./terraform.tfstate and a `backend "s3"` block in the configuration,
/// the backend's state object (default workspace) is the state.
fn default_backend_state(
    given: &[String],
    settings: &Settings,
    config: Option<&Configuration>,
) -> Option<String> {
    if !given.is_empty() || settings.cwd.join("terraform.tfstate").exists() {
        return None;
    }
    config?.backend.as_ref()?.s3_state_uri("default")
}
