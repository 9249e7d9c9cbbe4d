//! `glossa export`: every explicit annotation of the site as a W3C Web
//! Annotation collection (JSON-LD). Each targets its article's URL with a
//! TextQuoteSelector (`exact` and up to 32 characters of `prefix`/`suffix`
//! from the same paragraph) and a TextPositionSelector (`start`/`end` in
//! Unicode code points of the rendered text: Markdown syntax gone, white
//! space collapsed, NFC). The mapping of glossa's kinds to motivations and
//! bodies is in `content::jsonld`, which reads the same format back as
//! `SLUG.annotations.jsonld`. Automatic mentions are not exported: they
//! come back by themselves.

use serde_json::{Value, json};

use crate::config::Config;
use crate::site::{Explicit, ExplicitNode, Site};
use crate::text::slugify;
use crate::urls::Urls;

const CONTEXT: usize = 32;

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

/// The collection for the whole site.
pub fn export(site: &Site) -> Value {
    let cfg = &site.config;
    let urls = Urls { root: cfg.root_path() };
    let mut items = Vec::new();
    for a in &site.articles {
        let article_url = cfg.absolute(&urls.article(&a.src.slug));
        for (k, n) in a.explicit.iter().enumerate() {
            let text = &a.text.unpack();
            let entity_url = |e: usize| cfg.absolute(&urls.entity(&site.entities[e].src.id));
            items.push(item(cfg, &urls, &article_url, text, k, n, &entity_url));
        }
    }
    json!({
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": cfg.absolute(&format!("{}annotations.jsonld", urls.root)),
        "type": "AnnotationCollection",
        "label": cfg.title,
        "total": items.len(),
        "first": {"type": "AnnotationPage", "items": items},
    })
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
                to.clone()
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
/// their own (what `SLUG.annotations.jsonld` holds).
pub fn for_article(collection: &Value, article_url: &str) -> Value {
    let items: Vec<&Value> = collection
        .pointer("/first/items")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|i| i.pointer("/target/source").and_then(Value::as_str) == Some(article_url))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "AnnotationCollection",
        "total": items.len(),
        "first": {"type": "AnnotationPage", "items": items},
    })
}
