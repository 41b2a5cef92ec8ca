//! The audit log as a table (`driftgate audit show`): the rows come from `audit::show::rows`.

use crate::render::grid::{Col, Grid, Style};

/// A table: seq, time, actor, command, outcome, what it was about, and why. Times, actors,
/// plans and addresses are never broken (`render::grid`). `total`: the entries in the log.
pub fn table(rows: &[[String; 7]], total: usize, width: Option<usize>) -> String {
    if rows.is_empty() {
        return format!("No audit entries match ({total} in the log).\n");
    }
    let mut table = Grid::new(
        Style::Boxed,
        &[
            ("SEQ", Col::Id),
            ("TIME", Col::Id),
            ("ACTOR", Col::Id),
            ("COMMAND", Col::Text),
            ("OUTCOME", Col::Id),
            ("ABOUT", Col::Text),
            ("REASON", Col::Text),
        ],
    );
    for row in rows {
        table.row(row.clone());
    }
    format!(
        "{}{} of {total} entries shown.\n",
        table.render(width),
        rows.len()
    )
}
