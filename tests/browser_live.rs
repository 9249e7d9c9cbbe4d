//! Live reload in a real browser: headless Chromium driven over WebDriver
//! (chromedriver, spoken to with the tests' small HTTP client). Open an
//! article, edit its annotation file: the page updates by itself; change
//! only CSS: the stylesheet is swapped without a reload; break the
//! annotation: the error overlay appears (also on a page opened while the
//! site is broken); fix it: the overlay goes and the page shows the fix.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver (Debian's `chromium`
//! and `chromium-driver`; `.ci/run` installs them). Without them the test
//! prints "skipped" — unless CI is set, where it fails.

mod common;
mod serve_http;

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use serve_http::webdriver::{self, Browser};

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn the_page_follows_edits_and_shows_errors() {
    if !webdriver::available() {
        return;
    }
    let site = common::copy_site(&common::fixture("multi"), false);
    let root = site.path();
    let mut opts = glossa::serve::ServeOptions::new(root);
    opts.port = 0;
    opts.color = false;
    opts.debounce = Duration::from_millis(80);
    let server = glossa::serve::start(opts).expect("server starts");
    let page = format!("{}articles/chip-war/", server.url());

    let browser = Browser::start();
    browser.goto(&page);
    browser.wait_for("the article", "return document.body.textContent.includes('Huawei')");
    // Wait until the page's event stream is open, then mark the window: a
    // reload clears the mark.
    browser.wait_for(
        "the live-reload stream",
        "return document.documentElement.getAttribute('data-glossa-live') === 'open'",
    );
    browser.js("window.__glossaMark = 1; return true");

    // Edit the annotation file: a new note appears by itself.
    let ann = root.join("content/articles/chip-war.annotations.toml");
    let mut text = std::fs::read_to_string(&ann).unwrap();
    text.push_str("\n[[note]]\nexact = \"Một đoạn\"\nbody = \"Ghi chú từ trình duyệt\"\n");
    std::fs::write(&ann, &text).unwrap();
    browser.wait_for(
        "the new note after a live reload",
        "return document.body.textContent.includes('Ghi chú từ trình duyệt') && window.__glossaMark === undefined",
    );

    // CSS only: the stylesheet is swapped, the page is not reloaded.
    browser.js("window.__glossaMark = 2; return true");
    std::fs::create_dir_all(root.join("static")).unwrap();
    let css = std::fs::read_to_string(common::seed_root().join("static/style.css")).unwrap();
    std::fs::write(
        root.join("static/style.css"),
        format!("{css}\nbody {{ outline: 3px solid rgb(1, 2, 3); }}\n"),
    )
    .unwrap();
    browser.wait_for(
        "the new stylesheet without a reload",
        "return getComputedStyle(document.body).outlineColor === 'rgb(1, 2, 3)' && window.__glossaMark === 2",
    );

    // Break the annotation: the overlay shows the file, line and hint.
    edit(&ann, "entity = \"huawei\"", "entity = \"huaweii\"");
    let overlay = "const o = document.getElementById('glossa-error-overlay'); \
                   return !!o && o.textContent.includes('chip-war.annotations.toml:3:') && o.textContent.includes('hint')";
    browser.wait_for("the error overlay", overlay);
    // The page under it is the last good one.
    assert_eq!(
        browser.js("return document.body.textContent.includes('Ghi chú từ trình duyệt')"),
        json!(true)
    );
    // A page opened while the site is broken shows the overlay too.
    browser.goto(&page);
    browser.wait_for("the overlay on a freshly opened page", overlay);
    if let Some(path) = std::env::var_os("GLOSSA_SCREENSHOT") {
        browser.screenshot(Path::new(&path));
    }
    // The overlay passes axe's accessibility rules as well as the site does
    // (when axe-core is installed; CI has it).
    if let Some(script) = serve_http::axe::script() {
        let found = serve_http::axe::violations(&browser, &script);
        assert!(found.is_empty(), "the error overlay:\n{}", found.join("\n"));
    }
    // The diagnostics are text, never markup.
    assert_eq!(
        browser.js("return document.querySelector('#glossa-error-overlay pre').children.length"),
        json!(0)
    );

    // Fix it: the overlay goes, the page reloads with the fix.
    edit(&ann, "entity = \"huaweii\"", "entity = \"huawei\"");
    browser.wait_for(
        "the overlay to go",
        "return !document.getElementById('glossa-error-overlay') && document.readyState === 'complete' \
         && document.body.textContent.includes('Ghi chú từ trình duyệt')",
    );
    drop(browser);
    server.stop();
}
