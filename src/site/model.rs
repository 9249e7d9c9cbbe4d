//! The site graph's node types: articles with their anchored annotations,
//! entities with every mention of them, quotes, tags and the entity graph's
//! edges. Anchoring makes the per-article parts ([`MentionNode`],
//! [`NoteNode`], [`ExplicitNode`]); linking ([`super::build`]) the rest.
//!
//! Stage 3 of the pipeline: the site graph.

pub use crate::anchor::article::{Explicit, ExplicitNode, MentionNode, NoteNode, Reanchored};
use crate::content::{Article, Entity};
use crate::packed::Packed;

#[derive(Debug)]
pub struct ArticleNode {
    pub src: Article,
    /// What the reader sees (see [`crate::anchor::markdown::RenderedText`]).
    pub text: Packed,
    pub body_html: Packed,
    /// In text order.
    pub mentions: Vec<MentionNode>,
    /// A hash of what entity pages show of its mentions (see
    /// [`crate::anchor::article::Anchored::mention_context`]).
    pub mention_context: u64,
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
    /// when the graph was built without them, see
    /// [`super::Articles::export_data`]).
    pub explicit: Vec<ExplicitNode>,
    /// A hash of the article's files and of what its anchoring depends on
    /// (see [`crate::anchor::article::AnchorCache`]); 0 when built without a
    /// cache.
    pub input_key: u64,
}

#[derive(Debug, Clone)]
pub struct QuoteNode {
    pub id: String,
    /// Whether its annotation gives the id (else it is derived, see
    /// [`crate::anchor::quote_id`]).
    pub pinned: bool,
    /// Where its annotation's `exact` is, in its article's annotation file.
    pub at: std::ops::Range<usize>,
    /// Where it is in its article's rendered text (the mentions inside it
    /// make it a quote about their entities).
    pub range: std::ops::Range<usize>,
    pub article: usize,
    pub speaker: usize,
    pub text: String,
    /// A hash of the words around it (see
    /// [`crate::anchor::article::AnchoredQuote::context`]).
    pub context: u64,
}

impl QuoteNode {
    /// Its element id in the article page.
    pub fn element_id(&self) -> String {
        format!("q-{}", self.id)
    }

    /// The words its card and page show before and after it, from its
    /// article's rendered text.
    pub fn around(&self, article_text: &str) -> (String, String) {
        crate::text::context(article_text, &self.range, crate::anchor::markup::QUOTE_CONTEXT)
    }
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

impl EntityNode {
    /// Its mentions by article: each article that mentions it, in the order
    /// of `mentions` (which come grouped by article), and how many times.
    pub fn mention_groups(&self) -> Vec<(usize, usize)> {
        let mut groups: Vec<(usize, usize)> = Vec::new();
        for &(a, _) in &self.mentions {
            match groups.last_mut() {
                Some(g) if g.0 == a => g.1 += 1,
                _ => groups.push((a, 1)),
            }
        }
        groups
    }

    /// How many articles mention it: the groups of [`EntityNode::mention_groups`].
    pub fn mentioning_articles(&self) -> usize {
        let starts = self.mentions.windows(2).filter(|w| w[0].0 != w[1].0).count();
        if self.mentions.is_empty() { 0 } else { starts + 1 }
    }
}

#[derive(Debug)]
pub struct TagNode {
    pub slug: String,
    pub name: String,
    pub articles: Vec<usize>,
}

/// An edge of the entity graph: co-mentions (articles in common) and/or a
/// declared relation.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EntityEdge {
    pub a: usize,
    pub b: usize,
    /// Articles mentioning both, plus 2 for a declared relation.
    pub weight: f64,
    pub relation: bool,
}
