//! The template contexts of a build, written out for `bench/tera2` (which
//! renders them with two versions of Tera): with
//! `GLOSSA_DUMP_CONTEXTS=FOLDER` in the environment, each page the path's
//! hash picks (one in ten, the same ones every build) and every page at the
//! top of the site or one folder down (the home page, the indexes, search,
//! 404) has its context — the view, the UI strings and the layout, as Tera
//! gets them — written as `FOLDER/TEMPLATE.HASH.json`. Off, it costs one
//! cached environment lookup a page.
//!
//! Stage 4 of the pipeline: rendering.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The folder to write the contexts into, when dumping is on.
fn folder() -> Option<&'static PathBuf> {
    static AT: OnceLock<Option<PathBuf>> = OnceLock::new();
    AT.get_or_init(|| std::env::var_os("GLOSSA_DUMP_CONTEXTS").map(PathBuf::from))
        .as_ref()
}

/// Writes `context`, the context of the page at `path()` rendered by
/// `template`, when dumping is on and the page is one it picks (the path is
/// made only then).
pub(super) fn context(template: &str, path: impl FnOnce() -> String, context: &impl serde::Serialize) {
    if let Some(dir) = folder() {
        write_picked(dir, template, &path(), context);
    }
}

/// Writes `context` into `dir` as `TEMPLATE.HASH.json` when the page at
/// `path` is one in ten by its hash, or at most one folder down.
fn write_picked(dir: &Path, template: &str, path: &str, context: &impl serde::Serialize) {
    let hash = xxhash_rust::xxh3::xxh3_64(path.as_bytes());
    if !hash.is_multiple_of(10) && path.matches('/').count() > 1 {
        return;
    }
    let name = format!("{}.{hash:016x}.json", template.replace('/', "_"));
    let written = serde_json::to_vec(context)
        .map_err(|e| e.to_string())
        .and_then(|bytes| std::fs::write(dir.join(&name), bytes).map_err(|e| e.to_string()));
    if let Err(e) = written {
        eprintln!("GLOSSA_DUMP_CONTEXTS: {}: {e}", dir.join(name).display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_pages_and_one_in_ten_of_the_rest_are_written_as_their_template_and_hash() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = serde_json::json!({"page": {"title": "Đặng"}});
        write_picked(dir.path(), "tags.html", "tags/index.html", &ctx);
        let deep: Vec<String> = (0..200).map(|i| format!("articles/{i}/index.html")).collect();
        for p in &deep {
            write_picked(dir.path(), "article.html", p, &ctx);
        }
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let top = format!("tags.html.{:016x}.json", xxhash_rust::xxh3::xxh3_64(b"tags/index.html"));
        assert!(names.contains(&top), "{names:?}");
        let back: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join(&top)).unwrap()).unwrap();
        assert_eq!(back, ctx);
        let picked = deep
            .iter()
            .filter(|p| xxhash_rust::xxh3::xxh3_64(p.as_bytes()).is_multiple_of(10))
            .count();
        assert_eq!(names.len(), 1 + picked);
        assert!((5..=40).contains(&picked), "{picked} of 200");
    }
}
