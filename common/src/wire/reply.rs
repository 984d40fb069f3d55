//! The answers to the two authentication requests, which can each be one of several messages.
//!
//! NATS replies carry no type tag, so the reply is decoded as each possible message in turn.
//! That is unambiguous because each candidate has a required field the others lack
//! (`Rejected.reason`, `Challenge.challenge`, `Welcome.session`).

use super::codec::{DecodeError, decode};
use super::message::{Challenge, Rejected, Welcome};

/// What `<p>.auth.hello` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelloReply {
    /// Authentication is on: prove knowledge of the secret.
    Challenge(Challenge),
    /// Authentication is off: the session starts at once.
    Welcome(Box<Welcome>),
    /// The coordinator refused the miner.
    Rejected(Rejected),
}

/// What `<p>.auth.prove` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProveReply {
    /// The proof holds: the session starts.
    Welcome(Box<Welcome>),
    /// The proof failed, expired or was rate-limited.
    Rejected(Rejected),
}

/// Decodes the answer to a `Hello`. On failure the error is the one decoding it as a
/// `Welcome`, the richest of the three.
pub fn decode_hello_reply(bytes: &[u8]) -> Result<HelloReply, DecodeError> {
    if let Ok(rejected) = decode::<Rejected>(bytes) {
        return Ok(HelloReply::Rejected(rejected));
    }
    if let Ok(challenge) = decode::<Challenge>(bytes) {
        return Ok(HelloReply::Challenge(challenge));
    }
    decode::<Welcome>(bytes).map(|w| HelloReply::Welcome(Box::new(w)))
}

/// Decodes the answer to a `Proof`.
pub fn decode_prove_reply(bytes: &[u8]) -> Result<ProveReply, DecodeError> {
    if let Ok(rejected) = decode::<Rejected>(bytes) {
        return Ok(ProveReply::Rejected(rejected));
    }
    decode::<Welcome>(bytes).map(|w| ProveReply::Welcome(Box::new(w)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{PROTOCOL_VERSION, RejectReason, SessionId, encode};

    fn welcome() -> Welcome {
        Welcome {
            v: PROTOCOL_VERSION,
            session: SessionId([7; 16]),
            slot: 3,
            threads_max: None,
            job: None,
            minute: None,
            coordinator_proof: [1; 32],
        }
    }

    #[test]
    fn each_reply_decodes_as_itself() {
        let challenge = Challenge {
            v: PROTOCOL_VERSION,
            challenge: [9; 32],
            expires_at_ms: 5,
        };
        let rejected = Rejected {
            v: PROTOCOL_VERSION,
            reason: RejectReason::BadProof,
            detail: "no".into(),
        };
        let hello = |m: &[u8]| decode_hello_reply(m).expect("decodes");
        assert_eq!(
            hello(&encode(&challenge).expect("encodes")),
            HelloReply::Challenge(challenge)
        );
        assert_eq!(
            hello(&encode(&welcome()).expect("encodes")),
            HelloReply::Welcome(Box::new(welcome()))
        );
        assert_eq!(
            hello(&encode(&rejected).expect("encodes")),
            HelloReply::Rejected(rejected.clone())
        );
        let prove = |m: &[u8]| decode_prove_reply(m).expect("decodes");
        assert_eq!(
            prove(&encode(&welcome()).expect("encodes")),
            ProveReply::Welcome(Box::new(welcome()))
        );
        assert_eq!(
            prove(&encode(&rejected).expect("encodes")),
            ProveReply::Rejected(rejected)
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_guess() {
        assert!(decode_hello_reply(b"\x90").is_err());
        assert!(decode_prove_reply(&[0xc1; 40]).is_err());
    }
}
