//! The report formats for CI and review tools, through the real binary on the scenarios:
//! SARIF validated against the official schema (`../shared/schemas/sarif-schema-2.1.0.json`,
//! when present: else structurally, and counted as not applicable here),
//! located at the `.tf` lines and with fingerprints stable between runs; Markdown, JUnit and
//! HTML naming every finding; JUnit well-formed XML; `$GITHUB_STEP_SUMMARY`; and the HTML page
//! rendered in a real headless Chromium.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value as Json;

use crate::support::sarif;
use crate::support::skip::{Need, skip};
use crate::support::{driftgate, fixture};

/// `driftgate scan` of a scenario directory (its states, observation and `args`), from `cwd`.
fn scan_in(dir: &Path, cwd: &Path, format: &str, extra: &[&str]) -> Output {
    let mut cmd = driftgate();
    cmd.current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("DRIFTGATE_FINGERPRINT_KEY")
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(["scan", "--format", format, "--observed"])
        .arg(dir.join("observed.json"));
    let mut states: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tfstate"))
        .collect();
    states.sort();
    for s in &states {
        cmd.arg("--state").arg(s);
    }
    cmd.args(extra);
    cmd.output().expect("driftgate runs")
}

fn scan(name: &str, format: &str) -> Output {
    let dir = fixture("scenarios").join(name);
    let mut extra: Vec<String> = Vec::new();
    if let Ok(args) = std::fs::read_to_string(dir.join("args")) {
        extra.extend(
            args.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from),
        );
    }
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    scan_in(&dir, &dir, format, &extra)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The findings' names (address, or `TYPE ID` for unmanaged) of the JSON report.
fn finding_names(name: &str) -> Vec<String> {
    let r: Json = serde_json::from_str(&stdout(&scan(name, "json"))).unwrap();
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| match f["address"].as_str() {
            Some(a) => a.to_string(),
            None => format!(
                "{} {}",
                f["resource_type"].as_str().unwrap(),
                f["id"].as_str().unwrap()
            ),
        })
        .collect()
}

const SCENARIOS: &[&str] = &[
    "configured",
    "drifted",
    "incomplete",
    "unchecked",
    "clean",
    "default-group-ssh-opened",
];

#[test]
fn sarif_is_valid_for_every_scenario_and_names_every_finding() {
    // The official schema when ../shared has it (else not applicable here); the structure
    // always.
    let schema = sarif::schema();
    // Both checks do catch a broken log (so a pass means something).
    let broken = serde_json::json!({"version": "2.1.0", "runs": [{"results": []}]});
    assert!(!sarif::structural(&broken).is_empty());
    assert!(!sarif::structural(&serde_json::json!({"version": "2.0.0", "runs": []})).is_empty());
    assert!(
        !sarif::structural(&serde_json::json!({"version": "2.1.0", "runs": [
            {"tool": {"driver": {"name": "driftgate"}}, "results": [{"ruleId": "x"}]}
        ]}))
        .is_empty(),
        "a result without a message"
    );
    if let Some(schema) = &schema {
        let validator = jsonschema::draft4::new(schema).unwrap();
        assert!(!validator.is_valid(&broken));
    }
    for name in SCENARIOS {
        let o = scan(name, "sarif");
        let sarif: Json = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{name}: not JSON ({e}):\n{}", stdout(&o)));
        sarif::check(schema.as_ref(), &sarif, name);
        let run = &sarif["runs"][0];
        let results = run["results"].as_array().unwrap();
        let open: Vec<&Json> = results
            .iter()
            .filter(|r| r.get("suppressions").is_none())
            .collect();
        let names = finding_names(name);
        assert_eq!(open.len(), names.len(), "{name}: one result per finding");
        let rule_ids: BTreeSet<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        for r in results {
            assert!(rule_ids.contains(r["ruleId"].as_str().unwrap()), "{r:#}");
            let text = r["message"]["text"].as_str().unwrap();
            let logical = r["locations"][0]["logicalLocations"][0]["name"]
                .as_str()
                .unwrap();
            assert!(
                text.contains(logical),
                "{name}: message names the resource: {text}"
            );
        }
        for n in &names {
            assert!(
                open.iter()
                    .any(|r| r["locations"][0]["logicalLocations"][0]["name"] == **n),
                "{name}: no result for {n}"
            );
        }
    }
}

/// The line of `resource "TYPE" "NAME"` in a .tf file.
fn block_line(tf: &str, address: &str) -> Option<usize> {
    let (ty, name) = address.split_once('.')?;
    let name = name.split('[').next()?;
    let header = format!("resource \"{ty}\" \"{name}\"");
    tf.lines()
        .position(|l| l.starts_with(&header))
        .map(|i| i + 1)
}

/// A copy of the `configured` scenario as `infra/` of a git repository.
fn repository() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let infra = tmp.path().join("infra");
    std::fs::create_dir_all(&infra).unwrap();
    std::fs::create_dir_all(tmp.path().join(".git")).unwrap();
    for e in std::fs::read_dir(fixture("scenarios/configured")).unwrap() {
        let p = e.unwrap().path();
        if !p.is_file() {
            continue;
        }
        std::fs::copy(&p, infra.join(p.file_name().unwrap())).unwrap();
    }
    tmp
}

#[test]
fn sarif_points_at_the_tf_lines_relative_to_the_repository_with_stable_fingerprints() {
    let schema = sarif::schema();
    let repo = repository();
    let infra = repo.path().join("infra");
    let tf = std::fs::read_to_string(infra.join("main.tf")).unwrap();
    let args = [
        "--config",
        "infra",
        "--policy",
        "infra/driftgate.hcl",
        "--state",
        "infra/terraform.tfstate",
        "--observed",
        "infra/observed.json",
    ];
    let run = |cwd: &Path, args: &[&str]| -> Json {
        let o = driftgate()
            .current_dir(cwd)
            .env_remove("DRIFTGATE_FINGERPRINT_KEY")
            .env_remove("GITHUB_STEP_SUMMARY")
            .args(["scan", "--format", "sarif"])
            .args(args)
            .output()
            .unwrap();
        serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&o), String::from_utf8_lossy(&o.stderr)))
    };
    let first = run(repo.path(), &args);
    sarif::check(
        schema.as_ref(),
        &first,
        "configured from the repository root",
    );
    let results = first["runs"][0]["results"].as_array().unwrap();
    let mut located = 0;
    for r in results {
        let name = r["locations"][0]["logicalLocations"][0]["name"]
            .as_str()
            .unwrap();
        match r["locations"][0].get("physicalLocation") {
            Some(p) => {
                let uri = p["artifactLocation"]["uri"].as_str().unwrap();
                assert_eq!(uri, "infra/main.tf", "{r:#}");
                assert_eq!(
                    p["region"]["startLine"].as_u64().map(|l| l as usize),
                    block_line(&tf, name),
                    "{name}: the line of its block"
                );
                located += 1;
            }
            None => assert!(
                r["properties"]["kind"] == "unmanaged" || block_line(&tf, name).is_none(),
                "{name} has a block but no physical location: {r:#}"
            ),
        }
    }
    assert!(located >= 4, "{located} results located:\n{first:#}");
    assert!(
        !first
            .to_string()
            .contains(&repo.path().display().to_string()),
        "an absolute path"
    );

    // From inside infra/ (the configuration found in the working directory): the same paths,
    // relative to the repository, and the same fingerprints.
    let second = run(
        &infra,
        &[
            "--policy",
            "driftgate.hcl",
            "--state",
            "terraform.tfstate",
            "--observed",
            "observed.json",
        ],
    );
    let prints = |v: &Json| -> Vec<(String, String, String)> {
        let mut p: Vec<_> = v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap().to_string(),
                    r["partialFingerprints"]["driftgate/v2"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].to_string(),
                )
            })
            .collect();
        p.sort();
        p
    };
    assert_eq!(prints(&first), prints(&second));
    let fingerprints: BTreeSet<_> = prints(&first).into_iter().map(|p| p.1).collect();
    assert_eq!(
        fingerprints.len(),
        results.len(),
        "one fingerprint per drift"
    );

    // Without a repository: relative to the working directory.
    std::fs::remove_dir_all(repo.path().join(".git")).unwrap();
    let third = run(repo.path(), &args);
    assert_eq!(prints(&first), prints(&third));
}

#[test]
fn markdown_junit_and_html_name_every_finding() {
    for name in SCENARIOS {
        let names = finding_names(name);
        for format in ["markdown", "junit", "html"] {
            let text = stdout(&scan(name, format));
            for n in &names {
                let shown = match format {
                    "markdown" => n.replace('|', "\\|"),
                    _ => n
                        .replace('&', "&amp;")
                        .replace('"', "&quot;")
                        .replace('<', "&lt;"),
                };
                assert!(
                    text.contains(&shown),
                    "{name} {format}: {n} is not named:\n{text}"
                );
            }
        }
    }
}

#[test]
fn junit_is_well_formed_with_a_suite_per_state_and_a_case_per_resource() {
    for name in SCENARIOS {
        let text = stdout(&scan(name, "junit"));
        let doc = roxmltree::Document::parse(&text)
            .unwrap_or_else(|e| panic!("{name}: not well-formed XML: {e}\n{text}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        let r: Json = serde_json::from_str(&stdout(&scan(name, "json"))).unwrap();
        let suites: Vec<_> = root
            .children()
            .filter(|n| n.has_tag_name("testsuite"))
            .collect();
        for state in r["states"].as_array().unwrap() {
            let suite = suites
                .iter()
                .find(|s| s.attribute("name") == state.as_str())
                .unwrap_or_else(|| panic!("{name}: no suite for {state}"));
            let cases = suite
                .children()
                .filter(|n| n.has_tag_name("testcase"))
                .count();
            assert_eq!(
                suite.attribute("tests"),
                Some(cases.to_string().as_str()),
                "{name}"
            );
        }
        // Every recorded resource is a case: checked ones plus the not-checked ones.
        let cases: usize = suites
            .iter()
            .filter(|s| {
                r["states"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| s.attribute("name") == x.as_str())
            })
            .map(|s| s.children().filter(|n| n.has_tag_name("testcase")).count())
            .sum();
        assert_eq!(
            cases as u64,
            r["summary"]["recorded"].as_u64().unwrap(),
            "{name}: one case per recorded resource"
        );
        let failures = doc
            .descendants()
            .filter(|n| n.has_tag_name("failure"))
            .count();
        assert_eq!(failures, r["findings"].as_array().unwrap().len(), "{name}");
        let skipped = doc
            .descendants()
            .filter(|n| n.has_tag_name("skipped"))
            .count();
        assert_eq!(
            skipped as u64,
            r["summary"]["not_checked"].as_u64().unwrap(),
            "{name}"
        );
        for f in doc.descendants().filter(|n| n.has_tag_name("failure")) {
            let sev = f.attribute("type").unwrap();
            assert!(["critical", "high", "medium", "low", "info"].contains(&sev));
            assert!(f.attribute("message").unwrap().starts_with(sev));
        }
    }
}

#[test]
fn the_step_summary_gets_the_markdown_whatever_the_format() {
    let dir = fixture("scenarios/drifted");
    let tmp = tempfile::tempdir().unwrap();
    let summary = tmp.path().join("step-summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    for format in ["table", "json"] {
        let mut cmd = driftgate();
        let o = cmd
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .args([
                "scan",
                "--observed",
                "observed.json",
                "--state",
                "terraform.tfstate",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        if format == "json" {
            serde_json::from_slice::<Json>(&o.stdout).expect("stdout stays pure JSON");
        }
    }
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("earlier step\n"),
        "appended, not overwritten"
    );
    assert_eq!(
        text.matches("## driftgate drift report").count(),
        2,
        "{text}"
    );
    assert!(text.contains("| critical |"), "{text}");
}

/// Chromium from Debian's packages (`chromium`), or Chrome's usual names.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Runs headless Chromium with `args` on `page`, killed after 90 s.
fn headless(browser: &Path, profile: &Path, args: &[String], page: &Path) -> Output {
    let mut child = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let started = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > std::time::Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish in 90 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn the_html_report_renders_in_a_real_browser_and_loads_nothing_external() {
    let o = scan("configured", "html");
    let html = stdout(&o);
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert_eq!(
        driftgate::render::html::external_references(&html),
        Vec::<String>::new(),
        "the page references something outside itself"
    );
    let lower = html.to_ascii_lowercase();
    for bad in ["http://", "https://", "<script", "<link", "url("] {
        assert!(!lower.contains(bad), "the page contains {bad}");
    }
    let Some(browser) = chromium() else {
        skip(
            Need::Required,
            "chromium is not on PATH (scripts/test installs it with apt-get)",
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("report.html");
    std::fs::write(&page, &html).unwrap();
    let shot = tmp.path().join("report.png");
    let out = headless(
        &browser,
        &tmp.path().join("profile"),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,1600".to_string(),
        ],
        &page,
    );
    let png = std::fs::read(&shot).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}); chromium said:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // A blank 1280x1600 page compresses to a few KB; text, tables and charts do not.
    assert!(
        png.len() > 40_000,
        "the screenshot looks empty: {} bytes",
        png.len()
    );
    // Printed: a PDF with the findings unfolded.
    let pdf = tmp.path().join("report.pdf");
    let out = headless(
        &browser,
        &tmp.path().join("profile"),
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".to_string(),
        ],
        &page,
    );
    let bytes = std::fs::read(&pdf)
        .unwrap_or_else(|e| panic!("no PDF ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
    assert!(
        bytes.len() > 20_000,
        "the PDF looks empty: {} bytes",
        bytes.len()
    );
}

/// A cloud value (here a tag anyone who may tag can set) holding the 8-bit introducer of a
/// terminal string sequence with no end hides nothing after it: the printed JSON is the report
/// written to a file (C1 controls escaped, parsed back the same), and the printed table names
/// every finding. Before, the printed report stopped at the first such value.
#[test]
fn an_escape_introducer_in_a_cloud_value_hides_nothing_printed_after_it() {
    let src = fixture("scenarios").join("drifted");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        src.join("terraform.tfstate"),
        dir.path().join("terraform.tfstate"),
    )
    .unwrap();
    let mut observed: Json =
        serde_json::from_str(&std::fs::read_to_string(src.join("observed.json")).unwrap()).unwrap();
    let mut planted = 0;
    for r in observed["resources"].as_array_mut().unwrap() {
        if let Some(tags) = r["attributes"]["tags"].as_object_mut() {
            tags.insert("note".into(), Json::from("\u{9d}0;gone"));
            planted += 1;
        }
    }
    assert!(planted > 3);
    std::fs::write(
        dir.path().join("observed.json"),
        serde_json::to_string(&observed).unwrap(),
    )
    .unwrap();

    let file = dir.path().join("report.json");
    let written = scan_in(
        dir.path(),
        dir.path(),
        "json",
        &["--out", file.to_str().unwrap()],
    );
    assert_eq!(written.status.code(), Some(2), "{written:?}");
    let written: Json = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let printed = stdout(&scan_in(dir.path(), dir.path(), "json", &[]));
    assert!(!printed.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)));
    let printed: Json = serde_json::from_str(&printed).expect("the printed JSON is whole");
    assert_eq!(printed["findings"], written["findings"]);
    assert_eq!(printed["summary"], written["summary"]);
    let findings = printed["findings"].as_array().unwrap();
    assert!(findings.len() > 3);

    let table = stdout(&scan_in(dir.path(), dir.path(), "table", &[]));
    for f in findings {
        let name = f["address"]
            .as_str()
            .or(f["id"].as_str())
            .unwrap()
            .to_string();
        assert!(
            table.contains(&name),
            "{name} is not in the printed table:\n{table}"
        );
    }
}
