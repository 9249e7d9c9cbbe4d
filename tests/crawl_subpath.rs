//! The example site built for a sub-path, served from that sub-path by the
//! `glossa serve` binary, and crawled from its home page (and robots.txt)
//! like a link checker would: every internal link, stylesheet, script, image, feed,
//! sitemap entry and search-index URL must answer 200 (or redirect to a
//! 200), every `#fragment` must name an element on its target page, nothing
//! may point outside `/project/`, and every file of the output must be
//! reached by following links (or be one a host looks for by name, like
//! robots.txt): nothing is published that no page uses.

mod common;
mod serve_http;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use scraper::{Html, Selector};
use serve_http::{Response, get};

const SUB: &str = "/project/";
/// The crawl stops (and fails) after this many requests.
const MAX_REQUESTS: usize = 2000;
/// The whole crawl must finish within this.
const CRAWL_DEADLINE: Duration = Duration::from_secs(120);
const START_DEADLINE: Duration = Duration::from_secs(60);

/// A `glossa serve` process; killed on drop.
struct Serve {
    child: Child,
    addr: SocketAddr,
    started: String,
    log: mpsc::Receiver<String>,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    /// Everything the server printed so far.
    fn log(&self) -> String {
        let later: Vec<String> = self.log.try_iter().collect();
        format!("{}\n{}", self.started, later.join("\n"))
    }
}

/// Starts `glossa serve` for `root` on a free port with
/// `--base-url http://127.0.0.1:PORT/project/`, and waits for its
/// "Serving … at URL" line. `None` when the port was taken in the meantime
/// (the server then picks another, which would not match the base URL).
fn spawn_serve(root: &std::path::Path, out: &std::path::Path) -> Option<Serve> {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base_url = format!("http://127.0.0.1:{port}{SUB}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_glossa"))
        .arg("--root")
        .arg(root)
        .args([
            "serve",
            "--port",
            &port.to_string(),
            "--base-url",
            &base_url,
            "--output-dir",
        ])
        .arg(out)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("glossa serve starts");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + START_DEADLINE;
    let url = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                seen.push(line.clone());
                if let Some(rest) = line.strip_prefix("Serving ")
                    && let Some((_, url)) = rest.rsplit_once(" at ")
                {
                    break url.split_whitespace().next().unwrap_or_default().to_string();
                }
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("glossa serve did not start:\n{}", seen.join("\n"));
            }
        }
    };
    let serve = Serve {
        child,
        addr: ([127, 0, 0, 1], port).into(),
        started: seen.join("\n"),
        log: rx,
    };
    if url != base_url {
        eprintln!("port {port} was taken; the server said {url}; retrying");
        return None;
    }
    assert!(
        serve.started.contains("Built "),
        "the first build failed:\n{}",
        serve.started
    );
    Some(serve)
}

/// `%XX` decoding (for fragments and for paths compared with files).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What goes on the request line: non-ASCII and spaces percent-encoded.
fn wire_path(path: &str) -> String {
    let mut out = String::new();
    for &c in path.as_bytes() {
        if c.is_ascii_graphic() {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

/// Removes `.` and `..` segments from an absolute path.
fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let mut p = format!("/{}", parts.join("/"));
    if trailing && !p.ends_with('/') {
        p.push('/');
    }
    p
}

/// Where a reference found on page `from` (a path) leads.
#[derive(Debug, PartialEq)]
enum Target {
    /// An internal path (without query) and its fragment.
    Internal(String, Option<String>),
    /// A link to another site: not fetched.
    External,
    /// mailto:, data:, …: nothing to check.
    Ignored,
    /// On this server (or root-relative) but outside the sub-path.
    Outside,
}

fn classify(reference: &str, from: &str, origin: &str) -> Target {
    let r = reference.trim();
    let lower = r.to_ascii_lowercase();
    if ["mailto:", "tel:", "data:", "javascript:"]
        .iter()
        .any(|s| lower.starts_with(s))
    {
        return Target::Ignored;
    }
    let (before, frag) = match r.split_once('#') {
        Some((p, f)) => (p, Some(percent_decode(f))),
        None => (r, None),
    };
    let before = before.split('?').next().unwrap_or_default();
    let path = if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("//") {
        let full = if let Some(rest) = before.strip_prefix("//") {
            format!("http://{rest}")
        } else {
            before.to_string()
        };
        match full.strip_prefix(origin) {
            Some(p) if p.starts_with('/') => p.to_string(),
            Some("") => "/".to_string(),
            _ if full.contains("127.0.0.1") || full.contains("localhost") => return Target::Outside,
            _ => return Target::External,
        }
    } else if before.is_empty() {
        from.to_string()
    } else if before.starts_with('/') {
        before.to_string()
    } else {
        let dir = &from[..from.rfind('/').map_or(0, |i| i + 1)];
        format!("{dir}{before}")
    };
    let path = normalise(&percent_decode(&path));
    if path.starts_with(SUB) {
        Target::Internal(path, frag)
    } else {
        Target::Outside
    }
}

/// The files of the search index its layout (`search/meta.json`, at
/// `meta`) names, as `static/search.js` names them: the term shards, each
/// kind's chunks of result lines, the chunks of articles' texts.
fn search_files(meta: &str, v: &serde_json::Value) -> Vec<String> {
    let dir = meta.trim_end_matches("meta.json");
    let n = |v: &serde_json::Value| v.as_u64().unwrap_or_else(|| panic!("{meta}: {v}")) as usize;
    let mut files: Vec<String> = (0..n(&v["shards"])).map(|k| format!("{dir}t/{k}.json")).collect();
    for kind in ["e", "a", "q"] {
        let chunks = n(&v[kind][0]).div_ceil(n(&v[kind][1]));
        files.extend((0..chunks).map(|c| format!("{dir}{kind}/{c}.json")));
    }
    let texts = n(&v["a"][0]).div_ceil(n(&v["x"]));
    files.extend((0..texts).map(|c| format!("{dir}x/{c}.json.gz")));
    files
}

/// Every URL an HTML page refers to.
fn html_refs(doc: &Html) -> Vec<String> {
    let mut refs = Vec::new();
    let attr_sel = Selector::parse("[href], [src], [data-index], form[action], [srcset]").unwrap();
    for el in doc.select(&attr_sel) {
        let v = el.value();
        for a in ["href", "src", "action"] {
            if let Some(x) = v.attr(a) {
                refs.push(x.to_string());
            }
        }
        // the search index's layout
        if let Some(x) = v.attr("data-index") {
            refs.push(x.to_string());
        }
        if let Some(set) = v.attr("srcset") {
            for item in set.split(',') {
                if let Some(u) = item.split_whitespace().next() {
                    refs.push(u.to_string());
                }
            }
        }
    }
    let meta = Selector::parse(
        "meta[property='og:image'][content], meta[property='og:url'][content], meta[name='twitter:image'][content]",
    )
    .unwrap();
    for el in doc.select(&meta) {
        refs.push(el.value().attr("content").unwrap().to_string());
    }
    // The hover previews: each entity's URL + "preview.json" is fetched.
    let previews = Selector::parse("script#glossa-entities").unwrap();
    for el in doc.select(&previews) {
        let text: String = el.text().collect();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid previews ({e})"));
        for info in v.as_object().into_iter().flat_map(|m| m.values()) {
            let url = info["url"]
                .as_str()
                .unwrap_or_else(|| panic!("a preview without a url: {info}"));
            refs.push(format!("{url}preview.json"));
        }
    }
    // JSON-LD: URLs under "url", "image", "@id".
    let ld = Selector::parse("script[type='application/ld+json']").unwrap();
    for el in doc.select(&ld) {
        let text: String = el.text().collect();
        let v: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid JSON-LD ({e}): {text}"));
        json_urls(&v, &mut refs);
    }
    refs
}

fn json_urls(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("url" | "image" | "@id", serde_json::Value::String(s)) if s.starts_with("http") => {
                        out.push(s.clone())
                    }
                    _ => json_urls(x, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_urls(x, out)),
        _ => {}
    }
}

/// URLs in a feed or sitemap: `<link href>` and `<loc>`.
fn xml_refs(text: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("invalid XML ({e})"));
    let mut refs = Vec::new();
    for n in doc.descendants().filter(|n| n.is_element()) {
        match n.tag_name().name() {
            "link" => refs.extend(n.attribute("href").map(str::to_string)),
            "loc" => refs.extend(n.text().map(|t| t.trim().to_string())),
            _ => {}
        }
    }
    refs
}

fn content_type(r: &Response) -> String {
    r.header("content-type").unwrap_or_default().to_ascii_lowercase()
}

/// The output file a served path comes from.
fn file_of(path: &str) -> String {
    let rest = path.strip_prefix(SUB).expect("under the sub-path");
    if rest.is_empty() || rest.ends_with('/') {
        format!("{rest}index.html")
    } else {
        rest.to_string()
    }
}

#[derive(Default)]
struct Crawl {
    requests: usize,
    /// Path → final path after redirects (itself when 200).
    resolved: HashMap<String, String>,
    /// Final path → the element ids on it (HTML pages only).
    ids: HashMap<String, BTreeSet<String>>,
    /// Final paths that answered 200, with their content type.
    ok: BTreeMap<String, String>,
    /// (target path, fragment, page it was found on).
    fragments: Vec<(String, String, String)>,
    external: BTreeSet<String>,
    problems: Vec<String>,
    redirects: usize,
}

impl Crawl {
    /// GETs `path`, following redirects; returns the final path and response
    /// when it is 200.
    fn fetch(&mut self, addr: SocketAddr, origin: &str, path: &str, found_on: &str) -> Option<(String, Response)> {
        let mut current = path.to_string();
        for _hop in 0..5 {
            assert!(
                self.requests < MAX_REQUESTS,
                "more than {MAX_REQUESTS} requests: the crawl does not end"
            );
            self.requests += 1;
            let r = get(addr, &wire_path(&current));
            match r.status {
                200 => {
                    self.resolved.insert(path.to_string(), current.clone());
                    return Some((current, r));
                }
                301 | 302 | 303 | 307 | 308 => {
                    self.redirects += 1;
                    let loc = r.header("location").unwrap_or_default().to_string();
                    match classify(&loc, &current, origin) {
                        Target::Internal(p, _) => current = p,
                        other => {
                            self.problems.push(format!(
                                "{current} (linked from {found_on}) redirects to {loc:?}: {other:?}"
                            ));
                            return None;
                        }
                    }
                }
                s => {
                    self.problems
                        .push(format!("{current} (linked from {found_on}) answers {s}"));
                    return None;
                }
            }
        }
        self.problems
            .push(format!("{path} (linked from {found_on}): too many redirects"));
        None
    }
}

#[test]
fn the_example_site_under_a_sub_path_has_no_broken_links() {
    let started = Instant::now();
    // A copy of the example site (content, templates, static, glossa.toml),
    // so that edits to the repo while the test runs cause no rebuild.
    let site = common::copy_site(&common::seed_root(), true);
    let out = tempfile::tempdir().unwrap();
    let server = (0..3)
        .find_map(|_| spawn_serve(site.path(), out.path()))
        .expect("a free port for glossa serve");
    let addr = server.addr;
    let origin = format!("http://127.0.0.1:{}", addr.port());
    eprintln!("served in {} ms", started.elapsed().as_millis());

    // Outside the sub-path there is nothing.
    for p in ["/", "/index.html", "/style.css", "/entities/"] {
        let r = get(addr, p);
        assert_eq!(r.status, 404, "{p} is served outside {SUB}");
    }

    let crawl_started = Instant::now();
    let mut crawl = Crawl::default();
    let mut queue: VecDeque<(String, String)> = VecDeque::new();
    let mut queued: BTreeSet<String> = BTreeSet::new();
    queue.push_back((SUB.to_string(), "(start)".to_string()));
    queued.insert(SUB.to_string());
    // What crawlers look up without a link: robots.txt (and its sitemap).
    let robots = format!("{SUB}robots.txt");
    queue.push_back((robots.clone(), "(crawlers)".to_string()));
    queued.insert(robots);
    let mut html_pages = 0;

    while let Some((path, found_on)) = queue.pop_front() {
        assert!(
            crawl_started.elapsed() < CRAWL_DEADLINE,
            "the crawl took longer than {CRAWL_DEADLINE:?} ({} requests)",
            crawl.requests
        );
        let Some((final_path, r)) = crawl.fetch(addr, &origin, &path, &found_on) else {
            continue;
        };
        if final_path != path && !queued.insert(final_path.clone()) {
            continue; // a redirect to a page crawled under its own path
        }
        let ctype = content_type(&r);
        crawl.ok.insert(final_path.clone(), ctype.clone());
        let refs = if ctype.starts_with("text/html") {
            html_pages += 1;
            let doc = Html::parse_document(&r.text());
            let ids: BTreeSet<String> = doc
                .select(&Selector::parse("[id]").unwrap())
                .filter_map(|e| e.value().attr("id").map(str::to_string))
                .collect();
            crawl.ids.insert(final_path.clone(), ids);
            html_refs(&doc)
        } else if ctype.contains("xml") {
            xml_refs(&r.text())
        } else if ctype.starts_with("application/json") {
            let v: serde_json::Value = serde_json::from_slice(&r.body).expect("valid JSON");
            if final_path.ends_with("/search/meta.json") {
                // The search index's layout: the files the script may fetch.
                search_files(&final_path, &v)
            } else {
                // The search index's result lines: every result's URL.
                v.as_array()
                    .map(|docs| {
                        docs.iter()
                            .filter_map(|d| d["u"].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default()
            }
        } else if ctype.starts_with("text/plain") && final_path.ends_with("/robots.txt") {
            r.text()
                .lines()
                .filter_map(|l| l.strip_prefix("Sitemap:").map(|u| u.trim().to_string()))
                .collect()
        } else {
            Vec::new()
        };
        for reference in refs {
            match classify(&reference, &final_path, &origin) {
                Target::Internal(p, frag) => {
                    if let Some(f) = frag {
                        crawl.fragments.push((p.clone(), f, final_path.clone()));
                    }
                    if queued.insert(p.clone()) {
                        queue.push_back((p, final_path.clone()));
                    }
                }
                Target::External => {
                    crawl.external.insert(reference);
                }
                Target::Ignored => {}
                Target::Outside => crawl
                    .problems
                    .push(format!("{final_path} points outside {SUB}: {reference:?}")),
            }
        }
    }

    // The 404 page is reached by a missing path, not a link: it must be
    // served under the sub-path and its links must work from any depth.
    let missing = format!("{SUB}no/such/page/");
    crawl.requests += 1;
    let r = get(addr, &missing);
    assert_eq!(r.status, 404, "{missing}");
    let doc = Html::parse_document(&r.text());
    let own_404 = std::fs::read_to_string(out.path().join("404.html")).unwrap();
    let title_of = |d: &Html| {
        d.select(&Selector::parse("title").unwrap())
            .next()
            .map(|t| t.text().collect::<String>())
    };
    assert_eq!(
        title_of(&doc),
        title_of(&Html::parse_document(&own_404)),
        "a missing page gets the site's 404.html"
    );
    let mut checked_404 = 0;
    for reference in html_refs(&doc) {
        match classify(&reference, &missing, &origin) {
            Target::Internal(p, frag) => {
                checked_404 += 1;
                if let Some(f) = frag {
                    crawl.fragments.push((p.clone(), f, "404.html".into()));
                }
                if p != missing && !crawl.resolved.contains_key(&p) {
                    let _ = crawl.fetch(addr, &origin, &p, "404.html");
                }
            }
            Target::Outside => crawl
                .problems
                .push(format!("404.html points outside {SUB}: {reference:?}")),
            Target::External => {
                crawl.external.insert(reference);
            }
            Target::Ignored => {}
        }
    }

    // Every #fragment names an element of its target page.
    let mut fragments_checked = 0;
    for (target, frag, from) in &crawl.fragments {
        let page = if target == &missing {
            target.clone()
        } else {
            match crawl.resolved.get(target) {
                Some(p) => p.clone(),
                None => continue, // already reported as broken
            }
        };
        fragments_checked += 1;
        let found = if page == missing {
            doc.select(&Selector::parse("[id]").unwrap())
                .any(|e| e.value().attr("id") == Some(frag.as_str()))
        } else {
            crawl.ids.get(&page).is_some_and(|ids| ids.contains(frag))
        };
        if !found {
            crawl.problems.push(format!("{from}: #{frag} is not an id on {page}"));
        }
    }

    // Every HTML file of the output was reached (404.html through a missing
    // path, above).
    let reached: BTreeSet<String> = crawl
        .ok
        .iter()
        .filter(|(_, t)| t.starts_with("text/html"))
        .map(|(p, _)| file_of(p))
        .collect();
    let mut all_files = BTreeSet::new();
    for e in walkdir::WalkDir::new(out.path()).into_iter().flatten() {
        if e.file_type().is_file() {
            all_files.insert(
                e.path()
                    .strip_prefix(out.path())
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
            );
        }
    }
    let html_files: Vec<&String> = all_files.iter().filter(|f| f.ends_with(".html")).collect();
    for f in &html_files {
        if f.as_str() != "404.html" && !reached.contains(f.as_str()) {
            crawl.problems.push(format!("{f} is not reachable from the home page"));
        }
    }
    // Nothing is published that no page uses: every other file was reached too, or is one a
    // host looks for by name.
    const FOR_HOSTS: [&str; 5] = ["robots.txt", "sitemap.xml", "404.html", "atom.xml", ".nojekyll"];
    let reached_files: BTreeSet<String> = crawl.ok.keys().map(|p| file_of(p)).collect();
    let unlinked: Vec<&String> = all_files
        .iter()
        .filter(|f| !f.ends_with(".html") && !reached_files.contains(f.as_str()))
        .collect();
    for f in &unlinked {
        if !FOR_HOSTS.contains(&f.as_str()) {
            crawl.problems.push(format!("{f} is published but no page links to it"));
        }
    }

    eprintln!(
        "crawled {} paths ({} HTML pages of {} HTML files, {} other resources) in {} requests \
         ({} redirects) and {} ms; {} fragments checked; {} internal links on the 404 page; \
         {} external links not fetched; files no link points at: {:?}; total {} ms",
        crawl.ok.len(),
        html_pages,
        html_files.len(),
        crawl.ok.len() - html_pages,
        crawl.requests,
        crawl.redirects,
        crawl_started.elapsed().as_millis(),
        fragments_checked,
        checked_404,
        crawl.external.len(),
        unlinked,
        started.elapsed().as_millis(),
    );
    assert!(
        crawl.problems.is_empty(),
        "{} problems:\n{}\n\nserver log:\n{}",
        crawl.problems.len(),
        crawl.problems.join("\n"),
        server.log()
    );
    assert!(html_pages >= 40, "only {html_pages} pages crawled");
    drop(server);
}

#[test]
fn references_resolve_like_a_browser() {
    let o = "http://127.0.0.1:9";
    let int = |p: &str, f: Option<&str>| Target::Internal(p.to_string(), f.map(str::to_string));
    assert_eq!(classify("/project/a/", "/project/", o), int("/project/a/", None));
    assert_eq!(classify("#main", "/project/x/", o), int("/project/x/", Some("main")));
    assert_eq!(
        classify("http://127.0.0.1:9/project/b/#c%20d", "/project/", o),
        int("/project/b/", Some("c d"))
    );
    assert_eq!(classify("../y/", "/project/x/", o), int("/project/y/", None));
    assert_eq!(classify("z.css?v=1", "/project/x/", o), int("/project/x/z.css", None));
    assert_eq!(classify("/style.css", "/project/", o), Target::Outside);
    assert_eq!(classify("../../", "/project/x/", o), Target::Outside);
    assert_eq!(classify("http://127.0.0.1:9/other/", "/project/", o), Target::Outside);
    assert_eq!(classify("https://example.org/", "/project/", o), Target::External);
    assert_eq!(classify("mailto:a@b.c", "/project/", o), Target::Ignored);
    assert_eq!(file_of("/project/"), "index.html");
    assert_eq!(file_of("/project/a/b.png"), "a/b.png");
}
