//! The one error type. Every variant is a `miette` diagnostic with a stable code
//! (`driftgate::area::what`), a message that says what is wrong, and help that says what to
//! do; errors about a file carry its source and a span pointing at the offending bytes.
//!
//! Add a variant per distinct thing a user can get wrong; never a catch-all with a string.

use miette::{Diagnostic, NamedSource, SourceSpan};
use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in a JSON file something is wrong: 1-based line and column (in characters), and the
/// JSON path of the value there (`$.resources[2].instances[0].attributes`). It names the place
/// without showing what is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    pub line: usize,
    pub column: usize,
    pub json_path: String,
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}, at {}",
            self.line, self.column, self.json_path
        )
    }
}

#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    // ---- command line -------------------------------------------------------------------
    #[error("{0}")]
    #[diagnostic(code(driftgate::usage))]
    Usage(String),

    #[error("unknown AWS region `{region}` ({given_as}): {suggestion}")]
    #[diagnostic(
        code(driftgate::usage::region),
        help(
            "driftgate knows the regions of every AWS partition its AWS SDK knows, and checks a region before any call; a region opened since this build needs a newer driftgate, or its endpoint set with AWS_ENDPOINT_URL_EC2. With a custom endpoint (AWS_ENDPOINT_URL: LocalStack, moto) any region is accepted. See docs/aws.md"
        )
    )]
    UnknownRegion {
        region: String,
        given_as: String,
        suggestion: String,
    },

    // ---- terraform state (src/iac: reading recorded states) ------------------------------------
    // A state file holds secrets in clear: these diagnostics name the place (`At`: line,
    // column, JSON path) and never show the text around it (no `#[source_code]`, so no
    // snippet) nor quote a value from it. Spans stay as labels for tools that want offsets.
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

    #[error("`{path}` is empty: there is no terraform state in it")]
    #[diagnostic(
        code(driftgate::state::empty),
        help(
            "terraform writes an empty file when a state was never saved; pass the state of an applied configuration, e.g. `terraform state pull > terraform.tfstate`"
        )
    )]
    StateEmpty { path: String },

    #[error("`{path}` is not JSON, so it is not a terraform state: {reason} ({at})")]
    #[diagnostic(
        code(driftgate::state::not_json),
        help(
            "pass the state terraform wrote (terraform.tfstate), or fetch it with `terraform state pull > terraform.tfstate`"
        )
    )]
    StateNotJson {
        path: String,
        reason: String,
        at: At,
        #[label("{reason}")]
        span: Option<SourceSpan>,
    },

    #[error("`{path}` ends in the middle of the JSON document ({at}): the state is truncated")]
    #[diagnostic(
        code(driftgate::state::truncated),
        help(
            "the file was cut short (an interrupted copy or a full disk?); fetch it again, e.g. `terraform state pull > terraform.tfstate`"
        )
    )]
    StateTruncated {
        path: String,
        at: At,
        #[label("the document ends here")]
        span: Option<SourceSpan>,
    },

    #[error("`{path}` is a saved terraform plan (a zip archive), not a state")]
    #[diagnostic(
        code(driftgate::state::plan_file),
        help(
            "pass the state instead, e.g. `terraform state pull > terraform.tfstate` and `--state terraform.tfstate`"
        )
    )]
    StatePlanFile { path: String },

    #[error("`{path}` is the output of `terraform show -json`, not a state ({at})")]
    #[diagnostic(
        code(driftgate::state::show_json),
        help("driftgate reads the state itself: `terraform state pull > terraform.tfstate`")
    )]
    StateShowJson {
        path: String,
        at: At,
        #[label("`terraform show -json` writes this field; a state has `version` instead")]
        span: Option<SourceSpan>,
    },

    #[error("`{path}` is JSON but not a terraform state: {reason} ({at})")]
    #[diagnostic(
        code(driftgate::state::not_a_state),
        help(
            "a terraform state is a JSON object with `\"version\": 4`; fetch it with `terraform state pull > terraform.tfstate`"
        )
    )]
    StateNotAState {
        path: String,
        reason: String,
        at: At,
        #[label("{reason}")]
        span: Option<SourceSpan>,
    },

    #[error("`{path}` is not a valid terraform state: {reason} ({at})")]
    #[diagnostic(code(driftgate::state::parse), help("{help}"))]
    StateParse {
        path: String,
        reason: String,
        help: String,
        at: At,
        #[label("here")]
        span: Option<SourceSpan>,
    },

    #[error(
        "`{path}` is a terraform state of format version {version}, written by terraform before 0.12; driftgate reads version 4 ({at})"
    )]
    #[diagnostic(
        code(driftgate::state::legacy_version),
        help(
            "upgrade it: with terraform >= 0.12, `terraform state pull > terraform.tfstate` writes it as version 4 (after `terraform init` in the configuration's directory)"
        )
    )]
    StateLegacyVersion {
        path: String,
        version: u64,
        at: At,
        #[label("format version {version}")]
        span: Option<SourceSpan>,
    },

    #[error(
        "`{path}` is a terraform state of format version {version}; driftgate reads version 4 ({at})"
    )]
    #[diagnostic(code(driftgate::state::unsupported_version), help("{help}"))]
    StateUnsupportedVersion {
        path: String,
        version: u64,
        help: String,
        at: At,
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

    #[error("`{path}` is empty: there is no observation in it")]
    #[diagnostic(
        code(driftgate::observation::empty),
        help(
            "an interrupted `driftgate observe --out FILE` or a shell redirection can leave an empty file; record the observation again with `driftgate observe --out FILE`"
        )
    )]
    ObservationEmpty { path: String },

    // ---- recorded observation files (render area: `provider::snapshot`) ------------------
    #[error("`{path}` is not a driftgate observation file: {reason}")]
    #[diagnostic(code(driftgate::observation::parse), help("{help}"))]
    ObservationParse {
        path: String,
        reason: String,
        help: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("here")]
        span: Option<SourceSpan>,
    },

    #[error(
        "`{path}` is an observation file of format version {version}; this driftgate reads version {supported}"
    )]
    #[diagnostic(code(driftgate::observation::unsupported_version), help("{help}"))]
    ObservationUnsupportedVersion {
        path: String,
        version: u64,
        supported: u64,
        help: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("format version {version}")]
        span: Option<SourceSpan>,
    },

    #[error("observation `{path}`: {reason}")]
    #[diagnostic(code(driftgate::observation::key), help("{help}"))]
    ObservationKey {
        path: String,
        reason: String,
        help: String,
    },

    #[error("cannot make a random salt for fingerprints: {0}")]
    #[diagnostic(
        code(driftgate::observation::salt),
        help(
            "the operating system's random source failed; set DRIFTGATE_FINGERPRINT_KEY to a key of your own instead"
        )
    )]
    FingerprintSalt(String),

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

    /// A `.tf` or `.tfvars` file may hold secrets in clear: the diagnostic names the place
    /// and shows the offending token only when it is not inside a string literal, never the
    /// lines around it.
    #[error("syntax error in `{path}` at line {line}, column {column}: {message}{}", token.as_ref().map(|t| format!(" (at `{t}`)")).unwrap_or_default())]
    #[diagnostic(
        code(driftgate::config::syntax),
        help("fix the configuration; `terraform validate` reports the same problem")
    )]
    ConfigSyntax {
        path: String,
        line: usize,
        column: usize,
        message: String,
        /// The offending token, when it is not inside a string literal or a heredoc.
        token: Option<String>,
        /// Where in the file (byte offset, token length); never rendered with the text.
        span: SourceSpan,
    },

    /// Names the place (line of the `source`), never the lines around it: a `.tf` file may
    /// hold secrets in clear.
    #[error("module `{name}` in `{path}`{}: {reason}", line.map(|l| format!(" at line {l}")).unwrap_or_default())]
    #[diagnostic(code(driftgate::config::module), help("{help}"))]
    ConfigModule {
        path: String,
        name: String,
        reason: String,
        help: String,
        /// The line of the module's `source`.
        line: Option<usize>,
        /// Where the `source` is (byte offset, length); never rendered with the text.
        span: Option<SourceSpan>,
    },

    // ---- audit log (src/audit) -------------------------------------------------------------
    #[error("cannot append to the audit log `{path}`: {reason}")]
    #[diagnostic(
        code(driftgate::audit::write),
        help(
            "every scan, plan and apply is logged, and fails when its entry cannot be written; log elsewhere with `--audit-log FILE` or DRIFTGATE_AUDIT_LOG"
        )
    )]
    AuditWrite { path: String, reason: String },

    #[error("the audit log `{path}` is damaged: {reason}")]
    #[diagnostic(
        code(driftgate::audit::damaged),
        help(
            "run `driftgate audit verify` to see where; keep the damaged file as evidence and move it aside to start a new log"
        )
    )]
    AuditDamaged { path: String, reason: String },

    #[error("there is no audit log at `{path}`")]
    #[diagnostic(
        code(driftgate::audit::missing),
        help(
            "the log is created by the first scan, plan or apply; pass the log to check with `--audit-log FILE` or DRIFTGATE_AUDIT_LOG (default ./.driftgate/audit.jsonl)"
        )
    )]
    AuditMissing { path: String },

    #[error("cannot read the audit log `{path}`")]
    #[diagnostic(code(driftgate::audit::read))]
    AuditRead {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("the audit log `{path}` does not verify: line {line}{seq}: {what}", seq = seq.map(|s| format!(" (seq {s})")).unwrap_or_default())]
    #[diagnostic(
        code(driftgate::audit::broken),
        help(
            "the entries before line {line} verify; from this line on the log was edited, reordered, cut short or damaged"
        )
    )]
    AuditBroken {
        path: String,
        line: usize,
        seq: Option<u64>,
        what: String,
    },

    #[error(
        "the audit log `{path}` has no entry with the anchored hash {anchor} ({entries} entries, head {head})"
    )]
    #[diagnostic(
        code(driftgate::audit::anchor_not_found),
        help(
            "the entries verify among themselves, but the log no longer holds the head recorded earlier: its tail was cut off, or it was rewritten, after the anchor was taken"
        )
    )]
    AuditAnchorNotFound {
        path: String,
        anchor: String,
        entries: u64,
        head: String,
    },

    #[error("audit log `{path}` does not match its checkpoint: {kind}: {what}")]
    #[diagnostic(
        code(driftgate::audit::checkpoint_mismatch),
        help(
            "a checkpoint is a signed count and head of the log sent where the log's writers cannot rewrite it; keep the log and the checkpoints as evidence (docs/audit.md)"
        )
    )]
    AuditCheckpointMismatch {
        path: String,
        /// `truncated`, `deleted`, `edited`, `reordered` or `forked`.
        kind: String,
        what: String,
    },

    #[error("audit checkpoints at `{source_shown}`: {reason}")]
    #[diagnostic(
        code(driftgate::audit::checkpoint),
        help(
            "give the log's key with --audit-key (or its public key with --audit-public-key) and where checkpoints go with --audit-checkpoint (docs/audit.md)"
        )
    )]
    AuditCheckpoint {
        source_shown: String,
        reason: String,
    },

    #[error("a change was made in the cloud but could not be audited: {what}; the apply stopped")]
    #[diagnostic(
        code(driftgate::audit::unrecorded),
        help(
            "the change and the failure are in the fallback log {fallback}; fix the audit log, then append the fallback's entries by hand review (docs/audit.md)"
        )
    )]
    AuditUnrecorded { what: String, fallback: String },

    #[error("shared store `{location}`: {reason}")]
    #[diagnostic(
        code(driftgate::store),
        help(
            "a shared store (--applied-store, an --audit-checkpoint destination) is a SQLite file, a postgres:// URL or s3://bucket/prefix that every checkout reaches and this job may write (docs/approvals.md, docs/audit.md)"
        )
    )]
    SharedStore { location: String, reason: String },

    // ---- remediation plans (src/planner) -------------------------------------------------------
    #[error("cannot read plan file `{path}`")]
    #[diagnostic(
        code(driftgate::planner::read),
        help("check the path; `driftgate plan` writes ./driftgate.plan.json by default")
    )]
    PlanRead {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("`{path}` is not a valid plan file: {reason}")]
    #[diagnostic(
        code(driftgate::planner::invalid),
        help("make the plan again with `driftgate plan`; a plan file is never edited by hand")
    )]
    PlanInvalid { path: String, reason: String },

    #[error("`{path}` has plan format version {found}; this driftgate reads version 1")]
    #[diagnostic(
        code(driftgate::planner::version),
        help("make the plan with the same driftgate version that applies it")
    )]
    PlanVersion { path: String, found: String },

    #[error(
        "`{path}` was changed after it was planned: its content hashes to {actual}, not to its digest {recorded}"
    )]
    #[diagnostic(
        code(driftgate::planner::tampered),
        help(
            "a plan file is never edited: make a new plan with `driftgate plan` and approve that one"
        )
    )]
    PlanTampered {
        path: String,
        recorded: String,
        actual: String,
    },

    #[error("`{path}` expired at {expires_at}")]
    #[diagnostic(
        code(driftgate::planner::expired),
        help("make a new plan with `driftgate plan` (`--ttl` sets how long a plan stays valid)")
    )]
    PlanExpired { path: String, expires_at: String },

    #[error("the scan was incomplete, so driftgate will not plan from it")]
    #[diagnostic(
        code(driftgate::planner::incomplete_scan),
        help(
            "a plan from a partial view could undo what was not seen; fix what the scan could not see (see `driftgate scan`) and plan again"
        )
    )]
    PlanIncompleteScan,

    #[error("`--accept` needs the terraform configuration, and none was read")]
    #[diagnostic(
        code(driftgate::planner::accept_needs_config),
        help(
            "an accept edits the resource's block in the `.tf` files: pass `--config DIR`, or run in the configuration's directory"
        )
    )]
    PlanAcceptNeedsConfig,

    #[error("cannot merge {path}: {reason}")]
    #[diagnostic(
        code(driftgate::merge::input),
        help("merge takes the JSON reports of `driftgate scan --format json` (schema_version 1)")
    )]
    MergeInput { path: String, reason: String },

    #[error("the configuration file {path} could not be written: {reason}")]
    #[diagnostic(code(driftgate::apply::config_write))]
    ConfigEdit { path: String, reason: String },

    #[error("a secret in clear reached the plan at {at}; the plan was not written")]
    #[diagnostic(
        code(driftgate::planner::clear_secret),
        help(
            "this is a bug in driftgate: a plan holds secrets only as fingerprints or references to the state; please report it (without the state)"
        )
    )]
    PlanClearSecret { at: String },

    #[error("`--target {glob}` is not a valid address pattern: {reason}")]
    #[diagnostic(
        code(driftgate::planner::bad_target),
        help(
            "a target is a resource address where `*` and `?` match any characters, e.g. `aws_security_group.*`"
        )
    )]
    PlanBadTarget { glob: String, reason: String },

    #[error("`{flag} {glob}` matches no {what} in this scan; no plan was written")]
    #[diagnostic(code(driftgate::planner::no_match))]
    PlanNoMatch {
        flag: String,
        glob: String,
        what: String,
        #[help]
        help: String,
    },

    // ---- run history (src/history) ---------------------------------------------------------
    #[error("`{location}` is not a driftgate history: {reason}")]
    #[diagnostic(
        code(driftgate::history::foreign),
        help(
            "driftgate never writes into a file or database it did not create; pass another `--history` (default for `report`: ./.driftgate/history.db)"
        )
    )]
    HistoryForeign { location: String, reason: String },

    #[error("the history `{location}` is damaged: {reason}")]
    #[diagnostic(
        code(driftgate::history::corrupt),
        help(
            "driftgate leaves the file as it is; restore it from a backup, or move it aside to start a new history"
        )
    )]
    HistoryCorrupt { location: String, reason: String },

    #[error(
        "the history `{location}` has schema version {found}; this driftgate knows versions up to {supported}"
    )]
    #[diagnostic(
        code(driftgate::history::too_new),
        help("a newer driftgate wrote it; upgrade driftgate to read and extend it")
    )]
    HistoryTooNew {
        location: String,
        found: i64,
        supported: i64,
    },

    #[error("there is no history at `{location}`")]
    #[diagnostic(
        code(driftgate::history::missing),
        help(
            "a history is created by the first `driftgate report` or `driftgate scan --history FILE`; pass it with `--history FILE|URL` (default ./.driftgate/history.db)"
        )
    )]
    HistoryMissing { location: String },

    #[error("cannot use the history `{location}`: {reason}")]
    #[diagnostic(
        code(driftgate::history::database),
        help(
            "check the path and its permissions, or for PostgreSQL the URL, the server and the credentials (postgres://user:password@host:port/dbname)"
        )
    )]
    HistoryDatabase { location: String, reason: String },
    // ---- the approval service (src/serve, `serve`, `plan --request-approval`, `apply --wait`) --
    #[error("cannot use the approval service's store `{location}`: {reason}")]
    #[diagnostic(
        code(driftgate::serve::store),
        help(
            "--store takes a SQLite file (created when missing) or postgres://user:password@host:port/dbname; a database driftgate did not create is never written to"
        )
    )]
    ServeStore { location: String, reason: String },

    #[error("the approval service at `{url}`: {reason}")]
    #[diagnostic(
        code(driftgate::serve::client),
        help(
            "check the URL, that `driftgate serve` runs there, and the client token (DRIFTGATE_SERVICE_TOKEN) that the trust root or the service's --clients file lists"
        )
    )]
    ServiceCall { url: String, reason: String },

    #[error("the approval service cannot start: {reason}")]
    #[diagnostic(
        code(driftgate::serve::start),
        help(
            "check --listen (HOST:PORT, free), --clients (a JSON file of client token digests, needed without a trust root) and --policy"
        )
    )]
    ServeStart { reason: String },

    #[error("{reason}")]
    #[diagnostic(
        code(driftgate::serve::not_approved),
        help(
            "nothing was applied; make a new plan and request approval again if it should still run"
        )
    )]
    NotApproved { reason: String },

    // ---- approval keys (src/approval, `keygen`, `approve`) ----------------------------------
    #[error("cannot read key file `{path}`")]
    #[diagnostic(
        code(driftgate::key::read),
        help("pass the private key `driftgate keygen --name NAME --out FILE` wrote")
    )]
    KeyRead {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("key file `{path}` can be read by others (mode {mode:03o}): it is not used")]
    #[diagnostic(
        code(driftgate::key::permissions),
        help(
            "a private key readable by the group or others may have been copied: `chmod 600 {path}`, and if others did read it, make a new key and replace the line in the policy"
        )
    )]
    KeyPermissions { path: String, mode: u32 },

    #[error("`{path}` is not a driftgate key file: {reason}")]
    #[diagnostic(
        code(driftgate::key::invalid),
        help("make a key with `driftgate keygen --name NAME --out FILE`")
    )]
    KeyInvalid { path: String, reason: String },

    #[error(
        "the key {key} (approver `{name}`, {fingerprint}) is not an approver of the policy ({policy}): {listed}; nothing was signed or written"
    )]
    #[diagnostic(
        code(driftgate::approve::not_listed),
        help(
            "`apply` accepts only approvals by keys the policy's `approval` block lists under their key's name; add the line `driftgate keygen` printed to `approvers`, then plan again"
        )
    )]
    ApproveKeyNotListed {
        key: String,
        name: String,
        fingerprint: String,
        policy: String,
        listed: String,
    },

    #[error(
        "the policy here ({policy}) is not the one the plan was made with; nothing was signed or written"
    )]
    #[diagnostic(
        code(driftgate::approve::policy_changed),
        help(
            "pass the plan's policy with --policy FILE (`apply` refuses a plan whose policy changed)"
        )
    )]
    ApprovePolicyMismatch { policy: String },

    #[error("`{path}` exists already: keygen never overwrites a key")]
    #[diagnostic(
        code(driftgate::key::exists),
        help("choose another --out, or move the old key aside first")
    )]
    KeyExists { path: String },

    #[error("`{name}` is not a valid approver name")]
    #[diagnostic(
        code(driftgate::key::name),
        help(
            "letters, digits, `_` and `-`, starting with a letter, at most 64 characters: the name the policy's `approvers` lists"
        )
    )]
    ApproverName { name: String },

    // ---- output -----------------------------------------------------------------------------
    #[error("cannot write `{path}`")]
    #[diagnostic(code(driftgate::output::write))]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },

    // ---- trust root -------------------------------------------------------------------------
    #[error("the trust root `{location}` is refused: {reason}")]
    #[diagnostic(
        code(driftgate::trust::root),
        help(
            "DRIFTGATE_TRUST_ROOT names the root, DRIFTGATE_TRUST_ROOT_SHA256 (or _ADMINS) pins it; `driftgate trust show FILE` says what is wrong with a root (docs/approvals.md)"
        )
    )]
    TrustRoot { location: String, reason: String },

    #[error("refused under the pinned trust root: {reason}")]
    #[diagnostic(code(driftgate::trust::refused))]
    TrustRefused { reason: String },

    #[error("`{path}`: {reason}")]
    #[diagnostic(
        code(driftgate::trust::file),
        help(
            "`driftgate trust init --out FILE --admin NAME=ed25519:... --threshold M` makes a root"
        )
    )]
    TrustFile { path: String, reason: String },
}

impl From<crate::model::policy_file::Problem> for Error {
    /// A problem a feature found in its policy block, as the policy file's diagnostic.
    fn from(p: crate::model::policy_file::Problem) -> Error {
        use crate::model::policy_file::ProblemKind;
        let path = p.source.path.clone();
        let src = NamedSource::new(&p.source.path, p.source.text.clone());
        let span = p.span.map(SourceSpan::from);
        match p.kind {
            ProblemKind::Invalid {
                message,
                label,
                help,
            } => Error::PolicyInvalid {
                path,
                message,
                help,
                src,
                span,
                label,
            },
            ProblemKind::UnknownKey { key, context, help } => Error::PolicyUnknownKey {
                path,
                key,
                context,
                help,
                src,
                span,
            },
            ProblemKind::BadSeverity { value } => Error::PolicyBadSeverity {
                path,
                value,
                src,
                span,
            },
        }
    }
}
