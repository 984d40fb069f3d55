//! Grafana dashboards (`grafana/dashboards/*.json`) as data: their panels, queries and
//! template variables, and the substitution of variables that turns a panel's query into
//! PromQL Prometheus can evaluate. Grafana itself has no package here, so the tests check the
//! dashboards through this model and a real Prometheus.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::ToolError;

/// The directory of the provisioned dashboards.
pub fn dashboards_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("grafana")
        .join("dashboards")
}

/// One dashboard file.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// The file it was read from.
    pub file: PathBuf,
    /// `uid`.
    pub uid: String,
    /// `title`.
    pub title: String,
    /// Every panel, those inside collapsed rows included; rows themselves are not panels here.
    pub panels: Vec<Panel>,
    /// `templating.list`.
    pub variables: Vec<Variable>,
}

/// A panel and its queries.
#[derive(Debug, Clone)]
pub struct Panel {
    /// `title`.
    pub title: String,
    /// `type` (`timeseries`, `stat`, ...).
    pub kind: String,
    /// `description` (empty when missing).
    pub description: String,
    /// `datasource.uid` (empty when missing).
    pub datasource_uid: String,
    /// `fieldConfig.defaults.unit` (empty when missing).
    pub unit: String,
    /// `targets`.
    pub targets: Vec<Target>,
}

/// One query of a panel.
#[derive(Debug, Clone)]
pub struct Target {
    /// `refId`.
    pub ref_id: String,
    /// `expr`, with the dashboard's variables still in it.
    pub expr: String,
    /// `datasource.uid` (empty when missing).
    pub datasource_uid: String,
}

/// A template variable.
#[derive(Debug, Clone)]
pub struct Variable {
    /// `name`, used as `$name` in queries.
    pub name: String,
    /// `type` (`query`, `interval`, `custom`, ...).
    pub kind: String,
    /// `datasource.uid` (empty when missing).
    pub datasource_uid: String,
    /// `query` (or `query.query`), for example `label_values(metric, label)`.
    pub query: String,
    /// `current.value` (the first one of a multi-value selection).
    pub current: String,
}

impl Dashboard {
    /// Every `*.json` file of `dir`, sorted by file name.
    ///
    /// # Errors
    ///
    /// As [`Dashboard::load`], and [`ToolError::Io`] when the directory cannot be listed.
    pub fn load_all(dir: &Path) -> Result<Vec<Dashboard>, ToolError> {
        let io = |source| ToolError::Io {
            what: format!("listing {}", dir.display()),
            source,
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(io)?;
        files.retain(|path| path.extension().is_some_and(|ext| ext == "json"));
        files.sort();
        files.iter().map(|file| Dashboard::load(file)).collect()
    }

    /// Reads one dashboard.
    ///
    /// # Errors
    ///
    /// [`ToolError::Io`] when unreadable, [`ToolError::Malformed`] when it is not JSON or lacks
    /// `uid`, `title` or `panels`.
    pub fn load(file: &Path) -> Result<Dashboard, ToolError> {
        let malformed = |what: String| ToolError::Malformed {
            file: file.to_owned(),
            what,
        };
        let text = std::fs::read_to_string(file).map_err(|source| ToolError::Io {
            what: format!("reading {}", file.display()),
            source,
        })?;
        let json: Value =
            serde_json::from_str(&text).map_err(|e| malformed(format!("not JSON: {e}")))?;
        let required = |key: &str| {
            text_at(&json, &[key])
                .filter(|value| !value.is_empty())
                .ok_or_else(|| malformed(format!("no `{key}`")))
        };
        let uid = required("uid")?;
        let title = required("title")?;
        let top = json
            .get("panels")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("no `panels` array".into()))?;
        let mut panels = Vec::new();
        for panel in top {
            let nested = panel.get("panels").and_then(Value::as_array);
            if panel.get("type").and_then(Value::as_str) == Some("row") {
                panels.extend(nested.into_iter().flatten().map(read_panel));
            } else {
                panels.push(read_panel(panel));
            }
        }
        let variables = json
            .pointer("/templating/list")
            .and_then(Value::as_array)
            .map(|list| list.iter().map(read_variable).collect())
            .unwrap_or_default();
        Ok(Dashboard {
            file: file.to_owned(),
            uid,
            title,
            panels,
            variables,
        })
    }
}

fn text_at(json: &Value, path: &[&str]) -> Option<String> {
    let mut value = json;
    for key in path {
        value = value.get(key)?;
    }
    value.as_str().map(str::to_owned)
}

fn text_or_empty(json: &Value, path: &[&str]) -> String {
    text_at(json, path).unwrap_or_default()
}

fn read_panel(panel: &Value) -> Panel {
    let targets = panel
        .get("targets")
        .and_then(Value::as_array)
        .map(|targets| {
            targets
                .iter()
                .map(|t| Target {
                    ref_id: text_or_empty(t, &["refId"]),
                    expr: text_or_empty(t, &["expr"]),
                    datasource_uid: text_or_empty(t, &["datasource", "uid"]),
                })
                .collect()
        })
        .unwrap_or_default();
    Panel {
        title: text_or_empty(panel, &["title"]),
        kind: text_or_empty(panel, &["type"]),
        description: text_or_empty(panel, &["description"]),
        datasource_uid: text_or_empty(panel, &["datasource", "uid"]),
        unit: text_or_empty(panel, &["fieldConfig", "defaults", "unit"]),
        targets,
    }
}

fn read_variable(variable: &Value) -> Variable {
    let query = text_at(variable, &["query"])
        .or_else(|| text_at(variable, &["query", "query"]))
        .unwrap_or_default();
    let current = match variable.pointer("/current/value") {
        Some(Value::String(value)) => value.clone(),
        Some(Value::Array(values)) => values
            .first()
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    };
    Variable {
        name: text_or_empty(variable, &["name"]),
        kind: text_or_empty(variable, &["type"]),
        datasource_uid: text_or_empty(variable, &["datasource", "uid"]),
        query,
        current,
    }
}

/// What the tests put for Grafana's built-in variables. Grafana makes `$__rate_interval` at
/// least four scrape intervals (20 s with the compose Prometheus' 5 s); 30 s is a short range
/// it picks, and it holds samples whatever the test Prometheus' own interval. `$__interval` is
/// one step; `$__range` a short dashboard range.
pub const GRAFANA_BUILTINS: &[(&str, &str)] = &[
    ("__rate_interval", "30s"),
    ("__interval", "5s"),
    ("__interval_ms", "5000"),
    ("__range", "10m"),
    ("__range_s", "600"),
    ("__range_ms", "600000"),
];

impl Dashboard {
    /// The value of every variable a query of this dashboard may name: Grafana's built-ins
    /// ([`GRAFANA_BUILTINS`]), each template variable's current value, then `overrides` (for
    /// example a real miner's name for `miner`).
    pub fn variable_values(&self, overrides: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut values: BTreeMap<String, String> = GRAFANA_BUILTINS
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        for variable in &self.variables {
            values.insert(variable.name.clone(), variable.current.clone());
        }
        for (k, v) in overrides {
            values.insert((*k).to_owned(), (*v).to_owned());
        }
        values
    }
}

/// `expr` with every `$name`, `${name}` and `[[name]]` of `values` replaced, longest names
/// first so `$__rate_interval` is not read as `$__rate` followed by text.
pub fn substitute(expr: &str, values: &BTreeMap<String, String>) -> String {
    let mut names: Vec<&String> = values.keys().collect();
    names.sort_by_key(|name| std::cmp::Reverse(name.len()));
    let mut out = expr.to_owned();
    for name in names {
        let value = values.get(name).map_or("", String::as_str);
        out = out
            .replace(&format!("${{{name}}}"), value)
            .replace(&format!("[[{name}]]"), value)
            .replace(&format!("${name}"), value);
    }
    out
}

/// The metric and label of a `label_values(metric, label)` variable query.
pub fn label_values_query(query: &str) -> Option<(String, String)> {
    let inner = query
        .trim()
        .strip_prefix("label_values(")?
        .strip_suffix(')')?;
    let (metric, label) = inner.rsplit_once(',')?;
    Some((metric.trim().to_owned(), label.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_every_form_longest_name_first() {
        let values: BTreeMap<String, String> = [
            ("__rate_interval", "30s"),
            ("__range", "10m"),
            ("miner", "m1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            substitute(
                r#"rate(x{miner=~"$miner"}[$__rate_interval]) + y{m="${miner}"} + z[[[__range]]]"#,
                &values
            ),
            r#"rate(x{miner=~"m1"}[30s]) + y{m="m1"} + z[10m]"#
        );
    }

    #[test]
    fn reads_label_values_queries() {
        assert_eq!(
            label_values_query("label_values(pegnet_miner_threads, miner)"),
            Some(("pegnet_miner_threads".into(), "miner".into()))
        );
        assert_eq!(label_values_query("up"), None);
    }

    #[test]
    fn the_workspace_dashboards_load() {
        let dashboards = Dashboard::load_all(&dashboards_dir()).unwrap();
        assert!(dashboards.len() >= 3);
        assert!(dashboards.iter().all(|d| !d.panels.is_empty()));
    }
}
