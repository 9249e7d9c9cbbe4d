//! The annotator's endpoints (`glossa serve`'s annotate mode) over real
//! HTTP, on a copy of the example site: what a page's script sends, what
//! lands in the files, what the rebuilt pages show — and every refusal
//! (no token, another origin or host, not on loopback, a path out of
//! `content/`, a stale page, a symlink), each with the files unchanged
//! byte for byte.

mod common;
mod serve_http;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use glossa::anchor::selector::anchor;
use glossa::content::Selector;
use glossa::serve::{ServeOptions, Server};
use serde_json::{Value, json};
use serve_http::get;

const SLUG: &str = "ai-trung-quoc-nguon-mo";
const ANN: &str = "content/articles/ai-trung-quoc-nguon-mo.annotations.toml";

/// Sends a request with the given headers; the status and the JSON answer
/// (`null` when it is not JSON).
fn call(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, String)], body: Option<&str>) -> (u16, Value) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    req.push_str("\r\n");
    req.push_str(body.unwrap_or(""));
    s.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or("", |b| b.1);
    // (a chunked body: the JSON is between the chunk sizes)
    let json = serde_json::from_str(body)
        .or_else(|_| serde_json::from_str(body.lines().nth(1).unwrap_or("")))
        .unwrap_or(Value::Null);
    (status, json)
}

/// An article page as annotate mode sees it: the server, the token and
/// endpoint the injected script carries.
struct Page {
    addr: SocketAddr,
    api: String,
    token: String,
    slug: String,
}

/// The value of `attr` in the annotate script tag of `html`.
fn script_attr(html: &str, attr: &str) -> Option<String> {
    let tag = &html[html.find("__glossa/annotate.js")?..];
    let tag = &tag[..tag.find('>')?];
    let v = &tag[tag.find(&format!("{attr}=\""))? + attr.len() + 2..];
    Some(v[..v.find('"')?].to_string())
}

impl Page {
    fn open(server: &Server, slug: &str) -> Page {
        let html = get(server.addr(), &format!("{}articles/{slug}/", server.root_path())).text();
        Page {
            addr: server.addr(),
            api: script_attr(&html, "data-api").expect("the annotate script in the served page"),
            token: script_attr(&html, "data-token").unwrap(),
            slug: script_attr(&html, "data-slug").unwrap(),
        }
    }

    fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("X-Glossa-Token", self.token.clone()),
            ("Origin", format!("http://{}", self.addr)),
            ("Content-Type", "application/json".into()),
        ]
    }

    fn get(&self, what: &str) -> Value {
        let (status, v) = call(self.addr, "GET", &format!("{}{what}", self.api), &self.headers(), None);
        assert_eq!(status, 200, "{what}: {v}");
        v
    }

    fn state(&self) -> Value {
        self.get(&format!("state?slug={}", self.slug))
    }

    fn post(&self, what: &str, body: &Value) -> (u16, Value) {
        call(
            self.addr,
            "POST",
            &format!("{}{what}", self.api),
            &self.headers(),
            Some(&body.to_string()),
        )
    }

    /// Adds an annotation on the `nth` occurrence of `phrase`.
    fn add(&self, phrase: &str, nth: usize, what: Value) -> (u16, Value) {
        let st = self.state();
        let [start, end] = u16_span(st["text"].as_str().unwrap(), phrase, nth);
        self.post(
            "apply",
            &json!({"slug": self.slug, "version": st["version"], "op": "add",
                    "start": start, "end": end, "text": phrase, "what": what}),
        )
    }
}

/// Where the `nth` (from 1) occurrence of `phrase` is in `text`, in UTF-16
/// code units (what the page's script counts).
fn u16_span(text: &str, phrase: &str, nth: usize) -> [usize; 2] {
    let at = text
        .match_indices(phrase)
        .nth(nth - 1)
        .unwrap_or_else(|| panic!("«{phrase}» #{nth} is not in the text"))
        .0;
    let start = text[..at].encode_utf16().count();
    [start, start + phrase.encode_utf16().count()]
}

fn serve(root: &Path, tweak: impl FnOnce(&mut ServeOptions)) -> Server {
    let mut opts = ServeOptions::new(root);
    opts.port = 0;
    opts.color = false;
    opts.debounce = Duration::from_millis(50);
    tweak(&mut opts);
    glossa::serve::start(opts).expect("server starts")
}

/// The example site with a second article to link to.
fn example() -> tempfile::TempDir {
    let site = common::copy_site(&common::seed_root(), true);
    common::write(
        site.path(),
        "content/articles/bai-thu-hai.md",
        "+++\ntitle = \"Bài thứ hai về chip\"\ndate = \"2026-11-20\"\n+++\n\nHuawei và chip AI.\n\n```\nmã Huawei\n```\n",
    );
    site
}

/// Every file under `content/`, for byte-for-byte comparisons.
fn content(root: &Path) -> BTreeMap<String, Vec<u8>> {
    common::snapshot(&root.join("content"))
}

/// The (TOML) tables of kind `kind` in an annotation file.
fn tables(text: &str, kind: &str) -> Vec<toml::Table> {
    let v: toml::Table = toml::from_str(text).unwrap();
    v.get(kind)
        .and_then(|a| a.as_array())
        .map(|a| a.iter().map(|t| t.as_table().unwrap().clone()).collect())
        .unwrap_or_default()
}

fn selector_of(t: &toml::Table) -> Selector {
    Selector {
        exact: t["exact"].as_str().unwrap().to_string(),
        prefix: t.get("prefix").and_then(|v| v.as_str()).map(String::from),
        suffix: t.get("suffix").and_then(|v| v.as_str()).map(String::from),
        nth: t.get("nth").and_then(|v| v.as_integer()).map(|n| n as usize),
        all: t.get("all").and_then(|v| v.as_bool()).unwrap_or(false),
    }
}

fn comments(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.trim_start().starts_with('#')).collect()
}

#[test]
fn a_mention_is_appended_anchors_to_the_phrase_and_shows_on_both_pages() {
    let site = example();
    let root = site.path();
    let server = serve(root, |_| {});
    let page = Page::open(&server, SLUG);
    let before = std::fs::read_to_string(root.join(ANN)).unwrap();
    let st = page.state();
    let text = st["text"].as_str().unwrap().to_string();
    assert_eq!(st["format"], "toml");
    // "kỹ sư" occurs three times: the second one
    assert_eq!(text.matches("kỹ sư").count(), 3);
    let (status, r) = page.add("kỹ sư", 2, json!({"kind": "mention", "entity": "openai"}));
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["page_changed"], true, "{r}");
    let after = std::fs::read_to_string(root.join(ANN)).unwrap();
    // every byte kept, one table appended
    assert!(after.starts_with(&before));
    assert_eq!(comments(&after), comments(&before));
    assert_eq!(tables(&after, "mention").len(), tables(&before, "mention").len() + 1);
    assert_eq!(tables(&after, "quote"), tables(&before, "quote"));
    let new = tables(&after, "mention").pop().unwrap();
    assert_eq!(new["entity"].as_str(), Some("openai"));
    // it anchors to exactly that occurrence, and says so with a little context
    let sel = selector_of(&new);
    let at = text.match_indices("kỹ sư").nth(1).unwrap().0;
    let span = at..at + "kỹ sư".len();
    assert_eq!(anchor(&text, &[], &sel), Ok(vec![span]));
    assert!(
        sel.prefix.is_some() || sel.suffix.is_some() || sel.nth.is_some(),
        "{sel:?}"
    );
    // the page shows it, linking to the entity, with the id the entity page links to
    let html = get(server.addr(), &format!("/articles/{SLUG}/")).text();
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse(".article-body a.mention[data-entity=\"openai\"]").unwrap();
    let ours: Vec<_> = doc
        .select(&sel)
        .filter(|e| e.text().collect::<String>() == "kỹ sư")
        .collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].value().attr("href"), Some("/entities/openai/"));
    let id = ours[0].value().attr("id").unwrap().to_string();
    let entity = get(server.addr(), "/entities/openai/").text();
    assert!(
        entity.contains(&format!("/articles/{SLUG}/#{id}\"")),
        "the entity page links to #{id}"
    );
    // the state lists it with its span
    let st = page.state();
    let listed = st["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["entity"] == "openai" && a["exact"] == "kỹ sư")
        .unwrap()
        .clone();
    assert_eq!(listed["ranges"][0], json!(u16_span(&text, "kỹ sư", 2)));
    assert_eq!(st["undo"], 1);

    // undo: the file's bytes as they were, the page without it
    let (status, r) = page.post("undo", &json!({"slug": SLUG}));
    assert_eq!(status, 200, "{r}");
    assert_eq!(std::fs::read_to_string(root.join(ANN)).unwrap(), before);
    let html = get(server.addr(), &format!("/articles/{SLUG}/")).text();
    assert!(!html.contains("data-entity=\"openai\">kỹ sư<"));
    let (status, _) = page.post("undo", &json!({"slug": SLUG}));
    assert_eq!(status, 422, "nothing left to undo");
}

#[test]
fn edit_and_delete_touch_only_their_table() {
    let site = example();
    let root = site.path();
    let server = serve(root, |_| {});
    let page = Page::open(&server, SLUG);
    let before = std::fs::read_to_string(root.join(ANN)).unwrap();
    let st = page.state();
    let anns = st["annotations"].as_array().unwrap();
    let k = anns.iter().position(|a| a["entity"] == "bytedance").unwrap();
    // edit: ByteDance's mentions now name TikTok's owner… another entity
    let (status, r) = page.post(
        "apply",
        &json!({"slug": SLUG, "version": st["version"], "op": "edit", "index": k,
                "what": {"kind": "mention", "entity": "alibaba"}}),
    );
    assert_eq!(status, 200, "{r}");
    let after = std::fs::read_to_string(root.join(ANN)).unwrap();
    assert_eq!(
        after,
        before.replacen(
            "entity = \"bytedance\"\nexact = \"ByteDance\"",
            "entity = \"alibaba\"\nexact = \"ByteDance\"",
            1
        )
    );
    let html = get(server.addr(), &format!("/articles/{SLUG}/")).text();
    assert!(
        html.contains("href=\"/entities/alibaba/\" data-entity=\"alibaba\">ByteDance<")
            || html.contains("data-entity=\"alibaba\">ByteDance")
    );
    // delete a note: its table goes, the comments stay
    let st = page.state();
    let k = st["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .position(|a| a["kind"] == "note" && a["exact"] == "RAND")
        .unwrap();
    let (status, r) = page.post(
        "apply",
        &json!({"slug": SLUG, "version": st["version"], "op": "delete", "index": k}),
    );
    assert_eq!(status, 200, "{r}");
    let deleted = std::fs::read_to_string(root.join(ANN)).unwrap();
    assert_eq!(comments(&deleted), comments(&before));
    assert_eq!(tables(&deleted, "note").len(), tables(&before, "note").len() - 1);
    assert!(!deleted.contains("RAND Corporation"));
    // undo twice: exactly the original bytes
    for _ in 0..2 {
        let (status, r) = page.post("undo", &json!({"slug": SLUG}));
        assert_eq!(status, 200, "{r}");
    }
    assert_eq!(std::fs::read_to_string(root.join(ANN)).unwrap(), before);
}

#[test]
fn a_quote_with_a_new_speaker_a_note_and_a_link() {
    let site = example();
    let root = site.path();
    let server = serve(root, |_| {});
    let page = Page::open(&server, SLUG);
    let text = page.state()["text"].as_str().unwrap().to_string();
    // a quote by a new entity: its file is made, the quote gets its page
    let phrase = "Ý tưởng là cách tiếp cận của Trung Quốc có thể hấp dẫn hơn";
    assert_eq!(text.matches(phrase).count(), 1);
    let (status, r) = page.add(
        phrase,
        1,
        json!({"kind": "quote", "speaker": "", "id": "nyt-hap-dan-hon",
               "new_entity": {"name": "Paul Mozur", "kind": "person"}}),
    );
    assert_eq!(status, 200, "{r}");
    let entity = std::fs::read_to_string(root.join("content/entities/paul-mozur.md")).unwrap();
    assert_eq!(entity, "+++\nname = \"Paul Mozur\"\nkind = \"person\"\n+++\n");
    let quote = get(server.addr(), "/quotes/nyt-hap-dan-hon/");
    assert_eq!(quote.status, 200);
    assert!(quote.text().contains("Paul Mozur"));
    assert_eq!(get(server.addr(), "/entities/paul-mozur/").status, 200);
    // a note in Markdown, shown as its sidenote
    let (status, r) = page.add(
        "đóng tàu",
        1,
        json!({"kind": "note", "body": "Ngành *đóng tàu*: xem [ví dụ](https://vi.wikipedia.org/)."}),
    );
    assert_eq!(status, 200, "{r}");
    let html = get(server.addr(), &format!("/articles/{SLUG}/")).text();
    assert!(html.contains("Ngành <em>đóng tàu</em>: xem <a href=\"https://vi.wikipedia.org/\">ví dụ</a>."));
    // a link to the other article
    let (status, r) = page.add(
        "chip Nvidia",
        1,
        json!({"kind": "link", "to": "@/articles/bai-thu-hai.md"}),
    );
    assert_eq!(status, 200, "{r}");
    let html = get(server.addr(), &format!("/articles/{SLUG}/")).text();
    assert!(
        html.contains("<a class=\"xref\" href=\"/articles/bai-thu-hai/\">"),
        "the link is drawn"
    );
    // a speaker id that exists is refused, and the name is kept
    let (status, r) = page.add(
        "đóng tàu",
        1,
        json!({"kind": "mention", "new_entity": {"name": "Huawei", "kind": "organization"}}),
    );
    assert_eq!(status, 422);
    assert!(r["reason"].as_str().unwrap().contains("exists already"), "{r}");
}

#[test]
fn selections_that_cannot_be_annotations_are_refused_with_the_reason() {
    let site = example();
    let root = site.path();
    let server = serve(root, |_| {});
    let page = Page::open(&server, SLUG);
    let st = page.state();
    let text = st["text"].as_str().unwrap().to_string();
    let before = content(root);
    let check = |start: usize, end: usize, why: &str| {
        let s: String = String::from_utf16(&text.encode_utf16().collect::<Vec<_>>()[start..end]).unwrap();
        let (status, r) = page.post(
            "select",
            &json!({"slug": SLUG, "version": st["version"], "start": start, "end": end, "text": s}),
        );
        assert_eq!(status, 422, "{r}");
        assert!(r["reason"].as_str().unwrap().contains(why), "{r}");
        let (status, r) = page.post(
            "apply",
            &json!({"slug": SLUG, "version": st["version"], "op": "add", "start": start, "end": end, "text": s,
                    "what": {"kind": "note", "body": "x"}}),
        );
        assert_eq!(status, 422, "{r}");
        assert!(r["reason"].as_str().unwrap().contains(why), "{r}");
    };
    // across two paragraphs
    let p = text.find("phổ biến nhất tại đây.").unwrap();
    let a = text[..p].encode_utf16().count();
    check(a, a + 40, "across two blocks");
    // partly inside a quote: from before it into its middle
    let [qs, _] = u16_span(&text, "Đôi khi rất khó", 1);
    check(qs - 5, qs + 7, "without containing it");
    // nothing
    check(qs, qs, "Select some text");
    assert_eq!(content(root), before, "nothing was written");
    // a selection inside a mention nests: accepted
    let [s, e] = u16_span(&text, "Thung lũng", 1);
    let (status, r) = page.post(
        "select",
        &json!({"slug": SLUG, "version": st["version"], "start": s, "end": e, "text": "Thung lũng"}),
    );
    assert_eq!(status, 200, "{r}");
    // code, in the other article
    let other = Page::open(&server, "bai-thu-hai");
    let st = other.state();
    let t = st["text"].as_str().unwrap();
    let [s, e] = u16_span(t, "Huawei", 2);
    let (status, r) = other.post(
        "select",
        &json!({"slug": "bai-thu-hai", "version": st["version"], "start": s, "end": e, "text": "Huawei"}),
    );
    assert_eq!(status, 422);
    assert!(r["reason"].as_str().unwrap().contains("in code"), "{r}");
}

#[test]
fn invalid_input_gets_checks_diagnostics() {
    let site = example();
    let root = site.path();
    let server = serve(root, |_| {});
    let page = Page::open(&server, SLUG);
    let before = content(root);
    for (what, expect) in [
        (json!({"kind": "mention", "entity": "huaweii"}), "did you mean `huawei`"),
        (
            json!({"kind": "quote", "speaker": "chan", "id": "../../etc"}),
            "is not a URL slug",
        ),
        (json!({"kind": "note", "body": "<b>đậm</b>"}), "raw HTML"),
        (json!({"kind": "note", "body": "  "}), "The note is empty"),
        (
            json!({"kind": "link", "to": "javascript:alert(1)"}),
            "unsupported URL scheme",
        ),
        (
            json!({"kind": "link", "to": "@/articles/../../etc/passwd.md"}),
            "no such article",
        ),
        (
            json!({"kind": "mention", "new_entity": {"name": "x", "kind": "person", "id": "../evil"}}),
            "not a URL slug",
        ),
        (
            json!({"kind": "mention", "new_entity": {"name": "Con", "kind": "person"}}),
            "reserved",
        ),
        (json!({"kind": "quote", "speaker": "chan", "id": "chan-bi-cat-dut"}), ""),
    ] {
        let (status, r) = page.add("đóng tàu", 1, what.clone());
        assert_eq!(status, 422, "{what}: {r}");
        let said = format!("{} {}", r["reason"], r["diagnostics"]);
        assert!(said.contains(expect), "{what}: {said}");
        assert_eq!(content(root), before, "{what}: nothing was written");
    }
}

#[test]
fn refusals_leave_every_file_as_it_was() {
    let site = example();
    let root = site.path();
    let server = serve(root, |_| {});
    let page = Page::open(&server, SLUG);
    let st = page.state();
    let [start, end] = u16_span(st["text"].as_str().unwrap(), "đóng tàu", 1);
    let body = json!({"slug": SLUG, "version": st["version"], "op": "add", "start": start, "end": end,
                      "text": "đóng tàu", "what": {"kind": "note", "body": "x"}})
    .to_string();
    let before = content(root);
    let url = format!("{}apply", page.api);
    let port = page.addr.port();
    let h = page.headers();
    let without = |name: &str| h.iter().filter(|(k, _)| *k != name).cloned().collect::<Vec<_>>();
    let with = |name: &'static str, value: &str| {
        let mut v = without(name);
        v.push((name, value.to_string()));
        v
    };
    for (what, headers) in [
        ("no token", without("X-Glossa-Token")),
        ("a wrong token", with("X-Glossa-Token", &"0".repeat(64))),
        ("no Origin", without("Origin")),
        ("a foreign Origin", with("Origin", "http://evil.attacker.example")),
        (
            "a foreign Origin on the port",
            with("Origin", &format!("http://evil.attacker.example:{port}")),
        ),
        ("a null Origin", with("Origin", "null")),
        (
            "a Host of another name",
            with("Host", &format!("evil.attacker.example:{port}")),
        ),
        ("not JSON", with("Content-Type", "text/plain")),
    ] {
        let (status, r) = call(page.addr, "POST", &url, &headers, Some(&body));
        assert!(matches!(status, 403 | 415), "{what}: {status} {r}");
        assert_eq!(content(root), before, "{what}: nothing was written");
    }
    // reads need the token too
    let (status, _) = call(
        page.addr,
        "GET",
        &format!("{}state?slug={SLUG}", page.api),
        &without("X-Glossa-Token"),
        None,
    );
    assert_eq!(status, 403);
    // a stale page: the file was saved in an editor meanwhile
    let ann = root.join(ANN);
    let edited = format!("{}\n# saved in an editor\n", std::fs::read_to_string(&ann).unwrap());
    std::fs::write(&ann, &edited).unwrap();
    let before = content(root);
    let (status, r) = call(page.addr, "POST", &url, &h, Some(&body));
    assert_eq!(status, 409, "{r}");
    assert_eq!(r["stale"], true);
    assert_eq!(content(root), before);
    // an article that is not there, by a path out of content/
    let st = page.state();
    for slug in ["../../etc", "..%2F..%2Fglossa", "khong-co"] {
        let (status, r) = page.post(
            "apply",
            &json!({"slug": slug, "version": st["version"], "op": "add", "start": start, "end": end,
                    "text": "đóng tàu", "what": {"kind": "note", "body": "x"}}),
        );
        assert_eq!(status, 422, "{slug}: {r}");
        assert!(r["reason"].as_str().unwrap().contains("no article"), "{r}");
    }
    assert_eq!(content(root), before);
    // an annotation file that is a symlink is never written through
    #[cfg(unix)]
    {
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("elsewhere.toml");
        std::fs::rename(&ann, &target).unwrap();
        std::os::unix::fs::symlink(&target, &ann).unwrap();
        let kept = std::fs::read(&target).unwrap();
        // wait for the rebuild the rename set off
        let page = Page::open(&server, SLUG);
        let mut st = page.state();
        for _ in 0..50 {
            std::thread::sleep(Duration::from_millis(100));
            let now = page.state();
            if now["version"] == st["version"] {
                break;
            }
            st = now;
        }
        let (status, r) = page.add("đóng tàu", 1, json!({"kind": "note", "body": "x"}));
        assert_eq!(status, 422, "{r}");
        assert!(r["reason"].as_str().unwrap().contains("symbolic link"), "{r}");
        assert_eq!(std::fs::read(&target).unwrap(), kept);
    }
}

#[test]
fn annotate_mode_is_off_read_only_and_off_loopback() {
    let site = example();
    let root = site.path();
    for (why, tweak) in [
        (
            "--read-only",
            Box::new(|o: &mut ServeOptions| o.read_only = true) as Box<dyn FnOnce(&mut ServeOptions)>,
        ),
        (
            "not on loopback",
            Box::new(|o: &mut ServeOptions| o.interface = std::net::IpAddr::from([0, 0, 0, 0])),
        ),
    ] {
        let server = serve(root, tweak);
        let addr: SocketAddr = ([127, 0, 0, 1], server.addr().port()).into();
        let html = get(addr, &format!("/articles/{SLUG}/")).text();
        assert!(html.contains("__glossa/live.js"), "{why}");
        assert!(!html.contains("annotate"), "{why}: no annotate script");
        let before = content(root);
        let (status, r) = call(
            addr,
            "POST",
            "/__glossa/annotate/apply",
            &[
                ("Origin", format!("http://{addr}")),
                ("Content-Type", "application/json".into()),
                ("X-Glossa-Token", "x".into()),
            ],
            Some("{}"),
        );
        assert_eq!(status, 403, "{why}");
        assert!(r["reason"].as_str().unwrap().contains("off"), "{why}: {r}");
        assert_eq!(content(root), before);
        server.stop();
    }
}

#[test]
fn the_build_is_the_same_with_annotate_mode_on_and_off() {
    let site = example();
    let root = site.path();
    let base = "https://example.org/";
    let mut outputs = Vec::new();
    for read_only in [false, true] {
        let out = tempfile::tempdir().unwrap();
        let server = serve(root, |o| {
            o.read_only = read_only;
            o.build.base_url = Some(base.into());
            o.build.output_dir = Some(out.path().to_path_buf());
        });
        let html = get(server.addr(), &format!("/articles/{SLUG}/")).text();
        assert_eq!(html.contains("__glossa/annotate.js"), !read_only);
        server.stop();
        outputs.push((common::snapshot(out.path()), out));
    }
    let built = tempfile::tempdir().unwrap();
    glossa::build(
        root,
        &glossa::BuildOptions {
            output_dir: Some(built.path().to_path_buf()),
            base_url: Some(base.into()),
            drafts: false,
        },
    )
    .ok()
    .expect("builds");
    let build = common::snapshot(built.path());
    let pages = |s: &BTreeMap<String, Vec<u8>>| -> BTreeMap<String, Vec<u8>> {
        s.iter()
            .filter(|(k, _)| !k.contains("manifest"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    assert!(build.keys().any(|k| k.ends_with("index.html")));
    for (served, _) in &outputs {
        assert_eq!(
            pages(served).keys().collect::<Vec<_>>(),
            pages(&build).keys().collect::<Vec<_>>()
        );
        assert!(
            pages(served) == pages(&build),
            "the output differs from `glossa build`'s"
        );
        assert!(!served.values().any(|b| String::from_utf8_lossy(b).contains("__glossa")));
    }
}

#[test]
fn json_ld_and_brat_articles() {
    let site = example();
    let root = site.path();
    // the example article's annotations as JSON-LD, the way `glossa export` writes them
    // (an export needs an absolute base URL: IRIs, not paths)
    let config = std::fs::read_to_string(root.join("glossa.toml")).unwrap();
    let absolute = config.replace("base_url = \"/\"", "base_url = \"https://example.org/\"");
    assert_ne!(config, absolute, "the example site's base_url is no longer \"/\"");
    std::fs::write(root.join("glossa.toml"), absolute).unwrap();
    let collection = glossa::export(root, &glossa::BuildOptions::default())
        .ok()
        .unwrap()
        .expect("the base URL is absolute");
    let cfg = glossa::load(root, &Default::default()).site.config;
    let url = cfg.absolute(&glossa::urls::Urls { root: cfg.root_path() }.article(SLUG));
    let items = glossa::commands::export::for_article(&collection, &url);
    std::fs::remove_file(root.join(ANN)).unwrap();
    let jsonld = root.join(format!("content/articles/{SLUG}.annotations.jsonld"));
    std::fs::write(&jsonld, serde_json::to_string_pretty(&items).unwrap()).unwrap();
    // and a brat article
    common::write(
        root,
        "content/articles/tin-brat.txt",
        "Tin brat\nHuawei và SMIC ở Bắc Kinh.\n",
    );
    common::write(
        root,
        "content/articles/tin-brat.toml",
        "title = \"Tin brat\"\ndate = \"2026-11-01\"\n",
    );
    common::write(
        root,
        "content/articles/tin-brat.ann",
        "T1\tOrganization 9 15\tHuawei\nN1\tReference T1 glossa:huawei\tHuawei\n",
    );
    let server = serve(root, |_| {});
    let page = Page::open(&server, SLUG);
    let n = items["total"].as_u64().unwrap() as usize;
    let (status, r) = page.add("đóng tàu", 1, json!({"kind": "note", "body": "Ngành *đóng tàu*."}));
    assert_eq!(status, 200, "{r}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&jsonld).unwrap()).unwrap();
    assert_eq!(v["type"], "AnnotationCollection");
    let list = v["first"]["items"].as_array().unwrap();
    assert_eq!(list.len(), n + 1);
    let note = list.iter().find(|i| i["body"]["value"] == "Ngành *đóng tàu*.").unwrap();
    assert_eq!(note["motivation"], "commenting");
    assert_eq!(note["target"]["selector"][0]["exact"], "đóng tàu");
    let html = get(server.addr(), &format!("/articles/{SLUG}/")).text();
    assert!(html.contains("Ngành <em>đóng tàu</em>."));

    let brat = Page::open(&server, "tin-brat");
    assert_eq!(brat.state()["format"], "brat");
    let (status, r) = brat.add("SMIC", 1, json!({"kind": "mention", "entity": "smic"}));
    assert_eq!(status, 200, "{r}");
    let ann = std::fs::read_to_string(root.join("content/articles/tin-brat.ann")).unwrap();
    assert!(ann.starts_with("T1\tOrganization 9 15\tHuawei\nN1\tReference T1 glossa:huawei\tHuawei\n"));
    assert!(
        ann.ends_with("T2\tOrganization 19 23\tSMIC\nN2\tReference T2 glossa:smic\tSMIC\n"),
        "{ann}"
    );
    let html = get(server.addr(), "/articles/tin-brat/").text();
    assert!(html.contains("href=\"/entities/smic/\""));
    let (status, r) = brat.add("Bắc Kinh", 1, json!({"kind": "quote", "speaker": "chan"}));
    assert_eq!(status, 422);
    assert!(r["reason"].as_str().unwrap().contains("brat"), "{r}");
    // a note goes on a mention: an AnnotatorNotes line on its T line
    let (status, r) = brat.add("Bắc Kinh", 1, json!({"kind": "note", "body": "Thủ đô"}));
    assert_eq!(status, 422, "no mention there: {r}");
    let (status, r) = brat.add("SMIC", 1, json!({"kind": "note", "body": "Hãng đúc chip"}));
    assert_eq!(status, 200, "{r}");
    let ann_path = root.join("content/articles/tin-brat.ann");
    assert!(
        std::fs::read_to_string(&ann_path)
            .unwrap()
            .ends_with("#1\tAnnotatorNotes T2\tHãng đúc chip\n")
    );
    // Huawei's mention now names another entity: its N line changes
    let st = brat.state();
    let k = st["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .position(|a| a["entity"] == "huawei")
        .unwrap();
    let (status, r) = brat.post(
        "apply",
        &json!({"slug": "tin-brat", "version": st["version"], "op": "edit", "index": k,
                "what": {"kind": "mention", "entity": "alibaba"}}),
    );
    assert_eq!(status, 200, "{r}");
    let ann = std::fs::read_to_string(&ann_path).unwrap();
    assert!(
        ann.starts_with("T1\tOrganization 9 15\tHuawei\nN1\tReference T1 glossa:alibaba\tAlibaba\n"),
        "{ann}"
    );
    // SMIC's mention carries the note: removed only once the note is
    let st = brat.state();
    let anns = st["annotations"].as_array().unwrap();
    let k = anns.iter().position(|a| a["entity"] == "smic").unwrap();
    let (status, r) = brat.post(
        "apply",
        &json!({"slug": "tin-brat", "version": st["version"], "op": "delete", "index": k}),
    );
    assert_eq!(status, 422);
    assert!(r["reason"].as_str().unwrap().contains("delete the note first"), "{r}");
    let n = anns.iter().position(|a| a["kind"] == "note").unwrap();
    let (status, r) = brat.post(
        "apply",
        &json!({"slug": "tin-brat", "version": st["version"], "op": "delete", "index": n}),
    );
    assert_eq!(status, 200, "{r}");
    // then its T line and every line naming it go
    let st = brat.state();
    let k = st["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .position(|a| a["entity"] == "smic")
        .unwrap();
    let (status, r) = brat.post(
        "apply",
        &json!({"slug": "tin-brat", "version": st["version"], "op": "delete", "index": k}),
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        std::fs::read_to_string(&ann_path).unwrap(),
        "T1\tOrganization 9 15\tHuawei\nN1\tReference T1 glossa:alibaba\tAlibaba\n"
    );
    let html = get(server.addr(), "/articles/tin-brat/").text();
    assert!(html.contains("href=\"/entities/alibaba/\""));
    // (SMIC stays an automatic mention, not an explicit one)
    assert!(!html.contains("class=\"mention\" id=\"m-smic-"), "{html}");
}

/// A suggestion of `glossa suggest` — a name that is not a mention — is in
/// the state with its spans, and accepted for all of them at once it
/// becomes one `all = true` mention.
#[test]
fn a_suggestion_accepted_for_every_occurrence() {
    let site = example();
    let root = site.path();
    common::write(
        root,
        "content/entities/chip.md",
        "+++\nname = \"chip\"\nkind = \"product\"\nautolink = false\n+++\n",
    );
    let server = serve(root, |_| {});
    let page = Page::open(&server, SLUG);
    let st = page.state();
    let text = st["text"].as_str().unwrap();
    let s = st["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["entity"] == "chip")
        .expect("a suggestion for «chip»")
        .clone();
    assert_eq!(s["why"], "the entity has autolink = false");
    let ranges: Vec<[usize; 2]> = serde_json::from_value(s["ranges"].clone()).unwrap();
    assert_eq!(ranges.len(), text.matches("chip").count());
    for (i, r) in ranges.iter().enumerate() {
        assert_eq!(*r, u16_span(text, "chip", i + 1));
    }
    let before = std::fs::read_to_string(root.join(ANN)).unwrap();
    let (status, r) = page.post(
        "apply",
        &json!({"slug": SLUG, "version": st["version"], "op": "add", "ranges": ranges, "text": "chip",
                "what": {"kind": "mention", "entity": "chip"}}),
    );
    assert_eq!(status, 200, "{r}");
    let after = std::fs::read_to_string(root.join(ANN)).unwrap();
    assert_eq!(
        &after[before.len()..],
        "\n[[mention]]\nentity = \"chip\"\nexact = \"chip\"\nall = true\n"
    );
    let html = get(server.addr(), &format!("/articles/{SLUG}/")).text();
    assert_eq!(html.matches("data-entity=\"chip\">chip<").count(), ranges.len());
    // and the suggestion is gone
    let st = page.state();
    assert!(
        !st["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["entity"] == "chip")
    );
}
