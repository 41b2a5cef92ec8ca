//! The *observed* side: what the cloud reports now, as a [`crate::model::Observation`].
//!
//! - [`aws`]: the live AWS account through the official SDK (EC2 and IAM), shaped as the
//!   hashicorp/aws provider records state, with gaps for whatever could not be read.

pub mod aws;
