//! The OPR chain sync against a real devnet with simulated miners. The simulated miners grade
//! every saved block themselves and write records for the next one listing its winners, so
//! the winners the sync gives for block H must be exactly the `winners` inside the records
//! written at H: an independent check of every block. Requests are counted by the devnet's
//! node, so "not fetched again" is checked, not assumed.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use std::sync::Arc;
use std::time::Duration;

use figment::providers::{Format, Toml};
use pegnet_common::factom::Entry;
use pegnet_common::opr::{Network, OprContent, Verify, grade};
use pegnet_coordinator::factomd::{ClientOptions, FactomdClient, FactomdPool, RetryPolicy};
use pegnet_coordinator::sync::{
    BlockSource, CacheError, ChainSync, Checkpoint, CheckpointError, PreviousBlock, Request,
    SyncError, SyncOptions, VerifyWith,
};
use pegnet_devnet::{Devnet, DevnetConfig, StepRequest};
use tokio_util::sync::CancellationToken;

const BITS: u32 = 10;
const MINERS: u32 = 9;
const RECORDS_EACH: u32 = 3;
/// Records the simulated miners write per block.
const RECORDS: u32 = MINERS * RECORDS_EACH;
/// Requests to sync one block with records: the directory block, the entry block, entries.
const REQUESTS_PER_BLOCK: u64 = 2 + RECORDS as u64;

/// A devnet with simulated miners, and what a test needs to talk to it.
struct Net {
    devnet: Devnet,
    /// Holds the LXR table files (and the devnet's state, when it has one).
    _tables: tempfile::TempDir,
    table: Arc<lxrhash::Table>,
    client: FactomdClient,
    pool: FactomdPool,
    /// The first block with records (the one after genesis).
    first: u32,
}

impl Net {
    async fn start(config: DevnetConfig) -> Net {
        pegnet_coordinator::tls::install_crypto_provider();
        let tables = tempfile::tempdir().unwrap();
        let config = DevnetConfig {
            simulated_miners: MINERS,
            simulated_records: RECORDS_EACH,
            simulated_hashes: 200,
            lxr_bits: BITS,
            lxr_dir: Some(tables.path().to_owned()),
            ..config
        };
        let devnet = Devnet::start(&config, CancellationToken::new())
            .await
            .unwrap();
        let table = lxrhash::load_or_generate(tables.path(), BITS, &mut |_| {})
            .unwrap()
            .table;
        let url = devnet.factomd_url();
        let first = devnet.node().ledger().position().height;
        Net {
            first,
            devnet,
            _tables: tables,
            table: Arc::new(table),
            client: FactomdClient::new(&url, ClientOptions::default()).unwrap(),
            pool: FactomdPool::new(&[url], &ClientOptions::default(), RetryPolicy::default())
                .unwrap(),
        }
    }

    async fn with_blocks(n: u32) -> Net {
        let net = Net::start(DevnetConfig::stepped_on_free_ports()).await;
        net.devnet.step(StepRequest::Blocks { n }).await;
        net
    }

    fn lxr(&self) -> VerifyWith {
        VerifyWith::Lxr(self.table.clone())
    }

    fn requests(&self) -> u64 {
        self.devnet.node().rpc_counters().requests
    }

    async fn previous(&self, sync: &mut ChainSync, height: u32) -> PreviousBlock {
        sync.previous_block(&self.pool, &self.lxr(), height)
            .await
            .unwrap()
    }

    /// The OPR chain's entries at `height`, read without the sync.
    async fn entries(&self, height: u32) -> Vec<Entry> {
        let chain = Network::MainNet.opr_chain_id();
        let at = self.client.dblock_by_height(height).await.unwrap();
        let Some(eblock) = at.dblock.entries.iter().find(|e| e.chain_id == chain) else {
            return Vec::new();
        };
        let eblock = self.client.entry_block(&eblock.keymr).await.unwrap();
        let mut out = Vec::new();
        for e in eblock.entries {
            out.push(self.client.entry(&e.entry_hash).await.unwrap());
        }
        out
    }

    /// The previous winners the simulated miners' records at `height` list (all alike).
    async fn listed_winners(&self, height: u32) -> Vec<Vec<u8>> {
        let entries = self.entries(height).await;
        assert_eq!(entries.len(), RECORDS as usize, "records at {height}");
        let lists: Vec<Vec<Vec<u8>>> = entries
            .iter()
            .map(|e| OprContent::decode(5, e.content()).unwrap().winners)
            .collect();
        assert!(
            lists.iter().all(|l| *l == lists[0]),
            "records at {height} disagree"
        );
        lists[0].clone()
    }

    /// Block `height` graded here, from its records and the winners they list.
    async fn graded_winners(&self, height: u32) -> Vec<Vec<u8>> {
        let listed = self.listed_winners(height).await;
        let previous: Vec<_> = listed
            .iter()
            .map(|w| (!w.is_empty()).then(|| w.as_slice().try_into().unwrap()))
            .collect();
        let entries = self.entries(height).await;
        let graded = grade(5, height, &entries, &previous, Verify::Lxr(&self.table)).unwrap();
        assert!(graded.has_winners);
        graded.winners.iter().map(|w| w.unwrap().to_vec()).collect()
    }
}

fn memory() -> SyncOptions {
    SyncOptions::new(Network::MainNet)
}

fn cached(dir: &std::path::Path) -> SyncOptions {
    SyncOptions {
        state_dir: Some(dir.to_owned()),
        ..memory()
    }
}

fn hex_winners(winners: &[Vec<u8>]) -> String {
    let quoted: Vec<String> = winners
        .iter()
        .map(|w| format!("\"{}\"", hex::encode(w)))
        .collect();
    quoted.join(", ")
}

#[tokio::test]
async fn every_block_grades_to_the_winners_the_next_records_list() {
    let net = Net::with_blocks(4).await;
    let first = net.first;
    let mut sync = ChainSync::open(memory()).unwrap();
    // Genesis: only the chain's first entry, no records, no winners yet.
    let genesis = net.previous(&mut sync, first).await;
    assert_eq!(genesis.height, first - 1);
    assert_eq!(genesis.winners, vec![Vec::<u8>::new(); 25]);
    assert_eq!(genesis.winners, net.listed_winners(first).await);
    assert!(!genesis.has_winners);
    assert!(genesis.graded_difficulties.is_empty());
    assert_eq!((genesis.records, genesis.valid_records), (1, 0));

    for height in first + 1..=first + 3 {
        let p = net.previous(&mut sync, height).await;
        assert_eq!(p.height, height - 1);
        assert_eq!(p.opr_version, 5);
        assert_eq!(p.source, BlockSource::Graded);
        assert_eq!(
            p.winners,
            net.listed_winners(height).await,
            "block {height}"
        );
        assert!(p.winners.iter().all(|w| w.len() == 8));
        assert!(p.has_winners);
        assert_eq!((p.records, p.valid_records), (RECORDS, RECORDS));
        assert_eq!(p.graded_difficulties.len(), RECORDS as usize);
    }
    // The block being built has no records yet: its job's winners are block first+3's.
    let next = net.previous(&mut sync, first + 4).await;
    assert_eq!(next.winners, net.graded_winners(first + 3).await);
    assert_eq!(sync.synced_height(), Some(first + 3));

    // Trusting the self-reported difficulties finds the same winners (the miners are honest).
    let mut tool = ChainSync::open(memory()).unwrap();
    let p = tool
        .previous_block(&net.pool, &VerifyWith::SelfReported, first + 4)
        .await
        .unwrap();
    assert_eq!(p.winners, next.winners);
    net.devnet.stop().await;
}

#[tokio::test]
async fn without_a_cache_the_sync_starts_from_the_newest_records() {
    let net = Net::with_blocks(4).await;
    let first = net.first;
    let mut sync = ChainSync::open(memory()).unwrap();
    let before = net.requests();
    let p = net.previous(&mut sync, first + 3).await;
    // Only block first+2 was fetched: its records told its previous winners.
    assert_eq!(net.requests() - before, REQUESTS_PER_BLOCK);
    assert_eq!(p.winners, net.listed_winners(first + 3).await);
    assert_eq!(sync.block(first + 1).unwrap().source, BlockSource::Inferred);
    assert_eq!(
        sync.block(first + 1).unwrap().winners,
        net.listed_winners(first + 2)
            .await
            .iter()
            .map(|w| Some(w.as_slice().try_into().unwrap()))
            .collect::<Vec<_>>()
    );
    assert!(sync.block(first).is_none());
    let forgotten = sync
        .previous_block(&net.pool, &net.lxr(), first + 1)
        .await
        .unwrap_err();
    assert!(
        matches!(forgotten, SyncError::Forgotten { height, .. } if height == first),
        "{forgotten}"
    );
    net.devnet.stop().await;
}

#[tokio::test]
async fn a_restart_reads_the_cache_and_fetches_only_new_blocks() {
    let net = Net::with_blocks(4).await;
    let first = net.first;
    let state = tempfile::tempdir().unwrap();
    let mut sync = ChainSync::open(cached(state.path())).unwrap();
    let mut answers = Vec::new();
    for height in first..=first + 4 {
        answers.push(net.previous(&mut sync, height).await);
    }
    drop(sync);

    let before = net.requests();
    let mut sync = ChainSync::open(cached(state.path())).unwrap();
    assert_eq!(sync.synced_height(), Some(first + 3));
    for (height, answer) in (first..=first + 4).zip(&answers) {
        assert_eq!(&net.previous(&mut sync, height).await, answer);
    }
    assert_eq!(net.requests(), before, "nothing was fetched again");

    net.devnet.step(StepRequest::Blocks { n: 1 }).await;
    let before = net.requests();
    let p = net.previous(&mut sync, first + 5).await;
    assert_eq!(
        net.requests() - before,
        REQUESTS_PER_BLOCK,
        "only the new block"
    );
    assert_eq!(p.winners, net.graded_winners(first + 4).await);
    net.devnet.stop().await;
}

#[tokio::test]
async fn a_checkpoint_from_the_config_starts_the_sync_there() {
    let net = Net::with_blocks(4).await;
    let first = net.first;
    // Block first+1's winners, as an operator would copy them into the config.
    let toml = format!(
        "[Checkpoint]\nHeight = {}\nWinners = [{}]\n",
        first + 1,
        hex_winners(&net.listed_winners(first + 2).await)
    );
    let checkpoint: Checkpoint = figment::Figment::from(Toml::string(&toml))
        .extract_inner("Checkpoint")
        .unwrap();
    let state = tempfile::tempdir().unwrap();
    let options = SyncOptions {
        checkpoint: Some(checkpoint.clone()),
        ..cached(state.path())
    };
    let mut sync = ChainSync::open(options.clone()).unwrap();

    let before = net.requests();
    let at = net.previous(&mut sync, first + 2).await;
    assert_eq!(net.requests(), before, "the checkpoint needs no request");
    assert_eq!(at.source, BlockSource::Checkpoint);
    assert_eq!(at.winners, net.listed_winners(first + 2).await);
    assert!(at.graded_difficulties.is_empty());

    let before = net.requests();
    let p = net.previous(&mut sync, first + 3).await;
    assert_eq!(
        net.requests() - before,
        REQUESTS_PER_BLOCK,
        "only block first+2"
    );
    assert_eq!(p.winners, net.listed_winners(first + 3).await);
    let e = sync
        .previous_block(&net.pool, &net.lxr(), first + 1)
        .await
        .unwrap_err();
    assert!(matches!(e, SyncError::Forgotten { .. }), "{e}");
    drop(sync);

    // The cache is ahead of the same checkpoint: it goes on from the cache.
    let sync = ChainSync::open(options).unwrap();
    assert_eq!(sync.synced_height(), Some(first + 2));
    drop(sync);
    // A checkpoint the cache contradicts is refused, naming the key and the file.
    let wrong = SyncOptions {
        checkpoint: Some(Checkpoint {
            winners: vec!["00000000000000ff".to_owned(); 25],
            ..checkpoint
        }),
        ..cached(state.path())
    };
    let e = ChainSync::open(wrong).unwrap_err();
    assert!(
        matches!(
            e,
            SyncError::Checkpoint(CheckpointError::CacheDisagrees { .. })
        ),
        "{e}"
    );
    assert!(e.to_string().contains("Checkpoint.Winners"), "{e}");
    net.devnet.stop().await;
}

#[tokio::test]
async fn a_torn_cache_line_is_ignored_and_a_foreign_cache_refused() {
    let net = Net::with_blocks(3).await;
    let first = net.first;
    let state = tempfile::tempdir().unwrap();
    let mut sync = ChainSync::open(cached(state.path())).unwrap();
    let answer = net.previous(&mut sync, first + 2).await;
    let path = sync.cache_path().unwrap().to_owned();
    drop(sync);

    // A crash in the middle of the next append.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(br#"{"height":"#);
    std::fs::write(&path, &bytes).unwrap();
    let before = net.requests();
    let mut sync = ChainSync::open(cached(state.path())).unwrap();
    assert_eq!(net.previous(&mut sync, first + 2).await, answer);
    assert_eq!(net.requests(), before);
    let p = net.previous(&mut sync, first + 3).await;
    assert_eq!(p.winners, net.graded_winners(first + 2).await);
    drop(sync);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with('\n'));
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap();
    }

    let testnet = SyncOptions {
        network: Network::TestNet,
        ..cached(state.path())
    };
    let e = ChainSync::open(testnet).unwrap_err();
    assert!(
        matches!(e, SyncError::Cache(CacheError::OtherChain { .. })),
        "{e}"
    );
    assert!(e.to_string().contains(&path.display().to_string()), "{e}");
    net.devnet.stop().await;
}

#[tokio::test]
async fn blocks_without_records_carry_the_winners_forward() {
    let state = tempfile::tempdir().unwrap();
    let config = DevnetConfig {
        state_dir: Some(state.path().to_owned()),
        ..DevnetConfig::stepped_on_free_ports()
    };
    let net = Net::start(config.clone()).await;
    let first = net.first;
    net.devnet.step(StepRequest::Blocks { n: 2 }).await;
    let winners = net.graded_winners(first + 1).await;
    net.devnet.stop().await;

    // The same chain with no miners: blocks first+2 and first+3 have no records.
    pegnet_coordinator::tls::install_crypto_provider();
    let quiet = Devnet::start(
        &DevnetConfig {
            simulated_miners: 0,
            ..config
        },
        CancellationToken::new(),
    )
    .await
    .unwrap();
    quiet.step(StepRequest::Blocks { n: 2 }).await;
    let pool = FactomdPool::new(
        &[quiet.factomd_url()],
        &ClientOptions::default(),
        RetryPolicy::default(),
    )
    .unwrap();
    let mut sync = ChainSync::open(memory()).unwrap();
    let lxr = VerifyWith::Lxr(net.table.clone());
    for height in first..=first + 4 {
        let p = sync.previous_block(&pool, &lxr, height).await.unwrap();
        if height == first + 2 {
            assert_eq!(p.winners, winners);
            assert!(p.has_winners);
        }
        if height > first + 2 {
            assert_eq!(p.winners, winners, "carried to block {height}");
            assert!(!p.has_winners);
            assert_eq!((p.records, p.valid_records), (0, 0));
            assert!(p.graded_difficulties.is_empty());
        }
    }
    quiet.stop().await;
}

#[tokio::test]
async fn a_dead_factomd_is_a_clear_error() {
    pegnet_coordinator::tls::install_crypto_provider();
    // A port nothing listens on any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v2", listener.local_addr().unwrap());
    drop(listener);
    let policy = RetryPolicy {
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
        deadline: Duration::from_millis(50),
    };
    let pool = FactomdPool::new(&[url], &ClientOptions::default(), policy).unwrap();
    let mut sync = ChainSync::open(memory()).unwrap();
    let height = Network::MainNet.first_height(5).unwrap() + 10;
    // On its own task, as the coordinator runs it: the future must be `Send`.
    let task = tokio::spawn(async move {
        let answer = sync
            .previous_block(&pool, &VerifyWith::SelfReported, height)
            .await;
        (sync, answer)
    });
    let (sync, answer) = task.await.unwrap();
    let e = answer.unwrap_err();
    assert!(
        matches!(
            e,
            SyncError::Unreachable { height: h, request: Request::DirectoryBlock, .. } if h == height - 1
        ),
        "{e:?}"
    );
    let message = e.to_string();
    assert!(message.contains("unreachable"), "{message}");
    assert!(message.contains(&(height - 1).to_string()), "{message}");
    assert_eq!(sync.synced_height(), None);
}

#[tokio::test]
async fn a_job_before_activation_is_refused() {
    let pool = FactomdPool::new(
        &["http://127.0.0.1:9/v2".to_owned()],
        &ClientOptions::default(),
        RetryPolicy::default(),
    )
    .unwrap();
    let mut sync = ChainSync::open(memory()).unwrap();
    let e = sync
        .previous_block(&pool, &VerifyWith::SelfReported, 100)
        .await
        .unwrap_err();
    assert!(matches!(e, SyncError::NotActive { height: 100, .. }), "{e}");
}
