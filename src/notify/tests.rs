use super::*;

fn message() -> Message {
    Message {
        kind: "report".into(),
        title: "driftgate report".into(),
        summary: "3 findings <b>&</b>".into(),
        facts: vec![(
            "State".into(),
            "https://user:hunter2@example.com/state?sig=abc".into(),
        )],
        sections: vec![Section {
            heading: "High".into(),
            lines: vec!["aws_vpc.main tags.team".into()],
        }],
        commands: vec!["driftgate scan".into()],
    }
}

#[test]
fn the_format_is_inferred_from_the_host() {
    assert_eq!(
        Format::infer("https://hooks.slack.com/services/T/B/X"),
        Format::Slack
    );
    assert_eq!(
        Format::infer("https://contoso.webhook.office.com/webhookb2/x"),
        Format::Teams
    );
    assert_eq!(
        Format::infer("https://prod-01.westus.logic.azure.com:443/workflows/x?sig=y"),
        Format::Teams
    );
    assert_eq!(
        Format::infer("https://x.environment.api.powerplatform.com/powerautomate/x"),
        Format::Teams
    );
    assert_eq!(
        Format::infer("https://example.com/hooks.slack.com"),
        Format::Json
    );
    assert_eq!(
        Format::infer("https://hooks.slack.com.evil.io/x"),
        Format::Json
    );
    assert_eq!(Format::infer("http://127.0.0.1:8080/x"), Format::Json);
    assert_eq!(
        Target::new("http://127.0.0.1/x", Some(Format::Slack)).format,
        Format::Slack
    );
    assert_eq!("teams".parse::<Format>(), Ok(Format::Teams));
    assert!("email".parse::<Format>().is_err());
}

#[test]
fn slack_gets_text_and_blocks_escaped_and_masked() {
    let b = body(Format::Slack, &message());
    assert!(
        b["text"]
            .as_str()
            .unwrap()
            .starts_with("driftgate report: 3 findings")
    );
    let blocks = b["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    assert_eq!(
        blocks[1]["text"]["text"],
        "3 findings &lt;b&gt;&amp;&lt;/b&gt;"
    );
    let all = b.to_string();
    assert!(
        !all.contains("hunter2") && !all.contains("sig=abc"),
        "{all}"
    );
    assert!(all.contains("(sensitive)"), "{all}");
}

#[test]
fn teams_gets_an_adaptive_card() {
    let b = body(Format::Teams, &message());
    assert_eq!(b["type"], "message");
    let card = &b["attachments"][0];
    assert_eq!(
        card["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(card["content"]["type"], "AdaptiveCard");
    assert_eq!(card["content"]["body"][2]["type"], "FactSet");
    assert!(!b.to_string().contains("hunter2"));
}

#[test]
fn the_generic_json_carries_every_part() {
    let b = body(Format::Json, &message());
    assert_eq!(b["driftgate_notification"], 1);
    assert_eq!(b["kind"], "report");
    assert_eq!(b["sections"][0]["lines"][0], "aws_vpc.main tags.team");
    assert_eq!(b["commands"][0], "driftgate scan");
    assert!(!b.to_string().contains("hunter2"));
}

#[test]
fn a_target_shows_its_url_masked() {
    let t = Target::new("https://hooks.slack.com/services/T0/B0/SECRET", None);
    assert!(!t.shown().contains("SECRET"));
    assert!(!format!("{t:?}").contains("SECRET"));
}

/// Author-controlled text (an actor with ESC and a line break, `<!channel>`, a Slack link, a
/// plan file name with backticks, a Teams markdown link, `@here`) reaches no chat as markup.
#[test]
fn chat_markup_and_escape_sequences_are_neutralized() {
    let m = Message {
        kind: "plan".into(),
        title: "driftgate plan <!channel> @here".into(),
        summary: "by eve\u{1b}[2K\nApproved <!channel> <http://evil.example|click> [x](http://evil.example) @Channel".into(),
        facts: vec![("Author".into(), "eve\u{1b}]8;;http://evil\u{7}x <@U123>".into())],
        sections: vec![Section {
            heading: "Executed".into(),
            lines: vec!["a01 revert `x` <!here>".into()],
        }],
        commands: vec!["driftgate apply ```<!here>```.json".into()],
    };
    let slack = body(Format::Slack, &m);
    let all = slack.to_string();
    for bad in [
        "<!channel>",
        "<!here>",
        "<http",
        "<@U123>",
        "\\u001b",
        "@here",
        "@Channel",
        "\\n",
    ] {
        // Block texts may hold line breaks of their own (heading then lines); never the
        // author's: the summary and `text` are one line.
        if bad == "\\n" {
            assert!(!slack["text"].as_str().unwrap().contains('\n'));
            assert!(
                !slack["blocks"][1]["text"]["text"]
                    .as_str()
                    .unwrap()
                    .contains('\n')
            );
            continue;
        }
        assert!(!all.contains(bad), "slack kept {bad}: {all}");
    }
    assert!(
        slack["text"].as_str().unwrap().contains("&lt;!channel&gt;"),
        "{all}"
    );
    let code = slack["blocks"].as_array().unwrap().last().unwrap()["text"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(code.starts_with("```") && code.ends_with("```"), "{code}");
    assert_eq!(code.matches("```").count(), 2, "{code}");
    // Our own code fence is the only backticks.
    assert_eq!(all.matches('`').count(), 6, "{all}");

    let teams = body(Format::Teams, &m).to_string();
    for bad in ["[x](http", "<!channel>", "\\u001b", "@here", "<@U123>"] {
        assert!(!teams.contains(bad), "teams kept {bad}: {teams}");
    }
    assert!(teams.contains(r"\\[x\\]\\(http"), "{teams}");
}

#[test]
fn a_url_that_does_not_parse_is_refused_and_shown_masked() {
    for bad in [
        "hooks.slack.com/services/T0/B0/XSECRET",
        "ftp://example.com/XSECRET",
        "http://exa mple.com/XSECRET",
    ] {
        let why = invalid_url(bad).unwrap_or_else(|| panic!("{bad} was accepted"));
        assert!(!why.contains("XSECRET"), "{why}");
    }
    assert_eq!(
        invalid_url("HTTPS://hooks.slack.com/services/T0/B0/X"),
        None
    );
    assert_eq!(invalid_url("http://127.0.0.1:9/hook"), None);
}

mod block {
    use super::*;
    use miette::Diagnostic;

    /// The policy file's `notify` blocks, read by `policy::file`, each interpreted here.
    fn targets(text: &str) -> Vec<crate::Result<Target>> {
        crate::policy::Policy::parse("driftgate.hcl", text)
            .unwrap()
            .notify
            .iter()
            .map(Target::from_block)
            .collect()
    }

    /// The error's code, message and the bytes its label points at.
    fn refused(text: &str) -> (String, String, String) {
        let e = targets(text).pop().unwrap().unwrap_err();
        let code = e.code().unwrap().to_string();
        let at = e.labels().unwrap().next().unwrap();
        let span = &text[at.offset()..at.offset() + at.len()];
        (code, e.to_string(), span.to_string())
    }

    #[test]
    fn a_block_becomes_a_target_its_format_given_or_inferred() {
        let got = targets(
            "notify { url = \"https://hooks.slack.com/services/T/B/X\" }\nnotify {\n  url    = \"https://example.com/hook\"\n  format = \"teams\"\n}\n",
        );
        let got: Vec<Target> = got.into_iter().map(|t| t.unwrap()).collect();
        assert_eq!(
            got,
            [
                Target::new(
                    "https://hooks.slack.com/services/T/B/X",
                    Some(Format::Slack)
                ),
                Target::new("https://example.com/hook", Some(Format::Teams)),
            ]
        );
    }

    #[test]
    fn a_bad_block_is_refused_at_its_bytes() {
        let (code, message, at) = refused("notify { format = \"slack\" }");
        assert_eq!(code, "driftgate::policy::invalid");
        assert!(message.contains("has no `url`"), "{message}");
        assert_eq!(at, "notify");
        let (code, message, at) = refused("notify { url = \"ftp://x\" }");
        assert_eq!(code, "driftgate::policy::invalid");
        assert!(message.contains("http(s) URL"), "{message}");
        assert_eq!(at, "\"ftp://x\"");
        let (_, message, at) =
            refused("notify {\n url = \"https://x.example\"\n format = \"irc\"\n}");
        assert!(message.contains("`irc`"), "{message}");
        assert_eq!(at, "\"irc\"");
        let (code, _, at) = refused("notify {\n url = \"https://x.example\"\n formt = \"json\"\n}");
        assert_eq!(code, "driftgate::policy::unknown_key");
        assert_eq!(at, "formt");
        let (code, _, at) = refused("notify { url = [\"https://x.example\"] }");
        assert_eq!(code, "driftgate::policy::invalid");
        assert_eq!(at, "[\"https://x.example\"]");
    }
}
