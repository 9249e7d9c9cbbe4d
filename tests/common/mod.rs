//! Test helpers: build a fixture site into a temp dir, parse its pages, and
//! check that links resolve the way a browser would follow them.
#![allow(dead_code)]

pub mod html_check;
pub mod ranges;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use glossa::BuildOptions;
use scraper::{Html, Selector};
use tempfile::TempDir;

/// The repo root: the example site built from the seed article.
pub fn seed_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    seed_root().join("tests/fixtures").join(name)
}

/// Copies a site's glossa.toml and content/ (and templates/, static/ when
/// `with_theme`) into a fresh temp dir.
pub fn copy_site(src: &Path, with_theme: bool) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut parts = vec!["glossa.toml", "content"];
    if with_theme {
        parts.extend(["templates", "static"]);
    }
    for part in parts {
        let from = src.join(part);
        if from.is_file() {
            std::fs::copy(&from, dir.path().join(part)).unwrap();
            continue;
        }
        for entry in walkdir::WalkDir::new(&from).into_iter().flatten() {
            let rel = entry.path().strip_prefix(src).unwrap();
            let to = dir.path().join(rel);
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&to).unwrap();
            } else {
                std::fs::copy(entry.path(), &to).unwrap();
            }
        }
    }
    dir
}

/// Writes `text` to `root/rel`, creating folders (for sites made in tests).
pub fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Every file under `dir` (relative path → bytes), for byte-for-byte
/// comparisons of whole outputs.
pub fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// A built site in a temp dir.
pub struct Built {
    pub out: TempDir,
    /// The path every internal URL starts with (`/` or `/sub/`).
    pub base_path: String,
    pub stats: glossa::output::write::WriteStats,
    cache: Mutex<HashMap<PathBuf, String>>,
}

pub fn build(root: &Path) -> Built {
    let out = tempfile::tempdir().unwrap();
    let opts = BuildOptions {
        output_dir: Some(out.path().to_path_buf()),
        ..Default::default()
    };
    let (report, _diags, _sources) = match glossa::build(root, &opts) {
        Ok(r) => r,
        Err(f) => panic!("build failed:\n{}", f.diags.render(&f.sources, false)),
    };
    let loaded = glossa::load(root, &opts);
    Built {
        out,
        base_path: loaded.site.config.root_path(),
        stats: report.stats,
        cache: Mutex::new(HashMap::new()),
    }
}

pub fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

impl Built {
    pub fn path(&self, rel: &str) -> PathBuf {
        self.out.path().join(rel)
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).is_file()
    }

    pub fn text(&self, rel: &str) -> String {
        let p = self.path(rel);
        let mut cache = self.cache.lock().unwrap();
        cache
            .entry(p.clone())
            .or_insert_with(|| std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
            .clone()
    }

    pub fn html(&self, rel: &str) -> Html {
        Html::parse_document(&self.text(rel))
    }

    /// Every HTML file of the output, relative.
    pub fn html_files(&self) -> Vec<String> {
        let mut v: Vec<String> = walkdir::WalkDir::new(self.out.path())
            .into_iter()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
            .map(|e| {
                e.path()
                    .strip_prefix(self.out.path())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        v.sort();
        v
    }

    /// The output file an internal URL path points at, if it is internal.
    pub fn target_of(&self, href: &str, from: &str) -> Option<(String, Option<String>)> {
        if href.starts_with("http://") || href.starts_with("https://") || href.starts_with("mailto:") {
            return None;
        }
        let (path, frag) = match href.split_once('#') {
            Some((p, f)) => (p, Some(f.to_string())),
            None => (href, None),
        };
        let file = if path.is_empty() {
            from.to_string()
        } else {
            let rest = path
                .strip_prefix(&self.base_path)
                .unwrap_or_else(|| panic!("{href} (in {from}) is outside the base path {}", self.base_path));
            if rest.is_empty() || rest.ends_with('/') {
                format!("{rest}index.html")
            } else {
                rest.to_string()
            }
        };
        Some((file, frag))
    }

    /// Whether an href found on page `from` leads to an existing file and,
    /// with a fragment, to an element with that id.
    pub fn resolves(&self, href: &str, from: &str) -> bool {
        let Some((file, frag)) = self.target_of(href, from) else {
            return true;
        };
        if !self.exists(&file) {
            return false;
        }
        match frag {
            None => true,
            Some(id) => {
                let doc = self.html(&file);
                doc.select(&sel("[id]"))
                    .any(|e| e.value().attr("id") == Some(id.as_str()))
            }
        }
    }
}

/// The visible text of an element's subtree, without the elements matching
/// `skip`, white space collapsed.
pub fn visible_text(html: &Html, root: &str, skip: &str) -> String {
    let skip_sel = sel(skip);
    let root_el = html.select(&sel(root)).next().unwrap_or_else(|| panic!("no {root}"));
    let skipped: Vec<_> = root_el.select(&skip_sel).map(|e| e.id()).collect();
    let mut out = String::new();
    for node in root_el.descendants() {
        if let Some(t) = node.value().as_text() {
            if node.ancestors().any(|a| skipped.contains(&a.id())) {
                continue;
            }
            out.push_str(t);
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs the `glossa` binary on the site at `root` with `args` (no colour):
/// its exit code, standard output and standard error.
pub fn glossa(root: &Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_glossa"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
