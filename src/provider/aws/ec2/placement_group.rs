//! `aws_placement_group`: DescribePlacementGroups (the API does not page). Written to the EC2 API
//! reference. moto 5.2.x does not implement placement groups (it answers 500); the live tests
//! fill that gap on the test side (`tests/support/moto_plus.py`). Against a plain moto this
//! listing is a gap and the scan says so (incomplete, exit 1), never clean.
//!
//! The provider's id is the group's name (its import id); driftgate identifies a group by its
//! `placement_group_id` (`pg-...`, which the provider records too), the id EC2 tags by.

use aws_sdk_ec2::types::PlacementGroup;

use super::{Cx, Found, Listed, Sample, Unit, arn, tag_map};
use crate::model::{Attributes, Owner};
use crate::provider::aws::calls::{failure_reason, gap};

const TYPE: &str = "aws_placement_group";
const TYPES: &[&str] = &[TYPE];

pub const UNIT: Unit = Unit::new("placement groups", TYPES, list, samples);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let groups = match cx.client.describe_placement_groups().send().await {
            Ok(out) => out.placement_groups.unwrap_or_default(),
            Err(e) => {
                return Found::gap(gap(
                    "ec2",
                    Some(&cx.region),
                    "DescribePlacementGroups",
                    TYPES,
                    failure_reason(&e),
                ));
            }
        };
        let only = cx.only(TYPE);
        let mut found = Found::default();
        for group in groups.iter().filter(|g| is_live(g)) {
            let Some(id) = group.group_id() else {
                continue;
            };
            if only.is_some_and(|ids| !ids.contains(id)) {
                continue;
            }
            found
                .resources
                .push(cx.view(TYPE, id, Owner::User, attributes(group, &cx.region)));
        }
        found
    })
}

/// Not deleted or being deleted (the provider reads those as gone).
fn is_live(group: &PlacementGroup) -> bool {
    !group
        .state()
        .is_some_and(|s| matches!(s.as_str(), "deleted" | "deleting"))
}

/// An `aws_placement_group` as the provider records it.
pub fn attributes(group: &PlacementGroup, region: &str) -> Attributes {
    let name = group.group_name().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), name.into());
    a.insert("name".into(), name.into());
    a.insert(
        "placement_group_id".into(),
        group.group_id().unwrap_or_default().into(),
    );
    a.insert(
        "arn".into(),
        group
            .group_arn()
            .map(str::to_string)
            .unwrap_or_else(|| arn(region, None, &format!("placement-group/{name}")))
            .into(),
    );
    a.insert(
        "strategy".into(),
        group.strategy().map(|s| s.as_str()).into(),
    );
    a.insert(
        "partition_count".into(),
        group.partition_count().unwrap_or(0).into(),
    );
    a.insert(
        "spread_level".into(),
        group
            .spread_level()
            .map(|s| s.as_str())
            .unwrap_or("")
            .into(),
    );
    a.insert("tags".into(), tag_map(group.tags()));
    a
}

fn samples() -> Vec<Sample> {
    use aws_sdk_ec2::types::{PlacementGroupState, PlacementStrategy, SpreadLevel, Tag};
    let region = "us-east-1";
    let group = PlacementGroup::builder()
        .group_name("web")
        .group_id("pg-1")
        .group_arn("arn:aws:ec2:us-east-1:111122223333:placement-group/web")
        .strategy(PlacementStrategy::Partition)
        .partition_count(3)
        .spread_level(SpreadLevel::Rack)
        .state(PlacementGroupState::Available)
        .tags(Tag::builder().key("Name").value("web").build())
        .build();
    vec![Sample {
        resource: super::view(
            TYPE,
            "pg-1",
            true,
            region,
            Owner::User,
            attributes(&group, region),
        ),
        import_id: "web".into(),
    }]
}
