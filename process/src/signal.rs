//! Stopping on a signal: Ctrl-C (SIGINT) or SIGTERM (what `docker stop` and a scale-down
//! send) cancels the program's shutdown token, and each program's `run` winds down from
//! there (a coordinator finishes the block it is writing, a miner hands in its best set).

use tokio_util::sync::CancellationToken;

/// Watches for Ctrl-C or SIGTERM on a task of the current runtime and cancels `shutdown`
/// when one comes. If neither can be watched, the program runs until it is killed (a
/// warning says so); it never stops on its own.
pub fn cancel_on_signal(shutdown: CancellationToken) {
    tokio::spawn(async move {
        stop_signal().await;
        // Cancel before logging: with stdout and stderr on a closed pipe (a log reader
        // killed by the same Ctrl-C), tracing's fallback `eprintln!` panics, and a panic
        // here must not leave the program running.
        shutdown.cancel();
        tracing::info!("stopping");
    });
}

async fn stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
                return;
            }
            Err(e) => tracing::warn!(error = %e, "cannot watch SIGTERM; Ctrl-C still stops"),
        }
    }
    if let Err(e) = ctrl_c.await {
        tracing::warn!(error = %e, "cannot watch Ctrl-C either: running until killed");
        std::future::pending::<()>().await;
    }
}
