//! End-to-end latency of `glossa serve` (issue #3): the real server, file
//! watcher and debounce, on a corpus from `gen_corpus`. For each edit the
//! time is taken from just before the file is written to the moment the
//! `reload` event arrives on the live-reload stream (what an open page
//! waits for). `edit_latency` times the rebuild alone; this adds the
//! watcher's debounce and batching.
//!
//! Edits, each made and then undone (both timed): an article's body (a
//! sentence appended), a note's text in an annotation file, an entity's
//! description (a sentence appended), and the summary (first sentence) of
//! the entity most annotation files name.
//!
//! ```text
//! cargo run --release --example serve_latency -- SITE_ROOT OUTPUT_DIR [ROUNDS] [DEBOUNCE_MS]
//! ```

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;
use support::{edits, median};

/// Reads the event stream in a thread; sends the arrival time of each
/// `reload` or `error` event.
fn listen(addr: SocketAddr) -> mpsc::Receiver<(String, Instant)> {
    let (tx, rx) = mpsc::channel();
    let mut stream = TcpStream::connect(addr).expect("connect to the server");
    write!(
        stream,
        "GET /__glossa/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .expect("request the event stream");
    std::thread::spawn(move || {
        let reader = BufReader::new(stream);
        for line in reader.lines() {
            let Ok(line) = line else { break };
            if let Some(name) = line.strip_prefix("event:") {
                let _ = tx.send((name.trim().to_string(), Instant::now()));
            }
        }
    });
    rx
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(root), Some(out)) = (args.first(), args.get(1)) else {
        eprintln!("usage: serve_latency SITE_ROOT OUTPUT_DIR [ROUNDS] [DEBOUNCE_MS]");
        return ExitCode::from(2);
    };
    let rounds: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let root = PathBuf::from(root);
    let mut opts = glossa::serve::ServeOptions::new(&root);
    opts.port = 0;
    opts.color = false;
    opts.build.output_dir = Some(PathBuf::from(out));
    if let Some(ms) = args.get(3).and_then(|s| s.parse().ok()) {
        opts.debounce = Duration::from_millis(ms);
    }
    let debounce = opts.debounce;
    let t = Instant::now();
    let server = match glossa::serve::start(opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot start the server: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "server up (first build) in {:.1} s; debounce {} ms",
        t.elapsed().as_secs_f64(),
        debounce.as_millis()
    );
    let events = listen(server.addr());
    // the stream opens with "hello"
    let _ = events.recv_timeout(Duration::from_secs(10));

    let edits = edits(&root, false);
    println!("{:<14} {:>10} {:>10}", "edit", "median ms", "max ms");
    let mut failed = false;
    for (name, path, edit) in &edits {
        let original = std::fs::read_to_string(path).unwrap_or_default();
        let mut times = Vec::new();
        for i in 0..rounds {
            let edited = edit(&original, i);
            for text in [edited.as_str(), original.as_str()] {
                // let the previous rebuild's aftermath settle
                std::thread::sleep(Duration::from_millis(300));
                while events.try_recv().is_ok() {}
                let t = Instant::now();
                if std::fs::write(path, text).is_err() {
                    failed = true;
                    continue;
                }
                match events.recv_timeout(Duration::from_secs(60)) {
                    Ok((ev, at)) if ev == "reload" => times.push(at.duration_since(t).as_secs_f64() * 1000.0),
                    Ok((ev, _)) => {
                        eprintln!("{name}: a {ev} event instead of a reload");
                        failed = true;
                    }
                    Err(_) => {
                        eprintln!("{name}: no reload within 60 s");
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
        println!("{name:<14} {:>10.0} {max:>10.0}", median(&mut times));
    }
    std::thread::sleep(Duration::from_millis(300));
    server.stop();
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
