//! Notifications: a [`Message`] sent to webhook [`Target`]s (Slack incoming webhooks, Microsoft
//! Teams workflow and incoming webhooks, or any endpoint taking generic JSON).
//!
//! - [`Message`] is not tied to plans: `plan`, `apply` and the nightly `report` build one
//!   ([`message`] has the plan and apply builders) and call [`send`].
//! - [`body`] renders it per [`Format`] (pure): Slack gets `text` plus Block Kit `blocks`,
//!   Teams an Adaptive Card in a `message` attachment, anything else the generic JSON. Every
//!   string goes through `mask::mask_text` on the way out, like every other output.
//! - [`send`] posts with reqwest: a timeout per attempt, retries with exponential backoff on
//!   429 and 5xx (and on connection errors), and an [`Outcome`] per target. It never fails:
//!   the caller turns a failed outcome into a warning and an audit entry, never an exit code.

pub mod message;

use std::time::Duration;

use serde_json::{Value as J, json};

use crate::mask::{mask_text, mask_webhook};
use crate::model::policy_file::{Block, Problem};

/// The body's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `text` plus Block Kit `blocks`.
    Slack,
    /// An Adaptive Card (`type: message`, one attachment).
    Teams,
    /// The generic JSON (`driftgate_notification`).
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Slack, Format::Teams, Format::Json];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Slack => "slack",
            Format::Teams => "teams",
            Format::Json => "json",
        }
    }

    /// The format a webhook URL's host implies: `hooks.slack.com` is Slack; Teams incoming
    /// webhooks (`*.webhook.office.com`) and workflow webhooks (Power Automate:
    /// `*.logic.azure.com`, `*.powerplatform.com`, `*.powerautomate.com`) are Teams; anything
    /// else gets the generic JSON.
    pub fn infer(url: &str) -> Format {
        let host = url
            .split_once("://")
            .map_or(url, |(_, rest)| rest)
            .split(['/', '?', '#'])
            .next()
            .unwrap_or("")
            .rsplit('@')
            .next()
            .unwrap_or("")
            .split(':')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let under = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
        if host == "hooks.slack.com" {
            Format::Slack
        } else if under("webhook.office.com")
            || under("logic.azure.com")
            || under("powerplatform.com")
            || under("powerautomate.com")
        {
            Format::Teams
        } else {
            Format::Json
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a notification format (slack, teams, json)"))
    }
}

/// Where to send: a webhook URL (a secret: only its masked form is ever shown) and a format.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    pub url: String,
    pub format: Format,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Target({}, {})", self.shown(), self.format.as_str())
    }
}

/// Why `url` cannot be a webhook (it does not parse as an absolute `http`/`https` URL with a
/// host), its masked form in the message; `None` when it can.
pub fn invalid_url(url: &str) -> Option<String> {
    let why = match reqwest::Url::parse(url) {
        Err(e) => format!("it does not parse as a URL ({e})"),
        Ok(u) if !matches!(u.scheme(), "http" | "https") => {
            format!("its scheme is `{}`, not http or https", u.scheme())
        }
        Ok(u) if u.host_str().is_none_or(str::is_empty) => "it names no host".to_string(),
        Ok(_) => return None,
    };
    Some(format!(
        "the webhook URL {} cannot be used: {why}; give the whole URL, `https://...`",
        mask_webhook(url)
    ))
}

const NOTIFY_KEYS: &[&str] = &["url", "format"];

impl Target {
    /// Interprets a `notify { url = "..." format = "slack" }` block of the policy file.
    pub fn from_block(b: &Block) -> Result<Target, crate::error::Error> {
        Ok(Target::read(b)?)
    }

    fn read(b: &Block) -> Result<Target, Problem> {
        let attrs = b.attributes("a `notify` block", NOTIFY_KEYS)?;
        let Some(url) = attrs.get("url") else {
            return Err(b.invalid(
                b.ident_span.clone(),
                "this `notify` block has no `url`",
                "url missing",
                "add `url = \"https://hooks.slack.com/services/...\"` (a webhook URL)",
            ));
        };
        let url_text = b.string(url)?;
        if !(url_text.starts_with("https://") || url_text.starts_with("http://")) {
            return Err(b.invalid(
                url.value.span.clone(),
                "`url` must be an http(s) URL",
                "not a URL",
                "a webhook URL: https://hooks.slack.com/services/..., a Teams workflow URL, or any endpoint taking JSON",
            ));
        }
        let format = match attrs.get("format") {
            None => None,
            Some(f) => Some(b.string(f)?.parse().map_err(|e: String| {
                b.invalid(
                    f.value.span.clone(),
                    e,
                    "unknown format",
                    "slack, teams or json; leave it out to infer it from the URL",
                )
            })?),
        };
        Ok(Target::new(url_text, format))
    }

    /// A target; without a format, the one the URL implies ([`Format::infer`]).
    pub fn new(url: &str, format: Option<Format>) -> Target {
        Target {
            url: url.to_string(),
            format: format.unwrap_or_else(|| Format::infer(url)),
        }
    }

    /// The URL as messages and the audit log show it (credentials, path and query masked).
    pub fn shown(&self) -> String {
        mask_webhook(&self.url)
    }
}

/// A notification: a title, a one-line summary, facts (label, value), sections of lines, and
/// commands for the reader to run. `kind` names what it is about (`plan`, `apply`, `report`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub facts: Vec<(String, String)>,
    pub sections: Vec<Section>,
    pub commands: Vec<String>,
}

/// A heading and its lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    pub heading: String,
    pub lines: Vec<String>,
}

impl Message {
    /// The message with every string masked, and cleaned of escape sequences, control
    /// characters and line breaks (`mask::clean`): each string is one line of its own.
    fn masked(&self) -> Message {
        let m = |s: &String| crate::mask::clean(&mask_text(s));
        Message {
            kind: m(&self.kind),
            title: m(&self.title),
            summary: m(&self.summary),
            facts: self.facts.iter().map(|(k, v)| (m(k), m(v))).collect(),
            sections: self
                .sections
                .iter()
                .map(|s| Section {
                    heading: m(&s.heading),
                    lines: s.lines.iter().map(m).collect(),
                })
                .collect(),
            commands: self.commands.iter().map(m).collect(),
        }
    }

    /// Plain text: the title, summary, facts, sections and commands.
    pub fn text(&self) -> String {
        let mut out = format!("{}\n{}\n", self.title, self.summary);
        for (k, v) in &self.facts {
            out.push_str(&format!("{k}: {v}\n"));
        }
        for s in &self.sections {
            out.push_str(&format!("{}\n", s.heading));
            for l in &s.lines {
                out.push_str(&format!("  {l}\n"));
            }
        }
        for c in &self.commands {
            out.push_str(&format!("$ {c}\n"));
        }
        out
    }
}

/// The request body for `format`, every string masked.
pub fn body(format: Format, message: &Message) -> J {
    let m = message.masked();
    match format {
        Format::Slack => slack(&m),
        Format::Teams => teams(&m),
        Format::Json => json!({
            "driftgate_notification": 1,
            "kind": m.kind,
            "title": m.title,
            "summary": m.summary,
            "facts": m.facts.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
            "sections": m.sections.iter().map(|s| json!({"heading": s.heading, "lines": s.lines})).collect::<Vec<_>>(),
            "commands": m.commands,
        }),
    }
}

/// `@here`, `@channel`, `@everyone` (any case) with a look-alike at sign (U+FF20): shown,
/// never a mention.
fn no_mentions(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        let rest = &lower[i + c.len_utf8()..];
        if c == '@'
            && ["here", "channel", "everyone"]
                .iter()
                .any(|w| rest.starts_with(w))
        {
            out.push('\u{FF20}');
        } else {
            out.push(c);
        }
    }
    out
}

/// Slack's mrkdwn: `&`, `<` and `>` escaped (no `<!channel>`, `<http://x|y>` or `<@U1>`
/// survives), backticks made look-alikes (U+02CB: a name cannot close a code block), and no
/// `@here`-style mention. For every string Slack reads, `text` and blocks alike.
fn slack_escape(s: &str) -> String {
    no_mentions(
        &s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('`', "\u{02CB}"),
    )
}

/// Slack's `plain_text` (the header): no markup is read there, where `&lt;` would show as
/// such; angle brackets become look-alikes (U+2039, U+203A) and no mention survives.
fn slack_plain(s: &str) -> String {
    no_mentions(&s.replace('<', "\u{2039}").replace('>', "\u{203A}"))
}

/// Teams (Adaptive Card markdown, a CommonMark subset): every character that can start
/// markup is backslash-escaped (links `[x](y)`, emphasis, code, `<at>`, `{{DATE()}}`), and no
/// `@here`-style mention.
fn teams_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '*'
                | '_'
                | '['
                | ']'
                | '('
                | ')'
                | '`'
                | '~'
                | '{'
                | '}'
                | '<'
                | '>'
                | '#'
                | '!'
                | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    no_mentions(&out)
}

/// Slack limits a section's text to 3000 characters.
fn clip(s: String, max: usize) -> String {
    if s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn slack(m: &Message) -> J {
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": clip(slack_plain(&m.title), 150)}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": clip(slack_escape(&m.summary), 3000)}}),
    ];
    if !m.facts.is_empty() {
        let fields: Vec<J> = m
            .facts
            .iter()
            .take(10)
            .map(|(k, v)| {
                json!({"type": "mrkdwn", "text": clip(format!("*{}*\n{}", slack_escape(k), slack_escape(v)), 2000)})
            })
            .collect();
        blocks.push(json!({"type": "section", "fields": fields}));
    }
    for s in &m.sections {
        let lines: Vec<String> = s.lines.iter().map(|l| slack_escape(l)).collect();
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": clip(format!("*{}*\n{}", slack_escape(&s.heading), lines.join("\n")), 3000)}
        }));
    }
    if !m.commands.is_empty() {
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": clip(format!("```{}```", m.commands.iter().map(|c| slack_escape(c)).collect::<Vec<_>>().join("\n")), 3000)}
        }));
    }
    json!({"text": slack_escape(&format!("{}: {}", m.title, m.summary)), "blocks": blocks})
}

fn teams(m: &Message) -> J {
    let mut body = vec![
        json!({"type": "TextBlock", "size": "Large", "weight": "Bolder", "text": teams_escape(&m.title), "wrap": true}),
        json!({"type": "TextBlock", "text": teams_escape(&m.summary), "wrap": true}),
    ];
    if !m.facts.is_empty() {
        body.push(json!({
            "type": "FactSet",
            "facts": m.facts.iter().map(|(k, v)| json!({"title": teams_escape(k), "value": teams_escape(v)})).collect::<Vec<_>>()
        }));
    }
    for s in &m.sections {
        body.push(
            json!({"type": "TextBlock", "weight": "Bolder", "text": teams_escape(&s.heading), "wrap": true}),
        );
        let lines: Vec<String> = s.lines.iter().map(|l| teams_escape(l)).collect();
        body.push(json!({"type": "TextBlock", "text": lines.join("\n\n"), "wrap": true}));
    }
    for c in &m.commands {
        body.push(json!({"type": "TextBlock", "fontType": "Monospace", "text": teams_escape(c), "wrap": true}));
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body
            }
        }]
    })
}

/// How [`send`] tries.
#[derive(Debug, Clone, Copy)]
pub struct SendOptions {
    /// Per attempt.
    pub timeout: Duration,
    /// Attempts after the first, on 429, 5xx or a connection error.
    pub retries: u32,
    /// The first wait; doubled after each retry (a `Retry-After` of a few seconds is honoured
    /// when it is longer).
    pub backoff: Duration,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions {
            timeout: Duration::from_secs(10),
            retries: 3,
            backoff: Duration::from_millis(500),
        }
    }
}

/// What happened for one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The target's masked URL.
    pub target: String,
    pub format: Format,
    /// Attempts made.
    pub attempts: u32,
    /// `None`: delivered (a 2xx answer). Otherwise why not (masked).
    pub error: Option<String>,
}

impl Outcome {
    pub fn delivered(&self) -> bool {
        self.error.is_none()
    }
}

/// Sends `message` to every target, one after the other; never fails (see [`Outcome`]).
pub async fn send(targets: &[Target], message: &Message, options: &SendOptions) -> Vec<Outcome> {
    let client = reqwest::Client::builder()
        .timeout(options.timeout)
        .user_agent(concat!("driftgate/", env!("CARGO_PKG_VERSION")))
        .build();
    let mut out = Vec::new();
    for t in targets {
        let outcome = match &client {
            Ok(c) => send_one(c, t, message, options).await,
            Err(e) => Outcome {
                target: t.shown(),
                format: t.format,
                attempts: 0,
                error: Some(mask_text(&format!("cannot start an HTTP client: {e}"))),
            },
        };
        out.push(outcome);
    }
    out
}

async fn send_one(
    client: &reqwest::Client,
    t: &Target,
    message: &Message,
    options: &SendOptions,
) -> Outcome {
    let payload = serde_json::to_vec(&body(t.format, message)).unwrap_or_default();
    let mut wait = options.backoff;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let result = client
            .post(&t.url)
            .header("content-type", "application/json")
            .body(payload.clone())
            .send()
            .await;
        let (retry, error, retry_after) = match result {
            Ok(r) if r.status().is_success() => (false, None, None),
            Ok(r) => {
                let status = r.status();
                let after = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(|s| Duration::from_secs(s.min(30)));
                let retry = status.as_u16() == 429 || status.is_server_error();
                (retry, Some(format!("HTTP {status}")), after)
            }
            // reqwest's message names the URL; it is masked below.
            Err(e) => (true, Some(error_chain(&e)), None),
        };
        match error {
            None => {
                return Outcome {
                    target: t.shown(),
                    format: t.format,
                    attempts,
                    error: None,
                };
            }
            Some(e) if !retry || attempts > options.retries => {
                return Outcome {
                    target: t.shown(),
                    format: t.format,
                    attempts,
                    error: Some(mask_text(&e)),
                };
            }
            Some(_) => {
                tokio::time::sleep(retry_after.map_or(wait, |a| a.max(wait))).await;
                wait = wait.saturating_mul(2);
            }
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        s.push_str(&format!(": {inner}"));
        cur = inner.source();
    }
    s
}

#[cfg(test)]
mod tests;
