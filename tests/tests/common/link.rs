//! A network link between one client and the test's server that the test can cut: a TCP
//! proxy on its own port. [`Link::cut`] drops every connection through it at once, as a
//! network blip does to that client alone; the client's reconnection comes through again.
//! [`Link::close`] keeps it down (connections are refused) until [`Link::open`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The proxy.
pub struct Link {
    port: u16,
    /// Cancelled by a cut; replaced so the next connections live on.
    current: Arc<Mutex<CancellationToken>>,
    closed: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl Link {
    /// A link to the server on `target_port`, listening on a port of its own.
    pub async fn to(target_port: u16) -> Link {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let current = Arc::new(Mutex::new(CancellationToken::new()));
        let tokens = Arc::clone(&current);
        let closed = Arc::new(AtomicBool::new(false));
        let refusing = Arc::clone(&closed);
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if refusing.load(Ordering::SeqCst) {
                    // Dropped at once: the client sees its connection closed.
                    continue;
                }
                let cut = lock(&tokens).clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(("127.0.0.1", target_port)).await
                    else {
                        return;
                    };
                    // Ends when either side closes or the link is cut; both sockets drop.
                    cut.run_until_cancelled(tokio::io::copy_bidirectional(
                        &mut client,
                        &mut server,
                    ))
                    .await;
                });
            }
        });
        Link {
            port,
            current,
            closed,
            task,
        }
    }

    /// The port clients of this link dial.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Takes the link down: every connection dropped, new ones refused until [`Link::open`].
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.cut();
    }

    /// Brings the link back up.
    pub fn open(&self) {
        self.closed.store(false, Ordering::SeqCst);
    }

    /// Drops every connection through the link now; new ones are let through.
    pub fn cut(&self) {
        let mut current = lock(&self.current);
        current.cancel();
        *current = CancellationToken::new();
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.task.abort();
        self.cut();
    }
}

fn lock(m: &Mutex<CancellationToken>) -> std::sync::MutexGuard<'_, CancellationToken> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
