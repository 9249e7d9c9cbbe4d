//! The preview server's HTTP side: its own accept loop (a bound on open
//! connections, a deadline for a request's headers), the check that a
//! request names this server (`Host`), the output directory as files
//! (inside it only, streamed), the live-reload event stream and script, all
//! under the site's root path (`/` or `/sub/`).
//!
//! `axum::serve` is not used: it sets no timer on hyper's connections, so
//! hyper's header-read timeout is off there, and it accepts without bound.
//! The loop here is axum's, with both: each connection is hyper's HTTP/1
//! with `header_read_timeout` (a client that never finishes its headers, or
//! an idle keep-alive connection, is closed), and at most
//! `max_connections` are open — further clients wait in the kernel's
//! backlog, not in memory.
//!
//! On top of the pipeline: the preview server.

use std::convert::Infallible;
use std::net::IpAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncReadExt;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{Semaphore, watch};

use super::live::{self, Event, Live};

/// What the request handler needs.
pub(crate) struct App {
    /// The output directory (canonicalized per request: it may appear or be
    /// replaced while serving).
    pub out: PathBuf,
    /// `/` or `/sub/`.
    pub root_path: String,
    pub live: Arc<Live>,
    /// The `Host` names requests may give.
    pub hosts: Hosts,
    /// Annotate mode: on (with its token and the way to the rebuild loop),
    /// or off and why.
    pub annotate: super::annotate::Mode,
}

pub(crate) fn router(app: Arc<App>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(app)
}

/// How much the server lets clients hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a client may take to send a request's headers (and how long
    /// an idle keep-alive connection stays open).
    pub header_timeout: Duration,
    /// Connections open at once; more wait to be accepted.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            // far above what browsers open (six per host, one event stream
            // per tab) and far below the usual limit of 1,024 open files
            max_connections: 256,
        }
    }
}

/// The names a request's `Host` may give: the ones the server was started
/// for — `127.0.0.1`, `localhost`, `[::1]` and the interface's address, with
/// the port. Anything else (a DNS name pointing at this machine, as DNS
/// rebinding makes one) is refused, so a page of another site cannot read
/// the preview. On an unspecified interface (`0.0.0.0`, `::`) any IP address
/// is allowed too: an address cannot be rebound, only a name.
#[derive(Debug, Clone)]
pub struct Hosts {
    port: u16,
    names: Vec<String>,
    any_ip: bool,
}

impl Hosts {
    pub fn new(interface: IpAddr, port: u16) -> Hosts {
        let mut names: Vec<String> = vec!["127.0.0.1".into(), "localhost".into(), "[::1]".into()];
        if !interface.is_unspecified() {
            names.push(match interface {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            });
        }
        Hosts {
            port,
            names,
            any_ip: interface.is_unspecified(),
        }
    }

    /// Whether a `Host` header value (`name:port`) names this server.
    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        let (name, port) = match host.rsplit_once(':') {
            // `[::1]` alone has colons but no port
            Some((n, p)) if !p.contains(']') => (n, p.parse::<u16>().ok()),
            _ => (host.as_str(), Some(80)),
        };
        if port != Some(self.port) {
            return false;
        }
        self.names.iter().any(|n| n == name)
            || (self.any_ip
                && name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .is_ok())
    }

    /// The origins (`http://NAME:PORT`) of this server's pages.
    pub fn allows_origin(&self, origin: &str) -> bool {
        origin
            .strip_prefix("http://")
            .is_some_and(|h| !h.contains('/') && self.allows(h))
    }
}

/// Serves `router` on `listener` until `stop` turns true; see the module
/// docs. `open` counts the connections open now.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    open: Arc<AtomicUsize>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = stopped(&mut stop) => break,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // out of file descriptors and the like: wait, do not spin
                    if !matches!(e.kind(), std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::ConnectionReset) {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    continue;
                }
            },
            _ = stopped(&mut stop) => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let mut stop = stop.clone();
        let open = Counted::new(open.clone());
        tokio::spawn(async move {
            let _slot = (permit, open);
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
            let conn = http.serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            let stopping = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = stopping => {}
            }
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        });
    }
}

/// Resolves when `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// One open connection in a count, for as long as it lives.
struct Counted(Arc<AtomicUsize>);

impl Counted {
    fn new(n: Arc<AtomicUsize>) -> Counted {
        n.fetch_add(1, Ordering::SeqCst);
        Counted(n)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Where a request path leads inside the output directory.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolved {
    File(PathBuf),
    /// A directory asked for without its trailing slash.
    AddSlash,
    NotFound,
}

/// Resolves `rest` — the request path after the root path, still
/// percent-encoded — to a file inside `out`. Refuses `..`, encoded slashes
/// and backslashes, NUL, and anything (symlinks included) whose real path is
/// outside the canonicalized output directory.
pub fn resolve(out: &Path, rest: &str) -> Resolved {
    let lower = rest.to_ascii_lowercase();
    if rest.contains('\\') || ["%2f", "%5c", "%00"].iter().any(|bad| lower.contains(bad)) {
        return Resolved::NotFound;
    }
    let Some(decoded) = percent_decode(rest).and_then(|b| String::from_utf8(b).ok()) else {
        return Resolved::NotFound;
    };
    if decoded.contains(['\0', '\\']) {
        return Resolved::NotFound;
    }
    let wants_dir = decoded.is_empty() || decoded.ends_with('/');
    let segments: Vec<&str> = decoded.split('/').collect();
    let n = segments.len();
    let Ok(base) = out.canonicalize() else {
        return Resolved::NotFound;
    };
    let mut path = base.clone();
    for (i, seg) in segments.into_iter().enumerate() {
        if seg.is_empty() && i + 1 == n {
            break;
        }
        // Exactly one ordinary component: no "", ".", "..", roots or prefixes.
        let mut comps = Path::new(seg).components();
        match (comps.next(), comps.next()) {
            (Some(Component::Normal(c)), None) if c == seg => path.push(seg),
            _ => return Resolved::NotFound,
        }
    }
    let inside = |p: &Path| p.canonicalize().ok().filter(|real| real.starts_with(&base));
    let Some(real) = inside(&path) else {
        return Resolved::NotFound;
    };
    if real.is_dir() {
        if !wants_dir {
            return Resolved::AddSlash;
        }
        return match inside(&real.join("index.html")) {
            Some(index) if index.is_file() => Resolved::File(index),
            _ => Resolved::NotFound,
        };
    }
    if real.is_file() && !wants_dir {
        Resolved::File(real)
    } else {
        Resolved::NotFound
    }
}

/// Strict percent-decoding: a `%` not followed by two hex digits fails.
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The Content-Type for a file name.
pub fn content_type(path: &Path) -> &'static str {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name == "atom.xml" {
        return "application/atom+xml; charset=utf-8";
    }
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" | "jsonld" => "application/json",
        "webmanifest" => "application/manifest+json",
        "xml" | "xsl" => "application/xml; charset=utf-8",
        "rss" => "application/rss+xml; charset=utf-8",
        "txt" | "md" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "pdf" => "application/pdf",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

fn respond(status: StatusCode, ctype: &str, body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(ctype) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

fn redirect(to: &str) -> Response {
    let mut r = respond(StatusCode::FOUND, "text/plain; charset=utf-8", format!("see {to}\n"));
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// A page of HTML with the live-reload script, so even a 404 shows the error
/// overlay and reloads.
fn html(app: &App, status: StatusCode, bytes: &[u8]) -> Response {
    respond(status, "text/html; charset=utf-8", live::inject(bytes, &app.root_path))
}

/// A page found at `rest`: with the live-reload script, and annotate
/// mode's when it is an article's page and annotate mode is on.
fn page(app: &App, rest: &str, bytes: &[u8]) -> Response {
    let mut tags = super::annotate::tag(app, rest).unwrap_or_default();
    tags.push_str(&live::tag(&app.root_path));
    respond(
        StatusCode::OK,
        "text/html; charset=utf-8",
        live::inject_tags(bytes, &tags),
    )
}

fn not_found(app: &App) -> Response {
    if let Resolved::File(p) = resolve(&app.out, "404.html")
        && let Ok(bytes) = read_small(&p)
    {
        return html(app, StatusCode::NOT_FOUND, &bytes);
    }
    let fallback = "<!doctype html><html><head><meta charset=\"utf-8\"><title>404 Not Found</title></head>\
                    <body><h1>404 Not Found</h1></body></html>";
    html(app, StatusCode::NOT_FOUND, fallback.as_bytes())
}

/// HTML pages larger than this are streamed as they are, without the
/// live-reload script (a page is a few kilobytes; this is a guard).
const MAX_INJECTED: u64 = 16 << 20;

/// A file read whole, when it is small enough to be a page.
fn read_small(p: &Path) -> std::io::Result<Vec<u8>> {
    if std::fs::metadata(p)?.len() > MAX_INJECTED {
        return Err(std::io::Error::other("too large"));
    }
    std::fs::read(p)
}

/// The request's `Host` names this server (see [`Hosts`]).
fn host_allowed(app: &App, req: &Request) -> bool {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    // An absolute-form request line (`GET http://x/ HTTP/1.1`) names its
    // host there too.
    let authority = req.uri().authority().map(|a| a.as_str());
    host.is_some_and(|h| app.hosts.allows(h)) && authority.is_none_or(|a| app.hosts.allows(a))
}

async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    if !host_allowed(&app, &req) {
        // Says nothing about the site: this is what a DNS-rebinding page gets.
        return respond(
            StatusCode::FORBIDDEN,
            "text/plain; charset=utf-8",
            "glossa serve answers requests for its own address only (127.0.0.1, localhost, [::1] or \
             the --interface address, with its port)\n",
        );
    }
    let path = req.uri().path().to_string();
    if let Some(what) = path
        .strip_prefix(app.root_path.as_str())
        .and_then(|rest| rest.strip_prefix("__glossa/annotate/"))
    {
        return super::annotate::handle(&app, req, what).await;
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = respond(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            "method not allowed\n",
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let query = req.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
    let Some(rest) = path.strip_prefix(app.root_path.as_str()) else {
        if path == app.root_path.trim_end_matches('/') {
            return redirect(&format!("{}{query}", app.root_path));
        }
        return not_found(&app);
    };
    match rest {
        "__glossa/events" => return events(&app).into_response(),
        "__glossa/live.js" => return respond(StatusCode::OK, "text/javascript; charset=utf-8", live::SCRIPT),
        "__glossa/annotate.js" => {
            return respond(
                StatusCode::OK,
                "text/javascript; charset=utf-8",
                super::annotate::SCRIPT,
            );
        }
        "__glossa/error" => {
            let body = serde_json::json!({ "error": app.live.last_error() }).to_string();
            return respond(StatusCode::OK, "application/json", body);
        }
        _ => {}
    }
    match resolve(&app.out, rest) {
        Resolved::File(p) => file(&app, rest, &p).await,
        Resolved::AddSlash => redirect(&format!("{path}/{query}")),
        Resolved::NotFound => not_found(&app),
    }
}

/// A file of the output: a page with the live-reload script added, anything
/// else streamed from disk in chunks as the client takes them (so a client
/// that stops reading costs a chunk, not the file).
async fn file(app: &App, rest: &str, p: &Path) -> Response {
    // a page the rebuild has yet to write: wait for it, never serve a
    // page older than the one that sent the reload
    if app.live.holding() {
        // (`resolve` gives a path under the canonical output folder)
        let out = app.out.canonicalize().unwrap_or_else(|_| app.out.clone());
        if let Ok(rel) = p.strip_prefix(&out) {
            app.live.written(&rel.to_string_lossy().replace('\\', "/")).await;
        }
    }
    let Ok(mut f) = tokio::fs::File::open(p).await else {
        return not_found(app);
    };
    let Ok(len) = f.metadata().await.map(|m| m.len()) else {
        return not_found(app);
    };
    let ctype = content_type(p);
    if ctype.starts_with("text/html") && len <= MAX_INJECTED {
        let mut bytes = Vec::with_capacity(len as usize);
        return match f.read_to_end(&mut bytes).await {
            Ok(_) => page(app, rest, &bytes),
            Err(_) => not_found(app),
        };
    }
    const CHUNK: usize = 64 * 1024;
    let chunks = futures_util::stream::try_unfold(f, |mut f| async move {
        let mut buf = vec![0; CHUNK];
        let n = f.read(&mut buf).await?;
        if n == 0 {
            return Ok::<_, std::io::Error>(None);
        }
        buf.truncate(n);
        Ok(Some((Bytes::from(buf), f)))
    });
    let mut r = respond(StatusCode::OK, ctype, Body::from_stream(chunks));
    r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    r
}

fn sse_event(e: &Event) -> Result<SseEvent, Infallible> {
    let (name, data) = e.to_sse();
    Ok(SseEvent::default().event(name).data(data))
}

/// The event stream: a `hello` (or the current error) at once, then every
/// rebuild's outcome, until the server stops.
fn events(app: &App) -> impl IntoResponse {
    let (first, rx) = app.live.subscribe();
    let stop = app.live.shutdown.subscribe();
    let first = Some(
        first
            .as_ref()
            .map_or_else(|| Ok(SseEvent::default().event("hello").data("{}")), sse_event),
    );
    let stream = futures_util::stream::unfold((first, rx, stop), |(first, mut rx, mut stop)| async move {
        if let Some(ev) = first {
            return Some((ev, (None, rx, stop)));
        }
        if *stop.borrow() {
            return None;
        }
        tokio::select! {
            got = rx.recv() => match got {
                Ok(ev) => Some((sse_event(&ev), (None, rx, stop))),
                // Missed some events: ask for a plain reload.
                Err(RecvError::Lagged(_)) => Some((sse_event(&Event::Reload { changed: vec!["?".into()] }), (None, rx, stop))),
                Err(RecvError::Closed) => None,
            },
            _ = stop.changed() => None,
        }
    });
    let mut r = Sse::new(stream).keep_alive(KeepAlive::default()).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_servers_own_names_are_hosts() {
        let local = Hosts::new(IpAddr::from([127, 0, 0, 1]), 1111);
        for ok in [
            "127.0.0.1:1111",
            "localhost:1111",
            "LOCALHOST:1111",
            "[::1]:1111",
            " localhost:1111 ",
        ] {
            assert!(local.allows(ok), "{ok}");
        }
        for bad in [
            "evil.attacker.example:1111",
            "evil.attacker.example",
            "127.0.0.1",
            "127.0.0.1:1112",
            "localhost:80",
            "127.0.0.2:1111",
            "10.0.0.5:1111",
            "localhost.:1111",
            "",
            "[::1]",
        ] {
            assert!(!local.allows(bad), "{bad}");
        }
        assert!(local.allows_origin("http://localhost:1111"));
        assert!(!local.allows_origin("http://evil.example:1111"));
        assert!(!local.allows_origin("https://localhost:1111"));
        assert!(!local.allows_origin("null"));
        let lan = Hosts::new(IpAddr::from([192, 168, 1, 4]), 8080);
        assert!(lan.allows("192.168.1.4:8080") && lan.allows("localhost:8080"));
        assert!(!lan.allows("192.168.1.5:8080"));
        let any = Hosts::new(IpAddr::from([0, 0, 0, 0]), 80);
        assert!(any.allows("10.1.2.3") && any.allows("10.1.2.3:80") && any.allows("[fe80::1]:80"));
        assert!(!any.allows("evil.example") && !any.allows("0.0.0.0:81"));
    }

    #[test]
    fn percent_decoding_is_strict() {
        assert_eq!(percent_decode("a%20b").unwrap(), b"a b");
        assert_eq!(percent_decode("%C3%A9").unwrap(), "é".as_bytes());
        assert!(percent_decode("%2").is_none());
        assert!(percent_decode("%zz").is_none());
    }

    #[test]
    fn resolving_stays_inside_the_output_dir() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir_all(out.join("a")).unwrap();
        std::fs::write(out.join("a/index.html"), "x").unwrap();
        std::fs::write(out.join("s.css"), "x").unwrap();
        std::fs::write(dir.path().join("secret"), "x").unwrap();
        let base = out.canonicalize().unwrap();
        assert_eq!(resolve(&out, "a/"), Resolved::File(base.join("a/index.html")));
        assert_eq!(resolve(&out, "a"), Resolved::AddSlash);
        assert_eq!(resolve(&out, "s.css"), Resolved::File(base.join("s.css")));
        for bad in [
            "../secret",
            "a/../../secret",
            "%2e%2e/secret",
            "a%2f..%2f..%2fsecret",
            "..%5csecret",
            "a\\b",
            "s.css%00",
            "s.css/",
            "a//index.html",
            "./s.css",
            "%zz",
        ] {
            assert_eq!(resolve(&out, bad), Resolved::NotFound, "{bad}");
        }
        assert_eq!(resolve(&dir.path().join("missing"), ""), Resolved::NotFound);
    }
}
