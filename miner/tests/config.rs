//! The miner's configuration as a user meets it: the committed example loads and validates
//! and documents every key, the environment overrides the file, flags override both, and
//! mistakes are errors that name the key, from the library and from `pegnet-miner run`.

#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use std::path::PathBuf;
use std::process::Command;

use pegnet_miner::config::KEYS;
use pegnet_miner::{ConfigError, Flags, Sources, load};

const STRONG: &str = "a-secret-of-at-least-16-bytes";

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("miner.example.toml")
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn the_example_config_loads_validates_and_documents_every_key() {
    let config = load(&Sources {
        file: Some(example()),
        ..Sources::default()
    })
    .unwrap();
    // The example's secret is published, so it is refused until replaced.
    let e = config.validate().unwrap_err().to_string();
    assert!(e.starts_with("Miner.CoordinatorSecret"), "{e}");
    let config = load(&Sources {
        file: Some(example()),
        env: env(&[("PEGNET_MINER_COORDINATORSECRET", STRONG)]),
        ..Sources::default()
    })
    .unwrap();
    let settings = config.validate().unwrap();
    assert_eq!(settings.subjects.prefix(), "pegnet.mainnet");
    assert_eq!(settings.records_per_block, 10);
    assert_eq!(settings.lxr_bits, 30);
    assert!(settings.secret.is_some());
    let text = std::fs::read_to_string(example()).unwrap();
    for key in KEYS {
        assert!(
            text.lines()
                .any(|l| l.trim_start_matches("# ").starts_with(&format!("{key} ="))),
            "miner.example.toml does not document {key}"
        );
    }
}

#[test]
fn the_environment_overrides_the_file_and_flags_override_both() {
    let sources = Sources {
        file: Some(example()),
        env: env(&[
            ("PEGNET_MINER_NUMBEROFMINERS", "3"),
            ("PEGNET_MINER_RECORDSPERBLOCK", "4"),
            ("PEGNET_MINER_USECOORDINATORAUTHENTICATION", "false"),
            ("PEGNET_MINER_NETWORK", "TestNet"),
            ("PEGNET_COORDINATOR_NUMBEROFMINERS", "99"),
        ]),
        flags: Flags {
            top: Some(6),
            caddr: Some("nats://miner:pw@10.0.0.1:4222".into()),
            ..Flags::default()
        },
    };
    let config = load(&sources).unwrap();
    assert_eq!(config.number_of_miners, 3);
    assert_eq!(config.records_per_block, 6);
    assert!(!config.use_coordinator_authentication);
    let settings = config.validate().unwrap();
    assert_eq!(settings.threads, 3);
    assert_eq!(settings.subjects.prefix(), "pegnet.testnet");
    assert!(settings.secret.is_none());
    assert_eq!(settings.servers_for_log(), "nats://10.0.0.1:4222");
}

#[test]
fn an_unknown_key_is_an_error_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("miner.toml");
    let text = std::fs::read_to_string(example())
        .unwrap()
        .replace("RecordsPerBlock", "RecordPerBlock");
    std::fs::write(&path, text).unwrap();
    let error = load(&Sources {
        file: Some(path),
        ..Sources::default()
    })
    .unwrap_err();
    assert!(
        matches!(&error, ConfigError::UnknownKey { key, .. } if key == "Miner.RecordPerBlock"),
        "{error}"
    );
}

fn pegnet_miner(args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pegnet-miner"))
        .args(args)
        .env_clear()
        .envs(envs.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn run_refuses_a_bad_config_naming_the_key() {
    let out = pegnet_miner(
        &[
            "run",
            "--identity",
            "acme",
            "--payout",
            "FAxyz",
            "--auth",
            "false",
        ],
        &[],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Miner.CoinbaseAddress: \"FAxyz\" is not a valid FA address"),
        "{stderr}"
    );
    let out = pegnet_miner(
        &["run", "--config", example().to_str().unwrap()],
        &[("PEGNET_MINER_COORDINATORSECRET", " ")],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Miner.CoordinatorSecret"), "{stderr}");
    assert!(!stderr.contains("change-me"), "{stderr}");
}

#[test]
fn run_refuses_a_weak_secret_and_says_how_to_make_one() {
    let example = example();
    for (envs, shown) in [
        // The example file's own value.
        (vec![], "published"),
        (
            vec![("PEGNET_MINER_COORDINATORSECRET", "short-secret")],
            "12 bytes",
        ),
        (vec![("PEGNET_MINER_COORDINATORSECRET", "")], "empty"),
    ] {
        let out = pegnet_miner(&["run", "--config", example.to_str().unwrap()], &envs);
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("Miner.CoordinatorSecret"), "{stderr}");
        assert!(stderr.contains(shown), "{stderr}");
        assert!(stderr.contains("pegnet-coordinator init"), "{stderr}");
        assert!(stderr.contains("openssl rand -base64 32"), "{stderr}");
    }
}

#[test]
fn run_help_lists_the_flags() {
    let out = pegnet_miner(&["run", "--help"], &[]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--caddr",
        "--nats-ca",
        "--miners",
        "--top",
        "--identity",
        "--payout",
        "--secret",
        "--config",
        "--metrics-addr",
        "--lxr-bits",
        "--name",
        "--log-json",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}
