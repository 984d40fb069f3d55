//! The Oracle Price Record (OPR): what PegNet miners write every block, and how the network
//! grades them. `reference/pegnet.md` §3 has the rules; the real MainNet blocks in
//! `testdata/grading` are the proof.

mod asset;
mod content;
mod difficulty;
pub mod grading;
mod network;
mod price;
mod ranking;
mod record;

pub use asset::{ASSETS_V1, ASSETS_V2, ASSETS_V4, ASSETS_V5, assets_for};
pub use content::{ContentError, OprContent};
pub use difficulty::{MINING_PERIOD_SECS, minimum_difficulty};
pub use grading::{GradeError, GradedBlock, GradedRecord, Verify, grade};
pub use network::{Network, NetworkError};
pub use price::{PriceError, price_to_u64};
pub use ranking::{BestNonces, Share};
pub use record::{Invalid, OprRecord, PreviousWinners, opr_entry, valid_identity};

/// PegNet's short hash of a record: the first 8 bytes of its entry hash.
pub type ShortHash = [u8; 8];
