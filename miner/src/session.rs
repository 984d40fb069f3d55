//! Authentication (DESIGN §5) and the session it opens.
//!
//! `Hello` → `Challenge` → `Proof` → `Welcome` with authentication on; `Hello` → `Welcome`
//! with it off. Every way this can fail (no coordinator yet, a refusal such as a wrong
//! secret, a coordinator configured the other way round, one that cannot prove it holds the
//! secret) is logged with what to do about it, counted by reason, and retried with
//! exponential backoff: never a hot loop, never a silent exit.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_nats::{Client, Request, RequestErrorKind};
use pegnet_common::wire::{
    DecodeError, EncodeError, Hello, HelloReply, PROTOCOL_VERSION, Proof, ProveReply, RandomError,
    RejectReason, Resume, Secret, SessionId, SessionKey, Subjects, Welcome, decode_hello_reply,
    decode_prove_reply, encode, miner_proof, random_bytes, session_key, verify_coordinator_proof,
};
use pegnet_process::Backoff;
use tokio_util::sync::CancellationToken;

use crate::metrics;

/// How long each authentication request waits for the coordinator.
const AUTH_TIMEOUT: Duration = Duration::from_secs(5);
/// The first retry delay after a failure; it doubles up to [`BACKOFF_MAX`].
pub const BACKOFF_INITIAL: Duration = Duration::from_secs(1);
/// The longest retry delay (before jitter) after a refusal.
pub const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// The longest retry delay while nothing answers: a coordinator starting after its miners
/// is found within seconds, and nobody is being pestered meanwhile.
pub const UNANSWERED_BACKOFF_MAX: Duration = Duration::from_secs(10);

/// An open session: what every `ShareBatch` and `MinerStats` is sent under.
#[derive(Debug)]
pub struct Session {
    /// The coordinator's id for it.
    pub id: SessionId,
    /// What its messages are MACed with.
    pub key: SessionKey,
    /// Which of this miner's sessions it is (1, 2, …), so a report about an old session
    /// does not end a new one.
    pub epoch: u64,
    seq: AtomicU64,
}

impl Session {
    /// A session whose first message gets `seq` 1.
    pub fn new(id: SessionId, key: SessionKey, epoch: u64) -> Session {
        Session {
            id,
            key,
            epoch,
            seq: AtomicU64::new(0),
        }
    }

    /// The next sequence number, shared by batches and stats; strictly increasing.
    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// A successful handshake.
#[derive(Debug)]
pub struct Established {
    /// The coordinator's `Welcome` (its proof already checked).
    pub welcome: Welcome,
    /// The session key derived from the secret, challenge and client nonce.
    pub key: SessionKey,
}

/// Why a handshake failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Nothing answered: no coordinator yet, or the connection is down.
    #[error("no answer on {subject}: {kind} (is the coordinator running?)")]
    NoAnswer {
        /// The request subject.
        subject: String,
        /// Timed out, no responders, or a client error.
        kind: RequestErrorKind,
    },
    /// The answer is not one of the expected messages.
    #[error("the coordinator's answer to {what} does not decode: {source}")]
    Malformed {
        /// `Hello` or `Proof`.
        what: &'static str,
        /// Why.
        source: DecodeError,
    },
    /// The coordinator refused the miner.
    #[error("the coordinator refused us: {} ({detail}){}", .reason.as_str(), hint(*.reason))]
    Rejected {
        /// The coordinator's reason.
        reason: RejectReason,
        /// Its explanation.
        detail: String,
    },
    /// We have a secret; the coordinator does not check it.
    #[error(
        "coordinator has authentication off but Miner.UseCoordinatorAuthentication is true; not mining for a coordinator that cannot prove it holds the secret (turn authentication on at the coordinator, or off here)"
    )]
    CoordinatorAuthOff,
    /// The coordinator wants a proof; we have no secret.
    #[error(
        "the coordinator requires authentication: set Miner.CoordinatorSecret to the coordinator's secret and Miner.UseCoordinatorAuthentication = true"
    )]
    CoordinatorAuthOn,
    /// The `Welcome`'s proof does not verify under our secret.
    #[error(
        "the coordinator's proof does not verify: it does not hold our Miner.CoordinatorSecret (a different secret, or an impostor); not mining for it"
    )]
    BadCoordinatorProof,
    /// No randomness for the client nonce.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// Our own message would not encode.
    #[error("cannot encode {what}: {source}")]
    Encode {
        /// `Hello` or `Proof`.
        what: &'static str,
        /// Why.
        source: EncodeError,
    },
}

impl AuthError {
    /// A stable label for the failure metric.
    pub fn label(&self) -> &'static str {
        match self {
            AuthError::NoAnswer {
                kind: RequestErrorKind::TimedOut,
                ..
            } => "timeout",
            AuthError::NoAnswer {
                kind: RequestErrorKind::NoResponders,
                ..
            } => "no_responders",
            AuthError::NoAnswer { .. } => "request_failed",
            AuthError::Malformed { .. } => "malformed_reply",
            AuthError::Rejected { reason, .. } => reason.as_str(),
            AuthError::CoordinatorAuthOff | AuthError::CoordinatorAuthOn => "auth_mismatch",
            AuthError::BadCoordinatorProof => "bad_coordinator_proof",
            AuthError::Random(_) => "random",
            AuthError::Encode { .. } => "encode",
        }
    }

    /// Whether the failure is only the coordinator not (yet) being reachable, which is
    /// worth a warning, not an error.
    fn is_transient(&self) -> bool {
        matches!(self, AuthError::NoAnswer { .. })
    }
}

/// What to do about a refusal, for the log.
fn hint(reason: RejectReason) -> &'static str {
    match reason {
        RejectReason::BadProof => ": wrong Miner.CoordinatorSecret?",
        RejectReason::RateLimited => ": too many failed attempts; waiting longer",
        RejectReason::BadMinerName => ": check Miner.MinerName",
        RejectReason::BadIdentity => ": check Miner.IdentityChain",
        RejectReason::BadPayout => ": check Miner.CoinbaseAddress",
        RejectReason::AuthDisabled => {
            ": the coordinator has authentication off; set Miner.UseCoordinatorAuthentication = false"
        }
        RejectReason::NoSlot => ": the coordinator has no free nonce slot; waiting",
        RejectReason::UnsupportedVersion => {
            ": the coordinator speaks another protocol version; upgrade one of them"
        }
        RejectReason::ExpiredChallenge | RejectReason::UnknownChallenge => {
            ": the challenge was answered too late; retrying"
        }
        RejectReason::Malformed => "",
    }
}

/// Everything a handshake needs; cheap to clone into a task.
#[derive(Debug, Clone)]
pub struct Authenticator {
    pub client: Client,
    pub subjects: Subjects,
    /// `None` when authentication is off.
    pub secret: Option<Secret>,
    pub name: String,
    pub identity: String,
    pub payout: String,
}

impl Authenticator {
    /// Handshakes until a session opens, backing off after each failure; `None` when
    /// `cancel` ends it first. `resume` names the session this miner held last, so the
    /// coordinator can give its slot back.
    pub async fn authenticate(
        &self,
        cancel: &CancellationToken,
        resume: Option<Resume>,
    ) -> Option<Established> {
        let mut refused = Backoff::new(BACKOFF_INITIAL, BACKOFF_MAX);
        let mut unanswered = Backoff::new(BACKOFF_INITIAL, UNANSWERED_BACKOFF_MAX);
        loop {
            let error = match cancel.run_until_cancelled(self.attempt(resume)).await? {
                Ok(established) => return Some(established),
                Err(e) => e,
            };
            metrics::auth_failed(error.label());
            let delay = if error.is_transient() {
                unanswered.next_delay()
            } else {
                refused.next_delay()
            };
            let retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
            if error.is_transient() {
                tracing::warn!(error = %error, retry_in_ms, "authentication failed");
            } else {
                tracing::error!(error = %error, retry_in_ms, "authentication failed");
            }
            cancel
                .run_until_cancelled(tokio::time::sleep(delay))
                .await?;
        }
    }

    /// One handshake.
    pub async fn attempt(&self, resume: Option<Resume>) -> Result<Established, AuthError> {
        let client_nonce = random_bytes::<32>()?;
        let hello = Hello {
            v: PROTOCOL_VERSION,
            miner: self.name.clone(),
            identity: self.identity.clone(),
            payout: self.payout.clone(),
            client_nonce,
            software: concat!("pegnet-miner/", env!("CARGO_PKG_VERSION")).to_owned(),
            resume,
        };
        let bytes = encode(&hello).map_err(|source| AuthError::Encode {
            what: "Hello",
            source,
        })?;
        let reply = self.request(self.subjects.auth_hello(), bytes).await?;
        let reply = decode_hello_reply(&reply).map_err(|source| AuthError::Malformed {
            what: "Hello",
            source,
        })?;
        match (reply, &self.secret) {
            (HelloReply::Rejected(r), _) => Err(AuthError::Rejected {
                reason: r.reason,
                detail: r.detail,
            }),
            (HelloReply::Welcome(welcome), None) => Ok(Established {
                welcome: *welcome,
                key: SessionKey::disabled(),
            }),
            (HelloReply::Welcome(_), Some(_)) => Err(AuthError::CoordinatorAuthOff),
            (HelloReply::Challenge(_), None) => Err(AuthError::CoordinatorAuthOn),
            (HelloReply::Challenge(c), Some(secret)) => {
                self.prove(secret, c.challenge, client_nonce).await
            }
        }
    }

    async fn prove(
        &self,
        secret: &Secret,
        challenge: [u8; 32],
        client_nonce: [u8; 32],
    ) -> Result<Established, AuthError> {
        let proof = Proof {
            v: PROTOCOL_VERSION,
            challenge,
            client_nonce,
            miner: self.name.clone(),
            identity: self.identity.clone(),
            payout: self.payout.clone(),
            mac: miner_proof(
                secret,
                &challenge,
                &client_nonce,
                &self.name,
                &self.identity,
                &self.payout,
            ),
        };
        let bytes = encode(&proof).map_err(|source| AuthError::Encode {
            what: "Proof",
            source,
        })?;
        let reply = self.request(self.subjects.auth_prove(), bytes).await?;
        let reply = decode_prove_reply(&reply).map_err(|source| AuthError::Malformed {
            what: "Proof",
            source,
        })?;
        let welcome = match reply {
            ProveReply::Rejected(r) => {
                return Err(AuthError::Rejected {
                    reason: r.reason,
                    detail: r.detail,
                });
            }
            ProveReply::Welcome(w) => *w,
        };
        if !verify_coordinator_proof(
            secret,
            &challenge,
            &client_nonce,
            &welcome.session,
            welcome.slot,
            &welcome.coordinator_proof,
        ) {
            return Err(AuthError::BadCoordinatorProof);
        }
        Ok(Established {
            welcome,
            key: session_key(secret, &challenge, &client_nonce),
        })
    }

    async fn request(&self, subject: String, payload: Vec<u8>) -> Result<Vec<u8>, AuthError> {
        let request = Request::new()
            .payload(payload.into())
            .timeout(Some(AUTH_TIMEOUT));
        match self.client.send_request(subject.clone(), request).await {
            Ok(message) => Ok(message.payload.to_vec()),
            Err(e) => Err(AuthError::NoAnswer {
                subject,
                kind: e.kind(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_starts_at_one_and_increases() {
        let s = Session::new(SessionId([0; 16]), SessionKey::disabled(), 1);
        assert_eq!(s.next_seq(), 1);
        assert_eq!(s.next_seq(), 2);
    }

    #[test]
    fn a_wrong_secret_says_so() {
        let e = AuthError::Rejected {
            reason: RejectReason::BadProof,
            detail: "proof does not verify".into(),
        };
        assert_eq!(e.label(), "bad_proof");
        assert!(
            e.to_string().contains("wrong Miner.CoordinatorSecret?"),
            "{e}"
        );
    }
}
