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

/// Sends `head` (the request line and headers, each line ending in CRLF,
/// without the blank line that ends them) and reads the whole answer.
fn raw(addr: std::net::SocketAddr, head: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(format!("{head}Connection: close\r\n\r\n").as_bytes())
        .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, text)
}

/// A DNS-rebinding page reaches the server under a name of its own: every
/// request — pages, the error endpoint, the event stream — is refused
/// unless `Host` names the server as it was started.
#[test]
fn only_requests_for_the_servers_own_names_are_answered() {
    let (_site, _outside, server) = served();
    let addr = server.addr();
    let port = addr.port();
    for path in [
        "/sub/",
        "/sub/articles/chip-war/",
        "/sub/robots.txt",
        "/sub/__glossa/error",
        "/sub/__glossa/events",
    ] {
        for host in [
            format!("evil.attacker.example:{port}"),
            "evil.attacker.example".to_string(),
            format!("127.0.0.1:{}", port.wrapping_add(1)),
            format!("localhost.:{port}"),
        ] {
            let (status, text) = raw(addr, &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n"));
            assert_eq!(status, 403, "{path} for {host}:\n{text}");
            assert!(
                !text.contains("Huawei") && !text.contains("error\":"),
                "{path} for {host}:\n{text}"
            );
        }
        // No Host at all (HTTP/1.0), and a foreign name in an absolute-form
        // request line.
        assert_eq!(raw(addr, &format!("GET {path} HTTP/1.0\r\n")).0, 403, "{path}");
        let absolute = format!("GET http://evil.attacker.example:{port}{path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n");
        assert_eq!(raw(addr, &absolute).0, 403, "{path}");
    }
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LocalHost:{port}"),
    ] {
        let (status, text) = raw(
            addr,
            &format!("GET /sub/articles/chip-war/ HTTP/1.1\r\nHost: {host}\r\n"),
        );
        assert_eq!(status, 200, "{host}");
        assert!(text.contains("Huawei"), "{host}");
    }
}

/// Clients that open a connection and never finish their headers are
/// closed after the header deadline, at most `max_connections` are open at
/// once, and a normal request gets its page all the same.
#[test]
fn slow_clients_are_closed_and_bounded() {
    use std::io::{Read, Write};
    let site = common::copy_site(&common::fixture("multi"), false);
    let mut opts = ServeOptions::new(site.path());
    opts.port = 0;
    opts.color = false;
    opts.limits.header_timeout = Duration::from_secs(1);
    opts.limits.max_connections = 4;
    let server = start(opts).expect("server starts");
    let addr = server.addr();
    let slow: Vec<std::net::TcpStream> = (0..12)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.write_all(format!("GET / HTTP/1.1\r\nHost: {addr}\r\n").as_bytes())
                .unwrap();
            s
        })
        .collect();
    // Never more open than the bound, while the slow clients come and go.
    let mut most = 0;
    for _ in 0..20 {
        most = most.max(server.connections());
        assert!(server.connections() <= 4, "{} connections open", server.connections());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(most >= 1, "the slow clients were accepted");
    // A normal request is answered (once the deadline has freed a slot).
    let r = get(addr, "/articles/chip-war/");
    assert_eq!(r.status, 200);
    assert!(r.text().contains("Huawei"));
    // Every slow client was closed by the server: the read ends, it does
    // not time out.
    for mut s in slow {
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut buf = Vec::new();
        match s.read_to_end(&mut buf) {
            Ok(_) => {}
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        }
    }
    assert!(server.connections() <= 1);
}

/// The resident memory of this process (the server runs in it), in bytes.
#[cfg(target_os = "linux")]
fn rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    kb * 1024
}

/// Clients that ask for a large file and do not read it cost the server a
/// chunk each, not the file: eight of them on a 64 MiB file leave its
/// memory within one file's size (read whole, the file would be in memory
/// eight times, 512 MiB).
#[cfg(target_os = "linux")]
#[test]
fn large_files_are_streamed_not_held() {
    use std::io::{Read, Write};
    let (_site, _outside, server) = served();
    let addr = server.addr();
    const SIZE: usize = 64 << 20;
    let big: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    std::fs::write(server.output_dir().join("big.bin"), &big).unwrap();
    drop(big);
    // the whole file, to a client that reads it
    let r = get(addr, "/sub/big.bin");
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), SIZE);
    assert!(r.body.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
    assert_eq!(r.header("content-length"), Some(SIZE.to_string().as_str()));
    drop(r);
    let before = rss();
    let clients: Vec<std::net::TcpStream> = (0..8)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            s.write_all(format!("GET /sub/big.bin HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
                .unwrap();
            // The answer has begun (its status line is here): a server that
            // reads the file whole has read it by now.
            let mut first = [0u8; 12];
            s.read_exact(&mut first).unwrap();
            assert_eq!(&first, b"HTTP/1.1 200");
            s
        })
        .collect();
    // Give the server time to fill what it can.
    std::thread::sleep(Duration::from_millis(500));
    let grown = rss().saturating_sub(before);
    assert!(
        grown < SIZE,
        "the server grew by {} MiB for 8 clients that do not read",
        grown >> 20
    );
    drop(clients);
}
