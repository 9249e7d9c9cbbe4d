//! The rebuild loop's state: what the last successful build wrote, so the
//! next build (after an edit) writes only the files whose bytes changed and
//! removes the ones no longer produced. `glossa build` is one rebuild from
//! nothing; `serve` and `build --watch` call [`Session::rebuild`] after every
//! batch of file events — the same code path either way.
//!
//! Two ways to rebuild:
//!
//! - **full**: load (files whose stamp is unchanged are not read again),
//!   anchor (articles whose inputs are unchanged are not anchored again),
//!   link the whole graph, and go through every page: one whose
//!   dependencies ([`crate::render::deps`]) are unchanged is not even given a view,
//!   one whose view is unchanged is not rendered, and only outputs whose
//!   bytes changed are written;
//! - **patch** (a watching session, when every changed file is an article
//!   or entity the site already has): the kept graph is edited in place —
//!   the article anchored again with its mention lists, co-occurrence edges
//!   and related articles following (same front matter and quotes; see
//!   [`Site::prepare_article`]), or the entity's description rendered again
//!   (same names and relations; [`Site::patch_entity`]); then the nodes
//!   whose hash changed lead, through [`Readers`], straight to the pages
//!   reading them, and only those are looked at. Anything else (new,
//!   deleted or renamed files, front matter, quotes, templates, config,
//!   static files, a diagnostic) takes the full way.
//!
//! Stage 5 of the pipeline: output.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::config::BuildOptions;
use crate::diagnostics::{Diagnostic, Diagnostics, Sources};
use crate::files::KnownHashes;
use crate::output::{Last, Listing, PathMap, listing, manifest, write};
use crate::render::deps::{Readers, Versions};
use crate::site::{Patched, Site};
use crate::{content, render, site};

/// The outcome of one rebuild.
pub enum Outcome {
    /// The site was written; `changed` and `removed` are output paths
    /// (relative, `/`-separated) whose bytes changed or that went away.
    Built {
        pages: usize,
        /// Pages rendered (the others' fingerprints had not changed).
        rendered: usize,
        changed: Vec<String>,
        removed: Vec<String>,
        unchanged: usize,
        /// What the output holds now (a patch does not say).
        size: Option<crate::output::hosting::OutputSize>,
        diags: Diagnostics,
        sources: Sources,
    },
    /// Nothing was written; the previous output stays as it was.
    Failed { diags: Diagnostics, sources: Sources },
}

/// A site root and its output directory across rebuilds.
pub struct Session {
    root: PathBuf,
    opts: BuildOptions,
    out: PathBuf,
    /// Output path → what was last written there (by this session, or by
    /// the last build when it found nothing changed): the hash of its bytes,
    /// what the page was made from, the hash of the graph nodes its view read
    /// (see [`crate::render::deps`]). `None`: nothing known — a session's
    /// first build reads the last build's records with the output's listing
    /// ([`Listing`]), not into this.
    last: Option<PathMap<Last>>,
    manifest: PathBuf,
    /// Loaded files and articles' anchoring from the last rebuild, reused
    /// when unchanged (kept only by a session that rebuilds again: it costs
    /// memory).
    reuse: Option<site::Reuse>,
    /// The last good build's graph, for patching (a watching session).
    kept: Option<Kept>,
    /// The manifest not yet written (a watching session writes it when idle,
    /// [`Session::flush`], not while the browser waits).
    pending: Option<manifest::Manifest>,
    /// The pages a [`Session::rebuild_first`] left for [`Session::finish`].
    deferred: Option<Deferred>,
}

/// The pages of a patch left to write after its first pages.
struct Deferred {
    /// Indices into the kept page list, and their output paths.
    pages: Vec<usize>,
    paths: Vec<String>,
    /// The first pages as they were before.
    saved: Vec<Saved>,
}

/// One output as it was before a patch wrote it: its bytes (`None`: there
/// was none) and what the session knew of it.
struct Saved {
    path: String,
    bytes: Option<Vec<u8>>,
    last: Option<Last>,
}

/// What a watching session keeps of its last good build to patch it.
struct Kept {
    site: Site,
    tera: render::Templates,
    versions: Versions,
    pages: Vec<render::Page>,
    /// Page → its index in `pages`.
    page_index: HashMap<render::Page, usize>,
    readers: Readers,
    /// Input file (relative to the root) → what it is in the graph.
    inputs: HashMap<PathBuf, Input>,
    diags: Diagnostics,
    sources: Sources,
}

/// One output as staged: what was offered, its view fingerprint, its
/// dependencies' hash.
struct Output {
    offered: write::Offered,
    fingerprint: u64,
    deps: Option<u64>,
}

impl AsRef<write::Offered> for Output {
    fn as_ref(&self) -> &write::Offered {
        &self.offered
    }
}

/// The output's listing (path → stamp) with the last build's records, read
/// on a thread while the site loads ([`Session::start_from_manifest`]), or
/// already read.
enum Earlier {
    Read(Listing),
    Reading(crate::background::Background<Option<Listing>>),
}

/// `listing` with the records of `read` whose file still has the stamp the
/// manifest gives (none, and not `recorded`, when the manifest is damaged or
/// there is none).
fn recorded(read: Option<&manifest::Read>, mut listing: Listing) -> Listing {
    let Some(read) = read else {
        return listing;
    };
    let files = &mut listing.files;
    let whole = read.records(|path, rec| {
        if let Some(l) = files.get_mut(path)
            && l.stamp == rec.stamp
        {
            l.last = Some(Last::from(&rec));
        }
    });
    if whole.is_none() {
        files.values_mut().for_each(|l| l.last = None);
    }
    listing.recorded = whole.is_some();
    listing
}

/// A thread saving a build's search index and freeing its graph, joined
/// when this is dropped: the index is saved before the build returns.
struct Freed(Option<std::thread::JoinHandle<()>>);

impl Drop for Freed {
    fn drop(&mut self) {
        if let Some(thread) = self.0.take()
            && let Err(panic) = thread.join()
            && !std::thread::panicking()
        {
            std::panic::resume_unwind(panic);
        }
    }
}

/// Why a page could not be made.
enum Fail {
    /// (boxed: a result must stay the size of an [`Output`], see the test below)
    Render(Box<render::RenderError>),
    Io(std::io::Error),
}

/// What rendering and staging every output made: per output what was
/// offered, its view fingerprint and its dependencies' hash; and what failed.
struct Made {
    outputs: Vec<Output>,
    rendered: usize,
    failures: Vec<Fail>,
}

/// Offers a rendered page's bytes (`r`'s, given apart because the callers
/// hold them differently). A social image read from the card cache is
/// staged as a link to the cache's file; one drawn because the cache did
/// not have it is stored there once staged, as a link to the staged file
/// (see [`render::store_card`] for why that is safe).
fn offer_rendered(
    stager: &write::Stager<'_>,
    site: &crate::site::Site,
    path: &str,
    bytes: &[u8],
    r: &render::Rendered,
) -> std::io::Result<write::Offered> {
    let offered = match &r.card_cache {
        render::CardCache::Hit(file) => stager.offer_from(path, bytes, Some(file))?,
        _ => stager.offer(path, bytes)?,
    };
    if r.card_cache == render::CardCache::Missed {
        let file = stager.file_of(&offered);
        render::store_card(site, r.fingerprint, offered.hash, Some(&file), bytes);
    }
    Ok(offered)
}

#[derive(Clone, Copy)]
enum Input {
    Article(usize),
    Entity(usize),
}

impl Session {
    pub fn new(root: &Path, opts: BuildOptions) -> Session {
        let out = opts.output_dir.clone().unwrap_or_else(|| root.join("public"));
        let manifest = manifest::location(root, &out, &opts);
        Session {
            root: root.to_path_buf(),
            opts,
            out,
            last: None,
            manifest,
            reuse: None,
            kept: None,
            pending: None,
            deferred: None,
        }
    }

    /// A session for the rebuild loop (`serve`, `build --watch`): it keeps
    /// what the next rebuild can reuse.
    pub fn watching(root: &Path, opts: BuildOptions) -> Session {
        let mut s = Session::new(root, opts);
        s.reuse = Some(Default::default());
        s
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn output_dir(&self) -> &Path {
        &self.out
    }

    /// The last good build's graph, as a watching session keeps it to patch
    /// it (`serve`'s annotator reads it); `None` before the first good build
    /// and after a failed one.
    pub fn site(&self) -> Option<&Site> {
        self.kept.as_ref().map(|k| &k.site)
    }

    /// Loads, checks, renders and writes what changed. `changed` names the
    /// input files that changed (relative to the root; a folder stands for
    /// everything in it). A patch (see the module docs) relies on it; a full
    /// rebuild does not: file stamps decide what is read again.
    pub fn rebuild(&mut self, changed: &[PathBuf]) -> Outcome {
        self.rebuild_way(changed, false)
    }

    /// [`Session::rebuild`], but when the edit can be patched only the
    /// pages of the edited files (the article's page, the entity's page)
    /// are written before it returns: the other pages the edit changes are
    /// listed by [`Session::deferred`] and written by [`Session::finish`],
    /// which the caller calls next (any other call of the session finishes
    /// them first). Meanwhile the output holds the new pages of the edited
    /// files and, for the deferred ones, the previous build's: a preview
    /// server holds requests for those until they are written.
    pub fn rebuild_first(&mut self, changed: &[PathBuf]) -> Outcome {
        self.rebuild_way(changed, true)
    }

    fn rebuild_way(&mut self, changed: &[PathBuf], split: bool) -> Outcome {
        // (its outcome is the caller's to have taken with `finish`)
        let _ = self.finish();
        let t = std::time::Instant::now();
        if let Some(outcome) = self.patch(changed, split) {
            crate::timing::lap("patched", t);
            return outcome;
        }
        // the kept graph may be half patched, and a full build makes its own
        self.kept = None;
        self.full()
    }

    /// The output paths a [`Session::rebuild_first`] left to write: they
    /// still hold the previous build's bytes.
    pub fn deferred(&self) -> &[String] {
        self.deferred.as_ref().map_or(&[], |d| &d.paths)
    }

    /// Writes the pages [`Session::rebuild_first`] left; `None` when there
    /// are none. Should a template fail on one of them, the first pages are
    /// put back as they were and the site takes the full way, whose outcome
    /// (the diagnostics) this is.
    pub fn finish(&mut self) -> Option<Outcome> {
        let d = self.deferred.take()?;
        let t = std::time::Instant::now();
        let outcome = self.write_pages(&d.pages);
        crate::timing::lap("finished the patch", t);
        match outcome {
            Some(built @ Outcome::Built { .. }) => Some(built),
            failed => {
                self.put_back(d.saved);
                if let Some(failed) = failed {
                    return Some(failed);
                }
                self.kept = None;
                Some(self.full())
            }
        }
    }

    /// Writes the manifest a watching session has not written yet (the
    /// rebuild loop calls this when idle; dropping the session does too).
    pub fn flush(&mut self) {
        let _ = self.finish();
        if let Some(m) = self.pending.take() {
            let _ = manifest::write(&self.manifest, &self.out, &m, PathMap::default);
        }
    }

    /// The patch way (see the module docs); `None` when it does not apply.
    /// With `split`, only the pages of the edited files are written now and
    /// the others are left for [`Session::finish`].
    fn patch(&mut self, changed: &[PathBuf], split: bool) -> Option<Outcome> {
        let kept = self.kept.as_mut()?;
        if changed.is_empty() || self.last.is_none() {
            return None;
        }
        let (affected, edited) = kept.patch_graph(&self.root, changed)?;
        let (first, rest): (Vec<usize>, Vec<usize>) = if split {
            affected.iter().partition(|pi| edited.contains(pi))
        } else {
            (affected, Vec::new())
        };
        if first.is_empty() || rest.is_empty() {
            // nothing to put first, or nothing to leave for later
            let all: Vec<usize> = first.into_iter().chain(rest).collect();
            return self.write_pages(&all);
        }
        let saved = self.save(&first);
        let outcome = self.write_pages(&first)?;
        if let Outcome::Built { .. } = outcome {
            let kept = self.kept.as_ref()?;
            let paths = rest.iter().map(|&pi| kept.pages[pi].path(&kept.site)).collect();
            self.deferred = Some(Deferred {
                pages: rest,
                paths,
                saved,
            });
        }
        Some(outcome)
    }

    /// Renders the kept graph's pages `pages` (indices into its page list)
    /// whose dependencies changed, and commits those whose bytes changed;
    /// `None` when a template fails on one (nothing is written then).
    fn write_pages(&mut self, pages: &[usize]) -> Option<Outcome> {
        let kept = self.kept.as_ref()?;
        let t = std::time::Instant::now();
        let (site, tera, versions) = (&kept.site, &kept.tera, &kept.versions);
        let stager = write::Stager::new(&self.out, self.last.as_ref(), None).ok()?;
        let last = self.last.as_ref();
        let shared = render::Shared::new(site);
        let page_hashes = versions.pages(site);
        // (page path, dependencies, fingerprint, what was offered if rendered)
        type Looked = (String, u64, Option<(u64, write::Offered)>);
        let looked: Vec<Result<Looked, String>> = pages
            .par_iter()
            .map(|&pi| {
                let page = kept.pages[pi];
                let path = page.path(site);
                let deps = page_hashes.of(site, page);
                let was = last.and_then(|l| l.get(&path));
                if was.is_some_and(|w| w.read_the_same(deps)) {
                    return Ok((path, deps, None));
                }
                let previous = was.and_then(|w| w.fingerprint);
                let r = render::render_changed(site, tera, page, previous, &shared).map_err(|e| e.message)?;
                let offered = match &r.bytes {
                    Some(bytes) => Some((
                        r.fingerprint,
                        offer_rendered(&stager, site, &path, bytes, &r).map_err(|e| e.to_string())?,
                    )),
                    None => None,
                };
                Ok((path, deps, offered))
            })
            .collect();
        let t = crate::timing::lap(&format!("  patch: render + stage {} pages", pages.len()), t);
        let mut offered = Vec::new();
        // (recorded only once everything rendered: a full rebuild after a
        // failure must not take these pages for up to date)
        let mut updates = Vec::new();
        for r in looked {
            match r {
                Ok((path, deps, made)) => {
                    let made = made.map(|(fingerprint, o)| {
                        let last = Last {
                            hash: o.hash,
                            fingerprint: Some(fingerprint),
                            deps,
                        };
                        offered.push(o);
                        last
                    });
                    updates.push((path, deps, made));
                }
                // a template failing on the patched graph: the full way
                // reports it properly
                Err(_) => {
                    stager.abort();
                    return None;
                }
            }
        }
        let rendered = offered.len();
        let _ = manifest::remove(&self.manifest);
        let report = match stager.commit_changes(&offered) {
            Ok(r) => r,
            Err(e) => {
                let (diags, sources) = (kept.diags.clone(), kept.sources.clone());
                return Some(self.write_failed(diags, sources, e));
            }
        };
        crate::timing::lap("  patch: commit", t);
        self.record(updates);
        let kept = self.kept.as_ref()?;
        let written = self.last.as_ref().map_or(0, HashMap::len);
        Some(Outcome::Built {
            pages: kept.pages.len(),
            rendered,
            unchanged: written - report.written.len(),
            changed: report.written,
            removed: Vec::new(),
            size: None,
            diags: kept.diags.clone(),
            sources: kept.sources.clone(),
        })
    }

    /// Remembers the pages a patch looked at: the dependencies of each, and
    /// of those it wrote (`Some`) their fingerprints and hashes, and their
    /// records for the manifest written when idle.
    fn record(&mut self, updates: Vec<(String, u64, Option<Last>)>) {
        let Some(kept) = self.kept.as_ref() else { return };
        let known = self.last.get_or_insert_with(PathMap::default);
        let pending = self.pending.get_or_insert_with(|| manifest::Manifest {
            inputs: 0,
            clean: kept.diags.is_empty(),
            pages: kept.pages.len(),
            files: PathMap::default(),
        });
        for (path, deps, made) in updates {
            let Some(last) = made else {
                // (not written: the file it had before, found unchanged)
                if let Some(was) = known.get_mut(&path) {
                    was.deps = deps;
                }
                continue;
            };
            known.insert(path.clone(), last);
            match crate::files::Stamp::read(&self.out.join(&path)) {
                Some(stamp) => pending.files.insert(
                    path.clone(),
                    manifest::Record {
                        fingerprint: last.fingerprint.unwrap_or(0),
                        hash: last.hash,
                        stamp,
                        deps,
                    },
                ),
                None => pending.files.remove(&path),
            };
        }
        // a patch changes inputs: only a full build's digest is valid
        pending.inputs = 0;
    }

    /// What the pages `pages` are now, on disk and in the session's books,
    /// to put them back should the rest of their patch fail.
    fn save(&self, pages: &[usize]) -> Vec<Saved> {
        let Some(kept) = self.kept.as_ref() else {
            return Vec::new();
        };
        pages
            .iter()
            .map(|&pi| {
                let path = kept.pages[pi].path(&kept.site);
                Saved {
                    bytes: std::fs::read(self.out.join(&path)).ok(),
                    last: self.last.as_ref().and_then(|l| l.get(&path).copied()),
                    path,
                }
            })
            .collect()
    }

    /// Puts pages back as [`Session::save`] found them (best effort: what
    /// cannot be put back is forgotten, so the next build writes it).
    fn put_back(&mut self, saved: Vec<Saved>) {
        // (through a stager: atomic, as every write of the output)
        let back = write::Stager::new(&self.out, None, None).and_then(|stager| {
            let mut offered = Vec::new();
            for s in &saved {
                match &s.bytes {
                    Some(bytes) => offered.push(stager.offer(&s.path, bytes)?),
                    None => match std::fs::remove_file(self.out.join(&s.path)) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                        _ => {}
                    },
                }
            }
            stager.commit_changes(&offered)
        });
        for s in saved {
            if let Some(known) = self.last.as_mut() {
                match s.last.filter(|_| back.is_ok()) {
                    Some(v) => known.insert(s.path.clone(), v),
                    None => known.remove(&s.path),
                };
            }
            if let Some(p) = self.pending.as_mut() {
                p.files.remove(&s.path);
            }
        }
    }

    /// The full way (see the module docs).
    fn full(&mut self) -> Outcome {
        let (earlier, inputs, known) = match self.start_from_manifest() {
            Ok(start) => start,
            Err(nothing_changed) => return *nothing_changed,
        };
        let (mut diags, mut sources) = (Diagnostics::default(), Sources::default());
        // The templates are read and parsed beside the load (on one core after it, they kept
        // the other idle for 5-8 ms of a build after one edit).
        let root = self.root.clone();
        let templates = std::thread::spawn(move || {
            let (mut diags, mut sources) = (Diagnostics::default(), Sources::default());
            let tera = render::templates::load(&root, &mut diags, &mut sources);
            (tera, diags, sources)
        });
        let site = site::load(
            &self.root,
            &self.opts,
            self.reuse.as_mut(),
            known.as_ref(),
            false,
            render::card::undrawable_in_quote,
            &mut diags,
            &mut sources,
        );
        // (a path and a hash for each file of `content/articles/`: not kept
        // while the pages render)
        drop(known);
        crate::memory::release();
        let tera = match templates.join() {
            Ok((tera, d, s)) => {
                diags.extend(d);
                sources.extend(s);
                tera
            }
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let mut listing = earlier.map(|e| self.take_earlier(e));
        // (the folders' stamps, which a one-off build's manifest records)
        let folders = listing.as_mut().map(|l| std::mem::take(&mut l.folders));
        diags.sort();
        sources.retain_cited(&diags);
        let Some(tera) = tera.filter(|_| !diags.has_errors()) else {
            return Outcome::Failed { diags, sources };
        };
        let t = std::time::Instant::now();
        let mut pages = render::Page::all(&site);
        render::Page::largest_first(&site, &mut pages);
        let statics = self.statics(&site, &pages, &mut diags);
        let stager = match write::Stager::new(&self.out, self.last.as_ref(), listing) {
            Ok(s) => s,
            Err(e) => return self.write_failed(diags, sources, e),
        };
        // (recorded in the manifest too, so a new process can skip views)
        let versions = Versions::of(&site, &tera);
        let t = crate::timing::lap("page dependencies", t);
        let mut made = self.render_and_stage(&site, &tera, &pages, versions.as_ref(), &statics, &stager);
        crate::memory::release();
        let t = crate::timing::lap("render + stage", t);
        let mut io_error = None;
        let mut failed = Vec::new();
        for e in std::mem::take(&mut made.failures) {
            match e {
                Fail::Render(e) => failed.push(*e),
                Fail::Io(e) => io_error = io_error.or(Some(e)),
            }
        }
        diags.extend(render::RenderError::diagnostics(failed, &tera, &mut sources));
        if diags.has_errors() || io_error.is_some() {
            stager.abort();
            return match io_error {
                Some(e) => self.write_failed(diags, sources, e),
                None => Outcome::Failed { diags, sources },
            };
        }
        let page_count = pages.len();
        let large = render::Shared::large(&site);
        let images = made
            .outputs
            .iter()
            .map(|o| &o.offered)
            .filter(|o| o.path.ends_with(".png"));
        let unused_cards = render::unused_cards(&site, images.map(|o| o.hash));
        // A watching session keeps the graph to patch it; a one-off build
        // is done with it (the commit and the manifest need none of it): on
        // a thread of its own, beside the commit and the manifest, it takes
        // out what the search index stored for the next build needs (the
        // index and a key per document), frees the graph, then writes the
        // index — the graph not held while the manifest is made.
        let (graph, freeing) = match versions {
            Some(versions) if self.reuse.is_some() => (Some((site, tera, versions, pages)), None),
            _ => {
                let free = move || {
                    let unsaved = site.terms.unsaved(&site);
                    drop((site, tera, pages));
                    // (the graph's pages given back now, not over the next second, while the
                    // commit runs: they are most of the build's memory)
                    crate::memory::release();
                    if let Some(u) = unsaved {
                        u.save();
                    }
                };
                (None, Some(std::thread::spawn(free)))
            }
        };
        // (joined before this returns, whatever it returns; on a large site before the manifest
        // is made, so that the graph and the manifest are not held at once: at 50,000 articles
        // the build after one edit peaked at 505 MB, and at 481 MB so, for 0.1 s more)
        let mut freed = Freed(freeing);
        // The old manifest stops describing the output once the commit starts.
        let _ = manifest::remove(&self.manifest);
        let report = match stager.commit(&made.outputs) {
            Ok(report) => report,
            Err(e) => return self.write_failed(diags, sources, e),
        };
        let t = crate::timing::lap("commit writes", t);
        // The cards this output no longer shows leave the card cache, which would otherwise gain
        // a whole set at each change that every card shows (the site's title).
        unused_cards.remove();
        crate::timing::lap(
            &format!("removed {} unused cards from the cache", unused_cards.len()),
            t,
        );
        if large {
            drop(std::mem::replace(&mut freed, Freed(None)));
        }
        let t = std::time::Instant::now();
        // A one-off build's manifest records the folders' stamps: the ones the commit touched
        // are looked up again on a thread of their own while the files' records are made.
        let stamping = folders.filter(|_| self.reuse.is_none());
        let (written, removed) = (&report.written, &report.removed);
        let out = self.out.clone();
        let (size, rendered) = std::thread::scope(|scope| {
            let folders = stamping.map(|f| scope.spawn(move || listing::after_commit(&out, f, written, removed)));
            let folders = || folders.and_then(|f| f.join().ok()).unwrap_or_default();
            let m = self.manifest(inputs, diags.is_empty(), page_count, &mut made);
            let size = output_size(&m);
            let rendered = made.rendered;
            self.remember(m, made, t, folders);
            (size, rendered)
        });
        if let Some((site, tera, versions, pages)) = graph {
            let t = std::time::Instant::now();
            self.kept = Some(Kept::new(site, tera, versions, pages, &diags, &sources));
            crate::timing::lap("kept the graph for patching", t);
        }
        drop(freed);
        Outcome::Built {
            pages: page_count,
            rendered,
            changed: report.written,
            removed: report.removed,
            unchanged: report.unchanged,
            size: Some(size),
            diags,
            sources,
        }
    }

    /// The first build of a session starts from the manifest of the last
    /// build, if it still describes the output directory: what is on disk
    /// (the listing) and the inputs' digest, or — when no input changed and
    /// the output is intact — the finished outcome, with nothing loaded.
    /// When an input changed, the output is listed on a thread of its own
    /// while the site loads ([`Earlier`]).
    fn start_from_manifest(&mut self) -> Result<(Option<Earlier>, u64, Option<KnownHashes>), Box<Outcome>> {
        if self.last.is_some() {
            return Ok((None, 0, None));
        }
        let t = std::time::Instant::now();
        // finish an interrupted commit first, so the listing is current
        // (an error here comes back from `Stager::new` later)
        let _ = write::recover(&self.out);
        // (a session that keeps what it loads for the next rebuild — serve's —
        // reads every article, so that its caches hold them all: it is given
        // no hashes to make them from the store instead)
        let one_off = self.reuse.is_none();
        // The output is listed as soon as the manifest is read, on a thread of its own at the
        // lowest priority: when an input changed (the usual case), the listing is needed only
        // once the site is loaded, and fills the gaps the digest and the load leave. When none
        // did, it is needed at once: it is stopped, and the output listed again, in parallel.
        let stop = Arc::new(AtomicBool::new(false));
        let ((inputs, known), (manifest, listing)) = rayon::join(
            || match one_off {
                true => {
                    let (inputs, known) = crate::output::inputs::digest_and_known(&self.root, &self.opts);
                    (inputs, Some(known))
                }
                false => (crate::output::inputs::digest(&self.root, &self.opts), None),
            },
            || {
                let read = manifest::Read::at(&self.manifest).map(Arc::new);
                let (out, last, stopped) = (self.out.clone(), read.clone(), stop.clone());
                let listing = crate::background::spawn(move || {
                    let on_disk = listing::list_until(&out, last.as_deref(), &stopped)?;
                    Some(recorded(last.as_deref(), on_disk))
                });
                listing.lower();
                (read, listing)
            },
        );
        let earlier = match manifest {
            Some(read) if read.clean && read.inputs == inputs => {
                stop.store(true, Ordering::Relaxed);
                let (on_disk, m) = rayon::join(|| listing::list(&self.out, Some(&read)), || read.manifest());
                let files = &on_disk.files;
                let intact = |path: &String, r: &manifest::Record| files.get(path).map(|l| l.stamp) == Some(r.stamp);
                if let Some(m) = m
                    && files.len() == m.files.len()
                    && m.files.iter().all(|(path, r)| intact(path, r))
                {
                    crate::timing::lap("nothing changed (manifest)", t);
                    return Err(Box::new(self.nothing_changed(m)));
                }
                Earlier::Read(recorded(Some(&read), on_disk))
            }
            // (never stopped on this way)
            _ => Earlier::Reading(listing),
        };
        crate::timing::lap("read the manifest", t);
        Ok((Some(earlier), inputs, known))
    }

    /// The outcome of a build that found nothing changed since the build
    /// whose manifest is `m`.
    fn nothing_changed(&mut self, m: manifest::Manifest) -> Outcome {
        let (pages, unchanged, size) = (m.pages, m.files.len(), output_size(&m));
        // (its pages' dependencies not taken: the next build compares views)
        let last = |r: manifest::Record| Last {
            deps: 0,
            ..Last::from(&r)
        };
        self.last = Some(m.files.into_iter().map(|(p, r)| (p, last(r))).collect());
        Outcome::Built {
            pages,
            rendered: 0,
            changed: Vec::new(),
            removed: Vec::new(),
            unchanged,
            size: Some(size),
            diags: Diagnostics::default(),
            sources: Sources::default(),
        }
    }

    /// The listing of the output (path → stamp), with the last build's
    /// records of the files it still holds as that build left them.
    fn take_earlier(&mut self, earlier: Earlier) -> Listing {
        match earlier {
            Earlier::Read(listing) => listing,
            Earlier::Reading(thread) => thread.join().unwrap_or_default(),
        }
    }

    /// The static files to publish: a page of the same path wins.
    fn statics(&self, site: &Site, pages: &[render::Page], diags: &mut Diagnostics) -> Vec<(String, Vec<u8>)> {
        let mut statics = crate::output::statics::list(&self.root, diags);
        let names: HashSet<&str> = statics.iter().map(|(n, _)| n.as_str()).collect();
        // (every page's path made to find the few a static file shares: in parallel, 70,000 of
        // them at 10,000 articles)
        let taken: HashSet<String> = pages
            .par_iter()
            .map(|p| p.path(site))
            .filter(|p| names.contains(p.as_str()))
            .collect();
        statics.retain(|(name, _)| !taken.contains(name));
        statics
    }

    /// Every page rendered in parallel — or not even given a view when
    /// nothing it reads changed, or not rendered when its view's fingerprint
    /// is the last one — and handed to the stager as it is made (only hashes
    /// stay in memory); then the static files.
    fn render_and_stage(
        &self,
        site: &Site,
        tera: &render::Templates,
        pages: &[render::Page],
        versions: Option<&Versions>,
        statics: &[(String, Vec<u8>)],
        stager: &write::Stager<'_>,
    ) -> Made {
        let rendered = std::sync::atomic::AtomicUsize::new(0);
        let per_kind = crate::timing::PerKind::default();
        let skipped = crate::timing::PerKind::default();
        let bar = crate::progress::Bar::new("rendering pages", pages.len());
        let shared = render::Shared::new(site);
        let page_hashes = versions.map(|v| v.pages(site));
        // per output: what was offered, its view fingerprint, its dependencies
        let results: Vec<Result<Output, Fail>> = pages
            .par_iter()
            // (rayon splits the pages into pieces a thread goes through alone: with large
            // pieces, the last 0.3-0.5 s of a cold build at 10,000 articles ran on one of two
            // cores; pieces of at most 16 pages end together)
            .with_max_len(16)
            .map(|p| {
                bar.inc();
                let start = std::time::Instant::now();
                let path = p.path(site);
                // the last fingerprint counts only if its output is still there
                let intact = stager.intact(&path);
                let was = intact.map(|(w, _)| w);
                let previous = was.and_then(|w| w.fingerprint);
                let deps = page_hashes.as_ref().map(|h| h.of(site, *p));
                // Nothing the view reads changed: not even the view is built.
                if let (Some(d), Some(fp), Some(found)) = (deps, previous, intact)
                    && was.is_some_and(|w| w.read_the_same(d))
                {
                    skipped.add("(view not built)", start);
                    return Ok(Output {
                        offered: stager.keep(&path, found),
                        fingerprint: fp,
                        deps,
                    });
                }
                let r =
                    render::render_changed(site, tera, *p, previous, &shared).map_err(|e| Fail::Render(Box::new(e)))?;
                let offered = match (&r.bytes, intact) {
                    (None, Some(found)) => stager.keep(&path, found),
                    (Some(bytes), _) => offer_rendered(stager, site, &path, bytes, &r).map_err(Fail::Io)?,
                    // (no previous fingerprint without an intact file)
                    (None, None) => {
                        let bytes = render::render(site, tera, *p, &shared).map_err(|e| Fail::Render(Box::new(e)))?;
                        stager.offer(&path, &bytes).map_err(Fail::Io)?
                    }
                };
                if r.bytes.is_some() {
                    rendered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    per_kind.add(p.kind_name(), start);
                } else {
                    skipped.add(p.kind_name(), start);
                }
                Ok(Output {
                    offered,
                    fingerprint: r.fingerprint,
                    deps,
                })
            })
            .chain(statics.par_iter().map(|(name, bytes)| {
                let offered = stager.offer(name, bytes).map_err(Fail::Io)?;
                Ok(Output {
                    offered,
                    fingerprint: 0,
                    deps: None,
                })
            }))
            .collect();
        per_kind.print();
        if crate::timing::on() {
            eprintln!("[timing]   not rendered again (fingerprint unchanged):");
        }
        skipped.print();
        let mut failures = Vec::new();
        // (in place: `Output` and the result are the same size, and at 50,000
        // articles a copy of the 320,000 would add to the build's peak)
        let outputs = results
            .into_iter()
            .filter_map(|r| r.map_err(|e| failures.push(e)).ok())
            .collect();
        Made {
            outputs,
            rendered: rendered.into_inner(),
            failures,
        }
    }

    /// The manifest of a committed build: every output as it is now. A
    /// one-off build moves the paths of `made` into it (it needs them for
    /// nothing else, and a copy of 320,000 paths at the end of a build adds to
    /// its peak); a watching session keeps both.
    fn manifest(&self, inputs: u64, clean: bool, pages: usize, made: &mut Made) -> manifest::Manifest {
        let keep_paths = self.reuse.is_some();
        let files = made
            .outputs
            .par_iter_mut()
            .filter_map(|output| {
                let o = &mut output.offered;
                // written files: as they are now
                let stamp = o.stamp.or_else(|| crate::files::Stamp::read(&self.out.join(&o.path)))?;
                let r = manifest::Record {
                    fingerprint: output.fingerprint,
                    hash: o.hash,
                    stamp,
                    deps: output.deps.unwrap_or(0),
                };
                let path = if keep_paths {
                    o.path.clone()
                } else {
                    std::mem::take(&mut o.path)
                };
                Some((path, r))
            })
            .collect();
        manifest::Manifest {
            inputs,
            clean,
            pages,
            files,
        }
    }

    /// After a commit: a watching session keeps what the next rebuild
    /// compares with (and writes the manifest when idle); a one-off build
    /// writes the manifest for the next process and keeps nothing. Without a
    /// manifest the next build just renders everything.
    fn remember(
        &mut self,
        m: manifest::Manifest,
        made: Made,
        t: std::time::Instant,
        folders: impl FnOnce() -> PathMap<listing::FolderStamp>,
    ) {
        if self.reuse.is_some() {
            let last = |o: Output| {
                let fingerprint = m.files.get(&o.offered.path).map(|r| r.fingerprint);
                let deps = o.deps.unwrap_or(0);
                (
                    o.offered.path,
                    Last {
                        hash: o.offered.hash,
                        fingerprint,
                        deps,
                    },
                )
            };
            self.last = Some(made.outputs.into_iter().map(last).collect());
            self.pending = Some(m);
        } else {
            // (the offered files' records, their paths moved into `m`: 60 MB at
            // 50,000 articles, not held while the manifest is written)
            drop(made);
            let _ = manifest::write(&self.manifest, &self.out, &m, folders);
            crate::timing::lap("write the manifest", t);
            self.last = None;
        }
    }

    fn write_failed(&mut self, mut diags: Diagnostics, sources: Sources, e: std::io::Error) -> Outcome {
        self.last = None;
        diags.push(Diagnostic::error(
            &self.out,
            None,
            format!("cannot write the output: {e}"),
        ));
        Outcome::Failed { diags, sources }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.flush();
    }
}

impl Kept {
    /// Edits the graph in place for the changed files (see the module
    /// docs): the pages to look at again, and among them those of the
    /// edited files themselves; `None` when the edit needs the full way
    /// (the graph may then be half patched).
    fn patch_graph(&mut self, root: &Path, changed: &[PathBuf]) -> Option<(Vec<usize>, Vec<usize>)> {
        // Every changed file is an article's or an entity's, with no problem
        // reported in it last time.
        let mut articles = std::collections::BTreeSet::new();
        let mut entities = std::collections::BTreeSet::new();
        for p in changed {
            match self.inputs.get(p)? {
                Input::Article(i) => articles.insert(*i),
                Input::Entity(e) => entities.insert(*e),
            };
            if self.diags.iter().any(|d| d.file == *p) {
                return None;
            }
        }
        let mut patched = Patched::default();
        for &ai in &articles {
            self.patch_article(root, ai, &mut patched)?;
        }
        for &e in &entities {
            let rel = self.site.entities[e].src.path.clone();
            let (entity, diags, _) = content::load_entity_file(root, &rel);
            if !diags.is_empty() {
                return None;
            }
            self.site.patch_entity(e, entity?, &mut patched)?;
        }
        let t = std::time::Instant::now();
        let nodes = self.versions.refresh(
            &self.site,
            &patched.articles,
            &patched.entities,
            &patched.quotes,
            patched.graph,
        );
        let affected = self.readers.pages(&nodes);
        crate::timing::lap(
            &format!("  patch: {} nodes, {} pages to look at", nodes.len(), affected.len()),
            t,
        );
        let edited = articles
            .iter()
            .map(|&ai| render::Page::Article(ai))
            .chain(entities.iter().flat_map(|&e| render::Page::of_entity(&self.site, e)))
            .filter_map(|p| self.page_index.get(&p).copied())
            .collect();
        Some((affected, edited))
    }

    /// Article `ai` loaded again and put in place, with the readers of the
    /// pages whose reads may change; `None` when it needs the full way.
    fn patch_article(&mut self, root: &Path, ai: usize, patched: &mut Patched) -> Option<()> {
        let rel = self.site.articles[ai].src.path.clone();
        let (article, diags, sources) = content::load_article_file(root, &rel);
        if !diags.is_empty() {
            return None;
        }
        let edit = self.site.prepare_article(ai, article?, &sources)?;
        // the pages whose reads may change with the graph's shape
        let reshaped: Vec<(usize, render::Page)> = std::iter::once(render::Page::Article(ai))
            .chain(edit.related.iter().map(|&b| render::Page::Article(b)))
            .chain(
                edit.entities
                    .iter()
                    .flat_map(|&e| render::Page::of_entity(&self.site, e)),
            )
            .filter_map(|p| Some((*self.page_index.get(&p)?, p)))
            .collect();
        let before = Readers::snapshot(&self.site, &reshaped);
        // an entity mentioned for the first time, or no longer, gains or loses its hover
        // preview file: the set of pages changes, which only the full way handles
        let mentioned = |site: &Site| -> Vec<bool> {
            edit.entities
                .iter()
                .map(|&e| !site.entities[e].mentions.is_empty())
                .collect()
        };
        // (and an entity whose mentions gain or lose a page of their list, a page)
        let pages = |site: &Site, entities: &[usize]| -> Vec<usize> {
            entities.iter().map(|&e| render::Page::entity_pages(site, e)).collect()
        };
        let (was, touched) = (mentioned(&self.site), edit.entities.clone());
        let pages_were = pages(&self.site, &touched);
        self.site.apply_article(edit, patched);
        if touched
            .iter()
            .zip(was)
            .any(|(&e, was)| self.site.entities[e].mentions.is_empty() == was)
            || pages(&self.site, &touched) != pages_were
        {
            return None;
        }
        self.readers.update(&self.site, &reshaped, before);
        Some(())
    }

    fn new(
        site: Site,
        tera: render::Templates,
        versions: Versions,
        pages: Vec<render::Page>,
        diags: &Diagnostics,
        sources: &Sources,
    ) -> Kept {
        let readers = Readers::of(&site, &pages);
        let mut inputs = HashMap::new();
        for (i, a) in site.articles.iter().enumerate() {
            // brat articles are made of several files and define entities:
            // a full build handles their edits
            if a.src.is_markdown() {
                inputs.insert(a.src.path.clone(), Input::Article(i));
                if let Some(p) = &a.src.annotations_path {
                    inputs.insert(p.clone(), Input::Article(i));
                }
            }
        }
        for (e, n) in site.entities.iter().enumerate() {
            if n.src.path.extension().is_some_and(|x| x == "md") {
                inputs.insert(n.src.path.clone(), Input::Entity(e));
            }
        }
        Kept {
            page_index: pages.iter().enumerate().map(|(i, p)| (*p, i)).collect(),
            site,
            tera,
            versions,
            pages,
            readers,
            inputs,
            diags: diags.clone(),
            sources: sources.clone(),
        }
    }
}

/// The size of what a manifest records (every output file, with the size it was written with).
fn output_size(m: &manifest::Manifest) -> crate::output::hosting::OutputSize {
    crate::output::hosting::OutputSize::of(m.files.iter().map(|(p, r)| (p.as_str(), r.stamp.size)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `render_and_stage` takes the failures out of its results in place
    /// (`Vec::into_iter().filter_map().collect()` reuses the allocation): at
    /// 50,000 articles a copy of the 320,000 outputs would add to the build's
    /// peak. That needs a result and an output of the same size.
    #[test]
    fn an_output_is_the_size_of_its_result() {
        assert_eq!(size_of::<Result<Output, Fail>>(), size_of::<Output>());
    }
}
