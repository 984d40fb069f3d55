//! Choosing one price per asset from the quotes of its sources: pure, no IO.
//!
//! PegNet (`polling/assets.go`, `PullBestPrice`; `reference/pegnet.md` §4.2) asks an
//! asset's sources in priority order and keeps every non-zero quote. Before version 5 it
//! takes the first. From version 5 on it first computes a trimmed mean of the quotes (the
//! highest-priority quote when there are fewer than three; otherwise the average without
//! the lowest and the highest), and takes the first quote within a band around it: ±1 % when
//! the mean is 1000 USD or more, ±10 % below. If none is in the band it takes the first.
//!
//! Deliberate difference: Go's `TrimmedMean` sorts the caller's slice in place, so with
//! three or more quotes "the first within the band" is the *lowest* price in the band, not
//! the highest-priority one the code's comment promises ("We keep datasource priority
//! order"). Here the mean is taken over a copy and the highest-priority quote in the band
//! wins, which is what the band was meant to do: drop outliers, keep the operator's order.
//! The Go code also has a ±0.1 % branch for means of 100000 USD or more that is overwritten
//! before use; like Go, it is not applied.

use pegnet_common::opr::price_to_u64;

use super::{ErrorKind, Source};

/// One source's answer for one asset.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The source.
    pub source: Source,
    /// Its USD price for the asset, or why it has none.
    pub quote: Result<f64, ErrorKind>,
}

/// The price chosen for an asset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pick {
    /// The source it came from.
    pub source: Source,
    /// The USD price as quoted.
    pub price: f64,
}

/// The price chosen for an asset and the live quotes the band turned away.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The chosen price.
    pub pick: Pick,
    /// Live quotes outside the band that were not chosen, in priority order. Empty before
    /// version 5, and when no quote is in the band (the first is then taken all the same).
    pub rejected: Vec<Pick>,
}

/// Whether `price` can go into an OPR: finite, positive, and at least 1e-8 USD after
/// PegNet's truncation (PegNet skips zero quotes; one that truncates to zero would make
/// the record invalid all the same).
pub fn is_live(price: f64) -> bool {
    price_to_u64(price).is_ok_and(|v| v > 0)
}

/// The price of one asset for OPR `version`, from `candidates` in priority order; `None`
/// when no candidate has a live quote. Quotes that are not live are ignored.
pub fn choose(version: u8, candidates: &[Candidate]) -> Option<Pick> {
    decide(version, candidates).map(|choice| choice.pick)
}

/// Like [`choose`], and also says which live quotes the version 5 band rejected.
pub fn decide(version: u8, candidates: &[Candidate]) -> Option<Choice> {
    let live: Vec<Pick> = candidates
        .iter()
        .filter_map(|c| match c.quote {
            Ok(price) if is_live(price) => Some(Pick {
                source: c.source,
                price,
            }),
            _ => None,
        })
        .collect();
    let first = *live.first()?;
    let alone = |pick| Choice {
        pick,
        rejected: Vec::new(),
    };
    if version < 5 {
        return Some(alone(first));
    }
    let prices: Vec<f64> = live.iter().map(|p| p.price).collect();
    let (low, high) = band(trimmed_mean(&prices));
    let in_band = |p: &Pick| (low..=high).contains(&p.price);
    let Some(pick) = live.iter().find(|p| in_band(p)).copied() else {
        return Some(alone(first));
    };
    let rejected = live.into_iter().filter(|p| !in_band(p)).collect();
    Some(Choice { pick, rejected })
}

/// PegNet's `TrimmedMean(prices, 1)`: the first price when there are fewer than three,
/// otherwise the mean of the sorted prices without the lowest and the highest. Sorts a
/// copy: the caller's priority order is kept (see the module comment).
pub fn trimmed_mean(prices: &[f64]) -> f64 {
    if prices.len() < 3 {
        return prices.first().copied().unwrap_or(0.0);
    }
    let mut sorted = prices.to_vec();
    sorted.sort_by(f64::total_cmp);
    let kept = &sorted[1..sorted.len() - 1];
    kept.iter().sum::<f64>() / kept.len() as f64
}

/// The accepted range around a trimmed mean: ±1 % from 1000 USD up, ±10 % below.
pub fn band(mean: f64) -> (f64, f64) {
    let tolerance = if mean >= 1000.0 { 0.01 } else { 0.10 };
    (mean * (1.0 - tolerance), mean * (1.0 + tolerance))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SOURCES: [Source; 9] = Source::ALL;

    fn quotes(prices: &[f64]) -> Vec<Candidate> {
        prices
            .iter()
            .zip(SOURCES)
            .map(|(&p, source)| Candidate {
                source,
                quote: Ok(p),
            })
            .collect()
    }

    fn failed(source: Source) -> Candidate {
        Candidate {
            source,
            quote: Err(ErrorKind::Timeout { after_ms: 1 }),
        }
    }

    #[test]
    fn before_v5_the_first_live_quote_wins() {
        let mut c = quotes(&[0.0, 5.0, 1.0]);
        c.insert(0, failed(Source::ExchangeRateApi));
        for version in 2..=4 {
            assert_eq!(choose(version, &c).map(|p| p.price), Some(5.0));
        }
    }

    #[test]
    fn v5_keeps_priority_within_the_band() {
        // Mean of the middle one is 1.0; 0.95 and 1.05 are both in the ±10 % band. Go's
        // in-place sort would pick 0.95, the lowest; priority picks 1.05.
        let c = quotes(&[1.05, 0.95, 1.0]);
        assert_eq!(choose(5, &c).map(|p| p.source), Some(SOURCES[0]));
    }

    #[test]
    fn v5_skips_an_outlier_of_higher_priority() {
        let c = quotes(&[2.0, 1.0, 1.01]);
        let choice = decide(5, &c).unwrap();
        assert_eq!((choice.pick.source, choice.pick.price), (SOURCES[1], 1.0));
        assert_eq!(
            choice.rejected,
            [Pick {
                source: SOURCES[0],
                price: 2.0
            }]
        );
        // Before version 5 the first wins and nothing is rejected.
        let v4 = decide(4, &c).unwrap();
        assert_eq!((v4.pick.price, v4.rejected.len()), (2.0, 0));
    }

    #[test]
    fn v5_band_is_one_percent_from_1000_usd() {
        // Mean 60100: 61000 is outside ±1 % (it would be inside ±10 %), 60000 inside.
        let c = quotes(&[61_000.0, 60_000.0, 60_100.0]);
        assert_eq!(choose(5, &c).map(|p| p.price), Some(60_000.0));
        assert_eq!(band(999.0), (999.0 * 0.9, 999.0 * 1.1));
    }

    #[test]
    fn v5_with_two_quotes_takes_the_first() {
        let c = quotes(&[3.0, 1.0]);
        assert_eq!(choose(5, &c).map(|p| p.price), Some(3.0));
    }

    #[test]
    fn v5_falls_back_to_the_first_when_none_is_in_the_band() {
        // Trimmed mean of 1, 2, 99, 100 is 50.5: nothing within ±10 %.
        let c = quotes(&[1.0, 100.0, 2.0, 99.0]);
        assert_eq!(choose(5, &c).map(|p| p.price), Some(1.0));
        assert!(decide(5, &c).unwrap().rejected.is_empty());
    }

    #[test]
    fn nothing_live_is_none() {
        let mut c = quotes(&[0.0, f64::NAN, 1e-9]);
        c.push(failed(Source::ExchangeRateApi));
        assert_eq!(choose(5, &c), None);
        assert_eq!(choose(2, &[]), None);
    }

    #[test]
    fn trimmed_mean_leaves_the_input_alone() {
        let prices = [3.0, 1.0, 2.0, 10.0];
        assert_eq!(trimmed_mean(&prices), 2.5);
        assert_eq!(prices, [3.0, 1.0, 2.0, 10.0]);
    }

    fn candidate() -> impl Strategy<Value = Candidate> {
        let price = prop_oneof![
            4 => 1e-6f64..1e6,
            1 => Just(0.0),
            1 => Just(f64::NAN),
            1 => Just(-1.0),
            1 => Just(1e-9),
            1 => Just(f64::INFINITY),
        ];
        let quote = prop_oneof![
            4 => price.prop_map(Ok),
            1 => Just(Err(ErrorKind::MissingAsset { asset: "EUR" })),
        ];
        (0..SOURCES.len(), quote).prop_map(|(i, quote)| Candidate {
            source: SOURCES[i],
            quote,
        })
    }

    proptest! {
        #[test]
        fn the_chosen_price_is_always_a_live_quote(
            version in 2u8..=5,
            candidates in proptest::collection::vec(candidate(), 0..6),
        ) {
            let any_live = candidates
                .iter()
                .any(|c| c.quote.as_ref().is_ok_and(|p| is_live(*p)));
            match choose(version, &candidates) {
                None => prop_assert!(!any_live),
                Some(pick) => {
                    prop_assert!(is_live(pick.price));
                    prop_assert!(candidates.iter().any(|c| c.source == pick.source
                        && c.quote.as_ref().is_ok_and(|p| p.to_bits() == pick.price.to_bits())));
                }
            }
        }

        #[test]
        fn rejected_quotes_are_live_outside_the_band_and_never_the_pick(
            version in 2u8..=5,
            candidates in proptest::collection::vec(candidate(), 0..6),
        ) {
            if let Some(choice) = decide(version, &candidates) {
                let live: Vec<f64> = candidates
                    .iter()
                    .filter_map(|c| c.quote.clone().ok().filter(|p| is_live(*p)))
                    .collect();
                let (low, high) = band(trimmed_mean(&live));
                for r in &choice.rejected {
                    prop_assert!(version >= 5);
                    prop_assert!(is_live(r.price) && !(low..=high).contains(&r.price));
                    prop_assert!(r.price.to_bits() != choice.pick.price.to_bits());
                }
            }
        }

        #[test]
        fn v5_picks_in_band_or_the_first_live(
            candidates in proptest::collection::vec(candidate(), 1..6),
        ) {
            let live: Vec<f64> = candidates
                .iter()
                .filter_map(|c| c.quote.clone().ok().filter(|p| is_live(*p)))
                .collect();
            if let Some(pick) = choose(5, &candidates) {
                let (low, high) = band(trimmed_mean(&live));
                let first_in_band = live.iter().find(|p| (low..=high).contains(*p));
                prop_assert_eq!(pick.price, *first_in_band.unwrap_or(&live[0]));
            }
        }
    }
}
