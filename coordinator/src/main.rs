//! `pegnet-coordinator`: the network-mining coordinator and its operator tools.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use lxrhash::terminal::{self, TableOptions};
use pegnet_common::factom::Entry;
use pegnet_common::hash::sha256;
use pegnet_common::opr::{Network, OprContent, Verify, grade};
use pegnet_coordinator::config::Config;
use pegnet_coordinator::price::plan::Plan;
use pegnet_coordinator::{block_file::BlockFile, describe};

#[derive(Debug, Parser)]
#[command(
    name = "pegnet-coordinator",
    version,
    about = "PegNet network-mining coordinator and tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the coordinator: follow factomd, publish jobs over NATS, verify shares, write
    /// the chosen entries. Settings: built-in defaults < --config FILE < PEGNET_<SECTION>_<KEY>
    /// environment variables (e.g. PEGNET_MINER_ECADDRESS) < these flags.
    Run(Box<RunArgs>),
    /// Write a fresh CoordinatorSecret and NATS passwords for the coordinator, the miners and
    /// nats-server (DIR/coordinator/, DIR/miner/, DIR/nats/users.conf; mode 0600). Prints
    /// `wrote PATH` or `kept PATH` per file.
    Init(InitArgs),
    /// Decode a marshalled Factom entry (hex) and, if it is an OPR, its fields.
    DecodeEntry {
        /// The marshalled entry in hex, or `-` to read it from standard input.
        entry: String,
        /// Decode the content as this OPR version instead of the one in ExtID 2.
        #[arg(long)]
        opr_version: Option<u8>,
    },
    /// Print the price sources of each asset of the current OPR version, in the order they
    /// are asked: `ASSET source1,source2,...`, one line per asset in consensus order. An
    /// asset that no enabled source quotes is printed alone, with a warning on stderr; the
    /// assets that have a single source are named on stderr too.
    Datasources {
        /// TOML config file; its [OracleDataSources] and [OracleAssetDataSourcesPriority]
        /// (and the PEGNET_ environment) are read, nothing else is checked.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// List this OPR version's assets instead of the newest version's.
        #[arg(long)]
        opr_version: Option<u8>,
    },
    /// Grade an OPR entry block file and print the winners' short hashes, one per line.
    Grade {
        /// A block in the JSON form of PegNet's grader test data.
        file: PathBuf,
        /// The network whose OPR chain and version rules apply.
        #[arg(long, default_value = "MainNet")]
        network: Network,
        /// LXR table size; 30 is the only size valid on a real network.
        #[arg(long, default_value_t = lxrhash::PRODUCTION_BITS)]
        bits: u32,
        /// LXR table cache directory [default: ~/.lxrhash].
        #[arg(long)]
        table_dir: Option<PathBuf>,
        /// Trust the self-reported difficulties instead of recomputing them with LXRHash.
        #[arg(long)]
        self_reported: bool,
    },
}

/// Flags of `init`.
#[derive(Debug, clap::Args)]
struct InitArgs {
    /// The directory to write under (created 0700 if missing).
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// The NATS server as the coordinator and miners reach it, without credentials.
    #[arg(long, value_name = "URL", default_value = pegnet_coordinator::init::DEFAULT_NATS_URL)]
    nats_url: String,
    /// Keep the files when they all exist already (for a one-shot service run at every start).
    #[arg(long, conflicts_with = "force")]
    if_missing: bool,
    /// Replace existing files with new values (every miner then needs the new miner.env).
    #[arg(long)]
    force: bool,
}

/// Flags of `run`; each names the config key it overrides.
#[derive(Debug, clap::Args)]
struct RunArgs {
    /// TOML config file (see coordinator/coordinator.example.toml).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Miner.Network: MainNet or TestNet.
    #[arg(long)]
    network: Option<String>,
    /// Miner.FactomdLocation: factomd endpoints, most preferred first, comma-separated.
    #[arg(long, value_name = "URLS")]
    factomd: Option<String>,
    /// Miner.ECAddress: the Es… key that pays (or an EC… address held by factom-walletd).
    #[arg(long, value_name = "KEY")]
    ec_address: Option<String>,
    /// Miner.CoordinatorSecret: the secret miners prove they hold.
    #[arg(long)]
    secret: Option<String>,
    /// Miner.UseCoordinatorAuthentication=false: accept miners without the handshake.
    #[arg(long)]
    no_auth: bool,
    /// Miner.RecordsPerBlock: entries per block (top) or per payout address (per-payout).
    #[arg(long, value_name = "N")]
    top: Option<usize>,
    /// Coordinator.NatsUrl: the NATS server.
    #[arg(long, value_name = "URL")]
    nats: Option<String>,
    /// Coordinator.NatsCaFile: the CA (PEM) that signed the NATS server's TLS certificate.
    #[arg(long, value_name = "FILE")]
    nats_ca: Option<PathBuf>,
    /// Coordinator.EntryPolicy: all, top or per-payout.
    #[arg(long)]
    policy: Option<String>,
    /// Coordinator.LxrBits: LXR table size (30 on a real network).
    #[arg(long)]
    lxr_bits: Option<u32>,
    /// Coordinator.LxrDir: table cache directory.
    #[arg(long, value_name = "DIR")]
    lxr_dir: Option<PathBuf>,
    /// Coordinator.StateDir: keep the graded-chain cache here.
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Coordinator.HttpAddr: serve /status and /metrics here ("" turns it off).
    #[arg(long, value_name = "ADDR")]
    http_addr: Option<String>,
    /// Coordinator.PollIntervalMs: how often factomd's minute is read.
    #[arg(long, value_name = "MS")]
    poll_interval_ms: Option<u64>,
    /// Coordinator.LogJson: log JSON lines (for containers).
    #[arg(long)]
    log_json: bool,
}

impl RunArgs {
    /// The flags given, as `{Section: {Key: value}}` for the config's top layer.
    fn overrides(&self) -> serde_json::Value {
        let mut miner = serde_json::Map::new();
        let mut coord = serde_json::Map::new();
        let put =
            |m: &mut serde_json::Map<String, serde_json::Value>, k: &str, v: serde_json::Value| {
                m.insert(k.to_owned(), v);
            };
        let path = |p: &PathBuf| serde_json::Value::from(p.display().to_string());
        if let Some(v) = &self.network {
            put(&mut miner, "Network", v.clone().into());
        }
        if let Some(v) = &self.factomd {
            put(&mut miner, "FactomdLocation", v.clone().into());
        }
        if let Some(v) = &self.ec_address {
            put(&mut miner, "ECAddress", v.clone().into());
        }
        if let Some(v) = &self.secret {
            put(&mut miner, "CoordinatorSecret", v.clone().into());
        }
        if self.no_auth {
            put(&mut miner, "UseCoordinatorAuthentication", false.into());
        }
        if let Some(v) = self.top {
            put(&mut miner, "RecordsPerBlock", v.into());
        }
        if let Some(v) = &self.nats {
            put(&mut coord, "NatsUrl", v.clone().into());
        }
        if let Some(v) = &self.nats_ca {
            put(&mut coord, "NatsCaFile", path(v));
        }
        if let Some(v) = &self.policy {
            put(&mut coord, "EntryPolicy", v.clone().into());
        }
        if let Some(v) = self.lxr_bits {
            put(&mut coord, "LxrBits", v.into());
        }
        if let Some(v) = &self.lxr_dir {
            put(&mut coord, "LxrDir", path(v));
        }
        if let Some(v) = &self.state_dir {
            put(&mut coord, "StateDir", path(v));
        }
        if let Some(v) = &self.http_addr {
            put(&mut coord, "HttpAddr", v.clone().into());
        }
        if let Some(v) = self.poll_interval_ms {
            put(&mut coord, "PollIntervalMs", v.into());
        }
        if self.log_json {
            put(&mut coord, "LogJson", true.into());
        }
        serde_json::json!({ "Miner": miner, "Coordinator": coord })
    }
}

fn serve(args: &RunArgs) -> anyhow::Result<()> {
    let config = Config::load(args.config.as_deref(), &args.overrides())?;
    pegnet_process::init_logging(config.coordinator.log_json);
    let settings = config.validate()?;
    if settings.lxr_bits < lxrhash::PRODUCTION_BITS {
        tracing::warn!(
            bits = settings.lxr_bits,
            "LXR table below 30 bits: records are NOT valid on a real network (devnet and tests only)"
        );
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let shutdown = tokio_util::sync::CancellationToken::new();
        pegnet_process::cancel_on_signal(shutdown.clone());
        pegnet_coordinator::service::run(settings, shutdown).await?;
        Ok(())
    })
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => serve(&args),
        Command::Init(args) => init(&args),
        Command::DecodeEntry { entry, opr_version } => decode_entry(&entry, opr_version),
        Command::Datasources {
            config,
            opr_version,
        } => datasources(config.as_deref(), opr_version),
        Command::Grade {
            file,
            network,
            bits,
            table_dir,
            self_reported,
        } => grade_file(
            &file,
            network,
            &TableOptions {
                bits,
                dir: table_dir,
            },
            self_reported,
        ),
    }
}

fn init(args: &InitArgs) -> anyhow::Result<()> {
    use pegnet_coordinator::init::{Existing, InitOptions, Outcome};
    let existing = match (args.if_missing, args.force) {
        (true, _) => Existing::Keep,
        (_, true) => Existing::Replace,
        _ => Existing::Refuse,
    };
    let done = pegnet_coordinator::init::init(&InitOptions {
        dir: args.dir.clone(),
        nats_url: args.nats_url.clone(),
        existing,
    })?;
    for (path, outcome) in done {
        let verb = match outcome {
            Outcome::Written => "wrote",
            Outcome::Kept => "kept",
        };
        println!("{verb} {}", path.display());
    }
    Ok(())
}

fn decode_entry(arg: &str, opr_version: Option<u8>) -> anyhow::Result<()> {
    let text = if arg == "-" {
        let mut s = String::new();
        std::io::stdin()
            .take(1 << 20)
            .read_to_string(&mut s)
            .context("reading the entry from standard input")?;
        s
    } else {
        arg.to_owned()
    };
    let bytes = hex::decode(text.trim()).context("the entry is not valid hex")?;
    let entry = Entry::unmarshal(&bytes).context("not a Factom entry")?;
    print!("{}", describe::entry(&entry));
    let version = match (opr_version, entry.ext_ids().get(2).map(Vec::as_slice)) {
        (Some(v), _) => v,
        (None, Some([v])) => *v,
        _ => bail!(
            "not an OPR entry: ExtID 2 is not a one-byte OPR version (use --opr-version to force one)"
        ),
    };
    let content = OprContent::decode(version, entry.content()).context("not OPR content")?;
    if let Some(nonce) = entry.ext_ids().first() {
        println!("nonce {}", hex::encode(nonce));
    }
    if let Some(d) = entry.ext_ids().get(1) {
        println!("self_reported_difficulty {}", hex::encode(d));
    }
    println!("opr_hash {}", hex::encode(sha256(entry.content())));
    print!("{}", describe::opr(version, &content));
    Ok(())
}

fn datasources(config: Option<&Path>, opr_version: Option<u8>) -> anyhow::Result<()> {
    let config = Config::load(config, &serde_json::json!({}))?;
    let plan = Plan::resolve(&config.data_sources, &config.asset_priority)?;
    let version = match opr_version {
        Some(v) => v,
        // The version in force at the chain's tip: the newest the network has.
        None => Network::MainNet.opr_version(u32::MAX).unwrap_or(5),
    };
    let Some(assets) = pegnet_common::opr::assets_for(version) else {
        bail!("OPR version {version} does not exist (versions are 1 to 5)");
    };
    let mut single = Vec::new();
    for &asset in assets {
        let sources: Vec<&str> = plan.sources_for(asset).iter().map(|s| s.name()).collect();
        match sources.len() {
            0 => {
                println!("{asset}");
                eprintln!(
                    "warning: {asset} has no enabled source; the coordinator refuses this configuration"
                );
            }
            n => {
                println!("{asset} {}", sources.join(","));
                if n == 1 {
                    single.push(asset);
                }
            }
        }
    }
    if !single.is_empty() {
        eprintln!(
            "note: one source only for {} (enable another source that quotes them for a fallback)",
            single.join(", ")
        );
    }
    Ok(())
}

fn grade_file(
    file: &PathBuf,
    network: Network,
    table: &TableOptions,
    self_reported: bool,
) -> anyhow::Result<()> {
    let json =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let block = BlockFile::parse(&json, network.opr_chain_id())
        .with_context(|| format!("in {}", file.display()))?;
    let Some(version) = network.opr_version(block.height) else {
        bail!(
            "height {} is before PegNet's activation on {network}",
            block.height
        );
    };
    let loaded;
    let verify = if self_reported {
        Verify::SelfReported
    } else {
        loaded = terminal::load(table)?;
        Verify::Lxr(&loaded)
    };
    let graded = grade(
        version,
        block.height,
        &block.entries,
        &block.previous_winners,
        verify,
    )?;
    if !graded.has_winners {
        eprintln!(
            "block {} has {} graded records, fewer than needed: previous winners carry forward",
            block.height,
            graded.graded.len()
        );
    }
    for w in &graded.winners {
        println!("{}", w.map(hex::encode).unwrap_or_default());
    }
    Ok(())
}
