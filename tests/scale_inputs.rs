//! Inputs far larger or deeper than any real article: each must give a clear
//! diagnostic or correct, safe output — never a panic or a stack overflow —
//! in reasonable time even in a debug build. Each test prints its timings
//! (`cargo test --test scale_inputs -- --nocapture`).
//!
//! `glossa::build` runs in a thread with the default stack size, since
//! glossa itself must not overflow; the test's own HTML parsing (scraper)
//! runs in a thread with a big stack.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::html_check::check_html;
use glossa::BuildOptions;
use glossa::anchor::markdown::Document;

/// Far above what a healthy build of these inputs takes in debug (a few
/// seconds); a build slower than this is pathological.
const PATHOLOGICAL: Duration = Duration::from_secs(60);

/// The bound for the inputs that once showed a super-linear cost (minutes in
/// debug); with the fixes of e5ced21 each builds in about a second. Wall
/// time on a shared machine: 10 s failed at a load average of 10 on 2 cores
/// with nothing wrong, so the bound is 30 s, still far below the minutes a
/// quadratic cost takes.
const LINEAR: Duration = Duration::from_secs(30);

/// Writes a site: files as (relative path, contents), plus one entity per id.
fn site(files: &[(&str, &str)], entities: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut all: Vec<(String, String)> = files.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect();
    all.push(("glossa.toml".into(), "title = \"Scale\"\n".into()));
    for id in entities {
        all.push((
            format!("content/entities/{id}.md"),
            format!("+++\nname = \"{id}\"\nkind = \"concept\"\n+++\n"),
        ));
    }
    for (rel, text) in all {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn article(title: &str, body: &str) -> String {
    format!("+++\ntitle = \"{title}\"\ndate = \"2026-01-01\"\n+++\n{body}")
}

/// `limit`, or `SCALE_LIMIT_SECS` when set.
fn overridable(limit: Duration) -> Duration {
    std::env::var("SCALE_LIMIT_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(limit, Duration::from_secs)
}

struct Built {
    out: tempfile::TempDir,
}

/// Builds `root` in a thread with the default (2 MiB) stack, expecting
/// success within `limit` (`SCALE_LIMIT_SECS` overrides it, to measure the
/// slow cases; past it the test fails and the build thread is left to die
/// with the process).
fn expect_built(root: &Path, what: &str, limit: Duration) -> Built {
    let out = tempfile::tempdir().unwrap();
    let opts = BuildOptions {
        output_dir: Some(out.path().join("public")),
        ..Default::default()
    };
    let root = root.to_path_buf();
    let (tx, rx) = std::sync::mpsc::channel();
    let t = Instant::now();
    let handle = std::thread::spawn(move || {
        let r = glossa::build(&root, &opts)
            .map(|_| ())
            .map_err(|f| f.diags.render(&f.sources, false));
        let _ = tx.send(r);
    });
    let limit = overridable(limit);
    match rx.recv_timeout(limit) {
        Ok(Ok(())) => eprintln!("{what}: built in {:.2?}", t.elapsed()),
        Ok(Err(report)) => panic!("{what}: build failed:\n{report}"),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("{what}: still building after {limit:.0?}"),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            let _ = handle.join();
            panic!("{what}: glossa::build panicked");
        }
    }
    Built { out }
}

impl Built {
    fn page(&self, rel: &str) -> String {
        std::fs::read_to_string(self.out.path().join("public").join(rel)).unwrap()
    }
}

/// The HTML inside the page's `.article-body`: what follows its start tag,
/// up to the matching `</div>` (the body holds no `div`: raw HTML is text).
fn article_body(page: &str) -> &str {
    let at = page.find("class=\"article-body").expect("an .article-body");
    let start = at + page[at..].find('>').unwrap() + 1;
    let end = start + page[start..].find("</div>").expect("the end of .article-body");
    &page[start..end]
}

/// Runs `f` in a thread with a 256 MiB stack (for scraper on deep HTML).
fn with_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

/// Visible text of an HTML fragment, white space collapsed, and html5ever's
/// parse errors. Iterative, so any depth is fine given the parser's stack.
fn parse_fragment(html: String) -> (String, Vec<String>) {
    with_big_stack(move || {
        let frag = scraper::Html::parse_fragment(&html);
        let mut text = String::new();
        for node in frag.root_element().descendants() {
            if let Some(t) = node.value().as_text() {
                text.push_str(t);
            }
        }
        let errors = frag.errors.iter().map(|e| e.to_string()).collect();
        (collapse(&text), errors)
    })
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Ids `PREFIX1` … `PREFIXn` each occur exactly once in `html` as `id="…"`,
/// and no `PREFIX(n+1)`.
fn assert_ids(html: &str, prefix: &str, n: usize) {
    let needle = format!("id=\"{prefix}");
    let total = html.matches(&needle).count();
    assert_eq!(total, n, "ids starting with {prefix}");
    let mut seen = vec![false; n + 1];
    for (at, _) in html.match_indices(&needle) {
        let rest = &html[at + needle.len()..];
        let k: usize = rest[..rest.find('"').unwrap()]
            .parse()
            .expect("a number after the prefix");
        assert!((1..=n).contains(&k), "{prefix}{k} out of range");
        assert!(!seen[k], "{prefix}{k} twice");
        seen[k] = true;
    }
}

// ---------------------------------------------------------------------------
// A 20 MB article

const PARAGRAPHS: &[&str] = &[
    "Các công ty trí tuệ nhân tạo của Trung Quốc như ByteDance và Alibaba đã phát hành nhiều hệ thống nguồn mở, khiến các đối thủ ở Thung lũng Silicon phải chú ý.",
    "Theo các chuyên gia ở Bắc Kinh, **việc chia sẻ mã nguồn** giúp các nhà phát triển trên khắp thế giới xây dựng sản phẩm mới nhanh hơn và rẻ hơn.",
    "Ông Chân nói rằng “đôi khi rất khó để xác định được nên đầu tư và phân bổ nguồn lực ở đâu”, nhưng *cạnh tranh* vẫn là động lực chính.",
    "Nhà sản xuất chip [SMIC](https://example.org/smic) đang mở rộng năng lực sản xuất, trong khi các kỹ sư trẻ\ntìm đến những phòng thí nghiệm mới.",
    "- Một mục danh sách về `mô hình` ngôn ngữ lớn\n- Một mục khác với ~~gạch ngang~~ và chữ thường",
];

/// Every 20th paragraph names the city the `all = true` mention selects.
const CITY_PARAGRAPH: &str =
    "Tại Hà Nội, các trường đại học cũng bắt đầu thử nghiệm những mô hình này trong giảng dạy.";

#[test]
fn article_of_20_mb_with_thousands_of_mentions() {
    let mut body = String::with_capacity(21 << 20);
    let mut n = 0usize;
    while body.len() < 20 << 20 {
        if n % 20 == 19 {
            body.push_str(CITY_PARAGRAPH);
        } else {
            body.push_str(PARAGRAPHS[n % PARAGRAPHS.len()]);
        }
        body.push_str("\n\n");
        n += 1;
    }
    body.push_str("Đây là đoạn cuối cùng của bài viết dài.\n");
    let cities = n / 20;
    let annotations = r#"
[[mention]]
entity = "ha-noi"
exact = "Hà Nội"
all = true

[[mention]]
entity = "bytedance"
exact = "ByteDance"
nth = 3

[[quote]]
speaker = "chan"
exact = "“đôi khi rất khó để xác định được nên đầu tư và phân bổ nguồn lực ở đâu”"
nth = 2

[[note]]
exact = "SMIC"
nth = 5
body = "Semiconductor Manufacturing International Corporation."

[[link]]
exact = "Thung lũng Silicon"
nth = 1
to = "https://example.org/silicon-valley"

[[mention]]
entity = "bytedance"
exact = "đoạn cuối cùng"
"#;
    let md = article("Bài rất dài", &body);
    eprintln!(
        "article: {:.1} MB, {n} paragraphs, {cities} with Hà Nội",
        md.len() as f64 / (1 << 20) as f64
    );
    let dir = site(
        &[
            ("content/articles/big.md", &md),
            ("content/articles/big.annotations.toml", annotations),
        ],
        &["ha-noi", "bytedance", "chan"],
    );
    let built = expect_built(dir.path(), "20 MB article", PATHOLOGICAL);

    let t = Instant::now();
    let page = built.page("articles/big/index.html");
    let body_html = article_body(&page);
    assert_ids(body_html, "m-ha-noi-", cities);
    assert_ids(body_html, "m-bytedance-", 2);
    assert_eq!(body_html.matches("id=\"q-").count(), 1);
    assert_eq!(body_html.matches("class=\"sidenote\"").count(), 1);
    assert_eq!(body_html.matches("class=\"xref\"").count(), 1);
    // The last mention lands on the last paragraph.
    let last = body_html.rfind("<p>").unwrap();
    assert!(
        body_html[last..].contains("id=\"m-bytedance-2\""),
        "{}",
        &body_html[last..]
    );
    check_html(body_html).unwrap();
    // The entity page lists every mention, each linking back to its id.
    let entity = built.page("entities/ha-noi/index.html");
    assert_eq!(
        entity.matches("#m-ha-noi-").count(),
        cities,
        "backlinks on the entity page"
    );
    eprintln!("20 MB article: checked in {:.2?}", t.elapsed());
}

/// A `prefix`/`suffix` selector over a passage that occurs thousands of
/// times in a long article. (Was O(occurrences × text): the context checks
/// copied all the text before/after every candidate; 39 s in debug.)
#[test]
fn prefix_and_suffix_selectors_on_a_2_mb_article() {
    let mut body = String::new();
    let mut n = 0usize;
    while body.len() < 2 << 20 {
        body.push_str(PARAGRAPHS[n % PARAGRAPHS.len()]);
        body.push_str("\n\n");
        n += 1;
    }
    let annotations = r#"
[[note]]
exact = "SMIC"
prefix = "Nhà sản xuất chip "
nth = 5
body = "Semiconductor Manufacturing International Corporation."

[[mention]]
entity = "bytedance"
exact = "ByteDance"
suffix = " và Alibaba"
nth = 7
"#;
    let dir = site(
        &[
            ("content/articles/long.md", &article("Dài", &body)),
            ("content/articles/long.annotations.toml", annotations),
        ],
        &["bytedance"],
    );
    let built = expect_built(
        dir.path(),
        &format!("prefix/suffix over {} occurrences", n / PARAGRAPHS.len()),
        LINEAR,
    );
    let page = built.page("articles/long/index.html");
    let body_html = article_body(&page);
    assert_ids(body_html, "m-bytedance-", 1);
    assert_eq!(body_html.matches("class=\"sidenote\"").count(), 1);
}

/// A passage that occurs tens of thousands of times in an article with tens
/// of thousands of code spans. (Was O(occurrences × code spans): every
/// occurrence scanned every code range; 27 s in debug.)
#[test]
fn occurrences_times_code_spans() {
    const N: usize = 80_000;
    let body: String = (0..N).map(|i| format!("Hà Nội có `mã {i}` và chữ.\n\n")).collect();
    let annotations = format!("[[mention]]\nentity = \"ha-noi\"\nexact = \"Hà Nội\"\nnth = {N}\n");
    let dir = site(
        &[
            ("content/articles/code.md", &article("Mã", &body)),
            ("content/articles/code.annotations.toml", &annotations),
        ],
        &["ha-noi"],
    );
    let built = expect_built(dir.path(), &format!("{N} occurrences × {N} code spans"), LINEAR);
    let page = built.page("articles/code/index.html");
    let body_html = article_body(&page);
    assert_ids(body_html, "m-ha-noi-", 1);
    let last = body_html.rfind("<p>").unwrap();
    assert!(
        body_html[last..].contains("id=\"m-ha-noi-1\""),
        "the mention is on the last paragraph"
    );
}

// ---------------------------------------------------------------------------
// 10,000 annotations on one article

/// 10,000 `nth = k` mentions of a word that occurs 10,000 times. (Was
/// O(annotations × text): every selector searched the whole article; 32 s in
/// debug.)
#[test]
fn ten_thousand_nth_mentions_of_one_word() {
    const N: usize = 10_000;
    // Ten occurrences per paragraph, 1,000 paragraphs.
    let mut body = String::new();
    for p in 0..N / 10 {
        for w in 0..10 {
            write!(body, "Việt Nam số {} ", p * 10 + w).unwrap();
        }
        body.push_str("\n\n");
    }
    let mut ann = String::new();
    for k in 1..=N {
        write!(
            ann,
            "[[mention]]\nentity = \"viet-nam\"\nexact = \"Việt Nam\"\nnth = {k}\n\n"
        )
        .unwrap();
    }
    let dir = site(
        &[
            ("content/articles/many.md", &article("Nhiều", &body)),
            ("content/articles/many.annotations.toml", &ann),
        ],
        &["viet-nam"],
    );
    let built = expect_built(dir.path(), "10,000 nth mentions", LINEAR);
    let page = built.page("articles/many/index.html");
    let body_html = article_body(&page);
    assert_ids(body_html, "m-viet-nam-", N);
    check_html(body_html).unwrap();
    // In text order: the k-th id is on the k-th occurrence.
    let k_th = body_html.find("id=\"m-viet-nam-1234\"").unwrap();
    assert_eq!(body_html[..k_th].matches("Việt Nam").count(), 1233);
    let entity = built.page("entities/viet-nam/index.html");
    assert_eq!(entity.matches("#m-viet-nam-").count(), N);
}

#[test]
fn ten_thousand_annotations_of_distinct_words() {
    const N: usize = 10_000;
    // Words of one length, so none occurs inside another.
    let mut body = String::new();
    for p in 0..N / 20 {
        for w in 0..20 {
            write!(body, "từ{:05} ", p * 20 + w).unwrap();
        }
        body.push_str("\n\n");
    }
    let ids = ["a", "b", "c", "d"];
    let mut ann = String::new();
    for k in 0..N {
        // 7,400 mentions, 2,500 notes, 100 quotes (each quote is a page too).
        let e = ids[(k / 4) % ids.len()];
        if k % 100 == 99 {
            write!(
                ann,
                "[[quote]]\nspeaker = \"{e}\"\nid = \"q{k}\"\nexact = \"từ{k:05}\"\n\n"
            )
            .unwrap();
        } else if k % 4 == 2 {
            write!(ann, "[[note]]\nexact = \"từ{k:05}\"\nbody = \"ghi chú *{k}*\"\n\n").unwrap();
        } else {
            write!(ann, "[[mention]]\nentity = \"{e}\"\nexact = \"từ{k:05}\"\n\n").unwrap();
        }
    }
    let mentions = |e: usize| {
        (0..N)
            .filter(|k| k % 100 != 99 && k % 4 != 2 && (k / 4) % ids.len() == e)
            .count()
    };
    let dir = site(
        &[
            ("content/articles/distinct.md", &article("Khác nhau", &body)),
            ("content/articles/distinct.annotations.toml", &ann),
        ],
        &ids,
    );
    let built = expect_built(dir.path(), "10,000 annotations of distinct words", PATHOLOGICAL);
    let page = built.page("articles/distinct/index.html");
    let body_html = article_body(&page);
    for (i, e) in ids.iter().enumerate() {
        assert_ids(body_html, &format!("m-{e}-"), mentions(i));
    }
    assert_eq!((0..ids.len()).map(mentions).sum::<usize>(), 7_400);
    assert_ids(body_html, "n-", N / 4);
    assert_eq!(body_html.matches("class=\"sidenote\"").count(), N / 4);
    assert_eq!(body_html.matches("<mark class=\"quote\" id=\"q-q").count(), N / 100);
    check_html(body_html).unwrap();
}

// ---------------------------------------------------------------------------
// Deep nesting and long lines

/// Builds one article (with a mention of `WORD` at its deepest point) in a
/// default-stack thread, then checks the body: tag balance, html5ever parse,
/// visible text equal to the rendered text, the mention present.
/// `tags`: how many times each start tag must occur in the body (the
/// nesting really happened).
fn deep(what: &str, body: String, tags: &[(&str, usize)]) {
    let annotations = "[[mention]]\nentity = \"sau\"\nexact = \"Đáy sâu\"\n";
    let md = article(what, &body);
    let dir = site(
        &[
            ("content/articles/deep.md", &md),
            ("content/articles/deep.annotations.toml", annotations),
        ],
        &["sau"],
    );
    let built = expect_built(dir.path(), what, PATHOLOGICAL);
    let t = Instant::now();
    let page = built.page("articles/deep/index.html");
    let body_html = article_body(&page).to_string();
    if let Err(e) = check_html(&body_html) {
        panic!("{what}: {e}");
    }
    assert_ids(&body_html, "m-sau-", 1);
    for (tag, n) in tags {
        assert_eq!(body_html.matches(tag).count(), *n, "{what}: {tag}");
    }
    let want = with_big_stack(move || collapse(&Document::parse(&glossa::files::clean_text(&body)).text.text));
    let (text, errors) = parse_fragment(body_html);
    assert!(
        errors.is_empty(),
        "{what}: html5ever: {:?}",
        &errors[..errors.len().min(5)]
    );
    assert!(text == want, "{what}: visible text differs from the rendered text");
    eprintln!("{what}: checked in {:.2?}", t.elapsed());
}

#[test]
fn blockquotes_5000_deep() {
    let body = format!("{} Đáy sâu của trích dẫn.\n", ">".repeat(5000));
    deep("5,000 blockquotes", body, &[("<blockquote>", 5000)]);
}

#[test]
fn lists_2000_deep() {
    let mut body = String::new();
    for d in 0..2000 {
        writeln!(body, "{}- mục {d}", "  ".repeat(d)).unwrap();
    }
    writeln!(body, "{}- Đáy sâu của danh sách.", "  ".repeat(2000)).unwrap();
    deep("2,000 nested lists", body, &[("<ul>", 2001), ("<li>", 2001)]);
}

#[test]
fn ten_thousand_emphasis_openers() {
    let body = format!("{}Đáy sâu và không bao giờ đóng.\n", "*".repeat(10_000));
    deep("10,000 `*` openers", body, &[("<em>", 0), ("<strong>", 0)]);
    let body = format!("{}Đáy sâu.\n", "*a ".repeat(10_000));
    deep("10,000 `*a ` openers", body, &[("<em>", 0)]);
    let body = format!("{}Đáy sâu{}\n", "*a ".repeat(5_000), " b*".repeat(5_000));
    deep("5,000 nested emphasis", body, &[("<em>", 5000)]);
}

#[test]
fn brackets_and_links_10000_deep() {
    deep(
        "10,000 `[` openers",
        format!("{}Đáy sâu.\n", "[".repeat(10_000)),
        &[("<a ", 1)],
    );
    // Links do not nest: the innermost wins, the mention inside it is a span.
    let body = format!("{}Đáy sâu{}\n", "[".repeat(5_000), "](https://e.org/)".repeat(5_000));
    deep(
        "5,000 nested links",
        body,
        &[("<a href=\"https://e.org/\">", 1), ("<span class=\"mention\"", 1)],
    );
}

#[test]
fn single_line_of_1_mb() {
    let mut line = String::new();
    let mut i = 0;
    while line.len() < 1 << 20 {
        write!(line, "chữ{i} **đậm** *nghiêng* `mã` ").unwrap();
        i += 1;
    }
    line.push_str("Đáy sâu.\n");
    deep(
        "a 1 MB line",
        line,
        &[("<p>", 1), ("<strong>", i), ("<em>", i), ("<code>", i)],
    );
}

/// A 1 MB paragraph where a word with an `all = true` mention occurs
/// thousands of times: every mention is drawn, and the entity page shows each
/// in context. (Was O(mentions × paragraph): each mention's context counted
/// the characters from the paragraph start; 192 s in debug.)
#[test]
fn single_line_of_1_mb_with_thousands_of_mentions() {
    let mut line = String::new();
    let mut i = 0;
    while line.len() < 1 << 20 {
        if i % 10 == 0 {
            line.push_str("Hà Nội ");
        }
        write!(line, "chữ{i} ").unwrap();
        i += 1;
    }
    line.push('\n');
    let count = line.matches("Hà Nội").count();
    let dir = site(
        &[
            ("content/articles/line.md", &article("Một dòng", &line)),
            (
                "content/articles/line.annotations.toml",
                "[[mention]]\nentity = \"ha-noi\"\nexact = \"Hà Nội\"\nall = true\n",
            ),
        ],
        &["ha-noi"],
    );
    let built = expect_built(dir.path(), &format!("a 1 MB line with {count} mentions"), LINEAR);
    let page = built.page("articles/line/index.html");
    assert_ids(article_body(&page), "m-ha-noi-", count);
    let entity = built.page("entities/ha-noi/index.html");
    assert_eq!(entity.matches("#m-ha-noi-").count(), count);
}

// ---------------------------------------------------------------------------
// Annotation files full of mistakes

fn load_diags(root: &Path) -> (glossa::Loaded, Duration) {
    let root: PathBuf = root.to_path_buf();
    std::thread::spawn(move || {
        let t = Instant::now();
        let l = glossa::load(&root, &BuildOptions::default());
        (l, t.elapsed())
    })
    .join()
    .expect("glossa::load panicked")
}

fn error_site(ann: &str) -> tempfile::TempDir {
    site(
        &[
            ("content/articles/a.md", &article("A", "Việt Nam và Bắc Kinh.\n")),
            ("content/articles/a.annotations.toml", ann),
        ],
        &["viet-nam"],
    )
}

/// Every diagnostic is in the annotation file, at a distinct line among
/// `lines`, and the report renders quickly.
fn assert_reported(what: &str, loaded: &glossa::Loaded, took: Duration, want: usize, message: &str) {
    let file = Path::new("content/articles/a.annotations.toml");
    let text = loaded.sources.get(file).expect("the annotation file among the sources");
    let t = Instant::now();
    let report = loaded.diags.render(&loaded.sources, false);
    let render_took = t.elapsed();
    eprintln!(
        "{what}: {} diagnostics, loaded in {took:.2?}, rendered ({} KB) in {render_took:.2?}",
        loaded.diags.iter().count(),
        report.len() / 1024
    );
    assert!(loaded.diags.has_errors());
    // (Diagnostic::line_col counts lines from the start of the file: fine
    // once, quadratic over 20,000 diagnostics, so use a table here.)
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let matching: Vec<_> = loaded.diags.iter().filter(|d| d.message.contains(message)).collect();
    let mut lines: Vec<usize> = matching
        .iter()
        .map(|d| {
            assert_eq!(d.file, file, "{d}");
            let span = d.span.clone().expect("a span");
            assert!(span.start <= span.end && span.end <= text.len());
            line_starts.partition_point(|&s| s <= span.start)
        })
        .collect();
    lines.sort_unstable();
    lines.dedup();
    assert_eq!(
        lines.len(),
        want,
        "{what}: distinct lines with «{message}»\n{}",
        &report[..report.len().min(2000)]
    );
    assert!(
        report.ends_with(&format!("{}\n", loaded.diags.summary())),
        "the report ends with its summary"
    );
    assert!(
        took + render_took < PATHOLOGICAL,
        "{what}: {took:.2?} + {render_took:.2?}"
    );
}

#[test]
fn twenty_thousand_unknown_keys() {
    const N: usize = 20_000;
    let mut ann = String::new();
    for k in 0..N {
        // a typo, and so no `exact`
        write!(ann, "[[mention]]\nentity = \"viet-nam\"\nexat = \"Việt Nam {k}\"\n\n").unwrap();
    }
    let dir = error_site(&ann);
    let (loaded, took) = load_diags(dir.path());
    assert_reported("20,000 unknown keys", &loaded, took, N, "unknown key `exat`");
    assert_reported("20,000 unknown keys", &loaded, took, N, "has no `exact`");
    let hints = loaded
        .diags
        .iter()
        .filter(|d| d.hint.as_deref().is_some_and(|h| h.contains("did you mean `exact`")))
        .count();
    assert_eq!(hints, N);
}

#[test]
fn twenty_thousand_syntax_errors() {
    const N: usize = 20_000;
    let mut ann = String::new();
    for k in 0..N {
        write!(ann, "[[mention]]\nentity = \"viet-nam\"\nexact = \"Việt Nam {k}\n\n").unwrap();
    }
    let dir = error_site(&ann);
    let (loaded, took) = load_diags(dir.path());
    assert_reported("20,000 syntax errors", &loaded, took, N, "TOML syntax error");
}

#[test]
fn twenty_thousand_annotations_not_found() {
    const N: usize = 20_000;
    let mut ann = String::new();
    for k in 0..N {
        write!(ann, "[[mention]]\nentity = \"viet-nam\"\nexact = \"Việt Nám {k}\"\n\n").unwrap();
    }
    let dir = error_site(&ann);
    let (loaded, took) = load_diags(dir.path());
    assert_reported("20,000 annotations not found", &loaded, took, N, "not found");
}

/// The same 20,000 problems as JSON (`glossa check --format json`): every
/// one with its line, quickly.
#[test]
fn twenty_thousand_errors_as_json() {
    const N: usize = 20_000;
    let mut ann = String::new();
    for k in 0..N {
        write!(ann, "[[mention]]\nentity = \"viet-nam\"\nexact = \"Việt Nám {k}\"\n\n").unwrap();
    }
    let dir = error_site(&ann);
    let (loaded, took) = load_diags(dir.path());
    let (tx, rx) = std::sync::mpsc::channel();
    let t = Instant::now();
    std::thread::spawn(move || {
        let _ = tx.send(loaded.diags.to_json(&loaded.sources));
    });
    let limit = overridable(LINEAR);
    let json = rx
        .recv_timeout(limit)
        .unwrap_or_else(|_| panic!("to_json still running after {limit:.0?}"));
    eprintln!(
        "20,000 errors as JSON: loaded in {took:.2?}, to_json in {:.2?}",
        t.elapsed()
    );
    let items = json["diagnostics"].as_array().unwrap();
    assert_eq!(items.len(), N);
    for (k, d) in items.iter().enumerate() {
        assert_eq!(d["line"], 4 * k + 3, "{d}");
    }
}
