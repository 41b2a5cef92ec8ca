//! Resources as the three sides know them: *recorded* (a terraform state), *observed* (the
//! cloud now) and the observation that gathers what was seen and what could not be.

use std::collections::BTreeMap;

use super::address::Address;
use super::value::Value;

/// Attributes by terraform attribute name.
pub type Attributes = BTreeMap<String, Value>;

/// Which state file a recorded resource came from: the path or `s3://bucket/key` the user gave.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StateSource(pub String);

impl std::fmt::Display for StateSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One managed resource instance of a terraform state.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedResource {
    pub address: Address,
    pub resource_type: String,
    /// The provider address as the state writes it, e.g.
    /// `provider["registry.terraform.io/hashicorp/aws"].west`.
    pub provider: String,
    pub state: StateSource,
    pub schema_version: u64,
    /// Attributes with every path listed in `sensitive_attributes` already wrapped in
    /// [`Value::Sensitive`].
    pub attributes: Attributes,
}

impl RecordedResource {
    /// The `id` attribute, which every resource of the hashicorp/aws provider has.
    pub fn id(&self) -> Option<&str> {
        self.attributes.get("id").and_then(Value::as_str)
    }

    /// The region this resource lives in, when its ARN says so.
    pub fn region(&self) -> Option<&str> {
        let arn = self.attributes.get("arn")?.as_str()?;
        arn_region(arn)
    }
}

/// The region field of an ARN (`arn:aws:ec2:us-east-1:123:...`), `None` for global services.
pub fn arn_region(arn: &str) -> Option<&str> {
    let region = arn.split(':').nth(3)?;
    (!region.is_empty()).then_some(region)
}

/// One loaded terraform state.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedState {
    pub source: StateSource,
    pub terraform_version: String,
    pub serial: u64,
    pub lineage: String,
    /// Hex SHA-256 of the state file's bytes: what a plan pins its inputs to.
    pub sha256: String,
    pub resources: Vec<RecordedResource>,
}

/// Who owns an observed object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Owner {
    /// The account's own object: unmanaged when no state records it.
    User,
    /// An object AWS creates and owns (default VPC, default security group and its default
    /// rules, AWS-managed policy, service-linked role): never the user's drift unless `--strict`.
    Aws(String),
}

/// One object the cloud reported, shaped as terraform's provider would record it.
///
/// One cloud object may be seen through several resource types (an EC2 security group rule is
/// both an `aws_vpc_security_group_ingress_rule` and part of an `aws_security_group_rule`);
/// every such view shares `cloud_id`, and exactly one view is `primary`: the one an unmanaged
/// finding names.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedResource {
    pub resource_type: String,
    /// The cloud's id for the object (`i-0abc`, `sgr-0abc`, a role name, ...).
    pub cloud_id: String,
    pub primary: bool,
    /// `None` for global services (IAM).
    pub region: Option<String>,
    pub owner: Owner,
    pub attributes: Attributes,
}

/// Something the scan needed to see and could not.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Gap {
    /// `ec2`, `iam`, `s3`.
    pub service: String,
    /// `None` for global services.
    pub region: Option<String>,
    /// The API operation that failed, e.g. `DescribeInstances`.
    pub operation: String,
    /// The resource types this failure left unseen.
    pub resource_types: Vec<String>,
    /// What went wrong, as a sentence for the person who must fix it, e.g.
    /// `access denied: ec2:DescribeInstances (...)`.
    pub reason: String,
    /// The SDK's own account of the error (its whole source chain), for debugging; never
    /// shown in the table.
    pub detail: Option<String>,
}

impl Gap {
    /// Whether this gap hides resources of `resource_type` in `region` (a gap with no region,
    /// for a global service, hides everywhere).
    pub fn hides(&self, resource_type: &str, region: Option<&str>) -> bool {
        self.resource_types.iter().any(|t| t == resource_type)
            && (self.region.is_none() || region.is_none() || self.region.as_deref() == region)
    }
}

/// What the cloud reported for one scan: objects, the regions looked at, and the gaps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observation {
    /// Regions that were enumerated (global services count everywhere).
    pub regions: Vec<String>,
    /// Resource types the provider enumerated. A recorded resource of a type outside this list
    /// is "not checked", never "missing".
    pub resource_types: Vec<String>,
    pub resources: Vec<ObservedResource>,
    pub gaps: Vec<Gap>,
    /// API calls made to produce this observation, by `service:Operation`.
    pub api_calls: BTreeMap<String, u64>,
    /// Time spent waiting for each `service:Operation` (all its attempts, summed over calls
    /// that ran side by side), in milliseconds. Empty for a replayed observation: it made no
    /// call, and a recorded observation does not keep it.
    pub api_ms: BTreeMap<String, u64>,
    /// Time calls of each `service:Operation` waited for client-side pacing to AWS's
    /// documented rate limits, in milliseconds (summed over calls that waited side by side).
    /// Empty when nothing waited, and for a replayed observation.
    pub paced_ms: BTreeMap<String, u64>,
}

impl Observation {
    pub fn is_complete(&self) -> bool {
        self.gaps.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_regions() {
        assert_eq!(
            arn_region("arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-1"),
            Some("eu-west-1")
        );
        assert_eq!(arn_region("arn:aws:iam::123456789012:role/app"), None);
        assert_eq!(arn_region("nonsense"), None);
    }

    #[test]
    fn gaps_hide_by_type_and_region() {
        let g = Gap {
            service: "ec2".into(),
            region: Some("us-east-1".into()),
            operation: "DescribeInstances".into(),
            resource_types: vec!["aws_instance".into()],
            reason: "AccessDenied".into(),
            detail: None,
        };
        assert!(g.hides("aws_instance", Some("us-east-1")));
        assert!(g.hides("aws_instance", None));
        assert!(!g.hides("aws_instance", Some("eu-west-1")));
        assert!(!g.hides("aws_vpc", Some("us-east-1")));
    }
}
