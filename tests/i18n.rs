//! The site's language end to end: `language` in glossa.toml decides the
//! `lang` of every page and of the feed, and the UI strings (navigation,
//! headings, kind and relation labels, dates); `i18n/LANG.toml` changes
//! some strings of a built-in language or adds a language, the rest
//! falling back to the built-in table.

mod common;

use std::path::Path;

use common::{Built, build, copy_site, fixture, sel};

/// The multi fixture with `language = "…"` and, when given, `i18n/LANG.toml`.
fn site_in(language: &str, i18n: Option<&str>) -> tempfile::TempDir {
    let site = copy_site(&fixture("multi"), false);
    let cfg = site.path().join("glossa.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(text.contains("language = \"vi\""));
    std::fs::write(
        &cfg,
        text.replace("language = \"vi\"", &format!("language = \"{language}\"")),
    )
    .unwrap();
    if let Some(strings) = i18n {
        common::write(site.path(), &format!("i18n/{language}.toml"), strings);
    }
    site
}

fn texts(b: &Built, rel: &str, selector: &str) -> Vec<String> {
    b.html(rel)
        .select(&sel(selector))
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

/// Every page's `<html lang>` and the feed's `xml:lang`.
fn assert_language(b: &Built, lang: &str) {
    for rel in b.html_files() {
        let page = b.html(&rel);
        let html = page.select(&sel("html")).next().unwrap();
        assert_eq!(html.value().attr("lang"), Some(lang), "{rel}");
    }
    assert!(b.text("atom.xml").contains(&format!("xml:lang=\"{lang}\"")));
}

/// Text the Vietnamese UI shows and no article of the fixture contains.
const VI_ONLY: &[&str] = &[
    "Trang chủ",
    "Chuyển đến nội dung chính",
    "Thực thể",
    "Trích dẫn nổi bật",
    "Tổ chức",
    "Đối thủ của",
    "tháng 11",
];

#[test]
fn an_english_site_has_english_pages() {
    let site = site_in("en", None);
    let b = build(site.path());
    assert_language(&b, "en");
    let article = "articles/chip-war/index.html";
    assert_eq!(
        texts(&b, article, ".site-nav a"),
        ["Home", "Entities", "Quotes", "Tags", "Search"]
    );
    assert_eq!(texts(&b, article, ".skip-link"), ["Skip to main content"]);
    assert_eq!(texts(&b, article, "time.dt-published"), ["20 November 2026"]);
    let huawei = "entities/huawei/index.html";
    assert_eq!(
        texts(&b, huawei, ".relation-label"),
        ["Competitor of", "Manufactured by"]
    );
    assert!(texts(&b, "entities/index.html", ".kind-nav a").contains(&"Organisations".to_string()));
    assert!(b.text("index.html").contains("Featured quotes"));
    for rel in b.html_files() {
        let text = b.text(&rel);
        for vi in VI_ONLY {
            assert!(!text.contains(vi), "{rel} shows the Vietnamese {vi:?}");
        }
    }
    // the same site in Vietnamese shows them (so the list above means something)
    let vi = build(&fixture("multi"));
    assert_language(&vi, "vi");
    assert_eq!(texts(&vi, article, "time.dt-published"), ["20/11/2026"]);
    assert_eq!(
        texts(&vi, huawei, ".relation-label"),
        ["Đối thủ của", "Chip được sản xuất bởi"]
    );
    let all: String = vi.html_files().iter().map(|r| vi.text(r)).collect();
    for s in VI_ONLY.iter().filter(|s| **s != "tháng 11") {
        assert!(all.contains(s), "{s}");
    }
}

#[test]
fn an_i18n_file_changes_some_strings_of_a_built_in_language() {
    let site = site_in(
        "vi",
        Some(
            "home = \"Nhà\"\nskip_to_content = \"Bỏ qua\"\ndate_format = \"{d}.{m}.{y}\"\n[kind]\norganization = \"Doanh nghiệp\"\n",
        ),
    );
    let b = build(site.path());
    assert_language(&b, "vi");
    let article = "articles/chip-war/index.html";
    assert_eq!(
        texts(&b, article, ".site-nav a"),
        ["Nhà", "Thực thể", "Trích dẫn", "Chủ đề", "Tìm kiếm"],
        "the others stay Vietnamese"
    );
    assert_eq!(texts(&b, article, ".skip-link"), ["Bỏ qua"]);
    assert_eq!(texts(&b, article, "time.dt-published"), ["20.11.2026"]);
    assert!(texts(&b, "entities/index.html", ".kind-nav a").contains(&"Doanh nghiệp".to_string()));
}

#[test]
fn an_i18n_file_adds_a_language() {
    let site = site_in(
        "fr",
        Some(
            "home = \"Accueil\"\nentities = \"Entités\"\ndate_format = \"{day} {month} {y}\"\n\
             months = [\"janvier\", \"février\", \"mars\", \"avril\", \"mai\", \"juin\", \"juillet\", \"août\", \"septembre\", \"octobre\", \"novembre\", \"décembre\"]\n",
        ),
    );
    let b = build(site.path());
    assert_language(&b, "fr");
    let article = "articles/chip-war/index.html";
    assert_eq!(
        texts(&b, article, ".site-nav a"),
        ["Accueil", "Entités", "Quotes", "Tags", "Search"],
        "unset strings fall back to English"
    );
    assert_eq!(texts(&b, article, "time.dt-published"), ["20 novembre 2026"]);
    // A typo in the file is an error with a suggestion, not a silent default.
    common::write(site.path(), "i18n/fr.toml", "hme = \"Accueil\"\n");
    let loaded = glossa::load(site.path(), &Default::default());
    let report = loaded.diags.render(&loaded.sources, false);
    assert!(loaded.diags.has_errors(), "{report}");
    assert!(
        report.contains(&Path::new("i18n").join("fr.toml").display().to_string())
            && report.contains("did you mean `home`?"),
        "{report}"
    );
}
