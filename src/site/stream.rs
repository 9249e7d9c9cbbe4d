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
//! Stage 3 of the pipeline: the site graph.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::anchor::article::{self, Anchored, Caches, Done, LinkTargets};
use crate::content::{Article, FileCache, Listing};
use crate::diagnostics::{Diagnostics, Sources};
use crate::i18n;
use crate::packed::Spill;

/// How many articles are read and anchored at a time.
pub const BATCH: usize = 512;

/// The articles (drafts left out unless `drafts`) and their anchoring, in
/// the listing's order.
pub type Anchoreds = Vec<(Article, (u64, Anchored))>;

/// What every batch reads.
pub struct Batches<'a> {
    pub root: &'a Path,
    pub listing: &'a Listing,
    pub drafts: bool,
    pub strings: &'a i18n::Strings,
    /// Where the anchored texts go once a batch is done (see
    /// [`crate::packed`]); `None` keeps them in memory.
    pub spill: Option<std::sync::Arc<Spill>>,
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
        for chunk in self.listing.markdown.chunks(BATCH) {
            let batch = self
                .listing
                .load(self.root, chunk, diags, sources, files.as_deref_mut());
            all.extend(self.anchor(links, batch, caches, diags, sources));
        }
        if let Some(f) = files {
            self.listing.forget_others(f);
        }
        all
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
        batch
            .into_iter()
            .zip(done.into_iter().map(|d| self.spilled(d)))
            .collect()
    }

    /// `d` with its texts moved to the spill, and without its explicit
    /// annotations unless they are kept.
    fn spilled(&self, mut d: Done) -> Done {
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
                all[i] = (a, self.spilled(d));
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
