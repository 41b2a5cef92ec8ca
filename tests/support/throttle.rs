//! A small HTTP proxy on a loopback port, in front of moto, that answers every `every`-th
//! request with AWS's throttling error instead of forwarding it: the sustained throttling a
//! busy account sees.
//!
//! The answers are the ones AWS documents: EC2 (ec2Query) answers HTTP 503 with
//! `RequestLimitExceeded` in its `<Response><Errors>` document; IAM (awsQuery) answers HTTP 400
//! with `Throttling` in its `<ErrorResponse>`. Both codes are in the SDK's list of throttling
//! errors (`aws_runtime::retries::classifiers::THROTTLING_ERRORS`). The service is read from
//! the request's SigV4 credential scope (`Credential=KEY/DATE/REGION/SERVICE/aws4_request`).
//!
//! One request per connection (`Connection: close` both ways): simple, and the SDK's HTTP
//! client reconnects as it does after any closed connection.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

pub struct ThrottlingProxy {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    state: Arc<State>,
}

/// Run once, just before the first write request (an action that is not Describe*, List* or
/// Get*) is forwarded.
type Hook = Box<dyn Fn() + Send + Sync>;

#[derive(Default)]
struct State {
    /// Answer requests for this API action (`PutRolePolicy`) with AccessDenied, always.
    deny: Option<String>,
    before_first_write: Option<Hook>,
    /// Write requests forwarded.
    writes: AtomicU64,
    requests: AtomicU64,
    throttled_ec2: AtomicU64,
    throttled_iam: AtomicU64,
    stop: AtomicBool,
}

impl ThrottlingProxy {
    /// Forward to `upstream_port` (on 127.0.0.1), throttling every `every`-th request.
    pub fn start(upstream_port: u16, every: u64) -> ThrottlingProxy {
        Self::with(upstream_port, every, None)
    }

    /// Forward to `upstream_port`, answering every request for the (query-protocol) API action
    /// `action` with AccessDenied: a permission the caller lacks, for tests of a failure midway.
    pub fn denying(upstream_port: u16, action: &str) -> ThrottlingProxy {
        Self::with(upstream_port, u64::MAX, Some(action.to_string()))
    }

    /// Forward to `upstream_port`, running `hook` just before the first write request is
    /// forwarded (to break something while a write is in flight).
    pub fn before_first_write(
        upstream_port: u16,
        hook: impl Fn() + Send + Sync + 'static,
    ) -> ThrottlingProxy {
        Self::build(
            upstream_port,
            State {
                before_first_write: Some(Box::new(hook)),
                ..State::default()
            },
            u64::MAX,
        )
    }

    /// Write requests (not Describe*, List*, Get*) forwarded so far.
    pub fn writes(&self) -> u64 {
        self.state.writes.load(Ordering::SeqCst)
    }

    fn with(upstream_port: u16, every: u64, deny: Option<String>) -> ThrottlingProxy {
        Self::build(
            upstream_port,
            State {
                deny,
                ..State::default()
            },
            every,
        )
    }

    fn build(upstream_port: u16, state: State, every: u64) -> ThrottlingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let state = Arc::new(state);
        let shared = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let shared = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, upstream_port, every, &shared);
                });
            }
        });
        ThrottlingProxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            state,
        }
    }

    /// Requests seen so far (throttled ones included).
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Requests answered with a throttling error, by service: `(ec2, iam)`.
    pub fn throttled(&self) -> (u64, u64) {
        (
            self.state.throttled_ec2.load(Ordering::SeqCst),
            self.state.throttled_iam.load(Ordering::SeqCst),
        )
    }
}

impl Drop for ThrottlingProxy {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees `stop`.
        if let Some(addr) = self.endpoint.strip_prefix("http://") {
            let _ = TcpStream::connect(addr);
        }
    }
}

fn serve(
    mut client: TcpStream,
    upstream_port: u16,
    every: u64,
    state: &State,
) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    let mut content_length = 0usize;
    let mut service = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("authorization:") {
            service = credential_scope_service(&line).unwrap_or_default();
        }
        if line == "\r\n" {
            head.extend_from_slice(b"Connection: close\r\n\r\n");
            break;
        }
        if !lower.starts_with("connection:") {
            head.extend_from_slice(line.as_bytes());
        }
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body)?;

    let n = state.requests.fetch_add(1, Ordering::SeqCst) + 1;
    if let Some(action) = &state.deny
        && String::from_utf8_lossy(&body).contains(&format!("Action={action}&"))
    {
        let xml = "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
                   <Error><Type>Sender</Type><Code>AccessDenied</Code>\
                   <Message>not authorized to perform this action</Message></Error>\
                   <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>";
        write!(
            client,
            "HTTP/1.1 403 Forbidden\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
            xml.len()
        )?;
        return client.flush();
    }
    if n.is_multiple_of(every) {
        let (status, xml) = match service.as_str() {
            "iam" => {
                state.throttled_iam.fetch_add(1, Ordering::SeqCst);
                (
                    "400 Bad Request",
                    "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
                     <Error><Type>Sender</Type><Code>Throttling</Code>\
                     <Message>Rate exceeded</Message></Error>\
                     <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>",
                )
            }
            _ => {
                state.throttled_ec2.fetch_add(1, Ordering::SeqCst);
                (
                    "503 Service Unavailable",
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>\
                     <Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>\
                     </Error></Errors><RequestID>00000000-0000-0000-0000-000000000000</RequestID>\
                     </Response>",
                )
            }
        };
        write!(
            client,
            "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
            xml.len()
        )?;
        return client.flush();
    }

    let action = String::from_utf8_lossy(&body)
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action=").map(str::to_string))
        .unwrap_or_default();
    let write = !action.is_empty()
        && !["Describe", "List", "Get"]
            .iter()
            .any(|p| action.starts_with(p));
    let first_write = write && state.writes.fetch_add(1, Ordering::SeqCst) == 0;
    if first_write && let Some(hook) = &state.before_first_write {
        hook();
    }
    let mut upstream = TcpStream::connect(("127.0.0.1", upstream_port))?;
    upstream.set_read_timeout(Some(Duration::from_secs(60)))?;
    upstream.write_all(&head)?;
    upstream.write_all(&body)?;
    upstream.flush()?;
    let mut response = Vec::new();
    upstream.read_to_end(&mut response)?;
    client.write_all(&response)?;
    client.flush()
}

/// `SERVICE` of `Authorization: AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, ...`.
fn credential_scope_service(header: &str) -> Option<String> {
    let scope = header
        .split("Credential=")
        .nth(1)?
        .split([',', ' '])
        .next()?;
    scope.split('/').nth(3).map(str::to_string)
}
