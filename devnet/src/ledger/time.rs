//! factomd's date strings (`2006-01-02 15:04:05`). factomd formats them in the node's local
//! time zone; the devnet's zone is UTC, which is what a container's factomd reports too.

/// `YYYY-MM-DD hh:mm:ss` of a Unix time in seconds, in UTC.
pub fn date_string(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::date_string;

    #[test]
    fn matches_known_dates() {
        // reference/factom.md: 1700000000 is 2023-11-14 22:13:20 UTC.
        assert_eq!(date_string(1_700_000_000), "2023-11-14 22:13:20");
        // The Go client's ack fixture shows 1449547800 as "2015-12-07 22:10:00": its node ran
        // at UTC-6; in UTC it is six hours later.
        assert_eq!(date_string(1_449_547_800), "2015-12-08 04:10:00");
        assert_eq!(date_string(0), "1970-01-01 00:00:00");
        assert_eq!(date_string(951_825_600), "2000-02-29 12:00:00");
    }
}
