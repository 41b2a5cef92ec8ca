//! `audit show`: which entries to show ([`Filter`]) and their text (a table for people,
//! JSON for machines). Entries are already masked in the log; nothing here unmasks.

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Record, hash_line};

/// The entries to show; every given condition must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub command: Option<String>,
    pub outcome: Option<super::Outcome>,
    /// Entries at or after this time.
    pub since: Option<OffsetDateTime>,
}

impl Filter {
    pub fn matches(&self, r: &Record) -> bool {
        self.command.as_ref().is_none_or(|c| &r.command == c)
            && self.outcome.is_none_or(|o| r.outcome == o.as_str())
            && self
                .since
                .is_none_or(|since| r.parsed_time().is_some_and(|t| t >= since))
    }
}

/// `--since`: an RFC 3339 time, or a date (`YYYY-MM-DD`, from midnight UTC).
pub fn parse_since(text: &str) -> Result<OffsetDateTime, String> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(t);
    }
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &date_format)
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| {
            format!(
                "`--since {text}` is neither an RFC 3339 time (2026-12-01T09:30:00Z) nor a date (2026-12-01)"
            )
        })
}

/// One entry as `audit show --format json` prints it: the stored entry plus its hash.
#[derive(Serialize)]
struct Shown<'a> {
    #[serde(flatten)]
    record: &'a Record,
    hash: String,
}

/// The entries that pass the filter, with the hash of their line, as a JSON array.
pub fn render_json(records: &[Record]) -> String {
    let shown: Vec<Shown> = records
        .iter()
        .map(|r| Shown {
            record: r,
            hash: hash_line(&r.canonical()),
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&shown).expect("audit entries serialize");
    s.push('\n');
    s
}

/// Each record as a table row: seq, time, actor, command, outcome, what it was about, and
/// why (`render::audit::table` lays them out).
pub fn rows(records: &[Record]) -> Vec<[String; 7]> {
    records
        .iter()
        .map(|r| {
            let mut about = Vec::new();
            if let Some(a) = &r.action {
                let target = a
                    .address
                    .as_deref()
                    .or(a.resource_id.as_deref())
                    .unwrap_or("");
                about.push(
                    format!("{} {} {target}", a.id, a.kind)
                        .trim_end()
                        .to_string(),
                );
            }
            if let Some(p) = &r.plan {
                let short: String = p.trim_start_matches("sha256:").chars().take(12).collect();
                about.push(format!("plan {short}"));
            }
            let mut command = r.command.clone();
            if r.dry_run {
                command.push_str(" (dry run)");
            }
            [
                r.seq.to_string(),
                r.time.clone(),
                r.actor.clone(),
                command,
                r.outcome.clone(),
                about.join("\n"),
                r.reason.clone().unwrap_or_default(),
            ]
        })
        .collect()
}
