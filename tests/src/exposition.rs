//! Checking a `/metrics` text against the metric catalogue (`METRICS.md`, DESIGN §8) and
//! with `promtool check metrics` (Debian's `prometheus` package).
//!
//! The exposition is read from its `# TYPE` lines and its samples' label names (`le` and
//! `quantile` belong to the type).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{Command, Stdio};

use crate::catalogue::Family;

/// The families of a Prometheus text exposition, with the label names their samples carry
/// (`ignore_labels`, such as a global label, left out).
pub fn exported(text: &str, ignore_labels: &[&str]) -> BTreeMap<String, Family> {
    let mut out: BTreeMap<String, Family> = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split_whitespace();
            if let (Some(name), Some(kind)) = (parts.next(), parts.next()) {
                out.entry(name.to_owned()).or_default().kind = kind.to_owned();
            }
            continue;
        }
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (series, labels) = match line.split_once('{') {
            Some((series, rest)) => (series, label_names(rest)),
            None => (line.split_whitespace().next().unwrap_or(""), Vec::new()),
        };
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                let base = series.strip_suffix(suffix)?;
                (out.get(base).is_some_and(|f| f.kind == "histogram")).then_some(base)
            })
            .unwrap_or(series);
        let entry = out.entry(family.to_owned()).or_default();
        for l in labels {
            if l != "le" && l != "quantile" && !ignore_labels.contains(&l.as_str()) {
                entry.labels.insert(l);
            }
        }
    }
    out
}

/// The label names of `a="x",b="y"} 1` (values may hold escaped quotes).
fn label_names(rest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        let name: String = chars.by_ref().take_while(|&c| c != '=').collect();
        let name = name.trim_start_matches(',').trim();
        if name.is_empty() || name.starts_with('}') {
            break;
        }
        names.push(name.to_owned());
        // The opening quote, then the value up to an unescaped quote.
        chars.next();
        let mut escaped = false;
        for c in chars.by_ref() {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => break,
                _ => escaped = false,
            }
        }
        if chars.peek() == Some(&'}') {
            break;
        }
    }
    names
}

/// `promtool check metrics` on `text`: its exit status and everything it printed (lint
/// findings are printed; a clean exposition prints nothing).
///
/// # Panics
///
/// When `promtool` cannot be run (the test needs it: Debian's `prometheus` package).
pub fn promtool_check(text: &str) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs (Debian package prometheus)");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(text.as_bytes())
        .expect("promtool reads the metrics");
    let out = child.wait_with_output().expect("promtool finishes");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), printed)
}

/// Compares what is exported with the catalogue: names exported but not listed, names
/// listed but not exported, and names whose type or labels differ. Empty when they agree.
pub fn differences(
    exported: &BTreeMap<String, Family>,
    catalogue: &BTreeMap<String, Family>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (name, family) in exported {
        match catalogue.get(name) {
            None => out.push(format!("{name} is exported but not in METRICS.md")),
            Some(listed) if listed != family => out.push(format!(
                "{name}: exported as {family:?}, METRICS.md says {listed:?}"
            )),
            Some(_) => {}
        }
    }
    for name in catalogue.keys() {
        if !exported.contains_key(name) {
            out.push(format!("{name} is in METRICS.md but not exported"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn reads_families_and_label_names() {
        let text = "# TYPE a_total counter\na_total{reason=\"x\\\"y\",step=\"s\"} 1\n\
                    # TYPE h histogram\nh_bucket{le=\"1\"} 0\nh_sum 0\nh_count 0\n\
                    # TYPE g gauge\ng{miner=\"m\"} 1\n";
        let e = exported(text, &["miner"]);
        assert_eq!(
            e["a_total"].labels,
            BTreeSet::from(["reason".to_owned(), "step".to_owned()])
        );
        assert_eq!(e["h"].kind, "histogram");
        assert!(e["h"].labels.is_empty());
        assert!(e["g"].labels.is_empty());
        assert_eq!(e.len(), 3);
    }
}
