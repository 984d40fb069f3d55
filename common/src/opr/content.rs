//! OPR content codecs, byte-identical to PegNet's.
//!
//! - Version 1: JSON, `{"coinbase","dbht","winners","minerid","assets"}` in that order, no
//!   whitespace, the assets object in list order with each value `u64 / 1e8` formatted as Go's
//!   `encoding/json` formats a float64.
//! - Versions 2–5: protobuf 3 `{1: Address, 2: ID, 3: Height (int32), 4: repeated bytes
//!   Winners, 5: packed uint64 Assets}`, as golang/protobuf 1.3 marshals it (prost agrees).

use std::fmt::Write;

use prost::Message;

use super::asset::ASSETS_V1;

/// The most content a record may carry (Factom's entry payload limit).
const MAX_CONTENT_LEN: usize = crate::factom::MAX_PAYLOAD_LEN;

/// Why bytes are not OPR content of the expected version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    #[error("OPR content is {0} bytes, more than an entry can hold")]
    TooLarge(usize),
    #[error("OPR version {0} does not exist")]
    UnknownVersion(u8),
    #[error("v1 OPR JSON is malformed: {0}")]
    Json(String),
    #[error("v1 OPR winner {0:?} is not hex")]
    WinnerHex(String),
    #[error("v1 OPR assets must be exactly the 32 v1 assets; {0}")]
    V1Assets(String),
    #[error("OPR protobuf is malformed: {0}")]
    Protobuf(String),
}

/// The fields of an OPR, independent of its encoding.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OprContent {
    /// Payout address, `FA…`.
    pub address: String,
    /// Miner identity (`^[a-zA-Z0-9,]+$` when valid).
    pub id: String,
    /// The height of the block the record is for.
    pub height: i32,
    /// The previous block's winners' short hashes (8 bytes each, or empty at bootstrap).
    pub winners: Vec<Vec<u8>>,
    /// Prices in the version's asset order, in 1e-8 USD.
    pub assets: Vec<u64>,
    /// For decoded v1 JSON: the key order it was written in. Not every v1 miner used PegNet's
    /// order (some sorted keys), and re-encoding must reproduce the bytes. `None` writes
    /// PegNet's order.
    pub v1_order: Option<V1Order>,
}

/// The key order of a v1 JSON OPR: top-level keys and asset names as they were written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct V1Order {
    pub fields: Vec<String>,
    pub assets: Vec<String>,
}

/// PegNet's own v1 key order.
const V1_FIELDS: [&str; 5] = ["coinbase", "dbht", "winners", "minerid", "assets"];

#[derive(Clone, PartialEq, prost::Message)]
struct ProtoOpr {
    #[prost(string, tag = "1")]
    address: String,
    #[prost(string, tag = "2")]
    id: String,
    #[prost(int32, tag = "3")]
    height: i32,
    #[prost(bytes = "vec", repeated, tag = "4")]
    winners: Vec<Vec<u8>>,
    #[prost(uint64, repeated, packed = "true", tag = "5")]
    assets: Vec<u64>,
}

impl OprContent {
    /// Encodes for `version`. Version 1 needs exactly the 32 v1 assets.
    pub fn encode(&self, version: u8) -> Result<Vec<u8>, ContentError> {
        match version {
            1 => self.encode_v1(),
            2..=5 => Ok(ProtoOpr {
                address: self.address.clone(),
                id: self.id.clone(),
                height: self.height,
                winners: self.winners.clone(),
                assets: self.assets.clone(),
            }
            .encode_to_vec()),
            v => Err(ContentError::UnknownVersion(v)),
        }
    }

    /// Decodes content written for `version`.
    pub fn decode(version: u8, bytes: &[u8]) -> Result<OprContent, ContentError> {
        if bytes.len() > MAX_CONTENT_LEN {
            return Err(ContentError::TooLarge(bytes.len()));
        }
        match version {
            1 => OprContent::decode_v1(bytes),
            2..=5 => {
                let p =
                    ProtoOpr::decode(bytes).map_err(|e| ContentError::Protobuf(e.to_string()))?;
                Ok(OprContent {
                    address: p.address,
                    id: p.id,
                    height: p.height,
                    winners: p.winners,
                    assets: p.assets,
                    v1_order: None,
                })
            }
            v => Err(ContentError::UnknownVersion(v)),
        }
    }

    fn encode_v1(&self) -> Result<Vec<u8>, ContentError> {
        if self.assets.len() != ASSETS_V1.len() {
            return Err(ContentError::V1Assets(format!(
                "got {} values",
                self.assets.len()
            )));
        }
        let default_fields = V1_FIELDS.map(String::from);
        let fields = self
            .v1_order
            .as_ref()
            .map_or(&default_fields[..], |o| &o.fields[..]);
        let mut s = String::with_capacity(1024);
        s.push('{');
        for (i, key) in fields.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            go_json_string(&mut s, key);
            s.push(':');
            match key.to_ascii_lowercase().as_str() {
                "coinbase" => go_json_string(&mut s, &self.address),
                "dbht" => write!(s, "{}", self.height).expect("write to String"),
                "winners" => self.write_v1_winners(&mut s),
                "minerid" => go_json_string(&mut s, &self.id),
                _ => self.write_v1_assets(&mut s),
            }
        }
        s.push('}');
        Ok(s.into_bytes())
    }

    fn write_v1_winners(&self, s: &mut String) {
        s.push('[');
        for (i, w) in self.winners.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            write!(s, "\"{}\"", hex::encode(w)).expect("write to String");
        }
        s.push(']');
    }

    fn write_v1_assets(&self, s: &mut String) {
        let names: Vec<&str> = match &self.v1_order {
            Some(o) => o.assets.iter().map(String::as_str).collect(),
            None => ASSETS_V1.to_vec(),
        };
        s.push('{');
        let mut first = true;
        for name in names {
            // Only the v1 assets are kept; unknown keys were ignored when decoding.
            let Some(k) = ASSETS_V1.iter().position(|a| *a == name) else {
                continue;
            };
            if !first {
                s.push(',');
            }
            first = false;
            go_json_string(s, name);
            write!(s, ":{}", go_json_float(self.assets[k] as f64 / 1e8)).expect("write to String");
        }
        s.push('}');
    }

    fn decode_v1(bytes: &[u8]) -> Result<OprContent, ContentError> {
        OprContent::decode_v1_values(bytes).map(|(content, _)| content)
    }

    /// Decodes content and returns the prices as grading sees them: `u64 / 1e8` for v2+, and
    /// for v1 the raw JSON floats (PegNet's v1 grader never rounds them).
    pub fn decode_with_values(
        version: u8,
        bytes: &[u8],
    ) -> Result<(OprContent, Vec<f64>), ContentError> {
        if version == 1 {
            if bytes.len() > MAX_CONTENT_LEN {
                return Err(ContentError::TooLarge(bytes.len()));
            }
            return OprContent::decode_v1_values(bytes);
        }
        let content = OprContent::decode(version, bytes)?;
        let values = content.assets.iter().map(|&u| u as f64 / 1e8).collect();
        Ok((content, values))
    }

    /// Go's `encoding/json` into PegNet's v1 struct: keys match case-insensitively, unknown
    /// keys are ignored, the last duplicate wins and a second `assets` object merges into the
    /// first. Only presence of the 32 v1 assets is required; extra asset keys are ignored.
    fn decode_v1_values(bytes: &[u8]) -> Result<(OprContent, Vec<f64>), ContentError> {
        let raw: v1::Raw =
            serde_json::from_slice(bytes).map_err(|e| ContentError::Json(e.to_string()))?;
        let winners = raw
            .winners
            .into_iter()
            .map(|w| v1::winner_bytes(&w).ok_or(ContentError::WinnerHex(w)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut values = Vec::with_capacity(ASSETS_V1.len());
        for name in ASSETS_V1 {
            let v = raw
                .assets
                .get(name)
                .ok_or_else(|| ContentError::V1Assets(format!("{name} is missing")))?;
            values.push(*v);
        }
        // PegNet's SetValue: uint64(math.Round(v * 1e8)). Negative v1 prices exist only in
        // junk records; they saturate to 0 here, which no valid record relies on.
        let assets = values.iter().map(|v| (v * 1e8).round() as u64).collect();
        let order =
            (raw.order.fields != V1_FIELDS || raw.order.assets != ASSETS_V1).then_some(raw.order);
        let content = OprContent {
            address: raw.coinbase,
            id: raw.minerid,
            height: raw.dbht,
            winners,
            assets,
            v1_order: order,
        };
        Ok((content, values))
    }
}

/// The v1 JSON decoder, shaped after Go's `encoding/json` semantics.
mod v1 {
    use std::collections::HashMap;
    use std::fmt;

    use serde::de::{self, IgnoredAny, MapAccess, Visitor};

    #[derive(Default)]
    pub(super) struct Raw {
        pub coinbase: String,
        pub dbht: i32,
        pub winners: Vec<String>,
        pub minerid: String,
        pub assets: HashMap<String, f64>,
        pub order: super::V1Order,
    }

    /// A v1 winner as stored: "" or lower-case hex. Anything else can never match the
    /// previous winners (lower-case hex or empty), so it is rejected here.
    pub(super) fn winner_bytes(w: &str) -> Option<Vec<u8>> {
        if w.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        hex::decode(w).ok()
    }

    impl<'de> de::Deserialize<'de> for Raw {
        fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Raw, D::Error> {
            d.deserialize_any(RawVisitor)
        }
    }

    struct RawVisitor;

    /// An assets object as its (key, value) pairs in written order.
    struct Assets(Vec<(String, Option<f64>)>);

    impl<'de> de::Deserialize<'de> for Assets {
        fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Assets, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Assets;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("an object of asset prices")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Assets, A::Error> {
                    let mut pairs = Vec::new();
                    while let Some(kv) = map.next_entry::<String, Option<f64>>()? {
                        pairs.push(kv);
                    }
                    Ok(Assets(pairs))
                }
            }
            d.deserialize_map(V)
        }
    }

    impl<'de> Visitor<'de> for RawVisitor {
        type Value = Raw;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a v1 OPR object")
        }

        /// A top-level `null` decodes to zero values in Go.
        fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
            Ok(Raw::default())
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
            let mut raw = Raw::default();
            while let Some(key) = map.next_key::<String>()? {
                let known = ["coinbase", "dbht", "winners", "minerid", "assets"];
                if known.iter().any(|k| key.eq_ignore_ascii_case(k))
                    && !raw.order.fields.contains(&key)
                {
                    raw.order.fields.push(key.clone());
                }
                match key.to_ascii_lowercase().as_str() {
                    // `null` leaves a scalar untouched, as in Go.
                    "coinbase" => {
                        if let Some(v) = map.next_value::<Option<String>>()? {
                            raw.coinbase = v;
                        }
                    }
                    "minerid" => {
                        if let Some(v) = map.next_value::<Option<String>>()? {
                            raw.minerid = v;
                        }
                    }
                    "dbht" => {
                        if let Some(v) = map.next_value::<Option<i32>>()? {
                            raw.dbht = v;
                        }
                    }
                    // `null` sets a slice or map to nil; elements that are `null` become zero.
                    "winners" => {
                        let v = map.next_value::<Option<Vec<Option<String>>>>()?;
                        raw.winners = v
                            .unwrap_or_default()
                            .into_iter()
                            .map(Option::unwrap_or_default)
                            .collect();
                    }
                    "assets" => match map.next_value::<Option<Assets>>()? {
                        None => raw.assets.clear(),
                        Some(Assets(pairs)) => {
                            for (k, v) in pairs {
                                if !raw.order.assets.contains(&k) {
                                    raw.order.assets.push(k.clone());
                                }
                                raw.assets.insert(k, v.unwrap_or(0.0));
                            }
                        }
                    },
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(raw)
        }
    }
}

/// A float64 as Go's `encoding/json` writes it: shortest round-trip digits, plain decimal
/// unless the magnitude is below 1e-6 or at least 1e21, then `1e-7` / `1e+21` style.
fn go_json_float(f: f64) -> String {
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        return format!("{f}");
    }
    // Rust's `{:e}` gives the same shortest digits as Go's 'e' with precision -1; only the
    // exponent is spelled differently (Go: explicit sign, at least two digits, then
    // encoding/json trims a leading zero from negative exponents).
    let e = format!("{f:e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let (sign, digits) = match exp.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exp),
    };
    if sign == '+' && digits.len() < 2 {
        format!("{mantissa}e+0{digits}")
    } else {
        format!("{mantissa}e{sign}{digits}")
    }
}

/// A string as Go's `encoding/json` escapes it (HTML-safe: `<`, `>`, `&` escaped too).
fn go_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                write!(out, "\\u{:04x}", u32::from(c)).expect("write to String")
            }
            c if u32::from(c) < 0x20 => {
                write!(out, "\\u{:04x}", u32::from(c)).expect("write to String")
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_match_go_encoding_json() {
        assert_eq!(go_json_float(0.0), "0");
        assert_eq!(go_json_float(1.0), "1");
        assert_eq!(go_json_float(1.1132), "1.1132");
        assert_eq!(go_json_float(950.507), "950.507");
        assert_eq!(go_json_float(0.000001), "0.000001");
        assert_eq!(go_json_float(0.0000001), "1e-7");
        assert_eq!(go_json_float(0.00000012), "1.2e-7");
        assert_eq!(go_json_float(1.5e-10), "1.5e-10");
        assert_eq!(go_json_float(1e21), "1e+21");
        assert_eq!(go_json_float(123456789012.5), "123456789012.5");
    }

    #[test]
    fn strings_match_go_encoding_json() {
        let mut s = String::new();
        go_json_string(&mut s, "a<b>&\"\\\n\u{1}é");
        assert_eq!(s, r#""a\u003cb\u003e\u0026\"\\\n\u0001é""#);
    }
}
