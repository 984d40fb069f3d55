//! Human-readable Factom addresses: `FA`/`Fs` (factoid public/private) and `EC`/`Es` (entry
//! credit public/private), each `base58(prefix(2) ‖ body(32) ‖ SHA256d(prefix ‖ body)[..4])`.
//!
//! Private bodies are ed25519 seeds. An `EC` body is the public key itself; an `FA` body is
//! the RCD hash `SHA256d(0x01 ‖ public key)`, so an `FA` address does not reveal its key.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signer, SigningKey};

use crate::hash::sha256d;

const RAW_LEN: usize = 38;

/// The four address kinds, by their two-byte prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressKind {
    /// `FA…`: a factoid address (RCD hash), where PegNet pays rewards.
    FactoidPublic,
    /// `Fs…`: a factoid private key.
    FactoidPrivate,
    /// `EC…`: an entry-credit address (the ed25519 public key).
    EcPublic,
    /// `Es…`: an entry-credit private key.
    EcPrivate,
}

impl AddressKind {
    const ALL: [AddressKind; 4] = [
        AddressKind::FactoidPublic,
        AddressKind::FactoidPrivate,
        AddressKind::EcPublic,
        AddressKind::EcPrivate,
    ];

    fn prefix(self) -> [u8; 2] {
        match self {
            AddressKind::FactoidPublic => [0x5f, 0xb1],
            AddressKind::FactoidPrivate => [0x64, 0x78],
            AddressKind::EcPublic => [0x59, 0x2a],
            AddressKind::EcPrivate => [0x5d, 0xb6],
        }
    }

    /// The two characters every address of this kind starts with.
    pub fn human_prefix(self) -> &'static str {
        match self {
            AddressKind::FactoidPublic => "FA",
            AddressKind::FactoidPrivate => "Fs",
            AddressKind::EcPublic => "EC",
            AddressKind::EcPrivate => "Es",
        }
    }
}

/// Why a string is not a valid address (of the kind wanted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("address is not base58: {0}")]
    Base58(String),
    #[error("address decodes to {0} bytes, expected 38")]
    Length(usize),
    #[error("address prefix {0:02x}{1:02x} is not a Factom address prefix")]
    UnknownPrefix(u8, u8),
    #[error("address checksum does not match")]
    Checksum,
    #[error("expected an {expected} address, got an {actual} address", expected = .expected.human_prefix(), actual = .actual.human_prefix())]
    WrongKind {
        expected: AddressKind,
        actual: AddressKind,
    },
}

/// A decoded, validated address.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Address {
    kind: AddressKind,
    body: [u8; 32],
}

impl Address {
    pub fn new(kind: AddressKind, body: [u8; 32]) -> Address {
        Address { kind, body }
    }

    /// The `FA` address paying to the ed25519 key with this public half.
    pub fn factoid_from_public_key(public_key: &[u8; 32]) -> Address {
        Address::new(AddressKind::FactoidPublic, rcd_hash(public_key))
    }

    /// Parses `s`, requiring it to be of `kind`.
    pub fn parse_kind(s: &str, kind: AddressKind) -> Result<Address, AddressError> {
        let a: Address = s.parse()?;
        if a.kind != kind {
            return Err(AddressError::WrongKind {
                expected: kind,
                actual: a.kind,
            });
        }
        Ok(a)
    }

    pub fn kind(&self) -> AddressKind {
        self.kind
    }

    /// The 32-byte body: seed, public key or RCD hash depending on the kind.
    pub fn body(&self) -> &[u8; 32] {
        &self.body
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = [0u8; RAW_LEN];
        raw[..2].copy_from_slice(&self.kind.prefix());
        raw[2..34].copy_from_slice(&self.body);
        let check = sha256d(&raw[..34]);
        raw[34..].copy_from_slice(&check[..4]);
        f.write_str(&bs58::encode(raw).into_string())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            // Never print a private key, not even in debug output.
            AddressKind::FactoidPrivate | AddressKind::EcPrivate => {
                write!(f, "Address({}…)", self.kind.human_prefix())
            }
            _ => write!(f, "Address({self})"),
        }
    }
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Address, AddressError> {
        // 38 bytes are at most 52 characters; refuse long input before decoding it.
        if s.len() > 60 {
            return Err(AddressError::Length(s.len()));
        }
        let raw = bs58::decode(s)
            .into_vec()
            .map_err(|e| AddressError::Base58(e.to_string()))?;
        if raw.len() != RAW_LEN {
            return Err(AddressError::Length(raw.len()));
        }
        let kind = AddressKind::ALL
            .into_iter()
            .find(|k| k.prefix() == raw[..2])
            .ok_or(AddressError::UnknownPrefix(raw[0], raw[1]))?;
        if sha256d(&raw[..34])[..4] != raw[34..] {
            return Err(AddressError::Checksum);
        }
        let mut body = [0u8; 32];
        body.copy_from_slice(&raw[2..34]);
        Ok(Address { kind, body })
    }
}

/// The RCD-1 hash of an ed25519 public key: `SHA256d(0x01 ‖ key)`.
pub fn rcd_hash(public_key: &[u8; 32]) -> [u8; 32] {
    let mut rcd = [0u8; 33];
    rcd[0] = 0x01;
    rcd[1..].copy_from_slice(public_key);
    sha256d(&rcd)
}

/// An entry-credit private key that signs commits.
#[derive(Clone)]
pub struct EcSigningKey {
    key: SigningKey,
}

impl fmt::Debug for EcSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EcSigningKey({})", self.public_address())
    }
}

impl EcSigningKey {
    /// The key with this 32-byte ed25519 seed.
    pub fn from_seed(seed: &[u8; 32]) -> EcSigningKey {
        EcSigningKey {
            key: SigningKey::from_bytes(seed),
        }
    }

    /// Parses an `Es…` private address.
    pub fn from_private_address(s: &str) -> Result<EcSigningKey, AddressError> {
        Address::parse_kind(s, AddressKind::EcPrivate).map(|a| EcSigningKey::from_seed(a.body()))
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The `EC…` address whose balance this key spends.
    pub fn public_address(&self) -> Address {
        Address::new(AddressKind::EcPublic, self.public_key())
    }

    /// The `Es…` form of this key.
    pub fn private_address(&self) -> Address {
        Address::new(AddressKind::EcPrivate, self.key.to_bytes())
    }

    /// Plain ed25519 (RFC 8032) signature of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}
