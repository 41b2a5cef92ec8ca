//! `aws_launch_template`: DescribeLaunchTemplates. The template itself (name, default and latest
//! version, tags); a version created or made default out of band shows as a changed
//! `latest_version` / `default_version`. The versions' launch data (image, instance type, ...)
//! would take one DescribeLaunchTemplateVersions per template and is not compared.

use aws_sdk_ec2::types::LaunchTemplate;

use super::{Cx, Found, Listed, PAGE, Sample, Unit, arn, tag_map};
use crate::model::{Attributes, Owner};

const TYPE: &str = "aws_launch_template";
const TYPES: &[&str] = &[TYPE];

pub const UNIT: Unit = Unit {
    label: "launch templates",
    types: TYPES,
    list,
    samples,
    reverts: &[],
    operations: &[],
    execute: super::executes_nothing,
};

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let templates = pages!(
            cx,
            "DescribeLaunchTemplates",
            TYPES,
            // The API's largest page is 200.
            cx.client
                .describe_launch_templates()
                .max_results(PAGE.min(200)),
            launch_templates
        );
        match templates {
            Ok(templates) => emit(cx, &templates),
            Err(gap) => Found::gap(gap),
        }
    })
}

fn emit(cx: &Cx, templates: &[LaunchTemplate]) -> Found {
    let mut found = Found::default();
    for template in templates {
        let Some(id) = template.launch_template_id() else {
            continue;
        };
        let attributes = attributes(template, &cx.region);
        found
            .resources
            .push(cx.view(TYPE, id, Owner::User, attributes));
    }
    found
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
    vec![Sample {
        resource: super::view(
            TYPE,
            "lt-1",
            true,
            region,
            Owner::User,
            attributes(&template, region),
        ),
        import_id: "lt-1".into(),
    }]
}
