//! `pegnet-devnet`: a local Factom network (factomd's v2 API) and price feed.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use pegnet_devnet::config::{ClockMode, DEV_EC_ADDRESS, DEV_EC_SECRET, DevnetConfig};

/// A local Factom network that speaks factomd's v2 JSON-RPC API, and a price feed in the
/// formats of real price APIs, for running and testing PegNet mining without the internet.
///
/// Settings come from built-in defaults, then `--config FILE` (TOML, same key names with
/// underscores), then environment variables `PEGNET_DEVNET_<KEY>`, then these flags.
#[derive(Debug, Parser, Serialize)]
#[command(name = "pegnet-devnet", version, after_help = after_help())]
struct Cli {
    /// TOML configuration file.
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    config: Option<PathBuf>,

    /// Address of the factomd API (POST /v2) and the /devnet control endpoints [default: 127.0.0.1:8088].
    #[arg(long, value_name = "HOST:PORT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    factomd_addr: Option<SocketAddr>,

    /// Address of the price feed [default: 127.0.0.1:8077].
    #[arg(long, value_name = "HOST:PORT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    feed_addr: Option<SocketAddr>,

    /// Seconds per block, ten minutes of a tenth each (the real network: 600) [default: 60].
    #[arg(long, value_name = "SECONDS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    block_seconds: Option<u64>,

    /// Clock: `timed` (minutes pass in real time) or `stepped` (only POST /devnet/step moves it) [default: timed].
    #[arg(long, value_name = "MODE", value_parser = parse_clock)]
    #[serde(skip_serializing_if = "Option::is_none")]
    clock: Option<ClockMode>,

    /// PegNet network whose chains exist from genesis: MainNet or TestNet [default: MainNet].
    #[arg(long, value_name = "NAME")]
    #[serde(skip_serializing_if = "Option::is_none")]
    network: Option<String>,

    /// First height at which OPRs are written; genesis is the block before [default: start of --opr-version, else of version 5].
    #[arg(long, value_name = "HEIGHT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    activation_height: Option<u32>,

    /// OPR version to run (MainNet 1..=5, TestNet 5); picks the activation height if not given.
    #[arg(long, value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    opr_version: Option<u8>,

    /// EC balance of the development key (0 = unfunded) [default: 1000000].
    #[arg(long, value_name = "EC")]
    #[serde(skip_serializing_if = "Option::is_none")]
    dev_key_balance: Option<i64>,

    /// Fund an EC address at start: EC_ADDRESS=AMOUNT (repeatable; adds to the config's list).
    #[arg(long, value_name = "EC_ADDRESS=AMOUNT")]
    #[serde(skip)]
    fund: Vec<String>,

    /// Factoshis per EC reported by entry-credit-rate [default: 1000].
    #[arg(long, value_name = "FACTOSHIS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    ec_rate: Option<i64>,

    /// Seed of the price walk and the simulated miners [default: 1].
    #[arg(long, value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,

    /// Simulated competing miners writing OPRs each block [default: 0].
    #[arg(long, value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    simulated_miners: Option<u32>,

    /// Records each simulated miner writes per block [default: 3].
    #[arg(long, value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    simulated_records: Option<u32>,

    /// Nonces each simulated miner tries per block [default: 2000].
    #[arg(long, value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    simulated_hashes: Option<u64>,

    /// LXR table size for the simulated miners; below 30 is NOT valid on a real network [default: 20].
    #[arg(long, value_name = "BITS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    lxr_bits: Option<u32>,

    /// LXR table cache directory [default: ~/.lxrhash].
    #[arg(long, value_name = "DIR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    lxr_dir: Option<PathBuf>,

    /// Keep the chain in DIR across restarts [default: in memory].
    #[arg(long, value_name = "DIR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    state_dir: Option<PathBuf>,

    /// Log JSON lines (for containers) instead of text.
    #[arg(long)]
    #[serde(skip)]
    log_json: bool,
}

fn after_help() -> String {
    format!(
        "Development EC key, funded by default (its secret is public: never use it on a real network):\n  secret  {DEV_EC_SECRET}\n  public  {DEV_EC_ADDRESS}\n\nControl endpoints on --factomd-addr: GET /devnet/status, POST /devnet/step {{\"minutes\":N}} | {{\"blocks\":N}},\nPOST /devnet/fund {{\"address\":\"EC..\",\"amount\":N}}, POST /devnet/balance {{\"address\":\"EC..\",\"balance\":N}}.\nPrice feed on --feed-addr: CoinGecko /api/v3/simple/price, OpenExchangeRates /api/latest.json,\nExchangeRate-API /v6/latest/USD; GET /devnet/feed, POST /devnet/feed/{{source}} {{\"mode\":\"slow\",\"delay_ms\":N}}.\nLog level: RUST_LOG (default info)."
    )
}

fn parse_clock(s: &str) -> Result<ClockMode, String> {
    match s {
        "timed" => Ok(ClockMode::Timed),
        "stepped" => Ok(ClockMode::Stepped),
        _ => Err(format!("expected `timed` or `stepped`, got {s:?}")),
    }
}

fn load_config(cli: &Cli) -> Result<DevnetConfig, String> {
    let mut figment = Figment::from(Serialized::defaults(DevnetConfig::default()));
    if let Some(path) = &cli.config {
        if !path.is_file() {
            return Err(format!("config file {} does not exist", path.display()));
        }
        figment = figment.merge(Toml::file_exact(path));
    }
    let mut config: DevnetConfig = figment
        .merge(Env::prefixed("PEGNET_DEVNET_"))
        .merge(Serialized::defaults(cli))
        .extract()
        .map_err(|e| format!("configuration: {e}"))?;
    config.fund.extend(cli.fund.iter().cloned());
    Ok(config)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    pegnet_process::init_logging(cli.log_json);
    let config = match load_config(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        pegnet_process::cancel_on_signal(shutdown.clone());
        match pegnet_devnet::run(&config, shutdown).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
