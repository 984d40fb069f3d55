//! Prices on chain: USD per unit as `u64` hundred-millionths.

/// Why a quote cannot go into an OPR.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum PriceError {
    #[error("price {0} is not a finite, non-negative number")]
    NotFinite(f64),
    #[error("price {0} is too large for an OPR")]
    TooLarge(f64),
}

/// PegNet's conversion: truncate to 8 decimals (`float64(int64(v*1e8))/1e8`), then
/// `uint64(math.Round(v*1e8))`, done with the same f64 operations so results are identical.
pub fn price_to_u64(price: f64) -> Result<u64, PriceError> {
    if !price.is_finite() || price < 0.0 {
        return Err(PriceError::NotFinite(price));
    }
    let scaled = price * 1e8;
    // 2^63: beyond it the int64 truncation Go performs is meaningless.
    if scaled >= 9_223_372_036_854_775_808.0 {
        return Err(PriceError::TooLarge(price));
    }
    let truncated = (scaled as i64) as f64 / 1e8;
    Ok((truncated * 1e8).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_to_eight_decimals_then_rounds() {
        assert_eq!(price_to_u64(1.0), Ok(100_000_000));
        assert_eq!(price_to_u64(1.099_581_389_9), Ok(109_958_138));
        assert_eq!(price_to_u64(0.009_239_049), Ok(923_904));
        assert_eq!(price_to_u64(0.0), Ok(0));
        // 0.29 * 1e8 is 28999999.999999996 in f64: truncation keeps the 8-decimal floor.
        assert_eq!(price_to_u64(0.29), Ok(28_999_999));
    }

    #[test]
    fn rejects_what_go_would_turn_into_garbage() {
        assert!(price_to_u64(f64::NAN).is_err());
        assert!(price_to_u64(-1.0).is_err());
        assert!(price_to_u64(f64::INFINITY).is_err());
        assert!(price_to_u64(1e12).is_err());
    }
}
