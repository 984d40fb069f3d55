//! `pegnet-miner lxr …` against the reference vectors.

#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

use std::process::Command;

fn lxr(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pegnet-miner"))
        .arg("lxr")
        .args(args)
        .args(["--table-dir", dir.to_str().unwrap()])
        .output()
        .expect("runs")
}

fn stdout(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn hash_difficulty_and_table_match_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        stdout(&lxr(dir.path(), &["table", "--bits", "16"])),
        "7f5df9e4cd8216cabbbd73ce203a0073357a3e8941d32e0adbb65bd32b214461\n"
    );
    assert_eq!(
        stdout(&lxr(dir.path(), &["hash", "--bits", "8", "616263"])),
        "737924a8bbd6d9eb05da325ad65e7a431de4fca83a72d5da8902b96f74f7eaef\n"
    );
    let opr = "d505c439e577acfa88305528e7b5e66564fc479ccaf53521bcc40cec41773209";
    assert_eq!(
        stdout(&lxr(
            dir.path(),
            &["difficulty", "--bits", "8", opr, "0101"]
        )),
        "b1ace828f8eb4ae4\n"
    );
    let out = lxr(dir.path(), &["hash", "--bits", "8", ""]);
    assert_eq!(
        stdout(&out),
        "611cec2d1455a25faee8016f080e0e7ac26a87a135bb520a32e78c83ffaf7abd\n"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("NOT valid on a real PegNet network"));
}

#[test]
fn bad_input_is_a_clear_error_and_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let out = lxr(dir.path(), &["hash", "--bits", "8", "xyz"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid hex"));
    let out = lxr(dir.path(), &["difficulty", "--bits", "8", "00", "01"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("must be 32 bytes"));
    let out = lxr(dir.path(), &["table", "--bits", "40"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("outside 8..=30"));
}

#[test]
fn bench_ends_with_a_summary_a_script_can_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pegnet-miner"))
        .args(["bench", "--bits", "8", "--bits", "10", "--seconds", "0.02"])
        .args(["--table-dir", dir.path().to_str().unwrap()])
        .output()
        .expect("runs");
    let text = stdout(&out);
    let last = text.lines().last().unwrap();
    let pairs: std::collections::HashMap<&str, &str> = last
        .strip_prefix("summary ")
        .unwrap()
        .split(' ')
        .map(|kv| kv.split_once('=').unwrap())
        .collect();
    assert_eq!(pairs["bits"], "10", "the largest size: {last}");
    for key in [
        "ceiling_hs",
        "scalar_hs_1t",
        "batch_hs_1t",
        "batch_hs_2t",
        "verify_per_s",
        "lanes",
    ] {
        let v: f64 = pairs[key].parse().unwrap();
        assert!(v > 0.0, "{key} in {last}");
    }
    assert!(text.contains("probe=load chains=32 ns_per_load="), "{text}");
    assert!(
        text.contains("probe=prefetch chains=32 ns_per_load="),
        "{text}"
    );
}
