//! Articles loaded and anchored in bounded batches: read, parse and anchor
//! [`BATCH`] articles, drop their files, go on — so that memory holds the
//! anchored results (the graph's material), never every source file and
//! parsed annotation of the site at once.
//!
//! Anchoring reads which articles exist (a `[[link]]` to a missing one is
//! an error), which is known only once every article has been read (a
//! draft, left out, does not exist; nor does a file that failed to load).
//! The batches assume every listed file is an article; the few articles
//! that link to one that then turns out not to be one are read and
//! anchored again with the articles there are.
//!
//! A one-off build knows each article's files' hashes before it reads
//! them (the inputs' digest keeps them by stamp): an article whose stored
//! anchoring was made from files of those hashes, and whose loading then
//! reported nothing, is made from the store without reading its files
//! (`Batches::stored`). At 10,000 articles that is most of what a build
//! after one edit read: 58 MB of Markdown and 10,000 annotation files.
//!
//! Stage 3 of the pipeline: the site graph.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::anchor::article::{self, Anchored, Caches, Done, LinkTargets};
use crate::anchor::stored::Store;
use crate::content::{Article, FileCache, FileHashes, Listing, annotation_files};
use crate::diagnostics::{Diagnostics, Sources};
use crate::files::KnownHashes;
use crate::i18n;
use crate::packed::Spill;
use crate::text::slugify;

/// How many articles are read and anchored at a time.
pub const BATCH: usize = 512;

/// The most bytes of article files (Markdown and annotations) whose rendered
/// texts a build keeps unpacked ([`crate::packed::Packed::keep_plain`]):
/// about 17,000 articles like the bench's, whose texts then hold about
/// 90 MB; a larger site packs them, and spills them to disk.
pub const PLAIN_TEXTS_MAX: u64 = 128 << 20;

/// The articles (drafts left out unless `drafts`) and their anchoring, in
/// the listing's order.
pub type Anchoreds = Vec<(Article, (u64, Anchored))>;

/// Where an article's anchoring came from.
#[derive(Clone, Copy)]
enum Made {
    /// Anchored by this process.
    Here,
    /// Taken from the anchoring store.
    Stored,
}

/// What every batch reads.
pub struct Batches<'a> {
    pub root: &'a Path,
    pub listing: &'a Listing,
    pub drafts: bool,
    pub strings: &'a i18n::Strings,
    /// Where the anchored texts go once a batch is done (see
    /// [`crate::packed`]); `None` keeps them in memory.
    pub spill: Option<std::sync::Arc<Spill>>,
    /// The articles' files' hashes as the inputs' digest found them: an
    /// article whose files hash as when its anchoring was stored is made
    /// from the store (`Batches::stored`) without being read.
    pub known: Option<&'a KnownHashes>,
    /// Whether the explicit annotations are kept (see
    /// [`super::Articles::export_data`]).
    pub export_data: bool,
}

impl Batches<'_> {
    /// Anchors the brat articles `brat` (loaded already: they define
    /// entities), then loads and anchors every Markdown article, batch by
    /// batch, taking every listed slug for an article ([`missing`] tells
    /// which are not, and [`Batches::relink`] corrects).
    pub fn run(
        &self,
        links: &LinkTargets<'_>,
        brat: Vec<Article>,
        mut files: Option<&mut FileCache>,
        caches: &mut Caches<'_>,
        diags: &mut Diagnostics,
        sources: &mut Sources,
    ) -> Vec<(Article, Done)> {
        let mut all = self.anchor(links, brat, caches, diags, sources);
        all.reserve(self.listing.markdown.len());
        for chunk in self.listing.markdown.chunks(BATCH) {
            let mut stored = self.stored(links, chunk, caches.disk);
            let unread: Vec<PathBuf> = chunk
                .iter()
                .zip(&stored)
                .filter(|(_, s)| s.is_none())
                .map(|(p, _)| p.clone())
                .collect();
            let batch = self
                .listing
                .load(self.root, &unread, diags, sources, files.as_deref_mut());
            let mut anchored = self.anchor(links, batch, caches, diags, sources).into_iter().peekable();
            // in the listing's order: each read article comes after the
            // stored ones listed before it (an article that failed to load,
            // or a draft left out, is simply not there)
            for (path, s) in chunk.iter().zip(&mut stored) {
                match s.take() {
                    Some(made) => all.extend((self.drafts || !made.0.draft).then_some(made)),
                    None => all.extend(anchored.next_if(|(a, _)| &a.path == path)),
                }
            }
            debug_assert!(anchored.next().is_none(), "every article read is placed");
        }
        if let Some(f) = files {
            self.listing.forget_others(f);
        }
        all
    }

    /// For each Markdown article of `paths`, itself and its anchoring as
    /// the store has them, when its files' bytes are known to hash as they
    /// did then (see [`article::Anchoring::markdown_key`]) and loading them then
    /// reported nothing; `None` for the articles to read.
    fn stored(
        &self,
        links: &LinkTargets<'_>,
        paths: &[PathBuf],
        store: Option<&Store>,
    ) -> Vec<Option<(Article, Done)>> {
        let (Some(known), Some(store)) = (self.known, store) else {
            return paths.iter().map(|_| None).collect();
        };
        paths
            .par_iter()
            .map(|path| {
                let stem = path.file_stem()?.to_str()?;
                let text = known.get(path)??;
                let [toml, jsonld] = annotation_files(path);
                let (toml, jsonld) = (known.get(&toml)?, known.get(&jsonld)?);
                let hashes = FileHashes {
                    text,
                    annotations: match (toml, jsonld) {
                        // (loading reports two: read it, to report that again)
                        (Some(_), Some(_)) => return None,
                        (one, other) => one.or(other),
                    },
                };
                let slug = slugify(stem);
                let key = links.anchoring.markdown_key(path, &slug, hashes);
                let (anchored, meta) = store.get(key)?;
                if !links.anchoring.still_linked(&anchored.links) {
                    return None;
                }
                let article = Article::from_meta(path.clone(), slug, meta?, hashes);
                Some((article, self.spilled(Done::new(key, anchored), Made::Stored)))
            })
            .collect()
    }

    /// Anchors one batch (drafts left out unless wanted).
    fn anchor(
        &self,
        links: &LinkTargets<'_>,
        mut batch: Vec<Article>,
        caches: &mut Caches<'_>,
        diags: &mut Diagnostics,
        sources: &mut Sources,
    ) -> Vec<(Article, Done)> {
        batch.retain(|a| self.drafts || !a.draft);
        let cited: HashSet<PathBuf> = diags.cited_files().into_iter().map(Path::to_path_buf).collect();
        let done = article::anchor_all(&mut batch, links, self.strings, sources, &cited, caches);
        // (in parallel: one thread unpacking and spilling a batch's texts left the other core
        // idle for 60-70 ms of a cold build at 10,000 articles)
        let done: Vec<Done> = done.into_par_iter().map(|d| self.spilled(d, Made::Here)).collect();
        batch.into_iter().zip(done).collect()
    }

    /// Whether the articles' rendered texts stay unpacked (see
    /// [`crate::packed`]): the inputs' digest found the article files small
    /// enough (a build without it — `check`, `serve` — packs them).
    fn plain_texts(&self) -> bool {
        self.known.is_some_and(|k| k.bytes() <= PLAIN_TEXTS_MAX)
    }

    /// `d` with its texts moved to the spill (its rendered text kept
    /// unpacked instead, on a small site: from now on when it was anchored
    /// here, as in a cold build, where every page is made and reads it;
    /// from its first read when it comes from the store, as after an edit,
    /// where few pages are made), and without its explicit annotations
    /// unless they are kept.
    fn spilled(&self, mut d: Done, made: Made) -> Done {
        match made {
            _ if !self.plain_texts() => {}
            Made::Here => d.anchored.text.keep_plain(),
            Made::Stored => d.anchored.text.plain_when_read(),
        }
        if let Some(s) = &self.spill {
            d.anchored.text.spill(s);
            d.anchored.body_html.spill(s);
        }
        if !self.export_data {
            d.anchored.explicit = Vec::new();
        }
        d
    }

    /// The articles of `all` whose links name a slug that was assumed to
    /// be an article and is not (`missing`): read and anchored again with
    /// `links`, whose `anchoring.articles` is now the set there is. What
    /// loading them reports was reported already.
    pub fn relink(
        &self,
        links: &LinkTargets<'_>,
        all: &mut [(Article, Done)],
        missing: &HashSet<String>,
        caches: &mut Caches<'_>,
        diags: &mut Diagnostics,
        sources: &mut Sources,
    ) {
        let again: Vec<usize> = (0..all.len())
            .filter(|&i| all[i].1.anchored.links.iter().any(|(s, _)| missing.contains(s)))
            .collect();
        if again.is_empty() {
            return;
        }
        let paths: Vec<PathBuf> = again.iter().map(|&i| all[i].0.path.clone()).collect();
        let mut reported = Diagnostics::default();
        let mut batch = self.listing.load(self.root, &paths, &mut reported, sources, None);
        let cited: HashSet<PathBuf> = diags.cited_files().into_iter().map(Path::to_path_buf).collect();
        let done = article::anchor_all(&mut batch, links, self.strings, sources, &cited, caches);
        for (a, d) in batch.into_iter().zip(done) {
            if let Some(&i) = again.iter().find(|&&i| all[i].0.path == a.path) {
                all[i] = (a, self.spilled(d, Made::Here));
            }
        }
    }
}

/// Which of the slugs assumed to be articles (`assumed`) are not among
/// `all`'s.
pub fn missing(assumed: &HashSet<String>, all: &[(Article, Done)]) -> HashSet<String> {
    let there: HashSet<&str> = all.iter().map(|(a, _)| a.slug.as_str()).collect();
    assumed
        .iter()
        .filter(|s| !there.contains(s.as_str()))
        .cloned()
        .collect()
}

/// Finishes the caches with what `all` used, and gives each article its
/// result with the key's low 64 bits (the dependency hashes' input key).
pub fn finish(all: Vec<(Article, Done)>, caches: Caches<'_>) -> Anchoreds {
    let used: Vec<(&Path, _)> = all.iter().map(|(a, d)| (a.path.as_path(), d.stored)).collect();
    caches.finish(&used);
    all.into_iter().map(|(a, d)| (a, (d.key as u64, d.anchored))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packed::Packed;

    fn done(text: &str) -> Done {
        Done::new(
            1,
            Anchored {
                text: Packed::new(text),
                body_html: Packed::new("<p>x</p>"),
                explicit: Vec::new(),
                mentions: Vec::new(),
                mention_context: 0,
                quotes: Vec::new(),
                links: Vec::new(),
                notes: Vec::new(),
                diags: Vec::new(),
                reanchored: Vec::new(),
            },
        )
    }

    /// On a small site an article anchored here keeps its text unpacked at once (a cold build
    /// reads every one), one from the store only once a page reads it (after an edit, few
    /// are); a large site's stay packed either way. Seen through `packed_len`: what the text
    /// costs in memory.
    #[test]
    fn a_small_sites_texts_are_unpacked_when_anchored_here_or_once_read_when_stored() {
        let dir = tempfile::tempdir().unwrap();
        let listing = Listing::new(dir.path(), None, &mut Diagnostics::default(), &mut Sources::default());
        let strings = i18n::Strings::builtin("vi");
        let text = "Ông Đặng nói rằng học, học nữa, học mãi. ".repeat(40);
        let packed = Packed::new(&text).packed_len();
        assert!(packed < text.len());
        for (size, small) in [(1 << 20, true), (PLAIN_TEXTS_MAX + 1, false)] {
            let mut known = KnownHashes::default();
            known.add(PathBuf::from("content/articles/a.md"), size, Some(1));
            let batches = Batches {
                root: dir.path(),
                listing: &listing,
                drafts: false,
                strings: &strings,
                spill: None,
                known: Some(&known),
                export_data: false,
            };
            let here = batches.spilled(done(&text), Made::Here).anchored.text;
            let stored = batches.spilled(done(&text), Made::Stored).anchored.text;
            if small {
                assert_eq!(here.packed_len(), text.len(), "anchored here: unpacked");
                assert_eq!(stored.packed_len(), packed, "stored: packed until read");
                assert_eq!(stored.read(), text);
                assert_eq!(stored.packed_len(), packed + text.len(), "stored, once read");
            } else {
                assert_eq!(here.packed_len(), packed, "a large site's: packed");
                assert_eq!(stored.packed_len(), packed);
                assert_eq!(stored.read(), text);
                assert_eq!(stored.packed_len(), packed, "a large site's: packed after a read");
            }
        }
    }
}
