//! PegNet's `FixedUSD` source: one US dollar is worth one US dollar. It needs no network,
//! so USD never depends on an API being up (PegNet ships it at priority 0).

use super::source::Quotes;

/// The only quote: USD = 1.
pub(crate) fn quotes() -> Quotes {
    Quotes::from([("USD", 1.0)])
}
