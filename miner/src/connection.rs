//! The NATS connection: retried in the background until the first connect succeeds,
//! reconnected without limit, and watched so that the miner re-authenticates after every
//! reconnect (the coordinator may have restarted meanwhile).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_nats::{Client, ConnectError, ConnectOptions, Event};
use tokio::sync::watch;

use crate::config::Settings;
use crate::metrics;

/// Messages a subscription may hold before the client drops them; jobs and minute events
/// come a few per minute, so this only bounds a stalled miner.
const SUBSCRIPTION_CAPACITY: usize = 1024;

/// A client, and a counter that goes up on every reconnect (not on the first connect).
#[derive(Debug)]
pub struct Connection {
    pub client: Client,
    pub reconnects: watch::Receiver<u64>,
}

/// Connects as `settings.name`; returns at once, connecting in the background.
pub async fn connect(settings: &Settings) -> Result<Connection, ConnectError> {
    let (tx, reconnects) = watch::channel(0u64);
    let tx = Arc::new(tx);
    let disconnected = Arc::new(AtomicBool::new(false));
    let servers_for_log = settings.servers_for_log();
    let mut options = ConnectOptions::new();
    // async-nats sends no credentials from the URL (nats.rs#1623): pass them explicitly,
    // `user:password@` as a login and a bare `token@` as a token, as the Go client does.
    if let Some(server) = settings.servers.iter().find(|s| s.username().is_some()) {
        let user = server.username().unwrap_or_default().to_owned();
        options = match server.password() {
            Some(password) => options.user_and_password(user, password.to_owned()),
            None => options.token(user),
        };
    }
    if let Some(ca) = &settings.nats_ca_file {
        options = options.add_root_certificates(ca.clone());
    }
    let client = options
        .name(&settings.name)
        .retry_on_initial_connect()
        .max_reconnects(None)
        .subscription_capacity(SUBSCRIPTION_CAPACITY)
        .event_callback(move |event| {
            let tx = Arc::clone(&tx);
            let disconnected = Arc::clone(&disconnected);
            let servers = servers_for_log.clone();
            async move { on_event(event, &tx, &disconnected, &servers) }
        })
        .connect(settings.servers.clone())
        .await?;
    Ok(Connection { client, reconnects })
}

fn on_event(
    event: Event,
    reconnects: &watch::Sender<u64>,
    disconnected: &AtomicBool,
    servers: &str,
) {
    match event {
        Event::Connected => {
            if disconnected.swap(false, Ordering::AcqRel) {
                tracing::info!(servers, "reconnected to NATS");
                metrics::reconnected();
                reconnects.send_modify(|n| *n += 1);
            } else {
                tracing::info!(servers, "connected to NATS");
            }
        }
        Event::Disconnected => {
            disconnected.store(true, Ordering::Release);
            tracing::warn!(
                servers,
                "disconnected from NATS; reconnecting (hashing continues)"
            );
        }
        Event::ServerError(e) => tracing::error!(error = %e, "NATS server error"),
        Event::ClientError(e) => tracing::warn!(error = %e, "NATS client error"),
        Event::SlowConsumer(sid) => {
            tracing::warn!(
                subscription = sid,
                "NATS dropped messages: the miner is too slow"
            )
        }
        Event::LameDuckMode => tracing::warn!("the NATS server is shutting down (lame duck mode)"),
        Event::Draining | Event::Closed => tracing::debug!(event = %event, "NATS connection"),
    }
}
