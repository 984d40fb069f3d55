//! Which sources are asked for which asset, in which order: `[OracleDataSources]` and
//! `[OracleAssetDataSourcesPriority]` resolved once at start-up (pure, no IO).
//!
//! As in PegNet (`polling/assets.go`, `NewDataSources`): the enabled sources sorted by
//! priority (lower first), and for each asset those among them that quote it. An
//! `[OracleAssetDataSourcesPriority]` entry replaces an asset's list verbatim, so it can also
//! leave a source out. Unlike PegNet, which panics on a shared priority and accepts any
//! override unchecked, every mistake here is an error naming its key: unknown names, a
//! source given twice, a shared priority, an override naming a disabled source or one that
//! does not quote the asset, and an OPR v5 asset that no enabled source quotes.

use std::collections::BTreeMap;

use pegnet_common::opr::ASSETS_V5;

use super::Source;
use super::config::OracleConfigError;
use super::source::known_names;

/// The resolved order of sources per asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    enabled: Vec<Source>,
    orders: BTreeMap<&'static str, Vec<Source>>,
}

impl Plan {
    /// Resolves the two tables; every OPR v5 asset must have a source.
    pub fn new(
        priorities: &BTreeMap<String, i32>,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Plan, OracleConfigError> {
        let plan = Plan::resolve(priorities, overrides)?;
        let uncovered = plan.uncovered();
        if !uncovered.is_empty() {
            return Err(OracleConfigError::Uncovered { assets: uncovered });
        }
        Ok(plan)
    }

    /// Resolves the two tables, leaving assets that no enabled source quotes without
    /// sources (for `pegnet-coordinator datasources`, which reports them instead of failing).
    pub fn resolve(
        priorities: &BTreeMap<String, i32>,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Plan, OracleConfigError> {
        let enabled = enabled_sources(priorities)?;
        let mut orders: BTreeMap<&'static str, Vec<Source>> = ASSETS_V5
            .iter()
            .map(|&asset| {
                let order = enabled.iter().copied().filter(|s| s.quotes(asset));
                (asset, order.collect())
            })
            .collect();
        let mut seen: BTreeMap<&'static str, &str> = BTreeMap::new();
        for (given, list) in overrides {
            let asset = asset_name(given)?;
            if let Some(other) = seen.insert(asset, given) {
                return Err(OracleConfigError::DuplicateAsset {
                    asset: given.clone(),
                    other: other.to_owned(),
                });
            }
            orders.insert(asset, override_order(given, asset, list, &enabled)?);
        }
        Ok(Plan { enabled, orders })
    }

    /// The OPR v5 assets that no enabled source quotes, in consensus order.
    pub fn uncovered(&self) -> Vec<&'static str> {
        ASSETS_V5
            .iter()
            .copied()
            .filter(|a| self.sources_for(a).is_empty())
            .collect()
    }

    /// The enabled sources, most preferred first.
    pub fn enabled(&self) -> &[Source] {
        &self.enabled
    }

    /// The sources asked for `asset`, in order; empty for an asset outside OPR v5.
    pub fn sources_for(&self, asset: &str) -> &[Source] {
        self.orders.get(asset).map_or(&[], Vec::as_slice)
    }
}

/// The enabled sources sorted by priority.
fn enabled_sources(priorities: &BTreeMap<String, i32>) -> Result<Vec<Source>, OracleConfigError> {
    let mut named: BTreeMap<Source, (&str, i32)> = BTreeMap::new();
    for (name, &priority) in priorities {
        let Some(source) = Source::from_name(name) else {
            return Err(OracleConfigError::UnknownSource {
                name: name.clone(),
                known: known_names(),
            });
        };
        if priority < -1 {
            return Err(OracleConfigError::BadPriority {
                name: name.clone(),
                priority,
            });
        }
        if let Some((other, _)) = named.insert(source, (name, priority)) {
            return Err(OracleConfigError::DuplicateSource {
                name: name.clone(),
                other: other.to_owned(),
            });
        }
    }
    // In name order, so the error for a shared priority is the same on every run.
    for (name, &priority) in priorities.iter().filter(|(_, p)| **p >= 0) {
        if let Some((other, _)) = priorities
            .iter()
            .find(|(n, p)| *n != name && **p == priority)
        {
            return Err(OracleConfigError::SharedPriority {
                name: name.clone(),
                priority,
                other: other.clone(),
            });
        }
    }
    let mut enabled: Vec<(i32, Source)> = named
        .into_iter()
        .filter(|(_, (_, p))| *p >= 0)
        .map(|(s, (_, p))| (p, s))
        .collect();
    enabled.sort();
    Ok(enabled.into_iter().map(|(_, s)| s).collect())
}

/// The V5 asset a configuration key names (case-insensitive).
fn asset_name(given: &str) -> Result<&'static str, OracleConfigError> {
    ASSETS_V5
        .iter()
        .copied()
        .find(|a| a.eq_ignore_ascii_case(given.trim()))
        .ok_or_else(|| OracleConfigError::UnknownAsset {
            asset: given.to_owned(),
        })
}

/// One `[OracleAssetDataSourcesPriority]` entry, checked.
fn override_order(
    given: &str,
    asset: &'static str,
    list: &str,
    enabled: &[Source],
) -> Result<Vec<Source>, OracleConfigError> {
    let mut order = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let source =
            Source::from_name(name).ok_or_else(|| OracleConfigError::OrderUnknownSource {
                asset: given.to_owned(),
                name: name.to_owned(),
                known: known_names(),
            })?;
        let problem = if order.contains(&source) {
            Some(OracleConfigError::OrderRepeated {
                asset: given.to_owned(),
                name: source,
            })
        } else if !enabled.contains(&source) {
            Some(OracleConfigError::OrderDisabledSource {
                asset: given.to_owned(),
                name: source,
            })
        } else if !source.quotes(asset) {
            Some(OracleConfigError::OrderUncovered {
                asset: given.to_owned(),
                name: source,
            })
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(problem);
        }
        order.push(source);
    }
    if order.is_empty() {
        return Err(OracleConfigError::EmptyOrder {
            asset: given.to_owned(),
        });
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::price::default_data_sources;

    fn priorities(pairs: &[(&str, i32)]) -> BTreeMap<String, i32> {
        pairs.iter().map(|(n, p)| ((*n).to_owned(), *p)).collect()
    }

    fn overrides(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, l)| ((*a).to_owned(), (*l).to_owned()))
            .collect()
    }

    fn all_enabled() -> BTreeMap<String, i32> {
        priorities(&[
            ("FixedUSD", 0),
            ("CoinGecko", 1),
            ("OpenExchangeRates", 2),
            ("ExchangeRateApi", 3),
            ("Coinbase", 4),
            ("ECB", 5),
            ("CoinMarketCap", 6),
            ("APILayer", 7),
            ("CoinPaprika", 8),
        ])
    }

    #[test]
    fn defaults_cover_every_v5_asset() {
        let plan = Plan::new(&default_data_sources(), &BTreeMap::new()).unwrap();
        assert_eq!(
            plan.enabled(),
            [
                Source::FixedUsd,
                Source::ExchangeRateApi,
                Source::CoinGecko,
                Source::Coinbase,
                Source::Ecb,
                Source::CoinPaprika
            ]
        );
        assert_eq!(
            plan.sources_for("USD"),
            [
                Source::FixedUsd,
                Source::ExchangeRateApi,
                Source::CoinGecko,
                Source::Coinbase
            ]
        );
        assert_eq!(
            plan.sources_for("EUR"),
            [
                Source::ExchangeRateApi,
                Source::CoinGecko,
                Source::Coinbase,
                Source::Ecb
            ]
        );
        assert_eq!(
            plan.sources_for("RWF"),
            [Source::ExchangeRateApi, Source::Coinbase]
        );
        assert_eq!(
            plan.sources_for("XAU"),
            [Source::CoinGecko, Source::Coinbase]
        );
        assert_eq!(
            plan.sources_for("XBC"),
            [Source::CoinGecko, Source::Coinbase, Source::CoinPaprika]
        );
        assert_eq!(plan.sources_for("PEG"), [Source::CoinGecko]);
        assert_eq!(
            plan.sources_for("DGB"),
            [Source::CoinGecko, Source::CoinPaprika]
        );
        assert_eq!(
            plan.sources_for("XBT"),
            [Source::CoinGecko, Source::Coinbase, Source::CoinPaprika]
        );
        assert!(plan.sources_for("XPD").is_empty());
        assert!(plan.uncovered().is_empty());
    }

    /// Without keys, PEG and FCT have only CoinGecko (CoinPaprika has no id for PEG and FCT is
    /// inactive there); with every source enabled no V5 asset has fewer than two.
    #[test]
    fn assets_with_one_source() {
        let single = |plan: &Plan| -> Vec<&'static str> {
            ASSETS_V5
                .iter()
                .copied()
                .filter(|a| plan.sources_for(a).len() == 1)
                .collect()
        };
        let keyless = Plan::new(&default_data_sources(), &BTreeMap::new()).unwrap();
        assert_eq!(single(&keyless), ["PEG", "FCT"]);
        let all = Plan::new(&all_enabled(), &BTreeMap::new()).unwrap();
        assert!(single(&all).is_empty(), "{:?}", single(&all));
        assert!(ASSETS_V5.iter().all(|a| all.sources_for(a).len() >= 2));
    }

    #[test]
    fn resolve_leaves_uncovered_assets_empty() {
        let fiat_only = priorities(&[("FixedUSD", 0), ("ECB", 1)]);
        let plan = Plan::resolve(&fiat_only, &BTreeMap::new()).unwrap();
        assert_eq!(plan.sources_for("JPY"), [Source::Ecb]);
        assert!(plan.sources_for("RWF").is_empty());
        let uncovered = plan.uncovered();
        assert!(uncovered.contains(&"PEG") && uncovered.contains(&"RWF"));
        assert!(!uncovered.contains(&"USD") && !uncovered.contains(&"EUR"));
        assert!(Plan::new(&fiat_only, &BTreeMap::new()).is_err());
    }

    #[test]
    fn priority_orders_and_overrides_replace() {
        let plan = Plan::new(
            &all_enabled(),
            &overrides(&[("xbt", " OpenExchangeRates , coingecko")]),
        )
        .unwrap();
        assert_eq!(
            plan.sources_for("EUR"),
            [
                Source::CoinGecko,
                Source::OpenExchangeRates,
                Source::ExchangeRateApi,
                Source::Coinbase,
                Source::Ecb,
                Source::ApiLayer
            ]
        );
        assert_eq!(
            plan.sources_for("XBT"),
            [Source::OpenExchangeRates, Source::CoinGecko]
        );
    }

    fn error(p: &BTreeMap<String, i32>, o: &[(&str, &str)]) -> String {
        Plan::new(p, &overrides(o)).unwrap_err().to_string()
    }

    #[test]
    fn source_errors_name_the_key() {
        let shared = priorities(&[("CoinGecko", 1), ("OpenExchangeRates", 1), ("FixedUSD", 0)]);
        assert_eq!(
            error(&shared, &[]),
            "OracleDataSources.CoinGecko: priority 1 is also used by OpenExchangeRates"
        );
        let unknown = priorities(&[("Kitco", 3)]);
        assert!(error(&unknown, &[]).starts_with("OracleDataSources.Kitco: unknown source"));
        let twice = priorities(&[("CoinGecko", 1), ("coingecko", 2)]);
        assert!(error(&twice, &[]).starts_with("OracleDataSources.coingecko: names the same"));
        let bad = priorities(&[("CoinGecko", -2)]);
        assert!(error(&bad, &[]).starts_with("OracleDataSources.CoinGecko: priority -2"));
        let no_crypto = priorities(&[("FixedUSD", 0), ("ExchangeRateApi", 1)]);
        assert!(
            error(&no_crypto, &[])
                .starts_with("OracleDataSources: no enabled source quotes PEG, XAU, XAG, XBT")
        );
    }

    #[test]
    fn override_errors_name_the_key() {
        let all = all_enabled();
        let cases: [(&str, &str, &str); 6] = [
            (
                "FOO",
                "CoinGecko",
                "OracleAssetDataSourcesPriority.FOO: unknown asset",
            ),
            (
                "XBT",
                "Kitco",
                "OracleAssetDataSourcesPriority.XBT: unknown source \"Kitco\"",
            ),
            (
                "XBT",
                " , ",
                "OracleAssetDataSourcesPriority.XBT: empty source list",
            ),
            (
                "RWF",
                "CoinGecko",
                "OracleAssetDataSourcesPriority.RWF: CoinGecko does not quote RWF",
            ),
            (
                "EUR",
                "CoinGecko,CoinGecko",
                "OracleAssetDataSourcesPriority.EUR: CoinGecko is listed twice",
            ),
            (
                "PEG",
                "CoinGecko,FixedUSD",
                "OracleAssetDataSourcesPriority.PEG: FixedUSD does not quote PEG",
            ),
        ];
        for (asset, list, want) in cases {
            let got = error(&all, &[(asset, list)]);
            assert!(got.starts_with(want), "{got}");
        }
        let got = error(&default_data_sources(), &[("XAU", "OpenExchangeRates")]);
        assert_eq!(
            got,
            "OracleAssetDataSourcesPriority.XAU: OpenExchangeRates is disabled in OracleDataSources"
        );
        let got = error(&all, &[("XBT", "CoinGecko"), ("xbt", "CoinGecko")]);
        assert!(got.contains("given twice"), "{got}");
    }
}
