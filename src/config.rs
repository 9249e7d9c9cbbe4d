//! The site configuration, `glossa.toml`: title, base URL, language,
//! description, autolinking, pagination and which pages get a share card.
//! Unknown keys are errors with a "did you mean".
//!
//! Foundation: shared by every stage of the pipeline.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diagnostics::{Diagnostic, Diagnostics, Sources};
use crate::files::read_text;
use crate::schema;

pub const FILE: &str = "glossa.toml";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub title: String,
    /// Absolute base URL, always ending in `/` (e.g. `https://x.org/project/`).
    pub base_url: String,
    pub language: String,
    pub description: String,
    pub autolink: Autolink,
    /// Items per page of the long lists (the home page's articles, a tag's
    /// articles, the quote index); 0: every item on one page.
    pub paginate_by: usize,
    /// Which pages get a share card (PNG) of their own.
    pub cards: Cards,
}

/// The default of [`Config::paginate_by`].
pub const PAGINATE_BY: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Autolink {
    #[default]
    First,
    All,
    None,
}

/// Which pages get a share card of their own (`cards` in `glossa.toml`). A
/// page without one points its `og:image` at the site's card (`/card.png`,
/// the site's title and description), which is written only when some page
/// uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Cards {
    /// Each quote page has its own card; the other pages share the site's.
    /// The default: a quote is what readers share, and an article's card
    /// (its title and date) says little more than the link preview does,
    /// while costing a PNG per article (10,000 more files at 10,000 articles).
    #[default]
    Quotes,
    /// Quotes and articles have their own card.
    All,
    /// No card at all: no PNG is written and no page names an image.
    None,
}

impl Cards {
    /// Whether quote pages have their own card.
    pub fn quotes(self) -> bool {
        self != Cards::None
    }

    /// Whether article pages have their own card.
    pub fn articles(self) -> bool {
        self == Cards::All
    }

    /// Whether some page shows the site's card (every page but articles and
    /// quotes does, unless there are no cards).
    pub fn site(self) -> bool {
        self != Cards::None
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            title: "glossa".into(),
            base_url: "/".into(),
            language: "vi".into(),
            description: String::new(),
            autolink: Autolink::First,
            paginate_by: PAGINATE_BY,
            cards: Cards::default(),
        }
    }
}

impl Config {
    /// The path part of `base_url` (`/` or `/project/`): every page URL
    /// starts with it.
    pub fn root_path(&self) -> String {
        let rest = match self.base_url.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
            None => &self.base_url,
        };
        let mut p = rest.to_string();
        if !p.starts_with('/') {
            p.insert(0, '/');
        }
        if !p.ends_with('/') {
            p.push('/');
        }
        p
    }

    /// How many pages a list of `items` takes (at least one, even empty).
    pub fn pages_for(&self, items: usize) -> usize {
        match self.paginate_by {
            0 => 1,
            n => items.div_ceil(n).max(1),
        }
    }

    /// The items on page `page` (0-based) of a list of `items`.
    pub fn page_range(&self, items: usize, page: usize) -> std::ops::Range<usize> {
        match self.paginate_by {
            0 => 0..items,
            n => (page * n).min(items)..((page + 1) * n).min(items),
        }
    }

    /// The absolute URL of a root-relative path (`/articles/x/`).
    pub fn absolute(&self, path: &str) -> String {
        if self.base_url.contains("://") {
            let origin_end = self
                .base_url
                .split_once("://")
                .map_or(0, |(s, rest)| s.len() + 3 + rest.find('/').unwrap_or(rest.len()));
            format!("{}{}", &self.base_url[..origin_end], path)
        } else {
            path.to_string()
        }
    }
}

#[derive(Deserialize)]
struct Raw {
    title: Option<String>,
    base_url: Option<String>,
    language: Option<String>,
    description: Option<String>,
    autolink: Option<Autolink>,
    paginate_by: Option<usize>,
    cards: Option<Cards>,
}

const KEYS: &[&str] = &[
    "title",
    "base_url",
    "language",
    "description",
    "autolink",
    "paginate_by",
    "cards",
];

/// Normalises a base URL so it ends in `/`.
pub fn normalise_base_url(url: &str) -> String {
    let mut u = url.trim().to_string();
    if u.is_empty() {
        u.push('/');
    }
    if !u.ends_with('/') {
        u.push('/');
    }
    u
}

/// Reads `root/glossa.toml`; a missing file gives the defaults.
pub fn load(root: &Path, diags: &mut Diagnostics, sources: &mut Sources) -> Config {
    let rel = Path::new(FILE);
    let mut config = Config::default();
    if !root.join(rel).is_file() {
        return config;
    }
    let Some(text) = read_text(root, rel, diags) else {
        return config;
    };
    sources.insert(rel, text.clone().into());
    let Some(document) = schema::parse(&text, 0, rel, |p| if p.is_empty() { Some(KEYS) } else { None }, diags) else {
        return config;
    };
    match Raw::deserialize(document) {
        Ok(raw) => {
            if let Some(t) = raw.title {
                config.title = t;
            }
            if let Some(u) = raw.base_url {
                config.base_url = normalise_base_url(&u);
            }
            if let Some(l) = raw.language {
                config.language = l;
            }
            if let Some(d) = raw.description {
                config.description = d;
            }
            if let Some(a) = raw.autolink {
                config.autolink = a;
            }
            if let Some(n) = raw.paginate_by {
                config.paginate_by = n;
            }
            if let Some(c) = raw.cards {
                config.cards = c;
            }
        }
        Err(e) => diags.push(
            Diagnostic::error(rel, e.span(), e.message().trim().to_string()).with_hint(
                "autolink is \"first\", \"all\" or \"none\"; cards is \"quotes\", \"all\" or \"none\"; \
                 paginate_by is a whole number (0: no pages); the other keys are strings",
            ),
        ),
    }
    config
}

/// What the command line adds to `glossa.toml` for `build`, `check` and
/// the other commands.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Output directory; default `ROOT/public`.
    pub output_dir: Option<PathBuf>,
    /// Overrides `base_url` from `glossa.toml`.
    pub base_url: Option<String>,
    /// Include articles with `draft = true`.
    pub drafts: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_path_of_base_urls() {
        let mut c = Config::default();
        assert_eq!(c.root_path(), "/");
        c.base_url = "https://user.github.io/project/".into();
        assert_eq!(c.root_path(), "/project/");
        assert_eq!(c.absolute("/project/a/"), "https://user.github.io/project/a/");
        c.base_url = "https://example.org/".into();
        assert_eq!(c.root_path(), "/");
        c.base_url = normalise_base_url("/sub");
        assert_eq!(c.root_path(), "/sub/");
    }
}
