//! Slack: the request posted with Block Kit buttons (`chat.postMessage`), the message updated
//! in place as approvals and the verdict arrive (`chat.update`), replies to the one who
//! pressed a button (`chat.postEphemeral`), the Deny modal with its reason (`views.open`), and
//! the interactivity endpoint's checks ([`verify`], [`parse`]).
//!
//! - **The signature** is Slack's v0: HMAC-SHA256 with the app's signing secret over
//!   `v0:{X-Slack-Request-Timestamp}:{raw body}`, sent as `X-Slack-Signature: v0=<hex>`,
//!   compared in constant time (`hmac`'s `verify_slice`); a timestamp more than five minutes
//!   from the service's clock is refused, and the service refuses a signature it saw before.
//! - **The API base URL** is configurable (`--slack-api`): tests run a fake Slack on loopback.
//!   The bot token is sent as a bearer token and never printed.

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use time::OffsetDateTime;

use super::View;
use crate::error::{Error, Result};

/// How far a request's timestamp may be from the service's clock.
pub const WINDOW_SECS: i64 = 300;
/// The buttons' and the modal's ids.
pub const APPROVE: &str = "driftgate_approve";
pub const DENY: &str = "driftgate_deny";
/// The Deny modal's reason input (block and action id).
pub const REASON: &str = "reason";

/// The Slack app the service posts as.
#[derive(Clone)]
pub struct Slack {
    api: String,
    bot_token: String,
    secret: Vec<u8>,
    channel: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for Slack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slack")
            .field("api", &crate::mask::mask_url(&self.api))
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

/// A verified request's signature, kept until its timestamp leaves the window (a replay).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub signature: String,
    pub until: OffsetDateTime,
}

/// Checks Slack's signature of `body` at `now`. The signature (to refuse its replay) or why
/// the request is refused.
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: OffsetDateTime,
) -> std::result::Result<Seen, String> {
    let ts = timestamp.ok_or("no X-Slack-Request-Timestamp")?;
    let sig = signature.ok_or("no X-Slack-Signature")?;
    let secs: i64 = ts
        .trim()
        .parse()
        .map_err(|_| "X-Slack-Request-Timestamp is not a number of seconds")?;
    let at = OffsetDateTime::from_unix_timestamp(secs)
        .map_err(|_| "X-Slack-Request-Timestamp is out of range")?;
    if (now - at).whole_seconds().abs() > WINDOW_SECS {
        return Err(format!(
            "the request's timestamp is more than {WINDOW_SECS}s from the service's clock (stale or replayed)"
        ));
    }
    let given = sig
        .strip_prefix("v0=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or("X-Slack-Signature is not `v0=<hex>`")?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret).map_err(|_| "the signing secret is unusable")?;
    mac.update(format!("v0:{ts}:").as_bytes());
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| "the Slack signature does not verify (forged, or another signing secret)")?;
    Ok(Seen {
        signature: sig.to_string(),
        until: at + time::Duration::seconds(WINDOW_SECS),
    })
}

/// `v0=<hex>`: Slack's signature of `body` at `timestamp` (what a fake Slack sends).
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// What someone did in Slack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interaction {
    /// Pressed Approve on a request's message.
    Approve {
        digest: String,
        user: String,
        channel: Option<String>,
    },
    /// Pressed Deny: the service opens the modal that asks for the reason.
    DenyButton {
        digest: String,
        user: String,
        trigger: String,
    },
    /// Submitted the Deny modal (`reason` may be empty: refused).
    Deny {
        digest: String,
        user: String,
        reason: String,
    },
    /// Anything else (other apps' actions, closed modals): acknowledged, nothing done.
    Other,
}

impl Interaction {
    pub fn user(&self) -> Option<&str> {
        match self {
            Interaction::Approve { user, .. }
            | Interaction::DenyButton { user, .. }
            | Interaction::Deny { user, .. } => Some(user),
            Interaction::Other => None,
        }
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

/// Reads Slack's form-encoded body (`payload=<JSON>`).
pub fn parse(body: &[u8]) -> std::result::Result<Interaction, String> {
    let payload = form_urlencoded::parse(body)
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| v.into_owned())
        .ok_or("the body has no `payload`")?;
    let v: Value =
        serde_json::from_str(&payload).map_err(|_| "the `payload` is not JSON".to_string())?;
    let user = str_at(&v, &["user", "id"])
        .ok_or("the payload names no user")?
        .to_string();
    match v["type"].as_str() {
        Some("block_actions") => {
            let Some(action) = v["actions"].as_array().and_then(|a| a.first()) else {
                return Ok(Interaction::Other);
            };
            let digest = action["value"].as_str().unwrap_or_default().to_string();
            match action["action_id"].as_str() {
                Some(APPROVE) => Ok(Interaction::Approve {
                    digest,
                    user,
                    channel: str_at(&v, &["channel", "id"]).map(str::to_string),
                }),
                Some(DENY) => Ok(Interaction::DenyButton {
                    digest,
                    user,
                    trigger: v["trigger_id"].as_str().unwrap_or_default().to_string(),
                }),
                _ => Ok(Interaction::Other),
            }
        }
        Some("view_submission") if str_at(&v, &["view", "callback_id"]) == Some(DENY) => {
            Ok(Interaction::Deny {
                digest: str_at(&v, &["view", "private_metadata"])
                    .unwrap_or_default()
                    .to_string(),
                user,
                reason: str_at(&v, &["view", "state", "values", REASON, REASON, "value"])
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            })
        }
        _ => Ok(Interaction::Other),
    }
}

fn clip(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Where a request stands, in one line for the message.
pub fn status_line(v: &View) -> String {
    let who: Vec<&str> = v.approvals.iter().map(|a| a.approver.as_str()).collect();
    match (v.state.as_str(), &v.denial) {
        (_, Some(d)) => format!(":no_entry: Denied by {}: {}", d.by, d.reason),
        ("approved", _) => format!(":white_check_mark: Approved by {}", who.join(", ")),
        ("expired", _) => ":hourglass: Expired".into(),
        _ if who.is_empty() => format!("Waiting: 0 of {} approvals", v.required),
        _ => format!(
            "Waiting: {} of {} approvals ({})",
            who.len(),
            v.required,
            who.join(", ")
        ),
    }
}

/// The request's message: the masked summary, where it stands, and Approve / Deny while it
/// is pending.
pub fn blocks(v: &View, applied: bool) -> Value {
    let line = if applied {
        let who: Vec<&str> = v.approvals.iter().map(|a| a.approver.as_str()).collect();
        format!(":rocket: Applied (approved by {})", who.join(", "))
    } else {
        status_line(v)
    };
    let mut blocks = vec![
        json!({"type": "section", "text": {"type": "mrkdwn", "text": format!(
            "*driftgate: approval requested* for plan `{}` (policy `{}`)\n{}",
            v.digest, v.policy, line
        )}}),
        json!({"type": "section", "text": {"type": "mrkdwn",
            "text": format!("```{}```", clip(&v.summary.replace("```", "'''"), 2800))}}),
    ];
    if v.state == "pending" && !applied {
        blocks.push(
            json!({"type": "actions", "block_id": "driftgate", "elements": [
                {"type": "button", "action_id": APPROVE, "style": "primary", "value": v.digest,
                 "text": {"type": "plain_text", "text": "Approve"}},
                {"type": "button", "action_id": DENY, "style": "danger", "value": v.digest,
                 "text": {"type": "plain_text", "text": "Deny…"}},
            ]}),
        );
    }
    Value::Array(blocks)
}

/// The Deny modal: a required reason.
fn deny_modal(digest: &str) -> Value {
    json!({
        "type": "modal",
        "callback_id": DENY,
        "private_metadata": digest,
        "title": {"type": "plain_text", "text": "Deny the plan"},
        "submit": {"type": "plain_text", "text": "Deny"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [{
            "type": "input",
            "block_id": REASON,
            "label": {"type": "plain_text", "text": "Why (shown to the requester)"},
            "element": {"type": "plain_text_input", "action_id": REASON, "multiline": true}
        }]
    })
}

impl Slack {
    pub fn new(api: &str, bot_token: &str, signing_secret: &str, channel: &str) -> Result<Slack> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("driftgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::ServeStart {
                reason: format!("Slack client: {e}"),
            })?;
        Ok(Slack {
            api: api.trim_end_matches('/').to_string(),
            bot_token: bot_token.trim().to_string(),
            secret: signing_secret.trim().as_bytes().to_vec(),
            channel: channel.to_string(),
            http,
        })
    }

    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// One Web API call; Slack's `error` when it answers `"ok": false`.
    async fn call(&self, method: &str, body: Value) -> std::result::Result<Value, String> {
        let r = self
            .http
            .post(format!("{}/{method}", self.api))
            .bearer_auth(&self.bot_token)
            .header("content-type", "application/json; charset=utf-8")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| format!("{method}: {}", e.without_url()))?;
        let text = r
            .text()
            .await
            .map_err(|e| format!("{method}: {}", e.without_url()))?;
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if v["ok"] != true {
            return Err(format!(
                "{method}: {}",
                crate::mask::clean(v["error"].as_str().unwrap_or("not ok"))
            ));
        }
        Ok(v)
    }

    /// Posts the request; the message's channel and timestamp (to update it).
    pub async fn post(&self, v: &View) -> std::result::Result<(String, String), String> {
        let r = self
            .call(
                "chat.postMessage",
                json!({"channel": self.channel, "text": format!("driftgate: approval requested for {}", v.digest),
                       "blocks": blocks(v, false)}),
            )
            .await?;
        let channel = r["channel"].as_str().unwrap_or(&self.channel).to_string();
        let ts = r["ts"].as_str().ok_or("chat.postMessage: no `ts`")?;
        Ok((channel, ts.to_string()))
    }

    /// Updates the request's message in place.
    pub async fn update(
        &self,
        (channel, ts): &(String, String),
        v: &View,
        applied: bool,
    ) -> std::result::Result<(), String> {
        self.call(
            "chat.update",
            json!({"channel": channel, "ts": ts, "text": status_line(v), "blocks": blocks(v, applied)}),
        )
        .await
        .map(|_| ())
    }

    /// A reply only `user` sees.
    pub async fn tell(&self, channel: Option<&str>, user: &str, text: &str) {
        let channel = channel.unwrap_or(&self.channel);
        // A reply that cannot be sent changes nothing: the audit log has the refusal.
        let _ = self
            .call(
                "chat.postEphemeral",
                json!({"channel": channel, "user": user, "text": text}),
            )
            .await;
    }

    /// Opens the Deny modal.
    pub async fn open_deny(&self, trigger: &str, digest: &str) -> std::result::Result<(), String> {
        self.call(
            "views.open",
            json!({"trigger_id": trigger, "view": deny_modal(digest)}),
        )
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(secs).unwrap()
    }

    #[test]
    fn a_signature_verifies_only_with_the_secret_the_body_and_a_fresh_timestamp() {
        let body = b"payload=%7B%7D";
        let ts = NOW.to_string();
        let sig = sign(b"secret", &ts, body);
        let seen = verify(b"secret", Some(&ts), Some(&sig), body, at(NOW + 10)).unwrap();
        assert_eq!(seen.until, at(NOW + WINDOW_SECS));
        assert!(verify(b"other", Some(&ts), Some(&sig), body, at(NOW)).is_err());
        assert!(verify(b"secret", Some(&ts), Some(&sig), b"payload=x", at(NOW)).is_err());
        let stale = verify(b"secret", Some(&ts), Some(&sig), body, at(NOW + 301)).unwrap_err();
        assert!(stale.contains("more than 300s"), "{stale}");
        assert!(verify(b"secret", Some(&ts), Some(&sig), body, at(NOW - 301)).is_err());
        assert!(verify(b"secret", None, Some(&sig), body, at(NOW)).is_err());
        assert!(verify(b"secret", Some(&ts), Some("v0=zz"), body, at(NOW)).is_err());
        assert!(verify(b"secret", Some(&ts), None, body, at(NOW)).is_err());
    }

    #[test]
    fn interactions_are_read_from_the_form_encoded_payload() {
        let form = |v: Value| {
            form_urlencoded::Serializer::new(String::new())
                .append_pair("payload", &v.to_string())
                .finish()
        };
        let approve = form(json!({"type": "block_actions", "user": {"id": "U1"},
            "channel": {"id": "C1"}, "trigger_id": "t",
            "actions": [{"action_id": APPROVE, "value": "sha256:ab"}]}));
        assert_eq!(
            parse(approve.as_bytes()).unwrap(),
            Interaction::Approve {
                digest: "sha256:ab".into(),
                user: "U1".into(),
                channel: Some("C1".into())
            }
        );
        let deny = form(json!({"type": "view_submission", "user": {"id": "U2"},
            "view": {"callback_id": DENY, "private_metadata": "sha256:ab",
              "state": {"values": {"reason": {"reason": {"value": " freeze "}}}}}}));
        assert_eq!(
            parse(deny.as_bytes()).unwrap(),
            Interaction::Deny {
                digest: "sha256:ab".into(),
                user: "U2".into(),
                reason: "freeze".into()
            }
        );
        assert!(parse(b"nothing=1").is_err());
        let other = form(json!({"type": "shortcut", "user": {"id": "U3"}}));
        assert_eq!(parse(other.as_bytes()).unwrap(), Interaction::Other);
    }
}
