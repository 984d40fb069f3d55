//! The PegNet network-mining coordinator. For now: the operator tools that look at entries
//! and blocks with the protocol core (`pegnet-coordinator decode-entry`, `grade`).

pub mod activity;
pub mod block;
pub mod block_file;
pub mod book;
pub mod config;
pub mod describe;
pub mod estimate;
pub mod factomd;
pub mod fold;
pub mod health;
pub mod init;
pub mod intake;
pub mod job;
pub mod metrics;
pub mod monitor;
pub mod page;
pub mod policy;
pub mod price;
pub mod service;
pub mod session;
pub mod status;
pub mod sync;
pub mod tls;
pub mod walletd;
pub mod writer;
