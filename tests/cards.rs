//! The `cards` setting of `glossa.toml`: which pages get a share card. For
//! each value a small site is built and every page parsed: every image a page
//! names (`og:image`, `twitter:image`, JSON-LD `image`) is a written PNG, every
//! written PNG is named by some page, and the pages without a card of their
//! own name the site's card — or, with `cards = "none"`, nothing at all.

mod common;

use std::collections::BTreeSet;

use common::{Built, build, copy_site, fixture, sel};
use tempfile::TempDir;

const BASE: &str = "https://example.org/sub/";

/// The multi fixture with `cards = VALUE` added (none: the default), built.
fn site_with(cards: Option<&str>) -> (TempDir, Built) {
    let root = copy_site(&fixture("multi"), false);
    if let Some(v) = cards {
        let toml = root.path().join("glossa.toml");
        let text = std::fs::read_to_string(&toml).unwrap();
        std::fs::write(&toml, format!("{text}cards = \"{v}\"\n")).unwrap();
    }
    let built = build(root.path());
    (root, built)
}

/// The images a page names: `og:image`, `twitter:image`, JSON-LD `image`.
fn images(site: &Built, rel: &str) -> Vec<String> {
    let page = site.html(rel);
    let mut out: Vec<String> = page
        .select(&sel("meta[property='og:image'], meta[name='twitter:image']"))
        .filter_map(|m| m.value().attr("content").map(str::to_string))
        .collect();
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x) {
                        ("image", serde_json::Value::String(s)) => out.push(s.clone()),
                        _ => walk(x, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    for s in page.select(&sel("script[type='application/ld+json']")) {
        let v: serde_json::Value = serde_json::from_str(&s.text().collect::<String>()).unwrap();
        walk(&v, &mut out);
    }
    out
}

fn og_image(site: &Built, rel: &str) -> Option<String> {
    site.html(rel)
        .select(&sel("meta[property='og:image']"))
        .next()
        .and_then(|m| m.value().attr("content").map(str::to_string))
}

fn twitter_card(site: &Built, rel: &str) -> String {
    site.html(rel)
        .select(&sel("meta[name='twitter:card']"))
        .next()
        .and_then(|m| m.value().attr("content").map(str::to_string))
        .unwrap()
}

/// Every PNG of the output, relative.
fn pngs(site: &Built) -> BTreeSet<String> {
    walkdir::WalkDir::new(site.out.path())
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
        .map(|e| {
            e.path()
                .strip_prefix(site.out.path())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// Checks that every named image is a written 1200×630 PNG and every written
/// PNG is named; returns the PNGs.
fn images_resolve(site: &Built) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for rel in site.html_files() {
        for url in images(site, &rel) {
            let file = url
                .strip_prefix(BASE)
                .unwrap_or_else(|| panic!("{rel}: image {url} is not under {BASE}"));
            assert!(site.exists(file), "{rel}: image {url} was not written");
            named.insert(file.to_string());
        }
    }
    let written = pngs(site);
    for f in &written {
        let bytes = std::fs::read(site.path(f)).unwrap();
        let info = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap()
            .info()
            .clone();
        assert_eq!((info.width, info.height), (1200, 630), "{f}");
    }
    let unnamed: Vec<&String> = written.difference(&named).collect();
    assert!(unnamed.is_empty(), "PNGs no page names: {unnamed:?}");
    written
}

fn quote_pages(site: &Built) -> Vec<String> {
    site.html_files()
        .into_iter()
        .filter(|f| f.starts_with("quotes/") && f.ends_with("/index.html") && !f.starts_with("quotes/page/"))
        .filter(|f| f != "quotes/index.html")
        .collect()
}

fn article_pages(site: &Built) -> Vec<String> {
    site.html_files()
        .into_iter()
        .filter(|f| f.starts_with("articles/") && f.ends_with("/index.html"))
        .collect()
}

#[test]
fn quotes_have_their_own_card_and_other_pages_the_sites() {
    let (_root, site) = site_with(Some("quotes"));
    let written = images_resolve(&site);
    let quotes = quote_pages(&site);
    assert!(!quotes.is_empty());
    for q in &quotes {
        let own = format!("{BASE}{}card.png", q.trim_end_matches("index.html"));
        assert_eq!(og_image(&site, q).as_deref(), Some(own.as_str()), "{q}");
        assert_eq!(twitter_card(&site, q), "summary_large_image");
    }
    let site_card = format!("{BASE}card.png");
    for a in article_pages(&site) {
        assert_eq!(og_image(&site, &a).as_deref(), Some(site_card.as_str()), "{a}");
        assert!(images(&site, &a).iter().all(|i| *i == site_card), "{a}");
    }
    assert_eq!(og_image(&site, "index.html").as_deref(), Some(site_card.as_str()));
    assert_eq!(
        written.len(),
        quotes.len() + 1,
        "a card per quote and the site's: {written:?}"
    );
}

#[test]
fn all_gives_articles_their_own_card_too() {
    let (_root, site) = site_with(Some("all"));
    let written = images_resolve(&site);
    let articles = article_pages(&site);
    for a in &articles {
        let own = format!("{BASE}{}card.png", a.trim_end_matches("index.html"));
        assert_eq!(og_image(&site, a).as_deref(), Some(own.as_str()), "{a}");
        assert!(images(&site, a).contains(&own), "JSON-LD names it too: {a}");
    }
    assert_eq!(written.len(), quote_pages(&site).len() + articles.len() + 1);
}

#[test]
fn none_writes_no_png_and_no_page_names_one() {
    let (_root, site) = site_with(Some("none"));
    assert_eq!(pngs(&site), BTreeSet::new());
    for rel in site.html_files() {
        assert_eq!(images(&site, &rel), Vec::<String>::new(), "{rel}");
        assert_eq!(twitter_card(&site, &rel), "summary", "{rel}");
    }
    images_resolve(&site);
}

/// Without the key, the output is that of the default the configuration
/// reference states.
#[test]
fn the_default_is_what_the_docs_say() {
    let doc = std::fs::read_to_string(common::seed_root().join("docs/configuration.md")).unwrap();
    let line = doc
        .lines()
        .find(|l| l.starts_with("| `cards` |"))
        .expect("docs/configuration.md's table describes `cards`");
    let default = ["quotes", "all", "none"]
        .into_iter()
        .find(|v| line.starts_with(&format!("| `cards` | `\"{v}\"` |")))
        .unwrap_or_else(|| panic!("no default named in: {line}"));
    let (_a, unset) = site_with(None);
    let (_b, stated) = site_with(Some(default));
    assert_eq!(common::snapshot(unset.out.path()), common::snapshot(stated.out.path()));
    images_resolve(&unset);
}

/// A mistyped key gets a "did you mean", a wrong value the accepted ones.
#[test]
fn bad_cards_settings_are_diagnosed() {
    for (toml, expect) in [
        ("card = \"all\"\n", "cards"),
        ("cards = \"some\"\n", "\"quotes\", \"all\" or \"none\""),
    ] {
        let root = copy_site(&fixture("multi"), false);
        let path = root.path().join("glossa.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{text}{toml}")).unwrap();
        let loaded = glossa::load(root.path(), &glossa::BuildOptions::default());
        assert!(loaded.diags.has_errors(), "{toml}");
        let shown = loaded.diags.render(&loaded.sources, false);
        assert!(shown.contains("glossa.toml:4:"), "{shown}");
        assert!(shown.contains(expect), "{toml}: {shown}");
    }
}
