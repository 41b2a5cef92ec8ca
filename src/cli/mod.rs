//! The command line: clap structs for what the user typed, turned into the options of an
//! operation (`ops`) and a [`Settings`] — this is the only place that reads environment
//! variables, the terminal and the clock. Nothing below this module sees clap. Exit codes follow `terraform plan -detailed-exitcode`: 0 clean, 2 drift,
//! 1 error or incomplete scan; clap's own usage errors are mapped to 1 so they never read as
//! "drift".

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::Error;
use crate::ops::{self, ReportFormat, ScanFormat};

pub use crate::ops::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "driftgate",
    version,
    about = "Where your AWS account has drifted from your Terraform, told truthfully.",
    after_help = "Exit codes: 0 no drift, 2 drift found, 1 error or incomplete scan."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// The audit log (hash-chained JSON lines) that scan, plan and apply append to and
    /// `audit` reads. Default: DRIFTGATE_AUDIT_LOG, else ./.driftgate/audit.jsonl.
    #[arg(long, global = true, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compare terraform state (recorded) with the cloud (observed) and report drift.
    Scan(ScanArgs),
    /// Record what the cloud has now into a file that `scan --observed` can replay.
    Observe(ObserveArgs),
    /// List the built-in severity rules, or explain one: `driftgate rules explain ID`.
    Rules(RulesArgs),
    /// Scan, then write a remediation plan (a plan file with a digest) and print the command
    /// that applies it.
    Plan(PlanArgs),
    /// Apply a plan: only with `--approve TOKEN` (the one `plan` printed), only if the plan,
    /// its inputs and the cloud are unchanged since planning. Exit 0 when every executable
    /// action succeeded and its drift is gone, 1 otherwise (refused, failed, still drifted).
    Apply(ApplyArgs),
    /// Check the audit log's hash chain, or show its entries.
    Audit(AuditArgs),
    /// The nightly job: scan, record the run in the history, write the report files into
    /// --out-dir, and notify webhooks when something is new or resolved. Exit codes as `scan`.
    Report(ReportArgs),
    /// List the runs recorded in a history: time, inputs, counts, new and resolved.
    History(HistoryArgs),
    /// Combine the JSON reports of several scans (one per account or region, a CI matrix) into
    /// one: a finding counts once, and the result is incomplete if any shard was. Exit codes as
    /// `scan`.
    Merge(MergeArgs),
    /// Make an approver's Ed25519 key: writes the private key (mode 0600) and prints the line
    /// for the policy's `approval { approvers = {...} }`.
    Keygen(KeygenArgs),
    /// Sign an approval of a plan: shows the plan on stderr, prints the approval token alone
    /// on stdout (for `apply --approve`).
    Approve(ApproveArgs),
    /// Manage a trust root (approvers, minimum approvals, admins M of N), kept outside the
    /// repository and pinned by DRIFTGATE_TRUST_ROOT with DRIFTGATE_TRUST_ROOT_SHA256.
    Trust(TrustArgs),
    /// The approval service: plans' approval requests, approvals and denials over HTTP (JSON
    /// under /v1, see docs/api.md), for `plan --request-approval` and `apply --wait`.
    Serve(ServeArgs),
    /// Serve the Model Context Protocol on stdio for an AI agent the trust root lists: tools
    /// scan, explain_finding, plan, request_approval, approval_status (no approve, no apply).
    Mcp(McpArgs),
}

#[derive(Debug, Args)]
pub struct McpArgs {
    /// The agent's name in the pinned trust root (`driftgate trust add-agent`).
    #[arg(long, value_name = "NAME")]
    pub agent: String,
    /// The agent's private key (`driftgate keygen`, mode 0600): its plans are signed with it.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The approval service (`driftgate serve`) for request_approval and approval_status; the
    /// agent's token in DRIFTGATE_SERVICE_TOKEN.
    #[arg(long, value_name = "URL")]
    pub service: Option<String>,
    /// A terraform state: a local file or s3://bucket/key. Repeat. Default: as for `scan`.
    #[arg(long = "state", value_name = "STATE")]
    pub states: Vec<String>,
    /// AWS region to scan. Repeat. Default: as for `scan`.
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// The terraform configuration directory. Default: as for `scan`.
    #[arg(long, value_name = "DIR")]
    pub config: Option<PathBuf>,
    /// The policy file. Default: ./driftgate.hcl when it exists.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Scan and plan from a recorded observation instead of calling AWS.
    #[arg(long, value_name = "FILE")]
    pub observed: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TrustArgs {
    #[command(subcommand)]
    pub command: TrustCommand,
}

#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Write version 1 of a root (unsigned: admins sign it with `trust sign`).
    Init {
        /// The root file to write (never overwritten).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// An admin: NAME=ed25519:<base64> (the public line `keygen` prints). Repeat.
        #[arg(long = "admin", value_name = "NAME=KEY", required = true)]
        admins: Vec<String>,
        /// How many admins must sign each version (M of N).
        #[arg(long, value_name = "M", default_value_t = 1)]
        threshold: usize,
        /// How long the root stays valid: 90d, 365d.
        #[arg(long, value_name = "DURATION", default_value = "365d", value_parser = parse_ttl)]
        expires: time::Duration,
        /// Minimum approvals of every plan with a planned action.
        #[arg(long, value_name = "N", default_value_t = 1)]
        approvals: usize,
        /// Where the audit log is, whatever --audit-log says.
        #[arg(long = "root-audit-log", value_name = "FILE")]
        root_audit_log: Option<String>,
    },
    /// Add (or replace) an approver: their public key and the identities they work as.
    AddApprover {
        #[arg(value_name = "ROOT")]
        root: PathBuf,
        #[arg(long, value_name = "NAME")]
        name: String,
        /// ed25519:<base64>, as `keygen` prints it.
        #[arg(long, value_name = "KEY")]
        key: String,
        /// An AWS principal ARN this person works as (an assumed-role session counts as its
        /// role). Repeat.
        #[arg(long = "aws-principal", value_name = "ARN")]
        aws_principals: Vec<String>,
        /// A CI identity: github:OWNER/REPO:LOGIN or gitlab:GROUP/PROJECT:LOGIN. Repeat.
        #[arg(long = "ci-actor", value_name = "ID")]
        ci_actors: Vec<String>,
        /// The Slack user id (U123ABC) they press Approve/Deny as (chat approvals).
        #[arg(long = "slack-user", value_name = "ID")]
        slack_user: Option<String>,
    },
    /// Remove an approver.
    RemoveApprover {
        #[arg(value_name = "ROOT")]
        root: PathBuf,
        #[arg(long, value_name = "NAME")]
        name: String,
    },
    /// Change minimum approvals, admins, threshold, expiry or the audit log.
    Set {
        #[arg(value_name = "ROOT")]
        root: PathBuf,
        /// Minimum approvals by default.
        #[arg(long, value_name = "N")]
        approvals: Option<usize>,
        /// SEVERITY=N: the minimum for actions of this severity. Repeat.
        #[arg(long = "severity", value_name = "SEVERITY=N")]
        severity: Vec<String>,
        /// GUARDRAIL=N: the minimum for actions this guardrail holds (the policy may not
        /// relax it). Repeat.
        #[arg(long = "guardrail", value_name = "NAME=N")]
        guardrails: Vec<String>,
        /// NAME=KEY: a new admin. Repeat.
        #[arg(long = "add-admin", value_name = "NAME=KEY")]
        add_admins: Vec<String>,
        /// An admin to remove. Repeat.
        #[arg(long = "remove-admin", value_name = "NAME")]
        remove_admins: Vec<String>,
        #[arg(long, value_name = "M")]
        threshold: Option<usize>,
        /// A new expiry, from now: 365d.
        #[arg(long, value_name = "DURATION", value_parser = parse_ttl)]
        expires: Option<time::Duration>,
        /// Where the audit log is ("" removes it).
        #[arg(long = "root-audit-log", value_name = "FILE")]
        root_audit_log: Option<String>,
        /// NAME=sha256:HEX: a client of the approval service (`driftgate serve`), by the
        /// SHA-256 of its bearer token. Repeat.
        #[arg(long = "client", value_name = "NAME=DIGEST")]
        clients: Vec<String>,
        /// A client of the approval service to remove. Repeat.
        #[arg(long = "remove-client", value_name = "NAME")]
        remove_clients: Vec<String>,
        /// NAME=KEY: the approval service's key (`keygen`), which attests chat approvals.
        #[arg(long = "chat-attestor", value_name = "NAME=KEY")]
        chat_attestors: Vec<String>,
        /// An approver the --chat-attestor may attest for. Repeat.
        #[arg(long = "attest-for", value_name = "NAME")]
        attest_for: Vec<String>,
        /// A chat attestor to remove. Repeat.
        #[arg(long = "remove-chat-attestor", value_name = "NAME")]
        remove_chat_attestors: Vec<String>,
        /// SEVERITY=N: plans with an action of this severity need N approvals signed by the
        /// approvers' own keys (not from chat). Repeat.
        #[arg(long = "from-key", value_name = "SEVERITY=N")]
        from_key: Vec<String>,
    },
    /// Add an admin's signature to the root's current version.
    Sign {
        #[arg(value_name = "ROOT")]
        root: PathBuf,
        /// The admin's private key (`driftgate keygen`).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Show a root: version, digest, expiry, whether enough admins signed it. Exit 1 when it
    /// would be refused.
    Show {
        #[arg(value_name = "ROOT")]
        root: PathBuf,
    },
    /// Add (or replace) an AI agent (`driftgate mcp`): it proposes plans signed with its own
    /// key, never approves. Its kind's rules come from `trust agent-kind`.
    AddAgent {
        #[arg(value_name = "ROOT")]
        root: PathBuf,
        #[arg(long, value_name = "NAME")]
        name: String,
        /// A kind set with `trust agent-kind`.
        #[arg(long, value_name = "KIND")]
        kind: String,
        /// ed25519:<base64>, as `keygen` prints it: the agent's own key, no approver's.
        #[arg(long, value_name = "KEY")]
        key: String,
        /// sha256:HEX of its approval service bearer token (submit and read, never approve).
        #[arg(long, value_name = "DIGEST")]
        client: Option<String>,
    },
    /// Remove an agent.
    RemoveAgent {
        #[arg(value_name = "ROOT")]
        root: PathBuf,
        #[arg(long, value_name = "NAME")]
        name: String,
    },
    /// Set a kind of agent's rules: the approvals its plans need (at least 1) and the actions
    /// it may not plan.
    AgentKind {
        #[arg(value_name = "ROOT")]
        root: PathBuf,
        #[arg(long, value_name = "KIND")]
        kind: String,
        /// The fewest approvals a plan of this kind needs (the root's own minimum when more).
        #[arg(long, value_name = "N", default_value_t = 1)]
        approvals: usize,
        /// An action kind (revert, recreate, accept, import, delete) or an API name (iam:*,
        /// ec2:TerminateInstances) its plans may not execute. Repeat.
        #[arg(long = "forbid", value_name = "PATTERN")]
        forbid: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The reports (`driftgate scan --format json --out FILE`), two or more.
    #[arg(value_name = "REPORT", required = true)]
    pub reports: Vec<PathBuf>,
    /// Exit 2 for findings at or above this severity (default: the strictest of the shards').
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<crate::model::Severity>,
    /// Write the merged report here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// The default history of `report` and `history`.
pub const DEFAULT_HISTORY: &str = ".driftgate/history.db";

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A terraform state: a local file or s3://bucket/key. Repeat for several states.
    /// Default: ./terraform.tfstate.
    #[arg(long = "state", value_name = "STATE")]
    pub states: Vec<String>,
    /// AWS region to scan. Repeat for several. Default: as for `scan`.
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// As for `scan`: AWS-owned objects count, unsupported types make the scan incomplete.
    #[arg(long)]
    pub strict: bool,
    /// Replay a recorded observation (from `driftgate observe`) instead of calling AWS.
    #[arg(long, value_name = "FILE")]
    pub observed: Option<PathBuf>,
    /// The policy file. Default: ./driftgate.hcl when it exists.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Exit 2 only for findings at or above this severity (overrides the policy's `fail_on`).
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<crate::model::Severity>,
    /// As for `scan`: unsupported types make the run incomplete whatever the policy says.
    #[arg(long)]
    pub fail_on_unchecked: bool,
    /// The terraform configuration directory. Default: as for `scan`.
    #[arg(long, value_name = "DIR")]
    pub config: Option<PathBuf>,
    /// The history: a SQLite file (created when missing) or postgres://user:password@host/db.
    #[arg(long, value_name = "FILE|URL", env = "DRIFTGATE_HISTORY", default_value = DEFAULT_HISTORY, hide_env_values = true)]
    pub history: String,
    /// Where to write report.json (and the other report files).
    #[arg(long, value_name = "DIR", default_value = "driftgate-report")]
    pub out_dir: PathBuf,
    /// A webhook to post the run's summary to. Repeat for several. Posted only when a
    /// finding is new or resolved since the last run, unless --notify-always.
    #[arg(long = "notify", value_name = "URL")]
    pub notify: Vec<String>,
    /// The webhooks' payload: slack, teams or json. Default: inferred from each URL
    /// (hooks.slack.com: slack; Teams and Power Automate hosts: teams; anything else: json).
    #[arg(long, value_name = "FORMAT", value_parser = parse_notify_format)]
    pub notify_format: Option<crate::notify::Format>,
    /// Post the summary after every run, even when nothing changed.
    #[arg(long)]
    pub notify_always: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The history: a SQLite file or postgres://user:password@host/db.
    #[arg(long, value_name = "FILE|URL", env = "DRIFTGATE_HISTORY", default_value = DEFAULT_HISTORY, hide_env_values = true)]
    pub history: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Only the last N runs.
    #[arg(long, value_name = "N")]
    pub last: Option<usize>,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The approver's name, as the policy lists it.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Where to write the private key (never overwritten).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The plan file to approve.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// The approver's private key (`driftgate keygen`).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// How long the approval stays valid: 30m, 24h, 7d.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_ttl)]
    pub expires: time::Duration,
    /// The policy file the plan was made with (its `approval` block must list the key).
    /// Default: ./driftgate.hcl when it exists.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Sign a denial of the plan with this reason (a `dgd1.` token) instead of an approval.
    #[arg(long, value_name = "REASON")]
    pub deny: Option<String>,
    /// Also post the token to the approval service's request for this plan
    /// (`driftgate serve`; the client token in DRIFTGATE_SERVICE_TOKEN).
    #[arg(long, value_name = "URL")]
    pub service: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen: HOST:PORT (plain HTTP: put TLS in front, see docs/api.md).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The store: a SQLite file (created when missing) or postgres://user:password@host/db.
    #[arg(
        long,
        value_name = "FILE|URL",
        env = "DRIFTGATE_SERVE_STORE",
        default_value = ".driftgate/serve.db",
        hide_env_values = true
    )]
    pub store: String,
    /// Without a trust root: a JSON file `{"clients": {"NAME": "sha256:<hex of the token>"}}`.
    #[arg(long, value_name = "FILE")]
    pub clients: Option<PathBuf>,
    /// The policy file plans are made with (its `approval` block, without a trust root).
    /// Default: ./driftgate.hcl when it exists.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    #[command(flatten)]
    pub checkpoint: CheckpointArgs,
    /// The service's own key (`keygen`): the trust root lists it as a chat attestor, and it
    /// signs the approvals pressed in chat in the approvers' names.
    #[arg(long = "attestor-key", value_name = "FILE")]
    pub attestor_key: Option<PathBuf>,
    /// Post each request to this Slack channel (id) with Approve / Deny buttons. The bot
    /// token and the signing secret: DRIFTGATE_SLACK_BOT_TOKEN, DRIFTGATE_SLACK_SIGNING_SECRET.
    #[arg(long = "slack-channel", value_name = "ID")]
    pub slack_channel: Option<String>,
    /// Slack's Web API base URL.
    #[arg(
        long = "slack-api",
        value_name = "URL",
        default_value = "https://slack.com/api"
    )]
    pub slack_api: String,
    /// NAME=URL: an approver's own incoming webhook (Teams Workflows, or any chat): each
    /// request sends them a card with their signed link to the approval page. Repeat.
    #[arg(long = "teams-webhook", value_name = "NAME=URL")]
    pub teams_webhooks: Vec<String>,
    /// The service's address as approvers reach it: https://driftgate.example.com.
    #[arg(long = "public-url", value_name = "URL")]
    pub public_url: Option<String>,
    /// How long an approval link lives (never beyond the plan's expiry).
    #[arg(long = "link-ttl", value_name = "DURATION", value_parser = parse_ttl, default_value = "4h")]
    pub link_ttl: time::Duration,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The plan file `driftgate plan` wrote.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// The token `driftgate plan` printed for this plan; or, when the policy has an
    /// `approval` block, a signed approval (`driftgate approve`). Repeat for several.
    #[arg(long, value_name = "TOKEN")]
    pub approve: Vec<String>,
    /// Make every check and print the calls it would make; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The configuration directory the plan was made with. Default: as for `scan`.
    #[arg(long, value_name = "DIR")]
    pub config: Option<PathBuf>,
    /// The policy file the plan was made with. Default: ./driftgate.hcl when it exists.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub notify: NotifyArgs,
    #[command(flatten)]
    pub checkpoint: CheckpointArgs,
    /// Where the applied markers and the apply lock live, shared by every checkout: a SQLite
    /// file, postgres://... or s3://bucket/prefix. Default: ./.driftgate (this checkout only;
    /// a warning under CI).
    #[arg(
        long,
        value_name = "FILE|URL",
        env = "DRIFTGATE_APPLIED_STORE",
        hide_env_values = true
    )]
    pub applied_store: Option<String>,
    /// Apply without a pinned trust root where CI is set (refused otherwise). Audited, and
    /// printed in red.
    #[arg(long)]
    pub no_trust_root: bool,
    /// Wait for the approval service's verdict on this plan (`driftgate serve`), then apply
    /// with the approvals it collected (each verified again here). Needs --wait.
    #[arg(long, value_name = "URL", requires = "wait")]
    pub approval_service: Option<String>,
    /// How long to wait for the verdict: 30m, 2h. A denial or expiry exits 1.
    #[arg(long, value_name = "DURATION", value_parser = parse_ttl, requires = "approval_service")]
    pub wait: Option<time::Duration>,
}

/// Where `plan` and `apply` report (besides the policy's `notify` blocks).
#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// Send the plan (approval request) or the apply's outcome to this webhook. Repeat for
    /// several. A failed notification is a warning, never an error.
    #[arg(long = "notify", value_name = "URL")]
    pub urls: Vec<String>,
    /// The body's shape: slack (text + Block Kit), teams (Adaptive Card) or json. Default:
    /// inferred from each URL's host.
    #[arg(long, value_name = "FORMAT", value_parser = parse_notify_format)]
    pub notify_format: Option<crate::notify::Format>,
}

fn parse_notify_format(s: &str) -> Result<crate::notify::Format, String> {
    s.parse()
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain: exit 0 and print the entry count and head hash when intact,
    /// exit 1 naming the first bad entry otherwise.
    Verify {
        /// A head hash recorded earlier (`sha256:...`): the log must still contain that entry,
        /// which also detects a tail cut off after the anchor was taken.
        #[arg(long, value_name = "HASH")]
        anchor: Option<String>,
        /// Signed checkpoints of the log (a file, s3://bucket/prefix or postgres://...): the
        /// log must match every one; a truncated, deleted, edited, reordered or forked log is
        /// named as such (exit 1).
        #[arg(long, value_name = "FILE|URL")]
        checkpoint: Option<String>,
        /// The log key's public key (`ed25519:...`) the checkpoints must be signed by.
        /// Default: the public half of --audit-key.
        #[arg(long, value_name = "KEY", env = "DRIFTGATE_AUDIT_PUBLIC_KEY")]
        audit_public_key: Option<String>,
        /// The log key (a `driftgate keygen` file), for its public half.
        #[arg(long, value_name = "FILE", env = "DRIFTGATE_AUDIT_KEY")]
        audit_key: Option<PathBuf>,
    },
    /// Sign a checkpoint of the log (entry count, head hash, time) with the log key and send
    /// it to every --audit-checkpoint destination.
    Checkpoint(CheckpointArgs),
    /// Show the log's entries, filtered.
    Show(AuditShowArgs),
}

/// The log key and where checkpoints go (`apply` and `audit checkpoint`).
#[derive(Debug, Clone, Args)]
pub struct CheckpointArgs {
    /// The log key (Ed25519, made with `driftgate keygen --name auditlog --out FILE`): signs a
    /// checkpoint of the audit log after every apply. Keep it where the plan authors cannot
    /// read it (a protected CI secret).
    #[arg(long, value_name = "FILE", env = "DRIFTGATE_AUDIT_KEY")]
    pub audit_key: Option<PathBuf>,
    /// Where checkpoints go: a file (one a line), an https:// webhook, s3://bucket/prefix or
    /// postgres://... Repeat, or separate with commas.
    #[arg(
        long = "audit-checkpoint",
        value_name = "DEST",
        env = "DRIFTGATE_AUDIT_CHECKPOINT",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub audit_checkpoint: Vec<String>,
}

impl CheckpointArgs {
    pub fn options(&self) -> Result<ops::checkpoint::CheckpointOptions, Error> {
        Ok(ops::checkpoint::CheckpointOptions {
            key: self.audit_key.clone(),
            dests: self
                .audit_checkpoint
                .iter()
                .filter(|d| !d.trim().is_empty())
                .map(|d| crate::audit::sink::Dest::parse(d.trim()))
                .collect::<Result<_, _>>()?,
        })
    }
}

#[derive(Debug, Args)]
pub struct AuditShowArgs {
    /// Only entries of this command (scan, plan, apply, ...).
    #[arg(long, value_name = "COMMAND")]
    pub command: Option<String>,
    /// Only entries with this outcome (ok, drift, incomplete, refused, failed, skipped, intent).
    #[arg(long, value_name = "OUTCOME")]
    pub outcome: Option<crate::audit::Outcome>,
    /// Only entries at or after this time: RFC 3339 (2026-12-01T09:30:00Z) or a date
    /// (2026-12-01, from midnight UTC).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: Option<RulesCommand>,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Print a rule's explanation and example.
    Explain { id: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// `scan --format`: the report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormatArg {
    /// For people at a terminal or reading a CI log.
    Table,
    /// For machines (docs/json-output.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// For pull-request comments and job summaries.
    Markdown,
    /// JUnit XML, for CI test reports.
    Junit,
    /// One self-contained HTML page.
    Html,
}

impl From<ScanFormatArg> for ScanFormat {
    fn from(f: ScanFormatArg) -> Self {
        match f {
            ScanFormatArg::Table => ScanFormat::Table,
            ScanFormatArg::Json => ScanFormat::Json,
            ScanFormatArg::Sarif => ScanFormat::Sarif,
            ScanFormatArg::Markdown => ScanFormat::Markdown,
            ScanFormatArg::Junit => ScanFormat::Junit,
            ScanFormatArg::Html => ScanFormat::Html,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// A terraform state: a local file or s3://bucket/key. Repeat for several states.
    /// Default: ./terraform.tfstate.
    #[arg(long = "state", value_name = "STATE")]
    pub states: Vec<String>,
    /// AWS region to scan. Repeat for several. Default: the regions the states' resources live
    /// in, plus the configured region (AWS_REGION / profile).
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Output format. Whatever it is, when GITHUB_STEP_SUMMARY is set the Markdown report is
    /// appended to that file too.
    #[arg(long, value_enum, default_value_t = ScanFormatArg::Table)]
    pub format: ScanFormatArg,
    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Count AWS-owned objects (default VPC, default security groups, ...) as unmanaged, and
    /// treat resource types driftgate does not support yet as an incomplete scan.
    #[arg(long)]
    pub strict: bool,
    /// Replay a recorded observation (from `driftgate observe`) instead of calling AWS.
    #[arg(long, value_name = "FILE")]
    pub observed: Option<PathBuf>,
    /// Colors in the table: auto (a terminal, and NO_COLOR unset), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// The policy file (severities, ignores, fail_on). Default: ./driftgate.hcl when it exists.
    /// A ./.driftignore (driftctl's format) is read too.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Exit 2 only for findings at or above this severity (critical, high, medium, low, info);
    /// overrides the policy's `fail_on`. Default: info (any finding).
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<crate::model::Severity>,
    /// Exit 1 (incomplete) when recorded resources of unsupported types were not compared,
    /// even when the policy says `unchecked = "report"`. (Without a policy that is the
    /// default already.)
    #[arg(long)]
    pub fail_on_unchecked: bool,
    /// The terraform configuration directory (.tf files, local modules): findings get their
    /// source location, `lifecycle { ignore_changes }` is honoured, pending changes are listed,
    /// and a `backend "s3"` block gives the default state. Default: the current directory when
    /// it holds .tf files.
    #[arg(long, value_name = "DIR")]
    pub config: Option<PathBuf>,
    /// Print where the time went on stderr: wall time per phase (read, observe, diff,
    /// render) and the operations that took longest. A live JSON report carries the same as
    /// `timings`.
    #[arg(long)]
    pub timings: bool,
    /// Record the run in a history (a SQLite file, created when missing, or
    /// postgres://user:password@host/db): the JSON report then gives each finding its status
    /// (new, open) and first sighting, and lists what was resolved.
    #[arg(long, value_name = "FILE|URL")]
    pub history: Option<String>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// A terraform state: a local file or s3://bucket/key. Repeat for several states.
    /// Default: ./terraform.tfstate.
    #[arg(long = "state", value_name = "STATE")]
    pub states: Vec<String>,
    /// AWS region to scan. Repeat for several. Default: as for `scan`.
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// The terraform configuration directory. Default: as for `scan`.
    #[arg(long, value_name = "DIR")]
    pub config: Option<PathBuf>,
    /// The policy file. Default: ./driftgate.hcl when it exists.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Plan from a recorded observation (from `driftgate observe`) instead of calling AWS.
    /// `apply` always observes the live cloud again.
    #[arg(long, value_name = "FILE")]
    pub observed: Option<PathBuf>,
    /// As for `scan`: AWS-owned objects count, unsupported types make the scan incomplete.
    #[arg(long)]
    pub strict: bool,
    /// Plan only for findings at or above this severity (overrides the policy's `fail_on`).
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<crate::model::Severity>,
    /// Where to write the plan file.
    #[arg(long, value_name = "FILE", default_value = "driftgate.plan.json")]
    pub out: PathBuf,
    /// After writing the plan, submit its approval request to this approval service
    /// (`driftgate serve`; the client token in DRIFTGATE_SERVICE_TOKEN).
    #[arg(long, value_name = "URL")]
    pub request_approval: Option<String>,
    /// Plan only for these resources: an address glob (`aws_security_group.*`), or TYPE.ID for
    /// an unmanaged object. Repeat for several.
    #[arg(long = "target", value_name = "ADDRESS_GLOB")]
    pub targets: Vec<String>,
    /// Take the cloud's value into the configuration for changed resources whose address
    /// matches (repeatable; `*` and `?` are wildcards), instead of reverting the cloud.
    /// driftgate edits the block's literal values in the `.tf` file; needs the configuration.
    #[arg(long = "accept", value_name = "ADDRESS_GLOB")]
    pub accept: Vec<String>,
    /// How long the plan stays valid: a number and a unit (s, m, h, d), e.g. 30m, 24h, 7d.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_ttl)]
    pub ttl: time::Duration,
    /// Plan reverts that interrupt a running workload (an instance type: stop, change, start)
    /// instead of leaving them manual.
    #[arg(long)]
    pub allow_disruptive: bool,
    /// Plan the deletion of unmanaged objects instead of their import (subject to the
    /// guardrails: deleting an IAM principal is denied unless the policy relaxes it).
    #[arg(long)]
    pub delete_unmanaged: bool,
    /// Output format of the printed actions.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub notify: NotifyArgs,
    /// Sign the plan with this private key (`driftgate keygen`): its author is then the key.
    /// Required under a pinned trust root (an approver's key of the root).
    #[arg(long, value_name = "KEY")]
    pub sign: Option<PathBuf>,
    /// Colors in the table: auto, always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// The longest lifetime `--ttl` and `approve --expires` accept: a year (366 days, so that a
/// year from any date fits), measured as a duration whatever unit it is written in.
pub const MAX_TTL: time::Duration = time::Duration::days(366);

/// `30m`, `24h`, `7d`, `90s`: a positive whole number and a unit, at most [`MAX_TTL`]. Every
/// step is checked arithmetic: a number too large for any integer is the same usage error as
/// `500d`, never a panic (and never a time past the calendar's end when added to the clock).
pub fn parse_ttl(s: &str) -> Result<time::Duration, String> {
    let bad = || format!("`{s}` is not a duration like 30m, 24h or 7d");
    let too_long = || {
        format!(
            "`{s}`: a lifetime must be positive and at most a year ({} days)",
            MAX_TTL.whole_days()
        )
    };
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    if split == 0 {
        return Err(bad());
    }
    let unit: i64 = match &s[split..] {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    // All digits: a parse failure here is an overflow, i.e. far more than a year.
    let n: i64 = s[..split].parse().map_err(|_| too_long())?;
    let seconds = n.checked_mul(unit).ok_or_else(too_long)?;
    if seconds <= 0 || seconds > MAX_TTL.whole_seconds() {
        return Err(too_long());
    }
    Ok(time::Duration::seconds(seconds))
}

#[derive(Debug, Args)]
pub struct ObserveArgs {
    /// Where to write the observation (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// AWS region to observe. Repeat for several. Default: as for `scan`.
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// States whose sensitive values must be stored only as fingerprints (and whose regions
    /// are observed by default). Default: ./terraform.tfstate when it exists.
    #[arg(long = "state", value_name = "STATE")]
    pub states: Vec<String>,
}

/// Resolves the settings from the environment, the terminal and the clock.
pub fn settings_from_env(color: ColorChoice, audit_log: Option<PathBuf>) -> Settings {
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
    let stderr_tty = std::io::stderr().is_terminal();
    let stdout_tty = std::io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let now = time::OffsetDateTime::now_utc();
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let env = |name: &str| std::env::var(name).ok();
    Settings {
        progress: stderr_tty && !ci,
        color: match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stdout_tty && !no_color,
        },
        width: if stdout_tty {
            terminal_size::terminal_size().map(|(w, _)| usize::from(w.0))
        } else {
            None
        },
        fingerprint_key: std::env::var("DRIFTGATE_FINGERPRINT_KEY")
            .ok()
            .filter(|k| !k.is_empty())
            .map(String::into_bytes),
        today: now.date(),
        now,
        actor: resolve_actor(&env, &uid_user_name),
        args: std::env::args_os()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        audit_log: resolve_audit_log(audit_log, env("DRIFTGATE_AUDIT_LOG"), &cwd),
        step_summary: env("GITHUB_STEP_SUMMARY")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
        // Checked in `run` before any command starts; an invalid value never gets here.
        api_pace: api_pace().unwrap_or_default(),
        cwd,
        ci,
        ci_identity: crate::trust::identity::ci(&env),
        os_user: crate::trust::identity::os_user(&env),
        trust_pin: trust_pin(&env),
        trust_root: None,
    }
}

/// The operation's request for `driftgate trust ...`.
fn trust_request(c: TrustCommand) -> Result<ops::trust::TrustRequest, Error> {
    use ops::trust::{AgentRequest, Settable, TrustRequest, counts, pairs};
    Ok(match c {
        TrustCommand::Init {
            out,
            admins,
            threshold,
            expires,
            approvals,
            root_audit_log,
        } => TrustRequest::Init {
            out,
            admins: pairs(&admins, "--admin")?,
            threshold,
            expires,
            approvals,
            audit_log: root_audit_log,
        },
        TrustCommand::AddApprover {
            root,
            name,
            key,
            aws_principals,
            ci_actors,
            slack_user,
        } => TrustRequest::AddApprover {
            root,
            name,
            key,
            aws_principals,
            ci_actors,
            slack_user,
        },
        TrustCommand::RemoveApprover { root, name } => TrustRequest::RemoveApprover { root, name },
        TrustCommand::Set {
            root,
            approvals,
            severity,
            guardrails,
            add_admins,
            remove_admins,
            threshold,
            expires,
            root_audit_log,
            clients,
            remove_clients,
            chat_attestors,
            attest_for,
            remove_chat_attestors,
            from_key,
        } => TrustRequest::Set {
            root,
            change: Settable {
                approvals,
                severity: counts(&severity, "--severity")?,
                guardrails: counts(&guardrails, "--guardrail")?,
                add_admins: pairs(&add_admins, "--add-admin")?,
                remove_admins,
                threshold,
                expires,
                audit_log: root_audit_log,
                clients: pairs(&clients, "--client")?,
                remove_clients,
                chat_attestors: pairs(&chat_attestors, "--chat-attestor")?,
                attest_for,
                remove_chat_attestors,
                from_key: counts(&from_key, "--from-key")?,
            },
        },
        TrustCommand::Sign { root, key } => TrustRequest::Sign { root, key },
        TrustCommand::Show { root } => TrustRequest::Show { root },
        TrustCommand::AddAgent {
            root,
            name,
            kind,
            key,
            client,
        } => TrustRequest::Agent(AgentRequest::Add {
            root,
            name,
            kind,
            key,
            client,
        }),
        TrustCommand::RemoveAgent { root, name } => {
            TrustRequest::Agent(AgentRequest::Remove { root, name })
        }
        TrustCommand::AgentKind {
            root,
            kind,
            approvals,
            forbid,
        } => TrustRequest::Agent(AgentRequest::Kind {
            root,
            kind,
            approvals,
            forbid,
        }),
    })
}

/// DRIFTGATE_TRUST_ROOT (a path or `s3://bucket/key`) with DRIFTGATE_TRUST_ROOT_SHA256 and
/// DRIFTGATE_TRUST_ROOT_ADMINS (fingerprints or keys, separated by commas or spaces).
pub fn trust_pin(env: &dyn Fn(&str) -> Option<String>) -> Option<crate::trust::Pin> {
    let set = |n: &str| {
        env(n)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    Some(crate::trust::Pin {
        location: set("DRIFTGATE_TRUST_ROOT")?,
        sha256: set("DRIFTGATE_TRUST_ROOT_SHA256"),
        admins: set("DRIFTGATE_TRUST_ROOT_ADMINS")
            .map(|v| {
                v.split([',', ' ', '\n'])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// DRIFTGATE_API_PACE, parsed (unset: auto).
fn api_pace() -> Result<crate::provider::aws::pace::Pace, Error> {
    std::env::var("DRIFTGATE_API_PACE")
        .unwrap_or_default()
        .parse()
        .map_err(|e| Error::Usage(format!("DRIFTGATE_API_PACE: {e}")))
}

impl ScanArgs {
    /// The operation's options: what the user asked for, without clap.
    pub fn options(&self) -> ops::scan::ScanOptions {
        ops::scan::ScanOptions {
            states: self.states.clone(),
            regions: self.regions.clone(),
            format: self.format.into(),
            out: self.out.clone(),
            strict: self.strict,
            observed: self.observed.clone(),
            policy: self.policy.clone(),
            fail_on: self.fail_on,
            fail_on_unchecked: self.fail_on_unchecked,
            config: self.config.clone(),
            timings: self.timings,
            whole_objects: false,
            touched: None,
        }
    }
}

impl ReportArgs {
    /// The operation's options: what the user asked for, without clap.
    pub fn options(&self) -> Result<ops::report::ReportOptions, Error> {
        Ok(ops::report::ReportOptions {
            scan: ops::scan::ScanOptions {
                states: self.states.clone(),
                regions: self.regions.clone(),
                format: ops::ScanFormat::Json,
                out: None,
                strict: self.strict,
                observed: self.observed.clone(),
                policy: self.policy.clone(),
                fail_on: self.fail_on,
                fail_on_unchecked: self.fail_on_unchecked,
                config: self.config.clone(),
                timings: false,
                whole_objects: false,
                touched: None,
            },
            history: crate::history::Location::parse(&self.history)?,
            out_dir: self.out_dir.clone(),
            notify: self.notify.clone(),
            notify_format: self.notify_format,
            notify_always: self.notify_always,
        })
    }
}

impl ObserveArgs {
    /// The operation's options: what the user asked for, without clap.
    fn options(self) -> ops::observe::ObserveOptions {
        ops::observe::ObserveOptions {
            out: self.out,
            regions: self.regions,
            states: self.states,
        }
    }
}

impl McpArgs {
    /// The operation's options: what the user asked for, without clap.
    fn options(self) -> crate::mcp::McpOptions {
        crate::mcp::McpOptions {
            agent: self.agent,
            key: self.key,
            service: self.service,
            service_token: std::env::var(ops::serve::TOKEN_ENV).ok(),
            scan: ops::scan::ScanOptions {
                states: self.states,
                regions: self.regions,
                config: self.config,
                policy: self.policy,
                observed: self.observed,
                ..ops::scan::ScanOptions::default()
            },
        }
    }
}

impl HistoryArgs {
    /// The operation's options: what the user asked for, without clap.
    fn options(self) -> Result<ops::history::HistoryOptions, Error> {
        Ok(ops::history::HistoryOptions {
            location: crate::history::Location::parse(&self.history)?,
            format: self.format.into(),
            last: self.last,
        })
    }
}

impl ServeArgs {
    /// The operation's options: what the user asked for, without clap.
    fn options(self) -> Result<ops::serve::ServeOptions, Error> {
        Ok(ops::serve::ServeOptions {
            listen: self.listen,
            store: self.store,
            clients: self.clients,
            policy: self.policy,
            checkpoint: self.checkpoint.options()?,
            attestor_key: self.attestor_key,
            slack_channel: self.slack_channel,
            slack_api: self.slack_api,
            teams_webhooks: ops::trust::pairs(&self.teams_webhooks, "--teams-webhook")?,
            public_url: self.public_url,
            link_ttl: self.link_ttl,
        })
    }
}

impl ApplyArgs {
    /// The operation's options: what the user asked for, without clap.
    fn options(self) -> Result<ops::apply::ApplyOptions, Error> {
        Ok(ops::apply::ApplyOptions {
            plan: self.plan,
            approve: self.approve,
            dry_run: self.dry_run,
            config: self.config,
            policy: self.policy,
            format: self.format.into(),
            notify: self.notify.urls,
            notify_format: self.notify.notify_format,
            checkpoint: self.checkpoint.options()?,
            applied_store: self
                .applied_store
                .as_deref()
                .map(crate::store::Location::parse)
                .transpose()?,
            no_trust_root: self.no_trust_root,
            wait: self.approval_service.zip(
                self.wait
                    .map(|w| std::time::Duration::from_secs(w.whole_seconds().max(0) as u64)),
            ),
        })
    }
}

impl KeygenArgs {
    /// The operation's options: what the user asked for, without clap.
    fn options(self) -> ops::approve::KeygenOptions {
        ops::approve::KeygenOptions {
            name: self.name,
            out: self.out,
        }
    }
}

impl ApproveArgs {
    /// The operation's options: what the user asked for, without clap.
    fn options(self) -> ops::approve::ApproveOptions {
        ops::approve::ApproveOptions {
            plan: self.plan,
            key: self.key,
            expires: self.expires,
            policy: self.policy,
            deny: self.deny,
            service: self.service,
        }
    }
}

impl AuditCommand {
    /// The operation's request: what the user asked for, without clap.
    fn request(self) -> Result<ops::audit::AuditRequest, Error> {
        Ok(match self {
            AuditCommand::Verify {
                anchor,
                checkpoint,
                audit_public_key,
                audit_key,
            } => ops::audit::AuditRequest::Verify {
                anchor,
                checkpoint,
                public_key: audit_public_key,
                key: audit_key,
            },
            AuditCommand::Checkpoint(a) => ops::audit::AuditRequest::Checkpoint(a.options()?),
            AuditCommand::Show(a) => ops::audit::AuditRequest::Show {
                command: a.command,
                outcome: a.outcome,
                since: a.since,
                format: a.format.into(),
            },
        })
    }
}

impl PlanArgs {
    /// The operation's options: what the user asked for, without clap.
    pub fn options(&self) -> ops::plan::PlanCommand {
        ops::plan::PlanCommand {
            scan: ops::scan::ScanOptions {
                states: self.states.clone(),
                regions: self.regions.clone(),
                format: ScanFormat::Table,
                out: None,
                strict: self.strict,
                observed: self.observed.clone(),
                policy: self.policy.clone(),
                fail_on: self.fail_on,
                fail_on_unchecked: false,
                config: self.config.clone(),
                timings: false,
                whole_objects: true,
                touched: None,
            },
            out: self.out.clone(),
            targets: self.targets.clone(),
            accept: self.accept.clone(),
            ttl: self.ttl,
            allow_disruptive: self.allow_disruptive,
            delete_unmanaged: self.delete_unmanaged,
            format: self.format.into(),
            notify: self.notify.urls.clone(),
            notify_format: self.notify.notify_format,
            sign: self.sign.clone(),
        }
    }
}

impl From<Format> for ReportFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::Table => ReportFormat::Table,
            Format::Json => ReportFormat::Json,
        }
    }
}
/// The CI variables that name who started a job, in the order they are tried (GitHub
/// Actions, GitLab CI, Bitbucket Pipelines, CircleCI, Buildkite, Azure Pipelines, Jenkins with
/// the build-user-vars plugin).
const CI_ACTOR_VARS: &[&str] = &[
    "GITHUB_ACTOR",
    "GITLAB_USER_LOGIN",
    "BITBUCKET_STEP_TRIGGERER_UUID",
    "CIRCLE_USERNAME",
    "BUILDKITE_BUILD_CREATOR",
    "BUILD_REQUESTEDFOR",
    "BUILD_USER_ID",
];

/// DRIFTGATE_ACTOR, else the first CI actor variable set, else the OS user (USER, LOGNAME,
/// USERNAME), else `uid_name` (the name of the process's user id, for a container that sets
/// none of them), else `unknown`. Empty values count as unset.
pub fn resolve_actor(
    env: &dyn Fn(&str) -> Option<String>,
    uid_name: &dyn Fn() -> Option<String>,
) -> String {
    std::iter::once("DRIFTGATE_ACTOR")
        .chain(CI_ACTOR_VARS.iter().copied())
        .chain(["USER", "LOGNAME", "USERNAME"])
        .find_map(|name| env(name).filter(|v| !v.trim().is_empty()))
        .or_else(|| uid_name().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

/// The user name of the process's effective user id (getpwuid_r, through `whoami`: NSS users
/// included), when the system knows one.
pub fn uid_user_name() -> Option<String> {
    whoami::username().ok()
}

/// The flag, else the variable, else `.driftgate/audit.jsonl` in `cwd`.
pub fn resolve_audit_log(
    flag: Option<PathBuf>,
    env: Option<String>,
    cwd: &std::path::Path,
) -> PathBuf {
    flag.or_else(|| env.filter(|v| !v.is_empty()).map(PathBuf::from))
        .unwrap_or_else(|| cwd.join(".driftgate").join("audit.jsonl"))
}

/// Parse, run, print any error as a diagnostic on stderr, and return the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                // clap exits 2 for usage errors, which would read as "drift found".
                _ => ExitCode::from(1),
            };
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("{}", render_error(&e));
            ExitCode::from(1)
        }
    }
}

/// A diagnostic as text for stderr, through the masking layer like every other output: a URL
/// the user passed (a state location, a webhook) loses its credentials, query and path
/// secrets. Rendered without line wrapping first, so a URL is never split across lines
/// before it is masked.
///
/// A message that quotes someone else's text holding escape sequences or control characters
/// (a plan file's field, a file name) is rendered without colors and cleaned
/// (`mask::clean_text`): it cannot drive the terminal.
fn render_error(e: &Error) -> String {
    let mut text = String::new();
    let message = format!(
        "{e}{}",
        miette::Diagnostic::help(e)
            .map(|h| h.to_string())
            .unwrap_or_default()
    );
    let foreign = message.chars().any(|c| c.is_control() && c != '\n');
    let handler = if foreign {
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
    } else {
        miette::GraphicalReportHandler::new()
    }
    .with_width(usize::MAX / 4);
    if handler.render_report(&mut text, e).is_err() {
        text = e.to_string();
    }
    let text = crate::mask::mask_text(&text);
    if foreign {
        crate::mask::clean_text(&text)
    } else {
        text
    }
}

fn run(cli: Cli) -> Result<ops::Outcome, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::AwsConfig(format!("cannot start the async runtime: {e}")))?;
    api_pace()?;
    let audit_log = cli.audit_log;
    match cli.command {
        Command::Scan(args) => {
            let mut settings = settings_from_env(args.color, audit_log);
            runtime.block_on(ops::trust::pinned(&mut settings, "scan"))?;
            let history = args
                .history
                .as_deref()
                .map(crate::history::Location::parse)
                .transpose()?;
            runtime.block_on(ops::scan::run_recorded(
                &args.options(),
                history.as_ref(),
                &settings,
            ))
        }
        Command::Observe(args) => {
            let settings = settings_from_env(ColorChoice::Never, audit_log.clone());
            runtime.block_on(ops::observe::run(&args.options(), &settings))
        }
        Command::Merge(args) => ops::merge::run(&ops::merge::MergeOptions {
            reports: args.reports,
            fail_on: args.fail_on,
            out: args.out,
        }),
        Command::Rules(args) => ops::rules::run(match &args.command {
            None => None,
            Some(RulesCommand::Explain { id }) => Some(id.as_str()),
        }),
        Command::Plan(args) => {
            let mut settings = settings_from_env(args.color, audit_log.clone());
            runtime.block_on(ops::trust::pinned(&mut settings, "plan"))?;
            let outcome = runtime.block_on(ops::plan::run(&args.options(), &settings))?;
            if let Some(url) = &args.request_approval {
                runtime.block_on(ops::serve::request_approval(url, &args.out, &settings))?;
            }
            Ok(outcome)
        }
        Command::Mcp(args) => {
            let mut settings = settings_from_env(ColorChoice::Never, audit_log);
            runtime.block_on(ops::trust::pinned(&mut settings, "mcp"))?;
            runtime.block_on(crate::mcp::run(args.options(), settings))
        }
        Command::Serve(args) => {
            let mut settings = settings_from_env(ColorChoice::Never, audit_log);
            runtime.block_on(ops::trust::pinned(&mut settings, "serve"))?;
            runtime.block_on(ops::serve::run(&args.options()?, &settings))
        }
        Command::Apply(args) => {
            let mut settings = settings_from_env(ColorChoice::Never, audit_log);
            runtime.block_on(ops::trust::pinned(&mut settings, "apply"))?;
            let options = args.options()?;
            runtime.block_on(ops::apply::run(&options, &settings))
        }
        Command::Keygen(args) => {
            let settings = settings_from_env(ColorChoice::Never, audit_log);
            ops::approve::keygen(&args.options(), &settings)
        }
        Command::Trust(args) => {
            let settings = settings_from_env(ColorChoice::Never, audit_log);
            ops::trust::run(&trust_request(args.command)?, &settings)
        }
        Command::Approve(args) => {
            let mut settings = settings_from_env(ColorChoice::Never, audit_log);
            runtime.block_on(ops::trust::pinned(&mut settings, "approve"))?;
            ops::approve::approve(&args.options(), &settings)
        }
        Command::Audit(args) => {
            // Under a pinned root, the log is the root's: `--audit-log` cannot point `verify`,
            // `show` or `checkpoint` at another file.
            let mut settings = settings_from_env(ColorChoice::Never, audit_log);
            runtime.block_on(ops::trust::pinned(&mut settings, "audit"))?;
            let request = args.command.request()?;
            runtime.block_on(ops::audit::run(&request, &settings))
        }
        Command::Report(args) => {
            let settings = settings_from_env(ColorChoice::Never, audit_log);
            runtime.block_on(ops::report::run(&args.options()?, &settings))
        }
        Command::History(args) => {
            let settings = settings_from_env(ColorChoice::Never, audit_log);
            runtime.block_on(ops::history::run(&args.options()?, &settings))
        }
    }
}

#[cfg(test)]
mod ttl_tests {
    use super::{MAX_TTL, parse_ttl};
    use proptest::prelude::*;

    #[test]
    fn edges_of_the_ttl() {
        for ok in [
            "1s",
            "30m",
            "24h",
            "7d",
            "366d",
            "8784h",
            "527040m",
            "31622400s",
        ] {
            assert!(parse_ttl(ok).is_ok(), "{ok}");
        }
        for bad in [
            "500d",
            "367d",
            "8785h",
            "31622401s",
            "3000000d",
            "106751991167300d",
            "9223372036854775807s",
            "9223372036854775808s",
            "99999999999999999999999999999d",
            "0s",
            "0d",
            "-1d",
            "d",
            "",
            "1",
            "1w",
            "1dd",
            "+1d",
        ] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
        assert!(
            parse_ttl("3000000d")
                .unwrap_err()
                .contains("at most a year")
        );
    }

    proptest! {
        /// Any text: an error or a positive lifetime of at most a year, never a panic.
        #[test]
        fn any_text_parses_to_a_bounded_lifetime_or_an_error(s in "\\PC{0,40}") {
            if let Ok(d) = parse_ttl(&s) {
                prop_assert!(d.is_positive() && d <= MAX_TTL);
            }
        }

        /// Any number with any unit: accepted exactly when the duration it names (computed
        /// without overflow) is positive and at most a year.
        #[test]
        fn a_number_and_a_unit_is_accepted_iff_within_a_year(
            n in prop_oneof![0u128..=1_000_000u128, any::<u128>()],
            unit in prop::sample::select(vec![("s", 1u128), ("m", 60), ("h", 3600), ("d", 86_400)]),
        ) {
            let text = format!("{n}{}", unit.0);
            let seconds = n.checked_mul(unit.1);
            let within = seconds.is_some_and(|s| s > 0 && s <= MAX_TTL.whole_seconds() as u128);
            let got = parse_ttl(&text);
            prop_assert_eq!(got.is_ok(), within, "{}", text);
            if let (Ok(d), Some(s)) = (got, seconds) {
                prop_assert_eq!(d.whole_seconds() as u128, s);
                let far = time::macros::datetime!(9000-01-01 0:00 UTC);
                prop_assert!(far.checked_add(d).is_some());
            }
        }
    }
}

#[cfg(test)]
mod render_error_tests {
    use super::*;

    #[test]
    fn an_error_quoting_escape_sequences_cannot_drive_the_terminal() {
        let e = Error::Usage("bad value `x\u{1b}[2K\u{1b}]0;title\u{7}y`".into());
        let shown = render_error(&e);
        assert!(
            !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
            "{shown:?}"
        );
        assert!(shown.contains("xy"), "{shown}");
    }
}
