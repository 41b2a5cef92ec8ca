//! The five tools: their input schemas and what each does, through the same operations as the
//! CLI (`ops::scan::evaluate`, `ops::plan::make`, the service's client).

use serde_json::{Map, Value, json};

use super::{Answer, Failure, Inner};
use crate::model::plan::{ActionStatus, Plan};
use crate::ops::{ReportFormat, ScanFormat};

/// The default plan file, as for `driftgate plan`.
const DEFAULT_PLAN: &str = "driftgate.plan.json";

/// The JSON Schema of a tool's arguments.
pub(super) fn schema(tool: &str) -> Map<String, Value> {
    let plan_file = json!({
        "type": "string",
        "description": "A plan file name in the working directory (default driftgate.plan.json)."
    });
    let v = match tool {
        "explain_finding" => json!({
            "type": "object",
            "properties": {
                "finding": {
                    "type": "string",
                    "description": "The finding's address (aws_security_group.web), TYPE.ID for an unmanaged object, or its id."
                }
            },
            "required": ["finding"],
            "additionalProperties": false
        }),
        "plan" => json!({
            "type": "object",
            "properties": {
                "targets": {
                    "type": "array",
                    "items": { "type": "string" },
                    "description": "Address globs (aws_security_group.*) or TYPE.ID of unmanaged objects; all findings when absent."
                },
                "delete_unmanaged": {
                    "type": "boolean",
                    "description": "Plan the deletion of unmanaged objects instead of their import (subject to the guardrails and the trust root)."
                },
                "out": plan_file
            },
            "additionalProperties": false
        }),
        "request_approval" => json!({
            "type": "object",
            "properties": { "plan": plan_file },
            "additionalProperties": false
        }),
        "approval_status" => json!({
            "type": "object",
            "properties": {
                "digest": { "type": "string", "description": "The plan's digest (sha256:...)." },
                "plan": plan_file
            },
            "additionalProperties": false
        }),
        _ => json!({ "type": "object", "properties": {}, "additionalProperties": false }),
    };
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Runs one tool.
pub(super) async fn dispatch(
    inner: &Inner,
    tool: &str,
    args: &Map<String, Value>,
) -> Result<Answer, Failure> {
    let schema = schema(tool);
    let allowed: Vec<&str> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    if let Some(k) = args.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(Failure::Refused(format!(
            "`{tool}` takes no argument `{}`",
            crate::mask::clean(k)
        )));
    }
    match tool {
        "scan" => scan(inner).await,
        "explain_finding" => explain(inner, args).await,
        "plan" => plan(inner, args).await,
        "request_approval" => request_approval(inner, args).await,
        "approval_status" => approval_status(inner, args).await,
        _ => Err(Failure::Refused(format!(
            "no tool `{}`",
            crate::mask::clean(tool)
        ))),
    }
}

fn string_arg<'a>(args: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, Failure> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(Failure::Refused(format!("`{name}` is a string"))),
    }
}

/// The JSON report of a scan, as `scan --format json` prints it.
async fn report(inner: &Inner) -> Result<Value, Failure> {
    let ev = crate::ops::scan::evaluate_releasing(&inner.options.scan, &inner.settings).await?;
    let text = crate::ops::scan::render_report(ScanFormat::Json, &ev, &inner.settings, None);
    serde_json::from_str(&text)
        .map_err(|e| Failure::Refused(format!("the report is not JSON: {e}")))
}

async fn scan(inner: &Inner) -> Result<Answer, Failure> {
    Ok(Answer {
        value: report(inner).await?,
        plan: None,
    })
}

async fn explain(inner: &Inner, args: &Map<String, Value>) -> Result<Answer, Failure> {
    let wanted = string_arg(args, "finding")?
        .ok_or_else(|| Failure::Refused("`finding` is required".into()))?
        .trim()
        .to_string();
    let report = report(inner).await?;
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    let name = |f: &Value| -> String {
        f["address"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| {
                format!(
                    "{}.{}",
                    f["resource_type"]
                        .as_str()
                        .or(f["type"].as_str())
                        .unwrap_or(""),
                    f["id"].as_str().unwrap_or("")
                )
            })
    };
    let found = findings.iter().find(|f| {
        name(f) == wanted
            || f["id"].as_str() == Some(wanted.as_str())
            || f["fingerprint"].as_str() == Some(wanted.as_str())
    });
    let Some(f) = found else {
        let mut names: Vec<String> = findings.iter().map(name).collect();
        names.sort();
        names.dedup();
        return Err(Failure::Refused(format!(
            "no finding `{}` in this scan; its findings: {}",
            crate::mask::clean(&wanted),
            if names.is_empty() {
                "none".into()
            } else {
                names.join(", ")
            }
        )));
    };
    let rule = f["rule"].as_str().unwrap_or("");
    Ok(Answer {
        value: json!({
            "finding": f,
            "rule": rule,
            "explanation": crate::policy::rule_explain_text(rule),
        }),
        plan: None,
    })
}

/// A plan file name the agent gives: a plain name in the working directory, never a path.
fn plan_path(
    inner: &Inner,
    args: &Map<String, Value>,
    name: &str,
) -> Result<(String, std::path::PathBuf), Failure> {
    let file = string_arg(args, name)?.unwrap_or(DEFAULT_PLAN).to_string();
    let plain = !file.is_empty()
        && !file.starts_with('.')
        && file.ends_with(".json")
        && file
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !plain {
        return Err(Failure::Refused(format!(
            "`{name}` is a file name in the working directory ending in .json (letters, digits, `.`, `_`, `-`), not `{}`",
            crate::mask::clean(&file)
        )));
    }
    let path = inner.settings.cwd.join(&file);
    Ok((file, path))
}

async fn plan(inner: &Inner, args: &Map<String, Value>) -> Result<Answer, Failure> {
    let targets: Vec<String> = match args.get("targets") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|t| t.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| Failure::Refused("`targets` is a list of strings".into()))?,
        Some(_) => return Err(Failure::Refused("`targets` is a list of strings".into())),
    };
    let delete_unmanaged = match args.get("delete_unmanaged") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(Failure::Refused("`delete_unmanaged` is a boolean".into())),
    };
    let (file, path) = plan_path(inner, args, "out")?;
    let command = crate::ops::plan::PlanCommand {
        scan: inner.options.scan.clone(),
        out: path.clone(),
        targets,
        accept: Vec::new(),
        ttl: time::Duration::hours(24),
        allow_disruptive: false,
        delete_unmanaged,
        format: ReportFormat::Json,
        notify: Vec::new(),
        notify_format: None,
        sign: Some(inner.options.key.clone()),
    };
    let mut logged = crate::audit::Entry::new(
        &inner.settings.audit_origin(),
        "plan",
        crate::audit::Outcome::Ok,
    );
    let (plan, _) = crate::ops::plan::make(
        &command,
        &inner.settings,
        &mut logged,
        Some(&inner.agent.name),
    )
    .await?;
    let root = inner.settings.trust_root.as_ref();
    let forbidden = root.map(|r| r.agent_forbidden(&plan)).unwrap_or_default();
    if !forbidden.is_empty() {
        return Err(Failure::Refused(format!(
            "the trust root forbids agents of kind `{}` these actions, so `apply` would refuse the plan; plan without them (`targets`): {}",
            inner.agent.kind,
            forbidden.join("; ")
        )));
    }
    let written = plan.has_actions();
    if written {
        crate::render::emit(&crate::plan_file::write(&plan), Some(&path))?;
    }
    Ok(Answer {
        value: plan_answer(&plan, written.then_some(file.as_str()), root),
        plan: Some(plan.digest.clone()),
    })
}

/// What `plan` returns: where the plan is, its digest and author, the approvals it needs and
/// the summary an approver signs (masked).
fn plan_answer(
    plan: &Plan,
    file: Option<&str>,
    root: Option<&std::sync::Arc<crate::trust::Root>>,
) -> Value {
    let required = root
        .map_or(0, |r| r.required(plan))
        .max(crate::planner::guardrail::approvals_required(&plan.actions));
    json!({
        "plan_file": file,
        "digest": plan.digest,
        "author": {
            "kind": plan.author.kind,
            "agent": plan.author.agent,
            "key": plan.author.key,
        },
        "expires": crate::plan_file::wire::format_time(plan.expires_at),
        "actions": {
            "planned": plan.count(ActionStatus::Planned),
            "manual": plan.count(ActionStatus::Manual),
            "blocked": plan.count(ActionStatus::Blocked),
        },
        "approvals_required": required,
        "summary": crate::mask::clean_text(&crate::render::plan_summary::approval_summary(plan)),
        "next": if file.is_some() {
            "request_approval: people approve it (driftgate approve), then one of them applies it"
        } else {
            "nothing to do: no plan file was written"
        },
    })
}

/// The service's client, with the agent's token.
fn service(inner: &Inner) -> Result<crate::serve::client::Client, Failure> {
    let (Some(url), Some(token)) = (&inner.options.service, &inner.options.service_token) else {
        return Err(Failure::Refused(
            "no approval service: `driftgate mcp --service URL` with the agent's token in DRIFTGATE_SERVICE_TOKEN"
                .into(),
        ));
    };
    Ok(crate::serve::client::Client::new(url, token)?)
}

/// A request's state for the agent: the approval tokens left out (it has no use for them).
fn view(v: &crate::serve::View) -> Value {
    let mut value = serde_json::to_value(v).unwrap_or(Value::Null);
    if let Some(list) = value["approvals"].as_array_mut() {
        for a in list {
            if let Some(o) = a.as_object_mut() {
                o.remove("token");
            }
        }
    }
    value
}

async fn request_approval(inner: &Inner, args: &Map<String, Value>) -> Result<Answer, Failure> {
    let client = service(inner)?;
    let (file, path) = plan_path(inner, args, "plan")?;
    let text = std::fs::read_to_string(&path).map_err(|source| crate::error::Error::PlanRead {
        path: file.clone(),
        source,
    })?;
    let v = client.submit(&text).await?;
    Ok(Answer {
        value: json!({ "service": client.shown(), "request": view(&v) }),
        plan: Some(v.digest.clone()),
    })
}

async fn approval_status(inner: &Inner, args: &Map<String, Value>) -> Result<Answer, Failure> {
    let client = service(inner)?;
    let digest = match string_arg(args, "digest")? {
        Some(d) => d.trim().to_string(),
        None => {
            let (file, path) = plan_path(inner, args, "plan")?;
            let text =
                std::fs::read_to_string(&path).map_err(|source| crate::error::Error::PlanRead {
                    path: file.clone(),
                    source,
                })?;
            crate::plan_file::read(&file, &text, inner.settings.now)?.digest
        }
    };
    let v = client.status(&digest, std::time::Duration::ZERO).await?;
    Ok(Answer {
        value: json!({ "service": client.shown(), "request": view(&v) }),
        plan: Some(v.digest.clone()),
    })
}
