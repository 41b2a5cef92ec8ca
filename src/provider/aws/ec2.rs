//! EC2: the service every EC2 unit shares. A unit is `ec2/<name>.rs` (one resource type, or a
//! family one API returns, e.g. security groups and their rules); this file and `mod.rs` own
//! what every unit shares: the region's client, pagination and turning a failed call into a gap
//! ([`pages!`]), reading a given set of objects by id ([`Cx::id_filters`]), the listing gate
//! and pacing of per-object reads ([`Cx::after_listings`], [`Cx::paced`]), the listings several
//! units read, made once per region ([`Shared`]), and the conversion helpers (tags, ARNs).
//!
//! A rule or permission with no source driftgate can read becomes a `Gap`, never a dropped or
//! guessed rule; AWS-owned objects (a default VPC, subnet, security group and AWS's own rules of
//! it) are `Owner::Aws`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{DhcpOptions, Filter, NatGateway, Reservation, Tag};
use tokio::sync::OnceCell;

use super::Found;
use crate::model::{Attributes, Gap, ObservedResource, Owner, Value};

/// Page size for every EC2 `Describe*` that takes `MaxResults` (the API's maximum).
const PAGE: i32 = 1000;

/// Ids per `Filter` when objects are read by id: EC2 takes up to 200 values per filter
/// ("Using filtering", Amazon EC2 API Reference). A filter, not the `*Ids` parameter: an id EC2
/// no longer knows is then simply absent from the answer (the object is missing), where
/// `VpcIds`/`GroupIds`/... fail the whole batch with `Invalid*.NotFound`.
pub const IDS_PER_FILTER: usize = 200;

// ---- units: one file per resource type (or family) under `ec2/` -------------------------------
//
// A unit is `ec2/<name>.rs` exporting `pub const UNIT: Unit`; build.rs declares its module
// and lists it in `UNITS`, so adding a type touches its spec and its unit, nothing else.

/// Every page of a paginated EC2 `Describe*`, or the gap that stands for the types it feeds:
/// `pages!(cx, "DescribeRouteTables", TYPES, cx.client.describe_route_tables().max_results(PAGE), route_tables)`.
macro_rules! pages {
    ($cx:expr, $operation:literal, $types:expr, $request:expr, $items:ident) => {{
        let mut pages = $request.into_paginator().send();
        let mut items = Vec::new();
        let mut failed = None;
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => items.extend(page.$items.unwrap_or_default()),
                Err(e) => {
                    failed = Some($crate::provider::aws::calls::gap(
                        "ec2",
                        Some(&$cx.region),
                        $operation,
                        $types,
                        $crate::provider::aws::calls::failure_reason(&e),
                    ));
                    break;
                }
            }
        }
        match failed {
            Some(gap) => Err(gap),
            None => Ok(items),
        }
    }};
}

/// [`pages!`] over the batches of [`Cx::id_filters`]: every object of the region, or only the
/// asked ones (`$filters`, each batch with its id filter added to `$extra` filters).
/// `pages_by!(cx, "DescribeVpcs", TYPES, cx.id_filters(TYPE, "vpc-id"), vec![], |f| cx.client.describe_vpcs().max_results(PAGE).set_filters(f), vpcs)`.
/// The common form names only the `Describe*` method: no other filter, the largest page
/// (`PAGE` where it is called):
/// `pages_by!(cx, "DescribeVpcs", TYPES, cx.id_filters(TYPE, "vpc-id"), describe_vpcs, vpcs)`.
macro_rules! pages_by {
    ($cx:expr, $operation:literal, $types:expr, $filters:expr, $method:ident, $items:ident) => {
        pages_by!(
            $cx,
            $operation,
            $types,
            $filters,
            Vec::new(),
            |filters| $cx.client.$method().max_results(PAGE).set_filters(filters),
            $items
        )
    };
    ($cx:expr, $operation:literal, $types:expr, $filters:expr, $extra:expr, |$f:ident| $request:expr, $items:ident) => {{
        let mut all = Vec::new();
        let mut failed = None;
        for batch in $filters {
            let mut filters: Vec<aws_sdk_ec2::types::Filter> = $extra;
            filters.extend(batch);
            let $f = (!filters.is_empty()).then_some(filters);
            match pages!($cx, $operation, $types, $request, $items) {
                Ok(items) => all.extend(items),
                Err(gap) => {
                    failed = Some(gap);
                    break;
                }
            }
        }
        match failed {
            Some(gap) => Err(gap),
            None => Ok(all),
        }
    }};
}

/// Listings shared by units through `$cx.shared.<name>` ([`Cx::shared_or_named`]), one method
/// each: the whole region once (its extra filters only), or the named batches read apart from
/// the shared cell. A line: `name -> Item = "Operation", describe_x.set_filter(extra) => items;`.
macro_rules! shared_listings {
    ($($(#[$doc:meta])* $name:ident -> $item:ty = $operation:literal,
        $method:ident.$set:ident($extra:expr) => $items:ident;)*) => {$(
        $(#[$doc])*
        pub async fn $name(
            &self,
            types: &[&str],
            batches: Vec<Option<Filter>>,
        ) -> Result<Arc<Vec<$item>>, Gap> {
            let request = |f| self.client.$method().max_results(PAGE).$set(f);
            let list = async {
                pages_by!(self, $operation, types, [None], $extra, |f| request(f), $items)
            };
            let read = |named: Vec<Filter>| async move {
                pages_by!(
                    self,
                    $operation,
                    types,
                    named.into_iter().map(Some),
                    $extra,
                    |f| request(f),
                    $items
                )
            };
            Self::shared_or_named(&self.shared.$name, types, batches, list, read).await
        }
    )*};
}

include!(concat!(env!("OUT_DIR"), "/ec2_units.rs"));

/// What a unit lists from: one region's client, the asked types and objects, and the schedule
/// of its per-object reads.
pub struct Cx {
    pub client: Client,
    pub region: String,
    pub wanted: Arc<BTreeSet<String>>,
    /// Per type, the only objects to read, by cloud id (`ObserveRequest::only`); a type not
    /// named: every object of the region.
    pub only: Arc<BTreeMap<String, BTreeSet<String>>>,
    /// Per type, the only objects whose per-object attributes are read
    /// (`ObserveRequest::per_object_reads`); a type not named: every object's.
    pub per_object_reads: Arc<BTreeMap<String, BTreeSet<String>>>,
    /// Opens once every listing of this region is done (listings first).
    pub gate: super::ListingGate,
    /// This unit's own listing, held until it is done ([`Cx::after_listings`] or its end).
    pub listing: Mutex<Option<super::Listing>>,
    /// AWS's documented rate limits, for per-object reads.
    pub pacer: super::pace::Pacer,
    pub progress: super::Progress,
    /// The region's listings more than one unit needs, shared by every unit of the region.
    pub shared: Arc<Shared>,
}

/// A listing of the whole region that more than one unit reads, made once per region by the
/// first unit that asks and shared (as IAM shares its authorization-details sweep): a failed
/// listing is kept as its gap and named anew for each unit's types ([`Cx::shared`]).
type SharedListing<T> = OnceCell<Result<Arc<Vec<T>>, Gap>>;

/// The shared listings of one region (see [`SharedListing`]): each is the same whole-region
/// request every unit that reads it would make.
#[derive(Default)]
pub struct Shared {
    /// DescribeNatGateways: the NAT gateway unit, and the network interface unit (whose
    /// interfaces a gateway uses).
    nat_gateways: SharedListing<NatGateway>,
    /// DescribeDhcpOptions: the DHCP options unit, and the VPC unit (whose associations with
    /// the region's default set are AWS's).
    dhcp_options: SharedListing<DhcpOptions>,
    /// DescribeInstances of the live instances: the instance unit when it reads every instance
    /// of the region, and the volume unit (the instances' root device names).
    instances: SharedListing<Reservation>,
}

impl Cx {
    /// A shared listing, made on first use; its gap named for `types` (the asking unit's).
    async fn shared<T, F>(
        cell: &SharedListing<T>,
        types: &[&str],
        list: F,
    ) -> Result<Arc<Vec<T>>, Gap>
    where
        F: std::future::Future<Output = Result<Vec<T>, Gap>>,
    {
        match cell
            .get_or_init(|| async { list.await.map(Arc::new) })
            .await
        {
            Ok(items) => Ok(items.clone()),
            Err(gap) => Err(gap_for(gap, types)),
        }
    }

    /// A listing several units read (see [`Shared`]), or only some of its objects.
    /// `batches` are as [`Cx::id_filters`] makes them: one `None` (the whole region) or the
    /// filters that name the objects `apply` re-observes (`only`). The whole region is made
    /// once per region (`list`, kept in `cell`); named objects are read by their filters
    /// (`read`), batched, and never kept in `cell`: a unit of the same observation that reads
    /// the whole region is never served a part of it (nor a read by id a whole listing it
    /// did not ask for). No batch (an empty `only`): nothing to read, no call.
    async fn shared_or_named<T, L, R, F>(
        cell: &SharedListing<T>,
        types: &[&str],
        batches: Vec<Option<Filter>>,
        list: L,
        read: R,
    ) -> Result<Arc<Vec<T>>, Gap>
    where
        L: std::future::Future<Output = Result<Vec<T>, Gap>>,
        R: FnOnce(Vec<Filter>) -> F,
        F: std::future::Future<Output = Result<Vec<T>, Gap>>,
    {
        let named: Option<Vec<Filter>> = batches.into_iter().collect();
        match named {
            None => Self::shared(cell, types, list).await,
            Some(named) if named.is_empty() => Ok(Arc::new(Vec::new())),
            Some(named) => read(named).await.map(Arc::new),
        }
    }

    shared_listings! {
        /// The NAT gateways of `batches` ([`Cx::shared_or_named`]): every one of the region
        /// (one DescribeNatGateways listing per region), or those the filters name; or the gap
        /// for `types`.
        nat_gateways -> NatGateway = "DescribeNatGateways",
            describe_nat_gateways.set_filter(Vec::new()) => nat_gateways;
        /// The DHCP options sets of `batches`, likewise (one DescribeDhcpOptions listing per
        /// region).
        dhcp_options -> DhcpOptions = "DescribeDhcpOptions",
            describe_dhcp_options.set_filters(Vec::new()) => dhcp_options;
        /// The live instances (filtered to the states of an instance that still exists) of
        /// `batches`, likewise (one DescribeInstances listing per region).
        instances -> Reservation = "DescribeInstances",
            describe_instances.set_filters(vec![instance::live_states()]) => reservations;
    }

    /// One object as an observed resource of this region.
    pub fn view(
        &self,
        resource_type: &str,
        cloud_id: &str,
        owner: Owner,
        attributes: Attributes,
    ) -> ObservedResource {
        view(
            resource_type,
            cloud_id,
            true,
            &self.region,
            owner,
            attributes,
        )
    }

    /// The account's objects of `resource_type` in a listing: each item with an id (`id`; one
    /// without is left out), its attributes as `attributes` converts it.
    pub fn views<T>(
        &self,
        resource_type: &str,
        items: &[T],
        id: impl Fn(&T) -> Option<&str>,
        attributes: impl Fn(&T) -> Attributes,
    ) -> Found {
        let mut found = Found::default();
        for item in items {
            if let Some(id) = id(item) {
                found
                    .resources
                    .push(self.view(resource_type, id, Owner::User, attributes(item)));
            }
        }
        found
    }

    /// Whether a type is asked for.
    pub fn wants(&self, resource_type: &str) -> bool {
        self.wanted.contains(resource_type)
    }

    /// The only objects of a type to read, when the request names them.
    pub fn only(&self, resource_type: &str) -> Option<&BTreeSet<String>> {
        self.only.get(resource_type)
    }

    /// The objects to read of a unit's `types` that are asked for, by cloud id: `None` when
    /// one of them is asked whole (every object of the region); else the ids the request names
    /// for them (an object's own, or its parent's for a type read through its parent, as
    /// `apply` names them); empty when none is asked: nothing to read.
    pub fn asked(&self, types: &[&str]) -> Option<BTreeSet<String>> {
        let mut ids = BTreeSet::new();
        for t in types.iter().filter(|t| self.wants(t)) {
            ids.extend(self.only(t)?.iter().cloned());
        }
        Some(ids)
    }

    /// The `Filter`s that read a type's objects: one `None` (the whole region) when the
    /// request does not name its objects; else one filter `name` per [`IDS_PER_FILTER`] ids
    /// (none at all for an empty set: nothing to read).
    pub fn id_filters(&self, resource_type: &str, name: &str) -> Vec<Option<Filter>> {
        id_filters(self.only(resource_type), name)
    }

    /// Whether this object's per-object attributes are read.
    pub fn reads(&self, resource_type: &str, id: &str) -> bool {
        self.per_object_reads
            .get(resource_type)
            .is_none_or(|ids| ids.contains(id))
    }

    /// Marks this unit's listing done and waits for every other listing of the region: the
    /// per-object reads come after them all.
    pub async fn after_listings(&self) {
        if let Ok(mut listing) = self.listing.lock() {
            listing.take();
        }
        self.gate.wait().await;
    }

    /// Tells the progress bar how many per-object reads come.
    pub fn reads_planned(&self, reads: usize) {
        (self.progress)(super::ProgressEvent::ReadsPlanned { reads });
    }

    /// One per-object call's turn: resolves once the pace allows the call (`operation`, in
    /// this region); the guard it gives counts the read done for the progress bar when dropped.
    /// Made before the call's task is spawned, awaited in it.
    pub fn read_slot(
        &self,
        operation: &'static str,
    ) -> impl std::future::Future<Output = ReadCounted> + Send + 'static {
        let (pacer, region, progress) = (
            self.pacer.clone(),
            self.region.clone(),
            self.progress.clone(),
        );
        async move {
            pacer.take("ec2", Some(&region), operation).await;
            ReadCounted(progress)
        }
    }
}

/// Counts one per-object read done when dropped (answered, failed or cancelled).
pub struct ReadCounted(super::Progress);

impl Drop for ReadCounted {
    fn drop(&mut self) {
        (self.0)(super::ProgressEvent::ReadDone);
    }
}

/// A shared listing's gap, named for the resource types of the unit that reads it.
fn gap_for(gap: &Gap, types: &[&str]) -> Gap {
    let mut resource_types: Vec<String> = types.iter().map(|t| t.to_string()).collect();
    resource_types.sort();
    resource_types.dedup();
    Gap {
        resource_types,
        ..gap.clone()
    }
}

/// [`Cx::id_filters`] for a given id set.
pub fn id_filters(only: Option<&BTreeSet<String>>, name: &str) -> Vec<Option<Filter>> {
    match only {
        None => vec![None],
        Some(ids) => ids
            .iter()
            .collect::<Vec<_>>()
            .chunks(IDS_PER_FILTER)
            .map(|batch| {
                Some(
                    Filter::builder()
                        .name(name)
                        .set_values(Some(batch.iter().map(|s| s.to_string()).collect()))
                        .build(),
                )
            })
            .collect(),
    }
}

/// One EC2 unit: a batched, paginated listing of one region and the resource types it yields.
pub type Unit = super::unit::Unit<Cx, Client, std::convert::Infallible>;
pub use super::unit::{Args, Executed, Listed};

/// Why a unit call failed, for a person: the AWS error code and message (never a request
/// body).
pub fn call_error<E, R>(e: aws_sdk_ec2::error::SdkError<E, R>) -> String
where
    E: aws_sdk_ec2::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    crate::aws_client::connection::write_error(&e)
}

/// A resolved argument as text; `Err` names the missing argument.
pub fn text_arg(args: &Args, name: &str) -> Result<String, String> {
    args.get(name)
        .and_then(Value::scalar_text)
        .ok_or_else(|| format!("the call has no `{name}`"))
}

/// An observed object made by a unit's conversion from a full SDK object, and its import id as
/// the provider documents it.
pub struct Sample {
    pub resource: ObservedResource,
    pub import_id: String,
}

impl Sample {
    /// The account's object `id` of `resource_type` in `region`, imported by its id.
    pub fn regional(resource_type: &str, id: &str, region: &str, attributes: Attributes) -> Sample {
        Sample {
            resource: view(resource_type, id, true, region, Owner::User, attributes),
            import_id: id.into(),
        }
    }

    /// The account's global object `id` of `resource_type` (IAM), imported by its id.
    pub fn global(resource_type: &str, id: &str, attributes: Attributes) -> Sample {
        Sample {
            resource: ObservedResource {
                region: None,
                ..view(resource_type, id, true, "", Owner::User, attributes)
            },
            import_id: id.into(),
        }
    }
}

impl Found {
    /// A listing that failed as a whole.
    pub fn gap(gap: crate::model::Gap) -> Found {
        Found {
            resources: Vec::new(),
            gaps: vec![gap],
        }
    }
}

/// Every EC2 type: what the units yield.
pub fn all_types() -> Vec<&'static str> {
    let mut all: Vec<&str> = UNITS.iter().flat_map(|u| u.types.iter().copied()).collect();
    all.sort();
    all
}

/// The units needed for the asked types.
pub fn units_for(wanted: &BTreeSet<String>) -> Vec<&'static Unit> {
    UNITS
        .iter()
        .copied()
        .filter(|u| u.types.iter().any(|t| wanted.contains(*t)))
        .collect()
}

fn view(
    resource_type: &str,
    cloud_id: &str,
    primary: bool,
    region: &str,
    owner: Owner,
    attributes: Attributes,
) -> ObservedResource {
    ObservedResource {
        resource_type: resource_type.to_string(),
        cloud_id: cloud_id.to_string(),
        primary,
        region: Some(region.to_string()),
        owner,
        attributes,
    }
}

// ---- shared helpers --------------------------------------------------------------------------

/// EC2 tags as terraform's `tags` map (empty when there are none).
pub fn tag_map(tags: &[Tag]) -> Value {
    Value::Map(
        tags.iter()
            .filter_map(|t| Some((t.key()?.to_string(), Value::from(t.value().unwrap_or("")))))
            .collect(),
    )
}

/// The partition of a region: `aws`, `aws-cn`, `aws-us-gov`.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// What a VPC's objects record first: `id`, the `arn` the provider builds for it
/// (`KIND/ID` under its owner), `owner_id` and `vpc_id`.
fn vpc_object(
    region: &str,
    (kind, id): (&str, &str),
    owner_id: Option<&str>,
    vpc_id: Option<&str>,
) -> Attributes {
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    let arn = arn(region, owner_id, &format!("{kind}/{id}"));
    a.insert("arn".into(), arn.into());
    a.insert("owner_id".into(), owner_id.into());
    a.insert("vpc_id".into(), vpc_id.into());
    a
}

/// CRC-32 (IEEE), as Go's `hash/crc32.ChecksumIEEE` (the provider derives some ids from it).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// An EC2 ARN as the provider builds it for objects the API returns no ARN for.
fn arn(region: &str, owner_id: Option<&str>, resource: &str) -> String {
    format!(
        "arn:{}:ec2:{region}:{}:{resource}",
        partition(region),
        owner_id.unwrap_or("")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions() {
        assert_eq!(partition("us-east-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }

    /// A shared listing is made once for every unit that reads it, even when they ask at the
    /// same time; its failure is a gap for each unit, named for that unit's types.
    #[tokio::test]
    async fn a_shared_listing_is_made_once_and_its_gap_named_per_unit() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let made = AtomicUsize::new(0);
        let list = |items: Result<Vec<u32>, Gap>| {
            let made = &made;
            async move {
                made.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
                items
            }
        };
        let cell: SharedListing<u32> = OnceCell::new();
        let (a, b) = tokio::join!(
            Cx::shared(&cell, &["aws_nat_gateway"], list(Ok(vec![1, 2]))),
            Cx::shared(&cell, &["aws_network_interface"], list(Ok(vec![3])))
        );
        assert_eq!(made.load(Ordering::SeqCst), 1);
        assert!(Arc::ptr_eq(&a.unwrap(), &b.unwrap()));

        let failed = super::super::calls::gap(
            "ec2",
            Some("us-east-1"),
            "DescribeNatGateways",
            &["aws_nat_gateway", "aws_eip_association"],
            "access denied".to_string(),
        );
        let cell: SharedListing<u32> = OnceCell::new();
        let first = Cx::shared(
            &cell,
            &["aws_nat_gateway", "aws_eip_association"],
            list(Err(failed.clone())),
        )
        .await
        .unwrap_err();
        let second = Cx::shared(&cell, &["aws_network_interface"], list(Ok(vec![])))
            .await
            .unwrap_err();
        assert_eq!(
            made.load(Ordering::SeqCst),
            2,
            "the failure is kept, not retried"
        );
        assert_eq!(first, failed);
        assert_eq!(
            second,
            Gap {
                resource_types: vec!["aws_network_interface".into()],
                ..failed
            }
        );
    }

    /// Under `only` a shared listing's objects are read by their id filters, never by the
    /// whole-region listing, and never kept in its cell: a unit of the same observation that
    /// reads the whole region afterwards gets the whole listing (made once), not the part.
    #[tokio::test]
    async fn named_objects_are_read_by_id_and_kept_out_of_the_shared_listing() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (listed, read) = (AtomicUsize::new(0), Mutex::new(Vec::new()));
        let list = || {
            let listed = &listed;
            async move {
                listed.fetch_add(1, Ordering::SeqCst);
                Ok(vec!["nat-1", "nat-2", "nat-3"])
            }
        };
        let by_id = |named: Vec<Filter>| {
            let read = &read;
            async move {
                let ids: Vec<String> = named.iter().flat_map(|f| f.values().to_vec()).collect();
                read.lock().unwrap().push(ids.clone());
                Ok(vec!["nat-2"]
                    .into_iter()
                    .filter(|i| ids.contains(&i.to_string()))
                    .collect())
            }
        };
        let cell: SharedListing<&str> = OnceCell::new();
        let types = &["aws_nat_gateway"];
        let named: BTreeSet<String> = ["nat-2".to_string(), "nat-9".to_string()].into();
        let batches = id_filters(Some(&named), "nat-gateway-id");
        let part = Cx::shared_or_named(&cell, types, batches, list(), by_id).await;
        assert_eq!(*part.unwrap(), vec!["nat-2"]);
        assert_eq!(*read.lock().unwrap(), vec![vec!["nat-2", "nat-9"]]);
        assert_eq!(listed.load(Ordering::SeqCst), 0, "no whole-region listing");
        assert!(cell.get().is_none(), "the part is not the region's listing");

        // Nothing named: no call at all.
        let none = Cx::shared_or_named(&cell, types, Vec::new(), list(), by_id).await;
        assert!(none.unwrap().is_empty());
        assert_eq!(read.lock().unwrap().len(), 1);
        assert_eq!(listed.load(Ordering::SeqCst), 0);

        // The whole region afterwards: listed once, whole, and shared.
        let (a, b) = tokio::join!(
            Cx::shared_or_named(&cell, types, vec![None], list(), by_id),
            Cx::shared_or_named(&cell, &["aws_network_interface"], vec![None], list(), by_id)
        );
        assert_eq!(
            *a.as_ref().unwrap().clone(),
            vec!["nat-1", "nat-2", "nat-3"]
        );
        assert!(Arc::ptr_eq(&a.unwrap(), &b.unwrap()));
        assert_eq!(listed.load(Ordering::SeqCst), 1);
        assert_eq!(
            read.lock().unwrap().len(),
            1,
            "no read by id for a whole listing"
        );
    }

    #[test]
    fn ids_are_read_in_batches_of_the_filter_limit() {
        assert_eq!(id_filters(None, "vpc-id"), vec![None]);
        assert!(id_filters(Some(&BTreeSet::new()), "vpc-id").is_empty());
        let ids: BTreeSet<String> = (0..450).map(|i| format!("vpc-{i:04}")).collect();
        let batches = id_filters(Some(&ids), "vpc-id");
        let sizes: Vec<usize> = batches
            .iter()
            .map(|f| f.as_ref().unwrap().values().len())
            .collect();
        assert_eq!(sizes, [200, 200, 50]);
        assert!(
            batches
                .iter()
                .all(|f| f.as_ref().unwrap().name() == Some("vpc-id"))
        );
    }
}
