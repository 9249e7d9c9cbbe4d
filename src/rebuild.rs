//! The rebuild loop's state: what the last successful build wrote, so the
//! next build (after an edit) writes only the files whose bytes changed and
//! removes the ones no longer produced. `glossa build` is one rebuild from
//! nothing; `serve` and `build --watch` call [`Session::rebuild`] after every
//! batch of file events — the same code path either way.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

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
        let mut files = match render::render_all(&site, &tera) {
            Ok(f) => f,
            Err(errs) => {
                for e in errs {
                    diags.push(
                        Diagnostic::error(
                            Path::new("templates"),
                            None,
                            format!("rendering {} failed: {}", e.page, e.message),
                        )
                        .with_hint("a template uses a variable the page does not have; see docs/templates.md"),
                    );
                }
                return Outcome::Failed { diags, sources };
            }
        };
        let pages = files.len();
        files.extend(crate::static_files(&self.root, &mut diags));
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files.dedup_by(|later, earlier| later.0 == earlier.0);
        if let Some(bad) = files.iter().find(|(rel, _)| !write::is_safe_relative(rel)) {
            diags.push(Diagnostic::error(
                &self.out,
                None,
                format!("refusing to write outside the output directory: {:?}", bad.0),
            ));
            return Outcome::Failed { diags, sources };
        }
        let t = std::time::Instant::now();
        let result = write::plan(&self.out, &files, self.written.as_ref())
            .and_then(|plan| {
                let t = crate::timing::lap("plan writes", t);
                let r = write::commit(&self.out, &plan);
                crate::timing::lap("commit writes", t);
                r
            })
            .map(|r| (r.stats(), r.written, r.removed));
        match result {
            Ok((stats, changed, removed)) => {
                self.written = Some(files.iter().map(|(p, b)| (p.clone(), write::hash(b))).collect());
                Outcome::Built {
                    pages,
                    changed,
                    removed,
                    unchanged: stats.unchanged,
                    diags,
                    sources,
                }
            }
            Err(e) => {
                self.written = None;
                diags.push(Diagnostic::error(
                    &self.out,
                    None,
                    format!("cannot write the output: {e}"),
                ));
                Outcome::Failed { diags, sources }
            }
        }
    }
}
