//! The policy's `approval` block as data: who may approve (each approver's key and AWS
//! principal) and how many approvals a plan needs. `approval` reads the block and checks
//! signed approvals against it; reports and messages show it.

use std::collections::BTreeMap;

use super::Severity;
use super::keys::PublicKey;
use super::plan::{ActionStatus, Plan};

/// One approver of the policy's `approval` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approver {
    pub key: PublicKey,
    /// The AWS principal (ARN) this person works as: a plan whose author's caller ARN is this
    /// one is theirs, and they cannot approve it.
    pub aws_principal: Option<String>,
}

/// The policy's `approval` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRule {
    /// Distinct approvers needed; the plan's author never counts.
    pub required: usize,
    /// Name -> key.
    pub approvers: BTreeMap<String, Approver>,
    /// Plans whose planned actions are all below this severity need only the plan token.
    pub min_severity: Option<Severity>,
    /// `driftgate.hcl:12`.
    pub source: String,
}

impl ApprovalRule {
    /// How many signed approvals `plan` needs under this rule: `required`, or 0 when
    /// `min_severity` is set and every action `apply` would execute is below it.
    pub fn required_for(&self, plan: &Plan) -> usize {
        match self.min_severity {
            Some(min)
                if plan
                    .actions
                    .iter()
                    .filter(|a| a.status == ActionStatus::Planned)
                    .all(|a| a.finding.severity < min) =>
            {
                0
            }
            _ => self.required,
        }
    }
}
