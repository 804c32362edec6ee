//! gobwas/glob v0.2.3 semantics without separators (as Argo CD's `util/glob.Match` uses it):
//! `*` any run, `?` one char, `[abc]` `[a-z]` `[!x]`, `{a,b}`, `\` escapes; anchored and
//! case-sensitive. A pattern that fails to compile matches nothing.

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Lit(char),
    Any,
    Single,
    Class { not: bool, lo: char, hi: char },
    List { not: bool, chars: Vec<char> },
    Alt(Vec<Vec<Node>>),
}

/// A compiled glob pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Glob {
    nodes: Vec<Node>,
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
}

impl Lexer<'_> {
    /// Parses a sequence until EOF (depth 0) or until `,`/`}` inside braces.
    fn seq(&mut self, in_terms: bool) -> Option<Vec<Node>> {
        let mut out = Vec::new();
        while let Some(&c) = self.chars.peek() {
            if in_terms && (c == ',' || c == '}') {
                return Some(out);
            }
            self.chars.next();
            match c {
                '*' => {
                    if out.last() != Some(&Node::Any) {
                        out.push(Node::Any);
                    }
                }
                '?' => out.push(Node::Single),
                '[' => out.push(self.range()?),
                '{' => out.push(self.terms()?),
                '\\' => {
                    if let Some(n) = self.chars.next() {
                        out.push(Node::Lit(n));
                    }
                }
                _ => out.push(Node::Lit(c)),
            }
        }
        if in_terms { None } else { Some(out) }
    }

    fn terms(&mut self) -> Option<Node> {
        let mut alts = Vec::new();
        loop {
            alts.push(self.seq(true)?);
            match self.chars.next()? {
                ',' => continue,
                _ => return Some(Node::Alt(alts)),
            }
        }
    }

    fn range(&mut self) -> Option<Node> {
        let mut not = false;
        if self.chars.peek() == Some(&'!') {
            self.chars.next();
            not = true;
        }
        let first = self.chars.next()?;
        if self.chars.peek() == Some(&'-') && first != ']' {
            self.chars.next();
            let hi = self.chars.next()?;
            return (self.chars.next()? == ']').then_some(Node::Class { not, lo: first, hi });
        }
        let mut chars = Vec::new();
        let mut c = first;
        loop {
            match c {
                ']' => return Some(Node::List { not, chars }),
                '\\' => chars.push(self.chars.next()?),
                _ => chars.push(c),
            }
            c = self.chars.next()?;
        }
    }
}

fn match_seq(nodes: &[Node], text: &[char]) -> bool {
    let Some((first, rest)) = nodes.split_first() else {
        return text.is_empty();
    };
    let one = |ok: bool| ok && match_seq(rest, &text[1..]);
    match first {
        Node::Any => (0..=text.len()).any(|i| match_seq(rest, &text[i..])),
        Node::Alt(alts) => alts.iter().any(|alt| {
            let mut joined = alt.clone();
            joined.extend_from_slice(rest);
            match_seq(&joined, text)
        }),
        _ if text.is_empty() => false,
        Node::Lit(c) => one(text[0] == *c),
        Node::Single => one(true),
        Node::Class { not, lo, hi } => one((*lo <= text[0] && text[0] <= *hi) != *not),
        Node::List { not, chars } => one(chars.contains(&text[0]) != *not),
    }
}

impl Glob {
    /// Compiles a pattern; `None` when gobwas would reject it.
    pub fn compile(pattern: &str) -> Option<Glob> {
        let mut lexer = Lexer { chars: pattern.chars().peekable() };
        lexer.seq(false).map(|nodes| Glob { nodes })
    }

    /// Whether the whole text matches.
    pub fn is_match(&self, text: &str) -> bool {
        if let [Node::Any] = self.nodes.as_slice() {
            return true;
        }
        if self.nodes.iter().all(|n| matches!(n, Node::Lit(_))) {
            return self.nodes.len() == text.chars().count() && self.nodes.iter().zip(text.chars()).all(|(n, c)| *n == Node::Lit(c));
        }
        let chars: Vec<char> = text.chars().collect();
        match_seq(&self.nodes, &chars)
    }
}

/// A pattern prepared for repeated matching (fast paths for `*`, literals and `prefix*`).
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    Any,
    Exact(String),
    Prefix(String),
    Compiled(Glob),
    /// Failed to compile: matches nothing.
    Never,
}

impl Pattern {
    pub fn new(pattern: &str) -> Pattern {
        if pattern == "*" {
            return Pattern::Any;
        }
        let special = |c: char| matches!(c, '*' | '?' | '[' | '{' | '\\');
        if !pattern.contains(special) {
            return Pattern::Exact(pattern.to_string());
        }
        if let Some(prefix) = pattern.strip_suffix('*').filter(|p| !p.contains(special)) {
            return Pattern::Prefix(prefix.to_string());
        }
        Glob::compile(pattern).map_or(Pattern::Never, Pattern::Compiled)
    }

    pub fn is_match(&self, text: &str) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Exact(p) => p == text,
            Pattern::Prefix(p) => text.starts_with(p.as_str()),
            Pattern::Compiled(g) => g.is_match(text),
            Pattern::Never => false,
        }
    }
}

/// Argo CD's `glob.Match(pattern, text)`: `*` matches anything; a bad pattern matches nothing.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    Pattern::new(pattern).is_match(text)
}
