//! The `glossa` binary as a user runs it: exit codes, the summary line,
//! `check --format json`, `check --fix`, `init`, and link checking.

mod common;

use std::process::Command;

use common::{copy_site, fixture};

fn glossa(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_glossa"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn check_passes_on_the_example_site_and_exits_0() {
    let root = common::seed_root();
    let (code, _, err) = glossa(&["--root", root.to_str().unwrap(), "check"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("0 errors, 0 warnings"), "{err}");
}

#[test]
fn errors_exit_1_warnings_exit_0_and_json_is_parseable() {
    let site = copy_site(&fixture("multi"), false);
    let root = site.path().to_str().unwrap();
    // A warning only: an edited quote re-anchors.
    let article = site.path().join("content/articles/chip-war.md");
    let text = std::fs::read_to_string(&article)
        .unwrap()
        .replace("Chúng tôi sẽ tự chủ.", "Chúng tôi sẽ luôn tự chủ.");
    std::fs::write(&article, text).unwrap();
    let (code, _, err) = glossa(&["--root", root, "check"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("0 errors, 1 warning"), "{err}");
    // --fix rewrites it; then the check is clean.
    let (code, _, err) = glossa(&["check", "--fix", "--root", root]);
    assert_eq!(code, 0);
    assert!(
        err.contains("fixed content/articles/chip-war.annotations.toml"),
        "{err}"
    );
    let (_, _, err) = glossa(&["--root", root, "check"]);
    assert!(err.contains("0 errors, 0 warnings"), "{err}");
    // An error: exit 1, in JSON with file, line and column.
    let ann = site.path().join("content/articles/open-models.annotations.toml");
    let text = std::fs::read_to_string(&ann)
        .unwrap()
        .replace("entity = \"alibaba\"", "entity = \"alibab\"");
    std::fs::write(&ann, text).unwrap();
    let (code, out, _) = glossa(&["--root", root, "check", "--format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON on stdout");
    assert_eq!(v["errors"], 1);
    let d = &v["diagnostics"][0];
    assert_eq!(d["file"], "content/articles/open-models.annotations.toml");
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(2), Some(10)));
    assert!(d["hint"].as_str().unwrap().contains("alibaba"));
    // build refuses, with the same diagnostics, and exit 1.
    let out_dir = site.path().join("out");
    let (code, _, err) = glossa(&["--root", root, "build", "--output-dir", out_dir.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("unknown entity `alibab`") && err.contains("Nothing was written."),
        "{err}"
    );
    assert!(!out_dir.exists());
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, _) = glossa(&["build", "--no-such-flag"]);
    assert_eq!(code, 2);
    let (code, _, _) = glossa(&["--root", "/no/such/dir", "check"]);
    assert_eq!(code, 2);
}

#[test]
fn check_finds_broken_internal_links_in_templates() {
    let site = copy_site(&fixture("multi"), false);
    std::fs::create_dir_all(site.path().join("templates")).unwrap();
    std::fs::write(
        site.path().join("templates/404.html"),
        "{% extends \"base.html\" %}{% block content %}<a href=\"{{ site.root }}nowhere/\">x</a><a href=\"{{ site.root }}entities/huawei/#m-none\">y</a><a href=\"#nope-here\">z</a><p id=\"here\"><a href=\"#here\">ok</a></p>{% endblock content %}",
    )
    .unwrap();
    let (code, _, err) = glossa(&["--root", site.path().to_str().unwrap(), "check"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("broken link `/sub/nowhere/`: no page nowhere/index.html"),
        "{err}"
    );
    assert!(
        err.contains("no element with id `m-none` on entities/huawei/index.html"),
        "{err}"
    );
    // a fragment of the page itself, checked against its own ids
    assert!(
        err.contains("broken link `#nope-here`: no element with id `nope-here` on 404.html"),
        "{err}"
    );
    assert_eq!(err.matches("broken link").count(), 3, "{err}");
}

#[test]
fn init_then_build() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("new-site");
    let (code, _, err) = glossa(&["init", site.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = glossa(&["--root", site.to_str().unwrap(), "build"]);
    assert_eq!(code, 0, "{err}");
    assert!(site.join("public/articles/bai-viet-dau-tien/index.html").is_file());
    let (code, _, err) = glossa(&["init", site.to_str().unwrap()]);
    assert_eq!(code, 1, "init never overwrites: {err}");
}

/// The last line of every build gives the output's size and file count — the cold build, and
/// the no-op build that reads them from the manifest — and they are the output folder's.
#[test]
fn build_ends_with_the_output_size_and_file_count() {
    let site = copy_site(&fixture("multi"), false);
    let out = tempfile::tempdir().unwrap();
    let (mut bytes, mut files) = (0u64, 0u64);
    for _ in 0..2 {
        let args = [
            "--root",
            site.path().to_str().unwrap(),
            "build",
            "--output-dir",
            out.path().to_str().unwrap(),
        ];
        let (code, _, err) = glossa(&args);
        assert_eq!(code, 0, "{err}");
        let last = err.lines().last().unwrap();
        assert!(last.starts_with("Built "), "{err}");
        assert!(!err.contains("warning: "), "a small site fits every host: {err}");
        (bytes, files) = (0, 0);
        for e in walkdir::WalkDir::new(out.path())
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
        {
            bytes += e.metadata().unwrap().len();
            files += 1;
        }
        let want = format!(": {} in {} files", glossa::output::hosting::human_bytes(bytes), files);
        assert!(last.ends_with(&want), "{last:?} should end with {want:?}");
    }
    assert!(files > 20 && bytes > 100_000, "{files} files, {bytes} bytes");
}

/// Progress goes to a terminal only: through a pipe (as in CI) a build's stderr is its summary
/// line alone, and `--quiet` leaves it empty; on a terminal (`script` gives the build one) the
/// phases and the bar of pages show, and are cleared before the summary line.
#[test]
fn progress_shows_on_a_terminal_only_and_quiet_prints_nothing_on_success() {
    let site = copy_site(&fixture("multi"), false);
    let root = site.path().to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let out = out.path().to_str().unwrap();
    let (code, _, err) = glossa(&["--root", root, "build", "--output-dir", out]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err.lines().count(), 1, "a pipe gets the summary line alone: {err:?}");
    assert!(err.starts_with("Built ") && !err.contains('\r'), "{err:?}");
    std::fs::remove_dir_all(out).unwrap();
    let (code, stdout, err) = glossa(&["--root", root, "--quiet", "build", "--output-dir", out]);
    assert_eq!((code, stdout.as_str(), err.as_str()), (0, "", ""));
    let (code, _, err) = glossa(&["--root", root, "check", "-q"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("0 errors, 0 warnings") && !err.contains('\r'), "{err:?}");

    // On a terminal: `script` (util-linux) runs the build on a pseudo-terminal.
    let Ok(script) = which_script() else {
        panic!("util-linux `script` is needed to give the build a terminal");
    };
    std::fs::remove_dir_all(out).unwrap();
    let glossa = env!("CARGO_BIN_EXE_glossa");
    let command = format!("{glossa} --root {root} build --output-dir {out}");
    let tty = Command::new(script)
        .args(["-qec", &command, "/dev/null"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&tty.stdout);
    assert!(tty.status.success(), "{shown}");
    assert!(shown.contains("rendering pages ["), "no bar on a terminal: {shown:?}");
    assert!(shown.contains("loading articles"), "no phase on a terminal: {shown:?}");
    let last = shown.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
    assert!(last.contains("Built "), "the summary line ends it: {shown:?}");
}

fn which_script() -> Result<std::path::PathBuf, ()> {
    ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.exists())
        .ok_or(())
}
