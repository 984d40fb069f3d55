//! The oracle: polls the configured sources once a block and prices an OPR version.
//!
//! Every source an asset of the version needs is asked at the same time, each bounded by
//! `Oracle.TimeoutMs` (retries included) and answered from its cache within
//! `Oracle.CacheTtlSeconds`, so one slow or dead source costs at most the timeout and never
//! holds up the others. PegNet asked lazily, one source after another, without a timeout.
//! Then each asset gets its price from its sources in priority order ([`select`]), and a
//! source's failure for one asset only means the next source is used.
//!
//! [`select`]: super::select

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use futures_util::future::join_all;
use reqwest::Client;

use super::cache::Cache;
use super::config::{Endpoint, OracleConfigError, OracleSection, Settings};
use super::http::{self, Adapter, RetryPolicy};
use super::plan::Plan;
use super::prices::{self, Answers, Prices};
use super::select::Candidate;
use super::source::Quotes;
use super::{
    ErrorKind, MissingPrices, Source, SourceError, apilayer, coinbase, coingecko, coinmarketcap,
    coinpaprika, ecb, exchangerate_api, fixed_usd, metrics, openexchangerates,
};
use crate::health::PriceHealth;

/// Prices OPRs from the configured sources.
#[derive(Debug)]
pub struct Oracle {
    plan: Plan,
    policy: RetryPolicy,
    http: Client,
    feeds: BTreeMap<Source, Feed>,
    /// Each source's last poll, for `/status` and the status page.
    health: Arc<PriceHealth>,
}

/// One enabled source: how to reach it, and its cache.
#[derive(Debug)]
struct Feed {
    web: Option<(Endpoint, Adapter)>,
    cache: Cache,
}

impl Oracle {
    /// Checks the three tables (`[Oracle]`, `[OracleDataSources]`,
    /// `[OracleAssetDataSourcesPriority]`) and builds the oracle. Makes no request.
    pub fn new(
        oracle: &OracleSection,
        sources: &BTreeMap<String, i32>,
        asset_priority: &BTreeMap<String, String>,
    ) -> Result<Oracle, OracleConfigError> {
        let plan = Plan::new(sources, asset_priority)?;
        let Settings {
            timeout,
            cache_ttl,
            retries,
        } = oracle.settings(plan.enabled())?;
        let mut feeds = BTreeMap::new();
        for source in Source::ALL {
            let endpoint = oracle.endpoint(source)?;
            if !plan.enabled().contains(&source) {
                continue;
            }
            let web = endpoint.zip(adapter(source));
            let cache = Cache::new(cache_ttl);
            feeds.insert(source, Feed { web, cache });
        }
        Ok(Oracle {
            plan,
            policy: RetryPolicy { timeout, retries },
            http: http::client(timeout)?,
            feeds,
            health: Arc::default(),
        })
    }

    /// Where each source's health is kept (shared with whoever shows it).
    pub fn health(&self) -> Arc<PriceHealth> {
        Arc::clone(&self.health)
    }

    /// The enabled sources, most preferred first.
    pub fn sources(&self) -> &[Source] {
        self.plan.enabled()
    }

    /// The sources asked for `asset`, in order (empty for an asset outside OPR v5).
    pub fn sources_for(&self, asset: &str) -> &[Source] {
        self.plan.sources_for(asset)
    }

    /// Every asset of OPR `opr_version` priced, in consensus order, or every asset that
    /// could not be, with the sources tried for each. Takes at most about `Oracle.TimeoutMs`
    /// however the sources behave.
    pub async fn prices(&self, opr_version: u8) -> Result<Prices, MissingPrices> {
        let assets = prices::asset_list(opr_version)?;
        let polled: Vec<&'static str> = assets
            .iter()
            .copied()
            .filter(|a| !prices::is_protocol_zero(opr_version, a))
            .collect();
        let needed: BTreeSet<Source> = polled
            .iter()
            .flat_map(|a| self.plan.sources_for(a).iter().copied())
            .collect();
        let polls = self
            .feeds
            .iter()
            .filter(|(source, _)| needed.contains(source))
            // A closure returning an `async move` block, not an async closure: the compiler
            // cannot prove an async closure's future borrowing `self` is `Send` ("not general
            // enough"), and the coordinator polls from spawned tasks.
            .map(|(&source, feed)| async move { (source, self.quotes(source, feed).await) });
        let answers: Answers = join_all(polls).await.into_iter().collect();
        let table: Vec<(&'static str, Vec<Candidate>)> = assets
            .iter()
            .map(|&asset| {
                let order = if polled.contains(&asset) {
                    self.plan.sources_for(asset)
                } else {
                    &[]
                };
                (asset, prices::candidates(asset, order, &answers))
            })
            .collect();
        count_quote_errors(&table);
        let prices = prices::assemble(opr_version, &table)?;
        for r in &prices.rejected {
            metrics::band_rejected(r.source);
            tracing::warn!(
                asset = r.asset,
                source = r.source.name(),
                price = r.price,
                "price quote outside the band around the other quotes; not used"
            );
        }
        Ok(prices)
    }

    /// One source's quotes: from its cache, or asked with retries within the timeout.
    async fn quotes(&self, source: Source, feed: &Feed) -> Result<Arc<Quotes>, SourceError> {
        let Some((endpoint, adapter)) = &feed.web else {
            return Ok(Arc::new(fixed_usd::quotes()));
        };
        if let Some(quotes) = feed.cache.get(Instant::now()) {
            metrics::cache_hit(source);
            return Ok(quotes);
        }
        let attempt = || self.attempt(source, endpoint, *adapter);
        match http::with_retries(self.policy, attempt).await {
            Ok(quotes) => {
                let quotes = Arc::new(quotes);
                feed.cache.put(Instant::now(), quotes.clone());
                metrics::up(source, true);
                self.health.ok(source.name(), crate::writer::now_ms());
                Ok(quotes)
            }
            Err(kind) => {
                if matches!(kind, ErrorKind::Timeout { .. }) {
                    // The attempt cut off by the deadline could not count itself.
                    metrics::error(source, &kind);
                }
                metrics::up(source, false);
                let e = SourceError {
                    data_source: source,
                    kind,
                };
                self.health
                    .failed(source.name(), crate::writer::now_ms(), &e.to_string());
                tracing::warn!(error = %e, "price source failed; its assets go to the next source");
                Err(e)
            }
        }
    }

    /// One request and the reading of its answer.
    async fn attempt(
        &self,
        source: Source,
        endpoint: &Endpoint,
        adapter: Adapter,
    ) -> Result<Quotes, ErrorKind> {
        metrics::request(source);
        let started = Instant::now();
        let request = (adapter.request)(&self.http, endpoint);
        let result = http::send(request, adapter.max_body_bytes).await;
        metrics::answered(source, started.elapsed());
        let quotes = result.and_then(|reply| (adapter.parse)(&reply));
        if let Err(kind) = &quotes {
            metrics::error(source, kind);
        }
        quotes
    }
}

/// The web API behind a source; `FixedUSD` has none.
fn adapter(source: Source) -> Option<Adapter> {
    match source {
        Source::FixedUsd => None,
        Source::CoinGecko => Some(coingecko::ADAPTER),
        Source::OpenExchangeRates => Some(openexchangerates::ADAPTER),
        Source::ExchangeRateApi => Some(exchangerate_api::ADAPTER),
        Source::Coinbase => Some(coinbase::ADAPTER),
        Source::Ecb => Some(ecb::ADAPTER),
        Source::CoinMarketCap => Some(coinmarketcap::ADAPTER),
        Source::ApiLayer => Some(apilayer::ADAPTER),
        Source::CoinPaprika => Some(coinpaprika::ADAPTER),
    }
}

/// Counts the failures that concern one asset; whole-source failures were counted when
/// they happened.
fn count_quote_errors(table: &[(&'static str, Vec<Candidate>)]) {
    for c in table.iter().flat_map(|(_, candidates)| candidates) {
        if let Err(kind @ (ErrorKind::MissingAsset { .. } | ErrorKind::InvalidPrice { .. })) =
            &c.quote
        {
            metrics::error(c.source, kind);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The coordinator polls from spawned tasks, so the poll must be `Send`.
    #[test]
    fn polling_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let oracle = Oracle::new(
            &OracleSection::default(),
            &super::super::default_data_sources(),
            &BTreeMap::new(),
        )
        .expect("the defaults are valid");
        assert_send(&oracle.prices(5));
        let spawned = async move { oracle.prices(5).await.is_ok() };
        assert_send(&spawned);
    }
}
