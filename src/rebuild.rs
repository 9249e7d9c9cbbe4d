//! The rebuild loop's state: what the last successful build wrote, so the
//! next build (after an edit) writes only the files whose bytes changed and
//! removes the ones no longer produced. `glossa build` is one rebuild from
//! nothing; `serve` and `build --watch` call [`Session::rebuild`] after every
//! batch of file events — the same code path either way.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diagnostics::{Diagnostic, Diagnostics, Sources};
use crate::{BuildOptions, Loaded, load, render, write};

/// The outcome of one rebuild.
pub enum Outcome {
    /// The site was written; `changed` and `removed` are output paths
    /// (relative, `/`-separated) whose bytes changed or that went away.
    Built {
        pages: usize,
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
    /// or found on disk at the first build).
    written: Option<HashMap<String, u64>>,
}

impl Session {
    pub fn new(root: &Path, opts: BuildOptions) -> Session {
        let out = opts.output_dir.clone().unwrap_or_else(|| root.join("public"));
        Session {
            root: root.to_path_buf(),
            opts,
            out,
            written: None,
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn output_dir(&self) -> &Path {
        &self.out
    }

    /// Loads, checks, renders and writes what changed. `_changed` names the
    /// input files that changed (relative to the root); the whole site is
    /// re-derived and only differing outputs are written.
    pub fn rebuild(&mut self, _changed: &[PathBuf]) -> Outcome {
        let Loaded {
            site,
            tera,
            mut diags,
            sources,
        } = load(&self.root, &self.opts);
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
        let stager = match write::Stager::new(&self.out, self.written.as_ref()) {
            Ok(s) => s,
            Err(e) => return self.write_failed(diags, sources, e),
        };
        enum Fail {
            Render(render::RenderError),
            Io(std::io::Error),
        }
        let results: Vec<Result<write::Offered, Fail>> = pages
            .par_iter()
            .map(|p| {
                let bytes = render::render(&site, &tera, *p).map_err(Fail::Render)?;
                stager.offer(&p.path(&site), &bytes).map_err(Fail::Io)
            })
            .chain(
                statics
                    .par_iter()
                    .map(|(name, bytes)| stager.offer(name, bytes).map_err(Fail::Io)),
            )
            .collect();
        let t = crate::timing::lap("render + stage", t);
        let mut offered = Vec::with_capacity(results.len());
        let mut io_error = None;
        for r in results {
            match r {
                Ok(o) => offered.push(o),
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
        match stager.commit(&offered) {
            Ok(report) => {
                crate::timing::lap("commit writes", t);
                self.written = Some(offered.into_iter().map(|o| (o.path, o.hash)).collect());
                Outcome::Built {
                    pages: page_count,
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
        diags.push(Diagnostic::error(
            &self.out,
            None,
            format!("cannot write the output: {e}"),
        ));
        Outcome::Failed { diags, sources }
    }
}
