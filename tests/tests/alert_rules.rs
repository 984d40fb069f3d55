//! The compose Prometheus config and the alert rules, checked with Debian's `promtool`: the
//! config and rules are valid, every alert's unit tests (`prometheus/tests/`) pass and show it
//! firing and silent, every alert carries a severity and says what to do, and every metric the
//! rules name is in METRICS.md.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use pegnet_tests::PROMETHEUS_INSTALL_HINT;
use pegnet_tests::catalogue::{Catalogue, catalogue_path};
use pegnet_tests::process::find_tool;
use pegnet_tests::prometheus::prometheus_dir;

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .yml file in {}", dir.display());
    files
}

/// Runs `promtool` with `args` and fails the test with its output unless it succeeds.
fn promtool(args: &[&str], files: &[PathBuf]) {
    let bin = find_tool("promtool", PROMETHEUS_INSTALL_HINT).expect("promtool");
    let output = Command::new(&bin)
        .args(args)
        .args(files)
        .output()
        .expect("running promtool");
    assert!(
        output.status.success(),
        "promtool {} {files:?} failed ({}):\n{}{}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_compose_config_is_valid() {
    promtool(
        &["check", "config"],
        &[prometheus_dir().join("prometheus.yml")],
    );
}

#[test]
fn the_rules_are_valid() {
    promtool(
        &["check", "rules"],
        &yaml_files(&prometheus_dir().join("rules")),
    );
}

#[test]
fn the_rules_unit_tests_pass() {
    promtool(
        &["test", "rules"],
        &yaml_files(&prometheus_dir().join("tests")),
    );
}

/// What one `- alert:` block of a rules file holds, read line by line (the files are ours and
/// keep one key per line; promtool has checked that they are valid YAML).
#[derive(Debug, Default)]
struct AlertBlock {
    severity: bool,
    summary: bool,
    description: bool,
}

fn alert_blocks(text: &str) -> BTreeMap<String, AlertBlock> {
    let mut alerts: BTreeMap<String, AlertBlock> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("- alert:") {
            let name = name.trim().to_owned();
            alerts.insert(name.clone(), AlertBlock::default());
            current = Some(name);
        } else if line.starts_with("- name:") || line.starts_with("- record:") {
            current = None;
        } else if let Some(block) = current.as_ref().and_then(|name| alerts.get_mut(name)) {
            let valued = |key: &str| {
                line.strip_prefix(key)
                    .is_some_and(|rest| !rest.trim().is_empty())
            };
            block.severity |= ["critical", "warning", "info"]
                .iter()
                .any(|level| line == format!("severity: {level}"));
            block.summary |= valued("summary:");
            block.description |= valued("description:");
        }
    }
    alerts
}

/// Per alert name: whether some test expects it silent (`exp_alerts: []`) and some test
/// expects it firing (a non-empty `exp_alerts:`).
fn tested_outcomes(text: &str) -> BTreeMap<String, (bool, bool)> {
    let mut outcomes: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    let mut alert: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("alertname:") {
            alert = Some(name.trim().to_owned());
        } else if let (Some(rest), Some(name)) = (line.strip_prefix("exp_alerts:"), &alert) {
            let entry = outcomes.entry(name.clone()).or_default();
            if rest.trim() == "[]" {
                entry.0 = true;
            } else {
                entry.1 = true;
            }
        }
    }
    outcomes
}

#[test]
fn every_alert_says_how_bad_and_what_to_do_and_is_tested_firing_and_silent() {
    let mut alerts = BTreeMap::new();
    for file in yaml_files(&prometheus_dir().join("rules")) {
        alerts.extend(alert_blocks(
            &std::fs::read_to_string(&file).expect("a rules file"),
        ));
    }
    let mut outcomes: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    for file in yaml_files(&prometheus_dir().join("tests")) {
        for (name, (silent, firing)) in
            tested_outcomes(&std::fs::read_to_string(&file).expect("a test file"))
        {
            let entry = outcomes.entry(name).or_default();
            entry.0 |= silent;
            entry.1 |= firing;
        }
    }
    assert!(alerts.len() >= 13, "only {} alerts", alerts.len());
    let mut problems = Vec::new();
    for (name, block) in &alerts {
        if !block.severity {
            problems.push(format!(
                "{name}: no severity label (critical, warning or info)"
            ));
        }
        if !block.summary || !block.description {
            problems.push(format!("{name}: needs summary and description annotations"));
        }
        match outcomes.get(name) {
            Some((true, true)) => {}
            Some((silent, _)) => problems.push(format!(
                "{name}: no test case where it {}",
                if *silent { "fires" } else { "stays silent" }
            )),
            None => problems.push(format!("{name}: no promtool test case")),
        }
    }
    for name in outcomes.keys().filter(|name| !alerts.contains_key(*name)) {
        problems.push(format!("tests name {name}, which no rule defines"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every `pegnet_…` name in the rules outside comments (expressions, and the metrics the
/// annotations point operators at) is in the catalogue.
#[test]
fn every_metric_the_rules_name_is_in_the_catalogue() {
    let catalogue = Catalogue::load(&catalogue_path()).expect("METRICS.md");
    let mut unknown = BTreeSet::new();
    for file in yaml_files(&prometheus_dir().join("rules")) {
        let text = std::fs::read_to_string(&file).expect("a rules file");
        let uncommented = text
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'));
        let words = uncommented
            .flat_map(|line| line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')));
        for word in words {
            if word.starts_with("pegnet_") && !catalogue.has_series(word) {
                unknown.insert(format!("{}: {word}", file.display()));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "not in METRICS.md:\n{}",
        unknown.into_iter().collect::<Vec<_>>().join("\n")
    );
}
