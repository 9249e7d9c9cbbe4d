//! What each page is made from, read off the site graph. The graph is cut
//! into [`Node`]s (an article's inputs, an article's list item, an entity's
//! own data, an entity's place in the graph, a quote, …), each with a hash
//! per build ([`Versions`]); [`reads`] names, per page, the nodes its view
//! reads. Two uses:
//!
//! - a page whose nodes' hashes are all unchanged since the last rebuild is
//!   not even given a view ([`Versions::pages`]);
//! - [`Readers`] turns that around — node → pages reading it — so that after
//!   an edit the rebuild loop can go from the nodes the edit changed straight
//!   to the pages to render, without looking at the other 70,000 (see
//!   [`crate::output::session`]).
//!
//! [`reads`] must name everything `render::views`, `render::jsonld`, the
//! feed, the sitemap and the cards read for the page; `tests/edits_random.rs`
//! and `tests/incremental.rs` compare every rebuild with a fresh build to
//! catch an omission.
//!
//! Stage 4 of the pipeline: rendering.

use std::hash::{Hash, Hasher};

use rayon::prelude::*;

// (xxh3 rather than std's SipHash: a build after one edit hashes every page's
// reads, and SipHash was a tenth of its CPU)
use crate::files::{Digest, hash_value as hash};
use crate::render::{Page, SearchPart, Templates};
use crate::site::Site;
use crate::site::terms::DocKind;

/// A part of the site graph that pages read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    /// Config and UI strings (every page reads them).
    Global,
    /// A page template and everything it can include.
    Template(&'static str),
    /// Everything an article's own page shows of it.
    Article(u32),
    /// An article's text and where its mentions are (what entity pages
    /// quote around each mention).
    ArticleText(u32),
    /// What an article's list item (and its card) shows: title, date,
    /// description, tags, source.
    ArticleItem(u32),
    /// Every article's list item.
    ArticleItems,
    /// An entity as a link or chip shows it: its file but the description.
    EntityName(u32),
    /// Every entity's [`Node::EntityName`].
    EntityNames,
    /// An entity's name and summary (hover previews, the index, search).
    Entity(u32),
    /// Every entity's [`Node::Entity`].
    Entities,
    /// How many mentions an entity has (its page and the index show it).
    EntityCount(u32),
    /// Every entity's mention count.
    EntityCounts,
    /// The order of magnitude of an entity's mention count: the size of
    /// its dot in its neighbours' local graphs.
    EntityScale(u32),
    /// An entity's description (its own page shows it).
    EntityOwn(u32),
    /// What an entity's own page lists: mentions, quotes, relations,
    /// related entities, articles.
    EntityPage(u32),
    /// An entity's neighbours and edge weights (the local graph).
    Adjacency(u32),
    /// Every entity's [`Node::Adjacency`].
    Adjacencies,
    /// What an entity's local graph draws: it and its strongest neighbours
    /// (names, dot sizes) and the edges among them.
    LocalGraph(u32),
    /// A quote: text, context, speaker, article.
    Quote(u32),
    /// A shard of the search index's terms: the terms it holds and where
    /// each occurs (see [`crate::site::terms`]).
    SearchShard(u32),
    /// A tag: its name and articles.
    Tag(u32),
    /// An entity's timeline: its mentions per period (see
    /// [`crate::site::time::timeline`]).
    Timeline(u32),
    /// The quotes an entity said or that mention it, in order.
    EntityQuotes(u32),
    /// The entities in the news, their counts and the window's dates.
    News,
    /// The date archive: every month with articles and how many (so which
    /// archive pages there are).
    Archive,
    /// Which pages exist: article slugs, entity ids, quote ids, tags, and
    /// how many pages each tag's list and each entity's mentions take.
    Structure,
}

/// Per-node hashes of one build of the graph.
pub struct Versions {
    global: u64,
    article: Vec<u64>,
    article_text: Vec<u64>,
    article_item: Vec<u64>,
    article_items: u64,
    entity_name: Vec<u64>,
    entity_names: u64,
    entity: Vec<u64>,
    entities: u64,
    entity_count: Vec<u64>,
    entity_counts: u64,
    entity_own: Vec<u64>,
    entity_page: Vec<u64>,
    adjacency: Vec<u64>,
    adjacencies: u64,
    local_graph: Vec<u64>,
    quote: Vec<u64>,
    search_shard: Vec<u64>,
    /// Per article, a hash of what the search index holds of it.
    article_words: Vec<u64>,
    tag: Vec<u64>,
    timeline: Vec<u64>,
    entity_quotes: Vec<u64>,
    news: u64,
    archive: u64,
    structure: u64,
    templates: Vec<(&'static str, u64)>,
}

/// The page templates pages read, by name.
const TEMPLATES: [&str; 12] = [
    "article.html",
    "entity.html",
    "quote.html",
    "quotes.html",
    "index.html",
    "tag.html",
    "tags.html",
    "entities.html",
    "404.html",
    "search.html",
    "archive.html",
    "archive_period.html",
];

fn slug(site: &Site, i: usize) -> &str {
    site.articles[i].src.slug.as_str()
}

fn id(site: &Site, e: usize) -> &str {
    site.entities[e].src.id.as_str()
}

fn article_hash(site: &Site, i: usize) -> u64 {
    let a = &site.articles[i];
    // (the scores are not shown: an idf change that keeps the order
    // changes nothing)
    let related: Vec<(&str, Vec<&str>)> = a
        .related
        .iter()
        .map(|(b, _, shared)| (slug(site, *b), shared.iter().map(|&e| id(site, e)).collect()))
        .collect();
    let entities: Vec<(&str, usize)> = a.entities.iter().map(|&(e, n)| (id(site, e), n)).collect();
    let quotes: Vec<&str> = a.quotes.iter().map(|&q| site.quotes[q].id.as_str()).collect();
    // A Markdown article's fields are read from its two files, which its
    // input key hashes with its path, and from nothing else: the key and the
    // annotation file's path stand for them (formatting them was a fifth of
    // this hash's time). Other articles' fields read more (brat: the site's
    // brat config, a metadata file).
    let src = match a.src.is_markdown() {
        true => format!("{:?}", a.src.annotations_path),
        false => format!("{:?}", a.src),
    };
    hash((
        a.input_key,
        src,
        related,
        entities,
        quotes,
        a.source_entity.map(|e| id(site, e)),
        a.via_entity.map(|e| id(site, e)),
        &a.tag_slugs,
    ))
}

fn article_text_hash(site: &Site, i: usize) -> u64 {
    // what entity pages show of each mention: its text and id, and the
    // bytes the words around it are made from (an edit away from every
    // mention changes none), hashed when the article was anchored; here, the
    // ids its entity indices are
    let a = &site.articles[i];
    let ids: Vec<&str> = a.mentions.iter().map(|m| id(site, m.entity)).collect();
    hash((a.mention_context, ids))
}

fn article_item_hash(site: &Site, i: usize) -> u64 {
    let a = &site.articles[i];
    hash((
        &a.src.title,
        &a.src.slug,
        &a.src.date,
        &a.src.description,
        &a.src.tags,
        &a.tag_slugs,
        &a.src.source,
    ))
}

fn entity_name_hash(site: &Site, e: usize) -> u64 {
    let mut src = site.entities[e].src.clone();
    src.description = String::new();
    src.description_offset = 0;
    hash(format!("{src:?}"))
}

fn entity_hash(site: &Site, e: usize) -> u64 {
    hash((entity_name_hash(site, e), &site.entities[e].summary))
}

fn entity_own_hash(site: &Site, e: usize) -> u64 {
    let n = &site.entities[e];
    hash((&n.src.description, n.src.description_offset, &n.description_html))
}

fn entity_page_hash(site: &Site, e: usize) -> u64 {
    let e = &site.entities[e];
    let mentions: Vec<(&str, usize)> = e.mentions.iter().map(|&(a, m)| (slug(site, a), m)).collect();
    let quotes: Vec<&str> = e.quotes.iter().map(|&q| site.quotes[q].id.as_str()).collect();
    let relations: Vec<(&str, &str)> = e.relations.iter().map(|(l, o)| (l.as_str(), id(site, *o))).collect();
    let related: Vec<(&str, u64)> = e.related.iter().map(|&(o, w)| (id(site, o), w.to_bits())).collect();
    let articles: Vec<&str> = e.articles.iter().map(|&a| slug(site, a)).collect();
    hash((mentions, quotes, relations, related, articles))
}

fn adjacency_hash(site: &Site, e: usize) -> u64 {
    let v: Vec<(&str, u64, bool)> = site.entity_adjacency[e]
        .iter()
        .map(|&(o, w, r)| (id(site, o), w.to_bits(), r))
        .collect();
    hash(v)
}

fn local_graph_hash(site: &Site, i: usize, entity_name: &[u64]) -> u64 {
    let keep = site.local_graph_members(i);
    let edges = site.local_graph_edges(&keep);
    let mut edges = edges.iter().peekable();
    let mut h = Digest::default();
    for (a, &k) in keep.iter().enumerate() {
        (
            entity_name[k],
            crate::render::dot_scale(site.entities[k].mentions.len()).to_bits(),
        )
            .hash(&mut h);
        // the member's edges among the members
        while let Some(&(_, b, w, relation)) = edges.next_if(|e| e.0 == a) {
            (id(site, k), id(site, keep[b]), w.to_bits(), relation).hash(&mut h);
        }
    }
    h.finish()
}

fn quote_hash(site: &Site, q: usize) -> u64 {
    let q = &site.quotes[q];
    hash((&q.id, &q.text, q.context, id(site, q.speaker), slug(site, q.article)))
}

/// The hash of shard `k` of the search index: of what its bytes are made
/// from ([`crate::render::search::shard_json`]) — its terms with their
/// posting lists, its prefixes with the posting lists of every term they
/// start (of which the file holds the union), and the entities' name
/// lengths. Not of the bytes themselves: writing them takes longer than
/// the rest of the page dependencies together.
fn search_shard_hash(site: &Site, k: usize) -> u64 {
    let index = site.terms.get(site);
    let keys = &index.shards[k];
    let mut h = Digest::default();
    for t in &keys.terms {
        (t, index.terms.get(t).map(|p| &p.0)).hash(&mut h);
    }
    for prefix in &keys.prefixes {
        prefix.hash(&mut h);
        let from = std::ops::Bound::Included(prefix.as_ref());
        for (t, p) in index
            .terms
            .range::<str, _>((from, std::ops::Bound::Unbounded))
            .take_while(|(t, _)| t.starts_with(prefix.as_ref()))
        {
            (t, &p.0).hash(&mut h);
        }
    }
    index.name_words.hash(&mut h);
    h.finish()
}

/// A hash of what the search index holds of article `i`: its files (text,
/// title, description, tags) and the entities it names.
fn article_words_hash(site: &Site, i: usize) -> u64 {
    let a = &site.articles[i];
    hash((a.input_key, crate::site::terms::named(a)))
}

fn structure_hash(site: &Site) -> u64 {
    let mut h = Digest::default();
    for a in &site.articles {
        a.src.slug.hash(&mut h);
    }
    for (i, e) in site.entities.iter().enumerate() {
        e.src.id.hash(&mut h);
        crate::render::Page::entity_pages(site, i).hash(&mut h);
    }
    for q in &site.quotes {
        q.id.hash(&mut h);
    }
    // (a tag's pages: a tag may gain or lose one while no name changes)
    for t in &site.tags {
        t.slug.hash(&mut h);
        site.config.pages_for(t.articles.len()).hash(&mut h);
    }
    h.finish()
}

fn tag_hash(site: &Site, t: usize) -> u64 {
    let t = &site.tags[t];
    let articles: Vec<&str> = t.articles.iter().map(|&a| slug(site, a)).collect();
    hash((&t.name, &t.slug, articles))
}

fn timeline_hash(site: &Site, e: usize) -> u64 {
    hash(crate::site::time::timeline(site, e))
}

fn entity_quotes_hash(site: &Site, quotes: &[(usize, bool)]) -> u64 {
    let v: Vec<(&str, bool)> = quotes
        .iter()
        .map(|&(q, said)| (site.quotes[q].id.as_str(), said))
        .collect();
    hash(v)
}

fn news_hash(site: &Site) -> u64 {
    let news = crate::site::time::in_the_news(site);
    // (the window's sentence shows the newest date)
    let newest = site.articles.first().and_then(|a| a.src.date.as_deref());
    let entities: Vec<(&str, usize)> = news.entities.iter().map(|&(e, n)| (id(site, e), n)).collect();
    hash((newest, entities))
}

fn archive_hash(site: &Site) -> u64 {
    let months: Vec<(String, usize)> = crate::site::time::archive(site)
        .iter()
        .map(|m| (m.period.key(), m.articles.len()))
        .collect();
    hash(months)
}

/// `f(site, i)` for each `i` below `n`, in parallel.
fn each(site: &Site, n: usize, f: &(dyn Fn(&Site, usize) -> u64 + Sync)) -> Vec<u64> {
    (0..n).into_par_iter().map(|i| f(site, i)).collect()
}

impl Versions {
    /// Hashes every node. `None` when the graph was built without input keys
    /// (a one-off build, which has no earlier rebuild to compare with).
    pub fn of(site: &Site, tera: &Templates) -> Option<Versions> {
        if site.articles.iter().any(|a| a.input_key == 0) {
            return None;
        }
        // A search index read back from the cache goes beside every hash but
        // the search shards', which read it: reading it back is mostly one
        // thread's work. One built from scratch goes first: with its postings
        // made beside the hashes' short-lived allocations, a cold build at
        // 50,000 articles peaked at 514-518 MB; with the index first, at
        // 470-474 MB.
        let stored = site.cache_dir.as_deref().is_some_and(crate::site::stored_terms::exists);
        let mut versions = if stored {
            let get = || {
                site.terms.get(site);
            };
            rayon::join(get, || Versions::without_search(site, tera)).1
        } else {
            site.terms.get(site);
            Versions::without_search(site, tera)
        };
        versions.search_shard = each(site, crate::site::terms::shards_of(site), &search_shard_hash);
        Some(versions)
    }

    /// [`Versions::of`] but the search shards' hashes (left empty).
    fn without_search(site: &Site, tera: &Templates) -> Versions {
        let per = |n: usize, f: &(dyn Fn(&Site, usize) -> u64 + Sync)| each(site, n, f);
        let article_item = per(site.articles.len(), &article_item_hash);
        let entity_name = per(site.entities.len(), &entity_name_hash);
        let local_graph = (0..site.entities.len())
            .into_par_iter()
            .map(|i| local_graph_hash(site, i, &entity_name))
            .collect();
        let entity = per(site.entities.len(), &entity_hash);
        let entity_count: Vec<u64> = site.entities.iter().map(|e| e.mentions.len() as u64).collect();
        let adjacency = per(site.entities.len(), &adjacency_hash);
        Versions {
            // (with whether there is a feed: every page's layout links it)
            global: hash((
                format!("{:?}", site.config),
                format!("{:?}", site.strings),
                crate::render::has_feed(site),
            )),
            article: per(site.articles.len(), &article_hash),
            article_text: per(site.articles.len(), &article_text_hash),
            article_items: hash(&article_item),
            article_item,
            entity_names: hash(&entity_name),
            entity_name,
            entities: hash(&entity),
            entity,
            entity_counts: hash(&entity_count),
            entity_count,
            entity_own: per(site.entities.len(), &entity_own_hash),
            entity_page: per(site.entities.len(), &entity_page_hash),
            adjacencies: hash(&adjacency),
            adjacency,
            local_graph,
            quote: per(site.quotes.len(), &quote_hash),
            search_shard: Vec::new(),
            article_words: per(site.articles.len(), &article_words_hash),
            tag: per(site.tags.len(), &tag_hash),
            timeline: per(site.entities.len(), &timeline_hash),
            entity_quotes: crate::site::time::quotes_of_all(site)
                .iter()
                .map(|q| entity_quotes_hash(site, q))
                .collect(),
            news: news_hash(site),
            archive: archive_hash(site),
            structure: structure_hash(site),
            templates: TEMPLATES.iter().map(|t| (*t, tera.fingerprint(t))).collect(),
        }
    }

    /// The hash of `node` in this build.
    pub fn get(&self, node: Node) -> u64 {
        match node {
            Node::Global => self.global,
            Node::Template(name) => self.templates.iter().find(|t| t.0 == name).map_or(0, |t| t.1),
            Node::Article(i) => self.article[i as usize],
            Node::ArticleText(i) => self.article_text[i as usize],
            Node::ArticleItem(i) => self.article_item[i as usize],
            Node::ArticleItems => self.article_items,
            Node::EntityName(e) => self.entity_name[e as usize],
            Node::EntityNames => self.entity_names,
            Node::Entity(e) => self.entity[e as usize],
            Node::Entities => self.entities,
            Node::EntityCount(e) => self.entity_count[e as usize],
            Node::EntityCounts => self.entity_counts,
            Node::EntityScale(e) => crate::render::dot_scale(self.entity_count[e as usize] as usize).to_bits(),
            Node::EntityOwn(e) => self.entity_own[e as usize],
            Node::EntityPage(e) => self.entity_page[e as usize],
            Node::Adjacency(e) => self.adjacency[e as usize],
            Node::Adjacencies => self.adjacencies,
            Node::LocalGraph(e) => self.local_graph[e as usize],
            Node::Quote(q) => self.quote[q as usize],
            Node::SearchShard(k) => self.search_shard[k as usize],
            Node::Tag(t) => self.tag[t as usize],
            Node::Timeline(e) => self.timeline[e as usize],
            Node::EntityQuotes(e) => self.entity_quotes[e as usize],
            Node::News => self.news,
            Node::Archive => self.archive,
            Node::Structure => self.structure,
        }
    }

    /// Hashes again the nodes an in-place edit of the graph may have
    /// changed — articles (their own data and list items), entities (their
    /// data, description and page lists) and quotes — and returns those
    /// whose hash changed, aggregates included.
    pub fn refresh(
        &mut self,
        site: &Site,
        articles: &[usize],
        entities: &[usize],
        quotes: &[usize],
        graph: bool,
    ) -> Vec<Node> {
        let mut changed = Vec::new();
        let set = |slot: &mut u64, value: u64, node: Node, changed: &mut Vec<Node>| {
            if *slot != value {
                *slot = value;
                changed.push(node);
            }
        };
        for &i in articles {
            set(
                &mut self.article[i],
                article_hash(site, i),
                Node::Article(i as u32),
                &mut changed,
            );
            set(
                &mut self.article_item[i],
                article_item_hash(site, i),
                Node::ArticleItem(i as u32),
                &mut changed,
            );
            set(
                &mut self.article_text[i],
                article_text_hash(site, i),
                Node::ArticleText(i as u32),
                &mut changed,
            );
        }
        for &e in entities {
            set(
                &mut self.entity_name[e],
                entity_name_hash(site, e),
                Node::EntityName(e as u32),
                &mut changed,
            );
            set(
                &mut self.entity[e],
                entity_hash(site, e),
                Node::Entity(e as u32),
                &mut changed,
            );
            let (count, was) = (site.entities[e].mentions.len() as u64, self.entity_count[e]);
            set(
                &mut self.entity_count[e],
                count,
                Node::EntityCount(e as u32),
                &mut changed,
            );
            if crate::render::dot_scale(count as usize) != crate::render::dot_scale(was as usize) {
                changed.push(Node::EntityScale(e as u32));
            }
            set(
                &mut self.entity_own[e],
                entity_own_hash(site, e),
                Node::EntityOwn(e as u32),
                &mut changed,
            );
            set(
                &mut self.entity_page[e],
                entity_page_hash(site, e),
                Node::EntityPage(e as u32),
                &mut changed,
            );
        }
        for &e in entities {
            let h = timeline_hash(site, e);
            set(&mut self.timeline[e], h, Node::Timeline(e as u32), &mut changed);
            let h = entity_quotes_hash(site, &crate::site::time::quotes_of(site, e));
            set(
                &mut self.entity_quotes[e],
                h,
                Node::EntityQuotes(e as u32),
                &mut changed,
            );
        }
        if !articles.is_empty() {
            set(&mut self.news, news_hash(site), Node::News, &mut changed);
        }
        // (which months have articles: only dates move them, and a date
        // is an article's list item)
        if changed.iter().any(|n| matches!(n, Node::ArticleItem(_))) {
            set(&mut self.archive, archive_hash(site), Node::Archive, &mut changed);
        }
        for &q in quotes {
            set(
                &mut self.quote[q],
                quote_hash(site, q),
                Node::Quote(q as u32),
                &mut changed,
            );
        }
        // The aggregates, only when a member changed (each is a pass over
        // the whole site).
        let any = |changed: &[Node], f: fn(&Node) -> bool| changed.iter().any(f);
        if any(&changed, |n| matches!(n, Node::ArticleItem(_))) {
            let items = hash(&self.article_item);
            set(&mut self.article_items, items, Node::ArticleItems, &mut changed);
        }
        if any(&changed, |n| matches!(n, Node::Entity(_))) {
            let all = hash(&self.entity);
            set(&mut self.entities, all, Node::Entities, &mut changed);
        }
        if any(&changed, |n| matches!(n, Node::EntityName(_))) {
            let names = hash(&self.entity_name);
            set(&mut self.entity_names, names, Node::EntityNames, &mut changed);
        }
        if graph {
            for &e in entities {
                let h = adjacency_hash(site, e);
                set(&mut self.adjacency[e], h, Node::Adjacency(e as u32), &mut changed);
            }
            let all = hash(&self.adjacency);
            set(&mut self.adjacencies, all, Node::Adjacencies, &mut changed);
        }
        // a name, dot size or edge may show in any local graph
        if graph || any(&changed, |n| matches!(n, Node::EntityName(_) | Node::EntityScale(_))) {
            for i in 0..site.entities.len() {
                let h = local_graph_hash(site, i, &self.entity_name);
                set(&mut self.local_graph[i], h, Node::LocalGraph(i as u32), &mut changed);
            }
        }
        if any(&changed, |n| matches!(n, Node::EntityCount(_))) {
            let counts = hash(&self.entity_count);
            set(&mut self.entity_counts, counts, Node::EntityCounts, &mut changed);
        }
        // the articles' words, re-indexed only for the articles whose text
        // or named entities changed, not those whose related list did (a
        // quote or an entity's names are never edited in place)
        let reindex: Vec<usize> = articles
            .iter()
            .copied()
            .filter(|&i| {
                let h = article_words_hash(site, i);
                std::mem::replace(&mut self.article_words[i], h) != h
            })
            .collect();
        for k in site.terms.patch_articles(site, &reindex) {
            let h = search_shard_hash(site, k);
            set(&mut self.search_shard[k], h, Node::SearchShard(k as u32), &mut changed);
        }
        changed
    }

    /// The hash of everything each page reads, for the pages of one render
    /// ([`PageHashes`]: each entity's made once for all its pages).
    pub fn pages(&self, site: &Site) -> PageHashes<'_> {
        PageHashes {
            versions: self,
            entities: site.entities.iter().map(|_| std::sync::OnceLock::new()).collect(),
        }
    }

    /// The hash of everything `page` reads (callers go through
    /// [`Versions::pages`], which makes an entity's once for all its pages).
    fn page(&self, site: &Site, page: Page) -> u64 {
        let mut h = Digest::default();
        // the kind, not the index: an article added before this page's
        // shifts the indices, not what the page shows (pages are keyed by
        // output path)
        page.kind_name().hash(&mut h);
        if let Page::SearchIndex(part) = page {
            part.hash(&mut h);
        }
        reads(site, page, &mut |n| self.get(n).hash(&mut h));
        h.finish()
    }
}

/// The hash of everything a page reads, over the pages of one render of one
/// graph ([`Versions::pages`]): every page of an entity reads the same
/// ([`reads`]), so its hash is made once for them all (each page of the
/// largest entities went through all their mentions again).
pub struct PageHashes<'v> {
    versions: &'v Versions,
    entities: Box<[std::sync::OnceLock<u64>]>,
}

impl PageHashes<'_> {
    /// The hash of everything `page` reads.
    pub fn of(&self, site: &Site, page: Page) -> u64 {
        match page {
            Page::Entity(i, _) => *self.entities[i].get_or_init(|| self.versions.page(site, page)),
            _ => self.versions.page(site, page),
        }
    }
}

/// Calls `read` with every node `page` reads, in a fixed order.
pub fn reads(site: &Site, page: Page, read: &mut impl FnMut(Node)) {
    let n32 = |i: usize| i as u32;
    let name = |e: usize| Node::EntityName(e as u32);
    read(Node::Global);
    match page {
        Page::Article(i) => article_reads(site, i, read),
        // (every page of an entity: which of its groups a page shows, and how many pages,
        // follow from its mentions; `PageHashes` hashes them once for all its pages)
        Page::Entity(i, _) => entity_reads(site, i, read),
        Page::EntityPreview(i) => read(Node::Entity(n32(i))),
        Page::Quote(q) => {
            let quote = &site.quotes[q];
            read(Node::Template("quote.html"));
            read(Node::Quote(n32(q)));
            read(name(quote.speaker));
            read(Node::ArticleItem(n32(quote.article)));
        }
        Page::ArticleImage(i) => read(Node::ArticleItem(n32(i))),
        Page::QuoteImage(q) => {
            read(Node::Quote(n32(q)));
            read(name(site.quotes[q].speaker));
        }
        Page::QuoteIndex(p) => {
            read(Node::Template("quotes.html"));
            // (how many quotes: the pager)
            read(Node::Structure);
            for q in site.config.page_range(site.quotes.len(), p) {
                let quote = &site.quotes[q];
                read(Node::Quote(n32(q)));
                read(name(quote.speaker));
                read(Node::ArticleItem(n32(quote.article)));
            }
        }
        Page::Home(p) => home_reads(site, p, read),
        Page::Tag(t, p) => {
            read(Node::Template("tag.html"));
            // (its articles, so how many)
            read(Node::Tag(n32(t)));
            let articles = &site.tags[t].articles;
            for &a in &articles[site.config.page_range(articles.len(), p)] {
                read(Node::ArticleItem(n32(a)));
            }
        }
        Page::TagIndex => {
            read(Node::Template("tags.html"));
            read(Node::Structure);
            for t in 0..site.tags.len() {
                read(Node::Tag(n32(t)));
            }
        }
        Page::EntityIndex => {
            // every entity's item and the whole graph
            read(Node::Template("entities.html"));
            read(Node::Entities);
            read(Node::EntityCounts);
            read(Node::Adjacencies);
        }
        Page::SearchIndex(part) => search_reads(site, part, read),
        Page::Atom => {
            // the feed carries the newest dated articles in full (which
            // are dated is in the items)
            read(Node::ArticleItems);
            for (i, _) in crate::render::feed_articles(site) {
                read(Node::Article(n32(i)));
            }
        }
        Page::ArchiveIndex => {
            read(Node::Template("archive.html"));
            read(Node::Archive);
        }
        Page::Archive(year, month, p) => {
            // (the periods around it and their counts; then its articles)
            read(Node::Template("archive_period.html"));
            read(Node::Archive);
            let range = crate::site::time::articles_in(site, crate::site::time::Period { year, month });
            let on_page = site.config.page_range(range.len(), p);
            for a in range.start + on_page.start..range.start + on_page.end {
                read(Node::ArticleItem(n32(a)));
            }
        }
        Page::Sitemap | Page::SitemapPart(_) => {
            read(Node::Structure);
            // (the archive's pages come and go with dates)
            read(Node::Archive);
        }
        Page::NotFound => read(Node::Template("404.html")),
        Page::Search => read(Node::Template("search.html")),
        // config only
        Page::SiteImage | Page::Robots => {}
    }
}

/// What an article page reads: the article, the names it shows, its quotes and related articles.
fn article_reads(site: &Site, i: usize, read: &mut impl FnMut(Node)) {
    let n32 = |i: usize| i as u32;
    let name = |e: usize| Node::EntityName(e as u32);
    let a = &site.articles[i];
    read(Node::Template("article.html"));
    read(Node::Article(n32(i)));
    read(Node::ArticleItem(n32(i)));
    // chips, previews (names; summaries are fetched) and JSON-LD
    for &(e, _) in &a.entities {
        read(name(e));
    }
    for e in a.source_entity.iter().chain(&a.via_entity) {
        read(name(*e));
    }
    for &q in &a.quotes {
        read(Node::Quote(n32(q)));
        read(name(site.quotes[q].speaker));
    }
    for (b, _, shared) in &a.related {
        read(Node::ArticleItem(n32(*b)));
        for &e in shared {
            read(name(e));
        }
    }
}

/// What an entity page reads: the entity, its timeline and quotes over
/// time, the articles its mentions are quoted from, its relations.
fn entity_reads(site: &Site, i: usize, read: &mut impl FnMut(Node)) {
    let n32 = |i: usize| i as u32;
    let name = |e: usize| Node::EntityName(e as u32);
    let e = &site.entities[i];
    read(Node::Template("entity.html"));
    read(Node::Entity(n32(i)));
    read(Node::EntityCount(n32(i)));
    read(Node::EntityOwn(n32(i)));
    read(Node::EntityPage(n32(i)));
    read(Node::LocalGraph(n32(i)));
    read(Node::Timeline(n32(i)));
    // its quotes over time: said by it or about it
    read(Node::EntityQuotes(n32(i)));
    for (q, _) in crate::site::time::quotes_of(site, i) {
        read(Node::Quote(n32(q)));
        read(name(site.quotes[q].speaker));
        read(Node::ArticleItem(n32(site.quotes[q].article)));
    }
    // mention contexts come from the articles' text
    let mut last = usize::MAX;
    for &(a, _) in &e.mentions {
        if a != last {
            read(Node::ArticleText(n32(a)));
            read(Node::ArticleItem(n32(a)));
            last = a;
        }
    }
    for &a in &e.articles {
        read(Node::ArticleItem(n32(a)));
    }
    for (_, o) in &e.relations {
        read(name(*o));
    }
    for &(o, _) in &e.related {
        read(name(o));
    }
    for &q in &e.quotes {
        read(Node::Quote(n32(q)));
        read(Node::ArticleItem(n32(site.quotes[q].article)));
    }
}

/// What home page `p` reads: its articles, and on the first page the
/// featured quotes and the entities in the news.
fn home_reads(site: &Site, p: usize, read: &mut impl FnMut(Node)) {
    let n32 = |i: usize| i as u32;
    let name = |e: usize| Node::EntityName(e as u32);
    read(Node::Template("index.html"));
    // (how many articles: the pager)
    read(Node::Structure);
    for i in site.config.page_range(site.articles.len(), p) {
        read(Node::ArticleItem(n32(i)));
    }
    let featured = if p == 0 { crate::render::FEATURED_QUOTES } else { 0 };
    for (q, quote) in site.quotes.iter().enumerate().take(featured) {
        read(Node::Quote(n32(q)));
        read(name(quote.speaker));
        read(Node::ArticleItem(n32(quote.article)));
    }
    // in the news: the entities, each with its timeline
    if p == 0 {
        read(Node::News);
        for (e, _) in crate::site::time::in_the_news(site).entities {
            read(name(e));
            read(Node::Timeline(n32(e)));
        }
    }
}

/// What a file of the search index reads.
fn search_reads(site: &Site, part: SearchPart, read: &mut impl FnMut(Node)) {
    let n32 = |i: usize| i as u32;
    let name = |e: usize| Node::EntityName(e as u32);
    match part {
        // (how many documents of each kind)
        SearchPart::Meta => read(Node::Structure),
        SearchPart::Shard(k) => read(Node::SearchShard(k)),
        SearchPart::Docs(kind, _) => {
            for i in part.docs(site) {
                match kind {
                    // name, summary, aliases
                    DocKind::Entity => read(Node::Entity(n32(i))),
                    // title, description
                    DocKind::Article => read(Node::ArticleItem(n32(i))),
                    DocKind::Quote => {
                        read(Node::Quote(n32(i)));
                        read(name(site.quotes[i].speaker));
                    }
                }
            }
        }
        // the articles' text
        SearchPart::Text(_) => {
            for i in part.docs(site) {
                read(Node::Article(n32(i)));
            }
        }
    }
}

/// Node → the pages reading it: the reverse of [`reads`] over every page.
pub struct Readers {
    /// Node → indices into the page list, sorted.
    map: std::collections::HashMap<Node, Vec<u32>>,
}

/// The nodes `page` reads, sorted, once each.
fn read_set(site: &Site, page: Page) -> Vec<Node> {
    let mut nodes = Vec::new();
    reads(site, page, &mut |n| nodes.push(n));
    nodes.sort_unstable();
    nodes.dedup();
    nodes
}

impl Readers {
    /// `pages` is the page list the indices refer to.
    pub fn of(site: &Site, pages: &[Page]) -> Readers {
        let mut pairs: Vec<(Node, u32)> = pages
            .par_iter()
            .enumerate()
            .flat_map_iter(|(pi, &p)| read_set(site, p).into_iter().map(move |n| (n, pi as u32)))
            .collect();
        pairs.par_sort_unstable();
        let mut map: std::collections::HashMap<Node, Vec<u32>> = std::collections::HashMap::new();
        for chunk in pairs.chunk_by(|a, b| a.0 == b.0) {
            map.insert(chunk[0].0, chunk.iter().map(|p| p.1).collect());
        }
        Readers { map }
    }

    /// The indices of the pages reading any of `nodes`, sorted, once each.
    pub fn pages(&self, nodes: &[Node]) -> Vec<usize> {
        let mut out = Vec::new();
        for n in nodes {
            if let Some(v) = self.map.get(n) {
                out.extend(v.iter().map(|&p| p as usize));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// What `pages` (page index, page) read now, to give to
    /// [`Readers::update`] after the graph changed under them.
    pub fn snapshot(site: &Site, pages: &[(usize, Page)]) -> Vec<(usize, Vec<Node>)> {
        pages.iter().map(|&(pi, p)| (pi, read_set(site, p))).collect()
    }

    /// Updates the index for pages whose reads may have changed with the
    /// graph: `before` is their [`Readers::snapshot`] from before the change.
    pub fn update(&mut self, site: &Site, pages: &[(usize, Page)], before: Vec<(usize, Vec<Node>)>) {
        for (&(pi, p), (_, old)) in pages.iter().zip(before) {
            let new = read_set(site, p);
            let pi = pi as u32;
            for n in old.iter().filter(|n| new.binary_search(n).is_err()) {
                if let Some(v) = self.map.get_mut(n)
                    && let Ok(at) = v.binary_search(&pi)
                {
                    v.remove(at);
                }
            }
            for n in new.iter().filter(|n| old.binary_search(n).is_err()) {
                let v = self.map.entry(*n).or_default();
                if let Err(at) = v.binary_search(&pi) {
                    v.insert(at, pi);
                }
            }
        }
    }
}
