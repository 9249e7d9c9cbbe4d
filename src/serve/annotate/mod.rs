//! Annotate mode's HTTP side: whether it is on, the script injected into
//! served article pages (never into files on disk), and the endpoints under
//! `{root}__glossa/annotate/`, each guarded before any work is done:
//!
//! - on only when serving on loopback and not `--read-only`; otherwise
//!   every endpoint answers 403 and no page gets the script;
//! - every request carries the run's random token (`X-Glossa-Token`; the
//!   injected script has it, a page of another site cannot read it);
//! - a request that writes (`POST`) must come from one of the server's own
//!   origins (`Origin`), as JSON (so a cross-site form cannot send it);
//! - `Host` is checked for every request by [`super::http`].
//!
//! The work itself (`annotator`) runs on the rebuild loop, between two
//! rebuilds: the request waits for its reply.
//!
//! The work, module by module:
//! - `annotator`: each endpoint's work on the rebuild loop, and undo;
//! - `request`, `reply`: what the page sends, what it gets back;
//! - `view`: an article as the annotator sees it, fresh from disk;
//! - `selection`: a selection mapped to the rendered text, the refusals;
//! - `plan`: a change checked and planned, `verify`: anchored in memory
//!   before anything is written;
//! - `file_text`, `brat`: the new annotation file in each format;
//! - `entity`: a new entity's file; `disk`: the writes themselves;
//! - `suggestions`: what `glossa suggest` reports, placed in the text.
//!
//! On top of the pipeline: the preview server.

mod annotator;
mod brat;
mod disk;
mod entity;
mod file_text;
mod plan;
mod reply;
mod request;
mod selection;
mod suggestions;
mod verify;
mod view;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::http::App;
use super::watch::Jobs;
use super::{Rebuilder, ServeOptions};
use annotator::Annotator;
use reply::Reply;
use request::{ApplyReq, SelectReq};

/// The script served at `{root}__glossa/annotate.js`.
pub const SCRIPT: &str = include_str!("annotate.js");

/// The largest request body read (a note is a few kilobytes).
const MAX_BODY: usize = 1 << 20;

/// Whether annotate mode is on.
pub enum Mode {
    On(Arc<On>),
    /// Off, and why (what the endpoints answer).
    Off(&'static str),
}

/// Annotate mode as it runs: the token pages send, the way to the rebuild
/// loop, and the annotator's state.
pub struct On {
    token: String,
    jobs: Jobs,
    annotator: Arc<Mutex<Annotator>>,
}

impl Mode {
    /// On unless `--read-only` or not on loopback; a fresh random token.
    pub(crate) fn new(opts: &ServeOptions, jobs: Jobs) -> std::io::Result<Mode> {
        if opts.read_only {
            return Ok(Mode::Off("annotate mode is off: glossa serve runs with --read-only"));
        }
        if !opts.interface.is_loopback() {
            return Ok(Mode::Off(
                "annotate mode is off: glossa serve listens on an address other than loopback \
                 (127.0.0.1 or ::1), and a server that writes files is never reachable from other machines",
            ));
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
        let token = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Mode::On(Arc::new(On {
            token,
            jobs,
            annotator: Arc::new(Mutex::new(Annotator::default())),
        })))
    }

    pub fn is_on(&self) -> bool {
        matches!(self, Mode::On(_))
    }
}

/// The article slug of a page path (after the root path): `articles/SLUG/`
/// or `articles/SLUG/index.html`.
pub fn article_slug(rest: &str) -> Option<&str> {
    let rest = rest.strip_prefix("articles/")?;
    let slug = rest.strip_suffix("/index.html").or_else(|| rest.strip_suffix('/'))?;
    (!slug.is_empty() && !slug.contains('/')).then_some(slug)
}

/// The `<script>` that turns annotate mode on in a served article page
/// (`None` when it is off or the page is not an article's).
pub(crate) fn tag(app: &App, rest: &str) -> Option<String> {
    let Mode::On(on) = &app.annotate else { return None };
    let slug = article_slug(rest)?;
    let esc = crate::text::escape_html;
    Some(format!(
        "<script src=\"{root}__glossa/annotate.js\" data-api=\"{root}__glossa/annotate/\" data-slug=\"{}\" data-token=\"{}\"></script>",
        esc(slug),
        on.token,
        root = esc(&app.root_path),
    ))
}

fn json_response(status: u16, body: &Value) -> Response {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

fn refuse(status: u16, reason: &str) -> Response {
    json_response(status, &json!({ "ok": false, "reason": reason }))
}

/// Equal, in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Answers a request for `{root}__glossa/annotate/{what}`.
pub(crate) async fn handle(app: &App, req: Request, what: &str) -> Response {
    let on = match &app.annotate {
        Mode::On(on) => on.clone(),
        Mode::Off(why) => return refuse(403, why),
    };
    let (token, origin, ctype) = {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        (header("x-glossa-token"), header("origin"), header("content-type"))
    };
    if !token.is_some_and(|t| same(t.as_bytes(), on.token.as_bytes())) {
        return refuse(
            403,
            "the request lacks this server's annotate token (reload the page: the token changes each time serve starts)",
        );
    }
    let method = req.method().clone();
    if method == Method::POST {
        if !origin.is_some_and(|o| app.hosts.allows_origin(&o)) {
            return refuse(
                403,
                "a request that writes must come from a page of this server (Origin)",
            );
        }
        if !ctype.is_some_and(|c| c.starts_with("application/json")) {
            return refuse(415, "send JSON");
        }
    }
    let query = req.uri().query().unwrap_or("").to_string();
    let body = if method == Method::POST {
        match tokio::time::timeout(Duration::from_secs(10), axum::body::to_bytes(req.into_body(), MAX_BODY)).await {
            Ok(Ok(b)) => b,
            _ => return refuse(400, "the request body is too large or too slow"),
        }
    } else {
        Default::default()
    };
    let parse = |b: &[u8]| serde_json::from_slice::<Value>(b).map_err(|e| format!("bad JSON: {e}"));
    match (method, what) {
        (Method::GET, "state") => {
            let Some(slug) = query_param(&query, "slug") else {
                return refuse(400, "which article? (?slug=…)");
            };
            run(&on, move |rb, a| a.state(rb, &slug)).await
        }
        (Method::GET, "entities") => run(&on, |rb, a| a.entities(rb)).await,
        (Method::GET, "articles") => run(&on, |rb, a| a.articles(rb)).await,
        (Method::POST, "select") => match serde_json::from_slice::<SelectReq>(&body) {
            Ok(r) => run(&on, move |rb, a| a.select(rb, r)).await,
            Err(e) => refuse(400, &format!("bad request: {e}")),
        },
        (Method::POST, "apply") => match serde_json::from_slice::<ApplyReq>(&body) {
            Ok(r) => run(&on, move |rb, a| a.apply(rb, r)).await,
            Err(e) => refuse(400, &format!("bad request: {e}")),
        },
        (Method::POST, "undo") => match parse(&body) {
            Ok(v) => {
                let slug = v["slug"].as_str().unwrap_or_default().to_string();
                run(&on, move |rb, a| a.undo(rb, &slug)).await
            }
            Err(why) => refuse(400, &why),
        },
        (Method::POST, "preview") => match parse(&body) {
            // a note's Markdown as its sidenote shows it (raw HTML escaped)
            Ok(v) => {
                let md = crate::text::nfc(v["body"].as_str().unwrap_or_default()).into_owned();
                json_response(200, &preview(&md))
            }
            Err(why) => refuse(400, &why),
        },
        _ => refuse(404, "no such annotate endpoint"),
    }
}

/// A note's Markdown as its sidenote shows it; a link to a `javascript:`
/// (or other unsafe) URL is not drawn but said — `check` refuses it.
fn preview(md: &str) -> Value {
    use crate::anchor::markdown::{Document, render_inline, unsafe_urls};
    match unsafe_urls(&Document::parse(md)).first() {
        Some((_, url)) => json!({
            "ok": true,
            "html": crate::text::escape_html(md),
            "problem": format!("`{url}` is not a link glossa publishes (only http, https, mailto, tel and ftp)"),
        }),
        None => json!({ "ok": true, "html": render_inline(md) }),
    }
}

/// `name`'s value in a query string (percent-decoded).
fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| decode(v))?
    })
}

fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                out.push(u8::from_str_radix(std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Runs `work` on the rebuild loop and answers with its reply. A panic in
/// it is caught there (the loop goes on) and answered with 500.
async fn run<F>(on: &On, work: F) -> Response
where
    F: FnOnce(&mut Rebuilder<'_>, &mut Annotator) -> Reply + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    let annotator = on.annotator.clone();
    let job: super::Job = Box::new(move |rb| {
        let mut a = annotator.lock().unwrap_or_else(|e| e.into_inner());
        let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(rb, &mut a))).unwrap_or_else(|_| {
            Reply {
                status: 500,
                body: json!({ "ok": false, "reason": "the annotator failed on this request (a bug: see the terminal)" }),
            }
        });
        let _ = tx.send(reply);
    });
    if !on.jobs.send(job) {
        return refuse(503, "the server is stopping");
    }
    match tokio::time::timeout(Duration::from_secs(600), rx).await {
        Ok(Ok(reply)) => json_response(reply.status, &reply.body),
        _ => refuse(503, "the rebuild loop did not answer"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_pages_only() {
        assert_eq!(article_slug("articles/chip-war/"), Some("chip-war"));
        assert_eq!(article_slug("articles/chip-war/index.html"), Some("chip-war"));
        for not in [
            "",
            "articles/",
            "articles/x",
            "entities/huawei/",
            "articles/a/b/",
            "articles/chip-war/card.png",
        ] {
            assert_eq!(article_slug(not), None, "{not}");
        }
    }

    #[test]
    fn the_preview_never_draws_an_unsafe_link() {
        assert_eq!(
            preview("*a* [b](https://x.vn)")["html"],
            "<em>a</em> <a href=\"https://x.vn\">b</a>"
        );
        let bad = preview("[b](javascript:alert(1)) <i>x</i>");
        assert_eq!(bad["html"], "[b](javascript:alert(1)) &lt;i&gt;x&lt;/i&gt;");
        assert!(bad["problem"].as_str().unwrap().contains("javascript:"));
        assert_eq!(preview("<b>x</b>")["html"], "&lt;b&gt;x&lt;/b&gt;");
    }

    #[test]
    fn query_values_are_decoded() {
        assert_eq!(query_param("slug=a%2Db&x=1", "slug").as_deref(), Some("a-b"));
        assert_eq!(query_param("x=1", "slug"), None);
        assert_eq!(query_param("slug=%zz", "slug"), None);
    }
}
