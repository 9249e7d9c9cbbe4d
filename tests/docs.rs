//! The documentation as a test: every example in `README.md` and `docs/*.md`
//! that is a file or a command is written or run, so the docs cannot rot.
//!
//! Each Markdown file is read in order, in a fresh temporary folder (the
//! "current folder", which `cd` in a command block changes). A fenced
//! block's info string says what it is — a language, then attributes:
//!
//! | info string | what the test does |
//! |---|---|
//! | `LANG file=PATH` | writes the block to `PATH` (under the current folder), then checks the site there as `glossa check` does: no errors allowed |
//! | `LANG file=PATH fails` | the same, but the check must report an error; the file is then put back as it was (an error example never changes the site) |
//! | `sh` | runs each line: `cd DIR`, `glossa ARGS` (the binary cargo built), `cargo run [--release] -- ARGS` (the same), `cargo test` (must be the test command `.ci/run` runs), `cargo install --path .` (the package must have a `glossa` binary). `glossa serve` and `glossa build --watch` are started, seen to come up (serve must answer `GET /` with 200) and stopped. Every command must exit 0 |
//! | `sh fails` | the same, but the last command must exit 1 (`fails=2`: exit 2, a usage error) |
//! | `sh repo` | runs in a copy of the repository's example site (its `glossa.toml`, `content/`, `templates/`, `static/`) |
//! | `sh no-run` | runs nothing: each `glossa` command is checked against the CLI's real flags (`ARGS --help` must exit 0), so a renamed flag fails |
//! | `text output` (any language) | the previous step's output (a command's stderr and stdout, or the check's diagnostics) contains these lines, in a row (indentation aside) |
//! | `html page=PATH` | the page `public/PATH` contains each line of the block (the site is built first unless the previous step was a command) |
//! | `LANG fragment` | an excerpt, not run; TOML and JSON excerpts must still parse |
//! | `text` | an illustration (a folder tree, a URL layout): not checked |
//!
//! Any other block fails the test, so a new example cannot slip in
//! unchecked. When a file or command gives warnings, the next block must be
//! the `output` that shows them. Relative links must point at files that
//! exist, and the README must link to nothing outside the repository.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use glossa::BuildOptions;
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const GLOSSA: &str = env!("CARGO_BIN_EXE_glossa");

/// Documents linked to before they are written.
const PENDING: &[&str] = &[];

/// One fenced block of a document.
struct Block {
    /// `docs/x.md:LINE`, for messages.
    at: String,
    lang: String,
    attrs: Vec<(String, Option<String>)>,
    text: String,
}

impl Block {
    fn has(&self, name: &str) -> bool {
        self.attrs.iter().any(|(k, _)| k == name)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_deref())
    }
}

const ATTRS: &[&str] = &["file", "fails", "repo", "no-run", "output", "page", "fragment"];

/// The fenced blocks of `rel` (relative to the repository), in order.
fn blocks(rel: &str) -> Vec<Block> {
    let text = std::fs::read_to_string(Path::new(REPO).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let mut out = Vec::new();
    let mut open: Option<(String, usize, String)> = None;
    for (ev, range) in Parser::new(&text).into_offset_iter() {
        match ev {
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => panic!("{rel}: an indented code block; fence it and say what it is"),
                };
                let line = text[..range.start].matches('\n').count() + 1;
                open = Some((info, line, String::new()));
            }
            Event::Text(t) => {
                if let Some((_, _, body)) = open.as_mut() {
                    body.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                let (info, line, body) = open.take().unwrap();
                let mut words = info.split_whitespace();
                let lang = words.next().unwrap_or("").to_string();
                let attrs: Vec<(String, Option<String>)> = words
                    .map(|w| match w.split_once('=') {
                        Some((k, v)) => (k.to_string(), Some(v.to_string())),
                        None => (w.to_string(), None),
                    })
                    .collect();
                let at = format!("{rel}:{line}");
                for (k, _) in &attrs {
                    assert!(ATTRS.contains(&k.as_str()), "{at}: unknown attribute `{k}`");
                }
                out.push(Block {
                    at,
                    lang,
                    attrs,
                    text: body,
                });
            }
            _ => {}
        }
    }
    out
}

/// What the last step printed.
struct Outcome {
    /// Which block gave it.
    at: String,
    output: String,
    /// It had warnings: the next block must show them.
    warned: bool,
    /// It was a command (which may have built the site).
    command: bool,
}

/// A document being run.
struct Run {
    tmp: tempfile::TempDir,
    cwd: PathBuf,
    last: Option<Outcome>,
}

impl Run {
    fn new() -> Run {
        let tmp = tempfile::tempdir().unwrap();
        let cwd = tmp.path().to_path_buf();
        Run { tmp, cwd, last: None }
    }

    fn block(&mut self, b: &Block) {
        if let Some(last) = &self.last
            && last.warned
            && !b.has("output")
        {
            panic!(
                "{}: gives warnings the document does not show; add a ```text output block after it:\n{}",
                last.at, last.output
            );
        }
        if b.get("file").is_some() {
            self.write_file(b);
        } else if b.lang == "sh" && b.has("no-run") {
            self.validate_commands(b);
        } else if b.lang == "sh" {
            self.run_commands(b);
        } else if b.has("output") {
            self.compare_output(b);
        } else if b.get("page").is_some() {
            self.compare_page(b);
        } else if b.has("fragment") {
            parse_fragment(b);
        } else if b.lang == "text" && b.attrs.is_empty() {
            // an illustration
        } else {
            panic!(
                "{}: a ```{} block that is neither a file (file=PATH), a command (sh), an output, a page nor a \
                 fragment; say which in its info string (see tests/docs.rs)",
                b.at, b.lang
            );
        }
    }

    fn finish(&self) {
        if let Some(last) = &self.last
            && last.warned
        {
            panic!(
                "{}: gives warnings the document does not show:\n{}",
                last.at, last.output
            );
        }
    }

    /// `file=PATH`: write it and check the site.
    fn write_file(&mut self, b: &Block) {
        let rel = b.get("file").unwrap();
        let path = self.cwd.join(rel);
        let before = std::fs::read(&path).ok();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &b.text).unwrap();
        let report = glossa::check(&self.cwd, &BuildOptions::default(), false);
        let output = report.diags.render(&report.sources, false);
        if b.has("fails") {
            assert!(
                report.diags.has_errors(),
                "{}: marked `fails`, but the site checks without errors:\n{output}",
                b.at
            );
            match before {
                Some(bytes) => std::fs::write(&path, bytes).unwrap(),
                None => std::fs::remove_file(&path).unwrap(),
            }
        } else {
            assert!(
                !report.diags.has_errors(),
                "{}: after writing {rel}, the site has errors:\n{output}",
                b.at
            );
        }
        let warned = !b.has("fails") && report.diags.iter().next().is_some();
        self.last = Some(Outcome {
            at: b.at.clone(),
            output,
            warned,
            command: false,
        });
    }

    fn run_commands(&mut self, b: &Block) {
        if b.has("repo") {
            self.cwd = copy_example_site(self.tmp.path());
        }
        let commands = commands(b);
        assert!(!commands.is_empty(), "{}: an empty command block", b.at);
        let n = commands.len();
        for (k, words) in commands.into_iter().enumerate() {
            let fails = b.has("fails") && k + 1 == n;
            self.run(b, &words, fails);
        }
    }

    fn run(&mut self, b: &Block, words: &[String], fails: bool) {
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        match w.as_slice() {
            ["cd", dir] => {
                self.cwd = self.cwd.join(dir);
                assert!(self.cwd.is_dir(), "{}: `cd {dir}`: no such folder", b.at);
            }
            ["glossa", args @ ..] => self.glossa(b, args, fails),
            ["cargo", "run", rest @ ..] => {
                let at = rest
                    .iter()
                    .position(|a| *a == "--")
                    .unwrap_or_else(|| panic!("{}: `cargo run` without `--`", b.at));
                assert!(
                    rest[..at].iter().all(|a| *a == "--release"),
                    "{}: unexpected cargo flags",
                    b.at
                );
                self.glossa(b, &rest[at + 1..], fails)
            }
            ["cargo", "test"] => {
                let ci = std::fs::read_to_string(Path::new(REPO).join(".ci/run")).unwrap();
                assert!(
                    ci.lines().any(|l| l.trim() == "cargo test"),
                    "{}: `cargo test` is not the test command .ci/run runs",
                    b.at
                );
            }
            ["cargo", "install", "--path", "."] => {
                let manifest: toml::Table =
                    toml::from_str(&std::fs::read_to_string(Path::new(REPO).join("Cargo.toml")).unwrap()).unwrap();
                let bins = manifest["bin"].as_array().unwrap();
                assert!(
                    bins.iter().any(|b| b["name"].as_str() == Some("glossa")),
                    "{}: the package has no `glossa` binary",
                    b.at
                );
            }
            _ => panic!(
                "{}: `{}` is not a command this test knows; mark the block `no-run` if it must not run",
                b.at,
                words.join(" ")
            ),
        }
    }

    fn glossa(&mut self, b: &Block, args: &[&str], fails: bool) {
        let long_running = args.contains(&"serve") || (args.contains(&"build") && args.contains(&"--watch"));
        let output = if long_running {
            start_and_stop(b, &self.cwd, args)
        } else {
            let out = Command::new(GLOSSA)
                .args(args)
                .current_dir(&self.cwd)
                .env("NO_COLOR", "1")
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
            let want = match (fails, b.get("fails")) {
                (false, _) => 0,
                (true, None) => 1,
                (true, Some(code)) => code
                    .parse()
                    .unwrap_or_else(|_| panic!("{}: `fails={code}` is not an exit code", b.at)),
            };
            assert_eq!(
                out.status.code(),
                Some(want),
                "{}: `glossa {}` should exit {want}:\n{text}",
                b.at,
                args.join(" ")
            );
            text
        };
        let warned = output.lines().any(|l| l.starts_with("warning"));
        self.last = Some(Outcome {
            at: b.at.clone(),
            output,
            warned,
            command: true,
        });
    }

    /// `sh no-run`: each glossa command is parsed by the real CLI; the
    /// examples and scripts it names must exist.
    fn validate_commands(&mut self, b: &Block) {
        for words in commands(b) {
            // `VAR=value command …`: the command
            let words: Vec<&str> = words
                .iter()
                .map(String::as_str)
                .skip_while(|w| {
                    w.split_once('=')
                        .is_some_and(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
                })
                .collect();
            let args: Vec<&str> = match words.as_slice() {
                ["glossa", args @ ..] => args.to_vec(),
                ["cargo", "run", rest @ ..] if rest.contains(&"--example") => {
                    let name = rest[rest.iter().position(|a| *a == "--example").unwrap() + 1];
                    assert!(
                        Path::new(REPO).join("examples").join(format!("{name}.rs")).is_file(),
                        "{}: there is no example `{name}`",
                        b.at
                    );
                    continue;
                }
                ["cargo", "run", rest @ ..] => match rest.iter().position(|a| *a == "--") {
                    Some(at) => rest[at + 1..].to_vec(),
                    None => continue,
                },
                [script, ..] if script.contains('/') && !script.starts_with('/') => {
                    assert!(
                        Path::new(REPO).join(script).is_file(),
                        "{}: there is no script {script} in the repository",
                        b.at
                    );
                    continue;
                }
                _ => continue,
            };
            validate(&b.at, &args);
        }
    }

    fn compare_output(&mut self, b: &Block) {
        assert!(
            !b.text.trim().is_empty(),
            "{}: an empty output block; paste what the step before it prints:\n{}",
            b.at,
            self.last.as_ref().map_or("", |l| l.output.as_str())
        );
        let last = self
            .last
            .as_mut()
            .unwrap_or_else(|| panic!("{}: an output block with nothing before it", b.at));
        let actual = normalise(&last.output);
        let expected = normalise(&b.text);
        assert!(
            actual.contains(expected.trim_matches('\n')),
            "{}: the documented output is not what {} gives.\n--- documented:\n{expected}\n--- actual:\n{actual}",
            b.at,
            last.at
        );
        last.warned = false;
    }

    fn compare_page(&mut self, b: &Block) {
        if !self.last.as_ref().is_some_and(|l| l.command) {
            let opts = BuildOptions::default();
            if let Err(f) = glossa::build(&self.cwd, &opts) {
                panic!("{}: the build failed:\n{}", b.at, f.diags.render(&f.sources, false));
            }
        }
        let rel = b.get("page").unwrap();
        let path = self.cwd.join("public").join(rel);
        let page = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {}: {e}", b.at, path.display()));
        for line in b.text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if !page.contains(line) {
                // Keep the site to look at.
                let kept = std::mem::replace(&mut self.tmp, tempfile::tempdir().unwrap()).keep();
                panic!(
                    "{}: {rel} does not contain\n{line}\n(the site is kept in {})",
                    b.at,
                    kept.display()
                );
            }
        }
    }
}

/// The lines of a command block, split at `&&`, as words (`"…"` and `'…'`
/// quoting, `#` comments).
fn commands(b: &Block) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in b.text.lines() {
        let words = shell_words(line);
        for cmd in words.split(|w| w == "&&") {
            if !cmd.is_empty() {
                out.push(cmd.to_vec());
            }
        }
    }
    out
}

fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '#' if cur.is_none() => break,
            c if c.is_whitespace() => {
                if let Some(w) = cur.take() {
                    words.push(w);
                }
            }
            '"' | '\'' => {
                let w = cur.get_or_insert_with(String::new);
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    w.push(q);
                }
            }
            c => cur.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(cur);
    words
}

/// `glossa ARGS --help` exits 0 only when every flag and value in ARGS is one
/// the CLI accepts.
fn validate(at: &str, args: &[&str]) {
    let out = Command::new(GLOSSA)
        .args(args)
        .arg("--help")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{at}: `glossa {}` is not a valid command line:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts `glossa serve` or `glossa build --watch`, waits until it says it
/// is serving or watching (and, for serve, fetches `/`), then stops it.
fn start_and_stop(b: &Block, cwd: &Path, args: &[&str]) -> String {
    let mut child = Command::new(GLOSSA)
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let serve = args.contains(&"serve");
    let mut output = String::new();
    let deadline = Instant::now() + Duration::from_secs(180);
    let ready = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                output.push_str(&line);
                output.push('\n');
                if serve && line.starts_with("Serving ") {
                    break Some(line);
                }
                if !serve && line.starts_with("Watching ") {
                    break Some(line);
                }
            }
            Err(_) => break None,
        }
    };
    let result = ready.map(|line| {
        if serve {
            let url = line
                .split(" at ")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .unwrap();
            http_status(url)
        } else {
            200
        }
    });
    let _ = child.kill();
    let _ = child.wait();
    match result {
        Some(200) => output,
        Some(status) => panic!("{}: `glossa {}` answered {status}:\n{output}", b.at, args.join(" ")),
        None => panic!(
            "{}: `glossa {}` did not come up within 3 minutes:\n{output}",
            b.at,
            args.join(" ")
        ),
    }
}

/// The status code of `GET url` (an `http://host:port/path` URL).
fn http_status(url: &str) -> u16 {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut s = std::net::TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let path = if path.is_empty() { "/" } else { path };
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut head = String::new();
    let _ = s.read_to_string(&mut head);
    head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// Copies the repository's example site into `dir/example`.
fn copy_example_site(dir: &Path) -> PathBuf {
    let to = dir.join("example");
    for part in ["glossa.toml", "content", "templates", "static"] {
        let from = Path::new(REPO).join(part);
        for entry in walkdir::WalkDir::new(&from).into_iter().flatten() {
            let rel = entry.path().strip_prefix(REPO).unwrap();
            let target = to.join(rel);
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&target).unwrap();
            } else {
                std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
    to
}

fn parse_fragment(b: &Block) {
    match b.lang.as_str() {
        "toml" => {
            if let Err(e) = b.text.parse::<toml::Table>() {
                panic!("{}: the TOML excerpt does not parse: {e}", b.at);
            }
        }
        "json" => {
            if let Err(e) = serde_json::from_str::<serde_json::Value>(&b.text) {
                panic!("{}: the JSON excerpt does not parse: {e}", b.at);
            }
        }
        _ => {}
    }
}

/// Each line without its indentation and trailing white space (so an
/// excerpt of indented JSON can be shown at its own indentation).
fn normalise(s: &str) -> String {
    s.lines().map(str::trim).collect::<Vec<_>>().join("\n")
}

/// Checks a document's relative links, then runs its blocks; returns the
/// run, for assertions about what it left.
fn run_doc(rel: &str) -> Run {
    check_links(rel);
    let mut run = Run::new();
    for b in blocks(rel) {
        run.block(&b);
    }
    run.finish();
    run
}

/// Every relative link and image of `rel` points at a file of the
/// repository, and a link's `#fragment` into a Markdown file (this one or
/// another) at one of its headings.
fn check_links(rel: &str) {
    let text = std::fs::read_to_string(Path::new(REPO).join(rel)).unwrap();
    let dir = Path::new(rel).parent().unwrap_or(Path::new(""));
    // (each page's headings read once, whatever number of links name them)
    let mut headings: std::collections::HashMap<String, std::collections::HashSet<String>> =
        std::collections::HashMap::from([(rel.to_string(), anchors(&text))]);
    for (ev, range) in Parser::new(&text).into_offset_iter() {
        let dest = match ev {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => dest_url.to_string(),
            _ => continue,
        };
        let line = text[..range.start].matches('\n').count() + 1;
        if dest.contains("://") || dest.starts_with("mailto:") {
            assert!(
                rel != "README.md",
                "README.md:{line}: links outside the repository ({dest}); the README must stand on its own"
            );
            continue;
        }
        let path = dest.split('#').next().unwrap();
        if path.is_empty() {
            let fragment = &dest[1..];
            assert!(
                headings[rel].contains(fragment),
                "{rel}:{line}: `{dest}`: this page has no heading whose anchor is `#{fragment}`"
            );
            continue;
        }
        let target = normalise_path(&dir.join(path));
        let shown = target.to_string_lossy().replace('\\', "/");
        assert!(
            !shown.starts_with(".."),
            "{rel}:{line}: `{dest}` points outside the repository"
        );
        assert!(
            Path::new(REPO).join(&target).exists() || PENDING.contains(&shown.as_str()),
            "{rel}:{line}: `{dest}` points at {shown}, which does not exist"
        );
        if let Some((_, fragment)) = dest.split_once('#')
            && shown.ends_with(".md")
        {
            let found = headings
                .entry(shown.clone())
                .or_insert_with(|| anchors(&std::fs::read_to_string(Path::new(REPO).join(&target)).unwrap()));
            assert!(
                found.contains(fragment),
                "{rel}:{line}: `{dest}`: {shown} has no heading whose anchor is `#{fragment}`"
            );
        }
    }
}

/// The anchors GitHub gives the headings of a Markdown text: a heading's
/// text lower-cased, with what is not a letter, a digit, `_`, `-` or a
/// space left out and each space made `-`; the second of two alike gets
/// `-1`, the third `-2`.
fn anchors(text: &str) -> std::collections::HashSet<String> {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    let mut out = std::collections::HashSet::new();
    let mut heading: Option<String> = None;
    for ev in Parser::new(text) {
        match ev {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                let h = heading.take().unwrap_or_default();
                let slug: String = h
                    .trim()
                    .to_lowercase()
                    .chars()
                    .filter_map(|c| match c {
                        ' ' | '-' => Some('-'),
                        c if c == '_' || c.is_alphanumeric() => Some(c),
                        _ => None,
                    })
                    .collect();
                let n = seen.entry(slug.clone()).or_insert(0);
                out.insert(if *n == 0 { slug } else { format!("{slug}-{n}") });
                *n += 1;
            }
            _ => {}
        }
    }
    out
}

#[test]
fn a_link_to_a_heading_that_is_not_there_is_caught() {
    let text = "# Performance\n\n## Scaling: 1,000 → 10,000\n\n### `glossa check` with nothing changed\n\n## Scaling: 1,000 → 10,000\n";
    let found = anchors(text);
    for a in [
        "performance",
        "scaling-1000--10000",
        "glossa-check-with-nothing-changed",
        "scaling-1000--10000-1",
    ] {
        assert!(found.contains(a), "{a} not in {found:?}");
    }
    assert_eq!(found.len(), 4);
}

/// `a/b/../c` → `a/c`.
fn normalise_path(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// The documents this file runs: the README and every page of `docs/`.
const DOCS: &[&str] = &[
    "README.md",
    "docs/README.md",
    "docs/commands.md",
    "docs/configuration.md",
    "docs/content.md",
    "docs/annotations.md",
    "docs/annotate.md",
    "docs/interop.md",
    "docs/urls.md",
    "docs/templates.md",
    "docs/diagnostics.md",
    "docs/i18n.md",
    "docs/deploy.md",
    "docs/performance.md",
    "docs/performance-history.md",
    "docs/architecture.md",
    "docs/contributing.md",
];

#[test]
fn every_page_of_docs_is_run_here() {
    let mut found: Vec<String> = std::fs::read_dir(Path::new(REPO).join("docs"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    found.sort();
    let mut listed: Vec<String> = DOCS
        .iter()
        .filter(|d| d.starts_with("docs/"))
        .map(|d| d.to_string())
        .collect();
    listed.sort();
    assert_eq!(
        found, listed,
        "add a new page of docs/ to DOCS (and a test) in tests/docs.rs"
    );
}

#[test]
fn readme() {
    let run = run_doc("README.md");
    // The tour, end to end: init → article → annotations → build, and the
    // built page has the annotations.
    let page = std::fs::read_to_string(run.cwd.join("public/articles/library-reopens/index.html")).unwrap();
    let html = scraper::Html::parse_document(&page);
    let one = |css: &str| {
        let sel = scraper::Selector::parse(css).unwrap();
        html.select(&sel)
            .map(|e| e.text().collect::<String>())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        one(r#".article-body a.mention[href$="/entities/mai-tran/"]"#),
        ["Mai Tran"]
    );
    assert_eq!(
        one(r#".article-body a.mention.auto[href$="/entities/riverside-library/"]"#),
        ["Riverside library"]
    );
    assert_eq!(one(".article-body mark.quote"), ["We kept every book dry,"]);
    assert_eq!(one(".article-body .note-ref"), ["two years of repairs"]);
    // the README's last build is the one for publishing
    assert!(page.contains(r#"<link rel="canonical" href="https://example.org/articles/library-reopens/">"#));
    // The two set-up commands are there, exactly.
    let readme = std::fs::read_to_string(Path::new(REPO).join("README.md")).unwrap();
    assert!(readme.contains("```sh repo\ncargo run --release -- serve\ncargo test\n```"));
}

#[test]
fn docs_index() {
    run_doc("docs/README.md");
}

#[test]
fn docs_commands() {
    run_doc("docs/commands.md");
}

#[test]
fn docs_configuration() {
    run_doc("docs/configuration.md");
}

#[test]
fn docs_content() {
    run_doc("docs/content.md");
}

#[test]
fn docs_annotations() {
    let run = run_doc("docs/annotations.md");
    // `check --fix` wrote the edited quote back.
    let ann = std::fs::read_to_string(run.cwd.join("content/articles/council.annotations.toml")).unwrap();
    assert!(
        ann.contains("exact = \"We will not wait for one more winter.\""),
        "{ann}"
    );
}

#[test]
fn docs_interop() {
    run_doc("docs/interop.md");
}

#[test]
fn docs_urls() {
    let run = run_doc("docs/urls.md");
    let public = run.cwd.join("public");
    // The documented URLs, as patterns of output files.
    let text = std::fs::read_to_string(Path::new(REPO).join("docs/urls.md")).unwrap();
    let documented: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("| `/"))
        .filter_map(|l| l.split('`').next())
        .map(|u| {
            if u.is_empty() || u.ends_with('/') {
                format!("{u}index.html")
            } else {
                u.to_string()
            }
        })
        .collect();
    assert!(documented.len() > 20, "{documented:?}");
    let matches = |pattern: &str, file: &str| {
        let (p, f): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), file.split('/').collect());
        p.len() == f.len()
            && p.iter().zip(&f).all(|(p, f)| {
                let placeholder = |p: &str| ["SLUG", "ID", "QUOTE", "TAG", "N", "YYYY", "MM"].contains(&p);
                // a placeholder, whole or before an extension (`N.json`)
                p == f
                    || (placeholder(p) && !f.is_empty())
                    || p.split_once('.').is_some_and(|(head, ext)| {
                        placeholder(head) && f.len() > ext.len() + 1 && f.ends_with(&format!(".{ext}"))
                    })
            })
    };
    let files: Vec<String> = walkdir::WalkDir::new(&public)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(&public)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    for f in &files {
        assert!(
            documented.iter().any(|p| matches(p, f)),
            "docs/urls.md does not list {f}"
        );
    }
    for p in &documented {
        assert!(
            files.iter().any(|f| matches(p, f)),
            "docs/urls.md lists {p}, which the example does not write"
        );
    }
}

#[test]
fn docs_templates() {
    run_doc("docs/templates.md");
}

#[test]
fn docs_diagnostics() {
    run_doc("docs/diagnostics.md");
}

#[test]
fn docs_i18n() {
    run_doc("docs/i18n.md");
}

#[test]
fn docs_deploy() {
    // The recipes it links to are run, against the example site, by
    // tests/deploy.rs.
    run_doc("docs/deploy.md");
}

#[test]
fn docs_annotate() {
    run_doc("docs/annotate.md");
}

#[test]
fn docs_performance() {
    run_doc("docs/performance.md");
}

#[test]
fn docs_performance_history() {
    run_doc("docs/performance-history.md");
}

#[test]
fn docs_architecture() {
    run_doc("docs/architecture.md");
    // Every source folder and top-level file the map names exists, and every
    // one that exists is on the map.
    let text = std::fs::read_to_string(Path::new(REPO).join("docs/architecture.md")).unwrap();
    let src = Path::new(REPO).join("src");
    for entry in std::fs::read_dir(&src).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let shown = if name.ends_with(".rs") {
            format!("src/{name}")
        } else {
            format!("src/{name}/")
        };
        assert!(text.contains(&shown), "docs/architecture.md does not place {shown}");
        // and, in a folder, each of its files and subfolders
        if !name.ends_with(".rs") {
            for inner in std::fs::read_dir(src.join(&name)).unwrap() {
                let inner = inner.unwrap();
                let mut n = inner.file_name().to_string_lossy().into_owned();
                if inner.path().is_dir() {
                    n.push('/');
                } else if !n.ends_with(".rs") {
                    continue;
                }
                assert!(
                    n == "mod.rs" && name != "site" || text.contains(&n),
                    "docs/architecture.md does not mention src/{name}/{n}"
                );
            }
        }
    }
    for word in text.split(|c: char| c.is_whitespace() || c == '`') {
        if let Some(rel) = word.strip_prefix("src/") {
            let rel = rel.trim_end_matches([',', '.', ':', ')']);
            assert!(
                src.join(rel).exists(),
                "docs/architecture.md names src/{rel}, which does not exist"
            );
        }
    }
}

#[test]
fn docs_contributing() {
    run_doc("docs/contributing.md");
    // Every test file is described.
    let text = std::fs::read_to_string(Path::new(REPO).join("docs/contributing.md")).unwrap();
    for entry in std::fs::read_dir(Path::new(REPO).join("tests")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".rs") {
            assert!(
                text.contains(&format!("`{name}`")),
                "docs/contributing.md does not describe tests/{name}"
            );
        }
    }
}
