//! Several factomd nodes in order of preference, with retries: a call goes to the first
//! endpoint; a retryable failure (no answer, a timeout, HTTP 5xx) moves it to the next; when
//! every endpoint has failed, it waits with exponential backoff and jitter and goes round
//! again, until the call's deadline. factomd's own "no" (a JSON-RPC error) is an answer, not a
//! failure, and is returned at once. The endpoint that last answered is tried first next time,
//! so a dead preferred node costs one timeout per round, not one per call.
//!
//! The pool also keeps factomd's health for `/status` and `pegnet_coordinator_factomd_up`:
//! up once some endpoint answers, down once a whole round has failed.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pegnet_process::Backoff;
use tokio::time::Instant;

use super::{ClientOptions, FactomdClient, FactomdError};
use crate::health::{DependencyState, Liveness};
use crate::metrics::{FACTOMD_FAILURES, FACTOMD_REQUESTS, FACTOMD_UP};

/// How a pool retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// First wait after a round in which every endpoint failed.
    pub initial_backoff: Duration,
    /// Longest wait between rounds.
    pub max_backoff: Duration,
    /// Give up after this long (the error of the last attempt is returned).
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    /// PegNet's monitor: 100 ms first, at most 10 s between tries, 90 s in all.
    fn default() -> Self {
        RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            deadline: Duration::from_secs(90),
        }
    }
}

/// Why a pool cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("no factomd endpoint configured")]
    Empty,
    #[error(transparent)]
    Client(#[from] FactomdError),
}

/// factomd endpoints in order of preference.
#[derive(Debug)]
pub struct FactomdPool {
    clients: Vec<Arc<FactomdClient>>,
    policy: RetryPolicy,
    /// The endpoint that answered last.
    current: AtomicUsize,
    liveness: Liveness,
}

impl FactomdPool {
    /// A pool over `urls` (most preferred first).
    pub fn new(
        urls: &[String],
        options: &ClientOptions,
        policy: RetryPolicy,
    ) -> Result<FactomdPool, PoolError> {
        if urls.is_empty() {
            return Err(PoolError::Empty);
        }
        let clients = urls
            .iter()
            .map(|u| FactomdClient::new(u, options.clone()).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(FactomdPool {
            clients,
            policy,
            current: AtomicUsize::new(0),
            liveness: Liveness::default(),
        })
    }

    /// The endpoints, most preferred first.
    pub fn clients(&self) -> &[Arc<FactomdClient>] {
        &self.clients
    }

    /// Whether factomd answers, since when, and its last failure.
    pub fn health(&self) -> DependencyState {
        self.liveness.state()
    }

    fn answered(&self, index: usize) {
        self.current.store(index, Ordering::Relaxed);
        self.liveness.ok(crate::writer::now_ms());
        metrics::gauge!(FACTOMD_UP).set(1.0);
    }

    /// The endpoint calls go to first.
    pub fn current(&self) -> &FactomdClient {
        &self.clients[self.current.load(Ordering::Relaxed) % self.clients.len()]
    }

    /// Runs `call` against the endpoints until one answers or the deadline passes:
    /// `pool.call(|c| async move { c.heights().await })`.
    ///
    /// The client is passed owned (an `Arc`) to a plain closure rather than borrowed by an
    /// async closure: rustc cannot prove an async closure that captures a reference `Send`
    /// for every lifetime, which would keep every caller's future off `tokio::spawn`.
    pub async fn call<T, F, Fut>(&self, call: F) -> Result<T, FactomdError>
    where
        F: Fn(Arc<FactomdClient>) -> Fut,
        Fut: Future<Output = Result<T, FactomdError>>,
    {
        let deadline = Instant::now() + self.policy.deadline;
        let mut backoff = Backoff::new(self.policy.initial_backoff, self.policy.max_backoff);
        loop {
            let start = self.current.load(Ordering::Relaxed);
            let mut last_error = None;
            for offset in 0..self.clients.len() {
                let index = (start + offset) % self.clients.len();
                let client = &self.clients[index];
                metrics::counter!(FACTOMD_REQUESTS, "endpoint" => index.to_string()).increment(1);
                match call(Arc::clone(client)).await {
                    Ok(v) => {
                        self.answered(index);
                        return Ok(v);
                    }
                    Err(e) if e.is_retryable() => {
                        metrics::counter!(FACTOMD_FAILURES, "endpoint" => index.to_string())
                            .increment(1);
                        tracing::warn!(endpoint = %client.url(), error = %e, "factomd call failed");
                        last_error = Some(e);
                    }
                    Err(e) => {
                        // factomd's own "no" is an answer: the node is up.
                        self.answered(index);
                        return Err(e);
                    }
                }
            }
            let wait = backoff.next_delay();
            // Every endpoint was tried and none answered (an answer returns above).
            let Some(e) = last_error else {
                continue;
            };
            self.liveness
                .failed(crate::writer::now_ms(), &e.to_string());
            metrics::gauge!(FACTOMD_UP).set(0.0);
            if Instant::now() + wait >= deadline {
                return Err(e);
            }
            tokio::time::sleep(wait).await;
        }
    }
}
