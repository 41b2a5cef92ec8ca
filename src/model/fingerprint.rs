//! A finding's fingerprint: the one name of a finding that stays the same from run to run,
//! used by the history (new, open, resolved) and by SARIF (`partialFingerprints`).
//!
//! It is SHA-256 over the finding's identity, length-prefixed field by field: the kind, the
//! resource type, the state's identity and the address of a managed resource (the region and
//! cloud id of an unmanaged one), the rule, and the changed attribute paths. Values, severity
//! and times are not part of it, so the same drift keeps its fingerprint and a fingerprint
//! reveals nothing about a value.
//!
//! A state's identity does not depend on the path as typed: it is terraform's `lineage` (given
//! to a state by `terraform init` and kept through every serial, wherever the file lies), and
//! only for a state without one its source with `.`, `..` and repeated `/` resolved.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};

use super::finding::Finding;
use super::resource::StateSource;

/// The prefix of every finding fingerprint (the hash).
pub const FINGERPRINT_PREFIX: &str = "sha256:";

/// The identity of a state: `lineage:<lineage>`, else `path:<normalized source>`.
pub fn state_identity(source: &StateSource, lineage: Option<&str>) -> String {
    match lineage.filter(|l| !l.is_empty()) {
        Some(l) => format!("lineage:{l}"),
        None => format!("path:{}", normal_path(&source.0)),
    }
}

/// A path with `.` segments, repeated `/` and `..` after a named segment removed (lexically:
/// the file system is not asked). A URI (`s3://bucket/key`) keeps its scheme.
fn normal_path(p: &str) -> String {
    let (scheme, rest) = match p.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), p),
    };
    let absolute = rest.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in rest.split('/') {
        match seg {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            s => parts.push(s),
        }
    }
    format!(
        "{scheme}{}{}",
        if absolute { "/" } else { "" },
        parts.join("/")
    )
}

/// The fingerprint of `f`, whose state (if any) has `lineage` (see the module docs).
pub fn fingerprint(f: &Finding, lineage: Option<&str>) -> String {
    let d = &f.drift;
    let mut h = Sha256::new();
    let mut put = |s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    put("driftgate-finding-v2");
    put(d.kind.as_str());
    put(&d.resource_type);
    match &d.address {
        Some(address) => {
            put("managed");
            put(&d
                .state
                .as_ref()
                .map_or(String::new(), |s| state_identity(s, lineage)));
            put(&address.to_string());
        }
        None => {
            put("unmanaged");
            put(d.region.as_deref().unwrap_or(""));
            put(&d.id);
        }
    }
    put(&f.rule);
    let paths: BTreeSet<String> = d.changes.iter().map(|c| c.path.to_string()).collect();
    for p in &paths {
        put(p);
    }
    format!("{FINGERPRINT_PREFIX}{}", hex::encode(h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_is_named_by_its_lineage_else_by_its_normalized_path() {
        let typed = |s: &str| StateSource(s.into());
        for s in ["./x.tfstate", "/abs/x.tfstate", "s3://b/x.tfstate"] {
            assert_eq!(state_identity(&typed(s), Some("l-1")), "lineage:l-1");
        }
        for (a, b) in [
            ("./envs//prod/./x.tfstate", "envs/prod/x.tfstate"),
            ("envs/dev/../prod/x.tfstate", "envs/prod/x.tfstate"),
            ("/a/b/../x.tfstate", "/a/x.tfstate"),
            ("s3://b/k/./x.tfstate", "s3://b/k/x.tfstate"),
        ] {
            assert_eq!(
                state_identity(&typed(a), Some("")),
                state_identity(&typed(b), None),
                "{a}"
            );
        }
        assert_ne!(
            state_identity(&typed("../x.tfstate"), None),
            state_identity(&typed("x.tfstate"), None)
        );
    }
}
