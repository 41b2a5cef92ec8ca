//! `aws_launch_template`: DescribeLaunchTemplates. The template itself (name, default and latest
//! version, tags); a version created or made default out of band shows as a changed
//! `latest_version` / `default_version`. The versions' launch data (image, instance type, ...)
//! would take one DescribeLaunchTemplateVersions per template and is not compared.

use aws_sdk_ec2::types::LaunchTemplate;

use super::{Cx, Found, Listed, PAGE, Sample, Unit, arn, tag_map};
use crate::model::Attributes;

const TYPE: &str = "aws_launch_template";
const TYPES: &[&str] = &[TYPE];

pub const UNIT: Unit = Unit::new("launch templates", TYPES, list, samples);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let templates = match cx.asked(TYPES) {
            None => every_template(cx).await,
            Some(ids) => asked_templates(cx, &ids).await,
        };
        match templates {
            Ok(templates) => cx.views(TYPE, &templates, LaunchTemplate::launch_template_id, |t| {
                attributes(t, &cx.region)
            }),
            Err(gap) => Found::gap(gap),
        }
    })
}

/// The region's every launch template.
async fn every_template(cx: &Cx) -> Result<Vec<LaunchTemplate>, crate::model::Gap> {
    pages!(
        cx,
        "DescribeLaunchTemplates",
        TYPES,
        // The API's largest page is 200.
        cx.client
            .describe_launch_templates()
            .max_results(PAGE.min(200)),
        launch_templates
    )
}

/// The asked templates: `LaunchTemplateIds`, 200 per call (DescribeLaunchTemplates has no id
/// filter). AWS fails the whole batch when one id is unknown
/// (`InvalidLaunchTemplateId.NotFound`): then the region's templates are listed and the asked
/// ones kept, so a deleted template is missing, never a gap. (moto leaves an unknown id out.)
async fn asked_templates(
    cx: &Cx,
    ids: &std::collections::BTreeSet<String>,
) -> Result<Vec<LaunchTemplate>, crate::model::Gap> {
    let ids: Vec<String> = ids.iter().cloned().collect();
    let mut out = Vec::new();
    for batch in ids.chunks(200) {
        let read = pages!(
            cx,
            "DescribeLaunchTemplates",
            TYPES,
            cx.client
                .describe_launch_templates()
                .set_launch_template_ids(Some(batch.to_vec())),
            launch_templates
        );
        match read {
            Ok(templates) => out.extend(templates),
            Err(gap) if unknown_id(&gap) => {
                let mut every = every_template(cx).await?;
                every.retain(|t| {
                    t.launch_template_id()
                        .is_some_and(|id| ids.iter().any(|i| i == id))
                });
                return Ok(every);
            }
            Err(gap) => return Err(gap),
        }
    }
    Ok(out)
}

/// Whether a failed read by id failed because an id is unknown (or not an id at all).
fn unknown_id(gap: &crate::model::Gap) -> bool {
    [Some(&gap.reason), gap.detail.as_ref()]
        .into_iter()
        .flatten()
        .any(|t| t.contains("InvalidLaunchTemplateId"))
}

/// An `aws_launch_template` as the provider records it (its template-level attributes).
pub fn attributes(template: &LaunchTemplate, region: &str) -> Attributes {
    let id = template.launch_template_id().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    a.insert(
        "arn".into(),
        arn(region, None, &format!("launch-template/{id}")).into(),
    );
    a.insert("name".into(), template.launch_template_name().into());
    a.insert(
        "default_version".into(),
        template.default_version_number().into(),
    );
    a.insert(
        "latest_version".into(),
        template.latest_version_number().into(),
    );
    a.insert("tags".into(), tag_map(template.tags()));
    a
}

fn samples() -> Vec<Sample> {
    use aws_sdk_ec2::types::Tag;
    let region = "us-east-1";
    let template = LaunchTemplate::builder()
        .launch_template_id("lt-1")
        .launch_template_name("app")
        .default_version_number(1)
        .latest_version_number(2)
        .tags(Tag::builder().key("team").value("core").build())
        .build();
    vec![Sample::regional(
        TYPE,
        "lt-1",
        region,
        attributes(&template, region),
    )]
}
