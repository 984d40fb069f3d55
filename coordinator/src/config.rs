//! The coordinator's configuration (DESIGN §7): built-in defaults < a TOML file <
//! `PEGNET_<SECTION>_<KEY>` environment variables < command-line flags, with PegNet's names.
//!
//! Every key has a default documented in `coordinator/coordinator.example.toml`, and
//! [`Config::validate`] turns the raw values into [`Settings`] or an error that names the
//! key. The environment is shared with other programs, so only variables that name one of
//! this file's keys are read; unknown keys in the TOML file are an error (a typo should not
//! silently fall back to a default).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use pegnet_common::factom::{Address, AddressKind, EcSigningKey};
use pegnet_common::opr::Network;
use pegnet_common::wire::{Secret, Subjects};
use serde::{Deserialize, Serialize};

use crate::policy::EntryPolicy;
use crate::price::OracleSection;
use crate::sync::Checkpoint;

/// The `[Miner]` table: PegNet's own keys, in PegNet's meaning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase", default)]
pub struct MinerSection {
    /// `MainNet` or `TestNet`.
    pub network: String,
    /// factomd v2 endpoints, most preferred first, comma-separated (`host:port` or URLs).
    pub factomd_location: String,
    /// The EC key that pays: an `Es…` private key, or an `EC…` address whose key is fetched
    /// from factom-walletd at `WalletdLocation`.
    #[serde(rename = "ECAddress")]
    pub ec_address: String,
    /// factom-walletd, only used when `ECAddress` is an `EC…` address.
    pub walletd_location: String,
    /// The secret miners prove they hold.
    pub coordinator_secret: String,
    pub use_coordinator_authentication: bool,
    /// PegNet's `SubmissionCutOff`: the rank in the previous block whose difficulty becomes
    /// the minimum worth submitting.
    pub submission_cut_off: i64,
    /// Entries written per block (`top`), or per payout address (`per-payout`).
    pub records_per_block: usize,
}

impl Default for MinerSection {
    fn default() -> MinerSection {
        MinerSection {
            network: "MainNet".into(),
            factomd_location: "localhost:8088".into(),
            ec_address: String::new(),
            walletd_location: "localhost:8089".into(),
            coordinator_secret: String::new(),
            use_coordinator_authentication: true,
            submission_cut_off: 200,
            records_per_block: 25,
        }
    }
}

/// The `[Coordinator]` table: what the network-mining split adds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase", default)]
pub struct CoordinatorSection {
    /// The NATS server (user:password in the URL for servers with users).
    pub nats_url: String,
    /// A PEM file of the CA that signed the NATS server's certificate (`tls://`); empty
    /// trusts the system's roots only.
    pub nats_ca_file: String,
    /// Subject prefix; empty means `pegnet.<network>`.
    pub subject_prefix: String,
    /// `all`, `top` or `per-payout`.
    pub entry_policy: String,
    /// LXRHash table size; 30 on a real network.
    pub lxr_bits: u32,
    /// Table cache directory; empty means `~/.lxrhash`.
    pub lxr_dir: String,
    /// Where the graded-chain cache lives; empty means memory only.
    pub state_dir: String,
    /// `/metrics` (Prometheus) and `/status` (JSON); empty turns it off.
    pub http_addr: String,
    pub poll_interval_ms: u64,
    pub factomd_timeout_ms: u64,
    pub challenge_ttl_ms: u64,
    pub auth_failures_per_minute: usize,
    pub max_sessions: usize,
    pub session_idle_seconds: u64,
    /// Shares one session may have accepted per job.
    pub max_shares_per_session: usize,
    /// After the stop signal, how long to wait for final batches before choosing entries.
    pub final_grace_ms: u64,
    pub log_json: bool,
    /// Miners with their own `miner` label in the metrics; the rest are summed as `other`.
    pub metrics_miner_limit: usize,
}

impl Default for CoordinatorSection {
    fn default() -> CoordinatorSection {
        CoordinatorSection {
            nats_url: "nats://127.0.0.1:4222".into(),
            nats_ca_file: String::new(),
            subject_prefix: String::new(),
            entry_policy: "top".into(),
            lxr_bits: lxrhash::PRODUCTION_BITS,
            lxr_dir: String::new(),
            state_dir: String::new(),
            http_addr: "127.0.0.1:9100".into(),
            poll_interval_ms: 1000,
            factomd_timeout_ms: 5000,
            challenge_ttl_ms: 10_000,
            auth_failures_per_minute: 10,
            max_sessions: 1024,
            session_idle_seconds: 120,
            max_shares_per_session: 1000,
            final_grace_ms: 20_000,
            log_json: false,
            metrics_miner_limit: 100,
        }
    }
}

/// The whole file, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(rename = "Miner", default)]
    pub miner: MinerSection,
    #[serde(rename = "Coordinator", default)]
    pub coordinator: CoordinatorSection,
    #[serde(rename = "Oracle", default)]
    pub oracle: OracleSection,
    #[serde(
        rename = "OracleDataSources",
        default = "crate::price::default_data_sources"
    )]
    pub data_sources: BTreeMap<String, i32>,
    #[serde(rename = "OracleAssetDataSourcesPriority", default)]
    pub asset_priority: BTreeMap<String, String>,
    /// Start grading from this block instead of looking back from the chain's tip.
    #[serde(
        rename = "Checkpoint",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub checkpoint: Option<Checkpoint>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            miner: MinerSection::default(),
            coordinator: CoordinatorSection::default(),
            oracle: OracleSection::default(),
            data_sources: crate::price::default_data_sources(),
            asset_priority: BTreeMap::new(),
            checkpoint: None,
        }
    }
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {path} does not exist")]
    MissingFile { path: PathBuf },
    #[error("configuration: {error}")]
    Parse { error: Box<figment::Error> },
    #[error("{key}: {problem}")]
    Invalid { key: &'static str, problem: String },
    /// The price sources; the message starts with the key.
    #[error(transparent)]
    Oracle {
        #[from]
        error: crate::price::OracleConfigError,
    },
}

fn invalid(key: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        problem: problem.into(),
    }
}

/// The most per-miner series a metric may have (plus `other`): more would make every scrape
/// of a large fleet a cardinality problem for Prometheus.
pub const MAX_METRICS_MINER_LIMIT: usize = 10_000;

/// Every key of [`Config`] as `Section.Key`, for the environment mapping.
const KEYS: &[&str] = &[
    "Miner.Network",
    "Miner.FactomdLocation",
    "Miner.ECAddress",
    "Miner.WalletdLocation",
    "Miner.CoordinatorSecret",
    "Miner.UseCoordinatorAuthentication",
    "Miner.SubmissionCutOff",
    "Miner.RecordsPerBlock",
    "Coordinator.NatsUrl",
    "Coordinator.NatsCaFile",
    "Coordinator.SubjectPrefix",
    "Coordinator.EntryPolicy",
    "Coordinator.LxrBits",
    "Coordinator.LxrDir",
    "Coordinator.StateDir",
    "Coordinator.HttpAddr",
    "Coordinator.PollIntervalMs",
    "Coordinator.FactomdTimeoutMs",
    "Coordinator.ChallengeTtlMs",
    "Coordinator.AuthFailuresPerMinute",
    "Coordinator.MaxSessions",
    "Coordinator.SessionIdleSeconds",
    "Coordinator.MaxSharesPerSession",
    "Coordinator.FinalGraceMs",
    "Coordinator.LogJson",
    "Coordinator.MetricsMinerLimit",
    "Oracle.CoinGeckoUrl",
    "Oracle.CoinGeckoKey",
    "Oracle.OpenExchangeRatesUrl",
    "Oracle.OpenExchangeRatesKey",
    "Oracle.ExchangeRateApiUrl",
    "Oracle.ExchangeRateApiKey",
    "Oracle.CoinbaseUrl",
    "Oracle.ECBUrl",
    "Oracle.CoinPaprikaUrl",
    "Oracle.CoinMarketCapUrl",
    "Oracle.CoinMarketCapKey",
    "Oracle.APILayerUrl",
    "Oracle.APILayerKey",
    "Oracle.TimeoutMs",
    "Oracle.CacheTtlSeconds",
    "Oracle.Retries",
];

/// The config key an environment variable (without `PEGNET_`) names, if any:
/// `MINER_ECADDRESS` → `Miner.ECAddress`; `ORACLEDATASOURCES_COINGECKO` →
/// `OracleDataSources.CoinGecko` (a source's priority, so containers can set them too).
fn env_key(var: &str) -> Option<String> {
    if let Some(key) = KEYS
        .iter()
        .find(|k| k.replace('.', "_").eq_ignore_ascii_case(var))
    {
        return Some((*key).to_owned());
    }
    let (table, name) = var.split_once('_')?;
    if !table.eq_ignore_ascii_case("OracleDataSources") {
        return None;
    }
    let source = crate::price::Source::from_name(name)?;
    Some(format!("OracleDataSources.{}", source.name()))
}

impl Config {
    /// Defaults < `file` < environment < `overrides` (flags, as a nested `Section.Key` map).
    pub fn load(file: Option<&Path>, overrides: &serde_json::Value) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::MissingFile {
                    path: path.to_owned(),
                });
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        figment
            .merge(
                // `lowercase(false)` last: figment's `filter_map` resets it to true.
                Env::prefixed("PEGNET_")
                    .filter_map(|k| env_key(k.as_str()).map(Into::into))
                    .lowercase(false),
            )
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|e| ConfigError::Parse { error: Box::new(e) })
    }
}

/// Where the EC key comes from.
#[derive(Debug, Clone)]
pub enum EcKey {
    /// Given in the config.
    Private(EcSigningKey),
    /// Fetched from factom-walletd at start-up.
    Walletd {
        address: Address,
        walletd_url: String,
    },
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub network: Network,
    pub factomd_urls: Vec<String>,
    pub ec_key: EcKey,
    pub secret: Option<Secret>,
    pub submission_cut_off: i64,
    pub records_per_block: usize,
    pub nats_url: String,
    pub nats_ca_file: Option<PathBuf>,
    pub subjects: Subjects,
    pub policy: EntryPolicy,
    pub lxr_bits: u32,
    pub lxr_dir: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
    pub http_addr: Option<SocketAddr>,
    pub poll_interval: Duration,
    pub factomd_timeout: Duration,
    pub challenge_ttl: Duration,
    pub auth_failures_per_minute: usize,
    pub max_sessions: usize,
    pub session_idle: Duration,
    pub max_shares_per_session: usize,
    pub final_grace: Duration,
    pub metrics_miner_limit: usize,
    pub checkpoint: Option<Checkpoint>,
    pub oracle: OracleSection,
    pub data_sources: BTreeMap<String, i32>,
    pub asset_priority: BTreeMap<String, String>,
    /// Only a test sets this: a table already in memory instead of loading one.
    pub table: Option<std::sync::Arc<lxrhash::Table>>,
}

impl Settings {
    /// `Coordinator.NatsUrl` for logs: scheme, host and port of each server, never a password.
    pub fn nats_url_for_log(&self) -> String {
        self.nats_url
            .split(',')
            .map(|url| {
                let url = url.trim();
                match url.split_once("://") {
                    Some((scheme, rest)) => {
                        let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
                        format!("{scheme}://{host}")
                    }
                    None => url.to_owned(),
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl Config {
    /// Checks every value; the error names the key.
    pub fn validate(&self) -> Result<Settings, ConfigError> {
        let (m, c) = (&self.miner, &self.coordinator);
        let network = parse_network(&m.network)?;
        let factomd_urls = parse_urls(&m.factomd_location, "/v2")
            .map_err(|p| invalid("Miner.FactomdLocation", p))?;
        let ec_key = parse_ec_key(&m.ec_address, &m.walletd_location)?;
        let secret = if m.use_coordinator_authentication {
            Some(Secret::configured(&m.coordinator_secret).map_err(|weak| {
                invalid(
                    "Miner.CoordinatorSecret",
                    format!("(required while Miner.UseCoordinatorAuthentication is true) {weak}"),
                )
            })?)
        } else {
            None
        };
        if m.records_per_block == 0 {
            return Err(invalid("Miner.RecordsPerBlock", "must be at least 1"));
        }
        let nats_ca_file = non_empty(&c.nats_ca_file).map(PathBuf::from);
        if let Some(path) = &nats_ca_file
            && !path.is_file()
        {
            return Err(invalid(
                "Coordinator.NatsCaFile",
                format!("{} is not a file (a PEM CA certificate)", path.display()),
            ));
        }
        let subjects = if c.subject_prefix.is_empty() {
            Subjects::for_network(network)
        } else {
            Subjects::new(&c.subject_prefix)
                .map_err(|e| invalid("Coordinator.SubjectPrefix", e.to_string()))?
        };
        let policy = c
            .entry_policy
            .parse()
            .map_err(|e: crate::policy::PolicyError| {
                invalid("Coordinator.EntryPolicy", e.to_string())
            })?;
        if !(lxrhash::MIN_BITS..=lxrhash::MAX_BITS).contains(&c.lxr_bits) {
            return Err(invalid(
                "Coordinator.LxrBits",
                format!(
                    "{} is outside {}..={}",
                    c.lxr_bits,
                    lxrhash::MIN_BITS,
                    lxrhash::MAX_BITS
                ),
            ));
        }
        let http_addr = if c.http_addr.is_empty() {
            None
        } else {
            Some(c.http_addr.parse().map_err(|e| {
                invalid(
                    "Coordinator.HttpAddr",
                    format!("{:?} is not host:port: {e}", c.http_addr),
                )
            })?)
        };
        positive("Coordinator.PollIntervalMs", c.poll_interval_ms)?;
        positive("Coordinator.FactomdTimeoutMs", c.factomd_timeout_ms)?;
        positive("Coordinator.ChallengeTtlMs", c.challenge_ttl_ms)?;
        positive("Coordinator.SessionIdleSeconds", c.session_idle_seconds)?;
        positive("Coordinator.MaxSessions", c.max_sessions as u64)?;
        positive(
            "Coordinator.MaxSharesPerSession",
            c.max_shares_per_session as u64,
        )?;
        if !(1..=MAX_METRICS_MINER_LIMIT).contains(&c.metrics_miner_limit) {
            return Err(invalid(
                "Coordinator.MetricsMinerLimit",
                format!(
                    "{} is outside 1..={MAX_METRICS_MINER_LIMIT}",
                    c.metrics_miner_limit
                ),
            ));
        }
        crate::price::Oracle::new(&self.oracle, &self.data_sources, &self.asset_priority)?;
        Ok(Settings {
            network,
            factomd_urls,
            ec_key,
            secret,
            submission_cut_off: m.submission_cut_off,
            records_per_block: m.records_per_block,
            nats_url: c.nats_url.clone(),
            nats_ca_file,
            subjects,
            policy,
            lxr_bits: c.lxr_bits,
            lxr_dir: non_empty(&c.lxr_dir).map(PathBuf::from),
            state_dir: non_empty(&c.state_dir).map(PathBuf::from),
            http_addr,
            poll_interval: Duration::from_millis(c.poll_interval_ms),
            factomd_timeout: Duration::from_millis(c.factomd_timeout_ms),
            challenge_ttl: Duration::from_millis(c.challenge_ttl_ms),
            auth_failures_per_minute: c.auth_failures_per_minute,
            max_sessions: c.max_sessions,
            session_idle: Duration::from_secs(c.session_idle_seconds),
            max_shares_per_session: c.max_shares_per_session,
            final_grace: Duration::from_millis(c.final_grace_ms),
            metrics_miner_limit: c.metrics_miner_limit,
            checkpoint: self.checkpoint.clone(),
            oracle: self.oracle.clone(),
            data_sources: self.data_sources.clone(),
            asset_priority: self.asset_priority.clone(),
            table: None,
        })
    }
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.trim().is_empty()).then_some(s.trim())
}

fn positive(key: &'static str, v: u64) -> Result<(), ConfigError> {
    if v == 0 {
        return Err(invalid(key, "must be greater than 0"));
    }
    Ok(())
}

fn parse_network(s: &str) -> Result<Network, ConfigError> {
    match s.to_ascii_lowercase().as_str() {
        "mainnet" => Ok(Network::MainNet),
        "testnet" => Ok(Network::TestNet),
        _ => Err(invalid(
            "Miner.Network",
            format!("{s:?} is not MainNet or TestNet"),
        )),
    }
}

/// `host:port`, `http://host:port` or a full URL; comma-separated. A bare `host:port` gets
/// `http://` and `default_path` (PegNet's configs name factomd as `localhost:8088`), and so
/// does a URL with no path.
pub fn parse_urls(list: &str, default_path: &str) -> Result<Vec<String>, String> {
    let urls: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.contains("://") {
                s.to_owned()
            } else {
                format!("http://{s}{default_path}")
            }
        })
        .collect();
    if urls.is_empty() {
        return Err("at least one endpoint is required".into());
    }
    urls.into_iter()
        .map(|u| {
            let mut url =
                reqwest::Url::parse(&u).map_err(|e| format!("{u:?} is not a URL: {e}"))?;
            // `http://node:8088` means the node, as `node:8088` does: its API path is the
            // default one (factomd answers 404 on `/`).
            if url.path() == "/" {
                url.set_path(default_path);
            }
            Ok(url.to_string())
        })
        .collect()
}

fn parse_ec_key(ec_address: &str, walletd: &str) -> Result<EcKey, ConfigError> {
    let s = ec_address.trim();
    if s.is_empty() {
        return Err(invalid(
            "Miner.ECAddress",
            "required: the Es… key (or an EC… address held by factom-walletd) that pays for entries",
        ));
    }
    if s.starts_with("Es") {
        return EcSigningKey::from_private_address(s)
            .map(EcKey::Private)
            .map_err(|e| invalid("Miner.ECAddress", format!("not a valid Es… key: {e}")));
    }
    let address = Address::parse_kind(s, AddressKind::EcPublic).map_err(|e| {
        invalid(
            "Miner.ECAddress",
            format!("{s:?} is neither an Es… key nor an EC… address: {e}"),
        )
    })?;
    let walletd_url = parse_urls(walletd, "/v2")
        .map_err(|p| invalid("Miner.WalletdLocation", p))?
        .remove(0);
    Ok(EcKey::Walletd {
        address,
        walletd_url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("coordinator.example.toml")
    }

    const STRONG: &str = "a-secret-of-at-least-16-bytes";

    fn no_overrides() -> serde_json::Value {
        serde_json::json!({})
    }

    #[test]
    fn a_factomd_url_without_a_path_gets_the_api_path() {
        let urls = parse_urls(
            "localhost:8088, http://devnet:8088, https://node.example:443/, http://a:1/api",
            "/v2",
        )
        .unwrap();
        assert_eq!(
            urls,
            [
                "http://localhost:8088/v2",
                "http://devnet:8088/v2",
                "https://node.example/v2",
                "http://a:1/api",
            ]
        );
        assert!(parse_urls(" , ", "/v2").is_err());
        assert!(parse_urls("http://[::1", "/v2").is_err());
    }

    #[test]
    fn the_example_loads_validates_and_names_every_key() {
        let config = Config::load(Some(&example()), &no_overrides()).unwrap();
        assert_eq!(config, {
            let mut defaults = Config::default();
            defaults.miner.ec_address = config.miner.ec_address.clone();
            defaults.miner.coordinator_secret = config.miner.coordinator_secret.clone();
            defaults
        });
        // The example's secret is published, so it is refused until replaced.
        let e = config.validate().unwrap_err().to_string();
        assert!(e.starts_with("Miner.CoordinatorSecret"), "{e}");
        let mut own = config.clone();
        own.miner.coordinator_secret = STRONG.into();
        own.validate().unwrap();
        let text = std::fs::read_to_string(example()).unwrap();
        for key in KEYS {
            let name = key.split('.').nth(1).unwrap();
            assert!(text.contains(&format!("{name} = ")), "{key} documented");
        }
    }

    #[test]
    fn environment_maps_onto_known_keys_only() {
        let key = |var| env_key(var);
        assert_eq!(key("MINER_ECADDRESS").as_deref(), Some("Miner.ECAddress"));
        assert_eq!(
            key("coordinator_natsurl").as_deref(),
            Some("Coordinator.NatsUrl")
        );
        assert_eq!(key("ORACLE_TIMEOUTMS").as_deref(), Some("Oracle.TimeoutMs"));
        assert_eq!(
            key("ORACLE_APILAYERKEY").as_deref(),
            Some("Oracle.APILayerKey")
        );
        assert_eq!(
            key("ORACLE_COINMARKETCAPKEY").as_deref(),
            Some("Oracle.CoinMarketCapKey")
        );
        assert_eq!(
            key("ORACLEDATASOURCES_COINMARKETCAP").as_deref(),
            Some("OracleDataSources.CoinMarketCap")
        );
        assert_eq!(key("ORACLEDATASOURCES_KITCO"), None);
        // Variables of other programs sharing the prefix are ignored.
        assert_eq!(key("DEVNET_FACTOMD_ADDR"), None);
        assert_eq!(key("NATS_MINER_PASSWORD"), None);
    }

    #[test]
    fn the_nats_url_is_logged_without_its_password() {
        let mut config = Config::default();
        config.miner.ec_address = "Es2S6rtV7wTPbiwEWmcJApE2vfmVXntrWAyRJvyjhnzf1ctkrW8D".into();
        config.miner.coordinator_secret = STRONG.into();
        config.coordinator.nats_url = "nats://coordinator:hunter2@n1:4222, tls://n2:4443".into();
        let settings = config.validate().unwrap();
        assert_eq!(settings.nats_url_for_log(), "nats://n1:4222,tls://n2:4443");
    }

    #[test]
    fn flags_override_the_file() {
        let config = Config::load(
            Some(&example()),
            &serde_json::json!({"Coordinator": {"EntryPolicy": "all"}, "Miner": {"RecordsPerBlock": 3}}),
        )
        .unwrap();
        assert_eq!(config.coordinator.entry_policy, "all");
        assert_eq!(config.miner.records_per_block, 3);
    }

    #[test]
    fn errors_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "[Miner]\nRecordPerBlock = 3\n").unwrap();
        let e = Config::load(Some(&file), &no_overrides())
            .unwrap_err()
            .to_string();
        assert!(e.contains("RecordPerBlock"), "{e}");

        let valid = || {
            let mut c = Config::default();
            c.miner.ec_address = "Es2S6rtV7wTPbiwEWmcJApE2vfmVXntrWAyRJvyjhnzf1ctkrW8D".into();
            c.miner.coordinator_secret = STRONG.into();
            c
        };
        valid().validate().unwrap();
        type Breakage = Box<dyn Fn(&mut Config)>;
        let cases: Vec<(&str, Breakage)> = vec![
            (
                "Miner.ECAddress",
                Box::new(|c| c.miner.ec_address = "EC123".into()),
            ),
            (
                "Miner.ECAddress",
                Box::new(|c| c.miner.ec_address = String::new()),
            ),
            (
                "Miner.CoordinatorSecret",
                Box::new(|c| c.miner.coordinator_secret = " ".into()),
            ),
            (
                "Miner.CoordinatorSecret",
                Box::new(|c| c.miner.coordinator_secret = "fifteen-bytes..".into()),
            ),
            (
                "Miner.CoordinatorSecret",
                Box::new(|c| c.miner.coordinator_secret = "change-me".into()),
            ),
            (
                "Miner.Network",
                Box::new(|c| c.miner.network = "DevNet".into()),
            ),
            (
                "Miner.FactomdLocation",
                Box::new(|c| c.miner.factomd_location = ",".into()),
            ),
            (
                "Miner.RecordsPerBlock",
                Box::new(|c| c.miner.records_per_block = 0),
            ),
            (
                "Coordinator.EntryPolicy",
                Box::new(|c| c.coordinator.entry_policy = "best".into()),
            ),
            (
                "Coordinator.LxrBits",
                Box::new(|c| c.coordinator.lxr_bits = 31),
            ),
            (
                "Coordinator.HttpAddr",
                Box::new(|c| c.coordinator.http_addr = "nowhere".into()),
            ),
            (
                "Coordinator.SubjectPrefix",
                Box::new(|c| c.coordinator.subject_prefix = "a b".into()),
            ),
            (
                "Coordinator.NatsCaFile",
                Box::new(|c| c.coordinator.nats_ca_file = "/nonexistent/ca.pem".into()),
            ),
            (
                "Coordinator.PollIntervalMs",
                Box::new(|c| c.coordinator.poll_interval_ms = 0),
            ),
            (
                "Oracle.",
                Box::new(|c| c.oracle.coingecko_url = "not a url".into()),
            ),
        ];
        for (key, break_it) in cases {
            let mut c = valid();
            break_it(&mut c);
            let e = c.validate().unwrap_err().to_string();
            assert!(e.starts_with(key), "{key}: {e}");
        }
        let mut open = valid();
        open.miner.use_coordinator_authentication = false;
        open.miner.coordinator_secret = String::new();
        assert!(open.validate().unwrap().secret.is_none());
    }
}
