//! The whole system in one test process: a real nats-server, the devnet on its stepped
//! clock, the coordinator, and miners (real ones, or the scripted [`probe`]).

#![allow(
    clippy::unwrap_used,
    dead_code,
    reason = "test helpers fail the test on any error; not every test uses every helper"
)]

pub mod ledger;
pub mod link;
pub mod probe;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use pegnet_common::opr::Network;
use pegnet_common::wire::Subjects;
use pegnet_coordinator::config::Config;
use pegnet_coordinator::service::{self, Running};
use pegnet_coordinator::status::Status;
use pegnet_devnet::config::DEV_EC_SECRET;
use pegnet_devnet::{Devnet, DevnetConfig, StepRequest};
use pegnet_tests::{NatsOptions, NatsServer};
use tokio_util::sync::CancellationToken;

/// How long any one expected event may take.
pub const WAIT: Duration = Duration::from_secs(30);
/// The LXR table size of these tests: small enough to generate in milliseconds.
pub const BITS: u32 = 10;
/// A valid payout address.
pub const PAYOUT: &str = "FA2jK2HcLnRdS94dEcU27rF3meoJfpUcZPSinpb7AwQvPRY6RL1Q";
pub const PAYOUT_2: &str = "FA1zT4aFpEvcnPqPCigB3fvGu4Q4mTXY22iiuV69DqE1pNhdF2MC";
pub const SECRET: &str = "correct horse battery staple";

/// The test table, generated once per process.
pub fn table() -> Arc<lxrhash::Table> {
    static TABLE: OnceLock<Arc<lxrhash::Table>> = OnceLock::new();
    Arc::clone(TABLE.get_or_init(|| Arc::new(lxrhash::Table::generate(BITS, &mut |_| {}).unwrap())))
}

/// How the coordinator of a test is set up.
#[derive(Debug, Clone)]
pub struct Options {
    pub secret: Option<String>,
    pub policy: &'static str,
    pub per_block: usize,
    pub dev_key_balance: i64,
    /// Changes to the coordinator's configuration after the defaults of these tests.
    pub configure: Option<fn(&mut Config)>,
    /// The nats-server and how the coordinator and the miners reach it.
    pub broker: Broker,
    /// The coordinator reaches the server through a [`link::Link`] the test can cut.
    pub coordinator_link: bool,
    /// The coordinator reaches the devnet's factomd through a [`link::Link`].
    pub factomd_link: bool,
}

/// How a test's nats-server is started and how each side connects to it. The default is a
/// plain server without users, reached at `nats://127.0.0.1:PORT`.
#[derive(Debug, Clone, Default)]
pub struct Broker {
    /// The server's options; `None` starts a plain one.
    pub server: Option<NatsOptions>,
    pub coordinator: Endpoint,
    pub miner: Endpoint,
}

/// How one client reaches the test's server: the URL's scheme, host and credentials, and the
/// CA it trusts.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub scheme: &'static str,
    pub host: &'static str,
    /// `(user, password)`.
    pub credentials: Option<(String, String)>,
    pub ca_file: Option<PathBuf>,
}

impl Default for Endpoint {
    fn default() -> Endpoint {
        Endpoint {
            scheme: "nats",
            host: "127.0.0.1",
            credentials: None,
            ca_file: None,
        }
    }
}

impl Endpoint {
    /// The URL of the server on `port` as this client dials it.
    pub fn url(&self, port: u16) -> String {
        let userinfo = self
            .credentials
            .as_ref()
            .map(|(user, password)| format!("{user}:{password}@"))
            .unwrap_or_default();
        format!("{}://{userinfo}{}:{port}", self.scheme, self.host)
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            secret: Some(SECRET.into()),
            policy: "top",
            per_block: 25,
            dev_key_balance: 1_000_000,
            configure: None,
            broker: Broker::default(),
            coordinator_link: false,
            factomd_link: false,
        }
    }
}

pub struct System {
    pub nats: NatsServer,
    pub devnet: Devnet,
    pub coordinator: Running,
    pub subjects: Subjects,
    pub shutdown: CancellationToken,
    /// Stops the coordinator alone (a child of `shutdown`).
    pub coordinator_stop: CancellationToken,
    /// Where [`spawn_miner`] points its miners (a test may point them elsewhere, such as a
    /// leaf node), and the CA they trust.
    pub miner_url: String,
    pub miner_ca: Option<PathBuf>,
    /// The coordinator's link to the server, with [`Options::coordinator_link`].
    pub coordinator_link: Option<link::Link>,
    /// The coordinator's link to factomd, with [`Options::factomd_link`].
    pub factomd_link: Option<link::Link>,
}

impl System {
    pub async fn start(options: Options) -> System {
        pegnet_coordinator::tls::install_crypto_provider();
        let nats = match &options.broker.server {
            Some(server) => NatsServer::start_with(server.clone()).unwrap(),
            None => NatsServer::start().unwrap(),
        };
        let shutdown = CancellationToken::new();
        let devnet_config = DevnetConfig {
            dev_key_balance: options.dev_key_balance,
            ..DevnetConfig::stepped_on_free_ports()
        };
        let devnet = Devnet::start(&devnet_config, shutdown.child_token())
            .await
            .unwrap();
        let mut config = Config::default();
        let factomd_link = if options.factomd_link {
            Some(link::Link::to(devnet.factomd_addr().port()).await)
        } else {
            None
        };
        config.miner.factomd_location = match &factomd_link {
            Some(link) => format!("http://127.0.0.1:{}/v2", link.port()),
            None => devnet.factomd_url(),
        };
        config.miner.ec_address = DEV_EC_SECRET.into();
        config.miner.use_coordinator_authentication = options.secret.is_some();
        config.miner.coordinator_secret = options.secret.clone().unwrap_or_default();
        config.miner.records_per_block = options.per_block;
        let coordinator_link = if options.coordinator_link {
            Some(link::Link::to(nats.port()).await)
        } else {
            None
        };
        let coordinator_port = coordinator_link
            .as_ref()
            .map_or(nats.port(), link::Link::port);
        config.coordinator.nats_url = options.broker.coordinator.url(coordinator_port);
        if let Some(ca) = &options.broker.coordinator.ca_file {
            config.coordinator.nats_ca_file = ca.display().to_string();
        }
        config.coordinator.entry_policy = options.policy.into();
        config.coordinator.lxr_bits = BITS;
        config.coordinator.http_addr = "127.0.0.1:0".into();
        config.coordinator.poll_interval_ms = 10;
        config.coordinator.final_grace_ms = 20_000;
        point_oracle_at(&mut config, &devnet.feed_url());
        if let Some(configure) = options.configure {
            configure(&mut config);
        }
        let mut settings = config.validate().unwrap();
        settings.table = Some(table());
        let coordinator_stop = shutdown.child_token();
        let coordinator = service::start(settings, coordinator_stop.clone())
            .await
            .unwrap();
        System {
            miner_url: options.broker.miner.url(nats.port()),
            miner_ca: options.broker.miner.ca_file.clone(),
            coordinator_link,
            factomd_link,
            nats,
            devnet,
            coordinator,
            subjects: Subjects::for_network(Network::MainNet),
            shutdown,
            coordinator_stop,
        }
    }

    /// The block the devnet is building and its minute.
    pub fn position(&self) -> (u32, u8) {
        let p = self.devnet.node().ledger().position();
        (p.height, p.minute)
    }

    /// Steps the devnet one minute and waits until the coordinator has seen it.
    pub async fn step_minute(&self) -> (u32, u8) {
        let p = self
            .devnet
            .step(StepRequest::Minutes {
                n: 1,
                pause_at_ten: false,
            })
            .await;
        self.status_until(|s| (s.height, s.minute) >= (p.height, p.minute))
            .await;
        (p.height, p.minute)
    }

    /// Steps until the devnet is at `minute` (of this block, or the next if it has passed).
    pub async fn step_to(&self, minute: u8) -> u32 {
        loop {
            let (h, m) = self.step_minute().await;
            if m == minute {
                return h;
            }
        }
    }

    /// Waits until the coordinator's status satisfies `pred`.
    pub async fn status_until(&self, pred: impl Fn(&Status) -> bool) -> Status {
        let mut rx = self.coordinator.status.clone();
        let got = tokio::time::timeout(WAIT, rx.wait_for(|s| pred(s)))
            .await
            .expect("coordinator status reached in time")
            .expect("coordinator running");
        got.clone()
    }

    /// Steps to minute 1 of the next block and waits for its job.
    pub async fn next_job(&self) -> u32 {
        let height = self.step_to(1).await;
        let status = self
            .status_until(|s| {
                s.job.as_ref().is_some_and(|j| j.height == height)
                    || s.block(height).is_some_and(|b| b.skipped.is_some())
            })
            .await;
        assert!(
            status
                .block(height)
                .and_then(|b| b.skipped.clone())
                .is_none(),
            "block {height} skipped: {:?}",
            status.block(height)
        );
        height
    }

    /// Steps to minute 9 and waits until the coordinator has written the block's entries.
    pub async fn finish_block(&self, height: u32) -> pegnet_coordinator::status::BlockStatus {
        assert_eq!(self.step_to(9).await, height, "still in block {height}");
        let status = self
            .status_until(|s| s.block(height).is_some_and(|b| b.done))
            .await;
        status.block(height).unwrap().clone()
    }

    /// The coordinator's Prometheus metrics, as text.
    pub async fn metrics(&self) -> String {
        let addr = self.coordinator.http_addr.unwrap();
        reqwest::get(format!("http://{addr}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(WAIT, self.coordinator.wait())
            .await
            .expect("coordinator stops in time");
    }
}

/// Points every price source of `config` at the devnet's feed.
pub fn point_oracle_at(config: &mut Config, feed_url: &str) {
    config.oracle.coingecko_url = feed_url.into();
    config.oracle.exchange_rate_api_url = feed_url.into();
    config.oracle.open_exchange_rates_url = feed_url.into();
    config.oracle.coinbase_url = feed_url.into();
    config.oracle.ecb_url = feed_url.into();
    config.oracle.coinpaprika_url = feed_url.into();
    config.oracle.coinmarketcap_url = feed_url.into();
    config.oracle.apilayer_url = feed_url.into();
    config.oracle.cache_ttl_seconds = 0;
}

/// A real miner running in this process.
pub struct MinerHandle {
    pub status: tokio::sync::watch::Receiver<pegnet_miner::MinerStatus>,
    pub stop: CancellationToken,
    pub task: tokio::task::JoinHandle<Result<(), pegnet_miner::MinerError>>,
}

impl MinerHandle {
    /// Waits until the miner's status satisfies `pred`.
    pub async fn until(
        &self,
        pred: impl Fn(&pegnet_miner::MinerStatus) -> bool,
    ) -> pegnet_miner::MinerStatus {
        let mut rx = self.status.clone();
        let got = tokio::time::timeout(WAIT, rx.wait_for(|s| pred(s)))
            .await
            .expect("miner status reached in time")
            .expect("miner running");
        got.clone()
    }

    pub async fn stop(self) {
        self.stop.cancel();
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("miner stops in time")
            .expect("miner task")
            .expect("miner ran without error");
    }
}

/// Starts a real miner with one thread against `sys`.
pub fn spawn_miner(
    sys: &System,
    name: &str,
    identity: &str,
    payout: &str,
    secret: Option<&str>,
) -> MinerHandle {
    let mut config = pegnet_miner::MinerConfig::new(identity, payout);
    config.mining_coordinator_host = sys.miner_url.clone();
    config.nats_ca_file = sys.miner_ca.clone();
    config.miner_name = Some(name.into());
    config.use_coordinator_authentication = secret.is_some();
    config.coordinator_secret = secret.map(|s| pegnet_miner::ConfigSecret(s.into()));
    config.number_of_miners = 1;
    config.records_per_block = 10;
    config.lxr_bits = BITS;
    config.stream_interval_ms = 50;
    config.stats_interval_ms = 200;
    config.table = Some(table());
    let (tx, rx) = tokio::sync::watch::channel(pegnet_miner::MinerStatus::default());
    let stop = sys.shutdown.child_token();
    let task = tokio::spawn(pegnet_miner::run_with_status(config, stop.clone(), tx));
    MinerHandle {
        status: rx,
        stop,
        task,
    }
}

/// Waits for a lone miner's first 10 accepted shares of the job at `height`, ends the block,
/// and checks that its best shares were written: streamed improvements stay accepted, so one
/// miner can fill the fleet's top 25.
pub async fn one_miner_fills_the_block(sys: &System, height: u32) {
    sys.status_until(|s| {
        s.job
            .as_ref()
            .is_some_and(|j| j.height == height && j.shares_accepted >= 10)
    })
    .await;
    let block = sys.finish_block(height).await;
    assert_eq!(block.entries_written, block.shares_accepted.min(25));
    assert!(block.entries_written >= 10);
}

/// The OPR entries saved in block `height`.
pub async fn saved_oprs(sys: &System, height: u32) -> Vec<pegnet_common::factom::Entry> {
    use pegnet_coordinator::factomd::{ClientOptions, FactomdClient};
    let client = FactomdClient::new(&sys.devnet.factomd_url(), ClientOptions::default()).unwrap();
    let chain = Network::MainNet.opr_chain_id();
    let at = client.dblock_by_height(height).await.unwrap();
    let Some(eblock) = at.dblock.entries.iter().find(|e| e.chain_id == chain) else {
        return Vec::new();
    };
    let eblock = client.entry_block(&eblock.keymr).await.unwrap();
    let mut out = Vec::new();
    for e in eblock.entries {
        out.push(client.entry(&e.entry_hash).await.unwrap());
    }
    out
}
