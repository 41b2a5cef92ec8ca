//! `driftgate mcp`: the Model Context Protocol over stdio (the official Rust SDK, `rmcp`), for
//! AI agents that **propose, never dispose**.
//!
//! - **Five tools** ([`TOOLS`]): `scan`, `explain_finding`, `plan`, `request_approval`,
//!   `approval_status`. There is no approve or apply tool, and no tool takes a key, a token or
//!   a path outside the working directory.
//! - **The agent is the trust root's** (`crate::trust::agent`): the server starts only under a
//!   pinned root that lists `--agent NAME` with the key in `--key FILE`; every plan it writes
//!   is signed with that key and says `author.kind = "agent"`, `author.agent = NAME`.
//! - **Every call audited**: one `mcp` entry per tool call in the hash-chained log, with the
//!   tool, the agent, its kind and key fingerprint, the outcome, and the plan digest when one
//!   is known.
//! - **Masked as the CLI is**: results are the CLI's own renderings (the JSON report, the
//!   approver's summary), passed again through `mask::mask_text` and `mask::clean_output`;
//!   errors are masked as `cli` masks a diagnostic. Nothing is printed on stdout (it is the
//!   protocol's): notices go to stderr.

mod tools;

use std::path::PathBuf;
use std::sync::Arc;

use rmcp::ServiceExt as _;
use rmcp::handler::server::ServerHandler;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorData,
    Implementation, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
    Tool,
};
use rmcp::service::{RequestContext, RoleServer};

use crate::error::{Error, Result};
use crate::ops::scan::ScanOptions;
use crate::ops::{Outcome, Settings};

/// The tools, in the order `tools/list` gives them: name and what the agent is told.
pub const TOOLS: &[(&str, &str)] = &[
    (
        "scan",
        "Scan for drift between the terraform state/configuration and AWS. Returns the JSON report (findings with masked values), as `driftgate scan --format json` prints it.",
    ),
    (
        "explain_finding",
        "Explain one finding of a scan: the finding (masked) and its rule's explanation. `finding` is its address (aws_security_group.web), TYPE.ID for an unmanaged object, or its id.",
    ),
    (
        "plan",
        "Write a remediation plan file for the findings (all, or `targets`), signed as this agent's. Returns its digest, the summary an approver signs and the approvals it needs. It is only a proposal: people approve, and `driftgate apply` runs it.",
    ),
    (
        "request_approval",
        "Submit a plan file written by `plan` to the approval service, as `driftgate plan --request-approval` does. Returns the request's state.",
    ),
    (
        "approval_status",
        "The state of a plan's approval request on the approval service: pending, approved (by whom), denied (by whom, why) or expired.",
    ),
];

/// What `driftgate mcp` was asked for.
#[derive(Debug, Clone)]
pub struct McpOptions {
    /// The agent's name in the trust root.
    pub agent: String,
    /// The agent's private key file (`driftgate keygen`, mode 0600).
    pub key: PathBuf,
    /// What `scan` and `plan` read: states, regions, configuration, policy, observation.
    pub scan: ScanOptions,
    /// The approval service (`driftgate serve`), for `request_approval` and `approval_status`.
    pub service: Option<String>,
    /// The agent's bearer token for the service (DRIFTGATE_SERVICE_TOKEN); never shown.
    pub service_token: Option<String>,
}

/// The agent, as the root lists it.
#[derive(Debug, Clone)]
struct Agent {
    name: String,
    kind: String,
    fingerprint: String,
}

/// Everything a tool call needs; shared by the calls.
struct Inner {
    options: McpOptions,
    settings: Settings,
    agent: Agent,
}

#[derive(Clone)]
struct Server(Arc<Inner>);

/// Checks the agent against the pinned root, then serves on stdin/stdout until the client
/// closes them.
pub async fn run(options: McpOptions, settings: Settings) -> Result<Outcome> {
    let agent = identify(&options, &settings)?;
    let settings = Settings {
        progress: false,
        color: false,
        width: None,
        ..settings
    };
    let log = crate::audit::Log::open(&settings.audit_log);
    log.append(&audited(
        &settings,
        &agent,
        "start",
        crate::audit::Outcome::Ok,
    ))?;
    crate::render::notice::line(&format!(
        "driftgate mcp: agent `{}` (kind {}, {}) on stdio: tools {}",
        agent.name,
        agent.kind,
        agent.fingerprint,
        TOOLS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
    ));
    let server = Server(Arc::new(Inner {
        options,
        settings,
        agent,
    }));
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| Error::ServeStart {
            reason: format!("MCP initialization: {e}"),
        })?;
    running.waiting().await.map_err(|e| Error::ServeStart {
        reason: format!("MCP session: {e}"),
    })?;
    Ok(Outcome::Clean)
}

/// The agent `options` names, when the pinned root lists it with this key.
fn identify(options: &McpOptions, settings: &Settings) -> Result<Agent> {
    let refuse = |reason: String| Error::TrustRefused { reason };
    let Some(root) = &settings.trust_root else {
        return Err(refuse(
            "`driftgate mcp` runs under a pinned trust root (DRIFTGATE_TRUST_ROOT with DRIFTGATE_TRUST_ROOT_SHA256 or _ADMINS) that lists the agent: its identity is the root's, never its own word".into(),
        ));
    };
    let key = crate::ops::approve::read_key(&options.key)?;
    match root.agents.get(&options.agent) {
        Some(a) if a.key == key.public() => Ok(Agent {
            name: options.agent.clone(),
            kind: a.kind.clone(),
            fingerprint: key.public().fingerprint(),
        }),
        Some(_) => Err(refuse(format!(
            "the key in {} is not agent `{}`'s in the trust root (version {})",
            crate::ops::display_path(&options.key),
            crate::mask::clean(&options.agent),
            root.version()
        ))),
        None => Err(refuse(format!(
            "the trust root (version {}) lists no agent `{}`: `driftgate trust add-agent`",
            root.version(),
            crate::mask::clean(&options.agent)
        ))),
    }
}

/// The audit entry of one tool call (or the server's start).
fn audited(
    settings: &Settings,
    agent: &Agent,
    tool: &str,
    outcome: crate::audit::Outcome,
) -> crate::audit::Entry {
    crate::ops::trust::details(
        crate::audit::Entry::new(&settings.audit_origin(), "mcp", outcome),
        settings,
    )
    .detail("tool", tool)
    .detail("agent", &agent.name)
    .detail("agent_kind", &agent.kind)
    .detail("agent_key", &agent.fingerprint)
}

/// Text someone else may have written, or a value from state or cloud, as it may leave:
/// masked as the CLI's output is, and cleaned of control characters.
pub fn masked(text: &str) -> String {
    crate::mask::clean_output(&crate::mask::mask_text(text)).into_owned()
}

/// An error as the agent sees it: the diagnostic and its help, masked.
fn error_text(e: &Error) -> String {
    let help = miette::Diagnostic::help(e)
        .map(|h| format!(" ({h})"))
        .unwrap_or_default();
    masked(&format!("{e}{help}"))
}

/// A tool's answer, before it is audited and sent.
pub(crate) struct Answer {
    /// The result (masked JSON).
    pub value: serde_json::Value,
    /// The plan digest the call was about, for the audit entry.
    pub plan: Option<String>,
}

/// A tool's refusal or failure.
pub(crate) enum Failure {
    /// Bad arguments or a refusal (nothing was done).
    Refused(String),
    /// An operation's error.
    Failed(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Failed(e)
    }
}

impl Inner {
    /// Runs one tool call on a thread of its own with its own runtime (the operations are
    /// not all `Send`), audits it, and makes the result.
    async fn call(
        self: Arc<Self>,
        name: String,
        args: serde_json::Map<String, serde_json::Value>,
    ) -> CallToolResult {
        let me = self.clone();
        let tool = name.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let result = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(tools::dispatch(&me, &tool, &args)),
                Err(e) => Err(Failure::Refused(format!("cannot start a runtime: {e}"))),
            };
            let _ = tx.send(result);
        });
        let result = rx
            .await
            .unwrap_or_else(|_| Err(Failure::Refused("the tool call ended unexpectedly".into())));
        let (outcome, reason, plan) = match &result {
            Ok(a) => (crate::audit::Outcome::Ok, None, a.plan.clone()),
            Err(Failure::Refused(why)) => (crate::audit::Outcome::Refused, Some(masked(why)), None),
            Err(Failure::Failed(e)) => (crate::audit::Outcome::Failed, Some(error_text(e)), None),
        };
        let mut entry = audited(&self.settings, &self.agent, &name, outcome);
        if let Some(p) = plan {
            entry = entry.plan(p);
        }
        if let Some(r) = &reason {
            entry = entry.reason(r.clone());
        }
        // A call whose entry cannot be written is answered as failed: nothing goes unaudited.
        if let Err(e) = crate::audit::Log::open(&self.settings.audit_log).append(&entry) {
            return CallToolResult::error(vec![ContentBlock::text(error_text(&e))]);
        }
        match (result, reason) {
            (Ok(a), _) => {
                // The value is made of the CLI's masked renderings; masked again as text.
                let text = masked(&serde_json::to_string_pretty(&a.value).unwrap_or_default());
                let value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
                let mut r = CallToolResult::structured(value);
                r.content = vec![ContentBlock::text(text)];
                r
            }
            (Err(_), reason) => {
                CallToolResult::error(vec![ContentBlock::text(reason.unwrap_or_default())])
            }
        }
    }
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("driftgate", env!("CARGO_PKG_VERSION")))
            .with_instructions(format!(
                "driftgate: Terraform drift detection for AWS. You are agent `{}` (kind {}). You may scan, explain findings, write plans and request their approval; people approve plans and apply them, never you.",
                self.0.agent.name, self.0.agent.kind
            ))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _cx: RequestContext<RoleServer>,
    ) -> std::result::Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            TOOLS
                .iter()
                .map(|(name, description)| {
                    Tool::new(*name, *description, Arc::new(tools::schema(name)))
                })
                .collect(),
        ))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        if !TOOLS.iter().any(|(n, _)| *n == name) {
            let why = format!(
                "no tool `{}`: the tools are {} (an agent proposes; people approve and apply)",
                crate::mask::clean(&name),
                TOOLS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            );
            // Asked for all the same (an `approve`, an `apply`): audited as refused.
            let inner = &self.0;
            let entry = audited(
                &inner.settings,
                &inner.agent,
                &crate::mask::clean(&name),
                crate::audit::Outcome::Refused,
            )
            .reason(why.clone());
            if let Err(e) = crate::audit::Log::open(&inner.settings.audit_log).append(&entry) {
                return Err(ErrorData::internal_error(error_text(&e), None));
            }
            return Err(ErrorData::invalid_params(why, None));
        }
        let args = request.arguments.unwrap_or_default();
        Ok(self.0.clone().call(name, args).await.into())
    }
}
