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

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use serve_http::request;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const WAIT: Duration = Duration::from_secs(30);

/// chromedriver and one browser session; both end on drop.
struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start() -> Browser {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut b = Browser {
            driver,
            addr,
            session: String::new(),
            _profile: tempfile::tempdir().unwrap(),
        };
        let deadline = Instant::now() + WAIT;
        loop {
            if std::net::TcpStream::connect(addr).is_ok() {
                let status = request(addr, "GET", "/status", None);
                let v: Value = serde_json::from_slice(&status.body).unwrap_or(Value::Null);
                if v["value"]["ready"] == json!(true) {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not become ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = b._profile.path().to_string_lossy().into_owned();
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-dev-shm-usage", "--window-size=1200,900", format!("--user-data-dir={profile}")]
            }
        }}});
        let v = b.call("POST", "/session", Some(caps));
        b.session = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        b
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string());
        let r = request(self.addr, method, path, body.as_deref());
        let v: Value = serde_json::from_slice(&r.body).unwrap_or_else(|_| panic!("{method} {path}: {}", r.text()));
        assert!(r.status == 200, "{method} {path}: {} {v}", r.status);
        v["value"].clone()
    }

    fn goto(&self, url: &str) {
        self.call(
            "POST",
            &format!("/session/{}/url", self.session),
            Some(json!({ "url": url })),
        );
    }

    fn js(&self, script: &str) -> Value {
        self.call(
            "POST",
            &format!("/session/{}/execute/sync", self.session),
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// Saves a PNG of the window (set GLOSSA_SCREENSHOT=file.png to look at
    /// the overlay).
    fn screenshot(&self, to: &Path) {
        let v = self.call("GET", &format!("/session/{}/screenshot", self.session), None);
        let b64 = v.as_str().unwrap_or_default();
        std::fs::write(to, base64_decode(b64)).unwrap();
    }

    /// Polls `script` until it returns true.
    fn wait_for(&self, what: &str, script: &str) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if self.js(script) == json!(true) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let body = self.js("return document.body ? document.body.innerText.slice(0, 2000) : ''");
        panic!(
            "timed out waiting for {what}; the page shows:\n{}",
            body.as_str().unwrap_or_default()
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = request(self.addr, "DELETE", &format!("/session/{}", self.session), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn the_page_follows_edits_and_shows_errors() {
    if !Path::new(CHROMIUM).is_file() || !Path::new(CHROMEDRIVER).is_file() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have {CHROMIUM} and {CHROMEDRIVER} (.ci/run installs them)"
        );
        eprintln!("skipped: {CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)");
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
    // Wait until the page's event stream is connected, then mark the window:
    // a reload clears the mark.
    std::thread::sleep(Duration::from_millis(500));
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

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for v in s.bytes().filter_map(val) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}
