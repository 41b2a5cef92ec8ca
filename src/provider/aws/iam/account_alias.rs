//! `aws_iam_account_alias`: `ListAccountAliases` (an account has at most one).

use super::{Cx, Found, Listed, Sample, Unit, global};
use crate::model::{Attributes, Owner};
use crate::provider::aws::calls::gap;

pub const ACCOUNT_ALIAS: &str = "aws_iam_account_alias";
const TYPES: &[&str] = &[ACCOUNT_ALIAS];

pub const UNIT: Unit = Unit::new("account alias", TYPES, list, samples);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        match iam_pages!(cx.client.list_account_aliases(), account_aliases) {
            Ok(aliases) => Found {
                resources: aliases
                    .iter()
                    .map(|alias| global(ACCOUNT_ALIAS, alias, Owner::User, attributes(alias)))
                    .collect(),
                gaps: Vec::new(),
            },
            Err(reason) => Found::gap(gap("iam", None, "ListAccountAliases", TYPES, reason)),
        }
    })
}

/// An `aws_iam_account_alias`.
pub fn attributes(alias: &str) -> Attributes {
    let mut a = Attributes::new();
    a.insert("id".into(), alias.into());
    a.insert("account_alias".into(), alias.into());
    a
}

fn samples() -> Vec<Sample> {
    vec![Sample::global(
        ACCOUNT_ALIAS,
        "acme-prod",
        attributes("acme-prod"),
    )]
}
