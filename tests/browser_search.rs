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

    fn wait_until_result(&self, query: &str, kind: &str, expect: &str) -> Vec<(String, String, String)> {
        let deadline = Instant::now() + WAIT;
        loop {
            let results = self.results();
            if results.iter().any(|(k, t, _)| k == kind && t == expect) {
                return results;
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
