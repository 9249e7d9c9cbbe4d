//! Fuzzing the whole pipeline: random sites (glossa.toml, one or two
//! articles of random Markdown, random annotation files, two to four
//! entities) go through `glossa::load` and `glossa::build`.
//!
//! Properties, for every case:
//! - `load` and `build` never panic; every diagnostic's span lies within its
//!   file's text (on char boundaries), and rendering diagnostics (plain,
//!   coloured, JSON) never panics;
//! - when `load` reports errors, `build` fails and leaves nothing behind: no
//!   output dir, no staging dir beside it;
//! - when it reports none, `build` succeeds; every HTML page parses with
//!   html5ever without a parse error, never nests `<a>`, and its internal
//!   links lead to existing files and ids; each article page's
//!   `.article-body` is exactly the article's `body_html`, which passes a
//!   strict tag-balance check, parses as a fragment without errors, carries
//!   every mention id once and one sidenote per note, and shows the same
//!   visible text (sidenotes aside) as the site built without its annotation
//!   files.
//!
//! Half the cases are *clean*: annotations made valid by construction (real
//! passages of the rendered text — sometimes with doubled spaces, line
//! breaks or decomposed letters — with `nth`/`all`/`prefix`/`suffix` where
//! the passage repeats, no partial overlaps, known entities, resolvable
//! links). A clean case must load without errors. The other half mix in
//! garbage: text not in the article, wrong selectors, unknown entities and
//! keys, bad TOML, hostile link targets, non-UTF-8 files.
//!
//! `cargo test --test fuzz_pipeline` runs 64 cases (`PROPTEST_CASES=N` for
//! more); `cargo test --test fuzz_pipeline fuzz_pipeline_long -- --ignored`
//! runs 2,000. (`-- --ignored` alone also runs the tests of a known bug.)

mod common;

use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

use common::html_check::check_html;
use common::ranges::{boundaries, line_range};
use glossa::BuildOptions;
use glossa::anchor::markdown::Document;
use glossa::files::clean_text;
use glossa::text::collapse_ws;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use scraper::{Html, Selector};
use unicode_normalization::UnicodeNormalization;

// ---------------------------------------------------------------------------
// Markdown generator (after tests/prop_anchor.rs, with more block kinds)

/// Words: no Markdown syntax characters, so the grammar alone decides the
/// structure. Repeated short words make repeated passages (for `nth`/`all`).
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
    "Ann",
    "a",
    "b",
    "a",
    "the",
    "x",
    "data.",
    "open",
    "it's",
    "\"straight\"",
    // entities and escapes: the event text differs from the source
    "AT&amp;T",
    "caf&eacute;",
    "Hà&nbsp;Nội",
    "a\\*b",
    // decomposed (NFD) input: loading composes it
    "Bă\u{301}c Kinh",
    "Vie\u{323}\u{302}t",
];

const CODES: &[&str] = &["code", "x = 1", "nguồn  mở", "<b>", "a & b", "Bắc Kinh"];

const HTML_INLINE: &[&str] = &[
    "<b>x</b>",
    "a < b & c",
    "<i>Bắc Kinh</i>",
    "</span>",
    "<script>alert(1)</script>",
    "<a href=\"javascript:alert(1)\">Ann</a>",
    "<!-- c -->",
    "&lt;tag&gt;",
    "<br>",
];

const HTML_BLOCKS: &[&str] = &[
    "<div>Bắc Kinh</div>",
    "<div>\nTrung Quốc\nx\n</div>",
    "<!-- nguồn -->",
    "<table><tr><td>SMIC</td></tr></table>",
    "<script>\nalert(\"Ann\")\n</script>",
];

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

/// An image; its alt text is not rendered text.
fn image() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![3 => word(), 1 => words(2).prop_map(|w| format!("*{w}*")), 1 => code()],
        1..=3,
    )
    .prop_map(|v| format!("![{}](/i.png)", v.join(" ")))
}

fn inline() -> impl Strategy<Value = String> {
    prop_oneof![
        10 => word(),
        2 => strong(),
        2 => words(3).prop_map(|w| format!("*{w}*")),
        1 => words(2).prop_map(|w| format!("_{w}_")),
        2 => link(),
        2 => code(),
        1 => prop::sample::select(HTML_INLINE).prop_map(str::to_string),
        1 => words(2).prop_map(|w| format!("~~{w}~~")),
        1 => image(),
        1 => Just("<https://example.org/y>".to_string()),
        1 => words(2).prop_map(|w| format!("[{w}](javascript:alert(1))")),
        // unbalanced openers stay literal text
        1 => Just("**".to_string()),
        1 => Just("[".to_string()),
    ]
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
        10 => inlines(8, true),
        2 => (1usize..=6, inlines(4, false)).prop_map(|(n, s)| format!("{} {s}", "#".repeat(n))),
        2 => prop::collection::vec(inlines(4, false), 1..=3)
            .prop_map(|items| items.iter().map(|i| format!("- {i}")).collect::<Vec<_>>().join("\n")),
        1 => prop::collection::vec((0usize..3, inlines(3, false)), 1..=4).prop_map(|items| {
            items.iter().map(|(d, i)| format!("{}- {i}", "  ".repeat(*d))).collect::<Vec<_>>().join("\n")
        }),
        1 => prop::sample::select(HTML_BLOCKS).prop_map(str::to_string),
        2 => (1usize..=3, inlines(6, true)).prop_map(|(n, s)| format!("{} {s}", ">".repeat(n))),
        1 => prop::collection::vec(inlines(3, false), 1..=2).prop_map(|items| {
            items.iter().enumerate().map(|(n, i)| format!("{}. {i}", n + 1)).collect::<Vec<_>>().join("\n")
        }),
        1 => prop::collection::vec(inlines(2, false), 4)
            .prop_map(|c| format!("| {} | {} |\n|---|---|\n| {} | {} |", c[0], c[1], c[2], c[3])),
        1 => words(4).prop_map(|w| format!("```\n{w}\n```")),
        1 => Just("---".to_string()),
    ]
}

fn markdown() -> impl Strategy<Value = String> {
    prop::collection::vec(block(), 1..=5).prop_map(|b| b.join("\n\n") + "\n")
}

// ---------------------------------------------------------------------------
// Site generator

/// (id, file). `ann` is always present; relations only target it.
const ENTITY_POOL: &[(&str, &str)] = &[
    (
        "ann",
        "+++\nname = \"Ann\"\nkind = \"person\"\n+++\nA *person* who said <b>x</b>.\n",
    ),
    (
        "bac-kinh",
        "+++\nname = \"Bắc Kinh\"\nkind = \"place\"\naliases = [\"Beijing\"]\n+++\nThủ đô của **Trung Quốc**. [x](https://example.org/)\n",
    ),
    (
        "bytedance",
        "---\nname: ByteDance\nkind: organization\nrelations:\n  - type: parent_of\n    target: ann\n---\nCông ty <script>alert(1)</script>.\n",
    ),
    (
        "smic",
        "+++\nname = \"SMIC\"\nkind = \"organization\"\nwikidata = \"Q123\"\nurl = \"https://smic.example/\"\n+++\n",
    ),
    (
        "viet-nam",
        "+++\nname = \"Việt Nam\"\nkind = \"place\"\nrelations = [{ type = \"weird_kind\", target = \"ann\" }]\n+++\n> trích\n\n- a\n- b\n",
    ),
];

/// An id no entity has.
const UNKNOWN_ENTITY: &str = "khong-co";

const NOTE_BODIES: &[&str] = &[
    "Một *ghi chú* ngắn.",
    "**Bold** and [link](https://example.org/n) and `code`.",
    "<script>alert(1)</script> raw <b>HTML</b> & more",
    "Para one.\n\nPara two with ![img *alt*](/x.png) and <i>i</i>.",
    "- list item\n- another\n\n> quote",
    "[js](javascript:alert(1))",
    "",
    "# Heading\n\n```\ncode block\n```",
    "a\\\nb  \nc",
    "<a href=\"x\">nested?</a> [inner](https://e.org/) `</span>` ~~s~~",
    "| a | b |\n|---|---|\n| c | d |",
];

/// Link targets that resolve (given the articles that exist) and that do not.
const LINK_OK: &[&str] = &[
    "entity:ann",
    "@/articles/a.md",
    "https://example.org/x?a=1&b=<2>",
    "mailto:x@example.org",
];
const LINK_ANY: &[&str] = &[
    "entity:ann",
    "entity:bac-kinh",
    "entity:khong-co",
    "@/articles/a.md",
    "@/articles/b.md",
    "https://example.org/x?a=1&b=<2>",
    "http://e.org",
    "HTTPS://E.ORG/\"onclick=\"x",
    " https://e.org/ ",
    "mailto:x@example.org",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,x",
    "",
    "@/articles/.md",
    "//evil.example/",
];

/// `exact`, `prefix` and `suffix` values that are mostly not in the text.
const GARBAGE: &[&str] = &[
    "",
    "   ",
    "zzz không có",
    "**Bắc Kinh**",
    "Bắc  Kinh",
    "Bắc\nKinh",
    "Ba\u{306}\u{301}c Kinh",
    "\"tiềm năng\"",
    "'straight'",
    "a",
    "a ",
    "<b>x</b>",
    "AT&T",
    "AT&amp;T",
    "\u{7}",
    "\u{0}",
    "Hà Nội",
    "x = 1",
    "Trung Quốc\n\nBắc Kinh",
    "[Bắc Kinh](https://example.org/x)",
    "ặ",
    "Bac Kinh",
    "Bắc Kinhh",
    "\u{feff}Bắc Kinh",
    "Quốc, Bắc",
    "🦀 emoji",
];

/// How an annotation's `exact` is chosen.
#[derive(Debug, Clone)]
enum Exact {
    /// A passage within one line of the rendered text.
    Real(u16, u16, u16),
    /// A word of the generator's vocabulary (may repeat, may be absent).
    Word(usize),
    /// From [`GARBAGE`].
    Garbage(usize),
    /// Any range of the rendered text, across lines too.
    Cross(u16, u16),
}

/// The selector beside `exact` (for clean cases only a hint: the generator
/// picks what makes the annotation valid).
#[derive(Debug, Clone)]
enum Sel {
    Plain,
    Nth(u8),
    All,
    /// Real context of this many characters, or garbage.
    Prefix(u8, bool),
    Suffix(u8, bool),
    NthAndAll,
}

/// One generated annotation entry.
#[derive(Debug, Clone)]
struct RawAnn {
    article: u8,
    kind: u8,
    exact: Exact,
    sel: Sel,
    entity: usize,
    body: usize,
    to: usize,
    quote_id: u8,
    junk: u8,
}

fn raw_ann() -> impl Strategy<Value = RawAnn> {
    let exact = prop_oneof![
        6 => (any::<u16>(), any::<u16>(), any::<u16>()).prop_map(|(l, x, y)| Exact::Real(l, x, y)),
        2 => (0..WORDS.len()).prop_map(Exact::Word),
        2 => (0..GARBAGE.len()).prop_map(Exact::Garbage),
        1 => (any::<u16>(), any::<u16>()).prop_map(|(x, y)| Exact::Cross(x, y)),
    ];
    let sel = prop_oneof![
        4 => Just(Sel::Plain),
        2 => (0u8..6).prop_map(Sel::Nth),
        2 => Just(Sel::All),
        1 => (0u8..12, any::<bool>()).prop_map(|(n, g)| Sel::Prefix(n, g)),
        1 => (0u8..12, any::<bool>()).prop_map(|(n, g)| Sel::Suffix(n, g)),
        1 => Just(Sel::NthAndAll),
    ];
    (
        any::<u8>(),
        0u8..4,
        exact,
        sel,
        0..=ENTITY_POOL.len(),
        0..NOTE_BODIES.len(),
        0..LINK_ANY.len(),
        any::<u8>(),
        prop_oneof![12 => Just(0u8), 1 => 1u8..=16],
    )
        .prop_map(|(article, kind, exact, sel, entity, body, to, quote_id, junk)| RawAnn {
            article,
            kind,
            exact,
            sel,
            entity,
            body,
            to,
            quote_id,
            junk,
        })
}

/// A generated site: its files and what the generator promised.
#[derive(Clone)]
struct Case {
    files: Vec<(String, Vec<u8>)>,
    /// Valid by construction: loading must report no error.
    clean: bool,
    slugs: Vec<String>,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Case (clean: {}) {{", self.clean)?;
        for (path, bytes) in &self.files {
            writeln!(f, "--- {path}\n{}", String::from_utf8_lossy(bytes))?;
        }
        write!(f, "}}")
    }
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(markdown(), 1..=2),
        any::<u8>(),
        prop::collection::vec(raw_ann(), 0..16),
        prop::bool::weighted(0.5),
        prop::collection::vec(0u8..10, 0..3),
    )
        .prop_map(|(mds, entity_mask, anns, clean, junk)| make_case(&mds, entity_mask, &anns, clean, &junk))
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => write!(out, "\\u{:04X}", c as u32).unwrap(),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn partial_overlap(a: &Range<usize>, r: &Range<usize>) -> bool {
    a.start < r.end
        && r.start < a.end
        && !(a.start <= r.start && r.end <= a.end)
        && !(r.start <= a.start && a.end <= r.end)
}

/// The last `n` characters before `at`, or the first `n` from `at`.
fn chars_before(text: &str, at: usize, n: usize) -> &str {
    let start = text[..at]
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    &text[if n == 0 { at } else { start }..at]
}

fn chars_after(text: &str, at: usize, n: usize) -> &str {
    let end = text[at..].char_indices().nth(n).map_or(text.len(), |(i, _)| at + i);
    &text[at..end]
}

const FRONTS: [&str; 2] = [
    "+++\ntitle = \"Bài A <b>\"\ndate = \"2026-01-02\"\ntags = [\"AI\", \"Trung Quốc\"]\n+++\n",
    "---\ntitle: Bài B\ndate: 2026-01-01\nauthors: [\"X\"]\n---\n",
];

const SCRIPT_LINK: &str = "](javascript:alert(1))";
const SAFE_LINK: &str = "](https://example.org/js)";

fn make_case(mds: &[String], entity_mask: u8, anns: &[RawAnn], clean: bool, junk: &[u8]) -> Case {
    // glossa refuses javascript: Markdown links with an error, so a clean
    // case has none; swapped before the rendered text is derived, since a
    // "link" inside raw HTML is text (shown as it is) and the swap changes it.
    let swapped: Vec<String>;
    let mds = if clean {
        swapped = mds.iter().map(|m| m.replace(SCRIPT_LINK, SAFE_LINK)).collect();
        &swapped[..]
    } else {
        mds
    };
    let slugs: Vec<String> = ["a", "b"].iter().take(mds.len()).map(|s| s.to_string()).collect();
    let mut files: Vec<(String, Vec<u8>)> = vec![(
        "glossa.toml".into(),
        b"title = \"Fuzz\"\nbase_url = \"https://example.org/sub/\"\nlanguage = \"vi\"\n".to_vec(),
    )];
    // Entities: `ann` and one to three others.
    let mut present: Vec<usize> = vec![0];
    for (i, _) in ENTITY_POOL.iter().enumerate().skip(1) {
        if entity_mask & (1 << i) != 0 {
            present.push(i);
        }
    }
    if present.len() == 1 {
        present.push(1 + (entity_mask as usize >> 5) % (ENTITY_POOL.len() - 1));
    }
    present.truncate(4);
    for &i in &present {
        let (id, text) = ENTITY_POOL[i];
        files.push((format!("content/entities/{id}.md"), text.as_bytes().to_vec()));
    }
    let entity_id = |i: usize| {
        if i < ENTITY_POOL.len() {
            ENTITY_POOL[i].0
        } else {
            UNKNOWN_ENTITY
        }
    };

    let mut tomls: Vec<String> = vec![String::new(); mds.len()];
    let mut accepted: Vec<Vec<Range<usize>>> = vec![Vec::new(); mds.len()];
    for (n, md) in mds.iter().enumerate() {
        files.push((
            format!("content/articles/{}.md", slugs[n]),
            format!("{}{md}", FRONTS[n]).into_bytes(),
        ));
    }
    let texts: Vec<(String, Vec<Range<usize>>)> = mds
        .iter()
        .map(|md| {
            let cleaned = clean_text(md);
            let doc = Document::parse(&cleaned);
            (doc.text.text.clone(), doc.text.code.clone())
        })
        .collect();

    for (k, a) in anns.iter().enumerate() {
        let art = a.article as usize % mds.len();
        let junk = if clean { 0 } else { a.junk };
        let (text, code) = &texts[art];
        let mut entry = String::new();
        // `exact` and the selector
        let mut sel_lines: Vec<String> = Vec::new();
        let exact = if clean {
            // Every kind of pick becomes a real passage here.
            let (l, x, y) = match a.exact {
                Exact::Real(l, x, y) => (l, x, y),
                Exact::Word(i) | Exact::Garbage(i) => (i as u16, (i * 31) as u16, (i * 97) as u16),
                Exact::Cross(x, y) => (x ^ y, x, y),
            };
            let Some(r) = line_range(text, l, x, y) else { continue };
            // Occurrences touching code do not count (nor can be annotated).
            let in_code = |x: &Range<usize>| code.iter().any(|c| c.start < x.end && x.start < c.end);
            // Real context, as the SPEC defines it: the text right before /
            // after, paragraph breaks counting as spaces.
            let (prefix, suffix) = match a.sel {
                Sel::Prefix(n, _) => (Some(chars_before(text, r.start, n as usize)), None),
                Sel::Suffix(n, _) => (None, Some(chars_after(text, r.end, n as usize))),
                _ => (None, None),
            };
            let context_ok = |x: &Range<usize>| {
                let before_ok = prefix.map(collapse_ws).filter(|p| !p.is_empty()).is_none_or(|p| {
                    let before = text[..x.start].replace('\n', " ");
                    before.ends_with(&p) || before.trim_end().ends_with(p.trim_end())
                });
                let after_ok = suffix.map(collapse_ws).filter(|s| !s.is_empty()).is_none_or(|s| {
                    let after = text[x.end..].replace('\n', " ");
                    after.starts_with(&s) || after.trim_start().starts_with(s.trim_start())
                });
                before_ok && after_ok
            };
            let occ: Vec<Range<usize>> = glossa::anchor::selector::find_all(text, &text[r.clone()])
                .into_iter()
                .filter(|x| !in_code(x) && context_ok(x))
                .collect();
            let Some(k_of) = occ.iter().position(|o| *o == r) else {
                continue;
            };
            let use_all = occ.len() > 1 && matches!(a.sel, Sel::All);
            let ranges = if use_all { occ.clone() } else { vec![r.clone()] };
            let blocked = ranges.iter().enumerate().any(|(i, x)| {
                accepted[art]
                    .iter()
                    .chain(&ranges[..i])
                    .any(|acc| partial_overlap(acc, x))
            });
            if blocked {
                continue;
            }
            accepted[art].extend(ranges);
            if let Some(p) = prefix {
                sel_lines.push(format!("prefix = {}", toml_str(p)));
            }
            if let Some(x) = suffix {
                sel_lines.push(format!("suffix = {}", toml_str(x)));
            }
            if use_all {
                sel_lines.push("all = true".into());
            } else if occ.len() > 1 {
                sel_lines.push(format!("nth = {}", k_of + 1));
            }
            // The same passage as an editor might save it: white space runs
            // and decomposed letters select the same text (SPEC).
            let exact = &text[r];
            match (a.quote_id >> 2) % 4 {
                1 => exact.replace(' ', "  "),
                2 => exact.nfd().collect(),
                3 => exact.replace(' ', "\n"),
                _ => exact.to_string(),
            }
        } else {
            let e = match &a.exact {
                Exact::Real(l, x, y) => line_range(text, *l, *x, *y),
                Exact::Cross(x, y) => {
                    let b = boundaries(text, 0, text.len());
                    let (s, e) = (b[*x as usize % b.len()], b[*y as usize % b.len()]);
                    Some(s.min(e)..s.max(e))
                }
                _ => None,
            };
            let (exact_text, at) = match (&a.exact, e) {
                (Exact::Word(i), _) => (WORDS[*i].to_string(), None),
                (Exact::Garbage(i), _) => (GARBAGE[*i].to_string(), None),
                (_, Some(r)) => (text[r.clone()].to_string(), Some(r)),
                (_, None) => (GARBAGE[a.body % GARBAGE.len()].to_string(), None),
            };
            match a.sel {
                Sel::Plain => {}
                Sel::Nth(n) => sel_lines.push(format!("nth = {n}")),
                Sel::All => sel_lines.push("all = true".into()),
                Sel::NthAndAll => sel_lines.extend(["nth = 1".into(), "all = true".into()]),
                Sel::Prefix(n, garbage) => {
                    let p = match at {
                        Some(ref r) if !garbage => chars_before(text, r.start, n as usize).to_string(),
                        _ => GARBAGE[n as usize % GARBAGE.len()].to_string(),
                    };
                    sel_lines.push(format!("prefix = {}", toml_str(&p)));
                }
                Sel::Suffix(n, garbage) => {
                    let s = match at {
                        Some(ref r) if !garbage => chars_after(text, r.end, n as usize).to_string(),
                        _ => GARBAGE[n as usize % GARBAGE.len()].to_string(),
                    };
                    sel_lines.push(format!("suffix = {}", toml_str(&s)));
                }
            }
            exact_text
        };

        // The kind and its own keys.
        let ent = if clean {
            entity_id(present[a.entity % present.len()])
        } else {
            entity_id(a.entity)
        };
        let (table, own): (&str, String) = match a.kind {
            0 => ("mention", format!("entity = {}", toml_str(ent))),
            1 => {
                let id = match (clean, a.quote_id % 4) {
                    (true, 0) if art == 0 => None,
                    (true, _) => Some(format!("q-{art}-{k}")),
                    (false, 0) => None,
                    (false, 1) => Some(format!("q-{}", a.quote_id % 3)),
                    (false, 2) => Some("Bad Id/../x".to_string()),
                    (false, _) => Some(format!("q-{k}")),
                };
                let mut s = format!("speaker = {}", toml_str(ent));
                if let Some(id) = id {
                    write!(s, "\nid = {}", toml_str(&id)).unwrap();
                }
                ("quote", s)
            }
            2 => ("note", format!("body = {}", toml_str(NOTE_BODIES[a.body]))),
            _ => {
                let to = if clean {
                    let mut ok: Vec<&str> = LINK_OK.to_vec();
                    if mds.len() > 1 {
                        ok.push("@/articles/b.md");
                    }
                    ok.extend(present.iter().map(|&i| ENTITY_POOL[i].0).filter(|&id| id == "smic"));
                    let t = ok[a.to % ok.len()];
                    if t == "smic" { "entity:smic" } else { t }
                } else {
                    LINK_ANY[a.to]
                };
                ("link", format!("to = {}", toml_str(to)))
            }
        };

        writeln!(entry, "[[{table}]]").unwrap();
        if junk == 4 {
            writeln!(entry, "# exact left out").unwrap();
        } else if junk == 8 {
            writeln!(entry, "exact = 5").unwrap();
        } else if junk == 9 {
            writeln!(entry, "exact = \"unterminated").unwrap();
        } else if junk == 15 {
            // a multi-line literal string: the same text, other syntax
            writeln!(entry, "exact = '''\n{}'''", exact.replace('\'', "")).unwrap();
        } else {
            writeln!(entry, "exact = {}", toml_str(&exact)).unwrap();
        }
        for l in &sel_lines {
            writeln!(entry, "{l}").unwrap();
        }
        if junk != 5 {
            writeln!(entry, "{own}").unwrap();
        }
        match junk {
            1 => writeln!(entry, "nht = 2").unwrap(),
            2 => writeln!(entry, "nth = 0").unwrap(),
            3 => writeln!(entry, "nth = \"x\"").unwrap(),
            6 => writeln!(entry, "all = \"yes\"").unwrap(),
            7 => writeln!(entry, "nth = -5").unwrap(),
            10 => writeln!(entry, "nth = 9223372036854775807").unwrap(),
            11 => writeln!(entry, "[{table}.sub]\nx = 1").unwrap(),
            12 => writeln!(entry, "entity = [1, 2]").unwrap(),
            13 => writeln!(entry, "prefix = {{ a = 1 }}").unwrap(),
            14 => writeln!(entry, "body = \"\"\"\nmulti\nline \\\n body\"\"\"").unwrap(),
            16 => writeln!(entry, "[[mentions]]\nexact = \"a\"").unwrap(),
            _ => {}
        }
        entry.push('\n');
        tomls[art].push_str(&entry);
    }
    for (n, t) in tomls.iter().enumerate() {
        if !t.is_empty() {
            files.push((
                format!("content/articles/{}.annotations.toml", slugs[n]),
                t.clone().into_bytes(),
            ));
        }
    }

    if !clean {
        for j in junk {
            let add: (&str, Vec<u8>) = match j {
                0 => ("content/articles/zzz.annotations.toml", b"[[mention]]\nexact = \"a\"\nentity = \"ann\"\n".to_vec()),
                1 => ("content/articles/c.md", b"+++\ndate = \"2026-01-01\"\n+++\nno title\n".to_vec()),
                2 => ("content/articles/d.md", b"+++\ntitle = \"D\"\ndate = \"2026-01-01\"\n+++\n\xff\xfe bad bytes\n".to_vec()),
                3 => ("content/articles/e.md", b"+++\ntitle = \"E\"\ndate = \"2026-01-01\"\n+++\nBac Kinh\n".to_vec()),
                4 => (
                    "content/articles/e.annotations.toml",
                    "\u{feff}[[mention]]\r\nexact = \"Bac\"\r\nentity = \"ann\"\r\nnht = 1\r\n\r\n[[note]]\r\nexact = \"Kinh\"\r\n"
                        .as_bytes()
                        .to_vec(),
                ),
                5 => ("content/articles/f.md", b"+++\ntitle = \"F\"\ndate = \"2026-01-01\"\n+++\n[[[\n".to_vec()),
                6 => ("content/articles/f.annotations.toml", b"[[[\n\x00\"\nexact = = \n[mention\n".to_vec()),
                7 => ("content/entities/Bad Name.md", b"+++\nname = \"X\"\nkind = \"person\"\n+++\n".to_vec()),
                8 => ("content/entities/rel.md", b"+++\nname = \"R\"\nkind = \"robot\"\nrelations = [{type = \"x\", target = \"nobody\"}]\n+++\n".to_vec()),
                _ => ("glossa.toml", b"titel = \"x\"\nlanguage = 5\n".to_vec()),
            };
            match files.iter_mut().find(|(p, _)| p == add.0) {
                Some(f) => f.1 = add.1,
                None => files.push((add.0.to_string(), add.1)),
            }
        }
    }
    if clean {
        // the same in entity descriptions and note bodies (not anchored on)
        for (_, bytes) in &mut files {
            let text = String::from_utf8_lossy(bytes).replace(SCRIPT_LINK, SAFE_LINK);
            *bytes = text.into_bytes();
        }
    }
    Case { files, clean, slugs }
}

// ---------------------------------------------------------------------------
// HTML checks

/// Up to `r` bytes of `s` either side of `at`, on char boundaries.
fn excerpt(s: &str, at: usize, r: usize) -> &str {
    let mut lo = at.saturating_sub(r);
    while !s.is_char_boundary(lo) {
        lo -= 1;
    }
    let mut hi = (at + r).min(s.len());
    while !s.is_char_boundary(hi) {
        hi += 1;
    }
    &s[lo..hi]
}

/// The HTML between `.article-body`'s start tag and the rest of the page.
fn after_article_body_tag(page: &str) -> Option<&str> {
    let at = page.find("class=\"article-body")?;
    let open_end = at + page[at..].find('>')? + 1;
    Some(&page[open_end..])
}

fn visible_body_text(page: &str) -> String {
    common::visible_text(&Html::parse_document(page), ".article-body", ".sidenote")
}

/// Every HTML file under `out`, relative, `/`-separated.
fn html_files(out: &Path) -> Vec<String> {
    let mut v: Vec<String> = walkdir::WalkDir::new(out)
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .map(|e| e.path().strip_prefix(out).unwrap().to_string_lossy().replace('\\', "/"))
        .collect();
    v.sort();
    v
}

/// Every `a[href]`, `link[href]` and `script[src]` of page `rel` is either
/// external (http(s), mailto) or leads to a file of the output and, with a
/// fragment, to an element with that id. Nothing is a `javascript:` URL.
fn links_resolve(out: &Path, root_path: &str, rel: &str, doc: &Html, script_urls: bool) -> Result<(), String> {
    let has_id = |doc: &Html, id: &str| {
        doc.select(&Selector::parse("[id]").unwrap())
            .any(|e| e.value().attr("id") == Some(id))
    };
    for (selector, attr) in [("a[href]", "href"), ("link[href]", "href"), ("script[src]", "src")] {
        for el in doc.select(&Selector::parse(selector).unwrap()) {
            let href = el.value().attr(attr).unwrap();
            let lower = href.trim().to_ascii_lowercase();
            if lower.starts_with("javascript:") || lower.starts_with("data:") || lower.starts_with("vbscript:") {
                if script_urls {
                    return Err(format!("{rel}: a {href:?} link"));
                }
                continue;
            }
            if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("mailto:") {
                continue;
            }
            let (path, frag) = match href.split_once('#') {
                Some((p, f)) => (p, Some(f)),
                None => (href, None),
            };
            let file = if path.is_empty() {
                rel.to_string()
            } else {
                let Some(rest) = path.strip_prefix(root_path) else {
                    return Err(format!("{rel}: {href:?} is outside the base path {root_path}"));
                };
                if rest.is_empty() || rest.ends_with('/') {
                    format!("{rest}index.html")
                } else {
                    rest.to_string()
                }
            };
            if !out.join(&file).is_file() {
                return Err(format!("{rel}: {href:?} leads to no file ({file})"));
            }
            if let Some(id) = frag
                && file.ends_with(".html")
            {
                let target = Html::parse_document(&std::fs::read_to_string(out.join(&file)).unwrap());
                if !has_id(&target, id) {
                    return Err(format!("{rel}: {href:?}: no element with id {id:?} in {file}"));
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The property

fn write_files(files: &[(String, Vec<u8>)], skip_annotations: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, bytes) in files {
        if skip_annotations && rel.ends_with(".annotations.toml") {
            continue;
        }
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    dir
}

/// The names in a directory, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn opts(out: &Path) -> BuildOptions {
    BuildOptions {
        output_dir: Some(out.to_path_buf()),
        ..Default::default()
    }
}

/// Checks beyond the ones every run makes.
#[derive(Debug, Clone, Copy, Default)]
struct Checks {
    /// No `javascript:`/`data:` URL in any `href`/`src` of the output.
    script_urls: bool,
}

fn check_case(case: &Case, checks: Checks) -> Result<(), TestCaseError> {
    let site = write_files(&case.files, false);
    let outs = tempfile::tempdir().unwrap();
    let out = outs.path().join("public");
    let loaded = glossa::load(site.path(), &opts(&out));

    // Diagnostics point inside their files and render.
    for d in loaded.diags.iter() {
        if let Some(span) = &d.span {
            let text = loaded.sources.get(&d.file);
            prop_assert!(text.is_some(), "a span in a file not among the sources: {d}");
            let text = text.unwrap();
            prop_assert!(
                span.start <= span.end && span.end <= text.len(),
                "span {span:?} outside {} ({} bytes): {d}",
                d.file.display(),
                text.len()
            );
            prop_assert!(
                text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
                "span {span:?} not on char boundaries: {d}"
            );
        }
    }
    let report = loaded.diags.render(&loaded.sources, false);
    let _ = loaded.diags.render(&loaded.sources, true);
    let _ = loaded.diags.to_json(&loaded.sources).to_string();
    if case.clean {
        prop_assert!(
            !loaded.diags.has_errors(),
            "a valid-by-construction site has errors:\n{report}"
        );
    }

    let built = glossa::build(site.path(), &opts(&out));
    if loaded.diags.has_errors() {
        prop_assert!(built.is_err(), "load reported errors but build succeeded:\n{report}");
        prop_assert!(!out.exists(), "a failed build created the output dir");
        prop_assert_eq!(
            entries(outs.path()),
            Vec::<String>::new(),
            "a failed build left files next to the output"
        );
        return Ok(());
    }
    if let Err(f) = &built {
        prop_assert!(
            false,
            "load reported no errors but build failed:\n{}",
            f.diags.render(&f.sources, false)
        );
    }

    let plain_site = write_files(&case.files, true);
    let plain_out = outs.path().join("plain");
    if let Err(f) = glossa::build(plain_site.path(), &opts(&plain_out)) {
        prop_assert!(
            false,
            "the site without annotations fails:\n{}",
            f.diags.render(&f.sources, false)
        );
    }

    prop_assert_eq!(
        entries(outs.path()),
        vec!["plain".to_string(), "public".to_string()],
        "staging left behind"
    );
    let nested_a = Selector::parse("a a").unwrap();
    let root_path = loaded.site.config.root_path();
    for rel in html_files(&out) {
        let page = std::fs::read_to_string(out.join(&rel)).unwrap();
        let doc = Html::parse_document(&page);
        prop_assert!(doc.errors.is_empty(), "{rel}: html5ever parse errors {:?}", doc.errors);
        prop_assert_eq!(doc.select(&nested_a).count(), 0, "<a> inside <a> on {}", rel);
        if let Err(e) = links_resolve(&out, &root_path, &rel, &doc, checks.script_urls) {
            prop_assert!(false, "{e}");
        }
    }
    for node in &loaded.site.articles {
        let slug = &node.src.slug;
        if !case.slugs.contains(slug) {
            continue;
        }
        let rel = format!("articles/{slug}/index.html");
        let page = std::fs::read_to_string(out.join(&rel)).unwrap();
        let body = &node.body_html.unpack();
        let ctx = || format!("article {slug}\nbody_html:\n{body}");

        let after = after_article_body_tag(&page);
        prop_assert!(
            after.is_some_and(|a| a.starts_with(body.as_str())),
            "the page's .article-body is not body_html: {}",
            ctx()
        );
        if let Err(e) = check_html(body) {
            prop_assert!(false, "tag balance: {e}\n{}", ctx());
        }
        let frag = Html::parse_fragment(body);
        prop_assert!(
            frag.errors.is_empty(),
            "html5ever parse errors {:?}\n{}",
            frag.errors,
            ctx()
        );
        prop_assert_eq!(frag.select(&nested_a).count(), 0, "<a> inside <a>: {}", ctx());

        for m in &node.mentions {
            let id = m.element_id(&loaded.site.entities[m.entity].src.id);
            prop_assert_eq!(
                body.matches(&format!("id=\"{id}\"")).count(),
                1,
                "mention {} not drawn once: {}",
                id,
                ctx()
            );
        }
        let sidenotes = frag.select(&Selector::parse(".sidenote").unwrap()).count();
        prop_assert_eq!(sidenotes, node.notes.len(), "sidenotes: {}", ctx());

        let plain_page = std::fs::read_to_string(plain_out.join(&rel)).unwrap();
        prop_assert_eq!(
            visible_body_text(&page),
            visible_body_text(&plain_page),
            "visible text changed: {}",
            ctx()
        );
    }
    Ok(())
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2048,
        ..Config::default()
    }
}

fn run(cases: u32, checks: Checks) {
    let mut runner = TestRunner::new(config(cases));
    if let Err(e) = runner.run(&case(), |c| check_case(&c, checks)) {
        panic!("{e}");
    }
}

fn env_cases() -> Option<u32> {
    std::env::var("PROPTEST_CASES").ok()?.parse().ok()
}

#[test]
fn fuzz_pipeline() {
    run(env_cases().unwrap_or(64), Checks::default());
}

#[test]
#[ignore = "slow: 2,000 cases; run with `cargo test --test fuzz_pipeline -- --ignored`"]
fn fuzz_pipeline_long() {
    run(2000, Checks::default());
}

/// The same sites, checked also for `javascript:`/`data:` URLs in the
/// output: `[[link]]` targets and entity `url`s refuse them, so Markdown
/// links (in articles, note bodies, entity descriptions) must not carry them
/// either.
#[test]
fn fuzz_pipeline_refuses_script_urls() {
    run(env_cases().unwrap_or(64), Checks { script_urls: true });
}

/// The minimal case of the bug above, in each of the three places.
#[test]
fn markdown_javascript_links_are_not_live() {
    let files: Vec<(String, Vec<u8>)> = [
        ("glossa.toml", "title = \"T\"\n"),
        ("content/entities/ann.md", "+++\nname = \"Ann\"\nkind = \"person\"\n+++\nDesc [e](javascript:alert(3)).\n"),
        ("content/articles/a.md", "+++\ntitle = \"A\"\ndate = \"2026-01-02\"\n+++\nHello Ann [a](javascript:alert(1)).\n"),
        (
            "content/articles/a.annotations.toml",
            "[[note]]\nexact = \"Hello\"\nbody = \"[js](javascript:alert(2))\"\n\n[[mention]]\nexact = \"Ann\"\nentity = \"ann\"\n",
        ),
    ]
    .iter()
    .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
    .collect();
    let site = write_files(&files, false);
    let outs = tempfile::tempdir().unwrap();
    let out = outs.path().join("public");
    match glossa::build(site.path(), &opts(&out)) {
        // Refusing the site with a diagnostic is fine too.
        Err(f) => assert!(f.diags.has_errors()),
        Ok(_) => {
            let mut live = Vec::new();
            for rel in html_files(&out) {
                let page = std::fs::read_to_string(out.join(&rel)).unwrap();
                for (at, _) in page.match_indices("javascript:") {
                    live.push(format!("{rel}: …{}…", excerpt(&page, at, 30)));
                }
            }
            assert!(live.is_empty(), "javascript: URLs in the output:\n{}", live.join("\n"));
        }
    }
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
}
