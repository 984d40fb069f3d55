//! `pegnet-miner`: the network miner and its operator tools.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use lxrhash::terminal::{self as table, TableOptions};

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
    /// LXRHash tools: hash bytes, compute a difficulty, build or check the table.
    Lxr {
        #[command(subcommand)]
        command: LxrCommand,
    },
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
        Command::Lxr { command } => lxr(command),
    }
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

fn options(t: TableArgs) -> TableOptions {
    TableOptions {
        bits: t.bits,
        dir: t.table_dir,
    }
}
