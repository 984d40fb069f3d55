//! `pegnet-miner`: the network miner (`run`) and its operator tools (`lxr`, `bench`).

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use lxrhash::terminal::{self as table, TableOptions};
use pegnet_miner::{Flags, Sources};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Parser)]
#[command(
    name = "pegnet-miner",
    version,
    about = "PegNet network miner and LXRHash tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Mine: connect to the coordinator over NATS, hash its jobs, send the best shares.
    ///
    /// Settings come from built-in defaults, then --config FILE (TOML, a [Miner] table with
    /// PegNet's key names, see miner.example.toml), then PEGNET_MINER_<KEY> environment
    /// variables (e.g. PEGNET_MINER_COORDINATORSECRET, PEGNET_MINER_NUMBEROFMINERS), then
    /// these flags. Log level: RUST_LOG (default info).
    Run(Box<RunArgs>),
    /// LXRHash tools: hash bytes, compute a difficulty, build or check the table.
    Lxr {
        #[command(subcommand)]
        command: LxrCommand,
    },
    /// Measure, per table size: table load (or generation) time, the memory-parallelism
    /// ceiling, scalar and batch hash rates per thread and lane count, and share
    /// verifications per second. The last line is a `key=value` summary of the largest size.
    Bench {
        /// Table sizes to measure (repeatable).
        #[arg(long = "bits", default_values_t = [20, 30])]
        bits: Vec<u32>,
        /// Table cache directory [default: ~/.lxrhash of the current user].
        #[arg(long, env = "PEGNET_LXR_DIR")]
        table_dir: Option<PathBuf>,
        /// Generate every table afresh (about 10 minutes at 30 bits) instead of loading the cache.
        #[arg(long)]
        generate: bool,
        /// Measurement window per figure, in seconds.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Map the cache file shared (one copy per host, small pages) instead of a private
        /// huge-page copy.
        #[arg(long)]
        shared: bool,
    },
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// TOML configuration file with a [Miner] table.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    flags: Flags,
}

#[derive(Debug, clap::Args)]
struct TableArgs {
    /// Table size in bits (8..=30). PegNet uses 30; anything else is for tests only.
    #[arg(long, default_value_t = lxrhash::PRODUCTION_BITS, env = "PEGNET_LXR_BITS")]
    bits: u32,
    /// Table cache directory [default: ~/.lxrhash of the current user].
    #[arg(long, env = "PEGNET_LXR_DIR")]
    table_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum LxrCommand {
    /// Print the LXRHash of HEX, as 64 hex characters.
    Hash {
        #[command(flatten)]
        table: TableArgs,
        /// The input bytes in hex (may be empty: "").
        hex: String,
    },
    /// Print the difficulty of NONCE for OPRHASH, as 16 hex characters (big-endian u64).
    Difficulty {
        #[command(flatten)]
        table: TableArgs,
        /// The 32-byte OPR hash (SHA-256 of the OPR content) in hex.
        opr_hash: String,
        /// The nonce in hex.
        nonce: String,
    },
    /// Load or generate the table and print its SHA-256.
    Table {
        #[command(flatten)]
        table: TableArgs,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => mine(args.config, args.flags),
        Command::Lxr { command } => lxr(command),
        Command::Bench {
            bits,
            table_dir,
            generate,
            seconds,
            shared,
        } => bench(&bits, table_dir, generate, seconds, shared),
    }
}

fn mine(file: Option<PathBuf>, flags: Flags) -> anyhow::Result<()> {
    let config = pegnet_miner::load(&Sources {
        file,
        env: std::env::vars().collect(),
        flags,
    })?;
    pegnet_process::init_logging(config.log_json);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let result = runtime.block_on(async {
        let shutdown = CancellationToken::new();
        pegnet_process::cancel_on_signal(shutdown.clone());
        pegnet_miner::run(config, shutdown).await
    });
    // A table still being generated at shutdown is abandoned, not awaited.
    runtime.shutdown_background();
    Ok(result?)
}

fn lxr(command: LxrCommand) -> anyhow::Result<()> {
    match command {
        LxrCommand::Hash {
            table: t,
            hex: input,
        } => {
            let input = hex::decode(input.trim()).context("HEX is not valid hex")?;
            let table = table::load(&options(t))?;
            println!("{}", hex::encode(table.hash(&input)));
        }
        LxrCommand::Difficulty {
            table: t,
            opr_hash,
            nonce,
        } => {
            let opr_hash: [u8; 32] = match hex::decode(opr_hash.trim())
                .context("OPRHASH is not valid hex")?
                .try_into()
            {
                Ok(h) => h,
                Err(v) => bail!(
                    "OPRHASH must be 32 bytes (64 hex characters), got {} bytes",
                    v.len()
                ),
            };
            let nonce = hex::decode(nonce.trim()).context("NONCE is not valid hex")?;
            let table = table::load(&options(t))?;
            println!("{:016x}", table.difficulty(&opr_hash, &nonce));
        }
        LxrCommand::Table { table: t } => {
            let table = table::load(&options(t))?;
            println!(
                "{}",
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(table.as_bytes()))
            );
        }
    }
    Ok(())
}

fn bench(
    sizes: &[u32],
    table_dir: Option<PathBuf>,
    generate: bool,
    seconds: f64,
    shared: bool,
) -> anyhow::Result<()> {
    use pegnet_miner::bench::{self as b, LOADS_PER_HASH};
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0) {
        bail!("--seconds must be between 0 and 3600, got {seconds}");
    }
    let window = std::time::Duration::from_secs_f64(seconds);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("machine cores={cores} cpu={:?}", cpu_model());
    let mut summary = Vec::new();
    for &bits in sizes {
        let start = std::time::Instant::now();
        let placement = if shared {
            lxrhash::Placement::Shared
        } else {
            lxrhash::Placement::Private
        };
        let table = if generate {
            lxrhash::Table::generate(bits, &mut |_| {})?
        } else {
            let dir = match &table_dir {
                Some(d) => d.clone(),
                None => lxrhash::default_dir()?,
            };
            lxrhash::load_placed(&dir, bits, placement, &mut |_| {})?.table
        };
        let table_s = start.elapsed().as_secs_f64();
        let what = if generate { "generate" } else { "load" };
        let huge = table.huge_page_bytes().unwrap_or(0) >> 20;
        println!(
            "bits={bits} table_{what}_s={table_s:.3} placement={placement:?} huge_pages_mib={huge}"
        );
        // The floor is the best of every probe shape, so no hash rate is measured against
        // a probe weaker than the hash itself.
        let mut floor = f64::MAX;
        for (probe, prefetch) in [("load", false), ("prefetch", true)] {
            for chains in [1, 4, 8, 16, 32, 48, 64, 96, 128] {
                let ns = b::probe_ns_per_load(&table, chains, prefetch, window / 2);
                floor = floor.min(ns);
                println!("bits={bits} probe={probe} chains={chains} ns_per_load={ns:.2}");
            }
        }
        let ceiling = 1e9 / (LOADS_PER_HASH as f64 * floor);
        println!(
            "bits={bits} loads_per_hash={LOADS_PER_HASH} floor_ns={floor:.2} ceiling_hs={ceiling:.0}"
        );
        let pct = |hs: f64| 100.0 * hs / ceiling;
        let scalar = b::scalar_hash_rate(&table, window);
        println!(
            "bits={bits} scalar_hs_1t={scalar:.0} of_ceiling={:.1}%",
            pct(scalar)
        );
        for (lanes, hs) in [
            (16, b::batch_hash_rate::<16>(&table, 1, window)),
            (32, b::batch_hash_rate::<32>(&table, 1, window)),
            (48, b::batch_hash_rate::<48>(&table, 1, window)),
            (64, b::batch_hash_rate::<64>(&table, 1, window)),
            (96, b::batch_hash_rate::<96>(&table, 1, window)),
            (128, b::batch_hash_rate::<128>(&table, 1, window)),
        ] {
            println!(
                "bits={bits} lanes={lanes} batch_hs_1t={hs:.0} of_ceiling={:.1}%",
                pct(hs)
            );
        }
        let batch1 = b::batch_hash_rate::<{ lxrhash::LANES }>(&table, 1, window);
        let batch2 = b::batch_hash_rate::<{ lxrhash::LANES }>(&table, 2, window);
        let verify = b::verify_rate(&table, window);
        println!(
            "bits={bits} lanes={} batch_hs_1t={batch1:.0} of_ceiling={:.1}% batch_hs_2t={batch2:.0} per_thread_of_ceiling={:.1}% speedup_vs_scalar={:.1}x two_thread_scaling={:.2}x",
            lxrhash::LANES,
            pct(batch1),
            pct(batch2 / 2.0),
            batch1 / scalar,
            batch2 / batch1
        );
        println!("bits={bits} verify_per_s={verify:.0}");
        summary.push((bits, format!(
            "bits={bits} table_{what}_s={table_s:.3} huge_pages_mib={huge} ceiling_hs={ceiling:.0} scalar_hs_1t={scalar:.0} batch_hs_1t={batch1:.0} batch_hs_2t={batch2:.0} verify_per_s={verify:.0} lanes={}",
            lxrhash::LANES
        )));
    }
    // One size's figures, so a script reading `key=value` never sees a key twice: the
    // largest table measured (30 bits is the one that counts).
    if let Some((_, line)) = summary.iter().max_by_key(|(bits, _)| *bits) {
        println!("summary {line}");
    }
    Ok(())
}

/// The CPU model line, for telling benchmark figures from different machines apart.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn options(t: TableArgs) -> TableOptions {
    TableOptions {
        bits: t.bits,
        dir: t.table_dir,
    }
}
