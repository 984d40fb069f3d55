//! Factom's data structures as factomd reads them: chain ids, entries, commits and reveals,
//! and addresses. Layouts and rules are in `reference/factom.md`; the vectors in
//! `testdata/factom.json` are the proof.

mod address;
mod bytes32;
mod chain;
mod commit;
mod entry;

pub use address::{Address, AddressError, AddressKind, EcSigningKey, rcd_hash};
pub use bytes32::{Bytes32, ChainId, EntryHash, HexError, TxId};
pub use chain::chain_id;
pub use commit::{
    CHAIN_COMMIT_LEN, ChainCommit, CommitError, ENTRY_COMMIT_LEN, EntryCommit, chain_id_hash,
};
pub use entry::{ENTRY_HEADER_LEN, Entry, EntryError, MAX_PAYLOAD_LEN};
