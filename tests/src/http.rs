//! A minimal blocking HTTP GET for local test servers (Prometheus, the programs' `/metrics`),
//! so the observability tests need no async runtime. HTTP/1.0: the server closes the
//! connection after the body, so there is no chunking or keep-alive to handle.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::ToolError;

/// How long one exchange may take; generous because a query over a busy 2-core machine can be
/// slow, and tests wait on events with their own deadlines anyway.
const TIMEOUT: Duration = Duration::from_secs(20);

/// `GET http://{addr}{path}`: the status code and the body as text. `path` must already be
/// percent-encoded (see [`percent_encode`]).
pub(crate) fn get(addr: SocketAddr, path: &str) -> Result<(u16, String), ToolError> {
    let url = format!("http://{addr}{path}");
    let failed = |what: String| ToolError::Http {
        url: url.clone(),
        what,
    };
    let mut stream =
        TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| failed(e.to_string()))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| failed(e.to_string()))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")
        .map_err(|e| failed(e.to_string()))?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .map_err(|e| failed(e.to_string()))?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| failed(format!("no end of headers in {text:?}")))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| failed(format!("no status code in {head:?}")))?;
    Ok((status, body.to_owned()))
}

/// Percent-encodes everything but RFC 3986's unreserved characters, for a query-string value.
pub(crate) fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_promql() {
        assert_eq!(
            percent_encode(r#"rate(x{a="b"}[5m]) / 2"#),
            "rate%28x%7Ba%3D%22b%22%7D%5B5m%5D%29%20%2F%202"
        );
        assert_eq!(percent_encode("é"), "%C3%A9");
    }
}
