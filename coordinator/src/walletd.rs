//! The EC key that pays for entries: given in the config, or fetched once at start-up from
//! factom-walletd (its `address` method returns the secret of an address it holds), so an
//! operator who keeps keys in walletd need not copy them into a file. walletd speaks
//! factomd's JSON-RPC v2, so the project's [`FactomdClient`] does the talking.

use pegnet_common::factom::EcSigningKey;

use crate::config::EcKey;
use crate::factomd::{ClientOptions, FactomdClient, FactomdError};

/// Why the key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum WalletdError {
    #[error("factom-walletd at {url} did not answer: {error}")]
    Unreachable { url: String, error: FactomdError },
    #[error("factom-walletd at {url} refused: {error}")]
    Refused { url: String, error: FactomdError },
    #[error("factom-walletd at {url} returned {secret:?}, not an Es… key: {error}")]
    BadKey {
        url: String,
        secret: String,
        error: pegnet_common::factom::AddressError,
    },
    #[error("factom-walletd at {url} returned the key of {got}, not of {wanted}")]
    WrongKey {
        url: String,
        wanted: String,
        got: String,
    },
}

/// The signing key `source` describes.
pub async fn ec_key(source: &EcKey) -> Result<EcSigningKey, WalletdError> {
    let (address, url) = match source {
        EcKey::Private(key) => return Ok(key.clone()),
        EcKey::Walletd {
            address,
            walletd_url,
        } => (address, walletd_url),
    };
    let failed = |error: FactomdError| {
        let url = url.clone();
        if matches!(error, FactomdError::Transport { .. }) {
            WalletdError::Unreachable { url, error }
        } else {
            WalletdError::Refused { url, error }
        }
    };
    let client = FactomdClient::new(url, ClientOptions::default()).map_err(failed)?;
    let secret = client
        .wallet_address_secret(address)
        .await
        .map_err(failed)?;
    let key = EcSigningKey::from_private_address(&secret).map_err(|error| {
        WalletdError::BadKey {
            url: url.clone(),
            // Never log a secret: its kind prefix is enough to tell what came back.
            secret: secret.chars().take(2).collect::<String>() + "…",
            error,
        }
    })?;
    if key.public_address() != *address {
        return Err(WalletdError::WrongKey {
            url: url.clone(),
            wanted: address.to_string(),
            got: key.public_address().to_string(),
        });
    }
    Ok(key)
}
