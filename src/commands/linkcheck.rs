//! Internal link checking over the rendered output (`glossa check`): every
//! `href`/`src` that points inside the site must name a file the build
//! produces, and every `#fragment` an element id on that page. External
//! links are not fetched. The scan reads the HTML glossa itself wrote
//! (attributes always double-quoted and escaped), so a small attribute
//! scanner is enough — no full HTML parse per page.
//!
//! Every output path is known before a page is rendered, so a page's links
//! are checked as it is scanned: what remains of it is its ids and its links
//! to a `#fragment` of another file, the only ones that need a page not yet
//! seen. A site's check never holds its output nor its links.
//!
//! On top of the pipeline: the commands.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Mutex;

use indexmap::IndexSet;

use crate::diagnostics::Diagnostic;

/// The values of every `NAME="…"` attribute in `html`, unescaped.
fn attrs<'a>(html: &'a str, name: &'a str) -> impl Iterator<Item = Cow<'a, str>> + 'a {
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

fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let s = s
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    Cow::Owned(s)
}

/// Every output file of a site by path (numbered in the order given), and
/// every distinct id, fragment and fragment-link path its pages hold, kept
/// once (pages name them by number: `m-NAME-1` recurs on thousands of pages
/// as an id and as a fragment). Each path is kept once, found by its hash
/// (`by_hash`: sorted, a later file of the same path first). The links found
/// broken while scanning are gathered here, not per page: a page keeps only
/// numbers.
pub struct Output {
    root: String,
    files: Vec<Box<str>>,
    by_hash: Vec<(u64, std::cmp::Reverse<u32>)>,
    strings: Mutex<IndexSet<Box<str>>>,
    broken: Mutex<Vec<(u32, Diagnostic)>>,
}

/// What the check keeps of a page once it is scanned.
#[derive(Default)]
pub struct PageLinks {
    /// Its element ids, as numbers in [`Output`]'s strings, sorted.
    ids: Box<[u32]>,
    /// Its links to a fragment of another file: (file, link path, fragment).
    elsewhere: Box<[(u32, u32, u32)]>,
}

/// Where a link's path leads.
enum Target {
    /// Outside the check: another site, or relative (the author's business).
    Unchecked,
    /// Output file number N.
    File(u32),
    /// Nothing the build makes; the problem.
    Broken(String),
}

fn path_hash(path: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(path.as_bytes())
}

impl Output {
    /// A site whose URLs start with `root` (`/` or `/sub/`) and whose output
    /// files are `files`, by path (a later file of the same path wins).
    pub fn new(files: Vec<String>, root: &str) -> Output {
        let files: Vec<Box<str>> = files.into_iter().map(String::into_boxed_str).collect();
        let mut by_hash: Vec<(u64, std::cmp::Reverse<u32>)> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (path_hash(f), std::cmp::Reverse(i as u32)))
            .collect();
        by_hash.sort_unstable();
        Output {
            root: root.to_string(),
            files,
            by_hash,
            strings: Mutex::default(),
            broken: Mutex::default(),
        }
    }

    /// The number of the (last) output file of path `file`.
    fn find(&self, file: &str) -> Option<u32> {
        let h = path_hash(file);
        let from = self.by_hash.partition_point(|e| e.0 < h);
        self.by_hash[from..]
            .iter()
            .take_while(|e| e.0 == h)
            .map(|e| e.1.0)
            .find(|&i| &*self.files[i as usize] == file)
    }

    fn numbers<const N: usize>(&self, strings: [&[&str]; N]) -> [Vec<u32>; N] {
        let mut set = self.strings.lock().unwrap_or_else(|e| e.into_inner());
        strings.map(|list| {
            list.iter()
                .map(|s| match set.get_index_of(*s) {
                    Some(n) => n as u32,
                    None => set.insert_full((*s).into()).0 as u32,
                })
                .collect()
        })
    }

    /// Scans the HTML of output file number `at`: its links checked as far
    /// as they can be without the other pages.
    pub fn scan(&self, at: usize, html: &str) -> PageLinks {
        let ids: Vec<Cow<str>> = attrs(html, "id").collect();
        let own: HashSet<&str> = ids.iter().map(|id| &**id).collect();
        let mut seen = HashSet::new();
        let links: Vec<Cow<str>> = attrs(html, "href")
            .chain(attrs(html, "src"))
            .filter(|link| seen.insert(link.clone()))
            .collect();
        let mut broken = Vec::new();
        let mut elsewhere: Vec<(u32, &str, &str)> = Vec::new();
        for link in &links {
            let (path, fragment) = match link.split_once('#') {
                Some((p, f)) => (p, Some(f).filter(|f| !f.is_empty())),
                None => (&**link, None),
            };
            let target = match path.is_empty() {
                true => Target::File(at as u32),
                false => self.resolve(path),
            };
            let problem = match (target, fragment) {
                (Target::Broken(problem), _) => Some(problem),
                (Target::File(f), Some(fragment)) if f as usize == at => {
                    (!own.contains(fragment)).then(|| self.no_id(fragment, at))
                }
                (Target::File(f), Some(fragment)) => {
                    elsewhere.push((f, path, fragment));
                    None
                }
                _ => None,
            };
            if let Some(problem) = problem {
                broken.push(self.broken(at, link, problem));
            }
        }
        let paths: Vec<&str> = elsewhere.iter().map(|e| e.1).collect();
        let fragments: Vec<&str> = elsewhere.iter().map(|e| e.2).collect();
        let ids: Vec<&str> = ids.iter().map(|id| &**id).collect();
        let [mut ids, paths, fragments] = self.numbers([&ids, &paths, &fragments]);
        ids.sort_unstable();
        let elsewhere = elsewhere
            .iter()
            .zip(paths)
            .zip(fragments)
            .map(|((e, p), f)| (e.0, p, f))
            .collect();
        if !broken.is_empty() {
            let mut all = self.broken.lock().unwrap_or_else(|e| e.into_inner());
            all.extend(broken.into_iter().map(|d| (at as u32, d)));
        }
        PageLinks {
            ids: ids.into_boxed_slice(),
            elsewhere,
        }
    }

    /// The path of output file number `at`.
    pub fn file(&self, at: usize) -> &str {
        &self.files[at]
    }

    fn no_id(&self, fragment: &str, file: usize) -> String {
        format!("no element with id `{fragment}` on {}", self.files[file])
    }

    fn broken(&self, at: usize, link: &str, problem: String) -> Diagnostic {
        Diagnostic::error(
            format!("public/{}", self.files[at]),
            None,
            format!("broken link `{link}`: {problem}"),
        )
        .with_hint("a template or an annotation points at a page or #id the build does not produce")
    }

    /// Where the path of a link (not empty) leads.
    fn resolve(&self, path: &str) -> Target {
        if path.contains("://") || path.starts_with("mailto:") || path.starts_with("data:") || path.starts_with("//") {
            return Target::Unchecked;
        }
        let file = if let Some(rest) = path.strip_prefix(self.root.as_str()) {
            let rest = rest.split('?').next().unwrap_or("");
            if rest.is_empty() || rest.ends_with('/') {
                format!("{rest}index.html")
            } else {
                rest.to_string()
            }
        } else if path.starts_with('/') {
            return Target::Broken(format!("outside the site's path {}", self.root));
        } else {
            return Target::Unchecked; // relative links are the author's business
        };
        match self.find(&file) {
            Some(i) => Target::File(i),
            None => Target::Broken(format!("no page {file}")),
        }
    }

    /// The broken links of the scanned pages, `pages[i]` being output file
    /// `i`'s (`None` for a file that is not a page): one error each.
    pub fn check(self, pages: Vec<Option<PageLinks>>) -> Vec<Diagnostic> {
        let strings = self.strings.lock().unwrap_or_else(|e| e.into_inner());
        let mut broken = std::mem::take(&mut *self.broken.lock().unwrap_or_else(|e| e.into_inner()));
        // (each page's own in the order found: one thread scans a page)
        broken.sort_by_key(|b| b.0);
        let mut broken = broken.into_iter().peekable();
        let mut diags = Vec::new();
        for (at, page) in pages.iter().enumerate() {
            while let Some((_, d)) = broken.next_if(|b| b.0 as usize == at) {
                diags.push(d);
            }
            let Some(page) = page else { continue };
            for &(file, path, fragment) in &page.elsewhere {
                let found = pages[file as usize]
                    .as_ref()
                    .is_some_and(|t| t.ids.binary_search(&fragment).is_ok());
                if !found {
                    let fragment = &*strings[fragment as usize];
                    let link = format!("{}#{fragment}", &strings[path as usize]);
                    diags.push(self.broken(at, &link, self.no_id(fragment, file as usize)));
                }
            }
        }
        diags.extend(broken.map(|b| b.1));
        diags
    }
}

/// Checks the links of `files` (output path, bytes) for a site whose URLs
/// start with `root` (`/` or `/sub/`). Returns one error per broken link.
pub fn check(files: &[(String, Vec<u8>)], root: &str) -> Vec<Diagnostic> {
    let output = Output::new(files.iter().map(|f| f.0.clone()).collect(), root);
    let pages = files
        .iter()
        .enumerate()
        .map(|(at, (path, bytes))| {
            path.ends_with(".html")
                .then(|| output.scan(at, &String::from_utf8_lossy(bytes)))
        })
        .collect();
    output.check(pages)
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
    fn a_later_file_of_the_same_path_wins() {
        let files = vec![
            ("a/index.html".to_string(), b"<p id=\"x\"></p>".to_vec()),
            (
                "index.html".to_string(),
                b"<a href=\"/a/#y\">y</a> <a href=\"/a/#x\">x</a>".to_vec(),
            ),
            ("a/index.html".to_string(), b"<p id=\"y\"></p>".to_vec()),
        ];
        let errs: Vec<String> = check(&files, "/").into_iter().map(|d| d.message).collect();
        assert_eq!(errs, ["broken link `/a/#x`: no element with id `x` on a/index.html"]);
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
