//! Each program stops cleanly on SIGTERM (`docker stop`, a scale-down) and on Ctrl-C
//! (SIGINT), the way `pegnet-process` makes all three do: it logs `stopping` and exits 0.
//! Run as processes (the binaries `cargo nextest run --workspace` builds).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use std::time::Duration;

use pegnet_tests::NatsServer;
use pegnet_tests::process::{Program, free_port, workspace_binary};

/// Bounds that turn a hang into a failure; every wait ends on the event itself.
const READY: Duration = Duration::from_secs(60);
const STOPPED: Duration = Duration::from_secs(30);
const SECRET: &str = "signals-test-secret-0451-abcdef";
const PAYOUT: &str = "FA2jK2HcLnRdS94dEcU27rF3meoJfpUcZPSinpb7AwQvPRY6RL1Q";

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn log_env() -> Vec<(String, String)> {
    vec![("RUST_LOG".to_owned(), "info".to_owned())]
}

/// Starts a program, waits for `ready` in its log, sends `signal`, and checks it stopped
/// cleanly.
fn stops_on(signal: &str, name: &str, bin: &str, argv: &[String], ready: &str) {
    let mut env = log_env();
    env.push((
        "PEGNET_MINER_COORDINATORSECRET".to_owned(),
        SECRET.to_owned(),
    ));
    let mut program = Program::spawn(name, &workspace_binary(bin).unwrap(), argv, &env).unwrap();
    assert!(
        program.wait_for_log(ready, READY),
        "{name} never logged {ready:?}:\n{}",
        program.log()
    );
    program.signal(signal).unwrap();
    let status = program.wait_exit(STOPPED);
    let log = program.log();
    assert!(
        status.is_some_and(|s| s.success()),
        "{name} after SIG{signal}: {status:?}\n{log}"
    );
    assert!(log.contains("stopping"), "{name} did not say so:\n{log}");
}

fn devnet_args() -> Vec<String> {
    let factomd = format!("127.0.0.1:{}", free_port().unwrap());
    let feed = format!("127.0.0.1:{}", free_port().unwrap());
    args(&["--factomd-addr", &factomd, "--feed-addr", &feed])
}

#[test]
fn the_devnet_stops_on_sigterm_and_on_ctrl_c() {
    for signal in ["TERM", "INT"] {
        stops_on(
            signal,
            "devnet",
            "pegnet-devnet",
            &devnet_args(),
            "devnet started",
        );
    }
}

#[test]
fn the_miner_stops_on_sigterm_and_on_ctrl_c() {
    // No coordinator: the miner keeps asking for a session, and a signal still stops it.
    let nats = NatsServer::start().unwrap();
    let lxr = tempfile::tempdir().unwrap();
    for signal in ["TERM", "INT"] {
        let argv = args(&[
            "run",
            "--caddr",
            &nats.url(),
            "--name",
            "rig-signal",
            "--identity",
            "signals",
            "--payout",
            PAYOUT,
            "--miners",
            "1",
            "--lxr-bits",
            "10",
            "--lxr-dir",
            &lxr.path().display().to_string(),
        ]);
        stops_on(signal, "miner", "pegnet-miner", &argv, "miner started");
    }
}

#[test]
fn the_coordinator_stops_on_sigterm_and_on_ctrl_c() {
    let nats = NatsServer::start().unwrap();
    let factomd = format!("127.0.0.1:{}", free_port().unwrap());
    let feed = format!("127.0.0.1:{}", free_port().unwrap());
    let devnet_argv = args(&["--factomd-addr", &factomd, "--feed-addr", &feed]);
    let mut devnet = Program::spawn(
        "devnet",
        &workspace_binary("pegnet-devnet").unwrap(),
        &devnet_argv,
        &log_env(),
    )
    .unwrap();
    assert!(
        devnet.wait_for_log("devnet started", READY),
        "{}",
        devnet.log()
    );
    let dirs = tempfile::tempdir().unwrap();
    for signal in ["TERM", "INT"] {
        let state = dirs
            .path()
            .join(format!("state-{signal}"))
            .display()
            .to_string();
        let argv = args(&[
            "run",
            "--factomd",
            &factomd,
            "--ec-address",
            "Es2S6rtV7wTPbiwEWmcJApE2vfmVXntrWAyRJvyjhnzf1ctkrW8D",
            "--nats",
            &nats.url(),
            "--lxr-bits",
            "10",
            "--lxr-dir",
            &dirs.path().join("lxr").display().to_string(),
            "--state-dir",
            &state,
            "--http-addr",
            &format!("127.0.0.1:{}", free_port().unwrap()),
        ]);
        stops_on(
            signal,
            "coordinator",
            "pegnet-coordinator",
            &argv,
            "coordinator started",
        );
    }
}
