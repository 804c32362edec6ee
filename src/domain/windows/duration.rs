//! Go `time.ParseDuration`, with Go's exact error texts.

/// A duration parse error; its text is exactly Go's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DurationError(pub String);

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

fn unit_ns(u: &str) -> Option<u64> {
    Some(match u {
        "ns" => 1,
        "us" | "µs" | "μs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// Consumes leading digits; `Err` on overflow.
fn leading_int(s: &[u8]) -> Result<(u64, usize), ()> {
    let mut x: u64 = 0;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        if x > (1u64 << 63) / 10 {
            return Err(());
        }
        x = x * 10 + u64::from(s[i] - b'0');
        if x > 1 << 63 {
            return Err(());
        }
        i += 1;
    }
    Ok((x, i))
}

fn leading_fraction(s: &[u8]) -> (u64, f64, usize) {
    let (mut x, mut scale, mut i, mut overflow) = (0u64, 1f64, 0, false);
    while i < s.len() && s[i].is_ascii_digit() {
        if !overflow {
            if x > (1u64 << 63) / 10 {
                overflow = true;
            } else {
                let y = x * 10 + u64::from(s[i] - b'0');
                if y > 1 << 63 {
                    overflow = true;
                } else {
                    x = y;
                    scale *= 10.0;
                }
            }
        }
        i += 1;
    }
    (x, scale, i)
}

/// One `number unit` component: its value in nanoseconds and the rest of the input.
fn component<'a>(s: &'a [u8], orig: &str) -> Result<(u64, &'a [u8]), DurationError> {
    let invalid = || DurationError(format!("time: invalid duration {}", quote(orig)));
    if !(s[0] == b'.' || s[0].is_ascii_digit()) {
        return Err(invalid());
    }
    let (v, n) = leading_int(s).map_err(|_| invalid())?;
    let pre = n > 0;
    let mut s = &s[n..];
    let (mut f, mut scale, mut post) = (0u64, 1f64, false);
    if s.first() == Some(&b'.') {
        s = &s[1..];
        let (f2, sc2, n2) = leading_fraction(s);
        (f, scale, post) = (f2, sc2, n2 > 0);
        s = &s[n2..];
    }
    if !pre && !post {
        return Err(invalid());
    }
    let i = s.iter().position(|&c| c == b'.' || c.is_ascii_digit()).unwrap_or(s.len());
    if i == 0 {
        return Err(DurationError(format!("time: missing unit in duration {}", quote(orig))));
    }
    let u = String::from_utf8_lossy(&s[..i]).into_owned();
    let Some(unit) = unit_ns(&u) else {
        return Err(DurationError(format!("time: unknown unit {} in duration {}", quote(&u), quote(orig))));
    };
    if v > (1u64 << 63) / unit {
        return Err(invalid());
    }
    let mut v = v * unit;
    if f > 0 {
        v += (f as f64 * (unit as f64 / scale)) as u64;
        if v > 1 << 63 {
            return Err(invalid());
        }
    }
    Ok((v, &s[i..]))
}

/// Parses like Go's `time.ParseDuration`; returns nanoseconds.
pub fn parse_go_duration(orig: &str) -> Result<i64, DurationError> {
    let invalid = || DurationError(format!("time: invalid duration {}", quote(orig)));
    let mut s = orig.as_bytes();
    let mut neg = false;
    if let Some(&c) = s.first()
        && (c == b'-' || c == b'+')
    {
        neg = c == b'-';
        s = &s[1..];
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut d: u64 = 0;
    while !s.is_empty() {
        let (v, rest) = component(s, orig)?;
        s = rest;
        d += v;
        if d > 1 << 63 {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((d as i128).wrapping_neg() as i64);
    }
    i64::try_from(d).map_err(|_| invalid())
}
