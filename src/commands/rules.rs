//! `driftgate rules [explain ID]`: the built-in severity rule catalogue.

use crate::cli::{RulesArgs, RulesCommand};
use crate::commands::Outcome;
use crate::error::{Error, Result};
use crate::policy;
use crate::render;

pub fn run(args: &RulesArgs) -> Result<Outcome> {
    let text = match &args.command {
        None => policy::rules_list_text(),
        Some(RulesCommand::Explain { id }) => policy::rule_explain_text(id)
            .ok_or_else(|| Error::Usage(format!("no rule `{id}`; `driftgate rules` lists them")))?,
    };
    render::emit(&text, None)?;
    Ok(Outcome::Clean)
}
