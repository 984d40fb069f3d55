//! Sending shares (DESIGN §6 "Nothing found is lost"): streamed improvements during the
//! block, and the final set after the stop signal, retried until acknowledged or the block
//! ends.
//!
//! Every batch is a NATS request on the job's share subject, MACed under the session key
//! with a fresh `seq`, answered by a `ShareAck`. A stream batch's fate goes back to the
//! owner, whose [`crate::outbox::Outbox`] sends what was lost again with the next batch; the
//! final batch carries the whole best set (a share the coordinator already accepted from
//! this miner counts as accepted again) and is sent even when empty.

use std::sync::Arc;
use std::time::Duration;

use async_nats::{Client, Request, RequestErrorKind};
use pegnet_common::wire::{
    DecodeError, EncodeError, JobId, PROTOCOL_VERSION, ShareAck, ShareBatch, ShareItem,
    ShareReject, decode, encode,
};
use pegnet_process::Backoff;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::metrics;
use crate::outbox::Outcome;
use crate::session::Session;

/// How long a batch waits for its ack.
const ACK_TIMEOUT: Duration = Duration::from_secs(2);
/// The pause before resending an unanswered final batch; doubles up to [`FINAL_RETRY_MAX`].
const FINAL_RETRY_INITIAL: Duration = Duration::from_millis(250);
const FINAL_RETRY_MAX: Duration = Duration::from_secs(2);

/// Which kind of batch, for metrics and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An improvement during the block.
    Stream,
    /// The whole best set after the stop signal.
    Final,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Stream => "stream",
            Kind::Final => "final",
        }
    }
}

/// Why a batch got no usable ack.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// Timed out, no coordinator listening, or the connection failed.
    #[error("no ack on {subject}: {kind}")]
    NoAck {
        /// The share subject.
        subject: String,
        /// What the request ran into.
        kind: RequestErrorKind,
    },
    /// The answer is not a `ShareAck`.
    #[error("the answer to a share batch is not a ShareAck: {0}")]
    Malformed(#[from] DecodeError),
    /// The ack is for another batch.
    #[error("the ack is for seq {got}; the batch was seq {sent}")]
    WrongSeq {
        /// Our batch's seq.
        sent: u64,
        /// The ack's.
        got: u64,
    },
    /// Our batch would not encode (or MAC).
    #[error("cannot encode the share batch: {0}")]
    Encode(#[from] EncodeError),
}

impl SubmitError {
    fn label(&self) -> &'static str {
        match self {
            SubmitError::NoAck {
                kind: RequestErrorKind::TimedOut,
                ..
            } => "timeout",
            SubmitError::NoAck {
                kind: RequestErrorKind::NoResponders,
                ..
            } => "no_responders",
            SubmitError::NoAck { .. } => "request_failed",
            SubmitError::Malformed(_) => "malformed_ack",
            SubmitError::WrongSeq { .. } => "wrong_seq",
            SubmitError::Encode(_) => "encode",
        }
    }
}

/// Whether an ack says the session is gone or its key is wrong: then only a new session
/// helps.
pub fn session_refused(ack: &ShareAck) -> bool {
    matches!(
        ack.batch_error,
        Some(ShareReject::UnknownSession | ShareReject::BadMac)
    )
}

/// Where a job's shares go, and how to tell the owner a session was refused.
#[derive(Debug, Clone)]
pub struct Submitter {
    pub client: Client,
    /// The job's share subject.
    pub subject: String,
    pub job_id: JobId,
    pub height: u32,
    /// Epochs of sessions the coordinator no longer knows, for the owner to re-authenticate.
    pub refused: mpsc::Sender<u64>,
}

impl Submitter {
    /// Sends one batch under `session` and accounts for its ack (or its failure).
    pub async fn send(
        &self,
        session: &Session,
        kind: Kind,
        shares: &[ShareItem],
    ) -> Result<ShareAck, SubmitError> {
        let result = self.request(session, kind, shares).await;
        match &result {
            Ok(ack) => {
                account(ack);
                if session_refused(ack) {
                    // The owner may already be re-authenticating; a full channel means it
                    // has been told.
                    self.refused.try_send(session.epoch).ok();
                }
            }
            Err(e) => metrics::batch_failed(e.label()),
        }
        result
    }

    async fn request(
        &self,
        session: &Session,
        kind: Kind,
        shares: &[ShareItem],
    ) -> Result<ShareAck, SubmitError> {
        let mut batch = ShareBatch {
            v: PROTOCOL_VERSION,
            session: session.id,
            job_id: self.job_id.clone(),
            seq: session.next_seq(),
            final_batch: kind == Kind::Final,
            shares: shares.to_vec(),
            mac: [0; 32],
        };
        batch.mac = session.key.mac_batch(&batch)?;
        let payload = encode(&batch)?;
        metrics::shares_sent(kind.as_str(), shares.len());
        let request = Request::new()
            .payload(payload.into())
            .timeout(Some(ACK_TIMEOUT));
        let message = self
            .client
            .send_request(self.subject.clone(), request)
            .await
            .map_err(|e| SubmitError::NoAck {
                subject: self.subject.clone(),
                kind: e.kind(),
            })?;
        let ack = decode::<ShareAck>(&message.payload)?;
        if ack.seq != batch.seq {
            return Err(SubmitError::WrongSeq {
                sent: batch.seq,
                got: ack.seq,
            });
        }
        Ok(ack)
    }

    /// Streams `shares` and says how it went (a lost batch is sent again by the owner).
    pub async fn stream(&self, session: &Session, shares: &[ShareItem]) -> Outcome {
        match self.send(session, Kind::Stream, shares).await {
            Ok(ack) => {
                tracing::debug!(
                    job = %self.job_id, seq = ack.seq, accepted = ack.accepted,
                    rejected = ack.rejected.len(), "stream batch acked"
                );
                Outcome::Acked(ack)
            }
            Err(e) => {
                tracing::warn!(job = %self.job_id, error = %e, shares = shares.len(),
                    "stream batch lost; its shares go with the next one");
                Outcome::Lost
            }
        }
    }

    /// Sends the final set until an ack arrives (a new session is waited for if the
    /// coordinator lost ours), or `cancel` says the block ended.
    pub async fn send_final(
        &self,
        mut sessions: watch::Receiver<Option<Arc<Session>>>,
        shares: Vec<ShareItem>,
        cancel: &CancellationToken,
    ) {
        let mut delay = Backoff::new(FINAL_RETRY_INITIAL, FINAL_RETRY_MAX);
        let mut refused_epoch = 0;
        loop {
            let Some(session) = cancel
                .run_until_cancelled(next_session(&mut sessions, refused_epoch))
                .await
                .flatten()
            else {
                return;
            };
            let result = cancel
                .run_until_cancelled(self.send(&session, Kind::Final, &shares))
                .await;
            match result {
                None => return,
                Some(Ok(ack)) if session_refused(&ack) => {
                    tracing::warn!(job = %self.job_id,
                        "final batch refused with the session; resending under a new one");
                    refused_epoch = session.epoch;
                }
                // A seq the coordinator has seen: no share was looked at; the next try has
                // a new seq.
                Some(Ok(ack)) if ack.batch_error == Some(ShareReject::Replayed) => {
                    tracing::warn!(job = %self.job_id, "final batch refused as a replay; resending");
                    if !pause(cancel, &mut delay).await {
                        return;
                    }
                }
                Some(Ok(ack)) => {
                    log_final(&self.job_id, self.height, shares.len(), &ack);
                    return;
                }
                Some(Err(e)) => {
                    tracing::warn!(job = %self.job_id, error = %e,
                        "final batch not acked; resending");
                    if !pause(cancel, &mut delay).await {
                        return;
                    }
                }
            }
        }
    }
}

/// Waits the next delay; `false` if cancelled meanwhile.
async fn pause(cancel: &CancellationToken, delay: &mut Backoff) -> bool {
    cancel
        .run_until_cancelled(tokio::time::sleep(delay.next_delay()))
        .await
        .is_some()
}

/// The first session newer than `refused_epoch`; `None` if the owner is gone.
async fn next_session(
    sessions: &mut watch::Receiver<Option<Arc<Session>>>,
    refused_epoch: u64,
) -> Option<Arc<Session>> {
    let current = sessions
        .wait_for(|s| matches!(s, Some(s) if s.epoch > refused_epoch))
        .await
        .ok()?;
    current.as_ref().map(Arc::clone)
}

fn log_final(job: &JobId, height: u32, sent: usize, ack: &ShareAck) {
    match ack.batch_error {
        None => tracing::info!(
            job = %job, height, sent, accepted = ack.accepted, rejected = ack.rejected.len(),
            "final batch acked"
        ),
        Some(reason) => tracing::warn!(
            job = %job, height, sent, reason = reason.as_str(),
            "final batch refused as a whole"
        ),
    }
}

/// Counts an ack's accepted and rejected shares and any batch error.
fn account(ack: &ShareAck) {
    metrics::shares_accepted(ack.accepted);
    for r in &ack.rejected {
        metrics::share_rejected(r.reason.as_str());
    }
    if let Some(reason) = ack.batch_error {
        metrics::batch_failed(reason.as_str());
    }
}
