//! `driftgate scan`: recorded (states) vs observed (AWS or a recorded observation).

use crate::cli::{Format, ScanArgs, Settings};
use crate::commands::{Outcome, needs_aws, read_states, state_locations};
use crate::diff::{self, ScanInput};
use crate::error::{Error, Result};
use crate::iac::config::Configuration;
use crate::model::{ScanReport, Value};
use crate::normalize;
use crate::policy::{self, DriftIgnore, Policy};
use crate::provider::{aws, snapshot};
use crate::render;
use crate::spec::Registry;

/// Scans, then appends the run's audit entry (its outcome, or the error, and the states read).
pub async fn run(args: &ScanArgs, settings: &Settings) -> Result<Outcome> {
    let mut inputs = std::collections::BTreeMap::new();
    let result = scan(args, settings, &mut inputs).await;
    let logged = super::audit::record(settings, "scan", &result, inputs);
    // A scan's own error comes first; a successful scan that could not be logged fails.
    let outcome = result?;
    logged.map(|()| outcome)
}

async fn scan(
    args: &ScanArgs,
    settings: &Settings,
    inputs: &mut std::collections::BTreeMap<String, String>,
) -> Result<Outcome> {
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
    *inputs = super::audit::state_inputs(&states);

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
    let report: ScanReport = diff::scan(&ScanInput {
        registry: &registry,
        states: &states,
        observation: &observation,
        strict: args.strict,
        fingerprint: fingerprint.as_ref().map(|f| f as &dyn Fn(&Value) -> String),
    });

    let threshold = policy::exit_threshold(args.fail_on, &policy);
    let mut report = report;
    policy::grade::grade(
        &mut report,
        &policy,
        config.as_ref(),
        threshold,
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
    } else if report.fails() {
        Outcome::Drift
    } else {
        Outcome::Clean
    }
}

/// `--config DIR`, else the current directory when it holds `.tf` files, else none.
fn load_configuration(args: &ScanArgs, settings: &Settings) -> Result<Option<Configuration>> {
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
                return Ok(None);
            }
            settings.cwd.clone()
        }
    };
    crate::iac::config::load_config(&dir).map(Some)
}

/// `--policy FILE`, else ./driftgate.hcl when it exists; plus ./.driftignore when it exists.
fn load_policy(args: &ScanArgs, settings: &Settings) -> Result<Policy> {
    // The name the report shows is the one the user wrote (or `driftgate.hcl`), never an
    // absolute path: reports stay the same on every machine.
    let chosen = match &args.policy {
        Some(p) => Some((p.clone(), super::display_path(p))),
        None => Some(settings.cwd.join("driftgate.hcl"))
            .filter(|p| p.exists())
            .map(|p| (p, "driftgate.hcl".to_string())),
    };
    let mut policy = match chosen {
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
