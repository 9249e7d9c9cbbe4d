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

/// One edit to time: its name, the file, and how to change the file's text
/// (round `i`); each is made and then undone.
pub type Edit = (&'static str, PathBuf, Box<dyn Fn(&str, usize) -> String>);

/// The edits both examples time, those the site has files for: an
/// article's body (a sentence appended), a note's text, an entity's
/// description (a sentence appended), the first sentence (the summary) of
/// the most mentioned entity, and — with `new_mention` — a sentence naming
/// that entity appended to the article.
pub fn edits(root: &Path, new_mention: bool) -> Vec<Edit> {
    let article = first_file(&root.join("content/articles"), ".md");
    let mut edits: Vec<Edit> = Vec::new();
    if let Some(a) = article.clone() {
        edits.push((
            "article body",
            a,
            Box::new(|t, i| format!("{t}\nMột câu thêm vào lần {i}.\n")),
        ));
    }
    if let Some(a) = first_file(&root.join("content/articles"), ".annotations.toml") {
        edits.push((
            "annotation",
            a,
            Box::new(|t, i| t.replacen("body = \"", &format!("body = \"(sửa {i}) "), 1)),
        ));
    }
    if let Some(e) = first_file(&root.join("content/entities"), ".md") {
        edits.push(("entity", e, Box::new(|t, i| format!("{t}\nMô tả thêm lần {i}.\n"))));
    }
    let Some(popular) = most_mentioned(root) else {
        return edits;
    };
    let name = std::fs::read_to_string(&popular)
        .ok()
        .and_then(|t| Some(t.split_once("name = \"")?.1.split_once('"')?.0.to_string()))
        .unwrap_or_default();
    edits.push((
        "entity summary",
        popular,
        Box::new(|t, i| match t.rfind("+++\n") {
            Some(at) => format!("{}Câu mở đầu {i}. {}", &t[..at + 4], &t[at + 4..]),
            None => t.to_string(),
        }),
    ));
    if let (true, Some(a)) = (new_mention, article) {
        edits.push((
            "new mention",
            a,
            Box::new(move |t, i| format!("{t}\nCâu {i} nói về {name}.\n")),
        ));
    }
    edits
}
