//! What the observation spent and what it could not see: the API call counter (an SDK
//! interceptor) and the conversion of a failed call into a [`Gap`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use aws_sdk_ec2::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_ec2::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::model::Gap;

/// Counts every HTTP attempt (retries included) by `service:Operation`.
///
/// One counter is shared by every client of one observation; each client gets its own
/// [`CallCounter`] interceptor that knows the service prefix.
#[derive(Debug, Clone, Default)]
pub struct CallLedger(Arc<Mutex<BTreeMap<String, u64>>>);

impl CallLedger {
    pub fn interceptor(&self, service: &'static str) -> CallCounter {
        CallCounter {
            service,
            ledger: self.clone(),
        }
    }

    fn add(&self, key: String) {
        // A poisoned lock only means another thread panicked mid-insert; the map is still a
        // map, so keep counting rather than lose the tally.
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry(key).or_insert(0) += 1;
    }

    /// The counts so far.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The interceptor: `read_before_transmit` runs once per attempt, so retries are counted.
pub struct CallCounter {
    service: &'static str,
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
        self.ledger.add(format!("{}:{operation}", self.service));
        Ok(())
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

/// Why a call failed, as a gap reason: `Code: message` for a service error, `endpoint
/// unreachable: ...` when the request never got an answer.
pub fn failure_reason<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug,
{
    match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            match (e.code(), e.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_string(),
                _ => format!("service error: {}", DisplayErrorContext(err)),
            }
        }
        SdkError::DispatchFailure(_) => {
            format!("endpoint unreachable: {}", DisplayErrorContext(err))
        }
        SdkError::TimeoutError(_) => format!("timed out: {}", DisplayErrorContext(err)),
        SdkError::ResponseError(_) => {
            format!("unreadable response: {}", DisplayErrorContext(err))
        }
        _ => DisplayErrorContext(err).to_string(),
    }
}

/// A gap for one failed call.
pub fn gap(
    service: &str,
    region: Option<&str>,
    operation: &str,
    resource_types: &[&str],
    reason: String,
) -> Gap {
    let mut resource_types: Vec<String> = resource_types.iter().map(|t| t.to_string()).collect();
    resource_types.sort();
    resource_types.dedup();
    Gap {
        service: service.to_string(),
        region: region.map(str::to_string),
        operation: operation.to_string(),
        resource_types,
        reason,
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
        assert_eq!(counts["ec2:DescribeVpcs"], 2);
        assert_eq!(counts["iam:ListRoles"], 1);
    }

    #[test]
    fn gap_types_are_sorted_and_unique() {
        let g = gap(
            "ec2",
            Some("us-east-1"),
            "DescribeSecurityGroupRules",
            &["b", "a", "b"],
            "AccessDenied: no".into(),
        );
        assert_eq!(g.resource_types, vec!["a", "b"]);
        assert_eq!(g.region.as_deref(), Some("us-east-1"));
    }
}
