//! factomd's v2 JSON-RPC API over HTTP: `POST /v2`. Success is HTTP 200; every JSON-RPC error
//! is HTTP 400 with the error body, as factomd does it.

mod envelope;
mod methods;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

pub use envelope::RpcError;

use crate::node::Node;

/// Answers one request body: the HTTP status and the JSON text.
pub fn handle(node: &Node, body: &[u8]) -> (StatusCode, String) {
    let request = match envelope::parse_request(body) {
        Ok(r) => r,
        Err(e) => {
            node.count_request(Some(e.code));
            tracing::debug!(code = e.code, "rejected a request that is not JSON-RPC 2.0");
            return (
                StatusCode::BAD_REQUEST,
                envelope::failure(&serde_json::Value::Null, &e),
            );
        }
    };
    let answer = methods::call(node, &request.method, &request.params);
    node.count_request(answer.as_ref().err().map(|e| e.code));
    match answer {
        Ok(result) => (StatusCode::OK, envelope::success(&request.id, &result)),
        Err(e) => {
            tracing::debug!(method = %request.method, code = e.code, data = ?e.data, "JSON-RPC error");
            (StatusCode::BAD_REQUEST, envelope::failure(&request.id, &e))
        }
    }
}

/// The factomd API routes.
pub fn router(node: Arc<Node>) -> Router {
    Router::new().route("/v2", post(v2)).with_state(node)
}

async fn v2(State(node): State<Arc<Node>>, body: Bytes) -> Response {
    let (status, json) = handle(&node, &body);
    (status, [(header::CONTENT_TYPE, "application/json")], json).into_response()
}
