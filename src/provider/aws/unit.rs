//! What a resource unit is, in every service (`ec2/<unit>.rs`, `iam/<unit>.rs`): the types it
//! yields, its listing, its samples and the calls its reverts plan. Each service fixes the
//! context it lists from and the client it calls with (`ec2::Unit`, `iam::Unit`).

use std::collections::BTreeMap;

use super::Found;
use super::ec2::Sample;
use crate::model::Value;
use crate::model::plan::{UnitCall, UnitRevert};

/// One unit of a service whose listings read from `Cx` and whose calls go through `Client`.
pub struct Unit<Cx: 'static, Client: 'static, Needs: 'static> {
    /// For the progress bar and internal-error gaps (`route tables`).
    pub label: &'static str,
    /// The terraform types it yields; each has its spec under `providers/aws/<service>/`.
    pub types: &'static [&'static str],
    /// What it reads of a sweep the service shares (IAM: entity kinds of
    /// `GetAccountAuthorizationDetails`; none: it does not).
    pub needs: &'static [Needs],
    /// Lists the objects (only the ones the request names, for a type it names).
    pub list: for<'a> fn(&'a Cx) -> Listed<'a>,
    /// The unit's conversion run over SDK objects with every field it reads set, each with the
    /// import id the provider documents for it (`spec::tests::coherence` checks both against
    /// the spec).
    pub samples: fn() -> Vec<Sample>,
    /// The reverts it provides (`revert = "<name>"` in its types' specs). Each plans
    /// [`UnitCall`]s of this unit's `operations`.
    pub reverts: &'static [UnitRevert],
    /// The operations its calls use (`CreateRoute`); `execute` performs them.
    pub operations: &'static [&'static str],
    /// Performs one of its calls, arguments resolved (a sensitive one read from the state).
    pub execute: Execute<Client>,
}

impl<Cx, Client, Needs> Unit<Cx, Client, Needs> {
    /// A unit that lists `types` (`label`: for the progress bar), needs nothing shared and
    /// plans no calls; [`Unit::needs`] and [`Unit::calls`] say otherwise.
    pub const fn new(
        label: &'static str,
        types: &'static [&'static str],
        list: for<'a> fn(&'a Cx) -> Listed<'a>,
        samples: fn() -> Vec<Sample>,
    ) -> Self {
        Unit {
            label,
            types,
            needs: &[],
            list,
            samples,
            reverts: &[],
            operations: &[],
            execute: executes_nothing,
        }
    }

    /// The unit reading these parts of the service's shared sweep.
    pub const fn needs(self, needs: &'static [Needs]) -> Self {
        Unit { needs, ..self }
    }

    /// The unit with the reverts it provides, the operations their calls use and the executor
    /// that performs them.
    pub const fn calls(
        self,
        reverts: &'static [UnitRevert],
        operations: &'static [&'static str],
        execute: Execute<Client>,
    ) -> Self {
        Unit {
            reverts,
            operations,
            execute,
            ..self
        }
    }
}

/// A unit's listing in flight.
pub type Listed<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Found> + Send + 'a>>;

/// A unit's executor: sends one [`UnitCall`] of its `operations`. `Err`: the AWS error code and
/// message (never a request body).
pub type Execute<Client> = for<'a> fn(&'a Client, &'a UnitCall, &'a Args) -> Executed<'a>;
/// A unit call's resolved arguments.
pub type Args = BTreeMap<String, Value>;
/// A unit call in flight.
pub type Executed<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>>;

/// The executor of a unit that plans no calls.
pub fn executes_nothing<'a, Client>(
    _: &'a Client,
    call: &'a UnitCall,
    _: &'a Args,
) -> Executed<'a> {
    let api = call.api();
    Box::pin(async move { Err(format!("{api}: this unit performs no operation")) })
}
