//! The "output floor" for benchmarks (issue #6): what writing glossa's
//! output costs on its own, with nothing rendered. It reads an output tree
//! built before into memory, then times re-creating it elsewhere on every
//! core with rayon, the way glossa writes (create the folders, write each
//! file whole):
//!
//! - `empty`: the same folders and file names, every file empty: the cost
//!   of the URL layout alone (one folder per page, one file per page or
//!   image);
//! - `full`: the same files with their bytes;
//! - `required`: only what the spec asks for (`full` less the article cards
//!   and the entities' hover-preview JSON, which glossa adds): the least
//!   any build of this site writes.
//!
//! ```text
//! cargo run --release --example output_floor -- BUILT_OUTPUT SCRATCH_DIR [RUNS]
//! ```
//!
//! `SCRATCH_DIR` is removed and re-created for every run; put it on the same
//! file system as glossa's output in the bench (tmpfs).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use rayon::prelude::*;
use walkdir::WalkDir;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(from), Some(scratch)) = (args.first(), args.get(1)) else {
        eprintln!("usage: output_floor BUILT_OUTPUT SCRATCH_DIR [RUNS]");
        return ExitCode::from(2);
    };
    let runs: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(3);
    let from = Path::new(from);
    let scratch = Path::new(scratch);
    let files: Vec<(PathBuf, Vec<u8>)> = WalkDir::new(from)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(from).expect("under the root").to_path_buf();
            let bytes = fs::read(e.path()).expect("readable output");
            (rel, bytes)
        })
        .collect();
    if files.is_empty() {
        eprintln!("no files under {}", from.display());
        return ExitCode::FAILURE;
    }
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let mut dirs: Vec<&Path> = files.iter().filter_map(|(p, _)| p.parent()).collect();
    dirs.sort();
    dirs.dedup();
    println!(
        "{} files, {} folders, {:.0} MB, {} threads",
        files.len(),
        dirs.len(),
        bytes as f64 / 1e6,
        rayon::current_num_threads()
    );
    // (glossa's additions: a card per article, a preview per entity)
    let extra = |p: &Path| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let top = p.components().next().and_then(|c| c.as_os_str().to_str()).unwrap_or("");
        (top == "articles" && name == "card.png") || (top == "entities" && name == "preview.json")
    };
    for (what, with_bytes, only_required) in [("empty", false, false), ("full", true, false), ("required", true, true)]
    {
        let mut times = Vec::new();
        for _ in 0..runs {
            let _ = fs::remove_dir_all(scratch);
            let t = Instant::now();
            dirs.par_iter()
                .for_each(|d| fs::create_dir_all(scratch.join(d)).expect("mkdir"));
            files
                .par_iter()
                .filter(|(p, _)| !(only_required && extra(p)))
                .for_each(|(p, b)| {
                    let b: &[u8] = if with_bytes { b } else { &[] };
                    fs::write(scratch.join(p), b).expect("write");
                });
            times.push(t.elapsed().as_secs_f64());
        }
        let _ = fs::remove_dir_all(scratch);
        times.sort_by(f64::total_cmp);
        println!(
            "{what}: median {:.3} s (min {:.3}, max {:.3}, {runs} runs)",
            times[times.len() / 2],
            times[0],
            times[times.len() - 1]
        );
    }
    ExitCode::SUCCESS
}
