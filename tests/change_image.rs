//! Image references: table tests with exact messages, and a property comparing the parser
//! with the `distribution/reference` regular expressions built independently here.

use cabin::domain::change::{ImageRef, parse_image};
use proptest::prelude::*;
use regex::Regex;

/// (text, domain, path, tag, digest).
type Parts<'a> = (&'a str, Option<&'a str>, &'a str, Option<&'a str>, Option<&'a str>);

#[test]
fn well_formed_references_split_into_parts() {
    let cases: [Parts<'_>; 9] = [
        ("nginx", None, "nginx", None, None),
        ("nginx:1.27", None, "nginx", Some("1.27"), None),
        ("library/redis:7.2", None, "library/redis", Some("7.2"), None),
        ("registry.example.com/payments-api:2.5.0", Some("registry.example.com"), "payments-api", Some("2.5.0"), None),
        ("localhost:5000/team/app_x__y-z.w:V1_x", Some("localhost:5000"), "team/app_x__y-z.w", Some("V1_x"), None),
        ("[::1]:5000/app:tag", Some("[::1]:5000"), "app", Some("tag"), None),
        ("Registry.Example.com/app", Some("Registry.Example.com"), "app", None, None),
        ("a--b/c", None, "a--b/c", None, None),
        (
            "ghcr.io/acme/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            Some("ghcr.io"),
            "acme/api",
            None,
            Some("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
        ),
    ];
    for (text, domain, path, tag, digest) in cases {
        let want = ImageRef {
            domain: domain.map(str::to_string),
            path: path.into(),
            tag: tag.map(str::to_string),
            digest: digest.map(str::to_string),
        };
        assert_eq!(parse_image(text), Ok(want), "{text}");
    }
    assert!(parse_image("nginx").expect("ok").floating());
    assert!(parse_image("nginx:latest").expect("ok").floating());
    assert!(!parse_image("nginx:1.27").expect("ok").floating());
}

#[test]
fn malformed_references_say_what_is_wrong() {
    let long_tag = format!("app:{}", "a".repeat(129));
    let long_name = format!("{}:1", "a".repeat(256));
    let cases: Vec<(&str, String)> = vec![
        ("", "image reference is empty".into()),
        ("Nginx:1", "repository name (Nginx) must be lowercase".into()),
        ("ghcr.io/Acme/api:1", "repository name (Acme/api) must be lowercase".into()),
        ("app:-x", "invalid tag \"-x\" (letters, digits, '_', '.', '-'; not starting with '.' or '-')".into()),
        ("app:", "invalid tag \"\" (letters, digits, '_', '.', '-'; not starting with '.' or '-')".into()),
        (&long_tag, "tag is longer than 128 characters".into()),
        (&long_name, "repository name must not be more than 255 characters".into()),
        ("app@sha256:abc", "invalid sha256 digest: want 64 lowercase hex digits".into()),
        ("app@md5:0123456789abcdef0123456789abcdef", "unsupported digest algorithm \"md5\" (sha256, sha384 or sha512)".into()),
        ("app@latest", "invalid digest \"latest\" (algorithm:hex, e.g. sha256:…)".into()),
        ("a..b", "invalid repository path component \"a..b\" (lowercase letters, digits, separated by '.', '_', '__' or '-')".into()),
        ("a___b", "invalid repository path component \"a___b\" (lowercase letters, digits, separated by '.', '_', '__' or '-')".into()),
        ("app/", "invalid repository path component \"\" (lowercase letters, digits, separated by '.', '_', '__' or '-')".into()),
        ("host:port/app", "invalid registry \"host:port\"".into()),
        (":tag", "image reference \":tag\" has no repository name".into()),
        ("my app:1", "invalid repository path component \"my app\" (lowercase letters, digits, separated by '.', '_', '__' or '-')".into()),
    ];
    for (text, want) in cases {
        assert_eq!(parse_image(text), Err(want), "{text}");
    }
}

/// The reference grammar as regular expressions (distribution/reference `regexp.go`).
fn reference_regex() -> Regex {
    let alnum = "[a-z0-9]+";
    let sep = "(?:[._]|__|[-]+)";
    let path_component = format!("{alnum}(?:{sep}{alnum})*");
    let domain_component = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    let domain_name = format!("{domain_component}(?:\\.{domain_component})*");
    let host = format!("(?:{domain_name}|\\[(?:[a-fA-F0-9:]+)\\])");
    let domain = format!("{host}(?::[0-9]+)?");
    let name = format!("(?:{domain}/)?{path_component}(?:/{path_component})*");
    let tag = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
    let digest = "(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})";
    Regex::new(&format!("^({name})(?::({tag}))?(?:@({digest}))?$")).expect("regex")
}

fn oracle(re: &Regex, s: &str) -> bool {
    re.captures(s).is_some_and(|c| c.get(1).is_some_and(|n| n.as_str().len() <= 255))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// Strings over the grammar's alphabet: the parser and the regex agree on validity.
    #[test]
    fn parser_agrees_with_the_reference_regex(s in "[a-cA-C0-9._:/@\\-\\[\\]]{0,24}") {
        let re = reference_regex();
        prop_assert_eq!(parse_image(&s).is_ok(), oracle(&re, &s), "{}", s);
    }

    /// Plausible references (mostly valid) agree too.
    #[test]
    fn plausible_references_agree(
        domain in proptest::option::of("[a-z0-9-]{1,6}(\\.[a-zA-Z0-9-]{1,4}){0,2}(:[0-9]{1,5})?"),
        path in "[a-z0-9]{1,4}([._-]{1,2}[a-z0-9]{1,3}){0,2}(/[a-z0-9]{1,4}){0,2}",
        tag in proptest::option::of("[a-zA-Z0-9_.-]{1,10}"),
        digest in proptest::option::of("sha256:[a-f0-9]{62,66}"),
    ) {
        let mut s = match &domain { Some(d) => format!("{d}/{path}"), None => path.clone() };
        if let Some(t) = &tag { s = format!("{s}:{t}"); }
        if let Some(d) = &digest { s = format!("{s}@{d}"); }
        let re = reference_regex();
        prop_assert_eq!(parse_image(&s).is_ok(), oracle(&re, &s), "{}", s);
    }
}
