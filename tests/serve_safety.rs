//! The preview server serves only files inside the output directory, with
//! the right content types, the site's 404 page, and under a base-URL
//! sub-path.

mod common;
mod serve_http;

use std::time::Duration;

use glossa::serve::{ServeOptions, Server, start};
use serve_http::{get, request};

/// The multi fixture served under `https://x.org/sub/`, plus a secret file
/// outside the output dir and symlinks to it from inside.
fn served() -> (tempfile::TempDir, tempfile::TempDir, Server) {
    let site = common::copy_site(&common::fixture("multi"), false);
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "TOP SECRET").unwrap();
    let mut opts = ServeOptions::new(site.path());
    opts.port = 0;
    opts.color = false;
    opts.debounce = Duration::from_millis(80);
    opts.build.base_url = Some("https://x.org/sub/".into());
    let server = start(opts).expect("server starts");
    #[cfg(unix)]
    {
        let out = server.output_dir();
        std::os::unix::fs::symlink(outside.path().join("secret.txt"), out.join("leak.txt")).unwrap();
        std::os::unix::fs::symlink(outside.path(), out.join("leakdir")).unwrap();
    }
    (site, outside, server)
}

#[test]
fn only_files_inside_the_output_dir_are_served() {
    let (_site, _outside, server) = served();
    let addr = server.addr();
    assert_eq!(server.root_path(), "/sub/");
    assert_eq!(get(addr, "/sub/articles/chip-war/").status, 200);
    for bad in [
        "/sub/../secret.txt",
        "/sub/articles/../../secret.txt",
        "/sub/%2e%2e/secret.txt",
        "/sub/%2E%2E/%2e%2e/etc/passwd",
        "/sub/articles%2Fchip-war%2Findex.html",
        "/sub/articles%2fchip-war/",
        "/sub/..%5csecret.txt",
        "/sub/index.html%00",
        "/sub/leak.txt",
        "/sub/leakdir/secret.txt",
        "/sub/leakdir/",
        "/sub/./index.html",
        "/sub//etc/passwd",
        "/sub/%zz",
    ] {
        let r = get(addr, bad);
        assert_eq!(r.status, 404, "{bad}");
        assert!(!r.text().contains("TOP SECRET"), "{bad}");
        assert!(!r.text().contains("root:"), "{bad}");
    }
    // A raw backslash is refused (hyper may reject it as a bad request).
    let r = get(addr, "/sub/..\\secret.txt");
    assert!(matches!(r.status, 400 | 404), "{}", r.status);
    assert!(!r.text().contains("TOP SECRET"));
    // Only GET and HEAD.
    assert_eq!(request(addr, "POST", "/sub/", Some("{}")).status, 405);
    let head = request(addr, "HEAD", "/sub/", None);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

#[test]
fn content_types_and_no_store() {
    let (_site, _outside, server) = served();
    let addr = server.addr();
    std::fs::write(server.output_dir().join("pixel.png"), b"\x89PNG\r\n\x1a\n").unwrap();
    std::fs::write(
        server.output_dir().join("logo.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .unwrap();
    std::fs::write(server.output_dir().join("data.json"), "{}").unwrap();
    for (path, ctype) in [
        ("/sub/", "text/html; charset=utf-8"),
        ("/sub/articles/chip-war/index.html", "text/html; charset=utf-8"),
        ("/sub/style.css", "text/css; charset=utf-8"),
        ("/sub/glossa.js", "text/javascript; charset=utf-8"),
        ("/sub/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/sub/sitemap.xml", "application/xml; charset=utf-8"),
        ("/sub/robots.txt", "text/plain; charset=utf-8"),
        ("/sub/pixel.png", "image/png"),
        ("/sub/logo.svg", "image/svg+xml"),
        ("/sub/data.json", "application/json"),
        ("/sub/__glossa/live.js", "text/javascript; charset=utf-8"),
    ] {
        let r = get(addr, path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(ctype), "{path}");
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
    }
    // Only HTML gets the live-reload script; other files are served as built.
    let css = get(addr, "/sub/style.css");
    assert_eq!(css.body, std::fs::read(server.output_dir().join("style.css")).unwrap());
    let xml = get(addr, "/sub/atom.xml");
    assert_eq!(xml.body, std::fs::read(server.output_dir().join("atom.xml")).unwrap());
    let html = get(addr, "/sub/").text();
    assert!(html.contains("<script src=\"/sub/__glossa/live.js\"></script></body>"));
    // A query string (the stylesheet cache-buster) does not change the file.
    assert_eq!(get(addr, "/sub/style.css?glossa-reload=123").body, css.body);
}

#[test]
fn missing_pages_get_the_404_page_and_directories_their_index() {
    let (_site, _outside, server) = served();
    let addr = server.addr();
    let r = get(addr, "/sub/no/such/page/");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let page404 = std::fs::read_to_string(server.output_dir().join("404.html")).unwrap();
    let before_body_end = &page404[..page404.rfind("</body>").unwrap()];
    assert!(r.text().starts_with(before_body_end), "the site's 404.html");
    assert!(r.text().contains("/sub/__glossa/live.js"));
    // A directory without its slash is redirected, with the query kept.
    let r = get(addr, "/sub/articles/chip-war?x=1");
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), Some("/sub/articles/chip-war/?x=1"));
    assert_eq!(get(addr, "/sub/articles/chip-war/").status, 200);
    // Outside the base path: 404; the bare base path is redirected.
    assert_eq!(get(addr, "/").status, 404);
    assert_eq!(get(addr, "/articles/chip-war/").status, 404);
    let r = get(addr, "/sub");
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), Some("/sub/"));
    // Pages link under the sub-path, and those links resolve on the server.
    let home = get(addr, "/sub/").text();
    assert!(
        home.contains("href=\"/sub/articles/chip-war/\""),
        "links honour the base path"
    );
    // The live endpoints are under the base path too.
    assert_eq!(get(addr, "/__glossa/live.js").status, 404);
    assert_eq!(get(addr, "/sub/__glossa/live.js").status, 200);
}
