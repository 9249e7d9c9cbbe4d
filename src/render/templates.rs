//! The Tera templates: the defaults embedded in the binary (the repo's
//! `templates/`), overridden file by file by the site's own `templates/`.
//!
//! Stage 4 of the pipeline: rendering.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tera::Tera;

use crate::diagnostics::{Diagnostic, Diagnostics, Sources};
use crate::files::read_text;

/// The built-in templates, by name.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("macros.html", include_str!("../../templates/macros.html")),
    ("site_header.html", include_str!("../../templates/site_header.html")),
    ("site_footer.html", include_str!("../../templates/site_footer.html")),
    ("index.html", include_str!("../../templates/index.html")),
    ("article.html", include_str!("../../templates/article.html")),
    ("entity.html", include_str!("../../templates/entity.html")),
    ("entities.html", include_str!("../../templates/entities.html")),
    ("quote.html", include_str!("../../templates/quote.html")),
    ("quotes.html", include_str!("../../templates/quotes.html")),
    ("tag.html", include_str!("../../templates/tag.html")),
    ("tags.html", include_str!("../../templates/tags.html")),
    ("404.html", include_str!("../../templates/404.html")),
    ("search.html", include_str!("../../templates/search.html")),
    ("archive.html", include_str!("../../templates/archive.html")),
    (
        "archive_period.html",
        include_str!("../../templates/archive_period.html"),
    ),
];

/// The built-in static files, by output name.
pub const STATIC_DEFAULTS: &[(&str, &str)] = &[
    ("style.css", include_str!("../../static/style.css")),
    ("glossa.js", include_str!("../../static/glossa.js")),
    ("search.js", include_str!("../../static/search.js")),
];

/// The page templates: each renders one kind of page. Every other template
/// (`base.html`, `macros.html`, a site's own partials) may be used by any page.
const PAGE_TEMPLATES: &[&str] = &[
    "index.html",
    "article.html",
    "entity.html",
    "entities.html",
    "quote.html",
    "quotes.html",
    "tag.html",
    "tags.html",
    "404.html",
    "search.html",
    "archive.html",
    "archive_period.html",
];

/// The loaded template set, with a fingerprint per page template of every
/// source it can depend on, so a rebuild knows which pages a template edit
/// affects.
pub struct Templates {
    pub tera: Tera,
    fingerprints: BTreeMap<String, u64>,
    /// The site's own templates as written, by name: where their errors are reported.
    own: BTreeMap<String, Arc<str>>,
}

/// A spot in one of the site's own templates: its file (`templates/…`) and a byte span.
pub type Spot = (PathBuf, Range<usize>);

impl Templates {
    /// A hash of the sources `name` can use: itself, every shared template,
    /// and any other page template it names (`extends`/`include`/`import`
    /// refer to templates by name, so a name absent from the text cannot be
    /// used). Editing `entity.html` changes only the entity pages'.
    pub fn fingerprint(&self, name: &str) -> u64 {
        self.fingerprints.get(name).copied().unwrap_or(0)
    }

    /// What `e`, an error rendering a page, says, and where it is in the site's own template
    /// as written (`None` when it is in a built-in template, or Tera does not say where; the
    /// message then names the template, line and column).
    pub fn failure(&self, e: &tera::Error) -> (String, Option<Spot>) {
        let spot = located(e).and_then(|(name, line, col, message)| {
            let at = offset(self.own.get(name)?, line, col)?;
            Some((message.to_string(), (Path::new("templates").join(name), at..at + 1)))
        });
        match spot {
            Some((message, spot)) => (message, Some(spot)),
            None => (error_chain(e), None),
        }
    }

    /// The text of the site's own template at `file` (`templates/…`), as written.
    pub fn source(&self, file: &Path) -> Option<Arc<str>> {
        let name = file
            .strip_prefix("templates")
            .ok()?
            .to_string_lossy()
            .replace('\\', "/");
        self.own.get(&name).cloned()
    }

    fn new(tera: Tera, all: &BTreeMap<String, String>, own: BTreeMap<String, Arc<str>>) -> Templates {
        let is_page = |n: &str| PAGE_TEMPLATES.contains(&n);
        let mut fingerprints = BTreeMap::new();
        for name in all.keys() {
            // `name`, the shared templates, then (to a fixed point) every
            // page template named by one already in the set
            let mut used: std::collections::BTreeSet<&str> = all
                .keys()
                .map(String::as_str)
                .filter(|n| n == name || !is_page(n))
                .collect();
            loop {
                let named: Vec<&str> = all
                    .keys()
                    .map(String::as_str)
                    .filter(|n| !used.contains(n) && used.iter().any(|u| all[*u].contains(n)))
                    .collect();
                if named.is_empty() {
                    break;
                }
                used.extend(named);
            }
            let mut h = std::hash::DefaultHasher::new();
            for n in used {
                std::hash::Hash::hash(&(n, &all[n]), &mut h);
            }
            fingerprints.insert(name.clone(), std::hash::Hasher::finish(&h));
        }
        Templates {
            tera,
            fingerprints,
            own,
        }
    }
}

/// Loads the templates; `None` (with diagnostics) when one does not parse. Each is unindented
/// (`unindent`); a site's own, if written for Tera 1, is rewritten for Tera 2 (`render/port.rs`).
pub fn load(root: &Path, diags: &mut Diagnostics, sources: &mut Sources) -> Option<Templates> {
    let mut all: BTreeMap<String, String> = DEFAULTS.iter().map(|(n, t)| (n.to_string(), unindent(t))).collect();
    // the site's own, by name: where their errors are reported
    let mut own: BTreeMap<String, Arc<str>> = BTreeMap::new();
    let dir = root.join("templates");
    if dir.is_dir() {
        for rel in crate::files::list_files(root, Path::new("templates"), diags) {
            let Ok(name) = rel.strip_prefix("templates") else {
                continue;
            };
            let name = name.to_string_lossy().replace('\\', "/");
            if let Some(text) = read_text(root, &rel, diags) {
                all.insert(name.clone(), super::port::port(&unindent(&text)));
                let text: Arc<str> = text.into();
                own.insert(name, text.clone());
                sources.insert(&rel, text);
            }
        }
    }
    let mut tera = Tera::new();
    tera.autoescape_on(vec![".html", ".htm", ".xml"]);
    // Tera's default escaper also rewrites `/` as `&#x2F;`, which is safe but
    // bloats every URL; ours escapes the five characters that matter.
    tera.set_escape_fn(crate::text::escape_html_to);
    if let Err(e) = tera.add_raw_templates(all.iter().map(|(n, t)| (n.as_str(), t.as_str()))) {
        diags.extend(load_errors(&e, &own));
        return None;
    }
    Some(Templates::new(tera, &all, own))
}

/// What to do about a template Tera refuses, when the error is not one a Tera 1 template makes.
const LOAD_HINT: &str = "fix the template; see docs/templates.md for what each template gets";

/// The diagnostics of Tera's refusal of the templates: one per error it reports, at its line in
/// the site's template when it is the site's (the line as written: neither [`unindent`] nor
/// the port moves a line), with a hint for what Tera 1 wrote otherwise.
fn load_errors(e: &tera::Error, own: &BTreeMap<String, Arc<str>>) -> Vec<Diagnostic> {
    if let Some((name, line, col, message)) = located(e) {
        return vec![diagnostic(name, line, col, message, own)];
    }
    // several reports in one message, each `error: …` then `--> name:line:col`
    let text = error_chain(e);
    let mut out = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(message) = line.strip_prefix("error: ") else {
            continue;
        };
        let at = lines.peek().and_then(|l| l.trim_start().strip_prefix("--> "));
        let (name, line_no, col) = at.and_then(locus).unwrap_or_default();
        out.push(diagnostic(name, line_no, col, message, own));
    }
    if out.is_empty() {
        let message = format!("template error: {text}");
        let hint = super::port::hint(&text, None).unwrap_or_else(|| LOAD_HINT.to_string());
        out.push(Diagnostic::error(Path::new("templates"), None, message).with_hint(hint));
    }
    out
}

/// The diagnostic of one error Tera located in template `name` (`line`, `col` from 1): at the
/// spot in the site's own file, or naming the built-in template.
fn diagnostic(name: &str, line: usize, col: usize, message: &str, own: &BTreeMap<String, Arc<str>>) -> Diagnostic {
    let file = Path::new("templates").join(name);
    let text = own.get(name);
    let span = text.and_then(|t| offset(t, line, col)).map(|o| o..o + 1);
    let written = text.and_then(|t| t.lines().nth(line.checked_sub(1)?));
    let hint = super::port::hint(message, written).unwrap_or_else(|| LOAD_HINT.to_string());
    let message = match own.contains_key(name) || name.is_empty() {
        true => format!("template error: {message}"),
        false => format!("template error in the built-in {name}:{line}: {message}"),
    };
    Diagnostic::error(file, span, message).with_hint(hint)
}

/// `name:line:col` (line from 1, column from 1) as Tera reports where an error is.
fn locus(at: &str) -> Option<(&str, usize, usize)> {
    let mut parts = at.trim().rsplitn(3, ':');
    let col = parts.next()?.parse().ok()?;
    let line = parts.next()?.parse().ok()?;
    Some((parts.next()?, line, col))
}

/// The byte offset in `text` (as written) of `line`:`col` of the same text unindented: the
/// indentation [`unindent`] took off the line (none inside `<pre>`) is counted back in.
fn offset(text: &str, line: usize, col: usize) -> Option<usize> {
    let nth_line = |t: &str| -> Option<(usize, usize)> {
        let start: usize = t.split_inclusive('\n').take(line.checked_sub(1)?).map(str::len).sum();
        Some((start, t.get(start..)?.split('\n').next()?.len()))
    };
    let (start, len) = nth_line(text)?;
    let indent = len - nth_line(&unindent(text))?.1;
    let this = &text[start + indent..start + len];
    let in_line = this
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(this.len(), |(i, _)| i);
    Some(start + indent + in_line)
}

/// A template without the indentation at the start of its lines, outside `<pre>` and
/// `<textarea>`: it is there for whoever reads the template, and would otherwise be written into
/// every page (about 4% of an entity page). A line break stays, so no two words are joined and
/// the page shows the same. A site's own templates get the same, so that a copy of a built-in
/// template makes the same pages (docs/templates.md says so).
fn unindent(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut verbatim = false; // inside <pre> or <textarea>
    for line in template.split_inclusive('\n') {
        out.push_str(if verbatim {
            line
        } else {
            line.trim_start_matches([' ', '\t'])
        });
        let lower = line.to_ascii_lowercase();
        for (open, close) in [("<pre", "</pre"), ("<textarea", "</textarea")] {
            if let Some(o) = lower.rfind(open) {
                verbatim = lower.rfind(close).is_none_or(|c| c < o);
            } else if lower.contains(close) {
                verbatim = false;
            }
        }
    }
    out
}

/// Where Tera says `e` is, for an error it locates: the template's name, the line and column
/// (from 1) and what is wrong.
fn located(e: &tera::Error) -> Option<(&str, usize, usize, &str)> {
    let (tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r)) = e.kind() else {
        return None;
    };
    Some((r.filename(), r.span().start_line, r.span().start_col + 1, r.message()))
}

/// Tera's error with its causes; one Tera locates as `name:line:col: what`.
fn error_chain(e: &tera::Error) -> String {
    let mut s = match located(e) {
        Some((name, line, col, message)) => format!("{name}:{line}:{col}: {message}"),
        None => e.to_string(),
    };
    let mut cur: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offset_counts_back_the_indentation_taken_off_and_none_inside_pre() {
        let t = "<div>\n    <p>{{ x }}</p>\n  <pre>\n    {{ y }}\n  </pre>\n</div>\n";
        // line 2, column 7 of the unindented text is `x`; line 4, column 8 is `y` (kept indented)
        assert_eq!(&t[offset(t, 2, 7).unwrap()..][..1], "x");
        assert_eq!(&t[offset(t, 4, 8).unwrap()..][..1], "y");
        assert_eq!(offset(t, 0, 1), None);
        assert_eq!(offset(t, 2, 99), Some(t.find("</p>").unwrap() + 4));
    }

    #[test]
    fn unindent_keeps_every_line_break_and_drops_only_leading_blanks() {
        let t = "<ul>\n  <li>a b</li>\n\t<li> c</li>\n</ul>\n";
        assert_eq!(unindent(t), "<ul>\n<li>a b</li>\n<li> c</li>\n</ul>\n");
    }

    #[test]
    fn unindent_leaves_pre_and_textarea_as_they_are() {
        let t = "<div>\n  <pre>a\n  b\n  c</pre>\n  <p>\n  <TEXTAREA>\n  x\n  </textarea>\n  </p>\n</div>\n";
        assert_eq!(
            unindent(t),
            "<div>\n<pre>a\n  b\n  c</pre>\n<p>\n<TEXTAREA>\n  x\n  </textarea>\n</p>\n</div>\n"
        );
    }
}
