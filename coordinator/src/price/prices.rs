//! One block's prices: the answers of the sources turned into the OPR's asset values, in
//! consensus order, each with the source it came from (pure, no IO).
//!
//! PEG is the one asset a version handles specially. Up to version 2 the OPR carries 0 for
//! it whatever the sources say (PegNet's `SetPegValues`; graders accept 0 there, see
//! `common/src/opr/record.rs`), so it is not polled. From version 3 on PEG floats and must
//! be priced like any other asset: a record with a 0 anywhere is invalid, so a missing PEG
//! skips the block like any missing asset. Version 1 records cannot be produced (PegNet
//! dropped that too: it polls the version 2 list for versions 1 to 3).

use std::collections::BTreeMap;
use std::sync::Arc;

use pegnet_common::opr::{assets_for, price_to_u64};

use super::select::{Candidate, decide, is_live};
use super::source::Quotes;
use super::{ErrorKind, MissingAsset, MissingPrices, Source, SourceError};

/// Where an asset's price came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Chosen from this source's quote.
    Source(Source),
    /// Set by the OPR version's rules, not polled (PEG is 0 up to version 2).
    Protocol,
}

/// One asset's price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssetPrice {
    /// The PegNet asset name.
    pub asset: &'static str,
    /// USD per unit in 1e-8 USD, truncated to 8 decimals as PegNet does.
    pub price: u64,
    /// Where it came from.
    pub origin: Origin,
}

/// Every asset of an OPR version priced.
#[derive(Debug, Clone, PartialEq)]
pub struct Prices {
    /// The OPR version.
    pub version: u8,
    /// The prices, in the version's consensus order (`assets_for(version)`).
    pub assets: Vec<AssetPrice>,
    /// What failed on the way, each once: whole sources that did not answer, and quotes
    /// missing or unusable for one asset. Every asset was priced all the same, from a
    /// lower-priority source.
    pub failures: Vec<SourceError>,
    /// Live quotes that the version 5 band turned away as outliers, by asset.
    pub rejected: Vec<Rejection>,
}

/// A live quote that was not used because it lay outside the version 5 band around the
/// trimmed mean of the asset's quotes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rejection {
    /// The PegNet asset.
    pub asset: &'static str,
    /// The source that quoted it.
    pub source: Source,
    /// The USD price it quoted.
    pub price: f64,
}

impl Prices {
    /// The values alone, in consensus order: the `assets` of a job or an OPR.
    pub fn values(&self) -> Vec<u64> {
        self.assets.iter().map(|a| a.price).collect()
    }

    /// The price of `asset`.
    pub fn get(&self, asset: &str) -> Option<&AssetPrice> {
        self.assets.iter().find(|a| a.asset == asset)
    }
}

/// Each source's answer to one poll.
pub(crate) type Answers = BTreeMap<Source, Result<Arc<Quotes>, SourceError>>;

/// The assets an OPR version needs, in consensus order.
pub(crate) fn asset_list(version: u8) -> Result<&'static [&'static str], MissingPrices> {
    match version {
        2..=5 => assets_for(version).ok_or(MissingPrices::UnsupportedVersion(version)),
        _ => Err(MissingPrices::UnsupportedVersion(version)),
    }
}

/// Whether the version fixes this asset's value, so no source is asked.
pub(crate) fn is_protocol_zero(version: u8, asset: &str) -> bool {
    version <= 2 && asset == "PEG"
}

/// What each source in `order` says about `asset`, in that order. A quote that cannot go
/// into an OPR is an [`ErrorKind::InvalidPrice`], an asset left out an
/// [`ErrorKind::MissingAsset`].
pub(crate) fn candidates(
    asset: &'static str,
    order: &[Source],
    answers: &Answers,
) -> Vec<Candidate> {
    order
        .iter()
        .map(|&source| {
            let quote = match answers.get(&source) {
                Some(Ok(quotes)) => match quotes.get(asset) {
                    Some(&value) if is_live(value) => Ok(value),
                    Some(&value) => Err(ErrorKind::InvalidPrice { asset, value }),
                    None => Err(ErrorKind::MissingAsset { asset }),
                },
                Some(Err(e)) => Err(e.kind.clone()),
                // Not polled: only when a caller's answers do not match the plan.
                None => Err(ErrorKind::MissingAsset { asset }),
            };
            Candidate { source, quote }
        })
        .collect()
}

/// Chooses every asset's price from its candidates (`table` in consensus order).
pub(crate) fn assemble(
    version: u8,
    table: &[(&'static str, Vec<Candidate>)],
) -> Result<Prices, MissingPrices> {
    let mut assets = Vec::with_capacity(table.len());
    let mut missing = Vec::new();
    let mut failures: Vec<SourceError> = Vec::new();
    let mut rejected = Vec::new();
    for (asset, candidates) in table {
        for c in candidates {
            if let Err(kind) = &c.quote {
                let e = SourceError {
                    data_source: c.source,
                    kind: kind.clone(),
                };
                if !failures.contains(&e) {
                    failures.push(e);
                }
            }
        }
        if is_protocol_zero(version, asset) {
            assets.push(AssetPrice {
                asset,
                price: 0,
                origin: Origin::Protocol,
            });
            continue;
        }
        let choice = decide(version, candidates);
        if let Some(choice) = &choice {
            rejected.extend(choice.rejected.iter().map(|r| Rejection {
                asset,
                source: r.source,
                price: r.price,
            }));
        }
        let picked = choice.and_then(|c| Some((c.pick.source, price_to_u64(c.pick.price).ok()?)));
        match picked {
            Some((source, price)) => assets.push(AssetPrice {
                asset,
                price,
                origin: Origin::Source(source),
            }),
            None => missing.push(MissingAsset {
                asset,
                tried: candidates.iter().map(|c| tried(asset, c)).collect(),
            }),
        }
    }
    if missing.is_empty() {
        Ok(Prices {
            version,
            assets,
            failures,
            rejected,
        })
    } else {
        Err(MissingPrices::Assets { version, missing })
    }
}

/// A candidate of an asset that got no price, as a failure.
fn tried(asset: &'static str, c: &Candidate) -> SourceError {
    let kind = match &c.quote {
        Err(kind) => kind.clone(),
        // A quote `choose` refused; `candidates` makes those errors already.
        Ok(value) => ErrorKind::InvalidPrice {
            asset,
            value: *value,
        },
    };
    SourceError {
        data_source: c.source,
        kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(pairs: Vec<(Source, Result<Quotes, ErrorKind>)>) -> Answers {
        pairs
            .into_iter()
            .map(|(source, r)| {
                let r = r.map(Arc::new).map_err(|kind| SourceError {
                    data_source: source,
                    kind,
                });
                (source, r)
            })
            .collect()
    }

    #[test]
    fn candidates_say_why_a_source_has_no_quote() {
        let down = ErrorKind::Status {
            status: 503,
            detail: None,
        };
        let a = answers(vec![
            (Source::ExchangeRateApi, Err(down.clone())),
            (Source::OpenExchangeRates, Ok(Quotes::from([("EUR", 0.0)]))),
            (Source::CoinGecko, Ok(Quotes::from([("XBT", 1.0)]))),
        ]);
        let order = [
            Source::ExchangeRateApi,
            Source::OpenExchangeRates,
            Source::CoinGecko,
        ];
        let got: Vec<_> = candidates("EUR", &order, &a)
            .into_iter()
            .map(|c| c.quote)
            .collect();
        assert_eq!(
            got,
            [
                Err(down),
                Err(ErrorKind::InvalidPrice {
                    asset: "EUR",
                    value: 0.0
                }),
                Err(ErrorKind::MissingAsset { asset: "EUR" }),
            ]
        );
    }

    fn table(version: u8, a: &Answers, order: &[Source]) -> Vec<(&'static str, Vec<Candidate>)> {
        asset_list(version)
            .unwrap()
            .iter()
            .map(|&asset| {
                let order = if is_protocol_zero(version, asset) {
                    &[][..]
                } else {
                    order
                };
                (asset, candidates(asset, order, a))
            })
            .collect()
    }

    fn everything(price: f64) -> Quotes {
        pegnet_common::opr::ASSETS_V5
            .iter()
            .map(|&a| (a, price))
            .collect()
    }

    #[test]
    fn peg_is_zero_up_to_version_2_and_priced_after() {
        let a = answers(vec![(Source::CoinGecko, Ok(everything(0.5)))]);
        let v2 = assemble(2, &table(2, &a, &[Source::CoinGecko])).unwrap();
        assert_eq!(v2.assets.len(), 30);
        assert_eq!(v2.assets[0].origin, Origin::Protocol);
        assert_eq!(v2.values()[..2], [0, 50_000_000]);
        let v3 = assemble(3, &table(3, &a, &[Source::CoinGecko])).unwrap();
        assert_eq!(v3.get("PEG").map(|p| p.price), Some(50_000_000));
        assert_eq!(asset_list(1), Err(MissingPrices::UnsupportedVersion(1)));
        assert_eq!(asset_list(6), Err(MissingPrices::UnsupportedVersion(6)));
    }

    #[test]
    fn missing_assets_list_every_source_tried() {
        let mut partial = everything(2.0);
        partial.remove("ETB");
        let a = answers(vec![
            (Source::CoinGecko, Ok(partial)),
            (
                Source::ExchangeRateApi,
                Err(ErrorKind::Timeout { after_ms: 5 }),
            ),
        ]);
        let order = [Source::ExchangeRateApi, Source::CoinGecko];
        let e = assemble(5, &table(5, &a, &order)).unwrap_err();
        let missing = e.assets();
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].asset, "ETB");
        let tried: Vec<_> = missing[0].tried.iter().map(|t| t.data_source).collect();
        assert_eq!(tried, order);
        assert!(e.to_string().contains(
            "ETB (tried ExchangeRateApi: timed out after 5 ms; CoinGecko: no quote for ETB)"
        ));
    }

    #[test]
    fn outliers_are_reported_and_the_next_quote_in_the_band_wins() {
        let mut odd = everything(2.0);
        odd.insert("EUR", 3.0);
        let a = answers(vec![
            (Source::ExchangeRateApi, Ok(odd)),
            (Source::CoinGecko, Ok(everything(2.0))),
            (Source::Coinbase, Ok(everything(2.02))),
        ]);
        let order = [Source::ExchangeRateApi, Source::CoinGecko, Source::Coinbase];
        let prices = assemble(5, &table(5, &a, &order)).unwrap();
        let eur = prices.get("EUR").unwrap();
        assert_eq!(
            (eur.price, eur.origin),
            (200_000_000, Origin::Source(Source::CoinGecko))
        );
        assert_eq!(
            prices.rejected,
            [Rejection {
                asset: "EUR",
                source: Source::ExchangeRateApi,
                price: 3.0
            }]
        );
        // Version 4 has no band: the first quote stands.
        let v4 = assemble(4, &table(4, &a, &order)).unwrap();
        assert_eq!(v4.get("EUR").unwrap().price, 300_000_000);
        assert!(v4.rejected.is_empty());
    }

    #[test]
    fn prices_are_truncated_to_eight_decimals() {
        let mut q = everything(2.0);
        q.insert("EUR", 1.234_567_899_9);
        q.insert("XBT", 65_432.123_456_789);
        let a = answers(vec![(Source::CoinGecko, Ok(q))]);
        let prices = assemble(5, &table(5, &a, &[Source::CoinGecko])).unwrap();
        assert_eq!(prices.get("EUR").unwrap().price, 123_456_789);
        assert_eq!(prices.get("XBT").unwrap().price, 6_543_212_345_678);
    }

    #[test]
    fn fallbacks_are_reported_once_per_failure() {
        let a = answers(vec![
            (
                Source::ExchangeRateApi,
                Err(ErrorKind::Timeout { after_ms: 5 }),
            ),
            (Source::CoinGecko, Ok(everything(2.0))),
        ]);
        let order = [Source::ExchangeRateApi, Source::CoinGecko];
        let prices = assemble(4, &table(4, &a, &order)).unwrap();
        assert!(
            prices
                .assets
                .iter()
                .all(|p| p.origin == Origin::Source(Source::CoinGecko))
        );
        assert_eq!(
            prices.failures,
            [SourceError {
                data_source: Source::ExchangeRateApi,
                kind: ErrorKind::Timeout { after_ms: 5 }
            }]
        );
    }
}
