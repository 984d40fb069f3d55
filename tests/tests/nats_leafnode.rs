//! `nats/leafnode.conf` joins a LAN to a hub running `nats/secure.conf`: miners on the
//! leaf reach the coordinator on the hub, and the hub holds the whole LAN to the miner user's
//! rights, whatever the leaf itself allows; and a real miner on the leaf mines for the
//! coordinator on the hub.

#![allow(clippy::unwrap_used, reason = "a test fails on any error")]

mod common;

use std::path::Path;
use std::time::Duration;

use async_nats::{Client, ConnectOptions, RequestErrorKind};
use common::{
    Broker, Endpoint, Options, PAYOUT, SECRET, System, one_miner_fills_the_block, spawn_miner,
};
use futures_util::StreamExt as _;
use pegnet_tests::{NatsOptions, NatsServer, nats_config, server_barrier};
use tokio::time::{Instant, timeout};

const WAIT: Duration = Duration::from_secs(10);
const COORDINATOR_PASSWORD: &str = "coordinator-test-password";
const MINER_PASSWORD: &str = "miner-test-password";
const LAN_MINER_PASSWORD: &str = "lan-miner-test-password";

/// `secure.conf` plus a leaf node listener on a port the server picks, as the options to
/// start it with. nats-server resolves `include` relative to the including file and refuses
/// absolute paths, so the committed files are copied next to `hub.conf`.
fn hub_options(dir: &Path) -> NatsOptions {
    for file in ["secure.conf", "permissions.conf", "miner-permissions.conf"] {
        std::fs::copy(nats_config(file), dir.join(file)).expect("copy a config");
    }
    let hub_conf = dir.join("hub.conf");
    std::fs::write(
        &hub_conf,
        "include ./secure.conf\nleafnodes { listen: \"127.0.0.1:-1\" }\n",
    )
    .expect("write hub.conf");
    NatsOptions::with_config(hub_conf)
        .env("PEGNET_NATS_COORDINATOR_PASSWORD", COORDINATOR_PASSWORD)
        .env("PEGNET_NATS_MINER_PASSWORD", MINER_PASSWORD)
}

fn start_hub(dir: &Path) -> NatsServer {
    NatsServer::start_with(hub_options(dir)).expect("start the hub")
}

fn hub_leaf_url(hub: &NatsServer) -> String {
    let varz = hub.monitoring("/varz").expect("hub /varz");
    let port = varz["leaf"]["port"]
        .as_u64()
        .expect("the hub's leaf node port");
    format!("nats-leaf://miner:{MINER_PASSWORD}@127.0.0.1:{port}")
}

/// The coordinator on the hub, answering every hello with "challenge".
async fn coordinator_answering_hellos(hub: &NatsServer) -> Client {
    let coordinator =
        ConnectOptions::with_user_and_password("coordinator".into(), COORDINATOR_PASSWORD.into())
            .connect(hub.url())
            .await
            .expect("connect the coordinator");
    let mut hellos = coordinator
        .subscribe("pegnet.mainnet.auth.hello")
        .await
        .expect("subscribe");
    server_barrier(&coordinator, "pegnet.mainnet.barrier.coordinator")
        .await
        .expect("barrier");
    let responder = coordinator.clone();
    tokio::spawn(async move {
        while let Some(hello) = hellos.next().await {
            if let Some(reply) = hello.reply {
                responder.publish(reply, "challenge".into()).await.ok();
            }
        }
    });
    coordinator
}

/// Says hello until the coordinator answers. The leaf learns the hub's subscriptions some time
/// after it connects and no client event tells when, so this polls: "no responders" is the
/// fast, definite answer while the interest has not arrived; the deadline bounds it.
async fn hello_until_answered(miner: &Client) {
    let deadline = Instant::now() + WAIT;
    loop {
        match timeout(
            WAIT,
            miner.request("pegnet.mainnet.auth.hello", "hello".into()),
        )
        .await
        .expect("an answer or no responders in time")
        {
            Ok(reply) => {
                assert_eq!(reply.payload.as_ref(), b"challenge");
                return;
            }
            Err(error) if error.kind() == RequestErrorKind::NoResponders => {
                assert!(
                    Instant::now() < deadline,
                    "the hub's interest never reached the leaf"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(error) => panic!("hello failed: {error}"),
        }
    }
}

#[tokio::test]
async fn a_lan_miner_reaches_the_coordinator_through_the_example_leaf() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hub = start_hub(dir.path());
    let _coordinator = coordinator_answering_hellos(&hub).await;
    let leaf = NatsServer::start_with(
        NatsOptions::with_config(nats_config("leafnode.conf"))
            .env("PEGNET_NATS_HUB_URL", hub_leaf_url(&hub))
            .env("PEGNET_NATS_MINER_PASSWORD", LAN_MINER_PASSWORD),
    )
    .expect("start the leaf with nats/leafnode.conf");

    let miner = ConnectOptions::with_user_and_password("miner".into(), LAN_MINER_PASSWORD.into())
        .connect(leaf.url())
        .await
        .expect("a LAN miner logs in to the leaf");
    hello_until_answered(&miner).await;
}

#[tokio::test]
async fn the_hub_holds_a_leaf_to_the_miner_rights() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hub = start_hub(dir.path());
    let coordinator = coordinator_answering_hellos(&hub).await;
    let mut jobs = coordinator
        .subscribe("pegnet.mainnet.jobs")
        .await
        .expect("subscribe");
    let mut stats = coordinator
        .subscribe("pegnet.mainnet.stats")
        .await
        .expect("subscribe");
    server_barrier(&coordinator, "pegnet.mainnet.barrier.coordinator")
        .await
        .expect("barrier");

    // A careless leaf: no local users, anyone on the LAN may publish anything to it.
    let open_leaf_conf = dir.path().join("open-leaf.conf");
    std::fs::write(
        &open_leaf_conf,
        "leafnodes { remotes = [ { url: $PEGNET_NATS_HUB_URL } ] }\n",
    )
    .expect("write open-leaf.conf");
    let leaf = NatsServer::start_with(
        NatsOptions::with_config(open_leaf_conf).env("PEGNET_NATS_HUB_URL", hub_leaf_url(&hub)),
    )
    .expect("start the open leaf");
    let rogue = async_nats::connect(leaf.url())
        .await
        .expect("connect to the leaf");
    hello_until_answered(&rogue).await;

    rogue
        .publish("pegnet.mainnet.jobs", "forged".into())
        .await
        .expect("the leaf itself accepts it");
    rogue
        .publish("pegnet.mainnet.stats", "marker".into())
        .await
        .expect("publish");
    rogue.flush().await.expect("flush");
    // In-order delivery over the leaf link: once the later marker is in, a forged job that
    // crossed the link would be waiting already.
    let marker = timeout(WAIT, stats.next())
        .await
        .expect("in time")
        .expect("open");
    assert_eq!(marker.payload.as_ref(), b"marker");
    let forged = timeout(Duration::ZERO, jobs.next()).await;
    assert!(
        forged.is_err(),
        "a forged job crossed the leaf link: {forged:?}"
    );
}

#[tokio::test]
async fn a_miner_on_the_leaf_mines_for_the_coordinator_on_the_hub() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut sys = System::start(Options {
        broker: Broker {
            server: Some(hub_options(dir.path())),
            coordinator: Endpoint {
                credentials: Some(("coordinator".into(), COORDINATOR_PASSWORD.into())),
                ..Endpoint::default()
            },
            miner: Endpoint::default(),
        },
        ..Options::default()
    })
    .await;
    let leaf = NatsServer::start_with(
        NatsOptions::with_config(nats_config("leafnode.conf"))
            .env("PEGNET_NATS_HUB_URL", hub_leaf_url(&sys.nats))
            .env("PEGNET_NATS_MINER_PASSWORD", LAN_MINER_PASSWORD),
    )
    .expect("start the leaf with nats/leafnode.conf");
    sys.miner_url = Endpoint {
        credentials: Some(("miner".into(), LAN_MINER_PASSWORD.into())),
        ..Endpoint::default()
    }
    .url(leaf.port());
    // The miner retries its hello until the leaf has learned the hub's subscriptions.
    let miner = spawn_miner(&sys, "lan-rig", "lanrig", PAYOUT, Some(SECRET));
    miner.until(|s| s.slot.is_some()).await;
    let height = sys.next_job().await;
    one_miner_fills_the_block(&sys, height).await;
    // The miner is a client of the leaf, and not of the hub: its work crossed the leaf link.
    let names = |server: &NatsServer| -> Vec<String> {
        let connz = server.monitoring("/connz").unwrap();
        connz["connections"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["name"].as_str().map(str::to_owned))
            .collect()
    };
    assert!(
        names(&leaf).contains(&"lan-rig".to_owned()),
        "{:?}",
        names(&leaf)
    );
    assert!(
        !names(&sys.nats).contains(&"lan-rig".to_owned()),
        "{:?}",
        names(&sys.nats)
    );
    miner.stop().await;
    sys.stop().await;
}
