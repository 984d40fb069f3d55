//! Every panel query of every dashboard returns data from a real Prometheus that scraped a
//! real running system: nats-server (the harness), then the built binaries `pegnet-devnet`
//! (fast blocks), `pegnet-coordinator` and two `pegnet-miner`s as processes, and Prometheus
//! scraping them every second with the repository's alert rules loaded. Every process is
//! killed by its own PID when the test ends, pass or fail.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use pegnet_tests::NatsServer;
use pegnet_tests::dashboard::{Dashboard, dashboards_dir, label_values_query, substitute};
use pegnet_tests::process::{Program, free_port, workspace_binary};
use pegnet_tests::prometheus::{Prometheus, prometheus_dir};
use serde_json::Value;

/// Seconds per devnet block: ten minutes of 1.5 s, slow enough for the coordinator to write
/// at minute 9 on a busy machine, fast enough to see blocks within a test.
const BLOCK_SECONDS: &str = "15";
/// The table size of the coordinator and the miners (a test table: generated in a blink).
const LXR_BITS: &str = "16";
/// The devnet's funded development EC key (`pegnet_devnet::config::DEV_EC_SECRET`).
const EC_KEY: &str = "Es2S6rtV7wTPbiwEWmcJApE2vfmVXntrWAyRJvyjhnzf1ctkrW8D";
const SECRET: &str = "observability-test-secret-0451";
/// Name (the `miner` label), identity and payout of each miner.
const MINERS: [(&str, &str, &str); 2] = [
    (
        "obs-miner-1",
        "obs1",
        "FA2jK2HcLnRdS94dEcU27rF3meoJfpUcZPSinpb7AwQvPRY6RL1Q",
    ),
    (
        "obs-miner-2",
        "obs2",
        "FA1zT4aFpEvcnPqPCigB3fvGu4Q4mTXY22iiuV69DqE1pNhdF2MC",
    ),
];
/// How long the system may take to write two blocks, from the start of the processes.
const DEADLINE: Duration = Duration::from_secs(240);
const POLL: Duration = Duration::from_millis(500);

/// The running system. Fields drop in declaration order: Prometheus, the programs, nats-server,
/// then the programs' directories.
struct System {
    prometheus: Prometheus,
    programs: Vec<Program>,
    _nats: NatsServer,
    _dirs: tempfile::TempDir,
}

fn addr(port: u16) -> String {
    format!("127.0.0.1:{port}")
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

fn start_system() -> System {
    let nats = NatsServer::start().expect("nats-server");
    let nats_url = nats.url();
    let dirs = tempfile::tempdir().expect("a temporary directory");
    let dir = |name: &str| dirs.path().join(name).display().to_string();
    let bin = |name: &str| workspace_binary(name).expect("a workspace binary");
    let port = || free_port().expect("a free port");
    let (factomd, feed, coordinator) = (port(), port(), port());
    let miner_ports = [port(), port()];
    let log = [("RUST_LOG".to_owned(), "info,async_nats=warn".to_owned())];

    let mut programs = vec![
        Program::spawn(
            "devnet",
            &bin("pegnet-devnet"),
            &strings(&[
                "--factomd-addr",
                &addr(factomd),
                "--feed-addr",
                &addr(feed),
                "--block-seconds",
                BLOCK_SECONDS,
            ]),
            &log,
        )
        .expect("the devnet"),
    ];
    let feed_url = format!("http://{}", addr(feed));
    // As run-devnet: every price API points at the devnet's feed, the keyed ones enabled too.
    let mut env: Vec<(String, String)> = [
        "COINGECKOURL",
        "EXCHANGERATEAPIURL",
        "OPENEXCHANGERATESURL",
        "COINBASEURL",
        "ECBURL",
        "COINMARKETCAPURL",
        "APILAYERURL",
        "COINPAPRIKAURL",
    ]
    .iter()
    .map(|key| (format!("PEGNET_ORACLE_{key}"), feed_url.clone()))
    .collect();
    for (key, value) in [
        ("PEGNET_ORACLE_CACHETTLSECONDS", "0"),
        ("PEGNET_ORACLE_OPENEXCHANGERATESKEY", "devnet"),
        ("PEGNET_ORACLE_COINMARKETCAPKEY", "devnet"),
        ("PEGNET_ORACLE_APILAYERKEY", "devnet"),
        ("PEGNET_ORACLEDATASOURCES_OPENEXCHANGERATES", "5"),
        ("PEGNET_ORACLEDATASOURCES_COINMARKETCAP", "6"),
        ("PEGNET_ORACLEDATASOURCES_APILAYER", "7"),
        ("PEGNET_COORDINATOR_FINALGRACEMS", "1000"),
        ("PEGNET_MINER_COORDINATORSECRET", SECRET),
    ] {
        env.push((key.to_owned(), value.to_owned()));
    }
    env.extend(log.iter().cloned());
    programs.push(
        Program::spawn(
            "coordinator",
            &bin("pegnet-coordinator"),
            &strings(&[
                "run",
                "--factomd",
                &addr(factomd),
                "--ec-address",
                EC_KEY,
                "--nats",
                &nats_url,
                "--lxr-bits",
                LXR_BITS,
                "--lxr-dir",
                &dir("coordinator-lxr"),
                "--state-dir",
                &dir("coordinator-state"),
                "--http-addr",
                &addr(coordinator),
                "--poll-interval-ms",
                "200",
            ]),
            &env,
        )
        .expect("the coordinator"),
    );
    for ((name, identity, payout), port) in MINERS.iter().zip(miner_ports) {
        let mut env = vec![(
            "PEGNET_MINER_COORDINATORSECRET".to_owned(),
            SECRET.to_owned(),
        )];
        env.extend(log.iter().cloned());
        programs.push(
            Program::spawn(
                name,
                &bin("pegnet-miner"),
                &strings(&[
                    "run",
                    "--caddr",
                    &nats_url,
                    "--name",
                    name,
                    "--identity",
                    identity,
                    "--payout",
                    payout,
                    "--miners",
                    "1",
                    "--top",
                    "10",
                    "--lxr-bits",
                    LXR_BITS,
                    "--lxr-dir",
                    &dir(&format!("{name}-lxr")),
                    "--metrics-addr",
                    &addr(port),
                ]),
                &env,
            )
            .expect("a miner"),
        );
    }

    let miner_targets: Vec<String> = miner_ports
        .iter()
        .map(|p| format!("'{}'", addr(*p)))
        .collect();
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
         rule_files:\n  - '{rules}/*.yml'\n\
         scrape_configs:\n\
         \x20 - job_name: coordinator\n    static_configs:\n      - targets: ['{coordinator}']\n\
         \x20 - job_name: miner\n    static_configs:\n      - targets: [{miners}]\n",
        rules = prometheus_dir().join("rules").display(),
        coordinator = addr(coordinator),
        miners = miner_targets.join(", "),
    );
    let prometheus = Prometheus::start(&config).expect("prometheus");
    System {
        prometheus,
        programs,
        _nats: nats,
        _dirs: dirs,
    }
}

impl System {
    /// Polls until `expr` returns a sample, failing at the deadline (or at once when one of
    /// the programs exited) with every program's log.
    fn wait_for(&mut self, expr: &str, started: Instant) {
        loop {
            for program in &mut self.programs {
                if let Err(e) = program.check_running() {
                    panic!("{e}");
                }
            }
            match self.prometheus.query(expr) {
                Ok(samples) if !samples.is_empty() => return,
                Ok(_) => {}
                Err(e) => panic!("{e}"),
            }
            assert!(
                started.elapsed() < DEADLINE,
                "{expr} returned nothing within {DEADLINE:?}\n{}",
                self.logs()
            );
            std::thread::sleep(POLL);
        }
    }

    fn logs(&self) -> String {
        let tail = |log: String| {
            let lines: Vec<&str> = log.lines().collect();
            lines[lines.len().saturating_sub(30)..].join("\n")
        };
        let mut out: Vec<String> = self
            .programs
            .iter()
            .map(|p| format!("--- {} ---\n{}", p.name(), tail(p.log())))
            .collect();
        out.push(format!(
            "--- prometheus ---\n{}",
            tail(self.prometheus.log())
        ));
        out.join("\n")
    }
}

/// Every rule Prometheus evaluated so far evaluated without an error (a many-to-many match or
/// a type error only shows at evaluation).
fn rule_errors(prometheus: &Prometheus) -> Vec<String> {
    let rules = prometheus.api("/api/v1/rules", "rules").expect("the rules");
    let groups = rules
        .get("groups")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    assert!(!groups.is_empty(), "Prometheus loaded no rule group");
    groups
        .iter()
        .filter_map(|group| group.get("rules").and_then(Value::as_array))
        .flatten()
        .filter(|rule| rule.get("health").and_then(Value::as_str) == Some("err"))
        .map(|rule| format!("rule {}: {}", rule["name"], rule["lastError"]))
        .collect()
}

#[test]
fn every_panel_query_returns_data_from_a_running_system() {
    let dashboards = Dashboard::load_all(&dashboards_dir()).expect("the dashboards");
    let started = Instant::now();
    let mut system = start_system();
    // Two blocks written, both miners scraped, and a job for the block being built.
    system.wait_for(
        "changes(pegnet_coordinator_entries_written_total[10m]) >= 2",
        started,
    );
    system.wait_for("count(up{job=\"miner\"} == 1) == 2", started);
    system.wait_for("count(up{job=\"coordinator\"} == 1) == 1", started);

    let prometheus = &system.prometheus;
    let mut failures = rule_errors(prometheus);
    for dashboard in &dashboards {
        let mut overrides: Vec<(String, String)> = Vec::new();
        for variable in dashboard.variables.iter().filter(|v| v.kind == "query") {
            let Some((metric, label)) = label_values_query(&variable.query) else {
                failures.push(format!(
                    "{}: ${} is not label_values",
                    dashboard.title, variable.name
                ));
                continue;
            };
            let values: BTreeSet<String> = prometheus
                .label_values(&label, &metric)
                .expect("label values")
                .into_iter()
                .collect();
            if variable.name == "miner" {
                let ours: BTreeSet<String> =
                    MINERS.iter().map(|(n, _, _)| (*n).to_owned()).collect();
                assert_eq!(
                    values, ours,
                    "{}: ${} lists the running miners",
                    dashboard.title, variable.name
                );
            }
            match values.first() {
                Some(value) => overrides.push((variable.name.clone(), value.clone())),
                None => failures.push(format!(
                    "{}: ${} has no values",
                    dashboard.title, variable.name
                )),
            }
        }
        let overrides: Vec<(&str, &str)> = overrides
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let values = dashboard.variable_values(&overrides);
        for panel in &dashboard.panels {
            for target in &panel.targets {
                let expr = substitute(&target.expr, &values);
                let place = format!(
                    "{} / {:?} / {}",
                    dashboard.title, panel.title, target.ref_id
                );
                match prometheus.query(&expr) {
                    Ok(samples) if samples.is_empty() => {
                        failures.push(format!("{place}: no data for {expr}"));
                    }
                    Ok(_) => {}
                    Err(e) => failures.push(format!("{place}: {e}")),
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} queries failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
