//! Kubernetes resource quantities ("100m", "0.5", "256Mi", "2Gi", "1k") as exact milli-units,
//! and back to the canonical text the apiserver prints.

/// A quantity in thousandths of the unit (milli-cores, milli-bytes, milli-pods).
pub type Milli = i128;

const BINARY: &[(&str, u32)] = &[("Ki", 1), ("Mi", 2), ("Gi", 3), ("Ti", 4), ("Pi", 5), ("Ei", 6)];
const DECIMAL: &[(&str, u32)] = &[("k", 1), ("M", 2), ("G", 3), ("T", 4), ("P", 5), ("E", 6)];

/// Parses a quantity; `None` for text that is not one. Sub-milli amounts round up.
pub fn parse(text: &str) -> Option<Milli> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+')).unwrap_or(t.len());
    let (num, suffix) = t.split_at(split);
    if num.is_empty() {
        return None;
    }
    let (whole, frac) = num.split_once('.').unwrap_or((num, ""));
    let negative = whole.starts_with('-');
    let digits = whole.trim_start_matches(['-', '+']);
    let whole: i128 = if digits.is_empty() { 0 } else { digits.parse::<i128>().ok()? };
    if frac.len() > 9 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    // value = (whole + frac) × multiplier, computed in nano-units to stay exact.
    let frac_nano: i128 = if frac.is_empty() { 0 } else { frac.parse::<i128>().ok()? * 10i128.pow(9 - u32::try_from(frac.len()).ok()?) };
    let nano = whole.checked_mul(1_000_000_000)?.checked_add(frac_nano)?;
    let scaled_nano = match suffix {
        "" => nano,
        "n" => nano.div_euclid(1_000_000_000) + i128::from(nano.rem_euclid(1_000_000_000) != 0),
        "u" => nano.div_euclid(1_000_000) + i128::from(nano.rem_euclid(1_000_000) != 0),
        "m" => nano.checked_div(1000)?,
        s => {
            if let Some((_, p)) = BINARY.iter().find(|(n, _)| *n == s) {
                nano.checked_mul(1024i128.pow(*p))?
            } else if let Some((_, p)) = DECIMAL.iter().find(|(n, _)| *n == s) {
                nano.checked_mul(1000i128.pow(*p))?
            } else {
                return None;
            }
        }
    };
    // nano-units → milli-units, rounding up.
    let milli = if matches!(suffix, "n" | "u") {
        scaled_nano
    } else {
        scaled_nano.div_euclid(1_000_000) + i128::from(scaled_nano.rem_euclid(1_000_000) != 0)
    };
    Some(if negative { -milli } else { milli })
}

/// Canonical text for a resource: memory and storage with binary suffixes ("768Mi"), the rest
/// (cpu, counts) as plain or milli numbers ("250m", "2", "40").
pub fn format_for(resource: &str, m: Milli) -> String {
    if resource.contains("memory") || resource.contains("storage") {
        format(m)
    } else if m % 1000 != 0 {
        format!("{m}m")
    } else {
        (m / 1000).to_string()
    }
}

/// Canonical text: "250m", "2", "768Mi", "1500M", "3".
pub fn format(m: Milli) -> String {
    if m % 1000 != 0 {
        return format!("{m}m");
    }
    let n = m / 1000;
    if n == 0 {
        return "0".into();
    }
    for (suffix, p) in BINARY.iter().rev() {
        let unit = 1024i128.pow(*p);
        if n % unit == 0 {
            return format!("{}{suffix}", n / unit);
        }
    }
    if n >= 1_000_000 {
        for (suffix, p) in DECIMAL.iter().rev() {
            let unit = 1000i128.pow(*p);
            if n % unit == 0 {
                return format!("{}{suffix}", n / unit);
            }
        }
    }
    n.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_like_the_apiserver() {
        let cases = [
            ("100m", 100),
            ("0.5", 500),
            ("2", 2000),
            ("256Mi", 256 * 1024 * 1024 * 1000),
            ("1k", 1_000_000),
            ("1.5Gi", 1536 * 1024 * 1024 * 1000),
        ];
        for (text, milli) in cases {
            assert_eq!(parse(text), Some(milli), "{text}");
        }
        assert_eq!(parse("abc"), None);
        assert_eq!(parse("5Zi"), None);
        assert_eq!(format(300), "300m");
        assert_eq!(format(8000), "8");
        assert_eq!(format(768 * 1024 * 1024 * 1000), "768Mi");
        assert_eq!(format(16 * 1024 * 1024 * 1024 * 1000), "16Gi");
        assert_eq!(format(0), "0");
        assert_eq!(format(3000), "3");
        assert_eq!(format_for("pods", 1024 * 1000), "1024");
        assert_eq!(format_for("requests.cpu", 1500), "1500m");
        assert_eq!(format_for("limits.memory", 512 * 1024 * 1024 * 1000), "512Mi");
        assert_eq!(parse(".5"), Some(500));
    }
}
