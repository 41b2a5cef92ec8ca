//! `aws_iam_account_password_policy`: `GetAccountPasswordPolicy` (the account's one policy;
//! `NoSuchEntity` when none is set).

use super::{Args, Executed, call_error};
use crate::model::Value;
use crate::model::plan::{Arg, RevertInput, UnitCall, UnitRevert};
use aws_sdk_iam::types::PasswordPolicy;

use super::{Cx, Found, Listed, Sample, Unit, global};
use crate::model::{Attributes, Owner};
use crate::provider::aws::calls::{failure_reason, gap};

pub const PASSWORD_POLICY: &str = "aws_iam_account_password_policy";
const TYPES: &[&str] = &[PASSWORD_POLICY];
/// The id the provider gives the account's password policy.
pub const ID: &str = "iam-account-password-policy";

pub const UNIT: Unit = Unit::new("password policy", TYPES, list, samples).calls(
    REVERTS,
    &["UpdateAccountPasswordPolicy"],
    execute,
);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        match cx.client.get_account_password_policy().send().await {
            Ok(out) => {
                let mut found = Found::default();
                if let Some(policy) = out.password_policy() {
                    found.resources.push(global(
                        PASSWORD_POLICY,
                        ID,
                        Owner::User,
                        attributes(policy),
                    ));
                }
                found
            }
            // No policy set: nothing to see.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) =>
            {
                Found::default()
            }
            Err(e) => Found::gap(gap(
                "iam",
                None,
                "GetAccountPasswordPolicy",
                TYPES,
                failure_reason(&e),
            )),
        }
    })
}

/// An `aws_iam_account_password_policy` as the provider records it (0 for an unset age or
/// reuse count, as AWS leaves them out).
pub fn attributes(p: &PasswordPolicy) -> Attributes {
    let mut a = Attributes::new();
    a.insert("id".into(), ID.into());
    a.insert(
        "minimum_password_length".into(),
        p.minimum_password_length().into(),
    );
    a.insert("require_symbols".into(), p.require_symbols().into());
    a.insert("require_numbers".into(), p.require_numbers().into());
    a.insert(
        "require_uppercase_characters".into(),
        p.require_uppercase_characters().into(),
    );
    a.insert(
        "require_lowercase_characters".into(),
        p.require_lowercase_characters().into(),
    );
    a.insert(
        "allow_users_to_change_password".into(),
        p.allow_users_to_change_password().into(),
    );
    a.insert("expire_passwords".into(), p.expire_passwords().into());
    a.insert(
        "max_password_age".into(),
        p.max_password_age().unwrap_or(0).into(),
    );
    a.insert(
        "password_reuse_prevention".into(),
        p.password_reuse_prevention().unwrap_or(0).into(),
    );
    a.insert(
        "hard_expiry".into(),
        p.hard_expiry().unwrap_or(false).into(),
    );
    a
}

fn samples() -> Vec<Sample> {
    let policy = PasswordPolicy::builder()
        .minimum_password_length(14)
        .require_symbols(true)
        .require_numbers(true)
        .require_uppercase_characters(true)
        .require_lowercase_characters(true)
        .allow_users_to_change_password(true)
        .expire_passwords(true)
        .max_password_age(90)
        .password_reuse_prevention(5)
        .hard_expiry(true)
        .build();
    vec![Sample::global(PASSWORD_POLICY, ID, attributes(&policy))]
}

// ---- reverts ---------------------------------------------------------------------------------

const REVERTS: &[UnitRevert] = &[UnitRevert::new(
    "password_policy",
    &[PASSWORD_POLICY],
    plan_policy,
)];

/// The policy's settings, as the provider names them (`UpdateAccountPasswordPolicy` takes the
/// same names; an unset one goes back to AWS's default, so every recorded one is sent).
const SETTINGS: &[&str] = &[
    "allow_users_to_change_password",
    "hard_expiry",
    "max_password_age",
    "minimum_password_length",
    "password_reuse_prevention",
    "require_lowercase_characters",
    "require_numbers",
    "require_symbols",
    "require_uppercase_characters",
];

/// The recorded policy put back as a whole.
fn plan_policy(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let mut call = UnitCall::new("iam", "UpdateAccountPasswordPolicy", ID);
    for name in SETTINGS {
        // Unset: AWS's default (no expiry, no reuse rule).
        if let Some(v @ (Value::Bool(_) | Value::Number(_))) = input.recorded.attributes.get(*name)
        {
            call = call.arg(name, Arg::Value(v.clone()));
        }
    }
    Ok(vec![call])
}

fn execute<'a>(
    client: &'a aws_sdk_iam::Client,
    call: &'a UnitCall,
    args: &'a Args,
) -> Executed<'a> {
    Box::pin(async move {
        if call.operation != "UpdateAccountPasswordPolicy" {
            return Err(format!("{}: not an operation of this unit", call.operation));
        }
        let flag = |name: &str| args.get(name).and_then(Value::as_bool);
        // Ages and counts: 0 means unset.
        let number = |name: &str| match args.get(name) {
            Some(Value::Number(n)) if *n > 0.0 => Some(*n as i32),
            _ => None,
        };
        client
            .update_account_password_policy()
            .set_minimum_password_length(number("minimum_password_length"))
            .set_require_symbols(flag("require_symbols"))
            .set_require_numbers(flag("require_numbers"))
            .set_require_uppercase_characters(flag("require_uppercase_characters"))
            .set_require_lowercase_characters(flag("require_lowercase_characters"))
            .set_allow_users_to_change_password(flag("allow_users_to_change_password"))
            .set_max_password_age(number("max_password_age"))
            .set_password_reuse_prevention(number("password_reuse_prevention"))
            .set_hard_expiry(flag("hard_expiry"))
            .send()
            .await
            .map(|_| ())
            .map_err(call_error)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::aws::iam::{planned, revert_case};

    #[test]
    fn the_whole_recorded_policy_put_back() {
        let case = revert_case(
            PASSWORD_POLICY,
            vec![
                ("id", ID.into()),
                ("minimum_password_length", 14.into()),
                ("require_symbols", true.into()),
                ("max_password_age", 90.into()),
                ("expire_passwords", true.into()),
            ],
            vec![("minimum_password_length", 14.into(), 8.into())],
        );
        assert_eq!(
            planned(plan_policy, &case),
            [format!(
                "UpdateAccountPasswordPolicy {ID} max_password_age=90 minimum_password_length=14 require_symbols=true"
            )]
        );
    }
}
