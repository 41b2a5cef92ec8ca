//! Sending a notification from a command: the targets of `--notify` and of the policy's
//! `notify` blocks, each outcome audited (`notify` entries), each failure a warning on stderr.
//! Never changes the command's exit code.

use crate::audit::{Entry, Log, Outcome as Audited};
use crate::notify::{self, Format, Message, SendOptions, Target};
use crate::ops::Settings;

/// `--notify URL` (with `--notify-format`, else inferred from each URL) and the policy's
/// targets, without duplicates.
/// `--notify` URLs that cannot be webhooks are a usage error, before anything is read or
/// sent; the message shows the URL masked (`mask::mask_webhook`).
pub fn check_urls(urls: &[String]) -> crate::error::Result<()> {
    match urls.iter().find_map(|u| notify::invalid_url(u)) {
        Some(why) => Err(crate::error::Error::Usage(why)),
        None => Ok(()),
    }
}

pub fn targets(urls: &[String], format: Option<Format>, policy: &[Target]) -> Vec<Target> {
    let mut out: Vec<Target> = urls.iter().map(|u| Target::new(u, format)).collect();
    for t in policy {
        if !out.iter().any(|o| o.url == t.url) {
            out.push(t.clone());
        }
    }
    out
}

/// Sends `message`; warns and audits per target. `plan` is the digest it is about.
pub async fn deliver(
    targets: &[Target],
    message: &Message,
    settings: &Settings,
    plan: Option<&str>,
) -> Vec<notify::Outcome> {
    if targets.is_empty() {
        return Vec::new();
    }
    let outcomes = notify::send(targets, message, &SendOptions::default()).await;
    let log = Log::open(&settings.audit_log);
    for o in &outcomes {
        let mut e = Entry::new(
            &settings.audit_origin(),
            "notify",
            if o.delivered() {
                Audited::Ok
            } else {
                Audited::Failed
            },
        )
        .detail("target", &o.target)
        .detail("format", o.format.as_str())
        .detail("kind", &message.kind)
        .detail("attempts", o.attempts.to_string());
        if let Some(p) = plan {
            e = e.plan(p);
        }
        if let Some(err) = &o.error {
            e = e.reason(err.clone());
            eprintln!(
                "warning: the notification to {} failed after {} attempts: {err}",
                o.target, o.attempts
            );
        }
        // A notification never changes the exit code: an entry that cannot be written is
        // a warning too.
        if let Err(err) = log.append(&e) {
            eprintln!("warning: the notification's audit entry was not written: {err}");
        }
    }
    outcomes
}
