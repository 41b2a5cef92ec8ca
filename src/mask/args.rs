//! Masking for text that is not a [`crate::model::Value`]: command-line arguments and free text
//! (error reasons) on their way into the audit log or any other output.
//!
//! Two mechanisms, both idempotent (masking masked text changes nothing):
//! - the value of a flag whose name says it carries a secret (`--approve TOKEN`,
//!   `--token=...`, anything named `*secret*`, `*password*`, `*credential*`, `*private*`,
//!   `*fingerprint-key*`) becomes `(sensitive)`, whatever it looks like;
//! - every URL, wherever it appears, loses what can carry a credential: its user information
//!   (`user:pass@`), its query values (`?sig=...`), its fragment, and, for `http`/`https`,
//!   its path (Slack, Teams and Discord webhook URLs carry their secret in the path). Scheme,
//!   host and port stay, so the reader still sees where it pointed; `s3://bucket/key` keeps
//!   its path (a location, not a credential).

use super::SENSITIVE;

/// Words that, in a flag's name, mean its value is a secret.
const SECRET_FLAG_WORDS: &[&str] = &[
    "approve",
    "token",
    "secret",
    "password",
    "passwd",
    "credential",
    "private",
    "fingerprint-key",
];

/// Words that, in a flag's name, mean its value is a URL that may carry a secret in its path
/// (a webhook): masked as one even without a scheme ([`mask_webhook`]).
const URL_FLAG_WORDS: &[&str] = &["notify", "webhook", "url"];

fn is_url_flag(name: &str) -> bool {
    let name = name.trim_start_matches('-').to_ascii_lowercase();
    URL_FLAG_WORDS.iter().any(|w| name.contains(w))
}

fn is_secret_flag(name: &str) -> bool {
    let name = name.trim_start_matches('-').to_ascii_lowercase();
    SECRET_FLAG_WORDS.iter().any(|w| name.contains(w))
}

/// Masks a command line (without the program name): secret flag values become
/// `(sensitive)`, URLs everywhere are masked as [`mask_url`] says.
pub fn mask_args(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut next_is_secret = false;
    let mut next_is_url = false;
    for arg in args {
        if next_is_secret {
            next_is_secret = false;
            out.push(SENSITIVE.to_string());
            continue;
        }
        if next_is_url {
            next_is_url = false;
            out.push(mask_webhook(arg));
            continue;
        }
        if arg == "--" {
            out.push(arg.clone());
            continue;
        }
        if let Some(flag) = arg.strip_prefix("--") {
            match flag.split_once('=') {
                Some((name, _)) if is_secret_flag(name) => {
                    out.push(format!("--{name}={SENSITIVE}"));
                }
                Some((name, value)) if is_url_flag(name) => {
                    out.push(format!("--{name}={}", mask_webhook(value)));
                }
                Some((name, value)) => out.push(format!("--{name}={}", mask_text(value))),
                None => {
                    next_is_secret = is_secret_flag(flag);
                    next_is_url = !next_is_secret && is_url_flag(flag);
                    out.push(arg.clone());
                }
            }
            continue;
        }
        out.push(mask_text(arg));
    }
    out
}

/// Masks every URL in a free text (see the module docs); the rest of the text is kept.
pub fn mask_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        // The scheme: the letters, digits, `+`, `-`, `.` right before `://`.
        let head = &rest[..at];
        let scheme_len = head
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            .map(char::len_utf8)
            .sum::<usize>();
        let start = at - scheme_len;
        // The URL runs to the first whitespace, quote or angle bracket.
        let end = rest[at..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`'))
            .map_or(rest.len(), |e| at + e);
        out.push_str(&rest[..start]);
        if scheme_len == 0 {
            // `://` with no scheme: not a URL, but what follows may still be a credential
            // (`://user:pass@host`): mask it as one.
            out.push_str(&mask_url(&format!("x{}", &rest[at..end]))[1..]);
        } else {
            out.push_str(&mask_url(&rest[start..end]));
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Masks a webhook URL whatever its form: with a scheme (any case) as [`mask_url`]; without
/// one (`hooks.slack.com/services/T/B/X`, `user:pw@host/x`) as the `https` URL it would be,
/// shown without the scheme. Text that holds no URL at all is masked whole.
pub fn mask_webhook(url: &str) -> String {
    if url.chars().any(char::is_whitespace) || url.is_empty() {
        return SENSITIVE.to_string();
    }
    // Whatever the scheme, the path is masked as a web URL's.
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), url),
    };
    let masked = mask_url(&format!("https://{rest}"));
    format!(
        "{scheme}{}",
        masked.strip_prefix("https://").unwrap_or(&masked)
    )
}

/// Masks one URL: user information, query values and fragment become `(sensitive)`, and so
/// does the path of an `http`/`https` URL. Text without `://` is returned unchanged.
///
/// The user information is everything before the **last** `@`, wherever it is: PostgreSQL's
/// URL parser (tokio-postgres) takes everything up to an `@` as the login, past any `/`, `?`
/// or `#` (`postgres://ci:pa/ss@db/x` has the password `pa/ss`). When that reaches past where
/// a web URL's authority would end, into a query, a fragment or a web URL's path
/// (`postgres://ci:p?w@db/x`, but also `https://h/?to=a@b`), what follows the `@` may be the
/// host or the end of a credential: the whole URL after the scheme is masked.
pub fn mask_url(url: &str) -> String {
    let Some((scheme, after)) = url.split_once("://") else {
        return url.to_string();
    };
    let web = matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https");
    let (host, rest) = match after.rsplit_once('@') {
        Some((info, _)) if info.contains(['?', '#']) || (web && info.contains('/')) => {
            return format!("{scheme}://{SENSITIVE}");
        }
        Some((_, tail)) => {
            let end = tail.find(['/', '?', '#']).unwrap_or(tail.len());
            (format!("{SENSITIVE}@{}", &tail[..end]), &tail[end..])
        }
        // Without user information, the authority ends at the first `/`, `?` or `#`.
        None => {
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        }
    };
    let (before_fragment, fragment) = match rest.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (rest, None),
    };
    let (path, query) = match before_fragment.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (before_fragment, None),
    };
    let path = if web && !path.is_empty() && path != "/" && path != format!("/{SENSITIVE}") {
        format!("/{SENSITIVE}")
    } else {
        path.to_string()
    };
    let mut out = format!("{scheme}://{host}{path}");
    if let Some(q) = query {
        out.push('?');
        let params: Vec<String> = q
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((name, _)) => format!("{name}={SENSITIVE}"),
                None if p.is_empty() || p == SENSITIVE => p.to_string(),
                // A bare value (`?abc123`) may itself be the credential.
                None => SENSITIVE.to_string(),
            })
            .collect();
        out.push_str(&params.join("&"));
    }
    if fragment.is_some() {
        out.push('#');
        out.push_str(SENSITIVE);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    /// A webhook URL keeps its secret path whatever its form: no scheme, upper case, user
    /// information; on the command line too.
    #[test]
    fn webhook_urls_are_masked_in_every_form() {
        for (url, shown) in [
            (
                "hooks.slack.com/services/T0/B0/XSECRET",
                "hooks.slack.com/(sensitive)",
            ),
            (
                "HTTPS://HOOKS.SLACK.COM/services/T0/B0/XSECRET",
                "HTTPS://HOOKS.SLACK.COM/(sensitive)",
            ),
            (
                "https://u:XSECRET@example.com/h",
                "https://(sensitive)@example.com/(sensitive)",
            ),
            ("u:XSECRET@example.com", "(sensitive)@example.com"),
            (
                "example.com/hook?k=XSECRET",
                "example.com/(sensitive)?k=(sensitive)",
            ),
            ("not a url XSECRET", "(sensitive)"),
        ] {
            assert_eq!(mask_webhook(url), shown, "{url}");
        }
        let masked = mask_args(&args(&[
            "plan",
            "--notify",
            "hooks.slack.com/services/T0/B0/XSECRET",
            "--notify=example.com/XSECRET",
        ]))
        .join(" ");
        assert!(!masked.contains("XSECRET"), "{masked}");
        assert!(masked.contains("hooks.slack.com/(sensitive)"), "{masked}");
    }

    #[test]
    fn secret_flag_values_are_masked_in_both_forms() {
        let masked = mask_args(&args(&[
            "apply",
            "plan.json",
            "--approve",
            "dg1-abcdef",
            "--approve=dg1-123456",
            "--dry-run",
            "--api-token",
            "t0k3n",
            "--db-password=hunter2",
        ]));
        assert_eq!(
            masked,
            args(&[
                "apply",
                "plan.json",
                "--approve",
                "(sensitive)",
                "--approve=(sensitive)",
                "--dry-run",
                "--api-token",
                "(sensitive)",
                "--db-password=(sensitive)",
            ])
        );
        let text = masked.join(" ");
        for secret in ["abcdef", "123456", "t0k3n", "hunter2"] {
            assert!(!text.contains(secret), "{text}");
        }
    }

    #[test]
    fn ordinary_arguments_are_kept() {
        let a = args(&[
            "scan",
            "--state",
            "s3://bucket/prod/terraform.tfstate",
            "--region=eu-west-1",
            "--format",
            "json",
            "--key",
            "alice.key",
        ]);
        assert_eq!(mask_args(&a), a);
    }

    #[test]
    fn urls_lose_credentials_queries_and_web_paths() {
        let cases = [
            (
                "https://user:pa55@example.com/a/b?x=1",
                "https://(sensitive)@example.com/(sensitive)?x=(sensitive)",
            ),
            (
                "https://hooks.slack.com/services/T000/B000/XXXXSECRET",
                "https://hooks.slack.com/(sensitive)",
            ),
            (
                "https://prod.westus.logic.azure.com:443/workflows/1/triggers/manual/paths/invoke?api-version=2016-06-01&sig=S1G",
                "https://prod.westus.logic.azure.com:443/(sensitive)?api-version=(sensitive)&sig=(sensitive)",
            ),
            ("http://127.0.0.1:5000/", "http://127.0.0.1:5000/"),
            ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
            (
                "s3://bucket/prod/terraform.tfstate",
                "s3://bucket/prod/terraform.tfstate",
            ),
            (
                "s3://bucket/key?versionId=abc#frag",
                "s3://bucket/key?versionId=(sensitive)#(sensitive)",
            ),
            (
                "https://example.com/?abc123",
                "https://example.com/?(sensitive)",
            ),
            ("not a url", "not a url"),
            // PostgreSQL takes everything up to the first `@` as the login: a `/`, `#` or `?`
            // in the password does not end it.
            ("postgres://ci:pa/ss@db/x", "postgres://(sensitive)@db/x"),
            ("postgres://ci:p@ss@db/x", "postgres://(sensitive)@db/x"),
            (
                "postgres://ci:p@ss/w@db:5432/x",
                "postgres://(sensitive)@db:5432/x",
            ),
            (
                "postgresql://ci:pa/ss@db.internal:5432/drift?sslmode=require",
                "postgresql://(sensitive)@db.internal:5432/drift?sslmode=(sensitive)",
            ),
            // An `@` in a query or fragment (or a web URL's path): what follows it may be a
            // host or the end of a secret, so all of it goes.
            ("postgres://ci:p#w@db/x", "postgres://(sensitive)"),
            ("postgres://ci:p?w@db/x", "postgres://(sensitive)"),
            ("postgres://db/x?password=abc@def", "postgres://(sensitive)"),
            ("https://example.com/?sig=abc@def", "https://(sensitive)"),
            ("https://example.com/T/abc@def/x", "https://(sensitive)"),
            ("https://example.com/#abc@def", "https://(sensitive)"),
            // In a path that is not a web URL's, an `@` is taken for the end of a login.
            ("s3://bucket/key@x/y", "s3://(sensitive)@x/y"),
        ];
        for (url, want) in cases {
            assert_eq!(mask_url(url), want, "{url}");
            // Idempotent.
            assert_eq!(mask_url(want), want, "{want}");
        }
    }

    #[test]
    fn urls_inside_text_and_flag_values_are_masked() {
        let text = "POST to 'https://u:p4ss@hooks.example.com/T/B/S3CR3T?sig=S1G' failed: 403, see https://docs.example.com.";
        let masked = mask_text(text);
        assert_eq!(
            masked,
            "POST to 'https://(sensitive)@hooks.example.com/(sensitive)?sig=(sensitive)' failed: 403, see https://docs.example.com."
        );
        assert_eq!(mask_text(&masked), masked);
        assert_eq!(
            mask_text("bare ://user:secret@host/x"),
            "bare ://(sensitive)@host/x"
        );
        for (password, secret) in [("pa/ss", "ss"), ("p#w0rd", "w0rd"), ("p?w0rd", "w0rd")] {
            let url = format!("postgres://ci:{password}@db:5432/x");
            let masked = mask_text(&format!("connecting to {url} failed"));
            assert!(
                masked.starts_with("connecting to postgres://(sensitive)")
                    && masked.ends_with(" failed"),
                "{masked}"
            );
            assert!(!masked.contains(secret), "{masked}");
            let line = mask_args(&args(&["history", "--history", &url])).join(" ");
            assert!(!line.contains(secret), "{line}");
        }
        assert_eq!(
            mask_args(&args(&[
                "--notify=https://hooks.slack.com/services/T/B/S3CR3T"
            ])),
            args(&["--notify=https://hooks.slack.com/(sensitive)"])
        );
        assert_eq!(
            mask_args(&args(&[
                "--notify",
                "https://hooks.slack.com/services/T/B/S3CR3T"
            ])),
            args(&["--notify", "https://hooks.slack.com/(sensitive)"])
        );
    }

    #[test]
    fn masking_arguments_is_idempotent() {
        let a = args(&[
            "apply",
            "p.json",
            "--approve",
            "tok",
            "--token=x",
            "https://a:b@c/d",
        ]);
        let once = mask_args(&a);
        assert_eq!(mask_args(&once), once);
    }
}
