//! How the simulated APIs print prices and objects.
//!
//! Clients parse JSON numbers into `f64`, so the digits matter more than the type: real APIs
//! round (CoinGecko to about 8 significant digits, OpenExchangeRates to 6 decimals) and print
//! whole numbers without a fraction (`"USD":1`). Rounding goes through decimal text so that
//! `0.1` stays `0.1`. Objects keep the order the real APIs use (`disclaimer` before `rates`,
//! the base currency first in ExchangeRate-API), which `serde_json::Map` would sort away.

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;

/// A JSON object whose keys are printed in the order they were pushed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ordered<V = Value>(pub(crate) Vec<(String, V)>);

impl<V> Default for Ordered<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<V> Ordered<V> {
    pub(crate) fn push(&mut self, key: impl Into<String>, value: impl Into<V>) {
        self.0.push((key.into(), value.into()));
    }
}

impl<V: Serialize> Serialize for Ordered<V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// `x` rounded to `digits` significant digits (1..=17).
pub(crate) fn round_significant(x: f64, digits: usize) -> f64 {
    let digits = digits.clamp(1, 17);
    format!("{x:.prec$e}", prec = digits - 1)
        .parse()
        .unwrap_or(x)
}

/// `x` rounded to `places` decimal places (0..=18).
pub(crate) fn round_decimals(x: f64, places: usize) -> f64 {
    format!("{x:.prec$}", prec = places.min(18))
        .parse()
        .unwrap_or(x)
}

/// A JSON number, printed without a fraction when it is whole (`1`, not `1.0`). A value
/// that is not finite becomes `null`, as `serde_json` would print it.
pub(crate) fn number(x: f64) -> Value {
    // Whole numbers below 2^53 are exact in both types, so the cast is lossless.
    if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

/// The JSON text of a value that cannot fail to serialize (strings, numbers, objects
/// with string keys); `{}` if it somehow does, which a client reads as "no data".
pub(crate) fn to_text(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding() {
        assert_eq!(round_significant(67187.3345678, 8), 67187.335);
        assert_eq!(round_significant(0.000512345678, 4), 0.0005123);
        assert_eq!(round_decimals(3.6725384, 6), 3.672538);
        assert_eq!(round_decimals(0.1, 6), 0.1);
        assert_eq!(round_decimals(2.4, 0), 2.0);
    }

    #[test]
    fn whole_numbers_print_without_a_fraction() {
        assert_eq!(number(1.0).to_string(), "1");
        assert_eq!(number(0.5).to_string(), "0.5");
        assert_eq!(number(f64::NAN), Value::Null);
    }

    #[test]
    fn ordered_keeps_order() {
        let mut o: Ordered = Ordered::default();
        o.push("z", 1);
        o.push("a", 2);
        assert_eq!(to_text(&o), r#"{"z":1,"a":2}"#);
    }
}
