//! The operator commands, run as a user would run them.

#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use std::process::Command;

fn coordinator(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pegnet-coordinator"))
        .args(args)
        .output()
        .expect("runs")
}

fn testdata(rel: &str) -> String {
    format!("{}/../testdata/{rel}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn grade_prints_the_recorded_winners_in_order() {
    for height in [209_000, 210_419, 222_271] {
        let file = testdata(&format!("grading/{height}.json"));
        let out = coordinator(&["grade", &file, "--self-reported"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let want: Vec<&str> = json["Winners"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(stdout.lines().collect::<Vec<_>>(), want);
    }
}

#[test]
fn decode_entry_shows_the_entry_and_its_opr() {
    // 222271's first entry, rebuilt from the block file's fields.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(testdata("grading/222271.json")).unwrap())
            .unwrap();
    let e = &json["Entries"][0];
    let b64 = |s: &serde_json::Value| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(s.as_str().unwrap())
            .unwrap()
    };
    let chain: pegnet_common::factom::ChainId =
        "a642a8674f46696cc47fdb6b65f9c87b2a19c5ea8123b3d2f0c13b6f33a9d5ef"
            .parse()
            .unwrap();
    let ext = e["ExtIDs"].as_array().unwrap().iter().map(b64).collect();
    let entry = pegnet_common::factom::Entry::new(chain, ext, b64(&e["Content"])).unwrap();
    let out = coordinator(&["decode-entry", &hex::encode(entry.marshal())]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(&format!("entry_hash {}\n", e["Hash"].as_str().unwrap())),
        "{stdout}"
    );
    assert!(stdout.contains("opr_version 3\n"));
    assert!(stdout.contains("height 222271\n"));
    assert!(stdout.contains("asset USD 1.00000000\n"));
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("winner[")).count(),
        25
    );
}

#[test]
fn bad_input_is_a_clear_error_and_a_failure() {
    let out = coordinator(&["decode-entry", "zz"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid hex"));

    let out = coordinator(&["decode-entry", "00"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("shorter than the 35-byte header"));

    let out = coordinator(&["grade", "/nonexistent/block.json", "--self-reported"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/block.json"));
}

const STRONG: &str = "a-secret-of-at-least-16-bytes";

fn example() -> String {
    format!("{}/coordinator.example.toml", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn run_refuses_bad_settings_naming_the_key_from_every_layer() {
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_pegnet-coordinator"))
            .args(["run", "--config", &example()])
            .args(args)
            // The example's secret is refused; each case breaks one other key.
            .env("PEGNET_MINER_COORDINATORSECRET", STRONG)
            .envs(env.iter().copied())
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stderr).unwrap()
    };
    let e = run(&[("PEGNET_COORDINATOR_ENTRYPOLICY", "best")], &[]);
    assert!(e.contains("Coordinator.EntryPolicy"), "{e}");
    let e = run(&[], &["--ec-address", "ECnope"]);
    assert!(e.contains("Miner.ECAddress"), "{e}");
    let e = run(&[("PEGNET_MINER_COORDINATORSECRET", "")], &[]);
    assert!(e.contains("Miner.CoordinatorSecret"), "{e}");
    // The flag beats the environment.
    let e = run(
        &[("PEGNET_COORDINATOR_ENTRYPOLICY", "all")],
        &["--policy", "worst"],
    );
    assert!(e.contains("\"worst\""), "{e}");
}

#[test]
fn run_refuses_a_weak_secret_and_says_how_to_make_one() {
    for (secret, shown) in [
        // The example file's own value.
        (None, "published"),
        (Some("short-secret"), "12 bytes"),
        (Some(""), "empty"),
        (Some("CHANGE-ME"), "published"),
    ] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pegnet-coordinator"));
        command
            .args(["run", "--config", &example()])
            .env_remove("PEGNET_MINER_COORDINATORSECRET");
        if let Some(secret) = secret {
            command.env("PEGNET_MINER_COORDINATORSECRET", secret);
        }
        let out = command.output().expect("runs");
        assert_eq!(out.status.code(), Some(1));
        let e = String::from_utf8(out.stderr).unwrap();
        assert!(e.contains("Miner.CoordinatorSecret"), "{e}");
        assert!(e.contains(shown), "{e}");
        assert!(e.contains("pegnet-coordinator init"), "{e}");
        assert!(e.contains("openssl rand -base64 32"), "{e}");
    }
}

#[test]
fn run_help_names_every_flag_with_its_key() {
    let out = coordinator(&["run", "--help"]);
    let help = String::from_utf8(out.stdout).unwrap();
    for key in [
        "Miner.Network",
        "Miner.FactomdLocation",
        "Miner.ECAddress",
        "Miner.CoordinatorSecret",
        "Miner.UseCoordinatorAuthentication",
        "Miner.RecordsPerBlock",
        "Coordinator.NatsUrl",
        "Coordinator.NatsCaFile",
        "Coordinator.EntryPolicy",
        "Coordinator.LxrBits",
        "Coordinator.HttpAddr",
    ] {
        assert!(help.contains(key), "{key} in --help:\n{help}");
    }
}

/// `datasources` as an operator runs it: stdout one `ASSET sources` line per asset of the
/// version, stderr the warnings, with the settings of the example, an environment variable
/// and a file of the operator's own.
fn datasources(args: &[&str], env: &[(&str, &str)]) -> (std::process::Output, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pegnet-coordinator"))
        .arg("datasources")
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("runs");
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    (out, stdout, stderr)
}

#[test]
fn datasources_prints_each_asset_with_its_sources_in_order() {
    let (out, stdout, stderr) = datasources(&["--config", &example()], &[]);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    let assets: Vec<&str> = lines.iter().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(assets, pegnet_common::opr::ASSETS_V5);
    for want in [
        "PEG CoinGecko",
        "USD FixedUSD,ExchangeRateApi,CoinGecko,Coinbase",
        "EUR ExchangeRateApi,CoinGecko,Coinbase,ECB",
        "RWF ExchangeRateApi,Coinbase",
        "XAU CoinGecko,Coinbase",
        "XBT CoinGecko,Coinbase,CoinPaprika",
        "DGB CoinGecko,CoinPaprika",
        "FCT CoinGecko",
    ] {
        assert!(lines.contains(&want), "{want} in\n{stdout}");
    }
    // Without keys, PEG and FCT (neither in CoinPaprika's tickers) have one source each.
    assert!(
        stderr.contains("one source only for PEG, FCT ("),
        "{stderr}"
    );
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn datasources_follows_priorities_overrides_and_keys_and_warns_of_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(
        &file,
        "[OracleDataSources]\nFixedUSD = 0\nCoinMarketCap = 1\nAPILayer = 2\nCoinbase = 3\n\
         CoinGecko = -1\nExchangeRateApi = -1\nECB = 5\n\
         [OracleAssetDataSourcesPriority]\nXBT = \"Coinbase,APILayer\"\n",
    )
    .unwrap();
    let path = file.display().to_string();
    let (out, stdout, stderr) = datasources(&["--config", &path], &[]);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    for want in [
        "PEG CoinMarketCap",
        "XBT Coinbase,APILayer",
        "EUR APILayer,Coinbase,ECB",
        "DGB CoinMarketCap,CoinPaprika",
    ] {
        assert!(lines.contains(&want), "{want} in\n{stdout}");
    }
    assert!(
        stderr.contains("one source only for PEG, FCT ("),
        "{stderr}"
    );

    // Every crypto source off (CoinGecko through the environment): the assets left without
    // a source are listed alone and each gets a warning.
    std::fs::write(
        &file,
        "[OracleDataSources]\nFixedUSD = 0\nExchangeRateApi = 1\nCoinGecko = 2\nECB = 3\n\
         Coinbase = -1\nCoinPaprika = -1\n",
    )
    .unwrap();
    let (out, stdout, stderr) = datasources(
        &["--config", &path, "--opr-version", "4"],
        &[("PEGNET_ORACLEDATASOURCES_COINGECKO", "-1")],
    );
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 42, "the version 4 list");
    assert!(lines.contains(&"PEG") && lines.contains(&"XAU") && lines.contains(&"XTZ"));
    assert!(lines.contains(&"EUR ExchangeRateApi,ECB"), "{stdout}");
    assert!(
        stderr.contains("warning: PEG has no enabled source"),
        "{stderr}"
    );
    // PEG, the two metals and the 18 cryptos of version 4.
    assert_eq!(stderr.matches("warning:").count(), 1 + 2 + 18, "{stderr}");

    // A configuration error is an error naming the key.
    std::fs::write(&file, "[OracleDataSources]\nKitco = 1\n").unwrap();
    let (out, _, stderr) = datasources(&["--config", &path], &[]);
    assert!(!out.status.success());
    assert!(
        stderr.contains("OracleDataSources.Kitco: unknown source"),
        "{stderr}"
    );
}

#[test]
fn init_writes_the_files_once_and_keeps_or_refuses_them_after() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets");
    let secrets_arg = secrets.to_str().unwrap();
    let out = coordinator(&["init", "--dir", secrets_arg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let wrote: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        wrote.len(),
        pegnet_coordinator::init::FILES.len(),
        "{stdout}"
    );
    for (line, file) in wrote.iter().zip(pegnet_coordinator::init::FILES) {
        assert_eq!(*line, format!("wrote {}", secrets.join(file).display()));
    }
    let env = std::fs::read_to_string(secrets.join("miner/miner.env")).unwrap();
    // A container's entrypoint sources it with sh (compose's env_file reads host files only).
    let sourced = Command::new("sh")
        .args([
            "-c",
            "set -a; . \"$1\"; printf '%s\\n%s' \"$PEGNET_MINER_COORDINATORSECRET\" \"$PEGNET_MINER_MININGCOORDINATORHOST\"",
            "sh",
        ])
        .arg(secrets.join("miner/miner.env"))
        .output()
        .unwrap();
    assert!(sourced.status.success());
    let sourced = String::from_utf8(sourced.stdout).unwrap();
    for (line, value) in [
        "PEGNET_MINER_COORDINATORSECRET",
        "PEGNET_MINER_MININGCOORDINATORHOST",
    ]
    .iter()
    .zip(sourced.lines())
    {
        assert!(
            env.contains(&format!("\n{line}={value}\n")),
            "{line}: {value}"
        );
    }
    assert_eq!(sourced.lines().count(), 2);

    // Run again as a compose one-shot service does: the files stay.
    let out = coordinator(&["init", "--dir", secrets_arg, "--if-missing"]);
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("kept "));
    assert_eq!(
        std::fs::read_to_string(secrets.join("miner/miner.env")).unwrap(),
        env
    );

    let out = coordinator(&["init", "--dir", secrets_arg]);
    assert_eq!(out.status.code(), Some(1));
    let e = String::from_utf8(out.stderr).unwrap();
    assert!(e.contains("coordinator.env exists"), "{e}");

    let out = coordinator(&["init", "--dir", secrets_arg, "--force", "--if-missing"]);
    assert!(!out.status.success(), "the two flags exclude each other");

    // The written coordinator.toml loads as `run --config` loads it; what is missing is only
    // what init does not write (the EC key first), not the secret.
    let toml = secrets.join("coordinator/coordinator.toml");
    let config =
        pegnet_coordinator::config::Config::load(Some(&toml), &serde_json::json!({})).unwrap();
    assert!(
        config
            .validate()
            .unwrap_err()
            .to_string()
            .starts_with("Miner.ECAddress")
    );
}
