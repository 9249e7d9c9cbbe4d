#!/usr/bin/env python3
"""Bytes a reader's browser fetches for a search, in headless Chromium
(docs/performance.md, "Search").

    bench/search_bytes.py glossa OUT QUERY...      glossa's /search/, OUT = a built site
    bench/search_bytes.py pagefind DIR QUERY...    Pagefind's JS API on DIR/pagefind/
    bench/search_bytes.py records SITE OUT FILE    Pagefind records (JSON lines) for a
                                                   glossa site SITE built into OUT by a
                                                   glossa before commit 91c4f43 (it reads
                                                   the old search/*.json and the pages)

Serves the folder with Python's http.server (no compression, no caching),
and for each query starts a fresh headless Chromium (chromedriver on PATH),
puts the query in the search box (glossa) or calls `pagefind.search` (with a
variant per `d`/`đ`, since Pagefind does not fold `đ`), and prints as JSON
what the server sent of the search files (glossa: `search.js` and
`search/`; Pagefind: `pagefind/`): until the first result is in the page,
and until every result shown and its excerpt are (Pagefind: the first 30
results' data). Raw bytes, and gzipped (`gzip -6` of each file; files that
are gzipped already as they are). `V=1` lists the files.

The Pagefind bundle was made with a 30-line Rust program on `pagefind =
{ version = "1.6", default-features = false }` (plus Tokio with `io-util`
and `fs`, which that configuration needs to compile): for each record,
`PagefindIndex::add_custom_record(url, content, "vi", {title}, {kind},
None)`, then `build_indexes` and `write_files`, with
`PagefindServiceConfig::builder().force_language("vi")`.
"""
import functools
import gzip
import http.server
import json
import os
import re
import socketserver
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request


def records(site, out, dest):
    """Pagefind records from a glossa build (old three-file search index)."""
    import tomllib
    from html.parser import HTMLParser

    class Body(HTMLParser):
        def __init__(self):
            super().__init__()
            self.depth, self.text = 0, []

        def handle_starttag(self, tag, attrs):
            if self.depth:
                self.depth += tag == "div"
                if tag in ("p", "li", "h2", "h3", "blockquote", "br"):
                    self.text.append("\n")
            elif tag == "div" and "article-body" in (dict(attrs).get("class") or ""):
                self.depth = 1

        def handle_endtag(self, tag):
            if self.depth and tag == "div":
                self.depth -= 1

        def handle_data(self, d):
            if self.depth:
                self.text.append(d)

    with open(dest, "w") as w:
        def put(url, title, content, kind):
            w.write(json.dumps({"url": url, "title": title, "content": content, "kind": kind}, ensure_ascii=False) + "\n")

        for d in json.load(open(f"{out}/search/entities.json")):
            slug = d["u"].strip("/").split("/")[-1]
            fm = tomllib.loads(open(f"{site}/content/entities/{slug}.md").read().split("+++")[1])
            put(d["u"], d["t"], " · ".join([fm["name"]] + fm.get("aliases", [])), "e")
        for d in json.load(open(f"{out}/search/articles.json")):
            p = Body()
            p.feed(open(f"{out}{d['u']}index.html").read())
            body = re.sub(r"[ \t]+", " ", "".join(p.text)).strip()
            put(d["u"], d["t"], d["t"] + "\n" + d["s"] + "\n" + body, "a")
        for d in json.load(open(f"{out}/search/quotes.json")):
            put(d["u"], d["t"], d["t"] + " " + d["s"], "q")


PAGEFIND_PAGE = """<!doctype html><meta charset=utf-8><title>pagefind</title><body><script type=module>
const q = new URLSearchParams(location.search).get('q');
const pagefind = await import('/pagefind/pagefind.js');
// Pagefind folds tones but not đ: search each variant with đ for d, merge
const words = q.toLowerCase().split(/\\s+/).filter(Boolean);
let variants = [''];
for (const w of words) {
  const vs = w.includes('d') ? [w, w.replace(/d/g, 'đ')] : [w];
  variants = variants.flatMap(v => vs.map(x => (v ? v + ' ' : '') + x));
}
const seen = new Map();
for (const v of variants) {
  const r = await pagefind.search(v);
  for (const x of r.results) if (!seen.has(x.id) || seen.get(x.id).score < x.score) seen.set(x.id, x);
}
const results = [...seen.values()].sort((a, b) => b.score - a.score);
window.__count = results.length;
if (results.length) window.__title = (await results[0].data()).meta.title;
window.__first = Date.now();
await Promise.all(results.slice(0, 30).map(r => r.data()));
window.__done = true;
</script>"""


def main():
    mode = sys.argv[1]
    if mode == "records":
        return records(*sys.argv[2:5])
    root, queries = sys.argv[2], sys.argv[3:]
    served = []  # (time the response ended in ms, URL path, bytes)

    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = dict(http.server.SimpleHTTPRequestHandler.extensions_map,
                              **{".json": "application/json", ".js": "text/javascript"})

        def log_message(self, *a):
            pass

        def end_headers(self):
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def copyfile(self, source, out):
            data = source.read()
            out.write(data)
            out.flush()
            served.append((time.time() * 1000, self.path.split("?")[0], len(data)))

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

    httpd = Server(("127.0.0.1", 0), functools.partial(Handler, directory=root))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{httpd.server_address[1]}"
    if mode == "pagefind":
        with open(os.path.join(root, "pagefind-measure.html"), "w") as f:
            f.write(PAGEFIND_PAGE)

    driver = subprocess.Popen(["chromedriver", "--port=0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = next(int(l.split("port")[1].split()[0].strip(".")) for l in driver.stdout if "started successfully on port" in l)

    def call(method, path, body=None):
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        return json.loads(urllib.request.urlopen(req, timeout=120).read())["value"]

    def js(sid, script):
        return call("POST", f"/session/{sid}/execute/sync", {"script": script, "args": []})

    def wait(sid, script, timeout=120):
        end = time.time() + timeout
        while time.time() < end:
            v = js(sid, script)
            if v:
                return v
            time.sleep(0.02)
        raise SystemExit(f"timed out: {script}")

    def gz(path):
        data = open(os.path.join(root, path.lstrip("/")), "rb").read()
        packed = path.endswith(".gz") or ".pf_" in path or path.endswith(".pagefind")
        return len(data) if packed else len(gzip.compress(data, 6, mtime=0))

    def ours(path):
        if mode == "glossa":
            return path.endswith("/search.js") or ("/search/" in path and not path.endswith("/search/"))
        return "/pagefind/" in path

    caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
        "binary": "/usr/bin/chromium", "args": ["--headless=new", "--no-sandbox", "--disable-gpu"]}}}}
    for q in queries:
        sid = call("POST", "/session", caps)["sessionId"]
        served.clear()
        try:
            if mode == "glossa":
                call("POST", f"/session/{sid}/url", {"url": origin + "/search/"})
                wait(sid, "return document.readyState === 'complete'")
                # the moment the first result is in the page
                js(sid, "window.__first = null; new MutationObserver(function (_, o) {"
                        " if (document.querySelector('#glossa-search a.search-result')) { window.__first = Date.now(); o.disconnect(); }"
                        " }).observe(document.getElementById('glossa-search'), {childList: true, subtree: true}); return true")
                js(sid, "var i = document.getElementById('search-input'); i.value = " + json.dumps(q)
                        + "; i.dispatchEvent(new Event('input')); return true")
                wait(sid, "return !!document.querySelector('#glossa-search .search-status').textContent.trim()"
                          " && !document.querySelector('#glossa-search .search-results').getAttribute('aria-busy')")
                time.sleep(1.5)  # the excerpts of the results in view
                title = js(sid, "var a = document.querySelector('#glossa-search a.search-result'); return a ? a.textContent : ''")
                count = js(sid, "return document.querySelector('#glossa-search .search-status').textContent")
            else:
                call("POST", f"/session/{sid}/url", {"url": origin + "/pagefind-measure.html?q=" + urllib.parse.quote(q)})
                wait(sid, "return window.__done === true")
                title, count = js(sid, "return window.__title || ''"), js(sid, "return window.__count")
            first = js(sid, "return window.__first") or float("inf")
            files = [s for s in served if ours(s[1])]

            def total(xs):
                return {"files": len(xs), "raw": sum(x[2] for x in xs), "gzip": sum(gz(x[1]) for x in xs)}

            print(json.dumps({"query": q, "first_title": title, "results": count,
                              "first": total([x for x in files if x[0] <= first]), "all": total(files),
                              "files": [(x[1], x[2]) for x in files] if os.environ.get("V") else None},
                             ensure_ascii=False), flush=True)
        finally:
            call("DELETE", f"/session/{sid}")
    driver.terminate()


if __name__ == "__main__":
    main()
