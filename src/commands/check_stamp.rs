//! `glossa check`'s stamp: the diagnostics of the last check that found no
//! error, kept in `.glossa-cache/check/` under a key that hashes every input
//! that can change them, so a check with nothing changed prints them again
//! without loading the site.
//!
//! The key ([`key`]) covers the bytes (and names) of every file under
//! `content/`, `templates/`, `static/` and `i18n/` and of `glossa.toml`
//! (hidden files too: more than the loader reads, never less), this glossa
//! executable, the options (`--base-url`, `--drafts`), and for the
//! permalink warning the last build's manifest (its output folder and its
//! quote pages). It is computed before the check and again after it, and
//! the stamp is written only when both agree: a file edited while the
//! check ran never gets a stamp it does not match. A stamp that cannot be
//! read is ignored; deleting `.glossa-cache` is always safe.
//!
//! On top of the pipeline: the commands.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use crate::config::BuildOptions;
use crate::diagnostics::{Diagnostic, Diagnostics, Severity, Sources};
use crate::output::manifest;

const HEADER: &str = "glossa-check-stamp 1";

/// What a stamp holds: the check's diagnostics and the text of the files
/// they point into (to show their lines).
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    diags: Vec<StoredDiag>,
    sources: Vec<(PathBuf, String)>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredDiag {
    error: bool,
    file: PathBuf,
    span: Option<(usize, usize)>,
    message: String,
    hint: Option<String>,
}

/// Where the stamp for checking `root` with `opts` lives (one per set of
/// options, so `check` and `check --drafts` do not evict each other).
fn location(root: &Path, opts: &BuildOptions) -> PathBuf {
    let mut h = DefaultHasher::new();
    (&opts.base_url, opts.drafts).hash(&mut h);
    root.join(".glossa-cache")
        .join("check")
        .join(format!("{:016x}.stamp", h.finish()))
}

/// A hash of everything `glossa check` with `opts` reads (see the module
/// comment).
pub fn key(root: &Path, opts: &BuildOptions) -> u64 {
    let mut h = DefaultHasher::new();
    (HEADER, crate::files::executable_identity()).hash(&mut h);
    // (every input file's name and bytes, and the options: what a build reads)
    crate::output::inputs::digest(root, opts).hash(&mut h);
    last_build(root, opts).hash(&mut h);
    h.finish()
}

/// What the permalink warning reads of the last build: its manifest's name,
/// output folder and quote pages (the lines for `quotes/ID/index.html`,
/// with the hash of each page's bytes).
fn last_build(root: &Path, opts: &BuildOptions) -> Option<(PathBuf, Vec<String>)> {
    let path = manifest::last_build_path(root, opts)?;
    let text = std::fs::read_to_string(&path).ok()?;
    let mut lines = text.lines();
    let mut kept = vec![lines.next()?.to_string()];
    kept.extend(
        lines
            .filter(|l| l.splitn(6, ' ').nth(5).is_some_and(|p| p.starts_with("quotes/")))
            .map(String::from),
    );
    Some((path, kept))
}

/// The diagnostics the stamp for `key` holds, when there is one.
pub fn replay(root: &Path, opts: &BuildOptions, key: u64) -> Option<(Diagnostics, Sources)> {
    let text = std::fs::read_to_string(location(root, opts)).ok()?;
    let (head, json) = text.split_once('\n')?;
    if head != format!("{HEADER} {key:016x}") {
        return None;
    }
    let stored: Stored = serde_json::from_str(json).ok()?;
    let mut diags = Diagnostics::default();
    for d in stored.diags {
        diags.push(Diagnostic {
            severity: if d.error { Severity::Error } else { Severity::Warning },
            file: d.file,
            span: d.span.map(|(a, b)| a..b),
            message: d.message,
            hint: d.hint,
        });
    }
    let mut sources = Sources::default();
    for (path, text) in stored.sources {
        sources.insert(path, text.into());
    }
    Some((diags, sources))
}

/// Records `diags` (and the lines they cite) as what checking with `opts`
/// gives while the inputs hash to `key`. A stamp that cannot be written is
/// no error: the next check does the work again.
pub fn record(root: &Path, opts: &BuildOptions, key: u64, diags: &Diagnostics, sources: &Sources) {
    let stored = Stored {
        diags: diags
            .iter()
            .map(|d| StoredDiag {
                error: d.is_error(),
                file: d.file.clone(),
                span: d.span.as_ref().map(|s| (s.start, s.end)),
                message: d.message.clone(),
                hint: d.hint.clone(),
            })
            .collect(),
        sources: {
            let mut cited: Vec<&Path> = diags.cited_files().into_iter().collect();
            cited.sort();
            cited
                .into_iter()
                .filter_map(|p| Some((p.to_path_buf(), sources.get(p)?.to_string())))
                .collect()
        },
    };
    let Ok(json) = serde_json::to_string(&stored) else {
        return;
    };
    let path = location(root, opts);
    let Some(dir) = path.parent() else { return };
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&tmp, format!("{HEADER} {key:016x}\n{json}")))
        .and_then(|()| std::fs::rename(&tmp, &path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Removes the stamp (a check that found errors, or `--fix`, leaves none
/// behind that could be replayed).
pub fn remove(root: &Path, opts: &BuildOptions) {
    let _ = std::fs::remove_file(location(root, opts));
}
