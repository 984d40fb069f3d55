//! The wire protocol between the coordinator and its miners, as pure values.
//!
//! Everything that crosses NATS is defined here so that the coordinator and the miner cannot
//! drift apart: the subject names ([`Subjects`], the only place they are built); the messages
//! (such as [`Job`] and [`ShareBatch`]: MessagePack maps with named fields and a protocol
//! version `v`); the bounded codec that never panics on hostile bytes ([`decode`]); the
//! HMAC-SHA256 handshake and message authentication (see [below](self#authentication)); the
//! replay guard ([`SeqWindow`]); and the nonce layout that keeps sessions from searching the
//! same space ([`Nonce`], [`SlotAllocator`]). No IO happens here; the NATS clients live in
//! the coordinator and the miner.
//!
//! # Authentication
//!
//! With `UseCoordinatorAuthentication` on, the handshake is `Hello` → `Challenge` →
//! `Proof` → `Welcome` (DESIGN §5), and every MAC is HMAC-SHA256 keyed with the shared
//! [`Secret`] or a key derived from it. With it off, [`SessionKey::disabled`] and
//! [`BroadcastKey::disabled`] give all-zero MACs that always verify, so callers keep a single
//! code path.
//!
//! Every MAC is HMAC-SHA256 over `lp(domain) ‖ lp(field) ‖ …`, where `lp(x)` is `x`'s length
//! as a `u32` big-endian followed by `x`. The domain keeps a MAC of one kind from being
//! accepted as another; the length prefixes keep variable-length strings unambiguous (miner
//! `"ab"` + identity `"c"` differs from `"a"` + `"bc"`).
//!
//! | what | key | domain | fields |
//! |---|---|---|---|
//! | [`miner_proof`] | secret | `pegnet/auth/miner/v1` | challenge, client nonce, miner, identity, payout (UTF-8) |
//! | [`coordinator_proof`] | secret | `pegnet/auth/coordinator/v1` | challenge, client nonce, session (16 bytes), slot (`u32` BE) |
//! | [`session_key`] | secret | `pegnet/auth/session/v1` | challenge, client nonce (the 32-byte tag is the key) |
//! | [`broadcast_key`] | secret | `pegnet/auth/broadcast/v1` | (none; the 32-byte tag is the key) |
//! | [`SessionKey::mac_batch`] | session key | `pegnet/mac/share-batch/v1` | the `ShareBatch` encoded with `mac` zeroed |
//! | [`SessionKey::mac_stats`] | session key | `pegnet/mac/miner-stats/v1` | the `MinerStats` encoded with `mac` zeroed |
//! | [`BroadcastKey::mac_job`] | broadcast key | `pegnet/mac/job/v1` | the `Job` encoded with `mac` zeroed |
//! | [`BroadcastKey::mac_minute`] | broadcast key | `pegnet/mac/minute/v1` | the `MinuteEvent` encoded with `mac` zeroed |
//!
//! "Encoded" is [`encode`]'s MessagePack map (without its size check). A receiver
//! re-encodes the message it decoded rather than MACing the bytes it received, so the MAC
//! covers exactly the values it acts on: fields it does not know are not covered, and neither
//! are alternative encodings of the same values.

#![warn(missing_docs)]

mod auth;
mod bin;
mod codec;
mod id;
mod message;
mod nonce;
mod replay;
mod reply;
mod slot;
mod strength;
mod subject;

pub use auth::{
    BroadcastKey, RandomError, Secret, SecretError, SessionKey, broadcast_key, coordinator_proof,
    miner_proof, random_bytes, session_key, verify_coordinator_proof, verify_miner_proof,
};
pub use codec::{
    DecodeError, EncodeError, Invalid, MAX_ASSETS, MAX_MESSAGE_BYTES, MAX_NONCE_BYTES,
    MAX_SHARES_PER_BATCH, MAX_TEXT_BYTES, MAX_WINNERS, Versioned, decode, encode,
};
pub use id::{JobId, JobIdError, SessionId};
pub use message::{
    Challenge, Hello, Job, JobError, MinerStats, MinuteEvent, Proof, RejectReason, Rejected,
    Resume, ShareAck, ShareBatch, ShareItem, ShareReject, ShareRejection, Welcome,
};
pub use nonce::{NONCE_LEN, Nonce, NonceBuf, NonceError};
pub use replay::{SEQ_WINDOW, SeqError, SeqWindow};
pub use reply::{HelloReply, ProveReply, decode_hello_reply, decode_prove_reply};
pub use slot::SlotAllocator;
pub use strength::{
    EXAMPLE_SECRETS, HOW_TO_MAKE_A_SECRET, MIN_SECRET_BYTES, WeakSecret, check_secret_strength,
};
pub use subject::{Barrier, SubjectError, Subjects};

/// The protocol version every message carries in its `v` field. A peer speaking another
/// version is rejected with [`DecodeError::UnsupportedVersion`] rather than misread.
pub const PROTOCOL_VERSION: u16 = 1;
