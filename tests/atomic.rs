//! All-or-nothing output: a build that fails midway — a template that fails
//! on some pages, or a write that fails after some files — leaves the
//! previous output byte-identical; stale files from earlier builds go.
//! (Its own test binary: it sets an environment variable.)

mod common;

use common::{copy_site, fixture, snapshot};
use glossa::BuildOptions;

#[test]
fn failed_builds_leave_the_previous_output_byte_identical() {
    let site = copy_site(&fixture("multi"), false);
    let out = site.path().join("public");
    let opts = BuildOptions {
        output_dir: Some(out.clone()),
        ..Default::default()
    };
    glossa::build(site.path(), &opts).ok().expect("first build");
    let before = snapshot(&out);
    assert!(before.len() > 20);

    // An edit that changes many pages, then a write failure after 3 files.
    let article = site.path().join("content/articles/chip-war.md");
    let edited = std::fs::read_to_string(&article)
        .unwrap()
        .replace("Cuộc chiến chip", "Cuộc chiến bán dẫn");
    std::fs::write(&article, edited).unwrap();
    // SAFETY: this test binary has no other test running concurrently that
    // reads the environment.
    unsafe { std::env::set_var("GLOSSA_FAIL_AFTER_WRITES", "3") };
    let failed = glossa::build(site.path(), &opts);
    unsafe { std::env::remove_var("GLOSSA_FAIL_AFTER_WRITES") };
    let failure = failed.expect_err("the injected failure fails the build");
    assert!(
        failure
            .diags
            .render(&failure.sources, false)
            .contains("injected write failure")
    );
    assert_eq!(snapshot(&out), before, "a failed write must not touch the output");
    assert!(
        !glossa::output::write::staging_dir(&out).exists(),
        "the staging dir is cleaned up"
    );

    // A template that fails on entity pages only: rendering fails midway.
    std::fs::create_dir_all(site.path().join("templates")).unwrap();
    std::fs::write(
        site.path().join("templates/entity.html"),
        "{{ entity.no_such_field.deeper }}",
    )
    .unwrap();
    let failure = glossa::build(site.path(), &opts).expect_err("a template error fails the build");
    assert!(
        failure
            .diags
            .render(&failure.sources, false)
            .contains("rendering entities/")
    );
    // the spot in the site's template: the field that is not there
    let told = failure.diags.render(&failure.sources, false);
    assert!(told.contains("templates/entity.html:1:11"), "{told}");
    assert_eq!(snapshot(&out), before);

    // Fixed: the build goes through, with the edit, and stale files go.
    std::fs::remove_file(site.path().join("templates/entity.html")).unwrap();
    std::fs::write(out.join("stale.html"), "from an older build").unwrap();
    std::fs::create_dir_all(out.join("articles/gone")).unwrap();
    std::fs::write(out.join("articles/gone/index.html"), "old").unwrap();
    let (report, _, _) = glossa::build(site.path(), &opts).ok().expect("fixed build");
    assert!(report.stats.written > 0);
    let after = snapshot(&out);
    assert!(
        !after.contains_key("stale.html") && !out.join("articles/gone").exists(),
        "stale files do not survive"
    );
    assert!(String::from_utf8_lossy(&after["articles/chip-war/index.html"]).contains("Cuộc chiến bán dẫn"));
}
