//! `driftgate rules [explain ID]`: the built-in severity rule catalogue.

use crate::error::{Error, Result};
use crate::ops::Outcome;
use crate::policy;
use crate::render;

/// `explain`: one rule's explanation; `None`: the catalogue.
pub fn run(explain: Option<&str>) -> Result<Outcome> {
    let text = match explain {
        None => policy::rules_list_text(),
        Some(id) => policy::rule_explain_text(id)
            .ok_or_else(|| Error::Usage(format!("no rule `{id}`; `driftgate rules` lists them")))?,
    };
    render::emit(&text, None)?;
    Ok(Outcome::Clean)
}
