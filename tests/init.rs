//! `glossa init` scaffolds a site that builds at once, with annotations
//! that anchor, and refuses to overwrite.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{build, sel};
use glossa::render::templates::{DEFAULTS, STATIC_DEFAULTS};

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

/// Every file under `dir/sub` (relative path → text).
fn files_under(dir: &Path, sub: &str) -> BTreeMap<String, String> {
    common::snapshot(&dir.join(sub))
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8(v).unwrap()))
        .collect()
}

/// `init --templates` copies the built-in templates and static files as
/// they are, so the copy builds the very site the built-in ones do.
#[test]
fn init_with_templates_copies_the_defaults_which_build_the_same_site() {
    let dir = tempfile::tempdir().unwrap();
    let (with, without) = (dir.path().join("with"), dir.path().join("without"));
    glossa::commands::init::init(&with, true).unwrap();
    glossa::commands::init::init(&without, false).unwrap();
    let builtin = |list: &[(&str, &str)]| -> BTreeMap<String, String> {
        list.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect()
    };
    assert_eq!(files_under(&with, "templates"), builtin(DEFAULTS));
    assert_eq!(files_under(&with, "static"), builtin(STATIC_DEFAULTS));
    assert!(!without.join("templates").exists());
    let (a, b) = (build(&with), build(&without));
    let (a, b) = (common::snapshot(a.out.path()), common::snapshot(b.out.path()));
    assert!(a.contains_key("articles/bai-viet-dau-tien/index.html"));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(&b[path] == bytes, "{path} differs");
    }
}
