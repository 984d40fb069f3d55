//! Dates as the simulated APIs print them, from the feed's clock (Unix seconds, UTC).

/// Seconds in a day.
pub(crate) const SECS_PER_DAY: u64 = 86_400;

/// RFC 2822 in UTC, as ExchangeRate-API prints it: `Fri, 27 Mar 2020 00:02:31 +0000`.
pub(crate) fn http_date(unix: u64) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix / SECS_PER_DAY;
    let secs = unix % SECS_PER_DAY;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} +0000",
        WEEKDAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
    )
}

/// The UTC day, `2024-06-14` (the ECB's `time`, APILayer's `date`).
pub(crate) fn iso_date(unix: u64) -> String {
    let (year, month, day) = civil_from_days(unix / SECS_PER_DAY);
    format!("{year:04}-{month:02}-{day:02}")
}

/// ISO 8601 with milliseconds, as CoinMarketCap prints it: `2024-06-14T12:00:05.000Z`.
pub(crate) fn iso_timestamp(unix: u64) -> String {
    let secs = unix % SECS_PER_DAY;
    format!(
        "{}T{:02}:{:02}:{:02}.000Z",
        iso_date(unix),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The proleptic Gregorian (year, month 1..=12, day 1..=31) of a day count since
/// 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_print_like_the_apis() {
        assert_eq!(http_date(1_585_267_351), "Fri, 27 Mar 2020 00:02:31 +0000");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
        assert_eq!(http_date(4_102_444_799), "Thu, 31 Dec 2099 23:59:59 +0000");
        assert_eq!(iso_date(951_782_400), "2000-02-29");
        assert_eq!(iso_timestamp(1_585_267_351), "2020-03-27T00:02:31.000Z");
    }
}
