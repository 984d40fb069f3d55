//! Every secret a committed example file publishes is on `EXAMPLE_SECRETS`, so both programs
//! refuse it at start-up (DESIGN §5): a user who copies an example and forgets to change the
//! secret is stopped, not running with a value everyone knows.

#![allow(clippy::unwrap_used, reason = "a test fails on any error")]

use std::path::{Path, PathBuf};

use pegnet_common::wire::{WeakSecret, check_secret_strength};

/// Files that are examples for users: `*.example*` names, and the docs.
fn example_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | ".git" | "testdata") {
                example_files(&path, out);
            }
        } else if name.contains(".example") || name.ends_with(".md") || name.ends_with(".env") {
            out.push(path);
        }
    }
}

/// The values given to the secret in `text`: TOML `CoordinatorSecret = "…"` and env-file or
/// shell `PEGNET_MINER_COORDINATORSECRET=…` lines (variable expansions and placeholders in
/// angle brackets or dots are not values).
fn secrets_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let line = line.trim().trim_start_matches("export ");
        if let Some(value) = line.strip_prefix("CoordinatorSecret = ") {
            found.push(value.trim_matches('"').to_owned());
        }
        if let Some(value) = line
            .split_whitespace()
            .find_map(|word| word.strip_prefix("PEGNET_MINER_COORDINATORSECRET="))
        {
            let value = value.trim_matches(['"', '\'']);
            let placeholder = value.is_empty()
                || value.starts_with('$')
                || value.starts_with('<')
                || value.starts_with("...")
                || value.starts_with('…');
            if !placeholder {
                found.push(value.to_owned());
            }
        }
    }
    found
}

#[test]
fn every_published_example_secret_is_refused() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    example_files(&root, &mut files);
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for secret in secrets_in(&text) {
            assert_eq!(
                check_secret_strength(&secret),
                Err(WeakSecret::Example),
                "{}: its secret {secret:?} must be on EXAMPLE_SECRETS",
                file.display()
            );
            checked += 1;
        }
    }
    // coordinator.example.toml and miner.example.toml at least.
    assert!(
        checked >= 2,
        "found only {checked} example secrets in {files:?}"
    );
}

#[test]
fn the_scanner_reads_toml_env_and_shell_forms() {
    let text = "CoordinatorSecret = \"a\"\n# CoordinatorSecret = \"commented\"\nPEGNET_MINER_COORDINATORSECRET=b\nexport PEGNET_MINER_COORDINATORSECRET='c'\nPEGNET_MINER_COORDINATORSECRET=\"$SECRET\" cmd\nPEGNET_MINER_COORDINATORSECRET=... nats-server\n";
    assert_eq!(secrets_in(text), ["a", "b", "c"]);
}
