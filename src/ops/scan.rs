//! `driftgate scan`: recorded (states) vs observed (AWS or a recorded observation).

use std::path::PathBuf;

use crate::diff::{self, ScanInput};
use crate::error::{Error, Result};
use crate::model::desired::Configuration;
use crate::model::{ScanReport, Severity, Unchecked, Value};
use crate::normalize;
use crate::ops::{Outcome, ScanFormat, Settings, needs_aws, read_states, state_locations};
use crate::policy::{self, DriftIgnore, Policy};
use crate::provider::snapshot;
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
    pub format: ScanFormat,
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
    /// `--timings`: print where the time went (phases, time in calls per operation) on stderr.
    pub timings: bool,
    /// Read every attribute of every object, also those that cost a call per object and that
    /// no finding of a scan needs (`plan` and `apply`: an import writes them).
    pub whole_objects: bool,
    /// Observe and report only these objects (`apply` re-observes what its plan touches).
    pub touched: Option<super::touched::Touched>,
}

/// Scans, then appends the run's audit entry (its outcome, or the error, and the states read).
pub async fn run(args: &ScanOptions, settings: &Settings) -> Result<Outcome> {
    run_recorded(args, None, settings).await
}

/// [`run`], recording the run in a history (`scan --history FILE|URL`) when one is given: the
/// JSON report then gives each finding its status and first sighting and lists what was
/// resolved; the table ends with a line saying so.
pub async fn run_recorded(
    args: &ScanOptions,
    history: Option<&crate::history::Location>,
    settings: &Settings,
) -> Result<Outcome> {
    let mut inputs = std::collections::BTreeMap::new();
    let result = scan(args, history, settings, &mut inputs).await;
    let logged = super::audit::record(settings, "scan", &result, inputs);
    // A scan's own error comes first; a successful scan that could not be logged fails.
    let outcome = result?;
    logged.map(|()| outcome)
}

async fn scan(
    args: &ScanOptions,
    history: Option<&crate::history::Location>,
    settings: &Settings,
    inputs: &mut std::collections::BTreeMap<String, String>,
) -> Result<Outcome> {
    // Opened first: a damaged or foreign history stops the scan before any AWS call.
    let mut store = match history {
        Some(location) => Some(crate::history::Store::open(location, true, settings.now).await?),
        None => None,
    };
    // The findings hold what the report shows of each observed object; the observed objects
    // themselves are not rendered, so the comparison takes them (see `diff::scan_taking`):
    // the largest allocation of a big account's scan (with an empty state, every object in
    // it) is neither held beside the findings' view of it nor while the report is written.
    let mut ev = evaluate_releasing(args, settings).await?;
    let render_started = std::time::Instant::now();
    *inputs = super::audit::state_inputs(&ev.states);
    let tracked = match &mut store {
        Some(store) => {
            let run = crate::history::Run::of(
                &ev.report,
                outcome(&ev.report) as i64,
                "scan",
                &settings.actor,
                settings.now,
            );
            Some(store.record(&run).await?)
        }
        None => None,
    };
    // A report written to a file is not laid out for this terminal.
    let mut text = if args.out.is_some() {
        let unwrapped = Settings {
            width: None,
            ..settings.clone()
        };
        render_report(args.format, &ev, &unwrapped, tracked.as_ref())
    } else {
        render_report(args.format, &ev, settings, tracked.as_ref())
    };
    if let (ScanFormat::Table, Some(t), Some(l)) = (args.format, &tracked, history) {
        text.push_str(&render::history::recorded_line(&l.shown(), t));
    }
    render::emit(&text, args.out.as_deref())?;
    if let Some(path) = &settings.step_summary {
        append_step_summary(path, &ev)?;
    }
    ev.phases.push(("render", render_started.elapsed()));
    if args.timings {
        render::timings::print(&ev.phases, &ev.observation);
    }
    let to = render::notice::Destination::of(args.out.as_deref(), args.format == ScanFormat::Json);
    render::notice::warn_scan(&ev.report, to);
    Ok(outcome(&ev.report))
}

/// The report of an evaluated scan in `format`: what `scan` prints (and `report` writes).
/// `tracked`: the run as the history saw it (statuses, first sightings), when one is kept.
pub fn render_report(
    format: ScanFormat,
    ev: &Evaluation,
    settings: &Settings,
    tracked: Option<&crate::history::Tracked>,
) -> String {
    let report = &ev.report;
    match format {
        ScanFormat::Json => render::json::render_json(
            report,
            &render::json::JsonExtras {
                api_calls: Some(ev.observation.api_calls.clone()),
                duration_ms: if ev.live {
                    Some(ev.elapsed.as_millis() as u64)
                } else {
                    None
                },
                // Times only for a live scan: a replay's are not the cloud's, and a report of
                // a replay stays reproducible.
                timings: ev.live.then(|| render::json::Timings {
                    phases_ms: ev
                        .phases
                        .iter()
                        .filter(|(p, _)| *p != "render")
                        .map(|(p, d)| (p.to_string(), d.as_millis() as u64))
                        .collect(),
                    api_ms: ev.observation.api_ms.clone(),
                    paced_ms: ev.observation.paced_ms.clone(),
                }),
                history: tracked.cloned(),
            },
        ),
        ScanFormat::Table => render::table::render_table(
            report,
            &render::table::TableOptions {
                color: settings.color,
                width: settings.width,
                rules: rule_docs(ev),
            },
        ),
        ScanFormat::Sarif => render::sarif::render(report, &sarif_options(ev, settings)),
        ScanFormat::Markdown => render::markdown::render(report, &markdown_options(ev)),
        ScanFormat::Junit => render::junit::render(report, &junit_options(ev)),
        ScanFormat::Html => render::html::render(report, &html_options(ev, settings, None)),
    }
}

/// The rules a report describes: the catalogue re-graded by the scan's policy, and the
/// policy's own rules (see [`crate::ops::rules::docs`]).
pub fn rule_docs(ev: &Evaluation) -> Vec<render::common::RuleDoc> {
    crate::ops::rules::docs(&ev.policy, &ev.report)
}

pub fn sarif_options(ev: &Evaluation, settings: &Settings) -> render::sarif::SarifOptions {
    render::sarif::SarifOptions {
        rules: rule_docs(ev),
        source_root: source_root(ev.config_dir.as_deref(), &settings.cwd),
    }
}

pub fn markdown_options(ev: &Evaluation) -> render::markdown::MarkdownOptions {
    render::markdown::MarkdownOptions::new(rule_docs(ev))
}

pub fn junit_options(ev: &Evaluation) -> render::junit::JunitOptions {
    render::junit::JunitOptions {
        recorded: ev
            .states
            .iter()
            .flat_map(|s| s.resources.iter())
            .map(|r| render::junit::RecordedRef {
                state: r.state.0.clone(),
                address: r.address.to_string(),
                resource_type: r.resource_type.clone(),
            })
            .collect(),
        rules: rule_docs(ev),
    }
}

/// The HTML report's options; `trend` is the open-finding count of the last runs (from the
/// history), drawn as a chart when given.
pub fn html_options(
    ev: &Evaluation,
    settings: &Settings,
    trend: Option<Vec<(time::OffsetDateTime, usize)>>,
) -> render::html::HtmlOptions {
    render::html::HtmlOptions {
        rules: rule_docs(ev),
        generated_at: Some(settings.now),
        trend,
    }
}

/// Appends the Markdown report to `$GITHUB_STEP_SUMMARY` (the job summary GitHub Actions
/// shows), whatever `--format` is.
fn append_step_summary(path: &std::path::Path, ev: &Evaluation) -> Result<()> {
    use std::io::Write as _;
    let opts = render::markdown::MarkdownOptions {
        max_bytes: Some(render::markdown::STEP_SUMMARY_MAX_BYTES),
        ..markdown_options(ev)
    };
    let text = render::markdown::render(&ev.report, &opts);
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|source| Error::Write {
            path: super::display_path(path),
            source,
        })
}

/// Where the configuration's files are for a report's links: the configuration directory
/// relative to the root of the git repository that holds it (the directory with `.git`), else
/// to the working directory; [`render::sarif::SourceRoot::Outside`] when it is under neither.
/// Never an absolute path.
pub fn source_root(
    config_dir: Option<&std::path::Path>,
    cwd: &std::path::Path,
) -> render::sarif::SourceRoot {
    use render::sarif::SourceRoot;
    let Some(dir) = config_dir else {
        return SourceRoot::None;
    };
    let abs = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        cwd.join(dir)
    };
    let abs = abs.canonicalize().unwrap_or(abs);
    let cwd = cwd.canonicalize().unwrap_or_else(|_| cwd.to_path_buf());
    let repo = abs
        .ancestors()
        .find(|a| a.join(".git").exists())
        .map(std::path::Path::to_path_buf);
    let base = repo.unwrap_or(cwd);
    match abs.strip_prefix(&base) {
        Ok(rel) => SourceRoot::Relative(
            rel.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/"),
        ),
        Err(_) => SourceRoot::Outside,
    }
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
    /// The configuration and its directory, when one was read.
    pub config: Option<(std::path::PathBuf, Configuration)>,
    /// Wall time of each phase so far: `read` (states, configuration, policy), `observe`,
    /// `diff` (compare, grade, pending changes).
    pub phases: Vec<(&'static str, std::time::Duration)>,
    /// The policy the findings were graded with (reports describe its rules).
    pub policy: Policy,
    /// The configuration directory read, if any (reports link findings to its files).
    pub config_dir: Option<PathBuf>,
}

/// Read the inputs, observe, diff, grade and list pending changes: everything but rendering.
pub async fn evaluate(args: &ScanOptions, settings: &Settings) -> Result<Evaluation> {
    evaluate_keeping(args, settings, true).await
}

/// [`evaluate`] for a caller that only reports: the comparison takes the observed objects,
/// and the evaluation's observation is left without them (its calls, times and gaps stay).
pub async fn evaluate_releasing(args: &ScanOptions, settings: &Settings) -> Result<Evaluation> {
    evaluate_keeping(args, settings, false).await
}

/// [`evaluate`]; `keep`: whether the evaluation keeps the observed objects.
async fn evaluate_keeping(
    args: &ScanOptions,
    settings: &Settings,
    keep: bool,
) -> Result<Evaluation> {
    let read_started = std::time::Instant::now();
    let registry = Registry::builtin()?;
    let config_dir = configuration_dir(args, settings);
    let config = match &config_dir {
        Some(dir) => Some(crate::iac::config::load_config(dir)?),
        None => None,
    };
    let policy = load_policy(args, settings)?;
    let locations = match default_backend_state(&args.states, settings, config.as_ref()) {
        Some(uri) => vec![uri.parse()?],
        None => state_locations(&args.states, &settings.cwd)?,
    };
    let live = args.observed.is_none();
    let sdk = if live || needs_aws(&locations) {
        Some(crate::aws_client::load_sdk_config(&args.regions).await?)
    } else {
        None
    };
    let states = read_states(&locations, sdk.as_ref()).await?;
    let read = read_started.elapsed();
    let started = std::time::Instant::now();
    let (mut observation, key) = observe(args, settings, sdk.as_ref(), &states, &registry).await?;
    let elapsed = started.elapsed();
    let diff_started = std::time::Instant::now();

    let fingerprint = key.map(|k| move |v: &Value| crate::mask::fingerprint(v, &k));
    let fingerprint = fingerprint.as_ref().map(|f| f as &dyn Fn(&Value) -> String);
    let mut diff = if keep {
        diff::scan(&ScanInput {
            registry: &registry,
            states: &states,
            observation: &observation,
            strict: args.strict,
            fingerprint,
        })
    } else {
        diff::scan_taking(
            &registry,
            &states,
            &mut observation,
            args.strict,
            fingerprint,
        )
    };
    if let Some(touched) = &args.touched {
        touched.scope(&mut diff);
    }

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
        report.pending = pending(config, &states, &registry);
    }
    Ok(Evaluation {
        registry,
        states,
        observation,
        report,
        live,
        elapsed,
        config: config_dir.clone().zip(config),
        phases: vec![
            ("read", read),
            ("observe", elapsed),
            ("diff", diff_started.elapsed()),
        ],
        policy,
        config_dir,
    })
}

/// The observation: replayed from `--observed` (with the file's fingerprint key), else
/// observed live with `sdk`.
async fn observe(
    args: &ScanOptions,
    settings: &Settings,
    sdk: Option<&aws_config::SdkConfig>,
    states: &[crate::model::RecordedState],
    registry: &Registry,
) -> Result<(crate::model::Observation, Option<Vec<u8>>)> {
    Ok(match &args.observed {
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
            let sdk = sdk.expect("loaded for a live scan");
            let obs = super::observe_account(
                sdk,
                &args.regions,
                states,
                registry,
                settings,
                args.whole_objects,
                args.touched.as_ref(),
            )
            .await;
            (obs, None)
        }
    })
}

/// The changes the configuration makes that no `terraform apply` has made yet: configured
/// values against the recorded ones, both compared as the registry compares them.
fn pending(
    config: &Configuration,
    states: &[crate::model::RecordedState],
    registry: &Registry,
) -> Vec<crate::model::pending::Pending> {
    let recorded: Vec<_> = states
        .iter()
        .flat_map(|s| s.resources.iter().cloned())
        .collect();
    let compared = |t: &str, a: &str| registry.get(t).and_then(|s| s.attribute(a)).is_some();
    let normalize = |t: &str, a: &str, v: &Value, attrs: &crate::model::Attributes| match registry
        .get(t)
        .and_then(|s| s.attribute(a))
    {
        Some(spec) if !matches!(v, Value::Unknown) => {
            let c = normalize::canonical(spec.compare, v, attrs);
            match &spec.default {
                Some(d) if c.is_empty_like() => normalize::canonical(spec.compare, d, attrs),
                _ => c,
            }
        }
        _ => v.clone(),
    };
    diff::pending::pending(config, &recorded, &compared, &normalize)
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
            let policy = Policy::parse(&shown, &text)?;
            // Each feature's block is checked as the file is read, as the rest of it.
            PolicyBlocks::of(&policy)?;
            policy
        }
        None => Policy::default(),
    };
    let ignore = settings.cwd.join(".driftignore");
    if let Ok(text) = std::fs::read_to_string(&ignore) {
        policy = policy.with_driftignore(DriftIgnore::parse(".driftignore", &text));
    }
    Ok(policy)
}

/// The policy file's feature blocks, each interpreted by its own feature: the `approval`
/// block, the guardrails and the `notify` targets.
#[derive(Debug, Default)]
pub(crate) struct PolicyBlocks {
    pub approval: Option<crate::approval::ApprovalRule>,
    pub guardrails: Vec<crate::planner::guardrail::Guardrail>,
    pub notify: Vec<crate::notify::Target>,
}

impl PolicyBlocks {
    /// Interprets the blocks of `policy`; a bad block is refused with the diagnostic of the
    /// first one in the file.
    pub(crate) fn of(policy: &Policy) -> Result<PolicyBlocks> {
        let approval = policy
            .approval
            .as_ref()
            .map(|b| (b, crate::approval::ApprovalRule::from_block(b)));
        let guardrails: Vec<_> = policy
            .guardrails
            .iter()
            .map(|b| (b, crate::planner::guardrail::Guardrail::from_block(b)))
            .collect();
        let notify: Vec<_> = policy
            .notify
            .iter()
            .map(|b| (b, crate::notify::Target::from_block(b)))
            .collect();
        let start =
            |b: &crate::model::policy_file::Block| b.ident_span.as_ref().map_or(0, |r| r.start);
        let mut failed: Vec<(usize, Error)> = Vec::new();
        let mut out = PolicyBlocks::default();
        if let Some((b, r)) = approval {
            match r {
                Ok(a) => out.approval = Some(a),
                Err(e) => failed.push((start(b), e)),
            }
        }
        for (b, r) in guardrails {
            match r {
                Ok(g) => out.guardrails.push(g),
                Err(e) => failed.push((start(b), e)),
            }
        }
        for (b, r) in notify {
            match r {
                Ok(t) => out.notify.push(t),
                Err(e) => failed.push((start(b), e)),
            }
        }
        match failed.into_iter().min_by_key(|(at, _)| *at) {
            Some((_, e)) => Err(e),
            None => Ok(out),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use render::sarif::SourceRoot;
    use std::path::Path;

    #[test]
    fn source_roots_are_relative_to_the_repository_else_the_working_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        let infra = repo.join("infra").join("prod");
        std::fs::create_dir_all(&infra).unwrap();
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();

        assert_eq!(source_root(None, &repo), SourceRoot::None);
        // From the repository root, from inside the configuration, by an absolute path: the
        // same repository-relative path.
        let expected = SourceRoot::Relative("infra/prod".into());
        assert_eq!(source_root(Some(Path::new("infra/prod")), &repo), expected);
        assert_eq!(source_root(Some(Path::new(".")), &infra), expected);
        assert_eq!(source_root(Some(&infra), &elsewhere), expected);
        // The configuration at the repository root.
        assert_eq!(
            source_root(Some(Path::new(".")), &repo),
            SourceRoot::Relative(String::new())
        );
        // No repository: relative to the working directory, or outside both.
        std::fs::remove_dir_all(repo.join(".git")).unwrap();
        assert_eq!(
            source_root(Some(Path::new("infra/prod")), &repo),
            SourceRoot::Relative("infra/prod".into())
        );
        assert_eq!(source_root(Some(&infra), &elsewhere), SourceRoot::Outside);
    }
}
