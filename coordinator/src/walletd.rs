//! The EC key that pays for entries: given in the config, or fetched once at start-up from
//! factom-walletd (its `address` method returns the secret of an address it holds), so an
//! operator who keeps keys in walletd need not copy them into a file.

use std::time::Duration;

use pegnet_common::factom::EcSigningKey;
use serde::Deserialize;

use crate::config::EcKey;

/// Why the key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum WalletdError {
    #[error("factom-walletd at {url} did not answer: {error}")]
    Unreachable { url: String, error: reqwest::Error },
    #[error("factom-walletd at {url} refused: {message}")]
    Refused { url: String, message: String },
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

#[derive(Debug, Deserialize)]
struct Reply {
    result: Option<AddressResult>,
    error: Option<RpcError>,
}

#[derive(Debug, Deserialize)]
struct AddressResult {
    secret: String,
}

#[derive(Debug, Deserialize)]
struct RpcError {
    message: String,
    #[serde(default)]
    data: Option<serde_json::Value>,
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
    let unreachable = |error| WalletdError::Unreachable {
        url: url.clone(),
        error,
    };
    crate::tls::install_crypto_provider();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(unreachable)?;
    let body = serde_json::json!({
        "jsonrpc": "2.0", "id": 0, "method": "address",
        "params": { "address": address.to_string() },
    });
    let reply: Reply = client
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(unreachable)?
        .json()
        .await
        .map_err(unreachable)?;
    let result = match (reply.result, reply.error) {
        (Some(r), _) => r,
        (None, Some(e)) => {
            let data = e.data.map(|d| format!(" ({d})")).unwrap_or_default();
            return Err(WalletdError::Refused {
                url: url.clone(),
                message: format!("{}{data}", e.message),
            });
        }
        (None, None) => {
            return Err(WalletdError::Refused {
                url: url.clone(),
                message: "no result".into(),
            });
        }
    };
    let key = EcSigningKey::from_private_address(&result.secret).map_err(|error| {
        WalletdError::BadKey {
            url: url.clone(),
            secret: result.secret.chars().take(2).collect::<String>() + "…",
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
