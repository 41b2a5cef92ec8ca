//! No function of `src/` is over [`LIMIT`] lines (issue 18), test code left out: a render
//! template or a table of cases is split by what its parts are about like any other function.
//! The source is read as tests/layers.rs reads it (comments, strings and `#[cfg(test)]` items
//! blanked, `tests/` directories and `tests.rs` files skipped).
//!
//! The functions still over the limit are listed in [`LONG`], each with why. The test also
//! fails when one of them is short or gone, so the list can only shrink: delete the line when
//! you split the function.

use std::collections::BTreeSet;

use super::layers::{code, sources, src};

/// The most lines a function's body may take, from its opening brace to its closing one.
const LIMIT: usize = 100;

/// Functions over the limit today (file under `src/`, function name, why it is still long).
const LONG: &[(&str, &str, &str)] = &[
    (
        "cli/mod.rs",
        "run",
        "the command dispatch, being reworked with ops (issue 18)",
    ),
    (
        "serve/mod.rs",
        "handle",
        "the service's route table (issue 19, landed last): to split per route",
    ),
];

/// A function with a body, as found in a file's code.
#[derive(Debug, PartialEq)]
struct Function {
    name: String,
    /// The line of its `fn` keyword, from 1.
    line: usize,
    /// Lines from the opening brace of its body to the closing one, both included.
    lines: usize,
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Every function with a body in `code` (as [`code`] leaves a file), nested ones too. A
/// declaration without a body (`fn f();` in a trait) and a function pointer type (`fn(u8)`)
/// are not functions.
fn functions(code: &str) -> Vec<Function> {
    let b = code.as_bytes();
    let line_at = |at: usize| 1 + b[..at].iter().filter(|&&c| c == b'\n').count();
    let mut out = Vec::new();
    for (at, _) in code.match_indices("fn") {
        let after = at + 2;
        if (at > 0 && is_ident(b[at - 1])) || !b.get(after).is_some_and(u8::is_ascii_whitespace) {
            continue;
        }
        let start = after + code[after..].len() - code[after..].trim_start().len();
        let name_len = b[start..].iter().take_while(|&&c| is_ident(c)).count();
        if name_len == 0 {
            continue; // `fn $name` in a macro
        }
        // The body opens at the first `{` outside parentheses and brackets; a `;` before it
        // ends a declaration.
        let mut depth = 0i32;
        let mut open = None;
        for (k, &c) in b.iter().enumerate().skip(start + name_len) {
            match c {
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth -= 1,
                b';' if depth == 0 => break,
                b'{' if depth == 0 => {
                    open = Some(k);
                    break;
                }
                _ => {}
            }
        }
        let Some(open) = open else { continue };
        let mut braces = 0i32;
        let mut close = b.len() - 1;
        for (k, &c) in b.iter().enumerate().skip(open) {
            match c {
                b'{' => braces += 1,
                b'}' => {
                    braces -= 1;
                    if braces == 0 {
                        close = k;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push(Function {
            name: code[start..start + name_len].to_string(),
            line: line_at(at),
            lines: line_at(close) - line_at(open) + 1,
        });
    }
    out
}

/// Every function of `src/`, with its file.
fn all_functions() -> Vec<(String, Function)> {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let mut out = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(src())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        for f in functions(&code(&std::fs::read_to_string(&path).unwrap())) {
            out.push((rel.clone(), f));
        }
    }
    out
}

#[test]
fn the_reader_measures_bodies_and_skips_declarations_pointers_and_test_code() {
    let text = r##"trait T {
    fn declared(&self) -> u8;
}
fn outer<F: Fn(u8)>(f: fn(u8) -> u8, g: [u8; 2])
where
    F: Copy,
{
    let s = "fn fake() {";
    fn inner() { }
}
#[cfg(test)]
mod tests {
    fn tested() {
    }
}
"##;
    let got = functions(&code(text));
    let want = [
        Function {
            name: "outer".into(),
            line: 4,
            lines: 4,
        },
        Function {
            name: "inner".into(),
            line: 9,
            lines: 1,
        },
    ];
    assert_eq!(got, want);
}

#[test]
fn no_function_is_over_the_limit() {
    let listed: BTreeSet<(&str, &str)> = LONG.iter().map(|(f, n, _)| (*f, *n)).collect();
    let found = all_functions();
    assert!(
        found.len() > 1000,
        "the reader found only {} functions in src/",
        found.len()
    );
    let over: Vec<String> = found
        .iter()
        .filter(|(file, f)| f.lines > LIMIT && !listed.contains(&(file.as_str(), f.name.as_str())))
        .map(|(file, f)| format!("{file}:{} fn {}: {} lines", f.line, f.name, f.lines))
        .collect();
    assert!(
        over.is_empty(),
        "functions over {LIMIT} lines: split them by meaning\n{}",
        over.join("\n")
    );
}

#[test]
fn the_list_of_long_functions_only_shrinks() {
    let found: BTreeSet<(String, String)> = all_functions()
        .into_iter()
        .filter(|(_, f)| f.lines > LIMIT)
        .map(|(file, f)| (file, f.name))
        .collect();
    for (file, name, _) in LONG {
        assert!(
            found.contains(&(file.to_string(), name.to_string())),
            "{file} fn {name} is no longer over {LIMIT} lines (or is gone): delete it from LONG"
        );
    }
}
