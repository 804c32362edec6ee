//! Kubernetes resource quantities (`100m`, `256Mi`, `1.5`, `2e3`) in milli-units, for quota
//! headroom arithmetic.

/// Bound on accepted magnitudes (about 10^30 milli-units): anything larger is refused.
const LIMIT: i128 = 1_000_000_000_000_000_000_000_000_000_000;

/// Parses a quantity into milli-units, rounding up (as quota admission does for requests).
pub fn parse_quantity(text: &str) -> Option<i128> {
    let s = text.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, suffix) = s.split_at(split);
    if number.is_empty() || number == "." || number.len() > 40 {
        return None;
    }
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if frac.contains('.') {
        return None;
    }
    // value = digits × 10^(scale10) × 2^(scale2), digits without the decimal point.
    let digits: i128 = format!("{int}{frac}").parse().ok()?;
    let (mut scale10, scale2) = suffix_scale(suffix)?;
    scale10 -= i32::try_from(frac.len()).ok()?;
    scale10 += 3; // milli-units
    let mut v = digits.checked_mul(1i128.checked_shl(scale2)?)?;
    if scale10 >= 0 {
        v = v.checked_mul(10i128.checked_pow(u32::try_from(scale10).ok()?)?)?;
    } else {
        let d = 10i128.checked_pow(scale10.unsigned_abs())?;
        v = (v + d - 1) / d;
    }
    if v > LIMIT {
        return None;
    }
    Some(if neg { -v } else { v })
}

/// (power of ten, power of two) of a suffix.
fn suffix_scale(suffix: &str) -> Option<(i32, u32)> {
    Some(match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        e if e.starts_with(['e', 'E']) => {
            let exp: i32 = e[1..].parse().ok()?;
            if !(-30..=30).contains(&exp) {
                return None;
            }
            (exp, 0)
        }
        _ => return None,
    })
}

/// Milli-units back to a short quantity text (`250m`, `3`, `512Mi` is not recovered: plain
/// numbers are shown for bytes).
pub fn format_milli(v: i128) -> String {
    if v % 1000 == 0 { format!("{}", v / 1000) } else { format!("{v}m") }
}
