//! Automatic mentions (`autolink`): names and aliases found on Vietnamese
//! word boundaries, tone-placement variants, case rules, first/all/none per
//! site and per article, explicit annotations first, never in headings,
//! code or links; every automatic mention counts on the entity page and
//! deep-links back to its exact spot.

mod common;

use std::path::Path;

use common::{build, sel, write};

fn entity(root: &Path, id: &str, front: &str) {
    write(
        root,
        &format!("content/entities/{id}.md"),
        &format!("+++\n{front}\n+++\nMô tả {id}.\n"),
    );
}

fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "glossa.toml", "title = \"Thử autolink\"\nlanguage = \"vi\"\n");
    entity(
        r,
        "ha-noi",
        "name = \"Hà Nội\"\nkind = \"place\"\naliases = [\"Hanoi\"]",
    );
    entity(r, "my", "name = \"Mỹ\"\nkind = \"place\"\naliases = [\"Hoa Kỳ\"]");
    entity(r, "my-tho", "name = \"Mỹ Tho\"\nkind = \"place\"");
    entity(r, "khanh-hoa", "name = \"Khánh Hòa\"\nkind = \"place\"");
    entity(r, "bidv", "name = \"BIDV\"\nkind = \"organization\"\nautolink = false");
    entity(
        r,
        "nguon-mo",
        "name = \"nguồn mở\"\nkind = \"concept\"\ncase_insensitive = true",
    );
    write(
        r,
        "content/articles/dau-tien.md",
        "+++\ntitle = \"Bài đầu\"\ndate = \"2026-11-20\"\n+++\n\
         ## Tin Hà Nội\n\n\
         Hà Nội và Hanoi gặp Mỹ Tho, còn Mỹ ở xa. Hà Nộii không phải tên.\n\n\
         Nguồn mở là chủ đề; BIDV không tự liên kết. Khánh Hoà có biển.\n\n\
         Mã `Hà Nội` và [Hà Nội](https://example.org/) không được liên kết; Mỹ lần nữa.\n",
    );
    write(
        r,
        "content/articles/dau-tien.annotations.toml",
        "[[mention]]\nentity = \"my\"\nexact = \"Mỹ\"\nnth = 2\n",
    );
    write(
        r,
        "content/articles/tat-ca.md",
        "+++\ntitle = \"Bài tất cả\"\ndate = \"2026-11-21\"\nautolink = \"all\"\n+++\nHà Nội, rồi Hà Nội.\n",
    );
    write(
        r,
        "content/articles/khong.md",
        "+++\ntitle = \"Bài không\"\ndate = \"2026-11-22\"\nautolink = \"none\"\n+++\nHà Nội ở đây không được liên kết.\n",
    );
    dir
}

/// (tag, class, text, data-entity) of every mention in an article.
fn mentions(built: &common::Built, slug: &str) -> Vec<(String, String, String, String)> {
    let html = built.html(&format!("articles/{slug}/index.html"));
    html.select(&sel(".article-body .mention"))
        .map(|e| {
            let v = e.value();
            (
                v.name().to_string(),
                v.attr("class").unwrap_or("").to_string(),
                e.text().collect::<String>(),
                v.attr("data-entity").unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The (text, entity id) of every mention on an article's page, in order.
fn named(built: &common::Built, slug: &str) -> Vec<(String, String)> {
    mentions(built, slug)
        .into_iter()
        .map(|(_, _, text, entity)| (text, entity))
        .collect()
}

/// `named`'s pairs borrowed, to compare with literals.
fn as_strs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs.iter().map(|(t, e)| (t.as_str(), e.as_str())).collect()
}

#[test]
fn names_are_linked_on_word_boundaries_first_occurrence_as_a_link() {
    let s = site();
    let b = build(s.path());
    let m = mentions(&b, "dau-tien");
    let seen: Vec<(&str, &str, &str)> = m
        .iter()
        .map(|(t, _, x, e)| (t.as_str(), x.as_str(), e.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("a", "Hà Nội", "ha-noi"),
            ("span", "Hanoi", "ha-noi"),     // the same entity again: plain
            ("a", "Mỹ Tho", "my-tho"),       // longest name first
            ("a", "Mỹ", "my"),               // the explicit annotation (nth = 2)
            ("a", "Nguồn mở", "nguon-mo"),   // case-insensitive entity
            ("a", "Khánh Hoà", "khanh-hoa"), // other tone placement
            ("span", "Mỹ", "my"),
        ],
        "{m:#?}"
    );
    // plain ones are still mentions, drawn without a link
    assert!(m.iter().any(|(t, c, ..)| t == "span" && c.contains("mention-plain")));
    // not in the heading, code or the Markdown link; not inside "Hà Nộii"
    let html = b.text("articles/dau-tien/index.html");
    assert!(!html.contains("<code><span class=\"mention"), "no mention in code");
    for h in b.html("articles/dau-tien/index.html").select(&sel("h2")) {
        assert_eq!(h.select(&sel(".mention")).count(), 0, "no mention in a heading");
    }
    assert!(!m.iter().any(|(_, _, x, _)| x == "BIDV"), "autolink = false");
}

#[test]
fn all_and_none_per_article_and_entity_pages_count_every_mention() {
    let s = site();
    let b = build(s.path());
    let all = mentions(&b, "tat-ca");
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|(t, ..)| t == "a"), "autolink = \"all\": {all:?}");
    assert!(mentions(&b, "khong").is_empty(), "autolink = \"none\"");

    // the entity page lists every mention, plain ones too, deep-linked
    let page = b.html("entities/ha-noi/index.html");
    let backlinks: Vec<String> = page
        .select(&sel("a.mention-backlink"))
        .filter_map(|a| a.value().attr("href").map(String::from))
        .collect();
    assert_eq!(backlinks.len(), 4, "{backlinks:?}"); // 2 in dau-tien, 2 in tat-ca
    for href in &backlinks {
        let (file, frag) = b.target_of(href, "entities/ha-noi/index.html").expect("resolves");
        let frag = frag.expect("a fragment");
        let target = b.html(&file);
        assert_eq!(
            target.select(&sel(&format!("[id=\"{frag}\"]"))).count(),
            1,
            "{href} points at one element"
        );
    }
}

/// A name right after or right before an explicit annotation, with no
/// space between them, is still found: touching is not overlapping.
#[test]
fn a_name_touching_an_explicit_annotation_is_found() {
    let s = site();
    let r = s.path();
    write(
        r,
        "content/articles/sat.md",
        "+++\ntitle = \"Sát\"\ndate = \"2026-11-22\"\n+++\nTuyến Mỹ Tho/Hà Nội mở.\n\nRồi Khánh Hòa/Mỹ Tho.\n",
    );
    write(
        r,
        "content/articles/sat.annotations.toml",
        "[[mention]]\nentity = \"my-tho\"\nexact = \"Mỹ Tho/\"\n\n\
         [[mention]]\nentity = \"my-tho\"\nexact = \"/Mỹ Tho\"\n",
    );
    let built = build(r);
    let found = named(&built, "sat");
    assert_eq!(
        as_strs(&found),
        [
            ("Mỹ Tho/", "my-tho"),
            ("Hà Nội", "ha-noi"),
            ("Khánh Hòa", "khanh-hoa"),
            ("/Mỹ Tho", "my-tho")
        ]
    );
}

/// Code right before or right after a name, touching it, does not stop
/// the name being found (only a name inside code, a heading or a link is
/// left alone), and an explicit mention touching code anchors.
#[test]
fn names_touching_code_are_found() {
    let s = site();
    let r = s.path();
    write(
        r,
        "content/articles/ma.md",
        "+++\ntitle = \"Mã\"\ndate = \"2026-11-23\"\nautolink = \"all\"\n+++\n\
         Mã `a` rồi Mỹ Tho`.` Sau đó `,`Hà Nội.\n\nHoa Kỳ`;` xa.\n",
    );
    write(
        r,
        "content/articles/ma.annotations.toml",
        "[[mention]]\nentity = \"my\"\nexact = \"Hoa Kỳ\"\n",
    );
    let built = build(r);
    let found = named(&built, "ma");
    assert_eq!(
        as_strs(&found),
        [("Mỹ Tho", "my-tho"), ("Hà Nội", "ha-noi"), ("Hoa Kỳ", "my")]
    );
}

/// A fenced code block and an image's alt text are never searched: the
/// names in them are left alone, and the names after them are found.
#[test]
fn code_blocks_and_image_text_are_left_alone() {
    let s = site();
    let r = s.path();
    write(
        r,
        "content/articles/khoi.md",
        "+++\ntitle = \"Khối\"\ndate = \"2026-11-24\"\nautolink = \"all\"\n+++\n\
         ```\nHà Nội\n```\n\n![Ảnh Mỹ Tho](anh.png)\n\nRồi Hà Nội và Mỹ Tho.\n",
    );
    let built = build(r);
    let found: Vec<String> = mentions(&built, "khoi")
        .into_iter()
        .map(|(_, _, text, _)| text)
        .collect();
    assert_eq!(found, ["Hà Nội", "Mỹ Tho"]);
    let page = built.html("articles/khoi/index.html");
    let code: String = page.select(&sel(".article-body pre")).flat_map(|e| e.text()).collect();
    assert_eq!(code.trim(), "Hà Nội");
    let alt: Vec<&str> = page
        .select(&sel(".article-body img"))
        .filter_map(|e| e.value().attr("alt"))
        .collect();
    assert_eq!(alt, ["Ảnh Mỹ Tho"]);
}
