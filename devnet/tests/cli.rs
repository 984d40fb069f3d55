//! The `pegnet-devnet` binary's command line: every configuration key has a documented flag,
//! and bad flags, values, files and environment variables fail with a message naming them.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use std::collections::BTreeSet;
use std::process::{Command, Output};

use pegnet_devnet::DevnetConfig;

fn devnet(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pegnet-devnet"));
    cmd.args(args).env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn help_documents_a_flag_for_every_config_key() {
    let out = devnet(&["-h"], &[]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    // Every flag line carries a description.
    let mut flags = BTreeSet::new();
    for line in help.lines().map(str::trim_start) {
        if let Some(rest) = line.strip_prefix("--") {
            let flag = rest.split([' ', '<']).next().unwrap().to_owned();
            let described = line.split("  ").filter(|s| !s.trim().is_empty()).count() >= 2;
            assert!(described, "--{flag} has no description: {line:?}");
            flags.insert(flag);
        } else if let Some(rest) = line.strip_prefix("-h, --") {
            flags.insert(rest.split(' ').next().unwrap().to_owned());
        } else if let Some(rest) = line.strip_prefix("-V, --") {
            flags.insert(rest.split(' ').next().unwrap().to_owned());
        }
    }
    let keys = serde_json::to_value(DevnetConfig::default()).unwrap();
    let mut want: BTreeSet<String> = keys
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.replace('_', "-"))
        .collect();
    want.extend(["config", "log-json", "help", "version"].map(String::from));
    assert_eq!(flags, want);
    // The development key is documented, secret included.
    assert!(help.contains(pegnet_devnet::config::DEV_EC_SECRET));
    assert!(help.contains(pegnet_devnet::config::DEV_EC_ADDRESS));
}

#[test]
fn bad_input_is_named() {
    let out = devnet(&["--bogus"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--bogus"), "{}", stderr(&out));

    let out = devnet(&["--clock", "fast"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("expected `timed` or `stepped`"));

    let out = devnet(&["--block-seconds", "0"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("block_seconds"), "{}", stderr(&out));

    let out = devnet(
        &[
            "--fund",
            "EC2gkedyUEQEoqMN2YmMmrnnJMJzH7P5rkT3cqnZTSWsRsrR1aBX=5",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("`fund`"), "{}", stderr(&out));

    let out = devnet(&[], &[("PEGNET_DEVNET_LXR_BITS", "99")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("lxr_bits"), "{}", stderr(&out));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("devnet.toml");
    std::fs::write(&file, "block_secs = 5\n").unwrap();
    let out = devnet(&["--config", file.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("block_secs"), "{}", stderr(&out));

    let out = devnet(&["--config", "/no/such/devnet.toml"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/no/such/devnet.toml"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn example_config_validates() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/devnet.example.toml"))
        .unwrap();
    let config: DevnetConfig = toml_from_str(&text);
    config.validate().unwrap();
}

fn toml_from_str(text: &str) -> DevnetConfig {
    use figment::providers::{Format, Toml};
    figment::Figment::from(Toml::string(text))
        .extract()
        .unwrap()
}
