//! Chain ids.

use super::ChainId;
use crate::hash::sha256;

/// The id of the chain whose first entry has these ExtIDs:
/// `SHA-256(SHA-256(ExtID₀) ‖ SHA-256(ExtID₁) ‖ …)`.
pub fn chain_id<T: AsRef<[u8]>>(ext_ids: &[T]) -> ChainId {
    let mut cat = Vec::with_capacity(32 * ext_ids.len());
    for e in ext_ids {
        cat.extend_from_slice(&sha256(e.as_ref()));
    }
    ChainId(sha256(&cat))
}
