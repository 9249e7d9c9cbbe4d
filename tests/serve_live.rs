//! `glossa serve` end to end, in-process on a free port: an edit on disk
//! changes the served page and sends a reload event; a broken annotation
//! sends an error event with file:line while the last good page stays up;
//! the fix sends a reload. Also `glossa build --watch` as a process,
//! stopped with Ctrl-C (SIGINT). Editor temp files never cause a rebuild:
//! each test proves it by what comes first after a real edit, not by
//! waiting for nothing to happen.

mod common;
mod serve_http;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use glossa::serve::watch::{Batch, Watch};
use glossa::serve::{ServeOptions, start};
use serve_http::{Sse, get};

const WAIT: Duration = Duration::from_secs(20);

fn serve(root: &Path) -> glossa::serve::Server {
    let mut opts = ServeOptions::new(root);
    opts.port = 0;
    opts.color = false;
    opts.debounce = Duration::from_millis(80);
    start(opts).expect("server starts")
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn append(path: &Path, text: &str) {
    let mut old = std::fs::read_to_string(path).unwrap();
    old.push_str(text);
    std::fs::write(path, old).unwrap();
}

/// What editors leave beside a file they save: swap, backup, Vim's write
/// test and Emacs's lock.
const TEMP_FILES: [&str; 4] = [".chip-war.md.swp", "chip-war.md~", "4913", ".#chip-war.md"];

fn write_temp_files(dir: &Path) {
    for name in TEMP_FILES {
        std::fs::write(dir.join(name), "x").unwrap();
    }
}

/// The watcher's batches never name an editor temp file: written just
/// before a real edit, only the edited file reaches the rebuild.
#[test]
fn editor_temp_files_never_reach_a_rebuild() {
    let site = common::copy_site(&common::fixture("multi"), false);
    let root = site.path();
    let mut watch = Watch::new(root, &root.join("public"), Duration::from_millis(20)).expect("a watcher");
    let articles = root.join("content/articles");
    write_temp_files(&articles);
    append(&articles.join("chip-war.md"), "\n\nMột lần sửa thật.\n");
    let real = PathBuf::from("content/articles/chip-war.md");
    let deadline = Instant::now() + WAIT;
    let mut seen: Vec<PathBuf> = Vec::new();
    while !seen.contains(&real) {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no batch named the edited file; seen {seen:?}");
        match watch.next(left) {
            Some(Batch::Changed(paths)) => seen.extend(paths),
            Some(Batch::Rescan) => panic!("the watcher lost events"),
            Some(Batch::Error(e)) => panic!("the watcher failed: {e}"),
            Some(Batch::Job(_)) => panic!("nobody sent a job"),
            None => {}
        }
    }
    assert_eq!(seen, [real]);
}

#[test]
fn edits_reload_errors_show_and_the_last_good_site_stays() {
    let site = common::copy_site(&common::fixture("multi"), false);
    let root = site.path();
    let server = serve(root);
    let addr = server.addr();
    // No --base-url: the site is built for this server, at its root.
    assert_eq!(server.base_url(), format!("http://127.0.0.1:{}/", addr.port()));
    assert_eq!(server.root_path(), "/");

    let page = "/articles/chip-war/";
    let first = get(addr, page);
    assert_eq!(first.status, 200);
    assert!(
        first
            .text()
            .contains("<script src=\"/__glossa/live.js\"></script></body>")
    );
    // Feeds carry this server's absolute URLs.
    assert!(
        get(addr, "/atom.xml")
            .text()
            .contains(&format!("http://127.0.0.1:{}/articles/chip-war/", addr.port()))
    );
    // The file on disk has no live-reload script.
    let on_disk = std::fs::read_to_string(root.join("public/articles/chip-war/index.html")).unwrap();
    assert!(!on_disk.contains("__glossa"));

    let mut events = Sse::connect(addr, "/__glossa/events");
    assert_eq!(events.next(WAIT).expect("hello").name, "hello");

    // Editor temp files alone cause nothing: the first event after them is
    // the reload for the real edit that follows (a rebuild for the temp
    // files alone would have sent a reload naming nothing, first).
    let articles = root.join("content/articles");
    write_temp_files(&articles);

    // (a) an in-place edit: the page changes and a reload names it.
    let started = Instant::now();
    append(&articles.join("chip-war.md"), "\n\nĐoạn sửa đổi mới.\n");
    let ev = events.next(WAIT).expect("a reload event after the edit");
    assert_eq!(ev.name, "reload", "{ev:?}");
    assert!(ev.data.contains("articles/chip-war/index.html"), "{}", ev.data);
    eprintln!("edit → reload event in {} ms", started.elapsed().as_millis());
    assert!(get(addr, page).text().contains("Đoạn sửa đổi mới."));

    // An editor's atomic save: write a temp file, rename over the article.
    let tmp = articles.join("chip-war.md.tmp");
    let text = std::fs::read_to_string(articles.join("chip-war.md")).unwrap();
    std::fs::write(&tmp, text.replace("Đoạn sửa đổi mới.", "Lưu kiểu nguyên tử.")).unwrap();
    std::fs::rename(&tmp, articles.join("chip-war.md")).unwrap();
    let ev = events
        .next_named("reload", WAIT)
        .expect("a reload event after an atomic save");
    assert!(ev.data.contains("articles/chip-war/index.html"), "{}", ev.data);
    assert!(get(addr, page).text().contains("Lưu kiểu nguyên tử."));

    // (b) a broken annotation: an error event with the file and line; the
    // last good page is still served.
    let ann = articles.join("chip-war.annotations.toml");
    edit(&ann, "entity = \"huawei\"", "entity = \"huaweii\"");
    let ev = events.next_named("error", WAIT).expect("an error event");
    let text: serde_json::Value = serde_json::from_str(&ev.data).unwrap();
    let text = text["text"].as_str().unwrap();
    assert!(text.contains("chip-war.annotations.toml:3:"), "{text}");
    assert!(text.contains("huaweii") && text.contains("hint"), "{text}");
    assert!(!text.contains('\u{1b}'), "plain text, no colour codes: {text:?}");
    let still = get(addr, page);
    assert_eq!(still.status, 200);
    assert!(still.text().contains("Lưu kiểu nguyên tử."));
    // A page opened now gets the error at once.
    let mut late = Sse::connect(addr, "/__glossa/events");
    let ev = late.next(WAIT).expect("the current error");
    assert_eq!(ev.name, "error");
    assert!(ev.data.contains("chip-war.annotations.toml:3:"));
    let err = get(addr, "/__glossa/error");
    assert!(err.text().contains("huaweii"), "{}", err.text());

    // The fix: a reload event, the error is gone.
    edit(&ann, "entity = \"huaweii\"", "entity = \"huawei\"");
    events.next_named("reload", WAIT).expect("a reload event after the fix");
    late.next_named("reload", WAIT).expect("the late page reloads too");
    assert!(get(addr, "/__glossa/error").text().contains("\"error\":null"));

    // A new folder with files in it, and a burst of changes: one rebuild
    // picks them all up.
    std::fs::create_dir_all(root.join("static/img")).unwrap();
    for i in 0..30 {
        std::fs::write(root.join(format!("static/img/f{i}.txt")), format!("{i}")).unwrap();
    }
    let deadline = Instant::now() + WAIT;
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < 30 && Instant::now() < deadline {
        let Some(ev) = events.next_named("reload", WAIT) else {
            break;
        };
        let v: serde_json::Value = serde_json::from_str(&ev.data).unwrap();
        for p in v["changed"].as_array().unwrap() {
            seen.insert(p.as_str().unwrap().to_string());
        }
    }
    assert_eq!(seen.iter().filter(|p| p.starts_with("img/f")).count(), 30, "{seen:?}");
    assert_eq!(get(addr, "/img/f7.txt").text(), "7");

    // Deleting an article removes its page (now the 404 page).
    std::fs::remove_file(articles.join("plain.md")).unwrap();
    let ev = events.next_named("reload", WAIT).expect("a reload after the delete");
    assert!(ev.data.contains("articles/plain/index.html"), "{}", ev.data);
    assert_eq!(get(addr, "/articles/plain/").status, 404);

    server.stop();
}

#[test]
fn a_site_broken_from_the_start_is_served_with_the_error() {
    let site = common::copy_site(&common::fixture("multi"), false);
    let root = site.path();
    let ann = root.join("content/articles/chip-war.annotations.toml");
    edit(&ann, "entity = \"smic\"", "entity = \"smicc\"");
    let server = serve(root);
    let addr = server.addr();
    // Nothing was built: the fallback 404 page still carries the script.
    let r = get(addr, "/");
    assert_eq!(r.status, 404);
    assert!(r.text().contains("/__glossa/live.js"));
    let mut events = Sse::connect(addr, "/__glossa/events");
    let ev = events.next(WAIT).expect("the error at once");
    assert_eq!(ev.name, "error");
    assert!(ev.data.contains("chip-war.annotations.toml:8:"), "{}", ev.data);
    edit(&ann, "entity = \"smicc\"", "entity = \"smic\"");
    events.next_named("reload", WAIT).expect("a reload after the fix");
    assert_eq!(get(addr, "/").status, 200);
    server.stop();
}

#[cfg(unix)]
#[test]
fn build_watch_rebuilds_and_stops_on_ctrl_c() {
    use std::process::{Command, Stdio};
    let site = common::copy_site(&common::fixture("multi"), false);
    let root = site.path();
    let out = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_glossa"))
        .args(["--root"])
        .arg(root)
        .args(["build", "--watch", "--output-dir"])
        .arg(out.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Its terminal output, line by line as it comes.
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let reader = {
        let lines = lines.clone();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        })
    };
    let logged = |what: &str| lines.lock().unwrap().iter().any(|l| l.contains(what));
    let page = out.path().join("articles/chip-war/index.html");
    let wait_for = |what: &dyn Fn() -> bool| {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if what() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    };
    let stop = |child: &mut std::process::Child| {
        let _ = Command::new("kill").arg("-INT").arg(child.id().to_string()).status();
    };
    // The watcher is set up after the first build, and says so.
    if !wait_for(&|| logged("Watching ")) {
        stop(&mut child);
        panic!("no watcher: {:?}", lines.lock().unwrap());
    }
    assert!(page.is_file(), "the first build");
    // Editor temp files, then a real edit: only the edit is a change.
    write_temp_files(&root.join("content/articles"));
    append(
        &root.join("content/articles/chip-war.md"),
        "\n\nTheo dõi và dựng lại.\n",
    );
    let rebuilt = wait_for(&|| std::fs::read_to_string(&page).is_ok_and(|t| t.contains("Theo dõi và dựng lại.")));
    stop(&mut child);
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    reader.join().unwrap();
    let lines = lines.lock().unwrap();
    let stderr = lines.join("\n");
    assert!(rebuilt, "the edit was not rebuilt:\n{stderr}");
    let changes: Vec<&String> = lines.iter().filter(|l| l.starts_with("Change detected")).collect();
    assert!(
        !changes.is_empty()
            && changes
                .iter()
                .all(|l| *l == "Change detected: content/articles/chip-war.md"),
        "only the edited file is a change:\n{stderr}"
    );
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "Ctrl-C exits cleanly:\n{stderr}"
    );
    assert!(!out.path().join("__glossa").exists());
}
