//! How a call to AWS failed to connect, shared by whatever calls AWS: the provider's reads
//! (their gap reasons), `apply`'s writes (their error) and every client's retry classifier
//! ([`ConnectionFailuresAreFinal`]: a refused connection is final, an unresolvable name tried
//! once more).

use aws_sdk_ec2::config::interceptors::InterceptorContext;
use aws_sdk_ec2::config::retry::{ClassifyRetry, RetryAction};
use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::retries::classifiers::RetryClassifierPriority;

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

/// The first error of type `T` in `err`'s source chain.
pub fn find_in_chain<'e, T: std::error::Error + 'static>(
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

/// Whether any error of `err`'s source chain says `needle` in its own words.
pub fn chain_mentions(err: &(dyn std::error::Error + 'static), needle: &str) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        if e.to_string().contains(needle) {
            return true;
        }
        next = e.source();
    }
    false
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
