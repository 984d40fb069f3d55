//! The feed's own HTTP endpoints, for tests and operators that cannot reach the `Feed` in
//! process (the devnet running as a separate program or container).
//!
//! - `GET /devnet/feed` answers [`FeedStatus`](super::FeedStatus):
//!   `{"step":12,"sources":{"coingecko":{"mode":"slow","delay_ms":2000,"requests":3},…}}`.
//! - `POST /devnet/feed/{source}` with a mode body (`{"mode":"slow","delay_ms":2000}`,
//!   `{"mode":"normal"}`, `{"mode":"failing"}`, `"rate-limited"`, …) switches that source
//!   and answers its new [`SourceStatus`](super::SourceStatus). A bad body is HTTP 400 and an
//!   unknown source HTTP 404, each `{"error":"…"}` naming the problem.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::json::to_text;
use super::{Feed, Mode, Source, json_response};

/// The handler of `GET /devnet/feed`.
pub(super) async fn status(State(feed): State<Arc<Feed>>) -> Response {
    json_response(StatusCode::OK, to_text(&feed.status()))
}

/// The handler of `POST /devnet/feed/{source}`.
pub(super) async fn set_mode(
    State(feed): State<Arc<Feed>>,
    Path(source): Path<String>,
    body: Bytes,
) -> Response {
    let source = match source.parse::<Source>() {
        Ok(source) => source,
        Err(error) => return problem(StatusCode::NOT_FOUND, &error.to_string()),
    };
    match Mode::from_json(&body) {
        Ok(mode) => {
            feed.set_mode(source, mode);
            json_response(StatusCode::OK, to_text(&feed.source_status(source)))
        }
        Err(error) => problem(StatusCode::BAD_REQUEST, &error.to_string()),
    }
}

fn problem(status: StatusCode, message: &str) -> Response {
    json_response(status, to_text(&json!({ "error": message })))
}
