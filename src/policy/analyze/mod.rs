//! Meaning-level analysis the built-in rules share: what a security group change exposes to
//! the internet, what a network ACL entry lets in from it, what an IAM document change grants.

pub mod iam;
pub mod ingress;
pub mod nacl;
