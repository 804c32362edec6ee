//! Finds the line of a field in YAML text by a small indentation scan, for messages about
//! values that parsed but break a rule (`FILE:LINE: field: message`).
//!
//! Block mappings and sequences are followed exactly; inside a flow collection
//! (`{pods: 1, hold: 2m}`, `[a, b]`) the line of the collection's start is used. When a
//! segment cannot be found (a default that is not written), the deepest line found is used.

/// One segment of a field path: `spec`, `targets`, `[1]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A field path; displays as `spec.targets[1].images.api`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldPath(pub Vec<Seg>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    pub fn key(&self, k: &str) -> Self {
        let mut v = self.0.clone();
        v.push(Seg::Key(k.to_string()));
        FieldPath(v)
    }

    pub fn index(&self, i: usize) -> Self {
        let mut v = self.0.clone();
        v.push(Seg::Index(i));
        FieldPath(v)
    }

    /// Parses `a.b[2].c` (keys containing `.` or `[` cannot be expressed; they are not in the
    /// contract's fixed keys).
    pub fn parse(s: &str) -> Self {
        let mut out = FieldPath::root();
        for part in s.split('.').filter(|p| !p.is_empty()) {
            let (key, mut idx) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if !key.is_empty() {
                out = out.key(key);
            }
            while let Some(rest) = idx.strip_prefix('[') {
                let Some((n, tail)) = rest.split_once(']') else { break };
                match n.parse() {
                    Ok(n) => out = out.index(n),
                    Err(_) => break,
                }
                idx = tail;
            }
        }
        out
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

struct Line<'a> {
    indent: usize,
    text: &'a str,
}

/// A node: where it starts and, when its content begins on that line, at which column.
#[derive(Clone, Copy)]
struct Node {
    line: usize,
    inline_col: Option<usize>,
    end: usize,
}

/// The 1-based line of `path` in `text` (1 when nothing is found).
pub fn locate(text: &str, path: &FieldPath) -> usize {
    locate_nth(text, path, 0)
}

/// Like `locate`, but the last segment is the `nth` (0-based) occurrence of its key: the
/// line of a repeated key (`nth = 1`).
pub fn locate_nth(text: &str, path: &FieldPath, nth: usize) -> usize {
    let lines: Vec<Option<Line<'_>>> = split_lines(text).into_iter().map(content_line).collect();
    let Some(first) = lines.iter().position(|l| l.is_some()) else { return 1 };
    let mut node = Node { line: first, inline_col: None, end: lines.len() };
    let mut found = first;
    let last = path.0.len().saturating_sub(1);
    for (depth, seg) in path.0.iter().enumerate() {
        let skip = if depth == last { nth } else { 0 };
        let child = if depth == 0 { find_root(&lines, node, seg, skip) } else { find_child(&lines, node, seg, skip) };
        match child {
            Some(c) => {
                node = c;
                found = c.line;
            }
            None => break,
        }
    }
    found + 1
}

/// The file's lines as the YAML parser counts them: `\r\n`, `\r`, `\n`, NEL, LS and PS all
/// end a line.
pub fn split_lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}') {
            out.push(&text[start..i]);
            start = i + c.len_utf8();
            if c == '\r' && chars.peek().is_some_and(|(_, n)| *n == '\n') {
                chars.next();
                start += 1;
            }
        }
    }
    out.push(&text[start..]);
    out
}

fn content_line(raw: &str) -> Option<Line<'_>> {
    let text = raw.trim_start_matches(' ');
    if text.is_empty() || text.starts_with('#') || text == "---" || text.starts_with("--- ") || text.starts_with('%') {
        return None;
    }
    Some(Line { indent: raw.len() - text.len(), text })
}

fn find_root(lines: &[Option<Line<'_>>], node: Node, seg: &Seg, skip: usize) -> Option<Node> {
    let col = lines[node.line].as_ref()?.indent;
    find_in_block(lines, node.line, node.end, col, seg, skip)
}

fn find_child(lines: &[Option<Line<'_>>], node: Node, seg: &Seg, skip: usize) -> Option<Node> {
    let line = lines[node.line].as_ref()?;
    if let Some(col) = node.inline_col {
        let rest = line.text.get(col.checked_sub(line.indent)?..)?;
        if rest.starts_with('{') || rest.starts_with('[') {
            return Some(Node { line: node.line, inline_col: None, end: node.line });
        }
        // The inline content is the first occurrence; the block lines after it hold the rest.
        let hit = matches_seg(rest, seg);
        return match (seg, hit) {
            (Seg::Key(_), true) if skip == 0 => Some(child_node(lines, node.line, col, rest, seg, node.end)),
            (Seg::Index(0), true) => Some(child_node(lines, node.line, col, rest, seg, node.end)),
            (Seg::Key(_), true) => find_in_block(lines, node.line + 1, node.end, col, seg, skip - 1),
            (Seg::Index(n), true) => find_in_block(lines, node.line + 1, node.end, col, &Seg::Index(n - 1), skip),
            (_, false) => find_in_block(lines, node.line + 1, node.end, col, seg, skip),
        };
    }
    let first = (node.line + 1..node.end).find(|&i| lines[i].is_some())?;
    let col = lines[first].as_ref()?.indent;
    find_in_block(lines, first, node.end, col, seg, skip)
}

/// Looks for `seg` among the lines of `[from, end)` that start at column `col`, passing over
/// `skip` earlier occurrences of a key.
fn find_in_block(lines: &[Option<Line<'_>>], from: usize, end: usize, col: usize, seg: &Seg, skip: usize) -> Option<Node> {
    let mut items = 0;
    let mut keys = 0;
    for i in from..end {
        let Some(l) = &lines[i] else { continue };
        if l.indent < col {
            return None;
        }
        if l.indent > col {
            continue;
        }
        match seg {
            Seg::Key(_) if matches_seg(l.text, seg) => {
                if keys == skip {
                    return Some(child_node(lines, i, col, l.text, seg, end));
                }
                keys += 1;
            }
            Seg::Index(n) if is_item(l.text) => {
                if items == *n {
                    return Some(child_node(lines, i, col, l.text, seg, end));
                }
                items += 1;
            }
            _ => {}
        }
    }
    None
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

fn matches_seg(text: &str, seg: &Seg) -> bool {
    match seg {
        Seg::Index(_) => is_item(text),
        Seg::Key(k) => {
            let rest = if let Some(r) = text.strip_prefix(k.as_str()) {
                r
            } else if let Some(r) = text.strip_prefix(&format!("\"{k}\"")) {
                r
            } else if let Some(r) = text.strip_prefix(&format!("'{k}'")) {
                r
            } else {
                return false;
            };
            let rest = rest.trim_start_matches(' ');
            rest == ":" || rest.starts_with(": ") || rest.starts_with(":\t")
        }
    }
}

/// The node of the value of the key or item found at `line` (column `col`).
fn child_node(lines: &[Option<Line<'_>>], line: usize, col: usize, text: &str, seg: &Seg, end: usize) -> Node {
    let after = match seg {
        Seg::Key(_) => text.find(':').map_or(text.len(), |i| i + 1),
        Seg::Index(_) => 1,
    };
    let value = &text[after..];
    let value_trim = value.trim_start_matches(' ');
    let inline = !value_trim.is_empty() && !value_trim.starts_with('#');
    let inline_col = inline.then(|| col + after + (value.len() - value_trim.len()));
    let is_seq_key = matches!(seg, Seg::Key(_));
    let stop = (line + 1..end)
        .find(|&i| match &lines[i] {
            Some(l) => l.indent < col || (l.indent == col && !(is_seq_key && !inline && is_item(l.text))),
            None => false,
        })
        .unwrap_or(end);
    Node { line, inline_col, end: stop }
}
