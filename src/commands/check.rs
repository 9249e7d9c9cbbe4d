//! `glossa check`: everything a build does short of writing — every page
//! rendered in memory (on every core, each page dropped once its links are read) and every internal link and `#fragment` checked, and
//! quote permalinks of the last build compared ([`permalinks`]) — and, with
//! `--fix`, re-anchored texts written back to the annotation files. When
//! nothing changed since a check that found no error, its diagnostics again
//! from [`check_stamp`], nothing loaded.
//!
//! On top of the pipeline: the commands.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{check_stamp, fix, linkcheck, permalinks};
use crate::config::BuildOptions;
use crate::diagnostics::{Diagnostic, Diagnostics, Sources};
use crate::{Loaded, render};

/// What `glossa check` found (and, with `--fix`, rewrote).
pub struct CheckReport {
    pub diags: Diagnostics,
    pub sources: Sources,
    /// Annotation files rewritten by `--fix`.
    pub fixed: Vec<PathBuf>,
}

/// `glossa check`: the stamp's diagnostics when nothing it hashes changed
/// since a check that found no error ([`check_stamp`]); otherwise `load()`
/// and [`check`], recording a stamp when it finds no error. `fix` always
/// checks in full.
pub fn check_or_replay(root: &Path, opts: &BuildOptions, fix: bool, load: impl FnOnce() -> Loaded) -> CheckReport {
    if fix {
        check_stamp::remove(root, opts);
        return check(root, opts, load(), true);
    }
    let t = std::time::Instant::now();
    let key = check_stamp::key(root, opts);
    crate::timing::lap("hash the check's inputs", t);
    if let Some((diags, sources)) = check_stamp::replay(root, opts, key) {
        return CheckReport {
            diags,
            sources,
            fixed: Vec::new(),
        };
    }
    let report = check(root, opts, load(), false);
    // (recorded only if no input changed while it ran)
    if report.diags.has_errors() || check_stamp::key(root, opts) != key {
        check_stamp::remove(root, opts);
    } else {
        check_stamp::record(root, opts, key, &report.diags, &report.sources);
    }
    report
}

/// `glossa check` on a loaded site: when it loaded without errors, render every
/// page in memory and check that every internal link and `#fragment`
/// resolves. Writes nothing — except, with `fix`, the re-anchored `exact`
/// texts back into the annotation files.
pub fn check(root: &Path, opts: &BuildOptions, loaded: Loaded, fix: bool) -> CheckReport {
    let Loaded {
        site,
        tera,
        mut diags,
        mut sources,
    } = loaded;
    // (with errors, quotes may be missing because of them)
    if !diags.has_errors() {
        let t = std::time::Instant::now();
        for d in permalinks::gone(root, opts, &site, &mut sources) {
            diags.push(d);
        }
        crate::timing::lap("compare quote permalinks with the last build", t);
    }
    if let Some(tera) = tera.filter(|_| !diags.has_errors()) {
        // (the sources no diagnostic cites are not needed for the pages; `--fix` may cite
        // annotation files after. What only `export` reads was never kept: see `crate::check`.)
        if !fix {
            sources.retain_cited(&diags);
        }
        // Every output path is listed first, so that each page's links are checked as it is
        // rendered and scanned, on every core; its HTML is dropped there, so the check holds the
        // site's ids and links to fragments of other pages, never its output.
        let pages = render::Page::all(&site);
        let mut paths: Vec<String> = pages.iter().map(|p| p.path(&site)).collect();
        paths.extend(crate::output::statics::list(root, &mut diags).into_iter().map(|s| s.0));
        let statics = paths.len() - pages.len();
        let links = linkcheck::Output::new(paths, &site.config.root_path());
        let t_render = std::time::Instant::now();
        let progress = crate::progress::Bar::new("rendering pages", pages.len());
        let failed = std::sync::Mutex::new(Vec::new());
        let shared = render::Shared::new(&site);
        let mut files: Vec<Option<linkcheck::PageLinks>> = pages
            .par_iter()
            .enumerate()
            .map(|(at, &page)| {
                progress.inc();
                if !links.file(at).ends_with(".html") {
                    return None; // exists; its bytes are not needed
                }
                match render::render(&site, &tera, page, &shared) {
                    Ok(bytes) => {
                        let html = simdutf8::basic::from_utf8(&bytes).map(std::borrow::Cow::Borrowed);
                        let html = html.unwrap_or_else(|_| String::from_utf8_lossy(&bytes));
                        Some(links.scan(at, &html))
                    }
                    Err(e) => {
                        failed.lock().unwrap_or_else(|e| e.into_inner()).push((at, e));
                        None
                    }
                }
            })
            .collect();
        crate::timing::lap("render and scan every page", t_render);
        crate::progress::start("checking links");
        let mut failed = failed.into_inner().unwrap_or_else(|e| e.into_inner());
        failed.sort_by_key(|f| f.0);
        let failed = failed.into_iter().map(|(_, e)| e);
        diags.extend(render::RenderError::diagnostics(failed, &tera, &mut sources));
        files.resize_with(files.len() + statics, || None);
        let t_links = std::time::Instant::now();
        diags.extend(links.check(files));
        crate::timing::lap("check the links", t_links);
    }
    let mut fixed = Vec::new();
    if fix && !site.reanchored.is_empty() {
        match fix::apply(root, &site.reanchored) {
            Ok(f) => fixed = f,
            Err(e) => diags.push(Diagnostic::error(
                root,
                None,
                format!("cannot update the annotation files: {e}"),
            )),
        }
        diags.extend(fix::not_rewritten(&site.reanchored));
    }
    diags.sort();
    CheckReport { diags, sources, fixed }
}
