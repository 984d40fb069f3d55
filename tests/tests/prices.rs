//! Price sources misbehaving while the whole system runs (the acceptance of the price-source
//! issue): with one source slower than its timeout and another failing, the coordinator
//! still publishes the job of the block from the other sources while the block's clock
//! stands at minute 1; with every source of an asset dead, it skips the block, naming the
//! asset and every source tried in `/status` and counting the skip, and mines the next
//! block once a source is back.
//!
//! The devnet's clock is stepped, so "in time" is exact: the job must arrive before the
//! test moves the clock past minute 1. The sources are switched with the feed's HTTP
//! control endpoint, as an operator of a separate devnet would.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

mod common;

use common::{Options, System, WAIT};
use futures_util::StreamExt;
use pegnet_common::opr::ASSETS_V5;
use pegnet_common::wire::{Job, decode};
use pegnet_coordinator::config::Config;

/// Every source on, the keyed ones with a key the devnet accepts, and a short timeout.
fn every_source_quick(config: &mut Config) {
    config.oracle.timeout_ms = 1500;
    config.oracle.retries = 1;
    config.oracle.open_exchange_rates_key = "devnet0app0id".into();
    config.oracle.coinmarketcap_key = "devnet-cmc-key".into();
    config.oracle.apilayer_key = "devnet0apilayer".into();
    for (name, priority) in [
        ("FixedUSD", 0),
        ("ExchangeRateApi", 1),
        ("Coinbase", 2),
        ("CoinGecko", 3),
        ("ECB", 4),
        ("OpenExchangeRates", 5),
        ("CoinMarketCap", 6),
        ("APILayer", 7),
        ("CoinPaprika", 8),
    ] {
        config.data_sources.insert(name.into(), priority);
    }
}

/// Switches a feed source over its HTTP control endpoint.
async fn switch(sys: &System, source: &str, mode: &str) {
    let url = format!("{}/devnet/feed/{source}", sys.devnet.feed_url());
    let response = reqwest::Client::new()
        .post(url)
        .body(mode.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "switching {source} to {mode}");
}

/// The metric lines of `name` whose labels include every one of `labels`.
fn metric<'a>(text: &'a str, name: &str, labels: &[&str]) -> Vec<&'a str> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter(|l| labels.iter().all(|label| l.contains(label)))
        .collect()
}

#[tokio::test]
async fn a_slow_and_a_failing_source_do_not_hold_up_the_job() {
    let sys = System::start(Options {
        configure: Some(every_source_quick),
        ..Options::default()
    })
    .await;
    let client = async_nats::connect(sys.nats.url()).await.unwrap();
    let mut jobs = client.subscribe(sys.subjects.jobs()).await.unwrap();
    client.flush().await.unwrap();
    // Ten minutes, the longest the feed allows: only a missing timeout would wait it out.
    switch(
        &sys,
        "exchangerate-api",
        r#"{"mode":"slow","delay_ms":600000}"#,
    )
    .await;
    switch(&sys, "coinbase", r#"{"mode":"failing"}"#).await;

    let height = sys.next_job().await;
    let job = tokio::time::timeout(WAIT, async {
        loop {
            let message = jobs.next().await.unwrap();
            let job: Job = decode(&message.payload).unwrap();
            if job.height == height {
                return job;
            }
        }
    })
    .await
    .unwrap();
    // Published while the block still stands at minute 1: in time for the miners.
    assert_eq!(sys.position(), (height, 1));
    assert_eq!(job.assets.len(), ASSETS_V5.len());
    assert!(job.assets.iter().all(|&v| v > 0), "{:?}", job.assets);
    // RWF's first two sources are the slow and the failing one; it came from a third.
    let rwf = ASSETS_V5.iter().position(|a| *a == "RWF").unwrap();
    let want = sys.devnet.feed().price("RWF").unwrap() * 1e8;
    let got = job.assets[rwf] as f64;
    assert!((got - want).abs() <= want * 1e-3, "RWF {got} vs {want}");

    let metrics = sys.metrics().await;
    let errors = "pegnet_coordinator_price_errors_total";
    let up = "pegnet_coordinator_price_source_up";
    assert_eq!(
        metric(
            &metrics,
            errors,
            &[r#"source="ExchangeRateApi""#, r#"kind="timeout""#]
        )
        .len(),
        1,
        "{metrics}"
    );
    assert_eq!(
        metric(
            &metrics,
            errors,
            &[r#"source="Coinbase""#, r#"kind="http_status""#]
        )
        .len(),
        1,
        "{metrics}"
    );
    // Latency per source, as a histogram.
    let latency = "pegnet_coordinator_price_request_duration_seconds_bucket";
    assert!(
        !metric(&metrics, latency, &[r#"source="ECB""#, r#"le="+Inf""#]).is_empty(),
        "{metrics}"
    );
    for (source, value) in [("ExchangeRateApi", "0"), ("Coinbase", "0"), ("ECB", "1")] {
        let lines = metric(&metrics, up, &[&format!("source=\"{source}\"")]);
        assert!(
            lines.len() == 1 && lines[0].ends_with(&format!(" {value}")),
            "{source}: {lines:?}"
        );
    }
    sys.stop().await;
}

#[tokio::test]
async fn every_source_of_an_asset_down_skips_the_block_by_name_until_one_is_back() {
    // The default sources: RWF and five other African currencies have ExchangeRate-API and
    // Coinbase only.
    let sys = System::start(Options::default()).await;
    switch(&sys, "exchangerate-api", r#"{"mode":"failing"}"#).await;
    switch(&sys, "coinbase", r#"{"mode":"unauthorized"}"#).await;

    let height = sys.step_to(1).await;
    let status = sys
        .status_until(|s| s.block(height).is_some_and(|b| b.skipped.is_some()))
        .await;
    assert!(status.job.is_none(), "no job for a block without prices");
    let reason = status.block(height).unwrap().skipped.clone().unwrap();
    assert!(
        reason.starts_with("prices: OPR version 5: no price for 6 assets: RWF (tried "),
        "{reason}"
    );
    assert!(
        reason.contains(
            "RWF (tried ExchangeRateApi: HTTP 503; \
             Coinbase: unauthorized (HTTP 401): authentication_error: invalid api key)"
        ),
        "{reason}"
    );
    for asset in ["KES", "UGX", "TZS", "BIF", "ETB"] {
        assert!(
            reason.contains(&format!("{asset} (tried ")),
            "{asset}: {reason}"
        );
    }
    let metrics = sys.metrics().await;
    assert!(
        metrics.contains(r#"pegnet_coordinator_blocks_skipped_total{reason="prices"} 1"#),
        "{metrics}"
    );

    // One source back is enough for the next block.
    switch(&sys, "coinbase", r#"{"mode":"normal"}"#).await;
    let next = sys.next_job().await;
    assert_eq!(next, height + 1);
    sys.stop().await;
}
