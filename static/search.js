/* glossa search: full-text search over a sharded index, as you type.
   Words are folded as the build folds them (NFD, marks removed, đ → d,
   lower case), so "bac kinh" finds "Bắc Kinh" and "dang" finds "Đặng".
   A query fetches one shard of the term index per word (the shard its
   first three letters pick), then the result lines of the results shown,
   then, for an article found by a word of its body, that article's text for
   the excerpt. Results are grouped entities → articles → quotes; ↑/↓ move
   through them, Enter opens one. No network beyond this site. The file
   formats are described in src/render/search.rs. */
(function () {
  "use strict";
  var root = document.getElementById("glossa-search");
  if (!root) return;
  var input = root.querySelector("input[type=search]");
  var out = root.querySelector(".search-results");
  var status = root.querySelector(".search-status");
  var labels = JSON.parse(root.getAttribute("data-labels") || "{}");
  var metaUrl = root.getAttribute("data-index") || "";
  var base = metaUrl.replace(/[^\/]*$/, "");
  var KINDS = ["e", "a", "q"];
  var WEIGHT = [1, 2, 4, 8]; // body, body often, secondary field, title
  var SHOWN = 10; // results per group, and per "more"
  var MAX_TERM = 40;

  var files = {};
  function get(url) {
    if (!files[url]) {
      files[url] = fetch(url).then(function (r) {
        if (!r.ok) throw new Error(url + ": " + r.status);
        return r.json();
      });
      files[url].catch(function () { delete files[url]; });
    }
    return files[url];
  }
  var meta = get(metaUrl).then(function (m) {
    if (m.v !== 3) throw new Error("search index format " + m.v);
    return m;
  });
  // A gzipped JSON file (articles' texts). Unpacked here, unless the
  // server sent it with Content-Encoding and the browser already did.
  function getGzip(url) {
    if (!files[url]) {
      files[url] = fetch(url).then(function (r) {
        if (!r.ok) throw new Error(url + ": " + r.status);
        return r.arrayBuffer();
      }).then(function (buf) {
        var b = new Uint8Array(buf);
        if (b[0] !== 0x1f || b[1] !== 0x8b) return new TextDecoder().decode(b);
        var s = new Blob([b]).stream().pipeThrough(new DecompressionStream("gzip"));
        return new Response(s).text();
      }).then(JSON.parse);
      files[url].catch(function () { delete files[url]; });
    }
    return files[url];
  }

  function fold(s) {
    return s.normalize("NFD").replace(/\p{M}/gu, "").replace(/[đĐ]/g, "d").toLowerCase();
  }
  function words(s) { return fold(s).split(/[^\p{L}\p{N}]+/u).filter(Boolean); }

  // The shard of a term: FNV-1a over the UTF-8 of its first `prefix` characters.
  function shardOf(term, m) {
    var bytes = new TextEncoder().encode(Array.from(term).slice(0, m.prefix).join(""));
    var h = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
    return h % m.shards;
  }

  // Postings: "E,A,Q", each "title.secondary.often.once" (see
  // src/render/search.rs).
  var DIGIT = {};
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".split("").forEach(function (c, i) { DIGIT[c] = i; });
  function vlqs(s) {
    var v = [], n = 0, shift = 0;
    for (var i = 0; i < s.length; i++) {
      var d = DIGIT[s[i]];
      n += (d & 31) * Math.pow(2, shift);
      if (d & 32) { shift += 5; } else { v.push(n); n = 0; shift = 0; }
    }
    return v;
  }
  function docSet(s, each) {
    if (s[0] === "!") {
      for (var i = 1; i < s.length; i++) {
        var b = DIGIT[s[i]];
        for (var j = 0; j < 6; j++) if (b & (1 << j)) each((i - 1) * 6 + j);
      }
    } else {
      var next = 0;
      vlqs(s).forEach(function (g) { each(next + g); next += g + 1; });
    }
  }
  // → per kind, a Map doc → {f: field class 0–3, n: title words}
  function decode(str, into) {
    var kinds = str.split(",");
    into = into || [new Map(), new Map(), new Map()];
    kinds.forEach(function (part, k) {
      var seg = part.split("."), map = into[k];
      function put(d, f, n) {
        var was = map.get(d);
        if (!was || was.f < f) map.set(d, { f: f, n: n });
      }
      if (k === 0) {
        // an entity's name: (gap, words in the name) pairs
        var v = vlqs(seg[0] || ""), next = 0;
        for (var i = 0; i + 1 < v.length; i += 2) { put(next + v[i], 3, v[i + 1]); next += v[i] + 1; }
      } else {
        docSet(seg[0] || "", function (d) { put(d, 3, 0); });
      }
      docSet(seg[1] || "", function (d) { put(d, 2, 0); });
      docSet(seg[2] || "", function (d) { put(d, 1, 0); });
      docSet(seg[3] || "", function (d) { put(d, 0, 0); });
    });
    return into;
  }

  // What one query word matches: exact, or (the last word, still being
  // typed) every term it starts.
  function lookup(m, w, prefix) {
    return get(base + "t/" + shardOf(w, m) + ".json").then(function (shard) {
      if (!prefix) return shard.t[w] ? decode(shard.t[w]) : decode("");
      if (Array.from(w).length < m.prefix) return decode(shard.p[w] || "");
      var into = decode("");
      for (var t in shard.t) if (t.lastIndexOf(w, 0) === 0) decode(shard.t[t], into);
      return into;
    });
  }

  function search(m, query) {
    var ws = words(query);
    if (ws.some(function (w) { return Array.from(w).length > MAX_TERM; })) return Promise.resolve(null);
    // the last word is a prefix unless the query ends after it
    var open = !/[^\p{L}\p{N}\p{M}]$/u.test(query);
    var seen = {}, q = [];
    ws.forEach(function (w, i) {
      var prefix = open && i === ws.length - 1;
      if (!seen[w + prefix]) { seen[w + prefix] = 1; q.push({ w: w, prefix: prefix }); }
    });
    return Promise.all(q.map(function (x) { return lookup(m, x.w, x.prefix); })).then(function (all) {
      var groups = KINDS.map(function (_, k) {
        var maps = all.map(function (a) { return a[k]; });
        var list = [];
        maps.slice().sort(function (x, y) { return x.size - y.size; })[0].forEach(function (_, d) {
          var s = 0, title = true, n = -1, fields = [];
          for (var i = 0; i < maps.length; i++) {
            var hit = maps[i].get(d);
            if (!hit) return;
            s += WEIGHT[hit.f];
            fields.push(hit.f);
            if (hit.f === 3) n = hit.n; else title = false;
          }
          // an entity's whole name typed: first
          if (title && n === maps.length) s += 100;
          list.push({ k: k, d: d, s: s, fields: fields });
        });
        list.sort(function (x, y) { return y.s - x.s || x.d - y.d; });
        return list;
      });
      return { words: q, df: all.map(function (a) { return a[1].size; }), groups: groups };
    });
  }

  // ── showing results ────────────────────────────────────────────────────
  var current = 0; // the query being shown; older ones stop
  function docsUrl(m, r) { return base + KINDS[r.k] + "/" + Math.floor(r.d / m[KINDS[r.k]][1]) + ".json"; }
  function doc(m, r) { return get(docsUrl(m, r)).then(function (c) { return c[r.d % m[KINDS[r.k]][1]]; }); }

  function matches(q, token) {
    var f = fold(token);
    return q.words.some(function (x) { return x.prefix ? f.lastIndexOf(x.w, 0) === 0 : f === x.w; });
  }
  // `text` into `el`, the query's words in <mark>.
  function highlight(el, text, q) {
    var re = /[\p{L}\p{N}\p{M}]+/gu, at = 0, m;
    while ((m = re.exec(text))) {
      if (!matches(q, m[0])) continue;
      if (m.index > at) el.appendChild(document.createTextNode(text.slice(at, m.index)));
      var mark = document.createElement("mark");
      mark.textContent = m[0];
      el.appendChild(mark);
      at = m.index + m[0].length;
    }
    if (at < text.length) el.appendChild(document.createTextNode(text.slice(at)));
  }
  // The part of an article's text around its first occurrence of the query's
  // rarest word (of those it has).
  function excerpt(text, q) {
    var order = q.words.map(function (x, i) { return { x: x, df: q.df[i] }; })
      .sort(function (a, b) { return a.df - b.df; });
    var re = /[\p{L}\p{N}\p{M}]+/gu, m, best = null;
    for (var i = 0; i < order.length && best === null; i++) {
      var one = { words: [order[i].x] };
      re.lastIndex = 0;
      while ((m = re.exec(text))) if (matches(one, m[0])) { best = m.index; break; }
    }
    if (best === null) return null;
    var start = Math.max(0, best - 70), end = Math.min(text.length, best + 170);
    // whole words, one paragraph
    while (start > 0 && /[\p{L}\p{N}\p{M}]/u.test(text[start - 1])) start--;
    while (end < text.length && /[\p{L}\p{N}\p{M}]/u.test(text[end])) end++;
    var nl = text.lastIndexOf("\n", best);
    if (nl >= start) start = nl + 1;
    var nl2 = text.indexOf("\n", best);
    if (nl2 !== -1 && nl2 < end) end = nl2;
    return (start > 0 ? "…" : "") + text.slice(start, end).trim() + (end < text.length ? "…" : "");
  }

  function item(m, q, r, d) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = d.u;
    a.className = "search-result";
    highlight(a, d.t, q);
    li.appendChild(a);
    var snippet = d.s;
    // an entity found by an alias shows its aliases
    if (d.x && !d.t.split(/[^\p{L}\p{N}\p{M}]+/u).some(function (t) { return t && matches(q, t); })) snippet = d.x;
    var p = document.createElement("span");
    p.className = "search-snippet";
    if (snippet) highlight(p, snippet, q);
    li.appendChild(p);
    // found by a word of its body: an excerpt of the text there, fetched
    // when the result comes into view
    if (KINDS[r.k] === "a" && r.fields.some(function (f) { return f < 2; })) {
      var token = current;
      var chunk = base + "x/" + Math.floor(r.d / m.x) + ".json.gz";
      whenSeen(li, function () {
        getGzip(chunk).then(function (texts) {
          var e = token === current && excerpt(texts[r.d % m.x], q);
          if (!e) return;
          while (p.firstChild) p.removeChild(p.firstChild);
          highlight(p, e, q);
          p.classList.add("search-excerpt");
        }).catch(function () {});
      });
    }
    return li;
  }

  var seen = typeof IntersectionObserver === "function" && new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      if (!e.isIntersecting) return;
      seen.unobserve(e.target);
      var f = e.target.glossaSeen;
      delete e.target.glossaSeen;
      if (f) f();
    });
  }, { rootMargin: "200px" });
  function whenSeen(el, f) {
    if (!seen) return f();
    el.glossaSeen = f;
    seen.observe(el);
  }

  function show(m, q, query) {
    var token = current;
    var sections = [];
    var count = 0;
    q.groups.forEach(function (list, k) {
      count += list.length;
      if (!list.length) return;
      var section = document.createElement("section");
      section.className = "search-group search-group-" + KINDS[k];
      var h = document.createElement("h2");
      h.textContent = labels[KINDS[k]] || KINDS[k];
      section.appendChild(h);
      var ul = document.createElement("ul");
      section.appendChild(ul);
      sections.push({ section: section, ul: ul, list: list, shown: 0 });
    });
    // The first result's lines first; then the others, in order.
    var first = sections.length ? doc(m, sections[0].list[0]) : Promise.resolve();
    var ready = first.then(function () {
      // (a query typed since then owns the list and the status line)
      if (token !== current) return;
      // (the lines of every result shown, fetched together)
      sections.forEach(function (g) {
        g.list.slice(0, SHOWN).forEach(function (r) { doc(m, r).catch(function () {}); });
      });
      while (out.firstChild) out.removeChild(out.firstChild);
      status.textContent = count ? (labels.found || "") + " " + count : (labels.none || "0");
    });
    sections.forEach(function (g) {
      ready = ready.then(function () { if (token === current) out.appendChild(g.section); });
      ready = more(m, q, g, token, ready);
    });
    return ready.then(function () { if (token === current) out.removeAttribute("aria-busy"); });
  }

  // Shows the next results of a group: their lines fetched together,
  // added in order.
  function more(m, q, g, token, after) {
    var next = g.list.slice(g.shown, g.shown + SHOWN);
    g.shown += next.length;
    var lines = next.map(function (r) { return after.then(function () { return doc(m, r); }); });
    var done = after;
    var added = [];
    next.forEach(function (r, i) {
      done = done.then(function () { return lines[i]; }).then(function (d) {
        if (token !== current || !d) return;
        var li = item(m, q, r, d);
        g.ul.appendChild(li);
        added.push(li);
      });
    });
    return done.then(function () {
      if (token !== current) return;
      var old = g.section.querySelector(".search-more");
      if (old) old.parentNode.removeChild(old);
      if (g.shown < g.list.length) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "search-more";
        b.textContent = (labels.more || "+") + " (" + (g.list.length - g.shown) + ")";
        b.addEventListener("click", function () {
          var before = g.ul.children.length;
          more(m, q, g, current, Promise.resolve()).then(function () {
            var a = g.ul.children[before] && g.ul.children[before].querySelector("a");
            if (a) a.focus();
          });
        });
        g.section.appendChild(b);
      }
    });
  }

  function render(query) {
    var token = ++current;
    if (!words(query).length) {
      while (out.firstChild) out.removeChild(out.firstChild);
      out.removeAttribute("aria-busy");
      status.textContent = "";
      return;
    }
    // (until the results shown have all come)
    out.setAttribute("aria-busy", "true");
    meta.then(function (m) {
      return search(m, query).then(function (q) {
        if (token !== current) return;
        if (!q) { q = { words: [], groups: [[], [], []] }; }
        return show(m, q, query);
      });
    }).catch(function () {
      if (token !== current) return;
      out.removeAttribute("aria-busy");
      status.textContent = labels.none || "";
    });
  }

  function links() { return Array.prototype.slice.call(out.querySelectorAll("a.search-result")); }
  root.addEventListener("keydown", function (ev) {
    var all = links();
    if (!all.length) return;
    var i = all.indexOf(document.activeElement);
    if (ev.key === "ArrowDown") { ev.preventDefault(); all[Math.min(i + 1, all.length - 1)].focus(); }
    else if (ev.key === "ArrowUp") { ev.preventDefault(); if (i <= 0) input.focus(); else all[i - 1].focus(); }
  });
  // Keys typed in quick succession make one query, not one each.
  var timer = null;
  input.addEventListener("input", function () {
    // Keep the query in the URL, so Back from a result returns to it.
    var v = input.value;
    history.replaceState(null, "", v ? "?q=" + encodeURIComponent(v) : location.pathname);
    // (what is shown is the last query's until this one's results come: a
    // search still running for it no longer owns the list)
    current++;
    out.setAttribute("aria-busy", "true");
    clearTimeout(timer);
    timer = setTimeout(function () { render(v); }, 60);
  });
  var q = new URLSearchParams(location.search).get("q");
  if (q && !input.value) input.value = q;
  if (input.value) render(input.value);
})();
