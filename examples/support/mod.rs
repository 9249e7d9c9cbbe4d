//! What the latency examples (`edit_latency`, `serve_latency`) share: how
//! they pick the files to edit in a `gen_corpus` site, and the median.

use std::path::{Path, PathBuf};

/// The first file in `dir` (by name) whose name ends with `suffix`.
pub fn first_file(dir: &Path, suffix: &str) -> Option<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    v.sort();
    v.into_iter().next()
}

/// The entity file named most often by `entity = "…"` in annotation files.
pub fn most_mentioned(root: &Path) -> Option<PathBuf> {
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for e in std::fs::read_dir(root.join("content/articles")).ok()?.flatten() {
        let p = e.path();
        if !p.to_string_lossy().ends_with(".annotations.toml") {
            continue;
        }
        for line in std::fs::read_to_string(&p).unwrap_or_default().lines() {
            if let Some(id) = line.strip_prefix("entity = \"").and_then(|r| r.strip_suffix('"')) {
                *counts.entry(id.to_string()).or_default() += 1;
            }
        }
    }
    let (id, _) = counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
    Some(root.join("content/entities").join(format!("{id}.md")))
}

/// The median (the upper one of an even count).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
