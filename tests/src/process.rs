//! Programs a test runs as processes: the workspace's own binaries (`pegnet-devnet`,
//! `pegnet-coordinator`, `pegnet-miner`) and tools such as Prometheus, each logging to a file
//! and killed (by its own PID) and reaped when its handle is dropped.

use std::fs::File;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::ToolError;

/// How often a wait on a program's log or exit looks again.
const LOG_POLL: Duration = Duration::from_millis(20);

/// A running program, killed and waited for on drop.
#[derive(Debug)]
pub struct Program {
    name: String,
    child: Child,
    log_path: PathBuf,
    // Holds the log file's directory for as long as the process runs.
    _dir: TempDir,
}

impl Program {
    /// Starts `bin` with `args` and the extra environment `env`; stdout and stderr go to a log
    /// file ([`Program::log`]). `name` names it in errors.
    ///
    /// # Errors
    ///
    /// [`ToolError::Io`] when the log file cannot be made, [`ToolError::Spawn`] when the
    /// program cannot be started.
    pub fn spawn(
        name: &str,
        bin: &Path,
        args: &[String],
        env: &[(String, String)],
    ) -> Result<Program, ToolError> {
        let io = |what: &str| {
            let what = format!("{what} for {name}");
            move |source| ToolError::Io { what, source }
        };
        let dir = tempfile::tempdir().map_err(io("creating a log directory"))?;
        let log_path = dir.path().join(format!("{name}.log"));
        let log = File::create(&log_path).map_err(io("creating the log file"))?;
        let err = log.try_clone().map_err(io("sharing the log file"))?;
        let child = Command::new(bin)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|source| ToolError::Spawn {
                bin: bin.to_owned(),
                source,
            })?;
        Ok(Program {
            name: name.to_owned(),
            child,
            log_path,
            _dir: dir,
        })
    }

    /// The name given at start.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Everything the program wrote so far (empty if the log cannot be read).
    pub fn log(&self) -> String {
        std::fs::read(&self.log_path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// Waits until the log contains `line`, at most `within`; `false` if it did not come
    /// (or the program exited first).
    pub fn wait_for_log(&mut self, line: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.log().contains(line) {
                return true;
            }
            if !matches!(self.child.try_wait(), Ok(None)) {
                return self.log().contains(line);
            }
            std::thread::sleep(LOG_POLL);
        }
        false
    }

    /// Sends `signal` (`TERM`, `INT`, ...) to the program, by its PID.
    ///
    /// # Errors
    ///
    /// [`ToolError::Spawn`] when `kill` cannot be run, [`ToolError::Exited`] when it fails.
    pub fn signal(&self, signal: &str) -> Result<(), ToolError> {
        let kill = Path::new("kill");
        let status = Command::new(kill)
            .args(["-s", signal, &self.child.id().to_string()])
            .status()
            .map_err(|source| ToolError::Spawn {
                bin: kill.to_owned(),
                source,
            })?;
        if status.success() {
            Ok(())
        } else {
            Err(ToolError::Exited {
                name: format!("kill -s {signal} {} ({status})", self.name),
                log: String::new(),
            })
        }
    }

    /// Waits for the program to exit, at most `within`; its exit status, or `None` if it
    /// still runs.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => std::thread::sleep(LOG_POLL),
                Ok(None) | Err(_) => return None,
            }
        }
    }

    /// `Ok` while the program runs; [`ToolError::Exited`] with its log once it has exited.
    ///
    /// # Errors
    ///
    /// [`ToolError::Exited`], or [`ToolError::Io`] when its state cannot be read.
    pub fn check_running(&mut self) -> Result<(), ToolError> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(ToolError::Exited {
                name: format!("{} ({status})", self.name),
                log: self.log(),
            }),
            Err(source) => Err(ToolError::Io {
                what: format!("checking whether {} runs", self.name),
                source,
            }),
        }
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        // Already exited is fine; anything else cannot be acted on in a destructor.
        if self.child.kill().is_ok() {
            drop(self.child.wait());
        }
    }
}

/// The workspace binary `name` built next to the running test executable
/// (`target/<profile>/deps/<test>` → `target/<profile>/<name>`).
///
/// # Errors
///
/// [`ToolError::BinaryMissing`] when it was not built, [`ToolError::Io`] when the test's own
/// path is unknown.
pub fn workspace_binary(name: &str) -> Result<PathBuf, ToolError> {
    let exe = std::env::current_exe().map_err(|source| ToolError::Io {
        what: "finding the test executable".into(),
        source,
    })?;
    let profile_dir =
        exe.parent()
            .and_then(|deps| deps.parent())
            .ok_or_else(|| ToolError::BinaryMissing {
                path: PathBuf::from(name),
            })?;
    let path = profile_dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(ToolError::BinaryMissing { path })
    }
}

/// The executable `tool` from `PATH`, else `/usr/bin` or `/usr/local/bin`.
///
/// # Errors
///
/// [`ToolError::NotFound`] quoting `hint`, which says how to install it.
pub fn find_tool(tool: &str, hint: &str) -> Result<PathBuf, ToolError> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/bin", "/usr/local/bin"].map(PathBuf::from));
    let candidates: Vec<PathBuf> = dirs.iter().map(|dir| dir.join(tool)).collect();
    candidates
        .iter()
        .find(|path| is_executable(path))
        .cloned()
        .ok_or_else(|| ToolError::NotFound {
            tool: tool.to_owned(),
            searched: candidates,
            hint: hint.to_owned(),
        })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// A TCP port on 127.0.0.1 that was free a moment ago, for a program that cannot report the
/// port it bound itself.
///
/// Ports are taken below the kernel's ephemeral range, which is where every `bind(0)` (the
/// nats-server harness, Prometheus, clients' source ports) draws from, so another test cannot
/// be handed the same port between this check and the program's bind. Each call in a process
/// returns a different port; the starting point depends on the process id, so parallel test
/// processes start apart.
///
/// # Errors
///
/// [`ToolError::NoFreePort`] when every candidate is taken.
pub fn free_port() -> Result<u16, ToolError> {
    const LOWEST: u16 = 10_000;
    let ephemeral_start = ephemeral_range_start();
    let span = ephemeral_start.saturating_sub(LOWEST).max(1);
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let seed = u16::try_from(std::process::id() % u32::from(span)).unwrap_or(0);
    for _ in 0..span {
        let offset = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = LOWEST + (seed.wrapping_add(offset.wrapping_mul(7)) % span);
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return Ok(port);
        }
    }
    Err(ToolError::NoFreePort { ephemeral_start })
}

/// The first port of `net.ipv4.ip_local_port_range` (32768 when it cannot be read).
fn ephemeral_range_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_differ_and_avoid_the_ephemeral_range() {
        let a = free_port().expect("a free port");
        let b = free_port().expect("another free port");
        assert_ne!(a, b);
        assert!(a < ephemeral_range_start() && b < ephemeral_range_start());
    }

    #[test]
    fn a_missing_tool_says_how_to_install_it() {
        let error = find_tool("no-such-tool-pegnet", "apt-get install it").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("no-such-tool-pegnet"), "{message}");
        assert!(message.contains("apt-get install it"), "{message}");
    }
}
