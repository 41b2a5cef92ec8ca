use super::*;
use crate::model::{
    Address, Change, Drift, DriftKind, Finding, Path, ScanReport, Severity, StateSource, Status,
    Value,
};

/// The fingerprint a report without lineages gives (these findings name no lineage).
fn fingerprint(f: &Finding) -> String {
    crate::model::fingerprint(f, None)
}

fn at(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
}

fn changed(name: &str, paths: &[(&str, &str, &str)], severity: Severity) -> Finding {
    Finding {
        drift: Drift {
            kind: DriftKind::Changed,
            resource_type: "aws_vpc".into(),
            id: format!("vpc-{name}"),
            address: Some(Address::managed("aws_vpc", name)),
            state: Some(StateSource("terraform.tfstate".into())),
            region: Some("us-east-1".into()),
            changes: paths
                .iter()
                .map(|(p, a, b)| Change::new(Path::root(*p), Value::str(*a), Value::str(*b)))
                .collect(),
            observed: None,
        },
        severity,
        rule: "attribute_changed".into(),
        change_rules: vec![],
        source: None,
        status: Status::Open,
    }
}

fn unmanaged(id: &str, region: &str) -> Finding {
    Finding {
        drift: Drift {
            kind: DriftKind::Unmanaged,
            resource_type: "aws_iam_role".into(),
            id: id.into(),
            address: None,
            state: None,
            region: Some(region.into()),
            changes: vec![],
            observed: None,
        },
        severity: Severity::High,
        rule: "iam_unmanaged".into(),
        change_rules: vec![],
        source: None,
        status: Status::Open,
    }
}

fn report(findings: Vec<Finding>) -> ScanReport {
    ScanReport {
        states: vec![StateSource("terraform.tfstate".into())],
        regions: vec!["us-east-1".into()],
        findings,
        ..ScanReport::default()
    }
}

#[test]
fn fingerprints_name_the_identity_not_the_values() {
    let a = changed(
        "main",
        &[("cidr_block", "10.0.0.0/16", "10.1.0.0/16")],
        Severity::Low,
    );
    let same_drift_other_values = changed(
        "main",
        &[("cidr_block", "10.0.0.0/16", "10.9.0.0/16")],
        Severity::High,
    );
    assert_eq!(fingerprint(&a), fingerprint(&same_drift_other_values));
    assert!(fingerprint(&a).starts_with(FINGERPRINT_PREFIX));
    assert_eq!(fingerprint(&a).len(), FINGERPRINT_PREFIX.len() + 64);
    // Another resource, another path, another rule, another kind: another fingerprint.
    let others = [
        changed("other", &[("cidr_block", "a", "b")], Severity::Low),
        changed("main", &[("tags", "a", "b")], Severity::Low),
        changed(
            "main",
            &[("cidr_block", "a", "b"), ("tags", "a", "b")],
            Severity::Low,
        ),
        {
            let mut f = a.clone();
            f.rule = "tags_changed".into();
            f
        },
        {
            let mut f = a.clone();
            f.drift.kind = DriftKind::Missing;
            f.drift.changes.clear();
            f
        },
        {
            let mut f = a.clone();
            f.drift.state = Some(StateSource("other.tfstate".into()));
            f
        },
    ];
    let mut all: BTreeSet<String> = others.iter().map(fingerprint).collect();
    all.insert(fingerprint(&a));
    assert_eq!(all.len(), others.len() + 1);
    // Unmanaged: by region and cloud id.
    assert_ne!(
        fingerprint(&unmanaged("rogue", "us-east-1")),
        fingerprint(&unmanaged("rogue", "eu-west-1"))
    );
    assert_eq!(
        fingerprint(&unmanaged("rogue", "us-east-1")),
        fingerprint(&unmanaged("rogue", "us-east-1"))
    );
}

fn run_of(findings: Vec<Finding>, time: &str) -> Run {
    Run::of(&report(findings), 2, "report", "ci", at(time))
}

fn carried(tracked: &Tracked, run: &Run) -> Vec<Carried> {
    tracked
        .rows(run)
        .into_iter()
        .filter(|(_, s, _)| *s != FindingStatus::Resolved)
        .map(|(r, _, first_seen)| Carried {
            record: r.clone(),
            first_seen,
        })
        .collect()
}

#[test]
fn track_gives_new_open_and_resolved_with_a_fixed_first_seen() {
    let vpc = changed("main", &[("cidr_block", "a", "b")], Severity::Low);
    let role = unmanaged("rogue", "us-east-1");
    let r1 = run_of(vec![], "2026-12-01T02:00:00Z");
    let t1 = track(&[], &r1, 1, None);
    assert!(!t1.changed());

    let r2 = run_of(vec![vpc.clone(), role.clone()], "2026-12-02T02:00:00Z");
    let t2 = track(&carried(&t1, &r1), &r2, 2, Some(1));
    assert_eq!(t2.new_count(), 2);
    assert!(t2.changed());
    assert!(
        t2.current
            .values()
            .all(|s| s.first_seen == at("2026-12-02T02:00:00Z"))
    );

    let r3 = run_of(vec![vpc.clone()], "2026-12-03T02:00:00.123Z");
    assert_eq!(r3.time, at("2026-12-03T02:00:00Z"), "whole seconds");
    let t3 = track(&carried(&t2, &r2), &r3, 3, Some(2));
    let seen = t3.current[&fingerprint(&vpc)];
    assert_eq!(seen.status, FindingStatus::Open);
    assert_eq!(seen.first_seen, at("2026-12-02T02:00:00Z"));
    assert_eq!(t3.resolved.len(), 1);
    assert_eq!(t3.resolved[0].record.fingerprint, fingerprint(&role));
    assert!(t3.changed());

    let r4 = run_of(vec![vpc.clone()], "2026-12-04T02:00:00Z");
    let t4 = track(&carried(&t3, &r3), &r4, 4, Some(3));
    assert!(!t4.changed());
    assert_eq!(
        t4.current[&fingerprint(&vpc)].first_seen,
        at("2026-12-02T02:00:00Z")
    );
}

#[test]
fn an_incomplete_scan_or_an_ignore_resolves_nothing() {
    let vpc = changed("main", &[("cidr_block", "a", "b")], Severity::Low);
    let r1 = run_of(vec![vpc.clone()], "2026-12-01T02:00:00Z");
    let t1 = track(&[], &r1, 1, None);

    let mut incomplete = run_of(vec![], "2026-12-02T02:00:00Z");
    incomplete.complete = false;
    let t2 = track(&carried(&t1, &r1), &incomplete, 2, Some(1));
    assert!(t2.resolved.is_empty());
    assert_eq!(t2.unseen.len(), 1);
    assert!(!t2.changed());

    // Carried as unseen, then seen again: open since the first sighting.
    let r3 = run_of(vec![vpc.clone()], "2026-12-03T02:00:00Z");
    let t3 = track(&carried(&t2, &incomplete), &r3, 3, Some(2));
    assert_eq!(
        t3.current[&fingerprint(&vpc)],
        Seen {
            status: FindingStatus::Open,
            first_seen: at("2026-12-01T02:00:00Z")
        }
    );

    let mut ignored = run_of(vec![], "2026-12-04T02:00:00Z");
    ignored.set_aside.insert(fingerprint(&vpc));
    let t4 = track(&carried(&t3, &r3), &ignored, 4, Some(3));
    assert!(t4.resolved.is_empty());
    assert_eq!(t4.unseen.len(), 1);
}

#[test]
fn locations_are_files_or_postgres_urls_shown_without_credentials() {
    assert_eq!(
        Location::parse(".driftgate/history.db").unwrap(),
        Location::File(".driftgate/history.db".into())
    );
    let pg = Location::parse("postgres://ci:s3cret@db.internal:5432/drift").unwrap();
    assert!(matches!(pg, Location::Postgres(_)));
    assert!(!pg.shown().contains("s3cret"), "{}", pg.shown());
    assert!(pg.shown().contains("db.internal:5432"));
    // PostgreSQL reads the login up to an `@`, whatever `/`, `#` or `?` it holds.
    for (password, secret, shown) in [
        (
            "pa/ss",
            "ss",
            "postgres://(sensitive)@db.internal:5432/drift",
        ),
        ("p#w0rd", "w0rd", "postgres://(sensitive)"),
        ("p?w0rd", "w0rd", "postgres://(sensitive)"),
    ] {
        let pg =
            Location::parse(&format!("postgres://ci:{password}@db.internal:5432/drift")).unwrap();
        assert_eq!(pg.shown(), shown);
        assert!(!pg.shown().contains(secret), "{}", pg.shown());
        let debug = format!("{pg:?}");
        assert!(!debug.contains(secret), "{debug}");
    }
    // Debug shows the masked URL, never the password.
    let debug = format!("{pg:?} {:?}", Some(&pg));
    assert!(!debug.contains("s3cret"), "{debug}");
    assert!(
        debug.contains("Postgres(") && debug.contains("db.internal:5432"),
        "{debug}"
    );
    assert_eq!(
        format!("{:?}", Location::File("h.db".into())),
        r#"File("h.db")"#
    );
    assert!(matches!(
        Location::parse("postgresql://localhost/x"),
        Ok(Location::Postgres(_))
    ));
    // Another scheme is refused, not taken for a file name (nor shown with its password).
    let err = Location::parse("mysql://u:pw123456@h/db").unwrap_err();
    assert!(matches!(err, Error::Usage(_)), "{err:?}");
    assert!(!err.to_string().contains("pw123456"), "{err}");
    assert!(Location::parse("").is_err());
}

mod sqlite_store {
    use super::*;

    fn now() -> OffsetDateTime {
        at("2026-12-01T00:00:00Z")
    }

    fn open(path: &std::path::Path) -> Result<sqlite::Sqlite> {
        sqlite::Sqlite::open(path, true, now())
    }

    #[test]
    fn runs_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/dir/history.db");
        let vpc = changed("main", &[("cidr_block", "a", "b")], Severity::Low);
        let role = unmanaged("rogue", "us-east-1");
        let runs = [
            run_of(vec![], "2026-12-01T02:00:00Z"),
            run_of(vec![vpc.clone(), role], "2026-12-02T02:00:00Z"),
            run_of(vec![vpc.clone()], "2026-12-03T02:00:00Z"),
            run_of(vec![vpc.clone()], "2026-12-04T02:00:00Z"),
        ];
        let mut tracked = Vec::new();
        for r in &runs {
            // A new connection per run, as separate processes would.
            tracked.push(open(&path).unwrap().record(r).unwrap());
        }
        assert_eq!(
            tracked.iter().map(|t| t.changed()).collect::<Vec<_>>(),
            [false, true, true, false]
        );
        assert_eq!(tracked[3].previous_run, Some(3));
        assert_eq!(
            tracked[3].current[&fingerprint(&vpc)],
            Seen {
                status: FindingStatus::Open,
                first_seen: at("2026-12-02T02:00:00Z")
            }
        );
        let listed = open(&path).unwrap().runs(None).unwrap();
        assert_eq!(
            listed.iter().map(|r| r.id).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        assert_eq!(
            listed
                .iter()
                .map(|r| (r.new, r.resolved))
                .collect::<Vec<_>>(),
            [(0, 0), (2, 0), (0, 1), (0, 0)]
        );
        assert_eq!(listed[1].findings(), 2);
        assert_eq!(listed[1].time, "2026-12-02T02:00:00Z");
        let last2 = open(&path).unwrap().runs(Some(2)).unwrap();
        assert_eq!(last2.iter().map(|r| r.id).collect::<Vec<_>>(), [3, 4]);
    }

    #[test]
    fn scopes_do_not_resolve_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        let vpc = changed("main", &[("cidr_block", "a", "b")], Severity::Low);
        let mut store = open(&path).unwrap();
        store
            .record(&run_of(vec![vpc.clone()], "2026-12-01T02:00:00Z"))
            .unwrap();
        let mut other = run_of(vec![], "2026-12-01T02:05:00Z");
        other.regions = vec!["eu-west-1".into()];
        let t = store.record(&other).unwrap();
        assert_eq!(t.previous_run, None);
        assert!(t.resolved.is_empty());
    }

    #[test]
    fn two_writers_at_once_both_land() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        open(&path).unwrap();
        let handles: Vec<_> = (0..2)
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for i in 0..15 {
                        let f = changed(&format!("w{w}"), &[("tags", "a", "b")], Severity::Low);
                        let mut store = open(&path).unwrap();
                        store
                            .record(&run_of(
                                vec![f],
                                &format!("2026-12-01T02:{:02}:{:02}Z", w, i),
                            ))
                            .unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let runs = open(&path).unwrap().runs(None).unwrap();
        assert_eq!(runs.len(), 30);
        let ids: BTreeSet<i64> = runs.iter().map(|r| r.id).collect();
        assert_eq!(ids, (1..=30).collect());
    }

    #[test]
    fn a_foreign_file_is_refused_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        let text = b"these are my notes, not a database\n".repeat(100);
        std::fs::write(&path, &text).unwrap();
        let err = open(&path).err().expect("refused");
        assert!(matches!(err, Error::HistoryForeign { .. }), "{err:?}");
        assert!(err.to_string().contains("not a driftgate history"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), text);
        // Short files too.
        std::fs::write(&path, b"x").unwrap();
        assert!(matches!(open(&path), Err(Error::HistoryForeign { .. })));
        assert_eq!(std::fs::read(&path).unwrap(), b"x");
    }

    #[test]
    fn another_applications_sqlite_database_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db");
        {
            let c = rusqlite::Connection::open(&path).unwrap();
            c.execute_batch("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ann');")
                .unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let err = open(&path).err().expect("refused");
        assert!(matches!(err, Error::HistoryForeign { .. }), "{err:?}");
        assert!(err.to_string().contains("users") || format!("{err:?}").contains("users"));
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert!(!dir.path().join("app.db-wal").exists());
    }

    #[test]
    fn a_damaged_history_is_an_error_and_is_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        {
            let mut s = open(&path).unwrap();
            for day in 1..=9 {
                let f = changed(
                    &format!("vpc{day}"),
                    &[("cidr_block", "a", "b")],
                    Severity::Low,
                );
                s.record(&run_of(vec![f], &format!("2026-12-0{day}T02:00:00Z")))
                    .unwrap();
            }
        }
        // Closing the last connection checkpoints the WAL into the file.
        let mut bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() >= 4096 * 3, "{} bytes", bytes.len());
        // Garble every page after the first (the header stays SQLite's).
        for b in bytes.iter_mut().skip(4096 + 100) {
            *b ^= 0x5a;
        }
        std::fs::write(&path, &bytes).unwrap();
        let err = open(&path).err().expect("refused");
        assert!(matches!(err, Error::HistoryCorrupt { .. }), "{err:?}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        drop(open(&path).unwrap());
        {
            let c = rusqlite::Connection::open(&path).unwrap();
            c.execute(
                "INSERT INTO driftgate_migrations (version, applied_at) VALUES (99, 'x')",
                [],
            )
            .unwrap();
        }
        let err = open(&path).err().expect("refused");
        assert!(
            matches!(err, Error::HistoryTooNew { found: 99, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn reading_a_missing_history_does_not_create_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        let err = sqlite::Sqlite::open(&path, false, now()).err().unwrap();
        assert!(matches!(err, Error::HistoryMissing { .. }), "{err:?}");
        assert!(!path.exists());
    }

    #[test]
    fn the_migrations_are_recorded_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        drop(open(&path).unwrap());
        drop(open(&path).unwrap());
        let c = rusqlite::Connection::open(&path).unwrap();
        let versions: Vec<i64> = c
            .prepare("SELECT version FROM driftgate_migrations")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(versions, [latest_version()]);
        let mode: String = c
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}

#[test]
fn the_trend_follows_the_runs_of_the_same_inputs() {
    let summary = |id: i64, regions: &[&str], high: i64| RunSummary {
        id,
        time: format!("2026-12-0{id}T02:00:00Z"),
        command: "report".into(),
        actor: "ci".into(),
        states: vec!["terraform.tfstate".into()],
        regions: regions.iter().map(|r| r.to_string()).collect(),
        complete: true,
        exit_code: 2,
        counts: sql::counts([0, high, 0, 0, 0]),
        new: 0,
        resolved: 0,
    };
    let runs = [
        summary(1, &["us-east-1"], 3),
        summary(2, &["eu-west-1"], 7),
        summary(3, &["us-east-1"], 1),
    ];
    assert_eq!(
        trend(&runs, &["terraform.tfstate".into()], &["us-east-1".into()]),
        [
            (at("2026-12-01T02:00:00Z"), 3),
            (at("2026-12-03T02:00:00Z"), 1)
        ]
    );
}

#[test]
fn one_row_per_fingerprint() {
    let vpc = changed("main", &[("cidr_block", "a", "b")], Severity::Low);
    let run = run_of(vec![vpc.clone(), vpc], "2026-12-01T02:00:00Z");
    assert_eq!(run.findings.len(), 1);
}
