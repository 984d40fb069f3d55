//! 32-byte identifiers (chain ids, entry hashes, transaction ids), shown as lower-case hex.

use std::fmt;
use std::str::FromStr;

/// Why a hex string is not a 32-byte identifier.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HexError {
    #[error("expected 64 hex characters, got {0}")]
    Length(usize),
    #[error("invalid hex: {0}")]
    Invalid(hex::FromHexError),
}

/// Parses 64 hex characters into 32 bytes.
fn parse_hex32(s: &str) -> Result<[u8; 32], HexError> {
    if s.len() != 64 {
        return Err(HexError::Length(s.len()));
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).map_err(HexError::Invalid)?;
    Ok(out)
}

macro_rules! bytes32 {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), hex::encode(self.0))
            }
        }

        impl FromStr for $name {
            type Err = HexError;
            fn from_str(s: &str) -> Result<Self, HexError> {
                parse_hex32(s).map($name)
            }
        }

        impl From<[u8; 32]> for $name {
            fn from(b: [u8; 32]) -> Self {
                $name(b)
            }
        }
    };
}

bytes32!(
    /// Any 32-byte value shown as hex (public keys, hashes without a more specific name).
    Bytes32
);
bytes32!(
    /// A Factom chain id: SHA-256 over the SHA-256 of each of the first entry's ExtIDs.
    ChainId
);
bytes32!(
    /// A Factom entry hash: `SHA-256(SHA-512(m) ‖ m)` of the marshalled entry `m`.
    EntryHash
);
bytes32!(
    /// A commit's transaction id: SHA-256 of the commit's signed part.
    TxId
);

impl EntryHash {
    /// PegNet's short hash: the first 8 bytes, the form previous winners are listed in.
    pub fn short(&self) -> [u8; 8] {
        let mut s = [0u8; 8];
        s.copy_from_slice(&self.0[..8]);
        s
    }
}
