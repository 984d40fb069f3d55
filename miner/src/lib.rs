//! The PegNet network miner: hashes jobs from the coordinator with its own identity and payout
//! address and returns its best nonces. This crate also carries the operator's LXRHash tools
//! (`pegnet-miner lxr …`, `pegnet-miner bench`).

pub mod bench;
