//! Publishing output: feeds, sitemap, robots, JSON-LD — parsed, not grepped.

mod common;

use common::{build, fixture, seed_root, sel};

#[test]
fn atom_feed_is_valid_atom_with_every_article() {
    let site = build(&fixture("multi"));
    let xml = site.text("atom.xml");
    let doc = roxmltree::Document::parse(&xml).expect("atom.xml is well-formed XML");
    let feed = doc.root_element();
    assert_eq!(feed.tag_name().name(), "feed");
    assert_eq!(feed.tag_name().namespace(), Some("http://www.w3.org/2005/Atom"));
    for required in ["id", "title", "updated"] {
        assert!(
            feed.children().any(|c| c.tag_name().name() == required),
            "feed lacks <{required}>"
        );
    }
    let entries: Vec<_> = feed.children().filter(|c| c.tag_name().name() == "entry").collect();
    assert_eq!(entries.len(), 3);
    for e in &entries {
        for required in ["id", "title", "updated", "link", "author"] {
            assert!(
                e.children().any(|c| c.tag_name().name() == required),
                "entry lacks <{required}>"
            );
        }
        let href = e
            .children()
            .find(|c| c.tag_name().name() == "link")
            .unwrap()
            .attribute("href")
            .unwrap();
        assert!(href.starts_with("https://example.org/sub/articles/"), "{href}");
    }
    // Newest first.
    let first_title = entries[0]
        .children()
        .find(|c| c.tag_name().name() == "title")
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(first_title, "Mô hình mở từ Alibaba");
}

#[test]
fn sitemap_lists_every_page_and_robots_points_at_it() {
    let site = build(&fixture("multi"));
    let xml = site.text("sitemap.xml");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let locs: Vec<&str> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "loc")
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(
        locs.len(),
        site.html_files().iter().filter(|f| f.ends_with("index.html")).count()
    );
    assert!(locs.contains(&"https://example.org/sub/entities/huawei/"));
    assert!(
        site.text("robots.txt")
            .contains("Sitemap: https://example.org/sub/sitemap.xml")
    );
}

#[test]
fn json_ld_describes_articles_quotes_and_entities() {
    let site = build(&seed_root());
    let ld = |rel: &str| -> serde_json::Value {
        let page = site.html(rel);
        let script = page
            .select(&sel("script[type='application/ld+json']"))
            .next()
            .unwrap_or_else(|| panic!("{rel} has no JSON-LD"));
        serde_json::from_str(&script.text().collect::<String>()).unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    let a = ld("articles/ai-trung-quoc-nguon-mo/index.html");
    assert_eq!(a["@type"], "NewsArticle");
    let mentions = a["mentions"].as_array().unwrap();
    assert_eq!(mentions.len(), 24);
    let china = mentions.iter().find(|m| m["name"] == "Trung Quốc").unwrap();
    assert_eq!(china["@type"], "Place");
    assert_eq!(china["sameAs"][0], "https://www.wikidata.org/wiki/Q148");
    assert_eq!(a["isBasedOn"]["name"], "The New York Times");

    let q = ld("quotes/kevin-xu-suc-manh-mem/index.html");
    assert_eq!(q["@type"], "Quotation");
    assert_eq!(q["creator"]["@type"], "Person");
    assert_eq!(q["creator"]["name"], "Kevin Xu");
    assert_eq!(q["isPartOf"]["@type"], "NewsArticle");

    let e = ld("entities/openai/index.html");
    assert_eq!(e["@type"], "Organization");
    assert_eq!(ld("index.html")["@type"], "WebSite");
}

#[test]
fn json_ld_cannot_close_its_script() {
    let dir = tempfile::tempdir().unwrap();
    let w = |p: &str, t: &str| {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, t).unwrap();
    };
    w(
        "content/articles/a.md",
        "+++\ntitle = \"</script><script>alert(1)</script>\"\ndate = \"2026-01-01\"\n+++\nx\n",
    );
    let site = build(dir.path());
    let html = site.text("articles/a/index.html");
    let page = scraper::Html::parse_document(&html);
    let script = page.select(&sel("script[type='application/ld+json']")).next().unwrap();
    let v: serde_json::Value = serde_json::from_str(&script.text().collect::<String>()).unwrap();
    assert_eq!(v["headline"], "</script><script>alert(1)</script>");
}

#[test]
fn entity_graphs_are_inline_svg_whose_nodes_link_to_entity_pages() {
    let site = build(&seed_root());
    let index = site.html("entities/index.html");
    let svg = index
        .select(&sel("svg.entity-graph"))
        .next()
        .expect("the entity index shows the graph");
    let hrefs: Vec<&str> = svg.select(&sel("a")).filter_map(|a| a.value().attr("href")).collect();
    assert!(hrefs.len() >= 20, "{hrefs:?}");
    for h in &hrefs {
        assert!(
            h.starts_with("/entities/") && site.resolves(h, "entities/index.html"),
            "{h}"
        );
    }
    let local = site.html("entities/openai/index.html");
    let svg = local
        .select(&sel("svg.entity-graph"))
        .next()
        .expect("an entity page shows its neighbourhood");
    let current: Vec<&str> = svg
        .select(&sel("a.current"))
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert_eq!(current, vec!["/entities/openai/"]);
    // Deterministic: the same bytes on a second build.
    let again = build(&seed_root());
    assert_eq!(site.text("entities/index.html"), again.text("entities/index.html"));
}

#[test]
fn social_images_are_1200_by_630_pngs_and_pages_point_at_them() {
    let site = build(&seed_root());
    // (by default quotes have a card of their own and articles show the site's; tests/cards.rs
    // covers each `cards` setting)
    assert!(!site.exists("articles/ai-trung-quoc-nguon-mo/card.png"));
    for rel in ["quotes/chan-bi-cat-dut/card.png", "card.png"] {
        let bytes = std::fs::read(site.path(rel)).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder.read_info().expect("a valid PNG");
        let info = reader.info();
        assert_eq!((info.width, info.height), (1200, 630), "{rel}");
    }
    let page = site.html("quotes/chan-bi-cat-dut/index.html");
    let meta = |p: &str| {
        page.select(&sel(&format!("meta[property='{p}'], meta[name='{p}']")))
            .next()
            .and_then(|m| m.value().attr("content").map(str::to_string))
    };
    assert_eq!(meta("og:image").as_deref(), Some("/quotes/chan-bi-cat-dut/card.png"));
    assert!(meta("og:image:alt").unwrap().contains("Chan"));
    assert_eq!(meta("twitter:card").as_deref(), Some("summary_large_image"));
    for p in ["og:title", "og:description", "og:type", "og:url"] {
        assert!(meta(p).is_some_and(|v| !v.is_empty()), "{p} missing");
    }
}

#[test]
fn every_page_has_open_graph_and_twitter_meta() {
    let site = build(&fixture("multi"));
    for rel in site.html_files() {
        let page = site.html(&rel);
        for p in [
            "og:title",
            "og:description",
            "og:type",
            "og:url",
            "og:image",
            "og:image:alt",
            "twitter:card",
        ] {
            let content = page
                .select(&sel(&format!("meta[property='{p}'], meta[name='{p}']")))
                .next()
                .and_then(|m| m.value().attr("content").map(str::to_string));
            assert!(content.as_deref().is_some_and(|c| !c.is_empty()), "{rel} lacks {p}");
        }
        let card = page.select(&sel("meta[name='twitter:card']")).next().unwrap();
        assert_eq!(card.value().attr("content"), Some("summary_large_image"), "{rel}");
        let image = page
            .select(&sel("meta[property='og:image']"))
            .next()
            .unwrap()
            .value()
            .attr("content")
            .unwrap();
        let path = image
            .strip_prefix("https://example.org/sub/")
            .expect("absolute, under base_url");
        assert!(site.exists(path), "{rel}: og:image {image} is not in the output");
    }
}

/// The sitemap protocol allows 50,000 URLs in a file (search engines refuse
/// a longer one): a site with more gets a sitemap index in `sitemap.xml`
/// whose parts list every page once. The site: 25,001 undated articles of a
/// line each, one to a page of the home page's list, no share cards — the
/// smallest build past 50,000 pages.
#[test]
fn a_sitemap_past_50000_urls_is_split_into_parts_that_list_every_page_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("content/articles")).unwrap();
    std::fs::write(
        root.join("glossa.toml"),
        "title = \"Lưu trữ\"\nbase_url = \"https://example.org/sub/\"\npaginate_by = 1\ncards = \"none\"\n",
    )
    .unwrap();
    const N: usize = 25_001;
    for i in 0..N {
        let md = format!("+++\ntitle = \"Bài {i}\"\n+++\n\nĐoạn {i}.\n");
        std::fs::write(root.join(format!("content/articles/bai-{i}.md")), md).unwrap();
    }
    let site = build(root);
    let locs = |xml: &str, kind: &str| -> Vec<String> {
        let doc = roxmltree::Document::parse(xml).unwrap();
        assert_eq!(doc.root_element().tag_name().name(), kind);
        let locs = doc.descendants().filter(|n| n.tag_name().name() == "loc");
        locs.map(|n| n.text().unwrap().to_string()).collect()
    };
    let parts = locs(&site.text("sitemap.xml"), "sitemapindex");
    assert_eq!(
        parts,
        [
            "https://example.org/sub/sitemap-1.xml",
            "https://example.org/sub/sitemap-2.xml"
        ]
    );
    let mut listed = Vec::new();
    for part in &parts {
        let file = part.strip_prefix("https://example.org/sub/").unwrap();
        let urls = locs(&site.text(file), "urlset");
        assert!(urls.len() <= 50_000, "{file}: {} URLs", urls.len());
        assert!(urls.is_sorted(), "{file} is not sorted");
        listed.extend(urls);
    }
    listed.sort();
    let mut pages: Vec<String> = site
        .html_files()
        .iter()
        .filter(|f| f.ends_with("index.html"))
        .map(|f| format!("https://example.org/sub/{}", f.strip_suffix("index.html").unwrap()))
        .collect();
    pages.sort();
    assert!(pages.len() > 50_000, "{} pages", pages.len());
    assert_eq!(listed, pages, "every page once");
    assert!(
        site.text("robots.txt")
            .contains("Sitemap: https://example.org/sub/sitemap.xml")
    );
}
