//! Drafts: an article with `draft = true` is left out of everything a
//! build publishes — its page and card, the home page and tag lists, the
//! feed, the sitemap, the search index, the entity pages' mentions, its
//! quotes and a tag only it uses — unless the build is asked for drafts
//! (`--drafts`), which puts it in all of them. A watch session that sees an
//! article become a draft removes it the same way.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{copy_site, fixture, snapshot, write};
use glossa::BuildOptions;

const TITLE: &str = "Bài nháp chưa xuất bản";
const SLUG: &str = "ban-nhap";

/// The multi fixture plus a draft that is the only article naming TSMC,
/// the only one tagged "Bản nháp", and that holds a quote.
fn site_with_draft() -> tempfile::TempDir {
    let site = copy_site(&fixture("multi"), false);
    let r = site.path();
    write(
        r,
        "content/entities/tsmc.md",
        "+++\nname = \"TSMC\"\nkind = \"organization\"\n+++\nHãng đúc chip Đài Loan.\n",
    );
    write(
        r,
        &format!("content/articles/{SLUG}.md"),
        &format!(
            "+++\ntitle = \"{TITLE}\"\ndate = \"2026-11-27\"\ndraft = true\n\
             description = \"Một bài còn đang viết.\"\ntags = [\"Bản nháp\", \"AI\"]\n+++\n\
             TSMC và Huawei, theo một nguồn tin: “Sẽ có thêm nhà máy mới.”\n"
        ),
    );
    write(
        r,
        &format!("content/articles/{SLUG}.annotations.toml"),
        "[[mention]]\nentity = \"tsmc\"\nexact = \"TSMC\"\n\n\
         [[quote]]\nid = \"nha-may-moi\"\nspeaker = \"tsmc\"\nexact = \"Sẽ có thêm nhà máy mới.\"\n",
    );
    site
}

fn build(root: &Path, drafts: bool) -> (tempfile::TempDir, BTreeMap<String, Vec<u8>>) {
    let out = tempfile::tempdir().unwrap();
    let opts = BuildOptions {
        output_dir: Some(out.path().to_path_buf()),
        drafts,
        ..Default::default()
    };
    if let Err(f) = glossa::build(root, &opts) {
        panic!("build failed:\n{}", f.diags.render(&f.sources, false));
    }
    let files = snapshot(out.path());
    (out, files)
}

/// The output files whose text mentions the draft (its URL, slug or title).
fn naming_the_draft(files: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    files
        .iter()
        .filter(|(_, bytes)| {
            let text = String::from_utf8_lossy(bytes);
            text.contains(&format!("/articles/{SLUG}/")) || text.contains(TITLE) || text.contains("nha-may-moi")
        })
        .map(|(path, _)| path.clone())
        .collect()
}

fn text(files: &BTreeMap<String, Vec<u8>>, path: &str) -> String {
    String::from_utf8(files.get(path).unwrap_or_else(|| panic!("no {path}")).clone()).unwrap()
}

#[test]
fn a_draft_is_published_nowhere_unless_drafts_are_asked_for() {
    let site = site_with_draft();
    let (_out, files) = build(site.path(), false);
    let draft_files: Vec<&String> = files
        .keys()
        .filter(|p| p.starts_with(&format!("articles/{SLUG}/")) || p.starts_with("quotes/nha-may-moi/"))
        .collect();
    assert!(draft_files.is_empty(), "{draft_files:?}");
    assert_eq!(naming_the_draft(&files), Vec::<String>::new());
    assert!(
        !files.keys().any(|p| p.starts_with("tags/ban-nhap/")),
        "a tag only the draft uses"
    );
    // TSMC has its page, but no mention from the draft
    assert!(!text(&files, "entities/tsmc/index.html").contains("mention-backlink"));

    let (_out, files) = build(site.path(), true);
    let url = format!("/sub/articles/{SLUG}/");
    let page = text(&files, &format!("articles/{SLUG}/index.html"));
    assert!(page.contains(TITLE));
    // its share image (the site's: articles have none of their own by default) is written
    let image = page
        .split("property=\"og:image\" content=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the draft's page names a share image");
    let image = image.trim_start_matches("https://example.org/sub/");
    assert!(files.contains_key(image), "{image}");
    assert!(text(&files, "index.html").contains(&format!("href=\"{url}\"")), "home");
    assert!(text(&files, "tags/ban-nhap/index.html").contains(&format!("href=\"{url}\"")));
    assert!(text(&files, "tags/ai/index.html").contains(&format!("href=\"{url}\"")));
    assert!(
        text(&files, "atom.xml").contains(&format!("https://example.org{url}")),
        "feed"
    );
    assert!(
        text(&files, "sitemap.xml").contains(&format!("<loc>https://example.org{url}</loc>")),
        "sitemap"
    );
    // the search index's result lines for articles
    let lines: Vec<serde_json::Value> = files
        .keys()
        .filter(|p| p.starts_with("search/a/"))
        .flat_map(|p| serde_json::from_str::<Vec<serde_json::Value>>(&text(&files, p)).unwrap())
        .collect();
    assert!(lines.iter().any(|d| d["u"] == url.as_str()), "search index");
    let tsmc = text(&files, "entities/tsmc/index.html");
    assert!(
        tsmc.contains(&format!("href=\"{url}#m-tsmc-1\"")),
        "entity page mention"
    );
    assert!(files.contains_key("quotes/nha-may-moi/index.html"));
    assert!(text(&files, "quotes/index.html").contains("Sẽ có thêm nhà máy mới."));
}

#[test]
fn an_article_turned_draft_while_watching_is_removed() {
    let site = site_with_draft();
    let r = site.path();
    let draft = r.join(format!("content/articles/{SLUG}.md"));
    let published = std::fs::read_to_string(&draft).unwrap().replace("draft = true\n", "");
    std::fs::write(&draft, &published).unwrap();
    let out = tempfile::tempdir().unwrap();
    let opts = BuildOptions {
        output_dir: Some(out.path().to_path_buf()),
        ..Default::default()
    };
    let mut session = glossa::output::session::Session::watching(r, opts);
    assert!(matches!(
        session.rebuild(&[]),
        glossa::output::session::Outcome::Built { .. }
    ));
    assert!(!naming_the_draft(&snapshot(out.path())).is_empty());

    std::fs::write(&draft, published.replace("+++\ntitle", "+++\ndraft = true\ntitle")).unwrap();
    let rel = Path::new("content/articles").join(format!("{SLUG}.md"));
    match session.rebuild(&[rel]) {
        glossa::output::session::Outcome::Built { removed, .. } => {
            assert!(removed.contains(&format!("articles/{SLUG}/index.html")), "{removed:?}")
        }
        glossa::output::session::Outcome::Failed { diags, sources } => panic!("{}", diags.render(&sources, false)),
    }
    let files = snapshot(out.path());
    assert_eq!(naming_the_draft(&files), Vec::<String>::new());
    let (_fresh, want) = build(r, false);
    assert_eq!(files, want, "the same as a build from scratch");
}

/// A link to a draft: an error without `--drafts` (the draft is not an
/// article of that build), a link with it — also when the articles are
/// loaded in batches that take every file for an article until all are
/// read, and when the linking article's anchoring was stored by a build
/// with drafts.
#[test]
fn a_link_to_a_draft_is_an_error_unless_drafts_are_built() {
    let site = site_with_draft();
    let r = site.path();
    write(
        r,
        "content/articles/plain.annotations.toml",
        &format!("[[link]]\nexact = \"không nhắc\"\nto = \"@/articles/{SLUG}.md\"\n"),
    );
    let (_out, files) = build(r, true);
    let href = format!("href=\"/sub/articles/{SLUG}/\"");
    assert!(text(&files, "articles/plain/index.html").contains(&href));
    let opts = BuildOptions::default();
    let Err(failure) = glossa::build(r, &opts) else {
        panic!("a link to a draft fails the build")
    };
    let shown = failure.diags.render(&failure.sources, false);
    assert!(shown.contains("plain.annotations.toml"), "{shown}");
    assert!(shown.contains(SLUG), "{shown}");
}
