//! A real Prometheus server owned by a test (Debian's `prometheus` package): started on a port
//! it picks itself with a config the test writes, queried through its HTTP API, killed on drop.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::http::{get, percent_encode};
use crate::process::{Program, find_tool};
use crate::{PROMETHEUS_INSTALL_HINT, ToolError};

/// How long Prometheus may take to come up (it replays an empty TSDB: about a second).
const STARTUP: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

/// The workspace's `prometheus/` directory: the compose config, `rules/`, `tests/`.
pub fn prometheus_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("prometheus")
}

/// A running Prometheus with its own config and storage in a temporary directory.
#[derive(Debug)]
pub struct Prometheus {
    // Dropped first: the process stops before its directory goes.
    program: Program,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts Prometheus with `config` (prometheus.yml text) on `127.0.0.1`, on a port it binds
    /// itself (`:0`, read back from its "Listening on" log line, so no other test can take the
    /// port in between), and waits until `/-/ready` answers.
    ///
    /// # Errors
    ///
    /// [`ToolError::NotFound`] (with the install hint) without Prometheus, [`ToolError::Exited`]
    /// for a config it refuses, [`ToolError::NotReady`] when it is not up in time.
    pub fn start(config: &str) -> Result<Prometheus, ToolError> {
        let bin = find_tool("prometheus", PROMETHEUS_INSTALL_HINT)?;
        let dir = tempfile::tempdir().map_err(|source| ToolError::Io {
            what: "creating Prometheus' directory".into(),
            source,
        })?;
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config).map_err(|source| ToolError::Io {
            what: format!("writing {}", config_path.display()),
            source,
        })?;
        let args = vec![
            flag("--config.file", &config_path),
            flag("--storage.tsdb.path", &dir.path().join("data")),
            "--web.listen-address=127.0.0.1:0".to_owned(),
            "--log.level=info".to_owned(),
        ];
        let mut program = Program::spawn("prometheus", &bin, &args, &[])?;
        let addr = wait_for_address(&mut program)?;
        let prometheus = Prometheus {
            program,
            addr,
            _dir: dir,
        };
        prometheus.wait_ready()?;
        Ok(prometheus)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        self.program.log()
    }

    /// Evaluates `expr` now (`/api/v1/query`) and returns the result's samples (for a scalar or
    /// string result, the one `[time, value]` pair).
    ///
    /// # Errors
    ///
    /// [`ToolError::Query`] when Prometheus refuses the expression (a parse or evaluation
    /// error), [`ToolError::Http`] when it cannot be asked.
    pub fn query(&self, expr: &str) -> Result<Vec<Value>, ToolError> {
        let data = self.api(
            &format!("/api/v1/query?query={}", percent_encode(expr)),
            expr,
        )?;
        match data.get("result") {
            Some(Value::Array(samples)) => Ok(samples.clone()),
            Some(other) => Ok(vec![other.clone()]),
            None => Err(ToolError::Query {
                expr: expr.to_owned(),
                error: format!("no result in {data}"),
            }),
        }
    }

    /// The values of `label` among the series `matcher` selects (`/api/v1/label/…/values`).
    ///
    /// # Errors
    ///
    /// As [`Prometheus::query`].
    pub fn label_values(&self, label: &str, matcher: &str) -> Result<Vec<String>, ToolError> {
        let path = format!(
            "/api/v1/label/{}/values?match[]={}",
            percent_encode(label),
            percent_encode(matcher)
        );
        let data = self.api(&path, matcher)?;
        Ok(data
            .as_array()
            .map(|values| {
                values
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The `data` of any API endpoint, for example `/api/v1/rules` or `/api/v1/targets`.
    ///
    /// # Errors
    ///
    /// As [`Prometheus::query`].
    pub fn api(&self, path: &str, what: &str) -> Result<Value, ToolError> {
        let (status, body) = get(self.addr, path)?;
        let json: Value = serde_json::from_str(&body).map_err(|e| ToolError::Http {
            url: format!("{}{path}", self.url()),
            what: format!("status {status}, not JSON ({e}): {body}"),
        })?;
        if json.get("status").and_then(Value::as_str) == Some("success") {
            Ok(json.get("data").cloned().unwrap_or(Value::Null))
        } else {
            Err(ToolError::Query {
                expr: what.to_owned(),
                error: json
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or(&body)
                    .to_owned(),
            })
        }
    }

    fn wait_ready(&self) -> Result<(), ToolError> {
        let deadline = Instant::now() + STARTUP;
        loop {
            if matches!(get(self.addr, "/-/ready"), Ok((200, _))) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(ToolError::NotReady {
                    name: "prometheus".into(),
                    timeout: STARTUP,
                    log: self.log(),
                });
            }
            std::thread::sleep(POLL);
        }
    }
}

fn flag(name: &str, path: &Path) -> String {
    format!("{name}={}", path.display())
}

/// Polls the log for `msg="Listening on" address=127.0.0.1:PORT`, the address the web
/// listener actually bound.
fn wait_for_address(program: &mut Program) -> Result<SocketAddr, ToolError> {
    let deadline = Instant::now() + STARTUP;
    loop {
        program.check_running()?;
        if let Some(addr) = listening_address(&program.log()) {
            return Ok(addr);
        }
        if Instant::now() > deadline {
            return Err(ToolError::NotReady {
                name: program.name().to_owned(),
                timeout: STARTUP,
                log: program.log(),
            });
        }
        std::thread::sleep(POLL);
    }
}

fn listening_address(log: &str) -> Option<SocketAddr> {
    log.lines()
        .filter(|line| line.contains("msg=\"Listening on\""))
        .find_map(|line| {
            let (_, rest) = line.split_once(" address=")?;
            rest.split_whitespace().next()?.parse().ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_bound_address_not_the_configured_one() {
        let log = "ts=x caller=web.go:503 level=info component=web msg=\"Start listening for connections\" address=127.0.0.1:0\n\
                   ts=x caller=tls_config.go:232 level=info component=web msg=\"Listening on\" address=127.0.0.1:42647\n";
        assert_eq!(
            listening_address(log),
            Some(SocketAddr::from(([127, 0, 0, 1], 42647)))
        );
        assert_eq!(
            listening_address("msg=\"Start listening\" address=127.0.0.1:0"),
            None
        );
    }
}
