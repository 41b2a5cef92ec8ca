//! Infrastructure as code: what terraform *recorded* (its state) and, later, what the
//! configuration *desires*.
//!
//! - [`state`]: terraform state format version 4 -> [`RecordedState`]: version sniffing,
//!   private wire structs, conversion into the model (addresses, values, sensitive paths),
//!   and a coded diagnostic for every kind of file that is not a v4 state.
//! - [`s3`]: fetching a state object from S3 (the S3 backend's storage).
//!
//! Where a state comes from is a [`StateLocation`]; each recorded resource remembers it as its
//! [`StateSource`], so a scan over several states can say which one a finding belongs to.

#![allow(clippy::result_large_err)] // see src/iac/state.rs

pub mod s3;
pub mod state;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::model::{RecordedState, StateSource};

pub use state::{parse_state, parse_state_bytes};

/// Where to read a state: a local file, or an object in S3 (`s3://bucket/key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateLocation {
    Local(PathBuf),
    S3 { bucket: String, key: String },
}

impl FromStr for StateLocation {
    type Err = Error;

    /// `s3://bucket/key` or a path. Anything else that looks like a URL is refused rather
    /// than taken for a file name.
    fn from_str(s: &str) -> Result<Self> {
        if s.is_empty() {
            return Err(Error::Usage("the state location is empty".into()));
        }
        let Some((scheme, rest)) = s.split_once("://") else {
            return Ok(StateLocation::Local(PathBuf::from(s)));
        };
        let looks_like_scheme = !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !looks_like_scheme {
            return Ok(StateLocation::Local(PathBuf::from(s)));
        }
        if !scheme.eq_ignore_ascii_case("s3") {
            return Err(Error::Usage(format!(
                "cannot read a state from `{s}`: driftgate reads local files and `s3://bucket/key`; \
                 for other backends, `terraform state pull > terraform.tfstate` and pass the file"
            )));
        }
        let bad = |why: &str| {
            Error::Usage(format!(
                "`{s}` is not an S3 state location ({why}); write it as `s3://bucket/path/to/terraform.tfstate`"
            ))
        };
        let (bucket, key) = rest.split_once('/').ok_or_else(|| bad("no key"))?;
        if bucket.is_empty() {
            return Err(bad("no bucket"));
        }
        // S3 bucket names: 3-63 lowercase letters, digits, dots and hyphens.
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'));
        if !valid_bucket {
            return Err(bad("the bucket name is not a valid S3 bucket name"));
        }
        if key.is_empty() {
            return Err(bad("no key"));
        }
        if key.ends_with('/') {
            return Err(bad("the key names a folder, not an object"));
        }
        Ok(StateLocation::S3 {
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }
}

impl StateLocation {
    /// What findings name: the path as given, or the `s3://bucket/key` URI.
    pub fn source(&self) -> StateSource {
        match self {
            StateLocation::Local(p) => StateSource(p.display().to_string()),
            StateLocation::S3 { bucket, key } => StateSource(format!("s3://{bucket}/{key}")),
        }
    }
}

impl std::fmt::Display for StateLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source().0)
    }
}

/// Reads and parses a local state file.
pub fn read_local(path: &Path) -> Result<RecordedState> {
    let source = StateSource(path.display().to_string());
    let bytes = std::fs::read(path).map_err(|e| Error::StateRead {
        path: source.0.clone(),
        source: e,
    })?;
    parse_state_bytes(&source, &bytes)
}

/// Reads and parses a state from wherever it is. `sdk` is needed for S3 locations only.
pub async fn read_state(
    location: &StateLocation,
    sdk: Option<&aws_config::SdkConfig>,
) -> Result<RecordedState> {
    match location {
        StateLocation::Local(path) => read_local(path),
        StateLocation::S3 { bucket, key } => {
            let source = location.source();
            let sdk = sdk.ok_or_else(|| Error::StateS3 {
                uri: source.0.clone(),
                reason: "no AWS configuration was loaded for this run".into(),
            })?;
            let bytes = s3::get_object(sdk, bucket, key).await?;
            parse_state_bytes(&source, &bytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use miette::Diagnostic;

    fn code(e: &Error) -> String {
        e.code().map(|c| c.to_string()).unwrap_or_default()
    }

    #[test]
    fn locations_parse() {
        assert_eq!(
            "s3://my-bucket/env/prod/terraform.tfstate"
                .parse::<StateLocation>()
                .unwrap(),
            StateLocation::S3 {
                bucket: "my-bucket".into(),
                key: "env/prod/terraform.tfstate".into()
            }
        );
        assert_eq!(
            "states/prod.tfstate".parse::<StateLocation>().unwrap(),
            StateLocation::Local("states/prod.tfstate".into())
        );
        // A path that merely contains `://` after a non-scheme stays a path.
        assert_eq!(
            "./odd dir://x".parse::<StateLocation>().unwrap(),
            StateLocation::Local("./odd dir://x".into())
        );
        let s3 = "s3://b-1/k".parse::<StateLocation>().unwrap();
        assert_eq!(s3.source(), StateSource("s3://b-1/k".into()));
        assert_eq!(
            StateLocation::Local("a/b.tfstate".into()).source(),
            StateSource("a/b.tfstate".into())
        );
    }

    #[test]
    fn bad_locations_are_usage_errors() {
        for bad in [
            "",
            "s3://",
            "s3://bucket",
            "s3://bucket/",
            "s3:///key",
            "s3://Bad_Bucket/key",
            "s3://bucket/dir/",
            "gs://bucket/key",
            "https://example.com/terraform.tfstate",
        ] {
            let e = bad.parse::<StateLocation>().unwrap_err();
            assert_eq!(code(&e), "driftgate::usage", "{bad:?} gave {e}");
        }
    }

    #[test]
    fn read_local_reports_missing_files() {
        let e = read_local(Path::new("/nonexistent/driftgate/terraform.tfstate")).unwrap_err();
        assert_eq!(code(&e), "driftgate::state::read");
    }

    #[tokio::test]
    async fn s3_without_sdk_config_is_an_error() {
        let loc: StateLocation = "s3://bucket/key".parse().unwrap();
        let e = read_state(&loc, None).await.unwrap_err();
        assert_eq!(code(&e), "driftgate::state::s3");
    }
}
