//! The ports file nats-server writes once its listeners are up (`--ports_file_dir`).
//!
//! It is named `<executable>_<pid>.ports` and holds JSON such as
//! `{"nats":["nats://127.0.0.1:4222"],"monitoring":["http://127.0.0.1:8222"]}`. Reading it is
//! how the harness learns the ports the server picked itself (`-p -1`), which, unlike probing for
//! a free port and handing it over, cannot race with another test binding the same port.

use std::path::Path;

/// The ports a started server listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ports {
    pub(crate) client: u16,
    pub(crate) monitoring: Option<u16>,
}

/// The ports of the server process `pid` when its file in `dir` is complete; `None` while it
/// is missing or still being written.
pub(crate) fn read(dir: &Path, pid: u32) -> Option<Ports> {
    let suffix = format!("_{pid}.ports");
    let entries = std::fs::read_dir(dir).ok()?;
    let path = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.ends_with(&suffix))
        })?;
    parse(&std::fs::read_to_string(path).ok()?)
}

fn parse(text: &str) -> Option<Ports> {
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    let first_port = |key: &str| -> Option<u16> {
        let url = json.get(key)?.as_array()?.first()?.as_str()?;
        url.rsplit(':').next()?.trim_end_matches('/').parse().ok()
    };
    Some(Ports {
        client: first_port("nats")?,
        monitoring: first_port("monitoring"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_client_and_monitoring_ports() {
        let ports =
            parse(r#"{"nats":["nats://127.0.0.1:45763"],"monitoring":["http://127.0.0.1:37347"]}"#);
        assert_eq!(
            ports,
            Some(Ports {
                client: 45763,
                monitoring: Some(37347)
            })
        );
    }

    #[test]
    fn a_partly_written_file_is_not_ready() {
        assert_eq!(parse(r#"{"nats":["nats://127.0"#), None);
        assert_eq!(parse(""), None);
    }
}
