//! The preview server's HTTP side: the output directory as files (inside it
//! only), the live-reload event stream and script, all under the site's
//! root path (`/` or `/sub/`).

use std::convert::Infallible;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast::error::RecvError;

use super::live::{self, Event, Live};

/// What the request handler needs.
pub(crate) struct App {
    /// The output directory (canonicalized per request: it may appear or be
    /// replaced while serving).
    pub out: PathBuf,
    /// `/` or `/sub/`.
    pub root_path: String,
    pub live: Arc<Live>,
}

pub(crate) fn router(app: Arc<App>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(app)
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

fn not_found(app: &App) -> Response {
    if let Resolved::File(p) = resolve(&app.out, "404.html")
        && let Ok(bytes) = std::fs::read(p)
    {
        return html(app, StatusCode::NOT_FOUND, &bytes);
    }
    let fallback = "<!doctype html><html><head><meta charset=\"utf-8\"><title>404 Not Found</title></head>\
                    <body><h1>404 Not Found</h1></body></html>";
    html(app, StatusCode::NOT_FOUND, fallback.as_bytes())
}

async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
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
    let path = req.uri().path();
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
        "__glossa/error" => {
            let body = serde_json::json!({ "error": app.live.last_error() }).to_string();
            return respond(StatusCode::OK, "application/json", body);
        }
        _ => {}
    }
    match resolve(&app.out, rest) {
        Resolved::File(p) => match std::fs::read(&p) {
            Ok(bytes) => {
                let ctype = content_type(&p);
                if ctype.starts_with("text/html") {
                    html(&app, StatusCode::OK, &bytes)
                } else {
                    respond(StatusCode::OK, ctype, bytes)
                }
            }
            Err(_) => not_found(&app),
        },
        Resolved::AddSlash => redirect(&format!("{path}/{query}")),
        Resolved::NotFound => not_found(&app),
    }
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
