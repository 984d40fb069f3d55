//! The devnet's configuration: built-in defaults < a TOML file < `PEGNET_DEVNET_*` environment
//! variables < command-line flags (the binary layers them with figment), then validated into
//! [`Settings`] with errors that name the key.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use pegnet_common::factom::{Address, AddressKind, EcSigningKey};
use pegnet_common::opr::Network;

/// The development EC key the devnet funds by default, so the whole system runs with no
/// set-up: `Es2S6rtV7wTPbiwEWmcJApE2vfmVXntrWAyRJvyjhnzf1ctkrW8D` (seed bytes 01..20, the
/// key of the test vectors). Public: `EC2gkedyUEQEoqMN2YmMmrnnJMJzH7P5rkT3cqnZTSWsRsrR1aBu`.
/// Never use it on a real network: its secret is published here.
pub const DEV_EC_SECRET: &str = "Es2S6rtV7wTPbiwEWmcJApE2vfmVXntrWAyRJvyjhnzf1ctkrW8D";
/// The public address of [`DEV_EC_SECRET`].
pub const DEV_EC_ADDRESS: &str = "EC2gkedyUEQEoqMN2YmMmrnnJMJzH7P5rkT3cqnZTSWsRsrR1aBu";

/// How the devnet's clock moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockMode {
    /// Minutes pass in real time (a tenth of the block time each).
    Timed,
    /// Minutes pass only when asked (`POST /devnet/step`, or the library's step calls).
    Stepped,
}

/// The configuration as written: every key has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DevnetConfig {
    /// Where the factomd v2 API listens (`POST /v2`), like factomd's 8088.
    pub factomd_addr: SocketAddr,
    /// Where the price feed listens.
    pub feed_addr: SocketAddr,
    /// Seconds per directory block (ten minutes of a tenth each); the real network's is 600.
    pub block_seconds: u64,
    /// `timed` or `stepped`.
    pub clock: ClockMode,
    /// `MainNet` or `TestNet`: which PegNet chains exist and which OPR version rules apply.
    pub network: String,
    /// The first height at which OPRs are written; the genesis block, holding PegNet's
    /// chains, is the one before. Default: the start of the OPR version asked for, else of
    /// version 5 (PegNet 2.0).
    pub activation_height: Option<u32>,
    /// The OPR version to run (MainNet 1..=5, TestNet 5); picks the activation height when
    /// that is not given, and must agree with it when it is.
    pub opr_version: Option<u8>,
    /// EC balance of the development key [`DEV_EC_ADDRESS`]; 0 leaves it unfunded.
    pub dev_key_balance: i64,
    /// More funded EC addresses, `EC…=AMOUNT` each.
    pub fund: Vec<String>,
    /// Factoshis per EC, as `entry-credit-rate` reports.
    pub ec_rate: i64,
    /// Seed of the price walk and of the simulated miners.
    pub seed: u64,
    /// Simulated competing miners writing OPRs each block (0 = none).
    pub simulated_miners: u32,
    /// Records each simulated miner writes per block.
    pub simulated_records: u32,
    /// Nonces each simulated miner tries per block.
    pub simulated_hashes: u64,
    /// LXR table size for the simulated miners (must match the coordinator's); below 30 is
    /// not valid on a real network.
    pub lxr_bits: u32,
    /// Where LXR tables are cached; default `~/.lxrhash`.
    pub lxr_dir: Option<PathBuf>,
    /// Keep the chain in this directory across restarts; in memory when unset.
    pub state_dir: Option<PathBuf>,
}

impl Default for DevnetConfig {
    fn default() -> Self {
        DevnetConfig {
            factomd_addr: SocketAddr::from(([127, 0, 0, 1], 8088)),
            feed_addr: SocketAddr::from(([127, 0, 0, 1], 8077)),
            block_seconds: 60,
            clock: ClockMode::Timed,
            network: "MainNet".to_owned(),
            activation_height: None,
            opr_version: None,
            dev_key_balance: 1_000_000,
            fund: Vec::new(),
            ec_rate: 1000,
            seed: 1,
            simulated_miners: 0,
            simulated_records: 3,
            simulated_hashes: 2000,
            lxr_bits: 20,
            lxr_dir: None,
            state_dir: None,
        }
    }
}

/// A configuration value that cannot be used, named by its key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("config key `{key}` = {value:?}: {reason}")]
pub struct ConfigError {
    pub key: &'static str,
    pub value: String,
    pub reason: String,
}

fn bad(key: &'static str, value: impl ToString, reason: impl ToString) -> ConfigError {
    ConfigError {
        key,
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

/// The simulated competing miners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimulatedMiners {
    pub count: u32,
    pub records_each: u32,
    pub hashes_each: u64,
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub factomd_addr: SocketAddr,
    pub feed_addr: SocketAddr,
    pub block_time: Duration,
    pub clock: ClockMode,
    pub network: Network,
    pub genesis_height: u32,
    pub opr_version: u8,
    /// EC public keys and their starting balances.
    pub funding: Vec<([u8; 32], i64)>,
    pub ec_rate: i64,
    pub seed: u64,
    pub simulated: SimulatedMiners,
    pub lxr_bits: u32,
    pub lxr_dir: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
}

impl DevnetConfig {
    /// The defaults with a stepped clock and both servers on ports the OS picks: what tests
    /// start, so several run side by side and none waits on a real clock.
    pub fn stepped_on_free_ports() -> DevnetConfig {
        DevnetConfig {
            factomd_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            feed_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            clock: ClockMode::Stepped,
            ..DevnetConfig::default()
        }
    }

    /// Checks every key and resolves the derived values.
    pub fn validate(&self) -> Result<Settings, ConfigError> {
        if !(1..=86_400).contains(&self.block_seconds) {
            return Err(bad(
                "block_seconds",
                self.block_seconds,
                "must be 1..=86400 (the real network's is 600)",
            ));
        }
        let network: Network = self
            .network
            .parse()
            .map_err(|e| bad("network", &self.network, e))?;
        let (activation, version) = self.activation(network)?;
        let mut funding = Vec::new();
        if self.dev_key_balance < 0 {
            return Err(bad("dev_key_balance", self.dev_key_balance, "must be >= 0"));
        }
        if self.dev_key_balance > 0 {
            let key = EcSigningKey::from_private_address(DEV_EC_SECRET)
                .map_err(|e| bad("dev_key_balance", DEV_EC_SECRET, e))?;
            funding.push((key.public_key(), self.dev_key_balance));
        }
        for item in &self.fund {
            funding.push(parse_funding(item).map_err(|reason| bad("fund", item, reason))?);
        }
        if self.ec_rate <= 0 {
            return Err(bad("ec_rate", self.ec_rate, "must be > 0"));
        }
        if !(lxrhash::MIN_BITS..=lxrhash::PRODUCTION_BITS).contains(&self.lxr_bits) {
            return Err(bad(
                "lxr_bits",
                self.lxr_bits,
                format!(
                    "must be {}..={}",
                    lxrhash::MIN_BITS,
                    lxrhash::PRODUCTION_BITS
                ),
            ));
        }
        if self.simulated_miners > 0 && self.simulated_records == 0 {
            return Err(bad(
                "simulated_records",
                0,
                "simulated miners must write at least one record each",
            ));
        }
        if self.simulated_miners > 100 {
            return Err(bad(
                "simulated_miners",
                self.simulated_miners,
                "at most 100",
            ));
        }
        Ok(Settings {
            factomd_addr: self.factomd_addr,
            feed_addr: self.feed_addr,
            block_time: Duration::from_secs(self.block_seconds),
            clock: self.clock,
            network,
            genesis_height: activation - 1,
            opr_version: version,
            funding,
            ec_rate: self.ec_rate,
            seed: self.seed,
            simulated: SimulatedMiners {
                count: self.simulated_miners,
                records_each: self.simulated_records,
                hashes_each: self.simulated_hashes,
            },
            lxr_bits: self.lxr_bits,
            lxr_dir: self.lxr_dir.clone(),
            state_dir: self.state_dir.clone(),
        })
    }

    /// The activation height and the OPR version in force there.
    fn activation(&self, network: Network) -> Result<(u32, u8), ConfigError> {
        let activation = match (self.activation_height, self.opr_version) {
            (Some(h), _) => h,
            (None, Some(v)) => network.first_height(v).ok_or_else(|| {
                bad(
                    "opr_version",
                    v,
                    format!("{network} has no OPR version {v} (MainNet 1..=5, TestNet 5)"),
                )
            })?,
            (None, None) => network.first_height(5).unwrap_or(0),
        };
        // The genesis block sits below the activation height.
        let activation = activation.max(1);
        let version = network.opr_version(activation).ok_or_else(|| {
            bad(
                "activation_height",
                activation,
                format!("{network} has no OPR version at this height"),
            )
        })?;
        if let Some(v) = self.opr_version
            && v != version
        {
            return Err(bad(
                "opr_version",
                v,
                format!("{network} runs version {version} at activation height {activation}"),
            ));
        }
        Ok((activation, version))
    }
}

/// `EC…=AMOUNT`.
fn parse_funding(item: &str) -> Result<([u8; 32], i64), String> {
    let (address, amount) = item.split_once('=').ok_or("expected EC_ADDRESS=AMOUNT")?;
    let address = Address::parse_kind(address.trim(), AddressKind::EcPublic)
        .map_err(|e| format!("not an EC public address: {e}"))?;
    let amount: i64 = amount
        .trim()
        .parse()
        .map_err(|e| format!("amount is not a whole number of EC: {e}"))?;
    if amount < 0 {
        return Err("amount must be >= 0".to_owned());
    }
    Ok((*address.body(), amount))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_to_a_mainnet_v5_devnet_with_the_dev_key_funded() {
        let s = DevnetConfig::default().validate().unwrap();
        assert_eq!(s.network, Network::MainNet);
        assert_eq!(s.opr_version, 5);
        assert_eq!(s.genesis_height, 258_795);
        assert_eq!(s.block_time, Duration::from_secs(60));
        let dev = EcSigningKey::from_private_address(DEV_EC_SECRET).unwrap();
        assert_eq!(dev.public_address().to_string(), DEV_EC_ADDRESS);
        assert_eq!(s.funding, vec![(dev.public_key(), 1_000_000)]);
    }

    #[test]
    fn version_and_activation_height_agree() {
        let c = DevnetConfig {
            opr_version: Some(3),
            ..DevnetConfig::default()
        };
        let s = c.validate().unwrap();
        assert_eq!((s.opr_version, s.genesis_height), (3, 222_269));
        let c = DevnetConfig {
            opr_version: Some(3),
            activation_height: Some(300_000),
            ..DevnetConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().key, "opr_version");
        let c = DevnetConfig {
            network: "TestNet".into(),
            activation_height: Some(10),
            ..DevnetConfig::default()
        };
        assert_eq!(c.validate().unwrap().opr_version, 5);
        let c = DevnetConfig {
            activation_height: Some(100),
            ..DevnetConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().key, "activation_height");
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases: Vec<(DevnetConfig, &str)> = vec![
            (
                DevnetConfig {
                    block_seconds: 0,
                    ..DevnetConfig::default()
                },
                "block_seconds",
            ),
            (
                DevnetConfig {
                    network: "LocalNet".into(),
                    ..DevnetConfig::default()
                },
                "network",
            ),
            (
                DevnetConfig {
                    fund: vec!["FA2jK2HcLnRdS94dEcU27rF3meoJfpUcZPSinpb7AwQvPRY6RL1Q=5".into()],
                    ..DevnetConfig::default()
                },
                "fund",
            ),
            (
                DevnetConfig {
                    fund: vec![format!("{DEV_EC_ADDRESS}=lots")],
                    ..DevnetConfig::default()
                },
                "fund",
            ),
            (
                DevnetConfig {
                    lxr_bits: 31,
                    ..DevnetConfig::default()
                },
                "lxr_bits",
            ),
            (
                DevnetConfig {
                    ec_rate: 0,
                    ..DevnetConfig::default()
                },
                "ec_rate",
            ),
        ];
        for (config, key) in cases {
            let e = config.validate().unwrap_err();
            assert_eq!(e.key, key, "{e}");
        }
    }

    #[test]
    fn funding_parses() {
        let c = DevnetConfig {
            dev_key_balance: 0,
            fund: vec![format!("{DEV_EC_ADDRESS} = 42")],
            ..DevnetConfig::default()
        };
        let s = c.validate().unwrap();
        let dev = EcSigningKey::from_private_address(DEV_EC_SECRET).unwrap();
        assert_eq!(s.funding, vec![(dev.public_key(), 42)]);
    }
}
