//! glossa: a static site generator for annotated articles.
//!
//! The pipeline, one module per stage: [`config`] and [`content`] load and
//! normalise; [`anchor`] resolves annotations to spans of the rendered text
//! ([`markdown`]); [`site`] links everything into the site graph; [`render`]
//! turns the graph into pages; [`write`](mod@write) puts them on disk. Problems at any
//! stage are [`diagnostics`].

pub mod anchor;
pub mod autolink;
pub mod config;
pub mod content;
pub mod deps;
pub mod diagnostics;
pub mod export;
pub mod fix;
pub mod graph;
pub mod hosting;
pub mod i18n;
pub mod init;
pub mod linkcheck;
pub mod manifest;
pub mod markdown;
pub mod packed;
pub mod rebuild;
pub mod render;
pub mod search;
pub mod serve;
pub mod site;
pub mod suggest;
pub mod text;
pub mod timing;
pub mod write;

use std::path::{Path, PathBuf};

use diagnostics::{Diagnostic, Diagnostics, Sources};
use site::Site;

/// Options shared by `build` and `check`.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Output directory; default `ROOT/public`.
    pub output_dir: Option<PathBuf>,
    /// Overrides `base_url` from `glossa.toml`.
    pub base_url: Option<String>,
    /// Include articles with `draft = true`.
    pub drafts: bool,
}

/// The site loaded, anchored and linked, with every problem found.
pub struct Loaded {
    pub site: Site,
    pub tera: Option<render::Templates>,
    pub diags: Diagnostics,
    pub sources: Sources,
}

/// Load → normalise → anchor → link. Never writes.
pub fn load(root: &Path, opts: &BuildOptions) -> Loaded {
    load_cached(root, opts, None)
}

/// What one load keeps for the next (the rebuild loop holds one): files
/// whose stamp did not change are not read again, articles whose inputs did
/// not change are not anchored again.
#[derive(Default)]
pub struct Reuse {
    pub files: content::FileCache,
    pub anchors: site::AnchorCache,
}

/// [`load`], reusing what did not change since the last call with `reuse`.
pub fn load_cached(root: &Path, opts: &BuildOptions, mut reuse: Option<&mut Reuse>) -> Loaded {
    let mut diags = Diagnostics::default();
    let mut sources = Sources::default();
    let mut config = config::load(root, &mut diags, &mut sources);
    if let Some(url) = &opts.base_url {
        config.base_url = config::normalise_base_url(url);
    }
    let t = std::time::Instant::now();
    let content = content::load(
        root,
        &mut diags,
        &mut sources,
        reuse.as_deref_mut().map(|r| &mut r.files),
    );
    let t = timing::lap("load content", t);
    let tera = render::templates::load(root, &mut diags, &mut sources);
    let strings = i18n::load(root, &config.language, &mut diags, &mut sources);
    let anchors = reuse.map(|r| &mut r.anchors);
    let mut site = site::build(config, strings, content, opts.drafts, &mut sources, &mut diags, anchors);
    timing::lap("anchor + link (site graph)", t);
    if timing::on() {
        let sum = |f: &dyn Fn(&site::ArticleNode) -> usize| site.articles.iter().map(f).sum::<usize>() / 1_000_000;
        eprintln!(
            "[timing]   graph: texts {} MB, body HTML {} MB (packed), notes {} MB, {} mentions, {} related",
            sum(&|a| a.text.packed_len()),
            sum(&|a| a.body_html.packed_len()),
            sum(&|a| a.notes.iter().map(|n| n.body_html.len()).sum()),
            site.articles.iter().map(|a| a.mentions.len()).sum::<usize>(),
            site.articles.iter().map(|a| a.related.len()).sum::<usize>(),
        );
    }
    site.cache_dir = Some(root.join(".glossa-cache"));
    diags.sort();
    sources.retain_cited(&diags);
    Loaded {
        site,
        tera,
        diags,
        sources,
    }
}

/// What `glossa check` found (and, with `--fix`, rewrote).
pub struct CheckReport {
    pub diags: Diagnostics,
    pub sources: Sources,
    /// Annotation files rewritten by `--fix`.
    pub fixed: Vec<PathBuf>,
}

/// `glossa check`: load, anchor and link; when that succeeds, render every
/// page in memory and check that every internal link and `#fragment`
/// resolves. Writes nothing — except, with `fix`, the re-anchored `exact`
/// texts back into the annotation files.
pub fn check(root: &Path, opts: &BuildOptions, fix: bool) -> CheckReport {
    let Loaded {
        site,
        tera,
        mut diags,
        sources,
    } = load(root, opts);
    if let Some(tera) = tera.filter(|_| !diags.has_errors()) {
        let mut files = Vec::new();
        for page in render::Page::all(&site) {
            let path = page.path(&site);
            if !path.ends_with(".html") {
                files.push((path, Vec::new())); // exists; its bytes are not needed
                continue;
            }
            match render::render(&site, &tera, page) {
                Ok(bytes) => files.push((path, bytes)),
                Err(e) => diags.push(
                    Diagnostic::error(
                        Path::new("templates"),
                        None,
                        format!("rendering {} failed: {}", e.page, e.message),
                    )
                    .with_hint("a template uses a variable the page does not have; see docs/templates.md"),
                ),
            }
        }
        for (name, _) in static_files(root, &mut diags) {
            files.push((name, Vec::new()));
        }
        diags.extend(linkcheck::check(&files, &site.config.root_path()));
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
    }
    diags.sort();
    CheckReport { diags, sources, fixed }
}

/// `glossa suggest`: loads the site (no output) and reports what its
/// annotations and autolinking leave out; the diagnostics instead when the
/// site has errors.
pub fn suggest(root: &Path, opts: &BuildOptions) -> Result<suggest::Report, BuildFailure> {
    load_without_errors(root, opts).map(|site| suggest::report(&site))
}

/// The site graph, or every diagnostic when there is an error.
fn load_without_errors(root: &Path, opts: &BuildOptions) -> Result<Site, BuildFailure> {
    let Loaded {
        site, diags, sources, ..
    } = load(root, opts);
    if diags.has_errors() {
        return Err(BuildFailure { diags, sources });
    }
    Ok(site)
}

/// `glossa export`: every explicit annotation as a W3C Web Annotation
/// collection (see [`export`](mod@export)); the diagnostics when the site has errors.
pub fn export(root: &Path, opts: &BuildOptions) -> Result<serde_json::Value, BuildFailure> {
    load_without_errors(root, opts).map(|site| export::export(&site))
}

/// What a successful build did.
#[derive(Debug, Clone)]
pub struct BuildReport {
    pub pages: usize,
    /// Pages rendered; the others were unchanged since the last build (see
    /// [`manifest`]).
    pub rendered: usize,
    pub stats: write::WriteStats,
    pub output_dir: PathBuf,
    /// What the output directory holds now.
    pub size: Option<hosting::OutputSize>,
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

/// The built-in static files, overridden and extended by `ROOT/static`.
/// A site file of the same name comes first so it wins the dedup.
pub(crate) fn static_files(root: &Path, diags: &mut Diagnostics) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for rel in content::list_files(root, Path::new("static"), diags) {
        let Ok(name) = rel.strip_prefix("static") else { continue };
        let name = name.to_string_lossy().replace('\\', "/");
        match std::fs::read(root.join(&rel)) {
            Ok(bytes) => out.push((name, bytes)),
            Err(e) => diags.push(Diagnostic::error(&rel, None, format!("cannot read the file: {e}"))),
        }
    }
    for (name, text) in render::templates::STATIC_DEFAULTS {
        if !out.iter().any(|(n, _)| n == name) {
            out.push((name.to_string(), text.as_bytes().to_vec()));
        }
    }
    out
}
