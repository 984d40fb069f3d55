//! How factomd's hex strings become typed values while a response is deserialized.
//!
//! factomd writes every hash, id and payload as lower-case hex, and marks "nothing" in three
//! ways depending on the field: an absent key (`omitempty`), `null` (a nil Go slice) or `""`
//! (an empty Go string). These `deserialize_with` helpers turn each into the common crate's
//! 32-byte newtypes, byte vectors or `None`/empty, so the result types stay plain data and a
//! malformed value fails the whole decode with a message naming what was expected.

use std::fmt::Display;
use std::str::FromStr;

use serde::de::{Deserialize, DeserializeOwned, Deserializer, Error};

/// A required 64-hex-character value (`ChainId`, `EntryHash`, `TxId`, `Bytes32`).
pub(super) fn hex32<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    let s = String::deserialize(d)?;
    parse32(&s)
}

/// An optional 32-byte value: an absent key (with `#[serde(default)]`), `null` or `""` is
/// `None`, anything else must be 64 hex characters.
pub(super) fn opt_hex32<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) => parse32(&s).map(Some),
    }
}

/// Arbitrary bytes as hex of any even length (`""` is empty).
pub(super) fn bytes<'de, D>(d: D) -> Result<Vec<u8>, D::Error>
where
    D: Deserializer<'de>,
{
    let s = String::deserialize(d)?;
    decode_bytes(&s)
}

/// A list of hex byte strings where `null` means an empty list (factomd's `extids`).
pub(super) fn byte_list<'de, D>(d: D) -> Result<Vec<Vec<u8>>, D::Error>
where
    D: Deserializer<'de>,
{
    let list = Option::<Vec<String>>::deserialize(d)?.unwrap_or_default();
    list.iter().map(|s| decode_bytes(s)).collect()
}

/// Any list where `null` means empty: Go marshals a nil slice as `null`.
pub(super) fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

fn parse32<T, E>(s: &str) -> Result<T, E>
where
    T: FromStr,
    T::Err: Display,
    E: Error,
{
    s.parse().map_err(|e| {
        E::custom(format_args!(
            "{:?} is not a 32-byte hex value: {e}",
            excerpt(s)
        ))
    })
}

fn decode_bytes<E: Error>(s: &str) -> Result<Vec<u8>, E> {
    hex::decode(s).map_err(|e| E::custom(format_args!("{:?} is not hex: {e}", excerpt(s))))
}

/// At most 80 characters of a bad value, so one huge field does not flood the error.
fn excerpt(s: &str) -> &str {
    match s.char_indices().nth(80) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
