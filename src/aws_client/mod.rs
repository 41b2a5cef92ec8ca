//! The AWS SDK's configuration and clients, as every part of driftgate that calls AWS builds
//! them: the provider (observing), the state reader (`s3://` states), the shared store's S3
//! backend and `ops` (apply, the trust root on S3). One place for the region check, the
//! retries and timeouts, the endpoint an emulator overrides and the S3 addressing style;
//! beneath all of them (it knows nothing of what they call).

pub mod regions;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// Attempts per call, the first included. AWS throttles per account, region and API; under
/// sustained throttling (a busy account, terraform running beside us) three attempts are soon
/// spent, ten with adaptive client-side rate limiting ride it out.
pub const MAX_ATTEMPTS: u32 = 10;
/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// Connect timeout: a closed port or a black-holed endpoint fails fast.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// One attempt of one call; pages of 1000 objects answer well within this.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);

/// The standard AWS chain (env, shared config/credentials, profiles, SSO, IMDS); the first of
/// `asked` (`--region`) overrides its region. `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_EC2` /
/// `_IAM`) are honoured by the SDK itself. Adds [`default_retry_config`] and the timeouts
/// above.
///
/// The regions the user named (`asked`, else the configured one) are checked against the SDK's
/// partitions ([`regions::check`]) before anything is called: a typo is a usage error, not a
/// minute of failing calls. A custom EC2 endpoint accepts any region.
pub async fn load_sdk_config(asked: &[String]) -> crate::error::Result<SdkConfig> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(default_retry_config())
        .timeout_config(default_timeouts());
    if let Some(region) = asked.first() {
        loader = loader.region(Region::new(region.to_string()));
    }
    let sdk = loader.load().await;
    let configured = match asked {
        [] => sdk.region().map(|r| r.to_string()),
        _ => None,
    };
    let named = asked
        .iter()
        .map(|r| (r.as_str(), "--region"))
        .chain(configured.as_deref().map(|r| {
            (
                r,
                "the configured region: AWS_REGION, AWS_DEFAULT_REGION or the profile's `region`",
            )
        }));
    regions::check(named, endpoint_url(&sdk, "EC2").is_some())?;
    Ok(sdk)
}

/// The connect and per-attempt timeouts above.
pub fn default_timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .build()
}

/// Adaptive retry: the SDK's standard retries (exponential backoff with jitter, a retry
/// token bucket) plus a client-side rate limiter that slows down after a throttling answer.
/// Each client has its own retry partition (`ec2-us-east-1`, `iam`), so one throttled service
/// or region does not slow the others: AWS throttles each of them on its own.
pub fn default_retry_config() -> RetryConfig {
    RetryConfig::adaptive()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_max_backoff(MAX_BACKOFF)
}

/// The SDK config's retry settings, [`default_retry_config`] when it has none.
pub fn retry_config(sdk: &SdkConfig) -> RetryConfig {
    sdk.retry_config()
        .cloned()
        .unwrap_or_else(default_retry_config)
}

/// The SDK config's timeouts, with ours filling whatever it leaves unset.
pub fn timeout_config(sdk: &SdkConfig) -> TimeoutConfig {
    let mut timeouts = sdk
        .timeout_config()
        .cloned()
        .unwrap_or_else(|| TimeoutConfig::builder().build());
    timeouts.take_defaults_from(&default_timeouts());
    timeouts
}

/// The endpoint URL configured for a service, resolved as the SDK resolves it: the service's
/// own (`AWS_ENDPOINT_URL_EC2`, `endpoint_url` in the profile's service section), else the
/// global one (`AWS_ENDPOINT_URL`); `None`: AWS's default endpoint.
pub fn endpoint_url(sdk: &SdkConfig, service_id: &str) -> Option<String> {
    let key = aws_types::service_config::ServiceConfigKey::builder()
        .service_id(service_id)
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
        .ok();
    sdk.service_config()
        .zip(key)
        .and_then(|(config, key)| config.load_config(key))
        .or_else(|| sdk.endpoint_url().map(str::to_string))
}

/// An S3 client for `sdk`.
///
/// Path-style addressing (`http://endpoint/bucket/key`) is forced only when the configuration
/// overrides the endpoint (`AWS_ENDPOINT_URL`, `endpoint_url` in the profile): emulators such
/// as moto, MinIO and LocalStack listen on one host and cannot serve virtual-hosted names
/// (`bucket.127.0.0.1`). Against AWS itself we keep the SDK's default, virtual-hosted style:
/// AWS has deprecated path-style requests, and S3 Transfer Acceleration, access points and
/// directory buckets (S3 Express) do not accept them at all.
///
/// Limitation: a service-specific override alone (`AWS_ENDPOINT_URL_S3`) moves the endpoint
/// but is not visible through `SdkConfig`'s public API, so it does not switch on path-style;
/// set `AWS_ENDPOINT_URL` for an emulator.
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let mut config = aws_sdk_s3::config::Builder::from(sdk);
    if sdk.endpoint_url().is_some() {
        config = config.force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(config.build())
}
