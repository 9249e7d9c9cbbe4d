//! Accessibility of every kind of page, checked in a real browser with
//! axe-core (Deque's rule engine, the one behind Lighthouse's accessibility
//! score): WCAG 2.x A and AA rules plus axe's best practices, on the
//! example site (Vietnamese, plus an article with later mentions drawn
//! plain), the multi fixture and the `glossa init` scaffold, at a desktop
//! and a phone width and in the dark colour scheme, with a mention's hover
//! preview and a sidenote open, and with annotate mode's toolbar, mention
//! dialog and list open; and a plain mention reached with Tab. A violation fails the
//! test with the rule, its help text and the offending elements.
//!
//! Needs Chromium + chromedriver (as the other browser tests) and axe-core's
//! `axe.min.js`: `npm install axe-core@4`, then `AXE_JS=…/node_modules/axe-core/axe.min.js`
//! (`.ci/run` does both). Without them the test prints "skipped" — unless
//! CI is set, where it fails.

mod common;
mod serve_http;

use serde_json::Value;
use serve_http::axe::{self, violations};
use serve_http::webdriver::{self, Browser, ENTER, ESCAPE};

/// An article that names DeepSeek three times: under `autolink = "first"`
/// the first is a link, the others plain mentions (`span.mention-plain`),
/// which the example article has none of.
const REPEATED: &str = "articles/deepseek-nhac-lai/";

fn add_repeated_mentions(site: &std::path::Path) {
    common::write(
        site,
        "content/articles/deepseek-nhac-lai.md",
        "+++\ntitle = \"DeepSeek, nhắc lại\"\ndate = \"2026-11-29\"\n+++\n\
         DeepSeek công bố một mô hình mới.\n\n\
         Sau đó DeepSeek nói thêm về giá. Các kỹ sư so sánh mô hình của DeepSeek với các mô hình khác.\n",
    );
}

#[test]
fn every_kind_of_page_passes_axe_wcag_aa() {
    if !webdriver::available() {
        return;
    }
    let Some(script) = axe::script() else { return };
    let seed = common::copy_site(&common::seed_root(), true);
    add_repeated_mentions(seed.path());
    let seed_server = serve_http::serve_site(seed.path(), Some("/project/"));
    let multi = common::copy_site(&common::fixture("multi"), false);
    let multi_server = serve_http::serve_site(multi.path(), None);
    let browser = Browser::start();

    let s = seed_server.url();
    let m = multi_server.url();
    let mut pages: Vec<String> = [
        "",
        "articles/ai-trung-quoc-nguon-mo/",
        REPEATED,
        "entities/",
        "entities/chan/",
        "entities/deepseek/",
        // a timeline chart over three months, its table, mentions by period
        "entities/trung-quoc/",
        "archive/",
        "archive/2026/",
        "archive/2026/11/",
        "quotes/",
        "quotes/chan-bi-cat-dut/",
        "tags/",
        "tags/ai/",
        "search/?q=bac",
        "khong-co-trang-nay/",
    ]
    .iter()
    .map(|p| format!("{s}{p}"))
    .collect();
    pages.extend(["", "articles/chip-war/", "entities/"].map(|p| format!("{m}{p}")));
    // What `glossa init` gives a new user.
    let scaffold = tempfile::tempdir().unwrap();
    glossa::commands::init::init(&scaffold.path().join("site"), false).unwrap();
    let scaffold_server = serve_http::serve_site(&scaffold.path().join("site"), None);
    let i = scaffold_server.url();
    pages.extend(["", "articles/bai-viet-dau-tien/"].map(|p| format!("{i}{p}")));

    let mut found = Vec::new();
    for (width, height, scheme) in [(1280, 900, "light"), (390, 844, "light"), (1280, 900, "dark")] {
        browser.resize(width, height);
        browser.color_scheme(scheme);
        let at = format!("{width}px, {scheme}");
        for url in &pages {
            browser.goto(url);
            browser.wait_for("the page", "return document.readyState === 'complete'");
            assert_eq!(
                browser.js("return matchMedia('(prefers-color-scheme: dark)').matches"),
                Value::Bool(scheme == "dark"),
                "the emulated colour scheme is not in effect"
            );
            if url.contains("/search/") {
                browser.wait_for("search results", "return !!document.querySelector('a.search-result')");
            }
            for v in violations(&browser, &script) {
                found.push(format!("{url} at {at}: {v}"));
            }
        }

        // The article with its interactive parts open: a mention's preview
        // (shown on keyboard focus, with the entity's summary), then a
        // sidenote (at the phone width, where it is toggled inline).
        let article = format!("{s}articles/ai-trung-quoc-nguon-mo/");
        browser.goto(&article);
        browser.wait_for("the page", "return document.readyState === 'complete'");
        browser.open_preview("a.mention");
        for v in violations(&browser, &script) {
            found.push(format!("{article} at {at}, preview open: {v}"));
        }
        // Annotate mode (served pages only): the toolbar over a selection,
        // the mention dialog with its entity list open, the list of
        // annotations and suggestions.
        let ui = "document.getElementById('glossa-annotate').shadowRoot";
        browser.wait_for(
            "annotate mode",
            "return document.documentElement.getAttribute('data-glossa-annotate-ready') === 'yes'",
        );
        browser.js(
            "const w = document.createTreeWalker(document.querySelector('.article-body'), NodeFilter.SHOW_TEXT);              for (let n = w.nextNode(); n; n = w.nextNode()) { const i = n.data.indexOf('kỹ sư');                if (i >= 0) { getSelection().setBaseAndExtent(n, i, n, i + 5); break; } } return true",
        );
        browser.wait_for(
            "the annotate toolbar",
            &format!(
                "const t = {ui}.querySelector('[role=toolbar]'); return !!t && !t.hidden && !!t.querySelector('button')"
            ),
        );
        for v in violations(&browser, &script) {
            found.push(format!("{article} at {at}, annotate toolbar: {v}"));
        }
        browser.js(&format!(
            "{ui}.querySelector('[role=toolbar] button[data-kind=mention]').click(); return true"
        ));
        browser.wait_for(
            "the mention dialog with its entity list",
            &format!(
                "const i = {ui}.querySelector('dialog[open] input[role=combobox]'); if (!i) return false; i.focus();                  const l = {ui}.getElementById(i.getAttribute('aria-controls')); return !!l && !l.hidden && l.children.length > 3"
            ),
        );
        for v in violations(&browser, &script) {
            found.push(format!("{article} at {at}, annotate dialog: {v}"));
        }
        browser.js(&format!("{ui}.querySelector('dialog').close(); {ui}.querySelector('.bar button:nth-of-type(3)').click(); return true"));
        browser.wait_for(
            "the list of annotations",
            &format!("return !!{ui}.querySelector('dialog[open] ul.list li')"),
        );
        for v in violations(&browser, &script) {
            found.push(format!("{article} at {at}, annotations list: {v}"));
        }
        browser.js(&format!(
            "{ui}.querySelector('dialog').close(); getSelection().removeAllRanges(); return true"
        ));
        if width < 760 {
            browser.js("document.querySelector('label.sidenote-number').click()");
            browser.wait_for(
                "the first sidenote shown inline",
                "return getComputedStyle(document.querySelector('.sidenote')).display === 'block'",
            );
            for v in violations(&browser, &script) {
                found.push(format!("{article} at {at}, sidenote open: {v}"));
            }
        }
    }
    // At most 30 in full: one bad colour can fail hundreds of elements.
    const SHOWN: usize = 30;
    assert!(
        found.is_empty(),
        "{} accessibility violations{}:\n{}",
        found.len(),
        if found.len() > SHOWN {
            format!(", the first {SHOWN}")
        } else {
            String::new()
        },
        found[..found.len().min(SHOWN)].join("\n")
    );
}

/// Later mentions under `autolink = "first"` are plain spans, not links.
/// Each that has a preview is still a keyboard stop: Tab reaches it, its
/// preview opens, and a screen reader is told a role (button), a name (its
/// text) and, while the preview is open, a description (the preview);
/// Escape closes the preview and Enter opens it again. axe passes with it
/// open.
#[test]
fn plain_mentions_are_reached_with_tab_and_named() {
    if !webdriver::available() {
        return;
    }
    let seed = common::copy_site(&common::seed_root(), true);
    add_repeated_mentions(seed.path());
    let server = serve_http::serve_site(seed.path(), None);
    let browser = Browser::start();
    browser.goto(&format!("{}{REPEATED}", server.url()));
    browser.wait_for("the page", "return document.readyState === 'complete'");
    let plain = "span.mention-plain";
    assert_eq!(
        browser.js("return document.querySelectorAll('span.mention-plain[data-entity=\"deepseek\"]').length"),
        Value::from(2),
        "the later mentions of DeepSeek are drawn plain"
    );
    browser.open_preview(plain);
    let text = browser.js("return document.activeElement.textContent");
    let preview = browser.js("return document.getElementById('glossa-preview').textContent");
    let entity_name = browser.js("var e = document.activeElement.getAttribute('data-entity'); \
         return JSON.parse(document.getElementById('glossa-entities').textContent)[e].name");
    assert!(
        preview.as_str().unwrap().starts_with(entity_name.as_str().unwrap()),
        "the preview is the focused mention's: {preview} / {entity_name}"
    );

    let node = browser.focused_ax_node();
    assert_eq!(node["role"]["value"], "button", "{node}");
    assert_eq!(node["name"]["value"], text, "{node}");
    let description = node["description"]["value"].as_str().unwrap_or_default();
    assert!(
        description.contains(entity_name.as_str().unwrap()),
        "the preview is its description: {node}"
    );

    browser.press(ESCAPE);
    browser.wait_for(
        "the preview closed by Escape",
        "return document.getElementById('glossa-preview').hidden",
    );
    browser.press(ENTER);
    browser.wait_for(
        "the preview opened again by Enter",
        "return !document.getElementById('glossa-preview').hidden",
    );

    if let Some(script) = axe::script() {
        let found = violations(&browser, &script);
        assert!(
            found.is_empty(),
            "with a plain mention's preview open:\n{}",
            found.join("\n")
        );
    }
}
