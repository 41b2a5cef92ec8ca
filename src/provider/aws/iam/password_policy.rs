//! `aws_iam_account_password_policy`: `GetAccountPasswordPolicy` (the account's one policy;
//! `NoSuchEntity` when none is set).

use aws_sdk_iam::types::PasswordPolicy;

use super::{Cx, Found, Listed, Sample, Unit, global};
use crate::model::{Attributes, Owner};
use crate::provider::aws::calls::{failure_reason, gap};

pub const PASSWORD_POLICY: &str = "aws_iam_account_password_policy";
const TYPES: &[&str] = &[PASSWORD_POLICY];
/// The id the provider gives the account's password policy.
pub const ID: &str = "iam-account-password-policy";

pub const UNIT: Unit = Unit {
    label: "password policy",
    types: TYPES,
    needs: &[],
    list,
    samples,
};

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
    vec![Sample {
        resource: global(PASSWORD_POLICY, ID, Owner::User, attributes(&policy)),
        import_id: ID.into(),
    }]
}
