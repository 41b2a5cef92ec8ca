//! Every `driftgate` command line in the docs parses with driftgate's own clap definitions
//! (`Cli::try_parse_from`): the lines in fenced code blocks of `docs/*.md` and `README.md`,
//! and every line of the example files in `docs/examples/`. A synopsis line (one with
//! `[--optional FLAG]` groups) is checked flag by flag: each flag must exist on its
//! subcommand.

use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser};
use driftgate::cli::Cli;

use crate::support::root;

/// A command line found in a file.
#[derive(Debug)]
struct Found {
    at: String,
    line: String,
}

fn markdown_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.push(root().join("README.md"));
    files.sort();
    files
}

fn example_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("docs/examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// The lines of fenced code blocks (markdown), or every line (an example file), with
/// backslash continuations joined.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let markdown = path.extension().is_some_and(|x| x == "md");
    let mut out = Vec::new();
    let mut in_block = !markdown;
    let mut pending: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if markdown && (trimmed.starts_with("```") || trimmed.starts_with("~~~")) {
            in_block = !in_block;
            continue;
        }
        if !in_block {
            continue;
        }
        let (n, mut joined) = pending.take().unwrap_or((i + 1, String::new()));
        joined.push_str(line.trim());
        if let Some(stripped) = joined.strip_suffix('\\') {
            pending = Some((n, format!("{stripped} ")));
        } else {
            out.push((n, joined));
        }
    }
    out
}

/// Shell words, with quotes removed and `${{ ... }}` (GitHub Actions expressions) taken as
/// one word. A `#` word starts a comment.
fn words(line: &str) -> Vec<String> {
    let mut line = line.to_string();
    while let Some(start) = line.find("${{") {
        let end = line[start..]
            .find("}}")
            .map_or(line.len(), |e| start + e + 2);
        line.replace_range(start..end, "GITHUB_EXPRESSION");
    }
    let mut out = Vec::new();
    let mut word = String::new();
    let mut has_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                has_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '"' => {
                has_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        c => word.push(c),
                    }
                }
            }
            '#' if !has_word => break,
            c if c.is_whitespace() => {
                if has_word {
                    out.push(std::mem::take(&mut word));
                    has_word = false;
                }
            }
            c => {
                has_word = true;
                word.push(c);
            }
        }
    }
    if has_word {
        out.push(word);
    }
    out
}

/// Words after which a command starts.
const COMMAND_POSITION: &[&str] = &[
    "$", "-", "run:", "script:", "exec", "then", "do", "else", "&&", "||", ";", "|", "!", "if",
    "while", "until", "time", "env",
];

fn ends_command(w: &str) -> bool {
    matches!(w, ";" | "&&" | "||" | "|" | "&" | ")" | "<")
        || w.starts_with('>')
        || w.starts_with("2>")
        || w.starts_with("1>")
}

/// The `driftgate` invocations in one line: each as its argument vector.
fn invocations(line: &str) -> Vec<Vec<String>> {
    let words = words(line);
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let is_program = w == "driftgate" || w.ends_with("/driftgate");
        let at_command = i == 0
            || COMMAND_POSITION.contains(&words[i - 1].as_str())
            || words[i - 1].ends_with(';')
            || (words[i - 1].contains('=') && !words[i - 1].starts_with('-'));
        if !(is_program && at_command) {
            continue;
        }
        let mut args = vec!["driftgate".to_string()];
        for w in &words[i + 1..] {
            if ends_command(w) {
                break;
            }
            if let Some(last) = w.strip_suffix(';') {
                args.push(last.to_string());
                break;
            }
            args.push(w.clone());
        }
        out.push(args);
    }
    out
}

fn found() -> Vec<Found> {
    let mut out = Vec::new();
    for path in markdown_files().into_iter().chain(example_files()) {
        let rel = path.strip_prefix(root()).unwrap().display().to_string();
        for (n, line) in code_lines(&path) {
            let line = line.trim_start_matches("$ ").to_string();
            if invocations(&line).is_empty() && !is_synopsis(&line) {
                continue;
            }
            out.push(Found {
                at: format!("{rel}:{n}"),
                line,
            });
        }
    }
    out
}

/// `driftgate report [--history FILE|URL] ...`: a usage line, not a command.
fn is_synopsis(line: &str) -> bool {
    line.trim_start().starts_with("driftgate ") && line.contains(" [")
}

/// A synopsis: the subcommand path must exist and so must every `--flag` in it.
fn check_synopsis(line: &str) -> Result<(), String> {
    let mut command = Cli::command();
    let mut tokens = line.split_whitespace().skip(1).peekable();
    while let Some(t) = tokens.peek() {
        match command.find_subcommand(t) {
            Some(sub) => {
                command = sub.clone();
                tokens.next();
            }
            None => break,
        }
    }
    for t in tokens {
        let t = t.trim_start_matches('[').trim_end_matches(']');
        let Some(flag) = t.strip_prefix("--") else {
            continue;
        };
        let flag = flag.split('=').next().unwrap();
        let known = command
            .get_arguments()
            .chain(Cli::command().get_arguments())
            .any(|a| a.get_long() == Some(flag));
        if !known {
            return Err(format!(
                "`--{flag}` is not a flag of `{}`",
                command.get_name()
            ));
        }
    }
    Ok(())
}

#[test]
fn every_driftgate_command_line_in_the_docs_parses() {
    let all = found();
    let mut failures = Vec::new();
    let mut checked = 0;
    for f in &all {
        if is_synopsis(&f.line) {
            checked += 1;
            if let Err(e) = check_synopsis(&f.line) {
                failures.push(format!("{}: {e}\n    {}", f.at, f.line));
            }
            continue;
        }
        for args in invocations(&f.line) {
            checked += 1;
            if let Err(e) = Cli::try_parse_from(&args) {
                use clap::error::ErrorKind;
                if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                    continue;
                }
                failures.push(format!("{}: {}\n    {}", f.at, e.render(), args.join(" ")));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The extraction itself works: many lines, and every example file has one.
    assert!(checked >= 30, "only {checked} command lines found");
    for path in example_files() {
        let rel = path.strip_prefix(root()).unwrap().display().to_string();
        assert!(
            all.iter().any(|f| f.at.starts_with(&format!("{rel}:"))),
            "no driftgate command found in {rel}"
        );
    }
}

#[test]
fn the_extraction_finds_commands_where_a_shell_would_run_them() {
    let got = |l: &str| {
        invocations(l)
            .into_iter()
            .map(|a| a.join(" "))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        got("driftgate scan --format json > out.json; code=$?"),
        ["driftgate scan --format json"]
    );
    assert_eq!(
        got("0 2 * * *  cd /srv && driftgate report --notify \"$URL\" >>log 2>&1"),
        ["driftgate report --notify $URL"]
    );
    assert_eq!(
        got("run: driftgate report --region ${{ matrix.region }} --notify-always"),
        ["driftgate report --region GITHUB_EXPRESSION --notify-always"]
    );
    assert_eq!(
        got("- driftgate history --last 3 # the last three"),
        ["driftgate history --last 3"]
    );
    // Prose and comments are not commands.
    assert!(got("# S3 is not compared by driftgate yet").is_empty());
    assert!(got("the driftgate binary").is_empty());
    // A line that would not parse is caught.
    assert!(Cli::try_parse_from(["driftgate", "report", "--no-such-flag"]).is_err());
    assert!(check_synopsis("driftgate history [--history FILE|URL] [--last N]").is_ok());
    assert!(check_synopsis("driftgate history [--colour auto]").is_err());
}

/// Why a command line would compile driftgate into the clone's `./target` (a second build of
/// everything, next to the one scripts/demo, scripts/test and scripts/driftgate share), or
/// `None`. `cargo run` is never right in the docs (`scripts/driftgate` or the installed
/// `driftgate` is); `cargo build`/`test`/`check`/`clippy` and `cargo install --path` are right
/// only with `--target-dir` or `CARGO_TARGET_DIR`. (`cargo install --git URL` or a crate name
/// builds in a temporary directory, never in the clone.)
fn builds_into_dot_target(line: &str) -> Option<String> {
    let words = words(line);
    let target_dir = words
        .iter()
        .any(|w| w.starts_with("--target-dir") || w.contains("CARGO_TARGET_DIR"));
    for (i, w) in words.iter().enumerate() {
        let at_command = i == 0
            || COMMAND_POSITION.contains(&words[i - 1].as_str())
            || words[i - 1].ends_with(';')
            || (words[i - 1].contains('=') && !words[i - 1].starts_with('-'));
        if w != "cargo" || !at_command {
            continue;
        }
        let rest: Vec<&str> = words[i + 1..]
            .iter()
            .take_while(|w| !ends_command(w))
            .map(String::as_str)
            .collect();
        let Some(sub) = rest
            .iter()
            .find(|w| !w.starts_with('-') && !w.starts_with('+'))
        else {
            continue;
        };
        match *sub {
            "run" | "r" => return Some(
                "`cargo run` builds into ./target: show `scripts/driftgate ...` or `driftgate ...`"
                    .into(),
            ),
            "build" | "b" | "test" | "t" | "check" | "c" | "clippy" | "bench" if !target_dir => {
                return Some(format!(
                    "`cargo {sub}` without `--target-dir` or CARGO_TARGET_DIR builds into ./target"
                ));
            }
            "install" if !target_dir => {
                let from_elsewhere = rest.iter().any(|w| {
                    matches!(*w, "--git" | "--registry" | "--index") || w.starts_with("--git=")
                });
                let args: Vec<&&str> = rest
                    .iter()
                    .skip_while(|w| **w != "install")
                    .skip(1)
                    .filter(|w| !w.starts_with('-'))
                    .collect();
                let path = rest
                    .iter()
                    .any(|w| *w == "--path" || w.starts_with("--path="));
                if path || (!from_elsewhere && args.is_empty()) {
                    return Some(
                        "`cargo install --path` without `--target-dir` builds into ./target".into(),
                    );
                }
            }
            _ => {}
        }
    }
    None
}

#[test]
fn no_command_line_in_the_docs_builds_into_the_clone() {
    let mut failures = Vec::new();
    let mut cargo_lines = 0;
    for path in markdown_files().into_iter().chain(example_files()) {
        let rel = path.strip_prefix(root()).unwrap().display().to_string();
        for (n, line) in code_lines(&path) {
            let line = line.trim_start_matches("$ ");
            cargo_lines += usize::from(words(line).iter().any(|w| w == "cargo"));
            if let Some(why) = builds_into_dot_target(line) {
                failures.push(format!("{rel}:{n}: {why}\n    {line}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The README's install line and the CI examples' are seen (the check reads them).
    assert!(cargo_lines >= 3, "only {cargo_lines} cargo lines found");
}

#[test]
fn the_build_check_knows_which_cargo_commands_build_into_the_clone() {
    let bad = |l: &str| builds_into_dot_target(l).is_some();
    assert!(bad("cargo run --quiet -- plan --state x.tfstate"));
    assert!(bad("cargo run --release -- scan"));
    assert!(bad("cd driftgate && cargo build --release"));
    assert!(bad("cargo install --path ."));
    assert!(bad("cargo install --locked --path ."));
    assert!(bad("cargo test --lib policy::docs"));
    assert!(!bad(
        "cargo install --path . --target-dir \"${CARGO_TARGET_DIR:-$HOME/.cache/driftgate-target}\""
    ));
    assert!(!bad("CARGO_TARGET_DIR=/tmp/t cargo build"));
    assert!(!bad(
        "cargo install --locked --git \"$DRIFTGATE_GIT_URL\" driftgate"
    ));
    assert!(!bad(
        "run: cargo install --locked --git \"${{ vars.URL }}\" driftgate"
    ));
    assert!(!bad(
        "scripts/driftgate plan --state fixtures/demo/terraform.tfstate"
    ));
    assert!(!bad("# cargo run is not used here"));
}

/// The wrapper the docs use builds where scripts/test and scripts/demo build, never in ./target.
#[test]
fn scripts_driftgate_builds_into_the_scripts_target_dir() {
    let read = |p: &str| std::fs::read_to_string(root().join(p)).unwrap();
    let wrapper = read("scripts/driftgate");
    let default = "export CARGO_TARGET_DIR=\"${CARGO_TARGET_DIR:-$HOME/.cache/driftgate-target}\"";
    for script in ["scripts/driftgate", "scripts/test", "scripts/demo"] {
        assert!(
            read(script).contains(default),
            "{script} does not set {default}"
        );
    }
    assert!(wrapper.contains("exec \"$CARGO_TARGET_DIR/debug/driftgate\" \"$@\""));
    let code: Vec<&str> = wrapper
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    assert!(code.iter().all(|l| !l.contains("cargo run")));
    let export = code.iter().position(|l| l.contains(default));
    let build = code.iter().position(|l| l.contains("cargo build"));
    assert!(export.is_some() && build.is_some() && export < build);
    // What driftgate writes by default in its working directory is ignored by git.
    let ignore = read(".gitignore");
    // Every default file or directory a subcommand writes to (read from the clap definitions:
    // `plan --out`, `report --out-dir`, the history's and the audit log's `.driftgate/`).
    let mut written = vec![
        driftgate::cli::DEFAULT_HISTORY
            .split('/')
            .next()
            .unwrap()
            .to_string(),
    ];
    for sub in Cli::command().get_subcommands() {
        for arg in sub.get_arguments() {
            let id = arg.get_id().as_str();
            if matches!(id, "out" | "out_dir") {
                for v in arg.get_default_values() {
                    written.push(v.to_string_lossy().into_owned());
                }
            }
        }
    }
    assert!(
        written.iter().any(|w| w == "driftgate.plan.json"),
        "{written:?}"
    );
    for written in &written {
        assert!(
            ignore.lines().any(|l| l.trim_end_matches('/') == written),
            ".gitignore does not cover {written}"
        );
    }
}

/// The resource types with a spec under `providers/` (the generated page's rows).
fn spec_types() -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for provider in std::fs::read_dir(root().join("providers")).unwrap() {
        for service in std::fs::read_dir(provider.unwrap().path()).unwrap() {
            for f in std::fs::read_dir(service.unwrap().path()).unwrap() {
                let p = f.unwrap().path();
                if p.extension().is_some_and(|e| e == "hcl") {
                    out.insert(p.file_stem().unwrap().to_string_lossy().into_owned());
                }
            }
        }
    }
    out
}

/// The README's paragraphs (text between blank lines, outside fenced code blocks).
fn prose_paragraphs(text: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut in_block = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            continue;
        }
        if trimmed.is_empty() {
            out.push(String::new());
        } else if let Some(last) = out.last_mut() {
            last.push_str(line);
            last.push('\n');
        }
    }
    out.retain(|p| !p.is_empty());
    out
}

/// The spec types a paragraph names.
fn types_named(paragraph: &str, types: &std::collections::BTreeSet<String>) -> Vec<String> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    paragraph
        .split(|c: char| !is_word(c))
        .filter(|w| types.contains(*w))
        .map(str::to_string)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[test]
fn the_readme_points_to_the_generated_type_list_and_repeats_none_of_it() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains("(docs/supported-resources.md)"),
        "the README must link the generated docs/supported-resources.md"
    );
    let types = spec_types();
    assert!(types.len() >= 10, "{types:?}");
    // A hand-kept list goes stale as types are added: a paragraph may name a type or two as
    // an example, never a list of them.
    for p in prose_paragraphs(&readme) {
        let named = types_named(&p, &types);
        assert!(
            named.len() <= 2,
            "the README lists supported types by hand ({named:?}); point to \
             docs/supported-resources.md instead:\n{p}"
        );
    }
}

#[test]
fn a_hand_kept_type_list_is_caught() {
    let types: std::collections::BTreeSet<String> = ["aws_vpc", "aws_subnet", "aws_instance"]
        .map(String::from)
        .into();
    let text = "Intro.\n\nCompared: `aws_vpc`, `aws_subnet`,\n`aws_instance`.\n\n```\naws_vpc aws_subnet aws_instance\n```\n";
    let paragraphs = prose_paragraphs(text);
    assert_eq!(paragraphs.len(), 2, "{paragraphs:?}");
    assert_eq!(types_named(&paragraphs[1], &types).len(), 3);
    assert_eq!(types_named("an aws_vpc_x or my_aws_vpc", &types).len(), 0);
}
