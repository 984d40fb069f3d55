//! Knowing that the server has processed what a client sent.
//!
//! `async_nats::Client::flush` only writes the client's buffer to the socket; it does not wait
//! for the server. So "subscribe, flush, then publish from another client" races: the server may
//! see the other client's message before the subscription. [`server_barrier`] closes that race
//! with a round trip: a request to a subject nobody subscribes to is answered by the server
//! itself ("no responders"), and the server handles one connection's messages in order, so the
//! answer means everything the client sent earlier (subscriptions included) is in effect.

use async_nats::{Client, RequestErrorKind};

use crate::HarnessError;

/// Returns once the server has processed everything `client` sent before this call.
///
/// `subject` must have no subscribers and the client must be allowed to publish to it (under
/// `nats/secure.conf`, for example `pegnet.barrier.jobs` as the coordinator or
/// `pegnet.barrier.auth.hello` as a miner). Bounded by the client's request timeout (10 s by
/// default).
///
/// # Errors
///
/// [`HarnessError::BarrierAnswered`] when something answered on `subject`,
/// [`HarnessError::Barrier`] when the request failed otherwise (a timeout, for example because
/// the client may not publish there).
pub async fn server_barrier(client: &Client, subject: &str) -> Result<(), HarnessError> {
    match client.request(subject.to_owned(), "".into()).await {
        Err(error) if error.kind() == RequestErrorKind::NoResponders => Ok(()),
        Ok(_) => Err(HarnessError::BarrierAnswered {
            subject: subject.to_owned(),
        }),
        Err(source) => Err(HarnessError::Barrier {
            subject: subject.to_owned(),
            source,
        }),
    }
}
