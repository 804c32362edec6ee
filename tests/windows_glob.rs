//! Glob matching is linear-time (patterns come from the cluster) and keeps gobwas semantics:
//! the work is bounded by text × pattern size, and a separately written backtracking matcher
//! (the old implementation, kept here as the reference) agrees on random small inputs.

use cabin::domain::windows::glob::{Glob, glob_match};
use proptest::prelude::*;

/// `*a*a*a*a*a*a*a*b` against 60 `a`s: the backtracking matcher tries ~C(60,7) splits.
#[test]
fn pathological_patterns_do_linear_work() {
    let cases = [
        ("*a*a*a*a*a*a*a*b", "a".repeat(60)),
        ("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "a".repeat(4000)),
        ("{*a,*b}{*a,*b}{*a,*b}{*a,*b}{*a,*b}{*a,*b}c", "ab".repeat(2000)),
        ("*?*?*?*?*?*?*?*?*?*?*?*?[!a]", "a".repeat(4000)),
    ];
    for (pattern, text) in cases {
        let g = Glob::compile(pattern).unwrap_or_else(|| panic!("{pattern} compiles"));
        assert!(!g.is_match(&text), "{pattern} must not match");
        let bound = text.chars().count() * g.instructions();
        let steps = g.match_steps(&text);
        assert!(steps <= bound, "{pattern}: {steps} steps > {bound}");
        assert!(g.instructions() <= 4 * pattern.chars().count() + 1, "{pattern}: {} instructions", g.instructions());
    }
    // The same shape that does match, found without backtracking too.
    let g = Glob::compile("*a*a*a*a*a*a*a*b").unwrap_or_else(|| panic!("compiles"));
    assert!(g.is_match(&format!("{}b", "a".repeat(60))));
}

#[test]
fn gobwas_semantics_kept() {
    let yes = [
        ("*", ""),
        ("*", "anything/at all"),
        ("web-*", "web-a/b"),
        ("w?b", "web"),
        ("[a-c]x", "bx"),
        ("[!a-c]x", "dx"),
        ("[xyz]1", "y1"),
        ("{api,web}-prod", "web-prod"),
        ("{api,web*}-prod", "web-eu-prod"),
        ("{a,{b,c}d}", "cd"),
        ("{a,}x", "x"),
        ("\\*lit", "*lit"),
        ("!x", "!x"),
        ("*-prod-*", "eu-prod-1"),
        ("a*", "a"),
    ];
    for (p, t) in yes {
        assert!(glob_match(p, t), "{p} should match {t:?}");
    }
    let no = [
        ("[!a-c]x", "bx"),
        ("{api,web}-prod", "db-prod"),
        ("w?b", "wb"),
        ("Web", "web"),
        ("!x", "y"),
        ("[a-", "a"),
        ("{a,b", "a"),
        ("a*b", "ac"),
        ("?", ""),
    ];
    for (p, t) in no {
        assert!(!glob_match(p, t), "{p} should not match {t:?}");
    }
}

/// The reference: the backtracking matcher over the same pattern language, written
/// independently of the automaton (own parser, recursion over the pattern text).
mod reference {
    #[derive(Clone, Debug)]
    enum Tok {
        Lit(char),
        Any,
        One,
        Set { not: bool, pred: Vec<(char, char)> },
        Alt(Vec<Vec<Tok>>),
    }

    fn parse_seq(p: &[char], i: &mut usize, nested: bool) -> Option<Vec<Tok>> {
        let mut out = Vec::new();
        while *i < p.len() {
            let c = p[*i];
            if nested && (c == ',' || c == '}') {
                return Some(out);
            }
            *i += 1;
            match c {
                '*' => out.push(Tok::Any),
                '?' => out.push(Tok::One),
                '\\' => {
                    if *i < p.len() {
                        out.push(Tok::Lit(p[*i]));
                        *i += 1;
                    }
                }
                '[' => {
                    let not = p.get(*i) == Some(&'!');
                    if not {
                        *i += 1;
                    }
                    let first = *p.get(*i)?;
                    *i += 1;
                    if p.get(*i) == Some(&'-') && first != ']' {
                        let hi = *p.get(*i + 1)?;
                        if p.get(*i + 2) != Some(&']') {
                            return None;
                        }
                        *i += 3;
                        out.push(Tok::Set { not, pred: vec![(first, hi)] });
                    } else {
                        let mut pred = Vec::new();
                        let mut c = first;
                        loop {
                            if c == ']' {
                                break;
                            }
                            if c == '\\' {
                                c = *p.get(*i)?;
                                *i += 1;
                            }
                            pred.push((c, c));
                            c = *p.get(*i)?;
                            *i += 1;
                        }
                        out.push(Tok::Set { not, pred });
                    }
                }
                '{' => {
                    let mut alts = Vec::new();
                    loop {
                        alts.push(parse_seq(p, i, true)?);
                        let sep = *p.get(*i)?;
                        *i += 1;
                        if sep == '}' {
                            break;
                        }
                    }
                    out.push(Tok::Alt(alts));
                }
                _ => out.push(Tok::Lit(c)),
            }
        }
        if nested { None } else { Some(out) }
    }

    fn m(toks: &[Tok], t: &[char]) -> bool {
        let Some((first, rest)) = toks.split_first() else { return t.is_empty() };
        match first {
            Tok::Any => (0..=t.len()).any(|k| m(rest, &t[k..])),
            Tok::Alt(alts) => alts.iter().any(|a| {
                let mut v = a.clone();
                v.extend_from_slice(rest);
                m(&v, t)
            }),
            _ if t.is_empty() => false,
            Tok::Lit(c) => t[0] == *c && m(rest, &t[1..]),
            Tok::One => m(rest, &t[1..]),
            Tok::Set { not, pred } => (pred.iter().any(|(lo, hi)| *lo <= t[0] && t[0] <= *hi) != *not) && m(rest, &t[1..]),
        }
    }

    pub fn matches(pattern: &str, text: &str) -> bool {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        let mut i = 0;
        parse_seq(&p, &mut i, false).is_some_and(|toks| m(&toks, &t))
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn agrees_with_the_backtracking_reference(
        pattern in "[ab*?{},!\\[\\]\\-]{0,9}",
        text in "[ab,-]{0,8}",
    ) {
        prop_assert_eq!(glob_match(&pattern, &text), reference::matches(&pattern, &text), "pattern {:?} text {:?}", pattern, text);
    }
}
