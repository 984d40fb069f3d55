//! Every Prometheus metric the coordinator exports, named and described once (the catalogue
//! is `METRICS.md`; the price sources' metrics live in `price/metrics.rs` and are described
//! from here too).
//!
//! Most series go through the `metrics` facade and its process-wide exporter. The per-miner
//! series do not: they are rendered from the coordinator's own snapshot after the cap
//! ([`crate::fold`]) so that a miner that is gone or folded has no series left behind, which
//! the facade cannot express (it has no way to remove one series). Labelled counters whose
//! label values are known at start are set to 0 at start, so their first increment shows in
//! `rate()`.

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
use pegnet_common::wire::{RejectReason, ShareReject};

use crate::fold::Folded;

pub const HEIGHT: &str = "pegnet_coordinator_height";
pub const MINUTE: &str = "pegnet_coordinator_minute";
pub const MINUTE_EVENT_TIMESTAMP: &str = "pegnet_coordinator_minute_event_timestamp_seconds";
pub const MINUTE_POLL_FAILURES: &str = "pegnet_coordinator_minute_poll_failures_total";
pub const JOBS: &str = "pegnet_coordinator_jobs_total";
pub const JOB_HEIGHT: &str = "pegnet_coordinator_job_height";
pub const BLOCKS_SKIPPED: &str = "pegnet_coordinator_blocks_skipped_total";
pub const PUBLISH_FAILURES: &str = "pegnet_coordinator_publish_failures_total";
pub const REQUESTS_WITHOUT_REPLY: &str = "pegnet_coordinator_requests_without_reply_total";

pub const EC_BALANCE: &str = "pegnet_coordinator_ec_balance";
pub const EC_SPENT: &str = "pegnet_coordinator_ec_spent_total";
pub const BLOCK_EC_SPENT: &str = "pegnet_coordinator_block_ec_spent";
pub const ENTRIES_CHOSEN: &str = "pegnet_coordinator_entries_chosen_total";
pub const ENTRIES_WRITTEN: &str = "pegnet_coordinator_entries_written_total";
pub const WRITE_FAILURES: &str = "pegnet_coordinator_write_failures_total";
pub const WINNERS_OURS: &str = "pegnet_coordinator_previous_block_winners_ours";

pub const SHARES_ACCEPTED: &str = "pegnet_coordinator_shares_accepted_total";
pub const SHARES_REJECTED: &str = "pegnet_coordinator_shares_rejected_total";
pub const BATCHES_REJECTED: &str = "pegnet_coordinator_share_batches_rejected_total";
pub const VERIFICATION_DURATION: &str = "pegnet_coordinator_verification_duration_seconds";
pub const VERIFICATION_BACKLOG: &str = "pegnet_coordinator_verification_backlog";

pub const SESSIONS: &str = "pegnet_coordinator_sessions";
pub const SESSIONS_OPENED: &str = "pegnet_coordinator_sessions_total";
pub const AUTH_REJECTIONS: &str = "pegnet_coordinator_auth_rejections_total";
pub const STATS_REJECTED: &str = "pegnet_coordinator_stats_rejected_total";
pub const MINER_HASH_RATE: &str = "pegnet_coordinator_miner_hash_rate_hashes_per_second";
pub const MINER_ESTIMATED_HASH_RATE: &str =
    "pegnet_coordinator_miner_estimated_hash_rate_hashes_per_second";
pub const MINER_SHARES_ACCEPTED: &str = "pegnet_coordinator_miner_shares_accepted_total";
pub const MINER_SHARES_REJECTED: &str = "pegnet_coordinator_miner_shares_rejected_total";
pub const MINER_BEST_DIFFICULTY: &str = "pegnet_coordinator_miner_best_difficulty";
pub const MINER_LAST_SEEN: &str = "pegnet_coordinator_miner_last_seen_timestamp_seconds";
pub const MINERS_FOLDED: &str = "pegnet_coordinator_miners_folded";
pub const FLEET_HASH_RATE: &str = "pegnet_coordinator_fleet_hash_rate_hashes_per_second";
pub const FLEET_ESTIMATED_HASH_RATE: &str =
    "pegnet_coordinator_fleet_estimated_hash_rate_hashes_per_second";

pub const FACTOMD_UP: &str = "pegnet_coordinator_factomd_up";
pub const FACTOMD_REQUESTS: &str = "pegnet_coordinator_factomd_requests_total";
pub const FACTOMD_FAILURES: &str = "pegnet_coordinator_factomd_failures_total";
pub const NATS_CONNECTED: &str = "pegnet_coordinator_nats_connected";
pub const NATS_RECONNECTS: &str = "pegnet_coordinator_nats_reconnects_total";
pub const JETSTREAM_UP: &str = "pegnet_coordinator_jetstream_up";
pub const SYNC_HEIGHT: &str = "pegnet_coordinator_sync_height";
pub const SYNC_BLOCKS_GRADED: &str = "pegnet_coordinator_sync_blocks_graded_total";
pub const SYNC_ENTRIES_FETCHED: &str = "pegnet_coordinator_sync_entries_fetched_total";
pub const SYNC_CACHE_WRITE_FAILURES: &str = "pegnet_coordinator_sync_cache_write_failures_total";

/// Verification of one share batch: a few LXRHashes take microseconds on a small table and
/// milliseconds on a 1 GiB one; a backlog shows as seconds.
pub const VERIFICATION_BUCKETS_SECONDS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// Why a block got no job (`job::Skip::kind`).
pub const SKIP_REASONS: [&str; 6] = ["no_version", "sync", "balance", "no_ec", "prices", "encode"];
/// The writer's steps (`writer.rs`).
pub const WRITE_STEPS: [&str; 3] = ["commit", "reveal", "ack"];

/// Every authentication refusal, for zero-initialising its counter.
pub const AUTH_REJECT_REASONS: [RejectReason; 11] = [
    RejectReason::BadProof,
    RejectReason::ExpiredChallenge,
    RejectReason::UnknownChallenge,
    RejectReason::RateLimited,
    RejectReason::BadMinerName,
    RejectReason::BadIdentity,
    RejectReason::BadPayout,
    RejectReason::AuthDisabled,
    RejectReason::NoSlot,
    RejectReason::Malformed,
    RejectReason::UnsupportedVersion,
];

/// Fails to compile when a reason is added and [`AUTH_REJECT_REASONS`] is not told.
#[cfg(test)]
fn listed(r: RejectReason) -> bool {
    match r {
        RejectReason::BadProof
        | RejectReason::ExpiredChallenge
        | RejectReason::UnknownChallenge
        | RejectReason::RateLimited
        | RejectReason::BadMinerName
        | RejectReason::BadIdentity
        | RejectReason::BadPayout
        | RejectReason::AuthDisabled
        | RejectReason::NoSlot
        | RejectReason::Malformed
        | RejectReason::UnsupportedVersion => AUTH_REJECT_REASONS.contains(&r),
    }
}

/// Describes every metric (once per process is enough; again is harmless).
pub fn describe() {
    describe_clock();
    describe_entries();
    describe_shares();
    describe_dependencies();
    crate::price::metrics::describe();
}

fn describe_clock() {
    describe_gauge!(HEIGHT, "The block being built, as last seen");
    describe_gauge!(MINUTE, "factomd's minute of the block being built");
    describe_gauge!(
        MINUTE_EVENT_TIMESTAMP,
        Unit::Seconds,
        "Unix time the last minute event was published"
    );
    describe_counter!(MINUTE_POLL_FAILURES, "current-minute polls that failed");
    describe_counter!(JOBS, "Jobs published");
    describe_gauge!(JOB_HEIGHT, "Height of the last job published");
    describe_counter!(BLOCKS_SKIPPED, "Blocks without a job, by reason");
    describe_counter!(PUBLISH_FAILURES, "NATS publishes that failed");
    describe_counter!(
        REQUESTS_WITHOUT_REPLY,
        "Requests that came without a reply subject"
    );
}

fn describe_entries() {
    describe_gauge!(
        EC_BALANCE,
        "EC balance of the paying address at the last check"
    );
    describe_counter!(EC_SPENT, "EC spent on entries");
    describe_gauge!(BLOCK_EC_SPENT, "EC spent on the last block written");
    describe_counter!(ENTRIES_CHOSEN, "Entries the policy chose to write");
    describe_counter!(
        ENTRIES_WRITTEN,
        "Entries committed, revealed and acknowledged"
    );
    describe_counter!(WRITE_FAILURES, "Failed write steps, by step");
    describe_gauge!(
        WINNERS_OURS,
        "Of the previous block's 25 winners, how many were our entries"
    );
}

fn describe_shares() {
    describe_counter!(SHARES_ACCEPTED, "Shares verified and kept");
    describe_counter!(SHARES_REJECTED, "Shares refused, by reason");
    describe_counter!(BATCHES_REJECTED, "Share batches refused whole, by reason");
    describe_histogram!(
        VERIFICATION_DURATION,
        Unit::Seconds,
        "Time to verify one share batch"
    );
    describe_gauge!(
        VERIFICATION_BACKLOG,
        "Share batches waiting for or in verification"
    );
    describe_gauge!(SESSIONS, "Authenticated miner sessions");
    describe_counter!(SESSIONS_OPENED, "Sessions opened");
    describe_counter!(AUTH_REJECTIONS, "Authentications refused, by reason");
    describe_counter!(STATS_REJECTED, "Miner stats messages refused, by reason");
    describe_gauge!(
        MINERS_FOLDED,
        "Miners folded into miner=\"other\" by the cap"
    );
    describe_gauge!(
        FLEET_HASH_RATE,
        "Sum of the reported hash rates of every session"
    );
    describe_gauge!(
        FLEET_ESTIMATED_HASH_RATE,
        "Sum of the estimated hash rates of every session"
    );
}

fn describe_dependencies() {
    describe_gauge!(
        FACTOMD_UP,
        "1 if the last factomd call succeeded on some endpoint"
    );
    describe_counter!(FACTOMD_REQUESTS, "factomd calls, by endpoint");
    describe_counter!(
        FACTOMD_FAILURES,
        "factomd calls that failed and were retried elsewhere or later"
    );
    describe_gauge!(NATS_CONNECTED, "1 while the NATS connection is up");
    describe_counter!(NATS_RECONNECTS, "NATS reconnections");
    describe_gauge!(
        JETSTREAM_UP,
        "1 if the last JetStream account check answered"
    );
    describe_gauge!(SYNC_HEIGHT, "Last block of the OPR chain graded");
    describe_counter!(SYNC_BLOCKS_GRADED, "Blocks graded");
    describe_counter!(SYNC_ENTRIES_FETCHED, "OPR entries fetched");
    describe_counter!(
        SYNC_CACHE_WRITE_FAILURES,
        "Graded-chain cache writes that failed"
    );
}

/// Zero-initialises every counter whose label values are known at start, and the gauges
/// that have a meaningful "nothing yet"; `factomd_endpoints` is how many endpoints there are.
pub fn init(factomd_endpoints: usize) {
    for name in [
        MINUTE_POLL_FAILURES,
        JOBS,
        PUBLISH_FAILURES,
        REQUESTS_WITHOUT_REPLY,
        EC_SPENT,
        ENTRIES_CHOSEN,
        ENTRIES_WRITTEN,
        SHARES_ACCEPTED,
        SESSIONS_OPENED,
        NATS_RECONNECTS,
        SYNC_BLOCKS_GRADED,
        SYNC_ENTRIES_FETCHED,
        SYNC_CACHE_WRITE_FAILURES,
    ] {
        metrics::counter!(name).absolute(0);
    }
    for reason in SKIP_REASONS {
        metrics::counter!(BLOCKS_SKIPPED, "reason" => reason).absolute(0);
    }
    for step in WRITE_STEPS {
        metrics::counter!(WRITE_FAILURES, "step" => step).absolute(0);
    }
    for reason in ShareReject::ALL {
        metrics::counter!(SHARES_REJECTED, "reason" => reason.as_str()).absolute(0);
        metrics::counter!(BATCHES_REJECTED, "reason" => reason.as_str()).absolute(0);
        metrics::counter!(STATS_REJECTED, "reason" => reason.as_str()).absolute(0);
    }
    for reason in AUTH_REJECT_REASONS {
        metrics::counter!(AUTH_REJECTIONS, "reason" => reason.as_str()).absolute(0);
    }
    for endpoint in 0..factomd_endpoints {
        metrics::counter!(FACTOMD_REQUESTS, "endpoint" => endpoint.to_string()).absolute(0);
        metrics::counter!(FACTOMD_FAILURES, "endpoint" => endpoint.to_string()).absolute(0);
    }
    for name in [
        VERIFICATION_BACKLOG,
        SESSIONS,
        MINERS_FOLDED,
        FLEET_HASH_RATE,
        FLEET_ESTIMATED_HASH_RATE,
        FACTOMD_UP,
        NATS_CONNECTED,
        JETSTREAM_UP,
        WINNERS_OURS,
    ] {
        metrics::gauge!(name).set(0.0);
    }
}

/// `1.0` or `0.0`.
pub fn flag(on: bool) -> f64 {
    if on { 1.0 } else { 0.0 }
}

/// The per-miner families in the Prometheus text format, from the folded samples. A family
/// with no series is left out (Prometheus has nothing to say about it).
pub fn render_miners(folded: &Folded) -> String {
    type Value = fn(&crate::fold::MinerSample) -> String;
    let families: [(&str, &str, &str, Value); 6] = [
        (
            MINER_HASH_RATE,
            "gauge",
            "Hash rate the miner reports",
            |m| float(m.hash_rate),
        ),
        (
            MINER_ESTIMATED_HASH_RATE,
            "gauge",
            "Hash rate the coordinator estimates from the miner's shares in the current job",
            |m| float(m.estimated_hash_rate),
        ),
        (
            MINER_SHARES_ACCEPTED,
            "counter",
            "The miner's shares verified and kept",
            |m| m.shares_accepted.to_string(),
        ),
        (
            MINER_SHARES_REJECTED,
            "counter",
            "The miner's shares refused",
            |m| m.shares_rejected.to_string(),
        ),
        (
            MINER_BEST_DIFFICULTY,
            "gauge",
            "Best difficulty the miner found for the current job",
            |m| float(m.best_difficulty as f64),
        ),
        (
            MINER_LAST_SEEN,
            "gauge",
            "Unix time the coordinator last heard from the miner",
            |m| float(m.last_seen_ms as f64 / 1000.0),
        ),
    ];
    let mut out = String::new();
    if folded.series.is_empty() {
        return out;
    }
    for (name, kind, help, value) in families {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for m in &folded.series {
            let miner = label_value(&m.miner);
            out.push_str(&format!("{name}{{miner=\"{miner}\"}} {}\n", value(m)));
        }
        out.push('\n');
    }
    out
}

/// A float as Prometheus writes it.
fn float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{v}")
    }
}

/// A label value escaped for the text format: backslash, double quote and newline.
pub fn label_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::{Fold, MinerSample};

    #[test]
    fn every_auth_reason_is_listed() {
        assert!(AUTH_REJECT_REASONS.iter().all(|&r| listed(r)));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn per_miner_families_have_one_series_per_label() {
        let miners: Vec<_> = (0..5)
            .map(|i| MinerSample {
                miner: format!("m{i}"),
                shares_accepted: i,
                ..MinerSample::default()
            })
            .collect();
        let text = render_miners(&Fold::new(2).apply(&miners));
        let series = text
            .lines()
            .filter(|l| l.starts_with(MINER_SHARES_ACCEPTED))
            .count();
        assert_eq!(series, 3);
        assert!(text.contains(&format!("{MINER_SHARES_ACCEPTED}{{miner=\"other\"}} 3")));
        assert_eq!(render_miners(&Folded::default()), "");
    }
}
