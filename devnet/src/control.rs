//! The devnet's own endpoints, beside factomd's API on the same port (factomd has nothing
//! under `/devnet`):
//!
//! - `GET /devnet/status`: clock, chain, OPR chain, counters.
//! - `POST /devnet/step` `{"minutes":N}` (optionally `"pause_at_ten":true`) or `{"blocks":N}`:
//!   moves the clock and answers the new position. Meant for the stepped clock; in timed
//!   mode it moves the clock on top of its own pace.
//! - `POST /devnet/fund` `{"address":"EC…","amount":N}` adds `N` EC (negative takes away);
//!   `POST /devnet/balance` `{"address":"EC…","balance":N}` sets the balance.
//!
//! Bad requests get HTTP 400 with `{"error":"<what is wrong>"}`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use pegnet_common::factom::{Address, AddressKind};

use crate::ledger::{Counters, Position};
use crate::node::{RpcCounters, now_ms};
use crate::{Chain, ClockMode, StepRequest};

/// The largest step one request may ask for, so a typo cannot wedge the devnet.
const MAX_STEP_MINUTES: u32 = 10_000;

pub(crate) fn router(chain: Arc<Chain>) -> Router {
    Router::new()
        .route("/devnet/status", get(status))
        .route("/devnet/step", post(step))
        .route("/devnet/fund", post(fund))
        .route("/devnet/balance", post(balance))
        .with_state(chain)
}

/// A request the control endpoints refuse: HTTP 400 `{"error": …}`.
#[derive(Debug)]
struct BadRequest(String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Error {
            error: String,
        }
        (StatusCode::BAD_REQUEST, axum::Json(Error { error: self.0 })).into_response()
    }
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, BadRequest> {
    serde_json::from_slice(body).map_err(|e| BadRequest(format!("bad request body: {e}")))
}

/// The clock as the control endpoints report it.
#[derive(Debug, Serialize)]
pub struct ClockStatus {
    /// The block being built.
    pub height: u32,
    pub minute: u8,
    pub directoryblockheight: u32,
}

fn clock_status(position: Position, saved: u32) -> ClockStatus {
    ClockStatus {
        height: position.height,
        minute: position.minute,
        directoryblockheight: saved,
    }
}

#[derive(Serialize)]
struct Status {
    #[serde(flatten)]
    clock: ClockStatus,
    clock_mode: ClockMode,
    block_seconds: u64,
    network: String,
    opr_version: u8,
    opr_chain: String,
    genesis_height: u32,
    simulated_miners: u32,
    counters: Counters,
    rpc: RpcCounters,
}

async fn status(State(chain): State<Arc<Chain>>) -> Response {
    let (position, saved, counters) = {
        let l = chain.node.ledger();
        (l.position(), l.saved_height(), l.counters())
    };
    let s = &chain.settings;
    axum::Json(Status {
        clock: clock_status(position, saved),
        clock_mode: s.clock,
        block_seconds: s.block_time.as_secs(),
        network: s.network.to_string(),
        opr_version: s.opr_version,
        opr_chain: s.network.opr_chain_id().to_string(),
        genesis_height: s.genesis_height,
        simulated_miners: s.simulated.count,
        counters,
        rpc: chain.node.rpc_counters(),
    })
    .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepBody {
    minutes: Option<u32>,
    blocks: Option<u32>,
    #[serde(default)]
    pause_at_ten: bool,
}

async fn step(State(chain): State<Arc<Chain>>, body: Bytes) -> Result<Response, BadRequest> {
    let body: StepBody = parse(&body)?;
    let request = match (body.minutes, body.blocks) {
        (Some(n), None) if (1..=MAX_STEP_MINUTES).contains(&n) => StepRequest::Minutes {
            n,
            pause_at_ten: body.pause_at_ten,
        },
        (None, Some(n)) if (1..=MAX_STEP_MINUTES / 10).contains(&n) => StepRequest::Blocks { n },
        _ => {
            return Err(BadRequest(format!(
                "give exactly one of \"minutes\" (1..={MAX_STEP_MINUTES}) or \"blocks\" (1..={})",
                MAX_STEP_MINUTES / 10
            )));
        }
    };
    let position = chain.step_by(request).await;
    let saved = chain.node.ledger().saved_height();
    Ok(axum::Json(clock_status(position, saved)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FundBody {
    address: String,
    amount: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BalanceBody {
    address: String,
    balance: i64,
}

#[derive(Serialize)]
struct BalanceReply {
    address: String,
    balance: i64,
}

fn ec_key(address: &str) -> Result<[u8; 32], BadRequest> {
    Address::parse_kind(address, AddressKind::EcPublic)
        .map(|a| *a.body())
        .map_err(|e| {
            BadRequest(format!(
                "address {address:?} is not an EC public address: {e}"
            ))
        })
}

async fn fund(State(chain): State<Arc<Chain>>, body: Bytes) -> Result<Response, BadRequest> {
    let body: FundBody = parse(&body)?;
    let key = ec_key(&body.address)?;
    let balance = {
        let mut l = chain.node.ledger();
        l.fund(key, body.amount, now_ms());
        l.balance(&key)
    };
    tracing::info!(address = %body.address, amount = body.amount, balance, "funded");
    Ok(axum::Json(BalanceReply {
        address: body.address,
        balance,
    })
    .into_response())
}

async fn balance(State(chain): State<Arc<Chain>>, body: Bytes) -> Result<Response, BadRequest> {
    let body: BalanceBody = parse(&body)?;
    let key = ec_key(&body.address)?;
    let balance = {
        let mut l = chain.node.ledger();
        l.set_balance(key, body.balance, now_ms());
        l.balance(&key)
    };
    tracing::info!(address = %body.address, balance, "balance set");
    Ok(axum::Json(BalanceReply {
        address: body.address,
        balance,
    })
    .into_response())
}
