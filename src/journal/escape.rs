//! Making entry text safe for the reader: control characters shown escaped on terminals, and
//! spreadsheet formulas neutralised in CSV.
use std::borrow::Cow;
use std::fmt::Write as _;

/// True for characters a terminal would act on rather than show: C0 and C1 controls, DEL, and
/// the Unicode bidirectional overrides/isolates (which can make text read differently).
fn is_hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every control character (escape, newline, carriage return, tab, bell, C1, bidi
/// overrides…) replaced by a visible escape: `\e`, `\n`, `\r`, `\t`, `\x07`, `\u{202e}`; a
/// backslash before such an escape could make it ambiguous, so backslashes become `\\` too
/// when the text has anything to escape.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{1b}' => out.push_str("\\e"),
            c if u32::from(c) < 0x100 && is_hidden(c) => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if is_hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A CSV cell that no spreadsheet evaluates: a cell starting with `=`, `+`, `-`, `@`, tab or
/// carriage return (also after leading spaces) gets a leading `'` as OWASP recommends; then the
/// cell is quoted (RFC 4180) when it holds a comma, quote, newline or was neutralised.
pub fn csv_cell(s: &str) -> String {
    let risky = s.trim_start_matches(' ').starts_with(FORMULA_START);
    let text: Cow<'_, str> = if risky { Cow::Owned(format!("'{s}")) } else { Cow::Borrowed(s) };
    if risky || text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.into_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible_escapes() {
        assert_eq!(visible("plain text, ü ✔"), "plain text, ü ✔");
        assert_eq!(visible("a\u{1b}[2Jb"), "a\\e[2Jb");
        assert_eq!(visible("l1\nl2\r\t\u{7}"), "l1\\nl2\\r\\t\\x07");
        assert_eq!(visible("\u{9b}31m"), "\\x9b31m");
        assert_eq!(visible("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(visible("C:\\dir\u{7f}"), "C:\\\\dir\\x7f");
        assert_eq!(visible("C:\\dir"), "C:\\dir");
    }

    #[test]
    fn csv_cells_never_start_a_formula() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
        for s in ["+1", "-1+2", "@SUM(A1)", "\tx", "\rx", "  =1"] {
            let c = csv_cell(s);
            assert!(c.starts_with("\"'"), "{s:?} → {c:?}");
        }
        assert_eq!(csv_cell("a=b"), "a=b");
    }
}
