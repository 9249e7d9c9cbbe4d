//! Linking across the site: the anchored articles become article nodes and
//! quotes (one id each), entities gather their mentions, quotes and the
//! articles naming them, sources and "via" are attributed to entities,
//! declared relations are linked both ways, and tags collect their
//! articles.
//!
//! Stage 3 of the pipeline: the site graph.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::model::{ArticleNode, EntityNode, MentionNode, QuoteNode, TagNode};
use crate::anchor::article::{Anchored, AnchoredQuote};
use crate::anchor::markdown::{self, Document};
use crate::anchor::problems::unsafe_url_diag;
use crate::content::{Article, Entity};
use crate::diagnostics::{Diagnostic, Diagnostics, Sources};
use crate::i18n;
use crate::text::{first_sentence, fold, slugify};

/// Each entity an article names and how many times, the most named first.
type EntityCounts = Vec<(usize, usize)>;

/// The article nodes, in the order given, and the site's quotes (newest
/// article first, then in text order). A quote id used twice is an error
/// at the second; that quote is left out.
pub fn articles_and_quotes(
    articles: Vec<Article>,
    anchored: Vec<(u64, Anchored)>,
    diags: &mut Diagnostics,
    reanchored: &mut Vec<super::model::Reanchored>,
) -> (Vec<ArticleNode>, Vec<QuoteNode>) {
    let mut quotes: Vec<QuoteNode> = Vec::new();
    let mut quote_ids: HashMap<String, usize> = HashMap::new();
    let mut nodes: Vec<ArticleNode> = Vec::with_capacity(articles.len());
    // (what each article's node makes of its own parts, in parallel: the loop below numbers
    // the quotes in site order on one thread, and the build after an edit waits for it)
    let own: Vec<(EntityCounts, Vec<String>)> = articles
        .par_iter()
        .zip(&anchored)
        .map(|(src, (_, an))| {
            // (one per tag, in its order: a tag without a letter or digit gets an empty one)
            let tag_slugs = src.tags.iter().map(|t| slugify(t)).collect();
            (entity_counts(&an.mentions), tag_slugs)
        })
        .collect();
    let each = articles.into_iter().zip(anchored).zip(own);
    for (ai, ((mut src, (input_key, an)), (entities, mut tag_slugs))) in each.enumerate() {
        unlinkable_tags(&mut src, &mut tag_slugs, diags);
        diags.extend(an.diags);
        reanchored.extend(an.reanchored);
        let mut qidx = Vec::new();
        for q in an.quotes {
            if let Some(&prev) = quote_ids.get(&q.id) {
                let prev_path = nodes
                    .get(quotes[prev].article)
                    .map_or(&src, |n: &ArticleNode| &n.src)
                    .annotations_path
                    .clone()
                    .unwrap_or_default();
                let here = src.annotations_path.clone().unwrap_or(src.path.clone());
                diags.push(duplicate_quote(&q, &quotes[prev], here, &prev_path));
                continue;
            }
            let AnchoredQuote {
                id,
                pinned,
                at,
                range,
                speaker,
                text,
                context,
            } = q;
            quote_ids.insert(id.clone(), quotes.len());
            qidx.push(quotes.len());
            quotes.push(QuoteNode {
                id,
                pinned,
                at,
                range,
                article: ai,
                speaker,
                text,
                context,
            });
        }
        nodes.push(ArticleNode {
            text: an.text,
            body_html: an.body_html,
            entities,
            mention_context: an.mention_context,
            mentions: an.mentions,
            quotes: qidx,
            notes: an.notes,
            related: Vec::new(),
            tag_slugs,
            source_entity: None,
            via_entity: None,
            explicit: an.explicit,
            input_key,
            src,
        });
    }
    (nodes, quotes)
}

/// Leaves out of `src.tags` (and `slugs`, one per tag) each tag whose name has no letter or
/// digit to make its URL from (`!!!`, `—`), with a warning at the article: the rest keep
/// their own slugs (a tag's name and URL are read side by side).
fn unlinkable_tags(src: &mut Article, slugs: &mut Vec<String>, diags: &mut Diagnostics) {
    if slugs.iter().all(|s| !s.is_empty()) {
        return;
    }
    let tags = std::mem::take(&mut src.tags);
    for (tag, slug) in tags.into_iter().zip(std::mem::take(slugs)) {
        if slug.is_empty() {
            diags.push(
                Diagnostic::warning(
                    &src.path,
                    None,
                    format!("tag {tag:?} has no letter or digit to make its page's URL from; it is left out"),
                )
                .with_hint("give the tag a name with a letter or digit in it (punctuation alone has none)"),
            );
        } else {
            src.tags.push(tag);
            slugs.push(slug);
        }
    }
}

/// Two quotes of different articles with one id: an error at the later
/// one (which is left out). A derived id is never the author's mistake:
/// when one of the two was derived, the hint says to change the pinned
/// one, or — both derived, a hash collision — to pin either.
fn duplicate_quote(q: &AnchoredQuote, prev: &QuoteNode, here: PathBuf, prev_path: &Path) -> Diagnostic {
    let id = &q.id;
    let hint = match (q.pinned, prev.pinned) {
        (true, true) => format!(
            "it is also used in {}; give one of them another `id`",
            prev_path.display()
        ),
        (true, false) => format!(
            "`{id}` is the id glossa derives for a quote in {}; give this one another `id`",
            prev_path.display()
        ),
        (false, true) => format!(
            "{} pins `{id}`, the id glossa derives for this quote; give that one another `id`",
            prev_path.display()
        ),
        (false, false) => format!(
            "a quote in {} derived the same id (their hashes collide, which is rare); give one of them an `id`",
            prev_path.display()
        ),
    };
    Diagnostic::error(here, Some(q.at.clone()), format!("duplicate quote id `{id}`")).with_hint(hint)
}

/// Each article's `source` and `via` matched to an entity by name or alias
/// (folded: case, tones and đ do not matter).
pub fn attribute(nodes: &mut [ArticleNode], entities: &[Entity]) {
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for (i, e) in entities.iter().enumerate() {
        for n in std::iter::once(&e.name).chain(&e.aliases) {
            by_name.entry(fold(n)).or_insert(i);
        }
    }
    for n in nodes {
        n.source_entity = n.src.source.as_deref().and_then(|s| by_name.get(&fold(s)).copied());
        n.via_entity = n.src.via.as_deref().and_then(|s| by_name.get(&fold(s)).copied());
    }
}

/// The entity nodes: descriptions rendered (unsafe URLs refused), and every
/// mention, quote and naming article gathered from `articles`.
pub fn entity_nodes(
    entities: Vec<Entity>,
    articles: &[ArticleNode],
    quotes: &[QuoteNode],
    diags: &mut Diagnostics,
) -> Vec<EntityNode> {
    // (the descriptions parsed and rendered in parallel, their problems
    // reported in entity order)
    let (mut nodes, problems): (Vec<EntityNode>, Vec<Vec<Diagnostic>>) = entities
        .into_par_iter()
        .map(|e| {
            let doc = Document::parse(&e.description);
            let problems = markdown::unsafe_urls(&doc)
                .into_iter()
                .map(|(src, url)| {
                    let at = e.description_offset + src.start..e.description_offset + src.end;
                    unsafe_url_diag(&e.path, at, &url)
                })
                .collect();
            let node = EntityNode {
                summary: entity_summary(&doc),
                description_html: markdown::render(&doc, &[]),
                src: e,
                mentions: Vec::new(),
                quotes: Vec::new(),
                relations: Vec::new(),
                related: Vec::new(),
                articles: Vec::new(),
            };
            (node, problems)
        })
        .unzip();
    diags.extend(problems.into_iter().flatten());
    for (ai, n) in articles.iter().enumerate() {
        for (mi, m) in n.mentions.iter().enumerate() {
            nodes[m.entity].mentions.push((ai, mi));
        }
        let mut named: Vec<usize> = n.entities.iter().map(|e| e.0).collect();
        named.extend(n.source_entity);
        named.extend(n.via_entity);
        named.sort_unstable();
        named.dedup();
        for e in named {
            nodes[e].articles.push(ai);
        }
    }
    for (qi, q) in quotes.iter().enumerate() {
        nodes[q.speaker].quotes.push(qi);
    }
    nodes
}

/// Declared relations, each shown on both entities (with the inverse label
/// on the target); a relation to an unknown entity is an error at its
/// front matter.
pub fn relations(
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

/// Tags by slug, each with its articles in site order.
pub fn tags(nodes: &[ArticleNode]) -> Vec<TagNode> {
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
    tags.into_values().collect()
}

/// Per entity, how many times the mentions name it: most named first.
pub fn entity_counts(mentions: &[MentionNode]) -> EntityCounts {
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for m in mentions {
        *counts.entry(m.entity).or_default() += 1;
    }
    let mut ents: Vec<(usize, usize)> = counts.into_iter().collect();
    ents.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ents
}

/// An entity's summary: the first sentence of its description.
pub fn entity_summary(doc: &Document) -> String {
    first_sentence(&doc.text.text.replace('\n', " "), 200)
}

/// Gives back the room the graph's lists grew into while they were built
/// (up to half of each, and most of an entity's lists): the graph is held
/// while every page renders, so that room would be held too. At 10,000
/// articles the entities' lists took 14 MB for 4 MB of entries.
pub fn fit(articles: &mut [ArticleNode], entities: &mut [EntityNode], adjacency: &mut [Vec<(usize, f64, bool)>]) {
    for a in articles {
        a.mentions.shrink_to_fit();
        a.quotes.shrink_to_fit();
        a.entities.shrink_to_fit();
        a.related.shrink_to_fit();
    }
    for e in entities {
        e.mentions.shrink_to_fit();
        e.quotes.shrink_to_fit();
        e.relations.shrink_to_fit();
        e.related.shrink_to_fit();
        e.articles.shrink_to_fit();
        e.description_html.shrink_to_fit();
        e.summary.shrink_to_fit();
    }
    for v in adjacency {
        v.shrink_to_fit();
    }
}
