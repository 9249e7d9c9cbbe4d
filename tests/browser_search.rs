//! The client-side search in a real browser: headless Chromium driven over
//! WebDriver (chromedriver, spoken to with the tests' small HTTP client, as
//! in `browser_live.rs`). Queries are typed with WebDriver key sending into
//! `#search-input` on the example site served under `/project/` and on the
//! multi fixture: diacritic-insensitive ("bac kinh" → Bắc Kinh), `đ` folded
//! ("doi khi" → «Đôi khi…», "da nang" → Đà Nẵng), prefixes as you type
//! ("huaw" → Huawei), results grouped entities → articles → quotes with
//! headings, `?q=` pre-fills, and the keyboard: ↓ focuses the first result,
//! ↑ goes back, Enter opens the focused result.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver (Debian's `chromium`
//! and `chromium-driver`; `.ci/run` installs them). Without them the test
//! prints "skipped" — unless CI is set, where it fails.

mod common;
mod serve_http;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::json;
use serve_http::webdriver::{self, ARROW_DOWN, ARROW_UP, Browser, ENTER, WAIT};

/// What the search page shows.
impl Browser {
    /// The results shown: (group kind `e`/`a`/`q`, title, href) in page order.
    fn results(&self) -> Vec<(String, String, String)> {
        let v = self.js(
            "return Array.from(document.querySelectorAll('#glossa-search a.search-result')).map(a => { \
               const s = a.closest('section'); \
               const k = s ? (Array.from(s.classList).find(c => c.startsWith('search-group-')) || '') : ''; \
               return [k.replace('search-group-', ''), a.textContent, a.getAttribute('href')]; })",
        );
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let s = |i: usize| r[i].as_str().unwrap_or_default().to_string();
                (s(0), s(1), s(2))
            })
            .collect()
    }

    /// Opens the search page afresh, types `query` and waits until a result
    /// titled `expect` (kind `kind`) shows; returns all results.
    fn search(&self, page: &str, query: &str, kind: &str, expect: &str) -> Vec<(String, String, String)> {
        self.goto(page);
        self.wait_for("the search page", "return !!document.getElementById('search-input')");
        // The arrow keys below go to whatever has the focus.
        self.assert_page_focused();
        let input = self.find("#search-input");
        self.type_into(&input, query);
        self.wait_until_result(query, kind, expect)
    }

    /// Like [`Browser::search`], but the whole query arrives in one input
    /// event (as pasted), so no query is made for what was typed before
    /// it: how many keystrokes make a query of their own depends on the
    /// machine's speed, which a test counting fetches must not.
    fn search_pasted(&self, page: &str, query: &str, kind: &str, expect: &str) -> Vec<(String, String, String)> {
        self.goto(page);
        self.wait_for("the search page", "return !!document.getElementById('search-input')");
        let set = format!(
            "const i = document.getElementById('search-input'); i.value = {}; \
             i.dispatchEvent(new Event('input', {{bubbles: true}})); return true",
            json!(query)
        );
        self.js(&set);
        self.wait_until_result(query, kind, expect)
    }

    fn wait_until_result(&self, query: &str, kind: &str, expect: &str) -> Vec<(String, String, String)> {
        let deadline = Instant::now() + WAIT;
        loop {
            let results = self.results();
            // (groups are shown as their lines come: wait for the last)
            let busy =
                self.js("return document.querySelector('#glossa-search .search-results').getAttribute('aria-busy')");
            if results.iter().any(|(k, t, _)| k == kind && t == expect) && busy != json!("true") {
                return self.results();
            }
            assert!(
                Instant::now() < deadline,
                "{query:?}: no {kind} result {expect:?}; the input holds {}, results: {results:?}",
                self.js("return document.getElementById('search-input').value")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Browser {
    /// The excerpt under the `i`th article result: its text and its
    /// marked words (once its text has come).
    fn excerpt(&self, i: usize) -> (String, Vec<String>) {
        let line = format!("document.querySelectorAll('#glossa-search .search-group-a .search-snippet')[{i}]");
        self.wait_for(
            "an excerpt of the article's text",
            &format!("var s = {line}; return !!s && s.classList.contains('search-excerpt')"),
        );
        let v = self.js(&format!(
            "var s = {line}; return [s.textContent, Array.from(s.querySelectorAll('mark')).map(m => m.textContent)]"
        ));
        let marks = v[1]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_string())
            .collect();
        (v[0].as_str().unwrap().to_string(), marks)
    }

    /// The search index files this page has fetched: (URL path, bytes).
    fn search_files(&self) -> Vec<(String, u64)> {
        let v = self.js(
            "return performance.getEntriesByType('resource')                .filter(e => new URL(e.name).pathname.includes('/search/'))                .map(e => [new URL(e.name).pathname, e.decodedBodySize])",
        );
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| (e[0].as_str().unwrap().to_string(), e[1].as_u64().unwrap()))
            .collect()
    }
}

/// The group kinds in the order they appear, each once.
fn group_order(results: &[(String, String, String)]) -> Vec<String> {
    let mut order: Vec<String> = Vec::new();
    for (k, _, _) in results {
        if order.last() != Some(k) {
            assert!(!order.contains(k), "group {k} appears twice: {results:?}");
            order.push(k.clone());
        }
    }
    order
}

#[test]
fn typed_queries_find_entities_articles_and_quotes_and_previews_show_summaries() {
    if !webdriver::available() {
        return;
    }
    let started = Instant::now();
    // Copies, so that edits to the repo while the test runs cause no rebuild.
    let seed = common::copy_site(&common::seed_root(), true);
    let seed_server = serve_http::serve_site(seed.path(), Some("/project/"));
    assert_eq!(seed_server.root_path(), "/project/");
    let home = seed_server.url();
    let search = format!("{home}search/");
    let multi = common::copy_site(&common::fixture("multi"), false);
    let multi_server = serve_http::serve_site(multi.path(), None);
    let multi_search = format!("{}search/", multi_server.url());

    let browser = Browser::start();
    eprintln!("servers and browser up in {} ms", started.elapsed().as_millis());

    // Diacritic-insensitive: "bac kinh" finds Bắc Kinh, under the sub-path.
    let r = browser.search(&search, "bac kinh", "e", "Bắc Kinh");
    let (_, _, href) = r.iter().find(|(k, t, _)| k == "e" && t == "Bắc Kinh").unwrap();
    assert_eq!(href, "/project/entities/bac-kinh/", "{r:?}");
    assert_eq!(r[0].1, "Bắc Kinh", "the exact name ranks first: {r:?}");
    // Every result URL stays under the sub-path.
    assert!(r.iter().all(|(_, _, h)| h.starts_with("/project/")), "{r:?}");

    // đ folds to d: "doi khi" finds Chan's quote «Đôi khi rất khó…».
    let r = browser.search(
        &search,
        "doi khi",
        "q",
        "Đôi khi rất khó để xác định được nên đầu tư và phân bổ nguồn lực ở đâu,",
    );
    assert!(
        r.iter().any(|(_, _, h)| h == "/project/quotes/chan-phan-bo-nguon-luc/"),
        "{r:?}"
    );
    // …and typed with its diacritics, the same quote.
    browser.search(
        &search,
        "Đôi khi",
        "q",
        "Đôi khi rất khó để xác định được nên đầu tư và phân bổ nguồn lực ở đâu,",
    );

    // Prefix as you type: the results follow each key.
    browser.goto(&search);
    let input = browser.find("#search-input");
    browser.type_into(&input, "hu");
    browser.wait_for(
        "results for \"hu\"",
        "return document.querySelectorAll('#glossa-search a.search-result').length > 0",
    );
    browser.type_into(&input, "aw");
    let r = browser.wait_until_result("huaw", "e", "Huawei");
    assert_eq!(r[0], ("e".into(), "Huawei".into(), "/project/entities/huawei/".into()));
    // The status line counts them.
    let status = browser.js("return document.querySelector('#glossa-search .search-status').textContent");
    assert!(
        status.as_str().unwrap_or_default().contains(&r.len().to_string()),
        "status {status} for {} results",
        r.len()
    );
    // One more key that matches nothing: no results, a "none" status.
    browser.type_into(&input, "zzq");
    browser.wait_for(
        "no results for \"huawzzq\"",
        "return document.querySelectorAll('#glossa-search a.search-result').length === 0 \
         && document.querySelector('#glossa-search .search-status').textContent.trim() !== ''",
    );

    // Grouped by kind: "chan" is an entity, is mentioned by the article and
    // speaks three quotes: entities, then articles, then quotes, each under
    // its heading.
    let r = browser.search(&search, "chan", "e", "Chan");
    assert_eq!(group_order(&r), ["e", "a", "q"], "{r:?}");
    assert_eq!(r.iter().filter(|(k, _, _)| k == "q").count(), 3, "{r:?}");
    let sections = browser.js(
        "return Array.from(document.querySelectorAll('#glossa-search .search-results > section')).map(s => \
           [s.className, s.firstElementChild.tagName, s.firstElementChild.textContent.trim()])",
    );
    let sections = sections.as_array().unwrap();
    let classes: Vec<&str> = sections.iter().map(|s| s[0].as_str().unwrap()).collect();
    assert_eq!(
        classes,
        [
            "search-group search-group-e",
            "search-group search-group-a",
            "search-group search-group-q"
        ]
    );
    let headings: Vec<&str> = sections.iter().map(|s| s[2].as_str().unwrap()).collect();
    for s in sections {
        assert_eq!(s[1], "H2", "{sections:?}");
    }
    assert!(
        headings.iter().all(|h| !h.is_empty() && !["e", "a", "q"].contains(h)),
        "headings are labels, not kind codes: {headings:?}"
    );

    // The keyboard: ↓ focuses the first result, ↓ the next, ↑ back, ↑ from
    // the first returns to the input; Enter opens the focused result.
    let focused = "return document.activeElement && document.activeElement.matches('a.search-result') \
                   ? document.activeElement.getAttribute('href') : (document.activeElement || {}).id || ''";
    browser.press(ARROW_DOWN);
    assert_eq!(browser.js(focused), json!(r[0].2), "{r:?}");
    browser.press(ARROW_DOWN);
    assert_eq!(browser.js(focused), json!(r[1].2), "{r:?}");
    browser.press(ARROW_UP);
    assert_eq!(browser.js(focused), json!(r[0].2));
    browser.press(ARROW_UP);
    assert_eq!(browser.js(focused), json!("search-input"));
    browser.press(ARROW_DOWN);
    assert_eq!(browser.js(focused), json!(r[0].2));
    browser.press(ENTER);
    let target = format!("http://{}{}", seed_server.addr(), r[0].2);
    let deadline = Instant::now() + WAIT;
    while browser.current_url() != target {
        assert!(
            Instant::now() < deadline,
            "Enter did not open {target}; at {}",
            browser.current_url()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    browser.wait_for("the entity page", "return document.readyState === 'complete'");
    assert!(browser.title().contains("Chan"), "title {:?}", browser.title());
    assert_eq!(
        browser.js("return document.querySelector('h1').textContent.trim()"),
        json!("Chan")
    );

    // ?q= pre-fills the query (with diacritics, percent-encoded).
    browser.goto(&format!("{search}?q=B%E1%BA%AFc%20Kinh"));
    let r = browser.wait_until_result("?q=Bắc Kinh", "e", "Bắc Kinh");
    assert_eq!(
        browser.js("return document.getElementById('search-input').value"),
        json!("Bắc Kinh")
    );
    assert_eq!(r[0].1, "Bắc Kinh", "{r:?}");

    // Full text: words of the article's body only (not its title,
    // description or tags) find it, and the line under it is an excerpt of
    // the body there, with its diacritics and the typed words marked.
    let r = browser.search(
        &search,
        "ngan ngai chuyen doi",
        "a",
        "Các công ty AI Trung Quốc chuyển sang nguồn mở để đuổi kịp Thung lũng Silicon",
    );
    assert_eq!(r.iter().filter(|(k, _, _)| k == "a").count(), 1, "{r:?}");
    let excerpt = browser.excerpt(0);
    assert!(excerpt.0.contains("ngần ngại chuyển đổi vì SMIC"), "{excerpt:?}");
    for w in ["ngần", "ngại", "chuyển", "đổi"] {
        assert!(excerpt.1.iter().any(|m| m == w), "{w} not marked: {excerpt:?}");
    }
    // (the index files it read were under the sub-path too)
    let fetched = browser.search_files();
    assert!(
        !fetched.is_empty() && fetched.iter().all(|(u, _)| u.starts_with("/project/search/")),
        "{fetched:?}"
    );
    assert!(
        fetched.iter().any(|(u, _)| u.starts_with("/project/search/x/")),
        "{fetched:?}"
    );

    // The multi fixture: "da nang" finds Đà Nẵng, "anh duong" Ánh Dương.
    let r = browser.search(&multi_search, "da nang", "e", "Đà Nẵng");
    assert_eq!(r[0].1, "Đà Nẵng", "{r:?}");
    assert_eq!(r[0].2, "/entities/da-nang/", "{r:?}");
    browser.search(&multi_search, "anh duong", "e", "Ánh Dương");
    // A partial last word is a prefix: "da n" still finds Đà Nẵng.
    browser.search(&multi_search, "da n", "e", "Đà Nẵng");

    // The hover/focus preview of a mention: name and kind at once, the
    // summary fetched from the entity's preview.json (under the sub-path).
    browser.goto(&format!("{home}articles/ai-trung-quoc-nguon-mo/"));
    browser.wait_for("the article", "return document.readyState === 'complete'");
    browser.open_preview("a.mention[data-entity=\"huawei\"]");
    let preview = browser.js("return document.getElementById('glossa-preview').innerText");
    let preview = preview.as_str().unwrap_or_default();
    assert!(preview.contains("Huawei"), "{preview:?}");
    assert!(
        preview.contains("Huawei là tập đoàn công nghệ và viễn thông Trung Quốc có trụ sở tại Thâm Quyến."),
        "{preview:?}"
    );
    // It sits just below the mention (or just above it near the bottom of the
    // window), also when a theme positions <main>, the box's parent. The box
    // is placed at whole pixels and text lines need not be: a pixel of slack.
    let gap = "var m = document.querySelector('a.mention[data-entity=\"huawei\"]').getClientRects()[0]; \
               var b = document.getElementById('glossa-preview').getBoundingClientRect(); \
               return [b.top - m.bottom, m.top - b.bottom, b.left - m.left]";
    let near = |v: serde_json::Value| {
        let v: Vec<f64> = v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
        assert!(
            ((v[0] - 6.0).abs() <= 1.0 || (v[1] - 6.0).abs() <= 1.0) && v[2].abs() <= 1.0,
            "preview not at its mention (gap below, gap above, left offset): {v:?}"
        );
    };
    near(browser.js(gap));
    browser.js("document.activeElement.blur(); \
         var m = document.querySelector('main'); m.style.position = 'relative'; m.style.marginTop = '37px'; \
         m.style.marginLeft = '23px'; return true");
    browser.open_preview("a.mention[data-entity=\"huawei\"]");
    near(browser.js(gap));

    drop(browser);
    seed_server.stop();
    multi_server.stop();
    eprintln!("browser search test: {} ms", started.elapsed().as_millis());
}

/// A Vietnamese-looking syllable for `n`: an onset, a vowel and a tone
/// (NFC). None of them is a word of the phrase the test looks for.
fn syllable(n: usize) -> String {
    const ONSETS: &[&str] = &[
        "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "ng", "nh", "ph", "qu", "s", "t", "th", "tr", "v", "x",
    ];
    const VOWELS: &[&str] = &["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư"];
    const TONES: &[&str] = &["", "\u{300}", "\u{301}", "\u{309}", "\u{303}", "\u{323}"];
    let s = format!(
        "{}{}{}",
        ONSETS[n % ONSETS.len()],
        VOWELS[n / ONSETS.len() % VOWELS.len()],
        TONES[n / (ONSETS.len() * VOWELS.len()) % TONES.len()]
    );
    unicode_normalization::UnicodeNormalization::nfc(s.as_str()).collect()
}

/// How many articles the generated site has: enough for several shards.
const GENERATED: usize = 400;

/// The multi fixture and [`GENERATED`] more articles of made-up syllables,
/// each with "Kinh tế và xã hội."; the 123rd alone has "cánh đồng lúa
/// chín vàng ở Điện Biên" in its body.
fn generated_site() -> tempfile::TempDir {
    let site = common::copy_site(&common::fixture("multi"), false);
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for n in 0..GENERATED {
        let mut body = String::from("Kinh tế và xã hội. ");
        for w in 0..300 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            body.push_str(&syllable((x % 1320) as usize));
            body.push_str(if w % 15 == 14 { ".\n\n" } else { " " });
            if n == 123 && w == 150 {
                body.push_str("Những cánh đồng lúa chín vàng ở Điện Biên. ");
            }
        }
        common::write(
            site.path(),
            &format!("content/articles/bai-{n:03}.md"),
            &format!("+++\ntitle = \"Bài số {n}\"\ndate = \"2025-01-01\"\n+++\n{body}\n"),
        );
    }
    site
}

/// On a site with several shards: a query for words of one article's body
/// fetches one shard per word, that article's result line and text — a
/// small part of the index — and shows the excerpt; a query matching many
/// articles shows ten and a button for ten more.
#[test]
fn a_query_fetches_only_the_index_files_it_needs() {
    if !webdriver::available() {
        return;
    }
    let site = generated_site();
    let server = serve_http::serve_site(site.path(), None);
    let search = format!("{}search/", server.url());
    let out = server.output_dir().to_path_buf();
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("search/meta.json")).unwrap()).unwrap();
    let shards = meta["shards"].as_u64().unwrap();
    assert!(shards >= 4, "{meta}");
    let mut all = 0;
    for e in walkdir::WalkDir::new(out.join("search")).into_iter().flatten() {
        if e.path().extension().is_some_and(|x| x == "json") {
            all += e.metadata().unwrap().len();
        }
    }

    let browser = Browser::start();
    let r = browser.search_pasted(&search, "canh dong lua chin", "a", "Bài số 123");
    assert_eq!(r, [("a".into(), "Bài số 123".into(), "/articles/bai-123/".into())]);
    let excerpt = browser.excerpt(0);
    assert!(
        excerpt.0.contains("Những cánh đồng lúa chín vàng ở Điện Biên."),
        "{excerpt:?}"
    );
    assert_eq!(excerpt.1, ["cánh", "đồng", "lúa", "chín"], "{excerpt:?}");

    let fetched = browser.search_files();
    // per folder (`t/` shards, `a/` result lines, `x/` texts) or file
    let mut kinds: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    for (u, _) in &fetched {
        let rel = u.strip_prefix("/search/").unwrap_or_else(|| panic!("{u}"));
        let (dir, file) = rel.split_once('/').unwrap_or(("", rel));
        kinds.entry(dir.to_string()).or_default().insert(file.to_string());
    }
    let total: u64 = fetched.iter().map(|f| f.1).sum();
    eprintln!("fetched {total} of {all} bytes of index: {fetched:?}");
    // the layout; the shard each word's first three letters pick (FNV-1a,
    // as the build computes it), and no other; one chunk of result lines
    // and one of texts
    let shard = |w: &str| {
        let h = w
            .bytes()
            .take(3)
            .fold(0x811c_9dc5u32, |h, b| (h ^ b as u32).wrapping_mul(0x0100_0193));
        format!("{}.json", h as u64 % shards)
    };
    let want: BTreeSet<String> = ["canh", "dong", "lua", "chin"].iter().map(|w| shard(w)).collect();
    assert_eq!(
        kinds.get(""),
        Some(&BTreeSet::from(["meta.json".to_string()])),
        "{fetched:?}"
    );
    assert_eq!(kinds.get("t"), Some(&want), "{fetched:?}");
    assert_eq!(kinds.get("a").map(BTreeSet::len), Some(1), "{fetched:?}");
    assert_eq!(kinds.get("x").map(BTreeSet::len), Some(1), "{fetched:?}");
    assert_eq!(kinds.len(), 4, "nothing else: {fetched:?}");
    assert!(total * 2 < all, "{total} of {all} bytes: more than half the index");

    // Words in every generated article: ten shown, then ten more on demand.
    browser.goto(&search);
    let input = browser.find("#search-input");
    browser.type_into(&input, "kinh te ");
    browser.wait_for(
        "ten results and a button",
        "return document.querySelectorAll('#glossa-search a.search-result').length === 10 \
         && !!document.querySelector('#glossa-search .search-more')",
    );
    let r = browser.results();
    assert!(r.iter().all(|(k, t, _)| k == "a" && t.starts_with("Bài số ")), "{r:?}");
    assert_eq!(
        browser
            .search_files()
            .iter()
            .filter(|(u, _)| u.contains("/search/a/"))
            .count(),
        1,
        "ten lines, one chunk"
    );
    let status = browser.js("return document.querySelector('#glossa-search .search-status').textContent");
    assert!(
        status.as_str().unwrap().contains(&GENERATED.to_string()),
        "the status counts them all: {status}"
    );
    browser.js("document.querySelector('#glossa-search .search-more').click(); return true");
    browser.wait_for(
        "ten more results",
        "return document.querySelectorAll('#glossa-search a.search-result').length === 20",
    );
    assert_eq!(
        browser.js("return document.activeElement.matches('a.search-result') && document.activeElement.textContent"),
        json!(browser.results()[10].1),
        "the first new result has the focus"
    );
    drop(browser);
    server.stop();
}
