//! What the observation spent and what it could not see: the API call counter (an SDK
//! interceptor) and the conversion of a failed call into a [`Gap`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use aws_credential_types::provider::error::CredentialsError;
use aws_runtime::retries::classifiers::THROTTLING_ERRORS;
use aws_sdk_ec2::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_ec2::config::interceptors::InterceptorContext;
use aws_sdk_ec2::config::retry::{ClassifyRetry, RetryAction};
use aws_sdk_ec2::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::retries::classifiers::RetryClassifierPriority;

use crate::model::Gap;

/// Counts every HTTP attempt (retries included) by `service:Operation`, and remembers the
/// endpoint (`scheme://host:port`) each client sent its requests to, for gap reasons.
///
/// One counter is shared by every client of one observation; each client gets its own
/// [`CallCounter`] interceptor that knows the service prefix and region.
#[derive(Debug, Clone, Default)]
pub struct CallLedger(Arc<Mutex<Ledger>>);

#[derive(Debug, Default)]
struct Ledger {
    counts: BTreeMap<String, u64>,
    /// Time from sending a request to its response, summed per operation.
    busy: BTreeMap<String, std::time::Duration>,
    /// `(service, region)` -> the endpoint last called.
    endpoints: BTreeMap<(String, Option<String>), String>,
}

impl CallLedger {
    /// The interceptor for one client: `region` is `None` for a global service.
    pub fn interceptor(&self, service: &'static str, region: Option<&str>) -> CallCounter {
        CallCounter {
            service,
            region: region.map(str::to_string),
            ledger: self.clone(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ledger> {
        // A poisoned lock only means another thread panicked mid-insert; the map is still a
        // map, so keep counting rather than lose the tally.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add(&self, key: String) {
        *self.lock().counts.entry(key).or_insert(0) += 1;
    }

    fn spent(&self, key: String, d: std::time::Duration) {
        *self.lock().busy.entry(key).or_default() += d;
    }

    /// Time spent in calls per operation, in milliseconds.
    pub fn busy_ms(&self) -> BTreeMap<String, u64> {
        self.lock()
            .busy
            .iter()
            .map(|(k, d)| (k.clone(), d.as_millis() as u64))
            .collect()
    }

    fn saw_endpoint(&self, service: &str, region: Option<&str>, endpoint: String) {
        self.lock()
            .endpoints
            .insert((service.to_string(), region.map(str::to_string)), endpoint);
    }

    /// The endpoint `service` (in `region`) was called at, if any request went out.
    pub fn endpoint(&self, service: &str, region: Option<&str>) -> Option<String> {
        self.lock()
            .endpoints
            .get(&(service.to_string(), region.map(str::to_string)))
            .cloned()
    }

    /// The counts so far.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.lock().counts.clone()
    }
}

/// The interceptor: `read_before_transmit` runs once per attempt, so retries are counted.
pub struct CallCounter {
    service: &'static str,
    region: Option<String>,
    ledger: CallLedger,
}

impl fmt::Debug for CallCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallCounter")
            .field("service", &self.service)
            .finish()
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "driftgate::CallCounter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        // The operation's name is in the config bag as `aws_smithy_runtime_api`'s `Metadata`,
        // a type the service crates do not re-export; the wire request names it too. EC2
        // (ec2Query) and IAM (awsQuery) send `Action=Name` in the form body; JSON protocols send
        // `X-Amz-Target: Prefix.Name`.
        let request = context.request();
        let operation = request
            .body()
            .bytes()
            .and_then(query_action)
            .or_else(|| {
                request
                    .headers()
                    .get("x-amz-target")
                    .and_then(|t| t.rsplit('.').next())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "Unknown".to_string());
        let key = format!("{}:{operation}", self.service);
        self.ledger.add(key.clone());
        _cfg.interceptor_state().store_put(Sent {
            key,
            at: std::time::Instant::now(),
        });
        self.ledger.saw_endpoint(
            self.service,
            self.region.as_deref(),
            endpoint_of(request.uri()),
        );
        Ok(())
    }

    fn read_after_transmit(
        &self,
        _context: &aws_sdk_ec2::config::interceptors::BeforeDeserializationInterceptorContextRef<
            '_,
        >,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if let Some(sent) = cfg.load::<Sent>() {
            self.ledger.spent(sent.key.clone(), sent.at.elapsed());
        }
        Ok(())
    }
}

/// When an attempt's request went out, and as which operation (in the attempt's config bag).
#[derive(Debug, Clone)]
struct Sent {
    key: String,
    at: std::time::Instant,
}

impl aws_smithy_types::config_bag::Storable for Sent {
    type Storer = aws_smithy_types::config_bag::StoreReplace<Self>;
}

/// `scheme://host:port` of a request URI (no path, no query).
pub(crate) fn endpoint_of(uri: &str) -> String {
    let after_scheme = uri.find("://").map_or(0, |i| i + 3);
    match uri[after_scheme..].find(['/', '?']) {
        Some(end) => uri[..after_scheme + end].to_string(),
        None => uri.to_string(),
    }
}

/// The `Action` parameter of a form-encoded query-protocol body.
pub(crate) fn query_action(body: &[u8]) -> Option<String> {
    let body = std::str::from_utf8(body).ok()?;
    body.split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .filter(|a| !a.is_empty())
        .map(str::to_string)
}

/// Where a gap's reason names the endpoint it could not reach; [`name_endpoints`] fills it in
/// with the URL the call was sent to.
const ENDPOINT: &str = "{endpoint}";
/// Where a gap's reason names the host it could not resolve (the endpoint's host name).
const HOST: &str = "{host}";

/// How a connection to an endpoint failed, read from the SDK's connector error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionFailure {
    /// The host name did not resolve (a region that does not exist, no DNS, no network).
    NotResolved,
    /// Nothing listens at that address and port.
    Refused,
    /// The peer dropped the connection.
    Reset,
    /// Any other I/O failure while connecting or sending.
    Other,
}

impl ConnectionFailure {
    /// Classifies a connector (dispatch) error by its source chain: a DNS lookup failure (the
    /// SDK's own resolver error, or the HTTP client's `dns error`), else the I/O error kind.
    pub fn of(err: &(dyn std::error::Error + 'static)) -> ConnectionFailure {
        if find_in_chain::<aws_smithy_runtime_api::client::dns::ResolveDnsError>(err).is_some()
            || chain_mentions(err, "dns error")
        {
            return ConnectionFailure::NotResolved;
        }
        match find_in_chain::<std::io::Error>(err).map(|e| e.kind()) {
            Some(std::io::ErrorKind::ConnectionRefused) => ConnectionFailure::Refused,
            Some(std::io::ErrorKind::ConnectionReset) => ConnectionFailure::Reset,
            _ => ConnectionFailure::Other,
        }
    }
}

/// Why a call failed, in two registers: [`Failure::sentence`] for the person who must act on it
/// (what went wrong and what to do), and `detail`, the SDK's own account of the error with its
/// whole source chain, for whoever debugs it (JSON `gaps[].detail`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    kind: FailureKind,
    detail: Option<String>,
    /// What the call was about, e.g. `vpc vpc-0abc`.
    context: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum FailureKind {
    /// The credential chain found nothing.
    NoCredentials,
    /// A credential provider was found and failed (expired SSO token, bad profile, ...).
    CredentialsUnloadable,
    /// AWS refused the credentials themselves (`InvalidClientTokenId`, `AuthFailure`, ...).
    CredentialsRejected { code: String },
    /// The identity lacks a permission.
    AccessDenied,
    /// Still throttled after every retry.
    Throttled { code: String },
    /// Nothing answered at the endpoint (connection refused, DNS, reset).
    Unreachable(ConnectionFailure),
    /// No answer in time (connect or attempt timeout).
    Timeout,
    /// An answer that could not be read.
    BadResponse,
    /// Any other error AWS returned.
    Service {
        code: String,
        message: Option<String>,
    },
    /// A reason in words (no region configured, an internal error, ...).
    Text(String),
}

/// Error codes AWS uses for a caller without the permission.
const ACCESS_DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "Forbidden",
];

/// Error codes AWS uses when the credentials themselves are wrong, expired or unsigned.
const CREDENTIALS_REJECTED: &[&str] = &[
    "AuthFailure",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "TokenRefreshRequired",
    "RequestExpired",
    "MissingAuthenticationToken",
];

impl Failure {
    /// The reason a person reads, for a call of `service:operation`.
    pub fn sentence(&self, service: &str, operation: &str) -> String {
        let what = if operation == "-" {
            service.to_string()
        } else {
            format!("{service}:{operation}")
        };
        let mut s = match &self.kind {
            FailureKind::NoCredentials => "no AWS credentials found (env, profile, SSO, instance role): \
                 set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws sso login`"
                .to_string(),
            FailureKind::CredentialsUnloadable => "AWS credentials could not be loaded: \
                 check AWS_PROFILE and ~/.aws/config, or run `aws sso login` (the SDK's words are in the JSON `gaps[].detail`)"
                .to_string(),
            FailureKind::CredentialsRejected { code } => format!(
                "AWS rejected the credentials ({code}): they are wrong or expired; refresh them (e.g. `aws sso login`)"
            ),
            FailureKind::AccessDenied => format!(
                "access denied: {what} (grant it to the scanning identity; see docs/aws.md)"
            ),
            FailureKind::Throttled { code } => format!(
                "throttled: AWS answered {code} to {what} through every retry; run the scan again later"
            ),
            FailureKind::Unreachable(ConnectionFailure::NotResolved) => format!(
                "could not resolve {HOST}: check the region's name, the network and DNS, or AWS_ENDPOINT_URL"
            ),
            FailureKind::Unreachable(ConnectionFailure::Refused) => format!(
                "connection refused at {ENDPOINT}: nothing listens there; check AWS_ENDPOINT_URL, a proxy or a firewall"
            ),
            FailureKind::Unreachable(ConnectionFailure::Reset) => {
                format!("connection reset by {ENDPOINT}: check the network or a proxy")
            }
            FailureKind::Unreachable(ConnectionFailure::Other) => format!(
                "could not connect to {ENDPOINT}: check the network, a proxy or AWS_ENDPOINT_URL"
            ),
            FailureKind::Timeout => format!("timeout: {ENDPOINT} did not answer {what} in time"),
            FailureKind::BadResponse => {
                format!("unreadable answer from {ENDPOINT} to {what}")
            }
            FailureKind::Service { code, message } => match message {
                Some(m) => format!("{code}: {m}"),
                None => code.clone(),
            },
            FailureKind::Text(text) => text.clone(),
        };
        if let Some(context) = &self.context {
            s.push_str(&format!(" ({context})"));
        }
        s
    }

    /// The same failure about one object, e.g. `vpc vpc-0abc`.
    pub fn about(mut self, context: impl Into<String>) -> Failure {
        self.context = Some(context.into());
        self
    }
}

impl From<String> for Failure {
    fn from(text: String) -> Failure {
        Failure {
            kind: FailureKind::Text(text),
            detail: None,
            context: None,
        }
    }
}

/// Why a write failed, for a person: the AWS error code and message (never a request body,
/// which may carry a restored secret), or the kind of failure when AWS never answered.
pub fn write_error<E: ProvideErrorMetadata + std::error::Error + 'static>(e: &E) -> String {
    match (e.code(), e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        (None, Some(m)) => m.to_string(),
        // Dispatch and construction failures carry no AWS error: the kind only, named.
        (None, None) => match ConnectionFailure::of(e) {
            ConnectionFailure::Refused => {
                "connection refused: nothing listens at the endpoint (check AWS_ENDPOINT_URL)"
                    .to_string()
            }
            ConnectionFailure::NotResolved => {
                "could not resolve the endpoint's host name (check the network and DNS)".to_string()
            }
            _ => "the request did not reach AWS or had no response".to_string(),
        },
    }
}

/// Classifies a failed call: what a person must do about it, plus the SDK's whole account.
pub fn failure_reason<E, R>(err: &SdkError<E, R>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug + 'static,
{
    let detail = Some(DisplayErrorContext(err).to_string());
    let kind = classify(err);
    Failure {
        kind,
        detail,
        context: None,
    }
}

fn classify<E, R>(err: &SdkError<E, R>) -> FailureKind
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug + 'static,
{
    // A credential provider's error travels inside a dispatch failure (identity resolution
    // runs just before transmit); look for it anywhere in the chain first.
    if let Some(c) = find_in_chain::<CredentialsError>(err) {
        return match c {
            CredentialsError::CredentialsNotLoaded(_) => FailureKind::NoCredentials,
            _ => FailureKind::CredentialsUnloadable,
        };
    }
    match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let Some(code) = e.code() else {
                return FailureKind::Service {
                    code: "service error".into(),
                    message: e.message().map(str::to_string),
                };
            };
            if ACCESS_DENIED.contains(&code) {
                FailureKind::AccessDenied
            } else if CREDENTIALS_REJECTED.contains(&code) {
                FailureKind::CredentialsRejected { code: code.into() }
            } else if THROTTLING_ERRORS.contains(&code) {
                FailureKind::Throttled { code: code.into() }
            } else {
                FailureKind::Service {
                    code: code.into(),
                    message: e.message().map(str::to_string),
                }
            }
        }
        SdkError::TimeoutError(_) => FailureKind::Timeout,
        SdkError::ResponseError(_) => FailureKind::BadResponse,
        SdkError::DispatchFailure(dispatch) => {
            if dispatch.is_timeout() {
                FailureKind::Timeout
            } else if dispatch.is_io() {
                FailureKind::Unreachable(ConnectionFailure::of(err))
            } else {
                // Endpoint resolution (no region), a bad configuration: say it in the
                // innermost error's own words, which are short, and keep the chain as detail.
                FailureKind::Text(format!("the request could not be sent: {}", innermost(err)))
            }
        }
        SdkError::ConstructionFailure(_) => FailureKind::Text(format!(
            "the request could not be built: {}",
            innermost(err)
        )),
        _ => FailureKind::Text(innermost(err)),
    }
}

/// The first error of type `T` in `err`'s source chain.
fn find_in_chain<'e, T: std::error::Error + 'static>(
    err: &'e (dyn std::error::Error + 'static),
) -> Option<&'e T> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        if let Some(t) = e.downcast_ref::<T>() {
            return Some(t);
        }
        next = e.source();
    }
    None
}

fn chain_mentions(err: &(dyn std::error::Error + 'static), needle: &str) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        if e.to_string().contains(needle) {
            return true;
        }
        next = e.source();
    }
    false
}

/// The last error of the chain, in its own words.
fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut e = err;
    while let Some(next) = e.source() {
        e = next;
    }
    e.to_string()
}

/// A gap for one failed call.
pub fn gap(
    service: &str,
    region: Option<&str>,
    operation: &str,
    resource_types: &[&str],
    failure: impl Into<Failure>,
) -> Gap {
    let failure = failure.into();
    let mut resource_types: Vec<String> = resource_types.iter().map(|t| t.to_string()).collect();
    resource_types.sort();
    resource_types.dedup();
    Gap {
        service: service.to_string(),
        region: region.map(str::to_string),
        operation: operation.to_string(),
        resource_types,
        reason: failure.sentence(service, operation),
        detail: failure.detail,
    }
}

/// Puts the URL each service was called at (or its host name) into the reasons that name an
/// endpoint (the ledger saw every request go out), or `the ec2 endpoint` when no request went
/// out.
pub fn name_endpoints(gaps: &mut [Gap], ledger: &CallLedger) {
    for g in gaps.iter_mut() {
        if g.reason.contains(ENDPOINT) || g.reason.contains(HOST) {
            let url = ledger.endpoint(&g.service, g.region.as_deref());
            let fallback = format!("the {} endpoint", g.service);
            let host = url.as_deref().map_or(fallback.clone(), host_of);
            let url = url.unwrap_or(fallback);
            g.reason = g.reason.replace(ENDPOINT, &url).replace(HOST, &host);
        }
    }
}

/// The host name of `scheme://host:port`.
fn host_of(endpoint: &str) -> String {
    let after_scheme = endpoint.find("://").map_or(0, |i| i + 3);
    let authority = &endpoint[after_scheme..];
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    match authority.strip_prefix('[') {
        // An IPv6 literal: up to its closing bracket.
        Some(v6) => v6.split(']').next().unwrap_or(v6).to_string(),
        None => authority.split(':').next().unwrap_or(authority).to_string(),
    }
}

/// Connection failures that retrying cannot mend are not retried ten times:
/// - connection refused is final: nothing listens there, and a dead endpoint is reported in a
///   second, not after ten backed-off attempts;
/// - a name that does not resolve (a region that does not exist, no DNS) is tried once more,
///   once per client (one endpoint): a resolver's hiccup passes, a wrong name does not, and
///   every later call to that endpoint fails at once.
///
/// Every other transient error, and throttling above all, is still retried by the SDK's own
/// classifiers. Build one per client: the DNS retry is counted per instance.
#[derive(Debug, Default)]
pub struct ConnectionFailuresAreFinal {
    dns_retried: std::sync::atomic::AtomicBool,
}

impl ClassifyRetry for ConnectionFailuresAreFinal {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(Err(error)) = ctx.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        let Some(connector) = error.as_connector_error() else {
            return RetryAction::NoActionIndicated;
        };
        if !connector.is_io() {
            return RetryAction::NoActionIndicated;
        }
        match ConnectionFailure::of(connector) {
            ConnectionFailure::Refused => RetryAction::RetryForbidden,
            ConnectionFailure::NotResolved => {
                if self
                    .dns_retried
                    .swap(true, std::sync::atomic::Ordering::AcqRel)
                {
                    RetryAction::RetryForbidden
                } else {
                    // The first: the SDK's transient-error classifier retries it.
                    RetryAction::NoActionIndicated
                }
            }
            ConnectionFailure::Reset | ConnectionFailure::Other => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "driftgate: connection refused and unresolvable names are final"
    }

    fn priority(&self) -> RetryClassifierPriority {
        // After the SDK's transient-error classifier, which would retry them.
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_comes_from_the_query_body() {
        assert_eq!(
            query_action(b"Action=DescribeVpcs&Version=2016-11-15&MaxResults=1000").as_deref(),
            Some("DescribeVpcs")
        );
        assert_eq!(
            query_action(b"Version=2010-05-08&Action=ListRoles").as_deref(),
            Some("ListRoles")
        );
        assert_eq!(query_action(b"Version=1"), None);
        assert_eq!(query_action(b"Action="), None);
        assert_eq!(query_action(&[0xff, 0xfe]), None);
    }

    #[test]
    fn ledger_counts_by_key() {
        let ledger = CallLedger::default();
        ledger.add("ec2:DescribeVpcs".into());
        ledger.add("ec2:DescribeVpcs".into());
        ledger.add("iam:ListRoles".into());
        let counts = ledger.snapshot();
        assert_eq!(ledger.endpoint("iam", None), None);
        assert_eq!(counts["ec2:DescribeVpcs"], 2);
        assert_eq!(counts["iam:ListRoles"], 1);
    }

    use aws_sdk_ec2::error::{ConnectorError, ErrorMetadata};
    use aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsError as GaadError;

    type SdkErr = SdkError<GaadError, ()>;

    fn service(code: &str, message: &str) -> SdkErr {
        let meta = ErrorMetadata::builder().code(code).message(message).build();
        SdkError::service_error(GaadError::generic(meta), ())
    }

    fn reason(err: &SdkErr) -> String {
        gap(
            "iam",
            None,
            "GetAccountAuthorizationDetails",
            &["aws_iam_role"],
            failure_reason(err),
        )
        .reason
    }

    #[test]
    fn a_missing_credential_is_named_as_such_not_as_an_unreachable_endpoint() {
        let creds = CredentialsError::not_loaded("no providers in chain provided credentials");
        let err: SdkErr = SdkError::dispatch_failure(ConnectorError::other(Box::new(creds), None));
        let g = gap(
            "iam",
            None,
            "GetAccountAuthorizationDetails",
            &["aws_iam_role"],
            failure_reason(&err),
        );
        assert!(
            g.reason
                .starts_with("no AWS credentials found (env, profile, SSO, instance role): "),
            "{}",
            g.reason
        );
        assert!(
            g.reason.contains("AWS_PROFILE"),
            "says what to do: {}",
            g.reason
        );
        // The SDK's own words are kept, apart.
        assert!(
            g.detail
                .as_deref()
                .is_some_and(|d| d.contains("no providers in chain"))
        );
        assert!(!g.reason.contains("no providers in chain"));

        let broken = CredentialsError::provider_error("the SSO session has expired");
        let err: SdkErr = SdkError::dispatch_failure(ConnectorError::other(Box::new(broken), None));
        assert!(reason(&err).starts_with("AWS credentials could not be loaded: "));
    }

    #[test]
    fn service_errors_read_as_what_to_do() {
        let denied = service(
            "AccessDenied",
            "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: iam:GetAccountAuthorizationDetails",
        );
        assert!(
            reason(&denied).starts_with("access denied: iam:GetAccountAuthorizationDetails"),
            "{}",
            reason(&denied)
        );
        let ec2_denied = service("UnauthorizedOperation", "You are not authorized");
        assert!(reason(&ec2_denied).starts_with("access denied: "));
        for code in ["InvalidClientTokenId", "AuthFailure", "ExpiredToken"] {
            assert!(
                reason(&service(code, "x"))
                    .starts_with(&format!("AWS rejected the credentials ({code})")),
                "{code}"
            );
        }
        for code in ["Throttling", "RequestLimitExceeded"] {
            assert!(
                reason(&service(code, "x")).starts_with(&format!("throttled: AWS answered {code}"))
            );
        }
        assert_eq!(
            reason(&service("NoSuchEntity", "The role cannot be found")),
            "NoSuchEntity: The role cannot be found"
        );
    }

    #[test]
    fn a_refused_connection_names_the_endpoint_it_was_sent_to() {
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let err: SdkErr = SdkError::dispatch_failure(ConnectorError::io(Box::new(io)));
        let ledger = CallLedger::default();
        ledger.saw_endpoint("iam", None, endpoint_of("http://127.0.0.1:4566/?x=1"));
        let reason = named_reason(&ledger, ("iam", None, "ListRoles", "aws_iam_role"), &err);
        assert!(
            reason
                .starts_with("connection refused at http://127.0.0.1:4566: nothing listens there"),
            "{reason}"
        );
        // No request went out: the reason still reads.
        let reason = named_reason(
            &ledger,
            ("ec2", Some("eu-west-1"), "DescribeVpcs", "aws_vpc"),
            &err,
        );
        assert!(
            reason.starts_with("connection refused at the ec2 endpoint: "),
            "{reason}"
        );
    }

    /// The reason of a failed call's gap (`service`, `region`, `operation`, the type it
    /// feeds) once the ledger's endpoints are named in it.
    fn named_reason(
        ledger: &CallLedger,
        (service, region, operation, ty): (&str, Option<&str>, &str, &str),
        err: &SdkErr,
    ) -> String {
        let mut gaps = vec![gap(service, region, operation, &[ty], failure_reason(err))];
        name_endpoints(&mut gaps, ledger);
        gaps.remove(0).reason
    }

    /// A connector error as the HTTP client reports a failed DNS lookup (hyper-util's
    /// `ConnectError("dns error", io::Error)`, or the SDK's own resolver error).
    fn dns_failure() -> ConnectorError {
        #[derive(Debug)]
        struct ConnectError(std::io::Error);
        impl std::fmt::Display for ConnectError {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("dns error")
            }
        }
        impl std::error::Error for ConnectError {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        ConnectorError::io(Box::new(ConnectError(std::io::Error::other(
            "failed to lookup address information: Name or service not known",
        ))))
    }

    #[test]
    fn an_unresolvable_name_names_the_host() {
        let err: SdkErr = SdkError::dispatch_failure(dns_failure());
        let ledger = CallLedger::default();
        ledger.saw_endpoint(
            "ec2",
            Some("us-east-11"),
            endpoint_of("https://ec2.us-east-11.amazonaws.com/?Action=DescribeVpcs"),
        );
        let reason = named_reason(
            &ledger,
            ("ec2", Some("us-east-11"), "DescribeVpcs", "aws_vpc"),
            &err,
        );
        assert!(
            reason.starts_with("could not resolve ec2.us-east-11.amazonaws.com: "),
            "{reason}"
        );
        let resolver = aws_smithy_runtime_api::client::dns::ResolveDnsError::new("NXDOMAIN");
        assert_eq!(
            ConnectionFailure::of(&ConnectorError::io(Box::new(resolver))),
            ConnectionFailure::NotResolved
        );
        assert_eq!(host_of("http://[::1]:5000"), "::1");
        assert_eq!(host_of("http://localhost"), "localhost");
    }

    fn classify_with(c: &ConnectionFailuresAreFinal, error: ConnectorError) -> RetryAction {
        use aws_smithy_runtime_api::client::orchestrator::OrchestratorError;
        let mut ctx = InterceptorContext::new(
            aws_smithy_runtime_api::client::interceptors::context::Input::erase(()),
        );
        ctx.set_output_or_error(Err(OrchestratorError::connector(error)));
        c.classify_retry(&ctx)
    }

    #[test]
    fn refused_is_final_and_an_unresolvable_name_is_tried_once_more() {
        let refused = || {
            ConnectorError::io(Box::new(std::io::Error::from(
                std::io::ErrorKind::ConnectionRefused,
            )))
        };
        let c = ConnectionFailuresAreFinal::default();
        assert_eq!(classify_with(&c, refused()), RetryAction::RetryForbidden);
        assert_eq!(classify_with(&c, refused()), RetryAction::RetryForbidden);
        // DNS: the first failure is left to the SDK (one retry), every later one is final.
        let c = ConnectionFailuresAreFinal::default();
        assert_eq!(
            classify_with(&c, dns_failure()),
            RetryAction::NoActionIndicated
        );
        assert_eq!(
            classify_with(&c, dns_failure()),
            RetryAction::RetryForbidden
        );
        assert_eq!(
            classify_with(&c, dns_failure()),
            RetryAction::RetryForbidden
        );
        // A reset or a timeout is still retried by the SDK.
        let reset = ConnectorError::io(Box::new(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        )));
        assert_eq!(classify_with(&c, reset), RetryAction::NoActionIndicated);
        let timeout =
            ConnectorError::timeout(Box::new(std::io::Error::from(std::io::ErrorKind::TimedOut)));
        assert_eq!(classify_with(&c, timeout), RetryAction::NoActionIndicated);
    }

    #[test]
    fn endpoints_lose_path_and_query() {
        assert_eq!(
            endpoint_of("https://ec2.eu-west-1.amazonaws.com/"),
            "https://ec2.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            endpoint_of("http://127.0.0.1:5000?Action=X"),
            "http://127.0.0.1:5000"
        );
        assert_eq!(
            endpoint_of("https://iam.amazonaws.com"),
            "https://iam.amazonaws.com"
        );
    }

    #[test]
    fn plain_reasons_stay_as_written() {
        let g = gap(
            "ec2",
            None,
            "DescribeVpcs",
            &["aws_vpc"],
            "no region configured".to_string(),
        );
        assert_eq!(g.reason, "no region configured");
        assert_eq!(g.detail, None);
    }

    #[test]
    fn gap_types_are_sorted_and_unique() {
        let g = gap(
            "ec2",
            Some("us-east-1"),
            "DescribeSecurityGroupRules",
            &["b", "a", "b"],
            "AccessDenied: no".to_string(),
        );
        assert_eq!(g.resource_types, vec!["a", "b"]);
        assert_eq!(g.region.as_deref(), Some("us-east-1"));
    }
}
