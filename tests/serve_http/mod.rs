//! A tiny HTTP/1.1 client over `TcpStream` for the serve tests: plain
//! requests (with `Connection: close`) and a server-sent-events reader.
//! Every read has a deadline, so a broken server fails a test instead of
//! hanging it.
#![allow(dead_code)]

pub mod axe;
pub mod webdriver;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn connect(addr: SocketAddr, timeout: Duration) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, timeout).expect("connect");
    s.set_read_timeout(Some(timeout)).unwrap();
    s.set_write_timeout(Some(timeout)).unwrap();
    s
}

/// Sends one request and reads the whole response. `path` goes on the wire
/// exactly as given (no normalisation), which the path-safety tests need.
pub fn request(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> Response {
    let mut s = connect(addr, Duration::from_secs(20));
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    if let Some(b) = body {
        req.push_str(b);
    }
    s.write_all(req.as_bytes()).unwrap();
    let mut r = BufReader::new(s);
    let (status, headers) = read_head(&mut r);
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok());
    let mut body = Vec::new();
    if method == "HEAD" || status == 204 || status == 304 {
    } else if chunked {
        while let Some(chunk) = read_chunk(&mut r) {
            body.extend(chunk);
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        r.read_exact(&mut body).unwrap();
    } else {
        r.read_to_end(&mut body).unwrap();
    }
    Response { status, headers, body }
}

pub fn get(addr: SocketAddr, path: &str) -> Response {
    request(addr, "GET", path, None)
}

fn read_head(r: &mut impl BufRead) -> (u16, Vec<(String, String)>) {
    let mut line = String::new();
    r.read_line(&mut line).expect("status line");
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {line:?}"));
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line).expect("header line");
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    (status, headers)
}

/// One chunk of a chunked body; `None` at the last (empty) chunk.
fn read_chunk(r: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let size = usize::from_str_radix(line.trim().split(';').next()?, 16).ok()?;
    if size == 0 {
        return None;
    }
    let mut buf = vec![0; size + 2];
    r.read_exact(&mut buf).ok()?;
    buf.truncate(size);
    Some(buf)
}

/// A reader of `text/event-stream`.
pub struct Sse {
    r: BufReader<TcpStream>,
    chunked: bool,
    buf: String,
}

#[derive(Debug, Clone)]
pub struct SseEvent {
    pub name: String,
    pub data: String,
}

impl Sse {
    pub fn connect(addr: SocketAddr, path: &str) -> Sse {
        let mut s = connect(addr, Duration::from_secs(20));
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n").as_bytes())
            .unwrap();
        let mut r = BufReader::new(s);
        let (status, headers) = read_head(&mut r);
        assert_eq!(status, 200, "event stream status");
        let ctype = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.clone());
        assert_eq!(ctype.as_deref(), Some("text/event-stream"));
        let chunked = headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
        Sse {
            r,
            chunked,
            buf: String::new(),
        }
    }

    /// The next event (comments skipped), or `None` when `timeout` passes.
    pub fn next(&mut self, timeout: Duration) -> Option<SseEvent> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(ev) = self.take_event() {
                return Some(ev);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            self.r
                .get_ref()
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .unwrap();
            let more = if self.chunked {
                read_chunk(&mut self.r)?
            } else {
                let mut b = vec![0; 4096];
                let n = self.r.read(&mut b).ok()?;
                if n == 0 {
                    return None;
                }
                b.truncate(n);
                b
            };
            self.buf.push_str(&String::from_utf8_lossy(&more));
        }
    }

    /// The next event named `name` (others skipped), with a deadline.
    pub fn next_named(&mut self, name: &str, timeout: Duration) -> Option<SseEvent> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let ev = self.next(left)?;
            if ev.name == name {
                return Some(ev);
            }
        }
    }

    fn take_event(&mut self) -> Option<SseEvent> {
        loop {
            let end = self.buf.find("\n\n")?;
            let block: String = self.buf.drain(..end + 2).collect();
            let mut name = "message".to_string();
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push(v.strip_prefix(' ').unwrap_or(v).to_string());
                }
            }
            if !data.is_empty() {
                return Some(SseEvent {
                    name,
                    data: data.join("\n"),
                });
            }
        }
    }
}

/// Starts `glossa serve` in-process on a free port for the site at `root`,
/// optionally under a `base_url` sub-path.
pub fn serve_site(root: &std::path::Path, base_url: Option<&str>) -> glossa::serve::Server {
    let mut opts = glossa::serve::ServeOptions::new(root);
    opts.port = 0;
    opts.color = false;
    opts.build.base_url = base_url.map(str::to_string);
    glossa::serve::start(opts).expect("server starts")
}
