//! Every page of the example site and of the fixtures (one of them also
//! with one item a page) passes the Nu HTML Checker (vnu.jar, from npm's
//! `vnu-jar`) with zero errors, in one batch call. `.ci/run` installs it and sets `VNU_JAR`; elsewhere the test says
//! it was skipped, and under CI a missing checker is a failure.

mod common;

use std::process::Command;

use common::{build, copy_site, fixture, seed_root};

#[test]
fn every_page_is_valid_html5() {
    let Some(jar) = std::env::var_os("VNU_JAR") else {
        assert!(std::env::var_os("CI").is_none(), "CI must set VNU_JAR (see .ci/run)");
        eprintln!("skipped: set VNU_JAR to the path of vnu.jar to validate the HTML");
        return;
    };
    let seed = build(&seed_root());
    let multi = build(&fixture("multi"));
    // (and with one item a page, so that every list has pages, an entity's mentions among them)
    let paged_site = copy_site(&fixture("multi"), false);
    let toml = paged_site.path().join("glossa.toml");
    std::fs::write(&toml, std::fs::read_to_string(&toml).unwrap() + "paginate_by = 1\n").unwrap();
    let paged = build(paged_site.path());
    assert!(paged.exists("entities/huawei/page/2/index.html"));
    let mut files = Vec::new();
    for site in [&seed, &multi, &paged] {
        files.extend(site.html_files().into_iter().map(|f| site.path(&f)));
    }
    assert!(
        files.len() > 60,
        "expected every page of both sites, got {}",
        files.len()
    );
    let out = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args(["--errors-only", "--format", "gnu"])
        .args(&files)
        .output()
        .expect("java runs");
    let report = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && report.trim().is_empty(),
        "the Nu HTML Checker found errors:\n{report}"
    );
}
