//! A small W3C WebDriver client for the browser tests: chromedriver and one
//! headless Chromium session (ended on drop), spoken to over the tests'
//! HTTP client.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::request;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const WAIT: Duration = Duration::from_secs(30);
/// The W3C WebDriver element key and special keys.
pub const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
pub const ARROW_UP: &str = "\u{E013}";
pub const ARROW_DOWN: &str = "\u{E015}";
pub const ENTER: &str = "\u{E007}";
pub const TAB: &str = "\u{E004}";
pub const ESCAPE: &str = "\u{E00C}";

/// Whether the browser is installed. Without it a test is skipped, except
/// under CI (`CI` set), where that is a failure.
pub fn available() -> bool {
    if Path::new(CHROMIUM).is_file() && Path::new(CHROMEDRIVER).is_file() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have {CHROMIUM} and {CHROMEDRIVER} (.ci/run installs them)"
    );
    eprintln!("skipped: {CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)");
    false
}

/// chromedriver and one browser session; both end on drop.
pub struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub fn start() -> Browser {
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
        // Whether a headless window has system focus depends on the
        // Chromium version and the machine (148 gave none, so `focus` events
        // never fired). Emulating focus makes the page behave as the
        // frontmost window of a user's desktop, whatever the version.
        b.cdp("Emulation.setFocusEmulationEnabled", json!({ "enabled": true }));
        b
    }

    /// Runs one command of Chromium's DevTools protocol on the session's page
    /// (through chromedriver).
    pub fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.call(
            "POST",
            &format!("/session/{}/goog/cdp/execute", self.session),
            Some(json!({ "cmd": cmd, "params": params })),
        )
    }

    /// Panics, naming the cause, unless the page has focus: without it
    /// Chromium moves `document.activeElement` but fires no `focus` event,
    /// and a test of anything keyboard-driven would fail for the wrong
    /// reason.
    pub fn assert_page_focused(&self) {
        assert_eq!(
            self.js("return document.hasFocus()"),
            json!(true),
            "the page does not have focus (document.hasFocus() is false), so the browser fires no focus \
             events; focus emulation (Emulation.setFocusEmulationEnabled) did not take effect in this Chromium"
        );
    }

    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string());
        let r = request(self.addr, method, path, body.as_deref());
        let v: Value = serde_json::from_slice(&r.body).unwrap_or_else(|_| panic!("{method} {path}: {}", r.text()));
        assert!(r.status == 200, "{method} {path}: {} {v}", r.status);
        v["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.call(
            "POST",
            &format!("/session/{}/url", self.session),
            Some(json!({ "url": url })),
        );
    }

    pub fn current_url(&self) -> String {
        self.call("GET", &format!("/session/{}/url", self.session), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn title(&self) -> String {
        self.call("GET", &format!("/session/{}/title", self.session), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn js(&self, script: &str) -> Value {
        self.call(
            "POST",
            &format!("/session/{}/execute/sync", self.session),
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// Runs `script` with `args` (its `arguments`).
    pub fn js_args(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            &format!("/session/{}/execute/sync", self.session),
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Runs `script` as an async script: it gets its callback as the last
    /// argument and the test waits until it is called (or WebDriver's
    /// script timeout, 30 s, passes).
    pub fn js_async(&self, script: &str) -> Value {
        self.call(
            "POST",
            &format!("/session/{}/execute/async", self.session),
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// Sets the window's outer size in CSS pixels.
    pub fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            &format!("/session/{}/window/rect", self.session),
            Some(json!({ "width": width, "height": height })),
        );
    }

    /// Emulates the user's colour-scheme preference (`light` or `dark`) for
    /// the `prefers-color-scheme` media queries (Chromium's DevTools
    /// protocol, through chromedriver).
    pub fn color_scheme(&self, scheme: &str) {
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
        );
    }

    /// The WebDriver id of the element matching a CSS selector.
    pub fn find(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            &format!("/session/{}/element", self.session),
            Some(json!({ "using": "css selector", "value": css })),
        );
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    /// Types `text` into an element with WebDriver key sending (one key
    /// event per character, as a user would).
    pub fn type_into(&self, element: &str, text: &str) {
        self.call(
            "POST",
            &format!("/session/{}/element/{element}/value", self.session),
            Some(json!({ "text": text })),
        );
    }

    /// Clicks with the (emulated) mouse at `x`, `y` (CSS pixels in the
    /// viewport), as a user's click lands: hit-testing decides the target.
    pub fn click_at(&self, x: f64, y: f64) {
        let actions = json!({ "actions": [{
            "type": "pointer", "id": "mouse", "parameters": { "pointerType": "mouse" },
            "actions": [
                { "type": "pointerMove", "x": x.round() as i64, "y": y.round() as i64, "origin": "viewport" },
                { "type": "pointerDown", "button": 0 },
                { "type": "pointerUp", "button": 0 }
            ]
        }]});
        self.call("POST", &format!("/session/{}/actions", self.session), Some(actions));
        self.call("DELETE", &format!("/session/{}/actions", self.session), None);
    }

    /// Presses and releases one key on whatever has the focus.
    pub fn press(&self, key: &str) {
        let actions = json!({ "actions": [{
            "type": "key", "id": "keyboard",
            "actions": [{ "type": "keyDown", "value": key }, { "type": "keyUp", "value": key }]
        }]});
        self.call("POST", &format!("/session/{}/actions", self.session), Some(actions));
    }

    /// Moves the focus to the element matching `css` the way a keyboard
    /// user does: from the top of the page, Tab until it has the focus
    /// (at most `MAX_TABS` presses; the element must be reachable).
    pub fn tab_to(&self, css: &str) {
        const MAX_TABS: usize = 400;
        self.assert_page_focused();
        let sel = serde_json::to_string(css).unwrap();
        // Start from the document: nothing focused, the sequential focus
        // navigation starting point at the top of the page.
        self.js(
            "if (document.activeElement) document.activeElement.blur(); window.scrollTo(0, 0); \
             document.body.setAttribute('tabindex', '-1'); document.body.focus(); \
             document.body.removeAttribute('tabindex'); return true",
        );
        let at_target = format!(
            "var t = document.querySelector({sel}); var a = document.activeElement; \
             return !!t && !!a && (a === t || (t.tagName !== 'A' && t.closest('a') === a))"
        );
        for _ in 0..MAX_TABS {
            self.press(TAB);
            if self.js(&at_target) == json!(true) {
                return;
            }
        }
        panic!("{css} was not reached with {MAX_TABS} presses of Tab");
    }

    /// Reaches the mention matching `css` with the keyboard (Tab) and waits
    /// for its preview to show with the entity's summary.
    pub fn open_preview(&self, css: &str) {
        self.tab_to(css);
        self.wait_for(
            &format!("the preview of {css} with its summary"),
            "var b = document.getElementById('glossa-preview'); \
             return !!b && !b.hidden && !!b.querySelector('.glossa-preview-summary')",
        );
    }

    /// What assistive technology is told about the focused element: its
    /// node in Chromium's accessibility tree (`role`, `name`,
    /// `description`, each as `{"value": …}`), through the DevTools
    /// protocol.
    pub fn focused_ax_node(&self) -> Value {
        let focused = self.cdp("Runtime.evaluate", json!({ "expression": "document.activeElement" }));
        let object = focused["result"]["objectId"]
            .as_str()
            .unwrap_or_else(|| panic!("no focused element: {focused}"))
            .to_string();
        let tree = self.cdp(
            "Accessibility.getPartialAXTree",
            json!({ "objectId": object, "fetchRelatives": false }),
        );
        tree["nodes"][0].clone()
    }

    /// Polls `script` until it returns true.
    pub fn wait_for(&self, what: &str, script: &str) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if self.js(script) == json!(true) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let body = self.js("return document.body ? document.body.innerText.slice(0, 2000) : ''");
        panic!(
            "timed out waiting for {what}; the page shows:\n{}",
            body.as_str().unwrap_or_default()
        );
    }

    /// Saves a PNG of the window (set GLOSSA_SCREENSHOT=file.png to look at
    /// the overlay).
    pub fn screenshot(&self, to: &Path) {
        let v = self.call("GET", &format!("/session/{}/screenshot", self.session), None);
        let b64 = v.as_str().unwrap_or_default();
        std::fs::write(to, base64_decode(b64)).unwrap();
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
