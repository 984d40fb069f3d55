//! `pegnet-coordinator`: the network-mining coordinator and its operator tools.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use lxrhash::terminal::{self, TableOptions};
use pegnet_common::factom::Entry;
use pegnet_common::hash::sha256;
use pegnet_common::opr::{Network, OprContent, Verify, grade};
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
    /// Decode a marshalled Factom entry (hex) and, if it is an OPR, its fields.
    DecodeEntry {
        /// The marshalled entry in hex, or `-` to read it from standard input.
        entry: String,
        /// Decode the content as this OPR version instead of the one in ExtID 2.
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
        Command::DecodeEntry { entry, opr_version } => decode_entry(&entry, opr_version),
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
