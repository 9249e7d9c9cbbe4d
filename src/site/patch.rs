//! Patching the graph after an edit (`serve`, `build --watch`): an article
//! anchored again with its entities' mention lists, co-occurrence edges and
//! the related articles that share them following in place; an entity's
//! description rendered again. Whatever cannot follow in place (front
//! matter, quotes, a diagnostic) is refused, and the caller builds anew.
//!
//! Stage 3 of the pipeline: the site graph.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::Site;
use super::link::{entity_counts, entity_summary};
use super::model::{ArticleNode, EntityEdge};
use super::related::{COOCCURRENCE_CAP, Postings, RELATED_ENTITIES};
use crate::anchor::article::{Anchored, ArticleFiles, LinkTargets, anchor_article};
use crate::anchor::markdown::{self, Document};
use crate::content::{Article, Entity};
use crate::diagnostics::Sources;
use crate::urls::Urls;

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

impl Site {
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
        // the front matter (everything but the text and annotations, and
        // the hashes of the files that hold them)
        let body = std::mem::take(&mut new.body);
        let annotations = std::mem::take(&mut new.annotations);
        let hashes = std::mem::replace(&mut new.hashes, old.src.hashes);
        if format!("{new:?}") != format!("{:?}", old.src) {
            return None;
        }
        new.body = body;
        new.annotations = annotations;
        new.hashes = hashes;
        let urls = Urls {
            root: self.config.root_path(),
        };
        let ids: Vec<&str> = self.entities.iter().map(|e| e.src.id.as_str()).collect();
        let links = LinkTargets {
            entities: &self.entity_index,
            ids: &ids,
            urls: &urls,
            anchoring: &self.anchoring,
        };
        let files = ArticleFiles::of(&new, sources);
        let an = anchor_article(&new, &links, &self.strings, &files);
        if !an.diags.is_empty() || !an.reanchored.is_empty() {
            return None;
        }
        let same_quotes = old.quotes.len() == an.quotes.len()
            && old.quotes.iter().zip(&an.quotes).all(|(&q, aq)| {
                let was = &self.quotes[q];
                was.id == aq.id && was.speaker == aq.speaker && was.pinned == aq.pinned
            });
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
        let key = self.anchoring.input_key(&new, &files) as u64;
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
            quote.at = aq.at;
            quote.range = aq.range;
            quote.text = aq.text;
            quote.context = aq.context;
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
        node.mention_context = an.mention_context;
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
