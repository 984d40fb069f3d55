//! The devnet: a local Factom network and price feed that real clients cannot tell from the
//! real thing, so the coordinator is developed, tested and demonstrated without the internet.
//!
//! - [`ledger`]: factomd's rules as a pure state machine (commits, reveals, holding, EC,
//!   blocks and their hashes).
//! - [`rpc`]: factomd's v2 JSON-RPC API over the ledger (`POST /v2`).
//! - [`feed`]: price APIs' response formats over a seeded random walk, with failure switches.
//! - [`sim`]: simulated competing miners.
//! - [`control`]: the devnet's own HTTP endpoints (`/devnet/...`): step the clock, fund EC
//!   addresses, status.
//! - [`Devnet`] ties them together: [`Devnet::start`] binds and spawns, tests step it.

pub mod config;
pub mod control;
pub mod feed;
pub mod ledger;
pub mod node;
pub mod rpc;
pub mod sim;
pub mod store;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use pegnet_common::factom::{ChainId, Entry, EntryCommit, chain_id};
use pegnet_common::opr::Network;

pub use config::{ClockMode, DevnetConfig, Settings};
use feed::Feed;
use ledger::{Ledger, LedgerConfig, Position, Step};
use node::{Node, NodeInfo, now_ms};
use sim::Simulator;
use store::Store;

/// Why the devnet could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("cannot listen on {addr} ({key}): {error}")]
    Bind {
        key: &'static str,
        addr: SocketAddr,
        error: std::io::Error,
    },
    #[error("state: {0}")]
    Store(#[from] store::StoreError),
    #[error("LXR table for the simulated miners: {0}")]
    Table(#[from] lxrhash::CacheError),
    #[error("loading the LXR table failed: {0}")]
    TableTask(String),
}

/// The first entries of the PegNet chains that exist from genesis: the OPR chain, and the
/// other chains a PegNet coordinator or pegnetd reads (staking, transactions).
pub fn pegnet_chains(network: Network) -> Vec<Entry> {
    ["OraclePriceRecords", "StakingPriceRecords", "Transactions"]
        .iter()
        .filter_map(|name| {
            let ext_ids = vec![
                b"PegNet".to_vec(),
                network.chain_name().as_bytes().to_vec(),
                name.as_bytes().to_vec(),
            ];
            let chain = chain_id(&ext_ids);
            Entry::new(chain, ext_ids, Vec::new()).ok()
        })
        .collect()
}

/// A request to move the stepped clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepRequest {
    /// End `n` minutes. Ending minute 9 seals the block and saves it (minute 10 is passed
    /// through) unless `pause_at_ten`, which stops at minute 10.
    Minutes { n: u32, pause_at_ten: bool },
    /// Step until `n` blocks have been saved (the clock ends at minute 0).
    Blocks { n: u32 },
}

/// The shared heart of a running devnet.
#[derive(Debug)]
struct Chain {
    node: Arc<Node>,
    feed: Arc<Feed>,
    settings: Settings,
    store: Option<Store>,
    simulator: Option<Arc<Mutex<Simulator>>>,
    /// One clock step at a time, whoever asks.
    stepping: tokio::sync::Mutex<()>,
}

/// A running devnet.
#[derive(Debug)]
pub struct Devnet {
    chain: Arc<Chain>,
    factomd_addr: SocketAddr,
    feed_addr: SocketAddr,
    tasks: TaskTracker,
    shutdown: CancellationToken,
}

impl Devnet {
    /// Validates `config`, builds or restores the chain, binds both servers and starts the
    /// clock (timed mode). Everything stops when `shutdown` is cancelled.
    pub async fn start(
        config: &DevnetConfig,
        shutdown: CancellationToken,
    ) -> Result<Devnet, StartError> {
        let settings = config.validate()?;
        let (ledger, store) = open_ledger(&settings)?;
        let simulator = start_simulator(&settings).await?;
        let chain = Arc::new(Chain::new(settings, ledger, store, simulator));

        let factomd = bind("factomd_addr", chain.settings.factomd_addr).await?;
        let feed = bind("feed_addr", chain.settings.feed_addr).await?;
        let factomd_addr = local_addr("factomd_addr", &factomd)?;
        let feed_addr = local_addr("feed_addr", &feed)?;

        let tasks = TaskTracker::new();
        let api = rpc::router(chain.node.clone()).merge(control::router(chain.clone()));
        tasks.spawn(serve(factomd, api, shutdown.clone()));
        tasks.spawn(serve(
            feed,
            feed::router(chain.feed.clone()),
            shutdown.clone(),
        ));
        if chain.settings.clock == ClockMode::Timed {
            tasks.spawn(run_clock(chain.clone(), shutdown.clone()));
        }
        tasks.close();
        log_start(&chain.settings, factomd_addr, feed_addr);
        Ok(Devnet {
            chain,
            factomd_addr,
            feed_addr,
            tasks,
            shutdown,
        })
    }

    /// `http://ADDR/v2`, the URL factomd clients take.
    pub fn factomd_url(&self) -> String {
        format!("http://{}/v2", self.factomd_addr)
    }

    /// The address the factomd API (and the control endpoints) listen on.
    pub fn factomd_addr(&self) -> SocketAddr {
        self.factomd_addr
    }

    /// `http://ADDR`, the base URL of every simulated price API.
    pub fn feed_url(&self) -> String {
        format!("http://{}", self.feed_addr)
    }

    /// The simulated factomd node.
    pub fn node(&self) -> &Node {
        &self.chain.node
    }

    /// The price feed.
    pub fn feed(&self) -> &Feed {
        &self.chain.feed
    }

    /// The validated settings in force.
    pub fn settings(&self) -> &Settings {
        &self.chain.settings
    }

    /// Moves the clock (any mode; in timed mode it also keeps moving on its own).
    pub async fn step(&self, request: StepRequest) -> Position {
        self.chain.step_by(request).await
    }

    /// Adds `amount` EC to the balance of the EC public key `public_key`.
    pub fn fund(&self, public_key: [u8; 32], amount: i64) {
        self.chain.node.ledger().fund(public_key, amount, now_ms());
    }

    /// Sets the balance of `public_key`.
    pub fn set_balance(&self, public_key: [u8; 32], balance: i64) {
        self.chain
            .node
            .ledger()
            .set_balance(public_key, balance, now_ms());
    }

    /// Cancels the devnet and waits for its tasks to finish.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.tasks.wait().await;
    }

    /// Waits until `shutdown` is cancelled and every task has finished.
    pub async fn wait(self) {
        self.shutdown.cancelled().await;
        self.tasks.wait().await;
    }
}

/// Runs a devnet until `shutdown` is cancelled.
pub async fn run(config: &DevnetConfig, shutdown: CancellationToken) -> Result<(), StartError> {
    Devnet::start(config, shutdown).await?.wait().await;
    Ok(())
}

fn open_ledger(settings: &Settings) -> Result<(Ledger, Option<Store>), StartError> {
    let ledger_config = LedgerConfig {
        network_id: ledger::LOCAL_NETWORK_ID,
        genesis_height: settings.genesis_height,
        genesis_chains: pegnet_chains(settings.network),
    };
    let now = now_ms();
    let Some(dir) = &settings.state_dir else {
        let mut ledger = Ledger::new(&ledger_config, now);
        for (key, amount) in &settings.funding {
            ledger.fund(*key, *amount, now);
        }
        return Ok((ledger, None));
    };
    let header = store::Header {
        network: settings.network.to_string(),
        genesis_height: settings.genesis_height,
    };
    let (store, loaded) = Store::open(dir, &header)?;
    let mut ledger = if loaded.blocks.is_empty() {
        let ledger = Ledger::new(&ledger_config, now);
        if let Some(genesis) = ledger.block_record(settings.genesis_height) {
            store.append_block(&genesis)?;
        }
        ledger
    } else {
        tracing::info!(
            dir = %dir.display(),
            blocks = loaded.blocks.len(),
            "restored the devnet's chain from its state directory"
        );
        Ledger::restore(&ledger_config, &loaded.blocks, now)
    };
    if loaded.balances.is_empty() {
        for (key, amount) in &settings.funding {
            ledger.fund(*key, *amount, now);
        }
    } else {
        for (key, balance) in &loaded.balances {
            ledger.set_balance(*key, *balance, now);
        }
    }
    Ok((ledger, Some(store)))
}

async fn start_simulator(settings: &Settings) -> Result<Option<Simulator>, StartError> {
    if settings.simulated.count == 0 {
        return Ok(None);
    }
    let options = lxrhash::terminal::TableOptions {
        bits: settings.lxr_bits,
        dir: settings.lxr_dir.clone(),
    };
    let table = tokio::task::spawn_blocking(move || lxrhash::terminal::load(&options))
        .await
        .map_err(|e| StartError::TableTask(e.to_string()))??;
    Ok(Some(Simulator::new(
        Arc::new(table),
        settings.network,
        settings.simulated,
        settings.seed,
    )))
}

async fn bind(key: &'static str, addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|error| StartError::Bind { key, addr, error })
}

fn local_addr(key: &'static str, l: &TcpListener) -> Result<SocketAddr, StartError> {
    l.local_addr().map_err(|error| StartError::Bind {
        key,
        addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        error,
    })
}

async fn serve(listener: TcpListener, router: axum::Router, shutdown: CancellationToken) {
    let result = axum::serve(listener, router)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "HTTP server stopped");
    }
}

fn log_start(s: &Settings, factomd: SocketAddr, feed: SocketAddr) {
    tracing::info!(
        factomd = %format!("http://{factomd}/v2"),
        feed = %format!("http://{feed}"),
        network = %s.network,
        opr_version = s.opr_version,
        genesis_height = s.genesis_height,
        block_seconds = s.block_time.as_secs(),
        clock = ?s.clock,
        simulated_miners = s.simulated.count,
        "devnet started (development EC key {} is funded unless dev_key_balance = 0)",
        config::DEV_EC_ADDRESS
    );
}

impl Chain {
    fn new(
        settings: Settings,
        mut ledger: Ledger,
        store: Option<Store>,
        simulator: Option<Simulator>,
    ) -> Chain {
        if let Some(sim) = &simulator {
            // The simulated miners pay from their own key, funded without limit in practice.
            ledger.fund(sim.key().public_key(), 1_000_000_000, now_ms());
        }
        let feed = Arc::new(Feed::new(settings.seed));
        feed.set_step(u64::from(
            ledger.position().height - settings.genesis_height,
        ));
        let node = Arc::new(Node::new(
            ledger,
            NodeInfo {
                block_time: settings.block_time,
                ec_rate: settings.ec_rate,
                version: format!("pegnet-devnet {}", env!("CARGO_PKG_VERSION")),
            },
        ));
        let chain = Chain {
            node,
            feed,
            settings,
            store,
            simulator: simulator.map(|s| Arc::new(Mutex::new(s))),
            stepping: tokio::sync::Mutex::new(()),
        };
        chain.learn_saved_blocks();
        chain
    }

    /// Teaches the simulator the winners of the chain so far (after a restore).
    fn learn_saved_blocks(&self) {
        let Some(sim) = &self.simulator else {
            return;
        };
        let ledger = self.node.ledger();
        let opr_chain = self.settings.network.opr_chain_id();
        let mut sim = lock(sim);
        for height in self.settings.genesis_height + 1..=ledger.saved_height() {
            sim.learn(height, &ledger.chain_entries(&opr_chain, height));
        }
    }

    fn opr_chain(&self) -> ChainId {
        self.settings.network.opr_chain_id()
    }

    /// One clock step and what follows from it: a saved block is persisted, graded by the
    /// simulator and moves the price walk on; minute 1 sets the simulated miners to work.
    async fn step_once(&self) -> Step {
        let step = self.node.step();
        match step {
            Step::Saved { height } => self.after_save(height).await,
            Step::Minute(1) => self.simulate().await,
            Step::Minute(m) => tracing::debug!(minute = m, "minute"),
            Step::Sealed => tracing::debug!("block sealed (minute 10)"),
        }
        step
    }

    async fn step_by(&self, request: StepRequest) -> Position {
        let _one_at_a_time = self.stepping.lock().await;
        match request {
            StepRequest::Minutes { n, pause_at_ten } => {
                for _ in 0..n {
                    if self.step_once().await == Step::Sealed && !pause_at_ten {
                        self.step_once().await;
                    }
                }
            }
            StepRequest::Blocks { n } => {
                let mut saved = 0;
                while saved < n {
                    if matches!(self.step_once().await, Step::Saved { .. }) {
                        saved += 1;
                    }
                }
            }
        }
        self.node.ledger().position()
    }

    async fn after_save(&self, height: u32) {
        let (record, balances, opr_entries) = {
            let ledger = self.node.ledger();
            (
                ledger.block_record(height),
                ledger.balances(),
                ledger.chain_entries(&self.opr_chain(), height),
            )
        };
        self.feed
            .set_step(u64::from(height + 1 - self.settings.genesis_height));
        let entries = record.as_ref().map_or(0, |r| r.entries.len());
        tracing::info!(height, entries, oprs = opr_entries.len(), "block saved");
        if let (Some(store), Some(record)) = (&self.store, record)
            && let Err(e) = store
                .append_block(&record)
                .and_then(|()| store.save_balances(&balances))
        {
            tracing::error!(error = %e, height, "could not persist a saved block");
        }
        if let Some(sim) = &self.simulator {
            let sim = sim.clone();
            let graded = tokio::task::spawn_blocking(move || {
                lock(&sim).learn(height, &opr_entries);
            })
            .await;
            if let Err(e) = graded {
                tracing::error!(error = %e, height, "simulated miners failed to grade");
            }
        }
    }

    /// The simulated miners' records for the block being built, committed and revealed.
    async fn simulate(&self) {
        let Some(sim) = &self.simulator else {
            return;
        };
        let height = self.node.ledger().position().height;
        let sim = sim.clone();
        let feed = self.feed.clone();
        let mined = tokio::task::spawn_blocking(move || {
            let sim = lock(&sim);
            let work = sim.work(height, feed.walk(), feed.step())?;
            Some((sim.mine(&work), sim.key().clone()))
        })
        .await;
        let (entries, key) = match mined {
            Ok(Some(m)) => m,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(error = %e, height, "simulated miners failed");
                return;
            }
        };
        let now = now_ms();
        let mut ledger = self.node.ledger();
        for entry in &entries {
            let commit = EntryCommit::new(entry, &key, now);
            let written = ledger
                .commit(&commit.to_bytes(), false, now)
                .map(|_| ())
                .map_err(|e| e.to_string())
                .and_then(|()| {
                    ledger
                        .reveal(&entry.marshal(), now)
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                });
            if let Err(e) = written {
                tracing::warn!(error = %e, height, "a simulated miner's record was refused");
            }
        }
        tracing::debug!(
            height,
            records = entries.len(),
            "simulated miners wrote their records"
        );
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The timed clock: ten minutes per block, each a tenth of the block time; minute 10 lasts a
/// tenth of a minute (at most a second), taken from minute 9 so blocks keep their length.
async fn run_clock(chain: Arc<Chain>, shutdown: CancellationToken) {
    let minute = chain.settings.block_time / 10;
    let ten = (minute / 10).min(Duration::from_secs(1));
    let mut next = tokio::time::Instant::now() + minute;
    loop {
        let sealing = chain.node.ledger().position().minute == 9;
        let wake = if sealing { next - ten } else { next };
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep_until(wake) => {}
        }
        let _one_at_a_time = chain.stepping.lock().await;
        chain.step_once().await;
        next += minute;
        if sealing {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep_until(next - minute) => {}
            }
            chain.step_once().await;
        }
    }
}
