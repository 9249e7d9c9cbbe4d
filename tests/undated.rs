//! Undated articles and imported corpora (see `docs/content.md#undated-articles`
//! and `docs/interop.md`):
//!
//! - a folder of brat `.txt` + `.ann` pairs and nothing else builds: every
//!   `T` span is a mention linking to its entity's page, and `check` says
//!   nothing;
//! - undated Markdown articles come after the dated ones, by title in the
//!   site language's alphabetical order, on the home page and tag pages;
//!   they show no date line (and no empty element where it would be), have
//!   no `datePublished`, and are not in the feed; a site with nothing dated
//!   has no feed and links to none;
//! - `content/brat.toml`'s `[defaults]` apply to every brat article, key by
//!   key under its own `SLUG.toml`; unknown keys and bad dates are errors.

mod common;

use std::path::Path;

use common::{Built, build, sel, write};
use glossa::BuildOptions;
use scraper::{ElementRef, Html};

/// Code-point offsets of `needle` in `txt`.
fn cp(txt: &str, needle: &str) -> (usize, usize) {
    let at = txt.find(needle).unwrap();
    let start = txt[..at].chars().count();
    (start, start + needle.chars().count())
}

/// A brat document: its slug, its text, its spans as (text, type).
type Doc = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

/// Three brat documents (Vietnamese, so code points and bytes differ).
const CORPUS: [Doc; 3] = [
    (
        "tin-mot",
        "Bão số ba\nBão đổ bộ vào Đà Nẵng sáng nay. Ông Trần Văn Bình nói người dân đã sơ tán.\n",
        &[("Đà Nẵng", "Location"), ("Trần Văn Bình", "Person")],
    ),
    (
        "tin-hai",
        "Cảng mở lại\nCảng Đà Nẵng mở lại sau bão.\n",
        &[("Đà Nẵng", "Location")],
    ),
    (
        "tin-ba",
        "Họp báo\nBộ Y tế và ông Trần Văn Bình họp báo ở Hà Nội.\n",
        &[
            ("Bộ Y tế", "Organization"),
            ("Trần Văn Bình", "Person"),
            ("Hà Nội", "GPE"),
        ],
    ),
];

fn write_corpus(root: &Path) {
    for (slug, txt, spans) in CORPUS {
        write(root, &format!("content/articles/{slug}.txt"), txt);
        let ann: String = spans
            .iter()
            .enumerate()
            .map(|(i, (text, ty))| {
                let (s, e) = cp(txt, text);
                format!("T{}\t{ty} {s} {e}\t{text}\n", i + 1)
            })
            .collect();
        write(root, &format!("content/articles/{slug}.ann"), &ann);
    }
}

fn check(root: &Path) -> (glossa::CheckReport, String) {
    let report = glossa::check(root, &BuildOptions::default(), false);
    let text = report.diags.render(&report.sources, false);
    (report, text)
}

fn texts(page: &Html, selector: &str) -> Vec<String> {
    page.select(&sel(selector))
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

#[test]
fn a_folder_of_brat_pairs_and_nothing_else_builds() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_corpus(root);
    let (report, text) = check(root);
    assert!(report.diags.is_empty(), "check says nothing: {text}");

    let b = build(root);
    for (slug, _, spans) in CORPUS {
        let rel = format!("articles/{slug}/index.html");
        let page = b.html(&rel);
        // the explicit mentions (automatic ones have the class `auto`)
        let mentions: Vec<(String, String)> = page
            .select(&sel(".article-body a.mention:not(.auto)"))
            .map(|a| (a.text().collect(), a.value().attr("href").unwrap().to_string()))
            .collect();
        assert_eq!(mentions.len(), spans.len(), "{rel}: {mentions:?}");
        for ((text, _), (got, href)) in spans.iter().zip(&mentions) {
            assert_eq!(got, text, "{rel}");
            assert!(b.resolves(href, &rel), "{rel}: {href}");
            let entity = b.html(&b.target_of(href, &rel).unwrap().0);
            assert_eq!(texts(&entity, "h1").first().map(String::as_str), Some(*text), "{href}");
            // the entity page links back to this mention
            assert!(
                entity.select(&sel(".mention-backlink")).any(|l| l
                    .value()
                    .attr("href")
                    .unwrap()
                    .contains(&format!("/articles/{slug}/#m-"))),
                "{href} lists the mention in {slug}"
            );
        }
        // undated: no date anywhere on the page
        assert_eq!(page.select(&sel("time")).count(), 0, "{rel}");
        assert_eq!(page.select(&sel(".article-meta")).count(), 0, "{rel}");
    }
    // nothing is dated: no feed, and no page links to one
    assert!(!b.exists("atom.xml"));
    for f in b.html_files() {
        assert!(!b.text(&f).contains("atom.xml"), "{f} links to a feed");
    }
}

/// A site in Vietnamese: two dated articles, four undated ones whose titles
/// sort differently by bytes, by the Vietnamese alphabet and by their
/// files' names, one undated
/// with authors, one mentioning an entity and holding a quote; all tagged.
fn mixed_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "glossa.toml", "title = \"Hỗn hợp\"\nlanguage = \"vi\"\n");
    write(
        r,
        "content/entities/lan.md",
        "+++\nname = \"Chị Lan\"\nkind = \"person\"\n+++\nNgười bán cà phê.\n",
    );
    let article = |slug: &str, front: &str, body: &str| {
        write(
            r,
            &format!("content/articles/{slug}.md"),
            &format!("+++\n{front}tags = [\"Chung\"]\n+++\n{body}\n"),
        );
    };
    article("cu", "title = \"Bài cũ\"\ndate = \"2026-01-02\"\n", "Một bài có ngày.");
    article(
        "moi",
        "title = \"Bài mới\"\ndate = \"2026-03-01T08:00:00+07:00\"\n",
        "Một bài mới hơn.",
    );
    article("bai-1", "title = \"Đà Nẵng\"\n", "Thành phố biển.");
    article(
        "bai-2",
        "title = \"Cà phê\"\nauthors = [\"Minh\"]\n",
        "Chị Lan nói: “Cà phê sữa đá là nhất.”",
    );
    article("bai-3", "title = \"Ăn sáng\"\n", "Phở hay bánh cuốn.");
    article("bai-4", "title = \"Bánh mì\"\n", "Bánh mì Hội An.");
    write(
        r,
        "content/articles/bai-2.annotations.toml",
        "[[quote]]\nspeaker = \"lan\"\nexact = \"Cà phê sữa đá là nhất.\"\n",
    );
    dir
}

const ORDER: [&str; 6] = ["Bài mới", "Bài cũ", "Ăn sáng", "Bánh mì", "Cà phê", "Đà Nẵng"];

/// No element that would hold a date line is there without one.
fn no_empty_meta(page: &Html, rel: &str) {
    for class in [".article-meta", ".article-item-meta", ".mention-group-meta"] {
        for p in page.select(&sel(class)) {
            let text = p.text().collect::<String>();
            assert!(!text.trim().is_empty(), "{rel}: an empty {class}");
            assert!(
                !text.trim().starts_with('·'),
                "{rel}: {class} starts with a separator: {text:?}"
            );
        }
    }
}

fn item_dates(page: &Html) -> Vec<(String, Option<String>)> {
    page.select(&sel(".article-list .article-item"))
        .map(|item: ElementRef| {
            let title = item.select(&sel(".article-item-title")).next().unwrap();
            let time = item.select(&sel("time")).next();
            (
                title.text().collect::<String>().trim().to_string(),
                time.map(|t| t.value().attr("datetime").unwrap().to_string()),
            )
        })
        .collect()
}

#[test]
fn undated_articles_come_last_by_title_without_a_date_line() {
    let s = mixed_site();
    let (report, text) = check(s.path());
    assert!(report.diags.is_empty(), "{text}");
    let b: Built = build(s.path());

    // the home page and the tag page: dated newest first, then by title
    // in Vietnamese order (Ă after A, Đ after D; byte order would differ)
    for rel in ["index.html", "tags/chung/index.html"] {
        let page = b.html(rel);
        let items = item_dates(&page);
        let titles: Vec<&str> = items.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(titles, ORDER, "{rel}");
        let dates: Vec<Option<&str>> = items.iter().map(|(_, d)| d.as_deref()).collect();
        assert_eq!(
            dates,
            [Some("2026-03-01"), Some("2026-01-02"), None, None, None, None],
            "{rel}"
        );
        no_empty_meta(&page, rel);
    }

    // an undated article's own page: no date line, no published time,
    // no datePublished; its authors without a separator before them
    let rel = "articles/bai-2/index.html";
    let page = b.html(rel);
    assert_eq!(page.select(&sel("time")).count(), 0);
    assert_eq!(page.select(&sel("meta[property='article:published_time']")).count(), 0);
    assert_eq!(texts(&page, ".article-meta"), ["Minh"]);
    no_empty_meta(&page, rel);
    let ld = b.text(rel);
    assert!(!ld.contains("datePublished"), "{rel}");
    let page = b.html("articles/bai-3/index.html");
    assert_eq!(
        page.select(&sel(".article-meta")).count(),
        0,
        "no authors, no date: no line"
    );
    // a dated one keeps all of it
    let dated = b.html("articles/moi/index.html");
    assert_eq!(
        dated
            .select(&sel(".article-meta time"))
            .next()
            .and_then(|t| t.value().attr("datetime")),
        Some("2026-03-01")
    );
    assert!(
        b.text("articles/moi/index.html")
            .contains("\"datePublished\":\"2026-03-01T08:00:00+07:00\"")
    );

    // the entity page's mention group and the quote's card
    let rel = "entities/lan/index.html";
    let page = b.html(rel);
    assert!(page.select(&sel(".mention-group-meta")).count() > 0);
    assert_eq!(page.select(&sel(".mention-group-meta time")).count(), 0);
    no_empty_meta(&page, rel);
    let quote = b
        .html_files()
        .into_iter()
        .find(|f| f.starts_with("quotes/lan-"))
        .unwrap();
    let page = b.html(&quote);
    assert_eq!(page.select(&sel(".quote-card time")).count(), 0, "{quote}");
    assert!(!b.text(&quote).contains("datePublished"), "{quote}");

    // the feed: the dated articles only, newest first, updated at the newest
    let xml = b.text("atom.xml");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let feed = doc.root_element();
    let child = |n: roxmltree::Node<'_, '_>, name: &str| -> String {
        n.children()
            .find(|c| c.has_tag_name(name))
            .and_then(|c| c.text())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(child(feed, "updated"), "2026-03-01T08:00:00+07:00");
    let entries: Vec<(String, String)> = feed
        .children()
        .filter(|c| c.has_tag_name("entry"))
        .map(|e| (child(e, "title"), child(e, "updated")))
        .collect();
    assert_eq!(
        entries,
        [
            ("Bài mới".to_string(), "2026-03-01T08:00:00+07:00".to_string()),
            ("Bài cũ".to_string(), "2026-01-02T00:00:00Z".to_string())
        ]
    );
    // every page links to it
    assert!(b.text("index.html").contains("type=\"application/atom+xml\""));
    // the sitemap has every article and no date
    let sitemap = b.text("sitemap.xml");
    assert!(sitemap.contains("/articles/bai-3/") && !sitemap.contains("lastmod"));
}

#[test]
fn brat_defaults_apply_under_each_slug_toml() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write_corpus(r);
    write(
        r,
        "content/brat.toml",
        "[types]\nGPE = \"place\"\n\n[defaults]\ndate = \"2026-07-01\"\ntags = [\"Kho tin\"]\nsource = \"Báo Mẫu\"\nlang = \"vi\"\n",
    );
    // tin-hai: its own date and tags; tin-ba: only a title
    write(
        r,
        "content/articles/tin-hai.toml",
        "date = 2026-08-15\ntags = [\"Cảng\"]\n",
    );
    write(r, "content/articles/tin-ba.toml", "title = \"Họp báo ở Hà Nội\"\n");
    let (report, text) = check(r);
    assert!(report.diags.is_empty(), "{text}");
    let loaded = glossa::load(r, &BuildOptions::default());
    type Front<'a> = (&'a str, &'a str, Option<&'a str>, Vec<&'a str>, Option<&'a str>);
    let got: Vec<Front> = loaded
        .site
        .articles
        .iter()
        .map(|a| {
            (
                a.src.slug.as_str(),
                a.src.title.as_str(),
                a.src.date.as_deref(),
                a.src.tags.iter().map(String::as_str).collect(),
                a.src.source.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "tin-hai",
                "Cảng mở lại",
                Some("2026-08-15"),
                vec!["Cảng"],
                Some("Báo Mẫu")
            ),
            (
                "tin-ba",
                "Họp báo ở Hà Nội",
                Some("2026-07-01"),
                vec!["Kho tin"],
                Some("Báo Mẫu")
            ),
            (
                "tin-mot",
                "Bão số ba",
                Some("2026-07-01"),
                vec!["Kho tin"],
                Some("Báo Mẫu")
            ),
        ]
    );
    let b = build(r);
    let page = b.html("articles/tin-mot/index.html");
    assert_eq!(texts(&page, ".article-meta time"), ["01/07/2026"]);
    assert_eq!(texts(&page, ".article-header .tag-list .tag"), ["Kho tin"]);
    let ha_noi = loaded.site.entities.iter().find(|e| e.src.id == "ha-noi").unwrap();
    assert_eq!(
        ha_noi.src.kind,
        glossa::content::EntityKind::Place,
        "[types] still applies"
    );

    // an unknown key, in brat.toml and in SLUG.toml: a "did you mean"
    write(r, "content/brat.toml", "[defaults]\ntag = [\"x\"]\n");
    write(r, "content/articles/tin-ba.toml", "titel = \"x\"\n");
    let (report, text) = check(r);
    assert!(report.diags.has_errors());
    assert!(text.contains("unknown key `tag` in `defaults`"), "{text}");
    assert!(text.contains("content/brat.toml:2:1"), "{text}");
    assert!(text.contains("did you mean `tags`?"), "{text}");
    assert!(text.contains("unknown key `titel`"), "{text}");
    assert!(text.contains("content/articles/tin-ba.toml:1:1"), "{text}");
    assert!(text.contains("did you mean `title`?"), "{text}");

    // a title is per document, not a default
    write(r, "content/articles/tin-ba.toml", "");
    write(r, "content/brat.toml", "[defaults]\ntitle = \"Tin\"\n");
    let (_, text) = check(r);
    assert!(text.contains("unknown key `title` in `defaults`"), "{text}");

    // a bad date in the defaults: an error at it
    write(r, "content/brat.toml", "[defaults]\ndate = \"1/7/2026\"\n");
    let (report, text) = check(r);
    assert!(report.diags.has_errors());
    assert!(text.contains("`1/7/2026` is not a date"), "{text}");
    assert!(text.contains("content/brat.toml:2:9"), "{text}");
}
