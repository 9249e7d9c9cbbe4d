//! The full-text term index of the graph: every folded word of every
//! entity, article and quote, and where in the document it occurs. The
//! search files (`render::search`) are cut from it; it is built on first use
//! (a command that writes no search files never pays for it) and patched in
//! place when the watch loop edits an article ([`Terms::patch_articles`]).
//!
//! A *term* is a word folded the way [`crate::text::fold`] folds — lower
//! case, tones and other marks removed, `đ` → `d` — so "Đặng" and "dang"
//! are one term. Each (term, document) pair carries a [`Field`] class: the
//! browser ranks a title match above a body match.
//!
//! The index is sharded by the first [`PREFIX`] characters of a term
//! ([`shard_of`]): every term that starts with a given three letters is in
//! one shard, so a prefix typed as the last word of a query is found in one
//! file. Shorter prefixes have an entry of their own: the union of every
//! term they start ([`Index::prefix`]). The number of shards depends only on
//! how many documents the site has ([`shard_count`]), never on their text,
//! so an edit never moves a term to another shard or adds a file.
//!
//! Stage 3 of the pipeline: the site graph.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use rayon::prelude::*;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

use super::Site;
use super::posting_list::PostingList;

/// How many characters of a term choose its shard.
pub const PREFIX: usize = 3;

/// Longer words (run-together identifiers, hashes) are not indexed.
pub const MAX_TERM: usize = 40;

/// The document kinds, in the order the browser groups results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocKind {
    Entity = 0,
    Article = 1,
    Quote = 2,
}

impl DocKind {
    pub const ALL: [DocKind; 3] = [DocKind::Entity, DocKind::Article, DocKind::Quote];

    /// One letter, as the search files and script name the kind.
    pub fn code(self) -> &'static str {
        match self {
            DocKind::Entity => "e",
            DocKind::Article => "a",
            DocKind::Quote => "q",
        }
    }

    /// How many documents of this kind `site` has.
    pub fn count(self, site: &Site) -> usize {
        match self {
            DocKind::Entity => site.entities.len(),
            DocKind::Article => site.articles.len(),
            DocKind::Quote => site.quotes.len(),
        }
    }
}

/// Where a term occurs in a document, from weakest to strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// In an article's body, once or twice.
    Body = 0,
    /// In an article's body, three times or more.
    BodyOften = 1,
    /// In an article's description or tags, or the name of an entity it
    /// names; a quote's speaker.
    Secondary = 2,
    /// An article's title, an entity's name or alias, a quote's words.
    Title = 3,
}

/// One document's postings entry: `doc << 2 | field`.
pub type Entry = u32;

fn entry(doc: usize, field: Field) -> Entry {
    (doc as u32) << 2 | field as u32
}

/// The document of an entry.
pub fn doc_of(e: Entry) -> usize {
    (e >> 2) as usize
}

/// The field class (0–3) of an entry.
pub fn field_of(e: Entry) -> u32 {
    e & 3
}

/// The documents a term occurs in, per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Postings(pub [PostingList; 3]);

impl Postings {
    fn is_empty(&self) -> bool {
        self.0.iter().all(PostingList::is_empty)
    }
}

/// The index itself.
#[derive(Debug, Clone)]
pub struct Index {
    /// Term → where it occurs, in term order.
    pub terms: BTreeMap<Box<str>, Postings>,
    /// How many documents of each kind the index has.
    pub docs: [usize; 3],
    /// How many words each entity's name has: a query that is the whole
    /// name ranks first.
    pub name_words: Vec<u8>,
    /// Shard → its terms and its short prefixes (see [`Index::prefix`]),
    /// each sorted.
    pub shards: Vec<ShardKeys>,
    /// Short prefixes' unions as the search files write them, kept: a
    /// one-letter prefix's union reads a tenth of the index, and an edit
    /// re-writes the shards holding it though the union rarely changes.
    prefix_cache: PrefixCache,
}

/// Prefix → its union, encoded ([`Index::prefix_encoded`]).
#[derive(Default)]
struct PrefixCache(std::sync::Mutex<std::collections::HashMap<Box<str>, Arc<str>>>);

impl PrefixCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<Box<str>, Arc<str>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clone for PrefixCache {
    fn clone(&self) -> PrefixCache {
        PrefixCache(std::sync::Mutex::new(self.lock().clone()))
    }
}

impl std::fmt::Debug for PrefixCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrefixCache({} entries)", self.lock().len())
    }
}

/// The keys one shard holds.
#[derive(Debug, Clone, Default)]
pub struct ShardKeys {
    pub terms: Vec<Box<str>>,
    /// Prefixes shorter than [`PREFIX`] that start some term.
    pub prefixes: Vec<Box<str>>,
}

/// The site's term index, made on first use: read back from the last build's
/// ([`super::stored_terms`]) when the site has a cache, else built.
#[derive(Default)]
pub struct Terms {
    index: RwLock<Option<Arc<Index>>>,
    /// Whether the index differs from the one stored (built or patched since).
    unsaved: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Terms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let built = self.index.read().map(|g| g.is_some()).unwrap_or(false);
        f.debug_struct("Terms").field("built", &built).finish()
    }
}

/// How many shards a site with these document counts gets: a power of
/// two giving shards of about 24 KB at the index sizes glossa's articles
/// make (about 450 bytes of index per article, 30 per quote), at most 1,024.
pub fn shard_count(entities: usize, articles: usize, quotes: usize) -> usize {
    let bytes = 450 * articles + 30 * quotes + 20 * entities;
    bytes.div_ceil(24 * 1024).next_power_of_two().clamp(1, 1024)
}

/// The shard count of `site`.
pub fn shards_of(site: &Site) -> usize {
    shard_count(site.entities.len(), site.articles.len(), site.quotes.len())
}

/// The shard of a term, or of a prefix shorter than [`PREFIX`]: FNV-1a over
/// the UTF-8 of its first [`PREFIX`] characters (`static/search.js` does the
/// same).
pub fn shard_of(term: &str, shards: usize) -> usize {
    let end = term.char_indices().nth(PREFIX).map_or(term.len(), |(i, _)| i);
    let mut h: u32 = 0x811c_9dc5;
    for &b in &term.as_bytes()[..end] {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    (h % shards as u32) as usize
}

/// The prefixes of `term` with fewer than [`PREFIX`] characters: its first
/// one and two characters (the whole term when it is that short).
fn short_prefixes(term: &str) -> impl Iterator<Item = &str> {
    term.char_indices()
        .skip(1)
        .map(|(i, _)| i)
        .chain(std::iter::once(term.len()))
        .take(PREFIX - 1)
        .map(move |i| &term[..i])
}

/// What folding makes of the characters below `TABLE`: [`SPLIT`] (not part
/// of a word), [`SKIP`] (a mark), [`SLOW`] (folds to more than one
/// character), or the one character it folds to.
const TABLE: u32 = 0x3000;
const SPLIT: u32 = u32::MAX;
const SKIP: u32 = u32::MAX - 1;
const SLOW: u32 = u32::MAX - 2;

/// Folds `c` onto the end of `out` the slow way; false when `c` is not part
/// of a word.
fn fold_char(c: char, out: &mut String) -> bool {
    let mut word = true;
    decompose_canonical(c, |d| {
        if is_combining_mark(d) {
        } else if d == 'đ' || d == 'Đ' {
            out.push('d');
        } else if d.is_alphanumeric() {
            out.extend(d.to_lowercase().filter(|l| !is_combining_mark(*l)));
        } else {
            word = false;
        }
    });
    word
}

fn table() -> &'static [u32] {
    static T: std::sync::OnceLock<Vec<u32>> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        (0..TABLE)
            .map(|c| {
                let Some(c) = char::from_u32(c) else { return SPLIT };
                let mut s = String::new();
                if !fold_char(c, &mut s) {
                    return if s.is_empty() { SPLIT } else { SLOW };
                }
                let mut it = s.chars();
                match (it.next(), it.next()) {
                    (None, _) => SKIP,
                    (Some(f), None) => f as u32,
                    _ => SLOW,
                }
            })
            .collect()
    })
}

/// `text` folded (see the module docs), each run of characters that are
/// not part of a word made one space, onto the end of `out`.
pub fn fold_words(text: &str, out: &mut String) {
    let table = table();
    let mut gap = out.is_empty() || out.ends_with(' ');
    let mut rest = text;
    while let Some(&b) = rest.as_bytes().first() {
        // (ASCII, most of the bytes even of Vietnamese text, without decoding it: a letter
        // lowercased, a digit kept, anything else between words)
        if b.is_ascii() {
            rest = &rest[1..];
            if b.is_ascii_alphanumeric() {
                out.push(b.to_ascii_lowercase() as char);
                gap = false;
            } else if !gap {
                out.push(' ');
                gap = true;
            }
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        rest = &rest[c.len_utf8()..];
        let t = table.get(c as usize).copied().unwrap_or(SLOW);
        let word = match t {
            SPLIT => false,
            SKIP => continue,
            SLOW => {
                let at = out.len();
                let word = fold_char(c, out);
                if !word {
                    out.truncate(at);
                }
                word
            }
            f => {
                out.push(char::from_u32(f).unwrap_or(' '));
                true
            }
        };
        if word {
            gap = false;
        } else if !gap {
            out.push(' ');
            gap = true;
        }
    }
}

/// The words of a folded text that the index keeps.
fn split(folded: &str) -> impl Iterator<Item = &str> {
    folded
        .split(' ')
        .filter(|w| !w.is_empty() && (w.len() <= MAX_TERM || w.chars().count() <= MAX_TERM))
}

/// Calls `word` with each folded word of `text` (see the module docs).
pub fn words(text: &str, mut word: impl FnMut(&str)) {
    let mut folded = String::with_capacity(text.len());
    fold_words(text, &mut folded);
    split(&folded).for_each(&mut word);
}

/// The hasher of the index's in-process maps (a document's words, the
/// term ids): FxHash. XXH3 through `BuildHasher` set up its 256-byte
/// streaming state for each of the millions of words hashed (a cold build's
/// index at 10,000 articles: 0.43 s against 0.57 s); nothing hashed here is
/// stored, and the output does not depend on these maps' order (a cold
/// build's output is byte-identical with either).
type Hasher = rustc_hash::FxBuildHasher;

/// A document's terms with their strongest field: the terms joined by
/// `\0`, and their fields in the same order.
struct DocTerms {
    terms: String,
    fields: Vec<Field>,
}

impl DocTerms {
    fn iter(&self) -> impl Iterator<Item = (&str, Field)> {
        self.terms.split('\0').zip(self.fields.iter().copied())
    }

    fn sorted(&self) -> Vec<(&str, Field)> {
        let mut v: Vec<(&str, Field)> = self.iter().collect();
        v.sort_unstable_by(|a, b| a.0.cmp(b.0));
        v
    }
}

/// Collects a document's terms: the strongest field wins; body words
/// count.
fn collect(parts: &[(String, Field)]) -> DocTerms {
    // (sized for a distinct word every 8 bytes of folded text: the example site's articles
    // and the bench's have one every 8 to 13; grown from empty, the map was made again some
    // seven times an article)
    let bytes: usize = parts.iter().map(|(text, _)| text.len()).sum();
    let mut seen: std::collections::HashMap<&str, (Field, u32), Hasher> =
        std::collections::HashMap::with_capacity_and_hasher(bytes / 8, Hasher::default());
    for (text, field) in parts {
        for w in split(text) {
            let e = seen.entry(w).or_insert((*field, 0));
            e.0 = e.0.max(*field);
            e.1 += (*field == Field::Body) as u32;
        }
    }
    let mut terms = String::with_capacity(seen.len() * 8);
    let mut fields = Vec::with_capacity(seen.len());
    for (t, (f, n)) in seen {
        if !fields.is_empty() {
            terms.push('\0');
        }
        terms.push_str(t);
        fields.push(if f == Field::Body && n >= 3 {
            Field::BodyOften
        } else {
            f
        });
    }
    DocTerms { terms, fields }
}

fn word_count(s: &str) -> u8 {
    let mut n = 0usize;
    words(s, |_| n += 1);
    n.min(255) as u8
}

/// The entities an article names, in a fixed order (not by how often it
/// names them, which an edit changes more easily).
pub fn named(a: &super::ArticleNode) -> Vec<usize> {
    let mut v: Vec<usize> = a.entities.iter().map(|e| e.0).collect();
    v.sort_unstable();
    v
}

/// What the index holds of document `doc` of `kind`.
fn doc_terms(site: &Site, kind: DocKind, doc: usize) -> DocTerms {
    let mut parts: Vec<(String, Field)> = Vec::new();
    let mut add = |text: &str, field: Field| {
        let mut folded = String::with_capacity(text.len());
        fold_words(text, &mut folded);
        parts.push((folded, field));
    };
    match kind {
        DocKind::Entity => {
            let e = &site.entities[doc].src;
            add(&e.name, Field::Title);
            for a in &e.aliases {
                add(a, Field::Title);
            }
        }
        DocKind::Article => {
            let a = &site.articles[doc];
            add(&a.src.title, Field::Title);
            add(a.src.description.as_deref().unwrap_or(""), Field::Secondary);
            for t in &a.src.tags {
                add(t, Field::Secondary);
            }
            // the names of what it mentions, so "bac kinh" finds the
            // articles about Bắc Kinh even where the text says "thủ đô"
            for e in named(a) {
                add(&site.entities[e].src.name, Field::Secondary);
            }
            add(&a.text.read(), Field::Body);
        }
        DocKind::Quote => {
            let q = &site.quotes[doc];
            add(&q.text, Field::Title);
            add(&site.entities[q.speaker].src.name, Field::Secondary);
        }
    }
    collect(&parts)
}

impl Index {
    /// Indexes every document of `site`.
    pub fn build(site: &Site) -> Index {
        let t = std::time::Instant::now();
        let mut ids: std::collections::HashMap<Box<str>, u32, Hasher> = Default::default();
        let mut postings: Vec<Postings> = Vec::new();
        // In batches of documents: the parallel part (folding) holds two
        // batches' words, and the merge appends in document order — one
        // batch's merge beside the next batch's folding (the merge alone was
        // a third of the index's wall time).
        let batches: Vec<(DocKind, usize, usize)> = DocKind::ALL
            .iter()
            .flat_map(|&kind| {
                let n = kind.count(site);
                (0..n)
                    .step_by(1024)
                    .map(move |start| (kind, start, n.min(start + 1024)))
            })
            .collect();
        let fold = |&(kind, start, end): &(DocKind, usize, usize)| -> Vec<DocTerms> {
            (start..end).into_par_iter().map(|d| doc_terms(site, kind, d)).collect()
        };
        let mut merge = |(kind, start, _): (DocKind, usize, usize), batch: Vec<DocTerms>| {
            for (d, doc) in batch.iter().enumerate() {
                for (t, f) in doc.iter() {
                    let id = match ids.get(t) {
                        Some(&id) => id,
                        None => {
                            ids.insert(t.into(), postings.len() as u32);
                            postings.push(Postings::default());
                            postings.len() as u32 - 1
                        }
                    };
                    postings[id as usize].0[kind as usize].push(entry(start + d, f));
                }
            }
        };
        let mut ready = batches.first().map(|b| (*b, fold(b)));
        for next in batches.iter().skip(1).map(Some).chain([None]) {
            let Some((b, words)) = ready.take() else { break };
            ready = rayon::join(|| merge(b, words), || next.map(|n| (*n, fold(n)))).1;
        }
        for list in postings.iter_mut().flat_map(|p| p.0.iter_mut()) {
            list.fit();
        }
        let mut postings: Vec<Option<Postings>> = postings.into_iter().map(Some).collect();
        let terms: BTreeMap<Box<str>, Postings> = ids
            .into_iter()
            .map(|(t, id)| (t, postings[id as usize].take().unwrap_or_default()))
            .collect();
        let index = Index::from_terms(site, terms);
        crate::timing::lap(&format!("  search index: {} terms", index.terms.len()), t);
        index
    }

    /// The index of `site` whose terms and postings are `terms`.
    pub(crate) fn from_terms(site: &Site, terms: BTreeMap<Box<str>, Postings>) -> Index {
        let mut index = Index {
            terms,
            docs: DocKind::ALL.map(|k| k.count(site)),
            name_words: site.entities.iter().map(|e| word_count(&e.src.name)).collect(),
            shards: vec![ShardKeys::default(); shards_of(site)],
            prefix_cache: PrefixCache::default(),
        };
        let keys: Vec<Box<str>> = index.terms.keys().cloned().collect();
        for t in keys {
            index.add_keys(&t);
        }
        index
    }

    /// Files `term` (new to the index) and its short prefixes under their
    /// shards.
    fn add_keys(&mut self, term: &str) {
        let n = self.shards.len();
        let keys = &mut self.shards[shard_of(term, n)].terms;
        if let Err(at) = keys.binary_search_by(|k| (**k).cmp(term)) {
            keys.insert(at, term.into());
        }
        for p in short_prefixes(term) {
            let keys = &mut self.shards[shard_of(p, n)].prefixes;
            if let Err(at) = keys.binary_search_by(|k| (**k).cmp(p)) {
                keys.insert(at, p.into());
            }
        }
    }

    /// Removes `term` (gone from the index) and the short prefixes no other
    /// term starts.
    fn remove_keys(&mut self, term: &str) {
        let n = self.shards.len();
        let keys = &mut self.shards[shard_of(term, n)].terms;
        if let Ok(at) = keys.binary_search_by(|k| (**k).cmp(term)) {
            keys.remove(at);
        }
        for p in short_prefixes(term) {
            if self
                .terms
                .range::<str, _>((std::ops::Bound::Included(p), std::ops::Bound::Unbounded))
                .next()
                .is_some_and(|(t, _)| t.starts_with(p))
            {
                continue;
            }
            let keys = &mut self.shards[shard_of(p, n)].prefixes;
            if let Ok(at) = keys.binary_search_by(|k| (**k).cmp(p)) {
                keys.remove(at);
            }
        }
    }

    /// The union of every term `prefix` starts (the strongest field per
    /// document): what a last word typed so far matches.
    pub fn prefix(&self, prefix: &str) -> Postings {
        const NONE: u8 = u8::MAX;
        let mut best: [Vec<u8>; 3] = std::array::from_fn(|k| vec![NONE; self.docs[k]]);
        let range = self
            .terms
            .range::<str, _>((std::ops::Bound::Included(prefix), std::ops::Bound::Unbounded))
            .take_while(|(t, _)| t.starts_with(prefix));
        for (_, p) in range {
            for (k, list) in p.0.iter().enumerate() {
                for e in list.iter() {
                    let f = &mut best[k][doc_of(e)];
                    if *f == NONE || *f < field_of(e) as u8 {
                        *f = field_of(e) as u8;
                    }
                }
            }
        }
        Postings(best.map(|v| {
            PostingList::from_entries(
                v.iter()
                    .enumerate()
                    .filter(|(_, f)| **f != NONE)
                    .map(|(d, f)| (d as u32) << 2 | *f as u32),
            )
        }))
    }

    /// [`Index::prefix`] as `encode` writes it, computed once until an edit
    /// changes it.
    pub fn prefix_encoded(&self, prefix: &str, encode: impl FnOnce(&Postings) -> String) -> Arc<str> {
        if let Some(s) = self.prefix_cache.lock().get(prefix) {
            return s.clone();
        }
        let s: Arc<str> = encode(&self.prefix(prefix)).into();
        self.prefix_cache.lock().insert(prefix.into(), s.clone());
        s
    }

    /// Re-indexes documents of `kind` that changed (the same number of
    /// documents of each kind); returns the shards whose keys or postings may
    /// have changed, sorted.
    pub(crate) fn patch(&mut self, site: &Site, kind: DocKind, docs: &[usize]) -> Vec<usize> {
        let k = kind as usize;
        let n = self.shards.len();
        let mut touched = Vec::new();
        for &doc in docs {
            let new = doc_terms(site, kind, doc);
            let new = new.sorted();
            // what the index has of it now
            let mut old: Vec<(Box<str>, Entry)> = Vec::new();
            for (t, p) in &self.terms {
                if let Some(e) = p.0[k].get(doc) {
                    old.push((t.clone(), e));
                }
            }
            let new: Vec<(Box<str>, Entry)> = new.into_iter().map(|(t, f)| (t.into(), entry(doc, f))).collect();
            // (the terms whose entry for the document changed, and the entry)
            let mut changed: Vec<(&str, Option<Entry>)> = Vec::new();
            // (both sorted by term: a merge)
            let (mut i, mut j) = (0, 0);
            while i < old.len() || j < new.len() {
                let ord = match (old.get(i), new.get(j)) {
                    (Some(a), Some(b)) => a.0.cmp(&b.0),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    _ => std::cmp::Ordering::Greater,
                };
                match ord {
                    std::cmp::Ordering::Less => {
                        changed.push((&old[i].0, None));
                        i += 1;
                    }
                    std::cmp::Ordering::Greater => {
                        changed.push((&new[j].0, Some(new[j].1)));
                        j += 1;
                    }
                    std::cmp::Ordering::Equal => {
                        if old[i].1 != new[j].1 {
                            changed.push((&old[i].0, Some(new[j].1)));
                        }
                        i += 1;
                        j += 1;
                    }
                }
            }
            for &(t, e) in &changed {
                self.terms.entry(t.into()).or_default().0[k].set(doc, e);
            }
            for (t, _) in changed {
                touched.push(shard_of(t, n));
                // a prefix's union changes only if the document's strongest
                // field among the terms it starts does (rarely: a document
                // has many words starting with "n")
                for p in short_prefixes(t) {
                    if strongest(&old, p) != strongest(&new, p) {
                        touched.push(shard_of(p, n));
                        self.prefix_cache.lock().remove(p);
                    }
                }
                let gone = self.terms.get(t).is_some_and(Postings::is_empty);
                if gone {
                    self.terms.remove(t);
                    self.remove_keys(t);
                } else {
                    self.add_keys(t);
                }
            }
        }
        touched.sort_unstable();
        touched.dedup();
        touched
    }
}

/// The strongest field among the entries of the terms `prefix` starts, in
/// a list sorted by term.
fn strongest(list: &[(Box<str>, Entry)], prefix: &str) -> Option<u32> {
    let from = list.partition_point(|(t, _)| **t < *prefix);
    list[from..]
        .iter()
        .take_while(|(t, _)| t.starts_with(prefix))
        .map(|(_, e)| field_of(*e))
        .max()
}

impl Terms {
    /// The index, made now if it was not: the stored one brought up to date
    /// when `site` has a cache and it holds one, else built. (Made with no
    /// lock held: the build runs on rayon, whose threads may meanwhile take
    /// up other pages that ask for the index. Callers make it first, before
    /// their parallel loop, so that it is made once.)
    pub fn get(&self, site: &Site) -> Arc<Index> {
        use std::sync::atomic::Ordering::Relaxed;
        if let Some(i) = self.index.read().unwrap_or_else(|e| e.into_inner()).clone() {
            return i;
        }
        let stored = site
            .cache_dir
            .as_deref()
            .and_then(|dir| super::stored_terms::load(site, dir));
        let (built, unsaved) = match stored {
            Some((index, patched)) => (index, patched),
            None => (Index::build(site), true),
        };
        let mut g = self.index.write().unwrap_or_else(|e| e.into_inner());
        if g.is_none() {
            self.unsaved.store(unsaved, Relaxed);
        }
        g.get_or_insert(Arc::new(built)).clone()
    }

    /// Re-indexes articles the watch loop edited in place (their text, and
    /// so the entities they name); returns the shards that may have changed.
    /// An index not made yet is left for [`Terms::get`] to make.
    pub fn patch_articles(&self, site: &Site, articles: &[usize]) -> Vec<usize> {
        let mut g = self.index.write().unwrap_or_else(|e| e.into_inner());
        match g.as_mut() {
            Some(index) => {
                self.unsaved.store(true, std::sync::atomic::Ordering::Relaxed);
                Arc::make_mut(index).patch(site, DocKind::Article, articles)
            }
            None => Vec::new(),
        }
    }

    /// What to store for the next process, when the index was made or
    /// changed by this one and `site` has a cache: taken from the graph, so
    /// that the graph can be freed before it is written
    /// ([`super::stored_terms::Unsaved::save`]; a failure only costs the next
    /// build time).
    pub fn unsaved(&self, site: &Site) -> Option<super::stored_terms::Unsaved> {
        let dir = site.cache_dir.as_deref()?;
        let g = self.index.read().unwrap_or_else(|e| e.into_inner());
        let index = g.as_ref()?;
        if !self.unsaved.swap(false, std::sync::atomic::Ordering::Relaxed) {
            return None;
        }
        super::stored_terms::Unsaved::of(site, index.clone(), dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fold_as_the_search_does() {
        // (NFC and NFD input, đ, capitals, other scripts, marks inside words)
        let nfd: String = unicode_normalization::UnicodeNormalization::nfd("Đặng Thị Ánh Dương").collect();
        let cases = [
            "Đặng Thị Ánh Dương, Bắc Kinh!",
            &nfd,
            "ĐÀ NẴNG — đường 1A… (km 2)",
            "Straße İstanbul Ωμέγα Кирилл 北京 ١٢٣",
            "e\u{301}\u{323}x don't",
        ];
        for s in cases {
            let mut ours = Vec::new();
            words(s, |w| ours.push(w.to_string()));
            let want: Vec<String> = crate::text::fold(s)
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(String::from)
                .collect();
            assert_eq!(ours, want, "{s:?}");
        }
        let mut v = Vec::new();
        words("Đặng Bắc Kinh", |w| v.push(w.to_string()));
        assert_eq!(v, ["dang", "bac", "kinh"]);
        // every ASCII character between two letters folds as the slow way folds it
        for b in 0..128u8 {
            let (c, mut ours, mut slow) = (b as char, String::new(), String::from("a"));
            fold_words(&format!("a{c}b"), &mut ours);
            if !fold_char(c, &mut slow) {
                slow.truncate(1);
                slow.push(' ');
            }
            slow.push('b');
            assert_eq!(ours, slow, "{c:?}");
        }
    }

    #[test]
    fn short_prefixes_are_the_first_letters() {
        let v: Vec<&str> = short_prefixes("nguyễn").collect();
        assert_eq!(v, ["n", "ng"]);
        let v: Vec<&str> = short_prefixes("đi").collect();
        assert_eq!(v, ["đ", "đi"]);
        let v: Vec<&str> = short_prefixes("a").collect();
        assert_eq!(v, ["a"]);
    }

    #[test]
    fn a_term_and_its_prefixes_pick_shards_by_their_first_three_letters() {
        assert_eq!(shard_of("nguyen", 256), shard_of("ngu", 256));
        assert_eq!(shard_of("nguyen", 256), shard_of("nguoi", 256));
        // FNV-1a of "ngu", as static/search.js computes it
        let mut h: u32 = 0x811c_9dc5;
        for b in b"ngu" {
            h = (h ^ *b as u32).wrapping_mul(0x0100_0193);
        }
        assert_eq!(shard_of("nguyen", 1000), (h % 1000) as usize);
        assert_eq!(shard_count(0, 1, 0), 1);
        assert_eq!(shard_count(2000, 10_000, 24_639), 256);
        assert!(shard_count(0, 1_000_000, 0) <= 1024);
    }
}
