//! Authentication crypto (DESIGN §5): the challenge–response handshake, the session and
//! broadcast keys, and the MACs on messages.
//!
//! The exact MAC inputs are tabled in the [`super`] module's docs, where the API's readers
//! see them.
//!
//! Secret keys longer than SHA-256's 64-byte block are first hashed, as RFC 2104 says; see
//! [`hmac_init`].

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::hash::sha256;

use super::codec::{EncodeError, Versioned, encode_named};
use super::id::SessionId;
use super::message::{Job, MinerStats, MinuteEvent, ShareBatch};

type HmacSha256 = Hmac<Sha256>;

const DOMAIN_MINER: &[u8] = b"pegnet/auth/miner/v1";
const DOMAIN_COORDINATOR: &[u8] = b"pegnet/auth/coordinator/v1";
const DOMAIN_SESSION: &[u8] = b"pegnet/auth/session/v1";
const DOMAIN_BROADCAST: &[u8] = b"pegnet/auth/broadcast/v1";
const DOMAIN_BATCH: &[u8] = b"pegnet/mac/share-batch/v1";
const DOMAIN_STATS: &[u8] = b"pegnet/mac/miner-stats/v1";
const DOMAIN_JOB: &[u8] = b"pegnet/mac/job/v1";
const DOMAIN_MINUTE: &[u8] = b"pegnet/mac/minute/v1";

/// SHA-256's block size: HMAC keys are zero-padded (or first hashed) to this.
const BLOCK_LEN: usize = 64;

/// The shared `CoordinatorSecret`. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

/// Why a string is not usable as the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// Empty or only whitespace.
    #[error("the coordinator secret is empty or only whitespace")]
    Empty,
}

impl Secret {
    /// The secret's UTF-8 bytes. Empty or all-whitespace secrets are refused: they are a
    /// missing setting, not a choice.
    pub fn new(secret: &str) -> Result<Secret, SecretError> {
        if secret.trim().is_empty() {
            return Err(SecretError::Empty);
        }
        Ok(Secret(secret.as_bytes().to_vec()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The OS random source failed; nothing secure can be made without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the OS random source failed: {0}")]
pub struct RandomError(getrandom::Error);

/// `N` bytes from the OS random source, for challenges, client nonces and session ids.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(RandomError)?;
    Ok(out)
}

/// An HMAC-SHA256 keyed with `key`, through the infallible `KeyInit::new`.
///
/// `new_from_slice` returns a `Result` although HMAC takes any key length; rather than unwrap
/// it, the key is brought to the block size here exactly as RFC 2104 (and the `hmac` crate)
/// does: hashed if longer than a block, then zero-padded. The known-answer tests check both
/// paths against Python's `hmac`.
fn hmac_init(key: &[u8]) -> HmacSha256 {
    let mut block = [0u8; BLOCK_LEN];
    if key.len() > BLOCK_LEN {
        block[..32].copy_from_slice(&sha256(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    HmacSha256::new(&block.into())
}

/// Feeds `lp(field)` = `u32` BE length ‖ field.
fn update_lp(mac: &mut HmacSha256, field: &[u8]) {
    // Fields come from messages bounded far below 4 GiB; saturating only matters beyond that.
    let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
    mac.update(&len.to_be_bytes());
    mac.update(field);
}

/// HMAC(key, lp(domain) ‖ lp(field) ‖ …), not yet finalised.
fn hmac_fields(key: &[u8], domain: &[u8], fields: &[&[u8]]) -> HmacSha256 {
    let mut mac = hmac_init(key);
    update_lp(&mut mac, domain);
    for field in fields {
        update_lp(&mut mac, field);
    }
    mac
}

fn tag(key: &[u8], domain: &[u8], fields: &[&[u8]]) -> [u8; 32] {
    hmac_fields(key, domain, fields)
        .finalize()
        .into_bytes()
        .into()
}

/// Constant-time comparison of `expected` with the MAC of the fields.
fn verify(key: &[u8], domain: &[u8], fields: &[&[u8]], expected: &[u8; 32]) -> bool {
    hmac_fields(key, domain, fields)
        .verify_slice(expected)
        .is_ok()
}

/// The miner's answer to a challenge, carried in `Proof::mac`.
pub fn miner_proof(
    secret: &Secret,
    challenge: &[u8; 32],
    client_nonce: &[u8; 32],
    miner: &str,
    identity: &str,
    payout: &str,
) -> [u8; 32] {
    tag(
        &secret.0,
        DOMAIN_MINER,
        &[
            challenge,
            client_nonce,
            miner.as_bytes(),
            identity.as_bytes(),
            payout.as_bytes(),
        ],
    )
}

/// Checks a [`miner_proof`] in constant time. Pass the fields of the `Hello` the challenge was
/// issued for, not the `Proof`'s copies.
pub fn verify_miner_proof(
    secret: &Secret,
    challenge: &[u8; 32],
    client_nonce: &[u8; 32],
    miner: &str,
    identity: &str,
    payout: &str,
    proof: &[u8; 32],
) -> bool {
    verify(
        &secret.0,
        DOMAIN_MINER,
        &[
            challenge,
            client_nonce,
            miner.as_bytes(),
            identity.as_bytes(),
            payout.as_bytes(),
        ],
        proof,
    )
}

/// The coordinator's proof that it holds the secret, carried in `Welcome::coordinator_proof`;
/// it binds the session id and slot it grants.
pub fn coordinator_proof(
    secret: &Secret,
    challenge: &[u8; 32],
    client_nonce: &[u8; 32],
    session: &SessionId,
    slot: u32,
) -> [u8; 32] {
    tag(
        &secret.0,
        DOMAIN_COORDINATOR,
        &[challenge, client_nonce, &session.0, &slot.to_be_bytes()],
    )
}

/// Checks a [`coordinator_proof`] in constant time.
pub fn verify_coordinator_proof(
    secret: &Secret,
    challenge: &[u8; 32],
    client_nonce: &[u8; 32],
    session: &SessionId,
    slot: u32,
    proof: &[u8; 32],
) -> bool {
    verify(
        &secret.0,
        DOMAIN_COORDINATOR,
        &[challenge, client_nonce, &session.0, &slot.to_be_bytes()],
        proof,
    )
}

/// Derives the key a session's `ShareBatch` and `MinerStats` are MACed with. Both sides
/// contribute randomness (challenge and client nonce), so neither can force a key reuse.
pub fn session_key(secret: &Secret, challenge: &[u8; 32], client_nonce: &[u8; 32]) -> SessionKey {
    SessionKey(Some(tag(
        &secret.0,
        DOMAIN_SESSION,
        &[challenge, client_nonce],
    )))
}

/// A message that carries its own MAC, computed over its encoding with `mac` zeroed.
trait Maced: Serialize + Versioned + Clone {
    /// Domain separation: a MAC for one message type never verifies as another.
    const DOMAIN: &'static [u8];
    fn mac(&self) -> &[u8; 32];
    fn mac_mut(&mut self) -> &mut [u8; 32];
}

macro_rules! maced {
    ($($t:ty => $domain:expr),* $(,)?) => {$(
        impl Maced for $t {
            const DOMAIN: &'static [u8] = $domain;
            fn mac(&self) -> &[u8; 32] {
                &self.mac
            }
            fn mac_mut(&mut self) -> &mut [u8; 32] {
                &mut self.mac
            }
        }
    )*};
}

maced!(
    ShareBatch => DOMAIN_BATCH,
    MinerStats => DOMAIN_STATS,
    Job => DOMAIN_JOB,
    MinuteEvent => DOMAIN_MINUTE,
);

fn zeroed<T: Maced>(message: &T) -> T {
    let mut zeroed = message.clone();
    *zeroed.mac_mut() = [0; 32];
    zeroed
}

/// The MAC of `message` under `key`; all zeros when authentication is off.
fn message_tag<T: Maced>(key: Option<&[u8; 32]>, message: &T) -> Result<[u8; 32], EncodeError> {
    let Some(key) = key else {
        return Ok([0; 32]);
    };
    Ok(tag(key, T::DOMAIN, &[&encode_named(&zeroed(message))?]))
}

/// Whether `message` carries its MAC under `key` (constant time); always when off.
fn message_verify<T: Maced>(key: Option<&[u8; 32]>, message: &T) -> bool {
    let Some(key) = key else {
        return true;
    };
    match encode_named(&zeroed(message)) {
        Ok(bytes) => verify(key, T::DOMAIN, &[&bytes], message.mac()),
        // Unreachable for these types; a message that cannot be encoded is not authentic.
        Err(_) => false,
    }
}

/// Derives the key jobs and minute events are MACed with. Every holder of the secret can
/// compute it, so it proves only that the sender holds the secret, which is what a miner
/// needs to ignore jobs from anyone else.
pub fn broadcast_key(secret: &Secret) -> BroadcastKey {
    BroadcastKey(Some(tag(&secret.0, DOMAIN_BROADCAST, &[])))
}

/// The key of one session, or the "authentication off" key.
#[derive(Clone)]
pub struct SessionKey(Option<[u8; 32]>);

impl SessionKey {
    /// The key when authentication is off: MACs are all zeros and every MAC verifies.
    pub fn disabled() -> SessionKey {
        SessionKey(None)
    }

    /// Whether this key actually authenticates.
    pub fn is_enabled(&self) -> bool {
        self.0.is_some()
    }

    /// The MAC for `batch` (its own `mac` field is ignored).
    pub fn mac_batch(&self, batch: &ShareBatch) -> Result<[u8; 32], EncodeError> {
        message_tag(self.0.as_ref(), batch)
    }

    /// Whether `batch.mac` is its MAC under this key, compared in constant time.
    pub fn verify_batch(&self, batch: &ShareBatch) -> bool {
        message_verify(self.0.as_ref(), batch)
    }

    /// The MAC for `stats` (its own `mac` field is ignored).
    pub fn mac_stats(&self, stats: &MinerStats) -> Result<[u8; 32], EncodeError> {
        message_tag(self.0.as_ref(), stats)
    }

    /// Whether `stats.mac` is its MAC under this key, compared in constant time.
    pub fn verify_stats(&self, stats: &MinerStats) -> bool {
        message_verify(self.0.as_ref(), stats)
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(_) => f.write_str("SessionKey(<redacted>)"),
            None => f.write_str("SessionKey(disabled)"),
        }
    }
}

/// The key jobs and minute events are MACed with, or the "authentication off" key.
#[derive(Clone)]
pub struct BroadcastKey(Option<[u8; 32]>);

impl BroadcastKey {
    /// The key when authentication is off: MACs are all zeros and every MAC verifies.
    pub fn disabled() -> BroadcastKey {
        BroadcastKey(None)
    }

    /// Whether this key actually authenticates.
    pub fn is_enabled(&self) -> bool {
        self.0.is_some()
    }

    /// The MAC for `job` (its own `mac` field is ignored).
    pub fn mac_job(&self, job: &Job) -> Result<[u8; 32], EncodeError> {
        message_tag(self.0.as_ref(), job)
    }

    /// Whether `job.mac` is its MAC under this key, compared in constant time.
    pub fn verify_job(&self, job: &Job) -> bool {
        message_verify(self.0.as_ref(), job)
    }

    /// The MAC for `event` (its own `mac` field is ignored).
    pub fn mac_minute(&self, event: &MinuteEvent) -> Result<[u8; 32], EncodeError> {
        message_tag(self.0.as_ref(), event)
    }

    /// Whether `event.mac` is its MAC under this key, compared in constant time.
    pub fn verify_minute(&self, event: &MinuteEvent) -> bool {
        message_verify(self.0.as_ref(), event)
    }
}

impl fmt::Debug for BroadcastKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(_) => f.write_str("BroadcastKey(<redacted>)"),
            None => f.write_str("BroadcastKey(disabled)"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test helpers may unwrap")]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::wire::{JobId, PROTOCOL_VERSION, ShareItem, decode, encode};

    const CHALLENGE: [u8; 32] = {
        let mut a = [0u8; 32];
        let mut i = 0;
        while i < 32 {
            a[i] = i as u8;
            i += 1;
        }
        a
    };
    const NONCE: [u8; 32] = {
        let mut a = [0u8; 32];
        let mut i = 0;
        while i < 32 {
            a[i] = 32 + i as u8;
            i += 1;
        }
        a
    };
    const PAYOUT: &str = "FA2jK2HcLnRdS94dEcU27rF3meoJfpUcZPSinpb7AwQvPRY6RL1Q";

    fn secret() -> Secret {
        Secret::new("correct horse").unwrap()
    }

    fn hex32(s: &str) -> [u8; 32] {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    // Known answers computed independently with Python's hmac/hashlib:
    //
    // python3 -c 'import hmac,hashlib,struct
    // lp=lambda b: struct.pack(">I",len(b))+b
    // m=lambda k,d,*f: hmac.new(k,lp(d)+b"".join(lp(x) for x in f),hashlib.sha256).hexdigest()
    // print(m(b"correct horse",b"pegnet/auth/miner/v1",bytes(range(32)),bytes(range(32,64)),
    //         b"rig-1",b"acme",b"FA2jK2HcLnRdS94dEcU27rF3meoJfpUcZPSinpb7AwQvPRY6RL1Q"))
    // print(m(b"k"*100,b"pegnet/auth/session/v1",bytes(range(32)),bytes(range(32,64))))
    // print(m(b"k"*64,b"pegnet/auth/broadcast/v1"))
    // print(m(b"correct horse",b"pegnet/auth/coordinator/v1",bytes(range(32)),
    //         bytes(range(32,64)),bytes([0xab]*16),struct.pack(">I",7)))'
    #[test]
    fn known_answers_match_python_hmac() {
        assert_eq!(
            miner_proof(&secret(), &CHALLENGE, &NONCE, "rig-1", "acme", PAYOUT),
            hex32("2d698cd315625176d2816b64cc7d110f2c69b12aadbcd56e996890d621529ec0")
        );
        // A 100-byte secret exercises the hash-the-long-key path of `hmac_init`.
        let long = Secret::new(&"k".repeat(100)).unwrap();
        assert_eq!(
            session_key(&long, &CHALLENGE, &NONCE).0,
            Some(hex32(
                "7d3b5e7bde694a8aa9b99dfbfd33e7127b5ebdaf4fd3c50ba84c66e18b4b589c"
            ))
        );
        // Exactly one block: used as is.
        let block = Secret::new(&"k".repeat(64)).unwrap();
        assert_eq!(
            broadcast_key(&block).0,
            Some(hex32(
                "19d6b7d02f27ae867bb04fb6f209466bdcdcf6f75dc7943f5abd3569433b3796"
            ))
        );
        assert_eq!(
            coordinator_proof(&secret(), &CHALLENGE, &NONCE, &SessionId([0xab; 16]), 7),
            hex32("2cda72113ed37aa8578ce4773265d239ed12b20320aa820da87b249940170cb9")
        );
    }

    // The MinuteEvent MAC end to end, with the MessagePack bytes built by hand:
    //
    // python3 -c 'import hmac,hashlib,struct
    // lp=lambda b: struct.pack(">I",len(b))+b
    // s=lambda t: bytes([0xa0+len(t)])+t
    // enc=b"\x85"+s(b"v")+b"\x01"+s(b"height")+b"\xce"+struct.pack(">I",300000)+s(b"minute")
    //     +b"\x09"+s(b"at_ms")+b"\xcf"+struct.pack(">Q",1700000000000)+s(b"mac")+b"\xc4\x20"+bytes(32)
    // print(enc.hex())
    // bk=hmac.new(b"correct horse",lp(b"pegnet/auth/broadcast/v1"),hashlib.sha256).digest()
    // print(hmac.new(bk,lp(b"pegnet/mac/minute/v1")+lp(enc),hashlib.sha256).hexdigest())'
    #[test]
    fn minute_mac_known_answer() {
        let mut event = MinuteEvent {
            v: PROTOCOL_VERSION,
            height: 300_000,
            minute: 9,
            at_ms: 1_700_000_000_000,
            mac: [0; 32],
        };
        assert_eq!(
            hex::encode(encode(&event).unwrap()),
            "85a17601a6686569676874ce000493e0a66d696e75746509a561745f6d73cf0000018bcfe56800\
             a36d6163c4200000000000000000000000000000000000000000000000000000000000000000"
        );
        let key = broadcast_key(&secret());
        event.mac = key.mac_minute(&event).unwrap();
        assert_eq!(
            event.mac,
            hex32("7c10f0232bbb1f30875557b7b53e189e1ca790e3981304850343c9099244b2ed")
        );
        assert!(key.verify_minute(&event));
    }

    #[test]
    fn secret_is_required_and_redacted() {
        assert_eq!(Secret::new("").unwrap_err(), SecretError::Empty);
        assert_eq!(Secret::new(" \t").unwrap_err(), SecretError::Empty);
        let s = Secret::new("hunter2").unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
        let k = session_key(&s, &CHALLENGE, &NONCE);
        assert_eq!(format!("{k:?}"), "SessionKey(<redacted>)");
        assert_eq!(
            format!("{:?}", broadcast_key(&s)),
            "BroadcastKey(<redacted>)"
        );
    }

    #[test]
    fn miner_proof_binds_every_field() {
        let s = secret();
        let p = miner_proof(&s, &CHALLENGE, &NONCE, "rig-1", "acme", PAYOUT);
        assert!(verify_miner_proof(
            &s, &CHALLENGE, &NONCE, "rig-1", "acme", PAYOUT, &p
        ));
        let other = Secret::new("wrong horse").unwrap();
        assert!(!verify_miner_proof(
            &other, &CHALLENGE, &NONCE, "rig-1", "acme", PAYOUT, &p
        ));
        assert!(!verify_miner_proof(
            &s, &NONCE, &NONCE, "rig-1", "acme", PAYOUT, &p
        ));
        assert!(!verify_miner_proof(
            &s, &CHALLENGE, &CHALLENGE, "rig-1", "acme", PAYOUT, &p
        ));
        assert!(!verify_miner_proof(
            &s, &CHALLENGE, &NONCE, "rig-2", "acme", PAYOUT, &p
        ));
        assert!(!verify_miner_proof(
            &s, &CHALLENGE, &NONCE, "rig-1", "acme2", PAYOUT, &p
        ));
        assert!(!verify_miner_proof(
            &s, &CHALLENGE, &NONCE, "rig-1", "acme", "FA3", &p
        ));
        // Length prefixes: moving a byte between adjacent strings changes the MAC.
        assert!(!verify_miner_proof(
            &s, &CHALLENGE, &NONCE, "rig-1a", "cme", PAYOUT, &p
        ));
    }

    #[test]
    fn coordinator_proof_binds_session_and_slot() {
        let s = secret();
        let sid = SessionId([1; 16]);
        let p = coordinator_proof(&s, &CHALLENGE, &NONCE, &sid, 5);
        assert!(verify_coordinator_proof(
            &s, &CHALLENGE, &NONCE, &sid, 5, &p
        ));
        assert!(!verify_coordinator_proof(
            &s, &CHALLENGE, &NONCE, &sid, 6, &p
        ));
        assert!(!verify_coordinator_proof(
            &s,
            &CHALLENGE,
            &NONCE,
            &SessionId([2; 16]),
            5,
            &p
        ));
        // A miner proof is not a coordinator proof: domains differ.
        let m = miner_proof(&s, &CHALLENGE, &NONCE, "", "", "");
        assert!(!verify_coordinator_proof(
            &s, &CHALLENGE, &NONCE, &sid, 5, &m
        ));
    }

    #[test]
    fn keys_depend_on_their_inputs() {
        let s = secret();
        assert_ne!(
            session_key(&s, &CHALLENGE, &NONCE).0,
            session_key(&s, &NONCE, &CHALLENGE).0
        );
        assert_ne!(session_key(&s, &CHALLENGE, &NONCE).0, broadcast_key(&s).0);
        assert_ne!(
            broadcast_key(&s).0,
            broadcast_key(&Secret::new("x").unwrap()).0
        );
    }

    #[test]
    fn random_bytes_are_not_constant() {
        let a: [u8; 32] = random_bytes().unwrap();
        let b: [u8; 32] = random_bytes().unwrap();
        assert_ne!(a, b);
        assert_ne!(SessionId::random().unwrap(), SessionId::random().unwrap());
    }

    fn batch() -> ShareBatch {
        ShareBatch {
            v: PROTOCOL_VERSION,
            session: SessionId([3; 16]),
            job_id: JobId::new(100, 0),
            seq: 9,
            final_batch: false,
            shares: vec![
                ShareItem {
                    nonce: vec![1; 14],
                    difficulty: 77,
                },
                ShareItem {
                    nonce: vec![2; 14],
                    difficulty: 78,
                },
            ],
            mac: [0; 32],
        }
    }

    fn job() -> Job {
        Job {
            v: PROTOCOL_VERSION,
            job_id: JobId::new(100, 0),
            height: 100,
            opr_version: 5,
            chain_id: [4; 32],
            winners: vec![vec![1; 8], vec![2; 8]],
            assets: vec![1, 2, 3],
            minimum_difficulty: 1000,
            lxr_bits: 10,
            issued_at_ms: 5,
            expires_at_ms: Some(6),
            mac: [0; 32],
        }
    }

    fn stats() -> MinerStats {
        MinerStats {
            v: PROTOCOL_VERSION,
            session: SessionId([3; 16]),
            miner: "rig-1".into(),
            seq: 10,
            height: 100,
            hashes_total: 1 << 40,
            hash_rate: 1234.5,
            best_difficulty: 99,
            threads: 8,
            mac: [0; 32],
        }
    }

    /// Every single-field change of a `ShareBatch`, each of which must break its MAC.
    /// A named single-field change to a message.
    type Mutation<T> = (&'static str, fn(&mut T));

    fn batch_mutations() -> Vec<Mutation<ShareBatch>> {
        vec![
            ("v", |b| b.v += 1),
            ("session", |b| b.session.0[15] ^= 1),
            ("job_id", |b| b.job_id = JobId::new(100, 1)),
            ("seq", |b| b.seq += 1),
            ("final", |b| b.final_batch = !b.final_batch),
            ("shares.len", |b| {
                b.shares.pop();
            }),
            ("shares.nonce", |b| b.shares[1].nonce[13] ^= 1),
            ("shares.difficulty", |b| b.shares[0].difficulty += 1),
            ("shares.order", |b| b.shares.swap(0, 1)),
            ("mac", |b| b.mac[0] ^= 1),
        ]
    }

    #[test]
    fn changing_any_batch_field_breaks_its_mac() {
        let key = session_key(&secret(), &CHALLENGE, &NONCE);
        let mut good = batch();
        good.mac = key.mac_batch(&good).unwrap();
        assert!(key.verify_batch(&good));
        assert_eq!(key.mac_batch(&good).unwrap(), good.mac, "own mac ignored");
        for (field, mutate) in batch_mutations() {
            let mut bad = good.clone();
            mutate(&mut bad);
            assert!(
                !key.verify_batch(&bad),
                "changing {field} kept the MAC valid"
            );
        }
        let other = session_key(&secret(), &NONCE, &CHALLENGE);
        assert!(!other.verify_batch(&good), "another session's key");
    }

    #[test]
    fn changing_any_stats_field_breaks_its_mac() {
        let key = session_key(&secret(), &CHALLENGE, &NONCE);
        let mut good = stats();
        good.mac = key.mac_stats(&good).unwrap();
        assert!(key.verify_stats(&good));
        let mutations: Vec<Mutation<MinerStats>> = vec![
            ("v", |s| s.v += 1),
            ("session", |s| s.session.0[0] ^= 1),
            ("miner", |s| s.miner.push('x')),
            ("seq", |s| s.seq += 1),
            ("height", |s| s.height += 1),
            ("hashes_total", |s| s.hashes_total += 1),
            ("hash_rate", |s| s.hash_rate += 0.5),
            ("best_difficulty", |s| s.best_difficulty += 1),
            ("threads", |s| s.threads += 1),
            ("mac", |s| s.mac[31] ^= 1),
        ];
        for (field, mutate) in mutations {
            let mut bad = good.clone();
            mutate(&mut bad);
            assert!(
                !key.verify_stats(&bad),
                "changing {field} kept the MAC valid"
            );
        }
    }

    #[test]
    fn changing_any_job_field_breaks_its_mac() {
        let key = broadcast_key(&secret());
        let mut good = job();
        good.mac = key.mac_job(&good).unwrap();
        assert!(key.verify_job(&good));
        let mutations: Vec<Mutation<Job>> = vec![
            ("v", |j| j.v += 1),
            ("job_id", |j| j.job_id = JobId::new(100, 1)),
            ("height", |j| j.height += 1),
            ("opr_version", |j| j.opr_version = 4),
            ("chain_id", |j| j.chain_id[31] ^= 1),
            ("winners", |j| j.winners[1][7] ^= 1),
            ("winners.len", |j| j.winners.push(vec![])),
            ("assets", |j| j.assets[2] += 1),
            ("minimum_difficulty", |j| j.minimum_difficulty += 1),
            ("issued_at_ms", |j| j.issued_at_ms += 1),
            ("expires_at_ms", |j| j.expires_at_ms = None),
            ("mac", |j| j.mac[0] ^= 1),
        ];
        for (field, mutate) in mutations {
            let mut bad = good.clone();
            mutate(&mut bad);
            assert!(!key.verify_job(&bad), "changing {field} kept the MAC valid");
        }
        assert!(!broadcast_key(&Secret::new("x").unwrap()).verify_job(&good));
    }

    #[test]
    fn changing_any_minute_field_breaks_its_mac() {
        let key = broadcast_key(&secret());
        let mut good = MinuteEvent {
            v: PROTOCOL_VERSION,
            height: 1,
            minute: 1,
            at_ms: 1,
            mac: [0; 32],
        };
        good.mac = key.mac_minute(&good).unwrap();
        let mutations: Vec<Mutation<MinuteEvent>> = vec![
            ("v", |e| e.v += 1),
            ("height", |e| e.height += 1),
            ("minute", |e| e.minute += 1),
            ("at_ms", |e| e.at_ms += 1),
            ("mac", |e| e.mac[5] ^= 1),
        ];
        for (field, mutate) in mutations {
            let mut bad = good.clone();
            mutate(&mut bad);
            assert!(
                !key.verify_minute(&bad),
                "changing {field} kept the MAC valid"
            );
        }
    }

    #[test]
    fn macs_of_different_kinds_do_not_cross() {
        // Same key material, different domains: a job MAC is not a minute MAC.
        let key = broadcast_key(&secret());
        let mut event = MinuteEvent {
            v: PROTOCOL_VERSION,
            height: 1,
            minute: 1,
            at_ms: 1,
            mac: [0; 32],
        };
        let mut j = job();
        j.mac = key.mac_job(&j).unwrap();
        event.mac = j.mac;
        assert!(!key.verify_minute(&event));
    }

    #[test]
    fn disabled_keys_give_zero_macs_and_accept_anything() {
        let s = SessionKey::disabled();
        let b = BroadcastKey::disabled();
        assert!(!s.is_enabled() && !b.is_enabled());
        let mut bt = batch();
        assert_eq!(s.mac_batch(&bt).unwrap(), [0; 32]);
        bt.mac = [9; 32];
        assert!(s.verify_batch(&bt));
        assert_eq!(s.mac_stats(&stats()).unwrap(), [0; 32]);
        assert!(s.verify_stats(&stats()));
        assert_eq!(b.mac_job(&job()).unwrap(), [0; 32]);
        assert!(b.verify_job(&job()));
        // And an enabled key does not accept the disabled key's zeros.
        assert!(!broadcast_key(&secret()).verify_job(&job()));
    }

    proptest! {
        /// A MAC survives the trip over the wire: the receiver re-encodes what it decoded.
        #[test]
        fn batch_mac_survives_round_trip(
            seq: u64,
            last: bool,
            shares in prop::collection::vec((prop::collection::vec(any::<u8>(), 0..20), any::<u64>()), 0..20),
        ) {
            let key = session_key(&secret(), &CHALLENGE, &NONCE);
            let mut b = ShareBatch {
                seq,
                final_batch: last,
                shares: shares.into_iter().map(|(nonce, difficulty)| ShareItem { nonce, difficulty }).collect(),
                ..batch()
            };
            b.mac = key.mac_batch(&b).unwrap();
            let back: ShareBatch = decode(&encode(&b).unwrap()).unwrap();
            prop_assert!(key.verify_batch(&back));
        }

        /// Any non-zero change to the MAC is caught.
        #[test]
        fn flipped_mac_bits_are_caught(i in 0usize..32, flip in 1u8..=255) {
            let key = session_key(&secret(), &CHALLENGE, &NONCE);
            let mut b = batch();
            b.mac = key.mac_batch(&b).unwrap();
            b.mac[i] ^= flip;
            prop_assert!(!key.verify_batch(&b));
        }
    }
}
