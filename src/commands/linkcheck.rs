//! Internal link checking over the rendered output (`glossa check`): every
//! `href`/`src` that points inside the site must name a file the build
//! produces, and every `#fragment` an element id on that page. External
//! links are not fetched. The scan reads the HTML glossa itself wrote
//! (attributes always double-quoted and escaped), so a small attribute
//! scanner is enough — no full HTML parse per page.
//!
//! On top of the pipeline: the commands.

use std::collections::{HashMap, HashSet};

use crate::diagnostics::Diagnostic;

/// The values of every `NAME="…"` attribute in `html`, unescaped.
fn attrs<'a>(html: &'a str, name: &'a str) -> impl Iterator<Item = String> + 'a {
    let needle = format!(" {name}=\"");
    let mut rest = html;
    std::iter::from_fn(move || {
        let i = rest.find(&needle)?;
        let after = &rest[i + needle.len()..];
        let end = after.find('"')?;
        let value = &after[..end];
        rest = &after[end..];
        Some(unescape(value))
    })
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// What the link check needs of one output file: for a page, its element ids and the distinct
/// links it holds (`scan`); for any other file, only that it exists (`None`). A page's HTML can
/// be dropped as soon as it is scanned, so checking a site never holds its whole output.
pub type Scanned = (String, Option<PageLinks>);

/// A page's element ids and its distinct `href`/`src` values, in order of appearance.
#[derive(Default)]
pub struct PageLinks {
    ids: HashSet<String>,
    links: Vec<String>,
}

/// The ids and links of a page's HTML.
pub fn scan(html: &str) -> PageLinks {
    let mut seen = HashSet::new();
    let links = attrs(html, "href")
        .chain(attrs(html, "src"))
        .filter(|l| seen.insert(l.clone()))
        .collect();
    PageLinks {
        ids: attrs(html, "id").collect(),
        links,
    }
}

/// Checks the links of `files` (output path, bytes) for a site whose URLs
/// start with `root` (`/` or `/sub/`). Returns one error per broken link.
pub fn check(files: &[(String, Vec<u8>)], root: &str) -> Vec<Diagnostic> {
    let scanned: Vec<Scanned> = files
        .iter()
        .map(|(path, bytes)| {
            let page = path.ends_with(".html").then(|| scan(&String::from_utf8_lossy(bytes)));
            (path.clone(), page)
        })
        .collect();
    check_scanned(&scanned, root)
}

/// Checks the links of scanned files (see [`Scanned`]).
pub fn check_scanned(files: &[Scanned], root: &str) -> Vec<Diagnostic> {
    let paths: HashSet<&str> = files.iter().map(|f| f.0.as_str()).collect();
    let ids: HashMap<&str, &HashSet<String>> = files
        .iter()
        .filter_map(|(path, page)| Some((path.as_str(), &page.as_ref()?.ids)))
        .collect();
    let mut out = Vec::new();
    for (path, page) in files {
        let Some(page) = page else { continue };
        for link in &page.links {
            if let Some(problem) = broken(link, path, root, &paths, &ids) {
                out.push(
                    Diagnostic::error(
                        format!("public/{path}"),
                        None,
                        format!("broken link `{link}`: {problem}"),
                    )
                    .with_hint("a template or an annotation points at a page or #id the build does not produce"),
                );
            }
        }
    }
    out
}

fn broken(
    link: &str,
    page: &str,
    root: &str,
    paths: &HashSet<&str>,
    ids: &HashMap<&str, &HashSet<String>>,
) -> Option<String> {
    if link.contains("://") || link.starts_with("mailto:") || link.starts_with("data:") || link.starts_with("//") {
        return None;
    }
    let (path, fragment) = match link.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (link, None),
    };
    let target = if path.is_empty() {
        page.to_string()
    } else if let Some(rest) = path.strip_prefix(root) {
        let rest = rest.split('?').next().unwrap_or("");
        if rest.is_empty() || rest.ends_with('/') {
            format!("{rest}index.html")
        } else {
            rest.to_string()
        }
    } else if path.starts_with('/') {
        return Some(format!("outside the site's path {root}"));
    } else {
        return None; // relative links are the author's business
    };
    if !paths.contains(target.as_str()) {
        return Some(format!("no page {target}"));
    }
    if let Some(f) = fragment.filter(|f| !f.is_empty())
        && !ids.get(target.as_str()).is_some_and(|set| set.contains(f))
    {
        return Some(format!("no element with id `{f}` on {target}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_missing_pages_and_fragments() {
        let files = vec![
            ("index.html".to_string(), b"<a href=\"/sub/a/\">a</a> <a href=\"/sub/a/#x\">x</a> <a href=\"/sub/b/\">b</a> <a href=\"https://e.org/\">e</a>".to_vec()),
            ("a/index.html".to_string(), b"<p id=\"y\">y</p><a href=\"#y\">y</a><a href=\"/other/\">o</a>".to_vec()),
        ];
        let errs: Vec<String> = check(&files, "/sub/").into_iter().map(|d| d.message).collect();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(
            errs.iter()
                .any(|e| e.contains("`/sub/a/#x`") && e.contains("no element with id `x`"))
        );
        assert!(
            errs.iter()
                .any(|e| e.contains("`/sub/b/`") && e.contains("no page b/index.html"))
        );
        assert!(
            errs.iter()
                .any(|e| e.contains("`/other/`") && e.contains("outside the site's path"))
        );
    }
}
