//! Container image references, by the grammar of `distribution/reference`:
//!
//! ```text
//! reference  := name [ ":" tag ] [ "@" digest ]
//! name       := [domain "/"] path-component ["/" path-component]*     (at most 255 chars)
//! domain     := host [":" port]          host := domain-name | "[" IPv6 "]"
//! domain-name:= component ("." component)*   component := [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?
//! path-component := [a-z0-9]+ (separator [a-z0-9]+)*   separator := [_.] | "__" | "-"+
//! tag        := [\w][\w.-]{0,127}
//! digest     := algorithm ":" hex   (sha256: 64, sha384: 96, sha512: 128 lowercase hex digits)
//! ```

use serde::Serialize;

/// A well-formed reference, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageRef {
    /// The registry host (and port), when the reference names one.
    pub domain: Option<String>,
    /// The repository path.
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    /// Whether the reference pins nothing (no digest; no tag, or `latest`).
    pub fn floating(&self) -> bool {
        self.digest.is_none() && self.tag.as_deref().is_none_or(|t| t == "latest")
    }
}

const NAME_MAX: usize = 255;
const TAG_MAX: usize = 128;

/// Parses `text` as an image reference; the error says what is wrong.
pub fn parse_image(text: &str) -> Result<ImageRef, String> {
    if text.is_empty() {
        return Err("image reference is empty".into());
    }
    let (rest, digest) = match text.split_once('@') {
        Some((r, d)) => (r, Some(check_digest(d)?)),
        None => (text, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(check_tag(&rest[last_slash + i + 1..])?)),
        None => (rest, None),
    };
    if name.is_empty() {
        return Err(format!("image reference \"{text}\" has no repository name"));
    }
    if name.len() > NAME_MAX {
        return Err(format!("repository name must not be more than {NAME_MAX} characters"));
    }
    let (domain, path) = split_domain(name)?;
    for component in path.split('/') {
        check_path_component(component, path)?;
    }
    Ok(ImageRef {
        domain: domain.map(str::to_string),
        path: path.to_string(),
        tag: tag.map(str::to_string),
        digest: digest.map(str::to_string),
    })
}

/// Splits off the registry as Docker does: the first of several components is the registry
/// when it contains `.` or `:`, is `localhost`, or has an upper-case letter (and is a valid
/// host); otherwise the whole name is the repository path.
fn split_domain(name: &str) -> Result<(Option<&str>, &str), String> {
    let Some((first, rest)) = name.split_once('/') else {
        return Ok((None, name));
    };
    let looks_like_host = first.contains(['.', ':', '[']) || first == "localhost" || first.chars().any(|c| c.is_ascii_uppercase());
    if looks_like_host && is_domain(first) {
        return Ok((Some(first), rest));
    }
    if first.contains(':') || first.contains('[') {
        return Err(format!("invalid registry \"{first}\""));
    }
    Ok((None, name))
}

fn is_domain(s: &str) -> bool {
    let (host, port) = if let Some(after) = s.strip_prefix('[') {
        let Some((v6, tail)) = after.split_once(']') else { return false };
        if v6.is_empty() || !v6.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            return false;
        }
        match tail {
            "" => return true,
            t => ("x", t.strip_prefix(':').unwrap_or("-")),
        }
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, p),
            None => (s, "0"),
        }
    };
    let component =
        |c: &str| !c.is_empty() && !c.starts_with('-') && !c.ends_with('-') && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-');
    !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()) && host.split('.').all(component)
}

fn check_path_component(c: &str, path: &str) -> Result<(), String> {
    if c.chars().any(|ch| ch.is_ascii_uppercase()) {
        return Err(format!("repository name ({path}) must be lowercase"));
    }
    let bad = || Err(format!("invalid repository path component \"{c}\" (lowercase letters, digits, separated by '.', '_', '__' or '-')"));
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return bad();
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|x| x == b'-');
        if !ok {
            return bad();
        }
    }
    Ok(())
}

fn check_tag(tag: &str) -> Result<&str, String> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut chars = tag.chars();
    let first_ok = chars.next().is_some_and(word);
    if !first_ok || !chars.all(|c| word(c) || c == '.' || c == '-') {
        return Err(format!("invalid tag \"{tag}\" (letters, digits, '_', '.', '-'; not starting with '.' or '-')"));
    }
    if tag.len() > TAG_MAX {
        return Err(format!("tag is longer than {TAG_MAX} characters"));
    }
    Ok(tag)
}

fn check_digest(d: &str) -> Result<&str, String> {
    let Some((algo, hex)) = d.split_once(':') else {
        return Err(format!("invalid digest \"{d}\" (algorithm:hex, e.g. sha256:…)"));
    };
    let want = match algo {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err(format!("unsupported digest algorithm \"{algo}\" (sha256, sha384 or sha512)")),
    };
    if hex.len() != want || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(format!("invalid {algo} digest: want {want} lowercase hex digits"));
    }
    Ok(d)
}
