//! `glossa check`'s stamp (`.glossa-cache/check/`): a check with nothing
//! changed prints the same diagnostics and exits the same way without
//! checking again; an edit to any kind of input (article, annotation file,
//! entity, template, static file, config, i18n file, a flag, the last
//! build) makes it check again and report the new problem; the stamp is
//! what a replay prints (one tampered with is printed as it says); and
//! `--fix` always checks in full.

mod common;

use std::path::Path;

use common::{copy_site, fixture, glossa};

fn edit(root: &Path, rel: &str, from: &str, to: &str) {
    let path = root.join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{rel} has no {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

fn stamps(root: &Path) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(root.join(".glossa-cache/check")) {
        Ok(d) => d.flatten().map(|e| e.path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// The multi fixture with one warning (a quote that re-anchors), a
/// template of its own linking to a static file, and an i18n file.
fn site() -> tempfile::TempDir {
    let site = copy_site(&fixture("multi"), false);
    let root = site.path();
    edit(
        root,
        "content/articles/chip-war.md",
        "Chúng tôi sẽ tự chủ.",
        "Chúng tôi sẽ luôn tự chủ.",
    );
    common::write(
        root,
        "templates/404.html",
        "{% extends \"base.html\" %}{% block content %}<a href=\"{{ site.root }}extra.txt\">x</a>{% endblock content %}",
    );
    common::write(root, "static/extra.txt", "extra\n");
    common::write(root, "i18n/vi.toml", "home = \"Trang nhà\"\n");
    site
}

/// The site's check: exit 0 with its one warning, and the same again from
/// the stamp.
fn assert_clean_twice(root: &Path) -> String {
    let first = glossa(root, &["check"]);
    assert_eq!(first.0, 0, "{}", first.2);
    assert!(first.2.contains("0 errors, 1 warning"), "{}", first.2);
    assert_eq!(stamps(root).len(), 1, "a check without errors leaves a stamp");
    assert_eq!(glossa(root, &["check"]), first, "a check with nothing changed");
    first.2
}

#[test]
fn nothing_changed_gives_the_same_output_and_exit_code_from_the_stamp() {
    let site = site();
    let root = site.path();
    let human = assert_clean_twice(root);
    assert!(human.contains("chip-war"), "{human}");
    // JSON from the same stamp, same as a fresh check's
    let json = glossa(root, &["check", "--format", "json"]);
    std::fs::remove_dir_all(root.join(".glossa-cache/check")).unwrap();
    assert_eq!(glossa(root, &["check", "--format", "json"]), json);
    let v: serde_json::Value = serde_json::from_str(&json.1).unwrap();
    assert_eq!((v["errors"].as_u64(), v["warnings"].as_u64()), (Some(0), Some(1)));
    assert!(v["diagnostics"][0]["line"].as_u64().is_some(), "{v}");

    // What a replay prints is the stamp: one that says something else is
    // printed as it says (so the second check above did not check again) …
    let stamp = &stamps(root)[0];
    let text = std::fs::read_to_string(stamp).unwrap();
    let (head, body) = text.split_once('\n').unwrap();
    let lie = body.replacen("\"message\":\"", "\"message\":\"STAMPED ", 1);
    std::fs::write(stamp, format!("{head}\n{lie}")).unwrap();
    let (code, _, err) = glossa(root, &["check"]);
    assert_eq!(code, 0);
    assert!(err.contains("STAMPED "), "{err}");
    // … a damaged one is ignored, and any edit checks again.
    std::fs::write(stamp, format!("{head}\n{{not json")).unwrap();
    assert_eq!(glossa(root, &["check"]).2, human);
    let lie = body.replacen("\"message\":\"", "\"message\":\"STAMPED ", 1);
    std::fs::write(stamp, format!("{head}\n{lie}")).unwrap();
    edit(root, "content/articles/plain.md", "Bài này", "Bài  này");
    assert!(!glossa(root, &["check"]).2.contains("STAMPED"));
}

#[test]
fn an_edit_to_each_kind_of_input_checks_again() {
    let site = site();
    let root = site.path();
    // (file, from, to, what check must now report)
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "content/articles/plain.md",
            "Bài này",
            "[x](/sub/nowhere-article/) Bài này",
            "broken link `/sub/nowhere-article/`",
        ),
        (
            "content/articles/open-models.annotations.toml",
            "entity = \"alibaba\"",
            "entity = \"alibab\"",
            "unknown entity `alibab`",
        ),
        (
            "content/entities/alibaba.md",
            "Alibaba là",
            "[x](/sub/nowhere-entity/) Alibaba là",
            "broken link `/sub/nowhere-entity/`",
        ),
        (
            "templates/404.html",
            "extra.txt\">x</a>",
            "extra.txt\">x</a><a href=\"{{ site.root }}nowhere-template/\">y</a>",
            "broken link `/sub/nowhere-template/`",
        ),
        ("glossa.toml", "title =", "titel = \"x\"\ntitle =", "titel"),
        ("i18n/vi.toml", "home =", "hme =", "hme"),
    ];
    for &(file, from, to, problem) in cases {
        let clean = assert_clean_twice(root);
        edit(root, file, from, to);
        let (code, _, err) = glossa(root, &["check"]);
        assert!(err.contains(problem), "after editing {file}: {err}");
        assert_ne!((code, &err), (0, &clean), "{file}");
        edit(root, file, to, from);
    }

    // A static file removed: the template's link to it breaks.
    assert_clean_twice(root);
    std::fs::remove_file(root.join("static/extra.txt")).unwrap();
    let (code, _, err) = glossa(root, &["check"]);
    assert_eq!(code, 1);
    assert!(err.contains("broken link `/sub/extra.txt`"), "{err}");
    common::write(root, "static/extra.txt", "extra\n");

    // A flag: a draft with a broken link counts only with --drafts.
    assert_clean_twice(root);
    common::write(
        root,
        "content/articles/draft.md",
        "+++\ntitle = \"Nháp\"\ndate = \"2026-11-02\"\ndraft = true\n+++\n[x](/sub/nowhere-draft/)\n",
    );
    assert_clean_twice(root);
    let (code, _, err) = glossa(root, &["check", "--drafts"]);
    assert_eq!(code, 1);
    assert!(err.contains("broken link `/sub/nowhere-draft/`"), "{err}");
    assert_clean_twice(root);
}

#[test]
fn the_last_build_is_an_input_of_the_permalink_warning() {
    let site = site();
    let root = site.path();
    let out = root.join("out");
    let out = out.to_str().unwrap();
    assert_eq!(glossa(root, &["build", "-o", out]).0, 0);
    assert_clean_twice(root);
    // the quote's pinned id changes: its page of the last build would be gone
    let ann = "content/articles/chip-war.annotations.toml";
    edit(root, ann, "id = \"huawei-tu-chu\"", "id = \"huawei-tu-chu-2\"");
    let (code, _, err) = glossa(root, &["check"]);
    assert_eq!(code, 0);
    assert!(err.contains("/sub/quotes/huawei-tu-chu/"), "{err}");
    assert_eq!(glossa(root, &["check"]).2, err, "from the stamp");
    // after a build with that id, no input file changed but the warning is gone
    assert_eq!(glossa(root, &["build", "-o", out]).0, 0);
    let (code, _, err) = glossa(root, &["check"]);
    assert_eq!(code, 0);
    assert!(!err.contains("/sub/quotes/huawei-tu-chu/"), "{err}");
}

#[test]
fn fix_always_checks_in_full_and_leaves_no_stamp() {
    let site = site();
    let root = site.path();
    assert_clean_twice(root);
    let (code, _, err) = glossa(root, &["check", "--fix"]);
    assert_eq!(code, 0);
    assert!(
        err.contains("fixed content/articles/chip-war.annotations.toml"),
        "{err}"
    );
    let (code, _, err) = glossa(root, &["check"]);
    assert_eq!(code, 0);
    assert!(err.contains("0 errors, 0 warnings"), "{err}");
}
