//! The devnet's Factom network as a pure state machine: commits, reveals, EC balances, process
//! lists, holding and saved blocks, driven by explicit clock steps. No IO and no clock of its
//! own: every call that depends on time takes `now_ms`, so tests step it deterministically.
//!
//! The rules are factomd's, as a single leader applies them (`reference/factom.md` §2, §4 and
//! `devnet/API-NOTES.md`):
//! - A commit is accepted by the API when it parses, pays 1..=10 credits (11..=20 for a chain)
//!   and its signature verifies; a commit for an entry that already has an unconsumed commit
//!   of the same kind paying as much or more is a *repeated commit*. The balance is not checked
//!   then: an unfunded commit waits in holding until its EC address is funded.
//! - A commit whose timestamp is more than an hour from the node's clock is dropped silently
//!   by factomd's replay filter (the API still says success); so is a byte-identical repeat.
//! - A reveal is accepted by the API when it parses as a valid entry; it is then held until a
//!   paid commit for its entry hash pays for its size and its chain exists (or, for a chain
//!   commit, until the chain does not exist yet and the commit names it).
//! - Entries acknowledged in minute `m` of block `H` land in `H`'s entry blocks, followed by
//!   minute marker `m + 1`. At the end of minute 9 the block is sealed (minute reads 10 and new
//!   messages wait in holding); the next step saves it and starts block `H + 1` at minute 0.

pub mod block;
mod time;

use std::collections::{HashMap, HashSet};

use pegnet_common::factom::{
    Bytes32, CHAIN_COMMIT_LEN, ChainCommit, ChainId, CommitError, ENTRY_COMMIT_LEN, Entry,
    EntryCommit, EntryError, EntryHash, TxId,
};

pub use block::{DirectoryBlock, EblockObject, EntryBlock, LOCAL_NETWORK_ID};
pub use time::date_string;

/// factomd's replay filter: messages stamped further than this from the node's clock are
/// dropped, and held messages expire after it.
pub const REPLAY_WINDOW_MS: u64 = 60 * 60 * 1000;
/// At most this many commits and this many reveals wait in holding; the oldest go first.
pub const HOLDING_LIMIT: usize = 100_000;

/// What the ledger starts from.
#[derive(Debug, Clone)]
pub struct LedgerConfig {
    /// factomd's network id, carried in every directory block.
    pub network_id: u32,
    /// Height of the genesis block, the first saved block.
    pub genesis_height: u32,
    /// Chains that exist from genesis, by their first entries (in the genesis block).
    pub genesis_chains: Vec<Entry>,
}

/// Where the clock stands: the block being built and its minute (0..=9, or 10 while the
/// finished block waits to be saved).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub height: u32,
    pub minute: u8,
}

/// What one clock step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A new minute of the same block began.
    Minute(u8),
    /// Minute 9 ended: the block is sealed and reads minute 10.
    Sealed,
    /// The sealed block was saved and the next one began at minute 0.
    Saved { height: u32 },
}

/// Why the API refuses a commit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommitRejected {
    #[error("invalid commit: {error}")]
    Invalid { error: CommitError },
    #[error("a commit for entry {entry_hash} with equal or greater payment already exists")]
    Repeated { entry_hash: EntryHash },
}

/// The API's answer to an accepted commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitAccepted {
    pub txid: TxId,
    pub entry_hash: EntryHash,
    /// For a chain commit, `SHA256d(chain id)`.
    pub chain_id_hash: Option<Bytes32>,
}

/// The API's answer to an accepted reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevealAccepted {
    pub entry_hash: EntryHash,
    pub chain_id: ChainId,
}

/// Where a commit stands, as `ack` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitStatus {
    Unknown,
    /// In holding (unfunded, or waiting for the block to start).
    Held {
        timestamp_ms: u64,
    },
    /// Paid in the block being built.
    Acked {
        timestamp_ms: u64,
    },
    /// In a saved block, stamped with the block's time.
    Confirmed {
        timestamp_ms: u64,
        block_seconds: i64,
    },
}

/// Where a reveal stands, as `ack` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevealStatus {
    Unknown,
    Held,
    Acked,
    Confirmed { block_seconds: i64 },
}

/// `ack` for a commit transaction id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitAck {
    pub status: CommitStatus,
    /// Known once the commit is in a saved block.
    pub entry_hash: Option<EntryHash>,
}

/// `ack` for an entry hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryAck {
    pub reveal: RevealStatus,
    /// The commit that paid (or would pay) for the entry.
    pub commit: Option<(TxId, CommitStatus)>,
}

/// One line of `pending-entries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingEntry {
    pub entry_hash: EntryHash,
    /// The chain id for reveals, `SHA256d(chain id)` for chain commits, none for entry commits.
    pub chain_id: Option<Bytes32>,
    pub acked: bool,
}

/// What `chain-head` says about a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainHead {
    /// The newest saved entry block, none while the chain exists only in the block being built.
    pub key_mr: Option<Bytes32>,
    pub in_process_list: bool,
}

/// Counters the devnet reports on its status endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counters {
    pub commits_accepted: u64,
    pub commits_paid: u64,
    pub commits_repeated: u64,
    pub commits_invalid: u64,
    pub commits_dropped_stale: u64,
    pub commits_expired: u64,
    pub reveals_accepted: u64,
    pub reveals_invalid: u64,
    pub reveals_expired: u64,
    pub entries_confirmed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CommitKind {
    Entry,
    Chain { chain_id_hash: [u8; 32] },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CommitState {
    Held {
        since_ms: u64,
    },
    Acked,
    Confirmed {
        height: u32,
    },
    /// Expired in holding, or outbid by another commit for the same entry.
    Dropped,
}

#[derive(Debug, Clone)]
struct CommitRecord {
    kind: CommitKind,
    entry_hash: EntryHash,
    credits: u8,
    ec_public_key: [u8; 32],
    timestamp_ms: u64,
    state: CommitState,
    /// The marshalled commit, kept so a saved block can be replayed from disk.
    bytes: Vec<u8>,
    chain_commit: Option<ChainCommit>,
}

#[derive(Debug, Clone, Copy, Default)]
struct RevealRecord {
    held_since_ms: Option<u64>,
    /// The commit that paid for the reveal now in the process list.
    acked: Option<TxId>,
    /// The latest saved block holding the entry, and the commit that paid for it.
    confirmed: Option<(u32, Option<TxId>)>,
}

/// The block being built.
#[derive(Debug, Clone, Default)]
struct ProcessList {
    commits: Vec<TxId>,
    /// Acknowledged reveals in order: minute, entry hash, paying commit.
    reveals: Vec<(u8, EntryHash, Option<TxId>)>,
    new_chains: HashSet<ChainId>,
}

/// One saved block's content, enough to rebuild it: what the on-disk state stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRecord {
    pub height: u32,
    pub timestamp_minutes: u32,
    /// Each acknowledged entry: minute, the entry, and the commit that paid for it (none for
    /// the genesis chains).
    pub entries: Vec<(u8, Entry, Option<Vec<u8>>)>,
}

/// The devnet's Factom state.
#[derive(Debug)]
pub struct Ledger {
    network_id: u32,
    genesis_height: u32,
    position: Position,
    block_start_ms: u64,
    minute_start_ms: u64,
    blocks: Vec<DirectoryBlock>,
    dblock_by_key_mr: HashMap<Bytes32, u32>,
    eblocks: HashMap<Bytes32, EntryBlock>,
    eblock_by_full_hash: HashMap<Bytes32, Bytes32>,
    chain_heads: HashMap<ChainId, Bytes32>,
    entries: HashMap<EntryHash, Entry>,
    reveals: HashMap<EntryHash, RevealRecord>,
    balances: HashMap<[u8; 32], i64>,
    commits: HashMap<TxId, CommitRecord>,
    /// factomd's `Commits` map: paid commits not yet consumed by a reveal, by entry hash.
    open_commits: HashMap<EntryHash, TxId>,
    held_commits: Vec<TxId>,
    held_reveals: Vec<EntryHash>,
    process_list: ProcessList,
    counters: Counters,
}

impl Ledger {
    /// A network whose genesis block, saved at `now_ms`, holds the configured chains; the
    /// clock stands at minute 0 of the next block.
    pub fn new(config: &LedgerConfig, now_ms: u64) -> Ledger {
        let genesis = BlockRecord {
            height: config.genesis_height,
            timestamp_minutes: minutes(now_ms),
            entries: config
                .genesis_chains
                .iter()
                .map(|e| (0, e.clone(), None))
                .collect(),
        };
        Ledger::restore(config, &[genesis], now_ms)
    }

    /// Rebuilds a network from its saved blocks (the first is genesis); the clock stands at
    /// minute 0 of the block after the last. Commits and reveals that were not yet in a saved
    /// block are gone, as they are when a factomd node restarts.
    pub fn restore(config: &LedgerConfig, blocks: &[BlockRecord], now_ms: u64) -> Ledger {
        let mut ledger = Ledger {
            network_id: config.network_id,
            genesis_height: config.genesis_height,
            position: Position {
                height: config.genesis_height,
                minute: 0,
            },
            block_start_ms: now_ms,
            minute_start_ms: now_ms,
            blocks: Vec::new(),
            dblock_by_key_mr: HashMap::new(),
            eblocks: HashMap::new(),
            eblock_by_full_hash: HashMap::new(),
            chain_heads: HashMap::new(),
            entries: HashMap::new(),
            reveals: HashMap::new(),
            balances: HashMap::new(),
            commits: HashMap::new(),
            open_commits: HashMap::new(),
            held_commits: Vec::new(),
            held_reveals: Vec::new(),
            process_list: ProcessList::default(),
            counters: Counters::default(),
        };
        for record in blocks {
            ledger.replay(record);
        }
        ledger.block_start_ms = now_ms;
        ledger.minute_start_ms = now_ms;
        ledger
    }

    fn replay(&mut self, record: &BlockRecord) {
        self.position = Position {
            height: record.height,
            minute: 0,
        };
        for (minute, entry, commit) in &record.entries {
            let hash = entry.hash();
            let txid = commit.as_deref().and_then(|bytes| {
                // Saved commits are told apart by length.
                let (kind, parsed) = parse_commit(bytes, bytes.len() == CHAIN_COMMIT_LEN).ok()?;
                let txid = parsed.txid;
                self.commits.insert(
                    txid,
                    CommitRecord {
                        state: CommitState::Acked,
                        ..CommitRecord::from_parsed(kind, parsed, bytes.to_vec())
                    },
                );
                self.process_list.commits.push(txid);
                Some(txid)
            });
            if !self.chain_heads.contains_key(&entry.chain_id()) {
                self.process_list.new_chains.insert(entry.chain_id());
            }
            self.entries.insert(hash, entry.clone());
            self.process_list.reveals.push((*minute, hash, txid));
        }
        self.save_block(record.timestamp_minutes);
    }

    /// The clock.
    pub fn position(&self) -> Position {
        self.position
    }

    /// The newest saved block's height.
    pub fn saved_height(&self) -> u32 {
        (self.genesis_height + count_u32(self.blocks.len())).saturating_sub(1)
    }

    /// When the block being built and its current minute started.
    pub fn block_start_ms(&self) -> u64 {
        self.block_start_ms
    }

    pub fn minute_start_ms(&self) -> u64 {
        self.minute_start_ms
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Ends the current minute at `now_ms`.
    pub fn step(&mut self, now_ms: u64) -> Step {
        self.minute_start_ms = now_ms;
        let step = match self.position.minute {
            0..=8 => {
                self.position.minute += 1;
                Step::Minute(self.position.minute)
            }
            9 => {
                self.position.minute = 10;
                Step::Sealed
            }
            _ => {
                let saved = self.position.height;
                self.save_block(minutes(self.block_start_ms));
                self.block_start_ms = now_ms;
                Step::Saved { height: saved }
            }
        };
        self.process_holding(now_ms);
        step
    }

    /// The content of every saved block, for the on-disk state.
    pub fn block_record(&self, height: u32) -> Option<BlockRecord> {
        let dblock = self.dblock(height)?;
        let mut entries = Vec::new();
        for (chain, key_mr) in &dblock.entries[3..] {
            let Some(eblock) = self.eblocks.get(key_mr) else {
                continue;
            };
            debug_assert_eq!(eblock.chain, *chain);
            for (hash, marker) in eblock.entries() {
                let Some(entry) = self.entries.get(&hash) else {
                    continue;
                };
                let commit = self
                    .reveals
                    .get(&hash)
                    .and_then(|r| r.confirmed)
                    .filter(|(h, _)| *h == height)
                    .and_then(|(_, txid)| txid)
                    .and_then(|txid| self.commits.get(&txid))
                    .map(|c| c.bytes.clone());
                entries.push((marker - 1, entry.clone(), commit));
            }
        }
        // Replaying in minute order reproduces every entry block's object order.
        entries.sort_by_key(|(minute, _, _)| *minute);
        Some(BlockRecord {
            height,
            timestamp_minutes: dblock.timestamp_minutes,
            entries,
        })
    }

    fn save_block(&mut self, timestamp_minutes: u32) {
        let pl = std::mem::take(&mut self.process_list);
        let height = self.position.height;
        let mut by_chain: HashMap<ChainId, Vec<(u8, EntryHash)>> = HashMap::new();
        for (minute, hash, _) in &pl.reveals {
            if let Some(entry) = self.entries.get(hash) {
                by_chain
                    .entry(entry.chain_id())
                    .or_default()
                    .push((*minute, *hash));
            }
        }
        let mut new_eblocks = Vec::with_capacity(by_chain.len());
        for (chain, list) in by_chain {
            let previous = self
                .chain_heads
                .get(&chain)
                .and_then(|k| self.eblocks.get(k));
            new_eblocks.push(EntryBlock::new(chain, height, previous, &list));
        }
        let dblock = DirectoryBlock::new(
            self.network_id,
            height,
            timestamp_minutes,
            self.blocks.last(),
            &new_eblocks.iter().collect::<Vec<_>>(),
        );
        for eblock in new_eblocks {
            self.chain_heads.insert(eblock.chain, eblock.key_mr);
            self.eblock_by_full_hash
                .insert(eblock.full_hash, eblock.key_mr);
            self.eblocks.insert(eblock.key_mr, eblock);
        }
        for txid in &pl.commits {
            if let Some(c) = self.commits.get_mut(txid) {
                c.state = CommitState::Confirmed { height };
            }
        }
        for (_, hash, txid) in &pl.reveals {
            let record = self.reveals.entry(*hash).or_default();
            record.acked = None;
            record.confirmed = Some((height, *txid));
            self.counters.entries_confirmed += 1;
        }
        self.dblock_by_key_mr.insert(dblock.key_mr, height);
        self.blocks.push(dblock);
        self.position = Position {
            height: height + 1,
            minute: 0,
        };
    }

    // ----------------------------------------------------------------------------------
    // Entry credits

    /// Adds `amount` EC (negative to take away) to `public_key`'s balance; held commits it
    /// can now pay for are processed.
    pub fn fund(&mut self, public_key: [u8; 32], amount: i64, now_ms: u64) {
        let balance = self.balances.entry(public_key).or_insert(0);
        *balance = balance.saturating_add(amount);
        self.process_holding(now_ms);
    }

    /// Sets `public_key`'s balance.
    pub fn set_balance(&mut self, public_key: [u8; 32], balance: i64, now_ms: u64) {
        self.balances.insert(public_key, balance);
        self.process_holding(now_ms);
    }

    pub fn balance(&self, public_key: &[u8; 32]) -> i64 {
        self.balances.get(public_key).copied().unwrap_or(0)
    }

    // ----------------------------------------------------------------------------------
    // Commits and reveals

    /// `commit-entry` / `commit-chain`: `chain` says which the caller asked for.
    pub fn commit(
        &mut self,
        bytes: &[u8],
        chain: bool,
        now_ms: u64,
    ) -> Result<CommitAccepted, CommitRejected> {
        let (kind, parsed) =
            parse_commit(bytes, chain).inspect_err(|_| self.counters.commits_invalid += 1)?;
        let accepted = CommitAccepted {
            txid: parsed.txid,
            entry_hash: parsed.entry_hash,
            chain_id_hash: match kind {
                CommitKind::Chain { chain_id_hash } => Some(Bytes32(chain_id_hash)),
                CommitKind::Entry => None,
            },
        };
        if let Some(open) = self
            .open_commits
            .get(&parsed.entry_hash)
            .and_then(|t| self.commits.get(t))
            && open.kind.same_kind(&kind)
            && open.credits >= parsed.credits
        {
            self.counters.commits_repeated += 1;
            return Err(CommitRejected::Repeated {
                entry_hash: parsed.entry_hash,
            });
        }
        self.counters.commits_accepted += 1;
        if self.commits.contains_key(&parsed.txid) {
            // The replay filter drops a message it has seen.
            return Ok(accepted);
        }
        if parsed.timestamp_ms.abs_diff(now_ms) > REPLAY_WINDOW_MS {
            tracing::warn!(
                txid = %parsed.txid,
                timestamp_ms = parsed.timestamp_ms,
                "commit dropped: its timestamp is more than an hour from the node's clock"
            );
            self.counters.commits_dropped_stale += 1;
            return Ok(accepted);
        }
        let record = CommitRecord {
            state: CommitState::Held { since_ms: now_ms },
            ..CommitRecord::from_parsed(kind, parsed, bytes[..kind.len()].to_vec())
        };
        self.commits.insert(parsed.txid, record);
        push_bounded(&mut self.held_commits, parsed.txid);
        self.process_holding(now_ms);
        Ok(accepted)
    }

    /// `reveal-entry` / `reveal-chain` (one handler in factomd).
    pub fn reveal(&mut self, bytes: &[u8], now_ms: u64) -> Result<RevealAccepted, EntryError> {
        let entry = Entry::unmarshal(bytes).inspect_err(|_| self.counters.reveals_invalid += 1)?;
        self.counters.reveals_accepted += 1;
        let hash = entry.hash();
        let accepted = RevealAccepted {
            entry_hash: hash,
            chain_id: entry.chain_id(),
        };
        let record = self.reveals.entry(hash).or_default();
        if record.acked.is_some() || record.held_since_ms.is_some() {
            // Already in this block or already waiting: the replay filter drops it.
            return Ok(accepted);
        }
        record.held_since_ms = Some(now_ms);
        self.entries.insert(hash, entry);
        push_bounded(&mut self.held_reveals, hash);
        self.process_holding(now_ms);
        Ok(accepted)
    }

    /// Processes what waits in holding: commits whose EC address can pay, then reveals whose
    /// commit and chain are there, until nothing more moves. Nothing moves while the block
    /// is sealed. Expired messages leave holding.
    fn process_holding(&mut self, now_ms: u64) {
        self.expire_holding(now_ms);
        if self.position.minute > 9 {
            return;
        }
        loop {
            let paid = self.pay_held_commits();
            let revealed = self.process_held_reveals();
            if !paid && !revealed {
                break;
            }
        }
    }

    fn expire_holding(&mut self, now_ms: u64) {
        let commits = &mut self.commits;
        let counters = &mut self.counters;
        self.held_commits.retain(|txid| {
            let Some(c) = commits.get_mut(txid) else {
                return false;
            };
            match c.state {
                CommitState::Held { since_ms }
                    if now_ms.saturating_sub(since_ms) > REPLAY_WINDOW_MS =>
                {
                    c.state = CommitState::Dropped;
                    counters.commits_expired += 1;
                    false
                }
                CommitState::Held { .. } => true,
                _ => false,
            }
        });
        let reveals = &mut self.reveals;
        let entries = &mut self.entries;
        self.held_reveals.retain(|hash| {
            let Some(r) = reveals.get_mut(hash) else {
                return false;
            };
            match r.held_since_ms {
                Some(since) if now_ms.saturating_sub(since) > REPLAY_WINDOW_MS => {
                    r.held_since_ms = None;
                    counters.reveals_expired += 1;
                    if r.acked.is_none() && r.confirmed.is_none() {
                        entries.remove(hash);
                        reveals.remove(hash);
                    }
                    false
                }
                Some(_) => true,
                None => false,
            }
        });
    }

    /// Pays every held commit whose address has the credits; true if any was paid.
    fn pay_held_commits(&mut self) -> bool {
        let mut paid_any = false;
        let held = std::mem::take(&mut self.held_commits);
        for txid in held {
            let Some(c) = self.commits.get(&txid) else {
                continue;
            };
            let outbid = self
                .open_commits
                .get(&c.entry_hash)
                .and_then(|t| self.commits.get(t))
                .is_some_and(|open| open.kind.same_kind(&c.kind) && open.credits >= c.credits);
            if outbid {
                if let Some(c) = self.commits.get_mut(&txid) {
                    c.state = CommitState::Dropped;
                }
                continue;
            }
            let balance = self.balances.entry(c.ec_public_key).or_insert(0);
            if *balance < i64::from(c.credits) {
                self.held_commits.push(txid);
                continue;
            }
            *balance -= i64::from(c.credits);
            let entry_hash = c.entry_hash;
            if let Some(c) = self.commits.get_mut(&txid) {
                c.state = CommitState::Acked;
            }
            self.open_commits.insert(entry_hash, txid);
            self.process_list.commits.push(txid);
            self.counters.commits_paid += 1;
            paid_any = true;
        }
        paid_any
    }

    /// Acknowledges every held reveal that can be; true if any was.
    fn process_held_reveals(&mut self) -> bool {
        let mut moved = false;
        let held = std::mem::take(&mut self.held_reveals);
        for hash in held {
            if self.try_acknowledge(hash) {
                moved = true;
            } else {
                self.held_reveals.push(hash);
            }
        }
        moved
    }

    fn try_acknowledge(&mut self, hash: EntryHash) -> bool {
        let Some(entry) = self.entries.get(&hash) else {
            return false;
        };
        let Some(txid) = self.open_commits.get(&hash).copied() else {
            return false;
        };
        let Some(commit) = self.commits.get(&txid) else {
            return false;
        };
        let chain = entry.chain_id();
        let chain_exists =
            self.chain_heads.contains_key(&chain) || self.process_list.new_chains.contains(&chain);
        let payable = match commit.kind {
            CommitKind::Entry => chain_exists && commit.credits >= entry.ec_cost(),
            CommitKind::Chain { .. } => {
                !chain_exists
                    && commit.credits >= 10 + entry.ec_cost()
                    && commit
                        .chain_commit
                        .is_some_and(|cc| cc.matches(&chain, &hash))
            }
        };
        if !payable {
            return false;
        }
        if matches!(commit.kind, CommitKind::Chain { .. }) {
            self.process_list.new_chains.insert(chain);
        }
        self.open_commits.remove(&hash);
        self.process_list
            .reveals
            .push((self.position.minute, hash, Some(txid)));
        let record = self.reveals.entry(hash).or_default();
        record.held_since_ms = None;
        record.acked = Some(txid);
        true
    }

    // ----------------------------------------------------------------------------------
    // Queries

    fn commit_status(&self, c: &CommitRecord) -> CommitStatus {
        match c.state {
            CommitState::Held { .. } => CommitStatus::Held {
                timestamp_ms: c.timestamp_ms,
            },
            CommitState::Acked => CommitStatus::Acked {
                timestamp_ms: c.timestamp_ms,
            },
            CommitState::Confirmed { height } => CommitStatus::Confirmed {
                timestamp_ms: c.timestamp_ms,
                block_seconds: self.block_seconds(height),
            },
            CommitState::Dropped => CommitStatus::Unknown,
        }
    }

    fn block_seconds(&self, height: u32) -> i64 {
        self.dblock(height)
            .map_or(0, |b| i64::from(b.timestamp_minutes) * 60)
    }

    fn reveal_status(&self, hash: &EntryHash) -> RevealStatus {
        let Some(r) = self.reveals.get(hash) else {
            return RevealStatus::Unknown;
        };
        if let Some((height, _)) = r.confirmed {
            RevealStatus::Confirmed {
                block_seconds: self.block_seconds(height),
            }
        } else if r.acked.is_some() {
            RevealStatus::Acked
        } else if r.held_since_ms.is_some() {
            RevealStatus::Held
        } else {
            RevealStatus::Unknown
        }
    }

    /// `ack` with chain `"c"`: the commit with transaction id `txid`.
    pub fn ack_commit(&self, txid: &TxId) -> CommitAck {
        let Some(c) = self.commits.get(txid) else {
            return CommitAck {
                status: CommitStatus::Unknown,
                entry_hash: None,
            };
        };
        let status = self.commit_status(c);
        CommitAck {
            status,
            entry_hash: matches!(status, CommitStatus::Confirmed { .. }).then_some(c.entry_hash),
        }
    }

    /// `ack` with a chain id: the entry with hash `hash`.
    pub fn ack_entry(&self, hash: &EntryHash) -> EntryAck {
        let reveal = self.reveal_status(hash);
        let paying = self.reveals.get(hash).and_then(|r| match reveal {
            RevealStatus::Confirmed { .. } => r.confirmed.and_then(|(_, t)| t),
            RevealStatus::Acked => r.acked,
            _ => None,
        });
        let txid = paying
            .or_else(|| self.open_commits.get(hash).copied())
            .or_else(|| {
                self.held_commits
                    .iter()
                    .find(|t| self.commits.get(t).is_some_and(|c| c.entry_hash == *hash))
                    .copied()
            });
        EntryAck {
            reveal,
            commit: txid.and_then(|t| Some((t, self.commit_status(self.commits.get(&t)?)))),
        }
    }

    /// `entry`: any entry the node has seen, held ones included.
    pub fn entry(&self, hash: &EntryHash) -> Option<&Entry> {
        self.entries.get(hash)
    }

    /// The entries of `chain` saved in block `height`, in entry-block order.
    pub fn chain_entries(&self, chain: &ChainId, height: u32) -> Vec<Entry> {
        let Some(dblock) = self.dblock(height) else {
            return Vec::new();
        };
        dblock
            .entries
            .iter()
            .filter(|(c, _)| c == chain)
            .filter_map(|(_, key_mr)| self.eblocks.get(key_mr))
            .flat_map(EntryBlock::entries)
            .filter_map(|(hash, _)| self.entries.get(&hash).cloned())
            .collect()
    }

    /// Every EC balance (for the on-disk state).
    pub fn balances(&self) -> Vec<([u8; 32], i64)> {
        let mut v: Vec<_> = self.balances.iter().map(|(k, b)| (*k, *b)).collect();
        v.sort();
        v
    }

    /// `entry-block`, by KeyMR or full hash.
    pub fn entry_block(&self, hash: &Bytes32) -> Option<&EntryBlock> {
        let key_mr = self.eblock_by_full_hash.get(hash).unwrap_or(hash);
        self.eblocks.get(key_mr)
    }

    /// The directory block saved at `height`.
    pub fn dblock(&self, height: u32) -> Option<&DirectoryBlock> {
        let index = height.checked_sub(self.genesis_height)?;
        self.blocks.get(usize::try_from(index).ok()?)
    }

    /// `directory-block`, by KeyMR.
    pub fn dblock_by_key_mr(&self, key_mr: &Bytes32) -> Option<&DirectoryBlock> {
        self.dblock(*self.dblock_by_key_mr.get(key_mr)?)
    }

    /// `chain-head`; none when the chain is unknown.
    pub fn chain_head(&self, chain: &ChainId) -> Option<ChainHead> {
        let in_process_list = self.process_list.new_chains.contains(chain)
            || self.process_list.reveals.iter().any(|(_, hash, _)| {
                self.entries
                    .get(hash)
                    .is_some_and(|e| e.chain_id() == *chain)
            });
        match self.chain_heads.get(chain) {
            Some(key_mr) => Some(ChainHead {
                key_mr: Some(*key_mr),
                in_process_list,
            }),
            None if in_process_list => Some(ChainHead {
                key_mr: None,
                in_process_list,
            }),
            None => None,
        }
    }

    /// `pending-entries`: commits and reveals of the block being built, then held reveals,
    /// one line per entry hash.
    pub fn pending_entries(&self) -> Vec<PendingEntry> {
        let mut out: Vec<PendingEntry> = Vec::new();
        let mut seen: HashMap<EntryHash, usize> = HashMap::new();
        let mut add =
            |line: PendingEntry, out: &mut Vec<PendingEntry>| match seen.get(&line.entry_hash) {
                Some(&i) => {
                    if line.chain_id.is_some() {
                        out[i].chain_id = line.chain_id;
                    }
                }
                None => {
                    seen.insert(line.entry_hash, out.len());
                    out.push(line);
                }
            };
        for txid in &self.process_list.commits {
            if let Some(c) = self.commits.get(txid) {
                let chain_id = match c.kind {
                    CommitKind::Chain { chain_id_hash } => Some(Bytes32(chain_id_hash)),
                    CommitKind::Entry => None,
                };
                add(
                    PendingEntry {
                        entry_hash: c.entry_hash,
                        chain_id,
                        acked: true,
                    },
                    &mut out,
                );
            }
        }
        let held = self.held_reveals.iter().map(|h| (h, false));
        let acked = self.process_list.reveals.iter().map(|(_, h, _)| (h, true));
        for (hash, acked) in acked.chain(held) {
            if let Some(entry) = self.entries.get(hash) {
                add(
                    PendingEntry {
                        entry_hash: *hash,
                        chain_id: Some(Bytes32(entry.chain_id().0)),
                        acked,
                    },
                    &mut out,
                );
            }
        }
        out
    }
}

impl CommitKind {
    fn same_kind(&self, other: &CommitKind) -> bool {
        matches!(
            (self, other),
            (CommitKind::Entry, CommitKind::Entry)
                | (CommitKind::Chain { .. }, CommitKind::Chain { .. })
        )
    }

    fn len(&self) -> usize {
        match self {
            CommitKind::Entry => ENTRY_COMMIT_LEN,
            CommitKind::Chain { .. } => CHAIN_COMMIT_LEN,
        }
    }
}

/// The fields every commit has.
#[derive(Debug, Clone, Copy)]
struct ParsedCommit {
    txid: TxId,
    entry_hash: EntryHash,
    credits: u8,
    ec_public_key: [u8; 32],
    timestamp_ms: u64,
    chain_commit: Option<ChainCommit>,
}

impl CommitRecord {
    fn from_parsed(kind: CommitKind, p: ParsedCommit, bytes: Vec<u8>) -> CommitRecord {
        CommitRecord {
            kind,
            entry_hash: p.entry_hash,
            credits: p.credits,
            ec_public_key: p.ec_public_key,
            timestamp_ms: p.timestamp_ms,
            state: CommitState::Dropped,
            bytes,
            chain_commit: p.chain_commit,
        }
    }
}

/// Parses and checks a commit of the kind asked for (`chain`). factomd reads the commit's
/// fixed length and ignores anything after it.
fn parse_commit(bytes: &[u8], chain: bool) -> Result<(CommitKind, ParsedCommit), CommitRejected> {
    let invalid = |error| CommitRejected::Invalid { error };
    let expected = if chain {
        CHAIN_COMMIT_LEN
    } else {
        ENTRY_COMMIT_LEN
    };
    let head = bytes.get(..expected).ok_or(invalid(CommitError::Length {
        expected,
        actual: bytes.len(),
    }))?;
    if chain {
        let c = ChainCommit::parse(head).map_err(invalid)?;
        c.validate().map_err(invalid)?;
        let kind = CommitKind::Chain {
            chain_id_hash: c.chain_id_hash,
        };
        Ok((
            kind,
            ParsedCommit {
                txid: c.txid(),
                entry_hash: c.entry_hash,
                credits: c.credits,
                ec_public_key: c.ec_public_key,
                timestamp_ms: c.timestamp_ms,
                chain_commit: Some(c),
            },
        ))
    } else {
        let c = EntryCommit::parse(head).map_err(invalid)?;
        c.validate().map_err(invalid)?;
        Ok((
            CommitKind::Entry,
            ParsedCommit {
                txid: c.txid(),
                entry_hash: c.entry_hash,
                credits: c.credits,
                ec_public_key: c.ec_public_key,
                timestamp_ms: c.timestamp_ms,
                chain_commit: None,
            },
        ))
    }
}

fn push_bounded<T>(list: &mut Vec<T>, item: T) {
    if list.len() >= HOLDING_LIMIT {
        list.remove(0);
    }
    list.push(item);
}

fn minutes(ms: u64) -> u32 {
    u32::try_from(ms / 60_000).unwrap_or(u32::MAX)
}

fn count_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
