//! The EC key fetched from factom-walletd (its `address` method), against a stand-in walletd.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use axum::Json;
use axum::routing::post;
use pegnet_common::factom::{Address, AddressKind, EcSigningKey};
use pegnet_coordinator::config::EcKey;
use pegnet_coordinator::walletd::{WalletdError, ec_key};
use pegnet_devnet::config::{DEV_EC_ADDRESS, DEV_EC_SECRET};
use serde_json::{Value, json};

/// A walletd answering every request with `answer`; returns its URL.
async fn walletd(answer: Value) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v2", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/v2",
        post(move |Json(req): Json<Value>| {
            let mut answer = answer.clone();
            async move {
                assert_eq!(req["method"], "address");
                assert_eq!(req["params"]["address"], DEV_EC_ADDRESS);
                // A JSON-RPC server echoes the request's id.
                answer["id"] = req["id"].clone();
                Json(answer)
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn source(url: String) -> EcKey {
    EcKey::Walletd {
        address: Address::parse_kind(DEV_EC_ADDRESS, AddressKind::EcPublic).unwrap(),
        walletd_url: url,
    }
}

#[tokio::test]
async fn the_key_of_an_ec_address_comes_from_walletd() {
    let url = walletd(json!({"jsonrpc": "2.0", "id": 0,
        "result": {"public": DEV_EC_ADDRESS, "secret": DEV_EC_SECRET}}))
    .await;
    let key = ec_key(&source(url)).await.unwrap();
    assert_eq!(key.public_address().to_string(), DEV_EC_ADDRESS);
}

#[tokio::test]
async fn walletd_refusals_and_wrong_keys_are_named() {
    let url = walletd(json!({"jsonrpc": "2.0", "id": 0,
        "error": {"code": -32603, "message": "Internal error", "data": "wallet: No such address"}}))
    .await;
    let e = ec_key(&source(url)).await.unwrap_err();
    assert!(matches!(e, WalletdError::Refused { .. }), "{e}");
    assert!(e.to_string().contains("No such address"), "{e}");

    let other = EcSigningKey::from_seed(&[9; 32])
        .private_address()
        .to_string();
    let url = walletd(json!({"jsonrpc": "2.0", "id": 0, "result": {"secret": other}})).await;
    let e = ec_key(&source(url)).await.unwrap_err();
    assert!(matches!(e, WalletdError::WrongKey { .. }), "{e}");

    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v2", dead.local_addr().unwrap());
    drop(dead);
    let e = ec_key(&source(url)).await.unwrap_err();
    assert!(matches!(e, WalletdError::Unreachable { .. }), "{e}");
}
