//! What each page is made from, read off the site graph: a hash per graph
//! node (an article's inputs, an article's list item, an entity's own data,
//! an entity's place in the graph, a quote) and, per page, a hash of the
//! nodes its view reads. The rebuild loop compares a page's dependency hash
//! with the last rebuild's and, when it is the same, does not even build the
//! page's view — the step that made an edit on a 10,000-article site cost
//! seconds. It must name everything `render::views` and `render::jsonld`
//! read for the page; `tests/edits_random.rs` and `tests/incremental.rs`
//! compare every rebuild with a fresh build to catch an omission.
//!
//! Pages not covered here (the feed, the sitemap, the tag index, the search
//! page, 404, robots.txt, the site's card: small or cheap) return `None` and
//! are always rebuilt; their output is compared as usual.

use std::hash::{DefaultHasher, Hash, Hasher};

use rayon::prelude::*;

use crate::render::{Page, Templates};
use crate::site::Site;

/// Per-node hashes of one build of the graph.
pub struct Versions {
    /// Config and UI strings (every page reads them).
    global: u64,
    /// Everything an article's own page shows of it.
    article: Vec<u64>,
    /// What an article's list item shows (title, date, description, tags).
    article_item: Vec<u64>,
    /// An entity's file and derived summary, and its mention count: what
    /// other pages show of it.
    entity: Vec<u64>,
    /// What an entity's own page lists: mentions, quotes, relations,
    /// related entities, articles.
    entity_page: Vec<u64>,
    /// An entity's neighbours and edge weights (the local graph).
    adjacency: Vec<u64>,
    /// A quote's text, context, speaker and article.
    quote: Vec<u64>,
    templates: [u64; 7],
}

fn hash(v: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

impl Versions {
    /// Hashes every node. `None` when the graph was built without input keys
    /// (a one-off build, which has no earlier rebuild to compare with).
    pub fn of(site: &Site, tera: &Templates) -> Option<Versions> {
        if site.articles.iter().any(|a| a.input_key == 0) {
            return None;
        }
        let slug = |i: usize| site.articles[i].src.slug.as_str();
        let id = |e: usize| site.entities[e].src.id.as_str();
        let global = hash((format!("{:?}", site.config), format!("{:?}", site.strings)));
        let article = site
            .articles
            .par_iter()
            .map(|a| {
                let related: Vec<(&str, u64, Vec<&str>)> = a
                    .related
                    .iter()
                    .map(|(b, score, shared)| (slug(*b), score.to_bits(), shared.iter().map(|&e| id(e)).collect()))
                    .collect();
                let entities: Vec<(&str, usize)> = a.entities.iter().map(|&(e, n)| (id(e), n)).collect();
                let quotes: Vec<&str> = a.quotes.iter().map(|&q| site.quotes[q].id.as_str()).collect();
                hash((
                    a.input_key,
                    format!("{:?}", a.src),
                    related,
                    entities,
                    quotes,
                    a.source_entity.map(id),
                    a.via_entity.map(id),
                    &a.tag_slugs,
                ))
            })
            .collect();
        let article_item = site
            .articles
            .par_iter()
            .map(|a| {
                hash((
                    &a.src.title,
                    &a.src.slug,
                    &a.src.date,
                    &a.src.description,
                    &a.src.tags,
                    &a.tag_slugs,
                ))
            })
            .collect();
        let entity: Vec<u64> = site
            .entities
            .par_iter()
            .map(|e| {
                hash((
                    format!("{:?}", e.src),
                    &e.summary,
                    &e.description_html,
                    e.mentions.len(),
                ))
            })
            .collect();
        let entity_page = site
            .entities
            .par_iter()
            .map(|e| {
                let mentions: Vec<(&str, usize)> = e.mentions.iter().map(|&(a, m)| (slug(a), m)).collect();
                let quotes: Vec<&str> = e.quotes.iter().map(|&q| site.quotes[q].id.as_str()).collect();
                let relations: Vec<(&str, &str)> = e.relations.iter().map(|(l, o)| (l.as_str(), id(*o))).collect();
                let related: Vec<(&str, u64)> = e.related.iter().map(|&(o, w)| (id(o), w.to_bits())).collect();
                let articles: Vec<&str> = e.articles.iter().map(|&a| slug(a)).collect();
                hash((mentions, quotes, relations, related, articles))
            })
            .collect();
        let adjacency = site
            .entity_adjacency
            .par_iter()
            .map(|adj| {
                let v: Vec<(&str, u64, bool)> = adj.iter().map(|&(o, w, r)| (id(o), w.to_bits(), r)).collect();
                hash(v)
            })
            .collect();
        let quote = site
            .quotes
            .par_iter()
            .map(|q| {
                hash((
                    &q.id,
                    &q.text,
                    &q.anchor,
                    &q.before,
                    &q.after,
                    id(q.speaker),
                    slug(q.article),
                ))
            })
            .collect();
        Some(Versions {
            global,
            article,
            article_item,
            entity,
            entity_page,
            adjacency,
            quote,
            templates: [
                tera.fingerprint("article.html"),
                tera.fingerprint("entity.html"),
                tera.fingerprint("quote.html"),
                tera.fingerprint("quotes.html"),
                tera.fingerprint("index.html"),
                tera.fingerprint("tag.html"),
                tera.fingerprint("entities.html"),
            ],
        })
    }

    /// The hash of everything `page`'s view reads, or `None` when this
    /// module does not track the page.
    pub fn page(&self, site: &Site, page: Page) -> Option<u64> {
        let mut h = DefaultHasher::new();
        (self.global, page).hash(&mut h);
        match page {
            Page::Article(i) => {
                let a = &site.articles[i];
                (self.templates[0], self.article[i], self.article_item[i]).hash(&mut h);
                for &(e, _) in &a.entities {
                    self.entity[e].hash(&mut h);
                }
                for e in a.source_entity.iter().chain(&a.via_entity) {
                    self.entity[*e].hash(&mut h);
                }
                for &q in &a.quotes {
                    (self.quote[q], self.entity[site.quotes[q].speaker]).hash(&mut h);
                }
                for (b, _, shared) in &a.related {
                    self.article_item[*b].hash(&mut h);
                    for &e in shared {
                        self.entity[e].hash(&mut h);
                    }
                }
            }
            Page::Entity(i) => {
                let e = &site.entities[i];
                (
                    self.templates[1],
                    self.entity[i],
                    self.entity_page[i],
                    self.adjacency[i],
                )
                    .hash(&mut h);
                // mention contexts come from the articles' text
                let mut last = usize::MAX;
                for &(a, _) in &e.mentions {
                    if a != last {
                        (self.article[a], self.article_item[a]).hash(&mut h);
                        last = a;
                    }
                }
                for &a in &e.articles {
                    self.article_item[a].hash(&mut h);
                }
                for (_, o) in &e.relations {
                    self.entity[*o].hash(&mut h);
                }
                for &(o, _) in &e.related {
                    self.entity[o].hash(&mut h);
                }
                for &q in &e.quotes {
                    (self.quote[q], self.article_item[site.quotes[q].article]).hash(&mut h);
                }
                // the local graph: the neighbours, their names and edges
                for &(o, _, _) in &site.entity_adjacency[i] {
                    (self.entity[o], self.adjacency[o]).hash(&mut h);
                }
            }
            Page::Quote(q) => {
                let quote = &site.quotes[q];
                (
                    self.templates[2],
                    self.quote[q],
                    self.entity[quote.speaker],
                    self.article_item[quote.article],
                )
                    .hash(&mut h);
            }
            Page::ArticleImage(i) => {
                let a = &site.articles[i];
                (self.article_item[i], &a.src.source).hash(&mut h);
            }
            Page::QuoteImage(q) => {
                (self.quote[q], self.entity[site.quotes[q].speaker]).hash(&mut h);
            }
            Page::QuoteIndex => {
                self.templates[3].hash(&mut h);
                for (q, quote) in site.quotes.iter().enumerate() {
                    (
                        self.quote[q],
                        self.entity[quote.speaker],
                        self.article_item[quote.article],
                    )
                        .hash(&mut h);
                }
            }
            Page::Home => {
                self.templates[4].hash(&mut h);
                self.article_item.hash(&mut h);
                for (q, quote) in site.quotes.iter().enumerate().take(6) {
                    (
                        self.quote[q],
                        self.entity[quote.speaker],
                        self.article_item[quote.article],
                    )
                        .hash(&mut h);
                }
            }
            Page::Tag(t) => {
                let tag = &site.tags[t];
                (self.templates[5], &tag.name, &tag.slug).hash(&mut h);
                for &a in &tag.articles {
                    self.article_item[a].hash(&mut h);
                }
            }
            Page::EntityIndex => {
                // every entity's item and the whole graph
                (self.templates[6], &self.entity, &self.adjacency).hash(&mut h);
            }
            Page::SearchIndex => {
                // articles (with their entities' names), entities, quotes
                for (i, a) in site.articles.iter().enumerate() {
                    self.article_item[i].hash(&mut h);
                    for &(e, _) in &a.entities {
                        self.entity[e].hash(&mut h);
                    }
                }
                self.entity.hash(&mut h);
                for (q, quote) in site.quotes.iter().enumerate() {
                    (self.quote[q], self.entity[quote.speaker]).hash(&mut h);
                }
            }
            _ => return None,
        }
        Some(h.finish())
    }
}
