//! The one error type. Every variant is a `miette` diagnostic with a stable code
//! (`driftgate::area::what`), a message that says what is wrong, and help that says what to
//! do; errors about a file carry its source and a span pointing at the offending bytes.
//!
//! Add a variant per distinct thing a user can get wrong; never a catch-all with a string.

use miette::{Diagnostic, NamedSource, SourceSpan};
use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    // ---- command line -------------------------------------------------------------------
    #[error("{0}")]
    #[diagnostic(code(driftgate::usage))]
    Usage(String),

    // ---- terraform state ------------------------------------------------------------------
    #[error("cannot read state file `{path}`")]
    #[diagnostic(
        code(driftgate::state::read),
        help("check the path; `--state` defaults to ./terraform.tfstate")
    )]
    StateRead {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("`{path}` is not a terraform state file: {reason}")]
    #[diagnostic(code(driftgate::state::parse), help("{help}"))]
    StateParse {
        path: String,
        reason: String,
        help: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("here")]
        span: Option<SourceSpan>,
    },

    #[error("`{path}` is a terraform state of format version {version}; driftgate reads version 4")]
    #[diagnostic(code(driftgate::state::unsupported_version), help("{help}"))]
    StateUnsupportedVersion {
        path: String,
        version: u64,
        help: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("format version {version}")]
        span: Option<SourceSpan>,
    },

    #[error("cannot read state `{uri}` from S3: {reason}")]
    #[diagnostic(
        code(driftgate::state::s3),
        help(
            "the scan needs s3:GetObject on the state object; check the bucket, key, region and credentials"
        )
    )]
    StateS3 { uri: String, reason: String },

    // ---- recorded observations (`observe --out`, `scan --observed`) ------------------------
    #[error("cannot read observation `{path}`: {reason}")]
    #[diagnostic(
        code(driftgate::observation::read),
        help("record one with `driftgate observe --out FILE`")
    )]
    ObservationRead { path: String, reason: String },

    // ---- provider specs (embedded data; an error here is a bug in driftgate) --------------
    #[error("provider spec `{file}` is invalid: {reason}")]
    #[diagnostic(code(driftgate::spec::invalid))]
    Spec { file: String, reason: String },

    // ---- cloud ------------------------------------------------------------------------------
    #[error("cannot set up the AWS client: {0}")]
    #[diagnostic(
        code(driftgate::aws::config),
        help(
            "driftgate uses the standard AWS credential chain: env vars, ~/.aws/config and credentials, AWS_PROFILE, SSO, instance roles"
        )
    )]
    AwsConfig(String),

    // ---- policy file (driftgate.hcl) -------------------------------------------------------
    #[error("cannot read policy file `{path}`")]
    #[diagnostic(
        code(driftgate::policy::read),
        help(
            "check the path given to --policy; without it driftgate reads ./driftgate.hcl when it exists"
        )
    )]
    PolicyRead {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("`{path}` is not valid HCL: {message}")]
    #[diagnostic(
        code(driftgate::policy::syntax),
        help("see docs/policy.md for the policy file format")
    )]
    PolicySyntax {
        path: String,
        message: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("here")]
        span: Option<SourceSpan>,
    },

    #[error("unknown key `{key}` in {context} of `{path}`")]
    #[diagnostic(code(driftgate::policy::unknown_key), help("{help}"))]
    PolicyUnknownKey {
        path: String,
        key: String,
        context: String,
        help: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("not a known key")]
        span: Option<SourceSpan>,
    },

    #[error("`{value}` is not a severity (in `{path}`)")]
    #[diagnostic(
        code(driftgate::policy::bad_severity),
        help("a severity is one of: critical, high, medium, low, info (lowercase)")
    )]
    PolicyBadSeverity {
        path: String,
        value: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("expected critical, high, medium, low or info")]
        span: Option<SourceSpan>,
    },

    #[error("`{value}` is not a date (in `{path}`)")]
    #[diagnostic(
        code(driftgate::policy::bad_date),
        help(
            "write the date as YYYY-MM-DD, e.g. \"2026-12-31\"; the ignore applies through that day"
        )
    )]
    PolicyBadDate {
        path: String,
        value: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("expected YYYY-MM-DD")]
        span: Option<SourceSpan>,
    },

    #[error("{message} (in `{path}`)")]
    #[diagnostic(code(driftgate::policy::invalid), help("{help}"))]
    PolicyInvalid {
        path: String,
        message: String,
        help: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("{label}")]
        span: Option<SourceSpan>,
        label: String,
    },

    // ---- output -----------------------------------------------------------------------------
    #[error("cannot write `{path}`")]
    #[diagnostic(code(driftgate::output::write))]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}
