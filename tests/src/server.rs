//! One `nats-server` process owned by a test: start, restart on the same port, stop, kill on drop.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::{HarnessError, find_nats_server, monitoring, ports};

/// How often start-up readiness is polled: short, because a server is usually up within a few
/// milliseconds; each poll is a directory read and at most one local connect.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// How long one readiness probe waits for the server's `INFO` line.
const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// How a test server is started. `NatsOptions::default()` is a plain server without JetStream.
#[derive(Debug, Clone)]
pub struct NatsOptions {
    /// A config file passed with `-c`, for example [`crate::nats_config`]`("secure.conf")`. The
    /// harness's own flags win over it: the server always listens on `127.0.0.1` on a port of
    /// the harness's choosing, and monitoring too, whatever `listen`/`port`/`http` say.
    pub config_file: Option<PathBuf>,
    /// Run with `--jetstream`, its store in the server's temporary directory.
    pub jetstream: bool,
    /// Environment variables set for the server process only (the config file can refer to
    /// them as `$NAME`), for example passwords.
    pub env: Vec<(String, String)>,
    /// Further command-line arguments, for example `-DV` for a debug and trace log.
    pub extra_args: Vec<String>,
    /// How long start-up (and each restart) may take before [`HarnessError::NotReady`].
    pub startup_timeout: Duration,
}

impl Default for NatsOptions {
    fn default() -> Self {
        Self {
            config_file: None,
            jetstream: false,
            env: Vec::new(),
            extra_args: Vec::new(),
            startup_timeout: Duration::from_secs(10),
        }
    }
}

impl NatsOptions {
    /// Options that start the server with this config file.
    pub fn with_config(path: impl Into<PathBuf>) -> Self {
        Self {
            config_file: Some(path.into()),
            ..Self::default()
        }
    }

    /// Adds an environment variable for the server process.
    #[must_use]
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }
}

/// A running `nats-server` on `127.0.0.1`, killed (and waited for) when dropped.
///
/// Its stdout and stderr go to a log file in a temporary directory that lives as long as the
/// handle; [`NatsServer::log`] reads it, and start-up errors quote it.
#[derive(Debug)]
pub struct NatsServer {
    bin: PathBuf,
    options: NatsOptions,
    dir: TempDir,
    child: Option<Child>,
    port: u16,
    monitoring_port: Option<u16>,
}

impl NatsServer {
    /// Starts a plain server (no config file, no JetStream) on a free port and waits until it
    /// accepts connections.
    ///
    /// # Errors
    ///
    /// [`HarnessError::NotFound`] when there is no `nats-server` (the message says how to
    /// install it); otherwise as [`NatsServer::start_with`].
    pub fn start() -> Result<Self, HarnessError> {
        Self::start_with(NatsOptions::default())
    }

    /// Starts a server with these options on a free port and waits until it accepts
    /// connections, at most `options.startup_timeout`.
    ///
    /// # Errors
    ///
    /// No executable, a missing config file, a failed spawn, a server that exits during
    /// start-up (for example a config error or an unset `$VARIABLE`: the error quotes its log),
    /// or one that is not ready in time.
    pub fn start_with(options: NatsOptions) -> Result<Self, HarnessError> {
        let bin = find_nats_server()?;
        if let Some(path) = &options.config_file
            && !path.is_file()
        {
            return Err(HarnessError::ConfigMissing { path: path.clone() });
        }
        let dir = tempfile::Builder::new()
            .prefix("pegnet-nats-")
            .tempdir()
            .map_err(|source| io_error("create the server's temporary directory", source))?;
        let mut server = Self {
            bin,
            options,
            dir,
            child: None,
            port: 0,
            monitoring_port: None,
        };
        server.spawn_and_wait(None)?;
        Ok(server)
    }

    /// The client URL, `nats://127.0.0.1:PORT`; it stays the same across restarts.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The monitoring endpoint (`/varz`, `/healthz`...), `http://127.0.0.1:PORT`.
    pub fn monitoring_url(&self) -> Option<String> {
        self.monitoring_port
            .map(|port| format!("http://127.0.0.1:{port}"))
    }

    /// A monitoring endpoint as JSON, for example `monitoring("/varz")` (whose `leaf.port` is
    /// the leaf node port) or `monitoring("/connz")`.
    ///
    /// # Errors
    ///
    /// When the endpoint cannot be reached or does not answer JSON.
    pub fn monitoring(&self, path: &str) -> Result<serde_json::Value, HarnessError> {
        let port = self.monitoring_port.ok_or(HarnessError::NoMonitoring)?;
        monitoring::get_json(port, path)
    }

    /// The process id of the running server, `None` once stopped.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether a server process is running (started and not stopped).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Kills the server (`SIGKILL`, as a crash or a lost broker looks to clients) and waits for
    /// it. Stopping a stopped server does nothing.
    ///
    /// # Errors
    ///
    /// When the process cannot be killed or waited for.
    pub fn stop(&mut self) -> Result<(), HarnessError> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        child
            .kill()
            .map_err(|source| io_error("kill nats-server", source))?;
        child
            .wait()
            .map_err(|source| io_error("wait for nats-server", source))?;
        Ok(())
    }

    /// Stops the server if it runs and starts it again with the same options on the same client
    /// and monitoring ports: a broker restart, for reconnect tests. Clients see the connection
    /// drop and reconnect to the same URL.
    ///
    /// # Errors
    ///
    /// As [`NatsServer::stop`] and [`NatsServer::start_with`]; a port taken by another process
    /// in between shows as [`HarnessError::Exited`] with the server's "address in use" log.
    pub fn restart(&mut self) -> Result<(), HarnessError> {
        self.stop()?;
        self.start_again()
    }

    /// Starts a stopped server again with the same options on the same ports (a broker back
    /// after an outage). Starting a running one does nothing.
    ///
    /// # Errors
    ///
    /// As [`NatsServer::restart`].
    pub fn start_again(&mut self) -> Result<(), HarnessError> {
        if self.child.is_some() {
            return Ok(());
        }
        self.append_to_log("---- pegnet-tests: restart ----\n")?;
        self.spawn_and_wait(Some(self.port))
    }

    /// Everything the server wrote to stdout and stderr so far, across restarts.
    pub fn log(&self) -> String {
        read_log(&self.log_path())
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("nats-server.log")
    }

    fn ports_dir(&self) -> PathBuf {
        self.dir.path().join("ports")
    }

    /// Spawns the process (on `port`, or one the server picks) and waits until it is ready.
    fn spawn_and_wait(&mut self, port: Option<u16>) -> Result<(), HarnessError> {
        let child = self.spawn(port)?;
        let pid = child.id();
        self.child = Some(child);
        let deadline = Instant::now() + self.options.startup_timeout;
        let ports = self.wait_ready(pid, deadline)?;
        self.port = ports.client;
        self.monitoring_port = ports.monitoring;
        Ok(())
    }

    fn spawn(&self, port: Option<u16>) -> Result<Child, HarnessError> {
        let ports_dir = self.ports_dir();
        std::fs::create_dir_all(&ports_dir)
            .map_err(|source| io_error("create the ports directory", source))?;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .map_err(|source| io_error("open the server log", source))?;
        let log_for_stderr = log
            .try_clone()
            .map_err(|source| io_error("share the server log", source))?;
        let port_arg = port.map_or_else(|| "-1".to_owned(), |p| p.to_string());
        let monitoring_arg = self
            .monitoring_port
            .map_or_else(|| "-1".to_owned(), |p| p.to_string());
        let mut command = Command::new(&self.bin);
        if let Some(config) = &self.options.config_file {
            command.arg("-c").arg(config);
        }
        command
            .args(["-a", "127.0.0.1", "-p", &port_arg, "-m", &monitoring_arg])
            .arg("--ports_file_dir")
            .arg(&ports_dir);
        if self.options.jetstream {
            command
                .arg("--jetstream")
                .arg("--store_dir")
                .arg(self.dir.path().join("jetstream"));
        }
        command
            .args(&self.options.extra_args)
            .envs(self.options.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_for_stderr))
            .spawn()
            .map_err(|source| HarnessError::Spawn {
                bin: self.bin.clone(),
                source,
            })
    }

    /// Polls until the server process `pid` has written its ports file and answers on its
    /// client port with an `INFO` line; fails at once if it exits, with its log.
    fn wait_ready(&mut self, pid: u32, deadline: Instant) -> Result<ports::Ports, HarnessError> {
        let ports_dir = self.ports_dir();
        loop {
            if let Some(status) = self.try_wait()? {
                self.child = None;
                return Err(HarnessError::Exited {
                    status,
                    log: self.log(),
                });
            }
            if let Some(ports) = ports::read(&ports_dir, pid)
                && says_info(ports.client)
            {
                return Ok(ports);
            }
            if Instant::now() >= deadline {
                // Not ready in time: do not leave it running behind the error.
                self.stop()?;
                return Err(HarnessError::NotReady {
                    timeout: self.options.startup_timeout,
                    log: self.log(),
                });
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    fn try_wait(&mut self) -> Result<Option<std::process::ExitStatus>, HarnessError> {
        match self.child.as_mut() {
            Some(child) => child
                .try_wait()
                .map_err(|source| io_error("check on nats-server", source)),
            None => Ok(None),
        }
    }

    fn append_to_log(&self, line: &str) -> Result<(), HarnessError> {
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .map_err(|source| io_error("open the server log", source))?;
        log.write_all(line.as_bytes())
            .map_err(|source| io_error("write the server log", source))
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            eprintln!("pegnet-tests: could not stop nats-server: {error}");
        }
    }
}

/// Whether something on `127.0.0.1:port` greets a new connection as a NATS server does.
fn says_info(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, PROBE_TIMEOUT) else {
        return false;
    };
    if stream.set_read_timeout(Some(PROBE_TIMEOUT)).is_err() {
        return false;
    }
    let mut greeting = [0_u8; 4];
    stream.read_exact(&mut greeting).is_ok() && &greeting == b"INFO"
}

fn read_log(path: &Path) -> String {
    let mut bytes = Vec::new();
    match File::open(path).and_then(|mut file| file.read_to_end(&mut bytes)) {
        Ok(_) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(error) => format!("(cannot read the log {}: {error})", path.display()),
    }
}

fn io_error(what: &str, source: std::io::Error) -> HarnessError {
    HarnessError::Io {
        what: what.to_owned(),
        source,
    }
}
