use super::*;
use crate::model::Value;

fn origin(args: &[&str]) -> Origin {
    Origin {
        time: time::macros::datetime!(2026-12-01 09:30:00 UTC),
        actor: "alice".into(),
        args: args.iter().map(|s| s.to_string()).collect(),
    }
}

/// A log of `n` entries in a fresh directory.
fn log_with(n: u64) -> (tempfile::TempDir, Log) {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path().join("sub").join("audit.jsonl"));
    for i in 0..n {
        let outcome = if i % 2 == 0 {
            Outcome::Ok
        } else {
            Outcome::Drift
        };
        log.append(
            &Entry::new(&origin(&["scan"]), "scan", outcome)
                .input("state:terraform.tfstate", format!("lineage-1/{i}")),
        )
        .unwrap();
    }
    (dir, log)
}

fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

fn broken_at(bytes: &[u8]) -> (usize, Option<u64>, String) {
    match verify(bytes, None) {
        Err(Problem::Entry { line, seq, what }) => (line, seq, what),
        other => panic!("expected a broken entry, got {other:?}"),
    }
}

#[test]
fn appends_form_a_hash_chain_from_genesis() {
    let (_dir, log) = log_with(3);
    let bytes = log.read_bytes().unwrap();
    let ls = lines(&bytes);
    assert_eq!(ls.len(), 3);
    let records = log.records().unwrap();
    assert_eq!(
        records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(records[0].prev, GENESIS);
    for i in 1..3 {
        // prev is the SHA-256 of the previous line's bytes, without the newline.
        let prev_line = ls[i - 1].strip_suffix(b"\n").unwrap();
        let expected = format!(
            "sha256:{}",
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(prev_line))
        );
        assert_eq!(records[i].prev, expected);
    }
    let v = verify(&bytes, None).unwrap();
    assert_eq!(v.entries, 3);
    assert_eq!(v.head, hash_line(ls[2].strip_suffix(b"\n").unwrap()));
}

#[test]
fn entries_appended_together_are_the_lines_appended_one_by_one() {
    let (_one_dir, one) = log_with(2);
    let (_all_dir, all) = log_with(0);
    let entries: Vec<Entry> = (0..2)
        .map(|i| {
            let outcome = if i % 2 == 0 {
                Outcome::Ok
            } else {
                Outcome::Drift
            };
            Entry::new(&origin(&["scan"]), "scan", outcome)
                .input("state:terraform.tfstate", format!("lineage-1/{i}"))
        })
        .collect();
    assert_eq!(all.append_all(&[]).unwrap(), Vec::new());
    assert!(!all.path().exists(), "nothing to append does no I/O");
    let written = all.append_all(&entries).unwrap();
    assert_eq!(all.read_bytes().unwrap(), one.read_bytes().unwrap());
    assert_eq!(
        written.iter().map(|a| a.seq).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(written[0].prev, GENESIS);
    assert_eq!(written[1].prev, written[0].hash);
    let more = all.append_all(&entries[..1]).unwrap();
    assert_eq!((more[0].seq, &more[0].prev), (3, &written[1].hash));
    let v = verify(&all.read_bytes().unwrap(), None).unwrap();
    assert_eq!((v.entries, v.head), (3, more[0].hash.clone()));
}

#[test]
fn the_line_is_the_canonical_form() {
    let (_dir, log) = log_with(1);
    let bytes = log.read_bytes().unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(
        text,
        format!(
            "{{\"v\":1,\"seq\":1,\"time\":\"2026-12-01T09:30:00Z\",\"actor\":\"alice\",\"command\":\"scan\",\"args\":[\"scan\"],\"inputs\":{{\"state:terraform.tfstate\":\"lineage-1/0\"}},\"plan\":null,\"action\":null,\"dry_run\":false,\"outcome\":\"ok\",\"reason\":null,\"details\":{{}},\"prev\":\"{GENESIS}\"}}\n"
        )
    );
}

#[test]
fn an_empty_log_verifies_with_the_genesis_head() {
    assert_eq!(
        verify(b"", None),
        Ok(Verified {
            entries: 0,
            head: GENESIS.into()
        })
    );
}

#[test]
fn verify_catches_an_edited_entry() {
    let (_dir, log) = log_with(4);
    let bytes = log.read_bytes().unwrap();
    // Change the outcome of entry 2, keeping the line canonical: the chain breaks at 3.
    let text = String::from_utf8(bytes).unwrap();
    let mut ls: Vec<String> = text.lines().map(str::to_string).collect();
    assert!(ls[1].contains("\"outcome\":\"drift\""));
    ls[1] = ls[1].replace("\"outcome\":\"drift\"", "\"outcome\":\"ok\"");
    let edited = ls.join("\n") + "\n";
    let (line, seq, what) = broken_at(edited.as_bytes());
    assert_eq!((line, seq), (3, Some(3)));
    assert!(what.contains("line 2 was edited"), "{what}");
}

#[test]
fn verify_catches_an_edit_that_is_not_canonical() {
    let (_dir, log) = log_with(2);
    let text = String::from_utf8(log.read_bytes().unwrap()).unwrap();
    // Reformatted (a space after a colon): same meaning, other bytes.
    let edited = text.replacen("\"actor\":\"alice\"", "\"actor\": \"alice\"", 1);
    let (line, seq, what) = broken_at(edited.as_bytes());
    assert_eq!((line, seq), (1, Some(1)));
    assert!(what.contains("canonical"), "{what}");
    // A field added by hand.
    let edited = text.replacen("\"v\":1,", "\"v\":1,\"approved\":true,", 1);
    let (line, _, what) = broken_at(edited.as_bytes());
    assert_eq!(line, 1);
    assert!(what.contains("not an audit entry"), "{what}");
}

#[test]
fn verify_catches_a_reordered_entry() {
    let (_dir, log) = log_with(4);
    let mut ls = lines(&log.read_bytes().unwrap());
    ls.swap(1, 2);
    let (line, seq, what) = broken_at(&ls.concat());
    assert_eq!((line, seq), (2, Some(3)));
    assert!(what.contains("seq 3 where 2 was expected"), "{what}");
}

#[test]
fn verify_catches_a_deleted_entry() {
    let (_dir, log) = log_with(4);
    let mut ls = lines(&log.read_bytes().unwrap());
    ls.remove(1);
    let (line, seq, what) = broken_at(&ls.concat());
    assert_eq!((line, seq), (2, Some(3)));
    assert!(what.contains("missing"), "{what}");
    // The first entry deleted: the new first one does not chain to genesis.
    let mut ls = lines(&log.read_bytes().unwrap());
    ls.remove(0);
    let (line, seq, _) = broken_at(&ls.concat());
    assert_eq!((line, seq), (1, Some(2)));
}

#[test]
fn verify_catches_a_deleted_entry_whose_seqs_were_renumbered() {
    // Deleting entry 2 and renumbering the rest: the seqs run, but the chain does not.
    let (_dir, log) = log_with(3);
    let text = String::from_utf8(log.read_bytes().unwrap()).unwrap();
    let ls: Vec<&str> = text.lines().collect();
    let forged = format!("{}\n{}\n", ls[0], ls[2].replace("\"seq\":3", "\"seq\":2"));
    let (line, seq, what) = broken_at(forged.as_bytes());
    assert_eq!((line, seq), (2, Some(2)));
    assert!(what.contains("is not the hash of line 1"), "{what}");
}

#[test]
fn verify_catches_a_truncated_last_line() {
    let (_dir, log) = log_with(3);
    let bytes = log.read_bytes().unwrap();
    for cut in [1, 10, 60] {
        let truncated = &bytes[..bytes.len() - cut];
        let (line, _, what) = broken_at(truncated);
        assert_eq!(line, 3, "cut {cut}");
        assert!(what.contains("torn"), "{what}");
    }
    // Cut exactly at a line end: the log verifies, one entry shorter. Only an anchor can tell.
    let ls = lines(&bytes);
    let head_of_3 = verify(&bytes, None).unwrap().head;
    let two = ls[..2].concat();
    assert_eq!(verify(&two, None).unwrap().entries, 2);
    assert_eq!(
        verify(&two, Some(&head_of_3)),
        Err(Problem::AnchorNotFound {
            entries: 2,
            head: verify(&two, None).unwrap().head
        })
    );
}

#[test]
fn an_anchor_still_in_the_log_verifies() {
    let (_dir, log) = log_with(2);
    let anchor = verify(&log.read_bytes().unwrap(), None).unwrap().head;
    log.append(&Entry::new(&origin(&[]), "scan", Outcome::Ok))
        .unwrap();
    let v = verify(&log.read_bytes().unwrap(), Some(&anchor)).unwrap();
    assert_eq!(v.entries, 3);
    assert_ne!(v.head, anchor);
    assert!(verify(b"", Some(GENESIS)).is_ok());
    assert!(matches!(
        verify(&log.read_bytes().unwrap(), Some("sha256:beef")),
        Err(Problem::AnchorNotFound { .. })
    ));
}

#[test]
fn verify_rejects_garbage_and_blank_lines() {
    let (line, seq, what) = broken_at(b"hello\n");
    assert_eq!((line, seq), (1, None));
    assert!(what.contains("not an audit entry"), "{what}");
    let (_dir, log) = log_with(1);
    let mut bytes = log.read_bytes().unwrap();
    bytes.extend_from_slice(b"\n");
    assert_eq!(broken_at(&bytes).0, 2);
}

#[test]
fn append_refuses_a_log_with_a_torn_tail_and_appends_after_a_long_line() {
    let (_dir, log) = log_with(2);
    let bytes = log.read_bytes().unwrap();
    std::fs::write(log.path(), &bytes[..bytes.len() - 5]).unwrap();
    let err = log
        .append(&Entry::new(&origin(&[]), "scan", Outcome::Ok))
        .unwrap_err();
    assert!(matches!(err, crate::Error::AuditDamaged { .. }), "{err:?}");
    // The refused append left the file as it was.
    assert_eq!(log.read_bytes().unwrap(), &bytes[..bytes.len() - 5]);

    // A last line longer than the backwards read block is found whole.
    std::fs::write(log.path(), &bytes).unwrap();
    let long = "x".repeat(20_000);
    log.append(&Entry::new(&origin(&[]), "plan", Outcome::Ok).reason(long.clone()))
        .unwrap();
    let appended = log
        .append(&Entry::new(&origin(&[]), "apply", Outcome::Ok))
        .unwrap();
    assert_eq!(appended.seq, 4);
    let v = verify(&log.read_bytes().unwrap(), None).unwrap();
    assert_eq!(v.entries, 4);
    assert_eq!(v.head, appended.hash);
}

#[test]
fn entries_are_masked_on_the_way_in() {
    let (_dir, log) = log_with(0);
    let o = origin(&[
        "apply",
        "plan.json",
        "--approve",
        "dg1-T0KEN",
        "--notify=https://hooks.slack.com/services/T/B/S3CR3T",
    ]);
    log.append(
        &Entry::new(&o, "apply", Outcome::Failed)
            .reason("POST https://user:pa55w0rd@example.com/x?sig=S1G failed")
            .detail_value("password", &Value::sensitive(Value::str("hunter2")))
            .detail("webhook", "https://hooks.example.com/abc/S3CR3T")
            .action(ActionRef {
                id: "a1".into(),
                kind: "revert".into(),
                address: Some("aws_security_group.web".into()),
                resource_id: Some("sg-1".into()),
            }),
    )
    .unwrap();
    let text = String::from_utf8(log.read_bytes().unwrap()).unwrap();
    for secret in ["T0KEN", "S3CR3T", "pa55w0rd", "S1G", "hunter2"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let r = &log.records().unwrap()[0];
    assert_eq!(r.args[3], "(sensitive)");
    assert_eq!(r.details["password"], "(sensitive)");
    assert_eq!(
        r.action.as_ref().unwrap().address.as_deref(),
        Some("aws_security_group.web")
    );
    assert!(verify(text.as_bytes(), None).is_ok());
}

#[test]
fn concurrent_appends_from_separate_handles_all_land_in_one_chain() {
    let (_dir, log) = log_with(0);
    const THREADS: usize = 8;
    const EACH: usize = 25;
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            // Each thread opens the file itself, as a separate process would.
            let log = Log::open(log.path());
            std::thread::spawn(move || {
                for i in 0..EACH {
                    log.append(
                        &Entry::new(&origin(&[]), "scan", Outcome::Ok)
                            .detail("writer", format!("{t}-{i}")),
                    )
                    .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let v = verify(&log.read_bytes().unwrap(), None).unwrap();
    assert_eq!(v.entries, (THREADS * EACH) as u64);
    let writers: std::collections::BTreeSet<String> = log
        .records()
        .unwrap()
        .into_iter()
        .map(|r| r.details["writer"].clone())
        .collect();
    assert_eq!(writers.len(), THREADS * EACH, "every entry is present once");
}

#[test]
fn show_filters_by_command_outcome_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path().join("a.jsonl"));
    let at = |t: time::OffsetDateTime| Origin {
        time: t,
        ..origin(&[])
    };
    use time::macros::datetime;
    log.append(&Entry::new(
        &at(datetime!(2026-11-30 23:00 UTC)),
        "scan",
        Outcome::Drift,
    ))
    .unwrap();
    log.append(
        &Entry::new(
            &at(datetime!(2026-12-01 08:00 UTC)),
            "apply",
            Outcome::Refused,
        )
        .reason("the plan has expired"),
    )
    .unwrap();
    log.append(&Entry::new(
        &at(datetime!(2026-12-01 09:00 UTC)),
        "scan",
        Outcome::Ok,
    ))
    .unwrap();
    let records = log.records().unwrap();
    let pick = |f: show::Filter| -> Vec<u64> {
        records
            .iter()
            .filter(|r| f.matches(r))
            .map(|r| r.seq)
            .collect()
    };
    assert_eq!(pick(show::Filter::default()), vec![1, 2, 3]);
    assert_eq!(
        pick(show::Filter {
            command: Some("scan".into()),
            ..Default::default()
        }),
        vec![1, 3]
    );
    assert_eq!(
        pick(show::Filter {
            outcome: Some(Outcome::Refused),
            ..Default::default()
        }),
        vec![2]
    );
    let since = show::parse_since("2026-12-01").unwrap();
    assert_eq!(
        pick(show::Filter {
            since: Some(since),
            ..Default::default()
        }),
        vec![2, 3]
    );
    let since = show::parse_since("2026-12-01T08:30:00+00:00").unwrap();
    assert_eq!(
        pick(show::Filter {
            since: Some(since),
            command: Some("scan".into()),
            ..Default::default()
        }),
        vec![3]
    );
    assert!(show::parse_since("yesterday").is_err());

    let table = crate::render::audit::table(&show::rows(&records), 3, None);
    assert!(table.contains("the plan has expired"), "{table}");
    assert!(table.contains("3 of 3 entries shown"), "{table}");
    // At any width, piped or not, a time, an actor and a plan are never broken (issue 17).
    for width in [None, Some(40), Some(60), Some(80)] {
        let table = crate::render::audit::table(&show::rows(&records), 3, width);
        for r in &records {
            for id in [&r.time, &r.actor] {
                assert!(
                    table.lines().any(|l| l.contains(id.as_str())),
                    "{id}:\n{table}"
                );
            }
            if let Some(p) = &r.plan {
                let short: String = p.trim_start_matches("sha256:").chars().take(12).collect();
                assert!(
                    table.lines().any(|l| l.contains(&format!("plan {short}"))),
                    "{table}"
                );
            }
        }
    }
    let json: serde_json::Value = serde_json::from_str(&show::render_json(&records)).unwrap();
    assert_eq!(json[1]["outcome"], "refused");
    assert_eq!(json[2]["prev"], json[1]["hash"]);
}

#[test]
fn outcomes_parse_from_their_names() {
    for o in Outcome::ALL {
        assert_eq!(o.as_str().parse::<Outcome>(), Ok(o));
        assert_eq!(
            serde_json::to_value(o).unwrap(),
            serde_json::Value::String(o.as_str().into())
        );
    }
    assert!("okay".parse::<Outcome>().unwrap_err().contains("refused"));
}
