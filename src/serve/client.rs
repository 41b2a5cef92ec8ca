//! The service's client, for `plan --request-approval URL` and `apply --wait
//! --approval-service URL`: submit a plan, read (long-poll) a request. The bearer token comes
//! from the caller (DRIFTGATE_SERVICE_TOKEN); it is never printed, and the URL is shown masked.

use std::time::Duration;

use super::View;
use crate::error::{Error, Result};

pub struct Client {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Client {
    pub fn new(base: &str, token: &str) -> Result<Client> {
        let http = reqwest::Client::builder()
            .timeout(super::MAX_WAIT + Duration::from_secs(30))
            .user_agent(concat!("driftgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::ServiceCall {
                url: crate::mask::mask_url(base),
                reason: e.to_string(),
            })?;
        Ok(Client {
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
            http,
        })
    }

    pub fn shown(&self) -> String {
        crate::mask::mask_url(&self.base)
    }

    fn err(&self, reason: impl Into<String>) -> Error {
        Error::ServiceCall {
            url: self.shown(),
            reason: crate::mask::mask_text(&reason.into()),
        }
    }

    async fn answer(&self, r: reqwest::RequestBuilder) -> Result<View> {
        let r = r
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| self.err(e.without_url().to_string()))?;
        let status = r.status();
        let body = r.text().await.map_err(|e| self.err(e.to_string()))?;
        if !status.is_success() {
            let why = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_string))
                .unwrap_or_else(|| "no reason given".into());
            return Err(self.err(format!(
                "it answered {}: {}",
                status.as_u16(),
                crate::mask::clean(&why)
            )));
        }
        serde_json::from_str(&body)
            .map_err(|e| self.err(format!("an answer that is not a request: {e}")))
    }

    /// Submits the plan file's text; the request's state.
    pub async fn submit(&self, plan_text: &str) -> Result<View> {
        let plan: serde_json::Value = serde_json::from_str(plan_text)
            .map_err(|e| self.err(format!("the plan is not JSON: {e}")))?;
        let body = serde_json::json!({ "plan": plan });
        self.answer(
            self.http
                .post(format!("{}/v1/requests", self.base))
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
        .await
    }

    /// Posts a `dga1.` approval (`approvals`) or a `dgd1.` denial (`denials`) of the request.
    pub async fn post_token(&self, digest: &str, what: &str, token: &str) -> Result<View> {
        let digest =
            percent_encoding::utf8_percent_encode(digest, percent_encoding::NON_ALPHANUMERIC);
        self.answer(
            self.http
                .post(format!("{}/v1/requests/{digest}/{what}", self.base))
                .header("content-type", "application/json")
                .body(serde_json::json!({ "token": token }).to_string()),
        )
        .await
    }

    /// Says the approved plan of `digest` was applied.
    pub async fn applied(&self, digest: &str) -> Result<View> {
        let digest =
            percent_encoding::utf8_percent_encode(digest, percent_encoding::NON_ALPHANUMERIC);
        self.answer(
            self.http
                .post(format!("{}/v1/requests/{digest}/applied", self.base)),
        )
        .await
    }

    /// The request's state, waiting up to `wait` for it to leave `pending`.
    pub async fn status(&self, digest: &str, wait: Duration) -> Result<View> {
        let digest =
            percent_encoding::utf8_percent_encode(digest, percent_encoding::NON_ALPHANUMERIC);
        self.answer(self.http.get(format!(
            "{}/v1/requests/{digest}?wait={}",
            self.base,
            wait.as_secs()
        )))
        .await
    }
}
