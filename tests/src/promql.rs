//! The metric names a PromQL expression selects, found by a small scanner instead of a full
//! parser (no PromQL parser crate earns a place for this; Prometheus itself checks the syntax
//! in the tests). It skips strings, label matchers `{…}`, ranges `[…]`, label lists after
//! `by`/`without`/`on`/`ignoring`/`group_left`/`group_right`, numbers and durations,
//! `$variables`, keywords, and function or aggregation names (an identifier followed by `(`).

/// Words that are never metric names: operators, modifiers, and aggregations, which may be
/// followed by `by (…)` instead of their `(`.
const KEYWORDS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "offset",
    "bool",
    "and",
    "or",
    "unless",
    "atan2",
    "inf",
    "nan",
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
];
const LABEL_LISTS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// The metric names `expr` selects, in order of appearance, each once.
pub fn metric_names(expr: &str) -> Vec<String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut names: Vec<String> = Vec::new();
    let mut previous_word = String::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '"' | '\'' | '`' => i = skip_string(&chars, i),
            '{' => i = skip_until(&chars, i, '}'),
            '[' => i = skip_until(&chars, i, ']'),
            '$' => i = skip_word(&chars, i + 1),
            '(' if LABEL_LISTS.contains(&previous_word.as_str()) => {
                i = skip_until(&chars, i, ')');
                previous_word.clear();
            }
            c if c.is_ascii_digit() || (c == '.' && next_is_digit(&chars, i)) => {
                i = skip_number(&chars, i);
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                let end = skip_word(&chars, i);
                let word: String = chars.get(i..end).unwrap_or_default().iter().collect();
                let called = next_non_space(&chars, end) == Some('(');
                let keyword = KEYWORDS.contains(&word.to_ascii_lowercase().as_str());
                if !called && !keyword && !names.contains(&word) {
                    names.push(word.clone());
                }
                previous_word = word;
                i = end;
            }
            c if c.is_whitespace() => i += 1,
            _ => {
                previous_word.clear();
                i += 1;
            }
        }
    }
    names
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

fn skip_word(chars: &[char], mut i: usize) -> usize {
    while chars.get(i).copied().is_some_and(is_word_char) {
        i += 1;
    }
    i
}

/// Past a number or a duration: `1e-9`, `0.5`, `15m`, `1h30m`, `0x1F`.
fn skip_number(chars: &[char], mut i: usize) -> usize {
    while let Some(&c) = chars.get(i) {
        let exponent_sign = (c == '-' || c == '+')
            && i > 0
            && chars.get(i - 1).is_some_and(|p| *p == 'e' || *p == 'E');
        if is_word_char(c) || c == '.' || exponent_sign {
            i += 1;
        } else {
            break;
        }
    }
    i
}

fn skip_string(chars: &[char], start: usize) -> usize {
    let quote = chars.get(start).copied();
    let mut i = start + 1;
    while let Some(&c) = chars.get(i) {
        if c == '\\' && quote != Some('`') {
            i += 2;
        } else if Some(c) == quote {
            return i + 1;
        } else {
            i += 1;
        }
    }
    i
}

/// Past the `close` that ends the group opened at `start`, skipping strings inside it.
fn skip_until(chars: &[char], start: usize, close: char) -> usize {
    let mut i = start + 1;
    while let Some(&c) = chars.get(i) {
        match c {
            '"' | '\'' | '`' => i = skip_string(chars, i),
            c if c == close => return i + 1,
            _ => i += 1,
        }
    }
    i
}

fn next_non_space(chars: &[char], from: usize) -> Option<char> {
    chars
        .get(from..)?
        .iter()
        .copied()
        .find(|c| !c.is_whitespace())
}

fn next_is_digit(chars: &[char], i: usize) -> bool {
    chars.get(i + 1).is_some_and(char::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_selected_metrics_only() {
        let expr = r#"histogram_quantile(0.9, sum by (source, le) (rate(pegnet_coordinator_price_request_duration_seconds_bucket{source=~"a|b}"}[$block])))"#;
        assert_eq!(
            metric_names(expr),
            ["pegnet_coordinator_price_request_duration_seconds_bucket"]
        );
    }

    #[test]
    fn binary_operators_matching_and_offsets() {
        let expr = "sum by (instance, job) (rate(a_total[5m])) / clamp_min(b offset 15m, 1e-9) \
                    > on(instance) group_left(miner) c and time() - d{x=\"y\"} > 0.5 * up";
        assert_eq!(metric_names(expr), ["a_total", "b", "c", "d", "up"]);
    }

    #[test]
    fn variables_and_keywords_are_not_metrics() {
        assert_eq!(
            metric_names("increase(x[$__rate_interval]) or vector(0) unless bool y"),
            ["x", "y"]
        );
    }
}
