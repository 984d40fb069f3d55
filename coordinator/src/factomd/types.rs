//! The results of the factomd v2 methods the coordinator calls, as typed data.
//!
//! Field names and number types follow `devnet/API-NOTES.md` (factomd's `wsapiStructs.go`):
//! numbers are int64 unless the notes say otherwise, hashes are the common crate's 32-byte
//! newtypes, `omitempty` fields are `Option`, lists Go may marshal as `null` decode as empty.
//! Unknown fields are ignored, so a newer factomd adding keys does not break the coordinator.
//! Units that factomd mixes (seconds, milliseconds, minutes, nanoseconds) are in the names.

use pegnet_common::factom::{Bytes32, ChainId, EntryHash, TxId};
use serde::Deserialize;

use super::hex_field;

/// `heights`: how far this node has got.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Heights {
    /// The highest saved directory block.
    #[serde(rename = "directoryblockheight")]
    pub directory_block_height: i64,
    /// The height this node believes the leader has finished (equal to
    /// `directory_block_height` in steady state, ahead while syncing).
    #[serde(rename = "leaderheight")]
    pub leader_height: i64,
    /// The highest saved entry block height (same as `directory_block_height`).
    #[serde(rename = "entryblockheight")]
    pub entry_block_height: i64,
    /// The height up to which all entries are in the database.
    #[serde(rename = "entryheight")]
    pub entry_height: i64,
}

impl Heights {
    /// The block being built: `directory_block_height + 1`, as PegNet's monitor computes it.
    pub fn building_height(&self) -> i64 {
        self.directory_block_height.saturating_add(1)
    }
}

/// `current-minute`: the node's clock within the block being built.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CurrentMinute {
    /// See [`Heights::leader_height`].
    #[serde(rename = "leaderheight")]
    pub leader_height: i64,
    /// The highest saved directory block.
    #[serde(rename = "directoryblockheight")]
    pub directory_block_height: i64,
    /// 0..=9 normally; factomd transiently reports 10 between minute 9's end and the next
    /// block's start, so this is not range-checked.
    pub minute: i64,
    /// When the current block started, Unix nanoseconds.
    #[serde(rename = "currentblockstarttime")]
    pub current_block_start_ns: i64,
    /// When the current minute started, Unix nanoseconds (0 before the first minute).
    #[serde(rename = "currentminutestarttime")]
    pub current_minute_start_ns: i64,
    /// The node's clock when it answered, Unix nanoseconds.
    #[serde(rename = "currenttime")]
    pub current_time_ns: i64,
    /// The block time in seconds (600 on MainNet).
    #[serde(rename = "directoryblockinseconds")]
    pub directory_block_seconds: i64,
    /// The node thinks it is stalled. Defaults to false if an older node omits it.
    #[serde(rename = "stalldetected", default)]
    pub stall_detected: bool,
    /// Consensus fault timeout, seconds (0 if omitted by an older node).
    #[serde(rename = "faulttimeout", default)]
    pub fault_timeout_s: i64,
    /// Consensus round timeout, seconds (0 if omitted by an older node).
    #[serde(rename = "roundtimeout", default)]
    pub round_timeout_s: i64,
}

impl CurrentMinute {
    /// The block being built: `directory_block_height + 1`.
    pub fn building_height(&self) -> i64 {
        self.directory_block_height.saturating_add(1)
    }
}

/// `properties`: the node's software versions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Properties {
    /// factomd's version (`"BuiltWithoutVersion"` for an unversioned build).
    #[serde(rename = "factomdversion")]
    pub factomd_version: String,
    /// The API version, `"2.0"`.
    #[serde(rename = "factomdapiversion")]
    pub api_version: String,
}

/// `entry-credit-balance` result.
#[derive(Debug, Deserialize)]
pub(super) struct Balance {
    pub(super) balance: i64,
}

/// factom-walletd's `address` result (its `public` is not needed: the key derives it).
#[derive(Debug, Deserialize)]
pub(super) struct WalletAddress {
    pub(super) secret: String,
}

/// `entry-credit-rate` result.
#[derive(Debug, Deserialize)]
pub(super) struct Rate {
    pub(super) rate: i64,
}

/// `commit-entry`: the commit was accepted into the node's commit map.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CommitEntryResult {
    /// `"Entry Commit Success"`.
    pub message: String,
    /// The commit's transaction id: what `ack` with chain `"c"` takes.
    #[serde(deserialize_with = "hex_field::hex32")]
    pub txid: TxId,
    /// The committed entry hash (`omitempty` in factomd, though always set).
    #[serde(
        rename = "entryhash",
        default,
        deserialize_with = "hex_field::opt_hex32"
    )]
    pub entry_hash: Option<EntryHash>,
}

/// `commit-chain`: the chain commit was accepted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CommitChainResult {
    /// `"Chain Commit Success"`.
    pub message: String,
    /// The commit's transaction id.
    #[serde(deserialize_with = "hex_field::hex32")]
    pub txid: TxId,
    /// The first entry's hash (`omitempty`).
    #[serde(
        rename = "entryhash",
        default,
        deserialize_with = "hex_field::opt_hex32"
    )]
    pub entry_hash: Option<EntryHash>,
    /// SHA256d of the chain id as carried in the commit, **not** the chain id (`omitempty`).
    #[serde(
        rename = "chainidhash",
        default,
        deserialize_with = "hex_field::opt_hex32"
    )]
    pub chain_id_hash: Option<Bytes32>,
}

/// `reveal-entry` / `reveal-chain`: the entry was accepted (not yet acknowledged).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RevealResult {
    /// `"Entry Reveal Success"`.
    pub message: String,
    /// The revealed entry's hash.
    #[serde(rename = "entryhash", deserialize_with = "hex_field::hex32")]
    pub entry_hash: EntryHash,
    /// The entry's chain (`omitempty`; very old nodes leave it out).
    #[serde(rename = "chainid", default, deserialize_with = "hex_field::opt_hex32")]
    pub chain_id: Option<ChainId>,
}

/// An `ack` status string (factomd `constants/ack.go`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AckStatus {
    /// The node has never seen it.
    Unknown,
    /// Seen, but only locally / in holding: not acknowledged by a leader.
    NotConfirmed,
    /// `TransactionACK`: acknowledged by the leader, will be in the current block.
    TransactionAck,
    /// `1Minute`: defined by factomd, rarely produced.
    OneMinute,
    /// In a saved directory block.
    DBlockConfirmed,
    /// Rejected.
    Invalid,
    /// `""`: factomd's placeholder, e.g. `entrydata` of a commit-only ack.
    #[default]
    Empty,
    /// A status this client does not know.
    Other(String),
}

impl AckStatus {
    /// Maps factomd's status string.
    pub fn from_wire(s: &str) -> AckStatus {
        match s {
            "Unknown" => AckStatus::Unknown,
            "NotConfirmed" => AckStatus::NotConfirmed,
            "TransactionACK" => AckStatus::TransactionAck,
            "1Minute" => AckStatus::OneMinute,
            "DBlockConfirmed" => AckStatus::DBlockConfirmed,
            "Invalid" => AckStatus::Invalid,
            "" => AckStatus::Empty,
            other => AckStatus::Other(other.to_owned()),
        }
    }

    /// Acknowledged by the leader or already in a block: it will be (or is) in the chain.
    pub fn is_acknowledged(&self) -> bool {
        matches!(
            self,
            AckStatus::TransactionAck | AckStatus::OneMinute | AckStatus::DBlockConfirmed
        )
    }

    /// Still worth polling: unknown, only held locally, or no status yet. This is where
    /// factomjs keeps polling; every other status ends the wait.
    pub fn is_pending(&self) -> bool {
        matches!(
            self,
            AckStatus::Unknown | AckStatus::NotConfirmed | AckStatus::Empty
        )
    }
}

impl<'de> Deserialize<'de> for AckStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Option::<String>::deserialize(d)?.unwrap_or_default();
        Ok(AckStatus::from_wire(&s))
    }
}

/// The `commitdata` / `entrydata` part of an ack.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct AckData {
    /// The transaction time: Unix **seconds** on most paths, **milliseconds** when an entry
    /// hash is acked as `DBlockConfirmed` (a factomd inconsistency), absent when unknown.
    #[serde(rename = "transactiondate", default)]
    pub transaction_date: Option<i64>,
    /// The transaction time as `2006-01-02 15:04:05` in the node's local zone.
    #[serde(rename = "transactiondatestring", default)]
    pub transaction_date_string: Option<String>,
    /// The directory block's time (seconds, or milliseconds on old nodes), when in a block.
    #[serde(rename = "blockdate", default)]
    pub block_date: Option<i64>,
    /// The block time as `2006-01-02 15:04:05` in the node's local zone.
    #[serde(rename = "blockdatestring", default)]
    pub block_date_string: Option<String>,
    /// The status; always present in factomd's answers, possibly `""`.
    #[serde(default)]
    pub status: AckStatus,
}

/// `ack` for a commit (chain `"c"`) or an entry hash (a chain id): factomd's `EntryStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EntryAck {
    /// The commit's txid: the queried txid for a commit ack; for an entry ack the paying
    /// commit, or `None` (`""`) while no commit is known.
    #[serde(
        rename = "committxid",
        default,
        deserialize_with = "hex_field::opt_hex32"
    )]
    pub commit_txid: Option<TxId>,
    /// The entry hash: the queried hash for an entry ack; for a commit ack `None` (`""`)
    /// until the block is saved.
    #[serde(
        rename = "entryhash",
        default,
        deserialize_with = "hex_field::opt_hex32"
    )]
    pub entry_hash: Option<EntryHash>,
    /// The commit's status (what to read for a commit ack).
    #[serde(rename = "commitdata", default)]
    pub commit_data: AckData,
    /// The reveal's status (what to read for an entry ack).
    #[serde(rename = "entrydata", default)]
    pub entry_data: AckData,
}

/// The wire form of `entry`, converted into a common `Entry` by the client.
#[derive(Debug, Deserialize)]
pub(super) struct EntryJson {
    #[serde(rename = "chainid", deserialize_with = "hex_field::hex32")]
    pub(super) chain_id: ChainId,
    #[serde(rename = "extids", default, deserialize_with = "hex_field::byte_list")]
    pub(super) ext_ids: Vec<Vec<u8>>,
    #[serde(default, deserialize_with = "hex_field::bytes")]
    pub(super) content: Vec<u8>,
}

/// `entry-block`: one chain's entries in one directory block.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EntryBlock {
    /// The header.
    pub header: EntryBlockHeader,
    /// The entries in block order; `null` (no entries) decodes as empty.
    #[serde(
        rename = "entrylist",
        default,
        deserialize_with = "hex_field::null_as_empty"
    )]
    pub entries: Vec<EntryBlockEntry>,
}

/// The header of an [`EntryBlock`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EntryBlockHeader {
    /// The chain's eblock sequence number (0 for its first).
    #[serde(rename = "blocksequencenumber")]
    pub sequence_number: i64,
    /// The chain.
    #[serde(rename = "chainid", deserialize_with = "hex_field::hex32")]
    pub chain_id: ChainId,
    /// The chain's previous eblock KeyMR; all zeros for the first.
    #[serde(rename = "prevkeymr", deserialize_with = "hex_field::hex32")]
    pub prev_keymr: Bytes32,
    /// The directory block's time, Unix **seconds**.
    #[serde(rename = "timestamp")]
    pub timestamp_s: i64,
    /// The directory block height this eblock belongs to.
    #[serde(rename = "dbheight")]
    pub db_height: i64,
}

/// One entry of an [`EntryBlock`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EntryBlockEntry {
    /// The entry hash.
    #[serde(rename = "entryhash", deserialize_with = "hex_field::hex32")]
    pub entry_hash: EntryHash,
    /// Block time plus 60 s per minute marker up to the entry's, Unix **seconds**.
    #[serde(rename = "timestamp")]
    pub timestamp_s: i64,
}

/// `chain-head`: the newest saved entry block of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChainHead {
    /// The KeyMR of the newest saved eblock; `None` (`""`) for a new chain not yet in a
    /// saved block.
    #[serde(
        rename = "chainhead",
        default,
        deserialize_with = "hex_field::opt_hex32"
    )]
    pub chain_head: Option<Bytes32>,
    /// The chain has entries (or is being created) in the block being built.
    #[serde(rename = "chaininprocesslist")]
    pub chain_in_process_list: bool,
}

/// `directory-block`: a directory block by KeyMR.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DirectoryBlock {
    /// The header.
    pub header: DirectoryBlockHeader,
    /// Admin, EC and factoid blocks first, then one eblock per chain; `null` decodes as empty.
    #[serde(
        rename = "entryblocklist",
        default,
        deserialize_with = "hex_field::null_as_empty"
    )]
    pub entry_blocks: Vec<DirectoryBlockEntry>,
}

/// The header of a [`DirectoryBlock`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DirectoryBlockHeader {
    /// The previous directory block's KeyMR.
    #[serde(rename = "prevblockkeymr", deserialize_with = "hex_field::hex32")]
    pub prev_block_keymr: Bytes32,
    /// The directory block height.
    #[serde(rename = "sequencenumber")]
    pub sequence_number: i64,
    /// The block's time, Unix **seconds**.
    #[serde(rename = "timestamp")]
    pub timestamp_s: i64,
}

/// One (chain, block) pair of a directory block.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DirectoryBlockEntry {
    /// The chain (`00…0a`, `00…0c`, `00…0f` for the system blocks).
    #[serde(rename = "chainid", deserialize_with = "hex_field::hex32")]
    pub chain_id: ChainId,
    /// That chain's block in this directory block.
    #[serde(rename = "keymr", deserialize_with = "hex_field::hex32")]
    pub keymr: Bytes32,
}

/// `dblock-by-height`: the directory block's own JSON plus its raw bytes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DirectoryBlockAtHeight {
    /// The decoded block.
    pub dblock: DBlock,
    /// The marshalled block (`rawdata`), hex-decoded.
    #[serde(rename = "rawdata", deserialize_with = "hex_field::bytes")]
    pub raw: Vec<u8>,
}

/// The directory block JSON inside [`DirectoryBlockAtHeight`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DBlock {
    /// SHA-256 of the raw block (its full hash).
    #[serde(rename = "dbhash", deserialize_with = "hex_field::hex32")]
    pub db_hash: Bytes32,
    /// The block's key Merkle root.
    #[serde(deserialize_with = "hex_field::hex32")]
    pub keymr: Bytes32,
    /// `null` in older nodes' answers, a hash in newer ones.
    #[serde(
        rename = "headerhash",
        default,
        deserialize_with = "hex_field::opt_hex32"
    )]
    pub header_hash: Option<Bytes32>,
    /// The header.
    pub header: DBlockHeader,
    /// The (chain, block) pairs in block order; `null` decodes as empty.
    #[serde(
        rename = "dbentries",
        default,
        deserialize_with = "hex_field::null_as_empty"
    )]
    pub entries: Vec<DirectoryBlockEntry>,
}

/// The header of a [`DBlock`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DBlockHeader {
    /// Block version (0).
    pub version: i64,
    /// The network id (`0xFA92E5A2` MainNet, `…A3` TestNet, `…A4` local).
    #[serde(rename = "networkid")]
    pub network_id: u32,
    /// Merkle root of the body.
    #[serde(rename = "bodymr", deserialize_with = "hex_field::hex32")]
    pub body_mr: Bytes32,
    /// The previous block's KeyMR (zero at genesis).
    #[serde(rename = "prevkeymr", deserialize_with = "hex_field::hex32")]
    pub prev_keymr: Bytes32,
    /// The previous block's full hash (zero at genesis).
    #[serde(rename = "prevfullhash", deserialize_with = "hex_field::hex32")]
    pub prev_full_hash: Bytes32,
    /// The block start, Unix **minutes**.
    #[serde(rename = "timestamp")]
    pub timestamp_minutes: i64,
    /// The block height.
    #[serde(rename = "dbheight")]
    pub db_height: i64,
    /// Number of (chain, block) pairs.
    #[serde(rename = "blockcount")]
    pub block_count: i64,
    /// The directory block chain, `00…0d`.
    #[serde(rename = "chainid", deserialize_with = "hex_field::hex32")]
    pub chain_id: ChainId,
}

/// One element of `pending-entries`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PendingEntry {
    /// The entry hash.
    #[serde(rename = "entryhash", deserialize_with = "hex_field::hex32")]
    pub entry_hash: EntryHash,
    /// The real chain id for a revealed entry, the chain id *hash* (SHA256d) for a chain
    /// commit, and `None` (`null`) for an entry commit whose reveal is not listed. Not
    /// typed `ChainId` because of the second case.
    #[serde(rename = "chainid", default, deserialize_with = "hex_field::opt_hex32")]
    pub chain_id: Option<Bytes32>,
    /// `TransactionACK` or `NotConfirmed` (held), rarely `DBlockConfirmed`.
    #[serde(default)]
    pub status: AckStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Bytes32 {
        s.parse().unwrap()
    }

    #[test]
    fn heights_fixture() {
        let v: Heights = serde_json::from_str(
            r#"{"directoryblockheight":72498,"leaderheight":72498,"entryblockheight":72498,"entryheight":72498}"#,
        )
        .unwrap();
        assert_eq!(v.directory_block_height, 72498);
        assert_eq!(v.leader_height, 72498);
        assert_eq!(v.entry_block_height, 72498);
        assert_eq!(v.entry_height, 72498);
        assert_eq!(v.building_height(), 72499);
        // Older nodes' extra keys are ignored.
        let v: Heights = serde_json::from_str(
            r#"{"directoryblockheight":1,"leaderheight":2,"entryblockheight":1,"entryheight":1,"missingentrycount":0,"entryblockdbheightprocessing":2,"entryblockdbheightcomplete":1}"#,
        )
        .unwrap();
        assert_eq!(v.leader_height, 2);
    }

    #[test]
    fn current_minute_fixture() {
        let v: CurrentMinute = serde_json::from_str(
            r#"{"leaderheight":191244,"directoryblockheight":191244,"minute":0,"currentblockstarttime":1557936697742751200,
 "currentminutestarttime":1557936697742751200,"currenttime":1557936697763826700,"directoryblockinseconds":600,
 "stalldetected":false,"faulttimeout":120,"roundtimeout":30}"#,
        )
        .unwrap();
        assert_eq!(v.minute, 0);
        assert_eq!(v.current_time_ns, 1557936697763826700);
        assert_eq!(v.current_block_start_ns, 1557936697742751200);
        assert_eq!(v.directory_block_seconds, 600);
        assert!(!v.stall_detected);
        assert_eq!((v.fault_timeout_s, v.round_timeout_s), (120, 30));
        assert_eq!(v.building_height(), 191245);
    }

    #[test]
    fn current_minute_accepts_minute_ten() {
        let v: CurrentMinute = serde_json::from_str(
            r#"{"leaderheight":300001,"directoryblockheight":300000,"minute":10,
 "currentblockstarttime":1700000000000000000,"currentminutestarttime":1700000180000000000,
 "currenttime":1700000190000000000,"directoryblockinseconds":600,"stalldetected":true,
 "faulttimeout":120,"roundtimeout":30}"#,
        )
        .unwrap();
        assert_eq!(v.minute, 10);
        assert!(v.stall_detected);
    }

    #[test]
    fn properties_fixture() {
        let v: Properties = serde_json::from_str(
            r#"{"factomdversion":"BuiltWithoutVersion","factomdapiversion":"2.0"}"#,
        )
        .unwrap();
        assert_eq!(v.factomd_version, "BuiltWithoutVersion");
        assert_eq!(v.api_version, "2.0");
    }

    #[test]
    fn balance_and_rate() {
        let b: Balance = serde_json::from_str(r#"{"balance":1000}"#).unwrap();
        assert_eq!(b.balance, 1000);
        let r: Rate = serde_json::from_str(r#"{"rate":95369}"#).unwrap();
        assert_eq!(r.rate, 95369);
    }

    #[test]
    fn commit_entry_fixture() {
        let v: CommitEntryResult = serde_json::from_str(
            r#"{"message":"Entry Commit Success","txid":"bf12150038699f678ac2314e9fa2d4786dc8984d9b8c67dab8cd7c2f2e83372c",
 "entryhash":"f5c956749fc3eba4acc60fd485fb100e601070a44fcce54ff358d60669854734"}"#,
        )
        .unwrap();
        assert_eq!(v.message, "Entry Commit Success");
        assert_eq!(
            v.txid.to_string(),
            "bf12150038699f678ac2314e9fa2d4786dc8984d9b8c67dab8cd7c2f2e83372c"
        );
        assert_eq!(
            v.entry_hash.map(|e| e.to_string()).as_deref(),
            Some("f5c956749fc3eba4acc60fd485fb100e601070a44fcce54ff358d60669854734")
        );
        let v: CommitEntryResult = serde_json::from_str(
            r#"{"message":"Entry Commit Success","txid":"bf12150038699f678ac2314e9fa2d4786dc8984d9b8c67dab8cd7c2f2e83372c"}"#,
        )
        .unwrap();
        assert_eq!(v.entry_hash, None);
    }

    #[test]
    fn commit_chain_result() {
        let v: CommitChainResult = serde_json::from_str(
            r#"{"message":"Chain Commit Success","txid":"bf12150038699f678ac2314e9fa2d4786dc8984d9b8c67dab8cd7c2f2e83372c",
 "entryhash":"f5c956749fc3eba4acc60fd485fb100e601070a44fcce54ff358d60669854734",
 "chainidhash":"df3ade9eec4b08d5379cc64270c30ea7315d8a8a1a69efe2b98a60ecdd69e604"}"#,
        )
        .unwrap();
        assert_eq!(
            v.chain_id_hash,
            Some(h(
                "df3ade9eec4b08d5379cc64270c30ea7315d8a8a1a69efe2b98a60ecdd69e604"
            ))
        );
        assert!(v.entry_hash.is_some());
    }

    #[test]
    fn reveal_result() {
        let v: RevealResult = serde_json::from_str(
            r#"{"message":"Entry Reveal Success","entryhash":"f5c956749fc3eba4acc60fd485fb100e601070a44fcce54ff358d60669854734","chainid":"df3ade9eec4b08d5379cc64270c30ea7315d8a8a1a69efe2b98a60ecdd69e604"}"#,
        )
        .unwrap();
        assert_eq!(v.message, "Entry Reveal Success");
        assert!(v.chain_id.is_some());
        let v: RevealResult = serde_json::from_str(
            r#"{"message":"Entry Reveal Success","entryhash":"f5c956749fc3eba4acc60fd485fb100e601070a44fcce54ff358d60669854734"}"#,
        )
        .unwrap();
        assert_eq!(v.chain_id, None);
    }

    #[test]
    fn ack_docs_fixture_both_confirmed() {
        let v: EntryAck = serde_json::from_str(
            r#"{"committxid":"debbbb6b902de330bfaa78c6c9107eb0a451e10cd4523e150a8e8e6d5a042886",
 "entryhash":"1a6c96162e81d429de92b2f18a0ba9b428e505de0077a5d16ad5707f0f8a73b2",
 "commitdata":{"status":"DBlockConfirmed"},"entrydata":{"status":"DBlockConfirmed"}}"#,
        )
        .unwrap();
        assert!(v.commit_txid.is_some() && v.entry_hash.is_some());
        assert_eq!(v.commit_data.status, AckStatus::DBlockConfirmed);
        assert_eq!(v.entry_data.status, AckStatus::DBlockConfirmed);
        assert_eq!(v.commit_data.transaction_date, None);
        assert!(v.entry_data.status.is_acknowledged());
    }

    #[test]
    fn ack_go_client_fixture_with_dates() {
        let v: EntryAck = serde_json::from_str(
            r#"{"committxid":"debbbb6b902de330bfaa78c6c9107eb0a451e10cd4523e150a8e8e6d5a042886",
 "entryhash":"1a6c96162e81d429de92b2f18a0ba9b428e505de0077a5d16ad5707f0f8a73b2",
 "commitdata":{"transactiondate":1449547801861,
"transactiondatestring":"2015-12-07 22:10:01","blockdate":1449547800000,"blockdatestring":"2015-12-07 22:10:00",
"status":"DBlockConfirmed"},"entrydata":{"blockdate":1449547800000,"blockdatestring":"2015-12-07 22:10:00","status":"DBlockConfirmed"}}"#,
        )
        .unwrap();
        assert_eq!(v.commit_data.transaction_date, Some(1449547801861));
        assert_eq!(
            v.commit_data.transaction_date_string.as_deref(),
            Some("2015-12-07 22:10:01")
        );
        assert_eq!(v.entry_data.block_date, Some(1449547800000));
        assert_eq!(v.entry_data.transaction_date, None);
    }

    #[test]
    fn ack_commit_unknown_and_acked() {
        let v: EntryAck = serde_json::from_str(
            r#"{"committxid":"bf12150038699f678ac2314e9fa2d4786dc8984d9b8c67dab8cd7c2f2e83372c","entryhash":"",
 "commitdata":{"status":"Unknown"},"entrydata":{"status":""}}"#,
        )
        .unwrap();
        assert_eq!(v.entry_hash, None);
        assert_eq!(v.commit_data.status, AckStatus::Unknown);
        assert_eq!(v.entry_data.status, AckStatus::Empty);
        assert!(v.commit_data.status.is_pending());

        let v: EntryAck = serde_json::from_str(
            r#"{"committxid":"bf12150038699f678ac2314e9fa2d4786dc8984d9b8c67dab8cd7c2f2e83372c","entryhash":"",
 "commitdata":{"transactiondate":1700000000,"transactiondatestring":"2023-11-14 22:13:20","status":"TransactionACK"},
 "entrydata":{"status":""}}"#,
        )
        .unwrap();
        assert_eq!(v.commit_data.status, AckStatus::TransactionAck);
        assert_eq!(v.commit_data.transaction_date, Some(1700000000));
        assert!(v.commit_data.status.is_acknowledged());
    }

    #[test]
    fn ack_entry_unknown_has_empty_committxid() {
        let v: EntryAck = serde_json::from_str(
            r#"{"committxid":"","entryhash":"1a6c96162e81d429de92b2f18a0ba9b428e505de0077a5d16ad5707f0f8a73b2","commitdata":{"status":"Unknown"},"entrydata":{"status":"Unknown"}}"#,
        )
        .unwrap();
        assert_eq!(v.commit_txid, None);
        assert_eq!(v.entry_data.status, AckStatus::Unknown);
    }

    #[test]
    fn ack_statuses() {
        for (wire, status) in [
            ("Unknown", AckStatus::Unknown),
            ("NotConfirmed", AckStatus::NotConfirmed),
            ("TransactionACK", AckStatus::TransactionAck),
            ("1Minute", AckStatus::OneMinute),
            ("DBlockConfirmed", AckStatus::DBlockConfirmed),
            ("Invalid", AckStatus::Invalid),
            ("", AckStatus::Empty),
            ("Malleated", AckStatus::Other("Malleated".into())),
        ] {
            let d: AckData = serde_json::from_value(serde_json::json!({ "status": wire })).unwrap();
            assert_eq!(d.status, status, "{wire}");
        }
        assert!(!AckStatus::Invalid.is_pending() && !AckStatus::Invalid.is_acknowledged());
    }

    #[test]
    fn entry_with_extids_null() {
        let v: EntryJson = serde_json::from_str(
            r#"{"chainid":"df3ade9eec4b08d5379cc64270c30ea7315d8a8a1a69efe2b98a60ecdd69e604","content":"6869","extids":null}"#,
        )
        .unwrap();
        assert!(v.ext_ids.is_empty());
        assert_eq!(v.content, b"hi");
        let v: EntryJson = serde_json::from_str(
            r#"{"chainid":"df3ade9eec4b08d5379cc64270c30ea7315d8a8a1a69efe2b98a60ecdd69e604","content":"","extids":["33343533343537383334",""]}"#,
        )
        .unwrap();
        assert_eq!(v.ext_ids, vec![b"3453457834".to_vec(), vec![]]);
        assert!(v.content.is_empty());
    }

    #[test]
    fn entry_with_bad_hex_is_rejected() {
        let r: Result<EntryJson, _> = serde_json::from_str(
            r#"{"chainid":"df3ade9eec4b08d5379cc64270c30ea7315d8a8a1a69efe2b98a60ecdd69e604","content":"zz","extids":null}"#,
        );
        assert!(r.unwrap_err().to_string().contains("not hex"));
        let r: Result<EntryJson, _> =
            serde_json::from_str(r#"{"chainid":"abcd","content":"","extids":null}"#);
        assert!(
            r.unwrap_err()
                .to_string()
                .contains("not a 32-byte hex value")
        );
    }

    #[test]
    fn entry_block_fixture() {
        let v: EntryBlock = serde_json::from_str(
            r#"{"header":{"blocksequencenumber":35990,"chainid":"df3ade9eec4b08d5379cc64270c30ea7315d8a8a1a69efe2b98a60ecdd69e604",
  "prevkeymr":"7bd1725aa29c988f8f3486512a01976807a0884d4c71ac08d18d1982d905a27a","timestamp":1487042760,"dbheight":75893},
 "entrylist":[{"entryhash":"cefd9554e9d89132a327e292649031e7b6ccea1cebd80d8a4722e56d0147dd58","timestamp":1487043240},
  {"entryhash":"61a7f9256f330e50ddf92b296c00fa679588854affc13c380e9945b05fc8e708","timestamp":1487043240}]}"#,
        )
        .unwrap();
        assert_eq!(v.header.sequence_number, 35990);
        assert_eq!(v.header.db_height, 75893);
        assert_eq!(v.header.timestamp_s, 1487042760);
        assert_eq!(
            v.header.prev_keymr,
            h("7bd1725aa29c988f8f3486512a01976807a0884d4c71ac08d18d1982d905a27a")
        );
        assert_eq!(v.entries.len(), 2);
        assert_eq!(v.entries[1].timestamp_s, 1487043240);
        assert_eq!(
            v.entries[0].entry_hash.to_string(),
            "cefd9554e9d89132a327e292649031e7b6ccea1cebd80d8a4722e56d0147dd58"
        );
    }

    #[test]
    fn entry_block_with_entrylist_null() {
        let v: EntryBlock = serde_json::from_str(
            r#"{"header":{"blocksequencenumber":0,"chainid":"df3ade9eec4b08d5379cc64270c30ea7315d8a8a1a69efe2b98a60ecdd69e604",
  "prevkeymr":"0000000000000000000000000000000000000000000000000000000000000000","timestamp":1487042760,"dbheight":1},
 "entrylist":null}"#,
        )
        .unwrap();
        assert!(v.entries.is_empty());
        assert_eq!(v.header.prev_keymr, Bytes32::default());
    }

    #[test]
    fn chain_head_cases() {
        let v: ChainHead = serde_json::from_str(
            r#"{"chainhead":"f65f67774139fa78344dcdd302631a0d646db0c2be4d58e3e48b2a188c1b856c","chaininprocesslist":false}"#,
        )
        .unwrap();
        assert!(v.chain_head.is_some() && !v.chain_in_process_list);
        let v: ChainHead =
            serde_json::from_str(r#"{"chainhead":"","chaininprocesslist":true}"#).unwrap();
        assert_eq!(v.chain_head, None);
        assert!(v.chain_in_process_list);
    }

    #[test]
    fn directory_block_fixture() {
        let v: DirectoryBlock = serde_json::from_str(
            r#"{"header":{"prevblockkeymr":"7d15d82e70201e960655ce3e7cf475c9da593dfb82c6dca6377349bd148bf001","sequencenumber":72497,
  "timestamp":1484858820},
 "entryblocklist":[{"chainid":"000000000000000000000000000000000000000000000000000000000000000a","keymr":"3faa880a97ef6ce1feca643cffa015dd6be8da4b9b0e3ca3c1bd4fa5d0911f8d"},
  {"chainid":"df3ade9eec4b08d5379cc64270c30ea7315d8a8a1a69efe2b98a60ecdd69e604","keymr":"acf8ceaaf70311a6e84d8d7f8d349e5c7958c896afa1c3a4edee09c1f5a80752"}]}"#,
        )
        .unwrap();
        assert_eq!(v.header.sequence_number, 72497);
        assert_eq!(v.header.timestamp_s, 1484858820);
        assert_eq!(v.entry_blocks.len(), 2);
        assert_eq!(v.entry_blocks[0].chain_id.as_bytes()[31], 0x0a);
    }

    const DBLOCK_100: &str = r#"{"dblock":{"dbhash":"ba79704908f6e96a0aeeceeedd8591cf0949bc538cd5df69b1be7ea8095ed778",
  "keymr":"cde346e7ed87957edfd68c432c984f35596f29c7d23de6f279351cddecd5dc66","headerhash":null,
  "header":{"version":0,"networkid":4203931042,"bodymr":"d0d3ce18a3522d925d6445fc70a3e050d7586106200100c805e3c434c5f9ea35",
   "prevkeymr":"e0e26f41120e2dcb65f9bb6fb61fdfa1beee29e33d0d2110b0ebdb9d9cc05f9b",
   "prevfullhash":"4e60ea451c7f7230e0a7606872b4dadb57859b573e3a201db434504c24ad6089",
   "timestamp":24019950,"dbheight":100,"blockcount":4,"chainid":"000000000000000000000000000000000000000000000000000000000000000d"},
  "dbentries":[{"chainid":"000000000000000000000000000000000000000000000000000000000000000a","keymr":"cc03cb3558b6b1acd24c5439fadee6523dd2811af82affb60f056df3374b39ae"},
   {"chainid":"000000000000000000000000000000000000000000000000000000000000000c","keymr":"ed01afb79fafba436984a48876082f58e52fec1ccc2920d708ef64ad3beccbbd"},
   {"chainid":"000000000000000000000000000000000000000000000000000000000000000f","keymr":"d9a1de8b02f686a9d4232fa7c8420aa0d9538969923c8eee812352c402c4db0d"},
   {"chainid":"df3ade9eec4b08d5379cc64270c30ea7315d8a8a1a69efe2b98a60ecdd69e604","keymr":"acf8ceaaf70311a6e84d8d7f8d349e5c7958c896afa1c3a4edee09c1f5a80752"}]},
 "rawdata":"00fa92e5a2d0d3ce18a3522d925d6445fc70a3e050d7586106200100c805e3c434c5f9ea35e0e26f41120e2dcb65f9bb6fb61fdfa1beee29e33d0d2110b0ebdb9d9cc05f9b4e60ea451c7f7230e0a7606872b4dadb57859b573e3a201db434504c24ad6089016e83ee0000006400000004"}"#;

    #[test]
    fn dblock_by_height_fixture() {
        let v: DirectoryBlockAtHeight = serde_json::from_str(DBLOCK_100).unwrap();
        let d = &v.dblock;
        assert_eq!(
            d.keymr,
            h("cde346e7ed87957edfd68c432c984f35596f29c7d23de6f279351cddecd5dc66")
        );
        assert_eq!(d.header_hash, None);
        assert_eq!(d.header.network_id, 0xFA92_E5A2);
        assert_eq!(d.header.timestamp_minutes, 24019950);
        assert_eq!(d.header.db_height, 100);
        assert_eq!(d.header.block_count, 4);
        assert_eq!(d.header.version, 0);
        assert_eq!(d.entries.len(), 4);
        assert_eq!(d.header.chain_id.as_bytes()[31], 0x0d);
        // The header part of rawdata: 113 bytes, height 100 and 4 entries at the end.
        assert_eq!(v.raw.len(), 113);
        assert_eq!(v.raw[0], 0);
        assert_eq!(&v.raw[1..5], &0xFA92_E5A2u32.to_be_bytes());
        assert_eq!(&v.raw[105..], &[0, 0, 0, 100, 0, 0, 0, 4]);
    }

    #[test]
    fn dblock_with_header_hash_and_bad_rawdata() {
        let with_hash = DBLOCK_100.replace(
            r#""headerhash":null"#,
            r#""headerhash":"4e60ea451c7f7230e0a7606872b4dadb57859b573e3a201db434504c24ad6089""#,
        );
        let v: DirectoryBlockAtHeight = serde_json::from_str(&with_hash).unwrap();
        assert!(v.dblock.header_hash.is_some());
        let bad = DBLOCK_100.replace(r#""rawdata":"00fa"#, r#""rawdata":"0xfa"#);
        let r: Result<DirectoryBlockAtHeight, _> = serde_json::from_str(&bad);
        assert!(r.unwrap_err().to_string().contains("not hex"));
    }

    #[test]
    fn pending_entries_fixture() {
        let v: Vec<PendingEntry> = serde_json::from_str(
            r#"[{"entryhash":"45da41a07c6157839a735147a555ba4b009b72a9a7fe126c0d418413743f1683",
"chainid":"f6df2b40bf16be03deddc169a6429804a67a761ed5f2d5499f7e56a7202f854b","status":"TransactionACK"},
{"entryhash":"cefd9554e9d89132a327e292649031e7b6ccea1cebd80d8a4722e56d0147dd58","chainid":null,"status":"NotConfirmed"}]"#,
        )
        .unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].status, AckStatus::TransactionAck);
        assert_eq!(
            v[0].chain_id,
            Some(h(
                "f6df2b40bf16be03deddc169a6429804a67a761ed5f2d5499f7e56a7202f854b"
            ))
        );
        assert_eq!(v[1].chain_id, None);
        assert_eq!(v[1].status, AckStatus::NotConfirmed);
    }
}
