//! Offline: the live fixtures together hold every resource type the provider supports. Each
//! `fixtures/live/<name>` is a configuration that its own test module applies with real
//! terraform against moto, scans clean, changes out of band and scans again (tests/live.rs,
//! compute.rs, ...); the "a stack holding every type" is their union. The types are
//! read with hcl-rs from the configurations terraform loads (the fixture's `*.tf` and the
//! local modules its `module` blocks call), not from a hand-kept list.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::support::root;

/// Per resource type, the places that declare it (`fixture/file.tf`), of the configuration in
/// `dir`: its `*.tf` files and, through `module` blocks with a local `source`, the modules it
/// calls (terraform loads nothing else).
fn declared(dir: &Path, shown: &str, out: &mut BTreeMap<String, BTreeSet<String>>) {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "tf"))
        .collect();
    files.sort();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy();
        let at = format!("{shown}/{name}");
        let text = std::fs::read_to_string(&file).unwrap();
        let body = hcl::parse(&text).unwrap_or_else(|e| panic!("{at}: {e}"));
        for block in body.blocks() {
            match (block.identifier(), block.labels()) {
                ("resource", [ty, _]) => {
                    out.entry(ty.as_str().to_string())
                        .or_default()
                        .insert(at.clone());
                }
                ("module", _) => {
                    let source =
                        block
                            .body()
                            .attributes()
                            .find_map(|a| match (a.key(), a.expr()) {
                                ("source", hcl::Expression::String(s)) => Some(s.clone()),
                                _ => None,
                            });
                    // A registry module would be downloaded: the live fixtures call none.
                    let source = source.unwrap_or_else(|| panic!("{at}: a module without source"));
                    assert!(
                        source.starts_with("./") || source.starts_with("../"),
                        "{at}: module source {source:?} is not local (nothing is downloaded)"
                    );
                    let called = format!("{shown}/{}", source.trim_start_matches("./"));
                    declared(&dir.join(&source), &called, out);
                }
                _ => {}
            }
        }
    }
}

/// The live fixtures: `fixtures/live/<name>` directories.
fn fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("fixtures/live"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_live_fixtures_together_hold_every_supported_type() {
    let mut types = BTreeMap::new();
    for name in fixtures() {
        declared(&root().join("fixtures/live").join(&name), &name, &mut types);
    }
    let supported: BTreeSet<String> = driftgate::provider::aws::supported_types()
        .into_iter()
        .map(String::from)
        .collect();
    assert!(supported.len() > 40, "{supported:?}");
    let missing: Vec<&String> = supported
        .iter()
        .filter(|t| !types.contains_key(*t))
        .collect();
    assert!(
        missing.is_empty(),
        "supported types no live fixture (fixtures/live/*) declares: {missing:?}"
    );
}

/// Every live fixture is applied by a test module (named as `"live/<name>"` in one of
/// tests/*.rs): a fixture nothing applies would count types no test scans.
#[test]
fn every_live_fixture_is_applied_by_a_test_module() {
    let mut sources = String::new();
    for e in std::fs::read_dir(root().join("tests")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("live_fixtures.rs") {
            sources.push_str(&std::fs::read_to_string(&p).unwrap());
        }
    }
    let unapplied: Vec<String> = fixtures()
        .into_iter()
        .filter(|name| !sources.contains(&format!("\"live/{name}\"")))
        .collect();
    assert!(
        unapplied.is_empty(),
        "live fixtures no test module applies: {unapplied:?}"
    );
}

/// The collection reads what terraform loads: resources of the called local modules count, a
/// `resource` line inside a string or comment does not, nor a data source.
#[test]
fn the_collection_follows_modules_and_reads_blocks_not_lines() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("modules/net")).unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "module \"net\" {\n  source = \"./modules/net\"\n}\n\
         # resource \"aws_commented\" \"x\" {}\n\
         locals {\n  text = <<EOT\nresource \"aws_in_a_string\" \"x\" {}\nEOT\n}\n\
         data \"aws_vpc\" \"d\" {}\n\
         resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("modules/net/subnet.tf"),
        "resource \"aws_subnet\" \"s\" {\n  vpc_id = \"v\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("unused.txt"),
        "resource \"aws_not_tf\" \"x\" {}\n",
    )
    .unwrap();
    let mut types = BTreeMap::new();
    declared(dir.path(), "t", &mut types);
    assert_eq!(
        types,
        [
            ("aws_subnet", "t/modules/net/subnet.tf"),
            ("aws_vpc", "t/main.tf"),
        ]
        .into_iter()
        .map(|(t, at)| (t.to_string(), [at.to_string()].into()))
        .collect::<BTreeMap<String, BTreeSet<String>>>()
    );
}
