//! The Grafana dashboards and provisioning as data (Grafana itself has no package here): valid
//! JSON, every panel, query and query variable on the provisioned datasource uid, a description
//! and a unit on every panel, rates over `$__rate_interval` (or a block), every metric in
//! METRICS.md, and every query parsed by a real Prometheus. `dashboards_live.rs` evaluates the
//! same queries against a running system.

use std::collections::{BTreeMap, BTreeSet};

use pegnet_tests::catalogue::{Catalogue, catalogue_path};
use pegnet_tests::dashboard::{Dashboard, dashboards_dir, label_values_query, substitute};
use pegnet_tests::prometheus::Prometheus;
use pegnet_tests::promql::metric_names;

/// The uid `grafana/provisioning/datasources/prometheus.yml` pins.
const UID: &str = "pegnet-prometheus";

/// The windows a `rate()` or `increase()` may use: Grafana's, or the dashboards' block length
/// (events that happen once a block, such as writes and price polls, need a block to be seen).
const RANGES: &[&str] = &["[$__rate_interval]", "[$block]", "[$__range]"];

fn dashboards() -> Vec<Dashboard> {
    let dashboards = Dashboard::load_all(&dashboards_dir()).expect("the dashboards");
    let titles: Vec<&str> = dashboards.iter().map(|d| d.title.as_str()).collect();
    for wanted in ["PegNet fleet", "PegNet coordinator", "PegNet miner host"] {
        assert!(
            titles.contains(&wanted),
            "no dashboard {wanted:?} in {titles:?}"
        );
    }
    dashboards
}

fn grafana_file(path: &str) -> String {
    let file = dashboards_dir().join("..").join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

#[test]
fn provisioning_pins_the_datasource_and_loads_the_dashboards() {
    let datasource = grafana_file("provisioning/datasources/prometheus.yml");
    for line in [
        "uid: pegnet-prometheus",
        "type: prometheus",
        "url: http://prometheus:9090",
    ] {
        assert!(
            datasource.lines().any(|l| l.trim() == line),
            "the datasource provisioning lacks `{line}`"
        );
    }
    let provider = grafana_file("provisioning/dashboards/pegnet.yml");
    for line in ["type: file", "path: /var/lib/grafana/dashboards"] {
        assert!(
            provider.lines().any(|l| l.trim() == line),
            "the dashboard provider lacks `{line}`"
        );
    }
}

/// Every problem of one dashboard against the house rules, one line each.
fn lint(dashboard: &Dashboard) -> Vec<String> {
    let mut problems = Vec::new();
    let mut say = |what: String| problems.push(format!("{}: {what}", dashboard.title));
    for variable in &dashboard.variables {
        if variable.kind == "query" {
            if variable.datasource_uid != UID {
                say(format!(
                    "variable ${} is not on datasource {UID}",
                    variable.name
                ));
            }
            if label_values_query(&variable.query).is_none() {
                say(format!(
                    "variable ${} is not label_values(metric, label)",
                    variable.name
                ));
            }
        } else if !variable.datasource_uid.is_empty() && variable.datasource_uid != UID {
            say(format!(
                "variable ${} names another datasource",
                variable.name
            ));
        }
    }
    for panel in &dashboard.panels {
        let title = &panel.title;
        if panel.datasource_uid != UID {
            say(format!("panel {title:?} is not on datasource {UID}"));
        }
        if panel.description.trim().is_empty() {
            say(format!("panel {title:?} has no description"));
        }
        if panel.unit.is_empty() {
            say(format!("panel {title:?} has no unit"));
        }
        if panel.targets.is_empty() {
            say(format!("panel {title:?} has no query"));
        }
        for target in &panel.targets {
            let name = format!("panel {title:?} query {}", target.ref_id);
            if target.datasource_uid != UID {
                say(format!("{name} is not on datasource {UID}"));
            }
            if target.expr.trim().is_empty() {
                say(format!("{name} has no expr"));
            }
            for function in ["rate(", "increase("] {
                for (at, _) in target.expr.match_indices(function) {
                    // The range of this call: the first `[…]` after its name.
                    let rest = target.expr.get(at..).unwrap_or_default();
                    let range = rest
                        .find('[')
                        .and_then(|open| Some((open, rest.get(open..)?.find(']')? + open)))
                        .and_then(|(open, close)| rest.get(open..=close));
                    if !range.is_some_and(|range| RANGES.contains(&range)) {
                        say(format!("{name}: {function}…) needs one of {RANGES:?}"));
                    }
                }
            }
        }
    }
    problems
}

#[test]
fn every_panel_and_variable_is_on_the_datasource_with_description_unit_and_rate_interval() {
    let dashboards = dashboards();
    let mut problems: Vec<String> = dashboards.iter().flat_map(lint).collect();
    let mut uids = BTreeSet::new();
    for dashboard in &dashboards {
        if !uids.insert(dashboard.uid.as_str()) {
            problems.push(format!("uid {} is used twice", dashboard.uid));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_metric_the_dashboards_name_is_in_the_catalogue() {
    let catalogue = Catalogue::load(&catalogue_path()).expect("METRICS.md");
    let mut unknown = BTreeSet::new();
    for dashboard in dashboards() {
        let variable_metrics = dashboard
            .variables
            .iter()
            .filter_map(|v| label_values_query(&v.query))
            .map(|(metric, _)| ("variable".to_owned(), metric));
        let panel_metrics = dashboard.panels.iter().flat_map(|panel| {
            panel.targets.iter().flat_map(|target| {
                metric_names(&target.expr)
                    .into_iter()
                    .map(|metric| (format!("panel {:?}", panel.title), metric))
            })
        });
        for (place, metric) in variable_metrics.chain(panel_metrics) {
            if !catalogue.has_series(&metric) {
                unknown.insert(format!("{} / {place}: {metric}", dashboard.title));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "not in METRICS.md:\n{}",
        unknown.into_iter().collect::<Vec<_>>().join("\n")
    );
}

/// Each query, its variables filled in, goes to a real Prometheus (no targets: only the
/// syntax and the types are checked here, not the data).
#[test]
fn every_query_parses() {
    let prometheus = Prometheus::start("global:\n  scrape_interval: 1m\nscrape_configs: []\n")
        .expect("prometheus");
    let mut failures = Vec::new();
    for dashboard in dashboards() {
        let values: BTreeMap<String, String> = dashboard.variable_values(&[("miner", "m1")]);
        for panel in &dashboard.panels {
            for target in &panel.targets {
                let expr = substitute(&target.expr, &values);
                if expr.contains('$') {
                    failures.push(format!(
                        "{} / {:?} / {}: unknown variable in {expr}",
                        dashboard.title, panel.title, target.ref_id
                    ));
                } else if let Err(e) = prometheus.query(&expr) {
                    failures.push(format!(
                        "{} / {:?} / {}: {e}",
                        dashboard.title, panel.title, target.ref_id
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
