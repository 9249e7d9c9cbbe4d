//! The rebuild loop's state: what the last successful build wrote, so the
//! next build (after an edit) writes only the files whose bytes changed and
//! removes the ones no longer produced. `glossa build` is one rebuild from
//! nothing; `serve` and `build --watch` call [`Session::rebuild`] after every
//! batch of file events — the same code path either way.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diagnostics::{Diagnostic, Diagnostics, Sources};
use crate::{BuildOptions, Loaded, load_cached, manifest, render, write};

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
    /// Output path → hash of the bytes last written there (by this session
    /// or, from the manifest, by the last build).
    written: Option<HashMap<String, u64>>,
    /// Output path → fingerprint of what the page was made from.
    fingerprints: HashMap<String, u64>,
    /// Output path → hash of the graph nodes the page's view reads (see
    /// [`crate::deps`]), from the last rebuild of this session.
    deps: HashMap<String, u64>,
    manifest: PathBuf,
    /// Loaded files and articles' anchoring from the last rebuild, reused
    /// when unchanged (kept only by a session that rebuilds again: it costs
    /// memory).
    reuse: Option<crate::Reuse>,
}

impl Session {
    pub fn new(root: &Path, opts: BuildOptions) -> Session {
        let out = opts.output_dir.clone().unwrap_or_else(|| root.join("public"));
        let manifest = manifest::location(root, &out, &opts);
        Session {
            root: root.to_path_buf(),
            opts,
            out,
            written: None,
            fingerprints: HashMap::new(),
            deps: HashMap::new(),
            manifest,
            reuse: None,
        }
    }

    /// A session for the rebuild loop (`serve`, `build --watch`): it keeps
    /// what the next rebuild can reuse.
    pub fn watching(root: &Path, opts: BuildOptions) -> Session {
        Session {
            reuse: Some(Default::default()),
            ..Session::new(root, opts)
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn output_dir(&self) -> &Path {
        &self.out
    }

    /// Loads, checks, renders and writes what changed. `_changed` names the
    /// input files that changed (relative to the root) but is not relied on:
    /// file stamps decide what is read again (a watcher can miss events). The
    /// graph is re-linked, pages whose inputs or fingerprint did not change
    /// are not rendered again, and only differing outputs are written.
    pub fn rebuild(&mut self, _changed: &[PathBuf]) -> Outcome {
        // The first build of a session starts from the manifest of the last
        // build, if it still describes the output directory.
        let mut listing = None;
        let mut inputs = 0;
        if self.written.is_none() {
            let t = std::time::Instant::now();
            // finish an interrupted commit first, so the listing is current
            // (an error here comes back from `Stager::new` below)
            let _ = write::recover(&self.out);
            inputs = manifest::inputs_digest(&self.root, &self.opts);
            let on_disk = manifest::list_output(&self.out);
            if let Some(m) = manifest::read(&self.manifest) {
                let intact: HashMap<&String, &manifest::Record> = m
                    .files
                    .iter()
                    .filter(|(path, r)| on_disk.get(*path) == Some(&r.stamp))
                    .collect();
                if m.clean && m.inputs == inputs && intact.len() == m.files.len() && on_disk.len() == m.files.len() {
                    crate::timing::lap("nothing changed (manifest)", t);
                    self.written = Some(m.files.iter().map(|(p, r)| (p.clone(), r.hash)).collect());
                    self.fingerprints = m.files.iter().map(|(p, r)| (p.clone(), r.fingerprint)).collect();
                    return Outcome::Built {
                        pages: m.pages,
                        rendered: 0,
                        changed: Vec::new(),
                        removed: Vec::new(),
                        unchanged: m.files.len(),
                        diags: Diagnostics::default(),
                        sources: Sources::default(),
                    };
                }
                self.written = Some(intact.iter().map(|(p, r)| ((*p).clone(), r.hash)).collect());
                self.fingerprints = intact.iter().map(|(p, r)| ((*p).clone(), r.fingerprint)).collect();
            }
            listing = Some(on_disk.into_keys().collect::<std::collections::HashSet<String>>());
            crate::timing::lap("read the manifest", t);
        }
        let Loaded {
            site,
            tera,
            mut diags,
            sources,
        } = load_cached(&self.root, &self.opts, self.reuse.as_mut());
        let Some(tera) = tera.filter(|_| !diags.has_errors()) else {
            return Outcome::Failed { diags, sources };
        };
        // Static files first (a page of the same path wins), then every
        // page rendered in parallel and handed to the stager as it is made:
        // only hashes stay in memory.
        let t = std::time::Instant::now();
        let pages = render::Page::all(&site);
        let page_paths: std::collections::HashSet<String> = pages.iter().map(|p| p.path(&site)).collect();
        let statics: Vec<(String, Vec<u8>)> = crate::static_files(&self.root, &mut diags)
            .into_iter()
            .filter(|(name, _)| !page_paths.contains(name))
            .collect();
        let stager = match write::Stager::new(&self.out, self.written.as_ref(), listing) {
            Ok(s) => s,
            Err(e) => return self.write_failed(diags, sources, e),
        };
        enum Fail {
            Render(render::RenderError),
            Io(std::io::Error),
        }
        let fingerprints = &self.fingerprints;
        let last_deps = &self.deps;
        let versions = if self.reuse.is_some() {
            crate::deps::Versions::of(&site, &tera)
        } else {
            None
        };
        let t = crate::timing::lap("page dependencies", t);
        let rendered = std::sync::atomic::AtomicUsize::new(0);
        let per_kind = crate::timing::PerKind::default();
        let skipped = crate::timing::PerKind::default();
        // per output: what was offered, its view fingerprint, its dependencies
        type Made = (write::Offered, u64, Option<u64>);
        let results: Vec<Result<Made, Fail>> = pages
            .par_iter()
            .map(|p| {
                let start = std::time::Instant::now();
                let path = p.path(&site);
                // the last fingerprint counts only if its output is still there
                let intact = stager.intact(&path);
                let previous = fingerprints.get(&path).copied().filter(|_| intact.is_some());
                let deps = versions.as_ref().and_then(|v| v.page(&site, *p));
                // Nothing the view reads changed: not even the view is built.
                if let (Some(d), Some(fp), Some(found)) = (deps, previous, intact)
                    && last_deps.get(&path) == Some(&d)
                {
                    skipped.add("(view not built)", start);
                    return Ok((stager.keep(&path, found), fp, deps));
                }
                let r = render::render_changed(&site, &tera, *p, previous).map_err(Fail::Render)?;
                let offered = match (&r.bytes, intact) {
                    (None, Some(found)) => stager.keep(&path, found),
                    (Some(bytes), _) => stager.offer(&path, bytes).map_err(Fail::Io)?,
                    // (no previous fingerprint without an intact file)
                    (None, None) => {
                        let bytes = render::render(&site, &tera, *p).map_err(Fail::Render)?;
                        stager.offer(&path, &bytes).map_err(Fail::Io)?
                    }
                };
                if r.bytes.is_some() {
                    rendered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    per_kind.add(p.kind_name(), start);
                } else {
                    skipped.add(p.kind_name(), start);
                }
                Ok((offered, r.fingerprint, deps))
            })
            .chain(
                statics
                    .par_iter()
                    .map(|(name, bytes)| stager.offer(name, bytes).map(|o| (o, 0, None)).map_err(Fail::Io)),
            )
            .collect();
        let t = crate::timing::lap("render + stage", t);
        per_kind.print();
        if crate::timing::on() {
            eprintln!("[timing]   not rendered again (fingerprint unchanged):");
        }
        skipped.print();
        let mut offered = Vec::with_capacity(results.len());
        let mut prints = Vec::with_capacity(results.len());
        let mut new_deps = HashMap::new();
        let mut io_error = None;
        for r in results {
            match r {
                Ok((o, fp, deps)) => {
                    if let Some(d) = deps {
                        new_deps.insert(o.path.clone(), d);
                    }
                    prints.push(fp);
                    offered.push(o);
                }
                Err(Fail::Render(e)) => diags.push(
                    Diagnostic::error(
                        Path::new("templates"),
                        None,
                        format!("rendering {} failed: {}", e.page, e.message),
                    )
                    .with_hint("a template uses a variable the page does not have; see docs/templates.md"),
                ),
                Err(Fail::Io(e)) => io_error = io_error.or(Some(e)),
            }
        }
        if diags.has_errors() || io_error.is_some() {
            stager.abort();
            return match io_error {
                Some(e) => self.write_failed(diags, sources, e),
                None => Outcome::Failed { diags, sources },
            };
        }
        let page_count = pages.len();
        // The old manifest stops describing the output once the commit starts.
        let _ = manifest::remove(&self.manifest);
        match stager.commit(&offered) {
            Ok(report) => {
                let t = crate::timing::lap("commit writes", t);
                let m = manifest::Manifest {
                    inputs,
                    clean: diags.is_empty(),
                    pages: page_count,
                    files: offered
                        .par_iter()
                        .zip(&prints)
                        .filter_map(|(o, &fingerprint)| {
                            // written files: as they are now
                            let stamp = o.stamp.or_else(|| write::Stamp::read(&self.out.join(&o.path)))?;
                            let r = manifest::Record {
                                fingerprint,
                                hash: o.hash,
                                stamp,
                            };
                            Some((o.path.clone(), r))
                        })
                        .collect(),
                };
                // Without a manifest the next build just renders everything.
                let _ = manifest::write(&self.manifest, &self.out, &m);
                crate::timing::lap("write the manifest", t);
                self.fingerprints = m.files.iter().map(|(p, r)| (p.clone(), r.fingerprint)).collect();
                self.deps = new_deps;
                self.written = Some(offered.into_iter().map(|o| (o.path, o.hash)).collect());
                Outcome::Built {
                    pages: page_count,
                    rendered: rendered.into_inner(),
                    changed: report.written,
                    removed: report.removed,
                    unchanged: report.unchanged,
                    diags,
                    sources,
                }
            }
            Err(e) => self.write_failed(diags, sources, e),
        }
    }

    fn write_failed(&mut self, mut diags: Diagnostics, sources: Sources, e: std::io::Error) -> Outcome {
        self.written = None;
        self.fingerprints.clear();
        self.deps.clear();
        diags.push(Diagnostic::error(
            &self.out,
            None,
            format!("cannot write the output: {e}"),
        ));
        Outcome::Failed { diags, sources }
    }
}
