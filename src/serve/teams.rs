//! Teams (and any chat with incoming webhooks): each approver gets, on their own webhook, a
//! card with the request's summary and a **signed link** to the service's approval page
//! (`GET /approve/{digest}`), where they approve or deny (with a reason).
//!
//! - **The link** carries the approver's name and an expiry, signed (Ed25519) by the
//!   service's attestor key over `driftgate-approval-link-v1\0{digest}\0{approver}\0{expires}`:
//!   it binds one request and one approver, and expires (at the latest with the plan). Anyone
//!   holding the link acts as that approver on that request until then: it is sent to that
//!   approver's own webhook only.
//! - **What counts** is decided as for Slack: the link's approver must be one the root lets
//!   the attestor attest for, and never the plan's author by any identity.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::View;
use crate::error::{Error, Result};
use crate::model::keys::KeyFile;

const LINK_DOMAIN: &[u8] = b"driftgate-approval-link-v1\0";

/// The webhooks and the key that signs the links.
#[derive(Clone)]
pub struct Teams {
    /// The service's address as approvers reach it (`--public-url`).
    public_url: String,
    /// Approver name -> their webhook URL.
    webhooks: BTreeMap<String, String>,
    key: Arc<KeyFile>,
    /// How long a link lives (it never outlives the plan).
    ttl: time::Duration,
    http: reqwest::Client,
}

impl std::fmt::Debug for Teams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Teams")
            .field("public_url", &self.public_url)
            .field("approvers", &self.webhooks.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A link's query: who, until when, and the signature.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Link {
    pub approver: String,
    pub expires: i64,
    pub sig: String,
}

fn message(digest: &str, approver: &str, expires: i64) -> Vec<u8> {
    format!("{digest}\0{approver}\0{expires}").into_bytes()
}

impl Teams {
    pub fn new(
        public_url: &str,
        webhooks: BTreeMap<String, String>,
        key: Arc<KeyFile>,
        ttl: time::Duration,
    ) -> Result<Teams> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::ServeStart {
                reason: format!("Teams client: {e}"),
            })?;
        Ok(Teams {
            public_url: public_url.trim_end_matches('/').to_string(),
            webhooks,
            key,
            ttl,
            http,
        })
    }

    /// The signed link for `approver` to the request of `digest`, expiring at `expires`.
    pub fn link(&self, digest: &str, approver: &str, expires: OffsetDateTime) -> String {
        let at = expires.unix_timestamp();
        let sig = self.key.sign(LINK_DOMAIN, &message(digest, approver, at));
        format!(
            "{}/approve/{}?approver={approver}&expires={at}&sig={}",
            self.public_url,
            percent_encoding::utf8_percent_encode(digest, percent_encoding::NON_ALPHANUMERIC),
            URL_SAFE_NO_PAD.encode(sig)
        )
    }

    /// Whether `link` is one this service signed for the request of `digest`, unexpired.
    pub fn check(
        &self,
        digest: &str,
        link: &Link,
        now: OffsetDateTime,
    ) -> std::result::Result<(), String> {
        let sig: [u8; 64] = URL_SAFE_NO_PAD
            .decode(&link.sig)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or("the link's signature is not 64 bytes of base64url")?;
        let m = message(digest, &link.approver, link.expires);
        if !self.key.public().verifies(LINK_DOMAIN, &m, &sig) {
            return Err("the link's signature does not verify (altered, or another request's or approver's)".into());
        }
        if now.unix_timestamp() >= link.expires {
            return Err("the link has expired".into());
        }
        Ok(())
    }

    /// Sends each approver with a webhook (other than the plan's author, whom the service
    /// cannot know here: their page refuses them) a card with their own link.
    pub async fn post(&self, v: &View, now: OffsetDateTime) {
        let plan_end = super::parse_time(&v.expires).unwrap_or(now);
        let expires = (now + self.ttl).min(plan_end);
        for (approver, url) in &self.webhooks {
            let link = self.link(&v.digest, approver, expires);
            // A webhook that fails changes nothing in the service: the request stands, and
            // the approver can be sent the link again by restarting nothing (GET it below).
            let _ = self
                .http
                .post(url)
                .header("content-type", "application/json")
                .body(card(v, approver, &link).to_string())
                .send()
                .await;
        }
    }
}

/// An Adaptive Card in a Teams message: the summary and the approver's link.
fn card(v: &View, approver: &str, link: &str) -> Value {
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    {"type": "TextBlock", "weight": "Bolder", "wrap": true,
                     "text": format!("driftgate: approval requested for {}", v.digest)},
                    {"type": "TextBlock", "wrap": true, "fontType": "Monospace", "text": v.summary},
                    {"type": "TextBlock", "wrap": true, "isSubtle": true,
                     "text": format!("This link is yours ({approver}): it approves or denies this plan as you. Do not forward it.")},
                ],
                "actions": [{"type": "Action.OpenUrl", "title": "Review, approve or deny", "url": link}]
            }
        }]
    })
}

/// `&`, `<`, `>`, `"` and `'` escaped for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The approval page: the request as it stands, and (while it is pending) Approve and Deny
/// forms that carry the link back.
pub fn page(v: &View, link: &Link, note: Option<&str>) -> String {
    let hidden = format!(
        "<input type=\"hidden\" name=\"approver\" value=\"{}\"><input type=\"hidden\" name=\"expires\" value=\"{}\"><input type=\"hidden\" name=\"sig\" value=\"{}\">",
        escape(&link.approver),
        link.expires,
        escape(&link.sig)
    );
    let forms = if v.state == "pending" {
        format!(
            "<form method=\"post\">{hidden}<input type=\"hidden\" name=\"action\" value=\"approve\"><button>Approve as {who}</button></form>\
             <form method=\"post\">{hidden}<input type=\"hidden\" name=\"action\" value=\"deny\"><label>Reason (shown to the requester) <textarea name=\"reason\" required></textarea></label><button>Deny</button></form>",
            who = escape(&link.approver)
        )
    } else {
        String::new()
    };
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>driftgate approval</title></head><body>\
         <h1>Plan {digest}</h1><p>{note}</p><p>{status}</p><pre>{summary}</pre>{forms}</body></html>\n",
        digest = escape(&v.digest),
        note = escape(note.unwrap_or("")),
        status = escape(&super::slack::status_line(v)),
        summary = escape(&v.summary),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn teams() -> Teams {
        Teams::new(
            "http://127.0.0.1:1",
            BTreeMap::new(),
            Arc::new(KeyFile::from_seed("svc", [9; 32])),
            time::Duration::hours(1),
        )
        .unwrap()
    }

    fn parse(url: &str) -> Link {
        let q = url.split_once('?').unwrap().1;
        let f: BTreeMap<String, String> =
            form_urlencoded::parse(q.as_bytes()).into_owned().collect();
        Link {
            approver: f["approver"].clone(),
            expires: f["expires"].parse().unwrap(),
            sig: f["sig"].clone(),
        }
    }

    #[test]
    fn a_link_binds_the_request_the_approver_and_its_expiry() {
        let t = teams();
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let url = t.link("sha256:ab", "alice", now + time::Duration::minutes(5));
        assert!(url.starts_with("http://127.0.0.1:1/approve/sha256%3Aab?approver=alice&"));
        let link = parse(&url);
        assert!(t.check("sha256:ab", &link, now).is_ok());
        assert!(t.check("sha256:cd", &link, now).is_err());
        let bob = Link {
            approver: "bob".into(),
            ..link.clone()
        };
        assert!(t.check("sha256:ab", &bob, now).is_err());
        let later = Link {
            expires: link.expires + 3600,
            ..link.clone()
        };
        assert!(t.check("sha256:ab", &later, now).is_err());
        let e = t
            .check("sha256:ab", &link, now + time::Duration::minutes(5))
            .unwrap_err();
        assert!(e.contains("expired"), "{e}");
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}
