//! The JSON-RPC 2.0 envelope factomd speaks, and the pure decision of what one HTTP answer
//! means: a result, factomd's error, or something else.
//!
//! Kept free of IO so every shape in `devnet/API-NOTES.md` (and every way a server can get it
//! wrong) is tested from literal bytes. The rules: HTTP 200 carries a result; HTTP 400 is how
//! factomd returns *every* JSON-RPC error, so its body is read, not treated as a transport
//! failure; any other status, or a 400 that is not a JSON-RPC error, is some other server's
//! answer. The echoed id must be ours; only an error may carry `id: null` (factomd does that
//! when it could not read the request at all).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::FactomdError;

/// How much of a body an error message quotes.
const EXCERPT_BYTES: usize = 512;

/// One JSON-RPC 2.0 request.
#[derive(Debug, Serialize)]
pub(super) struct Request<'a> {
    jsonrpc: &'static str,
    id: u64,
    method: &'a str,
    /// Omitted for parameterless methods, which factomd accepts (it reads no params for them).
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a Value>,
}

impl<'a> Request<'a> {
    pub(super) fn new(id: u64, method: &'a str, params: Option<&'a Value>) -> Request<'a> {
        Request {
            jsonrpc: "2.0",
            id,
            method,
            params,
        }
    }
}

/// A JSON-RPC 2.0 response; unknown members (`jsonrpc`) are ignored.
#[derive(Debug, Deserialize)]
struct Response {
    #[serde(default)]
    id: Value,
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error: Option<ErrorObject>,
}

/// factomd's error object: `data` is absent when factomd had none.
#[derive(Debug, Deserialize)]
struct ErrorObject {
    code: i64,
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Option<Value>,
}

/// Where a response came from, for error messages.
#[derive(Debug, Clone, Copy)]
pub(super) struct Call<'a> {
    /// The JSON-RPC method.
    pub method: &'static str,
    /// The id the request carried.
    pub id: u64,
    /// The endpoint, password removed.
    pub url: &'a str,
}

/// Interprets one HTTP answer to `call`: the typed result, or the error that says why not.
pub(super) fn decode_response<T: DeserializeOwned>(
    call: Call<'_>,
    status: u16,
    body: &[u8],
) -> Result<T, FactomdError> {
    if status != 200 && status != 400 {
        return Err(http_error(call, status, body));
    }
    let response: Response = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(_) if status == 400 => return Err(http_error(call, status, body)),
        Err(e) => return Err(decode_error(call.method, e.to_string(), body)),
    };
    if status == 400 && response.error.is_none() {
        return Err(http_error(call, status, body));
    }
    // JSON-RPC lets a server answer `id: null` when it could not read the request's id.
    let null_id_error = response.id.is_null() && response.error.is_some();
    if !null_id_error && !id_matches(&response.id, call.id) {
        return Err(FactomdError::IdMismatch {
            method: call.method,
            sent: call.id,
            got: response.id,
        });
    }
    if let Some(e) = response.error {
        return Err(FactomdError::Rpc {
            method: call.method,
            code: e.code,
            message: e.message,
            data: e.data,
        });
    }
    // A missing or null result reaches the type as `null`: lists accept it as empty,
    // objects reject it with serde's "invalid type: null" message.
    let result = response.result.unwrap_or(Value::Null);
    serde_json::from_value(result).map_err(|e| decode_error(call.method, e.to_string(), body))
}

/// Go's `encoding/json` echoes a numeric id through a float64, so `1` may come back as `1.0`.
fn id_matches(echoed: &Value, sent: u64) -> bool {
    echoed.as_u64() == Some(sent) || echoed.as_f64().is_some_and(|f| f == sent as f64)
}

fn http_error(call: Call<'_>, status: u16, body: &[u8]) -> FactomdError {
    FactomdError::Http {
        method: call.method,
        url: call.url.to_owned(),
        status,
        body: excerpt(body),
    }
}

/// A `Decode` error quoting the start of the body.
pub(super) fn decode_error(method: &'static str, error: String, body: &[u8]) -> FactomdError {
    FactomdError::Decode {
        method,
        error,
        body: excerpt(body),
    }
}

/// The first [`EXCERPT_BYTES`] of a body as text, marked when cut.
pub(super) fn excerpt(body: &[u8]) -> String {
    if body.len() <= EXCERPT_BYTES {
        return String::from_utf8_lossy(body).into_owned();
    }
    let head = String::from_utf8_lossy(&body[..EXCERPT_BYTES]);
    format!("{head}… ({} bytes in all)", body.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALL: Call<'static> = Call {
        method: "heights",
        id: 7,
        url: "http://node:8088/v2",
    };

    fn decode(status: u16, body: &str) -> Result<Value, FactomdError> {
        decode_response(CALL, status, body.as_bytes())
    }

    #[test]
    fn request_omits_absent_params() {
        let r = serde_json::to_value(Request::new(3, "heights", None)).unwrap();
        assert_eq!(
            r,
            serde_json::json!({"jsonrpc":"2.0","id":3,"method":"heights"})
        );
        let p = serde_json::json!({"hash": "ab"});
        let r = serde_json::to_value(Request::new(4, "entry", Some(&p))).unwrap();
        assert_eq!(
            r,
            serde_json::json!({"jsonrpc":"2.0","id":4,"method":"entry","params":{"hash":"ab"}})
        );
    }

    #[test]
    fn success_result_is_returned() {
        let v = decode(200, r#"{"jsonrpc":"2.0","id":7,"result":{"a":1}}"#).unwrap();
        assert_eq!(v, serde_json::json!({"a":1}));
        // Go may echo the id as a float.
        decode(200, r#"{"jsonrpc":"2.0","id":7.0,"result":{}}"#).unwrap();
    }

    #[test]
    fn error_without_data() {
        let body =
            r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32008,"message":"Block not found"}}"#;
        let e = decode(400, body).unwrap_err();
        assert!(e.is_not_found(), "{e}");
        assert!(!e.is_retryable());
        match e {
            FactomdError::Rpc {
                code,
                message,
                data,
                ..
            } => {
                assert_eq!(code, -32008);
                assert_eq!(message, "Block not found");
                assert_eq!(data, None);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn error_with_string_data() {
        let body = r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"Invalid params","data":"Invalid Hash"}}"#;
        let e = decode(400, body).unwrap_err();
        assert_eq!(e.rpc_code(), Some(-32602));
        assert!(e.to_string().contains("Invalid Hash"), "{e}");
        assert!(e.to_string().contains("heights"), "{e}");
    }

    #[test]
    fn repeated_commit_with_object_data() {
        let body = r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32011,"message":"Repeated Commit","data":{"info":"A commit with equal or greater payment already exists","entryhash":"f5c956749fc3eba4acc60fd485fb100e601070a44fcce54ff358d60669854734"}}}"#;
        let e = decode(400, body).unwrap_err();
        assert!(e.is_repeated_commit());
        assert!(!e.is_not_found() && !e.is_missing_chain_head());
        assert_eq!(
            e.repeated_commit_entry_hash()
                .map(|h| h.to_string())
                .as_deref(),
            Some("f5c956749fc3eba4acc60fd485fb100e601070a44fcce54ff358d60669854734")
        );
    }

    #[test]
    fn missing_chain_head() {
        let body =
            r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32009,"message":"Missing Chain Head"}}"#;
        assert!(decode(400, body).unwrap_err().is_missing_chain_head());
    }

    #[test]
    fn null_id_is_accepted_only_on_errors() {
        let body =
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request"}}"#;
        assert_eq!(decode(400, body).unwrap_err().rpc_code(), Some(-32600));
        let body = r#"{"jsonrpc":"2.0","id":null,"result":{}}"#;
        assert!(matches!(
            decode(200, body).unwrap_err(),
            FactomdError::IdMismatch { sent: 7, .. }
        ));
    }

    #[test]
    fn wrong_id_is_rejected_even_for_errors() {
        let body =
            r#"{"jsonrpc":"2.0","id":8,"error":{"code":-32008,"message":"Block not found"}}"#;
        assert!(matches!(
            decode(400, body).unwrap_err(),
            FactomdError::IdMismatch { .. }
        ));
        let body = r#"{"jsonrpc":"2.0","id":"7","result":{}}"#;
        assert!(matches!(
            decode(200, body).unwrap_err(),
            FactomdError::IdMismatch { .. }
        ));
    }

    #[test]
    fn other_statuses_are_http_errors() {
        let e = decode(401, "401 Unauthorized.\n").unwrap_err();
        assert!(matches!(e, FactomdError::Http { status: 401, .. }), "{e}");
        assert!(!e.is_retryable());
        assert!(e.to_string().contains("401 Unauthorized."), "{e}");
        let e = decode(502, "<html>bad gateway</html>").unwrap_err();
        assert!(e.is_retryable(), "{e}");
        // A 400 that is not a JSON-RPC error came from something other than factomd.
        let e = decode(400, "bad request").unwrap_err();
        assert!(matches!(e, FactomdError::Http { status: 400, .. }), "{e}");
        let e = decode(400, r#"{"jsonrpc":"2.0","id":7,"result":{}}"#).unwrap_err();
        assert!(matches!(e, FactomdError::Http { status: 400, .. }), "{e}");
    }

    #[test]
    fn invalid_json_is_decode_error() {
        let e = decode(200, "{not json").unwrap_err();
        assert!(
            matches!(
                e,
                FactomdError::Decode {
                    method: "heights",
                    ..
                }
            ),
            "{e}"
        );
        assert!(!e.is_retryable());
    }

    #[test]
    fn missing_result_does_not_fit_an_object() {
        #[derive(Debug, Deserialize)]
        struct Thing {
            _a: i64,
        }
        let r: Result<Thing, _> = decode_response(CALL, 200, br#"{"jsonrpc":"2.0","id":7}"#);
        assert!(matches!(r.unwrap_err(), FactomdError::Decode { .. }));
    }

    #[test]
    fn excerpt_is_bounded() {
        let long = vec![b'x'; 10_000];
        let e = excerpt(&long);
        assert!(e.len() < 600, "{}", e.len());
        assert!(e.ends_with("(10000 bytes in all)"));
        assert_eq!(excerpt(b"short"), "short");
    }
}
