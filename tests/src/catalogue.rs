//! The metric catalogue `METRICS.md` as data: every metric the coordinator and the miner
//! export, read from the rows of its tables (`| `name` | type | labels | meaning |`), with
//! its type and label names (values listed in parentheses are not label names).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::ToolError;

/// The path of `METRICS.md` at the workspace root.
pub fn catalogue_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("METRICS.md")
}

/// A metric's type and label names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Family {
    /// `counter`, `gauge` or `histogram`.
    pub kind: String,
    /// Label names.
    pub labels: BTreeSet<String>,
}

/// Metric names and their families.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    metrics: BTreeMap<String, Family>,
}

impl Catalogue {
    /// Reads and parses the catalogue at `path`.
    ///
    /// # Errors
    ///
    /// [`ToolError::Io`] when it cannot be read, [`ToolError::Malformed`] when it lists no
    /// metric or a row has no type.
    pub fn load(path: &Path) -> Result<Catalogue, ToolError> {
        let text = std::fs::read_to_string(path).map_err(|source| ToolError::Io {
            what: format!("reading {}", path.display()),
            source,
        })?;
        Catalogue::parse(&text).map_err(|what| ToolError::Malformed {
            file: path.to_owned(),
            what,
        })
    }

    /// Parses the catalogue's text; the error says which row is wrong.
    ///
    /// # Errors
    ///
    /// A message when a metric row has no type or no row names a metric.
    pub fn parse(text: &str) -> Result<Catalogue, String> {
        let mut metrics = BTreeMap::new();
        for line in text.lines() {
            let cells: Vec<&str> = line
                .trim()
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect();
            let Some(name) = cells
                .first()
                .and_then(|cell| cell.strip_prefix('`')?.strip_suffix('`'))
                .filter(|name| name.starts_with("pegnet_"))
            else {
                continue;
            };
            let kind = cells
                .get(1)
                .filter(|kind| !kind.is_empty())
                .ok_or_else(|| format!("the row of `{name}` has no type column"))?;
            let labels = cells
                .get(2)
                .map_or_else(BTreeSet::new, |cell| label_names(cell));
            metrics.insert(
                name.to_owned(),
                Family {
                    kind: (*kind).to_owned(),
                    labels,
                },
            );
        }
        if metrics.is_empty() {
            return Err("no table row names a `pegnet_…` metric".into());
        }
        Ok(Catalogue { metrics })
    }

    /// Whether a query may name `series`: a listed metric, or the `_bucket`, `_count` or `_sum`
    /// series of a listed histogram.
    pub fn has_series(&self, series: &str) -> bool {
        if self.metrics.contains_key(series) {
            return true;
        }
        ["_bucket", "_count", "_sum"].iter().any(|suffix| {
            series
                .strip_suffix(suffix)
                .and_then(|base| self.metrics.get(base))
                .is_some_and(|family| family.kind == "histogram")
        })
    }

    /// The type the catalogue gives `name`.
    pub fn kind(&self, name: &str) -> Option<&str> {
        self.metrics.get(name).map(|family| family.kind.as_str())
    }

    /// The metrics whose names start with `prefix` (a component: `pegnet_coordinator_`).
    pub fn component(&self, prefix: &str) -> BTreeMap<String, Family> {
        self.metrics
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .map(|(name, family)| (name.clone(), family.clone()))
            .collect()
    }

    /// Every listed metric name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.metrics.keys().map(String::as_str)
    }
}

/// The label names of a labels cell: `` `reason` (`a`, `b`), `step` `` → reason, step.
fn label_names(cell: &str) -> BTreeSet<String> {
    without_parentheses(cell)
        .split(',')
        .filter_map(|l| {
            let name = l.trim().strip_prefix('`')?;
            Some(name.split('`').next()?.to_owned())
        })
        .collect()
}

/// `a` (`x`, `y`), `b` → `a` , `b`: the values listed in parentheses are not label names.
fn without_parentheses(s: &str) -> String {
    let mut depth = 0u32;
    s.chars()
        .filter(|&c| {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth = depth.saturating_sub(1);
                    return false;
                }
                _ => {}
            }
            depth == 0
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
| name | type | labels | meaning |
|---|---|---|---|
| `pegnet_coordinator_height` | gauge | | the block |
| `pegnet_coordinator_verification_duration_seconds` | histogram | | time |
";

    #[test]
    fn reads_rows_and_histogram_series() {
        let catalogue = Catalogue::parse(TEXT).unwrap();
        assert_eq!(catalogue.kind("pegnet_coordinator_height"), Some("gauge"));
        assert!(catalogue.has_series("pegnet_coordinator_height"));
        assert!(catalogue.has_series("pegnet_coordinator_verification_duration_seconds_bucket"));
        assert!(!catalogue.has_series("pegnet_coordinator_height_bucket"));
        assert!(!catalogue.has_series("pegnet_coordinator_nonsense"));
    }

    #[test]
    fn reads_label_names_not_the_values_listed() {
        let md = "| `pegnet_x_a_total` | counter | `reason` (`a`, `b`), `step` | x |\n\
                  | `pegnet_x_b` | gauge | | y |\n| `pegnet_y_c` | gauge | | z |\n";
        let c = Catalogue::parse(md).unwrap().component("pegnet_x_");
        assert_eq!(c.len(), 2);
        assert_eq!(
            c["pegnet_x_a_total"].labels,
            BTreeSet::from(["reason".to_owned(), "step".to_owned()])
        );
        assert!(c["pegnet_x_b"].labels.is_empty());
    }

    #[test]
    fn the_workspace_catalogue_parses() {
        let catalogue = Catalogue::load(&catalogue_path()).unwrap();
        assert!(catalogue.names().count() > 50);
    }
}
