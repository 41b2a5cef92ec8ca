//! `aws_iam_service_linked_role`: the roles under path `/aws-service-role/` of the shared
//! `GetAccountAuthorizationDetails` sweep (the role unit hands them here: they are not
//! `aws_iam_role`s), tags included; the description from `GetRole` (which `RoleDetail` lacks),
//! one paced read per role a state records (`read = "recorded"`). AWS creates service-linked
//! roles itself when a service needs one, so an unrecorded one is AWS's (`Owner::Aws`), never
//! "unmanaged" unless the scan is strict.

use std::collections::BTreeMap;

use super::{Args, call_error, text_arg};
use crate::model::plan::{Arg, RevertInput, UnitCall, UnitRevert};
use aws_sdk_iam::types::RoleDetail;

use super::{Cx, Entities, Found, Listed, Sample, Unit, date, global, role_owner, tag_map};
use crate::model::{Attributes, Value};
use crate::provider::aws::calls::failure_reason;

pub const SERVICE_LINKED_ROLE: &str = "aws_iam_service_linked_role";
const TYPES: &[&str] = &[SERVICE_LINKED_ROLE];
/// The path every service-linked role is under (`/aws-service-role/SERVICE/`).
pub const PATH: &str = "/aws-service-role/";

pub const UNIT: Unit = Unit::new("service-linked roles", TYPES, list, samples)
    .needs(&[Entities::Roles])
    .calls(
        REVERTS,
        &["UpdateRoleDescription", "TagRole", "UntagRole"],
        execute,
    );

/// Whether a role is service-linked (its path says so).
pub fn is_service_linked(path: Option<&str>) -> bool {
    path.is_some_and(|p| p.starts_with(PATH))
}

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let details = match cx.details_or_gap(TYPES).await {
            Ok(d) => d,
            Err(found) => return found,
        };
        let roles: Vec<&RoleDetail> = details
            .roles
            .iter()
            .filter(|r| is_service_linked(r.path()) && r.arn().is_some())
            .collect();
        let read: Vec<String> = roles
            .iter()
            .filter(|r| cx.reads(SERVICE_LINKED_ROLE, r.arn().unwrap_or_default()))
            .filter_map(|r| r.role_name())
            .map(str::to_string)
            .collect();
        let descriptions = cx
            .each(UNIT.label, read, |client, name| async move {
                match client.get_role().role_name(&name).send().await {
                    Ok(out) => Ok(Some(
                        out.role()
                            .and_then(|r| r.description())
                            .unwrap_or_default()
                            .to_string(),
                    )),
                    // Deleted since the sweep: gone, not a failure.
                    Err(e)
                        if e.as_service_error()
                            .is_some_and(|s| s.is_no_such_entity_exception()) =>
                    {
                        Ok(None)
                    }
                    Err(e) => Err(failure_reason(&e)),
                }
            })
            .await;
        let mut found = Found::default();
        for role in roles {
            let arn = role.arn().unwrap_or_default();
            let name = role.role_name().unwrap_or_default();
            if !cx.reads(SERVICE_LINKED_ROLE, arn) {
                found.resources.push(observed(role, None));
                continue;
            }
            match descriptions.get(name) {
                Some(Ok(Some(description))) => {
                    found.resources.push(observed(role, Some(description)))
                }
                Some(Ok(None)) => {}
                answer => found.gaps.push(Cx::read_gap(
                    "GetRole",
                    TYPES,
                    answer,
                    format!("service-linked role {name}"),
                )),
            }
        }
        found
    })
}

fn observed(role: &RoleDetail, description: Option<&str>) -> crate::model::ObservedResource {
    global(
        SERVICE_LINKED_ROLE,
        role.arn().unwrap_or_default(),
        role_owner(role.path()),
        attributes(role, description),
    )
}

/// An `aws_iam_service_linked_role`, its id the ARN. The service and the custom suffix are read
/// from the ARN as the provider does (`role/aws-service-role/SERVICE/NAME`, the suffix after
/// the name's `_`). `description: None`: not read; absent, never guessed.
pub fn attributes(role: &RoleDetail, description: Option<&str>) -> Attributes {
    let arn = role.arn().unwrap_or_default();
    let name = role.role_name().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), arn.into());
    a.insert("arn".into(), arn.into());
    a.insert("name".into(), name.into());
    a.insert("path".into(), role.path().into());
    a.insert("unique_id".into(), role.role_id().into());
    a.insert("create_date".into(), date(role.create_date()));
    let parts: Vec<&str> = arn
        .split_once(":role/")
        .map(|(_, resource)| resource.split('/').collect())
        .unwrap_or_default();
    let (service, suffix) = match parts.as_slice() {
        [_, service, role_name] => {
            let halves: Vec<&str> = role_name.split('_').collect();
            let suffix = if halves.len() == 2 { halves[1] } else { "" };
            (Some(*service), suffix)
        }
        _ => (None, ""),
    };
    a.insert("aws_service_name".into(), service.into());
    a.insert("custom_suffix".into(), suffix.into());
    if let Some(description) = description {
        a.insert("description".into(), description.into());
    }
    a.insert("tags".into(), tag_map(role.tags()));
    a
}

fn samples() -> Vec<Sample> {
    use aws_sdk_iam::primitives::DateTime;
    use aws_sdk_iam::types::Tag;
    let arn = "arn:aws:iam::111122223333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_app";
    let role = RoleDetail::builder()
        .role_name("AWSServiceRoleForAutoScaling_app")
        .path("/aws-service-role/autoscaling.amazonaws.com/")
        .arn(arn)
        .role_id("AROA1")
        .create_date(DateTime::from_secs(1_800_000_000))
        .tags(Tag::builder().key("team").value("core").build().unwrap())
        .build();
    vec![Sample {
        resource: observed(&role, Some("Auto Scaling for the app")),
        import_id: arn.into(),
    }]
}

// ---- reverts ---------------------------------------------------------------------------------

const REVERTS: &[UnitRevert] = &[
    UnitRevert::new(
        "service_linked_role_description",
        &[SERVICE_LINKED_ROLE],
        plan_description,
    ),
    UnitRevert::new(
        "service_linked_role_tags",
        &[SERVICE_LINKED_ROLE],
        plan_tags,
    ),
];

fn plan_description(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let name = input.recorded_text("name")?;
    let description = match input.recorded.attributes.get("description") {
        None | Some(Value::Null) => String::new(),
        Some(_) => input.recorded_text("description")?,
    };
    Ok(vec![
        UnitCall::new("iam", "UpdateRoleDescription", &name)
            .arg("description", Arg::text(description)),
    ])
}

/// The tags of a map value (null is none).
fn tags(v: Option<&Value>) -> BTreeMap<String, Value> {
    match v {
        Some(Value::Map(m)) => m
            .iter()
            .filter(|(k, _)| !k.starts_with("aws:"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// The observed tags: the drift's observed map, else the recorded ones with the changes under
/// `tags` applied (a whole map, or one `tags.KEY` at a time).
fn observed_tags(
    input: &RevertInput<'_>,
    recorded: &BTreeMap<String, Value>,
) -> BTreeMap<String, Value> {
    if let Some(o) = input.drift.observed.as_ref().and_then(|o| o.get("tags")) {
        return tags(Some(o));
    }
    let mut now = recorded.clone();
    for c in input.changes {
        if c.path.attribute() != Some("tags") {
            continue;
        }
        match c.path.0.as_slice() {
            [_] => now = tags(Some(&c.after)),
            [_, crate::model::Segment::Key(k)] => match &c.after {
                Value::Null => {
                    now.remove(k);
                }
                v => {
                    now.insert(k.clone(), v.clone());
                }
            },
            _ => {}
        }
    }
    now
}

/// The recorded tags put back: the others removed, the recorded ones (re)set, one call per key.
fn plan_tags(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let name = input.recorded_text("name")?;
    let recorded = match input.recorded.attributes.get("tags_all") {
        Some(Value::Map(_)) => tags(input.recorded.attributes.get("tags_all")),
        _ => tags(input.recorded.attributes.get("tags")),
    };
    let observed = observed_tags(input, &recorded);
    let mut calls = Vec::new();
    for key in observed.keys().filter(|k| !recorded.contains_key(*k)) {
        calls.push(UnitCall::new("iam", "UntagRole", &name).arg("key", Arg::text(key)));
    }
    for (key, value) in &recorded {
        if observed.get(key) != Some(value) {
            let at = crate::model::plan::StateRef {
                state: input.recorded.state.clone(),
                address: input.recorded.address.clone(),
                path: crate::model::Path::root("tags").key(key),
            };
            calls.push(
                UnitCall::new("iam", "TagRole", &name)
                    .arg("key", Arg::text(key))
                    .arg("value", Arg::recorded(value, at)),
            );
        }
    }
    Ok(calls)
}

iam_calls! {
    "UpdateRoleDescription" => update_role_description(role_name; description);
    "TagRole" => tag_role,
    "UntagRole" => untag_role,
}

/// TagRole: the one tag `key` = `value`.
async fn tag_role(
    client: &aws_sdk_iam::Client,
    call: &UnitCall,
    args: &Args,
) -> Result<(), String> {
    let tag = aws_sdk_iam::types::Tag::builder()
        .key(text_arg(args, "key")?)
        .value(text_arg(args, "value")?)
        .build()
        .map_err(|e| e.to_string())?;
    let sent = client.tag_role().role_name(&call.target).tags(tag).send();
    sent.await.map(|_| ()).map_err(call_error)
}

/// UntagRole: the one tag `key`.
async fn untag_role(
    client: &aws_sdk_iam::Client,
    call: &UnitCall,
    args: &Args,
) -> Result<(), String> {
    let key = text_arg(args, "key")?;
    let sent = client
        .untag_role()
        .role_name(&call.target)
        .tag_keys(key)
        .send();
    sent.await.map(|_| ()).map_err(call_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::aws::iam::{planned, revert_case};

    #[test]
    fn service_and_suffix_from_the_arn_as_the_provider_reads_them() {
        let a = &samples()[0].resource.attributes;
        assert_eq!(a["aws_service_name"], "autoscaling.amazonaws.com".into());
        assert_eq!(a["custom_suffix"], "app".into());
        assert!(matches!(
            samples()[0].resource.owner,
            crate::model::Owner::Aws(_)
        ));
        let plain = RoleDetail::builder()
            .role_name("AWSServiceRoleForElasticBeanstalk")
            .path("/aws-service-role/elasticbeanstalk.amazonaws.com/")
            .arn("arn:aws:iam::111122223333:role/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk")
            .build();
        let a = attributes(&plain, None);
        assert_eq!(a["custom_suffix"], "".into());
        assert!(!a.contains_key("description"), "unread, not empty");
        assert!(is_service_linked(plain.path()));
        assert!(!is_service_linked(Some("/service/")));
    }

    #[test]
    fn the_role_unit_hands_service_linked_roles_over() {
        let slr = RoleDetail::builder()
            .role_name("AWSServiceRoleForElasticBeanstalk")
            .path("/aws-service-role/elasticbeanstalk.amazonaws.com/")
            .arn("arn:aws:iam::111122223333:role/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk")
            .build();
        let app = RoleDetail::builder()
            .role_name("app")
            .path("/")
            .arn("arn:aws:iam::111122223333:role/app")
            .build();
        let wanted = [super::super::role::ROLE.to_string()].into();
        let mut found = Found::default();
        super::super::role::emit(&[slr, app], Some(&Default::default()), &wanted, &mut found);
        let roles: Vec<&str> = found
            .resources
            .iter()
            .map(|r| r.cloud_id.as_str())
            .collect();
        assert_eq!(roles, ["app"]);
    }

    #[test]
    fn description_and_tags_put_back() {
        let case = revert_case(
            SERVICE_LINKED_ROLE,
            vec![
                ("name", "AWSServiceRoleForX".into()),
                ("description", "for x".into()),
                (
                    "tags",
                    Value::Map([("team".to_string(), Value::from("core"))].into()),
                ),
            ],
            vec![("description", "for x".into(), "".into())],
        );
        assert_eq!(
            planned(plan_description, &case),
            ["UpdateRoleDescription AWSServiceRoleForX description=for x"]
        );
        let case = revert_case(
            SERVICE_LINKED_ROLE,
            vec![
                ("name", "AWSServiceRoleForX".into()),
                (
                    "tags",
                    Value::Map([("team".to_string(), Value::from("core"))].into()),
                ),
            ],
            vec![(
                "tags",
                Value::Map([("team".to_string(), Value::from("core"))].into()),
                Value::Map([("owner".to_string(), Value::from("eve"))].into()),
            )],
        );
        assert_eq!(
            planned(plan_tags, &case),
            [
                "UntagRole AWSServiceRoleForX key=owner",
                "TagRole AWSServiceRoleForX key=team value=core"
            ]
        );
    }
}
