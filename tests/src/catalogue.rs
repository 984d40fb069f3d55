//! The metric catalogue `METRICS.md` as data: every metric the coordinator and the miner
//! export, read from the rows of its tables (`| `name` | type | labels | meaning |`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::ToolError;

/// The path of `METRICS.md` at the workspace root.
pub fn catalogue_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("METRICS.md")
}

/// Metric names and their types (`counter`, `gauge`, `histogram`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    metrics: BTreeMap<String, String>,
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
            metrics.insert(name.to_owned(), (*kind).to_owned());
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
                .is_some_and(|kind| kind == "histogram")
        })
    }

    /// The type the catalogue gives `name`.
    pub fn kind(&self, name: &str) -> Option<&str> {
        self.metrics.get(name).map(String::as_str)
    }

    /// Every listed metric name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.metrics.keys().map(String::as_str)
    }
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
    fn the_workspace_catalogue_parses() {
        let catalogue = Catalogue::load(&catalogue_path()).unwrap();
        assert!(catalogue.names().count() > 50);
    }
}
