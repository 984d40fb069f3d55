//! The status page (`GET /`, DESIGN §8): one self-contained HTML page for operators, with
//! inline CSS and an inline-SVG chart, no external assets, refreshing itself every few
//! seconds.
//!
//! A pure function of the [`Status`] snapshot and the time. Every string that comes from
//! outside the code (miner names, identities, payout addresses, error messages of factomd
//! and price sources) goes through [`escape`]; numbers are formatted here.

use std::fmt::Write as _;

use crate::health::DependencyState;
use crate::status::{BlockStatus, HashRatePoint, MinerStatus, Status};

/// Seconds between the page's own reloads.
pub const REFRESH_SECONDS: u32 = 5;

/// Escapes text for HTML element content and quoted attribute values: the five characters
/// that can end either (`&`, `<`, `>`, `"`, `'`).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}\
header{background:#1d2330;color:#fff;padding:12px 20px;display:flex;gap:24px;align-items:baseline;flex-wrap:wrap}\
header h1{font-size:20px;margin:0}main{padding:12px 20px}\
section{background:#fff;border-radius:6px;padding:10px 14px;margin:0 0 14px;box-shadow:0 1px 2px #0002}\
h2{font-size:15px;margin:4px 0 8px}table{border-collapse:collapse;width:100%;font-size:13px}\
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e3e5ea;white-space:nowrap}\
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\
.grid{display:flex;gap:14px;flex-wrap:wrap}.grid section{flex:1 1 260px}\
.kv{display:grid;grid-template-columns:max-content auto;gap:3px 14px;font-size:14px}\
.kv dt{color:#5a6273}.kv dd{margin:0}.up{color:#137333;font-weight:600}\
.down{color:#c5221f;font-weight:600}.unknown{color:#8a6d00;font-weight:600}\
.mono{font-family:ui-monospace,monospace;font-size:12px}.muted{color:#5a6273}";

/// The whole page.
pub fn render(status: &Status, now_ms: u64) -> String {
    let mut out = String::with_capacity(16 * 1024);
    out.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    push(
        &mut out,
        format_args!("<meta http-equiv=\"refresh\" content=\"{REFRESH_SECONDS}\">"),
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width\">");
    out.push_str("<title>PegNet coordinator</title><style>");
    out.push_str(STYLE);
    out.push_str("</style></head><body>");
    header(&mut out, status);
    out.push_str("<main><div class=\"grid\">");
    chain(&mut out, status);
    job(&mut out, status);
    health(&mut out, status);
    out.push_str("</div>");
    chart(&mut out, &status.hash_rate_history);
    miners(&mut out, &status.miners, now_ms);
    blocks(&mut out, &status.blocks);
    out.push_str("</main></body></html>");
    out
}

fn push(out: &mut String, args: std::fmt::Arguments<'_>) {
    // Writing to a String cannot fail.
    out.write_fmt(args).unwrap_or_default();
}

fn header(out: &mut String, s: &Status) {
    push(
        out,
        format_args!(
            "<header><h1>PegNet coordinator</h1><span>{}</span>\
             <span id=\"height\">height {} · minute {}</span>\
             <span>fleet {} reported · {} estimated</span></header>",
            escape(&s.network),
            s.height,
            s.minute,
            hash_rate(s.fleet_hash_rate),
            hash_rate(s.fleet_estimated_hash_rate),
        ),
    );
}

fn chain(out: &mut String, s: &Status) {
    let balance = s
        .ec_balance
        .map_or_else(|| "not read yet".to_owned(), |b| format!("{b} EC"));
    let left = s
        .ec_blocks_left
        .map_or_else(|| "–".to_owned(), |b| b.to_string());
    push(
        out,
        format_args!(
            "<section><h2>Entry Credits</h2><dl class=\"kv\">\
             <dt>balance</dt><dd id=\"ec-balance\">{}</dd>\
             <dt>blocks it pays for</dt><dd id=\"ec-blocks-left\">{}</dd>\
             <dt>paying address</dt><dd class=\"mono\">{}</dd>\
             <dt>entry policy</dt><dd>{}</dd></dl></section>",
            escape(&balance),
            escape(&left),
            escape(&s.ec_address),
            escape(&s.policy),
        ),
    );
}

fn job(out: &mut String, s: &Status) {
    out.push_str("<section><h2>Current job</h2>");
    match &s.job {
        None => out.push_str("<p class=\"muted\">no job yet</p>"),
        Some(j) => push(
            out,
            format_args!(
                "<dl class=\"kv\"><dt>job</dt><dd class=\"mono\">{}</dd>\
                 <dt>height</dt><dd>{}</dd><dt>state</dt><dd>{}</dd>\
                 <dt>OPR version</dt><dd>{}</dd><dt>minimum difficulty</dt><dd class=\"mono\">{:#018x}</dd>\
                 <dt>shares accepted</dt><dd>{}</dd><dt>best difficulty</dt><dd class=\"mono\">{:#018x}</dd></dl>",
                escape(&j.job_id),
                j.height,
                escape(j.state),
                j.opr_version,
                j.minimum_difficulty,
                j.shares_accepted,
                j.best_difficulty,
            ),
        ),
    }
    out.push_str("</section>");
}

fn health(out: &mut String, s: &Status) {
    let h = &s.health;
    out.push_str("<section id=\"health\"><h2>Dependencies</h2><dl class=\"kv\">");
    dependency(out, "factomd", &h.factomd);
    let nats = if h.nats.connected {
        "<span class=\"up\">connected</span>".to_owned()
    } else {
        "<span class=\"down\">disconnected</span>".to_owned()
    };
    push(
        out,
        format_args!(
            "<dt>NATS</dt><dd>{nats} <span class=\"muted\">{} reconnects</span></dd>",
            h.nats.reconnects
        ),
    );
    let js = h.jetstream.as_str();
    let class = match js {
        "up" => "up",
        "off" => "muted",
        _ => "unknown",
    };
    push(
        out,
        format_args!("<dt>JetStream</dt><dd><span class=\"{class}\">{js}</span></dd>"),
    );
    for p in &h.prices {
        dependency(out, &p.source, &p.state);
    }
    out.push_str("</dl></section>");
}

fn dependency(out: &mut String, name: &str, d: &DependencyState) {
    let (class, word) = match d.up {
        Some(true) => ("up", "up"),
        Some(false) => ("down", "down"),
        None => ("unknown", "unknown"),
    };
    let error = match (&d.up, &d.last_error) {
        (Some(false), Some(e)) => format!(" <span class=\"muted\">{}</span>", escape(e)),
        _ => String::new(),
    };
    push(
        out,
        format_args!(
            "<dt>{}</dt><dd><span class=\"{class}\">{word}</span>{error}</dd>",
            escape(name)
        ),
    );
}

fn miners(out: &mut String, miners: &[MinerStatus], now_ms: u64) {
    push(
        out,
        format_args!("<section><h2>Miners ({})</h2>", miners.len()),
    );
    out.push_str(
        "<table id=\"miners\"><tr><th>name</th><th>identity</th><th>payout</th>\
         <th class=\"num\">reported</th><th class=\"num\">estimated</th>\
         <th class=\"num\">accepted</th><th class=\"num\">rejected</th>\
         <th class=\"num\">best difficulty</th><th class=\"num\">last seen</th></tr>",
    );
    for m in miners {
        let estimated = m
            .estimated_hash_rate
            .map_or_else(|| "–".to_owned(), hash_rate);
        push(
            out,
            format_args!(
                "<tr><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num mono\">{:#018x}</td><td class=\"num\">{}</td></tr>",
                escape(&m.miner),
                escape(&m.identity),
                escape(&m.payout),
                hash_rate(m.hash_rate),
                escape(&estimated),
                m.shares_accepted,
                m.shares_rejected,
                m.best_difficulty,
                ago(now_ms, m.last_seen_ms),
            ),
        );
    }
    out.push_str("</table></section>");
}

fn blocks(out: &mut String, blocks: &[BlockStatus]) {
    out.push_str(
        "<section><h2>Last blocks</h2><table id=\"blocks\"><tr><th>height</th><th>job</th>\
         <th class=\"num\">shares</th><th class=\"num\">sessions</th><th class=\"num\">chosen</th>\
         <th class=\"num\">written</th><th class=\"num\">failed</th><th class=\"num\">EC spent</th>\
         <th class=\"num\">our winners of 25</th><th>note</th></tr>",
    );
    for b in blocks.iter().rev() {
        let ours = b.ours.map_or_else(|| "–".to_owned(), |n| n.to_string());
        let note = match (&b.skipped, b.done) {
            (Some(why), _) => format!("skipped: {why}"),
            (None, true) => "done".to_owned(),
            (None, false) => "open".to_owned(),
        };
        push(
            out,
            format_args!(
                "<tr><td>{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                b.height,
                escape(b.job_id.as_deref().unwrap_or("–")),
                b.shares_accepted,
                b.sessions_with_shares,
                b.entries_chosen,
                b.entries_written,
                b.entries_failed,
                b.ec_spent,
                escape(&ours),
                escape(&note),
            ),
        );
    }
    out.push_str("</table></section>");
}

/// Chart size in SVG user units.
const CHART_W: f64 = 640.0;
const CHART_H: f64 = 160.0;
const CHART_PAD: f64 = 30.0;

/// Reported (blue) and estimated (orange) fleet hash rate per block.
fn chart(out: &mut String, history: &[HashRatePoint]) {
    out.push_str("<section><h2>Fleet hash rate per block</h2>");
    if history.is_empty() {
        out.push_str("<p class=\"muted\">no block finished yet</p></section>");
        return;
    }
    let top = history
        .iter()
        .map(|p| p.reported.max(p.estimated))
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let step = if history.len() > 1 {
        (CHART_W - 2.0 * CHART_PAD) / (history.len() - 1) as f64
    } else {
        0.0
    };
    let xy = |i: usize, v: f64| {
        let x = CHART_PAD + step * i as f64;
        let y = CHART_H - CHART_PAD - (v / top) * (CHART_H - 2.0 * CHART_PAD);
        (x, y)
    };
    let series = |pick: fn(&HashRatePoint) -> f64| -> Vec<(f64, f64)> {
        history
            .iter()
            .enumerate()
            .map(|(i, p)| xy(i, pick(p)))
            .collect()
    };
    let line = |points: &[(f64, f64)]| {
        points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    // A dot per block, so a history of one block still shows.
    let dots = |points: &[(f64, f64)], color: &str| {
        points
            .iter()
            .map(|(x, y)| format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{color}\"/>"))
            .collect::<String>()
    };
    let (reported, estimated) = (series(|p| p.reported), series(|p| p.estimated));
    push(
        out,
        format_args!(
            "<svg id=\"chart\" viewBox=\"0 0 {CHART_W} {CHART_H}\" width=\"{CHART_W}\" height=\"{CHART_H}\" \
             role=\"img\" aria-label=\"fleet hash rate\">\
             <line x1=\"{CHART_PAD}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#999\"/>\
             <text x=\"{CHART_PAD}\" y=\"16\" font-size=\"11\">{}</text>\
             <polyline fill=\"none\" stroke=\"#1a73e8\" stroke-width=\"2\" points=\"{}\"/>\
             <polyline fill=\"none\" stroke=\"#e8710a\" stroke-width=\"2\" stroke-dasharray=\"5 3\" points=\"{}\"/>{}{}\
             <text x=\"{CHART_PAD}\" y=\"{t}\" font-size=\"11\">{}</text>\
             <text x=\"{r}\" y=\"{t}\" font-size=\"11\" text-anchor=\"end\">{}</text></svg>\
             <p class=\"muted\"><span style=\"color:#1a73e8\">━ reported</span> \
             <span style=\"color:#e8710a\">╍ estimated</span></p></section>",
            escape(&hash_rate(top)),
            line(&reported),
            line(&estimated),
            dots(&reported, "#1a73e8"),
            dots(&estimated, "#e8710a"),
            history[0].height,
            history[history.len() - 1].height,
            b = CHART_H - CHART_PAD,
            r = CHART_W - CHART_PAD,
            t = CHART_H - 10.0,
        ),
    );
}

/// `12.3 kH/s`.
fn hash_rate(per_second: f64) -> String {
    const UNITS: [&str; 5] = ["H/s", "kH/s", "MH/s", "GH/s", "TH/s"];
    let mut v = per_second.max(0.0);
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// `3 s ago`, `5 min ago`.
fn ago(now_ms: u64, then_ms: u64) -> String {
    if then_ms == 0 {
        return "never".to_owned();
    }
    let s = now_ms.saturating_sub(then_ms) / 1000;
    if s < 120 {
        format!("{s} s ago")
    } else if s < 7200 {
        format!("{} min ago", s / 60)
    } else {
        format!("{} h ago", s / 3600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::SourceState;

    fn miner(name: &str) -> MinerStatus {
        MinerStatus {
            miner: name.into(),
            identity: "prototype".into(),
            payout: "FA2jK2HcLnRdS94dEcU27rF3meoJfpUcZPSinpb7AwQvPRY6RL1Q".into(),
            slot: 1,
            threads: 2,
            hash_rate: 1500.0,
            hashes_total: 10,
            best_difficulty: 0xffff_0000_0000_0000,
            last_seen_ms: 9_000,
            estimated_hash_rate: Some(1400.0),
            shares_accepted: 7,
            shares_rejected: 1,
        }
    }

    #[test]
    fn escape_covers_the_five_characters() {
        assert_eq!(
            escape("<a href=\"x\" title='y'>&</a>"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
        assert_eq!(escape("plain-name_1.2"), "plain-name_1.2");
    }

    #[test]
    fn what_a_miner_or_a_source_chose_is_text_not_markup() {
        let mut status = Status::default();
        let mut m = miner("<script>alert(1)</script>");
        m.identity = "<img src=x onerror=alert(2)>".into();
        status.miners.push(m);
        status.health.factomd.up = Some(false);
        status.health.factomd.last_error = Some("<b>refused</b>".into());
        status.health.prices.push(SourceState {
            source: "<i>src</i>".into(),
            state: DependencyState::default(),
        });
        let page = render(&status, 10_000);
        assert!(!page.contains("<script>alert"));
        assert!(!page.contains("<img"));
        assert!(!page.contains("<b>refused"));
        assert!(!page.contains("<i>src"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("&lt;b&gt;refused&lt;/b&gt;"));
    }

    #[test]
    fn the_page_shows_the_height_miners_blocks_and_a_chart() {
        let status = Status {
            network: "MainNet".into(),
            height: 1234,
            minute: 5,
            ec_balance: Some(900),
            ec_blocks_left: Some(36),
            miners: vec![miner("rig-1")],
            blocks: vec![BlockStatus {
                height: 1233,
                entries_written: 3,
                ours: Some(2),
                done: true,
                ..BlockStatus::default()
            }],
            hash_rate_history: vec![
                HashRatePoint {
                    height: 1232,
                    reported: 1000.0,
                    estimated: 900.0,
                },
                HashRatePoint {
                    height: 1233,
                    reported: 1500.0,
                    estimated: 1600.0,
                },
            ],
            ..Status::default()
        };
        let page = render(&status, 12_000);
        assert!(page.contains("height 1234 · minute 5"));
        assert!(page.contains("rig-1"));
        assert!(page.contains("1.5 kH/s"));
        assert!(page.contains("3 s ago"));
        assert!(page.contains("<td>1233</td>"));
        assert!(page.contains("<svg id=\"chart\""));
        assert!(page.contains("36"));
        // Self-contained: nothing fetched from elsewhere.
        assert!(!page.contains("src=\"http"));
        assert!(!page.contains("href=\"http"));
        assert!(!page.contains("<script"));
    }

    #[test]
    fn a_history_of_one_block_still_shows_its_points() {
        let status = Status {
            hash_rate_history: vec![HashRatePoint {
                height: 7,
                reported: 400_000.0,
                estimated: 380_000.0,
            }],
            ..Status::default()
        };
        let page = render(&status, 0);
        assert_eq!(page.matches("<circle ").count(), 2, "a dot per rate");
    }

    #[test]
    fn rates_and_ages_read_well() {
        assert_eq!(hash_rate(999.0), "999.0 H/s");
        assert_eq!(hash_rate(2_500_000.0), "2.5 MH/s");
        assert_eq!(ago(10_000, 0), "never");
        assert_eq!(ago(600_001, 1), "10 min ago");
    }
}
