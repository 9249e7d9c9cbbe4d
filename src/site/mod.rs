//! The site graph: articles with their anchored annotations, entities with
//! every mention of them, quotes, tags, relations, related articles and
//! related entities. Built from [`Content`] in two steps — per article
//! (parse, anchor, inject; in parallel) and then across the site (link) —
//! and the only thing the renderer reads.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::anchor::autolink::Autolinker;
use crate::anchor::markdown::{self, Document, Inject, Markup};
use crate::anchor::selector::{self as anchor, Failure};
use crate::config::Autolink;
use crate::config::Config;
use crate::content::{Annotation, Article, Content, Entity, Kind};
use crate::diagnostics::{Diagnostic, Diagnostics, Sources, line_col};
use crate::i18n;
use crate::packed::Packed;
use crate::text::{collapse_ws, escape_html, first_sentence, fold, slugify, truncate_words};

pub mod terms;

#[derive(Debug)]
pub struct Site {
    pub config: Config,
    /// Newest first (date, then slug).
    pub articles: Vec<ArticleNode>,
    /// By id.
    pub entities: Vec<EntityNode>,
    pub entity_index: HashMap<String, usize>,
    /// Newest article first, then in text order.
    pub quotes: Vec<QuoteNode>,
    /// By slug.
    pub tags: Vec<TagNode>,
    /// Annotations re-attached by approximate matching (each also warned
    /// about); `glossa check --fix` writes their new text back.
    pub reanchored: Vec<Reanchored>,
    /// UI strings in the site's language.
    pub strings: i18n::Strings,
    /// The entity graph: co-mentions and relations, sorted by (a, b).
    pub entity_edges: Vec<EntityEdge>,
    /// The same edges per entity: (other, weight, relation), by other.
    pub entity_adjacency: Vec<Vec<(usize, f64, bool)>>,
    /// Where rendered social images are kept between builds, by content
    /// hash (`ROOT/.glossa-cache`); `None` renders every image afresh.
    pub cache_dir: Option<std::path::PathBuf>,
    /// What anchoring an article reads besides its own files, kept so an
    /// edited article can be anchored again on its own
    /// ([`Site::prepare_article`]).
    pub anchoring: Anchoring,
    /// Whether articles keep their explicit annotations (see
    /// [`Site::drop_export_data`]).
    pub export_data: bool,
    /// The full-text index the search files are cut from, built on first
    /// use.
    pub terms: terms::Terms,
}

/// The site-wide inputs of anchoring one article: the article slugs links
/// may name, the automatic linker over every entity name, the site's
/// `autolink`, and a hash of the linker, `autolink`, the entity ids, root
/// URL and UI strings that goes into each article's input key (the slugs go
/// in only as far as its links name them).
pub struct Anchoring {
    articles: HashSet<String>,
    auto: Autolinker,
    autolink: Autolink,
    shared: u64,
}

impl std::fmt::Debug for Anchoring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Anchoring")
            .field("articles", &self.articles.len())
            .field("autolink", &self.autolink)
            .field("shared", &self.shared)
            .finish_non_exhaustive()
    }
}

/// The graph nodes an in-place edit ([`Site::apply_article`],
/// [`Site::patch_entity`]) touched, by index: what [`crate::render::deps`] must hash
/// again.
#[derive(Debug, Default)]
pub struct Patched {
    pub articles: Vec<usize>,
    pub entities: Vec<usize>,
    pub quotes: Vec<usize>,
    /// Co-occurrence edges changed (adjacency, local graphs).
    pub graph: bool,
}

/// An article edit anchored and checked, not yet in the graph
/// ([`Site::prepare_article`]).
pub struct ArticleEdit {
    ai: usize,
    src: Article,
    an: Anchored,
    counts: Vec<(usize, usize)>,
    /// The entities it named, and names now (sorted).
    was: Vec<usize>,
    now: Vec<usize>,
    /// Both together.
    pub entities: Vec<usize>,
    /// The articles whose related list is scored again.
    pub related: Vec<usize>,
    key: u64,
}

/// Articles naming more entities than this add no co-occurrence edges.
const COOCCURRENCE_CAP: usize = 200;
/// How many related entities an entity lists.
const RELATED_ENTITIES: usize = 8;

impl Site {
    /// Frees what only `glossa export` reads, each article's explicit
    /// annotations (20 MB at 10,000 articles), for the commands that
    /// render pages instead.
    pub fn drop_export_data(&mut self) {
        for a in &mut self.articles {
            a.explicit = Vec::new();
        }
        self.export_data = false;
    }

    /// The entities entity `i`'s local graph shows: itself and its eleven
    /// strongest neighbours.
    pub fn local_graph_members(&self, i: usize) -> Vec<usize> {
        let mut neighbours: Vec<(usize, f64)> = self.entity_adjacency[i].iter().map(|&(o, w, _)| (o, w)).collect();
        neighbours.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut keep = vec![i];
        keep.extend(neighbours.iter().take(11).map(|n| n.0));
        keep
    }

    /// Anchors the edited article `new` (at index `ai`) to put it in place
    /// — when the rest of the graph can follow without being built again:
    /// the same front matter, the same quotes by the same speakers, and no
    /// diagnostic. Which entities it names, and how often, may change:
    /// [`Site::apply_article`] then updates their mention and article
    /// lists, the co-occurrence edges among them, and the related articles
    /// of every article sharing one of them. `None` when the graph must be
    /// built anew. Nothing changes until [`Site::apply_article`].
    pub fn prepare_article(&self, ai: usize, mut new: Article, sources: &Sources) -> Option<ArticleEdit> {
        let old = self.articles.get(ai)?;
        if old.src.path != new.path || !new.entities.is_empty() {
            return None;
        }
        // the front matter (everything but the text and annotations)
        let body = std::mem::take(&mut new.body);
        let annotations = std::mem::take(&mut new.annotations);
        if format!("{new:?}") != format!("{:?}", old.src) {
            return None;
        }
        new.body = body;
        new.annotations = annotations;
        let urls = Urls {
            root: self.config.root_path(),
        };
        let ids: Vec<&str> = self.entities.iter().map(|e| e.src.id.as_str()).collect();
        let links = LinkTargets {
            entities: &self.entity_index,
            ids: &ids,
            articles: &self.anchoring.articles,
            urls: &urls,
            auto: &self.anchoring.auto,
            autolink: self.anchoring.autolink,
        };
        let files = ArticleFiles::of(&new, sources);
        let an = anchor_article(&new, &links, &self.strings, &files);
        if !an.diags.is_empty() || !an.reanchored.is_empty() {
            return None;
        }
        let same_quotes = old.quotes.len() == an.quotes.len()
            && old
                .quotes
                .iter()
                .zip(&an.quotes)
                .all(|(&q, aq)| self.quotes[q].id == aq.id && self.quotes[q].speaker == aq.speaker);
        if !same_quotes {
            return None;
        }
        let counts = entity_counts(&an.mentions);
        let set = |v: &[(usize, usize)]| {
            let mut v: Vec<usize> = v.iter().map(|e| e.0).collect();
            v.sort_unstable();
            v
        };
        let (was, now) = (set(&old.entities), set(&counts));
        // every entity named before or now
        let mut entities = was.clone();
        entities.extend(&now);
        entities.sort_unstable();
        entities.dedup();
        // Articles whose related list may change: those sharing one of
        // them (another article's scores involve only entities it names,
        // and those keep their weights). Same entities: only its own
        // (its summation order is its entity order).
        let mut related: Vec<usize> = if was == now {
            Vec::new()
        } else {
            entities
                .iter()
                .flat_map(|&e| &self.entities[e].articles)
                .copied()
                .collect()
        };
        if counts != old.entities {
            related.push(ai);
        }
        related.sort_unstable();
        related.dedup();
        let key = input_key(self.anchoring.shared, &new, &files, &self.anchoring.articles);
        new.body = Default::default();
        new.annotations = Vec::new();
        Some(ArticleEdit {
            ai,
            src: new,
            an,
            counts,
            was,
            now,
            entities,
            related,
            key,
        })
    }

    /// Puts a prepared article edit in place (see
    /// [`Site::prepare_article`]).
    pub fn apply_article(&mut self, edit: ArticleEdit, patched: &mut Patched) {
        let ArticleEdit {
            ai,
            src,
            an,
            counts,
            was,
            now,
            entities,
            related,
            key,
        } = edit;
        let old_quotes = self.articles[ai].quotes.clone();
        for (&q, aq) in old_quotes.iter().zip(an.quotes) {
            let quote = &mut self.quotes[q];
            quote.text = aq.text;
            quote.before = aq.before;
            quote.after = aq.after;
        }
        for &e in &entities {
            let list = &mut self.entities[e].mentions;
            let from = list.partition_point(|m| m.0 < ai);
            let to = list.partition_point(|m| m.0 <= ai);
            let here = an.mentions.iter().enumerate().filter(|(_, m)| m.entity == e);
            list.splice(from..to, here.map(|(mi, _)| (ai, mi)));
        }
        let node = &mut self.articles[ai];
        node.src = src;
        node.text = an.text;
        node.body_html = an.body_html;
        node.mentions = an.mentions;
        node.notes = an.notes;
        if self.export_data {
            node.explicit = an.explicit;
        }
        node.input_key = key;
        node.entities = counts;
        let attributed = [node.source_entity, node.via_entity];
        if was != now {
            // the articles naming each entity
            for &e in &entities {
                let named = now.binary_search(&e).is_ok() || attributed.contains(&Some(e));
                let list = &mut self.entities[e].articles;
                match (list.binary_search(&ai), named) {
                    (Err(at), true) => list.insert(at, ai),
                    (Ok(at), false) => {
                        list.remove(at);
                    }
                    _ => {}
                }
            }
            self.recount_cooccurrence(&was, &now);
            patched.graph = true;
        }
        if !related.is_empty() {
            let n = self.articles.len();
            let postings = Postings::of(&self.articles, self.entities.len());
            let nodes: &[ArticleNode] = &self.articles;
            let lists: Vec<Vec<(usize, f64, Vec<usize>)>> = related
                .par_iter()
                .map_init(
                    || (vec![0.0; n], vec![usize::MAX; n], Vec::new()),
                    |buffers, &b| postings.related_of(nodes, b, buffers),
                )
                .collect();
            for (&b, list) in related.iter().zip(lists) {
                self.articles[b].related = list;
            }
        }
        patched.articles.push(ai);
        patched.articles.extend(related);
        patched.entities.extend(entities);
        patched.quotes.extend(old_quotes);
    }

    /// Co-occurrence edges after one article went from naming `was` to
    /// naming `now` (sorted entity indices): the weights of the pairs in
    /// either change by one (the same integers a full count gives), edges
    /// appear and go, and the adjacency and related entities of the
    /// entities in them follow.
    fn recount_cooccurrence(&mut self, was: &[usize], now: &[usize]) {
        let mut delta: BTreeMap<(usize, usize), i64> = BTreeMap::new();
        for (set, d) in [(was, -1), (now, 1)] {
            if set.len() > COOCCURRENCE_CAP {
                continue;
            }
            for (i, &x) in set.iter().enumerate() {
                for &y in &set[i + 1..] {
                    *delta.entry((x, y)).or_default() += d;
                }
            }
        }
        let mut touched = Vec::new();
        for ((x, y), d) in delta {
            if d == 0 {
                continue;
            }
            touched.extend([x, y]);
            let edges = &mut self.entity_edges;
            match edges.binary_search_by_key(&(x, y), |e| (e.a, e.b)) {
                Ok(at) => {
                    edges[at].weight += d as f64;
                    if edges[at].weight == 0.0 && !edges[at].relation {
                        edges.remove(at);
                    }
                }
                Err(at) => edges.insert(
                    at,
                    EntityEdge {
                        a: x,
                        b: y,
                        weight: d as f64,
                        relation: false,
                    },
                ),
            }
            // adjacency lists are sorted by neighbour
            let edge = edges
                .binary_search_by_key(&(x, y), |e| (e.a, e.b))
                .ok()
                .map(|at| edges[at]);
            for (p, q) in [(x, y), (y, x)] {
                let adj = &mut self.entity_adjacency[p];
                let at = adj.binary_search_by_key(&q, |n| n.0);
                match (at, edge) {
                    (Ok(at), Some(e)) => adj[at] = (q, e.weight, e.relation),
                    (Ok(at), None) => {
                        adj.remove(at);
                    }
                    (Err(at), Some(e)) => adj.insert(at, (q, e.weight, e.relation)),
                    (Err(_), None) => {}
                }
            }
        }
        touched.sort_unstable();
        touched.dedup();
        for x in touched {
            let mut v: Vec<(usize, f64)> = self.entity_adjacency[x].iter().map(|&(o, w, _)| (o, w)).collect();
            v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            v.truncate(RELATED_ENTITIES);
            self.entities[x].related = v;
        }
    }

    /// Puts the edited entity `new` (at index `e`) in place when only its
    /// description changed (names, aliases, kind, relations and the rest of
    /// its front matter are what they were, so no article's anchoring or
    /// the graph's shape changes) and the description has no problem.
    /// Otherwise `None`, with the graph untouched.
    pub fn patch_entity(&mut self, e: usize, new: Entity, patched: &mut Patched) -> Option<()> {
        let old = &self.entities.get(e)?.src;
        let front = |x: &Entity| {
            let mut x = x.clone();
            x.description = String::new();
            x.description_offset = 0;
            format!("{x:?}")
        };
        if old.path != new.path || front(old) != front(&new) {
            return None;
        }
        let doc = Document::parse(&new.description);
        if !markdown::unsafe_urls(&doc).is_empty() {
            return None;
        }
        let node = &mut self.entities[e];
        node.summary = entity_summary(&doc);
        node.description_html = markdown::render(&doc, &[]);
        node.src = new;
        patched.entities.push(e);
        Some(())
    }
}

/// Per entity, how many times the mentions name it: most named first.
fn entity_counts(mentions: &[MentionNode]) -> Vec<(usize, usize)> {
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for m in mentions {
        *counts.entry(m.entity).or_default() += 1;
    }
    let mut ents: Vec<(usize, usize)> = counts.into_iter().collect();
    ents.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ents
}

/// An entity's summary: the first sentence of its description.
fn entity_summary(doc: &Document) -> String {
    first_sentence(&doc.text.text.replace('\n', " "), 200)
}

/// An annotation whose `exact` no longer matched and was re-anchored.
#[derive(Debug, Clone, PartialEq)]
pub struct Reanchored {
    pub file: std::path::PathBuf,
    /// Span of the `exact` string (quotes included) in the annotation file.
    pub exact_span: Range<usize>,
    pub old: String,
    pub new: String,
}

#[derive(Debug)]
pub struct ArticleNode {
    pub src: Article,
    /// What the reader sees (see [`markdown::RenderedText`]).
    pub text: Packed,
    pub body_html: Packed,
    /// In text order.
    pub mentions: Vec<MentionNode>,
    /// Indices into `Site::quotes`.
    pub quotes: Vec<usize>,
    pub notes: Vec<NoteNode>,
    /// (entity, mentions here), most mentioned first.
    pub entities: Vec<(usize, usize)>,
    /// (article, score, shared entities), best first.
    pub related: Vec<(usize, f64, Vec<usize>)>,
    pub tag_slugs: Vec<String>,
    pub source_entity: Option<usize>,
    pub via_entity: Option<usize>,
    /// Its explicit annotations, in text order (for `glossa export`; empty
    /// after [`Site::drop_export_data`]).
    pub explicit: Vec<ExplicitNode>,
    /// A hash of the article's files and of what its anchoring depends on
    /// (see [`AnchorCache`]); 0 when built without a cache.
    pub input_key: u64,
}

#[derive(Debug, Clone)]
pub struct MentionNode {
    pub entity: usize,
    /// Which mention of its entity in the article it is, from 1.
    pub n: usize,
    pub range: Range<usize>,
}

impl MentionNode {
    /// Its element id in the article page, `m-ENTITY-N` (`entity_id`: its
    /// entity's id), which entity pages link to.
    pub fn element_id(&self, entity_id: &str) -> String {
        format!("m-{entity_id}-{}", self.n)
    }
}

#[derive(Debug, Clone)]
pub struct NoteNode {
    pub number: usize,
    pub id: String,
    pub body_html: String,
}

#[derive(Debug, Clone)]
pub struct QuoteNode {
    pub id: String,
    pub article: usize,
    pub speaker: usize,
    pub text: String,
    /// Element id of the quote in the article page.
    pub anchor: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug)]
pub struct EntityNode {
    pub src: Entity,
    pub description_html: String,
    pub summary: String,
    /// (article, index into its mentions).
    pub mentions: Vec<(usize, usize)>,
    pub quotes: Vec<usize>,
    /// (label seen from this entity, other entity).
    pub relations: Vec<(String, usize)>,
    /// (entity, weight), best first.
    pub related: Vec<(usize, f64)>,
    /// Articles that mention it or name it as source/via, newest first.
    pub articles: Vec<usize>,
}

#[derive(Debug)]
pub struct TagNode {
    pub slug: String,
    pub name: String,
    pub articles: Vec<usize>,
}

/// URL paths of every page kind, under the site's root path.
#[derive(Debug, Clone)]
pub struct Urls {
    pub root: String,
}

impl Urls {
    pub fn article(&self, slug: &str) -> String {
        format!("{}articles/{slug}/", self.root)
    }
    pub fn entity(&self, id: &str) -> String {
        format!("{}entities/{id}/", self.root)
    }
    pub fn quote(&self, id: &str) -> String {
        format!("{}quotes/{id}/", self.root)
    }
    pub fn tag(&self, slug: &str) -> String {
        format!("{}tags/{slug}/", self.root)
    }
}

const RANK_LINK: u8 = 0;
const RANK_QUOTE: u8 = 1;
const RANK_NOTE: u8 = 2;
const RANK_MENTION: u8 = 3;

/// What an explicit annotation says (kept for `glossa export`).
#[derive(Debug, Clone)]
pub enum Explicit {
    Mention(usize),
    Quote {
        id: String,
        speaker: usize,
    },
    /// The note's Markdown.
    Note(String),
    /// The `to` as written.
    Link(String),
}

/// An explicit annotation where it was anchored in the rendered text.
#[derive(Debug, Clone)]
pub struct ExplicitNode {
    pub range: Range<usize>,
    pub what: Explicit,
}

/// What anchoring one article produced, before site-wide linking. The
/// text and HTML are packed as soon as they are made: while every article
/// is anchored, all of them are in memory at once.
#[derive(Clone)]
struct Anchored {
    text: Packed,
    body_html: Packed,
    explicit: Vec<ExplicitNode>,
    mentions: Vec<MentionNode>,
    quotes: Vec<AnchoredQuote>,
    notes: Vec<NoteNode>,
    diags: Vec<Diagnostic>,
    reanchored: Vec<Reanchored>,
}

/// A quote as anchored, with the words around it.
#[derive(Clone)]
struct AnchoredQuote {
    id: String,
    speaker: usize,
    text: String,
    before: String,
    after: String,
}

/// How many characters of text around a quote its card shows.
const QUOTE_CONTEXT: usize = 140;

/// Anchoring results kept between rebuilds (`serve`, `build --watch`):
/// article path → (a hash of everything anchoring it reads, the result).
/// An article is anchored again only when its files, the set of entity ids
/// or article slugs, the root URL or the UI strings changed.
#[derive(Default)]
pub struct AnchorCache(HashMap<PathBuf, (u64, Anchored)>);

/// Builds the graph. Problems go into `diags`; the graph is still returned
/// (with the failing annotations left out) so `check` can report everything.
/// With a cache, unchanged articles' anchoring is reused (and the cache
/// refreshed).
pub fn build(
    config: Config,
    strings: i18n::Strings,
    content: Content,
    drafts: bool,
    sources: &mut Sources,
    diags: &mut Diagnostics,
    cache: Option<&mut AnchorCache>,
) -> Site {
    let urls = Urls {
        root: config.root_path(),
    };
    let mut entities = content.entities;
    let mut entity_index: HashMap<String, usize> = HashMap::new();
    entities.sort_by(|a, b| a.id.cmp(&b.id));
    for (i, e) in entities.iter().enumerate() {
        if let Some(prev) = entity_index.insert(e.id.clone(), i) {
            diags.push(
                Diagnostic::error(&e.path, None, format!("duplicate entity id `{}`", e.id)).with_hint(format!(
                    "{} has the same file name; entity ids must be unique across content/entities/",
                    entities[prev].path.display()
                )),
            );
        }
    }

    let mut articles: Vec<Article> = content.articles.into_iter().filter(|a| drafts || !a.draft).collect();
    articles.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.slug.cmp(&b.slug)));
    let mut seen_slugs: HashMap<String, &Path> = HashMap::new();
    for a in &articles {
        if let Some(other) = seen_slugs.insert(a.slug.clone(), &a.path) {
            diags.push(
                Diagnostic::error(
                    &a.path,
                    None,
                    format!("two articles have the URL /articles/{}/", a.slug),
                )
                .with_hint(format!("{} gives the same slug; rename one of them", other.display())),
            );
        }
    }

    let mut anchoring = Anchoring {
        articles: articles.iter().map(|a| a.slug.clone()).collect(),
        auto: Autolinker::new(&entities),
        autolink: config.autolink,
        shared: 0,
    };
    // What every article's anchoring reads besides its own files.
    anchoring.shared = {
        let mut h = std::hash::DefaultHasher::new();
        let mut ids: Vec<&String> = entity_index.keys().collect();
        ids.sort();
        // (not the article slugs: an article reads only whether the ones
        // it links to exist, see `input_key`)
        let auto = (anchoring.auto.fingerprint(), format!("{:?}", anchoring.autolink));
        (ids, &urls.root, format!("{strings:?}"), auto).hash(&mut h);
        h.finish()
    };
    let ids: Vec<&str> = entities.iter().map(|e| e.id.as_str()).collect();
    let links = LinkTargets {
        entities: &entity_index,
        ids: &ids,
        articles: &anchoring.articles,
        urls: &urls,
        auto: &anchoring.auto,
        autolink: anchoring.autolink,
    };
    let old = cache.as_deref().map(|c| &c.0);
    // An article's files (a large site's whole text) are needed, once it is
    // anchored, only to print the diagnostics that point into them: the
    // others are dropped as soon as it is, with its body and annotations.
    let cited: HashSet<PathBuf> = diags.cited_files().into_iter().map(Path::to_path_buf).collect();
    let shared_sources = std::sync::Mutex::new(&mut *sources);
    let anchored: Vec<(u64, Anchored)> = articles
        .par_iter_mut()
        .map(|a| {
            let files = ArticleFiles::of(a, &shared_sources.lock().unwrap_or_else(|e| e.into_inner()));
            // (the key also goes into the dependency hashes, crate::render::deps)
            let k = input_key(anchoring.shared, a, &files, &anchoring.articles);
            let an = match old.and_then(|c| c.get(&a.path)) {
                Some((was, an)) if *was == k => an.clone(),
                _ => anchor_article(a, &links, &strings, &files),
            };
            a.body = Default::default();
            a.annotations = Vec::new();
            if an.diags.is_empty() {
                let mut sources = shared_sources.lock().unwrap_or_else(|e| e.into_inner());
                for p in std::iter::once(&a.path).chain(&a.annotations_path) {
                    if !cited.contains(p) {
                        sources.remove(p);
                    }
                }
            }
            (k, an)
        })
        .collect();
    drop(cited);
    if let Some(c) = cache {
        c.0 = articles
            .iter()
            .zip(&anchored)
            .map(|(a, (k, an))| (a.path.clone(), (*k, an.clone())))
            .collect();
    }
    let t = crate::timing::lap("  anchor articles", std::time::Instant::now());
    // `k` is the hash of every input of the article's anchoring: the
    // dependency hashes (and the anchoring cache) use it to tell which
    // articles changed.
    let anchored = anchored.into_iter();

    // Site-wide: quotes, mentions per entity, counts.
    let mut quotes: Vec<QuoteNode> = Vec::new();
    let mut quote_ids: HashMap<String, usize> = HashMap::new();
    let mut nodes: Vec<ArticleNode> = Vec::with_capacity(articles.len());
    let mut reanchored = Vec::new();
    for (ai, (src, (input_key, an))) in articles.into_iter().zip(anchored).enumerate() {
        diags.extend(an.diags);
        reanchored.extend(an.reanchored);
        let mut qidx = Vec::new();
        for AnchoredQuote {
            id,
            speaker,
            text: qtext,
            before,
            after,
            ..
        } in an.quotes
        {
            if let Some(&prev) = quote_ids.get(&id) {
                let prev_article = quotes[prev].article;
                let prev_path = nodes
                    .get(prev_article)
                    .map_or(src.path.clone(), |n: &ArticleNode| n.src.path.clone());
                diags.push(
                    Diagnostic::error(
                        src.annotations_path.clone().unwrap_or(src.path.clone()),
                        None,
                        format!("duplicate quote id `{id}`"),
                    )
                    .with_hint(format!(
                        "it is also used in {}; give one of them another `id`",
                        prev_path.display()
                    )),
                );
                continue;
            }
            quote_ids.insert(id.clone(), quotes.len());
            qidx.push(quotes.len());
            quotes.push(QuoteNode {
                anchor: format!("q-{id}"),
                id,
                article: ai,
                speaker,
                text: qtext,
                before,
                after,
            });
        }
        let ents = entity_counts(&an.mentions);
        let tag_slugs = src.tags.iter().map(|t| slugify(t)).filter(|s| !s.is_empty()).collect();
        nodes.push(ArticleNode {
            text: an.text,
            body_html: an.body_html,
            mentions: an.mentions,
            quotes: qidx,
            notes: an.notes,
            entities: ents,
            related: Vec::new(),
            tag_slugs,
            source_entity: None,
            via_entity: None,
            explicit: an.explicit,
            input_key,
            src,
        });
    }

    // Names and aliases, folded, for source/via attribution.
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for (i, e) in entities.iter().enumerate() {
        for n in std::iter::once(&e.name).chain(&e.aliases) {
            by_name.entry(fold(n)).or_insert(i);
        }
    }
    for n in &mut nodes {
        n.source_entity = n.src.source.as_deref().and_then(|s| by_name.get(&fold(s)).copied());
        n.via_entity = n.src.via.as_deref().and_then(|s| by_name.get(&fold(s)).copied());
    }

    let mut entity_nodes: Vec<EntityNode> = entities
        .into_iter()
        .map(|e| {
            let doc = Document::parse(&e.description);
            for (src, url) in markdown::unsafe_urls(&doc) {
                let at = e.description_offset + src.start..e.description_offset + src.end;
                diags.push(unsafe_url_diag(&e.path, at, &url));
            }
            let summary = entity_summary(&doc);
            let description_html = markdown::render(&doc, &[]);
            EntityNode {
                src: e,
                description_html,
                summary,
                mentions: Vec::new(),
                quotes: Vec::new(),
                relations: Vec::new(),
                related: Vec::new(),
                articles: Vec::new(),
            }
        })
        .collect();
    for (ai, n) in nodes.iter().enumerate() {
        for (mi, m) in n.mentions.iter().enumerate() {
            entity_nodes[m.entity].mentions.push((ai, mi));
        }
        let mut named: Vec<usize> = n.entities.iter().map(|e| e.0).collect();
        named.extend(n.source_entity);
        named.extend(n.via_entity);
        named.sort_unstable();
        named.dedup();
        for e in named {
            entity_nodes[e].articles.push(ai);
        }
    }
    for (qi, q) in quotes.iter().enumerate() {
        entity_nodes[q.speaker].quotes.push(qi);
    }
    link_relations(&mut entity_nodes, &entity_index, &config.language, sources, diags);
    related_articles(&mut nodes, entity_nodes.len());
    let entity_edges = related_entities(&nodes, &mut entity_nodes);
    let mut entity_adjacency: Vec<Vec<(usize, f64, bool)>> = vec![Vec::new(); entity_nodes.len()];
    for e in &entity_edges {
        entity_adjacency[e.a].push((e.b, e.weight, e.relation));
        entity_adjacency[e.b].push((e.a, e.weight, e.relation));
    }

    crate::timing::lap(&format!("  link ({} entity edges)", entity_edges.len()), t);
    let mut tags: BTreeMap<String, TagNode> = BTreeMap::new();
    for (ai, n) in nodes.iter().enumerate() {
        for (slug, name) in n.tag_slugs.iter().zip(&n.src.tags) {
            let t = tags.entry(slug.clone()).or_insert_with(|| TagNode {
                slug: slug.clone(),
                name: name.clone(),
                articles: Vec::new(),
            });
            if t.articles.last() != Some(&ai) {
                t.articles.push(ai);
            }
        }
    }

    diags.sort();
    Site {
        config,
        articles: nodes,
        entities: entity_nodes,
        entity_index,
        quotes,
        tags: tags.into_values().collect(),
        reanchored,
        strings,
        entity_edges,
        entity_adjacency,
        cache_dir: None,
        anchoring,
        export_data: true,
        terms: Default::default(),
    }
}

/// A hash of everything anchoring article `a` reads: `shared` (see
/// [`Anchoring`]), its own files, and whether each article its links name
/// exists — not the whole set of articles, so adding or removing one does
/// not make every other article's anchoring stale.
fn input_key(shared: u64, a: &Article, files: &ArticleFiles, articles: &HashSet<String>) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    let text = files.text.as_deref();
    let ann = files.annotations.as_deref().filter(|_| a.annotations_path.is_some());
    (shared, &a.path, &a.slug, text, ann).hash(&mut h);
    for ann in &a.annotations {
        if let Kind::Link { to } = &ann.kind
            && let Some(slug) = linked_slug(to.get_ref())
        {
            (&slug, articles.contains(&slug)).hash(&mut h);
        }
    }
    h.finish()
}

/// The article slug a link target `@/articles/…` names.
fn linked_slug(to: &str) -> Option<String> {
    let rest = to.strip_prefix("@/articles/")?;
    let path = rest.split_once('#').map_or(rest, |(p, _)| p);
    let stem = path.trim_end_matches(".md").rsplit('/').next().unwrap_or("");
    Some(slugify(stem))
}

/// The text around `range` in its block: up to `max` characters each side,
/// cut at word boundaries, with `…` where cut.
pub fn context(text: &str, range: &Range<usize>, max: usize) -> (String, String) {
    // Look only at a window of at most 4·max bytes each side (max chars fit
    // in it), so a mention in a huge paragraph costs O(max), not O(paragraph).
    let reach = max * 4 + 4;
    let mut from = range.start.saturating_sub(reach);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let mut to = (range.end + reach).min(text.len());
    while !text.is_char_boundary(to) {
        to -= 1;
    }
    let (before, before_cut) = match text[from..range.start].rfind('\n') {
        Some(i) => (&text[from + i + 1..range.start], false),
        None => (&text[from..range.start], from > 0),
    };
    let (after, after_cut) = match text[range.end..to].find('\n') {
        Some(i) => (&text[range.end..range.end + i], false),
        None => (&text[range.end..to], to < text.len()),
    };
    let count = before.chars().count();
    let b = if count > max || before_cut {
        let cut: String = before.chars().skip(count.saturating_sub(max)).collect();
        let cut = match cut.find(' ') {
            Some(i) => cut[i + 1..].to_string(),
            None => cut,
        };
        format!("…{cut}")
    } else {
        before.to_string()
    };
    let mut a = truncate_words(after, max);
    if after_cut && !a.ends_with('…') {
        a.push('…');
    }
    (b, a)
}

/// What annotations may point at, and what is linked automatically.
struct LinkTargets<'a> {
    entities: &'a HashMap<String, usize>,
    /// Entity ids by index.
    ids: &'a [&'a str],
    articles: &'a HashSet<String>,
    urls: &'a Urls,
    auto: &'a Autolinker,
    /// The site's `autolink` (an article's front matter may override it).
    autolink: Autolink,
}

/// A span to draw: an explicit annotation (index into the resolved ones)
/// or an automatic mention (of an entity).
enum Span {
    Explicit(usize),
    Auto(usize),
}

/// The texts of an article's files as loaded (shared with [`Sources`]).
struct ArticleFiles {
    text: Option<Arc<str>>,
    /// Its annotation file's (the article's own file when it has none).
    annotations: Option<Arc<str>>,
}

impl ArticleFiles {
    fn of(a: &Article, sources: &Sources) -> ArticleFiles {
        let ann_path = a.annotations_path.as_deref().unwrap_or(&a.path);
        ArticleFiles {
            text: sources.get_shared(&a.path),
            annotations: sources.get_shared(ann_path),
        }
    }
}

fn anchor_article(a: &Article, links: &LinkTargets<'_>, strings: &i18n::Strings, files: &ArticleFiles) -> Anchored {
    let entity_index = links.entities;
    let urls = links.urls;
    let doc = Document::parse(&a.body);
    let text = &doc.text.text;
    let mut diags = Vec::new();
    for (src, url) in markdown::unsafe_urls(&doc) {
        diags.push(unsafe_url_diag(
            &a.path,
            a.body_offset + src.start..a.body_offset + src.end,
            &url,
        ));
    }
    let ann_path = a.annotations_path.clone().unwrap_or_else(|| a.path.clone());
    let file_text = files.text.as_deref().unwrap_or("");
    // Line starts once per article, so thousands of diagnostics stay linear.
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(file_text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let article_line =
        |pos: usize| -> usize { line_starts.partition_point(|&s| s <= a.body_offset + doc.source_offset(pos)) };
    let ann_text = files.annotations.as_deref().unwrap_or("");

    // Resolve every annotation to its ranges.
    struct Resolved<'a> {
        ann: &'a Annotation,
        ranges: Vec<Range<usize>>,
    }
    let mut resolved: Vec<Resolved> = Vec::new();
    let mut reanchored = Vec::new();
    let mut occurrences = anchor::Occurrences::default();
    for ann in &a.annotations {
        // Names first, so an unknown entity is reported even if the text is fine.
        let mut names_ok = true;
        for name in match &ann.kind {
            Kind::Mention { entity } => vec![entity],
            Kind::Quote { speaker, .. } => vec![speaker],
            _ => vec![],
        } {
            if !entity_index.contains_key(name.get_ref()) {
                names_ok = false;
                let role = if matches!(ann.kind, Kind::Quote { .. }) {
                    "speaker"
                } else {
                    "entity"
                };
                let mut d = Diagnostic::error(
                    &ann_path,
                    Some(name.span()),
                    format!("unknown {role} `{}`", name.get_ref()),
                );
                d = match crate::schema::did_you_mean(name.get_ref(), links.ids.iter().copied()) {
                    Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                    None => d.with_hint(format!(
                        "add content/entities/{}.md or use an existing entity id",
                        name.get_ref()
                    )),
                };
                diags.push(d);
            }
        }
        if let Kind::Link { to } = &ann.kind
            && let Err(why) = resolve_link(to.get_ref(), links)
        {
            names_ok = false;
            diags.push(link_diag(&ann_path, to, why));
        }
        // A TextPositionSelector (JSON-LD files) picks the occurrence that
        // starts there, as long as `exact` is still what is there.
        if let Some(at) = ann
            .position
            .and_then(|cp| crate::content::jsonld::byte_offset(text, cp))
        {
            let exact = collapse_ws(&ann.selector.exact);
            let range = at..at + exact.len();
            if text[at..].starts_with(&exact) && !doc.text.overlaps_code(&range) {
                if names_ok {
                    resolved.push(Resolved {
                        ann,
                        ranges: vec![range],
                    });
                }
                continue;
            }
        }
        match anchor::anchor_cached(text, &doc.text.code, &ann.selector, &mut occurrences) {
            Ok(ranges) => {
                if names_ok {
                    resolved.push(Resolved { ann, ranges });
                }
            }
            Err(Failure::NotFound { .. })
                if let Some(r) =
                    anchor::reanchor(text, &ann.selector).filter(|r| !doc.text.overlaps_code(&r.range)) =>
            {
                let new = text[r.range.clone()].to_string();
                let (was, now) = anchor::mark_difference(&collapse_ws(&ann.selector.exact), &new);
                diags.push(
                    Diagnostic::warning(
                        &ann_path,
                        Some(ann.exact_span.clone()),
                        format!(
                            "the text changed; re-anchored at article line {} ({:.0}% similar): «{was}» → «{now}»",
                            article_line(r.range.start),
                            r.score * 100.0
                        ),
                    )
                    .with_hint(
                        "check it is the same passage, then run `glossa check --fix` to update the annotation file",
                    ),
                );
                reanchored.push(Reanchored {
                    file: ann_path.clone(),
                    exact_span: ann.exact_span.clone(),
                    old: ann.selector.exact.clone(),
                    new,
                });
                if names_ok {
                    resolved.push(Resolved {
                        ann,
                        ranges: vec![r.range],
                    });
                }
            }
            Err(f) => diags.push(failure_diag(f, ann, &ann_path, text, &article_line)),
        }
    }

    // Overlaps that cannot nest.
    let mut all: Vec<(Range<usize>, usize)> = resolved
        .iter()
        .enumerate()
        .flat_map(|(i, r)| r.ranges.iter().map(move |x| (x.clone(), i)))
        .collect();
    all.sort_by_key(|(r, i)| (r.start, std::cmp::Reverse(r.end), *i));
    let mut dropped: HashSet<usize> = HashSet::new();
    let mut stack: Vec<(Range<usize>, usize)> = Vec::new();
    for (r, i) in &all {
        while stack.last().is_some_and(|(s, _)| s.end <= r.start) {
            stack.pop();
        }
        if let Some((s, j)) = stack.last()
            && r.end > s.end
            && !dropped.contains(j)
        {
            let other = resolved[*j].ann;
            diags.push(
                Diagnostic::error(
                    &ann_path,
                    Some(resolved[*i].ann.exact_span.clone()),
                    format!(
                        "this {} overlaps a {} (line {}) without nesting inside it",
                        resolved[*i].ann.kind.name(),
                        other.kind.name(),
                        line_col(ann_text, other.exact_span.start).0
                    ),
                )
                .with_hint(format!(
                    "«{}» and «{}» share only part of their text; make one contain the other",
                    &text[r.clone()],
                    &text[s.clone()]
                )),
            );
            dropped.insert(*i);
            continue;
        }
        stack.push((r.clone(), *i));
    }

    // Markup for each span.
    let mut injects = Vec::new();
    let mut mentions = Vec::new();
    let mut quotes = Vec::new();
    let mut notes = Vec::new();
    let mut per_entity: HashMap<usize, usize> = HashMap::new();
    let explicit: Vec<(Range<usize>, usize)> = all.into_iter().filter(|(_, i)| !dropped.contains(i)).collect();
    // Automatic mentions: names where no explicit annotation, code, heading
    // or link is.
    let mode = a.autolink.unwrap_or(links.autolink);
    let autos: Vec<(Range<usize>, usize)> = if mode == Autolink::None {
        Vec::new()
    } else {
        links
            .auto
            .find(text)
            .into_iter()
            .filter(|(r, _)| {
                !doc.text.refuses_autolink(r) && !explicit.iter().any(|(s, _)| s.start < r.end && r.start < s.end)
            })
            .collect()
    };
    let mut spans: Vec<(Range<usize>, Span)> = explicit
        .into_iter()
        .map(|(r, i)| (r, Span::Explicit(i)))
        .chain(autos.into_iter().map(|(r, e)| (r, Span::Auto(e))))
        .collect();
    spans.sort_by_key(|(r, s)| match s {
        Span::Explicit(i) => (r.start, 0, *i),
        Span::Auto(e) => (r.start, 1, *e),
    });
    // Entities already linked in this article ("first": one link each).
    let mut linked: HashSet<usize> = HashSet::new();
    let mut explicit = Vec::new();
    for (range, span) in spans {
        let i = match span {
            Span::Explicit(i) => i,
            Span::Auto(e) => {
                let id = links.ids[e];
                let n = per_entity.entry(e).or_default();
                *n += 1;
                let mention = MentionNode {
                    entity: e,
                    n: *n,
                    range: range.clone(),
                };
                let mid = mention.element_id(id);
                mentions.push(mention);
                // the others are drawn as plain spans: still mentions, with
                // an id for the entity page's deep links
                let link = mode == Autolink::All || linked.insert(e);
                let markup = Markup {
                    tag: if link { "a" } else { "span" },
                    class: if link { "mention auto" } else { "mention mention-plain" }.into(),
                    id: Some(mid),
                    href: link.then(|| urls.entity(id)),
                    data: vec![("entity", id.to_string())],
                    after: String::new(),
                };
                injects.push(Inject {
                    range,
                    rank: RANK_MENTION,
                    markup,
                });
                continue;
            }
        };
        let ann = resolved[i].ann;
        let (rank, markup) = match &ann.kind {
            Kind::Mention { entity } => {
                let e = entity_index[entity.get_ref()];
                linked.insert(e);
                explicit.push(ExplicitNode {
                    range: range.clone(),
                    what: Explicit::Mention(e),
                });
                let n = per_entity.entry(e).or_default();
                *n += 1;
                let mention = MentionNode {
                    entity: e,
                    n: *n,
                    range: range.clone(),
                };
                let id = mention.element_id(entity.get_ref());
                mentions.push(mention);
                (
                    RANK_MENTION,
                    Markup {
                        tag: "a",
                        class: "mention".into(),
                        id: Some(id),
                        href: Some(urls.entity(entity.get_ref())),
                        data: vec![("entity", entity.get_ref().clone())],
                        after: String::new(),
                    },
                )
            }
            Kind::Quote { id, speaker } => {
                let qid = match id {
                    Some(id) => id.get_ref().clone(),
                    None => derive_quote_id(speaker.get_ref(), &text[range.clone()]),
                };
                if quotes.iter().any(|q: &AnchoredQuote| q.id == qid) {
                    continue; // an `all = true` quote: the first occurrence is the card
                }
                explicit.push(ExplicitNode {
                    range: range.clone(),
                    what: Explicit::Quote {
                        id: qid.clone(),
                        speaker: entity_index[speaker.get_ref()],
                    },
                });
                let qtext = text[range.clone()].trim_matches(['“', '”', '"']).to_string();
                let undrawable = crate::render::card::undrawable_in_quote(&qtext);
                if !undrawable.is_empty() {
                    diags.push(undrawable_diag(&ann_path, ann.exact_span.clone(), &undrawable));
                }
                let (before, after) = context(text, &range, QUOTE_CONTEXT);
                quotes.push(AnchoredQuote {
                    id: qid.clone(),
                    speaker: entity_index[speaker.get_ref()],
                    text: qtext,
                    before,
                    after,
                });
                let after = format!(
                    "<a class=\"quote-link\" href=\"{}\" aria-label=\"{}\"></a>",
                    escape_html(&urls.quote(&qid)),
                    escape_html(&strings.quote_link)
                );
                (
                    RANK_QUOTE,
                    Markup {
                        tag: "mark",
                        class: "quote".into(),
                        id: Some(format!("q-{qid}")),
                        href: None,
                        data: vec![("quote", qid)],
                        after,
                    },
                )
            }
            Kind::Note { body } => {
                explicit.push(ExplicitNode {
                    range: range.clone(),
                    what: Explicit::Note(body.clone()),
                });
                for (_, url) in markdown::unsafe_urls(&Document::parse(body)) {
                    diags.push(unsafe_url_diag(&ann_path, ann.exact_span.clone(), &url));
                }
                let k = notes.len() + 1;
                let body_html = render_inline(body);
                // The number is drawn by CSS (a counter), so the toggle is
                // named for screen readers with `aria-label`.
                let toggle = escape_html(&strings.note_toggle.replace("{n}", &k.to_string()));
                let after = format!(
                    "<label for=\"sn-{k}\" class=\"margin-toggle sidenote-number\"></label><input type=\"checkbox\" id=\"sn-{k}\" class=\"margin-toggle\" aria-label=\"{toggle}\"><span class=\"sidenote\" role=\"note\">{body_html}</span>"
                );
                notes.push(NoteNode {
                    number: k,
                    id: format!("n-{k}"),
                    body_html,
                });
                (
                    RANK_NOTE,
                    Markup {
                        tag: "span",
                        class: "note-ref".into(),
                        id: Some(format!("n-{k}")),
                        href: None,
                        data: vec![],
                        after,
                    },
                )
            }
            Kind::Link { to } => {
                explicit.push(ExplicitNode {
                    range: range.clone(),
                    what: Explicit::Link(to.get_ref().clone()),
                });
                let href = resolve_link(to.get_ref(), links).unwrap_or_default();
                (
                    RANK_LINK,
                    Markup {
                        tag: "a",
                        class: "xref".into(),
                        id: None,
                        href: Some(href),
                        data: vec![],
                        after: String::new(),
                    },
                )
            }
        };
        injects.push(Inject { range, rank, markup });
    }
    let body_html = markdown::render(&doc, &injects);
    Anchored {
        text: Packed::new(&doc.text.text),
        body_html: Packed::new(&body_html),
        explicit,
        mentions,
        quotes,
        notes,
        diags,
        reanchored,
    }
}

/// `chan` + “Đôi khi rất khó…” → `chan-doi-khi-rat-kho-de`.
fn derive_quote_id(speaker: &str, text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().take(5).collect();
    let slug = slugify(&format!("{speaker} {}", words.join(" ")));
    slug.chars()
        .take(60)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

/// Renders a note body (Markdown, raw HTML escaped) as inline HTML that can
/// sit inside a paragraph: block boundaries become `<br>`.
pub fn render_inline(md: &str) -> String {
    use pulldown_cmark::{Event, Tag, TagEnd};
    let doc = Document::parse(md);
    let mut events = Vec::new();
    let mut blocks = 0;
    for ev in doc.events {
        match ev {
            Event::Start(Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. }) => events.push(ev),
            Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link) => events.push(ev),
            Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => {}
            Event::Start(_) => {}
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::CodeBlock) => {
                blocks += 1;
                events.push(Event::InlineHtml("\u{1}".into()));
            }
            Event::End(_) => {}
            Event::Text(_) | Event::Code(_) | Event::SoftBreak | Event::HardBreak => events.push(ev),
            _ => {}
        }
    }
    let _ = blocks;
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events.into_iter());
    let out = out.trim_end_matches('\u{1}');
    out.replace('\u{1}', "<br>")
}

/// Where a `[[link]]` `to` points, or why it cannot.
fn resolve_link(to: &str, links: &LinkTargets<'_>) -> Result<String, &'static str> {
    if let Some(slug) = linked_slug(to) {
        let fragment = to.split_once('#').map(|(_, f)| f);
        if slug.is_empty() || !links.articles.contains(&slug) {
            return Err("no such article");
        }
        let url = links.urls.article(&slug);
        return Ok(match fragment {
            Some(f) if !f.is_empty() => format!("{url}#{f}"),
            _ => url,
        });
    }
    if let Some(id) = to.strip_prefix("entity:") {
        return if links.entities.contains_key(id) {
            Ok(links.urls.entity(id))
        } else {
            Err("unknown entity")
        };
    }
    let lower = to.trim().to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:") {
        return Ok(to.trim().to_string());
    }
    Err("unsupported URL scheme")
}

/// A quote whose share image would show boxes for some characters.
fn undrawable_diag(file: &Path, span: Range<usize>, chars: &[char]) -> Diagnostic {
    const LISTED: usize = 8;
    let mut list: Vec<String> = chars
        .iter()
        .take(LISTED)
        .map(|c| format!("{c} (U+{:04X})", *c as u32))
        .collect();
    if chars.len() > LISTED {
        list.push(format!("and {} more", chars.len() - LISTED));
    }
    Diagnostic::warning(
        file,
        Some(span),
        format!(
            "the quote's share image cannot draw {}: its embedded font has no glyph for them, so the PNG card shows a box in their place",
            list.join(", ")
        ),
    )
    .with_hint("the article and quote pages are not affected (browsers use the reader's fonts); to keep the card clean, quote a translation or transliteration")
}

fn unsafe_url_diag(file: &Path, span: Range<usize>, url: &str) -> Diagnostic {
    Diagnostic::error(
        file,
        Some(span),
        format!("link to `{url}` refused: only http(s), mailto, tel, ftp and relative URLs"),
    )
    .with_hint("javascript:, data: and other schemes could run code in the reader's browser")
}

fn link_diag(file: &Path, to: &toml::Spanned<String>, why: &str) -> Diagnostic {
    Diagnostic::error(
        file,
        Some(to.span()),
        format!("link target `{}` does not resolve: {why}", to.get_ref()),
    )
    .with_hint("use `@/articles/SLUG.md`, `entity:ID` or an http(s) URL; javascript: and data: URLs are refused")
}

fn failure_diag(
    f: Failure,
    ann: &Annotation,
    file: &Path,
    text: &str,
    article_line: &dyn Fn(usize) -> usize,
) -> Diagnostic {
    match f {
        Failure::NotFound { exact } => {
            let occurrences = anchor::find_all(text, &exact);
            if !occurrences.is_empty() {
                let lines: Vec<String> = occurrences
                    .iter()
                    .take(8)
                    .map(|r| article_line(r.start).to_string())
                    .collect();
                return Diagnostic::error(
                    file,
                    Some(ann.exact_span.clone()),
                    format!("`exact` occurs {} times (lines {}) but never with this `prefix`/`suffix`", occurrences.len(), lines.join(", ")),
                )
                .with_hint("prefix/suffix must be the text right before/after it as the reader sees it (Markdown syntax removed)");
            }
            let flat = text.replace('\n', " ");
            if !anchor::find_all(&flat, &exact).is_empty() {
                return Diagnostic::error(
                    file,
                    Some(ann.exact_span.clone()),
                    "the annotation spans two paragraphs",
                )
                .with_hint("an annotation must lie within one paragraph; split it in two");
            }
            let d = Diagnostic::error(
                file,
                Some(ann.exact_span.clone()),
                format!("`exact` not found in the article: «{exact}»"),
            );
            match anchor::closest(text, &exact) {
                Some((r, _)) => {
                    let (want, have) = anchor::mark_difference(&exact, &text[r.clone()]);
                    d.with_hint(format!(
                        "closest match at article line {}: «{}» (differs: «{want}» vs «{have}»)",
                        article_line(r.start),
                        &text[r]
                    ))
                }
                None => d.with_hint("check the spelling against the article; matching is case-sensitive"),
            }
        }
        Failure::Ambiguous { occurrences } => {
            let mut lines: Vec<usize> = occurrences.iter().map(|r| article_line(r.start)).collect();
            lines.dedup();
            let more = if lines.len() > 8 { ", …" } else { "" };
            let lines: Vec<String> = lines.iter().take(8).map(usize::to_string).collect();
            Diagnostic::error(
                file,
                Some(ann.exact_span.clone()),
                format!(
                    "`exact` occurs {} times in the article (lines {}{more})",
                    occurrences.len(),
                    lines.join(", ")
                ),
            )
            .with_hint("say which: `nth = N`, `all = true`, or `prefix`/`suffix` with the text around it")
        }
        Failure::InCode { range } => {
            Diagnostic::error(file, Some(ann.exact_span.clone()), "the annotation is inside code").with_hint(format!(
                "text in code spans and blocks is not annotated (article line {})",
                article_line(range.start)
            ))
        }
        Failure::NthPastEnd { nth, count } => Diagnostic::error(
            file,
            ann.nth_span.clone().or(Some(ann.exact_span.clone())),
            format!(
                "`nth = {nth}` but the text occurs only {count} time{}",
                if count == 1 { "" } else { "s" }
            ),
        )
        .with_hint(format!("use a number from 1 to {count}")),
    }
}

fn link_relations(
    nodes: &mut [EntityNode],
    index: &HashMap<String, usize>,
    language: &str,
    sources: &Sources,
    diags: &mut Diagnostics,
) {
    let mut pairs = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        for rel in &n.src.relations {
            match index.get(&rel.target) {
                Some(&t) => {
                    let (fwd, inv) = i18n::relation_labels(&rel.kind, language);
                    pairs.push((i, fwd, t, inv));
                }
                None => {
                    let span = n.src.front_span.clone();
                    let text_span = sources
                        .get(&n.src.path)
                        .and_then(|t| t.get(span.clone()))
                        .and_then(|t| t.find(&rel.target))
                        .map(|i| span.start + i..span.start + i + rel.target.len());
                    let mut d = Diagnostic::error(
                        &n.src.path,
                        text_span.or(Some(span)),
                        format!("relation to unknown entity `{}`", rel.target),
                    );
                    if let Some(s) = crate::schema::did_you_mean(&rel.target, index.keys().map(String::as_str)) {
                        d = d.with_hint(format!("did you mean `{s}`?"));
                    }
                    diags.push(d);
                }
            }
        }
    }
    for (a, fwd, b, inv) in pairs {
        nodes[a].relations.push((fwd, b));
        nodes[b].relations.push((inv, a));
    }
}

/// Related articles by shared entities, each weighted by how rare it is
/// (idf). Walks entity → articles postings, so the cost is the sum of
/// postings pairs, not all article pairs; very common entities (in more than
/// a quarter of a large site) carry little weight and are skipped.
fn related_articles(nodes: &mut [ArticleNode], entity_count: usize) {
    let n = nodes.len();
    let postings = Postings::of(nodes, entity_count);
    // Scores in a dense array per thread (only the touched slots are read
    // and reset), the best five picked by partial selection.
    let nodes_ro: &[ArticleNode] = nodes;
    let related: Vec<Vec<(usize, f64, Vec<usize>)>> = (0..n)
        .into_par_iter()
        .map_init(
            || (vec![0f64; n], vec![usize::MAX; n], Vec::new()),
            |buffers, ai| postings.related_of(nodes_ro, ai, buffers),
        )
        .collect();
    for (a, r) in nodes.iter_mut().zip(related) {
        a.related = r;
    }
}

/// Entity → the articles naming it, and each entity's weight (idf).
struct Postings {
    articles: Vec<Vec<usize>>,
    idf: Vec<f64>,
    /// Entities in more articles than this carry little weight and are
    /// skipped.
    cap: usize,
}

/// Scratch space for [`Postings::related_of`]: scores, which article last
/// set them, the articles touched.
type Scratch = (Vec<f64>, Vec<usize>, Vec<usize>);

impl Postings {
    fn of(nodes: &[ArticleNode], entity_count: usize) -> Postings {
        let n = nodes.len();
        let mut articles: Vec<Vec<usize>> = vec![Vec::new(); entity_count];
        for (ai, a) in nodes.iter().enumerate() {
            for &(e, _) in &a.entities {
                articles[e].push(ai);
            }
        }
        let idf = articles
            .iter()
            .map(|p| ((n as f64 + 1.0) / (p.len() as f64 + 0.5)).ln())
            .collect();
        let cap = if n > 200 { n / 4 } else { usize::MAX };
        Postings { articles, idf, cap }
    }

    /// Article `ai`'s five most related articles, with the entities shared.
    /// Summation order is the entity order of `ai`, so scores do not depend
    /// on threads.
    fn related_of(
        &self,
        nodes: &[ArticleNode],
        ai: usize,
        (score, seen, touched): &mut Scratch,
    ) -> Vec<(usize, f64, Vec<usize>)> {
        touched.clear();
        let counted = |e: usize| self.articles[e].len() <= self.cap;
        for &(e, _) in &nodes[ai].entities {
            if !counted(e) {
                continue;
            }
            for &bi in &self.articles[e] {
                if bi != ai {
                    if seen[bi] != ai {
                        seen[bi] = ai;
                        score[bi] = 0.0;
                        touched.push(bi);
                    }
                    score[bi] += self.idf[e];
                }
            }
        }
        let order = |x: &usize, y: &usize| score[*y].total_cmp(&score[*x]).then(x.cmp(y));
        if touched.len() > 5 {
            touched.select_nth_unstable_by(4, order);
            touched.truncate(5);
        }
        touched.sort_by(order);
        touched
            .iter()
            .map(|&b| {
                let shared = nodes[ai]
                    .entities
                    .iter()
                    .map(|&(e, _)| e)
                    .filter(|&e| counted(e) && nodes[b].entities.iter().any(|&(x, _)| x == e))
                    .collect();
                (b, score[b], shared)
            })
            .collect()
    }
}

/// An edge of the entity graph: co-mentions (articles in common) and/or a
/// declared relation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EntityEdge {
    pub a: usize,
    pub b: usize,
    /// Articles mentioning both, plus 2 for a declared relation.
    pub weight: f64,
    pub relation: bool,
}

/// Related entities: co-mentioned in the same articles (weighted by how
/// often), plus a bonus for a declared relation. Returns the graph's edges,
/// sorted, for the entity graph views.
fn related_entities(articles: &[ArticleNode], entities: &mut [EntityNode]) -> Vec<EntityEdge> {
    let mut co: HashMap<(usize, usize), (f64, bool)> = HashMap::new();
    for a in articles {
        let es: Vec<usize> = a.entities.iter().map(|e| e.0).collect();
        if es.len() > COOCCURRENCE_CAP {
            continue;
        }
        for (i, &x) in es.iter().enumerate() {
            for &y in &es[i + 1..] {
                co.entry((x.min(y), x.max(y))).or_default().0 += 1.0;
            }
        }
    }
    for (i, e) in entities.iter().enumerate() {
        for (_, other) in &e.relations {
            let edge = co.entry((i.min(*other), i.max(*other))).or_default();
            if !edge.1 {
                edge.0 += 2.0;
                edge.1 = true;
            }
        }
    }
    let mut per: Vec<Vec<(usize, f64)>> = vec![Vec::new(); entities.len()];
    let mut edges = Vec::with_capacity(co.len());
    for ((x, y), (w, relation)) in co {
        per[x].push((y, w));
        per[y].push((x, w));
        edges.push(EntityEdge {
            a: x,
            b: y,
            weight: w,
            relation,
        });
    }
    for (e, mut v) in entities.iter_mut().zip(per) {
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(RELATED_ENTITIES);
        e.related = v;
    }
    edges.sort_by_key(|e| (e.a, e.b));
    edges
}
