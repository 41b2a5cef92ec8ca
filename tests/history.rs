//! The run history end to end, offline: `report` and `scan --history` over recorded
//! observations (the `clean` scenario, drifted out of band by editing its observation), then
//! `driftgate history`. The clock is the real one: a first sighting is checked to stay the
//! same from run to run, whatever it is.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value as Json;

use crate::support::{driftgate, fixture};

/// The clean scenario's state and observation in a temporary directory.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let clean = fixture("scenarios/clean");
    std::fs::copy(
        clean.join("terraform.tfstate"),
        dir.path().join("terraform.tfstate"),
    )
    .unwrap();
    std::fs::copy(clean.join("observed.json"), dir.path().join("clean.json")).unwrap();
    dir
}

fn resource<'a>(obs: &'a mut Json, ty: &str, id: &str) -> &'a mut Json {
    obs["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["resource_type"] == ty && r["cloud_id"] == id)
        .unwrap_or_else(|| panic!("{ty} {id} in the clean observation"))
}

const POLICY: &str = "arn:aws:iam::123456789012:policy/p";
const VPC: &str = "vpc-b8fd61646a8157153";

/// Out-of-band changes to the clean observation: the VPC's `team` tag, the policy `p` widened
/// to `ec2:*` (unless `policy_reverted`), and an unmanaged role `rogue`.
fn drifted(dir: &Path, name: &str, policy_reverted: bool) -> String {
    let mut obs: Json =
        serde_json::from_str(&std::fs::read_to_string(dir.join("clean.json")).unwrap()).unwrap();
    resource(&mut obs, "aws_vpc", VPC)["attributes"]["tags"]["team"] = "platform".into();
    if !policy_reverted {
        let p = &mut resource(&mut obs, "aws_iam_policy", POLICY)["attributes"]["policy"];
        *p = p.as_str().unwrap().replace("ec2:Describe*", "ec2:*").into();
    }
    let mut rogue = resource(&mut obs, "aws_iam_role", "app").clone();
    rogue["cloud_id"] = "rogue".into();
    for (k, v) in [
        ("name", "rogue"),
        ("id", "rogue"),
        ("arn", "arn:aws:iam::123456789012:role/rogue"),
    ] {
        rogue["attributes"][k] = v.into();
    }
    obs["resources"].as_array_mut().unwrap().push(rogue);
    std::fs::write(dir.join(name), serde_json::to_string_pretty(&obs).unwrap()).unwrap();
    name.to_string()
}

fn report(dir: &Path, observed: &str, extra: &[&str]) -> Output {
    report_to(dir, "history.db", observed, extra)
}

fn report_to(dir: &Path, history: &str, observed: &str, extra: &[&str]) -> Output {
    driftgate()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DRIFTGATE_HISTORY")
        .args([
            "report",
            "--state",
            "terraform.tfstate",
            "--observed",
            observed,
        ])
        .args(["--history", history, "--out-dir", "out"])
        .args(extra)
        .output()
        .expect("driftgate runs")
}

fn read_report(dir: &Path) -> Json {
    // Every report file is written beside the JSON, and each names the run's findings.
    let report: Json =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/report.json")).unwrap())
            .unwrap();
    for name in ["report.md", "report.html", "report.sarif"] {
        let text = std::fs::read_to_string(dir.join("out").join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        for f in report["findings"].as_array().into_iter().flatten() {
            let id = f["address"]
                .as_str()
                .unwrap_or(f["id"].as_str().unwrap_or(""));
            assert!(text.contains(id), "{name} does not name {id}");
        }
    }
    report
}

fn by_name(report: &Json) -> std::collections::BTreeMap<String, (String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let name = f["address"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| {
                    format!(
                        "{}.{}",
                        f["resource_type"].as_str().unwrap(),
                        f["id"].as_str().unwrap()
                    )
                });
            (
                name,
                (
                    f["status"].as_str().unwrap().to_string(),
                    f["first_seen"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn schema() -> jsonschema::Validator {
    let schema: Json = serde_json::from_str(
        &std::fs::read_to_string(crate::support::root().join("docs/report.schema.json")).unwrap(),
    )
    .unwrap();
    jsonschema::draft202012::new(&schema).unwrap()
}

fn assert_valid(v: &Json) {
    let validator = schema();
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// The check: clean, drifted, one drift reverted out of band, unchanged. A dead
/// webhook on every run: it is tried only on the runs that changed something, and it never
/// loses the report or changes the exit code.
#[test]
fn four_nightly_runs_give_new_then_open_or_resolved_with_a_fixed_first_seen() {
    four_nightly_runs("history.db", "history.db");
}

/// The same four runs in a shared PostgreSQL history.
#[test]
fn four_nightly_runs_in_postgres() {
    let Some(pg) = crate::support::postgres::Postgres::start() else {
        return;
    };
    let url = pg.database("nightly");
    four_nightly_runs(&url, &driftgate::mask::mask_url(&url));
}

fn four_nightly_runs(history: &str, shown: &str) {
    let dir = workspace();
    let d = dir.path();
    let runs = [
        "clean.json".to_string(),
        drifted(d, "drifted.json", false),
        drifted(d, "reverted.json", true),
        drifted(d, "unchanged.json", true),
    ];
    let receiver = crate::support::receiver::Receiver::start(&[]);
    let notify = [
        "--notify",
        "http://127.0.0.1:9/hooks/secret-token-123",
        "--notify",
        receiver.url.as_str(),
    ];
    let mut reports = Vec::new();
    for (i, observed) in runs.iter().enumerate() {
        let o = report_to(d, history, observed, &notify);
        let err = stderr(&o);
        let expected = if i == 0 { 0 } else { 2 };
        assert_eq!(o.status.code(), Some(expected), "run {}: {err}", i + 1);
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            !err.contains("secret-token-123"),
            "the webhook URL leaked: {err}"
        );
        let tried = err.contains("notification to http://127.0.0.1:9/") && err.contains("failed");
        assert_eq!(
            tried,
            i == 1 || i == 2,
            "run {}: webhook tried? {err}",
            i + 1
        );
        assert_eq!(err.contains("no notification"), !tried, "{err}");
        let r = read_report(d);
        assert_valid(&r);
        assert_eq!(r["history"]["run"], i + 1);
        reports.push(r);
    }
    // The live webhook got the two runs that changed something, as the generic JSON (a
    // loopback URL is neither Slack nor Teams), naming what is new and what was resolved.
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 2, "{bodies:#?}");
    assert!(bodies[0].contains("aws_vpc.main"), "{}", bodies[0]);
    assert!(bodies[1].contains("Resolved"), "{}", bodies[1]);
    for b in &bodies {
        assert!(!b.contains("secret-token-123"), "{b}");
        serde_json::from_str::<Json>(b).expect("a JSON body");
    }
    let policy = "aws_iam_policy.p";
    let vpc = "aws_vpc.main";
    let rogue = "aws_iam_role.rogue";
    assert!(by_name(&reports[0]).is_empty());
    let second = by_name(&reports[1]);
    assert_eq!(
        second.keys().collect::<Vec<_>>(),
        [policy, rogue, vpc],
        "{second:?}"
    );
    assert!(second.values().all(|(s, _)| s == "new"), "{second:?}");
    let first_seen = second[vpc].1.clone();
    assert!(
        time::OffsetDateTime::parse(&first_seen, &time::format_description::well_known::Rfc3339)
            .is_ok()
    );

    let third = by_name(&reports[2]);
    assert_eq!(third.keys().collect::<Vec<_>>(), [rogue, vpc]);
    assert_eq!(third[vpc], ("open".to_string(), first_seen.clone()));
    assert_eq!(third[rogue].0, "open");
    let resolved = reports[2]["resolved"].as_array().unwrap();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0]["address"], policy);
    assert_eq!(resolved[0]["first_seen"], first_seen.as_str());
    assert_eq!(reports[2]["history"]["resolved"], 1);

    let fourth = by_name(&reports[3]);
    assert_eq!(
        fourth, third,
        "unchanged: the same findings, still open since run 2"
    );
    assert!(reports[3]["resolved"].as_array().unwrap().is_empty());
    // Fingerprints are the same from run to run.
    let fp = |r: &Json| -> Vec<String> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(fp(&reports[2]), fp(&reports[3]));

    // `driftgate history` lists the four runs.
    let o = driftgate()
        .current_dir(d)
        .env_remove("DRIFTGATE_HISTORY")
        .args(["history", "--history", history, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let h: Json = serde_json::from_slice(&o.stdout).unwrap();
    let runs = h["runs"].as_array().unwrap();
    let row = |k: &str| {
        runs.iter()
            .map(|r| r[k].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(row("id"), [1, 2, 3, 4]);
    assert_eq!(row("new"), [0, 3, 0, 0]);
    assert_eq!(row("resolved"), [0, 0, 1, 0]);
    assert_eq!(row("findings"), [0, 3, 2, 2]);
    assert_eq!(row("exit_code"), [0, 2, 2, 2]);
    assert_eq!(runs[1]["states"][0], "terraform.tfstate");
    let o = driftgate()
        .current_dir(d)
        .env_remove("DRIFTGATE_HISTORY")
        .args(["history", "--history", history, "--last", "2"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        // `--last 2` of the four runs says so (issue 17): not "2 runs".
        table.starts_with(&format!("History {shown}: the last 2 of 4 runs\n")),
        "{table}"
    );
    assert_eq!(
        table.lines().filter(|l| l.contains(" report ")).count(),
        2,
        "{table}"
    );
}

#[test]
fn scan_with_history_gives_statuses_in_json_and_a_line_in_the_table() {
    let dir = workspace();
    let d = dir.path();
    let observed = drifted(d, "drifted.json", false);
    let scan = |format: &str| {
        driftgate()
            .current_dir(d)
            .env("NO_COLOR", "1")
            .args([
                "scan",
                "--state",
                "terraform.tfstate",
                "--observed",
                &observed,
            ])
            .args(["--history", "h.db", "--format", format])
            .output()
            .unwrap()
    };
    let o = scan("json");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let v: Json = serde_json::from_slice(&o.stdout).unwrap();
    assert_valid(&v);
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] == "new")
    );
    let o = scan("table");
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("History: run 2 recorded in h.db (since run 1): 0 new, 3 open, 0 resolved."),
        "{table}"
    );
    // Without --history the report is as before: no history fields.
    let o = driftgate()
        .current_dir(d)
        .args([
            "scan",
            "--state",
            "terraform.tfstate",
            "--observed",
            &observed,
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v: Json = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v.get("resolved").is_none() && v.get("history").is_none());
    assert!(v["findings"][0].get("fingerprint").is_none());
}

/// The same state named as `./terraform.tfstate` and by its absolute path: its findings have
/// the same fingerprints in the history (the JSON report's `fingerprint`) and in SARIF, one
/// function of the state's lineage, not of the path as typed.
#[test]
fn a_state_named_two_ways_gives_the_same_fingerprints_in_sarif_and_history() {
    let dir = workspace();
    let d = dir.path();
    let observed = drifted(d, "drifted.json", false);
    let absolute = d.join("terraform.tfstate").display().to_string();
    let scan = |state: &str, history: &str, format: &str| -> Json {
        let o = driftgate()
            .current_dir(d)
            .env("NO_COLOR", "1")
            .args(["scan", "--state", state, "--observed", &observed])
            .args(["--history", history, "--format", format])
            .output()
            .unwrap();
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)))
    };
    let history = |v: &Json| -> std::collections::BTreeSet<String> {
        let findings = v["findings"].as_array().unwrap().iter();
        findings
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    let sarif = |v: &Json| -> std::collections::BTreeSet<String> {
        let results = v["runs"][0]["results"].as_array().unwrap().iter();
        results
            .filter(|r| r["suppressions"].is_null())
            .map(|r| {
                let p = &r["partialFingerprints"]["driftgate/v2"];
                p.as_str().unwrap().to_string()
            })
            .collect()
    };
    let relative = history(&scan("./terraform.tfstate", "a.db", "json"));
    assert_eq!(relative.len(), 3, "{relative:?}");
    assert_eq!(relative, history(&scan(&absolute, "b.db", "json")));
    assert_eq!(
        relative,
        sarif(&scan("./terraform.tfstate", "c.db", "sarif"))
    );
    assert_eq!(relative, sarif(&scan(&absolute, "d.db", "sarif")));
}

#[test]
fn a_foreign_history_stops_the_report_and_is_left_as_it_was() {
    let dir = workspace();
    let d = dir.path();
    let notes = b"SQLite? no: my notes\n".repeat(50);
    std::fs::write(d.join("history.db"), &notes).unwrap();
    let o = report(d, "clean.json", &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("is not a driftgate history"), "{err}");
    assert!(err.contains("driftgate::history::foreign"), "{err}");
    assert_eq!(std::fs::read(d.join("history.db")).unwrap(), notes);
    assert!(!d.join("out/report.json").exists());
}

#[test]
fn listing_a_missing_history_is_an_error_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let o = driftgate()
        .current_dir(dir.path())
        .env_remove("DRIFTGATE_HISTORY")
        .args(["history"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("there is no history at `.driftgate/history.db`"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join(".driftgate").exists());
}

#[test]
fn two_reports_at_once_both_land() {
    reports_at_once("history.db");
}

#[test]
fn two_reports_at_once_both_land_in_postgres() {
    let Some(pg) = crate::support::postgres::Postgres::start() else {
        return;
    };
    reports_at_once(&pg.database("concurrent"));
}

/// A PostgreSQL database whose `driftgate_meta` is someone else's is refused, untouched.
#[test]
fn a_foreign_postgres_database_is_refused_and_left_as_it_was() {
    let Some(pg) = crate::support::postgres::Postgres::start() else {
        return;
    };
    let url = pg.database("someone_elses");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let count_after = |sql: &'static str| {
        let url = url.clone();
        runtime.block_on(async move {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            client.batch_execute(sql).await.unwrap();
            let tables: i64 = client
                .query_one(
                    "SELECT COUNT(*) FROM information_schema.tables WHERE table_name LIKE 'driftgate_%'",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            tables
        })
    };
    assert_eq!(
        count_after(
            "CREATE TABLE driftgate_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); \
             INSERT INTO driftgate_meta VALUES ('format', 'someone-else')"
        ),
        1
    );
    let dir = workspace();
    let o = report_to(dir.path(), &url, "clean.json", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("is not a driftgate history"),
        "{}",
        stderr(&o)
    );
    // Nothing was added: still the one foreign table.
    assert_eq!(count_after("SELECT 1"), 1);
}

/// A PostgreSQL URL's password never reaches a message.
#[test]
fn a_postgres_url_is_shown_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let o = driftgate()
        .current_dir(dir.path())
        .args([
            "history",
            "--history",
            "postgres://ci:hunter2pw@127.0.0.1:1/drift",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("driftgate::history::database"), "{err}");
    assert!(!err.contains("hunter2pw"), "{err}");
}

fn reports_at_once(history: &str) {
    let dir = workspace();
    let d = dir.path();
    let observed = drifted(d, "drifted.json", false);
    for _ in 0..3 {
        let children: Vec<_> = ["a", "b"]
            .iter()
            .map(|out| {
                driftgate()
                    .current_dir(d)
                    .args([
                        "report",
                        "--state",
                        "terraform.tfstate",
                        "--observed",
                        &observed,
                    ])
                    .args(["--history", history, "--out-dir", out])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        }
    }
    let o = driftgate()
        .current_dir(d)
        .args(["history", "--history", history, "--format", "json"])
        .output()
        .unwrap();
    let h: Json = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(h["runs"].as_array().unwrap().len(), 6);
}

/// The history holds identities, never values: a rotated secret's clear text (in the state)
/// is nowhere in the database file.
#[test]
fn no_secret_reaches_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = fixture("scenarios/sensitive-list-rotated");
    let state = std::fs::read_to_string(scenario.join("terraform.tfstate")).unwrap();
    let db: PathBuf = dir.path().join("h.db");
    let o = driftgate()
        .current_dir(&scenario)
        .args(["scan", "--observed", "observed.json", "--format", "json"])
        .arg("--history")
        .arg(&db)
        .output()
        .unwrap();
    // Drift in both rules that hold a secret: exit 2, and both findings are rows.
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let findings = [
        "aws_security_group.inline",
        "aws_security_group_rule.office",
    ];
    let rows: Vec<String> = {
        let c = rusqlite::Connection::open(&db).unwrap();
        let mut q = c
            .prepare("SELECT address FROM driftgate_findings ORDER BY address")
            .unwrap();
        q.query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    assert_eq!(rows, findings);
    // The database as it is on disk (with a write-ahead log, if one was left behind).
    let mut bytes = std::fs::read(&db).unwrap();
    let wal = dir.path().join("h.db-wal");
    if wal.exists() {
        bytes.extend(std::fs::read(&wal).unwrap());
    }
    let text = String::from_utf8_lossy(&bytes);
    for address in findings {
        assert!(text.contains(address), "{address} is not in the file read");
    }
    // Every string value in the state marked sensitive.
    let v: Json = serde_json::from_str(&state).unwrap();
    let mut secrets = Vec::new();
    for r in v["resources"].as_array().unwrap() {
        for i in r["instances"].as_array().unwrap() {
            for s in i["sensitive_attributes"].as_array().into_iter().flatten() {
                let mut at = &i["attributes"];
                for step in s.as_array().unwrap() {
                    // get_attr: a name; index: `{"value": 1, "type": "number"}` (or a key).
                    let key = match &step["value"] {
                        Json::Object(o) => o["value"].clone(),
                        other => other.clone(),
                    };
                    at = match key {
                        Json::String(k) => &at[k.as_str()],
                        Json::Number(n) => &at[n.as_u64().unwrap() as usize],
                        _ => at,
                    };
                }
                collect_strings(at, &mut secrets);
            }
        }
    }
    assert!(!secrets.is_empty(), "the scenario has secrets");
    for s in secrets.iter().filter(|s| s.len() >= 6) {
        assert!(!text.contains(s.as_str()), "a secret reached the history");
    }
}

fn collect_strings(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::String(s) => out.push(s.clone()),
        Json::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Json::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}
