//! Properties of the change-request parser: no input makes it panic, every problem points at a
//! line of the file, no file is dropped, and the line locator finds every key of any block YAML.

use cabin::domain::change::locate::{FieldPath, locate, locate_nth, split_lines};
use cabin::domain::change::*;
use proptest::prelude::*;

const GOOD: &str = include_str!("../assets/changes/demo/chg-2001-payments-api.yaml");

fn lines_of(text: &str) -> usize {
    split_lines(text).len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics_and_lines_are_in_the_file(text in "(?s).{0,300}") {
        if let Err(problems) = parse_change("x.yaml", &text) {
            prop_assert!(!problems.is_empty());
            for p in problems {
                prop_assert!(p.line >= 1 && p.line <= lines_of(&text) + 1, "{p:?}");
            }
        }
    }

    #[test]
    fn yaml_like_text_never_panics(text in "([a-zA-Z]{1,8}: ?(\\[|\\{|-|[0-9a-z%/:.]{0,10})\\n {0,6}(- )?){0,20}") {
        let _ = parse_change("x.yaml", &text);
    }

    /// Edits of a valid file: delete, duplicate or damage one line.
    #[test]
    fn edited_files_never_panic_and_are_listed(line in 0usize..40, op in 0u8..4, ch in any::<char>()) {
        let mut lines: Vec<String> = GOOD.lines().map(str::to_string).collect();
        let i = line % lines.len();
        match op {
            0 => { lines.remove(i); }
            1 => { let l = lines[i].clone(); lines.insert(i, l); }
            2 => { let mut l = lines[i].clone(); let at = l.char_indices().map(|(j, _)| j).nth(l.chars().count() / 2).unwrap_or(0); l.insert(at, ch); lines[i] = l; }
            _ => { lines[i] = format!("  {}", lines[i]); }
        }
        let text = lines.join("\n");
        let set = ChangeSet::parse(&[("a.yaml", text.as_str()), ("b.yaml", GOOD)]);
        prop_assert_eq!(set.valid.len() + set.invalid.len(), 2);
        for f in &set.invalid {
            for p in &f.problems {
                prop_assert!(p.line >= 1 && p.line <= lines_of(&text).max(lines_of(GOOD)) + 1);
            }
            prop_assert_eq!(f.messages.len(), f.problems.len());
        }
    }
}

#[derive(Debug, Clone)]
enum Node {
    Scalar,
    Map(Vec<(String, Node)>),
    /// Items; `compact`: the `- ` lines at the key's own indentation.
    Seq(Vec<Node>, bool),
}

fn arb_node() -> impl Strategy<Value = Node> {
    let leaf = Just(Node::Scalar);
    leaf.prop_recursive(4, 40, 4, |inner| {
        prop_oneof![
            proptest::collection::btree_map("[a-z]{1,3}", inner.clone(), 1..4).prop_map(|m| Node::Map(m.into_iter().collect())),
            (proptest::collection::vec(inner, 1..4), any::<bool>()).prop_map(|(v, c)| Node::Seq(v, c)),
        ]
    })
}

struct Out {
    lines: Vec<String>,
    expect: Vec<(FieldPath, usize)>,
    comments: bool,
}

impl Out {
    fn push(&mut self, line: String, path: &FieldPath) {
        self.lines.push(line);
        self.expect.push((path.clone(), self.lines.len()));
        if self.comments {
            self.lines.push("   # a comment".into());
            self.lines.push(String::new());
        }
    }
}

/// Writes a mapping at `indent`; the first key goes after `first` (`- ` of an item) when given.
fn write_map(out: &mut Out, entries: &[(String, Node)], indent: usize, path: &FieldPath, first: Option<String>) {
    for (i, (k, v)) in entries.iter().enumerate() {
        let lead = match (&first, i) {
            (Some(f), 0) => f.clone(),
            _ => " ".repeat(indent),
        };
        let p = path.key(k);
        match v {
            Node::Scalar => out.push(format!("{lead}{k}: v"), &p),
            Node::Map(m) => {
                out.push(format!("{lead}{k}:"), &p);
                write_map(out, m, indent + 2, &p, None);
            }
            Node::Seq(items, compact) => {
                out.push(format!("{lead}{k}:"), &p);
                write_seq(out, items, if *compact { indent } else { indent + 2 }, &p);
            }
        }
    }
}

fn write_seq(out: &mut Out, items: &[Node], indent: usize, path: &FieldPath) {
    for (i, item) in items.iter().enumerate() {
        let p = path.index(i);
        let dash = format!("{}- ", " ".repeat(indent));
        match item {
            Node::Scalar => out.push(format!("{dash}v"), &p),
            Node::Map(m) => {
                // The item and its first key share a line.
                out.expect.push((p.clone(), out.lines.len() + 1));
                write_map(out, m, indent + 2, &p, Some(dash));
            }
            Node::Seq(inner, _) => {
                out.push(format!("{}-", " ".repeat(indent)), &p);
                write_seq(out, inner, indent + 2, &p);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn locate_finds_every_key_and_item_of_block_yaml(
        root in proptest::collection::btree_map("[a-z]{1,3}", arb_node(), 1..5),
        comments in any::<bool>(),
    ) {
        let entries: Vec<(String, Node)> = root.into_iter().collect();
        let mut out = Out { lines: vec!["# header".into(), "---".into()], expect: Vec::new(), comments };
        write_map(&mut out, &entries, 0, &FieldPath::root(), None);
        let text = out.lines.join("\n");
        prop_assert!(yaml_serde::from_str::<yaml_serde::Value>(&text).is_ok(), "generated YAML is valid:\n{}", text);
        for (path, line) in &out.expect {
            prop_assert_eq!(locate(&text, path), *line, "{} in\n{}", path, text);
        }
    }
}

#[test]
fn lines_end_as_the_yaml_parser_counts_them() {
    assert_eq!(split_lines("a\r\nb\rc\nd\u{2028}e"), vec!["a", "b", "c", "d", "e"]);
    assert_eq!(split_lines(""), vec![""]);
    let text = "spec:\r\n  title: a\r\n  title: b\r\n";
    let p = parse_change("c.yaml", text).expect_err("duplicate");
    assert_eq!(p[0].render("c.yaml"), "c.yaml:3: spec.title: duplicate field `title`");
    let old_mac = "apiVersion: x\rkind: ChangeRequest\r";
    let p = parse_change("c.yaml", old_mac).expect_err("invalid");
    assert_eq!(p[0].render("c.yaml"), "c.yaml:1: apiVersion: unsupported apiVersion \"x\" (expected cabin.dev/v1alpha1)");
    assert_eq!(locate(old_mac, &FieldPath::parse("kind")), 2);
}

#[test]
fn locate_handles_flow_quotes_and_missing_keys() {
    let text = "a:\n  b: {c: 1, d: [x, y]}\n  \"q\": 1\n  'r': 2\n  s:\n  - {pods: 1}\n  -   t: 1\n      u: 2\n";
    for (path, line) in [
        ("a.b", 2),
        ("a.b.c", 2),
        ("a.b.d[1]", 2),
        ("a.q", 3),
        ("a.r", 4),
        ("a.s[0].pods", 6),
        ("a.s[1].t", 7),
        ("a.s[1].u", 8),
        ("a.s[2]", 5),
        ("a.zz", 1),
        ("zz", 1),
    ] {
        assert_eq!(locate(text, &FieldPath::parse(path)), line, "{path}");
    }
    let dup = "spec:\n  title: a\n  other: 1\n  title: b\n";
    assert_eq!(locate_nth(dup, &FieldPath::parse("spec.title"), 1), 4);
    assert_eq!(FieldPath::parse("spec.targets[1].images.api").to_string(), "spec.targets[1].images.api");
}
