//! The price layer's Prometheus metrics, through the `metrics` facade (a no-op until the
//! coordinator installs a recorder). Labels are `source` (the source names) and
//! `kind` (the [`ErrorKind`] labels), so the series count stays fixed.

use std::time::Duration;

use super::{ErrorKind, Source};

/// HTTP requests sent, retries included. Label `source`.
pub const REQUESTS_TOTAL: &str = "pegnet_coordinator_price_requests_total";
/// Failures: of a request (any kind), or of one asset's quote (`missing_asset`,
/// `invalid_price`). Labels `source`, `kind`.
pub const ERRORS_TOTAL: &str = "pegnet_coordinator_price_errors_total";
/// Time from sending a request to having read its answer (or failing to). Label `source`.
pub const REQUEST_DURATION_SECONDS: &str = "pegnet_coordinator_price_request_duration_seconds";
/// Polls answered from the cache without a request. Label `source`.
pub const CACHE_HITS_TOTAL: &str = "pegnet_coordinator_price_cache_hits_total";
/// 1 if the source's last poll succeeded, 0 if it failed. Label `source`.
pub const SOURCE_UP: &str = "pegnet_coordinator_price_source_up";
/// Live quotes not used because they lay outside the version 5 band around the trimmed
/// mean of the asset's quotes. Label `source`.
pub const BAND_REJECTIONS_TOTAL: &str = "pegnet_coordinator_price_band_rejections_total";

/// Registers the descriptions; call once after installing the recorder.
pub fn describe() {
    metrics::describe_counter!(REQUESTS_TOTAL, "Price API requests sent, retries included");
    metrics::describe_counter!(ERRORS_TOTAL, "Price source failures by kind");
    metrics::describe_histogram!(
        REQUEST_DURATION_SECONDS,
        metrics::Unit::Seconds,
        "Price API request latency"
    );
    metrics::describe_counter!(CACHE_HITS_TOTAL, "Price polls answered from the cache");
    metrics::describe_gauge!(SOURCE_UP, "1 if the price source's last poll succeeded");
    metrics::describe_counter!(
        BAND_REJECTIONS_TOTAL,
        "Price quotes rejected as outliers by the OPR v5 band"
    );
}

/// Every `kind` label of [`ERRORS_TOTAL`] (`ErrorKind::label`).
pub const ERROR_KINDS: [&str; 10] = [
    "timeout",
    "transport",
    "rate_limited",
    "unauthorized",
    "http_status",
    "api_error",
    "malformed",
    "too_large",
    "missing_asset",
    "invalid_price",
];

/// Sets the counters of the enabled `sources` to 0, so their first increment shows in
/// `rate()`.
pub fn init(sources: &[Source]) {
    for &source in sources {
        let name = source.name();
        metrics::counter!(REQUESTS_TOTAL, "source" => name).absolute(0);
        metrics::counter!(CACHE_HITS_TOTAL, "source" => name).absolute(0);
        metrics::counter!(BAND_REJECTIONS_TOTAL, "source" => name).absolute(0);
        for kind in ERROR_KINDS {
            metrics::counter!(ERRORS_TOTAL, "source" => name, "kind" => kind).absolute(0);
        }
    }
}

pub(crate) fn request(source: Source) {
    metrics::counter!(REQUESTS_TOTAL, "source" => source.name()).increment(1);
}

pub(crate) fn answered(source: Source, took: Duration) {
    metrics::histogram!(REQUEST_DURATION_SECONDS, "source" => source.name())
        .record(took.as_secs_f64());
}

pub(crate) fn error(source: Source, kind: &ErrorKind) {
    metrics::counter!(ERRORS_TOTAL, "source" => source.name(), "kind" => kind.label()).increment(1);
}

pub(crate) fn cache_hit(source: Source) {
    metrics::counter!(CACHE_HITS_TOTAL, "source" => source.name()).increment(1);
}

pub(crate) fn up(source: Source, up: bool) {
    metrics::gauge!(SOURCE_UP, "source" => source.name()).set(if up { 1.0 } else { 0.0 });
}

pub(crate) fn band_rejected(source: Source) {
    metrics::counter!(BAND_REJECTIONS_TOTAL, "source" => source.name()).increment(1);
}
