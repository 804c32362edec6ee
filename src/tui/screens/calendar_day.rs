//! `:cal DAY`: reading the day argument, bounded so that no typed number reaches chrono's
//! limits (DESIGN.md: everything typed is bounded).

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// How far from today a day may be (either way): the calendar and its date arithmetic stay
/// far from chrono's limits whatever is typed (`:cal +200000000000`, `:cal +262143-12-25`).
pub const MAX_DAY_OFFSET: i64 = 36_525;

/// Why `:cal DAY` cannot be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DayError {
    #[error("cannot read the day `{0}`")]
    Unreadable(String),
    #[error("the day `{0}` is out of range: the calendar reaches 100 years (36525 days) either side of today")]
    OutOfRange(String),
}

/// `2026-12-24`, `12-24` (the next one), `+3` / `-3` (days from today), `today`, `tomorrow`,
/// `fri` (today or the next Friday); None when unreadable or out of range.
pub fn parse_day(arg: &str, today: NaiveDate) -> Option<NaiveDate> {
    read_day(arg, today).ok()
}

/// [`parse_day`] with the reason: unreadable, or more than [`MAX_DAY_OFFSET`] days away.
pub fn read_day(arg: &str, today: NaiveDate) -> Result<NaiveDate, DayError> {
    let a = arg.trim().to_ascii_lowercase();
    let out_of_range = || DayError::OutOfRange(arg.trim().to_string());
    let within =
        |d: NaiveDate| if (d - today).num_days().unsigned_abs() <= MAX_DAY_OFFSET.unsigned_abs() { Ok(d) } else { Err(out_of_range()) };
    match NaiveDate::parse_from_str(&a, "%Y-%m-%d") {
        Ok(d) => return within(d),
        // A well-formed date beyond chrono's years (`+262143-12-25`).
        Err(e) if a.starts_with(['+', '-']) && e.kind() == chrono::format::ParseErrorKind::OutOfRange => return Err(out_of_range()),
        Err(_) => {}
    }
    if let Ok(d) = NaiveDate::parse_from_str(&format!("{}-{a}", today.year()), "%Y-%m-%d") {
        return within(if d < today { d.with_year(today.year() + 1).unwrap_or(d) } else { d });
    }
    let signed = a.strip_prefix('+').or(a.strip_prefix('-').map(|_| a.as_str()));
    let digits = |n: &str| {
        let d = n.strip_prefix('-').unwrap_or(n);
        !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
    };
    if let Some(n) = signed.filter(|n| digits(n)) {
        // Digits only: anything that does not fit (or is beyond the range) is out of range.
        let n = n.parse::<i64>().ok().filter(|n| n.unsigned_abs() <= MAX_DAY_OFFSET.unsigned_abs()).ok_or_else(out_of_range)?;
        return today.checked_add_signed(Duration::days(n)).ok_or_else(out_of_range);
    }
    match a.as_str() {
        "today" => return Ok(today),
        "tomorrow" => return within(today.succ_opt().ok_or_else(out_of_range)?),
        _ => {}
    }
    let wd: Weekday = a.parse().map_err(|_| DayError::Unreadable(arg.trim().to_string()))?;
    let ahead = (7 + wd.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    today.checked_add_signed(Duration::days(i64::from(ahead))).ok_or_else(out_of_range)
}
