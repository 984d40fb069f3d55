//! The miner's configuration (DESIGN §7): PegNet's key names in a `[Miner]` table, layered
//! built-in defaults < TOML file < `PEGNET_MINER_<KEY>` environment variables < command-line
//! flags, then validated into [`Settings`] with errors that name the key.
//!
//! [`MinerConfig`] is the configuration as written, with public fields so that tests (and
//! other programs) build it in code; [`load`] (in `layers.rs`) does the layering for the
//! binary, and [`MinerConfig::validate`] turns it into the values the miner runs on.

use std::fmt;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_nats::ServerAddr;
use serde::{Deserialize, Serialize};

use pegnet_common::factom::{Address, AddressKind};
use pegnet_common::opr::{Network, valid_identity};
use pegnet_common::wire::{MAX_SHARES_PER_BATCH, MAX_TEXT_BYTES, Secret, Subjects};

mod layers;

pub use layers::{Flags, Sources, load};

/// The TOML table every key lives in, as in PegNet's config.
pub(crate) const TABLE: &str = "Miner";
/// Environment variables `PEGNET_MINER_<KEY UPPERCASED>` set `Miner.<Key>`.
pub const ENV_PREFIX: &str = "PEGNET_MINER_";
/// Where the miner connects when nothing says otherwise: a local nats-server.
pub const DEFAULT_HOST: &str = "nats://127.0.0.1:4222";
/// How many shares a miner keeps per block unless told otherwise.
pub const DEFAULT_RECORDS_PER_BLOCK: usize = 10;
/// The longest miner name: it is a metrics label and a NATS connection name.
const MAX_NAME_LEN: usize = 64;

/// Every key of the `[Miner]` table, in the order the example config documents them.
pub const KEYS: [&str; 18] = [
    "MiningCoordinatorHost",
    "NatsCaFile",
    "Network",
    "SubjectPrefix",
    "UseCoordinatorAuthentication",
    "CoordinatorSecret",
    "IdentityChain",
    "CoinbaseAddress",
    "MinerName",
    "NumberOfMiners",
    "RecordsPerBlock",
    "LxrBits",
    "LxrDir",
    "LxrShared",
    "StreamIntervalMs",
    "StatsIntervalMs",
    "MetricsAddr",
    "LogJson",
];

/// Keys whose environment value is always text, even when it looks like a number or a
/// boolean (a secret `12345` must stay a string).
pub(crate) const TEXT_KEYS: [&str; 10] = [
    "MiningCoordinatorHost",
    "NatsCaFile",
    "Network",
    "SubjectPrefix",
    "CoordinatorSecret",
    "IdentityChain",
    "CoinbaseAddress",
    "MinerName",
    "LxrDir",
    "MetricsAddr",
];

/// The shared `CoordinatorSecret` as configured. Its `Debug` never shows it, so a logged
/// configuration cannot leak it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConfigSecret(pub String);

impl fmt::Debug for ConfigSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConfigSecret(<redacted>)")
    }
}

impl From<&str> for ConfigSecret {
    fn from(s: &str) -> ConfigSecret {
        ConfigSecret(s.to_owned())
    }
}

/// The configuration as written: every key has a default except `IdentityChain`,
/// `CoinbaseAddress` and (with authentication on) `CoordinatorSecret`, which
/// [`MinerConfig::validate`] requires.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "PascalCase")]
pub struct MinerConfig {
    /// The NATS URL (`--caddr`); `nats://user:password@host:port` for servers with users,
    /// several URLs separated by commas for a cluster.
    pub mining_coordinator_host: String,
    /// A PEM file of the CA that signed the NATS server's certificate (`tls://`, `--nats-ca`);
    /// unset trusts the system's roots only.
    pub nats_ca_file: Option<PathBuf>,
    /// `MainNet` or `TestNet`: picks the subject prefix `pegnet.<network>`.
    pub network: String,
    /// Overrides the subject prefix derived from `Network`.
    pub subject_prefix: Option<String>,
    /// Prove knowledge of `CoordinatorSecret` to the coordinator and check its MACs.
    pub use_coordinator_authentication: bool,
    /// The secret shared with the coordinator (`--secret`).
    pub coordinator_secret: Option<ConfigSecret>,
    /// The identity written in this miner's records (OPR `ID`, `--identity`).
    pub identity_chain: String,
    /// The `FA…` address rewards are paid to (OPR `Address`, `--payout`).
    pub coinbase_address: String,
    /// The stable name of this miner (`--name`): its metrics label and the coordinator's
    /// rate-limiting key. Default: the host name, else `miner-<pid>`.
    pub miner_name: Option<String>,
    /// Hashing threads (`--miners`); 0 means one per available CPU.
    pub number_of_miners: usize,
    /// How many of its best shares a miner keeps and sends per block (`--top`).
    pub records_per_block: usize,
    /// The LXRHash table size (`--lxr-bits`); only 30 is valid on a real network.
    pub lxr_bits: u32,
    /// Where the LXR table is cached; default `~/.lxrhash`, as PegNet.
    pub lxr_dir: Option<PathBuf>,
    /// Map the cache file read-only, one copy shared by every miner on the host, instead of
    /// a private copy on huge pages (`--lxr-shared`). Default off: the private copy hashes
    /// about 40% faster (`pegnet-miner bench --shared` measures it here).
    pub lxr_shared: bool,
    /// How often improvements to the best shares are streamed, in milliseconds.
    pub stream_interval_ms: u64,
    /// How often hashing statistics are published, in milliseconds.
    pub stats_interval_ms: u64,
    /// Where Prometheus metrics are served (`--metrics-addr`); off when unset.
    pub metrics_addr: Option<SocketAddr>,
    /// Log JSON lines instead of text (`--log-json`).
    pub log_json: bool,
    /// A table already in memory, so that several miners in one process (tests) share
    /// one; it must have `lxr_bits` bits. Never read from or written to a file.
    #[serde(skip)]
    pub table: Option<Arc<lxrhash::Table>>,
}

impl Default for MinerConfig {
    fn default() -> MinerConfig {
        MinerConfig {
            mining_coordinator_host: DEFAULT_HOST.to_owned(),
            nats_ca_file: None,
            network: "MainNet".to_owned(),
            subject_prefix: None,
            use_coordinator_authentication: true,
            coordinator_secret: None,
            identity_chain: String::new(),
            coinbase_address: String::new(),
            miner_name: None,
            number_of_miners: 0,
            records_per_block: DEFAULT_RECORDS_PER_BLOCK,
            lxr_bits: lxrhash::PRODUCTION_BITS,
            lxr_dir: None,
            lxr_shared: false,
            stream_interval_ms: 1000,
            stats_interval_ms: 10_000,
            metrics_addr: None,
            log_json: false,
            table: None,
        }
    }
}

/// The configuration validated: what the miner runs on.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The NATS servers, credentials included.
    pub servers: Vec<ServerAddr>,
    /// The CA to trust for the servers' TLS certificates, besides the system's roots.
    pub nats_ca_file: Option<PathBuf>,
    pub subjects: Subjects,
    /// `None` when authentication is off.
    pub secret: Option<Secret>,
    pub identity: String,
    pub payout: String,
    pub name: String,
    /// Hashing threads to start (the coordinator may allow fewer).
    pub threads: u16,
    pub records_per_block: usize,
    pub lxr_bits: u32,
    pub lxr_dir: Option<PathBuf>,
    pub lxr_placement: lxrhash::Placement,
    pub stream_interval: Duration,
    pub stats_interval: Duration,
    pub metrics_addr: Option<SocketAddr>,
    pub table: Option<Arc<lxrhash::Table>>,
}

impl Settings {
    /// The servers for logs: scheme, host and port only, never a password.
    pub fn servers_for_log(&self) -> String {
        self.servers
            .iter()
            .map(|s| format!("{}://{}:{}", s.scheme(), s.host(), s.port()))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A configuration that cannot be used, naming the key (and where the value came from).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `--config` names no file.
    #[error("config file {} does not exist", .0.display())]
    FileMissing(PathBuf),
    /// A key the `[Miner]` table does not have (most likely a typo).
    #[error("{key}: unknown key{origin}; the known keys are Miner.{}", KEYS.join(", Miner."))]
    UnknownKey {
        /// `Miner.<Key>` as written.
        key: String,
        /// ` in <file>`, or empty.
        origin: String,
    },
    /// A value of the wrong type, or a file that is not TOML.
    #[error("{key}: {reason}{origin}")]
    Load {
        /// The key, or `config` when the file as a whole is wrong.
        key: String,
        /// What is wrong, in figment's words.
        reason: String,
        /// ` in <file>`, or empty.
        origin: String,
    },
    /// A required key without a value.
    #[error("Miner.{key} is required: {hint}")]
    Missing {
        /// The key.
        key: &'static str,
        /// How to give it.
        hint: &'static str,
    },
    /// A value that does not pass validation.
    #[error("Miner.{key}: {value} {reason}")]
    Invalid {
        /// The key.
        key: &'static str,
        /// The value, quoted (or `<redacted>` for the secret).
        value: String,
        /// Why it cannot be used.
        reason: String,
    },
}

fn invalid(key: &'static str, value: impl fmt::Debug, reason: impl fmt::Display) -> ConfigError {
    ConfigError::Invalid {
        key,
        value: format!("{value:?}"),
        reason: reason.to_string(),
    }
}

impl MinerConfig {
    /// The defaults with the two keys that have none.
    pub fn new(identity: impl Into<String>, payout: impl Into<String>) -> MinerConfig {
        MinerConfig {
            identity_chain: identity.into(),
            coinbase_address: payout.into(),
            ..MinerConfig::default()
        }
    }

    /// Checks every key and resolves the derived values (subjects, thread count, name).
    pub fn validate(&self) -> Result<Settings, ConfigError> {
        let servers = self.servers()?;
        if let Some(path) = &self.nats_ca_file
            && !path.is_file()
        {
            return Err(invalid(
                "NatsCaFile",
                path,
                "is not a file (a PEM CA certificate)",
            ));
        }
        let subjects = self.subjects()?;
        let secret = self.secret()?;
        if self.identity_chain.is_empty() {
            return Err(ConfigError::Missing {
                key: "IdentityChain",
                hint: "set --identity, PEGNET_MINER_IDENTITYCHAIN or Miner.IdentityChain",
            });
        }
        if !valid_identity(&self.identity_chain) || self.identity_chain.len() > MAX_TEXT_BYTES {
            return Err(invalid(
                "IdentityChain",
                &self.identity_chain,
                "is not a valid identity: only letters, digits and ',' are allowed",
            ));
        }
        if self.coinbase_address.is_empty() {
            return Err(ConfigError::Missing {
                key: "CoinbaseAddress",
                hint: "set --payout, PEGNET_MINER_COINBASEADDRESS or Miner.CoinbaseAddress to your FA address",
            });
        }
        Address::parse_kind(&self.coinbase_address, AddressKind::FactoidPublic).map_err(|e| {
            invalid(
                "CoinbaseAddress",
                &self.coinbase_address,
                format!("is not a valid FA address: {e}"),
            )
        })?;
        let name = self.name()?;
        Ok(Settings {
            servers,
            nats_ca_file: self.nats_ca_file.clone(),
            subjects,
            secret,
            identity: self.identity_chain.clone(),
            payout: self.coinbase_address.clone(),
            name,
            threads: self.threads()?,
            records_per_block: self.records_per_block()?,
            lxr_bits: self.lxr_bits()?,
            lxr_dir: self.lxr_dir.clone(),
            lxr_placement: if self.lxr_shared {
                lxrhash::Placement::Shared
            } else {
                lxrhash::Placement::Private
            },
            stream_interval: interval("StreamIntervalMs", self.stream_interval_ms, 50)?,
            stats_interval: interval("StatsIntervalMs", self.stats_interval_ms, 50)?,
            metrics_addr: self.metrics_addr,
            table: self.table.clone(),
        })
    }

    fn servers(&self) -> Result<Vec<ServerAddr>, ConfigError> {
        let key = "MiningCoordinatorHost";
        let mut servers = Vec::new();
        for url in self.mining_coordinator_host.split(',').map(str::trim) {
            let server = ServerAddr::from_str(url).map_err(|e| {
                // The URL may hold a password: name the key, not the value.
                invalid(key, "<as configured>", format!("is not a NATS URL: {e}"))
            })?;
            servers.push(server);
        }
        Ok(servers)
    }

    fn subjects(&self) -> Result<Subjects, ConfigError> {
        let network = Network::from_str(&self.network)
            .map_err(|e| invalid("Network", &self.network, format!("is not a network: {e}")))?;
        match &self.subject_prefix {
            None => Ok(Subjects::for_network(network)),
            Some(prefix) => Subjects::new(prefix).map_err(|e| {
                invalid(
                    "SubjectPrefix",
                    prefix,
                    format!("is not a usable subject prefix: {e}"),
                )
            }),
        }
    }

    fn secret(&self) -> Result<Option<Secret>, ConfigError> {
        if !self.use_coordinator_authentication {
            return Ok(None);
        }
        let Some(ConfigSecret(secret)) = &self.coordinator_secret else {
            return Err(ConfigError::Missing {
                key: "CoordinatorSecret",
                hint: "Miner.UseCoordinatorAuthentication is true: set the secret shared with the coordinator (PEGNET_MINER_COORDINATORSECRET, --secret or Miner.CoordinatorSecret), or turn authentication off on both sides",
            });
        };
        Secret::configured(secret)
            .map(Some)
            .map_err(|weak| invalid("CoordinatorSecret", "<redacted>", weak))
    }

    fn name(&self) -> Result<String, ConfigError> {
        let Some(name) = &self.miner_name else {
            return Ok(default_name());
        };
        if name.is_empty() || name.len() > MAX_NAME_LEN || !name.chars().all(name_char) {
            return Err(invalid(
                "MinerName",
                name,
                format!(
                    "is not a usable name: 1 to {MAX_NAME_LEN} characters of a-z, A-Z, 0-9, '.', '_' and '-'"
                ),
            ));
        }
        Ok(name.clone())
    }

    fn threads(&self) -> Result<u16, ConfigError> {
        let n = if self.number_of_miners == 0 {
            std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
        } else {
            self.number_of_miners
        };
        // The thread index is the nonce's u16 field; far fewer threads than that make sense.
        const MAX_THREADS: usize = 4096;
        if n > MAX_THREADS {
            return Err(invalid(
                "NumberOfMiners",
                self.number_of_miners,
                format!("is too many threads: at most {MAX_THREADS}"),
            ));
        }
        u16::try_from(n).map_err(|e| invalid("NumberOfMiners", n, e))
    }

    fn records_per_block(&self) -> Result<usize, ConfigError> {
        if !(1..=MAX_SHARES_PER_BATCH).contains(&self.records_per_block) {
            return Err(invalid(
                "RecordsPerBlock",
                self.records_per_block,
                format!("must be 1..={MAX_SHARES_PER_BATCH} (one share batch carries them all)"),
            ));
        }
        Ok(self.records_per_block)
    }

    fn lxr_bits(&self) -> Result<u32, ConfigError> {
        let range = lxrhash::MIN_BITS..=lxrhash::PRODUCTION_BITS;
        if !range.contains(&self.lxr_bits) {
            return Err(invalid(
                "LxrBits",
                self.lxr_bits,
                format!(
                    "must be {}..={} (PegNet uses {})",
                    range.start(),
                    range.end(),
                    lxrhash::PRODUCTION_BITS
                ),
            ));
        }
        if let Some(table) = &self.table
            && table.bits() != self.lxr_bits
        {
            return Err(invalid(
                "LxrBits",
                self.lxr_bits,
                format!(
                    "differs from the table given in code, which has {} bits",
                    table.bits()
                ),
            ));
        }
        Ok(self.lxr_bits)
    }
}

fn interval(key: &'static str, ms: u64, min_ms: u64) -> Result<Duration, ConfigError> {
    const MAX_MS: u64 = 3_600_000;
    if !(min_ms..=MAX_MS).contains(&ms) {
        return Err(invalid(
            key,
            ms,
            format!("must be {min_ms}..={MAX_MS} milliseconds"),
        ));
    }
    Ok(Duration::from_millis(ms))
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// The host name made a valid miner name, else `miner-<pid>`.
fn default_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let cleaned: String = host
        .trim()
        .chars()
        .map(|c| if name_char(c) { c } else { '-' })
        .take(MAX_NAME_LEN)
        .collect();
    if cleaned.is_empty() {
        format!("miner-{}", std::process::id())
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAYOUT: &str = "FA2jK2HcLnRdS94dEcU27rF3meoJfpUcZPSinpb7AwQvPRY6RL1Q";

    fn valid() -> MinerConfig {
        MinerConfig {
            coordinator_secret: Some("s3cret-of-16-bytes-or-more".into()),
            ..MinerConfig::new("acme", PAYOUT)
        }
    }

    #[test]
    fn defaults_validate_once_the_required_keys_are_set() {
        let s = valid().validate().unwrap();
        assert_eq!(s.subjects.prefix(), "pegnet.mainnet");
        assert_eq!(s.records_per_block, 10);
        assert_eq!(s.lxr_bits, 30);
        assert!(s.threads >= 1);
        assert!(s.secret.is_some());
        assert!(!s.name.is_empty());
        assert_eq!(s.servers_for_log(), "nats://127.0.0.1:4222");
    }

    #[test]
    fn required_keys_are_named() {
        let e = MinerConfig::default().validate().unwrap_err().to_string();
        assert!(e.contains("Miner.CoordinatorSecret is required"), "{e}");
        let mut c = valid();
        c.identity_chain.clear();
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("Miner.IdentityChain is required"), "{e}");
    }

    #[test]
    fn bad_values_name_key_and_value() {
        let mut c = valid();
        c.coinbase_address = "FAxyz".into();
        let e = c.validate().unwrap_err().to_string();
        assert!(
            e.starts_with("Miner.CoinbaseAddress: \"FAxyz\" is not a valid FA address: "),
            "{e}"
        );
        let mut c = valid();
        c.identity_chain = "a b".into();
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .starts_with("Miner.IdentityChain: \"a b\"")
        );
        let mut c = valid();
        c.coordinator_secret = Some("  ".into());
        let e = c.validate().unwrap_err().to_string();
        assert!(
            e.starts_with("Miner.CoordinatorSecret: \"<redacted>\""),
            "{e}"
        );
        for weak in ["fifteen-bytes..", "change-me-run-pegnet-coordinator-init"] {
            let mut c = valid();
            c.coordinator_secret = Some(weak.into());
            let e = c.validate().unwrap_err().to_string();
            assert!(
                e.starts_with("Miner.CoordinatorSecret: \"<redacted>\"")
                    && e.contains("pegnet-coordinator init")
                    && !e.contains(weak),
                "{e}"
            );
        }
        let mut c = valid();
        c.nats_ca_file = Some("/nonexistent/ca.pem".into());
        let e = c.validate().unwrap_err().to_string();
        assert!(
            e.starts_with("Miner.NatsCaFile: \"/nonexistent/ca.pem\""),
            "{e}"
        );
        let mut c = valid();
        c.lxr_bits = 31;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .starts_with("Miner.LxrBits: 31")
        );
        let mut c = valid();
        c.network = "moon".into();
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .starts_with("Miner.Network: \"moon\"")
        );
        let mut c = valid();
        c.subject_prefix = Some("a.*".into());
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .starts_with("Miner.SubjectPrefix")
        );
        let mut c = valid();
        c.miner_name = Some("rig 1".into());
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .starts_with("Miner.MinerName")
        );
        let mut c = valid();
        c.records_per_block = 0;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .starts_with("Miner.RecordsPerBlock: 0")
        );
        let mut c = valid();
        c.mining_coordinator_host = "http://u:hunter2@x".into();
        let e = c.validate().unwrap_err().to_string();
        assert!(e.starts_with("Miner.MiningCoordinatorHost"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn auth_off_needs_no_secret() {
        let c = MinerConfig {
            use_coordinator_authentication: false,
            ..MinerConfig::new("acme", PAYOUT)
        };
        assert!(c.validate().unwrap().secret.is_none());
    }

    #[test]
    fn secret_is_never_in_debug_output() {
        let c = valid();
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn every_key_has_a_field() {
        let value = serde_json::to_value(MinerConfig::default()).unwrap();
        let fields: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(fields.len(), KEYS.len());
        for key in KEYS {
            assert!(fields.iter().any(|f| *f == key), "{key}");
        }
        for key in TEXT_KEYS {
            assert!(KEYS.contains(&key), "{key}");
        }
    }
}
