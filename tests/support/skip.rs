//! Tests that cannot run say so, and are counted.
//!
//! libtest has no "skipped" outcome: a test that returns early prints `ok`. So every skip
//! - prints a loud line on stderr (seen with `--nocapture` and in CI logs, and in the output
//!   of a failing run);
//! - appends `test-name<TAB>reason` to [`log_path`] (`$CARGO_TARGET_TMPDIR/driftgate-skipped.txt`),
//!   from which `scripts/test` prints "N tests skipped: ..." and its summary line;
//! - under `CI=true`, fails the test instead, when what is missing is something CI's machine
//!   has (moto, terraform and its provider mirror, chromium): there a skip would hide a broken
//!   setup.
//!
//! A file the project does not own and may not ship (`../shared/`: the SARIF schema, the
//! corpora of real states) is [`Need::External`]: when it is absent (a fork's clone, a fresh
//! machine) the test is *not applicable here*, counted apart in
//! [`not_applicable_log_path`] (`scripts/test`'s "N not applicable") and never a failure, CI
//! or not. A test that can still check something without the file does so (the SARIF tests
//! check the output's structure), so it is never a no-op.
//!
//! The test's name is the name of the thread libtest runs it on.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

/// Whether CI's machine is expected to have what the test needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// CI has it: under `CI=true` a skip is a failure.
    Required,
    /// Not even CI has it (a file outside the repository and outside `../shared`): always a
    /// counted skip.
    Optional,
    /// A file the project does not own and may not copy in (`../shared/...`): when absent, the
    /// test (or the part of it that needs the file) is not applicable here: counted apart,
    /// never a failure, under CI too.
    External,
}

/// The file skips are counted in; `scripts/test` empties it before a run.
pub fn log_path() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("driftgate-skipped.txt")
}

/// The file not-applicable tests are counted in; `scripts/test` empties it before a run.
pub fn not_applicable_log_path() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("driftgate-not-applicable.txt")
}

/// Whether this run is CI's (`CI` set to anything but `false` or empty).
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Tests already recorded (with whether as not applicable), so that one test that hits several
/// skips counts once.
static RECORDED: Mutex<BTreeSet<(String, bool)>> = Mutex::new(BTreeSet::new());
/// The last required reason, for tests that share a set-up (a `OnceLock`) that was skipped
/// in another test's thread: see [`again`].
static LAST: Mutex<Option<(String, Need)>> = Mutex::new(None);

fn test_name() -> String {
    match std::thread::current().name() {
        Some(name) if name != "main" => name.to_string(),
        _ => "(a test on the main thread)".to_string(),
    }
}

/// This test cannot run because of `why`: fail under CI when `need` is [`Need::Required`],
/// else print and count the skip. The caller then returns.
pub fn skip(need: Need, why: &str) {
    if let Ok(mut last) = LAST.lock() {
        *last = Some((why.to_string(), need));
    }
    record(need, why);
}

/// The same skip as the last one, for a test whose shared set-up was skipped in another
/// test's thread (the set-up ran once; every test that needed it is skipped and counted).
pub fn again() {
    let last = LAST.lock().ok().and_then(|l| l.clone());
    let (why, need) =
        last.unwrap_or_else(|| ("a shared set-up was skipped".to_string(), Need::Required));
    record(need, &why);
}

/// A set-up shared by a module's tests, made once in `cell`: `None` (each test returns early,
/// counted as skipped through [`again`]) when what it needs is missing; a failed set-up
/// (`what` names it) fails every test that needs it.
pub fn shared<T>(
    cell: &'static std::sync::OnceLock<Result<Option<T>, String>>,
    what: &str,
    set_up: impl FnOnce() -> Result<Option<T>, String>,
) -> Option<&'static T> {
    match cell.get_or_init(set_up) {
        Ok(Some(s)) => Some(s),
        Ok(None) => {
            again();
            None
        }
        Err(e) => panic!("setting up the {what} failed:\n{e}"),
    }
}

/// Whether a test that cannot run for want of something `need`s fails (rather than being
/// counted) when `ci` is set: only what CI's machine has is required.
pub fn fails(need: Need, ci: bool) -> bool {
    need == Need::Required && ci
}

fn record(need: Need, why: &str) {
    let name = test_name();
    if fails(need, under_ci()) {
        panic!("CI is set, but {name} cannot run: {why}");
    }
    let external = need == Need::External;
    let first = RECORDED
        .lock()
        .map(|mut r| r.insert((name.clone(), external)))
        .unwrap_or(true);
    if !first {
        return;
    }
    let (banner, path) = if external {
        ("NOT APPLICABLE HERE", not_applicable_log_path())
    } else {
        ("SKIPPED", log_path())
    };
    eprintln!("\n==== {banner} {name}: {why} ====\n");
    let line = format!("{name}\t{}\n", why.replace(['\t', '\n'], " "));
    // One `write` of one short line to a file opened for appending: lines from parallel tests
    // do not interleave.
    let written = std::fs::create_dir_all(env!("CARGO_TARGET_TMPDIR")).and_then(|()| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?
            .write_all(line.as_bytes())
    });
    if let Err(e) = written {
        eprintln!("(could not count the skip in {}: {e})", path.display());
    }
}
