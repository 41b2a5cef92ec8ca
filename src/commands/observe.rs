//! `driftgate observe`: record what the cloud has now, for offline review and replays.
//! Sensitive values (per the given states and the specs) are stored only as fingerprints.

use std::sync::Arc;

use crate::cli::{ObserveArgs, Settings};
use crate::commands::{Outcome, read_states, regions, write_file};
use crate::diff;
use crate::error::Result;
use crate::iac::StateLocation;
use crate::provider::{aws, snapshot};
use crate::render;
use crate::spec::Registry;

pub async fn run(args: &ObserveArgs, settings: &Settings) -> Result<Outcome> {
    let registry = Registry::builtin()?;
    let sdk = aws::load_sdk_config(args.regions.first().map(String::as_str)).await;
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
    let request = aws::ObserveRequest {
        regions: regions(&args.regions, &states, sdk.region().map(|r| r.as_ref())),
        resource_types: registry.types().map(str::to_string).collect(),
    };
    let bar = Arc::new(render::progress::ScanProgress::new(settings.progress));
    let progress_bar = bar.clone();
    let progress: aws::Progress = Arc::new(move |event| match event {
        aws::ProgressEvent::Planned { tasks } => progress_bar.planned(tasks),
        aws::ProgressEvent::Done { task } => progress_bar.done(&task),
    });
    let mut observation = aws::observe(&sdk, &request, progress).await;
    bar.finish();
    diff::mark_sensitive(&registry, &states, &mut observation);
    let key = snapshot::FingerprintKey::new(settings.fingerprint_key.clone())?;
    write_file(&args.out, &snapshot::write(&observation, &key))?;
    Ok(if observation.is_complete() {
        Outcome::Clean
    } else {
        Outcome::Incomplete
    })
}
