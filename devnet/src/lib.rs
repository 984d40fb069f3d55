//! The devnet: a local Factom network and price feed that real clients cannot tell from the
//! real thing.

pub mod ledger;
