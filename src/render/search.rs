//! The search files `static/search.js` reads, cut from the site's term
//! index ([`crate::site::terms`]) so that a query fetches only what it
//! needs:
//!
//! - `search/meta.json`: the layout — how many shards, documents and chunks;
//! - `search/t/N.json`: shard N of the term index — for each folded term
//!   whose first three letters hash to N, the documents it occurs in and
//!   where (title, secondary field, body); for each one- and two-letter
//!   prefix that hashes to N, the union of the terms it starts;
//! - `search/e/N.json`, `search/a/N.json`, `search/q/N.json`: what a result
//!   shows (title, URL, a line of context) for [`DOCS_PER_CHUNK`] entities,
//!   articles or quotes, fetched only for the results shown;
//! - `search/x/N.json.gz`: the text of [`TEXTS_PER_CHUNK`] articles, for
//!   the excerpt (with its diacritics, the match highlighted) under an
//!   article found by a word of its body: a JSON list of strings, gzipped
//!   here (the script unpacks it with `DecompressionStream`) because text is
//!   most of the index and not every host compresses what it serves.
//!
//! Every count here depends on how many documents the site has, never on
//! their text, so an edit re-writes the files it changes and never adds or
//! removes one. Why our own index and not Pagefind's, with the figures:
//! `docs/performance.md`, "Search".
//!
//! A set of documents is written in whichever of two forms is shorter: the
//! gaps between document numbers as base-64 VLQ digits (5 bits a character,
//! the sixth saying "more follows"), or `!` and a bitmap of 6 documents a
//! character. The characters are `A–Z a–z 0–9 - _`, so nothing needs
//! escaping in JSON.
//!
//! Stage 4 of the pipeline: rendering.

use std::fmt::Write as _;

use serde::Serialize;

use crate::site::Site;
use crate::site::terms::{self, DocKind, Index, Postings, doc_of, field_of};
use crate::text::truncate_words;
use crate::urls::Urls;

/// How many documents' result lines a `search/{e,a,q}/N.json` holds.
pub const DOCS_PER_CHUNK: usize = 32;

/// How many articles' texts a `search/x/N.json` holds.
pub const TEXTS_PER_CHUNK: usize = 8;

/// The format version `static/search.js` checks.
const VERSION: u32 = 3;

/// One file of the search index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SearchPart {
    /// `search/meta.json`.
    Meta,
    /// A shard of the term index.
    Shard(u32),
    /// The result lines of a chunk of documents of one kind.
    Docs(DocKind, u32),
    /// The texts of a chunk of articles.
    Text(u32),
}

impl SearchPart {
    /// Every search file of `site`.
    pub fn all(site: &Site) -> Vec<SearchPart> {
        let mut v = vec![SearchPart::Meta];
        v.extend((0..terms::shards_of(site) as u32).map(SearchPart::Shard));
        for kind in DocKind::ALL {
            let n = kind.count(site).div_ceil(DOCS_PER_CHUNK) as u32;
            v.extend((0..n).map(|c| SearchPart::Docs(kind, c)));
        }
        let n = site.articles.len().div_ceil(TEXTS_PER_CHUNK) as u32;
        v.extend((0..n).map(SearchPart::Text));
        v
    }

    /// The output path.
    pub fn path(self) -> String {
        match self {
            SearchPart::Meta => "search/meta.json".into(),
            SearchPart::Shard(k) => format!("search/t/{k}.json"),
            SearchPart::Docs(kind, c) => format!("search/{}/{c}.json", kind.code()),
            SearchPart::Text(c) => format!("search/x/{c}.json.gz"),
        }
    }

    /// The documents (of its kind) a chunk holds.
    pub fn docs(self, site: &Site) -> std::ops::Range<usize> {
        let (per, n, c) = match self {
            SearchPart::Docs(kind, c) => (DOCS_PER_CHUNK, kind.count(site), c),
            SearchPart::Text(c) => (TEXTS_PER_CHUNK, site.articles.len(), c),
            _ => return 0..0,
        };
        let start = (c as usize * per).min(n);
        start..(start + per).min(n)
    }
}

/// The bytes of one search file.
pub fn file(site: &Site, urls: &Urls, part: SearchPart) -> Vec<u8> {
    match part {
        SearchPart::Meta => meta_json(site),
        SearchPart::Shard(k) => shard_json(&site.terms.get(site), k as usize),
        SearchPart::Docs(kind, _) => docs_json(site, urls, kind, part.docs(site)),
        SearchPart::Text(_) => {
            let texts: Vec<_> = part.docs(site).map(|i| site.articles[i].text.read()).collect();
            return gzip(serde_json::to_string(&texts).unwrap_or_default().as_bytes());
        }
    }
    .into_bytes()
}

/// `bytes` gzipped, by libdeflate at level 1. At 10,000 articles the
/// texts (53.0 MB in 1,250 chunks) come out at 22.7 MB in 0.26 s of CPU,
/// where zlib-rs (through flate2) took 0.45 s at its level 2 for 23.0 MB,
/// and 0.29 s at its level 1 for 31.6 MB (libdeflate's level 2 gives 22.0 MB
/// in 0.39 s; `docs/performance.md`, "Output size by kind of file"). The
/// same bytes every time: no time or system in the header, and libdeflate's
/// matches do not depend on the processor. A compressor is kept per thread (its tables are made
/// once).
fn gzip(bytes: &[u8]) -> Vec<u8> {
    // (1–12 compress; 0 would store the text as it is)
    const LEVEL: libdeflater::CompressionLvl = match libdeflater::CompressionLvl::new(1) {
        Ok(level) => level,
        Err(_) => unreachable!(),
    };
    thread_local! {
        static GZIP: std::cell::RefCell<libdeflater::Compressor> =
            std::cell::RefCell::new(libdeflater::Compressor::new(LEVEL));
    }
    GZIP.with(|z| {
        let mut z = z.borrow_mut();
        let mut out = vec![0; z.gzip_compress_bound(bytes.len())];
        // (the bound always suffices)
        let n = z.gzip_compress(bytes, &mut out).unwrap_or_default();
        out.truncate(n);
        out
    })
}

#[derive(Serialize)]
struct Meta {
    v: u32,
    /// Characters of a term that choose its shard.
    prefix: usize,
    shards: usize,
    /// Per kind: how many documents, how many a chunk holds.
    e: [usize; 2],
    a: [usize; 2],
    q: [usize; 2],
    /// Articles' texts a chunk holds.
    x: usize,
}

fn meta_json(site: &Site) -> String {
    let m = Meta {
        v: VERSION,
        prefix: terms::PREFIX,
        shards: terms::shards_of(site),
        e: [site.entities.len(), DOCS_PER_CHUNK],
        a: [site.articles.len(), DOCS_PER_CHUNK],
        q: [site.quotes.len(), DOCS_PER_CHUNK],
        x: TEXTS_PER_CHUNK,
    };
    serde_json::to_string(&m).unwrap_or_default()
}

/// What a result shows.
#[derive(Serialize)]
struct Doc<'a> {
    /// Title.
    t: &'a str,
    u: String,
    /// A line of context under the title.
    s: String,
    /// An entity's aliases, `·`-separated (shown when one of them matched).
    #[serde(skip_serializing_if = "String::is_empty")]
    x: String,
}

fn docs_json(site: &Site, urls: &Urls, kind: DocKind, docs: std::ops::Range<usize>) -> String {
    let list: Vec<Doc> = docs
        .map(|i| match kind {
            DocKind::Entity => {
                let e = &site.entities[i];
                Doc {
                    t: &e.src.name,
                    u: urls.entity(&e.src.id),
                    s: truncate_words(&e.summary, 140),
                    x: e.src.aliases.join(" · "),
                }
            }
            DocKind::Article => {
                let a = &site.articles[i];
                Doc {
                    t: &a.src.title,
                    u: urls.article(&a.src.slug),
                    s: truncate_words(a.src.description.as_deref().unwrap_or(""), 160),
                    x: String::new(),
                }
            }
            DocKind::Quote => {
                let q = &site.quotes[i];
                Doc {
                    t: &q.text,
                    u: urls.quote(&q.id),
                    s: format!("— {}", site.entities[q.speaker].src.name),
                    x: String::new(),
                }
            }
        })
        .collect();
    serde_json::to_string(&list).unwrap_or_default()
}

/// Shard `k` of the term index: `{"t": {term: postings}, "p": {prefix:
/// postings}}`, keys sorted.
pub fn shard_json(index: &Index, k: usize) -> String {
    let keys = &index.shards[k];
    let mut s = String::with_capacity(16 * 1024);
    s.push_str("{\"t\":{");
    for (i, t) in keys.terms.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        key(&mut s, t);
        postings(&mut s, index, &index.terms[t]);
    }
    s.push_str("},\"p\":{");
    for (i, p) in keys.prefixes.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        key(&mut s, p);
        s.push_str(&index.prefix_encoded(p, |union| {
            let mut e = String::new();
            postings(&mut e, index, union);
            e
        }));
    }
    s.push_str("}}");
    s
}

fn key(s: &mut String, k: &str) {
    // (a folded word: letters and digits, but JSON-escape anyway)
    s.push_str(&serde_json::to_string(k).unwrap_or_default());
    s.push(':');
}

const DIGITS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `v` as base-64 VLQ digits, low bits first.
fn vlq(s: &mut String, mut v: u32) {
    loop {
        let d = v & 31;
        v >>= 5;
        if v == 0 {
            s.push(DIGITS[d as usize] as char);
            return;
        }
        s.push(DIGITS[(d | 32) as usize] as char);
    }
}

/// A sorted set of document numbers, in the shorter of its two forms.
fn doc_set(s: &mut String, docs: &[u32]) {
    let Some(&last) = docs.last() else { return };
    let mut gaps = String::new();
    let mut next = 0;
    for &d in docs {
        vlq(&mut gaps, d - next);
        next = d + 1;
    }
    let bitmap_len = 1 + last as usize / 6 + 1;
    if gaps.len() <= bitmap_len {
        s.push_str(&gaps);
        return;
    }
    s.push('!');
    let mut bits = vec![0u8; last as usize / 6 + 1];
    for &d in docs {
        bits[d as usize / 6] |= 1 << (d % 6);
    }
    s.extend(bits.iter().map(|&b| DIGITS[b as usize] as char));
}

/// A term's postings: `"E,A,Q"` (trailing empty kinds left out), each kind
/// `title.secondary.often.once` (trailing empty parts left out): the sets
/// of documents where it is in the title (an entity's name or alias, an
/// article's title, a quote's words), in a secondary field (description,
/// tags, named entities; a quote's speaker), in the body three times or
/// more, or fewer. Each document is in one set, its strongest. An
/// entity's `title` is not a set but pairs of numbers: the gap to the
/// document, and how many words its name has (a query that is the whole
/// name ranks first).
fn postings(s: &mut String, index: &Index, p: &Postings) {
    let mut kinds: Vec<String> = Vec::with_capacity(3);
    for (k, list) in p.0.iter().enumerate() {
        let mut sets: [Vec<u32>; 4] = Default::default();
        for e in list.iter() {
            sets[3 - field_of(e) as usize].push(doc_of(e) as u32);
        }
        let mut parts: [String; 4] = Default::default();
        if k == DocKind::Entity as usize {
            let mut next = 0;
            for &d in &sets[0] {
                vlq(&mut parts[0], d - next);
                vlq(&mut parts[0], index.name_words[d as usize] as u32);
                next = d + 1;
            }
        } else {
            doc_set(&mut parts[0], &sets[0]);
        }
        for (part, set) in parts.iter_mut().zip(&sets).skip(1) {
            doc_set(part, set);
        }
        let used = parts.iter().rposition(|x| !x.is_empty()).map_or(0, |i| i + 1);
        kinds.push(parts[..used].join("."));
    }
    let used = kinds.iter().rposition(|x| !x.is_empty()).map_or(0, |i| i + 1);
    let _ = write!(s, "\"{}\"", kinds[..used].join(","));
}
