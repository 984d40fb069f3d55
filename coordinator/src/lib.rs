//! The PegNet network-mining coordinator. For now: the operator tools that look at entries
//! and blocks with the protocol core (`pegnet-coordinator decode-entry`, `grade`).

pub mod block_file;
pub mod describe;
pub mod factomd;
pub mod monitor;
pub mod price;
pub mod sync;
pub mod tls;
