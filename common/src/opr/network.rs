//! Networks, their OPR chains, and which OPR version applies at a height.

use std::fmt;
use std::str::FromStr;

use crate::factom::{ChainId, chain_id};

/// First MainNet height of each OPR version (`common/activation.go` in PegNet).
const MAINNET_V1: u32 = 206_422;
const MAINNET_V2: u32 = 210_330;
const MAINNET_V3: u32 = 222_270;
const MAINNET_V4: u32 = 231_620;
const MAINNET_V5: u32 = 258_796;

/// A PegNet network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    MainNet,
    /// PegNet's public test network, `TestNet-pM7` on chain.
    TestNet,
}

/// Why a network name is not recognised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown network {0:?}: expected MainNet or TestNet")]
pub struct NetworkError(pub String);

impl Network {
    /// The network's name inside PegNet chain names.
    pub fn chain_name(self) -> &'static str {
        match self {
            Network::MainNet => "MainNet",
            Network::TestNet => "TestNet-pM7",
        }
    }

    /// The OPR chain: `["PegNet", <network>, "OraclePriceRecords"]`.
    pub fn opr_chain_id(self) -> ChainId {
        chain_id(&[
            b"PegNet".as_slice(),
            self.chain_name().as_bytes(),
            b"OraclePriceRecords",
        ])
    }

    /// The first height at which `version` is in force, or `None` if the network never uses
    /// it (TestNet is version 5 from height 0).
    pub fn first_height(self, version: u8) -> Option<u32> {
        match (self, version) {
            (Network::TestNet, 5) => Some(0),
            (Network::TestNet, _) => None,
            (Network::MainNet, 1) => Some(MAINNET_V1),
            (Network::MainNet, 2) => Some(MAINNET_V2),
            (Network::MainNet, 3) => Some(MAINNET_V3),
            (Network::MainNet, 4) => Some(MAINNET_V4),
            (Network::MainNet, 5) => Some(MAINNET_V5),
            (Network::MainNet, _) => None,
        }
    }

    /// The OPR version in force at `height`, or `None` before PegNet activated.
    pub fn opr_version(self, height: u32) -> Option<u8> {
        match self {
            Network::TestNet => Some(5),
            Network::MainNet => match height {
                h if h >= MAINNET_V5 => Some(5),
                h if h >= MAINNET_V4 => Some(4),
                h if h >= MAINNET_V3 => Some(3),
                h if h >= MAINNET_V2 => Some(2),
                h if h >= MAINNET_V1 => Some(1),
                _ => None,
            },
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Network::MainNet => "MainNet",
            Network::TestNet => "TestNet",
        })
    }
}

impl FromStr for Network {
    type Err = NetworkError;

    /// Case-insensitive, as PegNet's `Miner.Network`; `TestNet-pM7` is accepted too.
    fn from_str(s: &str) -> Result<Network, NetworkError> {
        match s.to_ascii_lowercase().as_str() {
            "mainnet" => Ok(Network::MainNet),
            "testnet" | "testnet-pm7" => Ok(Network::TestNet),
            _ => Err(NetworkError(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Network;

    #[test]
    fn first_height_starts_each_version() {
        for v in 1..=5u8 {
            let h = Network::MainNet.first_height(v).unwrap();
            assert_eq!(Network::MainNet.opr_version(h), Some(v));
            assert_ne!(Network::MainNet.opr_version(h - 1), Some(v));
        }
        assert_eq!(Network::MainNet.first_height(6), None);
        assert_eq!(Network::TestNet.first_height(5), Some(0));
        assert_eq!(Network::TestNet.first_height(4), None);
    }
}
