//! gobwas/glob v0.2.3 semantics without separators (as Argo CD's `util/glob.Match` uses it):
//! `*` any run, `?` one char, `[abc]` `[a-z]` `[!x]`, `{a,b}`, `\` escapes; anchored and
//! case-sensitive. A pattern that fails to compile matches nothing.
//!
//! Patterns come from the cluster (AppProjects) and are matched on every key and tick, so
//! matching is a set simulation of the pattern's automaton: linear in the text for a given
//! pattern, never backtracking (`*a*a*a*a*a*a*a*b` against 60 chars is microseconds).

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
    prog: Vec<Inst>,
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

/// One instruction of the compiled matcher (a Thompson NFA over chars).
#[derive(Debug, Clone, PartialEq)]
enum Inst {
    /// Consume one char satisfying the node (`Lit`, `Single`, `Class`, `List`), go on.
    Char(Node),
    /// `*`: consume any char and stay, or go on without consuming.
    Star,
    /// Go on at every listed instruction without consuming (`{a,b}`).
    Split(Vec<usize>),
    /// Go on at the instruction without consuming (end of an alternative).
    Jump(usize),
    /// The whole text matched.
    Accept,
}

fn emit(nodes: &[Node], prog: &mut Vec<Inst>) {
    for n in nodes {
        match n {
            Node::Any => prog.push(Inst::Star),
            Node::Alt(alts) => {
                let split = prog.len();
                prog.push(Inst::Split(Vec::new()));
                let (mut starts, mut jumps) = (Vec::new(), Vec::new());
                for alt in alts {
                    starts.push(prog.len());
                    emit(alt, prog);
                    jumps.push(prog.len());
                    prog.push(Inst::Jump(0));
                }
                let end = prog.len();
                prog[split] = Inst::Split(starts);
                for j in jumps {
                    prog[j] = Inst::Jump(end);
                }
            }
            other => prog.push(Inst::Char(other.clone())),
        }
    }
}

fn accepts(node: &Node, c: char) -> bool {
    match node {
        Node::Lit(l) => *l == c,
        Node::Single => true,
        Node::Class { not, lo, hi } => (*lo <= c && c <= *hi) != *not,
        Node::List { not, chars } => chars.contains(&c) != *not,
        Node::Any | Node::Alt(_) => false,
    }
}

/// A set of instruction indices with O(1) insert and ordered iteration.
struct StateSet {
    member: Vec<bool>,
    list: Vec<usize>,
}

impl StateSet {
    fn new(n: usize) -> Self {
        StateSet { member: vec![false; n], list: Vec::with_capacity(n) }
    }

    fn clear(&mut self) {
        for &i in &self.list {
            self.member[i] = false;
        }
        self.list.clear();
    }

    /// Adds `pc` and everything reachable from it without consuming a char.
    fn add(&mut self, prog: &[Inst], pc: usize, stack: &mut Vec<usize>) {
        stack.push(pc);
        while let Some(pc) = stack.pop() {
            if pc >= prog.len() || self.member[pc] {
                continue;
            }
            self.member[pc] = true;
            self.list.push(pc);
            match &prog[pc] {
                Inst::Star => stack.push(pc + 1),
                Inst::Split(targets) => stack.extend(targets.iter().rev()),
                Inst::Jump(t) => stack.push(*t),
                Inst::Char(_) | Inst::Accept => {}
            }
        }
    }
}

/// Runs the program over `text`: every char is looked at once per live instruction, so the
/// time is O(len(text) × len(pattern)) whatever the pattern (no backtracking).
/// Also returns the work done (live instructions looked at, summed over the chars).
fn run(prog: &[Inst], text: &str) -> (bool, usize) {
    let (mut cur, mut next) = (StateSet::new(prog.len()), StateSet::new(prog.len()));
    let mut stack = Vec::new();
    let mut steps = 0usize;
    cur.add(prog, 0, &mut stack);
    for c in text.chars() {
        if cur.list.is_empty() {
            return (false, steps);
        }
        next.clear();
        steps += cur.list.len();
        for i in 0..cur.list.len() {
            let pc = cur.list[i];
            match &prog[pc] {
                Inst::Char(node) if accepts(node, c) => next.add(prog, pc + 1, &mut stack),
                Inst::Star => next.add(prog, pc, &mut stack),
                _ => {}
            }
        }
        std::mem::swap(&mut cur, &mut next);
    }
    (cur.list.iter().any(|&pc| prog[pc] == Inst::Accept), steps)
}

impl Glob {
    /// Compiles a pattern; `None` when gobwas would reject it.
    pub fn compile(pattern: &str) -> Option<Glob> {
        let mut lexer = Lexer { chars: pattern.chars().peekable() };
        let nodes = lexer.seq(false)?;
        let mut prog = Vec::new();
        emit(&nodes, &mut prog);
        prog.push(Inst::Accept);
        Some(Glob { nodes, prog })
    }

    /// Whether the whole text matches (linear in the text, see [`run`]).
    pub fn is_match(&self, text: &str) -> bool {
        if let [Node::Any] = self.nodes.as_slice() {
            return true;
        }
        if self.nodes.iter().all(|n| matches!(n, Node::Lit(_))) {
            return self.nodes.len() == text.chars().count() && self.nodes.iter().zip(text.chars()).all(|(n, c)| *n == Node::Lit(c));
        }
        run(&self.prog, text).0
    }

    /// The matcher's work for `text`: the number of (char, live instruction) pairs it looked
    /// at. Never more than `chars(text) × instructions()`; tests use it to prove linearity.
    pub fn match_steps(&self, text: &str) -> usize {
        run(&self.prog, text).1
    }

    /// Size of the compiled automaton (at most a few instructions per pattern char).
    pub fn instructions(&self) -> usize {
        self.prog.len()
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
