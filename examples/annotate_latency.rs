//! Latency of annotate mode (issue #16): the real server, on a corpus from
//! `gen_corpus`, driven over HTTP the way an article page's script drives
//! it. For each change the time is taken from just before the write request
//! (the save click) to: the reply (the files written and the site rebuilt),
//! the `reload` event on the live-reload stream (what the open page waits
//! for), the updated article page fetched (what the author then sees), and
//! — when the server wrote the article's page first — the `written` event
//! saying every other page the change rewrites is written too.
//! Each change is undone afterwards (undo is timed too), so every round
//! starts from the corpus as generated.
//!
//! Kinds of change, on the words of several articles: a note; a mention of
//! an entity the article already names; a mention of an entity it does not
//! name (its entity pages, co-occurrences and related articles follow); a
//! link to another article; a quote (quotes are site-wide: the full way).
//!
//! ```text
//! cargo run --release --example annotate_latency -- SITE_ROOT OUTPUT_DIR [ROUNDS]
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The median (the upper one of an even count), as `examples/support` has it.
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// One request; the status and the body.
fn http(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    req.push_str("\r\n");
    req.push_str(body.unwrap_or(""));
    s.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let head_end = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(out.len(), |i| i + 4);
    let head = String::from_utf8_lossy(&out[..head_end]).into_owned();
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let mut body = out[head_end..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&b[..i]).unwrap_or("0").trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&b[i + 2..i + 2 + size]);
        b = &b[i + 2 + size + 2..];
    }
    out
}

/// Reads the event stream in a thread; sends the arrival time of each event.
fn listen(addr: SocketAddr) -> mpsc::Receiver<(String, Instant)> {
    let (tx, rx) = mpsc::channel();
    let mut stream = TcpStream::connect(addr).expect("connect to the server");
    write!(
        stream,
        "GET /__glossa/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Some(name) = line.strip_prefix("event:") {
                let _ = tx.send((name.trim().to_string(), Instant::now()));
            }
        }
    });
    rx
}

/// The annotate endpoint and token an article page carries.
struct Api {
    addr: SocketAddr,
    token: String,
    origin: String,
}

impl Api {
    fn call(&self, method: &str, what: &str, body: Option<&Value>) -> (u16, Value) {
        let b = body.map(|b| b.to_string());
        let headers = [
            ("X-Glossa-Token", self.token.as_str()),
            ("Origin", self.origin.as_str()),
            ("Content-Type", "application/json"),
        ];
        let (status, body) = http(
            self.addr,
            method,
            &format!("/__glossa/annotate/{what}"),
            &headers,
            b.as_deref(),
        );
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }
}

/// UTF-16 offsets of byte range `r` of `text`.
fn u16_span(text: &str, r: std::ops::Range<usize>) -> (usize, usize) {
    let s = text[..r.start].encode_utf16().count();
    (s, s + text[r].encode_utf16().count())
}

/// A word of the article's third paragraph (or the last one) that the
/// annotator accepts for a new annotation: (start, end, text) in UTF-16.
fn a_word(api: &Api, slug: &str, state: &Value, skip: usize) -> Option<(usize, usize, String)> {
    let text = state["text"].as_str()?;
    let mut at = 0;
    let mut words = Vec::new();
    for w in text.split(' ') {
        let clean = w.trim_matches(|c: char| !c.is_alphanumeric());
        if clean.chars().count() >= 4 && !w.contains('\n') {
            let off = at + w.find(clean).unwrap_or(0);
            words.push(off..off + clean.len());
        }
        at += w.len() + 1;
    }
    for r in words.into_iter().skip(40 + skip) {
        let (s, e) = u16_span(text, r.clone());
        let body = json!({"slug": slug, "version": state["version"], "start": s, "end": e, "text": &text[r.clone()]});
        let (status, _) = api.call("POST", "select", Some(&body));
        if status == 200 {
            return Some((s, e, text[r].to_string()));
        }
    }
    None
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(root), Some(out)) = (args.first(), args.get(1)) else {
        eprintln!("usage: annotate_latency SITE_ROOT OUTPUT_DIR [ROUNDS]");
        return ExitCode::from(2);
    };
    let rounds: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let root = PathBuf::from(root);
    let mut opts = glossa::serve::ServeOptions::new(&root);
    opts.port = 0;
    opts.color = false;
    opts.build.output_dir = Some(PathBuf::from(out));
    let t = Instant::now();
    let server = match glossa::serve::start(opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot start the server: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("server up (first build) in {:.1} s", t.elapsed().as_secs_f64());
    let addr = server.addr();
    let events = listen(addr);
    let _ = events.recv_timeout(Duration::from_secs(10));

    // the articles: every 997th of the site, newest first
    let listing = glossa::load(&root, &Default::default());
    let slugs: Vec<String> = listing
        .site
        .articles
        .iter()
        .step_by(997)
        .map(|a| a.src.slug.clone())
        .take(rounds)
        .collect();
    let entity_ids: Vec<String> = listing.site.entities.iter().map(|e| e.src.id.clone()).collect();
    drop(listing);
    // (name, reply ms, reload-event ms, page ms, every page written ms)
    let mut times: Vec<(&str, f64, f64, f64, f64)> = Vec::new();
    let mut undo_ms = Vec::new();
    let mut failed = false;
    for (round, slug) in slugs.iter().enumerate() {
        let page = format!("/articles/{slug}/");
        let (_, html) = http(addr, "GET", &page, &[], None);
        let html = String::from_utf8_lossy(&html).into_owned();
        let Some(token) = html
            .split("data-token=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .map(String::from)
        else {
            eprintln!("{slug}: no annotate script in the page");
            return ExitCode::FAILURE;
        };
        let api = Api {
            addr,
            token,
            origin: format!("http://{addr}"),
        };
        let (_, state) = api.call("GET", &format!("state?slug={slug}"), None);
        let named: Vec<String> = state["annotations"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x["entity"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let other = entity_ids
            .iter()
            .skip(round * 37 % entity_ids.len().max(1))
            .find(|e| !named.contains(e))
            .cloned()
            .unwrap_or_default();
        let next_article = &slugs[(round + 1) % slugs.len()];
        let kinds: Vec<(&str, Value)> = vec![
            ("note", json!({"kind": "note", "body": "Một *ghi chú* thử."})),
            (
                "mention, entity named",
                json!({"kind": "mention", "entity": named.first().cloned().unwrap_or_default()}),
            ),
            ("mention, new entity here", json!({"kind": "mention", "entity": other})),
            (
                "link to an article",
                json!({"kind": "link", "to": format!("@/articles/{next_article}.md")}),
            ),
            (
                "quote",
                json!({"kind": "quote", "speaker": named.first().cloned().unwrap_or_default(), "id": format!("do-tre-{round}")}),
            ),
        ];
        for (k, (name, what)) in kinds.into_iter().enumerate() {
            let (_, state) = api.call("GET", &format!("state?slug={slug}"), None);
            let Some((s, e, text)) = a_word(&api, slug, &state, k) else {
                eprintln!("{slug}: no word to annotate");
                failed = true;
                continue;
            };
            std::thread::sleep(Duration::from_millis(300));
            while events.try_recv().is_ok() {}
            let body = json!({"slug": slug, "version": state["version"], "op": "add", "start": s, "end": e,
                              "text": text, "what": what});
            let t0 = Instant::now();
            let (status, reply) = api.call("POST", "apply", Some(&body));
            let replied = t0.elapsed();
            if status != 200 {
                eprintln!("{slug} {name}: {status} {reply}");
                failed = true;
                continue;
            }
            // (a late `written` of the last undo may come first)
            let reloaded = loop {
                match events.recv_timeout(Duration::from_secs(60)) {
                    Ok((ev, at)) if ev == "reload" => break Some(at.duration_since(t0)),
                    Ok((ev, _)) if ev == "written" => continue,
                    other => {
                        eprintln!("{slug} {name}: {other:?} instead of a reload");
                        break None;
                    }
                }
            };
            let Some(reloaded) = reloaded else {
                failed = true;
                continue;
            };
            let (status, _) = http(addr, "GET", &page, &[], None);
            let shown = t0.elapsed();
            assert_eq!(status, 200);
            // the other pages the change rewrites, written after the reply
            let rest = reply["rest"].as_u64().unwrap_or(0);
            let all = if rest > 0 {
                match events.recv_timeout(Duration::from_secs(60)) {
                    Ok((ev, at)) if ev == "written" => at.duration_since(t0),
                    other => {
                        eprintln!("{slug} {name}: {other:?} instead of the rest written");
                        failed = true;
                        continue;
                    }
                }
            } else {
                replied
            };
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            times.push((name, ms(replied), ms(reloaded), ms(shown), ms(all)));
            // back to the corpus as generated
            std::thread::sleep(Duration::from_millis(300));
            let t = Instant::now();
            let (status, reply) = api.call("POST", "undo", Some(&json!({"slug": slug})));
            if status != 200 {
                eprintln!("{slug} {name}: undo {status} {reply}");
                failed = true;
            }
            undo_ms.push(ms(t.elapsed()));
        }
    }
    println!(
        "{:<26} {:>5} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "change", "n", "reply", "reload", "page", "page max", "all pages"
    );
    let mut names: Vec<&str> = times.iter().map(|t| t.0).collect();
    names.dedup();
    names.sort();
    names.dedup();
    let mut all_pages = Vec::new();
    for name in names {
        let pick = |f: fn(&(&str, f64, f64, f64, f64)) -> f64| -> Vec<f64> {
            times.iter().filter(|t| t.0 == name).map(f).collect()
        };
        let (mut a, mut b, mut c, mut d) = (pick(|t| t.1), pick(|t| t.2), pick(|t| t.3), pick(|t| t.4));
        all_pages.extend(c.iter().copied());
        let max = c.iter().copied().fold(0.0, f64::max);
        println!(
            "{name:<26} {:>5} {:>8.0}ms {:>8.0}ms {:>8.0}ms {:>8.0}ms {:>8.0}ms",
            c.len(),
            median(&mut a),
            median(&mut b),
            median(&mut c),
            max,
            median(&mut d)
        );
    }
    if !all_pages.is_empty() {
        println!(
            "all changes: median {:.0} ms from the save to the updated page ({} changes); undo median {:.0} ms",
            median(&mut all_pages),
            all_pages.len(),
            median(&mut undo_ms)
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    server.stop();
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
