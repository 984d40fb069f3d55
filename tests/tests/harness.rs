//! The nats-server harness against a real server: messages flow, a restart is survived by
//! async-nats clients, servers are independent, and nothing outlives its handle.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use async_nats::{ConnectOptions, Event};
use futures_util::StreamExt as _;
use pegnet_tests::{HarnessError, NatsOptions, NatsServer, nats_config, server_barrier};
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Generous: these waits end on an event, the bound only turns a hang into a failure.
const WAIT: Duration = Duration::from_secs(10);

/// A subject nobody subscribes to, for [`server_barrier`].
const BARRIER: &str = "pegnet.test.barrier";

/// A client whose connection events arrive on the returned channel, reconnecting quickly.
async fn client_with_events(url: &str) -> (async_nats::Client, mpsc::Receiver<Event>) {
    let (events_tx, events_rx) = mpsc::channel(64);
    let client = ConnectOptions::new()
        .reconnect_delay_callback(|_attempts| Duration::from_millis(20))
        .event_callback(move |event| {
            let events_tx = events_tx.clone();
            async move {
                // The test may have stopped listening; later events do not matter then.
                events_tx.send(event).await.ok();
            }
        })
        .connect(url)
        .await
        .expect("connect");
    (client, events_rx)
}

async fn next_event_matching(events: &mut mpsc::Receiver<Event>, wanted: fn(&Event) -> bool) {
    timeout(WAIT, async {
        loop {
            let event = events.recv().await.expect("event channel open");
            if wanted(&event) {
                return;
            }
        }
    })
    .await
    .expect("the awaited connection event in time");
}

fn accepts_connections(port: u16) -> bool {
    TcpStream::connect_timeout(
        &SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        Duration::from_secs(1),
    )
    .is_ok()
}

#[tokio::test]
async fn publish_and_subscribe_round_trip() {
    let server = NatsServer::start().expect("start nats-server");
    assert_eq!(server.url(), format!("nats://127.0.0.1:{}", server.port()));
    let client = async_nats::connect(server.url()).await.expect("connect");
    let mut subscriber = client
        .subscribe("pegnet.test.events")
        .await
        .expect("subscribe");
    server_barrier(&client, BARRIER).await.expect("barrier");

    client
        .publish("pegnet.test.events", "minute 1".into())
        .await
        .expect("publish");
    let message = timeout(WAIT, subscriber.next())
        .await
        .expect("message in time")
        .expect("subscription open");
    assert_eq!(message.subject.as_str(), "pegnet.test.events");
    assert_eq!(message.payload.as_ref(), b"minute 1");
}

#[tokio::test]
async fn request_and_reply() {
    let server = NatsServer::start().expect("start nats-server");
    let responder = async_nats::connect(server.url()).await.expect("connect");
    let mut requests = responder
        .subscribe("pegnet.test.echo")
        .await
        .expect("subscribe");
    server_barrier(&responder, BARRIER).await.expect("barrier");
    let echo = tokio::spawn(async move {
        let request = requests.next().await.expect("a request");
        let reply = request.reply.expect("a reply subject");
        responder
            .publish(reply, request.payload)
            .await
            .expect("reply");
        responder.flush().await.expect("flush");
    });

    let requester = async_nats::connect(server.url()).await.expect("connect");
    let response = timeout(WAIT, requester.request("pegnet.test.echo", "hello".into()))
        .await
        .expect("reply in time")
        .expect("request");
    assert_eq!(response.payload.as_ref(), b"hello");
    timeout(WAIT, echo)
        .await
        .expect("responder done")
        .expect("responder ok");
}

#[tokio::test]
async fn clients_reconnect_and_subscriptions_resume_after_a_restart() {
    let mut server = NatsServer::start().expect("start nats-server");
    let port = server.port();
    let (client, mut events) = client_with_events(&server.url()).await;
    let mut subscriber = client
        .subscribe("pegnet.test.jobs")
        .await
        .expect("subscribe");
    server_barrier(&client, BARRIER).await.expect("barrier");

    server.restart().expect("restart nats-server");
    assert_eq!(server.port(), port, "a restart keeps the port");
    next_event_matching(&mut events, |e| matches!(e, Event::Disconnected)).await;
    next_event_matching(&mut events, |e| matches!(e, Event::Connected)).await;
    // The round trip guarantees the server has the re-sent subscription before anyone publishes.
    timeout(WAIT, server_barrier(&client, BARRIER))
        .await
        .expect("barrier in time")
        .expect("barrier");

    let publisher = async_nats::connect(server.url()).await.expect("connect");
    publisher
        .publish("pegnet.test.jobs", "job 2".into())
        .await
        .expect("publish");
    publisher.flush().await.expect("flush");
    let message = timeout(WAIT, subscriber.next())
        .await
        .expect("message after the restart in time")
        .expect("subscription open");
    assert_eq!(message.payload.as_ref(), b"job 2");
    assert!(server.log().contains("pegnet-tests: restart"));
}

#[tokio::test]
async fn parallel_servers_are_independent() {
    let first = NatsServer::start().expect("start the first nats-server");
    let second = NatsServer::start().expect("start the second nats-server");
    assert_ne!(first.port(), second.port());
    assert_ne!(first.pid(), second.pid());

    let on_first = async_nats::connect(first.url()).await.expect("connect");
    let on_second = async_nats::connect(second.url()).await.expect("connect");
    let mut from_first = on_first
        .subscribe("pegnet.test.where")
        .await
        .expect("subscribe");
    let mut from_second = on_second
        .subscribe("pegnet.test.where")
        .await
        .expect("subscribe");
    server_barrier(&on_first, BARRIER).await.expect("barrier");
    server_barrier(&on_second, BARRIER).await.expect("barrier");

    on_second
        .publish("pegnet.test.where", "second".into())
        .await
        .expect("publish");
    on_first
        .publish("pegnet.test.where", "first".into())
        .await
        .expect("publish");
    let got_first = timeout(WAIT, from_first.next())
        .await
        .expect("in time")
        .expect("open");
    let got_second = timeout(WAIT, from_second.next())
        .await
        .expect("in time")
        .expect("open");
    assert_eq!(got_first.payload.as_ref(), b"first");
    assert_eq!(got_second.payload.as_ref(), b"second");
}

#[test]
fn dropping_the_handle_kills_the_server() {
    let server = NatsServer::start().expect("start nats-server");
    let port = server.port();
    assert!(accepts_connections(port));
    drop(server);
    // Drop kills and reaps the process, so its listening socket is already closed.
    assert!(!accepts_connections(port), "port {port} still accepts");
}

#[test]
fn stop_closes_the_port_and_restart_opens_it_again() {
    let mut server = NatsServer::start().expect("start nats-server");
    let port = server.port();
    server.stop().expect("stop");
    assert!(!server.is_running());
    assert!(!accepts_connections(port));
    server.stop().expect("stopping twice is fine");
    server.restart().expect("restart");
    assert!(server.is_running());
    assert_eq!(server.port(), port);
    assert!(accepts_connections(port));
}

#[test]
fn a_server_that_dies_at_start_up_is_reported_with_its_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("broken.conf");
    std::fs::write(&config, "authorization { users = [ { user: a\n").expect("write config");
    let error = NatsServer::start_with(NatsOptions::with_config(&config))
        .expect_err("a broken config must not start");
    match &error {
        HarnessError::Exited { log, .. } => {
            assert!(log.contains("Parse error"), "the log says why: {log}");
        }
        other => panic!("expected Exited, got {other:?}"),
    }
}

#[test]
fn a_missing_config_file_is_named() {
    let error = NatsServer::start_with(NatsOptions::with_config("/nonexistent/pegnet.conf"))
        .expect_err("no such config");
    assert!(
        matches!(error, HarnessError::ConfigMissing { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("/nonexistent/pegnet.conf"));
}

#[tokio::test]
async fn the_dev_config_runs_on_the_harness_ports_with_its_payload_limit() {
    let server = NatsServer::start_with(NatsOptions::with_config(nats_config("dev.conf")))
        .expect("start nats-server with nats/dev.conf");
    // The harness's flags win over the file's fixed ports, so tests never collide on 4222/8222.
    assert_ne!(server.port(), 4222);
    let monitoring = server.monitoring_url().expect("monitoring on");
    assert!(!monitoring.ends_with(":8222"), "{monitoring}");

    let client = async_nats::connect(server.url()).await.expect("connect");
    // The protocol's own limit (DESIGN §4: the limits agree with every shipped config).
    assert_eq!(
        client.server_info().max_payload,
        pegnet_common::wire::MAX_MESSAGE_BYTES
    );
}

#[test]
fn every_shipped_config_limits_payloads_to_the_codecs_limit() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../nats");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("read nats/") {
        let path = entry.expect("an entry").path();
        let text = std::fs::read_to_string(&path).expect("read a config");
        // The files that configure a server (the others are included by them).
        if !(text.contains("listen:") || text.contains("include ./secure.conf")) {
            continue;
        }
        let limit = format!("max_payload: {}", pegnet_common::wire::MAX_MESSAGE_BYTES);
        assert!(
            text.contains(&limit) || text.contains("include ./secure.conf"),
            "{} must say `{limit}`",
            path.display()
        );
        checked += 1;
    }
    assert!(
        checked >= 5,
        "dev, secure, tls, compose and leaf configs: {checked}"
    );
}

#[tokio::test]
async fn jetstream_can_be_switched_on() {
    let server = NatsServer::start_with(NatsOptions {
        jetstream: true,
        ..NatsOptions::default()
    })
    .expect("start nats-server with JetStream");
    let client = async_nats::connect(server.url()).await.expect("connect");
    let jetstream = async_nats::jetstream::new(client);
    let info = timeout(WAIT, jetstream.query_account())
        .await
        .expect("in time")
        .expect("JetStream answers");
    assert_eq!(info.streams, 0);
}
