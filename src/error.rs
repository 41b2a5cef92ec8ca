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

    // ---- terraform configuration (iac::config) ----------------------------------------------
    #[error("cannot read configuration `{path}`")]
    #[diagnostic(
        code(driftgate::config::read),
        help("`--config` names the directory where you run `terraform plan`")
    )]
    ConfigRead {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("`{path}` holds no terraform configuration (no `*.tf` file)")]
    #[diagnostic(
        code(driftgate::config::empty),
        help("point `--config` at the directory where you run `terraform plan`")
    )]
    ConfigEmpty { path: String },

    #[error("syntax error in `{path}` at line {line}, column {column}: {message}")]
    #[diagnostic(
        code(driftgate::config::syntax),
        help("fix the configuration; `terraform validate` reports the same problem")
    )]
    ConfigSyntax {
        path: String,
        line: usize,
        column: usize,
        message: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("{label}")]
        span: SourceSpan,
        label: String,
    },

    #[error("module `{name}` in `{path}`: {reason}")]
    #[diagnostic(code(driftgate::config::module), help("{help}"))]
    ConfigModule {
        path: String,
        name: String,
        reason: String,
        help: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("this source")]
        span: Option<SourceSpan>,
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
