//! `pegnet-coordinator init`: a fresh shared secret and fresh NATS passwords, written as the
//! files the coordinator, the miners and nats-server read (DESIGN §5, §9).
//!
//! ```text
//! DIR/coordinator/coordinator.env   PEGNET_MINER_COORDINATORSECRET, PEGNET_COORDINATOR_NATSURL
//! DIR/coordinator/coordinator.toml  the same as a config file (`run --config`)
//! DIR/miner/miner.env               PEGNET_MINER_COORDINATORSECRET, PEGNET_MINER_MININGCOORDINATORHOST
//! DIR/miner/miner.toml              the same as a config file (`pegnet-miner run --config`)
//! DIR/nats/users.conf               the two NATS users' passwords, bcrypt-hashed
//! ```
//!
//! `users.conf` only defines the config variables `PEGNET_NATS_COORDINATOR_PASSWORD` and
//! `PEGNET_NATS_MINER_PASSWORD`; the server config that includes it (`nats/compose.conf`)
//! lists the users with the permissions of `nats/permissions.conf`. nats-server resolves a
//! variable inside the included file only against that file, so the users cannot live there.
//!
//! The values must agree across the files, so they are written as one set: all files, or (with
//! [`Existing::Keep`]) none when all exist already. Files are mode 0600 and the directories
//! this writes 0700: only their owner (the uid the compose services run as) reads them, and
//! root (nats-server's container) reads anything.

use std::fs::{self, DirBuilder, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use pegnet_common::wire::{RandomError, random_bytes};

/// Where the compose stack's nats-server is reached from the other containers.
pub const DEFAULT_NATS_URL: &str = "nats://nats:4222";

/// bcrypt's work factor for the NATS passwords: nats-server checks it on every connect, so
/// higher costs every miner's (re)connect; the passwords themselves are 256 random bits.
const BCRYPT_COST: u32 = 11;

/// Bytes from the OS random source in the secret and in each password.
const RANDOM_BYTES: usize = 32;

/// What to do with files that already exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Stop with an error naming the first one; nothing is written.
    Refuse,
    /// Keep them all when all exist (`--if-missing`, for a one-shot service that runs at
    /// every `up`); a partial set is an error, since new values would not match the old ones.
    Keep,
    /// Replace them all with new values (`--force`).
    Replace,
}

/// What `init` is asked to do.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The directory the files go under.
    pub dir: PathBuf,
    /// The NATS server as the coordinator and miners reach it, without credentials; several
    /// URLs separated by commas for a cluster.
    pub nats_url: String,
    pub existing: Existing,
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Written,
    Kept,
}

/// Why nothing (or not everything) was written.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(
        "{} exists; pass --if-missing to keep the existing files or --force to replace them all (then every miner needs the new miner.env)",
        path.display()
    )]
    Exists { path: PathBuf },
    #[error(
        "{} exists but {} does not: the files hold one set of values, so remove the rest of them or pass --force to replace them all",
        existing.display(),
        missing.display()
    )]
    Partial { existing: PathBuf, missing: PathBuf },
    #[error("--nats-url {url:?}: {problem}")]
    NatsUrl { url: String, problem: &'static str },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Random(#[from] RandomError),
    #[error("hashing a NATS password with bcrypt: {0}")]
    Bcrypt(#[from] bcrypt::BcryptError),
}

/// The generated values. `Debug` is not derived: they are secrets.
struct Credentials {
    secret: String,
    coordinator_password: String,
    miner_password: String,
}

impl Credentials {
    fn generate() -> Result<Credentials, RandomError> {
        // URL-safe base64 without padding: the passwords go inside NATS URLs, and neither
        // value needs quoting in an env file, a shell or TOML.
        let fresh = || {
            random_bytes::<RANDOM_BYTES>()
                .map(|bytes| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
        };
        Ok(Credentials {
            secret: fresh()?,
            coordinator_password: fresh()?,
            miner_password: fresh()?,
        })
    }
}

/// One file to write: its path under the directory and its text.
#[derive(Debug)]
struct File {
    path: &'static str,
    text: String,
}

/// The paths `init` writes, relative to its directory.
pub const FILES: [&str; 5] = [
    "coordinator/coordinator.env",
    "coordinator/coordinator.toml",
    "miner/miner.env",
    "miner/miner.toml",
    "nats/users.conf",
];

/// Writes the files (or keeps them) and says what happened to each, in [`FILES`] order.
pub fn init(options: &InitOptions) -> Result<Vec<(PathBuf, Outcome)>, InitError> {
    let servers = parse_servers(&options.nats_url)?;
    let paths: Vec<PathBuf> = FILES.iter().map(|f| options.dir.join(f)).collect();
    let existing: Vec<&PathBuf> = paths.iter().filter(|p| p.exists()).collect();
    match (options.existing, existing.first()) {
        (_, None) | (Existing::Replace, _) => {}
        (Existing::Refuse, Some(path)) => {
            return Err(InitError::Exists {
                path: (*path).clone(),
            });
        }
        (Existing::Keep, Some(path)) => {
            if let Some(missing) = paths.iter().find(|p| !p.exists()) {
                return Err(InitError::Partial {
                    existing: (*path).clone(),
                    missing: missing.clone(),
                });
            }
            return Ok(paths.into_iter().map(|p| (p, Outcome::Kept)).collect());
        }
    }
    let files = render(&Credentials::generate()?, &servers)?;
    make_dir(&options.dir, false)?;
    for sub in ["coordinator", "miner", "nats"] {
        make_dir(&options.dir.join(sub), true)?;
    }
    let mut done = Vec::new();
    for file in files {
        let path = options.dir.join(file.path);
        write_private(&path, &file.text)?;
        done.push((path, Outcome::Written));
    }
    Ok(done)
}

/// The servers as `(scheme, host:port)`, checked so that credentials can be put in front of
/// the host and the URL written into TOML and env files as is.
fn parse_servers(list: &str) -> Result<Vec<(&str, &str)>, InitError> {
    let bad = |problem| InitError::NatsUrl {
        url: list.to_owned(),
        problem,
    };
    let mut servers = Vec::new();
    for url in list.split(',').map(str::trim) {
        let (scheme, host) = url
            .split_once("://")
            .ok_or_else(|| bad("each URL needs a scheme, e.g. nats://nats:4222"))?;
        if !matches!(scheme, "nats" | "tls" | "ws" | "wss") {
            return Err(bad("the scheme must be nats, tls, ws or wss"));
        }
        if host.contains('@') {
            return Err(bad(
                "leave the credentials out: init adds a user and a new password",
            ));
        }
        let allowed =
            |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_');
        if host.is_empty() || !host.chars().all(allowed) {
            return Err(bad(
                "the host must be a name or address with an optional :port",
            ));
        }
        servers.push((scheme, host));
    }
    Ok(servers)
}

/// The URL list with `user:password@` in front of every host.
fn with_credentials(servers: &[(&str, &str)], user: &str, password: &str) -> String {
    servers
        .iter()
        .map(|(scheme, host)| format!("{scheme}://{user}:{password}@{host}"))
        .collect::<Vec<_>>()
        .join(",")
}

const HEADER: &str = "# Written by `pegnet-coordinator init`. Secret: keep it private (mode 0600), out of\n# version control, images and logs.\n";

/// Every file's text; pure apart from the bcrypt salts.
fn render(c: &Credentials, servers: &[(&str, &str)]) -> Result<Vec<File>, InitError> {
    let coordinator_url = with_credentials(servers, "coordinator", &c.coordinator_password);
    let miner_url = with_credentials(servers, "miner", &c.miner_password);
    let secret = &c.secret;
    Ok(vec![
        File {
            path: FILES[0],
            text: format!(
                "{HEADER}# The coordinator's environment (docker-compose `env_file`, or `set -a; . ./coordinator.env`).\nPEGNET_MINER_COORDINATORSECRET={secret}\nPEGNET_COORDINATOR_NATSURL={coordinator_url}\n"
            ),
        },
        File {
            path: FILES[1],
            text: format!(
                "{HEADER}# The coordinator's secrets as a config file: `pegnet-coordinator run --config coordinator.toml`\n# (add the other keys of coordinator/coordinator.example.toml, or set them in the environment).\n\n[Miner]\nCoordinatorSecret = \"{secret}\"\n\n[Coordinator]\nNatsUrl = \"{coordinator_url}\"\n"
            ),
        },
        File {
            path: FILES[2],
            text: format!(
                "{HEADER}# A miner's environment (docker-compose `env_file`, or `set -a; . ./miner.env`); the same for every miner.\nPEGNET_MINER_COORDINATORSECRET={secret}\nPEGNET_MINER_MININGCOORDINATORHOST={miner_url}\n"
            ),
        },
        File {
            path: FILES[3],
            text: format!(
                "{HEADER}# A miner's secrets as a config file: `pegnet-miner run --config miner.toml` (add IdentityChain\n# and CoinbaseAddress, see miner/miner.example.toml).\n\n[Miner]\nCoordinatorSecret = \"{secret}\"\nMiningCoordinatorHost = \"{miner_url}\"\n"
            ),
        },
        File {
            path: FILES[4],
            text: format!(
                "{HEADER}# The NATS users' passwords as bcrypt hashes (clients send the plain ones in the env files).\n# nats/compose.conf includes this file and gives the users the rights of nats/permissions.conf.\nPEGNET_NATS_COORDINATOR_PASSWORD: \"{}\"\nPEGNET_NATS_MINER_PASSWORD: \"{}\"\n",
                bcrypt::hash(&c.coordinator_password, BCRYPT_COST)?,
                bcrypt::hash(&c.miner_password, BCRYPT_COST)?,
            ),
        },
    ])
}

/// Creates `dir` (0700) if missing; `private` also brings an existing one to 0700. The top
/// directory may be a volume's root that others set up, so its mode is left alone.
fn make_dir(dir: &Path, private: bool) -> Result<(), InitError> {
    let io = |source| InitError::Io {
        path: dir.to_owned(),
        source,
    };
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io)?;
    if private {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io)?;
    }
    Ok(())
}

/// Writes `text` to `path` with mode 0600, also when the file existed with another mode.
fn write_private(path: &Path, text: &str) -> Result<(), InitError> {
    let io = |source| InitError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    file.set_permissions(fs::Permissions::from_mode(0o600))
        .map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn options(dir: &Path, existing: Existing) -> InitOptions {
        InitOptions {
            dir: dir.to_owned(),
            nats_url: DEFAULT_NATS_URL.into(),
            existing,
        }
    }

    fn env_value(text: &str, name: &str) -> String {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} in {text}"))
            .to_owned()
    }

    #[test]
    fn writes_one_consistent_private_set() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("secrets");
        let done = init(&options(&dir, Existing::Refuse)).unwrap();
        assert_eq!(done.len(), FILES.len());
        assert!(done.iter().all(|(_, o)| *o == Outcome::Written));
        for (path, _) in &done {
            let mode = fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
        }
        for sub in ["", "coordinator", "miner", "nats"] {
            let mode = fs::metadata(dir.join(sub)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{sub}");
        }
        let read = |f: &str| fs::read_to_string(dir.join(f)).unwrap();
        let coordinator_env = read(FILES[0]);
        let miner_env = read(FILES[2]);
        let secret = env_value(&coordinator_env, "PEGNET_MINER_COORDINATORSECRET");
        assert_eq!(secret.len(), 43, "32 bytes in base64");
        pegnet_common::wire::check_secret_strength(&secret).unwrap();
        assert_eq!(
            env_value(&miner_env, "PEGNET_MINER_COORDINATORSECRET"),
            secret
        );
        let coordinator_url = env_value(&coordinator_env, "PEGNET_COORDINATOR_NATSURL");
        let miner_url = env_value(&miner_env, "PEGNET_MINER_MININGCOORDINATORHOST");
        assert!(
            coordinator_url.starts_with("nats://coordinator:"),
            "{coordinator_url}"
        );
        assert!(coordinator_url.ends_with("@nats:4222"), "{coordinator_url}");
        assert!(miner_url.starts_with("nats://miner:"), "{miner_url}");

        // The TOML files say the same and load as config files.
        let config = Config::load(Some(&dir.join(FILES[1])), &serde_json::json!({})).unwrap();
        assert_eq!(config.miner.coordinator_secret, secret);
        assert_eq!(config.coordinator.nats_url, coordinator_url);
        let miner = read(FILES[3]);
        assert!(miner.contains(&format!("CoordinatorSecret = \"{secret}\"")));
        assert!(miner.contains(&format!("MiningCoordinatorHost = \"{miner_url}\"")));

        // users.conf holds bcrypt hashes of the passwords in the URLs, never the passwords.
        let users = read(FILES[4]);
        let password = |url: &str| {
            let (_, rest) = url.split_once("://").unwrap();
            let (userinfo, _) = rest.split_once('@').unwrap();
            userinfo.split_once(':').unwrap().1.to_owned()
        };
        let hash_of = |name: &str| {
            users
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name}: \"")))
                .unwrap()
                .trim_end_matches('"')
                .to_owned()
        };
        for (name, url) in [
            ("PEGNET_NATS_COORDINATOR_PASSWORD", &coordinator_url),
            ("PEGNET_NATS_MINER_PASSWORD", &miner_url),
        ] {
            let plain = password(url);
            assert!(!users.contains(&plain));
            assert!(bcrypt::verify(&plain, &hash_of(name)).unwrap(), "{name}");
        }
    }

    #[test]
    fn existing_files_are_refused_kept_or_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        init(&options(dir, Existing::Refuse)).unwrap();
        let before = fs::read_to_string(dir.join(FILES[0])).unwrap();

        let e = init(&options(dir, Existing::Refuse)).unwrap_err();
        assert!(
            matches!(&e, InitError::Exists { path } if path == &dir.join(FILES[0])),
            "{e}"
        );
        assert!(e.to_string().contains("--if-missing"), "{e}");

        let kept = init(&options(dir, Existing::Keep)).unwrap();
        assert!(kept.iter().all(|(_, o)| *o == Outcome::Kept));
        assert_eq!(fs::read_to_string(dir.join(FILES[0])).unwrap(), before);

        init(&options(dir, Existing::Replace)).unwrap();
        assert_ne!(fs::read_to_string(dir.join(FILES[0])).unwrap(), before);

        fs::remove_file(dir.join(FILES[4])).unwrap();
        let e = init(&options(dir, Existing::Keep)).unwrap_err();
        assert!(
            matches!(&e, InitError::Partial { missing, .. } if missing == &dir.join(FILES[4])),
            "{e}"
        );
    }

    #[test]
    fn nats_urls_get_credentials_or_are_refused() {
        let servers = parse_servers("nats://n1:4222, tls://n2.example.org:4443").unwrap();
        assert_eq!(
            with_credentials(&servers, "miner", "pw"),
            "nats://miner:pw@n1:4222,tls://miner:pw@n2.example.org:4443"
        );
        for bad in [
            "nats:4222",
            "http://nats:4222",
            "nats://u:p@nats:4222",
            "nats://",
            "nats://a\"b",
        ] {
            let e = parse_servers(bad).unwrap_err();
            assert!(e.to_string().starts_with("--nats-url"), "{e}");
        }
    }
}
