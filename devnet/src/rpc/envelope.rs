//! factomd's JSON-RPC 2.0 envelope: request parsing, parameter decoding with Go's rules, and
//! the error objects factomd sends (every JSON-RPC error is an HTTP 400 with the error body).

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A JSON-RPC error exactly as factomd writes it: `data` is left out when empty.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RpcError {
    pub code: i64,
    pub message: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<ErrorData>,
}

/// The `data` factomd attaches to an error: a string, or the repeated-commit object with its
/// fields in factomd's order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ErrorData {
    Text(String),
    RepeatedCommit {
        info: &'static str,
        entryhash: String,
    },
}

impl RpcError {
    fn new(code: i64, message: &'static str, data: Option<ErrorData>) -> RpcError {
        RpcError {
            code,
            message,
            data,
        }
    }

    /// `-32600`: the body is not JSON-RPC 2.0.
    pub fn invalid_request() -> RpcError {
        RpcError::new(-32600, "Invalid Request", None)
    }

    /// `-32601`.
    pub fn method_not_found() -> RpcError {
        RpcError::new(-32601, "Method not found", None)
    }

    /// `-32602` with factomd's `data` string, or none when the params had the wrong JSON type.
    pub fn invalid_params(data: Option<&str>) -> RpcError {
        RpcError::new(
            -32602,
            "Invalid params",
            data.map(|d| ErrorData::Text(d.to_owned())),
        )
    }

    /// `-32603`.
    pub fn internal(data: Option<&str>) -> RpcError {
        RpcError::new(
            -32603,
            "Internal error",
            data.map(|d| ErrorData::Text(d.to_owned())),
        )
    }

    /// `-32008 Block not found`.
    pub fn block_not_found() -> RpcError {
        RpcError::new(-32008, "Block not found", None)
    }

    /// `-32008 Entry not found`.
    pub fn entry_not_found() -> RpcError {
        RpcError::new(-32008, "Entry not found", None)
    }

    /// `-32009`.
    pub fn missing_chain_head() -> RpcError {
        RpcError::new(-32009, "Missing Chain Head", None)
    }

    /// `-32011`, with factomd's data object (its fields in factomd's order).
    pub fn repeated_commit(entry_hash: String) -> RpcError {
        let data = ErrorData::RepeatedCommit {
            info: "A commit with equal or greater payment already exists",
            entryhash: entry_hash,
        };
        RpcError::new(-32011, "Repeated Commit", Some(data))
    }
}

/// A request that passed the envelope checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: Value,
    pub method: String,
    pub params: Value,
}

/// Reads a request body; anything that is not a JSON object with `"jsonrpc":"2.0"` is an
/// invalid request (answered with `id: null`).
pub fn parse_request(body: &[u8]) -> Result<Request, RpcError> {
    let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(body) else {
        return Err(RpcError::invalid_request());
    };
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(RpcError::invalid_request());
    }
    let method = match object.remove("method") {
        Some(Value::String(m)) => m,
        None | Some(Value::Null) => String::new(),
        Some(_) => return Err(RpcError::invalid_request()),
    };
    Ok(Request {
        id: object.remove("id").unwrap_or(Value::Null),
        method,
        params: object.remove("params").unwrap_or(Value::Null),
    })
}

/// Decodes `params` into `T` the way factomd's `MapToObject` does: missing or `null` params
/// give every field its zero value; keys match case-insensitively; a non-object, or a field of
/// the wrong type, is `-32602` without data.
pub fn decode_params<T: DeserializeOwned + Default>(params: &Value) -> Result<T, RpcError> {
    match params {
        Value::Null => Ok(T::default()),
        Value::Object(object) => {
            let lowered: Map<String, Value> = object
                .iter()
                .map(|(k, v)| (k.to_lowercase(), v.clone()))
                .collect();
            serde_json::from_value(Value::Object(lowered))
                .map_err(|_| RpcError::invalid_params(None))
        }
        _ => Err(RpcError::invalid_params(None)),
    }
}

/// The success envelope, with the result's fields in the order its type declares them.
pub fn success(id: &Value, result_json: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{},"result":{result_json}}}"#,
        json_or_null(id)
    )
}

/// The error envelope.
pub fn failure(id: &Value, error: &RpcError) -> String {
    let error = serde_json::to_string(error)
        .unwrap_or_else(|_| r#"{"code":-32603,"message":"Internal error"}"#.to_owned());
    format!(
        r#"{{"jsonrpc":"2.0","id":{},"error":{error}}}"#,
        json_or_null(id)
    )
}

fn json_or_null(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned())
}

/// An integer parameter as Go reads it after re-marshalling: any JSON number whose value is a
/// whole number (`1000`, `1000.0`, `1e3`) is accepted; `1.5` or `"5"` are not.
pub mod go_int {
    use serde::{Deserialize, Deserializer, de::Error};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let n = serde_json::Number::deserialize(d)?;
        if let Some(i) = n.as_i64() {
            return Ok(i);
        }
        match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(f as i64),
            _ => Err(D::Error::custom("not an integer")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, serde::Deserialize, PartialEq)]
    #[serde(default)]
    struct HashParams {
        hash: String,
        #[serde(with = "go_int")]
        height: i64,
    }

    #[test]
    fn envelope_checks() {
        assert_eq!(parse_request(b"not json"), Err(RpcError::invalid_request()));
        assert_eq!(
            parse_request(br#"{"jsonrpc":"1.0","id":1,"method":"heights"}"#),
            Err(RpcError::invalid_request())
        );
        assert_eq!(parse_request(b"[]"), Err(RpcError::invalid_request()));
        let r = parse_request(br#"{"jsonrpc":"2.0","id":"x","method":"heights"}"#).unwrap();
        assert_eq!(r.method, "heights");
        assert_eq!(r.id, Value::String("x".into()));
        assert_eq!(r.params, Value::Null);
    }

    #[test]
    fn params_follow_go_rules() {
        let p: HashParams = decode_params(&Value::Null).unwrap();
        assert_eq!(p, HashParams::default());
        let p: HashParams =
            decode_params(&serde_json::json!({"Hash": "ab", "HEIGHT": 1000.0})).unwrap();
        assert_eq!((p.hash.as_str(), p.height), ("ab", 1000));
        let p: HashParams = decode_params(&serde_json::json!({"height": 1e3})).unwrap();
        assert_eq!(p.height, 1000);
        for bad in [
            serde_json::json!({"hash": 5}),
            serde_json::json!({"height": 1.5}),
            serde_json::json!({"height": "5"}),
            serde_json::json!([1]),
            serde_json::json!("x"),
        ] {
            assert_eq!(
                decode_params::<HashParams>(&bad),
                Err(RpcError::invalid_params(None)),
                "{bad}"
            );
        }
    }

    #[test]
    fn envelopes_serialise_like_factomd() {
        assert_eq!(
            failure(&Value::from(7), &RpcError::repeated_commit("ab".into())),
            r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32011,"message":"Repeated Commit","data":{"info":"A commit with equal or greater payment already exists","entryhash":"ab"}}}"#
        );
        assert_eq!(
            failure(&Value::Null, &RpcError::invalid_request()),
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request"}}"#
        );
        assert_eq!(
            success(&Value::from(1), r#"{"rate":1000}"#),
            r#"{"jsonrpc":"2.0","id":1,"result":{"rate":1000}}"#
        );
    }
}
