//! The one layout of every table but the scan's (which is a list of findings, laid out by
//! `render::table`): the plan, `apply`'s outcome, `audit show`, `history`.
//!
//! A cell is never broken inside a word. An identifier column ([`Col::Id`]: addresses, ids,
//! API names, RFC 3339 times, digests) is never wrapped at all; a free-text column
//! ([`Col::Text`]) wraps at spaces only, so an identifier inside it (a manual command's
//! address, an API name) stays whole too. When the table does not fit the width, the text
//! columns narrow down to their longest word; past that the table is wider than the width
//! (a terminal wraps the line, a pipe keeps it) rather than cut a name in two.
//!
//! The width is the terminal's, else [`WIDTH`] (a pipe, a CI log): the layout does not depend
//! on anything but the rows and that number.

use comfy_table::{ContentArrangement, Table, presets};

/// The width a table is laid out in when stdout is not a terminal.
pub const WIDTH: usize = 120;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    /// Identifiers: never wrapped (each line of the cell stays one line).
    Id,
    /// Free text: wrapped at spaces only, never inside a word.
    Text,
}

/// How the table is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Box-drawing borders (the plan, apply, audit show).
    Boxed,
    /// Columns aligned with two spaces, no borders (history).
    Plain,
}

/// A table: its columns, then rows of cells (a cell may hold several lines).
#[derive(Debug, Clone)]
pub struct Grid {
    style: Style,
    header: Vec<String>,
    cols: Vec<Col>,
    rows: Vec<Vec<String>>,
}

fn text_width(s: &str) -> usize {
    s.chars().count()
}

/// The widest line of a cell.
fn natural(cell: &str) -> usize {
    cell.lines().map(text_width).max().unwrap_or(0)
}

/// The longest word of a cell (what a text column cannot be narrower than).
fn longest_word(cell: &str) -> usize {
    cell.split([' ', '\n']).map(text_width).max().unwrap_or(0)
}

/// `cell` wrapped to `width` at spaces only (its own line breaks kept); a word longer than
/// `width` stays whole on its own line.
fn wrap(cell: &str, width: usize) -> String {
    let opts = textwrap::Options::new(width.max(1))
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(false);
    cell.split('\n')
        .flat_map(|line| {
            if text_width(line) <= width {
                vec![line.to_string()]
            } else {
                textwrap::wrap(line, &opts)
                    .into_iter()
                    .map(|l| l.into_owned())
                    .collect()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl Grid {
    pub fn new(style: Style, columns: &[(&str, Col)]) -> Grid {
        Grid {
            style,
            header: columns.iter().map(|(h, _)| (*h).to_string()).collect(),
            cols: columns.iter().map(|(_, c)| *c).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells are empty, extra cells are an error of the caller (dropped).
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let mut cells: Vec<String> = cells.into_iter().map(Into::into).collect();
        cells.resize(self.cols.len(), String::new());
        self.rows.push(cells);
    }

    /// The columns' widths within `width` (see the module's doc).
    fn widths(&self, width: usize) -> Vec<usize> {
        let n = self.cols.len();
        let column =
            |i: usize| std::iter::once(&self.header[i]).chain(self.rows.iter().map(move |r| &r[i]));
        let mut widths: Vec<usize> = (0..n)
            .map(|i| column(i).map(|c| natural(c)).max().unwrap_or(0))
            .collect();
        let least: Vec<usize> = (0..n)
            .map(|i| match self.cols[i] {
                Col::Id => widths[i],
                Col::Text => column(i)
                    .map(|c| longest_word(c))
                    .max()
                    .unwrap_or(0)
                    .max(widths[i].min(12)),
            })
            .collect();
        let overhead = match self.style {
            Style::Boxed => 3 * n + 1,
            Style::Plain => 2 * n.saturating_sub(1),
        };
        // Narrow the widest text column that can narrow, one column at a time.
        while widths.iter().sum::<usize>() + overhead > width {
            let Some(i) = (0..n)
                .filter(|&i| widths[i] > least[i])
                .max_by_key(|&i| (widths[i], std::cmp::Reverse(i)))
            else {
                break;
            };
            widths[i] -= 1;
        }
        widths
    }

    /// The table laid out in `width` columns (`None`: not a terminal, [`WIDTH`]), ending with a
    /// newline.
    pub fn render(&self, width: Option<usize>) -> String {
        let widths = self.widths(width.unwrap_or(WIDTH));
        let cell = |i: usize, c: &str| match self.cols[i] {
            Col::Id => c.to_string(),
            Col::Text => wrap(c, widths[i]),
        };
        let header: Vec<String> = self
            .header
            .iter()
            .enumerate()
            .map(|(i, h)| cell(i, h))
            .collect();
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().enumerate().map(|(i, c)| cell(i, c)).collect())
            .collect();
        match self.style {
            Style::Boxed => {
                let mut t = Table::new();
                // Laid out above: comfy_table only draws (no wrapping of its own).
                t.force_no_tty()
                    .load_style(presets::UTF8_FULL_CONDENSED)
                    .set_content_arrangement(ContentArrangement::Disabled)
                    .set_header(header);
                for r in rows {
                    t.add_row(r);
                }
                format!("{t}\n")
            }
            Style::Plain => {
                let mut out = String::new();
                for r in std::iter::once(header).chain(rows) {
                    let lines: Vec<Vec<&str>> = r.iter().map(|c| c.lines().collect()).collect();
                    let height = lines.iter().map(Vec::len).max().unwrap_or(1).max(1);
                    for k in 0..height {
                        let mut line = String::new();
                        for (i, l) in lines.iter().enumerate() {
                            if i > 0 {
                                line.push_str("  ");
                            }
                            let text = l.get(k).copied().unwrap_or("");
                            line.push_str(text);
                            let pad = widths[i].saturating_sub(text_width(text));
                            line.push_str(&" ".repeat(pad));
                        }
                        out.push_str(line.trim_end());
                        out.push('\n');
                    }
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Grid {
        let mut g = Grid::new(
            Style::Boxed,
            &[
                ("id", Col::Id),
                ("resource", Col::Id),
                ("time", Col::Id),
                ("does", Col::Text),
            ],
        );
        g.row([
            "a02",
            "aws_iam_role_policy.app_inline",
            "2026-12-01T10:00:00Z",
            "ec2:AuthorizeSecurityGroupIngress\nthen something said in a few words of prose",
        ]);
        g.row([
            "a07",
            "aws_vpc_security_group_ingress_rule sgr-4c07874ebcf93054a",
            "2026-12-01T10:00:01Z",
            "terraform import aws_vpc_security_group_ingress_rule.sgr_4c07874ebcf93054a sgr-4c07874ebcf93054a (in no state: give the configuration)",
        ]);
        g
    }

    const IDS: &[&str] = &[
        "aws_iam_role_policy.app_inline",
        "aws_vpc_security_group_ingress_rule sgr-4c07874ebcf93054a",
        "2026-12-01T10:00:00Z",
        "2026-12-01T10:00:01Z",
        "ec2:AuthorizeSecurityGroupIngress",
        "aws_vpc_security_group_ingress_rule.sgr_4c07874ebcf93054a",
    ];

    #[test]
    fn identifiers_are_never_broken_at_any_width_or_without_a_terminal() {
        let g = sample();
        for width in [
            None,
            Some(20),
            Some(40),
            Some(60),
            Some(80),
            Some(100),
            Some(200),
        ] {
            let out = g.render(width);
            for id in IDS {
                assert!(
                    out.lines().any(|l| l.contains(id)),
                    "{id} broken at {width:?}:\n{out}"
                );
            }
            // Every word of the prose is whole.
            for word in ["something", "configuration)", "(in"] {
                assert!(out.contains(word), "{word} at {width:?}:\n{out}");
            }
        }
    }

    #[test]
    fn prose_wraps_at_spaces_to_fit_and_identifiers_overflow_instead() {
        let g = sample();
        let out = g.render(Some(160));
        // The widest line fits in 160 columns: only the text column narrowed.
        assert!(out.lines().all(|l| l.chars().count() <= 160), "{out}");
        assert!(out.lines().any(|l| l.chars().count() > 150), "{out}");
        assert!(
            out.lines().any(|l| l.contains("then something said")),
            "{out}"
        );
        // Too narrow for the identifiers: the table overflows, it does not cut them.
        let narrow = g.render(Some(40));
        assert!(narrow.lines().any(|l| l.chars().count() > 40), "{narrow}");
        // The layout depends on the width only: the same width, the same table.
        assert_eq!(g.render(None), g.render(Some(WIDTH)));
    }

    #[test]
    fn plain_tables_align_columns_and_keep_identifiers_whole() {
        let mut g = Grid::new(
            Style::Plain,
            &[("run", Col::Id), ("time", Col::Id), ("inputs", Col::Text)],
        );
        g.row([
            "1",
            "2026-12-01T02:00:00Z",
            "s3://bucket/prod/terraform.tfstate in us-east-1",
        ]);
        g.row(["12", "2026-12-02T02:00:00Z", "a.tfstate in eu-west-1"]);
        let out = g.render(Some(40));
        assert!(
            out.starts_with("run  time                  inputs\n"),
            "{out}"
        );
        assert!(out.contains("s3://bucket/prod/terraform.tfstate"), "{out}");
        assert!(out.contains("12   2026-12-02T02:00:00Z"), "{out}");
        assert!(!out.lines().any(|l| l.ends_with(' ')), "{out}");
    }
}
