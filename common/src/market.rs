//! How public price APIs name PegNet's assets.
//!
//! PegNet has its own tickers (`XBT` for bitcoin, `XBC` for bitcoin cash, `PEG`, once `PNT`),
//! while CoinGecko wants coin ids (`"bitcoin"`) and FX APIs such as OpenExchangeRates want
//! ISO 4217 or exchange tickers (`"BTC"`). This module is the one table that translates
//! between them, so the coordinator's price adapters and the devnet's simulated APIs cannot
//! disagree. It is pure data: no network, no prices.
//!
//! The CoinGecko ids are the ones PegNet's own CoinGecko data source asks for
//! (`pegnet/pegnet`, `polling/coingecko.go`, `CurrencyIDMapping`), which covers the OPR v5
//! crypto list and PEG; the CoinMarketCap ids likewise (`polling/coinmarketcap.go`). Ids are
//! used rather than tickers because tickers are not unique on either site.
//!
//! The CoinPaprika ids (`<symbol>-<slug>`, such as `btc-bitcoin`) were not in PegNet; they
//! are the ids public CoinPaprika clients map these coins to. Two PegNet assets have none:
//! PEG, for which no CoinPaprika id could be confirmed, and FCT, whose id `fct-factom`
//! appears in a recorded `/v1/coins` list with `"is_active": false` (an inactive coin has
//! no ticker).

/// What kind of thing an asset is; decides which APIs quote it and how fast it moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AssetClass {
    /// A national currency (`USD`, `EUR`, ...), quoted by FX APIs.
    Fiat,
    /// A precious metal per troy ounce (`XAU`, `XAG`, `XPD`, `XPT`), quoted by some FX APIs.
    Metal,
    /// A cryptocurrency other than PEG, quoted by crypto market APIs.
    Crypto,
    /// PegNet's own token (`PEG`, called `PNT` in OPR version 1).
    Peg,
}

/// One row of the table: a PegNet asset name and its names elsewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketName {
    /// The PegNet asset name, as in the OPR asset lists.
    pub asset: &'static str,
    /// The asset's class.
    pub class: AssetClass,
    /// The CoinGecko coin id (`/simple/price?ids=`), for PEG and cryptos.
    pub coingecko_id: Option<&'static str>,
    /// The ISO 4217 code or exchange ticker FX APIs use (`rates` keys), for fiat, metals and
    /// cryptos; `None` for PEG, which no FX API quotes.
    pub fx_code: Option<&'static str>,
    /// The CoinMarketCap id (`/v1/cryptocurrency/quotes/latest?id=`), for PEG and cryptos.
    pub coinmarketcap_id: Option<u32>,
    /// The CoinPaprika coin id (`/v1/tickers` answers' `id`), for the cryptos whose id could
    /// be confirmed (see [`coinpaprika_id`]).
    pub coinpaprika_id: Option<&'static str>,
}

const fn fiat(asset: &'static str) -> MarketName {
    MarketName {
        asset,
        class: AssetClass::Fiat,
        coingecko_id: None,
        fx_code: Some(asset),
        coinmarketcap_id: None,
        coinpaprika_id: None,
    }
}

const fn metal(asset: &'static str) -> MarketName {
    MarketName {
        asset,
        class: AssetClass::Metal,
        coingecko_id: None,
        fx_code: Some(asset),
        coinmarketcap_id: None,
        coinpaprika_id: None,
    }
}

const fn crypto(
    asset: &'static str,
    coingecko_id: &'static str,
    ticker: &'static str,
    coinmarketcap_id: u32,
    coinpaprika_id: Option<&'static str>,
) -> MarketName {
    MarketName {
        asset,
        class: AssetClass::Crypto,
        coingecko_id: Some(coingecko_id),
        fx_code: Some(ticker),
        coinmarketcap_id: Some(coinmarketcap_id),
        coinpaprika_id,
    }
}

const fn peg(asset: &'static str) -> MarketName {
    MarketName {
        asset,
        class: AssetClass::Peg,
        coingecko_id: Some("pegnet"),
        fx_code: None,
        coinmarketcap_id: Some(4979),
        // No CoinPaprika id for PegNet could be confirmed.
        coinpaprika_id: None,
    }
}

/// Every asset of every OPR version (`ASSETS_V1` to `ASSETS_V5`), each once. `PEG` comes
/// before its old name `PNT`, so reverse look-ups answer the current name.
pub const MARKET_NAMES: [MarketName; 65] = [
    peg("PEG"),
    peg("PNT"),
    fiat("USD"),
    fiat("EUR"),
    fiat("JPY"),
    fiat("GBP"),
    fiat("CAD"),
    fiat("CHF"),
    fiat("INR"),
    fiat("SGD"),
    fiat("CNY"),
    fiat("HKD"),
    fiat("KRW"),
    fiat("BRL"),
    fiat("PHP"),
    fiat("MXN"),
    fiat("AUD"),
    fiat("NZD"),
    fiat("SEK"),
    fiat("NOK"),
    fiat("RUB"),
    fiat("ZAR"),
    fiat("TRY"),
    fiat("AED"),
    fiat("ARS"),
    fiat("TWD"),
    fiat("RWF"),
    fiat("KES"),
    fiat("UGX"),
    fiat("TZS"),
    fiat("BIF"),
    fiat("ETB"),
    fiat("NGN"),
    metal("XAU"),
    metal("XAG"),
    metal("XPD"),
    metal("XPT"),
    crypto("XBT", "bitcoin", "BTC", 1, Some("btc-bitcoin")),
    crypto("ETH", "ethereum", "ETH", 1027, Some("eth-ethereum")),
    crypto("LTC", "litecoin", "LTC", 2, Some("ltc-litecoin")),
    crypto("RVN", "ravencoin", "RVN", 2577, Some("rvn-ravencoin")),
    crypto("XBC", "bitcoin-cash", "BCH", 1831, Some("bch-bitcoin-cash")),
    crypto("FCT", "factom", "FCT", 1087, None),
    crypto("BNB", "binancecoin", "BNB", 1839, Some("bnb-binance-coin")),
    crypto("XLM", "stellar", "XLM", 512, Some("xlm-stellar")),
    crypto("ADA", "cardano", "ADA", 2010, Some("ada-cardano")),
    crypto("XMR", "monero", "XMR", 328, Some("xmr-monero")),
    crypto("DASH", "dash", "DASH", 131, Some("dash-dash")),
    crypto("ZEC", "zcash", "ZEC", 1437, Some("zec-zcash")),
    crypto("DCR", "decred", "DCR", 1168, Some("dcr-decred")),
    crypto("EOS", "eos", "EOS", 1765, Some("eos-eos")),
    crypto("LINK", "chainlink", "LINK", 1975, Some("link-chainlink")),
    crypto("ATOM", "cosmos", "ATOM", 3794, Some("atom-cosmos")),
    crypto(
        "BAT",
        "basic-attention-token",
        "BAT",
        1697,
        Some("bat-basic-attention-token"),
    ),
    crypto("XTZ", "tezos", "XTZ", 2011, Some("xtz-tezos")),
    crypto(
        "HBAR",
        "hedera-hashgraph",
        "HBAR",
        4642,
        Some("hbar-hedera-hashgraph"),
    ),
    crypto("NEO", "neo", "NEO", 1376, Some("neo-neo")),
    crypto(
        "CRO",
        "crypto-com-chain",
        "CRO",
        3635,
        Some("cro-cryptocom-chain"),
    ),
    crypto(
        "ETC",
        "ethereum-classic",
        "ETC",
        1321,
        Some("etc-ethereum-classic"),
    ),
    crypto("ONT", "ontology", "ONT", 2566, Some("ont-ontology")),
    crypto("DOGE", "dogecoin", "DOGE", 74, Some("doge-dogecoin")),
    crypto("VET", "vechain", "VET", 3077, Some("vet-vechain")),
    crypto("HT", "huobi-token", "HT", 2502, Some("ht-huobi-token")),
    crypto("ALGO", "algorand", "ALGO", 4030, Some("algo-algorand")),
    crypto("DGB", "digibyte", "DGB", 109, Some("dgb-digibyte")),
];

/// The table row of a PegNet asset name (case-sensitive, as in the OPR lists).
pub fn market_name(asset: &str) -> Option<&'static MarketName> {
    MARKET_NAMES.iter().find(|m| m.asset == asset)
}

/// Every PegNet asset name of every OPR version, each once (`PNT` included).
pub fn known_assets() -> impl Iterator<Item = &'static str> {
    MARKET_NAMES.iter().map(|m| m.asset)
}

/// The class of a PegNet asset.
pub fn class(asset: &str) -> Option<AssetClass> {
    market_name(asset).map(|m| m.class)
}

/// The CoinGecko coin id of a PegNet asset (`"XBT"` → `"bitcoin"`); `None` for fiat and
/// metals, which CoinGecko has as `vs_currencies`, not coins.
pub fn coingecko_id(asset: &str) -> Option<&'static str> {
    market_name(asset).and_then(|m| m.coingecko_id)
}

/// The PegNet asset a CoinGecko coin id stands for (`"pegnet"` → `"PEG"`, never `"PNT"`).
pub fn asset_for_coingecko_id(id: &str) -> Option<&'static str> {
    MARKET_NAMES
        .iter()
        .find(|m| m.coingecko_id == Some(id))
        .map(|m| m.asset)
}

/// The CoinMarketCap id of a PegNet asset (`"XBT"` → 1, `"PEG"` → 4979); `None` for fiat and
/// metals.
pub fn coinmarketcap_id(asset: &str) -> Option<u32> {
    market_name(asset).and_then(|m| m.coinmarketcap_id)
}

/// The PegNet asset a CoinMarketCap id stands for (4979 → `"PEG"`, never `"PNT"`).
pub fn asset_for_coinmarketcap_id(id: u32) -> Option<&'static str> {
    MARKET_NAMES
        .iter()
        .find(|m| m.coinmarketcap_id == Some(id))
        .map(|m| m.asset)
}

/// The CoinPaprika coin id of a PegNet asset (`"XBT"` → `"btc-bitcoin"`); `None` for fiat,
/// metals, PEG and FCT (see the module comment).
pub fn coinpaprika_id(asset: &str) -> Option<&'static str> {
    market_name(asset).and_then(|m| m.coinpaprika_id)
}

/// The PegNet asset a CoinPaprika coin id stands for (`"btc-bitcoin"` → `"XBT"`).
pub fn asset_for_coinpaprika_id(id: &str) -> Option<&'static str> {
    MARKET_NAMES
        .iter()
        .find(|m| m.coinpaprika_id == Some(id))
        .map(|m| m.asset)
}

/// The code FX APIs use for a PegNet asset (`"EUR"` → `"EUR"`, `"XBT"` → `"BTC"`); `None` for
/// PEG.
pub fn fx_code(asset: &str) -> Option<&'static str> {
    market_name(asset).and_then(|m| m.fx_code)
}

/// The PegNet asset an FX code stands for (`"BTC"` → `"XBT"`); case-sensitive, FX codes are
/// upper case.
pub fn asset_for_fx_code(code: &str) -> Option<&'static str> {
    MARKET_NAMES
        .iter()
        .find(|m| m.fx_code == Some(code))
        .map(|m| m.asset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opr::{ASSETS_V1, ASSETS_V2, ASSETS_V4, ASSETS_V5};
    use std::collections::HashSet;

    fn all_version_assets() -> impl Iterator<Item = &'static str> {
        ASSETS_V1
            .iter()
            .chain(&ASSETS_V2)
            .chain(&ASSETS_V4)
            .chain(&ASSETS_V5)
            .copied()
    }

    #[test]
    fn market_every_asset_of_every_version_has_a_class() {
        for asset in all_version_assets() {
            assert!(class(asset).is_some(), "{asset} has no class");
        }
    }

    #[test]
    fn market_table_holds_exactly_the_version_assets_once() {
        let listed: HashSet<&str> = all_version_assets().collect();
        let table: Vec<&str> = known_assets().collect();
        let table_set: HashSet<&str> = table.iter().copied().collect();
        assert_eq!(table.len(), table_set.len(), "an asset is listed twice");
        assert_eq!(listed, table_set);
    }

    #[test]
    fn market_quotable_assets_have_the_names_their_apis_need() {
        for m in &MARKET_NAMES {
            match m.class {
                AssetClass::Fiat | AssetClass::Metal => {
                    assert_eq!(m.coingecko_id, None, "{}", m.asset);
                    assert_eq!(m.fx_code, Some(m.asset), "{}", m.asset);
                }
                AssetClass::Crypto => {
                    assert!(m.coingecko_id.is_some(), "{}", m.asset);
                    assert!(m.fx_code.is_some(), "{}", m.asset);
                }
                AssetClass::Peg => {
                    assert_eq!(m.coingecko_id, Some("pegnet"), "{}", m.asset);
                    assert_eq!(m.fx_code, None, "{}", m.asset);
                }
            }
        }
    }

    #[test]
    fn market_coingecko_ids_are_a_bijection_up_to_pnt() {
        let mut seen = HashSet::new();
        for asset in known_assets().filter(|a| *a != "PNT") {
            let Some(id) = coingecko_id(asset) else {
                continue;
            };
            assert!(seen.insert(id), "{id} is the id of two assets");
            assert_eq!(asset_for_coingecko_id(id), Some(asset));
        }
        assert_eq!(coingecko_id("PNT"), coingecko_id("PEG"));
        assert_eq!(asset_for_coingecko_id("pegnet"), Some("PEG"));
        assert_eq!(asset_for_coingecko_id("no-such-coin"), None);
    }

    #[test]
    fn market_coinmarketcap_ids_are_a_bijection_up_to_pnt() {
        let mut seen = HashSet::new();
        for m in MARKET_NAMES.iter().filter(|m| m.asset != "PNT") {
            let has_id = matches!(m.class, AssetClass::Crypto | AssetClass::Peg);
            assert_eq!(m.coinmarketcap_id.is_some(), has_id, "{}", m.asset);
            let Some(id) = m.coinmarketcap_id else {
                continue;
            };
            assert!(seen.insert(id), "{id} is the id of two assets");
            assert_eq!(asset_for_coinmarketcap_id(id), Some(m.asset));
        }
        assert_eq!(coinmarketcap_id("XBT"), Some(1));
        assert_eq!(asset_for_coinmarketcap_id(4979), Some("PEG"));
    }

    #[test]
    fn market_coinpaprika_ids_are_a_bijection_on_cryptos() {
        let mut seen = HashSet::new();
        for m in &MARKET_NAMES {
            let Some(id) = m.coinpaprika_id else {
                continue;
            };
            assert_eq!(m.class, AssetClass::Crypto, "{}", m.asset);
            assert!(seen.insert(id), "{id} is the id of two assets");
            assert_eq!(asset_for_coinpaprika_id(id), Some(m.asset));
            // `<ticker>-<slug>`: the ticker part is the asset's exchange ticker.
            let ticker = m.fx_code.map(str::to_lowercase);
            assert_eq!(id.split('-').next(), ticker.as_deref(), "{id}");
        }
        assert_eq!(coinpaprika_id("XBT"), Some("btc-bitcoin"));
        assert_eq!(coinpaprika_id("BNB"), Some("bnb-binance-coin"));
        assert_eq!(coinpaprika_id("PEG"), None);
        assert_eq!(coinpaprika_id("FCT"), None);
        assert_eq!(coinpaprika_id("EUR"), None);
        assert_eq!(asset_for_coinpaprika_id("bitcoin"), None);
    }

    #[test]
    fn market_fx_codes_are_a_bijection() {
        let mut seen = HashSet::new();
        for asset in known_assets() {
            let Some(code) = fx_code(asset) else { continue };
            assert!(seen.insert(code), "{code} is the code of two assets");
            assert_eq!(asset_for_fx_code(code), Some(asset));
        }
    }

    #[test]
    fn market_known_names() {
        assert_eq!(coingecko_id("XBT"), Some("bitcoin"));
        assert_eq!(coingecko_id("XBC"), Some("bitcoin-cash"));
        assert_eq!(coingecko_id("CRO"), Some("crypto-com-chain"));
        assert_eq!(coingecko_id("EUR"), None);
        assert_eq!(fx_code("XBT"), Some("BTC"));
        assert_eq!(fx_code("XAU"), Some("XAU"));
        assert_eq!(fx_code("PEG"), None);
        assert_eq!(asset_for_fx_code("BTC"), Some("XBT"));
        assert_eq!(class("PNT"), Some(AssetClass::Peg));
        assert_eq!(class("XPT"), Some(AssetClass::Metal));
        assert_eq!(class("xbt"), None);
    }
}
