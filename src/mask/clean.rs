//! Text that someone else wrote (the plan's actor and reasons, file and resource names, tags,
//! a state's source) on its way to a terminal or a chat: it must not be able to move the
//! cursor, erase a line, set a hyperlink or a title, hide text, forge a line, or reorder what
//! follows it.
//!
//! - [`clean`]: one line. Escape sequences (CSI, OSC, DCS, ... in their 7-bit `ESC` and
//!   8-bit C1 forms) are removed whole; a line break or tab becomes a space; every other
//!   control character (C0, DEL, C1) and every bidirectional or invisible formatting
//!   character (U+200B-U+200F, U+202A-U+202E, U+2060-U+2064, U+2066-U+2069, U+FEFF) is removed.
//! - [`clean_text`]: many lines: the same, keeping `\n`.
//! - [`clean_output`]: what `render::emit` prints: [`clean_text`], keeping only the color
//!   sequences driftgate's own table writes (`ESC [ n m` with `n` one of its color codes).

use std::borrow::Cow;

/// The SGR parameters driftgate's table writes (bold, dim, reset, its colors).
const OWN_SGR: &[&str] = &["0", "1", "2", "1;31", "31", "32", "33", "35", "36"];

fn invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}')
}

/// Whether `scrub` changes `c` (outside a sequence): a control character (the escape and the
/// 8-bit introducers among them), unless a kept line break, or an invisible one.
fn scrubbed(c: char, keep_newlines: bool) -> bool {
    (c.is_control() && !(keep_newlines && c == '\n')) || invisible(c)
}

/// Removes escape sequences and controls; `keep_newlines` keeps `\n`; `keep_colors` keeps
/// driftgate's own color sequences. Text with nothing to remove is returned as it is; the
/// text is walked in place (a report of a large account is tens of megabytes).
fn scrub(s: &str, keep_newlines: bool, keep_colors: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| scrubbed(c, keep_newlines)) {
        return Cow::Borrowed(s);
    }
    // The character at byte offset `j` (always a character boundary).
    let at = |j: usize| s.get(j..).and_then(|rest| rest.chars().next());
    let within = |j: usize, lo: char, hi: char| at(j).is_some_and(|d| (lo..=hi).contains(&d));
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(c) = at(i) {
        let next = i + c.len_utf8();
        // The introducer of a sequence, in its 7-bit (`ESC x`) or 8-bit (C1) form.
        let (kind, body) = match c {
            '\u{1b}' => match at(next) {
                Some('[') => (Some('['), next + 1),
                Some(']' | 'P' | 'X' | '^' | '_') => (Some(']'), next + 1),
                Some(_) => (Some('e'), next),
                None => (Some('e'), next),
            },
            '\u{9b}' => (Some('['), next),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => (Some(']'), next),
            _ => (None, i),
        };
        // Inside a sequence every character stepped over one by one is ASCII (one byte).
        match kind {
            Some('[') => {
                // CSI: parameters 0x30-0x3F, intermediates 0x20-0x2F, one final 0x40-0x7E.
                let mut j = body;
                while within(j, '\u{30}', '\u{3f}') {
                    j += 1;
                }
                let params = &s[body..j];
                while within(j, '\u{20}', '\u{2f}') {
                    j += 1;
                }
                let end = if within(j, '\u{40}', '\u{7e}') {
                    j + 1
                } else {
                    j
                };
                if keep_colors
                    && c == '\u{1b}'
                    && end == j + 1
                    && at(j) == Some('m')
                    && j == body + params.len()
                    && OWN_SGR.contains(&params)
                {
                    out.push_str(&format!("\u{1b}[{params}m"));
                }
                i = end;
            }
            Some(']') => {
                // A string sequence (OSC, DCS, SOS, PM, APC): up to BEL, ST (`ESC \`, 0x9C),
                // removed whole when it ends on its line. One with no end there loses only its
                // introducer and the rest is read as text: an introducer in one value must not
                // swallow the values and lines after it (the rest of a report).
                let mut j = body;
                i = loop {
                    match at(j) {
                        None | Some('\n') => break body,
                        Some(end @ ('\u{7}' | '\u{9c}')) => break j + end.len_utf8(),
                        Some('\u{1b}') if at(j + 1) == Some('\\') => break j + 2,
                        Some(d) => j += d.len_utf8(),
                    }
                };
            }
            Some(_) => {
                // `ESC x` (and its intermediates): dropped with the character it introduces.
                let mut j = body;
                while within(j, '\u{20}', '\u{2f}') {
                    j += 1;
                }
                if within(j, '\u{30}', '\u{7e}') {
                    j += 1;
                }
                i = j;
            }
            None => {
                match c {
                    '\n' if keep_newlines => out.push('\n'),
                    '\n' | '\r' | '\t' => out.push(' '),
                    c if c.is_control() || invisible(c) => {}
                    c => out.push(c),
                }
                i = next;
            }
        }
    }
    Cow::Owned(out)
}

/// One line of someone else's text, safe for a terminal or a chat (see the module docs).
pub fn clean(s: &str) -> String {
    scrub(s, false, false).into_owned()
}

/// Many lines of text, safe for a terminal: [`clean`] line by line.
pub fn clean_text(s: &str) -> String {
    scrub(s, true, false).into_owned()
}

/// What driftgate prints: [`clean_text`], keeping the color sequences it writes itself. The
/// text itself when there is nothing to remove (no copy of a large report).
pub fn clean_output(s: &str) -> Cow<'_, str> {
    scrub(s, true, true)
}

/// `v` as pretty-printed JSON with every C1 control character (U+0080-U+009F) written as a
/// `\u00XX` escape. serde_json writes them raw, and a terminal reads some of them as the
/// introducer of an escape sequence: through [`clean_output`] a raw one would be removed with
/// what follows it, and the JSON would no longer be the report. Escaped, the text is plain
/// ASCII where it matters and parses back to the same value.
pub fn json_pretty<T: serde::Serialize + ?Sized>(v: &T) -> serde_json::Result<String> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, C1Escaped::default());
    v.serialize(&mut ser)?;
    // The serializer writes only what it was given (valid UTF-8) and ASCII escapes.
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// serde_json's pretty formatter, escaping C1 controls inside strings.
#[derive(Default)]
struct C1Escaped(serde_json::ser::PrettyFormatter<'static>);

/// Forwards the formatter's layout methods to the pretty formatter.
macro_rules! pretty {
    ($($name:ident $(($arg:ident: $ty:ty))?),* $(,)?) => {$(
        fn $name<W: ?Sized + std::io::Write>(
            &mut self,
            w: &mut W
            $(, $arg: $ty)?
        ) -> std::io::Result<()> {
            self.0.$name(w $(, $arg)?)
        }
    )*};
}

impl serde_json::ser::Formatter for C1Escaped {
    pretty! {
        begin_array, end_array, begin_array_value(first: bool), end_array_value,
        begin_object, end_object, begin_object_key(first: bool), begin_object_value,
        end_object_value,
    }

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut from = 0;
        for (i, c) in fragment.char_indices() {
            if ('\u{80}'..='\u{9f}').contains(&c) {
                w.write_all(&fragment.as_bytes()[from..i])?;
                write!(w, "\\u{:04x}", c as u32)?;
                from = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[from..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_sequence_with_no_end_on_its_line_loses_only_its_introducer() {
        // Before: everything after the introducer was removed, up to the end of the report.
        assert_eq!(clean_output("a\u{9d}b\nc"), "ab\nc");
        assert_eq!(clean_output("a\u{1b}]0;b\nc\u{7}d"), "a0;b\ncd");
        assert_eq!(clean_output("x\u{9d}0;title\u{9c}y\n"), "xy\n");
    }

    #[test]
    fn json_is_written_with_c1_controls_escaped_and_reads_back_the_same() {
        let v = serde_json::json!({"tags": {"k\u{9d}": "v\u{9c}", "Name": "ok ✓"}, "n": [1, 2]});
        let text = json_pretty(&v).unwrap();
        assert!(!text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)));
        assert!(text.contains("\"k\\u009d\": \"v\\u009c\""), "{text}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
        // Printed, it is left as it is; and it is laid out as serde_json lays it out.
        assert_eq!(clean_output(&text), text);
        let plain = serde_json::json!({"a": [1, {"b": "c"}], "d": {}});
        assert_eq!(
            json_pretty(&plain).unwrap(),
            serde_json::to_string_pretty(&plain).unwrap()
        );
    }

    #[test]
    fn escape_sequences_and_controls_are_removed() {
        // Erase the line, go up one: the classic way to hide a planned call.
        assert_eq!(clean("a\u{1b}[2K\u{1b}[1Ab"), "ab");
        // A hyperlink (OSC 8) and a window title, terminated by ST and by BEL.
        assert_eq!(
            clean("x\u{1b}]8;;http://evil\u{1b}\\link\u{1b}]8;;\u{1b}\\y"),
            "xlinky"
        );
        assert_eq!(clean("\u{1b}]0;title\u{7}z"), "z");
        // 8-bit CSI, a lone ESC at the end, DEL, NUL, a bidi override.
        assert_eq!(clean("p\u{9b}31mq\u{7f}\u{0}\u{202e}r\u{1b}"), "pqr");
        // Line breaks cannot forge a line.
        assert_eq!(
            clean("bob\nApproved by alice\r\tx"),
            "bob Approved by alice  x"
        );
        assert_eq!(clean_text("one\ntwo\u{1b}[8m"), "one\ntwo");
        // Plain text and non-ASCII letters stay.
        assert_eq!(
            clean("dg-fix-app é ✓ (sensitive)"),
            "dg-fix-app é ✓ (sensitive)"
        );
    }

    #[test]
    fn text_with_nothing_to_remove_is_passed_on_as_it_is() {
        let report = "{\n  \"id\": \"vpc-1 é ✓\"\n}\n".repeat(1000);
        match clean_output(&report) {
            Cow::Borrowed(b) => assert!(std::ptr::eq(b, report.as_str())),
            Cow::Owned(_) => panic!("a clean report was copied"),
        }
        // A line break is not kept in one line.
        assert!(matches!(scrub("a\nb", false, false), Cow::Owned(_)));
    }

    #[test]
    fn sequences_are_found_among_characters_of_several_bytes() {
        assert_eq!(clean("é\u{1b}[31mü✓\u{1b}[0mß"), "éü✓ß");
        // An OSC whose text has characters of several bytes, ended by an 8-bit ST (two bytes).
        assert_eq!(clean("a\u{9d}0;tïtle ✓\u{9c}b"), "ab");
        assert_eq!(clean("a\u{1b}]8;;ü\u{1b}\\é"), "aé");
        // An unended OSC loses its introducer only (it took the rest of the text before); a C1
        // control between letters of several bytes goes.
        assert_eq!(clean("x\u{1b}]0;ñ"), "x0;ñ");
        assert_eq!(clean("ñ\u{85}ñ\u{200b}ñ"), "ñññ");
        assert_eq!(
            clean_output("ü\u{1b}[1;31mé\u{1b}[0m\u{1b}[1 m"),
            "ü\u{1b}[1;31mé\u{1b}[0m"
        );
    }

    #[test]
    fn only_driftgate_s_own_colors_survive_output() {
        assert_eq!(
            clean_output("\u{1b}[1;31mcritical\u{1b}[0m \u{1b}[8mhidden\u{1b}[7m \u{1b}[2J"),
            "\u{1b}[1;31mcritical\u{1b}[0m hidden "
        );
    }
}
