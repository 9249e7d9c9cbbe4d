//! `glossa init` scaffolds a site that builds at once, with annotations
//! that anchor, and refuses to overwrite.

mod common;

use common::{build, sel};

#[test]
fn init_scaffolds_a_site_that_builds_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    let files = glossa::commands::init::init(&root, false).unwrap();
    assert!(files.len() >= 5);
    let loaded = glossa::load(&root, &Default::default());
    assert!(
        loaded.diags.is_empty(),
        "{}",
        loaded.diags.render(&loaded.sources, false)
    );
    let site = build(&root);
    let page = site.html("articles/bai-viet-dau-tien/index.html");
    assert_eq!(page.select(&sel(".article-body a.mention")).count(), 3);
    assert_eq!(page.select(&sel(".article-body mark.quote")).count(), 1);
    assert_eq!(page.select(&sel(".article-body .sidenote")).count(), 1);
    assert!(site.exists("entities/ha-noi/index.html") && site.exists("quotes/lan-thanh-pho/index.html"));
    // Again: refused, nothing overwritten.
    assert!(glossa::commands::init::init(&root, false).is_err());
}

#[test]
fn init_with_templates_copies_the_defaults_which_still_build() {
    let dir = tempfile::tempdir().unwrap();
    glossa::commands::init::init(dir.path(), true).unwrap();
    assert!(dir.path().join("templates/article.html").is_file());
    assert!(dir.path().join("static/style.css").is_file());
    let site = build(dir.path());
    assert!(site.exists("articles/bai-viet-dau-tien/index.html"));
}
