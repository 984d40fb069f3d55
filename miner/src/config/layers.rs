//! The configuration's layers: built-in defaults < TOML file < `PEGNET_MINER_<KEY>`
//! environment variables < command-line flags, merged with figment into a [`MinerConfig`].
//!
//! The environment is passed in ([`Sources::env`]) rather than read here, so it is tested
//! without touching the process's environment; only variables naming a known key are read
//! (other `PEGNET_*` variables belong to other programs). Errors name the key as a user
//! writes it (`Miner.RecordsPerBlock`) and where the value came from.

use std::net::SocketAddr;
use std::path::PathBuf;

use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map, Tag, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde::{Deserialize, Serialize};

use super::{ConfigError, ENV_PREFIX, KEYS, MinerConfig, TABLE, TEXT_KEYS};

/// The command-line flags that set configuration keys; unset flags leave the lower layers
/// alone.
#[derive(Debug, Clone, Default, clap::Args, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Flags {
    /// The NATS URL of the coordinator's broker (Miner.MiningCoordinatorHost) [default: nats://127.0.0.1:4222].
    #[arg(long, value_name = "URL")]
    #[serde(
        rename = "MiningCoordinatorHost",
        skip_serializing_if = "Option::is_none"
    )]
    pub caddr: Option<String>,
    /// The CA (PEM) that signed the NATS server's TLS certificate (Miner.NatsCaFile).
    #[arg(long, value_name = "FILE")]
    #[serde(rename = "NatsCaFile", skip_serializing_if = "Option::is_none")]
    pub nats_ca: Option<PathBuf>,
    /// Hashing threads (Miner.NumberOfMiners); 0 = one per CPU [default: 0].
    #[arg(long, value_name = "N")]
    #[serde(rename = "NumberOfMiners", skip_serializing_if = "Option::is_none")]
    pub miners: Option<usize>,
    /// Best shares kept and sent per block (Miner.RecordsPerBlock) [default: 10].
    #[arg(long, value_name = "X")]
    #[serde(rename = "RecordsPerBlock", skip_serializing_if = "Option::is_none")]
    pub top: Option<usize>,
    /// The identity written in the records (Miner.IdentityChain), required.
    #[arg(long, value_name = "ID")]
    #[serde(rename = "IdentityChain", skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// The FA address rewards are paid to (Miner.CoinbaseAddress), required.
    #[arg(long, value_name = "FA_ADDRESS")]
    #[serde(rename = "CoinbaseAddress", skip_serializing_if = "Option::is_none")]
    pub payout: Option<String>,
    /// The secret shared with the coordinator (Miner.CoordinatorSecret); prefer
    /// PEGNET_MINER_COORDINATORSECRET or the file: flags are visible to other users.
    #[arg(long, value_name = "SECRET")]
    #[serde(rename = "CoordinatorSecret", skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Authenticate to the coordinator (Miner.UseCoordinatorAuthentication) [default: true].
    #[arg(long, value_name = "BOOL")]
    #[serde(
        rename = "UseCoordinatorAuthentication",
        skip_serializing_if = "Option::is_none"
    )]
    pub auth: Option<bool>,
    /// MainNet or TestNet, for the subject prefix (Miner.Network) [default: MainNet].
    #[arg(long, value_name = "NAME")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Subject prefix instead of pegnet.mainnet or pegnet.testnet (Miner.SubjectPrefix).
    #[arg(long, value_name = "PREFIX")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_prefix: Option<String>,
    /// This miner's stable name: metrics label and rate-limit key (Miner.MinerName) [default: the host name].
    #[arg(long, value_name = "NAME")]
    #[serde(rename = "MinerName", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// LXR table size; below 30 is NOT valid on a real network (Miner.LxrBits) [default: 30].
    #[arg(long, value_name = "BITS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lxr_bits: Option<u32>,
    /// LXR table cache directory (Miner.LxrDir) [default: ~/.lxrhash].
    #[arg(long, value_name = "DIR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lxr_dir: Option<PathBuf>,
    /// Share one read-only mapping of the table file among the host's miners instead of a
    /// private huge-page copy (Miner.LxrShared) [default: off].
    #[arg(long)]
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub lxr_shared: bool,
    /// Serve Prometheus metrics here, e.g. 0.0.0.0:9101 (Miner.MetricsAddr) [default: off].
    #[arg(long, value_name = "HOST:PORT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_addr: Option<SocketAddr>,
    /// Log JSON lines instead of text (Miner.LogJson).
    #[arg(long)]
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub log_json: bool,
}

/// Where the configuration comes from, lowest layer first after the built-in defaults.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// A TOML file with a `[Miner]` table.
    pub file: Option<PathBuf>,
    /// The process environment (`std::env::vars()`); only `PEGNET_MINER_<KEY>` of a known
    /// key is read.
    pub env: Vec<(String, String)>,
    /// The command-line flags.
    pub flags: Flags,
}

/// The file's shape: one `[Miner]` table; anything else is refused.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File<T> {
    #[serde(rename = "Miner", default)]
    miner: T,
}

/// Layers the sources over the defaults. The result is not validated yet: call
/// [`MinerConfig::validate`].
pub fn load(sources: &Sources) -> Result<MinerConfig, ConfigError> {
    let mut figment = Figment::from(Serialized::defaults(File {
        miner: MinerConfig::default(),
    }));
    if let Some(path) = &sources.file {
        if !path.is_file() {
            return Err(ConfigError::FileMissing(path.clone()));
        }
        figment = figment.merge(Toml::file_exact(path));
    }
    let file: File<MinerConfig> = figment
        .merge(EnvVars::from_env(&sources.env))
        .merge(Serialized::defaults(File {
            miner: &sources.flags,
        }))
        .extract()
        .map_err(from_figment)?;
    Ok(file.miner)
}

/// The first error figment reports, with the key written the way a user writes it.
fn from_figment(errors: figment::Error) -> ConfigError {
    let Some(error) = errors.into_iter().next() else {
        return ConfigError::Load {
            key: "config".into(),
            reason: "figment reported an empty error".into(),
            origin: String::new(),
        };
    };
    let origin = error.metadata.as_ref().map_or_else(String::new, origin);
    let mut key = error.path.join(".");
    if let figment::error::Kind::UnknownField(found, _) = &error.kind {
        // figment's path usually ends with the unknown key already.
        if error.path.last() != Some(found) {
            if !key.is_empty() {
                key.push('.');
            }
            key.push_str(found);
        }
        return ConfigError::UnknownKey { key, origin };
    }
    if key.is_empty() {
        key = "config".into();
    }
    ConfigError::Load {
        key,
        reason: error.kind.to_string(),
        origin,
    }
}

fn origin(md: &Metadata) -> String {
    match &md.source {
        Some(source) => format!(" (in {} {source})", md.name),
        None => format!(" (in {})", md.name),
    }
}

/// `PEGNET_MINER_<KEY>` variables of known keys, as a figment provider.
struct EnvVars(Vec<(&'static str, String)>);

impl EnvVars {
    fn from_env(env: &[(String, String)]) -> EnvVars {
        let known = env
            .iter()
            .filter_map(|(name, value)| {
                let suffix = name.strip_prefix(ENV_PREFIX)?;
                let key = KEYS.into_iter().find(|k| k.eq_ignore_ascii_case(suffix))?;
                Some((key, value.clone()))
            })
            .collect();
        EnvVars(known)
    }
}

impl Provider for EnvVars {
    fn metadata(&self) -> Metadata {
        Metadata::named("environment variable").interpolater(|_profile, path| {
            let key = path
                .last()
                .map_or(String::new(), |k| k.to_ascii_uppercase());
            format!("{ENV_PREFIX}{key}")
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut miner = Dict::new();
        for (key, raw) in &self.0 {
            let value = if TEXT_KEYS.contains(key) {
                Value::from(raw.clone())
            } else {
                let Ok(parsed) = raw.parse::<Value>();
                parsed
            };
            miner.insert((*key).to_owned(), value);
        }
        let mut root = Dict::new();
        root.insert(TABLE.to_owned(), Value::Dict(Tag::Default, miner));
        Ok(Profile::Default.collect(root))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("miner.toml");
        std::fs::write(
            &path,
            "[Miner]\nNumberOfMiners = 2\nRecordsPerBlock = 3\nIdentityChain = \"file\"\n",
        )
        .unwrap();
        let sources = Sources {
            file: Some(path),
            env: env(&[
                ("PEGNET_MINER_RECORDSPERBLOCK", "5"),
                ("PEGNET_MINER_COORDINATORSECRET", "12345"),
                ("PEGNET_MINER_METRICSADDR", "127.0.0.1:9101"),
                ("PEGNET_MINER_IDENTITYCHAIN", "env"),
                ("PEGNET_COORDINATOR_SECRET", "not ours"),
                ("PEGNET_MINER_NOSUCHKEY", "ignored"),
            ]),
            flags: Flags {
                identity: Some("flag".into()),
                ..Flags::default()
            },
        };
        let c = load(&sources).unwrap();
        assert_eq!(c.number_of_miners, 2);
        assert_eq!(c.records_per_block, 5);
        assert_eq!(c.identity_chain, "flag");
        assert_eq!(c.coordinator_secret, Some("12345".into()));
        assert_eq!(
            c.metrics_addr,
            Some(SocketAddr::from(([127, 0, 0, 1], 9101)))
        );
        assert!(c.use_coordinator_authentication);
    }

    #[test]
    fn env_values_of_the_wrong_type_name_the_variable() {
        let sources = Sources {
            env: env(&[("PEGNET_MINER_NUMBEROFMINERS", "lots")]),
            ..Sources::default()
        };
        let e = load(&sources).unwrap_err().to_string();
        assert!(e.contains("Miner.NumberOfMiners"), "{e}");
        assert!(
            e.contains("PEGNET_MINER_NUMBEROFMINERS") || e.contains("environment"),
            "{e}"
        );
    }

    #[test]
    fn unknown_keys_in_the_file_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("miner.toml");
        std::fs::write(&path, "[Miner]\nNumberOfMinerz = 2\n").unwrap();
        let e = load(&Sources {
            file: Some(path.clone()),
            ..Sources::default()
        })
        .unwrap_err();
        assert!(
            matches!(&e, ConfigError::UnknownKey { key, .. } if key == "Miner.NumberOfMinerz"),
            "{e:?}"
        );
        assert!(e.to_string().contains("miner.toml"), "{e}");
        std::fs::write(&path, "[Minr]\nNumberOfMiners = 2\n").unwrap();
        let e = load(&Sources {
            file: Some(path),
            ..Sources::default()
        })
        .unwrap_err();
        assert!(
            matches!(&e, ConfigError::UnknownKey { key, .. } if key == "Minr"),
            "{e}"
        );
    }
}
