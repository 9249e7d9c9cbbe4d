//! `glossa export`: every explicit annotation of the site as a W3C Web
//! Annotation collection (JSON-LD). Each targets its article's URL with a
//! TextQuoteSelector (`exact` and up to 32 characters of `prefix`/`suffix`
//! from the same paragraph) and a TextPositionSelector (`start`/`end` in
//! Unicode code points of the rendered text: Markdown syntax gone, white
//! space collapsed, NFC). The mapping of glossa's kinds to motivations and
//! bodies is in `content::jsonld`, which reads the same format back as
//! `SLUG.annotations.jsonld`. Automatic mentions are not exported: they
//! come back by themselves.
//!
//! The Web Annotation Data Model requires an IRI for every annotation's
//! `id`, its target's `source` and a body's `source`, and for the
//! collection's and page's `id`. They are all built on the site's base URL,
//! so a base URL that is only a path (`/`, the default) would make them
//! relative references, which other tools reject: [`export`] refuses such
//! a site with [`RelativeBase`] instead of writing an invalid collection.
//!
//! On top of the pipeline: the commands.

use std::fmt;

use serde_json::{Value, json};

use crate::config::Config;
use crate::site::{Explicit, ExplicitNode, Site};
use crate::text::slugify;
use crate::urls::Urls;

const CONTEXT: usize = 32;

/// The JSON-LD context of the Web Annotation vocabulary.
pub const ANNO_CONTEXT: &str = "http://www.w3.org/ns/anno.jsonld";

/// Why there is no collection: the base URL is a path, not an absolute IRI,
/// so every id and target would be relative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelativeBase {
    /// The base URL in effect (from `--base-url` or `glossa.toml`).
    pub base_url: String,
}

impl RelativeBase {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        "give the address the site is published at: `glossa export --base-url https://example.org/`, \
         or set `base_url = \"https://example.org/\"` in glossa.toml"
    }
}

impl fmt::Display for RelativeBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.base_url;
        write!(
            f,
            "the base URL `{b}` is not an absolute URL, so the annotations' ids and targets would not be IRIs \
             (`{b}articles/…/#a-0`), as W3C Web Annotations require; nothing was exported"
        )
    }
}

impl std::error::Error for RelativeBase {}

/// Whether `url` is an absolute IRI with an authority (`scheme://host…`),
/// the only kind of base every id can be built on.
pub fn is_absolute_base(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    let mut s = scheme.chars();
    let scheme_ok = s.next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    scheme_ok && !host.is_empty() && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A collection of `items` with the given `id`: its one page is embedded as
/// `first` (with its own id, `partOf` and `startIndex`), and left out when
/// there are no items, since a page holds at least one annotation.
fn collection(id: &str, label: Option<&str>, items: Vec<Value>) -> Value {
    let mut c = json!({
        "@context": ANNO_CONTEXT,
        "id": id,
        "type": "AnnotationCollection",
        "total": items.len(),
    });
    if let Some(label) = label {
        c["label"] = label.into();
    }
    if !items.is_empty() {
        c["first"] = json!({
            "id": format!("{id}#page-1"),
            "type": "AnnotationPage",
            "partOf": id,
            "startIndex": 0,
            "items": items,
        });
    }
    c
}

/// Up to `CONTEXT` characters before `at`, not crossing a line break.
fn before(text: &str, at: usize) -> String {
    let line = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let s: Vec<char> = text[line..at].chars().collect();
    s[s.len().saturating_sub(CONTEXT)..].iter().collect()
}

/// Up to `CONTEXT` characters after `at`, not crossing a line break.
fn after(text: &str, at: usize) -> String {
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    text[at..end].chars().take(CONTEXT).collect()
}

/// The collection for the whole site, or why there is none.
pub fn export(site: &Site) -> Result<Value, RelativeBase> {
    let cfg = &site.config;
    if !is_absolute_base(&cfg.base_url) {
        return Err(RelativeBase {
            base_url: cfg.base_url.clone(),
        });
    }
    let urls = Urls { root: cfg.root_path() };
    let mut items = Vec::new();
    for a in &site.articles {
        let article_url = cfg.absolute(&urls.article(&a.src.slug));
        let text = &a.text.unpack();
        for (k, n) in a.explicit.iter().enumerate() {
            let entity_url = |e: usize| cfg.absolute(&urls.entity(&site.entities[e].src.id));
            items.push(item(cfg, &urls, &article_url, text, k, n, &entity_url));
        }
    }
    let id = cfg.absolute(&format!("{}annotations.jsonld", urls.root));
    Ok(collection(&id, Some(&cfg.title), items))
}

/// The `k`-th explicit annotation `n` of the article at `article_url`
/// (absolute), whose rendered text is `text`, as a Web Annotation;
/// `entity_url` gives an entity's absolute URL by index.
pub fn item(
    cfg: &Config,
    urls: &Urls,
    article_url: &str,
    text: &str,
    k: usize,
    n: &ExplicitNode,
    entity_url: &dyn Fn(usize) -> String,
) -> Value {
    let (start, end) = crate::content::jsonld::code_points(text, &n.range);
    let (id, motivation, body) = match &n.what {
        Explicit::Mention(e) => (
            format!("{article_url}#a-{k}"),
            "identifying",
            json!({"type": "SpecificResource", "source": entity_url(*e), "purpose": "identifying"}),
        ),
        Explicit::Quote { id, speaker } => (
            format!("{article_url}#q-{id}"),
            "highlighting",
            json!({"type": "SpecificResource", "source": entity_url(*speaker), "purpose": "identifying"}),
        ),
        Explicit::Note(md) => (
            format!("{article_url}#a-{k}"),
            "commenting",
            json!({"type": "TextualBody", "value": md, "format": "text/markdown"}),
        ),
        Explicit::Link(to) => {
            let target = if let Some(id) = to.strip_prefix("entity:") {
                cfg.absolute(&urls.entity(id))
            } else if let Some(rest) = to.strip_prefix("@/articles/") {
                let (path, fragment) = rest.split_once('#').map_or((rest, None), |(p, f)| (p, Some(f)));
                let stem = path.trim_end_matches(".md").rsplit('/').next().unwrap_or("");
                let url = cfg.absolute(&urls.article(&slugify(stem)));
                match fragment {
                    Some(f) if !f.is_empty() => format!("{url}#{f}"),
                    _ => url,
                }
            } else {
                to.trim().to_string()
            };
            (
                format!("{article_url}#a-{k}"),
                "linking",
                json!({"type": "SpecificResource", "source": target}),
            )
        }
    };
    json!({
        "id": id,
        "type": "Annotation",
        "motivation": motivation,
        "body": body,
        "target": {
            "source": article_url,
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": &text[n.range.clone()],
                    "prefix": before(text, n.range.start),
                    "suffix": after(text, n.range.end),
                },
                {"type": "TextPositionSelector", "start": start, "end": end},
            ],
        },
    })
}

/// The items of `collection` that target `article_url`, as a collection of
/// their own (what `SLUG.annotations.jsonld` holds), identified as
/// `ARTICLE_URL` + `annotations.jsonld`.
pub fn for_article(all: &Value, article_url: &str) -> Value {
    let items: Vec<Value> = all
        .pointer("/first/items")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|i| i.pointer("/target/source").and_then(Value::as_str) == Some(article_url))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    collection(&format!("{article_url}annotations.jsonld"), None, items)
}
