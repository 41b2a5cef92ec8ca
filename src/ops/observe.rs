//! `driftgate observe`: record what the cloud has now, for offline review and replays.
//! Sensitive values (per the given states and the specs) are stored only as fingerprints.

use std::path::PathBuf;

use crate::diff;
use crate::error::Result;
use crate::iac::StateLocation;
use crate::ops::{Outcome, Settings, read_states};
use crate::provider::snapshot;
use crate::render;
use crate::spec::Registry;

/// What `driftgate observe` was asked for.
#[derive(Debug, Clone)]
pub struct ObserveOptions {
    /// Where to write the observation.
    pub out: PathBuf,
    /// Empty: as for `scan`.
    pub regions: Vec<String>,
    /// States whose sensitive values must be stored only as fingerprints; empty:
    /// `./terraform.tfstate` when it exists.
    pub states: Vec<String>,
}

pub async fn run(args: &ObserveOptions, settings: &Settings) -> Result<Outcome> {
    let registry = Registry::builtin()?;
    let sdk = crate::aws_client::load_sdk_config(&args.regions).await?;
    let locations = if args.states.is_empty() {
        let default = settings.cwd.join("terraform.tfstate");
        if default.exists() {
            vec![StateLocation::Local(default)]
        } else {
            Vec::new()
        }
    } else {
        super::state_locations(&args.states, &settings.cwd)?
    };
    let states = read_states(&locations, Some(&sdk)).await?;
    let mut observation = super::observe_account(
        &sdk,
        &args.regions,
        &states,
        &registry,
        settings,
        true,
        None,
    )
    .await;
    diff::mark_sensitive(&registry, &states, &mut observation);
    let key = snapshot::FingerprintKey::new(settings.fingerprint_key.clone())?;
    render::emit(&snapshot::write(&observation, &key), Some(&args.out))?;
    render::notice::warn_observation(&observation, render::notice::Destination::File(&args.out));
    Ok(if observation.is_complete() {
        Outcome::Clean
    } else {
        Outcome::Incomplete
    })
}
