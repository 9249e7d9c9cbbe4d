//! Internal link checking over the rendered output (`glossa check`): every
//! `href`/`src` that points inside the site must name a file the build
//! produces, and every `#fragment` an element id on that page. External
//! links are not fetched. The scan reads the HTML glossa itself wrote
//! (attributes always double-quoted and escaped), so a small attribute
//! scanner is enough — no full HTML parse per page.
//!
//! On top of the pipeline: the commands.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use indexmap::IndexSet;

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

/// Every distinct link path, fragment and id of the site, kept once; pages name them by
/// number. The same ones recur on thousands of pages (the navigation, an entity's URL,
/// `m-NAME-1` as an id and as a link's fragment), so at 10,000 articles this holds about
/// 100,000 strings where per-page copies were millions.
#[derive(Default)]
pub struct Strings(Mutex<IndexSet<Box<str>>>);

/// A link as two numbers in [`Strings`]: its path (empty for `#id`) and its fragment, if any.
type Link = (u32, Option<u32>);

impl Strings {
    /// The numbers of a page's ids and links, each string added the first time it is seen.
    fn numbers(&self, ids: Vec<String>, links: &[String]) -> (Vec<u32>, Vec<Link>) {
        let mut set = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut number = |s: &str| match set.get_index_of(s) {
            Some(n) => n as u32,
            None => set.insert_full(s.into()).0 as u32,
        };
        let ids = ids.iter().map(|id| number(id)).collect();
        let links = links
            .iter()
            .map(|l| match l.split_once('#') {
                Some((path, fragment)) => (number(path), Some(number(fragment))),
                None => (number(l), None),
            })
            .collect();
        (ids, links)
    }
}

/// A page's element ids (sorted) and its distinct `href`/`src` values (in order of
/// appearance), as numbers in the site's [`Strings`].
#[derive(Default)]
pub struct PageLinks {
    ids: Vec<u32>,
    links: Vec<Link>,
}

/// The ids and links of a page's HTML.
pub fn scan(html: &str, strings: &Strings) -> PageLinks {
    let mut seen = HashSet::new();
    let links: Vec<String> = attrs(html, "href")
        .chain(attrs(html, "src"))
        .filter(|l| seen.insert(l.clone()))
        .collect();
    let (mut ids, links) = strings.numbers(attrs(html, "id").collect(), &links);
    ids.sort_unstable();
    PageLinks { ids, links }
}

/// Checks the links of `files` (output path, bytes) for a site whose URLs
/// start with `root` (`/` or `/sub/`). Returns one error per broken link.
pub fn check(files: &[(String, Vec<u8>)], root: &str) -> Vec<Diagnostic> {
    let strings = Strings::default();
    let scanned: Vec<Scanned> = files
        .iter()
        .map(|(path, bytes)| {
            let page = path
                .ends_with(".html")
                .then(|| scan(&String::from_utf8_lossy(bytes), &strings));
            (path.clone(), page)
        })
        .collect();
    check_scanned(&scanned, strings, root)
}

/// Where a link's path leads.
enum Target {
    /// Outside the check: another site, or relative (the author's business).
    Unchecked,
    /// Output file number N.
    File(usize),
    /// Nothing the build makes; the problem.
    Broken(String),
}

/// Checks the links of scanned files (see [`Scanned`]), whose links and ids are in `strings`.
pub fn check_scanned(files: &[Scanned], strings: Strings, root: &str) -> Vec<Diagnostic> {
    let strings = strings.0.into_inner().unwrap_or_else(|e| e.into_inner());
    let paths: HashMap<&str, usize> = files.iter().enumerate().map(|(i, f)| (f.0.as_str(), i)).collect();
    // A path means the same on every page but the empty one (`#id`): each is resolved once.
    let mut targets: HashMap<u32, Target> = HashMap::new();
    let mut diags = Vec::new();
    for (at, (path, page)) in files.iter().enumerate() {
        let Some(page) = page else { continue };
        for &(p, fragment) in &page.links {
            let link_path = &*strings[p as usize];
            let here = Target::File(at);
            let target = match link_path.is_empty() {
                true => &here,
                false => targets.entry(p).or_insert_with(|| resolve(link_path, root, &paths)),
            };
            let problem = match target {
                Target::Unchecked => None,
                Target::Broken(problem) => Some(problem.clone()),
                Target::File(file) => fragment
                    .filter(|&f| !strings[f as usize].is_empty())
                    .filter(|f| files[*file].1.as_ref().is_none_or(|t| t.ids.binary_search(f).is_err()))
                    .map(|f| format!("no element with id `{}` on {}", &strings[f as usize], files[*file].0)),
            };
            if let Some(problem) = problem {
                let link = match fragment {
                    Some(f) => format!("{link_path}#{}", &strings[f as usize]),
                    None => link_path.to_string(),
                };
                diags.push(
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
    diags
}

/// Where the path of a link (not empty) leads.
fn resolve(path: &str, root: &str, paths: &HashMap<&str, usize>) -> Target {
    if path.contains("://") || path.starts_with("mailto:") || path.starts_with("data:") || path.starts_with("//") {
        return Target::Unchecked;
    }
    let file = if let Some(rest) = path.strip_prefix(root) {
        let rest = rest.split('?').next().unwrap_or("");
        if rest.is_empty() || rest.ends_with('/') {
            format!("{rest}index.html")
        } else {
            rest.to_string()
        }
    } else if path.starts_with('/') {
        return Target::Broken(format!("outside the site's path {root}"));
    } else {
        return Target::Unchecked; // relative links are the author's business
    };
    match paths.get(file.as_str()) {
        Some(&i) => Target::File(i),
        None => Target::Broken(format!("no page {file}")),
    }
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

    #[test]
    fn ids_belong_to_their_own_page() {
        // `q` is an id of the home page only; `y` of page a only
        let files = vec![
            (
                "index.html".to_string(),
                b"<p id=\"q\"></p><a href=\"#q\">ok</a><a href=\"/a/#y\">ok</a><a href=\"#y\">no</a>".to_vec(),
            ),
            (
                "a/index.html".to_string(),
                b"<p id=\"y\"></p><a href=\"/#q\">ok</a><a href=\"#q\">no</a><a href=\"/x.png#q\">no</a>".to_vec(),
            ),
            ("x.png".to_string(), Vec::new()),
        ];
        let errs: Vec<String> = check(&files, "/").into_iter().map(|d| d.message).collect();
        assert_eq!(
            errs,
            [
                "broken link `#y`: no element with id `y` on index.html",
                "broken link `#q`: no element with id `q` on a/index.html",
                "broken link `/x.png#q`: no element with id `q` on x.png",
            ]
        );
    }
}
