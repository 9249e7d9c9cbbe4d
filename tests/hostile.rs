//! Hostile and messy input: each gets a clear diagnostic or correct, safe
//! output — never a panic, never unescaped user text.

mod common;

use std::path::Path;

use common::build;

/// Writes a tiny site: files as (relative path, contents).
fn site(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, bytes) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    dir
}

fn check(root: &Path) -> (String, bool) {
    let loaded = glossa::load(root, &glossa::BuildOptions::default());
    (loaded.diags.render(&loaded.sources, false), loaded.diags.has_errors())
}

const EVIL: &str = r#"<script>alert(1)</script>\" onmouseover=\"x</textarea></script>"#;

#[test]
fn script_in_every_user_field_is_escaped_everywhere() {
    let article = format!(
        "+++\ntitle = \"T {EVIL}\"\ndate = \"2026-01-01\"\ndescription = \"D {EVIL}\"\ntags = [\"tag {EVIL}\"]\nauthors = [\"A {EVIL}\"]\nsource = \"S {EVIL}\"\nvia = \"V {EVIL}\"\n+++\nHello Ann said “hi there”.\n"
    );
    let entity = format!(
        "+++\nname = \"Ann {EVIL}\"\nkind = \"person\"\naliases = [\"al {EVIL}\"]\n+++\nDesc <script>alert(2)</script> {EVIL}\n"
    );
    let ann = format!(
        "[[mention]]\nentity = \"ann\"\nexact = \"Ann\"\n\n[[quote]]\nspeaker = \"ann\"\nexact = \"hi there\"\n\n[[note]]\nexact = \"Hello\"\nbody = \"N {EVIL}\"\n"
    );
    let dir = site(&[
        (
            "glossa.toml",
            format!("title = \"Site {EVIL}\"\ndescription = \"{EVIL}\"\n").as_bytes(),
        ),
        ("content/articles/a.md", article.as_bytes()),
        ("content/articles/a.annotations.toml", ann.as_bytes()),
        ("content/entities/ann.md", entity.as_bytes()),
    ]);
    let built = build(dir.path());
    let mut pages = built.html_files();
    pages.extend(["atom.xml".to_string(), "sitemap.xml".to_string()]);
    for rel in pages {
        let text = built.text(&rel);
        assert!(!text.contains("<script>alert"), "{rel} has an unescaped <script>");
        assert!(!text.contains("</textarea>"), "{rel} has an unescaped </textarea>");
        // No attribute was injected: the parsed page has no onmouseover anywhere.
        if rel.ends_with(".html") {
            let doc = scraper::Html::parse_document(&text);
            for el in doc.select(&common::sel("*")) {
                assert!(
                    el.value().attrs().all(|(k, _)| !k.starts_with("on")),
                    "{rel}: <{}> got an event handler",
                    el.value().name()
                );
            }
        }
        // The only </script> are the page's own script elements.
        let scripts_open = text.matches("<script").count();
        assert_eq!(
            text.matches("</script>").count(),
            scripts_open,
            "{rel}: a </script> escaped its element"
        );
    }
}

#[test]
fn javascript_and_data_urls_are_refused() {
    let dir = site(&[
        ("content/articles/a.md", b"+++\ntitle = \"T\"\ndate = \"2026-01-01\"\n+++\nclick here now\n"),
        ("content/articles/a.annotations.toml", b"[[link]]\nexact = \"click\"\nto = \"javascript:alert(1)\"\n\n[[link]]\nexact = \"now\"\nto = \"data:text/html,x\"\n"),
        ("content/entities/e.md", b"+++\nname = \"E\"\nkind = \"person\"\nurl = \"javascript:alert(1)\"\n+++\n"),
    ]);
    let (report, errors) = check(dir.path());
    assert!(errors);
    assert!(
        report.contains("a.annotations.toml:3:6") && report.contains("`javascript:alert(1)` does not resolve"),
        "{report}"
    );
    assert!(report.contains("a.annotations.toml:7:6"), "{report}");
    assert!(
        report.contains("e.md:4:8") && report.contains("`url` must be an http(s) address"),
        "{report}"
    );
}

#[test]
fn bom_crlf_and_nfd_input_anchor_like_clean_input() {
    let clean = site(&[
        (
            "content/articles/a.md",
            "+++\ntitle = \"Bắc Kinh\"\ndate = \"2026-01-01\"\n+++\nỞ Bắc Kinh hôm nay.\n".as_bytes(),
        ),
        (
            "content/articles/a.annotations.toml",
            "[[mention]]\nentity = \"bac-kinh\"\nexact = \"Bắc Kinh\"\n".as_bytes(),
        ),
        (
            "content/entities/bac-kinh.md",
            "+++\nname = \"Bắc Kinh\"\nkind = \"place\"\n+++\nThủ đô.\n".as_bytes(),
        ),
    ]);
    use unicode_normalization::UnicodeNormalization;
    let messy_article: String =
        "\u{feff}+++\r\ntitle = \"Bắc Kinh\"\r\ndate = \"2026-01-01\"\r\n+++\r\nỞ Bắc Kinh hôm nay.\r\n"
            .nfd()
            .collect();
    let messy = site(&[
        ("content/articles/a.md", messy_article.as_bytes()),
        (
            "content/articles/a.annotations.toml",
            "[[mention]]\r\nentity = \"bac-kinh\"\r\nexact = \"Bắc Kinh\"\r\n".as_bytes(),
        ),
        (
            "content/entities/bac-kinh.md",
            "+++\nname = \"Bắc Kinh\"\nkind = \"place\"\n+++\nThủ đô.\n".as_bytes(),
        ),
    ]);
    let a = build(clean.path());
    let b = build(messy.path());
    assert_eq!(a.text("articles/a/index.html"), b.text("articles/a/index.html"));
    assert!(a.text("articles/a/index.html").contains("id=\"m-bac-kinh-1\""));
}

#[test]
fn invalid_utf8_and_empty_files_get_diagnostics_not_panics() {
    let dir = site(&[
        (
            "content/articles/bad.md",
            b"+++\ntitle = \"x\"\ndate = \"2026-01-01\"\n+++\nca\xff\xfe phe\n",
        ),
        ("content/articles/empty.md", b""),
        ("content/entities/empty.md", b""),
    ]);
    let (report, errors) = check(dir.path());
    assert!(errors);
    assert!(report.contains("not valid UTF-8 (first bad byte at line 5"), "{report}");
    assert!(
        report.contains("content/articles/empty.md") && report.contains("no front matter"),
        "{report}"
    );
    assert!(report.contains("3 errors"), "{report}");
}

#[cfg(unix)]
#[test]
fn symlinks_in_content_are_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.md"),
        "+++\ntitle = \"secret\"\ndate = \"2026-01-01\"\n+++\nsecret\n",
    )
    .unwrap();
    let dir = site(&[(
        "content/articles/a.md",
        b"+++\ntitle = \"T\"\ndate = \"2026-01-01\"\n+++\nx\n",
    )]);
    std::os::unix::fs::symlink(
        outside.path().join("secret.md"),
        dir.path().join("content/articles/leak.md"),
    )
    .unwrap();
    let (report, errors) = check(dir.path());
    assert!(!errors, "{report}");
    assert!(
        report.contains("leak.md") && report.contains("symbolic link not followed"),
        "{report}"
    );
    let built = build(dir.path());
    assert!(!built.exists("articles/leak/index.html"));
}

#[test]
fn unknown_keys_are_reported_with_did_you_mean() {
    let dir = site(&[
        ("glossa.toml", b"titel = \"x\"\n"),
        (
            "content/articles/a.md",
            b"+++\ntitle = \"T\"\ndate = \"2026-01-01\"\ntgas = [\"x\"]\n+++\nx\n",
        ),
        (
            "content/entities/e.md",
            b"+++\nname = \"E\"\nkind = \"person\"\nalias = [\"x\"]\n+++\n",
        ),
    ]);
    let (report, errors) = check(dir.path());
    assert!(errors);
    assert!(
        report.contains("glossa.toml:1:1") && report.contains("did you mean `title`?"),
        "{report}"
    );
    assert!(
        report.contains("a.md:4:1") && report.contains("did you mean `tags`?"),
        "{report}"
    );
    assert!(
        report.contains("e.md:4:1") && report.contains("did you mean `aliases`?"),
        "{report}"
    );
}
