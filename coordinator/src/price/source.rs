//! The price sources the coordinator knows, by their `[OracleDataSources]` names, and which
//! PegNet assets each one quotes.
//!
//! Coverage is static (it follows from each API's documented answer, not from what it said
//! last time), so the configuration can be checked at start-up: an asset no enabled source
//! quotes, or a per-asset order naming a source that cannot quote that asset, is an error
//! before the first block rather than a skipped block every ten minutes.

use std::collections::BTreeMap;
use std::fmt;

use pegnet_common::market::{self, AssetClass};

use super::{apilayer, coinbase, coingecko, ecb};

/// One source's answer: the USD price of one unit of each PegNet asset it quoted.
pub type Quotes = BTreeMap<&'static str, f64>;

/// A price source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// PegNet's `FixedUSD`: USD is 1 USD, no network.
    FixedUsd,
    /// CoinGecko `/api/v3/simple/price`: PEG and every crypto, plus the fiat currencies and
    /// metals it has as `vs_currencies` (cross rates through bitcoin).
    CoinGecko,
    /// OpenExchangeRates `/api/latest.json`: fiat, the four metals and bitcoin; needs a key.
    OpenExchangeRates,
    /// ExchangeRate-API `/v6/latest/USD` (open access) or `/v6/<key>/latest/USD`: fiat.
    ExchangeRateApi,
    /// Coinbase `/v2/exchange-rates?currency=USD`: fiat, gold, silver and the cryptos Coinbase
    /// lists; no key.
    Coinbase,
    /// The European Central Bank's daily reference rates (`eurofxref-daily.xml`): about 30
    /// currencies against the euro, crossed to USD; no key.
    Ecb,
    /// CoinMarketCap Pro `/v1/cryptocurrency/quotes/latest`: PEG and every crypto; needs a key.
    CoinMarketCap,
    /// APILayer Exchange Rates Data `/exchangerates_data/latest`: fiat, gold, silver and
    /// bitcoin; needs a key.
    ApiLayer,
    /// CoinPaprika `/v1/tickers?quotes=USD`: the cryptos with a confirmed CoinPaprika id
    /// (every one but FCT; not PEG); no key.
    CoinPaprika,
}

impl Source {
    /// Every source, in a fixed order.
    pub const ALL: [Source; 9] = [
        Source::FixedUsd,
        Source::CoinGecko,
        Source::OpenExchangeRates,
        Source::ExchangeRateApi,
        Source::Coinbase,
        Source::Ecb,
        Source::CoinMarketCap,
        Source::ApiLayer,
        Source::CoinPaprika,
    ];

    /// The name in `[OracleDataSources]`, logs and the `source` metric label.
    pub fn name(self) -> &'static str {
        match self {
            Source::FixedUsd => "FixedUSD",
            Source::CoinGecko => "CoinGecko",
            Source::OpenExchangeRates => "OpenExchangeRates",
            Source::ExchangeRateApi => "ExchangeRateApi",
            Source::Coinbase => "Coinbase",
            Source::Ecb => "ECB",
            Source::CoinMarketCap => "CoinMarketCap",
            Source::ApiLayer => "APILayer",
            Source::CoinPaprika => "CoinPaprika",
        }
    }

    /// The source a configuration name stands for. Case-insensitive, as PegNet's
    /// `CorrectCasing` made its source names (`PegnetMarketcap` worked).
    pub fn from_name(name: &str) -> Option<Source> {
        Source::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Whether this source quotes the USD price of `asset` (a PegNet asset name).
    pub fn quotes(self, asset: &str) -> bool {
        let Some(m) = market::market_name(asset) else {
            return false;
        };
        match self {
            Source::FixedUsd => asset == "USD",
            Source::CoinGecko => match m.class {
                AssetClass::Peg | AssetClass::Crypto => m.coingecko_id.is_some(),
                AssetClass::Fiat | AssetClass::Metal => {
                    m.fx_code.is_some_and(coingecko::is_vs_currency)
                }
            },
            Source::OpenExchangeRates => match m.class {
                AssetClass::Fiat | AssetClass::Metal => true,
                // The standard set has `BTC` and no other crypto.
                AssetClass::Crypto => asset == "XBT",
                AssetClass::Peg => false,
            },
            Source::ExchangeRateApi => m.class == AssetClass::Fiat,
            Source::Coinbase => coinbase::quotes(m),
            Source::Ecb => m.fx_code.is_some_and(ecb::is_quoted),
            Source::CoinMarketCap => m.coinmarketcap_id.is_some(),
            Source::ApiLayer => apilayer::quotes(m),
            Source::CoinPaprika => m.coinpaprika_id.is_some(),
        }
    }

    /// Every PegNet asset (of any OPR version) this source quotes.
    pub fn assets(self) -> impl Iterator<Item = &'static str> {
        market::known_assets().filter(move |a| self.quotes(a))
    }

    /// Whether this source is a web API (everything but `FixedUSD`).
    pub fn is_remote(self) -> bool {
        self != Source::FixedUsd
    }

    /// Whether the API refuses every request without a key, so enabling the source without
    /// one is a configuration error.
    pub fn needs_key(self) -> bool {
        matches!(
            self,
            Source::OpenExchangeRates | Source::CoinMarketCap | Source::ApiLayer
        )
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The configuration names of every source, for error messages.
pub(crate) fn known_names() -> String {
    Source::ALL.map(Source::name).join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pegnet_common::opr::ASSETS_V5;

    #[test]
    fn names_round_trip_case_insensitively() {
        for s in Source::ALL {
            assert_eq!(Source::from_name(s.name()), Some(s));
            assert_eq!(Source::from_name(&s.name().to_lowercase()), Some(s));
        }
        assert_eq!(Source::from_name("apilayer"), Some(Source::ApiLayer));
        assert_eq!(Source::from_name("Kitco"), None);
    }

    #[test]
    fn every_v5_asset_has_a_source() {
        for asset in ASSETS_V5 {
            assert!(
                Source::ALL.iter().any(|s| s.quotes(asset)),
                "{asset} has no source"
            );
        }
    }

    /// Every V5 asset is quoted by at least two sources that are web APIs, so one API down
    /// never leaves an asset without a price once every source is enabled.
    #[test]
    fn every_v5_asset_has_two_web_sources() {
        for asset in ASSETS_V5 {
            let n = Source::ALL
                .iter()
                .filter(|s| s.is_remote() && s.quotes(asset))
                .count();
            assert!(n >= 2, "{asset} has {n} web sources");
        }
    }

    #[test]
    fn coverage_follows_the_apis() {
        assert!(Source::CoinGecko.quotes("PEG"));
        assert!(Source::CoinGecko.quotes("DGB"));
        assert!(Source::CoinGecko.quotes("XAU"));
        assert!(Source::CoinGecko.quotes("EUR"));
        assert!(!Source::CoinGecko.quotes("RWF"));
        assert!(Source::OpenExchangeRates.quotes("XBT"));
        assert!(Source::OpenExchangeRates.quotes("XPT"));
        assert!(!Source::OpenExchangeRates.quotes("ETH"));
        assert!(!Source::OpenExchangeRates.quotes("PEG"));
        assert!(Source::ExchangeRateApi.quotes("RWF"));
        assert!(!Source::ExchangeRateApi.quotes("XAU"));
        assert_eq!(Source::FixedUsd.assets().collect::<Vec<_>>(), ["USD"]);
        assert!(Source::Coinbase.quotes("RWF") && Source::Coinbase.quotes("XAU"));
        assert!(Source::Coinbase.quotes("XBC") && !Source::Coinbase.quotes("PEG"));
        assert!(Source::Ecb.quotes("EUR") && Source::Ecb.quotes("JPY"));
        assert!(!Source::Ecb.quotes("USD") && !Source::Ecb.quotes("RUB"));
        assert!(Source::CoinMarketCap.quotes("PEG") && Source::CoinMarketCap.quotes("DGB"));
        assert!(!Source::CoinMarketCap.quotes("EUR"));
        assert!(Source::ApiLayer.quotes("ETB") && Source::ApiLayer.quotes("XBT"));
        assert!(!Source::ApiLayer.quotes("ETH") && !Source::ApiLayer.quotes("XPT"));
        assert!(Source::CoinPaprika.quotes("XBT") && Source::CoinPaprika.quotes("DGB"));
        assert!(!Source::CoinPaprika.quotes("PEG") && !Source::CoinPaprika.quotes("FCT"));
        assert!(!Source::CoinPaprika.quotes("EUR") && !Source::CoinPaprika.quotes("XAU"));
        assert!(!Source::CoinGecko.quotes("usd"));
    }
}
