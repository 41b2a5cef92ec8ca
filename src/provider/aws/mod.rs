//! The *observed* side from AWS itself, through the official SDK: EC2 and IAM objects shaped as
//! the hashicorp/aws provider 5.x records them in state.
//!
//! - Batched, paginated reads at the largest page size; per-object calls only where no batch API
//!   has the data (`DescribeVpcAttribute`, `ListPolicyTags`), with bounded concurrency, and
//!   only for the objects the caller names (`read = "recorded"` in the spec).
//! - Every (service, region, API family) is one concurrent task.
//! - Partial failure is data: a failed call becomes a [`Gap`] naming the types it would have fed;
//!   the rest of the observation completes. Nothing here panics or prints.
//! - Every HTTP attempt, retries included, is counted by `service:Operation` (an SDK
//!   interceptor, [`calls::CallLedger`]).
//!
//! - Listings first; then the per-object reads, paced to AWS's documented rate limits
//!   ([`pace`]) and reported to the progress bar as they are planned and done.
//!
//! Layout: `mod.rs` plans and runs the tasks; `ec2.rs` and `iam.rs` call their service and
//! convert its shapes (pure functions, unit-tested); `calls.rs` counts calls and turns failures
//! into gaps; `pace.rs` holds the token buckets.

pub mod calls;
pub mod ec2;
pub mod iam;
pub mod pace;
pub mod unit;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use aws_config::retry::RetryConfig;
use aws_config::{Region, SdkConfig};
use aws_sdk_ec2::config::retry::RetryPartition;
use tokio::task::JoinSet;

use crate::aws_client::{endpoint_url, retry_config, timeout_config};
use crate::model::{Gap, Observation, ObservedResource};
use calls::{CallLedger, gap};

/// Every resource type this provider can enumerate, sorted.
pub fn supported_types() -> Vec<&'static str> {
    let mut all: Vec<&str> = ec2::all_types()
        .into_iter()
        .chain(iam::all_types())
        .collect();
    all.sort();
    all
}

/// Every revert the resource units provide, for the planner (`PlanInput::unit_reverts`).
pub fn unit_reverts() -> Vec<&'static crate::model::plan::UnitRevert> {
    ec2::UNITS
        .iter()
        .flat_map(|u| u.reverts.iter())
        .chain(iam::UNITS.iter().flat_map(|u| u.reverts.iter()))
        .collect()
}

/// Whether a unit performs `service:Operation` (apply refuses a plan holding a unit call no
/// unit performs before it changes anything).
pub fn executes(api: &str) -> bool {
    match api.split_once(':') {
        Some(("ec2", operation)) => ec2::UNITS.iter().any(|u| u.operations.contains(&operation)),
        Some(("iam", operation)) => iam::UNITS.iter().any(|u| u.operations.contains(&operation)),
        _ => false,
    }
}

/// Performs one unit call through the unit whose `operations` name it, arguments resolved.
pub async fn execute(
    ec2_client: &aws_sdk_ec2::Client,
    iam_client: &aws_sdk_iam::Client,
    call: &crate::model::plan::UnitCall,
    args: &ec2::Args,
) -> Result<(), String> {
    let operation = call.operation.as_str();
    match call.service.as_str() {
        "ec2" => {
            if let Some(unit) = ec2::UNITS
                .iter()
                .find(|u| u.operations.contains(&operation))
            {
                return (unit.execute)(ec2_client, call, args).await;
            }
        }
        "iam" => {
            if let Some(unit) = iam::UNITS
                .iter()
                .find(|u| u.operations.contains(&operation))
            {
                return (unit.execute)(iam_client, call, args).await;
            }
        }
        _ => {}
    }
    Err(format!("{}: no resource unit performs it", call.api()))
}

/// What to observe.
#[derive(Debug, Clone, Default)]
pub struct ObserveRequest {
    /// Regions for regional services (EC2). Empty: the SDK config's region.
    pub regions: Vec<String>,
    /// Terraform resource types to enumerate; types this provider does not know are ignored
    /// (and so not listed in [`Observation::resource_types`]).
    pub resource_types: BTreeSet<String>,
    /// Per type, the only objects whose per-object attributes (`read = "recorded"` in the
    /// spec: a VPC's DNS flags, a customer policy's tags) are read, by cloud id: the ones a state records. A type not
    /// named here has them read for every object.
    pub per_object_reads: BTreeMap<String, BTreeSet<String>>,
    /// Per type, the only objects to read, by cloud id (`apply` re-observes what its plan
    /// touches); a type not named here is listed whole. EC2 reads them in batches with an id
    /// filter, so an id AWS no longer knows is missing from the observation, never an error;
    /// an `aws_security_group_rule` has no cloud id of its own: its ids are its groups'; a type
    /// identified by one attribute is named by it (a route table or network ACL association by
    /// its subnet or gateway, a main route table association by its VPC). IAM
    /// has no by-id batch read: an IAM type is read whole.
    pub only: BTreeMap<String, BTreeSet<String>>,
    /// Client-side pacing to AWS's documented rate limits ([`pace`]).
    pub pace: pace::Pace,
    /// The clock the pacer reads and waits on; `None`: tokio's (real time). Tests give a
    /// simulated one, so that what pacing does depends on no machine's load.
    pub clock: Option<Arc<dyn pace::Clock>>,
}

/// Progress of an observation, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgressEvent {
    /// How many tasks the observation runs.
    Planned { tasks: usize },
    /// One task finished (successfully or with gaps), e.g. `ec2 us-east-1 vpcs`.
    Done { task: String },
    /// A task will make `reads` per-object reads (after the listings).
    ReadsPlanned { reads: usize },
    /// One per-object read finished.
    ReadDone,
}

pub type Progress = Arc<dyn Fn(ProgressEvent) + Send + Sync>;

/// Counts one per-object read done when dropped (answered, failed or cancelled).
struct ReadDone<'a>(&'a Progress);

impl Drop for ReadDone<'_> {
    fn drop(&mut self) {
        (self.0)(ProgressEvent::ReadDone);
    }
}

/// Listings first: the per-object reads of one service and region (`DescribeVpcAttribute`)
/// wait until every batched listing of that service and region has its pages, so the burst of
/// small reads never competes with the listings that carry most findings for the same rate
/// limit (AWS throttles per account, service and region with token buckets).
#[derive(Debug, Clone)]
pub struct ListingGate {
    open: Arc<tokio::sync::Semaphore>,
    pending: Arc<std::sync::atomic::AtomicUsize>,
}

/// Held while a task lists; dropping it (when the listing is done, or failed) counts it done.
#[derive(Debug)]
pub struct Listing(ListingGate);

impl Drop for Listing {
    fn drop(&mut self) {
        if self
            .0
            .pending
            .fetch_sub(1, std::sync::atomic::Ordering::AcqRel)
            == 1
        {
            self.0.open.close();
        }
    }
}

impl ListingGate {
    /// A gate for `listings` listing tasks; each must take one [`Listing`].
    pub fn new(listings: usize) -> ListingGate {
        let gate = ListingGate {
            open: Arc::new(tokio::sync::Semaphore::new(0)),
            pending: Arc::new(std::sync::atomic::AtomicUsize::new(listings)),
        };
        if listings == 0 {
            gate.open.close();
        }
        gate
    }

    pub fn listing(&self) -> Listing {
        Listing(self.clone())
    }

    /// Returns once every listing is done (the semaphore is closed then; it never hands out a
    /// permit).
    pub async fn wait(&self) {
        let _ = self.open.acquire().await;
    }
}

/// What one task saw.
#[derive(Debug, Default)]
pub struct Found {
    pub resources: Vec<ObservedResource>,
    pub gaps: Vec<Gap>,
}

/// The ARN of the caller (STS GetCallerIdentity), for the plan's author; `None` when STS
/// cannot be reached or refuses within a few seconds (a plan never fails for it).
pub async fn caller_arn(sdk: &SdkConfig) -> Option<String> {
    let conf = aws_sdk_sts::config::Builder::from(sdk)
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .build();
    let sts = aws_sdk_sts::Client::from_conf(conf);
    let call = sts.get_caller_identity().send();
    match tokio::time::timeout(std::time::Duration::from_secs(5), call).await {
        Ok(Ok(out)) => out.arn().map(str::to_string),
        _ => None,
    }
}

fn ec2_client(sdk: &SdkConfig, region: &str, ledger: &CallLedger) -> aws_sdk_ec2::Client {
    let config = aws_sdk_ec2::config::Builder::from(sdk)
        .region(Region::new(region.to_string()))
        .retry_config(retry_config(sdk))
        .retry_partition(RetryPartition::new(format!("driftgate-ec2-{region}")))
        .retry_classifier(crate::aws_client::connection::ConnectionFailuresAreFinal::default())
        .timeout_config(timeout_config(sdk))
        .interceptor(ledger.interceptor("ec2", Some(region)))
        .build();
    aws_sdk_ec2::Client::from_conf(config)
}

fn iam_client(sdk: &SdkConfig, ledger: &CallLedger) -> aws_sdk_iam::Client {
    let mut builder = aws_sdk_iam::config::Builder::from(sdk)
        .retry_config(retry_config(sdk))
        .retry_partition(RetryPartition::new("driftgate-iam"))
        .retry_classifier(crate::aws_client::connection::ConnectionFailuresAreFinal::default())
        .timeout_config(timeout_config(sdk))
        .interceptor(ledger.interceptor("iam", None));
    // IAM is global; its endpoint resolves from any region of the partition, but it needs one.
    if sdk.region().is_none() {
        builder = builder.region(Region::new("us-east-1"));
    }
    aws_sdk_iam::Client::from_conf(builder.build())
}

/// What a task is, so that a task that dies (a bug) still leaves an honest gap.
struct TaskInfo {
    label: String,
    service: &'static str,
    region: Option<String>,
    types: Vec<String>,
}

/// Observes the asked types in the asked regions. Never fails: what could not be seen is in
/// [`Observation::gaps`].
pub async fn observe(sdk: &SdkConfig, request: &ObserveRequest, progress: Progress) -> Observation {
    let ledger = CallLedger::default();
    let wanted: BTreeSet<String> = request
        .resource_types
        .iter()
        .filter(|t| supported_types().contains(&t.as_str()))
        .cloned()
        .collect();
    let wanted = Arc::new(wanted);

    let mut regions: Vec<String> = request.regions.clone();
    if regions.is_empty() {
        regions.extend(sdk.region().map(|r| r.to_string()));
    }
    regions.sort();
    regions.dedup();

    let mut gaps: Vec<Gap> = Vec::new();
    let mut resources: Vec<ObservedResource> = Vec::new();
    let mut tasks = Tasks::default();

    // One pacer for every region: its buckets are per region and API, as AWS's are.
    let paced = if pace::Pacer::applies(request.pace, endpoint_url(sdk, "EC2").as_deref()) {
        vec!["ec2"]
    } else {
        vec![]
    };
    let ec2_pacer = match &request.clock {
        Some(clock) => pace::Pacer::with_clock(paced, clock.clone()),
        None => pace::Pacer::new(paced),
    };
    let ec2 = Ec2Start {
        sdk,
        request,
        wanted: &wanted,
        regions: &regions,
        ledger: &ledger,
        pacer: &ec2_pacer,
        progress: &progress,
    };
    tasks.spawn_ec2(&ec2, &mut gaps);
    tasks.spawn_iam(sdk, request, &wanted, &ledger, &progress);

    progress(ProgressEvent::Planned {
        tasks: tasks.set.len(),
    });
    tasks.collect(&progress, &mut resources, &mut gaps).await;

    resources.sort_by(|a, b| {
        (&a.resource_type, &a.cloud_id, &a.region, !a.primary).cmp(&(
            &b.resource_type,
            &b.cloud_id,
            &b.region,
            !b.primary,
        ))
    });
    tidy_gaps(&mut gaps, &ledger);

    Observation {
        regions,
        resource_types: wanted.iter().cloned().collect(),
        resources,
        gaps,
        api_calls: ledger.snapshot(),
        api_ms: ledger.busy_ms(),
        paced_ms: ec2_pacer.waited_ms(),
    }
}

/// What the EC2 tasks of one observation start from.
struct Ec2Start<'a> {
    sdk: &'a SdkConfig,
    request: &'a ObserveRequest,
    wanted: &'a Arc<BTreeSet<String>>,
    regions: &'a [String],
    ledger: &'a CallLedger,
    pacer: &'a pace::Pacer,
    progress: &'a Progress,
}

/// The running tasks of one observation, each with what it is.
#[derive(Default)]
struct Tasks {
    set: JoinSet<Found>,
    infos: BTreeMap<tokio::task::Id, TaskInfo>,
}

impl Tasks {
    /// Owns starting EC2: one task per asked EC2 unit and region (one listing gate per
    /// region), or a gap for the asked EC2 types when no region is configured.
    fn spawn_ec2(&mut self, start: &Ec2Start<'_>, gaps: &mut Vec<Gap>) {
        let wanted = start.wanted;
        let units = ec2::units_for(wanted);
        if units.is_empty() {
            return;
        }
        if start.regions.is_empty() {
            let lost: Vec<&str> = ec2::all_types()
                .into_iter()
                .filter(|t| wanted.contains(*t))
                .collect();
            gaps.push(gap(
                "ec2",
                None,
                "DescribeVpcs",
                &lost,
                "no region configured: name one (--region) or set AWS_REGION".to_string(),
            ));
        }
        let only = Arc::new(start.request.only.clone());
        let per_object_reads = Arc::new(start.request.per_object_reads.clone());
        for region in start.regions {
            let client = ec2_client(start.sdk, region, start.ledger);
            let gate = ListingGate::new(units.len());
            // One per region: the listings several units read are made once.
            let shared = Arc::new(ec2::Shared::default());
            for &unit in &units {
                let cx = ec2::Cx {
                    client: client.clone(),
                    region: region.clone(),
                    wanted: wanted.clone(),
                    only: only.clone(),
                    per_object_reads: per_object_reads.clone(),
                    gate: gate.clone(),
                    listing: std::sync::Mutex::new(Some(gate.listing())),
                    pacer: start.pacer.clone(),
                    progress: start.progress.clone(),
                    shared: shared.clone(),
                };
                // A unit's listing is done when it returns, unless it said so earlier
                // (`Cx::after_listings`, before its per-object reads).
                let handle = self.set.spawn(async move { (unit.list)(&cx).await });
                self.infos.insert(
                    handle.id(),
                    TaskInfo {
                        label: format!("ec2 {region} {}", unit.label),
                        service: "ec2",
                        region: Some(region.clone()),
                        types: unit
                            .types
                            .iter()
                            .filter(|t| wanted.contains(**t))
                            .map(|t| t.to_string())
                            .collect(),
                    },
                );
            }
        }
    }

    /// Owns starting IAM (global, no region): one task per asked unit, all sharing one
    /// context, so the `GetAccountAuthorizationDetails` sweep is made once, for the entity
    /// kinds the asked units need, and per-object reads share one bound.
    fn spawn_iam(
        &mut self,
        sdk: &SdkConfig,
        request: &ObserveRequest,
        wanted: &Arc<BTreeSet<String>>,
        ledger: &CallLedger,
        progress: &Progress,
    ) {
        let units: Vec<&'static iam::Unit> = iam::UNITS
            .iter()
            .copied()
            .filter(|u| u.types.iter().any(|t| wanted.contains(*t)))
            .collect();
        if units.is_empty() {
            return;
        }
        let cx = Arc::new(iam::Cx::new(
            iam_client(sdk, ledger),
            wanted.clone(),
            progress.clone(),
            Arc::new(request.per_object_reads.clone()),
            &units,
        ));
        for unit in units {
            let cx = cx.clone();
            let handle = self.set.spawn(async move {
                let found = (unit.list)(&cx).await;
                cx.listed(unit.label);
                found
            });
            self.infos.insert(
                handle.id(),
                TaskInfo {
                    label: format!("iam global {}", unit.label),
                    service: "iam",
                    region: None,
                    types: unit
                        .types
                        .iter()
                        .filter(|t| wanted.contains(**t))
                        .map(|t| t.to_string())
                        .collect(),
                },
            );
        }
    }

    /// Owns the harvest: every task's resources and gaps as it ends; a task that died leaves
    /// a gap for the types it would have fed.
    async fn collect(
        mut self,
        progress: &Progress,
        resources: &mut Vec<ObservedResource>,
        gaps: &mut Vec<Gap>,
    ) {
        while let Some(joined) = self.set.join_next_with_id().await {
            match joined {
                Ok((id, found)) => {
                    resources.extend(found.resources);
                    gaps.extend(found.gaps);
                    if let Some(info) = self.infos.get(&id) {
                        progress(ProgressEvent::Done {
                            task: info.label.clone(),
                        });
                    }
                }
                Err(error) => {
                    if let Some(info) = self.infos.get(&error.id()) {
                        let types: Vec<&str> = info.types.iter().map(String::as_str).collect();
                        gaps.push(gap(
                            info.service,
                            info.region.as_deref(),
                            "-",
                            &types,
                            format!("internal error: task `{}` failed: {error}", info.label),
                        ));
                        progress(ProgressEvent::Done {
                            task: info.label.clone(),
                        });
                    }
                }
            }
        }
    }
}

/// Owns the final shape of the gaps: endpoints named, reasons masked, sorted, deduplicated.
fn tidy_gaps(gaps: &mut Vec<Gap>, ledger: &CallLedger) {
    calls::name_endpoints(gaps, ledger);
    // A reason or detail can quote an AWS error or an endpoint URL: the observation (and so
    // every report, snapshot file and log made of it) holds them masked.
    for g in gaps.iter_mut() {
        g.reason = crate::mask::mask_text(&g.reason);
        g.detail = g.detail.as_deref().map(crate::mask::mask_text);
    }
    gaps.sort();
    gaps.dedup();
}

#[cfg(test)]
mod tests {

    #[tokio::test]
    async fn per_object_reads_wait_for_every_listing() {
        let gate = ListingGate::new(2);
        let (a, b) = (gate.listing(), gate.listing());
        let waiter = tokio::spawn({
            let gate = gate.clone();
            async move { gate.wait().await }
        });
        drop(a);
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "one listing is still running");
        drop(b);
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("opens when the last listing is done")
            .unwrap();
        // Nothing to wait for: open at once.
        ListingGate::new(0).wait().await;
    }

    use super::*;

    #[test]
    fn supported_types_match_the_specs() {
        let specs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("providers/aws");
        let mut from_specs = Vec::new();
        for service in ["ec2", "iam"] {
            for entry in std::fs::read_dir(specs.join(service)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "hcl") {
                    from_specs.push(path.file_stem().unwrap().to_string_lossy().into_owned());
                }
            }
        }
        from_specs.sort();
        assert_eq!(supported_types(), from_specs);
    }

    #[test]
    fn only_asked_ec2_units_run() {
        let wanted: BTreeSet<String> = ["aws_vpc_security_group_egress_rule".to_string()].into();
        let labels: Vec<&str> = ec2::units_for(&wanted).iter().map(|u| u.label).collect();
        assert_eq!(labels, ["security groups"]);
        assert!(ec2::units_for(&BTreeSet::new()).is_empty());
    }
}
