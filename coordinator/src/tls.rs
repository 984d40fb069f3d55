//! The TLS crypto provider for HTTP clients. reqwest is built without one (its default,
//! aws-lc-rs, needs a C toolchain with cmake and would sit beside async-nats' ring), and
//! refuses to build a client until a process-wide provider is installed; this installs ring.

/// Installs ring as the process's rustls provider; harmless when one is already installed.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may win the race; either way a provider is installed.
        if rustls::crypto::ring::default_provider()
            .install_default()
            .is_err()
        {
            tracing::debug!("a rustls crypto provider was already installed");
        }
    }
}
