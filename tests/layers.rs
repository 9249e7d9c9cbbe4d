//! The source tree is the pipeline, and this test keeps it so: every file
//! under `src/` belongs to a stage (by its folder), and no file names a
//! module of a later stage. The stages, in order:
//!
//! 0. the foundation: `config`, `i18n`, `diagnostics`, `schema`, `files`,
//!    `text`, `urls`, `packed`, `timing`, `progress`, `memory`, `background` (top-level
//!    files; they may use each other);
//! 1. `content/` — load and normalise;
//! 2. `anchor/` — annotations → spans, the article's HTML;
//! 3. `site/` — the graph;
//! 4. `render/` — pages;
//! 5. `output/` — writing, the manifest, one rebuild;
//! 6. on top: `serve/`, `commands/`, `lib.rs`, `main.rs` — which may use the
//!    crate root's entry points (`crate::load`, …), as nothing below may.
//!
//! It also checks that every source file opens with a `//!` comment saying
//! what it owns and which stage it belongs to.

use std::path::{Path, PathBuf};

const FOUNDATION: [&str; 12] = [
    "config",
    "i18n",
    "diagnostics",
    "schema",
    "files",
    "text",
    "urls",
    "packed",
    "timing",
    "progress",
    "memory",
    "background",
];
const STAGES: [&str; 5] = ["content", "anchor", "site", "render", "output"];
const TOP: [&str; 2] = ["serve", "commands"];
const TOP_RANK: usize = 6;

/// The rank of a top-level module name (`crate::NAME`); anything that is
/// not a module is an item of the crate root, which is the top.
fn rank_of_module(name: &str) -> usize {
    if FOUNDATION.contains(&name) {
        0
    } else if let Some(i) = STAGES.iter().position(|s| *s == name) {
        i + 1
    } else {
        TOP_RANK
    }
}

/// The rank of a source file by where it is; `None` for a file in no
/// known place (which is itself a failure: a new folder must be placed).
fn rank_of_file(rel: &Path) -> Option<usize> {
    let parts: Vec<&str> = rel.iter().map(|p| p.to_str().unwrap()).collect();
    match parts.as_slice() {
        ["lib.rs"] | ["main.rs"] => Some(TOP_RANK),
        [file] => {
            let stem = file.strip_suffix(".rs")?;
            FOUNDATION.contains(&stem).then_some(0)
        }
        [dir, ..] if STAGES.contains(dir) => Some(rank_of_module(dir)),
        [dir, ..] if TOP.contains(dir) => Some(TOP_RANK),
        _ => None,
    }
}

/// The top-level names a source text reaches through `crate::`: in paths
/// (`crate::render::Page`) and in grouped imports (`use crate::{render,
/// site::Site}`). Comments are skipped.
fn crate_names(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // the whole group, maybe over several lines
                let start = text.lines().skip(i).collect::<Vec<_>>().join("\n");
                let from = start.find("crate::{").unwrap() + "crate::{".len();
                let mut depth = 1;
                let mut item = String::new();
                let mut items = Vec::new();
                for c in start[from..].chars() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        ',' if depth == 1 => items.push(std::mem::take(&mut item)),
                        _ if depth == 1 => item.push(c),
                        _ => {}
                    }
                }
                items.push(item);
                for it in items {
                    let name: String = it
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        out.push((i + 1, name));
                    }
                }
                rest = group;
                continue;
            }
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                out.push((i + 1, name));
            }
        }
    }
    out
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The words a file's opening comment uses to say which stage it belongs
/// to ("Stage 2", "Foundation", "On top of the pipeline"); `None` for
/// `lib.rs` and `main.rs`, which are the pipeline's entry points.
fn stage_words(rel: &Path, rank: usize) -> Option<&'static str> {
    const NUMBERED: [&str; 5] = ["Stage 1", "Stage 2", "Stage 3", "Stage 4", "Stage 5"];
    match rank {
        _ if rel == Path::new("lib.rs") || rel == Path::new("main.rs") => None,
        0 => Some("Foundation"),
        TOP_RANK => Some("On top of the pipeline"),
        r => Some(NUMBERED[r - 1]),
    }
}

/// Every breach of the layering in the tree at `src`.
fn breaches(src: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for path in rust_files(src) {
        let rel = path.strip_prefix(src).unwrap();
        let Some(rank) = rank_of_file(rel) else {
            found.push(format!(
                "src/{}: in no stage; place it (see tests/layers.rs)",
                rel.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        if !text.starts_with("//!") {
            found.push(format!(
                "src/{}: does not open with a //! comment saying what it owns",
                rel.display()
            ));
        } else if let Some(words) = stage_words(rel, rank) {
            let opening: String = text.lines().take_while(|l| l.starts_with("//!")).collect();
            if !opening.contains(words) {
                found.push(format!(
                    "src/{}: its opening comment does not say its stage (\"{words}\")",
                    rel.display()
                ));
            }
        }
        for (line, name) in crate_names(&text) {
            let target = rank_of_module(&name);
            if target > rank {
                found.push(format!(
                    "src/{}:{line}: uses crate::{name} (stage {target}) from stage {rank}",
                    rel.display()
                ));
            }
        }
    }
    found
}

#[test]
fn no_stage_uses_a_later_one() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = breaches(&src);
    assert!(
        found.is_empty(),
        "the pipeline's layering is broken:\n{}",
        found.join("\n")
    );
}

/// The checker itself: on a small tree with one breach of each kind, it
/// finds exactly those.
#[test]
fn the_checker_finds_each_kind_of_breach() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    let write = |rel: &str, text: &str| {
        let p = src.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("lib.rs", "//! root\nuse crate::serve::x;\n");
    write("text.rs", "//! text\n//! Foundation.\nuse crate::files::read;\n");
    write(
        "anchor/mod.rs",
        "//! anchor, Stage 2\n// crate::render in a comment is fine\nuse crate::site::Site;\n",
    );
    write(
        "anchor/x.rs",
        "//! x (Stage 2)\nuse crate::{content::A,\n    render::Page};\nfn f() { crate::load(); }\n",
    );
    write("site/mod.rs", "use crate::anchor::y;\n");
    write("misc/odd.rs", "//! nowhere\n");
    write("output/w.rs", "//! Writing, in no stage it says.\n");
    let mut found = breaches(src);
    found.sort();
    let want = [
        "src/anchor/mod.rs:3: uses crate::site (stage 3) from stage 2",
        "src/anchor/x.rs:2: uses crate::render (stage 4) from stage 2",
        "src/anchor/x.rs:4: uses crate::load (stage 6) from stage 2",
        "src/misc/odd.rs: in no stage; place it (see tests/layers.rs)",
        "src/output/w.rs: its opening comment does not say its stage (\"Stage 5\")",
        "src/site/mod.rs: does not open with a //! comment saying what it owns",
    ];
    assert_eq!(found, want);
}
