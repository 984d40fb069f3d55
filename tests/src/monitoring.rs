//! Reading the server's monitoring endpoint, for facts the ports file does not give (the leaf
//! node port, connection counts).

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use crate::HarnessError;

const TIMEOUT: Duration = Duration::from_secs(5);

/// `GET http://127.0.0.1:{port}{path}` parsed as JSON. HTTP/1.0 so the server closes the
/// connection after the body: no chunking or keep-alive to handle.
pub(crate) fn get_json(port: u16, path: &str) -> Result<serde_json::Value, HarnessError> {
    let failed = |source| HarnessError::Io {
        what: format!("GET {path} from the monitoring port {port}"),
        source,
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(failed)?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(failed)?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(failed)?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").map_err(failed)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).map_err(failed)?;
    let text = String::from_utf8_lossy(&response);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    serde_json::from_str(body).map_err(|_| HarnessError::Monitoring {
        path: path.to_owned(),
        response: text.into_owned(),
    })
}
