//! The client-side search index: three small JSON files — articles,
//! entities, quotes (so an edit re-writes only the part it changes) — each
//! entry with a folded search text, read together by `static/search.js`.
//!
//! Why our own index and not Pagefind: Pagefind folds tones but not `đ` →
//! `d` ("dang" must find "Đặng"), it would index the rendered HTML a second
//! time after the build, and it adds a second tool to install. Search here is
//! for finding things by name — article titles, descriptions and tags, the
//! names and aliases of entities, the words of quotes — which the site graph
//! already holds, so the index is built in the same pass, folded with the
//! same [`fold`] the rest of glossa uses, and stays small (a few hundred
//! bytes per article, no article bodies) even at 10,000 articles.

use serde::Serialize;

use crate::render::SearchPart;
use crate::site::Site;
use crate::text::{fold, truncate_words};
use crate::urls::Urls;

/// One searchable thing.
#[derive(Serialize)]
struct Doc<'a> {
    /// `a` article, `e` entity, `q` quote.
    k: &'static str,
    /// Title shown in the results.
    t: &'a str,
    u: String,
    /// A line of context under the title.
    s: String,
    /// Folded text searched by prefix: title first (it ranks higher).
    f: String,
}

/// The entities an article names, in a fixed order (not by how often it
/// names them, which an edit changes more easily).
pub fn named(a: &crate::site::ArticleNode) -> Vec<usize> {
    let mut v: Vec<usize> = a.entities.iter().map(|e| e.0).collect();
    v.sort_unstable();
    v
}

/// The index as JSON.
pub fn index_json(site: &Site, urls: &Urls, part: SearchPart) -> String {
    let mut docs = Vec::new();
    let articles = if part == SearchPart::Articles {
        &site.articles[..]
    } else {
        &[]
    };
    let entities = if part == SearchPart::Entities {
        &site.entities[..]
    } else {
        &[]
    };
    let quotes = if part == SearchPart::Quotes {
        &site.quotes[..]
    } else {
        &[]
    };
    for a in articles {
        let mut f = fold(&a.src.title);
        f.push_str(" | ");
        f.push_str(&fold(a.src.description.as_deref().unwrap_or("")));
        for t in &a.src.tags {
            f.push(' ');
            f.push_str(&fold(t));
        }
        // The names of what it mentions, so "bac kinh" finds the articles
        // about Bắc Kinh, not only its entity page.
        for e in named(a) {
            f.push(' ');
            f.push_str(&fold(&site.entities[e].src.name));
        }
        docs.push(Doc {
            k: "a",
            t: &a.src.title,
            u: urls.article(&a.src.slug),
            s: truncate_words(a.src.description.as_deref().unwrap_or(""), 140),
            f,
        });
    }
    for e in entities {
        let mut f = fold(&e.src.name);
        f.push_str(" |");
        for al in &e.src.aliases {
            f.push(' ');
            f.push_str(&fold(al));
        }
        docs.push(Doc {
            k: "e",
            t: &e.src.name,
            u: urls.entity(&e.src.id),
            s: truncate_words(&e.summary, 140),
            f,
        });
    }
    for q in quotes {
        let speaker = &site.entities[q.speaker].src.name;
        docs.push(Doc {
            k: "q",
            t: &q.text,
            u: urls.quote(&q.id),
            s: format!("— {speaker}"),
            f: format!("{} | {}", fold(&q.text), fold(speaker)),
        });
    }
    serde_json::to_string(&docs).unwrap_or_else(|_| "[]".into())
}
