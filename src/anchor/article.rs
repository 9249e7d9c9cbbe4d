//! Anchoring one article: its annotations resolved to ranges of its
//! rendered text, checked (names, links, overlaps), joined by the automatic
//! mentions, and drawn into the article's HTML. The result, [`Anchored`], is
//! what the site graph is linked from; [`anchor_all`] does every article in
//! parallel and keeps the results across rebuilds ([`AnchorCache`]).
//!
//! The steps, in order: `resolve` (each annotation → ranges, re-anchoring
//! an edited passage), `nest` (drop spans that overlap without nesting),
//! `automatic` (entity names where no explicit span is), then
//! [`super::markup::Drawing`] turns every span into markup and node data.
//!
//! Stage 2 of the pipeline: anchoring.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use super::autolink::Autolinker;
use super::markdown::{self, Document};
use super::markup::{Drawing, Span, linked_slug, resolve_link};
use super::problems::{failure_diag, link_diag, unsafe_url_diag};
use super::selector::{self as anchor, Failure};
use super::stored::{self, Store};
use crate::config::Autolink;
use crate::content::{Annotation, Article, Entity, FileHashes, Kind};
use crate::diagnostics::{Diagnostic, Sources, line_col};
use crate::i18n;
use crate::packed::Packed;
use crate::text::collapse_ws;
use crate::urls::Urls;

/// An annotation whose `exact` no longer matched and was re-anchored.
#[derive(Debug, Clone, PartialEq)]
pub struct Reanchored {
    pub file: std::path::PathBuf,
    /// Span of the `exact` string (quotes included) in the annotation file.
    pub exact_span: Range<usize>,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoteNode {
    pub number: usize,
    pub id: String,
    pub body_html: String,
}

/// What an explicit annotation says (kept for `glossa export`).
#[derive(Debug, Clone, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExplicitNode {
    pub range: Range<usize>,
    pub what: Explicit,
}

/// What anchoring one article produced, before site-wide linking. The
/// text and HTML are packed as soon as they are made: while every article
/// is anchored, all of them are in memory at once. Without diagnostics it
/// is kept on disk too ([`super::stored`]), diagnostics not included.
#[derive(Clone, Serialize, Deserialize)]
pub struct Anchored {
    pub text: Packed,
    pub body_html: Packed,
    pub explicit: Vec<ExplicitNode>,
    pub mentions: Vec<MentionNode>,
    /// A hash of what entity pages show of the mentions but their entities:
    /// each one's number, and the bytes its words and the [`MENTION_CONTEXT`]
    /// around it are made from ([`mention_context`]; the page dependencies add
    /// the entities' ids).
    /// Made here, where the text is at hand, so that a build finding this
    /// result stored does not unpack every article's text to hash it.
    pub mention_context: u64,
    pub quotes: Vec<AnchoredQuote>,
    pub notes: Vec<NoteNode>,
    /// The article slugs its links name, each with whether it was an
    /// article then ([`Anchoring::links_of`]): a result found in a cache
    /// stands only while each still is, or still is not.
    pub links: Vec<(String, bool)>,
    #[serde(skip)]
    pub diags: Vec<Diagnostic>,
    #[serde(skip)]
    pub reanchored: Vec<Reanchored>,
}

/// A quote as anchored.
#[derive(Clone, Serialize, Deserialize)]
pub struct AnchoredQuote {
    pub id: String,
    /// Whether the annotation gives the id (else it is derived, see
    /// [`super::quote_id`]).
    pub pinned: bool,
    /// Where the annotation's `exact` is in its file.
    pub at: Range<usize>,
    /// Where it is in the rendered text (which mentions it holds).
    pub range: Range<usize>,
    pub speaker: usize,
    pub text: String,
    /// A hash of the words around it that its card and page show
    /// ([`super::markup::QUOTE_CONTEXT`] characters each side): the words
    /// themselves are read from the article's text when a page needs them.
    pub context: u64,
}

/// Which characters of a quote its share card cannot draw. The renderer
/// knows its fonts; anchoring is handed this check so that the warning
/// points at the annotation.
pub type Undrawable = fn(&str) -> Vec<char>;

/// The site-wide inputs of anchoring one article: the article slugs links
/// may name, the automatic linker over every entity name, the site's
/// `autolink`, the card's glyph check, and a hash of the linker,
/// `autolink`, the entity ids, root URL and UI strings that goes into each
/// article's input key (the slugs go in only as far as its links name
/// them).
pub struct Anchoring {
    pub articles: HashSet<String>,
    pub auto: Autolinker,
    pub autolink: Autolink,
    pub undrawable: Undrawable,
    shared: stored::Key,
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

impl Anchoring {
    /// The inputs for a site whose entities are `entities` (by index) and
    /// whose articles have the slugs `articles`.
    pub fn new(
        articles: HashSet<String>,
        entities: &[Entity],
        autolink: Autolink,
        urls: &Urls,
        strings: &i18n::Strings,
        undrawable: Undrawable,
    ) -> Anchoring {
        let auto = Autolinker::new(entities);
        // What every article's anchoring reads besides its own files (not
        // the article slugs: an article reads only whether the ones it
        // links to exist, see `input_key`). Results hold entity indices:
        // the ids go in by index. The executable goes in too (another glossa
        // may anchor differently, and its card fonts draw other glyphs).
        let shared = {
            let mut h = Xxh3::new();
            let ids: Vec<&String> = entities.iter().map(|e| &e.id).collect();
            let auto = (auto.fingerprint(), format!("{autolink:?}"));
            let exe = crate::files::executable_identity();
            (stored::FORMAT, exe, ids, &urls.root, format!("{strings:?}"), auto).hash(&mut h);
            h.digest128()
        };
        Anchoring {
            articles,
            auto,
            autolink,
            undrawable,
            shared,
        }
    }

    /// A hash of everything anchoring article `a` reads: the site-wide
    /// inputs, its own files, and whether each article its links name
    /// exists — not the whole set of articles, so adding or removing one
    /// does not make every other article's anchoring stale. It is the
    /// [`Anchoring::stored_key`] with [`Anchoring::links_of`] added.
    pub fn input_key(&self, a: &Article, files: &ArticleFiles) -> stored::Key {
        with_links(self.stored_key(a, files), &self.links_of(a))
    }

    /// What a result is stored under: a hash of the site-wide inputs and
    /// the article's own files — everything anchoring reads but which
    /// linked articles exist, which is checked on the result instead
    /// ([`Anchored::links`]). So a stored result is found before
    /// the annotations are parsed: their file's bytes are in the key. A
    /// brat article's annotations also depend on files besides its own two
    /// (its metadata, the site's brat config): they go in as parsed.
    pub fn stored_key(&self, a: &Article, files: &ArticleFiles) -> stored::Key {
        if a.is_markdown() {
            return self.markdown_key(&a.path, &a.slug, a.hashes);
        }
        let mut h = Xxh3::new();
        let text = files.text.as_deref();
        let ann = files.annotations.as_deref().filter(|_| a.annotations_path.is_some());
        (self.shared, &a.path, &a.slug, text, ann).hash(&mut h);
        (format!("{:?}", a.autolink), format!("{:?}", a.annotations)).hash(&mut h);
        h.digest128()
    }

    /// [`Anchoring::stored_key`] of the Markdown article at `path` (slug
    /// `slug`) whose files' bytes hash as `hashes` — known without reading
    /// them when the inputs' digest kept them ([`crate::files::KnownHashes`]).
    pub fn markdown_key(&self, path: &Path, slug: &str, hashes: FileHashes) -> stored::Key {
        let mut h = Xxh3::new();
        (self.shared, path, slug, hashes).hash(&mut h);
        h.digest128()
    }

    /// The article slugs `a`'s links name (parsed annotations), each with
    /// whether it is an article.
    pub fn links_of(&self, a: &Article) -> Vec<(String, bool)> {
        a.annotations
            .iter()
            .filter_map(|ann| match &ann.kind {
                Kind::Link { to } => linked_slug(to.get_ref()),
                _ => None,
            })
            .map(|slug| {
                let exists = self.articles.contains(&slug);
                (slug, exists)
            })
            .collect()
    }

    /// Whether each slug of `links` is an article exactly when it was.
    pub fn still_linked(&self, links: &[(String, bool)]) -> bool {
        links.iter().all(|(slug, was)| self.articles.contains(slug) == *was)
    }
}

/// The input key of an article whose result is stored under `stored`
/// and whose links are `links`.
fn with_links(stored: stored::Key, links: &[(String, bool)]) -> stored::Key {
    let mut h = Xxh3::new();
    (stored, links).hash(&mut h);
    h.digest128()
}

/// What annotations may point at, and what is linked automatically.
pub struct LinkTargets<'a> {
    pub entities: &'a HashMap<String, usize>,
    /// Entity ids by index.
    pub ids: &'a [&'a str],
    pub urls: &'a Urls,
    pub anchoring: &'a Anchoring,
}

/// The texts of an article's files as loaded (shared with [`Sources`]).
pub struct ArticleFiles {
    text: Option<Arc<str>>,
    /// Its annotation file's (the article's own file when it has none).
    annotations: Option<Arc<str>>,
}

impl ArticleFiles {
    pub fn of(a: &Article, sources: &Sources) -> ArticleFiles {
        let ann_path = a.annotations_path.as_deref().unwrap_or(&a.path);
        ArticleFiles {
            text: sources.get_shared(&a.path),
            annotations: sources.get_shared(ann_path),
        }
    }
}

/// Anchoring results kept between rebuilds (`serve`, `build --watch`):
/// article path → (a hash of everything anchoring it reads, the result).
/// An article is anchored again only when its files, the set of entity ids
/// or article slugs, the root URL or the UI strings changed.
#[derive(Default)]
pub struct AnchorCache(HashMap<PathBuf, (stored::Key, Anchored)>);

/// Where anchoring results are looked up before an article is anchored:
/// the last rebuild's (in memory) and the last process's (on disk).
#[derive(Default)]
pub struct Caches<'a> {
    pub memory: Option<&'a mut AnchorCache>,
    pub disk: Option<&'a Store>,
}

impl Caches<'_> {
    /// After the last batch: keeps only the results of `used` (article path,
    /// the key its result is stored under), in memory and on disk.
    pub fn finish(self, used: &[(&Path, stored::Key)]) {
        if let Some(store) = self.disk {
            store.prune(&used.iter().map(|(_, k)| *k).collect());
        }
        if let Some(c) = self.memory {
            let used: HashMap<&Path, stored::Key> = used.iter().copied().collect();
            c.0.retain(|p, (k, _)| used.get(p.as_path()) == Some(k));
        }
    }
}

/// An article anchored: its input key, the key its result is stored
/// under, and the result (with the article slugs its links name,
/// [`Anchored::links`]).
pub struct Done {
    pub key: stored::Key,
    pub stored: stored::Key,
    pub anchored: Anchored,
}

impl Done {
    /// The result `anchored`, stored (or to be stored) under `stored`: its
    /// input key is that key with the slugs its links name.
    pub fn new(stored: stored::Key, anchored: Anchored) -> Done {
        Done {
            key: with_links(stored, &anchored.links),
            stored,
            anchored,
        }
    }
}

/// Anchors every article of a batch in parallel, each with its input key
/// (which the dependency hashes use to tell which articles changed). An
/// article whose result is in a cache, made from the same files with the
/// same linked articles there, is not anchored again — nor are its
/// annotations parsed, when loading left that to anchoring
/// ([`Article::annotations_unparsed`]): what parsing them reports is then
/// among the result's diagnostics, and a result with any is not stored.
/// The results go into the caches (see [`Caches::finish`] for what leaves
/// them). An article's files are needed, once it is anchored, only to
/// print the diagnostics that point into them: the others are dropped
/// from `sources` as soon as it is, with its body and annotations.
pub fn anchor_all(
    articles: &mut [Article],
    links: &LinkTargets<'_>,
    strings: &i18n::Strings,
    sources: &mut Sources,
    cited: &HashSet<PathBuf>,
    caches: &mut Caches<'_>,
) -> Vec<Done> {
    let old = caches.memory.as_deref().map(|c| &c.0);
    let disk = caches.disk;
    let shared_sources = Mutex::new(&mut *sources);
    let done: Vec<Done> = articles
        .par_iter_mut()
        .map(|a| {
            let files = ArticleFiles::of(a, &shared_sources.lock().unwrap_or_else(|e| e.into_inner()));
            let stored = links.anchoring.stored_key(a, &files);
            let found = lookup(stored, old.and_then(|c| c.get(&a.path)), disk)
                .filter(|an| links.anchoring.still_linked(&an.links));
            let an = found.unwrap_or_else(|| {
                let mut parsed = crate::diagnostics::Diagnostics::default();
                a.parse_annotations(files.annotations.as_deref().unwrap_or(""), &mut parsed);
                let mut an = anchor_article(a, links, strings, &files);
                an.diags.extend(parsed);
                if let Some(store) = disk {
                    // (its values too, when loading it reported nothing)
                    let clean = !std::iter::once(&a.path)
                        .chain(&a.annotations_path)
                        .any(|p| cited.contains(p));
                    store.put(
                        stored,
                        &an,
                        Some(a.meta()).filter(|_| clean && a.is_markdown()).as_ref(),
                    );
                }
                an
            });
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
            Done::new(stored, an)
        })
        .collect();
    if let Some(c) = caches.memory.as_deref_mut() {
        for (a, d) in articles.iter().zip(&done) {
            c.0.insert(a.path.clone(), (d.stored, d.anchored.clone()));
        }
    }
    done
}

/// A cached result for key `k`: the last rebuild's if its key is `k`, else
/// the disk's.
fn lookup(k: stored::Key, memory: Option<&(stored::Key, Anchored)>, disk: Option<&Store>) -> Option<Anchored> {
    match memory {
        Some((was, an)) if *was == k => Some(an.clone()),
        _ => disk?.get(k).map(|(an, _)| an),
    }
}

/// Anchors one article: see the module's doc for the steps.
pub fn anchor_article(a: &Article, links: &LinkTargets<'_>, strings: &i18n::Strings, files: &ArticleFiles) -> Anchored {
    let doc = Document::parse(&a.body);
    let mut diags = Vec::new();
    for (src, url) in markdown::unsafe_urls(&doc) {
        let at = a.body_offset + src.start..a.body_offset + src.end;
        diags.push(unsafe_url_diag(&a.path, at, &url));
    }
    let lines = ArticleLines::new(files.text.as_deref().unwrap_or(""), a.body_offset);
    let article_line = |pos: usize| lines.of(doc.source_offset(pos));
    let ann_path = a.annotations_path.clone().unwrap_or_else(|| a.path.clone());
    let ann_text = files.annotations.as_deref().unwrap_or("");

    let (resolved, reanchored) = resolve(a, &doc, links, &ann_path, &article_line, &mut diags);
    let explicit = nest(&resolved, &doc.text.text, &ann_path, ann_text, &mut diags);
    let mode = a.autolink.unwrap_or(links.anchoring.autolink);
    let autos = automatic(&doc, links, mode, &explicit);

    // Explicit spans before automatic ones at the same place, each kind in
    // its own order.
    let mut spans: Vec<(Range<usize>, u8, usize)> = explicit
        .into_iter()
        .map(|(r, i)| (r, 0, i))
        .chain(autos.into_iter().map(|(r, e)| (r, 1, e)))
        .collect();
    spans.sort_by_key(|(r, kind, i)| (r.start, *kind, *i));
    let mut drawing = Drawing::new(&doc.text.text, a, links, strings, mode, &ann_path);
    for (range, kind, i) in spans {
        let span = if kind == 0 {
            Span::Explicit(resolved[i].ann)
        } else {
            Span::Auto(i)
        };
        drawing.span(range, span);
    }
    let body_html = markdown::render(&doc, &drawing.injects);
    diags.append(&mut drawing.diags);
    Anchored {
        text: Packed::new(&doc.text.text),
        body_html: Packed::new(&body_html),
        explicit: drawing.explicit,
        mention_context: mention_context(&doc.text.text, &drawing.mentions),
        mentions: drawing.mentions,
        quotes: drawing.quotes,
        notes: drawing.notes,
        links: links.anchoring.links_of(a),
        diags,
        reanchored,
    }
}

/// How many characters of context an entity page shows each side of a
/// mention.
pub const MENTION_CONTEXT: usize = 80;

/// See [`Anchored::mention_context`].
///
/// Each mention's number, and what its context is made from ([`crate::text::context_window`]:
/// the bytes around it, where it is in them, whether they reach the text's ends) rather than
/// the context itself: the same pages change, but for an edit near a mention outside what is
/// shown of it, and the words around 137,000 mentions were 1% of a cold build's samples.
pub fn mention_context(text: &str, mentions: &[MentionNode]) -> u64 {
    let shown: Vec<_> = mentions
        .iter()
        .map(|m| {
            let w = crate::text::context_window(text, &m.range, MENTION_CONTEXT);
            let ends = (w.start == 0, w.end == text.len());
            (
                m.n,
                &text[w.clone()],
                m.range.start - w.start,
                m.range.end - w.start,
                ends,
            )
        })
        .collect();
    crate::files::hash_value(shown)
}

/// Line numbers in an article's file, for diagnostics. Line starts are found
/// once per article, so thousands of diagnostics stay linear.
struct ArticleLines {
    starts: Vec<usize>,
    body_offset: usize,
}

impl ArticleLines {
    fn new(file_text: &str, body_offset: usize) -> ArticleLines {
        let starts = std::iter::once(0)
            .chain(file_text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        ArticleLines { starts, body_offset }
    }

    /// The 1-based line of a byte offset into the article's body.
    fn of(&self, body_pos: usize) -> usize {
        self.starts.partition_point(|&s| s <= self.body_offset + body_pos)
    }
}

/// An annotation with the ranges of rendered text it anchored to.
struct Resolved<'a> {
    ann: &'a Annotation,
    ranges: Vec<Range<usize>>,
}

/// Each annotation → its ranges: names checked first (an unknown entity is
/// reported even if the text is fine), then a TextPositionSelector where
/// one is given, then the quote selector, re-anchoring a passage that was
/// edited a little (with a warning). Annotations with a problem are left
/// out, each with its diagnostic.
fn resolve<'a>(
    a: &'a Article,
    doc: &Document<'_>,
    links: &LinkTargets<'_>,
    ann_path: &Path,
    article_line: &dyn Fn(usize) -> usize,
    diags: &mut Vec<Diagnostic>,
) -> (Vec<Resolved<'a>>, Vec<Reanchored>) {
    let text = &doc.text.text;
    let mut resolved = Vec::new();
    let mut reanchored = Vec::new();
    let mut occurrences = anchor::Occurrences::default();
    for ann in &a.annotations {
        let names_ok = check_names(ann, links, ann_path, diags);
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
                diags.push(reanchored_warning(
                    ann,
                    ann_path,
                    &new,
                    article_line(r.range.start),
                    r.score,
                ));
                reanchored.push(Reanchored {
                    file: ann_path.to_path_buf(),
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
            Err(f) => diags.push(failure_diag(f, ann, ann_path, text, article_line)),
        }
    }
    (resolved, reanchored)
}

/// Whether the entity, speaker or link an annotation names exists; a
/// diagnostic (with a "did you mean") for each that does not.
fn check_names(ann: &Annotation, links: &LinkTargets<'_>, ann_path: &Path, diags: &mut Vec<Diagnostic>) -> bool {
    let mut ok = true;
    let (name, role) = match &ann.kind {
        Kind::Mention { entity } => (Some(entity), "entity"),
        Kind::Quote { speaker, .. } => (Some(speaker), "speaker"),
        _ => (None, ""),
    };
    if let Some(name) = name
        && !links.entities.contains_key(name.get_ref())
    {
        ok = false;
        let d = Diagnostic::error(
            ann_path,
            Some(name.span()),
            format!("unknown {role} `{}`", name.get_ref()),
        );
        diags.push(
            match crate::schema::did_you_mean(name.get_ref(), links.ids.iter().copied()) {
                Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                None => d.with_hint(format!(
                    "add content/entities/{}.md or use an existing entity id",
                    name.get_ref()
                )),
            },
        );
    }
    if let Kind::Link { to } = &ann.kind
        && let Err(why) = resolve_link(to.get_ref(), links)
    {
        ok = false;
        diags.push(link_diag(ann_path, to, why));
    }
    ok
}

/// The warning for an annotation re-attached to an edited passage.
fn reanchored_warning(ann: &Annotation, ann_path: &Path, new: &str, line: usize, score: f64) -> Diagnostic {
    let (was, now) = anchor::mark_difference(&collapse_ws(&ann.selector.exact), new);
    Diagnostic::warning(
        ann_path,
        Some(ann.exact_span.clone()),
        format!(
            "the text changed; re-anchored at article line {line} ({:.0}% similar): «{was}» → «{now}»",
            score * 100.0
        ),
    )
    .with_hint("check it is the same passage, then run `glossa check --fix` to update the annotation file")
}

/// Every resolved range with its annotation's index, in document order,
/// minus the ranges that overlap an earlier one without nesting inside it
/// (each reported).
fn nest(
    resolved: &[Resolved<'_>],
    text: &str,
    ann_path: &Path,
    ann_text: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(Range<usize>, usize)> {
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
            let (this, other) = (resolved[*i].ann, resolved[*j].ann);
            diags.push(
                Diagnostic::error(
                    ann_path,
                    Some(this.exact_span.clone()),
                    format!(
                        "this {} overlaps a {} (line {}) without nesting inside it",
                        this.kind.name(),
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
    all.into_iter().filter(|(_, i)| !dropped.contains(i)).collect()
}

/// Automatic mentions (range, entity): names where no explicit annotation,
/// code, heading or link is.
fn automatic(
    doc: &Document<'_>,
    links: &LinkTargets<'_>,
    mode: Autolink,
    explicit: &[(Range<usize>, usize)],
) -> Vec<(Range<usize>, usize)> {
    if mode == Autolink::None {
        return Vec::new();
    }
    links
        .anchoring
        .auto
        .find(&doc.text.text)
        .into_iter()
        .filter(|(r, _)| {
            !doc.text.refuses_autolink(r) && !explicit.iter().any(|(s, _)| s.start < r.end && r.start < s.end)
        })
        .collect()
}
