//! The module dependency rules of docs/architecture.md, checked on the source: every
//! `crate::` path in `src/` (a `use` line or a path written inline, test code left out) is an
//! arrow from its top-level module to another. The layers read top-down,
//! `cli → ops → features → core ← providers/readers/renderers`: an arrow may only point to a
//! lower layer, never up and never sideways (a feature does not import another feature of its
//! layer, a renderer does not import a feature). The few features that build on others
//! (`apply` on `trust` on `approval`) stand on lines of their own in [`LAYERS`], the order
//! stated there and in docs/architecture.md. Since every arrow points to a lower number, the
//! module graph has no circle. Only `render` (and `cli`'s last word, the error) writes to the
//! terminal.
//!
//! An arrow that breaks a rule would be listed in [`REMAINING`], with where it is and why it is
//! still there (the list is empty now). The test also fails when a listed one is gone, so the
//! list can only shrink: delete the line when you remove the arrow.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` and its layer; an arrow must go to a lower number.
const LAYERS: &[(&str, u8)] = &[
    ("cli", 10),
    // `driftgate mcp` (issue 19): the Model Context Protocol server, whose tools run the
    // operations as the CLI does; `cli` starts it.
    ("mcp", 9),
    ("ops", 8),
    // Features that build on others, each on its own line, the order stated: `apply` runs a
    // plan only as far as the approvals (under the trust root, when one is pinned) allow, and
    // performs the provider's unit calls; the trust root judges approvals more strictly than
    // the policy's rule (it is an `approval::Judge` over approval's signatures and tally).
    ("apply", 7),
    ("trust", 6),
    // Features: each interprets its own part of the run.
    ("approval", 5),
    ("audit", 5),
    ("history", 5),
    ("merge", 5),
    ("notify", 5),
    ("planner", 5),
    ("policy", 5),
    // The approval service (issue 19): HTTP, its store and its client; `ops` gives it the
    // approval checks and the audit log through its `Gate`.
    ("serve", 5),
    // Providers, readers and renderers: beside the features, over the core.
    ("provider", 5),
    ("iac", 5),
    ("render", 5),
    // The shared store (applied markers, locks, checkpoints): beneath the features that keep
    // their records in it (apply, audit).
    ("store", 4),
    // The core, bottom up inside it too.
    ("diff", 4),
    // The plan file and what its calls mean (wire form, digest and token, effects, edits,
    // shell words): beneath the planner that writes it and every feature that reads it.
    ("plan_file", 4),
    ("normalize", 3),
    // The AWS SDK's configuration and clients (region check, retries, timeouts, endpoint,
    // S3 addressing): beneath the provider, the state reader and the store that call AWS.
    ("aws_client", 3),
    ("codec", 3),
    ("mask", 2),
    ("spec", 2),
    // The one error type: its diagnostics may carry the model's data (a policy block's
    // `Problem`), never the other way round.
    ("error", 1),
    ("model", 0),
    ("report", 0),
    // The unit tests' counting allocator (built only under `cargo test --lib`): imports nothing.
    ("test_alloc", 0),
];

/// Arrows that break the rules today (`from`, `to`, where, why). Each must still exist.
const REMAINING: &[(&str, &str, &str)] = &[];

/// Files outside `render` that still print (`println!`, `eprintln!`, ...), and why.
const PRINTING: &[(&str, &str)] = &[
    // The process's last word: the error, rendered by miette, on stderr.
    ("cli/mod.rs", "the error a command ended with"),
];

pub(super) fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, test files (`tests.rs`, `tests/`) left out.
pub(super) fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            if name != "tests" {
                sources(&p, out);
            }
        } else if name.ends_with(".rs") && name != "tests.rs" {
            out.push(p);
        }
    }
}

/// The text with comments, strings and character literals blanked out (newlines kept), so
/// that neither a `crate::` nor a brace inside one counts.
fn blank(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let keep = |ch: char| if ch == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < c.len() {
        let at = |k: usize| c.get(k).copied().unwrap_or('\0');
        if c[i] == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c[i] == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            loop {
                if i >= c.len() {
                    break;
                }
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(keep(c[i]));
                    i += 1;
                }
            }
        } else if (c[i] == 'r' || (c[i] == 'b' && at(i + 1) == 'r'))
            && !(i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_'))
            && {
                let mut k = i + if c[i] == 'b' { 2 } else { 1 };
                while at(k) == '#' {
                    k += 1;
                }
                at(k) == '"'
            }
        {
            // A raw string: r"...", r#"..."#, br"...".
            let mut k = i + if c[i] == 'b' { 2 } else { 1 };
            let mut hashes = 0;
            while at(k) == '#' {
                hashes += 1;
                k += 1;
            }
            k += 1;
            while k < c.len() && !(c[k] == '"' && (1..=hashes).all(|h| at(k + h) == '#')) {
                k += 1;
            }
            let end = (k + 1 + hashes).min(c.len());
            out.extend(c[i..end].iter().map(|&ch| keep(ch)));
            i = end;
        } else if c[i] == '"' {
            let mut k = i + 1;
            while k < c.len() && c[k] != '"' {
                k += if c[k] == '\\' { 2 } else { 1 };
            }
            let end = (k + 1).min(c.len());
            out.extend(c[i..end].iter().map(|&ch| keep(ch)));
            i = end;
        } else if c[i] == '\'' && (at(i + 1) == '\\' || at(i + 2) == '\'') {
            // A character literal ('{', '\n', '\''); a lifetime ('a) is left alone.
            let mut k = i + 1;
            if at(k) == '\\' {
                k += 2;
            } else {
                k += 1;
            }
            while k < c.len() && c[k] != '\'' {
                k += 1;
            }
            let end = (k + 1).min(c.len());
            out.extend(c[i..end].iter().map(|&ch| keep(ch)));
            i = end;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// The code of a file without comments, strings and `#[cfg(test)]` items (a `mod x;` line or
/// a braced block), each blanked to an empty line so that line numbers still hold.
pub(super) fn code(text: &str) -> String {
    let blanked = blank(text);
    let mut out = String::new();
    let mut lines = blanked.lines();
    while let Some(line) = lines.next() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            out.push('\n');
            let mut depth = 0i32;
            let mut opened = false;
            for next in lines.by_ref() {
                out.push('\n');
                depth += next.matches('{').count() as i32 - next.matches('}').count() as i32;
                opened |= next.contains('{');
                if (opened && depth <= 0) || (!opened && next.trim_end().ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules a piece of code names through `crate::` (`crate::x::y`,
/// `crate::{x::y, z}`); `crate::Error` and `crate::Result` are `error`'s.
fn imports(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut add = |name: &str| {
        let module = match name {
            "Error" | "Result" => "error",
            n => n,
        };
        if !module.is_empty() {
            out.insert(module.to_string());
        }
    };
    for (i, _) in code.match_indices("crate::") {
        if i > 0 && code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue; // `driftgate::` or another crate's path
        }
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => start = true,
                    c if c.is_whitespace() => {}
                    _ if start && depth == 1 => {
                        add(ident(&group[j..]));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            add(ident(rest));
        }
    }
    out
}

/// The top-level module a file of `src/` belongs to (`None` for lib.rs and main.rs).
fn module_of(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_string_lossy();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (!matches!(name.as_str(), "lib" | "main")).then_some(name)
}

/// Every arrow between top-level modules, with the files that draw it.
fn arrows() -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let mut out: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for path in files {
        let rel = path.strip_prefix(src()).unwrap().to_path_buf();
        let Some(from) = module_of(&rel) else {
            continue;
        };
        for to in imports(&code(&std::fs::read_to_string(&path).unwrap())) {
            if to != from {
                let shown = rel.to_string_lossy().replace('\\', "/");
                out.entry((from.clone(), to)).or_default().insert(shown);
            }
        }
    }
    out
}

fn layer(module: &str) -> u8 {
    LAYERS
        .iter()
        .find(|(m, _)| *m == module)
        .map(|(_, l)| *l)
        .unwrap_or_else(|| panic!("`{module}` has no layer in tests/layers.rs: give it one"))
}

#[test]
fn the_reader_sees_use_lines_inline_paths_and_skips_test_code() {
    let text = r##"use crate::{a::b, c::{d, e}};
// crate::commented
/* crate::block */
fn f<'a>(x: &'a str) { crate::g::h(); driftgate::x(); let s = "crate::quoted {"; }
use crate::Result;
#[cfg(test)]
mod tests {
    use crate::t;
    fn x() { if y { crate::u("}\n", '}', r#"}"#); } }
}
#[cfg(test)]
mod sample;
use crate::after;
"##;
    let got: Vec<String> = imports(&code(text)).into_iter().collect();
    assert_eq!(got, ["a", "after", "c", "error", "g"]);
}

#[test]
fn every_module_has_a_layer_and_no_arrow_runs_up_or_sideways() {
    for entry in std::fs::read_dir(src()).unwrap() {
        if let Some(module) = module_of(Path::new(&entry.unwrap().file_name())) {
            layer(&module);
        }
    }
    let arrows = arrows();
    assert!(
        arrows.contains_key(&("ops".to_string(), "model".to_string())),
        "the reader found no arrows: {arrows:?}"
    );
    let remaining: BTreeSet<(&str, &str)> = REMAINING.iter().map(|(a, b, _)| (*a, *b)).collect();
    let mut broken = Vec::new();
    for ((from, to), files) in &arrows {
        if layer(from) <= layer(to) && !remaining.contains(&(from.as_str(), to.as_str())) {
            broken.push(format!("{from} -> {to} ({})", join(files)));
        }
    }
    assert!(
        broken.is_empty(),
        "arrows that run up or sideways:\n{}",
        broken.join("\n")
    );
}

#[test]
fn render_imports_neither_history_nor_apply_nor_provider() {
    let arrows = arrows();
    for to in ["history", "apply", "provider"] {
        let key = ("render".to_string(), to.to_string());
        let allowed = REMAINING.iter().any(|(a, b, _)| *a == "render" && *b == to);
        if let Some(files) = arrows.get(&key) {
            assert!(allowed, "render -> {to} ({})", join(files));
            // The one allowed arrow is drawn only where the list says.
            let (_, _, at) = REMAINING
                .iter()
                .find(|(a, b, _)| *a == "render" && *b == to)
                .unwrap();
            assert_eq!(join(files), *at, "render -> {to}");
        }
    }
}

#[test]
fn the_list_of_remaining_arrows_only_shrinks() {
    let arrows = arrows();
    for (from, to, at) in REMAINING {
        let key = (from.to_string(), to.to_string());
        let files = arrows.get(&key).unwrap_or_else(|| {
            panic!("{from} -> {to} is gone: delete it from REMAINING (and docs/architecture.md)")
        });
        assert!(
            files.contains(*at),
            "{from} -> {to} is no longer drawn by {at} but by {}: update REMAINING",
            join(files)
        );
        // A listed arrow must still break a rule (point sideways or up); one that now points
        // down keeps the rules and has no business in the list.
        assert!(
            layer(from) <= layer(to),
            "{from} -> {to} keeps the rules: delete it from REMAINING"
        );
    }
}

#[test]
fn only_render_prints() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let mut printing = BTreeSet::new();
    for path in files {
        let rel = path
            .strip_prefix(src())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel.starts_with("render/") {
            continue;
        }
        let code = code(&std::fs::read_to_string(&path).unwrap());
        if ["println!", "print!(", "eprintln!", "eprint!("]
            .iter()
            .any(|m| code.contains(m))
        {
            printing.insert(rel);
        }
    }
    let allowed: BTreeSet<String> = PRINTING.iter().map(|(f, _)| f.to_string()).collect();
    assert_eq!(printing, allowed, "files outside render that print");
}

fn join(files: &BTreeSet<String>) -> String {
    files.iter().cloned().collect::<Vec<_>>().join(", ")
}
