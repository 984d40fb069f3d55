//! A checkpoint: a block whose winners the operator vouches for, so the sync starts there
//! instead of looking back on its own. Written in the config as
//!
//! ```toml
//! [Checkpoint]
//! Height = 300000
//! Winners = ["0123456789abcdef", ...]   # 25 (v1: 10) short hashes, in winner order
//! ```
//!
//! The winners are exactly what the records of block `Height + 1` list (pegnetd's
//! `get-winners`, or `pegnet-coordinator grade` of that block), hex, or all `""` at a chain's
//! very start.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use pegnet_common::opr::{Network, ShortHash, grading};

/// A graded block and its winners.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Checkpoint {
    /// The block's height.
    pub height: u32,
    /// Its winners' short hashes (16 hex characters each) in winner order, or the previous
    /// winners it carried forward; `""` for the empty winners of a chain's start.
    pub winners: Vec<String>,
}

/// Why a checkpoint cannot be used; the message names the config key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("config key `Checkpoint.Winners[{index}]` = {value:?}: not 16 hex characters or \"\"")]
    Winner { index: usize, value: String },
    #[error("config key `Checkpoint.Winners`: {source}")]
    Shape {
        #[source]
        source: grading::GradeError,
    },
    #[error(
        "config key `Checkpoint.Height` = {height}: PegNet is not active on {network} after it"
    )]
    NotActive { height: u32, network: Network },
    #[error("config key `Checkpoint.Winners` disagrees with block {height} in the sync cache {}: fix the checkpoint or delete the cache", cache.display())]
    CacheDisagrees { height: u32, cache: PathBuf },
}

impl Checkpoint {
    /// The winners as the grader takes them, checked against the OPR version of the next
    /// block (whose records must list them).
    pub fn parse(&self, network: Network) -> Result<Vec<Option<ShortHash>>, CheckpointError> {
        let winners = self
            .winners
            .iter()
            .enumerate()
            .map(|(index, value)| {
                parse_winner(value).ok_or_else(|| CheckpointError::Winner {
                    index,
                    value: value.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let next = self.height.saturating_add(1);
        let version = network
            .opr_version(next)
            .ok_or(CheckpointError::NotActive {
                height: self.height,
                network,
            })?;
        grading::expected_winners(version, &winners)
            .map_err(|source| CheckpointError::Shape { source })?;
        Ok(winners)
    }
}

fn parse_winner(value: &str) -> Option<Option<ShortHash>> {
    if value.is_empty() {
        return Some(None);
    }
    let mut out = [0u8; 8];
    hex::decode_to_slice(value, &mut out).ok()?;
    Some(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint(winners: &[&str]) -> Checkpoint {
        Checkpoint {
            height: 300_000,
            winners: winners.iter().map(|w| (*w).to_owned()).collect(),
        }
    }

    #[test]
    fn parses_hex_and_empty_winners() {
        let c = checkpoint(&["0123456789abcdef"; 25]);
        let w = c.parse(Network::MainNet).unwrap();
        assert_eq!(
            w,
            vec![Some([1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]); 25]
        );
        assert_eq!(
            checkpoint(&[""; 25]).parse(Network::MainNet).unwrap(),
            vec![None; 25]
        );
    }

    #[test]
    fn bad_winners_name_the_key() {
        let mut w = vec!["0123456789abcdef"; 25];
        w[3] = "0123";
        let e = checkpoint(&w).parse(Network::MainNet).unwrap_err();
        assert_eq!(
            e,
            CheckpointError::Winner {
                index: 3,
                value: "0123".into()
            }
        );
        assert!(e.to_string().contains("Checkpoint.Winners[3]"), "{e}");
        let e = checkpoint(&["0123456789abcdef"; 24])
            .parse(Network::MainNet)
            .unwrap_err();
        assert!(e.to_string().contains("Checkpoint.Winners"), "{e}");
        let before = Checkpoint {
            height: 1,
            winners: Vec::new(),
        };
        assert!(matches!(
            before.parse(Network::MainNet),
            Err(CheckpointError::NotActive { .. })
        ));
    }
}
