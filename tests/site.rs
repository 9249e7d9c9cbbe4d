//! The pipeline end to end: the seed site (the repo root) and the small
//! multi-article fixture, built into temp dirs and read like a browser would.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::{build, copy_site, fixture, seed_root, sel, visible_text};
use unicode_normalization::UnicodeNormalization;

const SEED_ARTICLE: &str = "articles/ai-trung-quoc-nguon-mo/index.html";

const SEED_ENTITIES: &[&str] = &[
    "trung-quoc",
    "bac-kinh",
    "my",
    "thung-lung-silicon",
    "bytedance",
    "tiktok",
    "rand",
    "smic",
    "huawei",
    "qualcomm",
    "nvidia",
    "alibaba",
    "baidu",
    "openai",
    "google",
    "deepseek",
    "interconnected-capital",
    "the-new-york-times",
    "baochinhphu",
    "chan",
    "sam-altman",
    "kevin-xu",
    "chatgpt",
    "ai-tao-sinh",
    "nguon-mo",
    "nhan-dang-khuon-mat",
];

#[test]
fn seed_has_a_page_for_every_entity() {
    let site = build(&seed_root());
    for id in SEED_ENTITIES {
        let page = site.html(&format!("entities/{id}/index.html"));
        let h1: String = page
            .select(&sel("h1"))
            .next()
            .expect("entity page has a heading")
            .text()
            .collect();
        assert!(!h1.trim().is_empty(), "{id} has an empty heading");
    }
}

#[test]
fn seed_mentions_link_to_existing_entity_pages() {
    let site = build(&seed_root());
    let page = site.html(SEED_ARTICLE);
    let mentions: Vec<_> = page.select(&sel(".article-body a.mention")).collect();
    // Every occurrence of every entity in the body (52, counted by hand).
    let with_id = page.select(&sel(".article-body .mention[id]")).count();
    assert_eq!(with_id, 52, "mentions with an id");
    let mut entities = BTreeSet::new();
    for m in &mentions {
        let href = m.value().attr("href").expect("mention has href");
        let entity = m.value().attr("data-entity").expect("mention has data-entity");
        assert_eq!(href, format!("/entities/{entity}/"));
        assert!(site.resolves(href, SEED_ARTICLE), "{href} does not resolve");
        entities.insert(entity.to_string());
    }
    // Everything but the two outlets (they are the source/via line) is mentioned.
    for id in SEED_ENTITIES
        .iter()
        .filter(|id| !["the-new-york-times", "baochinhphu"].contains(id))
    {
        assert!(entities.contains(*id), "{id} is never mentioned");
    }
    // Source and via link to their entity pages.
    let attribution: Vec<String> = page
        .select(&sel("a"))
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .filter(|h| h.ends_with("/entities/the-new-york-times/") || h.ends_with("/entities/baochinhphu/"))
        .collect();
    assert!(attribution.len() >= 2, "source and via are linked: {attribution:?}");
}

/// Each mention id on the seed article with what it marks: (entity, the
/// mention's text, the text of its paragraph).
fn mention_ids(root: &Path) -> BTreeMap<String, Marked> {
    let site = build(root);
    let page = site.html(SEED_ARTICLE);
    let mut out = BTreeMap::new();
    for m in page.select(&sel(".article-body .mention[id]")) {
        let id = m.value().attr("id").unwrap().to_string();
        let para = m
            .ancestors()
            .filter_map(scraper::ElementRef::wrap)
            .find(|e| e.value().name() == "p" || e.value().name() == "li")
            .map_or(String::new(), |p| p.text().collect());
        let v = (
            m.value().attr("data-entity").unwrap().to_string(),
            m.text().collect(),
            para,
        );
        assert!(out.insert(id.clone(), v).is_none(), "duplicate id {id}");
    }
    out
}

/// The ids of `a` and `b` that differ: (id, what `a` has, what `b` has),
/// paragraphs shortened.
type Marked = (String, String, String);
fn id_differences(a: &BTreeMap<String, Marked>, b: &BTreeMap<String, Marked>) -> Vec<String> {
    let short =
        |m: Option<&Marked>| m.map(|(e, t, p)| format!("{e} «{t}» in «{}…»", p.chars().take(40).collect::<String>()));
    a.keys()
        .chain(b.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|id| a.get(*id) != b.get(*id))
        .map(|id| format!("{id}: {:?} → {:?}", short(a.get(id)), short(b.get(id))))
        .collect()
}

/// Entity pages link to `#m-ENTITY-N`: a rebuild, or an edit that adds no
/// mention of that entity before it, must not move an id to another
/// mention.
#[test]
fn mention_ids_are_unique_and_stable() {
    let site = copy_site(&seed_root(), false);
    let r = site.path();
    let first = mention_ids(r);
    assert_eq!(first.len(), 52);
    assert!(first.contains_key("m-trung-quoc-1") && first.contains_key("m-trung-quoc-12"));
    assert_eq!(
        id_differences(&first, &mention_ids(r)),
        Vec::<String>::new(),
        "a rebuild"
    );

    // A paragraph before all the others, naming only a new entity.
    let article = r.join("content/articles/ai-trung-quoc-nguon-mo.md");
    let text = std::fs::read_to_string(&article).unwrap();
    let (front, body) = text.split_at(text.rfind("+++\n").unwrap() + 4);
    std::fs::write(&article, format!("{front}\nMột đoạn mở đầu mới về TSMC.\n\n{body}")).unwrap();
    common::write(
        r,
        "content/entities/tsmc.md",
        "+++\nname = \"TSMC\"\nkind = \"organization\"\n+++\nHãng đúc chip.\n",
    );
    // The annotation blocks in the opposite order.
    let ann = r.join("content/articles/ai-trung-quoc-nguon-mo.annotations.toml");
    let toml = std::fs::read_to_string(&ann).unwrap();
    let mut blocks: Vec<&str> = toml.split("\n[[").collect();
    let head = blocks.remove(0);
    blocks.reverse();
    std::fs::write(&ann, format!("{head}\n[[{}\n", blocks.join("\n[[").trim_end())).unwrap();
    // An entity's description.
    let smic = r.join("content/entities/smic.md");
    let desc = std::fs::read_to_string(&smic).unwrap();
    std::fs::write(&smic, format!("{desc}\nMột câu mô tả thêm.\n")).unwrap();
    let mut after = mention_ids(r);
    let tsmc = after.remove("m-tsmc-1").expect("the new mention");
    assert_eq!(tsmc.1, "TSMC");
    assert_eq!(id_differences(&first, &after), Vec::<String>::new(), "unrelated edits");
}

#[test]
fn entity_page_backlinks_resolve_to_each_mention() {
    let site = build(&seed_root());
    let mut total = 0;
    for id in SEED_ENTITIES {
        let rel = format!("entities/{id}/index.html");
        let page = site.html(&rel);
        for a in page.select(&sel("a.mention-backlink")) {
            let href = a.value().attr("href").unwrap();
            assert!(href.contains('#'), "{href} is not a deep link");
            assert!(
                site.resolves(href, &rel),
                "{href} on {rel} does not point at an element id"
            );
            total += 1;
        }
    }
    // every mention of every article (52 in the seed article)
    let mentions: usize = site
        .html_files()
        .iter()
        .filter(|f| f.starts_with("articles/"))
        .map(|f| site.html(f).select(&sel(".article-body [id^='m-']")).count())
        .sum();
    assert!(mentions > 52, "{mentions}");
    assert_eq!(total, mentions, "one backlink per mention");
    // The mention itself is highlighted in its snippet.
    let smic = site.html("entities/smic/index.html");
    let marks: Vec<String> = smic
        .select(&sel("a.mention-backlink mark, .mention-backlink mark, li mark"))
        .map(|m| m.text().collect())
        .collect();
    assert!(marks.iter().any(|m| m == "SMIC"), "{marks:?}");
}

#[test]
fn every_internal_link_on_every_page_resolves() {
    for root in [seed_root(), fixture("multi")] {
        let site = build(&root);
        for rel in site.html_files() {
            let page = site.html(&rel);
            for (selector, attr) in [("a[href]", "href"), ("link[href]", "href"), ("script[src]", "src")] {
                for el in page.select(&sel(selector)) {
                    let href = el.value().attr(attr).unwrap();
                    assert!(
                        site.resolves(href, &rel),
                        "{href} on {rel} ({}) is broken",
                        root.display()
                    );
                }
            }
        }
    }
}

#[test]
fn annotations_add_markup_only() {
    let site = build(&seed_root());
    let bare_root = copy_site(&seed_root(), false);
    std::fs::remove_file(
        bare_root
            .path()
            .join("content/articles/ai-trung-quoc-nguon-mo.annotations.toml"),
    )
    .unwrap();
    // Without its annotation file the article is still linked automatically
    // (every name of every entity); with `autolink = "none"` it is bare.
    let auto = build(bare_root.path());
    let auto_mentions = auto.html(SEED_ARTICLE).select(&sel(".article-body .mention")).count();
    assert!(auto_mentions > 40, "{auto_mentions} automatic mentions");
    let config = bare_root.path().join("glossa.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("autolink = \"none\"\n{text}")).unwrap();
    let bare = build(bare_root.path());
    let annotated = visible_text(&site.html(SEED_ARTICLE), ".article-body", ".sidenote");
    assert_eq!(
        annotated,
        visible_text(&auto.html(SEED_ARTICLE), ".article-body", ".sidenote")
    );
    let plain = visible_text(&bare.html(SEED_ARTICLE), ".article-body", ".sidenote");
    assert_eq!(annotated, plain);
    assert!(plain.contains("Nguồn mở là một nguồn sức mạnh mềm về công nghệ"));
    assert_eq!(
        bare.html(SEED_ARTICLE).select(&sel(".article-body .mention")).count(),
        0
    );
}

#[test]
fn spans_across_bold_em_and_links_stay_well_formed() {
    let site = build(&fixture("multi"));
    let rel = "articles/chip-war/index.html";
    let page = site.html(rel);
    // A mention wholly inside **bold**.
    let huawei = page
        .select(&sel(".article-body strong > a.mention#m-huawei-1"))
        .next()
        .expect("mention inside strong");
    assert_eq!(huawei.text().collect::<String>(), "Huawei");
    // A mention crossing into *em*: the first piece has the id, the rest continues it.
    let first = page
        .select(&sel("a.mention#m-trung-quoc-1"))
        .next()
        .expect("first piece");
    assert_eq!(first.text().collect::<String>(), "chip tại ");
    let cont = page
        .select(&sel("em > a.mention.mention-cont[data-entity=trung-quoc]"))
        .next()
        .expect("continued piece in em");
    assert_eq!(cont.text().collect::<String>(), "Trung");
    assert!(cont.value().attr("id").is_none(), "only the first piece has the id");
    // A mention inside a Markdown link is not a link itself.
    let inner = page
        .select(&sel("a[href='https://example.org/report'] span.mention#m-da-nang-1"))
        .next();
    assert!(inner.is_some(), "mention inside a link becomes a span");
    // No <a> inside <a> on any page, and the raw HTML is balanced.
    for rel in site.html_files() {
        assert_eq!(site.html(&rel).select(&sel("a a")).count(), 0, "nested links on {rel}");
    }
    // Code is not annotated.
    assert_eq!(page.select(&sel("code .mention")).count(), 0);
    // A [[link]] annotation to another article.
    let xref = page.select(&sel("a.xref")).next().expect("xref");
    assert_eq!(xref.value().attr("href"), Some("/sub/articles/open-models/"));
}

#[test]
fn nfd_article_anchors_exactly_like_nfc() {
    let nfc = build(&seed_root());
    let copy = copy_site(&seed_root(), false);
    for name in ["ai-trung-quoc-nguon-mo.md", "ai-trung-quoc-nguon-mo.annotations.toml"] {
        let p = copy.path().join("content/articles").join(name);
        let text = std::fs::read_to_string(&p).unwrap();
        let nfd: String = text.nfd().collect();
        assert_ne!(nfd, text);
        std::fs::write(&p, nfd).unwrap();
    }
    let nfd = build(copy.path());
    assert_eq!(nfc.text(SEED_ARTICLE), nfd.text(SEED_ARTICLE));
    assert_eq!(
        nfc.text("entities/trung-quoc/index.html"),
        nfd.text("entities/trung-quoc/index.html")
    );
}

#[test]
fn entity_index_is_in_vietnamese_alphabetical_order() {
    let site = build(&fixture("multi"));
    let page = site.html("entities/index.html");
    let mut groups = Vec::new();
    for section in page.select(&sel("section")) {
        let names: Vec<String> = section
            .select(&sel("a[href*='/entities/']"))
            .map(|a| {
                let href = a.value().attr("href").unwrap().to_string();
                href.trim_end_matches('/').rsplit('/').next().unwrap().to_string()
            })
            .collect();
        if !names.is_empty() {
            groups.push(names);
        }
    }
    // People: An, Ánh Dương, Dũng, Hà, Hồ, Uyên — not byte order (which puts Á, Ũ… last).
    assert!(
        groups.contains(
            &vec!["an", "anh-duong", "dung", "ha", "ho", "uyen"]
                .into_iter()
                .map(String::from)
                .collect()
        ),
        "{groups:?}"
    );
    // Places: Đà Nẵng (Đ after D, before T).
    assert!(
        groups.contains(&vec!["da-nang".to_string(), "trung-quoc".to_string()]),
        "{groups:?}"
    );
}

#[test]
fn seed_quotes_have_pages_whose_links_resolve() {
    let site = build(&seed_root());
    let quotes = [
        ("chan-phan-bo-nguon-luc", "chan"),
        ("chan-khong-giong-thep", "chan"),
        ("chan-bi-cat-dut", "chan"),
        ("altman-ai-dan-chu", "sam-altman"),
        ("kevin-xu-suc-manh-mem", "kevin-xu"),
    ];
    for (id, speaker) in quotes {
        let rel = format!("quotes/{id}/index.html");
        let page = site.html(&rel);
        let speaker_href = format!("/entities/{speaker}/");
        assert!(
            page.select(&sel("a"))
                .any(|a| a.value().attr("href") == Some(speaker_href.as_str())),
            "{rel} does not link its speaker"
        );
        let anchor = format!("/articles/ai-trung-quoc-nguon-mo/#q-{id}");
        assert!(
            page.select(&sel("a"))
                .any(|a| a.value().attr("href") == Some(anchor.as_str())),
            "{rel} has no go-to-text link"
        );
        assert!(site.resolves(&anchor, &rel));
        // The card also appears on the speaker's page and in the article.
        assert!(
            site.text(&format!("entities/{speaker}/index.html"))
                .contains(&format!("/quotes/{id}/"))
        );
        assert!(site.text(SEED_ARTICLE).contains(&format!("id=\"q-{id}\"")));
    }
    let index = site.html("quotes/index.html");
    assert!(index.select(&sel("blockquote")).count() >= 5);
}

#[test]
fn relations_show_on_both_ends_with_inverse_wording() {
    let site = build(&seed_root());
    let bytedance = visible_text(&site.html("entities/bytedance/index.html"), "main", "script");
    let tiktok = visible_text(&site.html("entities/tiktok/index.html"), "main", "script");
    assert!(bytedance.contains("Công ty mẹ của TikTok"), "{bytedance}");
    assert!(tiktok.contains("Công ty con của ByteDance"), "{tiktok}");
    let chan = visible_text(&site.html("entities/chan/index.html"), "main", "script");
    assert!(chan.contains("Nhà nghiên cứu tại RAND"), "{chan}");
}

#[test]
fn related_articles_come_from_shared_entities() {
    let site = build(&fixture("multi"));
    let page = site.html("articles/open-models/index.html");
    let related: Vec<&str> = page
        .select(&sel("a"))
        .filter_map(|a| a.value().attr("href"))
        .filter(|h| h.starts_with("/sub/articles/"))
        .collect();
    assert!(related.contains(&"/sub/articles/chip-war/"), "{related:?}");
    assert!(
        !related.contains(&"/sub/articles/plain/"),
        "an article sharing nothing is not related"
    );
    // Cross-article entity page: Huawei is mentioned in both.
    let huawei = site.html("entities/huawei/index.html");
    let backlinks: BTreeSet<String> = huawei
        .select(&sel("a.mention-backlink"))
        .map(|a| a.value().attr("href").unwrap().split('#').next().unwrap().to_string())
        .collect();
    assert_eq!(
        backlinks.into_iter().collect::<Vec<_>>(),
        vec!["/sub/articles/chip-war/", "/sub/articles/open-models/"]
    );
}

#[test]
fn user_text_is_escaped() {
    let site = build(&fixture("multi"));
    let page = site.text("articles/chip-war/index.html");
    assert!(!page.contains("<script>alert"), "note body raw HTML must be escaped");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn builds_are_deterministic_and_unchanged_files_are_not_rewritten() {
    let a = build(&seed_root());
    let b = build(&seed_root());
    let files = a.html_files();
    assert_eq!(files, b.html_files());
    for f in files.iter().chain(
        ["atom.xml", "sitemap.xml", "style.css"]
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .iter(),
    ) {
        assert_eq!(
            std::fs::read(a.path(f)).unwrap(),
            std::fs::read(b.path(f)).unwrap(),
            "{f} differs"
        );
    }
    // Building into the same directory again writes nothing.
    let opts = glossa::BuildOptions {
        output_dir: Some(a.out.path().to_path_buf()),
        ..Default::default()
    };
    let (report, _, _) = glossa::build(&seed_root(), &opts).ok().unwrap();
    assert_eq!(report.stats.written, 0);
    assert!(report.stats.unchanged > 40);
}

#[test]
fn a_broken_annotation_fails_with_its_location_and_writes_nothing() {
    let copy = copy_site(&fixture("multi"), false);
    let ann = copy.path().join("content/articles/open-models.annotations.toml");
    let text = std::fs::read_to_string(&ann)
        .unwrap()
        .replace("exact = \"Ánh Dương\"", "exact = \"Ánh Trăng\"");
    std::fs::write(&ann, text).unwrap();
    let bad = copy.path().join("content/articles/chip-war.annotations.toml");
    let text = std::fs::read_to_string(&bad).unwrap().replace(
        "entity = \"smic\"\nexact = \"SMIC\"\nprefix = \"với \"",
        "entity = \"smc\"\nexact = \"SMIC\"\nprefix = \"với \"",
    );
    std::fs::write(&bad, text).unwrap();
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("public");
    let opts = glossa::BuildOptions {
        output_dir: Some(target.clone()),
        ..Default::default()
    };
    let failure = glossa::build(copy.path(), &opts).expect_err("the build must fail");
    let report = failure.diags.render(&failure.sources, false);
    // Both problems, each at its line, in one run.
    assert!(report.contains("open-models.annotations.toml:12:9"), "{report}");
    assert!(
        report.contains("closest match at article line 7: «Ánh Dương» (differs: «Ánh [Tră]ng» vs «Ánh [Dươ]ng»)"),
        "{report}"
    );
    assert!(report.contains("chip-war.annotations.toml:8:10"), "{report}");
    assert!(
        report.contains("unknown entity `smc`") && report.contains("did you mean `smic`?"),
        "{report}"
    );
    assert!(report.contains("2 errors"), "{report}");
    assert!(!target.exists(), "nothing is written on error");
}

#[test]
fn every_page_declares_its_language_and_the_sub_path_is_honoured() {
    let site = build(&fixture("multi"));
    for rel in site.html_files() {
        let page = site.html(&rel);
        let html = page.select(&sel("html")).next().unwrap();
        assert_eq!(html.value().attr("lang"), Some("vi"), "{rel}");
        for a in page.select(&sel("a[href]")) {
            let href = a.value().attr("href").unwrap();
            if !href.starts_with("http") && !href.starts_with('#') {
                assert!(href.starts_with("/sub/"), "{href} on {rel} ignores base_url");
            }
        }
    }
}

#[test]
fn hover_previews_carry_names_and_fetch_summaries_from_the_entity() {
    let site = build(&seed_root());
    let page = site.html(SEED_ARTICLE);
    let json: String = page
        .select(&sel("script#glossa-entities"))
        .next()
        .expect("the article embeds its previews")
        .text()
        .collect();
    let previews: serde_json::Value = serde_json::from_str(&json).unwrap();
    let previews = previews.as_object().unwrap();
    // every entity the article mentions has a preview
    for a in page.select(&sel("a.mention[data-entity], span.mention[data-entity]")) {
        let id = a.value().attr("data-entity").unwrap();
        assert!(previews.contains_key(id), "no preview for {id}");
    }
    for (id, p) in previews {
        assert!(!p["name"].as_str().unwrap().is_empty(), "{id}: {p}");
        assert!(!p["kind_label"].as_str().unwrap().is_empty(), "{id}: {p}");
        // the summary is not in the page (an edited summary would re-write
        // every article naming the entity): it is in the entity's file,
        // next to its page, and is the page's first sentence
        assert!(p.get("summary").is_none(), "{id}: {p}");
        let url = p["url"].as_str().unwrap();
        assert_eq!(url, format!("{}entities/{id}/", site.base_path));
        let file: serde_json::Value = serde_json::from_str(&site.text(&format!("entities/{id}/preview.json"))).unwrap();
        assert_eq!(file["name"], p["name"]);
        let summary = file["summary"].as_str().unwrap();
        assert!(!summary.is_empty(), "{id}: {file}");
        let entity_page = site.html(&format!("entities/{id}/index.html"));
        let description: String = entity_page
            .select(&sel(".entity-description"))
            .flat_map(|d| d.text())
            .collect();
        assert!(
            description
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .starts_with(summary.trim_end_matches('…')),
            "{id}: summary {summary:?} is not how {description:?} starts"
        );
    }
}

/// Follows `rel=next` from `first` to the last page, checking each page's
/// `rel=prev` leads back and its number reads "N/PAGES"; returns the hrefs
/// `items` selects on each page, in order, and how many pages there were.
fn walk_pages(built: &common::Built, first: &str, items: &str) -> (Vec<String>, usize) {
    let mut hrefs = Vec::new();
    let mut page = first.to_string();
    let mut previous: Option<String> = None;
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages < 100, "{first}: the pages do not end");
        let doc = built.html(&page);
        hrefs.extend(
            doc.select(&sel(items))
                .map(|a| a.value().attr("href").unwrap().to_string()),
        );
        let link = |rel: &str| {
            doc.select(&sel(&format!(".pager a[rel={rel}]")))
                .next()
                .map(|a| built.target_of(a.value().attr("href").unwrap(), &page).unwrap().0)
        };
        assert_eq!(link("prev"), previous, "{page}: its previous page");
        if let Some(n) = doc.select(&sel(".pager-number")).next() {
            let text = n.text().collect::<String>();
            assert!(text.starts_with(&format!("Trang {pages}/")), "{page}: {text}");
        }
        match link("next") {
            Some(next) => {
                previous = Some(page);
                page = next;
            }
            None => return (hrefs, pages),
        }
    }
}

#[test]
fn long_lists_are_paginated_and_their_pages_hold_every_item_once_in_order() {
    // (site, list's first page, its items, items per page, how many items)
    let cases = [
        (seed_root(), "quotes/index.html", ".quote-list .quote-permalink", 4, 6),
        (
            fixture("multi"),
            "index.html",
            ".article-list .article-item-title a",
            2,
            3,
        ),
        (
            fixture("multi"),
            "tags/trung-quoc/index.html",
            ".article-list .article-item-title a",
            1,
            2,
        ),
    ];
    for (src, first, items, per_page, total) in cases {
        let set = |n: usize| {
            let dir = copy_site(&src, false);
            let config = std::fs::read_to_string(dir.path().join("glossa.toml")).unwrap();
            std::fs::write(dir.path().join("glossa.toml"), format!("{config}\npaginate_by = {n}\n")).unwrap();
            dir
        };
        // every item on one page: the order the pages must follow
        let whole = build(set(0).path());
        let (all, pages) = walk_pages(&whole, first, items);
        assert_eq!((all.len(), pages), (total, 1), "{first}");
        assert!(whole.html(first).select(&sel(".pager")).next().is_none());

        let paged = build(set(per_page).path());
        let (seen, pages) = walk_pages(&paged, first, items);
        assert_eq!(seen, all, "{first}: the pages together list every item once, in order");
        assert_eq!(pages, total.div_ceil(per_page), "{first}");
        assert_eq!(
            paged.html(first).select(&sel(items)).count(),
            per_page,
            "{first}: a full first page"
        );
        // later pages are in the sitemap too
        let sitemap = paged.text("sitemap.xml");
        let second = first.replace("index.html", "page/2/");
        assert!(sitemap.contains(&second), "{second} not in the sitemap");
    }
}

// (the search index: tests/search_index.rs)

/// Where `[[link]]` annotations point — an article with a fragment or an
/// empty one, http and mailto URLs, an entity — and the notes' numbers,
/// from 1.
#[test]
fn link_targets_and_note_numbers() {
    use common::write;
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "glossa.toml", "title = \"Liên kết\"\n");
    write(
        r,
        "content/entities/smic.md",
        "+++\nname = \"SMIC\"\nkind = \"organization\"\n+++\nMô tả.\n",
    );
    write(
        r,
        "content/articles/b.md",
        "+++\ntitle = \"B\"\ndate = \"2026-11-20\"\n+++\nBài b.\n",
    );
    write(
        r,
        "content/articles/a.md",
        "+++\ntitle = \"A\"\ndate = \"2026-11-21\"\n+++\nMột hai ba bốn năm sáu bảy.\n",
    );
    let link = |exact: &str, to: &str| format!("[[link]]\nexact = \"{exact}\"\nto = \"{to}\"\n\n");
    let ann = [
        link("Một", "@/articles/b.md#phan-2"),
        link("hai", "@/articles/b.md#"),
        link("ba", "http://example.org/x"),
        link("bốn", "MAILTO:ban@example.org"),
        link("năm", "entity:smic"),
        "[[note]]\nexact = \"sáu\"\nbody = \"Một.\"\n\n[[note]]\nexact = \"bảy\"\nbody = \"Hai.\"\n".to_string(),
    ]
    .concat();
    write(r, "content/articles/a.annotations.toml", &ann);
    let b = build(r);
    let page = b.html("articles/a/index.html");
    let hrefs: Vec<&str> = page
        .select(&sel(".article-body a.xref"))
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert_eq!(hrefs.len(), 5, "{hrefs:?}");
    let from = "articles/a/index.html";
    let b_page = "articles/b/index.html".to_string();
    assert_eq!(
        b.target_of(hrefs[0], from),
        Some((b_page.clone(), Some("phan-2".into())))
    );
    assert_eq!(b.target_of(hrefs[1], from), Some((b_page, None)), "{}", hrefs[1]);
    assert_eq!(hrefs[2..4], ["http://example.org/x", "MAILTO:ban@example.org"]);
    assert_eq!(
        b.target_of(hrefs[4], from),
        Some(("entities/smic/index.html".to_string(), None))
    );
    let notes: Vec<&str> = page
        .select(&sel(".article-body .note-ref"))
        .filter_map(|n| n.value().attr("id"))
        .collect();
    assert_eq!(notes, ["n-1", "n-2"]);
}

/// The seed article's entity list: one chip per entity named in the body,
/// each counting the mentions of it on the page, most named first.
#[test]
fn article_entity_chips_count_the_mentions_on_the_page() {
    let site = build(&seed_root());
    let page = site.html(SEED_ARTICLE);
    let mut on_page: BTreeMap<String, usize> = BTreeMap::new();
    for m in page.select(&sel(".article-body .mention[data-entity]")) {
        *on_page
            .entry(m.value().attr("data-entity").unwrap().to_string())
            .or_default() += 1;
    }
    let chips: Vec<(String, usize)> = page
        .select(&sel(".article-entities a.entity-chip"))
        .map(|a| {
            let id = last_segment(a.value().attr("href").unwrap());
            let count: String = a
                .select(&sel(".entity-chip-count"))
                .next()
                .map(|c| c.text().collect())
                .unwrap_or_default();
            (id.to_string(), count.trim().parse().unwrap_or(0))
        })
        .collect();
    let listed: BTreeMap<String, usize> = chips.iter().cloned().collect();
    assert_eq!(listed.len(), chips.len(), "one chip per entity: {chips:?}");
    assert_eq!(listed, on_page, "the chips' counts against the mentions on the page");
    assert!(
        chips.windows(2).all(|w| w[0].1 >= w[1].1),
        "most named first: {chips:?}"
    );
    assert!(chips[0].1 > chips[chips.len() - 1].1, "the counts differ: {chips:?}");
}

/// Every entity chip and mention says its entity's kind (`data-kind`,
/// which the stylesheet colours by), as its file gives it.
#[test]
fn chips_and_mentions_carry_their_entity_kind() {
    let root = seed_root();
    let kind_of = |id: &str| -> String {
        let text = std::fs::read_to_string(root.join(format!("content/entities/{id}.md"))).unwrap();
        let line = text.lines().find(|l| l.starts_with("kind")).expect("a kind");
        line.split('"').nth(1).unwrap().to_string()
    };
    let site = build(&root);
    let mut kinds = BTreeSet::new();
    for page in [SEED_ARTICLE, "entities/index.html"] {
        let html = site.html(page);
        for a in html.select(&sel("a.entity-chip, .article-body .mention[data-entity]")) {
            let id = match a.value().attr("data-entity") {
                Some(id) => id.to_string(),
                None => last_segment(a.value().attr("href").unwrap()).to_string(),
            };
            let Some(kind) = a.value().attr("data-kind") else {
                continue;
            };
            assert_eq!(kind, kind_of(&id), "{page}: {id}");
            kinds.insert(kind.to_string());
        }
    }
    assert!(kinds.len() >= 4, "several kinds seen: {kinds:?}");
}

/// The Markdown extensions glossa enables: tables (GFM pipes) and
/// strikethrough; an annotation anchors inside a table cell.
#[test]
fn tables_and_strikethrough_render() {
    let dir = small_site(&[("huawei", "Huawei")]);
    let r = dir.path();
    common::write(
        r,
        "content/articles/bang.md",
        "+++\ntitle = \"Bảng\"\ndate = \"2026-01-01\"\n+++\n\
         | Hãng | Nước |\n|---|---|\n| Huawei | Trung Quốc |\n\n~~Tin cũ~~ đã sửa.\n",
    );
    common::write(
        r,
        "content/articles/bang.annotations.toml",
        "[[mention]]\nentity = \"huawei\"\nexact = \"Huawei\"\n",
    );
    let built = build(r);
    let page = built.html("articles/bang/index.html");
    let cells: Vec<String> = page
        .select(&sel(".article-body table td"))
        .map(|td| td.text().collect())
        .collect();
    assert_eq!(cells, ["Huawei", "Trung Quốc"]);
    assert_eq!(page.select(&sel(".article-body td .mention")).count(), 1);
    let struck: Vec<String> = page
        .select(&sel(".article-body del"))
        .map(|d| d.text().collect())
        .collect();
    assert_eq!(struck, ["Tin cũ"]);
}

/// Mentions that start and end where their quote does nest inside it: the
/// quote's mark holds both mentions and exactly its words.
#[test]
fn mentions_at_a_quotes_edges_nest_inside_it() {
    let dir = small_site(&[("huawei", "Huawei"), ("smic", "SMIC")]);
    let r = dir.path();
    common::write(
        r,
        "content/articles/a.md",
        "+++\ntitle = \"A\"\ndate = \"2026-01-01\"\n+++\nHuawei hợp tác với SMIC hôm nay.\n",
    );
    common::write(
        r,
        "content/articles/a.annotations.toml",
        "[[quote]]\nspeaker = \"huawei\"\nexact = \"Huawei hợp tác với SMIC\"\n\n\
         [[mention]]\nentity = \"smic\"\nexact = \"SMIC\"\n\n\
         [[mention]]\nentity = \"huawei\"\nexact = \"Huawei\"\n",
    );
    let built = build(r);
    let page = built.html("articles/a/index.html");
    let quote = page.select(&sel(".article-body mark.quote")).next().expect("a quote");
    assert_eq!(quote.text().collect::<String>(), "Huawei hợp tác với SMIC");
    let inside: Vec<String> = quote.select(&sel("a.mention")).map(|m| m.text().collect()).collect();
    assert_eq!(inside, ["Huawei", "SMIC"]);
    let body: String = page.select(&sel(".article-body p")).flat_map(|p| p.text()).collect();
    assert_eq!(body, "Huawei hợp tác với SMIC hôm nay.");
}

/// A quote that ends where a note around it ends: the quote closes first,
/// so its permalink sits right after it, inside the note's reference, and
/// the sidenote comes after both.
#[test]
fn a_quote_ending_with_a_note_around_it_keeps_its_permalink_next_to_it() {
    let dir = small_site(&[("huawei", "Huawei")]);
    let r = dir.path();
    common::write(
        r,
        "content/articles/a.md",
        "+++\ntitle = \"A\"\ndate = \"2026-01-01\"\n+++\nHuawei nói hợp tác là cần thiết.\n",
    );
    common::write(
        r,
        "content/articles/a.annotations.toml",
        "[[note]]\nexact = \"nói hợp tác là cần thiết\"\nbody = \"Ghi chú.\"\n\n\
         [[quote]]\nspeaker = \"huawei\"\nexact = \"hợp tác là cần thiết\"\n",
    );
    let built = build(r);
    let page = built.html("articles/a/index.html");
    let p = page.select(&sel(".article-body p")).next().expect("a paragraph").html();
    let mark = p.find("</mark>").expect("a quote") + "</mark>".len();
    let link = p.find("class=\"quote-link\"").expect("its permalink");
    let sidenote = p.find("class=\"sidenote\"").expect("the sidenote");
    // the element right after the quote is its permalink, inside the note's reference
    assert!(
        p[mark..].starts_with("<a ") && link < mark + p[mark..].find('>').unwrap(),
        "{p}"
    );
    assert!(p[link..sidenote].contains("</span><label"), "{p}");
    let body: String = page.select(&sel(".article-body p")).flat_map(|p| p.text()).collect();
    assert_eq!(body, "Huawei nói hợp tác là cần thiếtGhi chú..");
}

/// The last segment of an entity page's URL: its id.
fn last_segment(href: &str) -> &str {
    href.trim_end_matches('/').rsplit('/').next().unwrap()
}

/// A site without autolinking whose entities are organisations with these
/// (id, name) pairs, for a test to add articles to.
fn small_site(entities: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    common::write(r, "glossa.toml", "title = \"T\"\nautolink = \"none\"\n");
    for (id, name) in entities {
        common::write(
            r,
            &format!("content/entities/{id}.md"),
            &format!("+++\nname = \"{name}\"\nkind = \"organization\"\n+++\nHãng.\n"),
        );
    }
    dir
}

/// The header and footer are rendered once for each index page the navigation links to and
/// once for all the other pages (`render/layout.rs`): each index page marks its own link, and
/// no other page marks any — not an article, an entity page, nor a later page of an index.
#[test]
fn the_navigation_marks_only_the_index_page_it_is_on() {
    let site = build(&seed_root());
    let marked = |rel: &str| -> Vec<String> {
        let (page, current) = (site.html(rel), sel("header.site-header [aria-current]"));
        let links = page.select(&current);
        links
            .map(|a| a.value().attr("href").unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(marked("index.html"), ["/", "/"], "the site's name and Home");
    for index in ["entities", "quotes", "tags", "search"] {
        assert_eq!(marked(&format!("{index}/index.html")), [format!("/{index}/")]);
    }
    for other in [
        SEED_ARTICLE,
        "entities/huawei/index.html",
        "quotes/chan-bi-cat-dut/index.html",
        "404.html",
    ] {
        assert!(marked(other).is_empty(), "{other}: {:?}", marked(other));
    }
    // (every page has the footer, with the site's name)
    for rel in site.html_files() {
        let footer: String = site
            .html(&rel)
            .select(&sel("footer.site-footer"))
            .flat_map(|f| f.text())
            .collect();
        assert!(footer.contains("glossa"), "{rel}: {footer:?}");
    }
}

/// A site's own `site_header.html` reaches every page, sees `current` on the index pages, and
/// one that reads the page (which it cannot see) is an error naming it, not a page without a
/// header.
#[test]
fn a_sites_own_header_is_on_every_page_and_may_not_read_the_page() {
    let dir = copy_site(&seed_root(), false);
    let header = "<header class=\"site-header\"><p class=\"mine\">{{ site.title }}|{{ current }}</p></header>\n";
    common::write(dir.path(), "templates/site_header.html", header);
    let site = build(dir.path());
    let mine = |rel: &str| -> String { site.html(rel).select(&sel("p.mine")).flat_map(|p| p.text()).collect() };
    let title = site.html("index.html").select(&sel("a.site-title")).count();
    assert_eq!(title, 0, "the built-in header is replaced");
    let name = mine("index.html").split('|').next().unwrap().to_string();
    assert!(!name.is_empty());
    assert_eq!(mine("index.html"), format!("{name}|/"));
    assert_eq!(mine("entities/index.html"), format!("{name}|/entities/"));
    for rel in site.html_files() {
        assert_eq!(site.html(&rel).select(&sel("p.mine")).count(), 1, "{rel}");
    }
    assert_eq!(mine(SEED_ARTICLE), format!("{name}|"));

    common::write(
        dir.path(),
        "templates/site_header.html",
        "<header>{{ page.title }}</header>\n",
    );
    let out = tempfile::tempdir().unwrap();
    let (code, _, err) = common::glossa(dir.path(), &["build", "--output-dir", out.path().to_str().unwrap()]);
    assert_ne!(code, 0, "{err}");
    assert!(
        err.contains("site_header.html") && err.contains("`page` is not defined"),
        "{err}"
    );
    assert_eq!(err.matches("error:").count(), 1, "one error for all the pages: {err}");
    assert!(!out.path().join("index.html").exists(), "nothing written");
    let (code, _, err) = common::glossa(dir.path(), &["check"]);
    assert_ne!(code, 0, "{err}");
    assert_eq!(err.matches("error:").count(), 1, "`check` too: {err}");
}
