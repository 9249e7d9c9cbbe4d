//! glossa: a static site generator for annotated articles.
//!
//! The pipeline, one folder per stage, each reading only the stages before
//! it (`tests/layers.rs` keeps it so):
//!
//! 1. [`content`] — walk `content/`, read each file clean (UTF-8, NFC),
//!    front matter, annotation files (TOML, JSON-LD, brat);
//! 2. [`anchor`] — each article's annotations → spans of its rendered text,
//!    automatic mentions, the article's HTML with the spans drawn in;
//! 3. [`site`] — the graph: articles, entities and every mention of them,
//!    quotes, relations, related articles and entities; patched in place
//!    after an edit;
//! 4. [`render`] — one page per output file: views, templates, share cards,
//!    the entity graph, the search index, feeds; which graph nodes each page
//!    reads ([`render::deps`]);
//! 5. [`output`] — one rebuild ([`output::session`]): pages written all or
//!    nothing, unchanged ones skipped, a manifest for the next build.
//!
//! On top: [`serve`] (watch, rebuild, HTTP, live reload) and [`commands`]
//! (`check`, `suggest`, `export`, `init`). Under everything, the foundation:
//! [`config`], [`i18n`], [`diagnostics`], [`schema`], [`files`], [`text`],
//! [`urls`], [`packed`], [`timing`], [`memory`], [`background`]. The functions below are the
//! pipeline's entry points, top-down.

pub mod anchor;
pub mod background;
pub mod commands;
pub mod config;
pub mod content;
pub mod diagnostics;
pub mod files;
pub mod i18n;
pub mod memory;
pub mod output;
pub mod packed;
pub mod progress;
pub mod render;
pub mod schema;
pub mod serve;
pub mod site;
pub mod text;
pub mod timing;
pub mod urls;

use std::path::{Path, PathBuf};

pub use commands::check::CheckReport;
use commands::{export, suggest};
pub use config::BuildOptions;
use diagnostics::{Diagnostics, Sources};
use output::{session as rebuild, write};
use site::Site;

/// The site loaded, anchored and linked, with every problem found.
pub struct Loaded {
    pub site: Site,
    pub tera: Option<render::Templates>,
    pub diags: Diagnostics,
    pub sources: Sources,
}

/// Load → normalise → anchor → link, and the templates. Never writes.
pub fn load(root: &Path, opts: &BuildOptions) -> Loaded {
    load_with(root, opts, true)
}

/// [`load`], keeping what only `export` reads when `export_data` (see
/// [`site::Articles::export_data`]): the commands that do not export leave
/// it out as each batch is anchored, as a build does, so that it never
/// holds memory among the graph's pages.
fn load_with(root: &Path, opts: &BuildOptions, export_data: bool) -> Loaded {
    let mut diags = Diagnostics::default();
    let mut sources = Sources::default();
    let site = site::load(
        root,
        opts,
        None,
        None,
        export_data,
        render::card::undrawable_in_quote,
        &mut diags,
        &mut sources,
    );
    let tera = render::templates::load(root, &mut diags, &mut sources);
    diags.sort();
    sources.retain_cited(&diags);
    Loaded {
        site,
        tera,
        diags,
        sources,
    }
}

/// `glossa check`: load, anchor and link; when that succeeds, render every
/// page in memory and check every internal link (see [`commands::check`]).
/// Writes nothing but its stamp ([`commands::check_stamp`]: an unchanged site
/// is not checked again) — and, with `fix`, the re-anchored `exact` texts
/// back into the annotation files.
pub fn check(root: &Path, opts: &BuildOptions, fix: bool) -> CheckReport {
    commands::check::check_or_replay(root, opts, fix, || load_with(root, opts, false))
}

/// `glossa suggest`: loads the site (no output) and reports what its
/// annotations and autolinking leave out; the diagnostics instead when the
/// site has errors.
pub fn suggest(root: &Path, opts: &BuildOptions) -> Result<suggest::Report, BuildFailure> {
    load_without_errors(root, opts, false).map(|site| suggest::report(&site))
}

/// The site graph, or every diagnostic when there is an error.
fn load_without_errors(root: &Path, opts: &BuildOptions, export_data: bool) -> Result<Site, BuildFailure> {
    let Loaded {
        site, diags, sources, ..
    } = load_with(root, opts, export_data);
    if diags.has_errors() {
        return Err(BuildFailure { diags, sources });
    }
    Ok(site)
}

/// `glossa export`: every explicit annotation as a W3C Web Annotation
/// collection (see [`export`](mod@export)); the diagnostics when the site has errors;
/// `Ok(Err(_))` when the base URL is a path, so the ids would not be IRIs.
pub fn export(
    root: &Path,
    opts: &BuildOptions,
) -> Result<Result<serde_json::Value, export::RelativeBase>, BuildFailure> {
    load_without_errors(root, opts, true).map(|site| export::export(&site))
}

/// What a successful build did.
#[derive(Debug, Clone)]
pub struct BuildReport {
    pub pages: usize,
    /// Pages rendered; the others were unchanged since the last build (see
    /// [`output::manifest`]).
    pub rendered: usize,
    pub stats: write::WriteStats,
    pub output_dir: PathBuf,
    /// What the output directory holds now.
    pub size: Option<output::hosting::OutputSize>,
}

/// Why a build wrote nothing.
pub struct BuildFailure {
    pub diags: Diagnostics,
    pub sources: Sources,
}

/// Builds the site into the output directory. On any error nothing is
/// written and every diagnostic is returned; warnings come back either way.
/// This is one [`rebuild::Session::rebuild`] from nothing, the same path the
/// watcher takes.
pub fn build(root: &Path, opts: &BuildOptions) -> Result<(BuildReport, Diagnostics, Sources), BuildFailure> {
    let mut session = rebuild::Session::new(root, opts.clone());
    match session.rebuild(&[]) {
        rebuild::Outcome::Built {
            pages,
            rendered,
            changed,
            removed,
            unchanged,
            size,
            diags,
            sources,
        } => {
            let stats = write::WriteStats {
                written: changed.len(),
                unchanged,
                removed: removed.len(),
            };
            Ok((
                BuildReport {
                    pages,
                    rendered,
                    stats,
                    output_dir: session.output_dir().to_path_buf(),
                    size,
                },
                diags,
                sources,
            ))
        }
        rebuild::Outcome::Failed { diags, sources } => Err(BuildFailure { diags, sources }),
    }
}
