//! What can go wrong talking to factomd, classified so a caller can act on it.
//!
//! factomd answers every JSON-RPC error with HTTP 400 and a normal error body, so "the
//! node said no" (`Rpc`) is kept apart from "we never got an answer" (`Transport`) and
//! "something other than factomd answered" (`Http`, e.g. a 401 from its basic auth or a
//! proxy's 502). A later layer adds retries and failover across nodes on top of
//! [`FactomdError::is_retryable`]; the code helpers name the errors the coordinator treats
//! as outcomes rather than failures (a repeated commit counts as committed).

use std::fmt;

use pegnet_common::factom::EntryHash;

/// JSON-RPC code factomd uses for a commit it already holds with equal or greater payment.
pub const CODE_REPEATED_COMMIT: i64 = -32011;
/// JSON-RPC code for "Block not found", "Entry not found" and "Object not found".
pub const CODE_NOT_FOUND: i64 = -32008;
/// JSON-RPC code `chain-head` returns for a chain the node does not know.
pub const CODE_MISSING_CHAIN_HEAD: i64 = -32009;
/// JSON-RPC code for invalid params (bad hex, bad signature, bad address, ...).
pub const CODE_INVALID_PARAMS: i64 = -32602;

/// Why a request never produced an HTTP response (or its body could not be read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// The client timeout elapsed (connecting, waiting for the answer or reading it).
    Timeout,
    /// Nothing listens at the address: the connection was refused.
    ConnectionRefused,
    /// The host name did not resolve.
    Dns,
    /// Connecting failed for another reason (unreachable network, reset during connect, ...).
    Connect,
    /// The connection broke while sending the request or reading the response.
    Interrupted,
    /// The HTTP client could not build or send the request (a bug, not a network fault).
    Request,
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Timeout => "timed out",
            TransportKind::ConnectionRefused => "connection refused",
            TransportKind::Dns => "DNS lookup failed",
            TransportKind::Connect => "could not connect",
            TransportKind::Interrupted => "connection interrupted",
            TransportKind::Request => "request could not be sent",
        })
    }
}

/// An error from one factomd call. Every message names the method; those that reached the
/// network also name the URL (with any password removed).
#[derive(Debug, thiserror::Error)]
pub enum FactomdError {
    /// The client could not be constructed (bad URL, HTTP client set-up).
    #[error("factomd client for {url:?}: {problem}")]
    Config {
        /// The URL as given, password removed.
        url: String,
        /// What is wrong with it.
        problem: String,
    },
    /// No HTTP response: connect refused, DNS, timeout, broken connection.
    #[error("factomd {method} at {url}: {kind}: {source}")]
    Transport {
        /// The JSON-RPC method being called.
        method: &'static str,
        /// The endpoint, password removed.
        url: String,
        /// Which transport failure it was.
        kind: TransportKind,
        /// The HTTP client's error, with its cause chain.
        #[source]
        source: reqwest::Error,
    },
    /// An HTTP status other than 200, or a 400 whose body is not a JSON-RPC error: not
    /// factomd's own answer (401 from its basic auth, a proxy's 502, ...).
    #[error("factomd {method} at {url}: HTTP {status}{hint}: {body:?}", hint = status_hint(*.status))]
    Http {
        /// The JSON-RPC method being called.
        method: &'static str,
        /// The endpoint, password removed.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// factomd answered with a JSON-RPC error object.
    #[error("factomd {method}: JSON-RPC error {code} {message:?}{data}", data = data_suffix(.data.as_ref()))]
    Rpc {
        /// The JSON-RPC method being called.
        method: &'static str,
        /// The error code (see the `CODE_*` constants).
        code: i64,
        /// The error message, e.g. `"Invalid params"`.
        message: String,
        /// The optional detail: a string such as `"Invalid Hash"`, or an object for -32011.
        data: Option<serde_json::Value>,
    },
    /// The response was not the JSON this method returns.
    #[error("factomd {method}: response does not decode: {error}; body: {body:?}")]
    Decode {
        /// The JSON-RPC method being called.
        method: &'static str,
        /// What did not match.
        error: String,
        /// The start of the response body.
        body: String,
    },
    /// The response echoed another request id, so it is not the answer to this request.
    #[error("factomd {method}: response id {got} does not match request id {sent}")]
    IdMismatch {
        /// The JSON-RPC method being called.
        method: &'static str,
        /// The id this request carried.
        sent: u64,
        /// The id the response carried, as JSON.
        got: serde_json::Value,
    },
    /// The response body exceeded the configured limit; reading stopped there.
    #[error("factomd {method} at {url}: response body exceeds the limit of {limit_bytes} bytes")]
    BodyTooLarge {
        /// The JSON-RPC method being called.
        method: &'static str,
        /// The endpoint, password removed.
        url: String,
        /// The limit ([`super::ClientOptions::max_body_bytes`]).
        limit_bytes: usize,
    },
}

impl FactomdError {
    /// The JSON-RPC error code, if factomd answered with an error object.
    pub fn rpc_code(&self) -> Option<i64> {
        match self {
            FactomdError::Rpc { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The node already holds this commit (-32011): it counts as committed, and the reveal
    /// must still be sent.
    pub fn is_repeated_commit(&self) -> bool {
        self.rpc_code() == Some(CODE_REPEATED_COMMIT)
    }

    /// The block, entry or object asked for does not exist (yet) on this node (-32008).
    pub fn is_not_found(&self) -> bool {
        self.rpc_code() == Some(CODE_NOT_FOUND)
    }

    /// `chain-head` of a chain the node does not know (-32009).
    pub fn is_missing_chain_head(&self) -> bool {
        self.rpc_code() == Some(CODE_MISSING_CHAIN_HEAD)
    }

    /// For a repeated commit, the entry hash factomd reports in the error's `data`.
    pub fn repeated_commit_entry_hash(&self) -> Option<EntryHash> {
        match self {
            FactomdError::Rpc {
                code,
                data: Some(data),
                ..
            } if *code == CODE_REPEATED_COMMIT => data.get("entryhash")?.as_str()?.parse().ok(),
            _ => None,
        }
    }

    /// Whether the same request may succeed if sent again, here or to another node: transport
    /// failures and server-side HTTP statuses (5xx, 408, 429) yes. A JSON-RPC error is the
    /// node's considered answer and is not retried; neither are auth failures, malformed
    /// answers or oversize bodies, which would repeat.
    pub fn is_retryable(&self) -> bool {
        match self {
            FactomdError::Transport { kind, .. } => *kind != TransportKind::Request,
            FactomdError::Http { status, .. } => {
                (500..=599).contains(status) || *status == 408 || *status == 429
            }
            FactomdError::Config { .. }
            | FactomdError::Rpc { .. }
            | FactomdError::Decode { .. }
            | FactomdError::IdMismatch { .. }
            | FactomdError::BodyTooLarge { .. } => false,
        }
    }
}

fn status_hint(status: u16) -> &'static str {
    match status {
        401 => " (wrong or missing RPC user/password)",
        _ => "",
    }
}

fn data_suffix(data: Option<&serde_json::Value>) -> String {
    match data {
        None => String::new(),
        Some(serde_json::Value::String(s)) => format!(" ({s})"),
        Some(other) => format!(" ({other})"),
    }
}
