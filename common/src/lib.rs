//! PegNet and Factom primitives, pure and bit-exact: no network IO, no async.
//!
//! - [`factom`]: chain ids, entries (codec, hash, EC cost), entry and chain commits signed
//!   with ed25519, reveals, and the four kinds of human-readable address.
//! - [`opr`]: the Oracle Price Record: versions by height, asset lists, content codecs (v1
//!   JSON, v2+ protobuf), the OPR entry and its validity rules, the minimum difficulty,
//!   best-X ranking, and grading.
//!
//! Everything here is checked against the known answers in `testdata/` (reference
//! implementations and real MainNet blocks).

pub mod factom;
pub mod hash;
pub mod market;
pub mod opr;
pub mod wire;
