//! The build itself: `cargo run` (the README's demo) and `cargo test` (scripts/test) must
//! resolve the same features for every crate they share, so a newcomer compiles the AWS SDK
//! once. Cargo.toml names the features the dev-dependencies would otherwise add only to the
//! test build; this test fails when a new dev-dependency (or a version bump) splits them again.

use std::collections::BTreeSet;
use std::process::Command;

use crate::support::root;

fn tree(edges: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(root())
        .args(["tree", "--offline", "--locked", "--prefix", "none"])
        .args(["-e", edges, "-f", "{p} {f}"])
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim_end_matches(" (*)").to_string())
        .filter(|l| !l.is_empty() && !l.starts_with("driftgate "))
        .collect()
}

#[test]
fn run_and_test_share_one_build_of_the_dependencies() {
    let normal = tree("normal");
    let with_dev = tree("normal,dev");
    let split: Vec<&String> = normal.iter().filter(|l| !with_dev.contains(*l)).collect();
    assert!(
        split.is_empty(),
        "these crates get other features in the test build, so `cargo run` and `cargo test` \
         compile them (and everything above them, the AWS SDK included) twice; name the \
         features in Cargo.toml's [dependencies]:\n{split:#?}\n(test build: {:#?})",
        with_dev
            .iter()
            .filter(|l| split
                .iter()
                .any(|s| s.split(' ').take(2).eq(l.split(' ').take(2))))
            .collect::<Vec<_>>()
    );
}
