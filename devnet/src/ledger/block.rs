//! Directory and entry blocks as factomd builds and hashes them, so that clients that check
//! Merkle roots and key Merkle roots (pegnetd's Factom library does) accept the devnet's blocks.
//!
//! ```text
//! directory block: version 0 ‖ network id u32 ‖ BodyMR ‖ PrevKeyMR ‖ PrevFullHash
//!                  ‖ timestamp u32 (minutes) ‖ height u32 ‖ count u32 ‖ count × (chain id ‖ KeyMR)
//! entry block:     chain id ‖ BodyMR ‖ PrevKeyMR ‖ PrevFullHash ‖ sequence u32 ‖ height u32
//!                  ‖ count u32 ‖ count × 32-byte objects (entry hashes and minute markers)
//! ```
//! Directory-block body leaves are `SHA256(chain id ‖ KeyMR)`; entry-block leaves are the raw
//! objects. Odd Merkle levels pair the last node with itself. `KeyMR = SHA256(SHA256(header) ‖
//! BodyMR)` and the full hash is `SHA256(raw block)`.

use pegnet_common::factom::{Bytes32, ChainId, EntryHash};
use pegnet_common::hash::sha256;

/// The chain id of the directory-block chain (`00…0d`), shown in `dblock-by-height`.
pub const DBLOCK_CHAIN: [u8; 32] = special_chain(0x0d);
/// The admin-block chain (`00…0a`).
pub const ADMIN_CHAIN: [u8; 32] = special_chain(0x0a);
/// The entry-credit-block chain (`00…0c`).
pub const EC_CHAIN: [u8; 32] = special_chain(0x0c);
/// The factoid-block chain (`00…0f`).
pub const FACTOID_CHAIN: [u8; 32] = special_chain(0x0f);
/// factomd's network id for a LOCAL network.
pub const LOCAL_NETWORK_ID: u32 = 0xFA92_E5A4;

const fn special_chain(last: u8) -> [u8; 32] {
    let mut b = [0u8; 32];
    b[31] = last;
    b
}

/// The Merkle root factomd computes: odd levels pair the last node with itself; an empty
/// list has the zero root.
pub fn merkle_root(leaves: &[[u8; 32]]) -> [u8; 32] {
    if leaves.is_empty() {
        return [0; 32];
    }
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| {
                let right = pair.get(1).unwrap_or(&pair[0]);
                let mut b = [0u8; 64];
                b[..32].copy_from_slice(&pair[0]);
                b[32..].copy_from_slice(right);
                sha256(&b)
            })
            .collect();
    }
    level[0]
}

fn key_mr(header: &[u8], body_mr: &[u8; 32]) -> Bytes32 {
    let mut b = [0u8; 64];
    b[..32].copy_from_slice(&sha256(header));
    b[32..].copy_from_slice(body_mr);
    Bytes32(sha256(&b))
}

/// One object of an entry block's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EblockObject {
    Entry(EntryHash),
    /// The end of a minute: `00…0N` with `N` = minute + 1 (1..=10).
    MinuteMarker(u8),
}

impl EblockObject {
    fn bytes(&self) -> [u8; 32] {
        match self {
            EblockObject::Entry(h) => h.0,
            EblockObject::MinuteMarker(n) => special_chain(*n),
        }
    }
}

/// A saved entry block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryBlock {
    pub chain: ChainId,
    pub sequence: u32,
    pub height: u32,
    pub prev_key_mr: Bytes32,
    pub prev_full_hash: Bytes32,
    pub objects: Vec<EblockObject>,
    pub key_mr: Bytes32,
    pub full_hash: Bytes32,
}

impl EntryBlock {
    /// Builds the block of `chain` at `height` from the entries acknowledged in each minute,
    /// in acknowledgement order, each minute's group closed by its marker.
    pub fn new(
        chain: ChainId,
        height: u32,
        previous: Option<&EntryBlock>,
        entries: &[(u8, EntryHash)],
    ) -> EntryBlock {
        let mut objects = Vec::with_capacity(entries.len() + 10);
        for (i, (minute, hash)) in entries.iter().enumerate() {
            objects.push(EblockObject::Entry(*hash));
            let group_ends = entries.get(i + 1).is_none_or(|(next, _)| next != minute);
            if group_ends {
                objects.push(EblockObject::MinuteMarker(minute + 1));
            }
        }
        let (sequence, prev_key_mr, prev_full_hash) = match previous {
            Some(p) => (p.sequence + 1, p.key_mr, p.full_hash),
            None => (0, Bytes32::default(), Bytes32::default()),
        };
        let mut block = EntryBlock {
            chain,
            sequence,
            height,
            prev_key_mr,
            prev_full_hash,
            objects,
            key_mr: Bytes32::default(),
            full_hash: Bytes32::default(),
        };
        let raw = block.raw();
        let leaves: Vec<[u8; 32]> = block.objects.iter().map(EblockObject::bytes).collect();
        block.key_mr = key_mr(&raw[..EBLOCK_HEADER_LEN], &merkle_root(&leaves));
        block.full_hash = Bytes32(sha256(&raw));
        block
    }

    /// The marshalled block (what factomd's `raw-data` serves).
    pub fn raw(&self) -> Vec<u8> {
        let leaves: Vec<[u8; 32]> = self.objects.iter().map(EblockObject::bytes).collect();
        let mut b = Vec::with_capacity(EBLOCK_HEADER_LEN + 32 * leaves.len());
        b.extend_from_slice(self.chain.as_bytes());
        b.extend_from_slice(&merkle_root(&leaves));
        b.extend_from_slice(self.prev_key_mr.as_bytes());
        b.extend_from_slice(self.prev_full_hash.as_bytes());
        b.extend_from_slice(&self.sequence.to_be_bytes());
        b.extend_from_slice(&self.height.to_be_bytes());
        b.extend_from_slice(&count_u32(leaves.len()).to_be_bytes());
        for leaf in &leaves {
            b.extend_from_slice(leaf);
        }
        b
    }

    /// Each entry with the minute marker that follows it (1..=10).
    pub fn entries(&self) -> Vec<(EntryHash, u8)> {
        let mut out = Vec::new();
        let mut pending = Vec::new();
        for object in &self.objects {
            match object {
                EblockObject::Entry(h) => pending.push(*h),
                EblockObject::MinuteMarker(n) => out.extend(pending.drain(..).map(|h| (h, *n))),
            }
        }
        out
    }
}

const EBLOCK_HEADER_LEN: usize = 140;
const DBLOCK_HEADER_LEN: usize = 113;

/// A saved directory block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryBlock {
    pub network_id: u32,
    pub height: u32,
    /// Block start, whole minutes since the Unix epoch.
    pub timestamp_minutes: u32,
    pub prev_key_mr: Bytes32,
    pub prev_full_hash: Bytes32,
    /// Admin, EC and factoid blocks first, then user chains in ascending chain id order.
    pub entries: Vec<(ChainId, Bytes32)>,
    pub body_mr: Bytes32,
    pub key_mr: Bytes32,
    pub full_hash: Bytes32,
}

impl DirectoryBlock {
    /// Builds the block at `height` after `previous` (none for genesis) holding the given
    /// entry blocks, with placeholder admin, EC and factoid blocks (the devnet has no
    /// factoids; the placeholders are derived from the height so blocks stay deterministic).
    pub fn new(
        network_id: u32,
        height: u32,
        timestamp_minutes: u32,
        previous: Option<&DirectoryBlock>,
        eblocks: &[&EntryBlock],
    ) -> DirectoryBlock {
        let mut entries = vec![
            (ChainId(ADMIN_CHAIN), placeholder(b"admin", height)),
            (ChainId(EC_CHAIN), placeholder(b"entry credit", height)),
            (ChainId(FACTOID_CHAIN), placeholder(b"factoid", height)),
        ];
        let mut user: Vec<(ChainId, Bytes32)> =
            eblocks.iter().map(|e| (e.chain, e.key_mr)).collect();
        user.sort_by_key(|(chain, _)| *chain);
        entries.extend(user);
        let (prev_key_mr, prev_full_hash) = match previous {
            Some(p) => (p.key_mr, p.full_hash),
            None => (Bytes32::default(), Bytes32::default()),
        };
        let leaves: Vec<[u8; 32]> = entries
            .iter()
            .map(|(chain, kmr)| {
                let mut b = [0u8; 64];
                b[..32].copy_from_slice(chain.as_bytes());
                b[32..].copy_from_slice(kmr.as_bytes());
                sha256(&b)
            })
            .collect();
        let mut block = DirectoryBlock {
            network_id,
            height,
            timestamp_minutes,
            prev_key_mr,
            prev_full_hash,
            entries,
            body_mr: Bytes32(merkle_root(&leaves)),
            key_mr: Bytes32::default(),
            full_hash: Bytes32::default(),
        };
        let raw = block.raw();
        block.key_mr = key_mr(&raw[..DBLOCK_HEADER_LEN], &block.body_mr.0);
        block.full_hash = Bytes32(sha256(&raw));
        block
    }

    /// The marshalled block (`dblock-by-height`'s `rawdata`).
    pub fn raw(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(DBLOCK_HEADER_LEN + 64 * self.entries.len());
        b.push(0);
        b.extend_from_slice(&self.network_id.to_be_bytes());
        b.extend_from_slice(self.body_mr.as_bytes());
        b.extend_from_slice(self.prev_key_mr.as_bytes());
        b.extend_from_slice(self.prev_full_hash.as_bytes());
        b.extend_from_slice(&self.timestamp_minutes.to_be_bytes());
        b.extend_from_slice(&self.height.to_be_bytes());
        b.extend_from_slice(&count_u32(self.entries.len()).to_be_bytes());
        for (chain, kmr) in &self.entries {
            b.extend_from_slice(chain.as_bytes());
            b.extend_from_slice(kmr.as_bytes());
        }
        b
    }
}

fn placeholder(kind: &[u8], height: u32) -> Bytes32 {
    let mut b = b"pegnet devnet ".to_vec();
    b.extend_from_slice(kind);
    b.extend_from_slice(&height.to_be_bytes());
    Bytes32(sha256(&b))
}

/// Block bodies are bounded far below `u32::MAX` objects; saturate rather than wrap.
fn count_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(hex: &str) -> [u8; 32] {
        let mut b = [0u8; 32];
        hex::decode_to_slice(hex, &mut b).unwrap();
        b
    }

    /// MainNet directory block 100 (`rawdata` from the Go client's dblock test): our hashing
    /// reproduces its KeyMR and full hash.
    #[test]
    fn mainnet_block_100_hashes() {
        let block = DirectoryBlock {
            network_id: 0xFA92_E5A2,
            height: 100,
            timestamp_minutes: 24_019_950,
            prev_key_mr: Bytes32(h(
                "e0e26f41120e2dcb65f9bb6fb61fdfa1beee29e33d0d2110b0ebdb9d9cc05f9b",
            )),
            prev_full_hash: Bytes32(h(
                "4e60ea451c7f7230e0a7606872b4dadb57859b573e3a201db434504c24ad6089",
            )),
            entries: vec![
                (
                    ChainId(ADMIN_CHAIN),
                    Bytes32(h(
                        "cc03cb3558b6b1acd24c5439fadee6523dd2811af82affb60f056df3374b39ae",
                    )),
                ),
                (
                    ChainId(EC_CHAIN),
                    Bytes32(h(
                        "ed01afb79fafba436984a48876082f58e52fec1ccc2920d708ef64ad3beccbbd",
                    )),
                ),
                (
                    ChainId(FACTOID_CHAIN),
                    Bytes32(h(
                        "d9a1de8b02f686a9d4232fa7c8420aa0d9538969923c8eee812352c402c4db0d",
                    )),
                ),
                (
                    ChainId(h(
                        "df3ade9eec4b08d5379cc64270c30ea7315d8a8a1a69efe2b98a60ecdd69e604",
                    )),
                    Bytes32(h(
                        "acf8ceaaf70311a6e84d8d7f8d349e5c7958c896afa1c3a4edee09c1f5a80752",
                    )),
                ),
            ],
            body_mr: Bytes32::default(),
            key_mr: Bytes32::default(),
            full_hash: Bytes32::default(),
        };
        let leaves: Vec<[u8; 32]> = block
            .entries
            .iter()
            .map(|(c, k)| sha256(&[c.0, k.0].concat()))
            .collect();
        let body_mr = merkle_root(&leaves);
        assert_eq!(
            hex::encode(body_mr),
            "d0d3ce18a3522d925d6445fc70a3e050d7586106200100c805e3c434c5f9ea35"
        );
        let block = DirectoryBlock {
            body_mr: Bytes32(body_mr),
            ..block
        };
        let raw = block.raw();
        assert_eq!(
            key_mr(&raw[..DBLOCK_HEADER_LEN], &body_mr).to_string(),
            "cde346e7ed87957edfd68c432c984f35596f29c7d23de6f279351cddecd5dc66"
        );
        assert_eq!(
            hex::encode(sha256(&raw)),
            "ba79704908f6e96a0aeeceeedd8591cf0949bc538cd5df69b1be7ea8095ed778"
        );
    }

    #[test]
    fn entry_block_groups_minutes_and_chains_to_its_predecessor() {
        let chain = ChainId([7; 32]);
        let (a, b, c) = (EntryHash([1; 32]), EntryHash([2; 32]), EntryHash([3; 32]));
        let first = EntryBlock::new(chain, 10, None, &[(0, a), (0, b), (4, c)]);
        assert_eq!(
            first.objects,
            vec![
                EblockObject::Entry(a),
                EblockObject::Entry(b),
                EblockObject::MinuteMarker(1),
                EblockObject::Entry(c),
                EblockObject::MinuteMarker(5),
            ]
        );
        assert_eq!(first.entries(), vec![(a, 1), (b, 1), (c, 5)]);
        assert_eq!((first.sequence, first.prev_key_mr), (0, Bytes32::default()));
        let second = EntryBlock::new(chain, 12, Some(&first), &[(9, a)]);
        assert_eq!(second.sequence, 1);
        assert_eq!(second.prev_key_mr, first.key_mr);
        assert_eq!(second.prev_full_hash, first.full_hash);
        assert_ne!(second.key_mr, first.key_mr);
    }

    #[test]
    fn merkle_root_duplicates_the_odd_node() {
        let x = [1u8; 32];
        let y = [2u8; 32];
        let z = [3u8; 32];
        let xy = sha256(&[x, y].concat());
        let zz = sha256(&[z, z].concat());
        assert_eq!(merkle_root(&[x, y, z]), sha256(&[xy, zz].concat()));
        assert_eq!(merkle_root(&[x]), x);
    }
}
