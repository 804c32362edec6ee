//! Human wording: countdown durations (`1h12m`, `16h03m`) and schedules in words.

use super::window::SyncWindow;

/// `45s`, `12m`, `1h12m`, `16h03m`, `2d03h` (negative values are shown as `0s`).
pub fn format_duration(secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3_600, (s % 3_600) / 60);
    if d > 0 {
        format!("{d}d{h:02}h")
    } else if h > 0 {
        format!("{h}h{m:02}m")
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{s}s")
    }
}

const DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn bits(mask: u64, lo: u32, hi: u32) -> Vec<u32> {
    (lo..=hi).filter(|v| mask & (1 << v) != 0).collect()
}

/// "at 02:00 on Tuesday and Thursday, for 4h, UTC"; the raw schedule when it is irregular.
pub fn schedule_in_words(w: &SyncWindow) -> String {
    let zone = if w.time_zone.is_empty() { "UTC" } else { w.time_zone.as_str() };
    let Ok(s) = super::cron::Schedule::parse(&w.schedule) else {
        return format!("invalid schedule '{}'", w.schedule);
    };
    let (mins, hours) = (bits(s.minute, 0, 59), bits(s.hour, 0, 23));
    let time = match (mins.as_slice(), hours.len()) {
        ([m], 24) => format!("at minute {m} of every hour"),
        ([m], _) => {
            let t: Vec<String> = hours.iter().map(|h| format!("{h:02}:{m:02}")).collect();
            format!("at {}", join_and(&t))
        }
        _ if mins.len() == 60 && hours.len() == 24 => "every minute".to_string(),
        _ => format!("on schedule '{}'", w.schedule),
    };
    let mut parts = vec![time];
    let dows = bits(s.dow, 0, 6);
    let doms = bits(s.dom, 1, 31);
    let dow_words: Vec<String> = dows.iter().map(|d| DAYS[*d as usize].to_string()).collect();
    let dom_words: Vec<String> = doms.iter().map(|d| d.to_string()).collect();
    let dow_all = dows.len() == 7;
    let dom_all = doms.len() == 31;
    match (dom_all, dow_all) {
        (true, true) => {}
        (true, false) => parts.push(format!("on {}", join_and(&dow_words))),
        (false, true) => parts.push(format!("on day {} of the month", join_and(&dom_words))),
        (false, false) => {
            let joiner = if s.dom_star || s.dow_star { "and" } else { "or" };
            parts.push(format!("on day {} of the month {joiner} on {}", join_and(&dom_words), join_and(&dow_words)));
        }
    }
    let months = bits(s.month, 1, 12);
    if months.len() < 12 {
        let names: Vec<String> = months.iter().map(|m| MONTHS[*m as usize - 1].to_string()).collect();
        parts.push(format!("in {}", join_and(&names)));
    }
    format!("{}, for {}, {zone}", parts.join(" "), w.duration)
}
