//! `nats/secure.conf` enforces DESIGN §5's defence in depth: a miner user cannot forge jobs or
//! minute events, yet can do everything the protocol asks of it; bad passwords are refused.

use std::time::Duration;

use async_nats::{Client, ConnectErrorKind, ConnectOptions, Event, ServerError};
use futures_util::StreamExt as _;
use pegnet_tests::{HarnessError, NatsOptions, NatsServer, nats_config, server_barrier};
use tokio::sync::mpsc;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);
const COORDINATOR_PASSWORD: &str = "coordinator-test-password";
const MINER_PASSWORD: &str = "miner-test-password";
/// Subjects nobody subscribes to that each user may publish to, for [`server_barrier`].
const COORDINATOR_BARRIER: &str = "pegnet.barrier.jobs";
const MINER_BARRIER: &str = "pegnet.barrier.auth.hello";

fn secure_server() -> NatsServer {
    NatsServer::start_with(
        NatsOptions::with_config(nats_config("secure.conf"))
            .env("PEGNET_NATS_COORDINATOR_PASSWORD", COORDINATOR_PASSWORD)
            .env("PEGNET_NATS_MINER_PASSWORD", MINER_PASSWORD),
    )
    .expect("start nats-server with nats/secure.conf")
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

#[tokio::test]
async fn a_miner_cannot_publish_jobs_or_minute_events() {
    let server = secure_server();
    let (coordinator, _) = connect_as(&server, "coordinator", COORDINATOR_PASSWORD).await;
    let mut jobs = coordinator
        .subscribe("pegnet.mainnet.jobs")
        .await
        .expect("subscribe");
    let mut stats = coordinator
        .subscribe("pegnet.mainnet.stats")
        .await
        .expect("subscribe");
    server_barrier(&coordinator, COORDINATOR_BARRIER)
        .await
        .expect("barrier");
    let (miner, mut miner_errors) = connect_as(&server, "miner", MINER_PASSWORD).await;

    for subject in ["pegnet.mainnet.jobs", "pegnet.mainnet.events.minute"] {
        miner
            .publish(subject, "forged".into())
            .await
            .expect("publish");
        miner.flush().await.expect("flush");
        let violation = next_violation(&mut miner_errors).await;
        assert!(
            violation.contains(&format!("Publish to \"{subject}\"")),
            "{violation}"
        );
    }

    // A permitted message from the same miner, published after the forgeries, is the marker:
    // the server delivers one publisher's messages in order, so once it arrives a forged job
    // that got through would already be waiting in `jobs`.
    miner
        .publish("pegnet.mainnet.stats", "marker".into())
        .await
        .expect("publish");
    miner.flush().await.expect("flush");
    let marker = timeout(WAIT, stats.next())
        .await
        .expect("in time")
        .expect("open");
    assert_eq!(marker.payload.as_ref(), b"marker");
    let forged = timeout(Duration::ZERO, jobs.next()).await;
    assert!(
        forged.is_err(),
        "a forged job reached the coordinator: {forged:?}"
    );
}

#[tokio::test]
async fn a_miner_says_hello_and_the_coordinator_answers() {
    let server = secure_server();
    let (coordinator, _) = connect_as(&server, "coordinator", COORDINATOR_PASSWORD).await;
    let mut hellos = coordinator
        .subscribe("pegnet.mainnet.auth.hello")
        .await
        .expect("subscribe");
    server_barrier(&coordinator, COORDINATOR_BARRIER)
        .await
        .expect("barrier");
    let responder = {
        let coordinator = coordinator.clone();
        tokio::spawn(async move {
            let hello = hellos.next().await.expect("a hello");
            let reply = hello.reply.expect("a reply subject");
            coordinator
                .publish(reply, "challenge".into())
                .await
                .expect("reply");
            coordinator.flush().await.expect("flush");
        })
    };

    let (miner, _) = connect_as(&server, "miner", MINER_PASSWORD).await;
    let challenge = timeout(
        WAIT,
        miner.request("pegnet.mainnet.auth.hello", "hello".into()),
    )
    .await
    .expect("reply in time")
    .expect("request");
    assert_eq!(challenge.payload.as_ref(), b"challenge");
    timeout(WAIT, responder)
        .await
        .expect("in time")
        .expect("responder ok");
}

#[tokio::test]
async fn a_job_reaches_miners_and_its_share_subject_acks() {
    let server = secure_server();
    let (coordinator, _) = connect_as(&server, "coordinator", COORDINATOR_PASSWORD).await;
    let mut shares = coordinator
        .subscribe("pegnet.mainnet.shares.>")
        .await
        .expect("subscribe");
    server_barrier(&coordinator, COORDINATOR_BARRIER)
        .await
        .expect("barrier");
    let (miner, _) = connect_as(&server, "miner", MINER_PASSWORD).await;
    let mut jobs = miner
        .subscribe("pegnet.mainnet.jobs")
        .await
        .expect("subscribe");
    server_barrier(&miner, MINER_BARRIER)
        .await
        .expect("barrier");

    coordinator
        .publish_with_reply(
            "pegnet.mainnet.jobs",
            "pegnet.mainnet.shares.j1",
            "job".into(),
        )
        .await
        .expect("publish job");
    let job = timeout(WAIT, jobs.next())
        .await
        .expect("in time")
        .expect("open");
    let share_subject = job.reply.expect("the job names its share subject");

    let acker = {
        let coordinator = coordinator.clone();
        tokio::spawn(async move {
            let batch = shares.next().await.expect("a share batch");
            let reply = batch.reply.expect("a reply subject");
            coordinator.publish(reply, "ack".into()).await.expect("ack");
            coordinator.flush().await.expect("flush");
        })
    };
    let ack = timeout(WAIT, miner.request(share_subject, "shares".into()))
        .await
        .expect("ack in time")
        .expect("request");
    assert_eq!(ack.payload.as_ref(), b"ack");
    timeout(WAIT, acker)
        .await
        .expect("in time")
        .expect("acker ok");
}

#[tokio::test]
async fn a_miner_cannot_read_other_miners_shares() {
    let server = secure_server();
    let (miner, mut miner_errors) = connect_as(&server, "miner", MINER_PASSWORD).await;
    let _snoop = miner
        .subscribe("pegnet.mainnet.shares.>")
        .await
        .expect("the client sends the subscription");
    miner.flush().await.expect("flush");
    let violation = next_violation(&mut miner_errors).await;
    assert!(
        violation.contains("Subscription to \"pegnet.mainnet.shares.>\""),
        "{violation}"
    );
}

#[tokio::test]
async fn a_wrong_password_is_refused() {
    let server = secure_server();
    let result = timeout(
        WAIT,
        ConnectOptions::with_user_and_password("miner".into(), "not-the-password".into())
            .connect(server.url()),
    )
    .await
    .expect("refused in time");
    let error = result.expect_err("a wrong password must not connect");
    assert_eq!(
        error.kind(),
        ConnectErrorKind::AuthorizationViolation,
        "{error}"
    );
}

#[test]
fn the_server_refuses_to_start_without_the_passwords() {
    let error = NatsServer::start_with(
        NatsOptions::with_config(nats_config("secure.conf"))
            .env("PEGNET_NATS_COORDINATOR_PASSWORD", COORDINATOR_PASSWORD),
    )
    .expect_err("an unset password variable must stop the server");
    match error {
        HarnessError::Exited { log, .. } => {
            assert!(log.contains("PEGNET_NATS_MINER_PASSWORD"), "{log}");
        }
        other => panic!("expected Exited, got {other:?}"),
    }
}
