//! Property tests for rendered text, span injection and anchoring.
//!
//! Random Markdown comes from a small grammar (paragraphs of ASCII and
//! Vietnamese words with bold, emphasis, links, inline code, soft and hard
//! breaks, headings, list items and raw HTML, which glossa shows as text).
//! Random spans are picked on the document's rendered text and injected with
//! `markdown::render`; the output must keep the visible text, stay
//! well-formed, never nest `<a>`, and carry every span exactly once.
//! Anchoring must find back any passage of rendered text, also when the
//! Markdown arrives decomposed (NFD or half-composed Vietnamese).

mod common;

use std::ops::Range;

use common::html_check::check_html;
use common::ranges::{boundaries, line_range};
use glossa::anchor::markdown::{Document, Inject, Markup, render};
use glossa::anchor::selector as anchor;
use glossa::content::Selector;
use glossa::files::clean_text;
use glossa::text::nfc;
use proptest::prelude::*;
use proptest::test_runner::Config;
use scraper::{ElementRef, Html, Node};
use unicode_normalization::UnicodeNormalization;

// ---------------------------------------------------------------------------
// Markdown generator

/// Words: no Markdown syntax characters, so the grammar alone decides the
/// structure. Repeated short words make repeated passages (for `nth`).
const WORDS: &[&str] = &[
    "Trung Quốc",
    "Bắc Kinh",
    "đ",
    "nguồn mở",
    "Việt Nam",
    "đã",
    "nói",
    "công ty",
    "“tiềm năng”",
    "Quốc,",
    "ặ",
    "ByteDance",
    "SMIC",
    "a",
    "b",
    "a",
    "the",
    "x",
    "data.",
    "open",
    // entities and escapes: the event text differs from the source
    "AT&amp;T",
    "caf&eacute;",
    "Hà&nbsp;Nội",
    "a\\*b",
];

const CODES: &[&str] = &["code", "x = 1", "nguồn  mở", "<b>", "a & b"];

const HTML_INLINE: &[&str] = &["<b>x</b>", "a < b & c", "<i>Bắc Kinh</i>", "</span>"];

const HTML_BLOCKS: &[&str] = &["<div>Bắc Kinh</div>", "<div>\nTrung Quốc\nx\n</div>", "<!-- nguồn -->"];

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(WORDS).prop_map(str::to_string)
}

fn words(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(word(), 1..=max).prop_map(|w| w.join(" "))
}

fn code() -> impl Strategy<Value = String> {
    prop::sample::select(CODES).prop_map(|c| format!("`{c}`"))
}

/// Inside `**…**`: words, possibly with an `*em*` run.
fn strong() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![3 => word(), 1 => words(2).prop_map(|w| format!("*{w}*"))],
        1..=3,
    )
    .prop_map(|v| format!("**{}**", v.join(" ")))
}

fn link() -> impl Strategy<Value = String> {
    prop::collection::vec(prop_oneof![4 => word(), 1 => strong(), 1 => code()], 1..=3)
        .prop_map(|v| format!("[{}](https://example.org/x)", v.join(" ")))
}

fn inline() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => word(),
        2 => strong(),
        2 => words(3).prop_map(|w| format!("*{w}*")),
        2 => link(),
        2 => code(),
        1 => prop::sample::select(HTML_INLINE).prop_map(str::to_string),
        1 => words(2).prop_map(|w| format!("~~{w}~~")),
        1 => image(),
        1 => Just("<https://example.org/y>".to_string()),
    ]
}

/// An image; its alt text is not rendered text.
fn image() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![3 => word(), 1 => words(2).prop_map(|w| format!("*{w}*")), 1 => code()],
        1..=3,
    )
    .prop_map(|v| format!("![{}](/i.png)", v.join(" ")))
}

/// Inline content; `breaks` allows soft and hard line breaks between items.
fn inlines(max: usize, breaks: bool) -> impl Strategy<Value = String> {
    let sep = if breaks {
        prop_oneof![
            16 => Just(" "),
            4 => Just("\n"),
            1 => Just("  "),
            1 => Just(" \n"),
            1 => Just("\n   "),
            2 => Just("\\\n"),
        ]
        .boxed()
    } else {
        Just(" ").boxed()
    };
    prop::collection::vec((inline(), sep), 1..=max).prop_map(|v| {
        let mut s = String::new();
        for (i, (item, sep)) in v.iter().enumerate() {
            if i > 0 {
                s.push_str(sep);
            }
            s.push_str(item);
        }
        s
    })
}

fn block() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => inlines(8, true),
        1 => inlines(4, false).prop_map(|s| format!("## {s}")),
        1 => prop::collection::vec(inlines(4, false), 1..=3)
            .prop_map(|items| items.iter().map(|i| format!("- {i}")).collect::<Vec<_>>().join("\n")),
        1 => prop::sample::select(HTML_BLOCKS).prop_map(str::to_string),
        1 => inlines(6, true).prop_map(|s| format!("> {s}")),
        1 => prop::collection::vec(inlines(3, false), 1..=2)
            .prop_map(|items| {
                items.iter().enumerate().map(|(n, i)| format!("{}. {i}", n + 1)).collect::<Vec<_>>().join("\n")
            }),
        1 => prop::collection::vec(inlines(2, false), 4)
            .prop_map(|c| format!("| {} | {} |\n|---|---|\n| {} | {} |", c[0], c[1], c[2], c[3])),
    ]
}

fn markdown() -> impl Strategy<Value = String> {
    prop::collection::vec(block(), 1..=4).prop_map(|b| b.join("\n\n") + "\n")
}

// ---------------------------------------------------------------------------
// Spans

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Mention,
    Quote,
    Note,
    Xref,
}

const KINDS: [Kind; 4] = [Kind::Mention, Kind::Quote, Kind::Note, Kind::Xref];

/// Raw material for one span: line choice, two positions, kind, rank.
type RawSpan = (u16, u16, u16, usize, u8);

fn raw_spans() -> impl Strategy<Value = Vec<RawSpan>> {
    prop::collection::vec(
        (any::<u16>(), any::<u16>(), any::<u16>(), 0..KINDS.len(), 0u8..=3),
        0..10,
    )
}

fn markup(kind: Kind, id: &str) -> Markup {
    // Every kind carries `data-k` = its id so that all pieces can be found.
    let k = ("k", id.to_string());
    match kind {
        Kind::Mention => Markup {
            tag: "a",
            class: "mention".into(),
            id: Some(id.into()),
            href: Some("/entities/x/".into()),
            data: vec![("entity", "x".into()), k],
            after: String::new(),
        },
        Kind::Quote => Markup {
            tag: "mark",
            class: "quote".into(),
            id: Some(id.into()),
            href: None,
            data: vec![k],
            after: r#"<a class="quote-link" href="/quotes/q/"></a>"#.into(),
        },
        Kind::Note => Markup {
            tag: "span",
            class: "note".into(),
            id: Some(id.into()),
            href: None,
            data: vec![k],
            after: r#"<span class="sidenote">NOTE</span>"#.into(),
        },
        Kind::Xref => Markup {
            tag: "a",
            class: "xref".into(),
            id: Some(id.into()),
            href: Some("/articles/y/#p".into()),
            data: vec![k],
            after: String::new(),
        },
    }
}

#[derive(Debug, Clone)]
struct Span {
    range: Range<usize>,
    kind: Kind,
    id: String,
}

fn to_inject(spans: &[Span], ranks: &[u8]) -> Vec<Inject> {
    spans
        .iter()
        .zip(ranks)
        .map(|(s, &rank)| Inject {
            range: s.range.clone(),
            rank,
            markup: markup(s.kind, &s.id),
        })
        .collect()
}

/// A laminar family of valid spans: single-line, non-empty, trimmed, outside
/// code; any two disjoint or nested (equal ranges included).
fn laminar(doc: &Document<'_>, raw: &[RawSpan]) -> (Vec<Span>, Vec<Inject>) {
    let text = &doc.text.text;
    let mut spans: Vec<Span> = Vec::new();
    let mut ranks = Vec::new();
    for &(line, x, y, kind, rank) in raw {
        let Some(r) = line_range(text, line, x, y) else {
            continue;
        };
        if doc.text.overlaps_code(&r) {
            continue;
        }
        let partial = spans.iter().any(|a| {
            let a = &a.range;
            a.start < r.end
                && r.start < a.end
                && !(a.start <= r.start && r.end <= a.end)
                && !(r.start <= a.start && a.end <= r.end)
        });
        if partial {
            continue;
        }
        spans.push(Span {
            range: r,
            kind: KINDS[kind],
            id: format!("s{}", spans.len()),
        });
        ranks.push(rank);
    }
    let inject = to_inject(&spans, &ranks);
    (spans, inject)
}

/// Any ranges on char boundaries: across lines, empty, reversed, untrimmed,
/// over code, overlapping. `render` must skip what it cannot draw.
fn arbitrary(doc: &Document<'_>, raw: &[RawSpan]) -> Vec<Inject> {
    let text = &doc.text.text;
    let b = boundaries(text, 0, text.len());
    raw.iter()
        .enumerate()
        .map(|(i, &(line, x, y, kind, rank))| {
            let (s, e) = (b[x as usize % b.len()], b[y as usize % b.len()]);
            // mostly ordered, sometimes reversed
            let range = if line % 8 == 0 { e..s } else { s.min(e)..s.max(e) };
            Inject {
                range,
                rank,
                markup: markup(KINDS[kind], &format!("s{i}")),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// HTML helpers

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_sidenote(n: &Node) -> bool {
    matches!(n, Node::Element(e) if e.classes().any(|c| c == "sidenote"))
}

/// Table cells are laid out apart although pulldown-cmark writes no white
/// space between them.
const CELLS: &[&str] = &["td", "th"];

/// Text content of `el`, leaving out `.sidenote` elements (added content);
/// table cells count as separated by white space.
fn text_without_notes(el: ElementRef<'_>, out: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => out.push_str(t),
            n @ Node::Element(e) if !is_sidenote(n) => {
                let cell = CELLS.contains(&e.name());
                if cell {
                    out.push(' ');
                }
                text_without_notes(ElementRef::wrap(child).expect("element"), out);
                if cell {
                    out.push(' ');
                }
            }
            _ => {}
        }
    }
}

fn visible_text(html: &str) -> String {
    let frag = Html::parse_fragment(html);
    let mut out = String::new();
    text_without_notes(frag.root_element(), &mut out);
    collapse(&out)
}

fn config() -> Config {
    // 256 cases unless PROPTEST_CASES says otherwise
    Config {
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(config())]

    /// The rendered text is what the reader sees: the text content of the
    /// plain HTML, white space collapsed.
    #[test]
    fn rendered_text_is_html_text(md in markdown()) {
        let doc = Document::parse(&md);
        let html = render(&doc, &[]);
        prop_assert_eq!(visible_text(&html), collapse(&doc.text.text), "html: {}", html);
    }

    /// (a) Injecting spans changes no visible text (sidenote bodies aside).
    #[test]
    fn visible_text_unchanged(md in markdown(), raw in raw_spans(), arb in any::<bool>()) {
        let doc = Document::parse(&md);
        let plain = visible_text(&render(&doc, &[]));
        let spans = if arb { arbitrary(&doc, &raw) } else { laminar(&doc, &raw).1 };
        let html = render(&doc, &spans);
        prop_assert_eq!(visible_text(&html), plain, "html: {}", html);
    }

    /// (b) The output is well-formed (strict tag balance), whatever the spans.
    #[test]
    fn output_well_formed(md in markdown(), raw in raw_spans(), arb in any::<bool>()) {
        let doc = Document::parse(&md);
        prop_assert!(check_html(&render(&doc, &[])).is_ok(), "{:?}", check_html(&render(&doc, &[])));
        let spans = if arb { arbitrary(&doc, &raw) } else { laminar(&doc, &raw).1 };
        let html = render(&doc, &spans);
        if let Err(e) = check_html(&html) {
            let brief: Vec<_> = spans.iter().map(|s| (&s.range, s.markup.tag, s.rank)).collect();
            prop_assert!(false, "{}\nspans: {:?}\nhtml: {}", e, brief, html);
        }
    }

    /// (c) No `<a>` inside `<a>`, in the DOM (and, since an HTML parser
    /// silently closes an open `<a>` at a nested one, in the string too —
    /// `check_html` rejects `<a>` opened while one is open).
    #[test]
    fn no_link_in_link(md in markdown(), raw in raw_spans(), arb in any::<bool>()) {
        let doc = Document::parse(&md);
        let spans = if arb { arbitrary(&doc, &raw) } else { laminar(&doc, &raw).1 };
        let html = render(&doc, &spans);
        let frag = Html::parse_fragment(&html);
        let nested = scraper::Selector::parse("a a").unwrap();
        prop_assert_eq!(frag.select(&nested).count(), 0, "html: {}", html);
        // string level: every `<a` start is preceded by a matching `</a>`
        let mut depth = 0i32;
        for (at, _) in html.match_indices('<') {
            let rest = &html[at..];
            if rest.starts_with("<a ") || rest.starts_with("<a>") {
                prop_assert_eq!(depth, 0, "nested <a> at {} in {}", at, html);
                depth += 1;
            } else if rest.starts_with("</a>") {
                depth -= 1;
            }
        }
    }

    /// (d) Every span is drawn: its id exactly once, on the first piece, with
    /// the right element; the pieces together hold exactly its text; each
    /// `after` appears once.
    #[test]
    fn every_span_drawn_once(md in markdown(), raw in raw_spans()) {
        let doc = Document::parse(&md);
        let (spans, inject) = laminar(&doc, &raw);
        let html = render(&doc, &inject);
        let frag = Html::parse_fragment(&html);
        for s in &spans {
            let ctx = format!("span {:?} {:?} = {:?}\nhtml: {}", s.id, s.kind, &doc.text.text[s.range.clone()], html);
            prop_assert_eq!(html.matches(&format!("id=\"{}\"", s.id)).count(), 1, "{}", ctx);
            let by_id = scraper::Selector::parse(&format!("[id=\"{}\"]", s.id)).unwrap();
            let el = frag.select(&by_id).next().unwrap();
            let tag = el.value().name();
            let class = match s.kind {
                Kind::Mention => "mention",
                Kind::Quote => "quote",
                Kind::Note => "note",
                Kind::Xref => "xref",
            };
            let inside_a = el.ancestors().filter_map(ElementRef::wrap).any(|p| p.value().name() == "a");
            match s.kind {
                Kind::Mention | Kind::Xref => {
                    prop_assert!(tag == "a" || (tag == "span" && inside_a), "<{}> {}", tag, ctx);
                    if tag == "a" {
                        prop_assert!(el.value().attr("href").is_some(), "{}", ctx);
                    } else {
                        prop_assert!(el.value().attr("href").is_none(), "{}", ctx);
                    }
                }
                Kind::Quote => prop_assert_eq!(tag, "mark", "{}", ctx),
                Kind::Note => prop_assert_eq!(tag, "span", "{}", ctx),
            }
            prop_assert_eq!(el.value().attr("class"), Some(class), "{}", ctx);

            // pieces, in document order
            let by_k = scraper::Selector::parse(&format!("[data-k=\"{}\"]", s.id)).unwrap();
            let pieces: Vec<ElementRef> = frag.select(&by_k).collect();
            prop_assert!(pieces[0].id() == el.id(), "first piece lacks the id: {}", ctx);
            let cont = format!("{class} {class}-cont");
            let mut got = String::new();
            for (n, p) in pieces.iter().enumerate() {
                if n > 0 {
                    prop_assert_eq!(p.value().attr("class"), Some(cont.as_str()), "{}", ctx);
                    prop_assert!(p.value().attr("id").is_none(), "{}", ctx);
                }
                let ptag = p.value().name();
                let p_inside_a = p.ancestors().filter_map(ElementRef::wrap).any(|q| q.value().name() == "a");
                let link_like = matches!(s.kind, Kind::Mention | Kind::Xref);
                prop_assert!(
                    ptag == tag || (link_like && (ptag == "a" || (ptag == "span" && p_inside_a))),
                    "piece <{}> {}", ptag, ctx
                );
                let mut t = String::new();
                text_without_notes(*p, &mut t);
                got.push_str(&t);
            }
            prop_assert_eq!(collapse(&got), collapse(&doc.text.text[s.range.clone()]), "{}", ctx);
        }
        let count = |k: Kind| spans.iter().filter(|s| s.kind == k).count();
        let notes = html.matches(r#"<span class="sidenote">NOTE</span>"#).count();
        prop_assert_eq!(notes, count(Kind::Note), "html: {}", html);
        prop_assert_eq!(html.matches(r#"<a class="quote-link""#).count(), count(Kind::Quote), "html: {}", html);
    }

    /// Spans are split into pieces only where inline formatting requires;
    /// no piece is empty (an empty `<a href>` is an empty link).
    #[test]
    fn no_empty_pieces(md in markdown(), raw in raw_spans()) {
        let doc = Document::parse(&md);
        let (spans, inject) = laminar(&doc, &raw);
        let html = render(&doc, &inject);
        let frag = Html::parse_fragment(&html);
        for s in &spans {
            let by_k = scraper::Selector::parse(&format!("[data-k=\"{}\"]", s.id)).unwrap();
            for (n, p) in frag.select(&by_k).enumerate() {
                let mut t = String::new();
                text_without_notes(p, &mut t);
                let span_text = &doc.text.text[s.range.clone()];
                prop_assert!(!t.is_empty(), "piece {} of {} ({:?}) is empty\nhtml: {}", n, s.id, span_text, html);
            }
        }
    }

    /// (e) Any passage of rendered text anchors back to itself by `nth`,
    /// and `all` gives every occurrence.
    #[test]
    fn anchor_round_trip(md in markdown(), line in any::<u16>(), x in any::<u16>(), y in any::<u16>()) {
        let doc = Document::parse(&md);
        let text = &doc.text.text;
        let Some(r) = line_range(text, line, x, y) else { return Ok(()) };
        let exact = text[r.clone()].to_string();
        let all = anchor::find_all(text, &exact);
        let k = all.iter().position(|o| *o == r);
        prop_assert!(k.is_some(), "{:?} not among {:?}", r, all);
        let k = k.unwrap() + 1;
        let sel = |nth, all| Selector { exact: exact.clone(), prefix: None, suffix: None, nth, all };
        prop_assert_eq!(anchor::anchor(text, &[], &sel(Some(k), false)), Ok(vec![r.clone()]));
        // `all` is every occurrence, leftmost first, minus those overlapping
        // the one before ("a a" in "a a a" once).
        let mut disjoint: Vec<std::ops::Range<usize>> = Vec::new();
        for o in &all {
            if disjoint.last().is_none_or(|l| l.end <= o.start) {
                disjoint.push(o.clone());
            }
        }
        prop_assert_eq!(anchor::anchor(text, &[], &sel(None, true)), Ok(disjoint));
        let unique = anchor::anchor(text, &[], &sel(None, false));
        if all.len() == 1 {
            prop_assert_eq!(unique, Ok(vec![r]));
        } else {
            prop_assert_eq!(unique, Err(anchor::Failure::Ambiguous { occurrences: all.clone() }));
        }
        prop_assert_eq!(
            anchor::anchor(text, &[], &sel(Some(all.len() + 1), false)),
            Err(anchor::Failure::NthPastEnd { nth: all.len() + 1, count: all.len() })
        );
    }

    /// (f) An article and its annotation file that arrive decomposed (NFD,
    /// legacy half-composed, or every other character decomposed; the
    /// annotation's `exact` also as TOML `\u` escapes of decomposed text,
    /// which no file-level normalisation sees) load to the NFC article: the
    /// same rendered text and HTML, and the annotation anchors where the
    /// NFC `exact` does in the NFC text.
    #[test]
    fn nfd_anchors_identically(
        md in markdown(),
        form in 0u8..3,
        escaped in any::<bool>(),
        line in any::<u16>(),
        x in any::<u16>(),
        y in any::<u16>(),
    ) {
        let md_nfc = nfc(&md).into_owned();
        prop_assert_eq!(&md_nfc, &md, "generator must produce NFC");
        let decompose = |s: &str| -> String {
            match form {
                0 => s.nfd().collect(),
                1 => half_composed(s),
                // every other character decomposed
                _ => s
                    .chars()
                    .enumerate()
                    .map(|(i, c)| if i % 2 == 0 { c.to_string() } else { c.nfd().collect() })
                    .collect(),
            }
        };
        prop_assert_eq!(clean_text(&decompose(&md)), md.clone());
        let want_doc = Document::parse(&md);
        let text = &want_doc.text.text;
        let Some(r) = line_range(text, line, x, y) else { return Ok(()) };
        let exact = &text[r.clone()];
        let sel = Selector { exact: exact.to_string(), prefix: None, suffix: None, nth: None, all: true };
        let want = anchor::anchor(text, &[], &sel);
        // `all` skips an occurrence overlapping the one before it, so `r`
        // itself may be absent; an occurrence of the same text covers it
        let covered = |v: &Vec<Range<usize>>| v.iter().any(|o| o.start <= r.start && r.start < o.end);
        prop_assert!(want.as_ref().is_ok_and(covered), "{:?}", want);

        // The files as they arrive: decomposed, through the loader.
        let dir = tempfile::tempdir().unwrap();
        let arts = dir.path().join("content/articles");
        std::fs::create_dir_all(&arts).unwrap();
        let front = decompose("+++\ntitle = \"Bài thử\"\ndate = \"2026-11-28\"\n+++\n");
        std::fs::write(arts.join("t.md"), format!("{front}{}", decompose(&md))).unwrap();
        let exact_toml = if escaped {
            let mut s = String::from("\"");
            for c in decompose(exact).chars() {
                match c {
                    ' '..='~' if c != '"' && c != '\\' => s.push(c),
                    c if (c as u32) < 0x10000 => s.push_str(&format!("\\u{:04X}", c as u32)),
                    c => s.push_str(&format!("\\U{:08X}", c as u32)),
                }
            }
            s + "\""
        } else {
            glossa::commands::fix::toml_string(&decompose(exact))
        };
        std::fs::write(
            arts.join("t.annotations.toml"),
            format!("[[note]]\nexact = {exact_toml}\nall = true\nbody = \"{}\"\n", decompose("Ghi chú")),
        )
        .unwrap();
        let (article, diags, sources) =
            glossa::content::load_article_file(dir.path(), std::path::Path::new("content/articles/t.md"));
        prop_assert!(!diags.has_errors(), "{}", diags.render(&sources, false));
        let article = article.unwrap();
        prop_assert_eq!(&article.title, "Bài thử");
        let got_doc = Document::parse(&article.body);
        prop_assert_eq!(&got_doc.text.text, text);
        prop_assert_eq!(&got_doc.text.code, &want_doc.text.code);
        prop_assert_eq!(render(&got_doc, &[]), render(&want_doc, &[]));
        prop_assert_eq!(article.annotations.len(), 1);
        let loaded = &article.annotations[0].selector;
        prop_assert_eq!(&loaded.exact, exact);
        prop_assert_eq!(anchor::anchor(&got_doc.text.text, &[], loaded), want);
    }
}

/// Legacy half-composed Vietnamese: the vowel's own mark composed, the tone
/// mark left combining (e.g. `ố` = `ô` + U+0301).
fn half_composed(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.nfd().peekable();
    while let Some(c) = chars.next() {
        let mut base = c;
        if let Some(&m) = chars.peek()
            && let Some(comp) = unicode_normalization::char::compose(base, m)
            && unicode_normalization::char::is_combining_mark(m)
        {
            base = comp;
            chars.next();
        }
        out.push(base);
    }
    out
}

#[test]
fn html_checker_rejects_bad_markup() {
    assert!(check_html("<p>a <a href=\"x\">b</a></p>").is_ok());
    assert!(check_html("<p>a<br />b &amp; &#39;</p><hr />").is_ok());
    assert!(check_html("<p><strong>a</p></strong>").is_err());
    assert!(check_html("<p>a").is_err());
    assert!(check_html("<a href=\"x\"><a>b</a></a>").is_err());
    assert!(check_html("<p>a < b</p>").is_err());
    assert!(check_html("<p>a & b</p>").is_err());
    assert!(check_html("<!-- c -->").is_err());
    assert!(check_html("<span />").is_err());
    assert!(check_html("<p>a</p>>").is_err());
}

// ---------------------------------------------------------------------------
// Minimal cases found by the properties above

fn one(range: Range<usize>, kind: Kind, id: &str) -> Inject {
    Inject {
        range,
        rank: 0,
        markup: markup(kind, id),
    }
}

/// A span reopened right before nested formatting starts (`***b***`) left an
/// empty `<a href>` piece.
#[test]
fn regression_no_empty_piece_before_nested_formatting() {
    let doc = Document::parse("a ***b***\n");
    assert_eq!(doc.text.text, "a b");
    let html = render(&doc, &[one(0..3, Kind::Mention, "m")]);
    assert_eq!(
        html,
        "<p><a class=\"mention\" id=\"m\" href=\"/entities/x/\" data-entity=\"x\" data-k=\"m\">a </a>\
         <em><strong><a class=\"mention mention-cont\" href=\"/entities/x/\" data-entity=\"x\" data-k=\"m\">b</a>\
         </strong></em></p>\n"
    );
}

/// The first piece can be the one dropped (a span starting at a collapsed
/// soft break, just before `**`): the id moves to the next piece.
#[test]
fn regression_id_moves_when_first_piece_is_empty() {
    let doc = Document::parse("a\n**b**\n");
    assert_eq!(doc.text.text, "a b");
    let html = render(&doc, &[one(1..3, Kind::Quote, "q")]);
    assert_eq!(
        html,
        "<p>a\n<strong><mark class=\"quote\" id=\"q\" data-k=\"q\">b</mark>\
         <a class=\"quote-link\" href=\"/quotes/q/\"></a></strong></p>\n"
    );
}

/// A quote closing inside a link-like span waits for the link to close; an
/// image in between flushed it into the image's alt text.
#[test]
fn regression_after_markup_not_in_alt_text() {
    let doc = Document::parse("a ![*b*](/i.png) c\n");
    assert_eq!(doc.text.text, "a c");
    let html = render(&doc, &[one(0..3, Kind::Xref, "x"), one(0..1, Kind::Quote, "q")]);
    assert_eq!(
        html.matches(r#"<a class="quote-link" href="/quotes/q/"></a>"#).count(),
        1,
        "{html}"
    );
    assert!(html.contains(r#"alt="b""#), "{html}");
    assert!(check_html(&html).is_ok(), "{html}");
}
