//! The rebuild loop's state: what the last successful build wrote, so the
//! next build (after an edit) writes only the files whose bytes changed and
//! removes the ones no longer produced. `glossa build` is one rebuild from
//! nothing; `serve` and `build --watch` call [`Session::rebuild`] after every
//! batch of file events — the same code path either way.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use crate::diagnostics::{Diagnostic, Diagnostics, Sources};
use crate::{BuildOptions, Loaded, load, render, write};

/// The outcome of one rebuild.
pub enum Outcome {
    /// The site was written; `changed` and `removed` are output paths
    /// (relative, `/`-separated) whose bytes changed or that went away.
    Built { pages: usize, changed: Vec<String>, removed: Vec<String>, unchanged: usize, diags: Diagnostics, sources: Sources },
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

fn hash(bytes: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

impl Session {
    pub fn new(root: &Path, opts: BuildOptions) -> Session {
        let out = opts.output_dir.clone().unwrap_or_else(|| root.join("public"));
        Session { root: root.to_path_buf(), opts, out, written: None }
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
        let Loaded { site, tera, mut diags, sources } = load(&self.root, &self.opts);
        let Some(tera) = tera.filter(|_| !diags.has_errors()) else {
            return Outcome::Failed { diags, sources };
        };
        let mut files = match render::render_all(&site, &tera) {
            Ok(f) => f,
            Err(errs) => {
                for e in errs {
                    diags.push(
                        Diagnostic::error(Path::new("templates"), None, format!("rendering {} failed: {}", e.page, e.message))
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
            diags.push(Diagnostic::error(&self.out, None, format!("refusing to write outside the output directory: {:?}", bad.0)));
            return Outcome::Failed { diags, sources };
        }
        let result = match &self.written {
            // First build: compare with what is on disk.
            None => write::write_site(&self.out, &files).map(|r| (r.stats(), r.written, r.removed)),
            Some(prev) => self.write_diff(prev, &files),
        };
        match result {
            Ok((stats, changed, removed)) => {
                self.written = Some(files.iter().map(|(p, b)| (p.clone(), hash(b))).collect());
                Outcome::Built { pages, changed, removed, unchanged: stats.unchanged, diags, sources }
            }
            Err(e) => {
                self.written = None;
                diags.push(Diagnostic::error(&self.out, None, format!("cannot write the output: {e}")));
                Outcome::Failed { diags, sources }
            }
        }
    }

    fn write_diff(
        &self,
        prev: &HashMap<String, u64>,
        files: &[(String, Vec<u8>)],
    ) -> std::io::Result<(write::WriteStats, Vec<String>, Vec<String>)> {
        let mut stats = write::WriteStats::default();
        let mut changed = Vec::new();
        for (rel, bytes) in files {
            if prev.get(rel) == Some(&hash(bytes)) && self.out.join(rel).is_file() {
                stats.unchanged += 1;
                continue;
            }
            if write::write_if_changed(&self.out.join(rel), bytes)? {
                stats.written += 1;
                changed.push(rel.clone());
            } else {
                stats.unchanged += 1;
            }
        }
        let now: std::collections::HashSet<&str> = files.iter().map(|f| f.0.as_str()).collect();
        let mut removed: Vec<String> = prev.keys().filter(|k| !now.contains(k.as_str())).cloned().collect();
        removed.sort();
        for rel in &removed {
            let p = self.out.join(rel);
            if p.is_file() {
                std::fs::remove_file(&p)?;
                stats.removed += 1;
                // Remove emptied parent folders up to the output dir.
                let mut dir = p.parent();
                while let Some(d) = dir {
                    if d == self.out || std::fs::remove_dir(d).is_err() {
                        break;
                    }
                    dir = d.parent();
                }
            }
        }
        Ok((stats, changed, removed))
    }
}
