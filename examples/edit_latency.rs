//! Edit → rebuild latency of the watch loop (issue #3), measured on a corpus
//! from `gen_corpus`: one `rebuild::Session::watching` (what `serve` and
//! `build --watch` use) builds the site, then edits are made one at a time
//! and each rebuild is timed — the time from the debounced file event to the
//! output being committed, when the browser is told to reload. (The watcher
//! adds its debounce, 150 ms by default, before that.)
//!
//! Edits, each made and then undone, alternating:
//! - article body: a sentence appended to one article;
//! - entity: a sentence appended to one entity's description;
//! - annotation: a note's text changed in one article's annotation file;
//! - entity summary: a sentence put before the most mentioned entity's
//!   description, which every page mentioning it shows (its hover preview);
//! - new mention: a sentence naming the most mentioned entity appended to
//!   an article that did not name it: its co-occurrence edges and related
//!   articles change;
//! - new article, then its deletion: the set of pages changes, so the graph
//!   is built again (the full way).
//!
//! ```text
//! cargo run --release --example edit_latency -- SITE_ROOT OUTPUT_DIR [ROUNDS]
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use glossa::BuildOptions;
use glossa::output::session::{Outcome, Session};

#[path = "support/mod.rs"]
mod support;
use support::{edits, median};

fn rebuild(session: &mut Session, changed: &Path) -> Result<(f64, usize, usize), String> {
    let t = Instant::now();
    match session.rebuild(&[changed.to_path_buf()]) {
        Outcome::Built { rendered, changed, .. } => Ok((t.elapsed().as_secs_f64() * 1000.0, rendered, changed.len())),
        Outcome::Failed { diags, sources } => Err(diags.render(&sources, false)),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(root), Some(out)) = (args.first(), args.get(1)) else {
        eprintln!("usage: edit_latency SITE_ROOT OUTPUT_DIR [ROUNDS]");
        return ExitCode::from(2);
    };
    let rounds: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let root = PathBuf::from(root);
    let opts = BuildOptions {
        output_dir: Some(PathBuf::from(out)),
        ..Default::default()
    };
    let mut session = Session::watching(&root, opts);
    let t = Instant::now();
    match session.rebuild(&[]) {
        Outcome::Built { pages, .. } => {
            println!(
                "first build: {pages} pages in {:.0} ms",
                t.elapsed().as_secs_f64() * 1000.0
            )
        }
        Outcome::Failed { diags, sources } => {
            eprintln!("{}", diags.render(&sources, false));
            return ExitCode::FAILURE;
        }
    }
    let edits = edits(&root, true);
    if edits.is_empty() {
        eprintln!("no article or entity in {}", root.display());
        return ExitCode::FAILURE;
    }
    println!(
        "{:<14} {:>10} {:>10} {:>9} {:>9}",
        "edit", "median ms", "max ms", "rendered", "written"
    );
    let mut failed = false;
    for (name, path, edit) in &edits {
        let original = std::fs::read_to_string(path).unwrap_or_default();
        let rel = path.strip_prefix(&root).unwrap_or(path).to_path_buf();
        let (mut times, mut rendered, mut written) = (Vec::new(), 0, 0);
        for i in 0..rounds {
            let edited = edit(&original, i);
            for text in [edited.as_str(), original.as_str()] {
                if std::fs::write(path, text).is_err() {
                    failed = true;
                }
                match rebuild(&mut session, &rel) {
                    Ok((ms, r, w)) => {
                        times.push(ms);
                        (rendered, written) = (rendered.max(r), written.max(w));
                    }
                    Err(e) => {
                        eprintln!("{e}");
                        failed = true;
                    }
                }
            }
        }
        let _ = std::fs::write(path, &original);
        if times.is_empty() {
            continue;
        }
        let max = times.iter().copied().fold(0.0, f64::max);
        println!(
            "{name:<14} {:>10.0} {max:>10.0} {rendered:>9} {written:>9}",
            median(&mut times)
        );
    }
    // A new article, then its deletion (the full way: the set of pages
    // changes).
    let rel = PathBuf::from("content/articles/zz-edit-latency.md");
    let (mut added, mut deleted) = (Vec::new(), Vec::new());
    for i in 0..rounds {
        let text = format!("+++\ntitle = \"Bài mới {i}\"\ndate = \"2026-11-28\"\n+++\nMột bài viết mới.\n");
        for (write, times) in [(true, &mut added), (false, &mut deleted)] {
            let done = if write {
                std::fs::write(root.join(&rel), &text)
            } else {
                std::fs::remove_file(root.join(&rel))
            };
            if done.is_err() {
                failed = true;
            }
            match rebuild(&mut session, &rel) {
                Ok((ms, _, _)) => times.push(ms),
                Err(e) => {
                    eprintln!("{e}");
                    failed = true;
                }
            }
        }
    }
    let _ = std::fs::remove_file(root.join(&rel));
    for (name, times) in [("new article", &mut added), ("delete it", &mut deleted)] {
        if !times.is_empty() {
            let max = times.iter().copied().fold(0.0, f64::max);
            println!("{name:<14} {:>10.0} {max:>10.0}", median(times));
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
