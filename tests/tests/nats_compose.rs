//! `nats/compose.conf` with the files `pegnet-coordinator init` writes, laid out as the
//! docker-compose stack mounts them (`/etc/nats/nats.conf`, `/etc/nats/permissions.conf` and `miner-permissions.conf`, the
//! init volume's `nats/` at `/etc/nats/secrets/`), in a temporary directory: JetStream is on
//! and durable, the payload limit is the codec's, the coordinator and a miner holding the
//! init credentials write shares end to end, and the miner user can neither publish jobs nor
//! touch JetStream.

#![allow(clippy::unwrap_used, reason = "a test fails on any error")]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_nats::{Client, ConnectOptions, Event, ServerError};
use common::{Broker, Endpoint, Options, PAYOUT, System, one_miner_fills_the_block, spawn_miner};
use pegnet_common::wire::MAX_MESSAGE_BYTES;
use pegnet_coordinator::init::{DEFAULT_NATS_URL, Existing, InitOptions, init};
use pegnet_tests::{NatsOptions, NatsServer, nats_config, server_barrier};
use tempfile::TempDir;
use tokio::sync::mpsc;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

/// What `init` wrote, read back the way the containers read it.
struct Secrets {
    secret: String,
    coordinator_password: String,
    miner_password: String,
}

/// A temporary `/etc/nats` and `/data` with `init`'s output in place.
struct Layout {
    dir: TempDir,
    secrets: Secrets,
}

impl Layout {
    fn new() -> Layout {
        let dir = tempfile::tempdir().unwrap();
        let init_dir = dir.path().join("init");
        init(&InitOptions {
            dir: init_dir.clone(),
            nats_url: DEFAULT_NATS_URL.into(),
            existing: Existing::Refuse,
        })
        .unwrap();
        let etc = dir.path().join("etc");
        std::fs::create_dir(&etc).unwrap();
        // The volume's nats/ directory mounted as secrets/, as compose does.
        std::os::unix::fs::symlink(init_dir.join("nats"), etc.join("secrets")).unwrap();
        for file in ["permissions.conf", "miner-permissions.conf"] {
            std::fs::copy(nats_config(file), etc.join(file)).unwrap();
        }
        let compose = std::fs::read_to_string(nats_config("compose.conf")).unwrap();
        let store = "store_dir: \"/data\"";
        assert!(
            compose.contains(store),
            "compose.conf keeps JetStream in /data"
        );
        let data = dir.path().join("data");
        std::fs::write(
            etc.join("nats.conf"),
            compose.replace(
                store,
                &format!("store_dir: {:?}", data.display().to_string()),
            ),
        )
        .unwrap();
        let secrets = Secrets::read(&init_dir);
        Layout { dir, secrets }
    }

    fn server_options(&self) -> NatsOptions {
        NatsOptions::with_config(self.dir.path().join("etc/nats.conf"))
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

impl Secrets {
    fn read(init_dir: &Path) -> Secrets {
        let value = |file: &str, name: &str| {
            let text = std::fs::read_to_string(init_dir.join(file)).unwrap();
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}=")))
                .unwrap_or_else(|| panic!("{name} in {file}"))
                .to_owned()
        };
        let password = |url: String| {
            let (_, rest) = url.split_once("://").unwrap();
            let (userinfo, host) = rest.split_once('@').unwrap();
            assert_eq!(host, "nats:4222");
            userinfo.split_once(':').unwrap().1.to_owned()
        };
        let secret = value(
            "coordinator/coordinator.env",
            "PEGNET_MINER_COORDINATORSECRET",
        );
        assert_eq!(
            value("miner/miner.env", "PEGNET_MINER_COORDINATORSECRET"),
            secret
        );
        Secrets {
            secret,
            coordinator_password: password(value(
                "coordinator/coordinator.env",
                "PEGNET_COORDINATOR_NATSURL",
            )),
            miner_password: password(value(
                "miner/miner.env",
                "PEGNET_MINER_MININGCOORDINATORHOST",
            )),
        }
    }
}

/// Connects as `user`; server errors (permission violations) arrive on the returned channel.
async fn connect_as(
    server: &NatsServer,
    user: &str,
    password: &str,
) -> (Client, mpsc::Receiver<ServerError>) {
    let (errors_tx, errors_rx) = mpsc::channel(64);
    let client = ConnectOptions::with_user_and_password(user.into(), password.into())
        .event_callback(move |event| {
            let errors_tx = errors_tx.clone();
            async move {
                if let Event::ServerError(error) = event {
                    errors_tx.send(error).await.ok();
                }
            }
        })
        .connect(server.url())
        .await
        .unwrap_or_else(|error| panic!("connect as {user}: {error}"));
    (client, errors_rx)
}

/// The next permissions violation the server reports to this client.
async fn next_violation(errors: &mut mpsc::Receiver<ServerError>) -> String {
    let error = timeout(WAIT, errors.recv())
        .await
        .expect("a server error in time")
        .expect("error channel open");
    match error {
        ServerError::Other(message) if message.contains("Permissions Violation") => message,
        other => panic!("expected a permissions violation, got {other:?}"),
    }
}

#[test]
fn jetstream_is_durable_and_the_payload_limit_is_the_codecs() {
    let layout = Layout::new();
    let server = NatsServer::start_with(layout.server_options()).unwrap();
    let varz = server.monitoring("/varz").unwrap();
    assert_eq!(
        varz["max_payload"].as_u64(),
        Some(MAX_MESSAGE_BYTES as u64),
        "{varz}"
    );
    let jetstream = &varz["jetstream"]["config"];
    assert_eq!(jetstream["sync_always"], true, "{jetstream}");
    assert_eq!(
        jetstream["store_dir"].as_str().map(PathBuf::from),
        Some(layout.data().join("jetstream")),
        "{jetstream}"
    );
}

#[tokio::test]
async fn the_coordinator_user_has_jetstream_and_the_miner_user_none() {
    let layout = Layout::new();
    let server = NatsServer::start_with(layout.server_options()).unwrap();
    let (coordinator, _) =
        connect_as(&server, "coordinator", &layout.secrets.coordinator_password).await;
    let js = async_nats::jetstream::new(coordinator.clone());
    let kv = js
        .create_key_value(async_nats::jetstream::kv::Config {
            bucket: "sessions".into(),
            ..Default::default()
        })
        .await
        .expect("the coordinator creates a bucket");
    kv.put("s1", "state".into()).await.expect("put");
    assert_eq!(
        kv.get("s1").await.expect("get").as_deref(),
        Some(&b"state"[..])
    );
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

    let (miner, mut errors) = connect_as(&server, "miner", &layout.secrets.miner_password).await;
    for subject in [
        "$JS.API.INFO",
        "$JS.API.STREAM.DELETE.KV_sessions",
        "$KV.sessions.s1",
        "pegnet.mainnet.jobs",
        "pegnet.mainnet.events.minute",
    ] {
        miner.publish(subject, "forged".into()).await.unwrap();
        miner.flush().await.unwrap();
        let violation = next_violation(&mut errors).await;
        assert!(
            violation.contains(&format!("Publish to \"{subject}\"")),
            "{violation}"
        );
    }
    for subject in ["$JS.API.>", "$KV.sessions.>", "pegnet.mainnet.shares.>"] {
        let _sub = miner.subscribe(subject).await.unwrap();
        miner.flush().await.unwrap();
        let violation = next_violation(&mut errors).await;
        assert!(
            violation.contains(&format!("Subscription to \"{subject}\"")),
            "{violation}"
        );
    }
    // In-order delivery: once the miner's later stats message arrives, a forged job that got
    // through would be waiting already. The bucket is untouched.
    miner
        .publish("pegnet.mainnet.stats", "marker".into())
        .await
        .unwrap();
    miner.flush().await.unwrap();
    let marker = timeout(WAIT, futures_util::StreamExt::next(&mut stats))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(marker.payload.as_ref(), b"marker");
    assert!(
        timeout(Duration::ZERO, futures_util::StreamExt::next(&mut jobs))
            .await
            .is_err()
    );
    assert_eq!(
        kv.get("s1").await.expect("get").as_deref(),
        Some(&b"state"[..])
    );
}

#[tokio::test]
async fn a_coordinator_and_a_miner_with_the_init_credentials_write_shares() {
    let layout = Layout::new();
    let endpoint = |user: &str, password: &str| Endpoint {
        credentials: Some((user.into(), password.into())),
        ..Endpoint::default()
    };
    let sys = System::start(Options {
        secret: Some(layout.secrets.secret.clone()),
        broker: Broker {
            server: Some(layout.server_options()),
            coordinator: endpoint("coordinator", &layout.secrets.coordinator_password),
            miner: endpoint("miner", &layout.secrets.miner_password),
        },
        ..Options::default()
    })
    .await;
    let miner = spawn_miner(
        &sys,
        "composed",
        "composed",
        PAYOUT,
        Some(&layout.secrets.secret),
    );
    miner.until(|s| s.slot.is_some()).await;
    let height = sys.next_job().await;
    one_miner_fills_the_block(&sys, height).await;
    miner.stop().await;
    sys.stop().await;
}

#[test]
fn without_the_init_files_the_server_does_not_start() {
    let layout = Layout::new();
    std::fs::remove_file(layout.dir.path().join("init/nats/users.conf")).unwrap();
    let error =
        NatsServer::start_with(layout.server_options()).expect_err("no users.conf, no server");
    assert!(error.to_string().contains("users.conf"), "{error}");
}
