//! The factomd v2 methods the devnet answers, with factomd's parameter checks, error data
//! strings and result shapes (`devnet/API-NOTES.md`). Each result is a struct whose fields are
//! declared in the order factomd's Go structs emit them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use pegnet_common::factom::{
    Address, AddressKind, Bytes32, CHAIN_COMMIT_LEN, ChainId, ENTRY_COMMIT_LEN, Entry, EntryHash,
    TxId,
};
use pegnet_common::hash::sha256;

use super::envelope::{RpcError, decode_params, go_int};
use crate::ledger::{
    CommitRejected, CommitStatus, DirectoryBlock, Ledger, RevealStatus, date_string,
};
use crate::node::{Node, now_ms};

/// Runs `method` and returns its result as JSON text.
pub fn call(node: &Node, method: &str, params: &Value) -> Result<String, RpcError> {
    match method {
        "heights" => json(&heights(&node.ledger())),
        "current-minute" => json(&current_minute(node)),
        "properties" => json(&Properties {
            factomdversion: node.info().version.clone(),
            factomdapiversion: "2.0",
        }),
        "entry-credit-rate" => json(&Rate {
            rate: node.info().ec_rate,
        }),
        "entry-credit-balance" => entry_credit_balance(node, params),
        "commit-entry" => commit(node, params, false),
        "commit-chain" => commit(node, params, true),
        "reveal-entry" | "reveal-chain" => reveal(node, params),
        "ack" => ack(node, params),
        "entry" => entry(node, params),
        "entry-block" => entry_block(node, params),
        "chain-head" => chain_head(node, params),
        "directory-block" => directory_block(node, params),
        "directory-block-head" => json(&KeyMr {
            keymr: {
                let l = node.ledger();
                l.dblock(l.saved_height())
                    .map(|b| b.key_mr.to_string())
                    .unwrap_or_default()
            },
        }),
        "dblock-by-height" => dblock_by_height(node, params),
        "pending-entries" => pending_entries(node, params),
        _ => Err(RpcError::method_not_found()),
    }
}

fn json<T: Serialize>(value: &T) -> Result<String, RpcError> {
    serde_json::to_string(value).map_err(|_| RpcError::internal(None))
}

// ---------------------------------------------------------------------------------------
// Params

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AddressParams {
    address: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MessageParams {
    message: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EntryParams {
    entry: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct HashParams {
    hash: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct KeyMrParams {
    keymr: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ChainIdParams {
    chainid: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AckParams {
    hash: String,
    chainid: String,
    fulltransaction: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct HeightParams {
    #[serde(with = "go_int")]
    height: i64,
}

/// `primitives.HexToHash`: 32 bytes of hex, either case.
fn hash32(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

fn invalid_hash() -> RpcError {
    RpcError::invalid_params(Some("Invalid Hash"))
}

// ---------------------------------------------------------------------------------------
// Results

#[derive(Serialize)]
struct Heights {
    directoryblockheight: i64,
    leaderheight: i64,
    entryblockheight: i64,
    entryheight: i64,
}

fn heights(l: &Ledger) -> Heights {
    let h = i64::from(l.saved_height());
    Heights {
        directoryblockheight: h,
        leaderheight: h,
        entryblockheight: h,
        entryheight: h,
    }
}

#[derive(Serialize)]
struct CurrentMinute {
    leaderheight: i64,
    directoryblockheight: i64,
    minute: i64,
    currentblockstarttime: i64,
    currentminutestarttime: i64,
    currenttime: i64,
    directoryblockinseconds: i64,
    stalldetected: bool,
    faulttimeout: i64,
    roundtimeout: i64,
}

fn current_minute(node: &Node) -> CurrentMinute {
    let l = node.ledger();
    let saved = i64::from(l.saved_height());
    CurrentMinute {
        leaderheight: saved,
        directoryblockheight: saved,
        minute: i64::from(l.position().minute),
        currentblockstarttime: nanos(l.block_start_ms()),
        currentminutestarttime: nanos(l.minute_start_ms()),
        currenttime: nanos(now_ms()),
        directoryblockinseconds: i64::try_from(node.info().block_time.as_secs()).unwrap_or(0),
        stalldetected: false,
        faulttimeout: 120,
        roundtimeout: 30,
    }
}

fn nanos(ms: u64) -> i64 {
    i64::try_from(ms).map_or(i64::MAX, |ms| ms.saturating_mul(1_000_000))
}

#[derive(Serialize)]
struct Properties {
    factomdversion: String,
    factomdapiversion: &'static str,
}

#[derive(Serialize)]
struct Rate {
    rate: i64,
}

#[derive(Serialize)]
struct Balance {
    balance: i64,
}

#[derive(Serialize)]
struct KeyMr {
    keymr: String,
}

fn entry_credit_balance(node: &Node, params: &Value) -> Result<String, RpcError> {
    let p: AddressParams = decode_params(params)?;
    let key = match Address::parse_kind(&p.address, AddressKind::EcPublic) {
        Ok(a) => *a.body(),
        Err(_) => hash32(&p.address).ok_or(RpcError::invalid_params(Some("Invalid Address")))?,
    };
    json(&Balance {
        balance: node.ledger().balance(&key),
    })
}

#[derive(Serialize)]
struct CommitResult {
    message: &'static str,
    txid: String,
    entryhash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    chainidhash: Option<String>,
}

fn commit(node: &Node, params: &Value, chain: bool) -> Result<String, RpcError> {
    let p: MessageParams = decode_params(params)?;
    let invalid = || {
        RpcError::invalid_params(Some(if chain {
            "Invalid Commit Chain"
        } else {
            "Invalid Commit Entry"
        }))
    };
    let bytes = hex::decode(&p.message).map_err(|_| invalid())?;
    let accepted = node
        .ledger()
        .commit(&bytes, chain, now_ms())
        .map_err(|e| match e {
            CommitRejected::Invalid { .. } => invalid(),
            CommitRejected::Repeated { entry_hash } => {
                RpcError::repeated_commit(entry_hash.to_string())
            }
        })?;
    json(&CommitResult {
        message: if chain {
            "Chain Commit Success"
        } else {
            "Entry Commit Success"
        },
        txid: accepted.txid.to_string(),
        entryhash: accepted.entry_hash.to_string(),
        chainidhash: accepted.chain_id_hash.map(|h| h.to_string()),
    })
}

#[derive(Serialize)]
struct RevealResult {
    message: &'static str,
    entryhash: String,
    chainid: String,
}

fn reveal(node: &Node, params: &Value) -> Result<String, RpcError> {
    let p: EntryParams = decode_params(params)?;
    let invalid = || RpcError::invalid_params(Some("Invalid Entry"));
    let bytes = hex::decode(&p.entry).map_err(|_| invalid())?;
    let accepted = node
        .ledger()
        .reveal(&bytes, now_ms())
        .map_err(|_| invalid())?;
    json(&RevealResult {
        message: "Entry Reveal Success",
        entryhash: accepted.entry_hash.to_string(),
        chainid: accepted.chain_id.to_string(),
    })
}

// ---------------------------------------------------------------------------------------
// ack

#[derive(Serialize, Default)]
struct TxData {
    #[serde(skip_serializing_if = "Option::is_none")]
    transactiondate: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transactiondatestring: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    blockdate: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    blockdatestring: Option<String>,
    status: &'static str,
}

impl TxData {
    fn status(status: &'static str) -> TxData {
        TxData {
            status,
            ..TxData::default()
        }
    }

    fn transaction(status: &'static str, date: i64, date_seconds: i64) -> TxData {
        TxData {
            transactiondate: Some(date),
            transactiondatestring: Some(date_string(date_seconds)),
            ..TxData::status(status)
        }
    }

    fn block(status: &'static str, block_seconds: i64) -> TxData {
        TxData {
            blockdate: Some(block_seconds),
            blockdatestring: Some(date_string(block_seconds)),
            ..TxData::status(status)
        }
    }
}

#[derive(Serialize)]
struct EntryStatus {
    committxid: String,
    entryhash: String,
    commitdata: TxData,
    entrydata: TxData,
}

#[derive(Serialize)]
struct FactoidStatus {
    txid: String,
    status: &'static str,
}

const EC_CHAIN: &str = "000000000000000000000000000000000000000000000000000000000000000c";
const FACTOID_CHAIN: &str = "000000000000000000000000000000000000000000000000000000000000000f";
const ADMIN_CHAIN: &str = "000000000000000000000000000000000000000000000000000000000000000a";

/// The validation order of factomd's `HandleV2ACKWithChain`.
fn ack(node: &Node, params: &Value) -> Result<String, RpcError> {
    let p: AckParams = decode_params(params)?;
    let chain = match p.chainid.as_str() {
        "c" => EC_CHAIN,
        "f" => FACTOID_CHAIN,
        other => other,
    };
    if hash32(chain).is_none() {
        return Err(RpcError::invalid_params(Some(
            "ChainID must be 64 hex encoded characters",
        )));
    }
    let mut hash = p.hash.clone();
    if hash.is_empty() && !p.fulltransaction.is_empty() {
        hash = hash_of_full_transaction(&p.fulltransaction, chain == EC_CHAIN).unwrap_or_default();
    }
    let Some(hash) = hash32(&hash) else {
        return Err(RpcError::invalid_params(Some(
            "Hash must be 64 hex encoded characters",
        )));
    };
    if chain == ADMIN_CHAIN {
        return Err(RpcError::invalid_params(Some(
            "ChainID cannot be admin chain",
        )));
    }
    let l = node.ledger();
    match chain {
        EC_CHAIN => json(&ack_commit(&l, TxId(hash))),
        FACTOID_CHAIN => json(&FactoidStatus {
            txid: hex::encode(hash),
            status: "Unknown",
        }),
        _ => json(&ack_entry(&l, EntryHash(hash))),
    }
}

/// factomd parses `fulltransaction` as a chain commit, an entry commit or an entry; for the
/// EC chain it looks the commit up by its full hash (not its txid), else by entry hash.
fn hash_of_full_transaction(hex_tx: &str, ec_chain: bool) -> Option<String> {
    let bytes = hex::decode(hex_tx).ok()?;
    if bytes.len() == CHAIN_COMMIT_LEN || bytes.len() == ENTRY_COMMIT_LEN {
        if ec_chain {
            return Some(hex::encode(sha256(&bytes)));
        }
        let hash = &bytes[if bytes.len() == CHAIN_COMMIT_LEN {
            71
        } else {
            7
        }..][..32];
        return Some(hex::encode(hash));
    }
    Entry::unmarshal(&bytes).ok().map(|e| e.hash().to_string())
}

fn ack_commit(l: &Ledger, txid: TxId) -> EntryStatus {
    let ack = l.ack_commit(&txid);
    let (commitdata, entrydata) = match ack.status {
        CommitStatus::Unknown => (TxData::status("Unknown"), TxData::status("")),
        CommitStatus::Held { timestamp_ms } => (
            TxData::transaction("NotConfirmed", seconds(timestamp_ms), seconds(timestamp_ms)),
            TxData::status(""),
        ),
        CommitStatus::Acked { timestamp_ms } => (
            TxData::transaction(
                "TransactionACK",
                seconds(timestamp_ms),
                seconds(timestamp_ms),
            ),
            TxData::status(""),
        ),
        CommitStatus::Confirmed { block_seconds, .. } => (
            TxData::block("DBlockConfirmed", block_seconds),
            TxData::block("DBlockConfirmed", block_seconds),
        ),
    };
    EntryStatus {
        committxid: txid.to_string(),
        entryhash: ack.entry_hash.map(|h| h.to_string()).unwrap_or_default(),
        commitdata,
        entrydata,
    }
}

fn ack_entry(l: &Ledger, hash: EntryHash) -> EntryStatus {
    let ack = l.ack_entry(&hash);
    let entrydata = match ack.reveal {
        RevealStatus::Unknown => TxData::status("Unknown"),
        RevealStatus::Held => TxData::status("NotConfirmed"),
        RevealStatus::Acked => TxData::status("TransactionACK"),
        RevealStatus::Confirmed { block_seconds } => {
            TxData::block("DBlockConfirmed", block_seconds)
        }
    };
    let confirmed = matches!(ack.reveal, RevealStatus::Confirmed { .. });
    let (committxid, commitdata) = match ack.commit {
        // The confirmed-entry path reports the commit date in milliseconds (a factomd quirk).
        Some((txid, status)) if confirmed => {
            let ms = commit_timestamp_ms(status);
            (
                txid.to_string(),
                TxData::transaction("DBlockConfirmed", ms_i64(ms), seconds(ms)),
            )
        }
        Some((txid, status)) => {
            let ms = commit_timestamp_ms(status);
            let name = match status {
                CommitStatus::Unknown => "Unknown",
                CommitStatus::Held { .. } => "NotConfirmed",
                CommitStatus::Acked { .. } => "TransactionACK",
                CommitStatus::Confirmed { .. } => "DBlockConfirmed",
            };
            (
                txid.to_string(),
                TxData::transaction(name, seconds(ms), seconds(ms)),
            )
        }
        // Entries of the genesis chains were never paid for by a commit.
        None if confirmed => (String::new(), TxData::status("DBlockConfirmed")),
        None => (String::new(), TxData::status("Unknown")),
    };
    EntryStatus {
        committxid,
        entryhash: hash.to_string(),
        commitdata,
        entrydata,
    }
}

fn commit_timestamp_ms(status: CommitStatus) -> u64 {
    match status {
        CommitStatus::Unknown => 0,
        CommitStatus::Held { timestamp_ms }
        | CommitStatus::Acked { timestamp_ms }
        | CommitStatus::Confirmed { timestamp_ms, .. } => timestamp_ms,
    }
}

fn seconds(ms: u64) -> i64 {
    ms_i64(ms / 1000)
}

fn ms_i64(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------------------------------
// Lookups

#[derive(Serialize)]
struct EntryResult {
    chainid: String,
    content: String,
    /// `null` for an entry without ExtIDs, as Go's nil slice.
    extids: Option<Vec<String>>,
}

fn entry(node: &Node, params: &Value) -> Result<String, RpcError> {
    let p: HashParams = decode_params(params)?;
    let hash = hash32(&p.hash).ok_or_else(invalid_hash)?;
    let l = node.ledger();
    let e = l
        .entry(&EntryHash(hash))
        .ok_or_else(RpcError::entry_not_found)?;
    json(&EntryResult {
        chainid: e.chain_id().to_string(),
        content: hex::encode(e.content()),
        extids: (!e.ext_ids().is_empty()).then(|| e.ext_ids().iter().map(hex::encode).collect()),
    })
}

#[derive(Serialize)]
struct EblockHeader {
    blocksequencenumber: i64,
    chainid: String,
    prevkeymr: String,
    timestamp: i64,
    dbheight: i64,
}

#[derive(Serialize)]
struct EblockEntry {
    entryhash: String,
    timestamp: i64,
}

#[derive(Serialize)]
struct EblockResult {
    header: EblockHeader,
    entrylist: Option<Vec<EblockEntry>>,
}

fn entry_block(node: &Node, params: &Value) -> Result<String, RpcError> {
    let p: KeyMrParams = decode_params(params)?;
    let key = hash32(&p.keymr).ok_or_else(invalid_hash)?;
    let l = node.ledger();
    let eblock = l
        .entry_block(&Bytes32(key))
        .ok_or_else(RpcError::block_not_found)?;
    let timestamp = l
        .dblock(eblock.height)
        .map_or(0, |d| i64::from(d.timestamp_minutes) * 60);
    let list: Vec<EblockEntry> = eblock
        .entries()
        .into_iter()
        .map(|(hash, marker)| EblockEntry {
            entryhash: hash.to_string(),
            timestamp: timestamp + 60 * i64::from(marker),
        })
        .collect();
    json(&EblockResult {
        header: EblockHeader {
            blocksequencenumber: i64::from(eblock.sequence),
            chainid: eblock.chain.to_string(),
            prevkeymr: eblock.prev_key_mr.to_string(),
            timestamp,
            dbheight: i64::from(eblock.height),
        },
        entrylist: (!list.is_empty()).then_some(list),
    })
}

#[derive(Serialize)]
struct ChainHeadResult {
    chainhead: String,
    chaininprocesslist: bool,
}

fn chain_head(node: &Node, params: &Value) -> Result<String, RpcError> {
    let p: ChainIdParams = decode_params(params)?;
    let chain = hash32(&p.chainid).ok_or_else(invalid_hash)?;
    let head = node
        .ledger()
        .chain_head(&ChainId(chain))
        .ok_or_else(RpcError::missing_chain_head)?;
    json(&ChainHeadResult {
        chainhead: head.key_mr.map(|k| k.to_string()).unwrap_or_default(),
        chaininprocesslist: head.in_process_list,
    })
}

#[derive(Serialize)]
struct DirectoryBlockHeader {
    prevblockkeymr: String,
    sequencenumber: i64,
    timestamp: i64,
}

#[derive(Serialize)]
struct DbEntry {
    chainid: String,
    keymr: String,
}

#[derive(Serialize)]
struct DirectoryBlockResult {
    header: DirectoryBlockHeader,
    entryblocklist: Vec<DbEntry>,
}

fn db_entries(b: &DirectoryBlock) -> Vec<DbEntry> {
    b.entries
        .iter()
        .map(|(chain, key_mr)| DbEntry {
            chainid: chain.to_string(),
            keymr: key_mr.to_string(),
        })
        .collect()
}

fn directory_block(node: &Node, params: &Value) -> Result<String, RpcError> {
    let p: KeyMrParams = decode_params(params)?;
    let key = hash32(&p.keymr).ok_or_else(invalid_hash)?;
    let l = node.ledger();
    let b = l
        .dblock_by_key_mr(&Bytes32(key))
        .ok_or_else(RpcError::block_not_found)?;
    json(&DirectoryBlockResult {
        header: DirectoryBlockHeader {
            prevblockkeymr: b.prev_key_mr.to_string(),
            sequencenumber: i64::from(b.height),
            timestamp: i64::from(b.timestamp_minutes) * 60,
        },
        entryblocklist: db_entries(b),
    })
}

#[derive(Serialize)]
struct DblockHeaderJson {
    version: i64,
    networkid: i64,
    bodymr: String,
    prevkeymr: String,
    prevfullhash: String,
    timestamp: i64,
    dbheight: i64,
    blockcount: i64,
    chainid: &'static str,
}

#[derive(Serialize)]
struct DblockJson {
    dbhash: String,
    keymr: String,
    headerhash: Option<String>,
    header: DblockHeaderJson,
    dbentries: Vec<DbEntry>,
}

#[derive(Serialize)]
struct DblockByHeight {
    dblock: DblockJson,
    rawdata: String,
}

fn dblock_by_height(node: &Node, params: &Value) -> Result<String, RpcError> {
    let p: HeightParams = decode_params(params)?;
    // factomd converts the height to uint32: negative heights wrap to huge ones.
    let height = p.height as u32;
    let l = node.ledger();
    let b = l.dblock(height).ok_or_else(RpcError::block_not_found)?;
    json(&DblockByHeight {
        dblock: DblockJson {
            dbhash: b.full_hash.to_string(),
            keymr: b.key_mr.to_string(),
            headerhash: None,
            header: DblockHeaderJson {
                version: 0,
                networkid: i64::from(b.network_id),
                bodymr: b.body_mr.to_string(),
                prevkeymr: b.prev_key_mr.to_string(),
                prevfullhash: b.prev_full_hash.to_string(),
                timestamp: i64::from(b.timestamp_minutes),
                dbheight: i64::from(b.height),
                blockcount: i64::try_from(b.entries.len()).unwrap_or(i64::MAX),
                chainid: "000000000000000000000000000000000000000000000000000000000000000d",
            },
            dbentries: db_entries(b),
        },
        rawdata: hex::encode(b.raw()),
    })
}

#[derive(Serialize)]
struct Pending {
    entryhash: String,
    chainid: Option<String>,
    status: &'static str,
}

fn pending_entries(node: &Node, params: &Value) -> Result<String, RpcError> {
    // The chain id is decoded (so the params must be an object or absent) and then ignored.
    let _: ChainIdParams = decode_params(params)?;
    let list: Vec<Pending> = node
        .ledger()
        .pending_entries()
        .into_iter()
        .map(|p| Pending {
            entryhash: p.entry_hash.to_string(),
            chainid: p.chain_id.map(|c| c.to_string()),
            status: if p.acked {
                "TransactionACK"
            } else {
                "NotConfirmed"
            },
        })
        .collect();
    json(&list)
}
