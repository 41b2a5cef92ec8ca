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
