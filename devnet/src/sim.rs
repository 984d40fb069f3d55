//! Simulated competing miners: each block they write valid OPRs for the block being built, so
//! the coordinator's grading and minimum difficulty see a real field rather than only its own
//! records. Each miner has its own identity and payout address, quotes the feed's prices with
//! a small private error, hashes a fixed number of nonces with the devnet's LXR table and
//! writes its best records, paid from the simulator's own EC key.
//!
//! Everything is a pure function of the seed, the height and the chain so far, so tests that
//! turn the simulator on are reproducible.

use std::collections::BTreeMap;
use std::sync::Arc;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use pegnet_common::factom::{Address, EcSigningKey, Entry};
use pegnet_common::opr::{
    BestNonces, Network, OprContent, ShortHash, Verify, assets_for, grade, grading, opr_entry,
    price_to_u64,
};

use crate::config::SimulatedMiners;
use crate::feed::PriceWalk;

/// The simulator's state: the table, its miners, and the winners it has learnt per block.
#[derive(Debug)]
pub struct Simulator {
    table: Arc<lxrhash::Table>,
    network: Network,
    settings: SimulatedMiners,
    seed: u64,
    key: EcSigningKey,
    /// Winners of each graded block (carried forward when a block had too few records).
    winners: BTreeMap<u32, Vec<Option<ShortHash>>>,
}

/// What the miners write for one block.
#[derive(Debug, Clone)]
pub struct Work {
    pub height: u32,
    pub version: u8,
    /// The previous winners the records carry.
    pub winners: Vec<Option<ShortHash>>,
    /// Price of each asset of the version, in USD.
    pub prices: Vec<f64>,
}

impl Simulator {
    pub fn new(
        table: Arc<lxrhash::Table>,
        network: Network,
        settings: SimulatedMiners,
        seed: u64,
    ) -> Simulator {
        let mut key_seed = [0u8; 32];
        key_seed[..8].copy_from_slice(&seed.to_be_bytes());
        key_seed[8..].copy_from_slice(&b"pegnet devnet simulated miners!!"[..24]);
        Simulator {
            table,
            network,
            settings,
            seed,
            key: EcSigningKey::from_seed(&key_seed),
            winners: BTreeMap::new(),
        }
    }

    /// The EC key the simulated miners pay with (the devnet funds it).
    pub fn key(&self) -> &EcSigningKey {
        &self.key
    }

    /// Grades saved block `height` from its OPR-chain entries (in entry-block order) and
    /// remembers its winners for the records of the next block.
    pub fn learn(&mut self, height: u32, entries: &[Entry]) {
        let Some(version) = self.network.opr_version(height) else {
            return;
        };
        let previous = self.previous_winners(height);
        match grade(
            version,
            height,
            entries,
            &previous,
            Verify::Lxr(&self.table),
        ) {
            Ok(graded) => {
                self.winners.insert(height, graded.winners);
            }
            Err(e) => {
                tracing::warn!(height, error = %e, "simulated miners could not grade a block")
            }
        }
        // Only the newest graded block matters for the future.
        while self.winners.len() > 2 {
            self.winners.pop_first();
        }
    }

    /// The winners of the newest graded block below `height`.
    fn previous_winners(&self, height: u32) -> Vec<Option<ShortHash>> {
        self.winners
            .range(..height)
            .next_back()
            .map(|(_, w)| w.clone())
            .unwrap_or_default()
    }

    /// What to mine at `height` with the feed's walk at `step`; none before activation.
    pub fn work(&self, height: u32, walk: &PriceWalk, step: u64) -> Option<Work> {
        let version = self.network.opr_version(height)?;
        let expected = grading::expected_winners(version, &self.previous_winners(height)).ok()?;
        let prices = assets_for(version)?
            .iter()
            .map(|asset| walk.price(asset, step).unwrap_or(1.0))
            .collect();
        Some(Work {
            height,
            version,
            winners: expected,
            prices,
        })
    }

    /// Every miner's best records for `work`: CPU-heavy, run it off the async runtime.
    pub fn mine(&self, work: &Work) -> Vec<Entry> {
        let mut out = Vec::new();
        for miner in 0..self.settings.count {
            out.extend(self.mine_one(work, miner));
        }
        out
    }

    fn mine_one(&self, work: &Work, miner: u32) -> Vec<Entry> {
        let mut rng = ChaCha8Rng::seed_from_u64(
            self.seed ^ (u64::from(work.height) << 20) ^ u64::from(miner),
        );
        let payout_key = EcSigningKey::from_seed(&[miner as u8 ^ 0x5a; 32]);
        let content = OprContent {
            address: Address::factoid_from_public_key(&payout_key.public_key()).to_string(),
            id: format!("devnetsim{miner}"),
            height: i32::try_from(work.height).unwrap_or(i32::MAX),
            winners: work
                .winners
                .iter()
                .map(|w| w.map(|h| h.to_vec()).unwrap_or_default())
                .collect(),
            assets: work
                .prices
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    // Each miner quotes within ±0.2% of the feed; USD stays exactly 1.
                    let noise = if i == 1 {
                        1.0
                    } else {
                        1.0 + rng.random_range(-0.002..0.002)
                    };
                    price_to_u64(p * noise).unwrap_or(1)
                })
                .collect(),
            v1_order: None,
        };
        let Ok(body) = content.encode(work.version) else {
            return Vec::new();
        };
        let opr_hash = pegnet_common::hash::sha256(&body);
        let keep = usize::try_from(self.settings.records_each).unwrap_or(1);
        let mut best = BestNonces::new(keep);
        let prefix = [0xd0, miner as u8];
        for counter in 0..self.settings.hashes_each {
            let mut nonce = prefix.to_vec();
            nonce.extend_from_slice(&counter.to_be_bytes());
            let difficulty = self.table.difficulty(&opr_hash, &nonce);
            best.offer(&nonce, difficulty);
        }
        best.sorted()
            .into_iter()
            .filter_map(|share| {
                opr_entry(
                    self.network.opr_chain_id(),
                    &share.nonce,
                    share.difficulty,
                    work.version,
                    body.clone(),
                )
                .ok()
            })
            .collect()
    }
}
