//! Which AWS regions exist: the SDK's own partition data (`partitions.json`, the copy the
//! aws-sdk crates embed for endpoint resolution; a unit test checks that this copy is the
//! SDK's). A region the user names is checked against it before any call, so a typo
//! (`us-east-11`) is a usage error naming the nearest regions instead of a minute of DNS
//! failures.
//!
//! With a custom endpoint (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_EC2`: LocalStack, moto, a
//! proxy, a region newer than this build) the region is only a name the endpoint is told, as
//! the AWS CLI treats it with `--endpoint-url`: any region is accepted.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::error::{Error, Result};

/// The SDK's partition data, as the aws-sdk crates embed it.
const PARTITIONS: &str = include_str!("partitions.json");

#[derive(Debug, Deserialize)]
struct Partitions {
    partitions: Vec<Partition>,
}

#[derive(Debug, Deserialize)]
struct Partition {
    id: String,
    regions: BTreeMap<String, serde_json::Value>,
}

/// Every region of every partition, sorted: the partitions' pseudo-regions (`aws-global`,
/// `aws-us-gov-global`: names for a global endpoint, not places EC2 lives) are left out; a
/// region's name ends in its number (`us-east-1`), as each partition's `regionRegex` says.
static KNOWN: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
    let parsed: Partitions =
        serde_json::from_str(PARTITIONS).expect("partitions.json is the SDK's valid JSON");
    let mut out: Vec<(String, String)> = parsed
        .partitions
        .into_iter()
        .flat_map(|p| {
            let id = p.id;
            p.regions
                .into_keys()
                .filter(|r| r.ends_with(|c: char| c.is_ascii_digit()))
                .map(move |r| (r, id.clone()))
        })
        .collect();
    out.sort();
    out
});

/// Every known region name, sorted.
pub fn known() -> impl Iterator<Item = &'static str> {
    KNOWN.iter().map(|(r, _)| r.as_str())
}

/// The partition (`aws`, `aws-cn`, `aws-us-gov`, ...) a known region belongs to.
pub fn partition_of(region: &str) -> Option<&'static str> {
    KNOWN
        .iter()
        .find(|(r, _)| r == region)
        .map(|(_, p)| p.as_str())
}

/// Up to three known regions nearest to `region` (edit distance, then name).
pub fn nearest(region: &str) -> Vec<&'static str> {
    let mut scored: Vec<(usize, &str)> = known().map(|r| (distance(region, r), r)).collect();
    scored.sort();
    let best = scored.first().map_or(0, |(d, _)| *d);
    scored
        .into_iter()
        .take_while(|(d, _)| *d <= best + 1)
        .take(3)
        .map(|(_, r)| r)
        .collect()
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// Checks the regions the user named (`given_as` says where: `--region`, `AWS_REGION or the
/// profile`): each must be a region of one of the SDK's partitions, unless `custom_endpoint`
/// (then the endpoint decides, as with the AWS CLI's `--endpoint-url`).
pub fn check<'a>(
    named: impl IntoIterator<Item = (&'a str, &'a str)>,
    custom_endpoint: bool,
) -> Result<()> {
    if custom_endpoint {
        return Ok(());
    }
    for (region, given_as) in named {
        if partition_of(region).is_some() {
            continue;
        }
        let near = nearest(region);
        let suggestion = match near.as_slice() {
            [] => String::new(),
            [one] => format!("did you mean {one}?"),
            [init @ .., last] => format!("did you mean {} or {last}?", init.join(", ")),
        };
        return Err(Error::UnknownRegion {
            region: region.to_string(),
            given_as: given_as.to_string(),
            suggestion,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_is_refused_with_the_nearest_regions() {
        let err = check([("us-east-11", "--region")], false).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("`us-east-11` (--region)"), "{text}");
        assert!(text.contains("did you mean us-east-1"), "{text}");
        assert_eq!(nearest("us-east-11")[0], "us-east-1");
        assert_eq!(nearest("eu-wset-1")[0], "eu-west-1");
        assert!(check([("useast1", "AWS_REGION")], false).is_err());
        // Pseudo-regions name a global endpoint, not a place EC2 lives.
        assert!(check([("aws-global", "--region")], false).is_err());
    }

    #[test]
    fn every_partition_is_known() {
        for r in [
            "us-east-1",
            "eu-central-2",
            "ap-southeast-7",
            "cn-north-1",
            "us-gov-west-1",
            "us-iso-east-1",
            "eusc-de-east-1",
        ] {
            assert!(check([(r, "--region")], false).is_ok(), "{r}");
        }
        assert_eq!(partition_of("us-gov-east-1"), Some("aws-us-gov"));
        assert_eq!(partition_of("cn-northwest-1"), Some("aws-cn"));
        assert_eq!(partition_of("aws-global"), None);
    }

    #[test]
    fn a_custom_endpoint_accepts_any_region() {
        assert!(check([("us-east-11", "--region")], true).is_ok());
        assert!(check([("moto-land-1", "AWS_REGION")], true).is_ok());
    }

    #[test]
    fn distance_is_levenshtein() {
        assert_eq!(distance("us-east-1", "us-east-1"), 0);
        assert_eq!(distance("us-east-11", "us-east-1"), 1);
        assert_eq!(distance("us-esat-1", "us-east-1"), 2);
        assert_eq!(distance("", "abc"), 3);
    }

    /// The copy here is the one the SDK resolves endpoints with: the JSON embedded in the
    /// aws-sdk-ec2 crate this build links (found through `cargo metadata`).
    #[test]
    fn the_partitions_are_the_sdks() {
        // This platform's packages only: the others may not be downloaded.
        let rustc = std::process::Command::new("rustc")
            .arg("-vV")
            .output()
            .expect("run rustc -vV");
        let rustc = String::from_utf8_lossy(&rustc.stdout).into_owned();
        let host = rustc
            .lines()
            .find_map(|l| l.strip_prefix("host: "))
            .expect("rustc names its host");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = std::process::Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--offline", "--locked"])
            .args(["--filter-platform", host])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("run cargo metadata");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let manifest = meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "aws-sdk-ec2")
            .and_then(|p| p["manifest_path"].as_str())
            .expect("aws-sdk-ec2 is a dependency");
        let lib = std::path::Path::new(manifest)
            .parent()
            .unwrap()
            .join("src/endpoint_lib.rs");
        let source = std::fs::read_to_string(&lib).expect("read the SDK's endpoint_lib.rs");
        let start = source
            .find("new_from_json(b\"")
            .expect("the SDK embeds its partitions")
            + "new_from_json(b\"".len();
        let end = start + source[start..].find("\").expect").unwrap();
        let embedded = source[start..end]
            .replace("\\\\", "\u{0}")
            .replace("\\\"", "\"")
            .replace('\u{0}', "\\");
        let sdk: serde_json::Value = serde_json::from_str(&embedded).unwrap();
        let ours: serde_json::Value = serde_json::from_str(PARTITIONS).unwrap();
        assert_eq!(
            ours,
            sdk,
            "src/aws_client/partitions.json differs from {}: copy it again",
            lib.display()
        );
    }
}
