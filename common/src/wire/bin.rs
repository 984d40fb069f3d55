//! Byte fields as MessagePack `bin` instead of serde's default array of integers.
//!
//! serde writes `[u8; N]` and `Vec<u8>` as arrays with one integer per byte (up to two bytes
//! each on the wire); `bin` is one header and the raw bytes, which roughly halves a share
//! batch. Decoding also accepts the array form, so a client in another language that writes
//! byte arrays as lists is still understood.

use std::fmt;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserializer, Serializer};

/// Collects bytes from either `bin` or an array of integers, preallocating no more than the
/// input can hold so a lying length header cannot make us allocate.
struct BytesVisitor;

impl<'de> Visitor<'de> for BytesVisitor {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bytes")
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(v)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(b) = seq.next_element::<u8>()? {
            out.push(b);
        }
        Ok(out)
    }
}

fn read<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    d.deserialize_bytes(BytesVisitor)
}

/// `[u8; N]` as `bin` of exactly `N` bytes.
pub(super) mod array {
    use super::*;

    pub(in super::super) fn serialize<S: Serializer, const N: usize>(
        v: &[u8; N],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    pub(in super::super) fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let v = read(d)?;
        <[u8; N]>::try_from(v.as_slice())
            .map_err(|_| de::Error::invalid_length(v.len(), &"a fixed number of bytes"))
    }
}

/// `Vec<u8>` as `bin`.
pub(super) mod vec {
    use super::*;

    pub(in super::super) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    pub(in super::super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<u8>, D::Error> {
        read(d)
    }
}

/// `Vec<Vec<u8>>` as an array of `bin`.
pub(super) mod vecs {
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Serialize};

    use super::*;

    struct Item<'a>(&'a [u8]);

    impl Serialize for Item<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }

    struct Owned(Vec<u8>);

    impl<'de> Deserialize<'de> for Owned {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            read(d).map(Owned)
        }
    }

    pub(in super::super) fn serialize<S: Serializer>(
        v: &[Vec<u8>],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for item in v {
            seq.serialize_element(&Item(item))?;
        }
        seq.end()
    }

    pub(in super::super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<Vec<u8>>, D::Error> {
        let items: Vec<Owned> = Vec::deserialize(d)?;
        Ok(items.into_iter().map(|o| o.0).collect())
    }
}
