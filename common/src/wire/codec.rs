//! Encoding and bounded decoding of wire messages.
//!
//! Messages are MessagePack maps with named fields (`rmp_serde::to_vec_named`), so a field
//! added in a later version is ignored rather than misread by position. Decoding is the
//! boundary with the network, so it is ordered to do the least work on hostile input: the size
//! limit is checked before any parsing, then only the `v` field is read and an unsupported
//! version is reported as such, then the full message is parsed and its item counts, string
//! lengths and ranges are checked ([`Versioned::check`]). Every failure is an error with a
//! bounded metrics label, never a panic.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::PROTOCOL_VERSION;

/// The largest message accepted or produced (256 KiB), well under NATS's default 1 MiB
/// payload limit.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// The most shares one `ShareBatch` may carry (and so the most per-share results in an ack).
/// A full batch of 14-byte nonces encodes to about 180 KB, inside [`MAX_MESSAGE_BYTES`].
pub const MAX_SHARES_PER_BATCH: usize = 4096;
/// The most previous winners a `Job` may list (PegNet lists 10 in v1, 25 from v2).
pub const MAX_WINNERS: usize = 64;
/// The most asset prices a `Job` may carry (PegNet v5 has 62).
pub const MAX_ASSETS: usize = 256;
/// The longest string field (miner name, identity, payout, software, detail), in bytes.
pub const MAX_TEXT_BYTES: usize = 1024;
/// The longest nonce a share may carry. Ours are 14 bytes; longer ones up to this limit are
/// decoded so the coordinator can reject that one share as a bad nonce instead of the batch.
pub const MAX_NONCE_BYTES: usize = 64;

/// A wire message: it carries a protocol version and knows its own limits.
pub trait Versioned {
    /// The message's name, for errors and logs.
    const NAME: &'static str;

    /// The message's `v` field.
    fn version(&self) -> u16;

    /// Checks what the byte limit alone does not bound: item counts, string lengths, ranges,
    /// and the versions of embedded messages.
    fn check(&self) -> Result<(), Invalid>;
}

/// A decoded message that breaks a limit or a range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// A list has more items than its limit.
    #[error("field {field} has {count} items, more than {max}")]
    TooMany {
        /// The field's wire name.
        field: &'static str,
        /// Items received.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A string or byte field is longer than its limit.
    #[error("field {field} is {len} bytes, more than {max}")]
    TooLong {
        /// The field's wire name.
        field: &'static str,
        /// Bytes received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A value outside its range.
    #[error("field {field} is out of range: {expected}")]
    OutOfRange {
        /// The field's wire name.
        field: &'static str,
        /// What was expected.
        expected: &'static str,
    },
}

/// Why bytes are not a message we accept.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Over [`MAX_MESSAGE_BYTES`]; not parsed at all.
    #[error("message is {len} bytes, more than the limit of {max}")]
    TooLarge {
        /// Bytes received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Another protocol version; the rest of the message was not parsed.
    #[error("message has protocol version {got}; this build speaks {supported}")]
    UnsupportedVersion {
        /// The message's `v`.
        got: u16,
        /// [`PROTOCOL_VERSION`].
        supported: u16,
    },
    /// Not MessagePack, or not the expected message's shape.
    #[error("message is not a well-formed {message}: {source}")]
    Malformed {
        /// The expected message type.
        message: &'static str,
        /// What the parser found.
        #[source]
        source: rmp_serde::decode::Error,
    },
    /// Well-formed but over a limit or out of range.
    #[error("{message} is invalid: {source}")]
    Invalid {
        /// The message type.
        message: &'static str,
        /// Which limit.
        #[source]
        source: Invalid,
    },
}

impl DecodeError {
    /// A stable label for metrics.
    pub fn as_str(&self) -> &'static str {
        match self {
            DecodeError::TooLarge { .. } => "too_large",
            DecodeError::UnsupportedVersion { .. } => "unsupported_version",
            DecodeError::Malformed { .. } => "malformed",
            DecodeError::Invalid { .. } => "invalid",
        }
    }
}

/// Why a message could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The encoding is over [`MAX_MESSAGE_BYTES`], so the peer would refuse it.
    #[error("{message} encodes to {len} bytes, more than the limit of {max}")]
    TooLarge {
        /// The message type.
        message: &'static str,
        /// Bytes the encoding took.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The serializer failed (not expected for these types).
    #[error("{message} cannot be encoded: {source}")]
    Rmp {
        /// The message type.
        message: &'static str,
        /// The serializer's error.
        #[source]
        source: rmp_serde::encode::Error,
    },
}

/// Encodes a message as a MessagePack map, refusing one the peer would refuse as too large.
pub fn encode<T: Serialize + Versioned>(msg: &T) -> Result<Vec<u8>, EncodeError> {
    let bytes = encode_named(msg)?;
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(EncodeError::TooLarge {
            message: T::NAME,
            len: bytes.len(),
            max: MAX_MESSAGE_BYTES,
        });
    }
    Ok(bytes)
}

/// The encoding without the size limit: what MACs are computed over.
pub(super) fn encode_named<T: Serialize + Versioned>(msg: &T) -> Result<Vec<u8>, EncodeError> {
    rmp_serde::to_vec_named(msg).map_err(|source| EncodeError::Rmp {
        message: T::NAME,
        source,
    })
}

/// Only the version field; every other field is skipped unparsed.
#[derive(Deserialize)]
struct Probe {
    v: u16,
}

/// rmp-serde's default nesting limit (1024) still overflows a 2 MiB thread stack on crafted
/// input such as 256 KiB of `[[[[…`; our deepest message (a `Welcome`'s job's winners) nests
/// three containers, so a small limit costs nothing.
const MAX_DEPTH: usize = 16;

fn from_slice<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, rmp_serde::decode::Error> {
    let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
    de.set_max_depth(MAX_DEPTH);
    T::deserialize(&mut de)
}

/// Decodes a message: size limit first, then the version, then the message and its limits.
pub fn decode<T: DeserializeOwned + Versioned>(bytes: &[u8]) -> Result<T, DecodeError> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(DecodeError::TooLarge {
            len: bytes.len(),
            max: MAX_MESSAGE_BYTES,
        });
    }
    let malformed = |source| DecodeError::Malformed {
        message: T::NAME,
        source,
    };
    let probe: Probe = from_slice(bytes).map_err(malformed)?;
    if probe.v != PROTOCOL_VERSION {
        return Err(DecodeError::UnsupportedVersion {
            got: probe.v,
            supported: PROTOCOL_VERSION,
        });
    }
    let msg: T = from_slice(bytes).map_err(malformed)?;
    msg.check().map_err(|source| DecodeError::Invalid {
        message: T::NAME,
        source,
    })?;
    Ok(msg)
}

/// Fails if `items` has more than `max` entries.
pub(super) fn check_count<T>(field: &'static str, items: &[T], max: usize) -> Result<(), Invalid> {
    if items.len() > max {
        return Err(Invalid::TooMany {
            field,
            count: items.len(),
            max,
        });
    }
    Ok(())
}

/// Fails if `bytes` is longer than `max`.
pub(super) fn check_len(field: &'static str, bytes: &[u8], max: usize) -> Result<(), Invalid> {
    if bytes.len() > max {
        return Err(Invalid::TooLong {
            field,
            len: bytes.len(),
            max,
        });
    }
    Ok(())
}

/// Fails if an embedded message speaks another version than its container.
pub(super) fn check_embedded_version(field: &'static str, v: u16) -> Result<(), Invalid> {
    if v != PROTOCOL_VERSION {
        return Err(Invalid::OutOfRange {
            field,
            expected: "the protocol version of the containing message",
        });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test helpers may unwrap")]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::wire::{
        Challenge, Hello, Job, JobId, MinerStats, MinuteEvent, Proof, RejectReason, Rejected,
        Resume, SessionId, ShareAck, ShareBatch, ShareItem, ShareReject, ShareRejection, Welcome,
    };

    fn bytes32() -> impl Strategy<Value = [u8; 32]> {
        any::<[u8; 32]>()
    }

    fn text() -> impl Strategy<Value = String> {
        ".{0,20}"
    }

    fn job_id() -> impl Strategy<Value = JobId> {
        (any::<u32>(), any::<u32>()).prop_map(|(h, n)| JobId::new(h, n))
    }

    fn session() -> impl Strategy<Value = SessionId> {
        any::<[u8; 16]>().prop_map(SessionId)
    }

    fn minute() -> impl Strategy<Value = MinuteEvent> {
        (any::<u32>(), 0u8..=10, any::<u64>(), bytes32()).prop_map(
            |(height, minute, at_ms, mac)| MinuteEvent {
                v: PROTOCOL_VERSION,
                height,
                minute,
                at_ms,
                mac,
            },
        )
    }

    fn job() -> impl Strategy<Value = Job> {
        (
            job_id(),
            any::<u32>(),
            any::<u8>(),
            bytes32(),
            prop::collection::vec(prop::collection::vec(any::<u8>(), 0..=8), 0..25),
            prop::collection::vec(any::<u64>(), 0..70),
            any::<u64>(),
            any::<u64>(),
            any::<Option<u64>>(),
            bytes32(),
        )
            .prop_map(
                |(job_id, height, opr_version, chain_id, winners, assets, md, at, exp, mac)| Job {
                    v: PROTOCOL_VERSION,
                    job_id,
                    height,
                    opr_version,
                    chain_id,
                    winners,
                    assets,
                    minimum_difficulty: md,
                    lxr_bits: 10,
                    issued_at_ms: at,
                    expires_at_ms: exp,
                    mac,
                },
            )
    }

    fn share_reject() -> impl Strategy<Value = ShareReject> {
        prop::sample::select(ShareReject::ALL.to_vec())
    }

    fn batch() -> impl Strategy<Value = ShareBatch> {
        (
            session(),
            job_id(),
            any::<u64>(),
            any::<bool>(),
            prop::collection::vec(
                (prop::collection::vec(any::<u8>(), 0..20), any::<u64>())
                    .prop_map(|(nonce, difficulty)| ShareItem { nonce, difficulty }),
                0..30,
            ),
            bytes32(),
        )
            .prop_map(
                |(session, job_id, seq, final_batch, shares, mac)| ShareBatch {
                    v: PROTOCOL_VERSION,
                    session,
                    job_id,
                    seq,
                    final_batch,
                    shares,
                    mac,
                },
            )
    }

    fn stats() -> impl Strategy<Value = MinerStats> {
        (
            session(),
            text(),
            any::<u64>(),
            any::<u32>(),
            any::<u64>(),
            // NaN is not equal to itself; any other float must round-trip exactly.
            any::<f64>().prop_filter("not NaN", |f| !f.is_nan()),
            any::<u64>(),
            any::<u16>(),
            bytes32(),
        )
            .prop_map(
                |(session, miner, seq, height, hashes_total, hash_rate, best, threads, mac)| {
                    MinerStats {
                        v: PROTOCOL_VERSION,
                        session,
                        miner,
                        seq,
                        height,
                        hashes_total,
                        hash_rate,
                        best_difficulty: best,
                        threads,
                        mac,
                    }
                },
            )
    }

    fn round_trips<T>(msg: &T) -> Result<(), TestCaseError>
    where
        T: Serialize + DeserializeOwned + Versioned + PartialEq + std::fmt::Debug,
    {
        let bytes = encode(msg).unwrap();
        let back: T = decode(&bytes).unwrap();
        prop_assert_eq!(&back, msg);
        Ok(())
    }

    #[test]
    fn a_hello_without_resume_from_an_older_miner_decodes() {
        #[derive(Serialize)]
        struct OldHello {
            v: u16,
            miner: String,
            identity: String,
            payout: String,
            #[serde(with = "crate::wire::bin::array")]
            client_nonce: [u8; 32],
            software: String,
        }
        let old = OldHello {
            v: PROTOCOL_VERSION,
            miner: "rig-1".into(),
            identity: "prototype".into(),
            payout: "FA".into(),
            client_nonce: [7; 32],
            software: "old".into(),
        };
        let hello: Hello = decode(&rmp_serde::to_vec_named(&old).unwrap()).unwrap();
        assert_eq!(hello.resume, None);
        assert_eq!(hello.miner, "rig-1");
    }

    /// Decodes `bytes` as every message type; it must never panic, and anything accepted
    /// must satisfy its own limits and re-encode.
    fn decode_all(bytes: &[u8]) {
        fn one<T: Serialize + DeserializeOwned + Versioned>(bytes: &[u8]) {
            if let Ok(m) = decode::<T>(bytes) {
                assert_eq!(m.version(), PROTOCOL_VERSION);
                assert!(m.check().is_ok());
                assert!(encode_named(&m).is_ok());
            }
        }
        one::<MinuteEvent>(bytes);
        one::<Job>(bytes);
        one::<Hello>(bytes);
        one::<Challenge>(bytes);
        one::<Proof>(bytes);
        one::<Welcome>(bytes);
        one::<Rejected>(bytes);
        one::<ShareBatch>(bytes);
        one::<ShareAck>(bytes);
        one::<MinerStats>(bytes);
    }

    fn sample_encodings() -> Vec<Vec<u8>> {
        let job = Job {
            v: PROTOCOL_VERSION,
            job_id: JobId::new(1, 0),
            height: 1,
            opr_version: 5,
            chain_id: [1; 32],
            winners: vec![vec![2; 8]; 3],
            assets: vec![3; 5],
            minimum_difficulty: 4,
            lxr_bits: 10,
            issued_at_ms: 5,
            expires_at_ms: Some(6),
            mac: [7; 32],
        };
        let minute = MinuteEvent {
            v: PROTOCOL_VERSION,
            height: 1,
            minute: 9,
            at_ms: 2,
            mac: [3; 32],
        };
        vec![
            encode(&minute).unwrap(),
            encode(&job).unwrap(),
            encode(&Welcome {
                v: PROTOCOL_VERSION,
                session: SessionId([1; 16]),
                slot: 2,
                threads_max: Some(3),
                job: Some(job),
                minute: Some(minute),
                coordinator_proof: [4; 32],
            })
            .unwrap(),
            encode(&ShareBatch {
                v: PROTOCOL_VERSION,
                session: SessionId([1; 16]),
                job_id: JobId::new(1, 0),
                seq: 300,
                final_batch: true,
                shares: vec![
                    ShareItem {
                        nonce: vec![5; 14],
                        difficulty: u64::MAX,
                    };
                    3
                ],
                mac: [6; 32],
            })
            .unwrap(),
            encode(&ShareAck {
                v: PROTOCOL_VERSION,
                job_id: JobId::new(1, 0),
                seq: 300,
                accepted: 2,
                rejected: vec![ShareRejection {
                    index: 1,
                    reason: ShareReject::Duplicate,
                }],
                batch_error: None,
            })
            .unwrap(),
            encode(&Rejected {
                v: PROTOCOL_VERSION,
                reason: RejectReason::BadProof,
                detail: "no".into(),
            })
            .unwrap(),
        ]
    }

    proptest! {
        #[test]
        fn minute_round_trips(m in minute()) { round_trips(&m)?; }

        #[test]
        fn job_round_trips(j in job()) { round_trips(&j)?; }

        #[test]
        fn hello_round_trips(
            miner in text(), identity in text(), payout in text(), software in text(),
            client_nonce in bytes32(), resume in proptest::option::of((session(), any::<u32>())),
        ) {
            let resume = resume.map(|(session, slot)| Resume { session, slot });
            round_trips(&Hello { v: PROTOCOL_VERSION, miner, identity, payout, client_nonce, software, resume })?;
        }

        #[test]
        fn challenge_round_trips(challenge in bytes32(), expires_at_ms: u64) {
            round_trips(&Challenge { v: PROTOCOL_VERSION, challenge, expires_at_ms })?;
        }

        #[test]
        fn proof_round_trips(
            challenge in bytes32(), client_nonce in bytes32(), miner in text(),
            identity in text(), payout in text(), mac in bytes32(),
        ) {
            round_trips(&Proof { v: PROTOCOL_VERSION, challenge, client_nonce, miner, identity, payout, mac })?;
        }

        #[test]
        fn welcome_round_trips(
            session in session(), slot: u32, threads_max: Option<u16>,
            job in prop::option::of(job()), minute in prop::option::of(minute()),
            coordinator_proof in bytes32(),
        ) {
            round_trips(&Welcome { v: PROTOCOL_VERSION, session, slot, threads_max, job, minute, coordinator_proof })?;
        }

        #[test]
        fn rejected_round_trips(i in 0usize..11, detail in text()) {
            let reasons = [
                RejectReason::BadProof, RejectReason::ExpiredChallenge,
                RejectReason::UnknownChallenge, RejectReason::RateLimited,
                RejectReason::BadMinerName, RejectReason::BadIdentity, RejectReason::BadPayout,
                RejectReason::AuthDisabled, RejectReason::NoSlot, RejectReason::Malformed,
                RejectReason::UnsupportedVersion,
            ];
            round_trips(&Rejected { v: PROTOCOL_VERSION, reason: reasons[i], detail })?;
        }

        #[test]
        fn batch_round_trips(b in batch()) { round_trips(&b)?; }

        #[test]
        fn ack_round_trips(
            job_id in job_id(), seq: u64, accepted: u32,
            rejected in prop::collection::vec((any::<u32>(), share_reject())
                .prop_map(|(index, reason)| ShareRejection { index, reason }), 0..20),
            batch_error in prop::option::of(share_reject()),
        ) {
            round_trips(&ShareAck { v: PROTOCOL_VERSION, job_id, seq, accepted, rejected, batch_error })?;
        }

        #[test]
        fn stats_round_trips(s in stats()) { round_trips(&s)?; }

        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            decode_all(&bytes);
        }

        #[test]
        fn mutated_encodings_never_panic(
            which in any::<prop::sample::Index>(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
            truncate: bool,
        ) {
            let samples = sample_encodings();
            let mut bytes = samples[which.index(samples.len())].clone();
            for (at, value) in edits {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            if truncate {
                bytes.truncate(cut.index(bytes.len()));
            }
            decode_all(&bytes);
        }

        #[test]
        fn every_truncation_is_an_error(which in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>()) {
            let samples = sample_encodings();
            let bytes = &samples[which.index(samples.len())];
            let short = &bytes[..cut.index(bytes.len())];
            prop_assert!(decode::<Job>(short).is_err());
            prop_assert!(decode::<ShareBatch>(short).is_err());
            prop_assert!(decode::<Welcome>(short).is_err());
        }
    }

    /// Deep nesting must hit rmp-serde's depth limit, not overflow the stack, whether it is
    /// in a skipped field (the version probe) or where a value is expected.
    #[test]
    fn deep_nesting_is_an_error() {
        for inner in [0x91u8, 0x81] {
            let mut skipped = vec![0x82, 0xa1, b'v', 0x01, 0xa1, b'x'];
            skipped.extend(std::iter::repeat_n(inner, MAX_MESSAGE_BYTES - 16));
            decode_all(&skipped);
            let mut top = vec![inner; MAX_MESSAGE_BYTES];
            top[0] = 0x81;
            decode_all(&top);
        }
        let mut in_field = vec![0x82, 0xa1, b'v', 0x01, 0xa6];
        in_field.extend_from_slice(b"shares");
        in_field.extend(std::iter::repeat_n(0x91, MAX_MESSAGE_BYTES - 16));
        assert_eq!(
            decode::<ShareBatch>(&in_field).unwrap_err().as_str(),
            "malformed"
        );
    }

    #[test]
    fn oversized_input_is_refused_before_parsing() {
        // Not even MessagePack: only the size can have refused it.
        let big = vec![0xc1; MAX_MESSAGE_BYTES + 1];
        let err = decode::<ShareBatch>(&big).unwrap_err();
        assert!(
            matches!(err, DecodeError::TooLarge { len, max: MAX_MESSAGE_BYTES } if len == big.len())
        );
        assert_eq!(err.as_str(), "too_large");
    }

    #[test]
    fn unsupported_version_is_distinct() {
        let m = MinuteEvent {
            v: 2,
            height: 1,
            minute: 1,
            at_ms: 1,
            mac: [0; 32],
        };
        let err = decode::<MinuteEvent>(&encode_named(&m).unwrap()).unwrap_err();
        assert!(matches!(
            err,
            DecodeError::UnsupportedVersion {
                got: 2,
                supported: PROTOCOL_VERSION
            }
        ));
        assert_eq!(err.as_str(), "unsupported_version");
    }

    /// A future version may change every other field; the version is still read and reported.
    #[test]
    fn version_is_read_from_any_map() {
        #[derive(Serialize)]
        struct Future {
            shape: Vec<String>,
            v: u16,
        }
        let bytes = rmp_serde::to_vec_named(&Future {
            shape: vec!["x".into()],
            v: 9,
        })
        .unwrap();
        let err = decode::<ShareBatch>(&bytes).unwrap_err();
        assert!(matches!(
            err,
            DecodeError::UnsupportedVersion { got: 9, .. }
        ));
    }

    #[test]
    fn missing_version_or_wrong_shape_is_malformed() {
        let no_v = rmp_serde::to_vec_named(&std::collections::BTreeMap::from([("x", 1)])).unwrap();
        let err = decode::<Job>(&no_v).unwrap_err();
        assert_eq!(err.as_str(), "malformed");
        let minute = sample_encodings().remove(0);
        assert_eq!(decode::<Job>(&minute).unwrap_err().as_str(), "malformed");
        assert_eq!(decode::<Job>(&[]).unwrap_err().as_str(), "malformed");
    }

    #[test]
    fn extra_fields_are_ignored() {
        #[derive(Serialize)]
        struct Newer {
            v: u16,
            challenge: serde_bytes_like::Bin,
            expires_at_ms: u64,
            shiny: String,
        }
        mod serde_bytes_like {
            pub struct Bin(pub Vec<u8>);
            impl serde::Serialize for Bin {
                fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    s.serialize_bytes(&self.0)
                }
            }
        }
        let bytes = rmp_serde::to_vec_named(&Newer {
            v: PROTOCOL_VERSION,
            challenge: serde_bytes_like::Bin(vec![8; 32]),
            expires_at_ms: 5,
            shiny: "new".into(),
        })
        .unwrap();
        let c: Challenge = decode(&bytes).unwrap();
        assert_eq!(c.challenge, [8; 32]);
        assert_eq!(c.expires_at_ms, 5);
    }

    #[test]
    fn byte_arrays_as_integer_lists_are_accepted() {
        // serde's default form, as a client in another language might write it.
        #[derive(Serialize)]
        struct Plain {
            v: u16,
            challenge: [u8; 32],
            expires_at_ms: u64,
        }
        let bytes = rmp_serde::to_vec_named(&Plain {
            v: PROTOCOL_VERSION,
            challenge: [200; 32],
            expires_at_ms: 1,
        })
        .unwrap();
        assert_eq!(decode::<Challenge>(&bytes).unwrap().challenge, [200; 32]);
        // A bin of the wrong length is refused, not truncated or padded.
        #[derive(Serialize)]
        struct Short {
            v: u16,
            #[serde(with = "crate::wire::bin::vec")]
            challenge: Vec<u8>,
            expires_at_ms: u64,
        }
        let short = rmp_serde::to_vec_named(&Short {
            v: PROTOCOL_VERSION,
            challenge: vec![1; 31],
            expires_at_ms: 1,
        })
        .unwrap();
        assert_eq!(
            decode::<Challenge>(&short).unwrap_err().as_str(),
            "malformed"
        );
    }

    #[test]
    fn wire_names_are_stable() {
        let bytes = sample_encodings().remove(3);
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            text.contains("final"),
            "ShareBatch::final_batch is `final` on the wire"
        );
        assert!(!text.contains("final_batch"));
        let ack = sample_encodings().remove(4);
        assert!(String::from_utf8_lossy(&ack).contains("duplicate"));
        let rejected = sample_encodings().remove(5);
        assert!(String::from_utf8_lossy(&rejected).contains("bad_proof"));
    }

    #[test]
    fn as_str_matches_wire_names() {
        for r in ShareReject::ALL {
            let wire = rmp_serde::to_vec(&r).unwrap();
            let name: String = rmp_serde::from_slice(&wire).unwrap();
            assert_eq!(name, r.as_str());
        }
        let wire = rmp_serde::to_vec(&RejectReason::UnknownChallenge).unwrap();
        let name: String = rmp_serde::from_slice(&wire).unwrap();
        assert_eq!(name, RejectReason::UnknownChallenge.as_str());
    }

    #[test]
    fn share_count_is_limited() {
        let mut b = ShareBatch {
            v: PROTOCOL_VERSION,
            session: SessionId([0; 16]),
            job_id: JobId::new(1, 0),
            seq: 0,
            final_batch: false,
            shares: vec![
                ShareItem {
                    nonce: vec![0xff; 14],
                    difficulty: u64::MAX,
                };
                MAX_SHARES_PER_BATCH
            ],
            mac: [0; 32],
        };
        // A full batch of our nonces fits the message limit.
        let full = encode(&b).unwrap();
        assert!(decode::<ShareBatch>(&full).is_ok());
        b.shares.push(b.shares[0].clone());
        let over = encode_named(&b).unwrap();
        let err = decode::<ShareBatch>(&over).unwrap_err();
        assert!(matches!(
            err,
            DecodeError::Invalid {
                source: Invalid::TooMany {
                    field: "shares",
                    count: 4097,
                    max: MAX_SHARES_PER_BATCH
                },
                ..
            }
        ));
        assert_eq!(err.as_str(), "invalid");
    }

    #[test]
    fn encode_refuses_what_decode_would() {
        let b = ShareBatch {
            v: PROTOCOL_VERSION,
            session: SessionId([0; 16]),
            job_id: JobId::new(1, 0),
            seq: 0,
            final_batch: false,
            shares: vec![
                ShareItem {
                    nonce: vec![0; 64],
                    difficulty: 0,
                };
                MAX_SHARES_PER_BATCH
            ],
            mac: [0; 32],
        };
        assert!(matches!(
            encode(&b),
            Err(EncodeError::TooLarge {
                message: "ShareBatch",
                ..
            })
        ));
    }

    #[test]
    fn ranges_and_lengths_are_checked() {
        let mut m = MinuteEvent {
            v: PROTOCOL_VERSION,
            height: 1,
            minute: 11,
            at_ms: 1,
            mac: [0; 32],
        };
        assert!(matches!(
            decode::<MinuteEvent>(&encode(&m).unwrap()),
            Err(DecodeError::Invalid {
                source: Invalid::OutOfRange {
                    field: "minute",
                    ..
                },
                ..
            })
        ));
        m.minute = 10;
        assert!(decode::<MinuteEvent>(&encode(&m).unwrap()).is_ok());

        let hello = Hello {
            v: PROTOCOL_VERSION,
            miner: "m".repeat(MAX_TEXT_BYTES + 1),
            identity: String::new(),
            payout: String::new(),
            client_nonce: [0; 32],
            software: String::new(),
            resume: None,
        };
        assert!(matches!(
            decode::<Hello>(&encode(&hello).unwrap()),
            Err(DecodeError::Invalid {
                source: Invalid::TooLong { field: "miner", .. },
                ..
            })
        ));

        let mut w = Welcome {
            v: PROTOCOL_VERSION,
            session: SessionId([0; 16]),
            slot: 0,
            threads_max: None,
            job: None,
            minute: Some(MinuteEvent { v: 7, ..m }),
            coordinator_proof: [0; 32],
        };
        assert!(matches!(
            decode::<Welcome>(&encode(&w).unwrap()),
            Err(DecodeError::Invalid {
                source: Invalid::OutOfRange {
                    field: "minute.v",
                    ..
                },
                ..
            })
        ));
        w.minute = Some(m);
        assert!(decode::<Welcome>(&encode(&w).unwrap()).is_ok());
    }

    #[test]
    fn bad_job_id_on_the_wire_is_malformed() {
        #[derive(Serialize)]
        struct Ack<'a> {
            v: u16,
            job_id: &'a str,
            seq: u64,
            accepted: u32,
            rejected: Vec<ShareRejection>,
            batch_error: Option<ShareReject>,
        }
        let bytes = rmp_serde::to_vec_named(&Ack {
            v: PROTOCOL_VERSION,
            job_id: "a.>",
            seq: 0,
            accepted: 0,
            rejected: vec![],
            batch_error: None,
        })
        .unwrap();
        assert_eq!(
            decode::<ShareAck>(&bytes).unwrap_err().as_str(),
            "malformed"
        );
    }
}
