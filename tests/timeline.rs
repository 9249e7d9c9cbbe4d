//! Time in the archive (issue #14), read off the built pages of a small
//! site with articles over several months and years, one undated:
//!
//! - an entity's timeline: each bar's count equals the mentions listed under
//!   its period's heading, every bar links to an id on the page, undated
//!   mentions are counted nowhere; bars per month, or per year when the
//!   mentions span more than three years; one article gives a date line;
//! - its quotes over time: said by it and about it, under period headings;
//! - the date archive: the index's counts, every year's and month's pages
//!   (followed through their pager) list exactly the articles of their
//!   period, newest first, undated ones nowhere; in the sitemap and linked
//!   from the footer and article date lines;
//! - in the news: the most mentioned entities of the 30 days up to the
//!   newest article;
//! - month names in Vietnamese and English.

mod common;

use std::path::Path;

use common::{Built, build, sel, write};
use scraper::{ElementRef, Html};

/// (slug, date, body): the test site's articles.
const ARTICLES: &[(&str, Option<&str>, &str)] = &[
    ("n1", Some("2026-11-20"), "Acme grew. Acme hired. Bob Tran smiled."),
    ("n2", Some("2026-11-12"), "Acme again."),
    ("n3", Some("2026-11-03"), "Acme and Zed met."),
    (
        "s1",
        Some("2026-09-15"),
        "Bob Tran said: “Acme will grow.” Nothing more.",
    ),
    ("j1", Some("2026-06-01"), "Acme in June. Oldco too."),
    ("o1", Some("2021-01-05"), "Oldco was founded."),
    ("u1", None, "Acme Acme Acme, undated."),
];

fn site(language: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "glossa.toml",
        &format!("title = \"T\"\nlanguage = \"{language}\"\npaginate_by = 2\n"),
    );
    for (id, name, kind) in [
        ("acme", "Acme", "organization"),
        ("bob", "Bob Tran", "person"),
        ("zed", "Zed", "organization"),
        ("oldco", "Oldco", "organization"),
    ] {
        write(
            root,
            &format!("content/entities/{id}.md"),
            &format!("+++\nname = \"{name}\"\nkind = \"{kind}\"\n+++\n{name}.\n"),
        );
    }
    for (slug, date, body) in ARTICLES {
        let date = date.map(|d| format!("date = \"{d}\"\n")).unwrap_or_default();
        write(
            root,
            &format!("content/articles/{slug}.md"),
            &format!("+++\ntitle = \"Article {slug}\"\n{date}+++\n{body}\n"),
        );
    }
    write(
        root,
        "content/articles/s1.annotations.toml",
        "[[quote]]\nid = \"bob-acme\"\nspeaker = \"bob\"\nexact = \"Acme will grow.\"\n\n\
         [[mention]]\nentity = \"acme\"\nexact = \"Acme\"\n",
    );
    dir
}

fn text(e: ElementRef) -> String {
    e.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The period sections of an entity page's mention list: (heading id,
/// heading's count, mentions listed, the dates of the articles listed).
fn mention_periods(page: &Html) -> Vec<(String, usize, usize, Vec<String>)> {
    page.select(&sel(".entity-mentions section.mention-period"))
        .map(|s| {
            let h = s.select(&sel("h3.period-title")).next().unwrap();
            let count = h.select(&sel("data")).next().unwrap().value().attr("value").unwrap();
            let dates = s
                .select(&sel(".mention-group-meta time"))
                .map(|t| t.value().attr("datetime").unwrap().to_string())
                .collect();
            (
                h.value().attr("id").unwrap().to_string(),
                count.parse().unwrap(),
                s.select(&sel(".mention-list li")).count(),
                dates,
            )
        })
        .collect()
}

/// The bars of an entity page's chart: (href, count from its title).
fn bars(page: &Html) -> Vec<(String, usize)> {
    page.select(&sel("svg.timeline-chart a.bar"))
        .map(|a| {
            let title = text(a.select(&sel("title")).next().unwrap());
            let n = title.rsplit(": ").next().unwrap().split(' ').next().unwrap();
            (a.value().attr("href").unwrap().to_string(), n.parse().unwrap())
        })
        .collect()
}

/// The pages of a paginated list from its first, through the pager.
fn pages(b: &Built, first: &str) -> Vec<String> {
    let mut out = vec![first.to_string()];
    while let Some(a) = b.html(out.last().unwrap()).select(&sel("nav.pager a[rel=next]")).next() {
        let next = b
            .target_of(a.value().attr("href").unwrap(), out.last().unwrap())
            .unwrap()
            .0;
        out.push(next);
    }
    out
}

#[test]
fn a_timeline_counts_what_its_periods_list_and_every_bar_leads_there() {
    let dir = site("vi");
    let b = build(dir.path());
    // six articles mention Acme, two a page (`paginate_by = 2`): three pages, newest first
    let acme = pages(&b, "entities/acme/index.html");
    assert_eq!(
        acme,
        [
            "entities/acme/index.html",
            "entities/acme/page/2/index.html",
            "entities/acme/page/3/index.html"
        ]
    );
    let sections: Vec<(String, Vec<_>)> = acme.iter().map(|p| (p.clone(), mention_periods(&b.html(p)))).collect();
    // the chart on the first page; each bar leads to the page where its period starts
    // (Nov: 4 mentions in n1, n2 on page 1 and n3 on page 2; Sep: s1, page 2; Jun: j1, page 3)
    let want = [("2026-06", 1, 2), ("2026-09", 1, 1), ("2026-11", 4, 0)];
    let rel = &acme[0];
    let bars = bars(&b.html(rel));
    assert_eq!(bars.len(), want.len());
    for ((href, count), (month, n, on)) in bars.iter().zip(want) {
        assert_eq!(*count, n, "{href}");
        assert_eq!(
            b.target_of(href, rel),
            Some((acme[on].clone(), Some(format!("t-{month}")))),
            "{href}"
        );
        assert!(b.resolves(href, rel), "{href}");
        assert_eq!(
            href.starts_with('#'),
            on == 0,
            "{href} (a link within the page when it can be)"
        );
    }
    // a period's heading on each page it is listed on, with the whole period's count; its
    // mentions listed across those pages add up to it, each under its month
    for (month, n, _) in want {
        let id = format!("t-{month}");
        let mut listed = 0;
        for (rel, periods) in &sections {
            for (pid, heading, on_page, dates) in periods.iter().filter(|p| p.0 == id) {
                assert_eq!(*heading, n, "{rel}: {pid}");
                assert!(dates.iter().all(|d| d.starts_with(month)), "{rel}: {dates:?}");
                listed += on_page;
            }
        }
        assert_eq!(listed, n, "{id}");
    }
    // the undated article's three mentions: listed, under no period, on the last page
    let all: usize = acme
        .iter()
        .map(|p| b.html(p).select(&sel(".entity-mentions .mention-list li")).count())
        .sum();
    assert_eq!(all, 6 + 3);
    let last = b.html(&acme[2]);
    assert_eq!(
        last.select(&sel(".entity-mentions > section.mention-group .mention-list li"))
            .count(),
        3
    );
    // the timeline and related entities on the first page only; the one quote about Acme
    // (September, in s1) on the page with September's mentions, the second
    for (k, rel) in acme.iter().enumerate() {
        let page = b.html(rel);
        for part in [".entity-timeline", ".entity-related"] {
            assert_eq!(page.select(&sel(part)).next().is_some(), k == 0, "{rel}: {part}");
        }
        assert_eq!(page.select(&sel(".entity-quotes")).next().is_some(), k == 1, "{rel}");
    }
    // every page is in the sitemap
    let sitemap = b.text("sitemap.xml");
    for rel in &acme {
        assert!(
            sitemap.contains(&format!("/{}</loc>", rel.trim_end_matches("index.html"))),
            "{rel}"
        );
    }
    // the text alternative: the same counts as a table
    let page = b.html(&acme[0]);
    let rows: Vec<String> = page
        .select(&sel("figure.timeline table tbody tr"))
        .map(|tr| tr.child_elements().map(text).collect::<Vec<_>>().join(" | "))
        .collect();
    assert_eq!(
        rows,
        ["tháng 6 năm 2026 | 1", "tháng 9 năm 2026 | 1", "tháng 11 năm 2026 | 4"]
    );
    let svg = page.select(&sel("svg.timeline-chart")).next().unwrap();
    let label = svg.value().attr("aria-labelledby").unwrap();
    assert!(page.select(&sel(&format!("#{label}"))).next().is_some());
}

#[test]
fn long_spans_go_by_year_and_one_article_gives_a_date_line() {
    let dir = site("vi");
    let b = build(dir.path());
    let old = b.html("entities/oldco/index.html");
    assert_eq!(bars(&old), vec![("#t-2021".into(), 1), ("#t-2026".into(), 1)]);
    let headings: Vec<String> = old.select(&sel("h3.period-title")).map(text).collect();
    assert_eq!(headings[0], "Năm 2026 · 1 lần nhắc đến");
    let zed = b.html("entities/zed/index.html");
    assert!(zed.select(&sel("svg.timeline-chart")).next().is_none());
    let line = zed.select(&sel(".timeline-single a")).next().unwrap();
    assert_eq!(text(line), "Nhắc đến ngày 03/11/2026");
    assert!(b.resolves(line.value().attr("href").unwrap(), "entities/zed/index.html"));
}

#[test]
fn quotes_over_time_said_by_and_about() {
    let dir = site("en");
    let b = build(dir.path());
    let quote = |page: &str, class: &str| {
        let html = b.html(page);
        let p = html.select(&sel(".entity-quotes section.quote-period")).next().unwrap();
        let h = p.select(&sel("h3")).next().map(text);
        // the role, then the words
        let li = p.select(&sel(&format!("li.{class}"))).next().map(|li| {
            let part = |s: &str| li.select(&sel(s)).next().map(text).unwrap_or_default();
            format!("{} {}", part(".quote-role"), part("blockquote.quote-entry"))
        });
        (h, li)
    };
    let (h, said) = quote("entities/bob/index.html", "quote-said");
    assert_eq!(h.as_deref(), Some("September 2026"));
    assert!(said.unwrap().starts_with("Said Acme will grow."));
    // (on the page of Acme's mentions from September: its second)
    let (h, about) = quote("entities/acme/page/2/index.html", "quote-about");
    assert_eq!(h.as_deref(), Some("September 2026"));
    assert!(about.unwrap().starts_with("Mentioned Acme will grow."));
    // said by someone else: it names the speaker; said by the page's own
    // entity: it does not repeat the name
    for (page, speaker) in [
        ("entities/acme/page/2/index.html", Some("Bob Tran")),
        ("entities/bob/index.html", None),
    ] {
        let html = b.html(page);
        let names: Vec<String> = html.select(&sel(".entity-quotes .quote-speaker")).map(text).collect();
        assert_eq!(names.first().map(String::as_str), speaker, "{page}");
        // the passage, the quote's page: every link resolves
        let links: Vec<&str> = html
            .select(&sel(".entity-quotes li a"))
            .map(|a| a.value().attr("href").unwrap())
            .collect();
        assert!(
            links.iter().any(|h| h.contains("#q-bob-acme")) && links.iter().any(|h| h.contains("quotes/bob-acme/"))
        );
        for href in links {
            assert!(b.resolves(href, page), "{page}: {href}");
        }
    }
    let zed = b.html("entities/zed/index.html");
    assert!(
        zed.select(&sel(".entity-quotes")).next().is_none(),
        "no quote mentions Zed"
    );
}

/// The ids of the quotes an entity page lists, by period heading (empty: undated).
fn quotes_by_period(page: &Html) -> Vec<(String, Vec<String>)> {
    page.select(&sel(".entity-quotes section.quote-period"))
        .map(|p| {
            let heading = p.select(&sel("h3")).next().map(text).unwrap_or_default();
            let ids = p
                .select(&sel("a[rel=bookmark]"))
                .map(|a| {
                    let href = a.value().attr("href").unwrap();
                    href.trim_end_matches('/').rsplit('/').next().unwrap().to_string()
                })
                .collect();
            (heading, ids)
        })
        .collect()
}

#[test]
fn an_entitys_quotes_sit_on_the_page_of_the_mentions_of_their_time() {
    let dir = site("en");
    let root = dir.path();
    // one article a page, and three more quotes of Bob's about Acme: in November (in n3, on
    // the third of November's pages), in June, and undated
    write(
        root,
        "glossa.toml",
        "title = \"T\"\nlanguage = \"en\"\npaginate_by = 1\n",
    );
    write(
        root,
        "content/articles/n3.annotations.toml",
        "[[quote]]\nid = \"bob-nov\"\nspeaker = \"bob\"\nexact = \"Acme and Zed met.\"\n\n\
         [[mention]]\nentity = \"acme\"\nexact = \"Acme\"\n",
    );
    write(
        root,
        "content/articles/j1.annotations.toml",
        "[[quote]]\nid = \"bob-june\"\nspeaker = \"bob\"\nexact = \"Acme in June.\"\n\n\
         [[mention]]\nentity = \"acme\"\nexact = \"Acme\"\n",
    );
    write(
        root,
        "content/articles/u1.annotations.toml",
        "[[quote]]\nid = \"bob-undated\"\nspeaker = \"bob\"\nexact = \"Acme Acme Acme, undated.\"\n\n\
         [[mention]]\nentity = \"acme\"\nexact = \"Acme\"\nall = true\n",
    );
    let b = build(root);
    let on_pages = |first: &str| -> Vec<Vec<(String, Vec<String>)>> {
        pages(&b, first).iter().map(|p| quotes_by_period(&b.html(p))).collect()
    };
    let q = |h: &str, ids: &[&str]| vec![(h.to_string(), ids.iter().map(|s| s.to_string()).collect())];
    // Acme's pages: n1, n2, n3 (November), s1 (September), j1 (June), u1 (undated): each quote
    // on the page where the mentions of its article's period start, the undated one on the last
    assert_eq!(
        on_pages("entities/acme/index.html"),
        [
            q("November 2026", &["bob-nov"]),
            vec![],
            vec![],
            q("September 2026", &["bob-acme"]),
            q("June 2026", &["bob-june"]),
            q("", &["bob-undated"]),
        ]
    );
    // Bob's mentions: n1 (November), s1 (September); his quote of June is older than all of
    // them, and he is mentioned in no undated article: both on his last page, after September's
    let mut last = q("September 2026", &["bob-acme"]);
    last.extend(q("June 2026", &["bob-june"]));
    last.extend(q("", &["bob-undated"]));
    assert_eq!(
        on_pages("entities/bob/index.html"),
        [q("November 2026", &["bob-nov"]), last]
    );
}

/// The article URLs an archive page lists, following its pager to the end.
fn listed(b: &Built, first: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = Some(first.to_string());
    while let Some(rel) = at {
        let page = b.html(&rel);
        out.extend(
            page.select(&sel(".article-list .article-item-title a"))
                .map(|a| a.value().attr("href").unwrap().to_string()),
        );
        at = page
            .select(&sel("nav.pager a[rel=next]"))
            .next()
            .map(|a| b.target_of(a.value().attr("href").unwrap(), &rel).unwrap().0);
    }
    out
}

#[test]
fn archive_pages_list_exactly_their_period_newest_first() {
    let dir = site("vi");
    let b = build(dir.path());
    let expect = |prefix: &str| -> Vec<String> {
        let mut v: Vec<(&str, &str)> = ARTICLES
            .iter()
            .filter_map(|(s, d, _)| Some((d.filter(|d| d.starts_with(prefix))?, *s)))
            .collect();
        v.sort_by(|a, b| b.cmp(a));
        v.iter().map(|(_, s)| format!("/articles/{s}/")).collect()
    };
    for period in ["2026/11", "2026/09", "2026/06", "2021/01", "2026", "2021"] {
        let got = listed(&b, &format!("archive/{period}/index.html"));
        assert_eq!(got, expect(&period.replace('/', "-")), "{period}");
        assert!(!got.contains(&"/articles/u1/".to_string()));
    }
    // paginated: 3 articles in November, 2 a page
    assert!(b.exists("archive/2026/11/page/2/index.html") && b.exists("archive/2026/page/3/index.html"));
    assert!(
        !b.exists("archive/2026/10/index.html"),
        "no page for a month without articles"
    );
    // the index: years with counts, months under each
    let index = b.html("archive/index.html");
    let years: Vec<String> = index.select(&sel(".archive-year-title")).map(text).collect();
    assert_eq!(years, ["Năm 2026 · 5 bài viết", "Năm 2021 · 1 bài viết"]);
    let months: Vec<String> = index.select(&sel(".archive-months li")).map(text).collect();
    assert_eq!(
        months,
        [
            "tháng 11 năm 2026 · 3",
            "tháng 9 năm 2026 · 1",
            "tháng 6 năm 2026 · 1",
            "tháng 1 năm 2021 · 1"
        ]
    );
    for a in index.select(&sel("main a")) {
        assert!(b.resolves(a.value().attr("href").unwrap(), "archive/index.html"));
    }
    // older / newer months
    let sep = b.html("archive/2026/09/index.html");
    let step: Vec<String> = sep.select(&sel("nav.archive-step a")).map(text).collect();
    assert_eq!(step, ["← tháng 6 năm 2026", "tháng 11 năm 2026 →"]);
}

#[test]
fn the_archive_is_linked_mapped_and_named_in_the_site_language() {
    let dir = site("en");
    let b = build(dir.path());
    let sitemap = b.text("sitemap.xml");
    for u in [
        "/archive/",
        "/archive/2026/",
        "/archive/2026/11/",
        "/archive/2026/11/page/2/",
    ] {
        assert!(sitemap.contains(&format!("<loc>{u}</loc>")), "{u}");
    }
    let article = b.html("articles/s1/index.html");
    let date = article.select(&sel(".article-meta a.date-archive")).next().unwrap();
    assert_eq!(date.value().attr("href"), Some("/archive/2026/09/"));
    assert_eq!(text(date), "15 September 2026");
    let undated = b.html("articles/u1/index.html");
    assert!(undated.select(&sel("a.date-archive")).next().is_none());
    let footer = b.html("index.html");
    assert!(footer.select(&sel(".site-footer a[href='/archive/']")).next().is_some());
    let nov = b.html("archive/2026/11/index.html");
    assert_eq!(text(nov.select(&sel("h1")).next().unwrap()), "November 2026");
    assert_eq!(text(nov.select(&sel(".kicker a + a")).next().unwrap()), "2026");
    let vi = site("vi");
    let b = build(vi.path());
    let nov = b.html("archive/2026/11/index.html");
    assert_eq!(text(nov.select(&sel("h1")).next().unwrap()), "tháng 11 năm 2026");
}

#[test]
fn in_the_news_is_relative_to_the_newest_article() {
    let dir = site("en");
    let b = build(dir.path());
    let home = b.html("index.html");
    let news: Vec<String> = home
        .select(&sel(".news-item"))
        .map(|li| {
            // (the chip's own text is the name; its kind is in a span)
            let chip = li.select(&sel(".entity-chip")).next().unwrap();
            let name: String = chip
                .children()
                .filter_map(|c| c.value().as_text())
                .map(|t| t.trim())
                .collect();
            format!("{name} {}", text(li.select(&sel(".news-count")).next().unwrap()))
        })
        .collect();
    // the window: 30 days up to 2026-11-20 (n1, n2, n3); not September
    assert_eq!(news, ["Acme 4 mentions", "Bob Tran 1 mentions", "Zed 1 mentions"]);
    assert_eq!(
        text(home.select(&sel(".news-window")).next().unwrap()),
        "Most mentioned in the articles of the 30 days up to 20 November 2026"
    );
    for svg in home.select(&sel(".news-item svg")) {
        assert_eq!(svg.value().attr("role"), Some("img"));
        assert!(svg.select(&sel("title")).next().is_some());
    }
    assert!(
        b.html("page/2/index.html").select(&sel(".index-news")).next().is_none(),
        "on the first page only"
    );
}

#[test]
fn a_site_with_nothing_dated_has_no_archive() {
    let dir = site("vi");
    for (slug, date, _) in ARTICLES {
        if date.is_some() {
            std::fs::remove_file(dir.path().join(format!("content/articles/{slug}.md"))).unwrap();
        }
    }
    std::fs::remove_file(dir.path().join("content/articles/s1.annotations.toml")).unwrap();
    let b = build(dir.path());
    assert!(!Path::new(&b.path("archive")).exists());
    let home = b.html("index.html");
    assert!(home.select(&sel("a[href='/archive/']")).next().is_none());
    assert!(home.select(&sel(".index-news")).next().is_none());
    let acme = b.html("entities/acme/index.html");
    assert!(acme.select(&sel(".entity-timeline")).next().is_none());
    assert!(acme.select(&sel(".mention-period")).next().is_none());
}

/// An entity's quotes over time as its page and its dependencies find them
/// (through its own mentions) are the ones the pass over the whole site
/// finds: on this site and on the example site.
#[test]
fn an_entitys_quotes_are_the_same_found_alone_or_all_at_once() {
    let dir = site("en");
    for root in [dir.path().to_path_buf(), common::seed_root()] {
        let loaded = glossa::load(&root, &glossa::BuildOptions::default());
        let site = &loaded.site;
        let all = glossa::site::time::quotes_of_all(site);
        let mut about = 0;
        for (e, want) in all.iter().enumerate() {
            let id = &site.entities[e].src.id;
            assert_eq!(&glossa::site::time::quotes_of(site, e), want, "{root:?}: {id}");
            about += want.iter().filter(|(_, said)| !said).count();
        }
        assert!(about > 0, "{root:?}: a quote is about an entity that did not say it");
    }
}
