//! The messages that cross NATS (DESIGN §3–§4), one struct per message.
//!
//! Every message is a MessagePack map with named fields and a protocol version `v`. Byte
//! fields are MessagePack `bin`. Messages that are authenticated carry a `mac` computed over
//! the message's own encoding with `mac` zeroed (see [`super::SessionKey`] and
//! [`super::BroadcastKey`]); with authentication off that field is all zeros.

use serde::{Deserialize, Serialize};

use crate::hash::sha256;
use crate::opr::{ContentError, OprContent, assets_for};

use super::bin;
use super::codec::{
    Invalid, MAX_ASSETS, MAX_NONCE_BYTES, MAX_SHARES_PER_BATCH, MAX_TEXT_BYTES, MAX_WINNERS,
    Versioned, check_count, check_embedded_version, check_len,
};
use super::id::{JobId, SessionId};

/// The last factomd minute; `current-minute` reads 10 between minute 9 and the block's save.
const LAST_MINUTE: u8 = 10;

/// A factomd minute change. Coordinator → miners, published on `<p>.events.minute`. Minute 9
/// is the stop signal: miners send their final shares and idle until the next job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinuteEvent {
    /// Protocol version.
    pub v: u16,
    /// The block being built (`directoryblockheight + 1`).
    pub height: u32,
    /// The factomd minute, 0..=10.
    pub minute: u8,
    /// When the coordinator saw the change, Unix milliseconds.
    pub at_ms: u64,
    /// HMAC under the broadcast key ([`super::BroadcastKey::mac_minute`]).
    #[serde(with = "bin::array")]
    pub mac: [u8; 32],
}

/// Work for one block. Coordinator → miners, published on `<p>.jobs` with the job's share
/// subject (`<p>.shares.<job_id>`) as reply subject; also embedded in [`Welcome`].
///
/// It holds everything but the miner's identity and payout address, so each miner builds the
/// OPR content itself ([`Job::opr_content`]) and the coordinator rebuilds the identical bytes
/// from the same job and the session's declared identity and payout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Protocol version.
    pub v: u16,
    /// This job's id; shares for it go to `<p>.shares.<job_id>`.
    pub job_id: JobId,
    /// The block the records are for.
    pub height: u32,
    /// The OPR version in force at `height` (1..=5).
    pub opr_version: u8,
    /// The OPR chain the records are written to.
    #[serde(with = "bin::array")]
    pub chain_id: [u8; 32],
    /// The previous block's winners' short hashes, exactly as they go in
    /// `OprContent::winners` (empty at bootstrap).
    #[serde(with = "bin::vecs")]
    pub winners: Vec<Vec<u8>>,
    /// Prices in the version's consensus asset order, in 1e-8 USD.
    pub assets: Vec<u64>,
    /// Shares below this difficulty are not worth sending.
    pub minimum_difficulty: u64,
    /// The LXRHash table size the coordinator verifies with (30 on a real network). A miner
    /// with another table would only produce shares the coordinator rejects.
    pub lxr_bits: u8,
    /// When the coordinator issued the job, Unix milliseconds.
    pub issued_at_ms: u64,
    /// After this the coordinator accepts no more shares for the job, if it says so.
    pub expires_at_ms: Option<u64>,
    /// HMAC under the broadcast key ([`super::BroadcastKey::mac_job`]).
    #[serde(with = "bin::array")]
    pub mac: [u8; 32],
}

/// Why a job cannot produce OPR content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// The height is beyond `i32`.
    #[error("job height {0} does not fit the OPR's int32 height")]
    Height(u32),
    /// Not an OPR version (1..=5).
    #[error("job OPR version {0} does not exist")]
    UnknownVersion(u8),
    /// The price list does not match the version's asset list.
    #[error("job has {got} asset prices; OPR version {version} has {expected}")]
    AssetCount {
        /// The job's OPR version.
        version: u8,
        /// Prices in the job.
        got: usize,
        /// Assets in the version.
        expected: usize,
    },
    /// The OPR codec refused the content.
    #[error("job content does not encode: {0}")]
    Content(#[from] ContentError),
}

impl Job {
    /// The OPR content a miner with `identity` and `payout` (an `FA…` address) mines for.
    pub fn opr_content(&self, identity: &str, payout: &str) -> Result<OprContent, JobError> {
        let height = i32::try_from(self.height).map_err(|_| JobError::Height(self.height))?;
        let expected = assets_for(self.opr_version)
            .ok_or(JobError::UnknownVersion(self.opr_version))?
            .len();
        if self.assets.len() != expected {
            return Err(JobError::AssetCount {
                version: self.opr_version,
                got: self.assets.len(),
                expected,
            });
        }
        Ok(OprContent {
            address: payout.to_owned(),
            id: identity.to_owned(),
            height,
            winners: self.winners.clone(),
            assets: self.assets.clone(),
            v1_order: None,
        })
    }

    /// The OPR hash: SHA-256 of the content encoded for the job's OPR version. LXRHash input
    /// is this hash followed by the nonce.
    pub fn opr_hash(&self, identity: &str, payout: &str) -> Result<[u8; 32], JobError> {
        let content = self.opr_content(identity, payout)?;
        Ok(sha256(&content.encode(self.opr_version)?))
    }
}

/// A miner introducing itself. Miner → coordinator, request on `<p>.auth.hello`; answered by
/// [`Challenge`], or by [`Welcome`] when authentication is off, or by [`Rejected`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Protocol version.
    pub v: u16,
    /// The miner's stable name: its metrics label and rate-limiting key.
    pub miner: String,
    /// The identity written in its records (OPR `ID`).
    pub identity: String,
    /// The payout address written in its records (OPR `Address`, `FA…`).
    pub payout: String,
    /// The miner's fresh random contribution to the session key.
    #[serde(with = "bin::array")]
    pub client_nonce: [u8; 32],
    /// The miner's software and version, for logs.
    pub software: String,
    /// The session this miner held before, when it is coming back (after a reconnect, a
    /// broker or coordinator restart, or an `unknown_session` ack). The coordinator gives
    /// the returning miner that session's nonce slot again while the slot is still its own,
    /// so the shares it found there stay valid and its search goes on where it was. Absent
    /// from older miners' `Hello`s.
    #[serde(default)]
    pub resume: Option<Resume>,
}

/// What a returning miner held: its last session and that session's nonce slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resume {
    /// The session id its `Welcome` gave.
    pub session: SessionId,
    /// The slot that session hashed in.
    pub slot: u32,
}

/// A single-use challenge. Coordinator → miner, the reply to [`Hello`] on `<p>.auth.hello`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// Protocol version.
    pub v: u16,
    /// 32 bytes from the OS random source.
    #[serde(with = "bin::array")]
    pub challenge: [u8; 32],
    /// After this the challenge is refused, Unix milliseconds.
    pub expires_at_ms: u64,
}

/// A miner's proof that it holds the secret. Miner → coordinator, request on
/// `<p>.auth.prove`; answered by [`Welcome`] or [`Rejected`]. The coordinator verifies `mac`
/// against the fields of the `Hello` it issued the challenge for, so a proof cannot change
/// the declared identity or payout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// Protocol version.
    pub v: u16,
    /// The challenge being answered.
    #[serde(with = "bin::array")]
    pub challenge: [u8; 32],
    /// The client nonce from the `Hello`.
    #[serde(with = "bin::array")]
    pub client_nonce: [u8; 32],
    /// As in the `Hello`.
    pub miner: String,
    /// As in the `Hello`.
    pub identity: String,
    /// As in the `Hello`.
    pub payout: String,
    /// [`super::miner_proof`] over the fields above.
    #[serde(with = "bin::array")]
    pub mac: [u8; 32],
}

/// A session opened. Coordinator → miner, the reply on `<p>.auth.prove` (or on
/// `<p>.auth.hello` when authentication is off). Carries the current job and minute so a
/// miner joining mid-block starts at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    /// Protocol version.
    pub v: u16,
    /// The session; every `ShareBatch` and `MinerStats` names it.
    pub session: SessionId,
    /// The session's nonce slot (see [`super::Nonce`]).
    pub slot: u32,
    /// The most hashing threads the miner may use, if the coordinator limits it; a thread
    /// index must fit below it.
    pub threads_max: Option<u16>,
    /// The current job, if one is live.
    pub job: Option<Job>,
    /// The latest minute event, if any.
    pub minute: Option<MinuteEvent>,
    /// [`super::coordinator_proof`], all zeros when authentication is off.
    #[serde(with = "bin::array")]
    pub coordinator_proof: [u8; 32],
}

/// Why a `Hello` or `Proof` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The proof's MAC does not verify.
    BadProof,
    /// The challenge was answered too late.
    ExpiredChallenge,
    /// The challenge was never issued or was already used.
    UnknownChallenge,
    /// Too many failed attempts from this miner; try later.
    RateLimited,
    /// The miner name is empty or not acceptable as a metrics label.
    BadMinerName,
    /// The identity is not a valid PegNet identity.
    BadIdentity,
    /// The payout address is not a valid `FA…` address.
    BadPayout,
    /// A `Proof` arrived but authentication is off.
    AuthDisabled,
    /// Every nonce slot is live or cooling down.
    NoSlot,
    /// The request did not decode.
    Malformed,
    /// The request speaks another protocol version.
    UnsupportedVersion,
}

impl RejectReason {
    /// A stable snake_case label for metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::BadProof => "bad_proof",
            RejectReason::ExpiredChallenge => "expired_challenge",
            RejectReason::UnknownChallenge => "unknown_challenge",
            RejectReason::RateLimited => "rate_limited",
            RejectReason::BadMinerName => "bad_miner_name",
            RejectReason::BadIdentity => "bad_identity",
            RejectReason::BadPayout => "bad_payout",
            RejectReason::AuthDisabled => "auth_disabled",
            RejectReason::NoSlot => "no_slot",
            RejectReason::Malformed => "malformed",
            RejectReason::UnsupportedVersion => "unsupported_version",
        }
    }
}

/// A refused `Hello` or `Proof`. Coordinator → miner, the reply on `<p>.auth.hello` or
/// `<p>.auth.prove`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// Protocol version.
    pub v: u16,
    /// What went wrong, for the miner's logic and metrics.
    pub reason: RejectReason,
    /// A human-readable explanation for the miner's log.
    pub detail: String,
}

/// One share: a nonce and the difficulty the miner claims for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareItem {
    /// The nonce ([`super::Nonce`] layout, 14 bytes).
    #[serde(with = "bin::vec")]
    pub nonce: Vec<u8>,
    /// The claimed difficulty; the coordinator recomputes it.
    pub difficulty: u64,
}

/// Shares for one job. Miner → coordinator, request on `<p>.shares.<job_id>` (the job's reply
/// subject); answered by [`ShareAck`]. A retry is sent with a new `seq` (and so a new MAC):
/// the coordinator refuses a repeated `seq` as a replay and counts shares it has already seen
/// as duplicates, so nothing is written twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareBatch {
    /// Protocol version.
    pub v: u16,
    /// The session from `Welcome`.
    pub session: SessionId,
    /// The job the shares were mined for.
    pub job_id: JobId,
    /// Per session, increasing across batches and stats ([`super::SeqWindow`]).
    pub seq: u64,
    /// The miner's final set for this job (sent after the minute-9 stop, retried until acked).
    #[serde(rename = "final")]
    pub final_batch: bool,
    /// At most [`super::MAX_SHARES_PER_BATCH`].
    pub shares: Vec<ShareItem>,
    /// HMAC under the session key ([`super::SessionKey::mac_batch`]).
    #[serde(with = "bin::array")]
    pub mac: [u8; 32],
}

/// Why a share, or a whole batch, was not accepted. Each is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareReject {
    /// The batch's MAC does not verify under the session key.
    BadMac,
    /// The batch's `seq` was already seen or is too old.
    Replayed,
    /// The session is not (or no longer) known.
    UnknownSession,
    /// The job was never issued.
    UnknownJob,
    /// The job no longer accepts shares.
    StaleJob,
    /// The job is for another height than the block being built.
    WrongHeight,
    /// The nonce is not in the session's slot or does not have the nonce layout.
    BadNonce,
    /// The claimed difficulty differs from the recomputed one.
    BadDifficulty,
    /// The difficulty is below the job's minimum.
    BelowMinimum,
    /// The same job and nonce (or entry) was already received.
    Duplicate,
    /// The batch has too many shares, or the session sent too many.
    TooMany,
    /// The batch did not decode.
    Malformed,
    /// The batch speaks another protocol version.
    UnsupportedVersion,
}

impl ShareReject {
    /// Every reason, for initialising metrics.
    pub const ALL: [ShareReject; 13] = [
        ShareReject::BadMac,
        ShareReject::Replayed,
        ShareReject::UnknownSession,
        ShareReject::UnknownJob,
        ShareReject::StaleJob,
        ShareReject::WrongHeight,
        ShareReject::BadNonce,
        ShareReject::BadDifficulty,
        ShareReject::BelowMinimum,
        ShareReject::Duplicate,
        ShareReject::TooMany,
        ShareReject::Malformed,
        ShareReject::UnsupportedVersion,
    ];

    /// A stable snake_case label for metrics (the same string as on the wire).
    pub fn as_str(self) -> &'static str {
        match self {
            ShareReject::BadMac => "bad_mac",
            ShareReject::Replayed => "replayed",
            ShareReject::UnknownSession => "unknown_session",
            ShareReject::UnknownJob => "unknown_job",
            ShareReject::StaleJob => "stale_job",
            ShareReject::WrongHeight => "wrong_height",
            ShareReject::BadNonce => "bad_nonce",
            ShareReject::BadDifficulty => "bad_difficulty",
            ShareReject::BelowMinimum => "below_minimum",
            ShareReject::Duplicate => "duplicate",
            ShareReject::TooMany => "too_many",
            ShareReject::Malformed => "malformed",
            ShareReject::UnsupportedVersion => "unsupported_version",
        }
    }
}

/// One refused share of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRejection {
    /// The share's index in `ShareBatch::shares`.
    pub index: u32,
    /// Why it was refused.
    pub reason: ShareReject,
}

/// The answer to a [`ShareBatch`]. Coordinator → miner, the reply on `<p>.shares.<job_id>`.
/// Once a miner has it, the batch is safe: the shares were verified and kept, or refused for
/// the reasons listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareAck {
    /// Protocol version.
    pub v: u16,
    /// The batch's job.
    pub job_id: JobId,
    /// The batch's `seq`.
    pub seq: u64,
    /// How many shares were accepted.
    pub accepted: u32,
    /// The shares refused, by index; the rest were accepted.
    pub rejected: Vec<ShareRejection>,
    /// Set when the whole batch was refused (bad MAC, replay, unknown session, …); then no
    /// share was looked at.
    pub batch_error: Option<ShareReject>,
}

/// A miner's hashing statistics. Miner → coordinator, published on `<p>.stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinerStats {
    /// Protocol version.
    pub v: u16,
    /// The session from `Welcome`.
    pub session: SessionId,
    /// The miner's stable name, as in its `Hello`.
    pub miner: String,
    /// Per session, from the same counter as `ShareBatch::seq`.
    pub seq: u64,
    /// The block being mined.
    pub height: u32,
    /// Hashes since the miner started.
    pub hashes_total: u64,
    /// Recent hashes per second.
    pub hash_rate: f64,
    /// The best difficulty found for the current job.
    pub best_difficulty: u64,
    /// Hashing threads running.
    pub threads: u16,
    /// HMAC under the session key ([`super::SessionKey::mac_stats`]).
    #[serde(with = "bin::array")]
    pub mac: [u8; 32],
}

impl Versioned for MinuteEvent {
    const NAME: &'static str = "MinuteEvent";

    fn version(&self) -> u16 {
        self.v
    }

    fn check(&self) -> Result<(), Invalid> {
        if self.minute > LAST_MINUTE {
            return Err(Invalid::OutOfRange {
                field: "minute",
                expected: "0..=10",
            });
        }
        Ok(())
    }
}

impl Versioned for Job {
    const NAME: &'static str = "Job";

    fn version(&self) -> u16 {
        self.v
    }

    fn check(&self) -> Result<(), Invalid> {
        check_count("winners", &self.winners, MAX_WINNERS)?;
        check_count("assets", &self.assets, MAX_ASSETS)?;
        for w in &self.winners {
            check_len("winners", w, 32)?;
        }
        Ok(())
    }
}

impl Versioned for Hello {
    const NAME: &'static str = "Hello";

    fn version(&self) -> u16 {
        self.v
    }

    fn check(&self) -> Result<(), Invalid> {
        check_len("miner", self.miner.as_bytes(), MAX_TEXT_BYTES)?;
        check_len("identity", self.identity.as_bytes(), MAX_TEXT_BYTES)?;
        check_len("payout", self.payout.as_bytes(), MAX_TEXT_BYTES)?;
        check_len("software", self.software.as_bytes(), MAX_TEXT_BYTES)
    }
}

impl Versioned for Challenge {
    const NAME: &'static str = "Challenge";

    fn version(&self) -> u16 {
        self.v
    }

    fn check(&self) -> Result<(), Invalid> {
        Ok(())
    }
}

impl Versioned for Proof {
    const NAME: &'static str = "Proof";

    fn version(&self) -> u16 {
        self.v
    }

    fn check(&self) -> Result<(), Invalid> {
        check_len("miner", self.miner.as_bytes(), MAX_TEXT_BYTES)?;
        check_len("identity", self.identity.as_bytes(), MAX_TEXT_BYTES)?;
        check_len("payout", self.payout.as_bytes(), MAX_TEXT_BYTES)
    }
}

impl Versioned for Welcome {
    const NAME: &'static str = "Welcome";

    fn version(&self) -> u16 {
        self.v
    }

    fn check(&self) -> Result<(), Invalid> {
        if let Some(job) = &self.job {
            check_embedded_version("job.v", job.v)?;
            job.check()?;
        }
        if let Some(minute) = &self.minute {
            check_embedded_version("minute.v", minute.v)?;
            minute.check()?;
        }
        Ok(())
    }
}

impl Versioned for Rejected {
    const NAME: &'static str = "Rejected";

    fn version(&self) -> u16 {
        self.v
    }

    fn check(&self) -> Result<(), Invalid> {
        check_len("detail", self.detail.as_bytes(), MAX_TEXT_BYTES)
    }
}

impl Versioned for ShareBatch {
    const NAME: &'static str = "ShareBatch";

    fn version(&self) -> u16 {
        self.v
    }

    fn check(&self) -> Result<(), Invalid> {
        check_count("shares", &self.shares, MAX_SHARES_PER_BATCH)?;
        for s in &self.shares {
            check_len("shares.nonce", &s.nonce, MAX_NONCE_BYTES)?;
        }
        Ok(())
    }
}

impl Versioned for ShareAck {
    const NAME: &'static str = "ShareAck";

    fn version(&self) -> u16 {
        self.v
    }

    fn check(&self) -> Result<(), Invalid> {
        check_count("rejected", &self.rejected, MAX_SHARES_PER_BATCH)
    }
}

impl Versioned for MinerStats {
    const NAME: &'static str = "MinerStats";

    fn version(&self) -> u16 {
        self.v
    }

    fn check(&self) -> Result<(), Invalid> {
        check_len("miner", self.miner.as_bytes(), MAX_TEXT_BYTES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opr::Network;
    use crate::wire::PROTOCOL_VERSION;

    const PAYOUT: &str = "FA2jK2HcLnRdS94dEcU27rF3meoJfpUcZPSinpb7AwQvPRY6RL1Q";

    fn job(version: u8, assets: usize) -> Job {
        Job {
            v: PROTOCOL_VERSION,
            job_id: JobId::new(300_000, 0),
            height: 300_000,
            opr_version: version,
            chain_id: *Network::MainNet.opr_chain_id().as_bytes(),
            winners: vec![vec![0xaa; 8]; 25],
            assets: (1..=assets as u64).map(|p| p * 100_000_000).collect(),
            minimum_difficulty: 0,
            lxr_bits: 10,
            issued_at_ms: 0,
            expires_at_ms: None,
            mac: [0; 32],
        }
    }

    #[test]
    fn opr_content_carries_job_and_miner_fields() {
        let j = job(5, 62);
        let c = j.opr_content("acme", PAYOUT).unwrap();
        assert_eq!(c.id, "acme");
        assert_eq!(c.address, PAYOUT);
        assert_eq!(c.height, 300_000);
        assert_eq!(c.winners, j.winners);
        assert_eq!(c.assets, j.assets);
        // The hash is of exactly the bytes an OPR entry would carry.
        let encoded = c.encode(5).unwrap();
        assert_eq!(j.opr_hash("acme", PAYOUT).unwrap(), sha256(&encoded));
        assert_eq!(OprContent::decode(5, &encoded).unwrap(), c);
    }

    #[test]
    fn opr_hash_depends_on_identity_and_payout() {
        let j = job(5, 62);
        let h = j.opr_hash("acme", PAYOUT).unwrap();
        assert_ne!(h, j.opr_hash("acme2", PAYOUT).unwrap());
        assert_ne!(
            h,
            j.opr_hash(
                "acme",
                "FA3EPZYqodgyEGXNMbiZKE5TS2x2J9wF8J9MvPZb52iGR78xMgCb"
            )
            .unwrap()
        );
    }

    #[test]
    fn v1_jobs_encode_as_json() {
        let j = job(1, 32);
        let c = j.opr_content("acme", PAYOUT).unwrap();
        let encoded = c.encode(1).unwrap();
        assert_eq!(encoded.first(), Some(&b'{'));
        assert_eq!(j.opr_hash("acme", PAYOUT).unwrap(), sha256(&encoded));
    }

    #[test]
    fn opr_content_refuses_inconsistent_jobs() {
        assert_eq!(
            job(5, 61).opr_content("a", PAYOUT),
            Err(JobError::AssetCount {
                version: 5,
                got: 61,
                expected: 62
            })
        );
        assert_eq!(
            job(6, 62).opr_hash("a", PAYOUT),
            Err(JobError::UnknownVersion(6))
        );
        let mut j = job(5, 62);
        j.height = u32::MAX;
        assert_eq!(j.opr_content("a", PAYOUT), Err(JobError::Height(u32::MAX)));
    }

    #[test]
    fn reason_labels_are_distinct() {
        let mut labels: Vec<_> = ShareReject::ALL.iter().map(|r| r.as_str()).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), ShareReject::ALL.len());
    }
}
