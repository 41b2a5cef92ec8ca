//! The *observed* side: what the cloud reports now, as a [`crate::model::Observation`].
//!
//! - [`aws`]: the live AWS account through the official SDK (EC2 and IAM), shaped as the
//!   hashicorp/aws provider records state, with gaps for whatever could not be read.
//! - [`snapshot`]: the recorded-observation file (`driftgate observe --out`, replayed by
//!   `scan --observed`); sensitive values only as fingerprints.

pub mod aws;
pub mod snapshot;
