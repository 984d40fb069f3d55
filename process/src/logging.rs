//! Logging set-up: `tracing` to stdout, filtered by `RUST_LOG` (`info` by default), as text
//! or, for containers, one JSON object per line.

/// Installs the process's subscriber; a second call (a test that set one) changes nothing.
pub fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // `try_init`: the only failure is a subscriber already installed, which is fine.
    let installed = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    drop(installed);
}
