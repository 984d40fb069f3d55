//! What each of the three programs (`pegnet-coordinator`, `pegnet-miner`, `pegnet-devnet`)
//! does as a process, in one place so they behave alike: set up logging ([`init_logging`]),
//! stop on Ctrl-C or SIGTERM ([`cancel_on_signal`]), and wait between retries
//! ([`Backoff`]).

mod backoff;
mod logging;
mod signal;

pub use backoff::Backoff;
pub use logging::init_logging;
pub use signal::cancel_on_signal;
