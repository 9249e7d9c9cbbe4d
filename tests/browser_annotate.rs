//! Annotate mode in a real browser (headless Chromium over WebDriver) on a
//! copy of the example site: a phrase selected by script becomes a mention,
//! a quote by a new speaker, a note in Markdown, a link to another article;
//! an annotation clicked is edited or deleted; undo; a suggestion accepted
//! where it is underlined. After each change the files are checked (one
//! table more, every comment kept, a selector that anchors to the phrase)
//! and the page that reloaded by itself shows it. Every wait is for a
//! condition, never for time or window focus.

mod common;
mod serve_http;

use std::path::Path;

use glossa::anchor::selector::anchor;
use glossa::content::Selector;
use serde_json::json;
use serve_http::webdriver::{self, Browser, ELEMENT, ENTER};

const SLUG: &str = "ai-trung-quoc-nguon-mo";
const ANN: &str = "content/articles/ai-trung-quoc-nguon-mo.annotations.toml";
/// The annotate UI's shadow root.
const UI: &str = "document.getElementById('glossa-annotate').shadowRoot";

/// Selects the `nth` (from 1) occurrence of a phrase of the article's body
/// — its text nodes joined, sidenotes left out — the way a user drags over
/// it. Independent of annotate.js.
const SELECT: &str = r#"
const [phrase, nth] = arguments;
const body = document.querySelector('.article-body');
const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT, {
  acceptNode: (n) => n.parentElement.closest('.sidenote') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT });
const nodes = []; let text = '';
for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push([n, text.length]); text += n.data; }
let at = -1;
for (let i = 0; i < nth; i++) { at = text.indexOf(phrase, at + 1); if (at < 0) return false; }
const find = (pos, end) => { for (const [n, b] of nodes) if (pos < b + n.data.length || (end && pos === b + n.data.length)) return [n, pos - b]; };
const [sn, so] = find(at, false); const [en, eo] = find(at + phrase.length, true);
getSelection().setBaseAndExtent(sn, so, en, eo);
return true;
"#;

struct Page<'a> {
    b: &'a Browser,
    root: &'a Path,
}

impl Page<'_> {
    /// Waits until annotate mode has the article's state and its text is
    /// aligned with the page.
    fn ready(&self) {
        self.b.wait_for(
            "annotate mode ready",
            "return document.documentElement.getAttribute('data-glossa-annotate-ready') === 'yes'",
        );
    }

    /// Marks the window: a reload clears the mark.
    fn mark(&self) {
        self.b.js("window.__glossaMark = 1; return true");
    }

    /// Waits for the page to have reloaded (by itself) and be ready again.
    fn reloaded(&self, what: &str) {
        self.b.wait_for(
            what,
            "return window.__glossaMark === undefined && \
             document.documentElement.getAttribute('data-glossa-annotate-ready') === 'yes'",
        );
    }

    fn select(&self, phrase: &str, nth: usize) {
        assert_eq!(
            self.b.js_args(SELECT, json!([phrase, nth])),
            json!(true),
            "«{phrase}» #{nth}"
        );
    }

    /// Waits for the UI element `css` to be shown.
    fn shown(&self, what: &str, css: &str) {
        let css = serde_json::to_string(css).unwrap();
        self.b.wait_for(
            what,
            &format!("const e = {UI}.querySelector({css}); return !!e && !e.closest('[hidden]') && e.getClientRects().length > 0"),
        );
    }

    fn click(&self, css: &str) {
        let css = serde_json::to_string(css).unwrap();
        assert_eq!(
            self.b.js(&format!(
                "const e = {UI}.querySelector({css}); if (!e) return false; e.click(); return true"
            )),
            json!(true),
            "{css}"
        );
    }

    /// The WebDriver id of UI element `css`.
    fn element(&self, css: &str) -> String {
        let css = serde_json::to_string(css).unwrap();
        let v = self.b.js(&format!("return {UI}.querySelector({css})"));
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no {css}: {v}"))
            .to_string()
    }

    fn type_into(&self, css: &str, text: &str) {
        let e = self.element(css);
        self.b.type_into(&e, text);
    }

    /// Types `query` into the dialog's first combobox and picks the option
    /// labelled `label` with the keyboard.
    fn pick(&self, combobox: &str, query: &str, label: &str) {
        self.type_into(combobox, query);
        let label_js = serde_json::to_string(label).unwrap();
        let css = serde_json::to_string(combobox).unwrap();
        self.b.wait_for(
            &format!("the option {label}"),
            &format!(
                "const i = {UI}.querySelector({css}); const l = {UI}.getElementById(i.getAttribute('aria-controls')); \
                 return !!l && !l.hidden && [...l.children].some(o => o.firstChild.textContent === {label_js})"
            ),
        );
        // ArrowDown until it is the active option, then Enter
        for _ in 0..40 {
            let active = self.b.js(&format!(
                "const i = {UI}.querySelector({css}); const a = i.getAttribute('aria-activedescendant'); \
                 return a ? {UI}.getElementById(a).firstChild.textContent : null"
            ));
            if active == json!(label) {
                break;
            }
            self.b.press(webdriver::ARROW_DOWN);
        }
        self.b.press(ENTER);
    }

    fn saved(&self, what: &str) {
        self.mark();
        self.click("dialog button[type=submit]");
        self.reloaded(what);
        let said = self
            .b
            .js(&format!("return {UI}.querySelector('[role=status]').textContent"));
        assert!(said.as_str().unwrap_or("").starts_with("Saved"), "{said}");
    }

    fn file(&self) -> String {
        std::fs::read_to_string(self.root.join(ANN)).unwrap()
    }

    /// The rendered text the annotate page works on.
    fn text(&self) -> String {
        self.b
            .js_async(&format!(
                "const done = arguments[arguments.length - 1]; \
                 const s = document.querySelector('script[data-token]'); \
                 fetch(s.dataset.api + 'state?slug={SLUG}', {{headers: {{'X-Glossa-Token': s.dataset.token}}}}) \
                   .then(r => r.json()).then(j => done(j.text))"
            ))
            .as_str()
            .unwrap()
            .to_string()
    }
}

fn tables(text: &str, kind: &str) -> Vec<toml::Table> {
    let v: toml::Table = toml::from_str(text).unwrap();
    v.get(kind)
        .and_then(|a| a.as_array())
        .map(|a| a.iter().map(|t| t.as_table().unwrap().clone()).collect())
        .unwrap_or_default()
}

fn comments(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.trim_start().starts_with('#')).collect()
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

/// The example site, plus a second article to link to and an entity that
/// is never linked automatically (so `suggest` reports its name).
fn site() -> tempfile::TempDir {
    let site = common::copy_site(&common::seed_root(), true);
    common::write(
        site.path(),
        "content/articles/bai-thu-hai.md",
        "+++\ntitle = \"Bài thứ hai về chip\"\ndate = \"2026-11-20\"\n+++\n\nHuawei và chip AI.\n",
    );
    common::write(
        site.path(),
        "content/entities/da-nang.md",
        "+++\nname = \"Đà Nẵng\"\nkind = \"place\"\naliases = [\"Thành phố Đà Nẵng\"]\n+++\n",
    );
    common::write(
        site.path(),
        "content/entities/thep.md",
        "+++\nname = \"thép\"\nkind = \"concept\"\nautolink = false\n+++\n\nKim loại.\n",
    );
    site
}

#[test]
fn annotating_in_the_browser_writes_the_files_and_the_page_follows() {
    if !webdriver::available() {
        return;
    }
    let site = site();
    let root = site.path();
    let server = serve_http::serve_site(root, None);
    let b = Browser::start();
    let page = Page { b: &b, root };
    let article = format!("{}articles/{SLUG}/", server.url());
    b.goto(&article);
    page.ready();
    let original = page.file();
    let text = page.text();

    // 1. A mention of an existing entity, on the second of three «kỹ sư».
    page.select("kỹ sư", 2);
    page.shown("the toolbar", "[role=toolbar] button[data-kind=mention]");
    page.click("[role=toolbar] button[data-kind=mention]");
    page.shown("the mention dialog", "dialog[open] input[role=combobox]");
    // the search ignores tones and marks, đ included
    page.type_into("dialog input[role=combobox]", "da nang");
    b.wait_for(
        "Đà Nẵng found by «da nang»",
        &format!(
            "const i = {UI}.querySelector('dialog input[role=combobox]'); const l = {UI}.getElementById(i.getAttribute('aria-controls')); \
             return !l.hidden && l.children[0].firstChild.textContent === 'Đà Nẵng'"
        ),
    );
    b.js(&format!(
        "{UI}.querySelector('dialog input[role=combobox]').value = ''; return true"
    ));
    page.pick("dialog input[role=combobox]", "open", "OpenAI");
    page.saved("the page with the new mention");
    let after = page.file();
    assert!(after.starts_with(&original), "every byte of the file is kept");
    assert_eq!(comments(&after), comments(&original));
    assert_eq!(tables(&after, "mention").len(), tables(&original, "mention").len() + 1);
    let new = tables(&after, "mention").pop().unwrap();
    assert_eq!(new["entity"].as_str(), Some("openai"));
    let at = text.match_indices("kỹ sư").nth(1).unwrap().0;
    let span = at..at + "kỹ sư".len();
    assert_eq!(anchor(&text, &[], &selector_of(&new)), Ok(vec![span]));
    // the reloaded page links it to the entity page, under the id the
    // entity page's deep link names
    let id = b.js(
        "const m = [...document.querySelectorAll('.article-body a.mention[data-entity=openai]')]\
           .find(a => a.textContent === 'kỹ sư'); \
         return m && m.getAttribute('href') === '/entities/openai/' ? m.id : null",
    );
    let id = id.as_str().expect("the mention links to the entity page").to_string();
    b.goto(&format!("{}entities/openai/", server.url()));
    let deep = b.js(&format!(
        "const a = document.querySelector('a[href$=\"/articles/{SLUG}/#{id}\"]'); return a ? a.href : null"
    ));
    let deep = deep.as_str().expect("the entity page lists the mention").to_string();
    b.goto(&deep);
    b.wait_for(
        "the deep link's target",
        &format!("const e = document.getElementById('{id}'); return !!e && e.textContent === 'kỹ sư'"),
    );
    b.goto(&article);
    page.ready();

    // 2. A quote by a new speaker: its entity file is made.
    let quote = "Ý tưởng là cách tiếp cận của Trung Quốc có thể hấp dẫn hơn";
    page.select(quote, 1);
    page.shown("the toolbar", "[role=toolbar] button[data-kind=quote]");
    page.click("[role=toolbar] button[data-kind=quote]");
    page.shown("the quote dialog", "dialog[open] input[role=combobox]");
    page.pick("dialog input[role=combobox]", "Paul Mozur", "New speaker…");
    page.shown("the new speaker's fields", "dialog .new input[type=text]");
    page.type_into("dialog .new input[type=text]", "Paul Mozur");
    page.saved("the page with the new quote");
    let entity = std::fs::read_to_string(root.join("content/entities/paul-mozur.md")).unwrap();
    assert_eq!(entity, "+++\nname = \"Paul Mozur\"\nkind = \"person\"\n+++\n");
    let q = tables(&page.file(), "quote").pop().unwrap();
    assert_eq!(q["speaker"].as_str(), Some("paul-mozur"));
    assert_eq!(q["exact"].as_str(), Some(quote));
    assert_eq!(
        b.js("return [...document.querySelectorAll('.article-body mark.quote')].some(m => m.textContent.startsWith('Ý tưởng là cách'))"),
        json!(true)
    );

    // 3. A note in Markdown, with its live preview.
    page.select("đóng tàu", 1);
    page.shown("the toolbar", "[role=toolbar] button[data-kind=note]");
    page.click("[role=toolbar] button[data-kind=note]");
    page.shown("the note dialog", "dialog[open] textarea");
    page.type_into("dialog textarea", "Ngành *đóng tàu* của Việt Nam");
    b.wait_for(
        "the preview",
        &format!(
            "const p = {UI}.querySelector('dialog .preview'); return !!p && p.innerHTML.includes('<em>đóng tàu</em>')"
        ),
    );
    page.saved("the page with the new note");
    assert_eq!(
        tables(&page.file(), "note").pop().unwrap()["body"].as_str(),
        Some("Ngành *đóng tàu* của Việt Nam")
    );
    assert_eq!(
        b.js("return [...document.querySelectorAll('.article-body .sidenote')].some(s => s.innerHTML.includes('Ngành <em>đóng tàu</em> của Việt Nam'))"),
        json!(true)
    );

    // 4. A link to another article, found by its title.
    page.select("chip Nvidia", 1);
    page.shown("the toolbar", "[role=toolbar] button[data-kind=link]");
    page.click("[role=toolbar] button[data-kind=link]");
    page.shown("the link dialog", "dialog[open] input[role=combobox]");
    page.pick("dialog input[role=combobox]", "bai thu hai", "Bài thứ hai về chip");
    page.saved("the page with the new link");
    assert_eq!(
        tables(&page.file(), "link").pop().unwrap()["to"].as_str(),
        Some("@/articles/bai-thu-hai.md")
    );
    assert_eq!(
        b.js("const a = document.querySelector('.article-body a.xref'); return a && a.getAttribute('href')"),
        json!("/articles/bai-thu-hai/")
    );

    // 5. An edit: ByteDance's mention, clicked, now names Alibaba.
    let before_edit = page.file();
    let xy = b.js(
        "const m = document.querySelector('.article-body a.mention[data-entity=bytedance]:not(.auto)'); \
         m.scrollIntoView({block: 'center', behavior: 'instant'}); const r = m.getClientRects()[0]; return [r.left + r.width / 2, r.top + r.height / 2]",
    );
    page.mark();
    b.click_at(xy[0].as_f64().unwrap(), xy[1].as_f64().unwrap());
    page.shown("the edit dialog", "dialog[open] input[role=combobox]");
    assert_eq!(
        b.js("return window.__glossaMark"),
        json!(1),
        "the click did not follow the link"
    );
    b.js(&format!(
        "{UI}.querySelector('dialog input[role=combobox]').value = ''; return true"
    ));
    page.pick("dialog input[role=combobox]", "alibaba", "Alibaba");
    page.saved("the page with the edited mention");
    assert_eq!(
        page.file(),
        before_edit.replacen(
            "entity = \"bytedance\"\nexact = \"ByteDance\"",
            "entity = \"alibaba\"\nexact = \"ByteDance\"",
            1
        )
    );
    assert_eq!(
        b.js("return [...document.querySelectorAll('.article-body a.mention[data-entity=alibaba]')].some(a => a.textContent === 'ByteDance')"),
        json!(true)
    );

    // 6. A delete: the note on «RAND», clicked.
    let before_delete = page.file();
    let xy = b.js(
        "const n = [...document.querySelectorAll('.article-body .note-ref')].find(n => n.textContent === 'RAND'); \
         n.scrollIntoView({block: 'center', behavior: 'instant'}); const r = n.getClientRects()[0]; return [r.left + r.width / 2, r.top + r.height / 2]",
    );
    b.click_at(xy[0].as_f64().unwrap(), xy[1].as_f64().unwrap());
    // «RAND» is also a mention, inside the note: its dialog comes first,
    // and offers the note
    page.shown("the edit dialog", "dialog[open] button[data-switch=note]");
    page.click("dialog button[data-switch=note]");
    page.shown("the note's dialog", "dialog[open] textarea");
    page.mark();
    page.click("dialog button.danger");
    page.reloaded("the page without the note");
    let deleted = page.file();
    assert_eq!(tables(&deleted, "note").len(), tables(&before_delete, "note").len() - 1);
    assert_eq!(comments(&deleted), comments(&before_delete));
    assert!(!deleted.contains("RAND Corporation"));
    assert_eq!(
        b.js("return [...document.querySelectorAll('.article-body .note-ref')].some(n => n.textContent === 'RAND')"),
        json!(false)
    );

    // 7. Undo: the note's table back, byte for byte.
    page.mark();
    page.click(".bar button:nth-of-type(2)");
    page.reloaded("the page after undo");
    assert_eq!(page.file(), before_delete);
    assert_eq!(
        b.js("return [...document.querySelectorAll('.article-body .note-ref')].some(n => n.textContent === 'RAND')"),
        json!(true)
    );

    // 8. A suggestion accepted where it is underlined: «thép» names an
    // entity that is never linked automatically.
    let xy = b.js(
        "const s = document.querySelector('script[data-token]'); \
         const w = document.createTreeWalker(document.querySelector('.article-body'), NodeFilter.SHOW_TEXT); \
         for (let n = w.nextNode(); n; n = w.nextNode()) { const i = n.data.indexOf('thép'); \
           if (i >= 0 && !n.parentElement.closest('.sidenote')) { const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + 4); \
             n.parentElement.scrollIntoView({block: 'center', behavior: 'instant'}); const b = r.getClientRects()[0]; \
             return [b.left + b.width / 2, b.top + b.height / 2, CSS.highlights.has('glossa-suggestion')]; } } return null",
    );
    assert_eq!(xy[2], json!(true), "the suggestions are underlined");
    b.click_at(xy[0].as_f64().unwrap(), xy[1].as_f64().unwrap());
    page.shown("the suggestion", "dialog[open] button[type=submit]");
    let before_accept = page.file();
    page.saved("the page with the accepted suggestion");
    let accepted = page.file();
    assert!(accepted.starts_with(&before_accept));
    let m = tables(&accepted, "mention").pop().unwrap();
    assert_eq!(
        (m["entity"].as_str(), m["exact"].as_str()),
        (Some("thep"), Some("thép"))
    );
    assert_eq!(
        b.js("return [...document.querySelectorAll('.article-body a.mention[data-entity=thep]')].length"),
        json!(1)
    );
}

/// The shapes of selection the page maps to exact offsets of the article's
/// text — starting or ending inside bold, italic or a link, inside a
/// mention, across a note's marker — and the ones refused, each with its
/// reason, before any dialog.
#[test]
fn selections_map_exactly_or_are_refused_with_the_reason() {
    if !webdriver::available() {
        return;
    }
    let site = site();
    let root = site.path();
    common::write(
        root,
        "content/articles/bai-thu-hai.md",
        "+++\ntitle = \"Bài thứ hai về chip\"\ndate = \"2026-11-20\"\n+++\n\n\
         Hãng Huawei làm **chip AI mới** cho *thị trường* [Trung Quốc](https://vi.wikipedia.org/) năm nay.\n\n\
         Theo RAND cho biết, `mã Huawei` không đổi.\n\n\
         Ông Chan nói rằng đây là bước tiến.\n",
    );
    common::write(
        root,
        "content/articles/bai-thu-hai.annotations.toml",
        "[[note]]\nexact = \"RAND\"\nbody = \"Một viện nghiên cứu.\"\n\n[[quote]]\nspeaker = \"chan\"\nexact = \"đây là bước tiến\"\n",
    );
    let server = serve_http::serve_site(root, None);
    let b = Browser::start();
    let page = Page { b: &b, root };
    b.goto(&format!("{}articles/bai-thu-hai/", server.url()));
    page.ready();
    let hint = format!("return {UI}.querySelector('[role=toolbar] .hint')?.textContent ?? null");
    let why = format!("return {UI}.querySelector('[role=toolbar] .why')?.textContent ?? null");
    for phrase in [
        "Huawei làm **chip",                    // (as the reader sees it, without the stars)
        "chip AI",                              // starts with bold, ends inside it
        "mới** cho *thị",                       // from inside bold into italic
        "trường* [Trung",                       // from inside italic into a link
        "Quốc](https://vi.wikipedia.org/) năm", // from inside a link out of it
        "Huawei",                               // inside an automatic mention
        "RAND cho biết",                        // across the note's marker
    ] {
        let seen = phrase
            .replace("**", "")
            .replace('*', "")
            .replace("](https://vi.wikipedia.org/)", "")
            .replace('[', "");
        page.select(&seen, 1);
        b.wait_for(
            &format!("the toolbar for «{seen}»"),
            &format!(
                "const h = (() => {{ {hint} }})(); return h === {}",
                serde_json::to_string(&format!("«{seen}»")).unwrap()
            ),
        );
        b.js("getSelection().removeAllRanges(); return true");
        b.wait_for(
            "the toolbar gone",
            &format!("return {UI}.querySelector('[role=toolbar]').hidden"),
        );
    }
    // one of them saved: a note from inside the bold into the italic
    page.select("mới cho thị", 1);
    page.shown("the toolbar", "[role=toolbar] button[data-kind=note]");
    page.click("[role=toolbar] button[data-kind=note]");
    page.shown("the note dialog", "dialog[open] textarea");
    page.type_into("dialog textarea", "Ghi chú");
    page.saved("the page with the note");
    let file = std::fs::read_to_string(root.join("content/articles/bai-thu-hai.annotations.toml")).unwrap();
    assert!(
        file.ends_with("\n[[note]]\nexact = \"mới cho thị\"\nbody = \"Ghi chú\"\n"),
        "{file}"
    );
    assert_eq!(
        b.js(
            "return [...document.querySelectorAll('.article-body .note-ref')].map(n =>              (n.classList.contains('note-ref-cont') ? '' : '|') + n.textContent).join('')"
        ),
        // its pieces, split where the bold ends and the italic starts
        json!("|mới cho thị|RAND")
    );
    // refused, with the reason, and no dialog
    for (what, select, reason) in [
        ("across paragraphs", "năm nay.Theo", "across two blocks"),
        ("in code", "mã Huawei", "in code"),
        ("half in a quote", "rằng đây", "without containing it"),
    ] {
        if what == "across paragraphs" {
            // the end of one paragraph to the start of the next
            b.js(
                "const ps = document.querySelectorAll('.article-body p'); const a = ps[0].lastChild, z = ps[1].firstChild; \
                 getSelection().setBaseAndExtent(a, a.data.length - 4, z, 4); return true",
            );
        } else {
            page.select(select, 1);
        }
        b.wait_for(
            &format!("the reason for a selection {what}"),
            &format!(
                "const w = (() => {{ {why} }})(); return !!w && w.includes({})",
                serde_json::to_string(reason).unwrap()
            ),
        );
        assert_eq!(
            b.js(&format!("return !!{UI}.querySelector('dialog[open]')")),
            json!(false)
        );
        b.js("getSelection().removeAllRanges(); return true");
    }
    // in a sidenote's text
    b.js(
        "const s = document.querySelector('.article-body .sidenote').firstChild; \
         getSelection().setBaseAndExtent(s, 0, s, 3); return true",
    );
    b.wait_for(
        "the reason for a selection in a sidenote",
        &format!("const w = (() => {{ {why} }})(); return !!w && w.includes('inside a note')"),
    );
}
