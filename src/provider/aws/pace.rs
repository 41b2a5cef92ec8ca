//! Client-side pacing: never send AWS more requests than its documented token buckets allow,
//! so that a scan is not throttled (and does not throttle the account's other callers: the
//! buckets are shared by everything that calls the API in that account and region).
//!
//! - **The model is AWS's own.** EC2 throttles each API on its own, per account and region,
//!   with a token bucket: a non-mutating action (every `Describe*` this provider calls, with
//!   pagination) has a bucket of 100 tokens refilled at 20 per second (EC2 developer guide,
//!   "Request throttling for the Amazon EC2 API"). [`Pacer`] keeps one such bucket per
//!   (service, region, API) and makes a call wait for its token.
//! - **Only what is documented.** IAM publishes no per-API request rates; its calls are not
//!   paced here and rely on bounded concurrency and the SDK's adaptive retry, which slows down
//!   on the first throttling answer.
//! - **Only for AWS.** The documented limits are those of AWS's endpoints (`*.amazonaws.com`,
//!   `*.amazonaws.com.cn`, `*.api.aws`, and the SDK's default endpoints). A custom endpoint
//!   (`AWS_ENDPOINT_URL`: LocalStack, moto, a test double) has limits we cannot know, so it is
//!   not paced unless asked (`DRIFTGATE_API_PACE=aws`); `DRIFTGATE_API_PACE=off` turns pacing
//!   off everywhere (an account whose limits were raised). Adaptive retry stays on in every
//!   case: throttling that happens anyway (another client draining the same bucket) is
//!   survived.
//!
//! The bucket's arithmetic takes the time as an argument, and the pacer reads the time and
//! waits through a [`Clock`] it is given, so tests drive a simulated clock and never sleep.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// Where the pacer reads the time and how it waits: tokio's clock in the product, a
/// simulated one in tests.
pub trait Clock: std::fmt::Debug + Send + Sync {
    fn now(&self) -> Instant;
    fn sleep(&self, wait: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// Tokio's clock: real time.
#[derive(Debug, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&self, wait: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(wait))
    }
}

/// Whether to pace: [`Pace::Auto`] paces AWS's own endpoints only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pace {
    #[default]
    Auto,
    /// AWS's documented limits, whatever the endpoint.
    Aws,
    /// No client-side pacing (adaptive retry only).
    Off,
}

impl std::str::FromStr for Pace {
    type Err = String;
    fn from_str(s: &str) -> Result<Pace, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Ok(Pace::Auto),
            "aws" => Ok(Pace::Aws),
            "off" => Ok(Pace::Off),
            other => Err(format!(
                "unknown pacing `{other}` (expected auto, aws or off)"
            )),
        }
    }
}

/// One token bucket's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Tokens the bucket holds when full: the burst.
    pub burst: f64,
    /// Tokens added per second.
    pub per_second: f64,
}

/// EC2's bucket for a non-mutating action (`Describe*`), per API, account and region.
pub const EC2_NON_MUTATING: Limit = Limit {
    burst: 100.0,
    per_second: 20.0,
};

/// AWS's documented bucket for one API of one service; `None` where AWS documents none.
pub fn documented_limit(service: &str, operation: &str) -> Option<Limit> {
    match service {
        // Every EC2 call this provider makes is a read. Mutating actions (apply's calls) are
        // made one at a time and are not paced here.
        "ec2" if operation.starts_with("Describe") => Some(EC2_NON_MUTATING),
        _ => None,
    }
}

/// Whether `endpoint` (a configured endpoint URL; `None` for the SDK's default resolution) is
/// one of AWS's own.
pub fn is_aws_endpoint(endpoint: Option<&str>) -> bool {
    let Some(url) = endpoint else { return true };
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next().unwrap_or("").to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    ["amazonaws.com", "amazonaws.com.cn", "api.aws"]
        .iter()
        .any(|suffix| host.ends_with(&format!(".{suffix}")))
}

/// A token bucket, full at first.
#[derive(Debug)]
struct Bucket {
    limit: Limit,
    /// Tokens now (may be fractional) and when that was computed.
    state: Mutex<(f64, Instant)>,
}

impl Bucket {
    fn new(limit: Limit, now: Instant) -> Bucket {
        Bucket {
            limit,
            state: Mutex::new((limit.burst, now)),
        }
    }

    /// Takes one token at `now`, or says how long until one is there.
    fn try_take(&self, now: Instant) -> Result<(), Duration> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        // `now` was read before the lock: another task may have taken a token at a later
        // instant since. The bucket's time never goes back (going back, then forward again,
        // would count that refill twice).
        let now = now.max(state.1);
        let elapsed = now.saturating_duration_since(state.1).as_secs_f64();
        let tokens = (state.0 + elapsed * self.limit.per_second).min(self.limit.burst);
        *state = (tokens, now);
        if tokens >= 1.0 {
            state.0 -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - tokens;
            Err(Duration::from_secs_f64(missing / self.limit.per_second))
        }
    }

    async fn take(&self, clock: &dyn Clock) {
        while let Err(wait) = self.try_take(clock.now()) {
            clock.sleep(wait).await;
        }
    }
}

/// Buckets per (service, region, API), shared by every task of one observation.
#[derive(Debug, Clone)]
pub struct Pacer {
    inner: Arc<PacerInner>,
}

#[derive(Debug)]
struct PacerInner {
    /// Services whose endpoint is paced (`ec2`, `iam`).
    paced: Vec<&'static str>,
    clock: Arc<dyn Clock>,
    buckets: Mutex<HashMap<(String, String, String), Arc<Bucket>>>,
    /// Time calls waited for a token, by `service:Operation`, in milliseconds.
    waited_ms: Mutex<BTreeMap<String, u64>>,
}

impl Default for Pacer {
    /// A pacer that paces nothing.
    fn default() -> Pacer {
        Pacer::new(Vec::new())
    }
}

impl Pacer {
    /// A pacer for these services (those whose endpoint [`Pace`] says to pace); empty: none.
    pub fn new(paced: Vec<&'static str>) -> Pacer {
        Pacer::with_clock(paced, Arc::new(TokioClock))
    }

    /// A pacer that reads the time and waits through `clock`.
    pub fn with_clock(paced: Vec<&'static str>, clock: Arc<dyn Clock>) -> Pacer {
        Pacer {
            inner: Arc::new(PacerInner {
                paced,
                clock,
                buckets: Mutex::default(),
                waited_ms: Mutex::default(),
            }),
        }
    }

    /// Whether to pace `service` reached at `endpoint` under `pace`.
    pub fn applies(pace: Pace, endpoint: Option<&str>) -> bool {
        match pace {
            Pace::Off => false,
            Pace::Aws => true,
            Pace::Auto => is_aws_endpoint(endpoint),
        }
    }

    /// Waits, if need be, until `service:operation` in `region` may be called once more.
    pub async fn take(&self, service: &str, region: Option<&str>, operation: &str) {
        if !self.inner.paced.contains(&service) {
            return;
        }
        let Some(limit) = documented_limit(service, operation) else {
            return;
        };
        let key = (
            service.to_string(),
            region.unwrap_or("").to_string(),
            operation.to_string(),
        );
        let clock = self.inner.clock.as_ref();
        let bucket = {
            let mut buckets = self.inner.buckets.lock().unwrap_or_else(|e| e.into_inner());
            buckets
                .entry(key)
                .or_insert_with(|| Arc::new(Bucket::new(limit, clock.now())))
                .clone()
        };
        let start = clock.now();
        bucket.take(clock).await;
        let waited = clock.now().saturating_duration_since(start).as_millis() as u64;
        if waited > 0 {
            let mut all = self
                .inner
                .waited_ms
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            *all.entry(format!("{service}:{operation}")).or_default() += waited;
        }
    }

    /// How long calls waited for tokens, by `service:Operation`, in milliseconds (summed over
    /// calls that waited side by side).
    pub fn waited_ms(&self) -> BTreeMap<String, u64> {
        self.inner
            .waited_ms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_endpoints_are_told_from_custom_ones() {
        assert!(is_aws_endpoint(None));
        assert!(is_aws_endpoint(Some("https://ec2.us-east-1.amazonaws.com")));
        assert!(is_aws_endpoint(Some(
            "https://vpce-0abc.ec2.eu-west-1.vpce.amazonaws.com/"
        )));
        assert!(is_aws_endpoint(Some(
            "https://ec2.cn-north-1.amazonaws.com.cn"
        )));
        assert!(is_aws_endpoint(Some("https://ec2.us-east-1.api.aws:443")));
        assert!(!is_aws_endpoint(Some("http://127.0.0.1:5000")));
        assert!(!is_aws_endpoint(Some("http://localhost:4566")));
        // A look-alike is not AWS.
        assert!(!is_aws_endpoint(Some("https://amazonaws.com.evil.example")));
        assert!(!is_aws_endpoint(Some("https://notamazonaws.com")));
    }

    #[test]
    fn pacing_modes_parse_and_decide() {
        assert_eq!("AWS".parse::<Pace>(), Ok(Pace::Aws));
        assert_eq!("off".parse::<Pace>(), Ok(Pace::Off));
        assert_eq!("".parse::<Pace>(), Ok(Pace::Auto));
        assert!("fast".parse::<Pace>().is_err());
        assert!(Pacer::applies(Pace::Auto, None));
        assert!(!Pacer::applies(Pace::Auto, Some("http://127.0.0.1:5000")));
        assert!(Pacer::applies(Pace::Aws, Some("http://127.0.0.1:5000")));
        assert!(!Pacer::applies(Pace::Off, None));
    }

    #[test]
    fn only_documented_limits() {
        assert_eq!(
            documented_limit("ec2", "DescribeVpcAttribute"),
            Some(EC2_NON_MUTATING)
        );
        assert_eq!(documented_limit("ec2", "ModifyVpcAttribute"), None);
        assert_eq!(documented_limit("iam", "ListPolicyTags"), None);
    }

    /// Drives a bucket on a simulated clock: each call waits as long as the bucket says.
    fn simulate(bucket: &Bucket, calls: usize) -> Vec<Duration> {
        let start = bucket.state.lock().unwrap().1;
        let mut now = start;
        let mut at = Vec::new();
        for _ in 0..calls {
            while let Err(wait) = bucket.try_take(now) {
                now += wait;
            }
            at.push(now - start);
        }
        at
    }

    /// A task that read the clock before another took a token later does not turn the
    /// bucket's time back: the refill since is counted once (it was counted twice, and under
    /// load a paced scan made more calls than the bucket allows).
    #[test]
    fn a_stale_instant_does_not_count_the_refill_twice() {
        let t0 = Instant::now();
        let bucket = Bucket::new(EC2_NON_MUTATING, t0);
        for _ in 0..100 {
            bucket.try_take(t0).unwrap();
        }
        let later = t0 + Duration::from_millis(50);
        assert_eq!(
            bucket.try_take(later),
            Ok(()),
            "one token refilled in 50 ms"
        );
        assert!(bucket.try_take(t0).is_err(), "a stale instant finds none");
        assert!(
            bucket.try_take(later).is_err(),
            "and the 50 ms are not refilled again"
        );
    }

    /// 100 calls go at once, then 20 a second: 140 calls take two seconds, and never more
    /// than the bucket allows in any window.
    #[test]
    fn a_burst_then_the_refill_rate() {
        let bucket = Bucket::new(EC2_NON_MUTATING, Instant::now());
        let at = simulate(&bucket, 140);
        assert!(at[99] < Duration::from_millis(5), "the burst is free");
        let total = at[139].as_secs_f64();
        assert!((1.95..2.05).contains(&total), "took {total}s");
        // In any one-second window: at most the burst plus one second of refill.
        for (i, t) in at.iter().enumerate() {
            let window = at[i..]
                .iter()
                .take_while(|u| **u < *t + Duration::from_secs(1))
                .count();
            assert!(
                window <= 120,
                "{window} calls within a second from call {i}"
            );
        }
    }

    /// A clock that only moves when someone sleeps on it: the pacer's waits are exact and
    /// take no real time, however loaded the machine is.
    #[derive(Debug)]
    struct Simulated {
        start: Instant,
        elapsed: Mutex<Duration>,
    }

    impl Clock for Simulated {
        fn now(&self) -> Instant {
            self.start + *self.elapsed.lock().unwrap()
        }
        fn sleep(&self, wait: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
            *self.elapsed.lock().unwrap() += wait;
            Box::pin(std::future::ready(()))
        }
    }

    /// Each API, region and service has its own bucket, as AWS keeps them; a service whose
    /// endpoint is not paced, or an API with no documented limit, never waits.
    #[tokio::test]
    async fn buckets_are_per_api_and_region() {
        let pacer = Pacer::with_clock(
            vec!["ec2"],
            Arc::new(Simulated {
                start: Instant::now(),
                elapsed: Mutex::default(),
            }),
        );
        for _ in 0..100 {
            pacer
                .take("ec2", Some("us-east-1"), "DescribeVpcAttribute")
                .await;
        }
        for _ in 0..100 {
            pacer
                .take("ec2", Some("eu-west-1"), "DescribeVpcAttribute")
                .await;
            pacer.take("ec2", Some("us-east-1"), "DescribeVpcs").await;
            pacer.take("iam", None, "ListPolicyTags").await;
        }
        assert!(pacer.waited_ms().is_empty());
        let unpaced = Pacer::new(vec![]);
        for _ in 0..500 {
            unpaced
                .take("ec2", Some("us-east-1"), "DescribeVpcAttribute")
                .await;
        }
        assert!(unpaced.waited_ms().is_empty());
        // The 101st and 102nd calls of one API in one region each wait for the refill (1/20 s).
        pacer
            .take("ec2", Some("us-east-1"), "DescribeVpcAttribute")
            .await;
        pacer
            .take("ec2", Some("us-east-1"), "DescribeVpcAttribute")
            .await;
        let waited = pacer.waited_ms();
        assert_eq!(
            waited.keys().collect::<Vec<_>>(),
            ["ec2:DescribeVpcAttribute"]
        );
        assert!(
            (99..=100).contains(&waited["ec2:DescribeVpcAttribute"]),
            "{waited:?}"
        );
    }
}
