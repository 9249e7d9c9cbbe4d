// glossa serve: annotate mode — select text in an article, say what it is,
// and the annotation file is written for you. Injected into served article
// pages only (never into the files on disk), with the token of this serve
// run; the server (src/serve/annotate/) checks and writes.
//
// Offsets sent to the server are UTF-16 offsets into the article's rendered
// text (what anchoring sees: Markdown syntax gone, white space collapsed,
// blocks on their own lines), which the server sends with the page's state.
// The page's text nodes inside .article-body — minus what glossa adds
// around the text (sidenotes, note toggles, quote permalinks) — are aligned
// with it character by character, so a selection anywhere (inside bold or a
// link, across a note marker, inside a mention) maps to exact offsets, and
// a page that is out of date is noticed instead of misread.
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script) return;
  const API = script.dataset.api;
  const TOKEN = script.dataset.token;
  const SLUG = script.dataset.slug;
  const body = document.querySelector(".article-body");
  if (!API || !TOKEN || !SLUG || !body) return;

  const KEY = "glossa-annotate:";
  const store = {
    get(k, d) {
      try {
        const v = localStorage.getItem(KEY + k);
        return v === null ? d : JSON.parse(v);
      } catch (_) {
        return d;
      }
    },
    set(k, v) {
      try {
        localStorage.setItem(KEY + k, JSON.stringify(v));
      } catch (_) {}
    },
  };
  const session = {
    take(k) {
      try {
        const v = sessionStorage.getItem(KEY + k);
        sessionStorage.removeItem(KEY + k);
        return v === null ? null : JSON.parse(v);
      } catch (_) {
        return null;
      }
    },
    set(k, v) {
      try {
        sessionStorage.setItem(KEY + k, JSON.stringify(v));
      } catch (_) {}
    },
  };

  // ---------------------------------------------------------------- server

  async function api(method, what, data) {
    const headers = { "X-Glossa-Token": TOKEN };
    if (data !== undefined) headers["Content-Type"] = "application/json";
    let reply;
    try {
      const r = await fetch(API + what, {
        method,
        headers,
        body: data === undefined ? undefined : JSON.stringify(data),
        credentials: "same-origin",
        cache: "no-store",
      });
      try {
        reply = await r.json();
        reply.status = r.status;
      } catch (_) {
        // cut off while reading (the page is being reloaded): outcome unknown
        reply = { ok: false, status: 0, reason: "The server's answer was cut off (" + r.status + ")." };
      }
    } catch (e) {
      reply = { ok: false, status: 0, reason: "The server cannot be reached (is glossa serve still running?)." };
    }
    return reply;
  }

  // ------------------------------------------------ the page's text ↔ the article's text

  // White space as glossa collapses it (Unicode White_Space).
  const WS = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
  // What glossa adds around the text, which is not the article's text.
  const SKIP = ".sidenote, .margin-toggle, .quote-link, script, style, template, [data-glossa-ui]";

  let state = null; // the server's view of the article
  let map = null; // { nodes: [{node, base, m}], units: Int32Array, tpos: Int32Array }

  function textNodes() {
    const out = [];
    const walker = document.createTreeWalker(body, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
      acceptNode(n) {
        if (n.nodeType === 1) return n.matches(SKIP) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_SKIP;
        return NodeFilter.FILTER_ACCEPT;
      },
    });
    for (let n = walker.nextNode(); n; n = walker.nextNode()) out.push(n);
    return out;
  }

  // Aligns the page's text with the article's: null when they differ.
  function buildMap(text) {
    const nodes = [];
    let total = 0;
    for (const node of textNodes()) {
      nodes.push({ node, base: total });
      total += node.data.length;
    }
    const units = new Int32Array(total).fill(-1);
    const tpos = new Int32Array(text.length).fill(-1);
    let j = 0;
    const skipSpace = () => {
      while (j < text.length && (text[j] === " " || text[j] === "\n")) j++;
    };
    for (const { node, base } of nodes) {
      const d = node.data;
      for (let i = 0; i < d.length; i++) {
        const c = d[i];
        if (WS.test(c)) continue;
        skipSpace();
        if (text[j] !== c) return null;
        units[base + i] = j;
        tpos[j] = base + i;
        j++;
      }
    }
    skipSpace();
    if (j !== text.length) return null;
    const index = new Map(nodes.map((n, k) => [n.node, k]));
    return { nodes, units, tpos, index, total };
  }

  // A DOM boundary point as a position in the page's text (units before it).
  function unitAt(container, offset) {
    const k = map.index.get(container);
    if (k !== undefined) return map.nodes[k].base + offset;
    const point = document.createRange();
    try {
      point.setStart(container, offset);
    } catch (_) {
      return -1;
    }
    for (const n of map.nodes) if (point.comparePoint(n.node, 0) >= 0) return n.base;
    return map.total;
  }

  // The article-text range [start, end) of a DOM range; null when it holds
  // no text.
  function toText(range) {
    const a = unitAt(range.startContainer, range.startOffset);
    const b = unitAt(range.endContainer, range.endOffset);
    if (a < 0 || b < 0) return null;
    let start = -1;
    let end = -1;
    for (let u = a; u < b; u++) {
      if (map.units[u] >= 0) {
        start = map.units[u];
        break;
      }
    }
    for (let u = b - 1; u >= a; u--) {
      if (map.units[u] >= 0) {
        end = map.units[u] + 1;
        break;
      }
    }
    if (start < 0 || end <= start) return null;
    return [start, end];
  }

  // The DOM range of article-text range [start, end).
  function toDom(start, end) {
    let s = start;
    while (s < end && map.tpos[s] < 0) s++;
    let e = end - 1;
    while (e > s && map.tpos[e] < 0) e--;
    if (s >= end || map.tpos[s] < 0) return null;
    const point = (u) => {
      let lo = 0;
      let hi = map.nodes.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (map.nodes[mid].base <= u) lo = mid;
        else hi = mid - 1;
      }
      return [map.nodes[lo].node, u - map.nodes[lo].base];
    };
    const [sn, so] = point(map.tpos[s]);
    const [en, eo] = point(map.tpos[e]);
    const r = document.createRange();
    r.setStart(sn, so);
    r.setEnd(en, eo + 1);
    return r;
  }

  // The article-text range of an element of the page.
  function elementText(el) {
    const r = document.createRange();
    r.selectNodeContents(el);
    return toText(r);
  }

  // ---------------------------------------------------------------- text helpers

  function fold(s) {
    return String(s)
      .normalize("NFD")
      .replace(/\p{M}/gu, "")
      .replace(/[đĐ]/g, "d")
      .toLowerCase();
  }

  function matches(keys, query) {
    const q = fold(query).trim();
    if (!q) return true;
    const tight = q.replace(/\s+/g, "");
    return keys.some((k) => k.includes(q) || k.replace(/\s+/g, "").includes(tight));
  }

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === null || v === undefined) continue;
      if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const k of kids) if (k !== null && k !== undefined) e.append(k);
    return e;
  }

  function excerpt(s, n) {
    s = String(s);
    return s.length > n ? s.slice(0, n - 1) + "…" : s;
  }

  // ---------------------------------------------------------------- the UI's frame

  const host = el("div", { "data-glossa-ui": "", id: "glossa-annotate" });
  const shadow = host.attachShadow({ mode: "open" });
  shadow.append(
    el("style", {
      text: `
:host { all: initial; }
* { box-sizing: border-box; }
.ga { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: #1a1a1a; }
button, input, select, textarea { font: inherit; color: inherit; }
button { cursor: pointer; border: 1px solid #6b6b6b; background: #fff; border-radius: 4px; padding: .25rem .6rem; }
button:hover { background: #eef3fb; }
button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, [role=option]:focus-visible { outline: 2px solid #0b57d0; outline-offset: 1px; }
button[disabled] { color: #595959; border-color: #b0b0b0; cursor: default; background: #f4f4f4; }
button.primary { background: #0b57d0; color: #fff; border-color: #0b57d0; }
button.primary:hover { background: #0a4bb3; }
button.danger { color: #a50e0e; border-color: #a50e0e; }
.bar { position: fixed; right: 1rem; bottom: 1rem; z-index: 2147483600; display: flex; gap: .4rem; align-items: center;
  background: #fff; border: 1px solid #8a8a8a; border-radius: 6px; padding: .35rem .5rem; box-shadow: 0 2px 10px rgba(0,0,0,.2); max-width: calc(100vw - 2rem); flex-wrap: wrap; }
.bar .status { max-width: 22rem; }
.bar [aria-pressed=true] { background: #0b57d0; color: #fff; border-color: #0b57d0; }
.toolbar { position: fixed; z-index: 2147483601; display: flex; gap: .3rem; flex-wrap: wrap; align-items: center; max-width: min(32rem, calc(100vw - 1rem));
  background: #fff; border: 1px solid #8a8a8a; border-radius: 6px; padding: .3rem; box-shadow: 0 2px 10px rgba(0,0,0,.25); }
.toolbar .why { max-width: 28rem; padding: .1rem .3rem; }
.toolbar .hint { color: #595959; font-size: 12px; padding: 0 .3rem; }
dialog { border: 1px solid #8a8a8a; border-radius: 8px; padding: 1rem 1.1rem; width: min(34rem, calc(100vw - 2rem)); max-height: calc(100vh - 2rem); overflow: auto; background: #fff; }
dialog::backdrop { background: rgba(0,0,0,.25); }
h2 { font-size: 1.05rem; margin: 0 0 .6rem; }
.quoted { margin: 0 0 .8rem; padding: .3rem .5rem; border-left: 3px solid #0b57d0; background: #f3f6fb; }
label.field { display: block; margin: .55rem 0 .2rem; font-weight: 600; }
input[type=text], input[type=url], input[type=search], select, textarea { width: 100%; padding: .35rem .45rem; border: 1px solid #6b6b6b; border-radius: 4px; background: #fff; }
textarea { min-height: 6rem; resize: vertical; }
[role=listbox] { list-style: none; margin: .25rem 0 0; padding: 0; max-height: 14rem; overflow: auto; border: 1px solid #b0b0b0; border-radius: 4px; }
[role=option] { padding: .3rem .5rem; cursor: pointer; display: flex; justify-content: space-between; gap: .5rem; }
[role=option][aria-selected=true] { background: #dbe7fb; }
[role=option] .kind { color: #595959; font-size: 12px; }
.row { display: flex; gap: .5rem; align-items: center; margin-top: .6rem; flex-wrap: wrap; }
.row.end { justify-content: flex-end; margin-top: 1rem; }
.new { border: 1px dashed #8a8a8a; border-radius: 6px; padding: .2rem .6rem .6rem; margin-top: .5rem; }
.preview { margin-top: .3rem; padding: .4rem .6rem; border: 1px solid #d0d0d0; border-radius: 4px; background: #fafafa; min-height: 2rem; }
.error { color: #a50e0e; margin-top: .6rem; }
.error pre { white-space: pre-wrap; font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; color: #1a1a1a; background: #fdf0f0; padding: .5rem; border-radius: 4px; overflow: auto; }
.writes { color: #595959; font-size: 12px; margin-top: .5rem; }
fieldset { border: 0; padding: 0; margin: .5rem 0 0; }
legend { font-weight: 600; padding: 0; }
.list { list-style: none; padding: 0; margin: .3rem 0 1rem; }
.list li { display: flex; justify-content: space-between; gap: .5rem; align-items: center; padding: .3rem 0; border-bottom: 1px solid #e3e3e3; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (prefers-color-scheme: dark) {
  .ga { color: #ececec; }
  button, .bar, .toolbar, dialog, input[type=text], input[type=url], input[type=search], select, textarea { background: #1f1f23; color: #ececec; border-color: #9a9a9a; }
  button:hover { background: #2c3445; }
  button[disabled] { background: #2a2a2a; color: #a8a8a8; }
  button.primary, .bar [aria-pressed=true] { background: #8ab4f8; color: #111; border-color: #8ab4f8; }
  button.danger { color: #f6aea9; border-color: #f6aea9; }
  .quoted { background: #262b36; border-color: #8ab4f8; }
  [role=option][aria-selected=true] { background: #33415c; }
  [role=option] .kind, .toolbar .hint, .writes { color: #b8b8b8; }
  .preview { background: #26262b; border-color: #555; }
  .error { color: #f6aea9; }
  .error pre { background: #3a2326; color: #ececec; }
}
`,
    }),
  );
  const ui = el("div", { class: "ga" });
  shadow.append(ui);

  // The document's own style: suggestions' underlines (CSS highlights) and
  // a hint that annotations are editable.
  const pageStyle = el("style", {
    "data-glossa-ui": "",
    text: `::highlight(glossa-suggestion) { text-decoration: underline dotted 2px; text-decoration-color: #1a73e8; text-underline-offset: 3px; }
html[data-glossa-annotate=on] .article-body :is(.mention:not(.auto):not(.mention-plain), mark.quote, .note-ref, a.xref) { cursor: context-menu; }`,
  });

  // the bar: the mode toggle, undo, the list of annotations and suggestions
  const status = el("span", { class: "status", role: "status", "aria-live": "polite" });
  const toggle = el("button", {
    type: "button",
    "aria-pressed": "false",
    "aria-keyshortcuts": "Alt+Shift+A",
    title: "Annotate mode: select text to annotate it (Alt+Shift+A moves to the toolbar)",
    text: "Annotate",
  });
  const undoButton = el("button", { type: "button", disabled: true, text: "Undo" });
  const listButton = el("button", { type: "button", disabled: true, text: "Annotations…" });
  const bar = el("div", { class: "bar", role: "region", "aria-label": "glossa annotate" }, toggle, undoButton, listButton, status);
  ui.append(bar);

  // the toolbar shown over a selection
  const toolbar = el("div", { class: "toolbar", role: "toolbar", "aria-label": "Annotate the selection", hidden: true });
  ui.append(toolbar);

  const dialog = el("dialog", { "aria-labelledby": "ga-title" });
  ui.append(dialog);

  function say(text) {
    status.textContent = text;
  }

  // ---------------------------------------------------------------- mode

  let on = store.get("on", true);
  let entities = null; // loaded on first use
  let articles = null;

  function setMode(v) {
    on = v;
    store.set("on", v);
    toggle.setAttribute("aria-pressed", String(v));
    document.documentElement.setAttribute("data-glossa-annotate", v ? "on" : "off");
    undoButton.hidden = !v;
    listButton.hidden = !v;
    hideToolbar();
    paintSuggestions();
    if (!v) say("");
  }

  toggle.addEventListener("click", () => setMode(!on));

  async function load() {
    const s = await api("GET", "state?slug=" + encodeURIComponent(SLUG));
    if (!s.ok) {
      say(s.reason || "Annotate mode is not available.");
      document.documentElement.setAttribute("data-glossa-annotate-ready", "error");
      return;
    }
    state = s;
    map = buildMap(state.text);
    if (!map) {
      say("This page differs from the article's files (it is out of date); reloading…");
      setTimeout(() => location.reload(), 800);
      return;
    }
    undoButton.disabled = !(state.undo > 0);
    listButton.disabled = false;
    paintSuggestions();
    document.documentElement.setAttribute("data-glossa-annotate-ready", "yes");
  }

  // ---------------------------------------------------------------- suggestions

  function paintSuggestions() {
    if (!window.CSS || !CSS.highlights || typeof Highlight !== "function") return;
    CSS.highlights.delete("glossa-suggestion");
    if (!on || !state || !map) return;
    const ranges = [];
    for (const s of state.suggestions) for (const [a, b] of s.ranges) {
      const r = toDom(a, b);
      if (r) ranges.push(r);
    }
    if (ranges.length) CSS.highlights.set("glossa-suggestion", new Highlight(...ranges));
  }

  // The suggestion (and its span) at article-text offset t.
  function suggestionAt(t) {
    if (!state) return null;
    for (const s of state.suggestions) for (const [a, b] of s.ranges) if (a <= t && t < b) return { s, range: [a, b] };
    return null;
  }

  function caretAt(x, y) {
    if (document.caretPositionFromPoint) {
      const p = document.caretPositionFromPoint(x, y);
      return p ? [p.offsetNode, p.offset] : null;
    }
    if (document.caretRangeFromPoint) {
      const r = document.caretRangeFromPoint(x, y);
      return r ? [r.startContainer, r.startOffset] : null;
    }
    return null;
  }

  // ---------------------------------------------------------------- selection → toolbar

  let current = null; // { start, end, text, check }
  let checkSeq = 0;

  function hideToolbar() {
    toolbar.hidden = true;
    toolbar.textContent = "";
    current = null;
  }

  function placeToolbar(rect) {
    toolbar.hidden = false;
    const w = toolbar.offsetWidth;
    const left = Math.max(8, Math.min(rect.left, document.documentElement.clientWidth - w - 8));
    let top = rect.bottom + 8;
    if (top + toolbar.offsetHeight > innerHeight - 8 && rect.top - toolbar.offsetHeight - 8 > 8) top = rect.top - toolbar.offsetHeight - 8;
    toolbar.style.left = Math.round(left) + "px";
    toolbar.style.top = Math.round(top) + "px";
  }

  // the toolbar follows its selection when the page scrolls
  addEventListener(
    "scroll",
    () => {
      if (toolbar.hidden) return;
      const sel = getSelection();
      if (sel && sel.rangeCount && !sel.isCollapsed) placeToolbar(sel.getRangeAt(0).getBoundingClientRect());
    },
    { passive: true },
  );

  function refuse(reason, rect) {
    toolbar.textContent = "";
    toolbar.append(
      el("span", { class: "why", role: "alert", text: reason }),
      el("button", { type: "button", "aria-label": "Close", text: "×", onclick: hideToolbar }),
    );
    placeToolbar(rect);
  }

  function inSidenote(node) {
    const e = node && (node.nodeType === 1 ? node : node.parentElement);
    return !!(e && e.closest(".sidenote"));
  }

  async function onSelection() {
    if (!on || !state || !map || dialog.open) return;
    const sel = getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) {
      if (!toolbar.contains(shadow.activeElement)) hideToolbar();
      return;
    }
    const range = sel.getRangeAt(0);
    const within = (n) => body.contains(n);
    if (!within(range.startContainer) && !within(range.endContainer)) return hideToolbar();
    const rect = range.getBoundingClientRect();
    if (!within(range.startContainer) || !within(range.endContainer)) {
      return refuse("Select text inside the article's body (not its title, or the page around it).", rect);
    }
    if (inSidenote(range.startContainer) || inSidenote(range.endContainer)) {
      return refuse("The selection starts or ends inside a note's text; select the article's text.", rect);
    }
    const span = toText(range);
    if (!span) return refuse("Select some text of the article first.", rect);
    const [start, end] = span;
    const text = state.text.slice(start, end);
    const seq = ++checkSeq;
    const check = await api("POST", "select", { slug: SLUG, version: state.version, start, end, text });
    if (seq !== checkSeq) return;
    if (check.status === 409) return stale();
    if (!check.ok) return refuse(check.reason, rect);
    current = { start, end, text, check };
    showToolbar(rect);
  }

  function showToolbar(rect) {
    toolbar.textContent = "";
    for (const [kind, label] of [
      ["mention", "Mention"],
      ["quote", "Quote"],
      ["note", "Note"],
      ["link", "Link"],
    ]) {
      toolbar.append(el("button", { type: "button", "data-kind": kind, text: label, onclick: () => openNew(kind) }));
    }
    const inside = (current.check.inside || []).map((k) => state.annotations[k]).filter(Boolean);
    if (inside.length) {
      const a = inside[inside.length - 1];
      toolbar.append(el("button", { type: "button", "data-edit": a.index, text: "Edit " + kindName(a.kind), onclick: () => openEdit(a) }));
    }
    toolbar.append(el("span", { class: "hint", text: "«" + excerpt(current.text, 40) + "»" }));
    placeToolbar(rect);
  }

  let selTimer = 0;
  document.addEventListener("selectionchange", () => {
    clearTimeout(selTimer);
    selTimer = setTimeout(onSelection, 120);
  });

  // ---------------------------------------------------------------- clicks on annotations and suggestions

  const EDITABLE = ".mention:not(.auto):not(.mention-plain), mark.quote, .note-ref, a.xref";

  function kindOf(e) {
    if (e.matches("mark.quote")) return "quote";
    if (e.matches(".note-ref")) return "note";
    if (e.matches("a.xref")) return "link";
    return "mention";
  }

  function kindName(kind) {
    return { mention: "mention", quote: "quote", note: "note", link: "link" }[kind] || kind;
  }

  // The annotation an element of the page draws.
  function annotationOf(e) {
    const span = elementText(e);
    if (!span || !state) return null;
    const kind = kindOf(e);
    let best = null;
    for (const a of state.annotations) {
      if (a.kind !== kind) continue;
      for (const [s, t] of a.ranges) {
        if (s <= span[0] && span[1] <= t && (!best || t - s < best.len)) best = { a, len: t - s };
      }
    }
    return best && best.a;
  }

  // The suggestion under a click, if any: the character after the caret,
  // or the one before it.
  function suggestionUnder(ev) {
    const at = caretAt(ev.clientX, ev.clientY);
    if (!at || at[0].nodeType !== 3) return null;
    for (const [a, b] of [
      [at[1], at[1] + 1],
      [at[1] - 1, at[1]],
    ]) {
      if (a < 0 || b > at[0].data.length) continue;
      const r = document.createRange();
      r.setStart(at[0], a);
      r.setEnd(at[0], b);
      const span = toText(r);
      const hit = span && suggestionAt(span[0]);
      if (hit) return hit;
    }
    return null;
  }

  body.addEventListener("click", (ev) => {
    if (!on || !state || !map) return;
    const sel = getSelection();
    if (sel && !sel.isCollapsed) return;
    // a suggestion first: it is the most specific (it may lie inside a quote)
    const hit = suggestionUnder(ev);
    if (hit) {
      ev.preventDefault();
      openSuggestion(hit.s, hit.range);
      return;
    }
    // the annotations drawn here, innermost first (a mention inside a
    // note inside a quote)
    const found = [];
    for (let e = ev.target.closest ? ev.target.closest(EDITABLE) : null; e && body.contains(e); e = e.parentElement && e.parentElement.closest(EDITABLE)) {
      const a = annotationOf(e);
      if (a && !found.includes(a)) found.push(a);
    }
    if (found.length) {
      ev.preventDefault();
      openEdit(found[0], found.slice(1));
    }
  });

  // ---------------------------------------------------------------- pickers

  async function entityList() {
    if (!entities) {
      const r = await api("GET", "entities");
      entities = r.ok ? r.entities : [];
    }
    return entities;
  }

  async function articleList() {
    if (!articles) {
      const r = await api("GET", "articles");
      articles = r.ok ? r.articles.filter((a) => a.slug !== SLUG) : [];
    }
    return articles;
  }

  function remember(id) {
    const recent = store.get("recent", []).filter((x) => x !== id);
    recent.unshift(id);
    store.set("recent", recent.slice(0, 12));
  }

  let uid = 0;

  // A combobox with its listbox: `items()` gives [{id, label, kind}] for a
  // query; `extra` is a last option ("New entity…").
  function combobox(label, items, extra, onPick) {
    const id = "ga-c" + ++uid;
    const input = el("input", {
      type: "text",
      id,
      role: "combobox",
      "aria-autocomplete": "list",
      "aria-expanded": "false",
      "aria-controls": id + "-list",
      autocomplete: "off",
    });
    const list = el("ul", { role: "listbox", id: id + "-list", "aria-label": label, hidden: true });
    let options = [];
    let active = -1;
    let picked = null;
    function render() {
      const found = items(input.value).slice(0, 30);
      options = found.map((it) => ({ ...it }));
      if (extra) options.push({ extra: true, label: extra });
      list.textContent = "";
      options.forEach((o, i) => {
        const li = el(
          "li",
          { role: "option", id: id + "-o" + i, "aria-selected": "false", "data-id": o.extra ? "" : o.id },
          el("span", { text: o.label }),
          o.kind ? el("span", { class: "kind", text: o.kind }) : null,
        );
        li.addEventListener("mousedown", (e) => e.preventDefault());
        li.addEventListener("click", () => choose(i));
        list.append(li);
      });
      list.hidden = options.length === 0;
      input.setAttribute("aria-expanded", String(!list.hidden));
      setActive(options.length ? 0 : -1);
    }
    function setActive(i) {
      active = i;
      [...list.children].forEach((li, k) => li.setAttribute("aria-selected", String(k === i)));
      if (i >= 0) {
        input.setAttribute("aria-activedescendant", id + "-o" + i);
        list.children[i].scrollIntoView({ block: "nearest" });
      } else input.removeAttribute("aria-activedescendant");
    }
    function choose(i) {
      const o = options[i];
      if (!o) return;
      picked = o.extra ? { extra: true } : o;
      input.value = o.extra ? input.value : o.label;
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      onPick(picked);
    }
    input.addEventListener("input", () => {
      picked = null;
      onPick(null);
      render();
    });
    input.addEventListener("focus", render);
    input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (list.hidden) render();
        else setActive(Math.min(active + 1, options.length - 1));
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        setActive(Math.max(active - 1, 0));
      } else if (e.key === "Enter") {
        if (!list.hidden && active >= 0) {
          e.preventDefault();
          choose(active);
        }
      } else if (e.key === "Escape" && !list.hidden) {
        e.preventDefault();
        e.stopPropagation();
        list.hidden = true;
        input.setAttribute("aria-expanded", "false");
      }
    });
    const wrap = el("div", {}, el("label", { class: "field", for: id, text: label }), input, list);
    return {
      wrap,
      input,
      // the items changed (they arrived): show them if the list is in use
      refresh() {
        if (shadow.activeElement === input && !picked) render();
      },
      set(o) {
        picked = o;
        input.value = o ? o.label : "";
      },
      picked: () => picked,
    };
  }

  // Entities for a query: recent ones first, then those of this article,
  // then (for speakers) persons and organisations, then by name.
  function entityItems(list, speakers) {
    return (q) => {
      const recent = store.get("recent", []);
      const here = new Set(state.annotations.map((a) => a.entity || a.speaker).filter(Boolean));
      const rank = (e) => {
        const r = recent.indexOf(e.id);
        return [
          r >= 0 ? r : 99,
          here.has(e.id) ? 0 : 1,
          speakers && (e.kind === "person" || e.kind === "organization") ? 0 : 1,
          fold(e.name).startsWith(fold(q).trim()) ? 0 : 1,
        ];
      };
      return list
        .filter((e) => matches(e.keys, q))
        .map((e) => ({ e, r: rank(e) }))
        .sort((a, b) => {
          for (let i = 0; i < a.r.length; i++) if (a.r[i] !== b.r[i]) return a.r[i] - b.r[i];
          return a.e.name.localeCompare(b.e.name, document.documentElement.lang || undefined);
        })
        .map(({ e }) => ({ id: e.id, label: e.name, kind: e.label }));
    };
  }

  function newEntityFields(name, defaultKind) {
    const nid = "ga-n" + ++uid;
    const nameInput = el("input", { type: "text", id: nid, value: name });
    const kind = el("select", { id: nid + "-k" });
    for (const k of state.kinds) kind.append(el("option", { value: k.id, text: k.label, selected: k.id === defaultKind }));
    const idInput = el("input", { type: "text", id: nid + "-i", placeholder: "made from the name" });
    const box = el(
      "div",
      { class: "new", hidden: true },
      el("label", { class: "field", for: nid, text: "Name of the new entity" }),
      nameInput,
      el("label", { class: "field", for: nid + "-k", text: "Kind" }),
      kind,
      el("label", { class: "field", for: nid + "-i", text: "Id (optional)" }),
      idInput,
    );
    return {
      box,
      value: () => ({ name: nameInput.value, kind: kind.value, id: idInput.value || undefined }),
      focus: () => nameInput.focus(),
    };
  }

  // ---------------------------------------------------------------- the dialog

  function openDialog(title, quoted, fields, onSave, onDelete) {
    dialog.textContent = "";
    const error = el("div", { class: "error", role: "alert" });
    const save = el("button", { type: "submit", class: "primary", text: "Save" });
    const form = el("form", { method: "dialog" });
    form.append(el("h2", { id: "ga-title", text: title }));
    if (quoted) form.append(el("p", { class: "quoted", text: "«" + excerpt(quoted, 300) + "»" }));
    form.append(...fields, error);
    const row = el("div", { class: "row end" });
    if (onDelete) {
      row.append(
        el("button", {
          type: "button",
          class: "danger",
          text: "Delete",
          onclick: () => send(onDelete),
        }),
      );
    }
    row.append(el("button", { type: "button", text: "Cancel", onclick: () => dialog.close() }), save);
    form.append(row);
    async function send(make) {
      error.textContent = "";
      let data;
      try {
        data = make();
      } catch (e) {
        error.textContent = String(e.message || e);
        return;
      }
      save.disabled = true;
      const r = await apply(data);
      save.disabled = false;
      if (!r.ok) {
        error.append(el("p", { text: r.reason || "Not saved." }));
        if (r.diagnostics) error.append(el("pre", { text: r.diagnostics }));
      }
    }
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      send(onSave);
    });
    dialog.append(form);
    hideToolbar();
    dialog.showModal();
    const first = form.querySelector("input, textarea, select");
    if (first) first.focus();
  }

  // (the close event comes a task later: a dialog opened again meanwhile
  // keeps its content)
  dialog.addEventListener("close", () => {
    if (!dialog.open) dialog.textContent = "";
  });

  function whatFields(kind, selected, existing) {
    const fields = [];
    let get;
    if (kind === "mention" || kind === "quote") {
      const speakers = kind === "quote";
      // a mention's text is often the entity's name; a quote's is not its speaker's
      const fresh = newEntityFields(speakers ? "" : selected, speakers ? "person" : "organization");
      let list = [];
      const cb = combobox(speakers ? "Speaker" : "Entity", (q) => entityItems(list, speakers)(q), speakers ? "New speaker…" : "New entity…", (p) => {
        fresh.box.hidden = !(p && p.extra);
        if (p && p.extra) fresh.focus();
      });
      entityList().then((l) => {
        list = l;
        const id = existing && (existing.entity || existing.speaker);
        const e = id && l.find((x) => x.id === id);
        if (e) cb.set({ id: e.id, label: e.name });
        else cb.refresh();
      });
      fields.push(cb.wrap, fresh.box);
      let all = null;
      let qid = null;
      if (kind === "mention" && !existing) {
        const aid = "ga-a" + ++uid;
        all = el("input", { type: "checkbox", id: aid });
        const count = current && current.check.occurrences > 1 ? " (" + current.check.occurrences + ")" : "";
        fields.push(el("div", { class: "row" }, all, el("label", { for: aid, text: "Every occurrence in this article" + count })));
      }
      if (speakers) {
        const iid = "ga-q" + ++uid;
        qid = el("input", { type: "text", id: iid, value: (existing && existing.id) || "", placeholder: "made from the speaker and the first words" });
        fields.push(el("label", { class: "field", for: iid, text: "Quote id (optional)" }), qid);
      }
      get = () => {
        const p = cb.picked();
        if (!p) throw new Error(speakers ? "Choose a speaker (or a new one)." : "Choose an entity (or a new one).");
        const what = { kind };
        if (p.extra) what.new_entity = fresh.value();
        else {
          what[speakers ? "speaker" : "entity"] = p.id;
          remember(p.id);
        }
        if (qid) what.id = qid.value.trim() || undefined;
        return { what, all: !!(all && all.checked) };
      };
    } else if (kind === "note") {
      const tid = "ga-t" + ++uid;
      const area = el("textarea", { id: tid, "aria-describedby": tid + "-p" });
      area.value = (existing && existing.body) || "";
      const preview = el("div", { class: "preview", id: tid + "-p", "aria-live": "polite", "aria-label": "Preview of the sidenote" });
      let timer = 0;
      let seq = 0;
      const refresh = async () => {
        const mine = ++seq;
        const r = await api("POST", "preview", { body: area.value });
        if (mine !== seq || !r.ok) return;
        // glossa's own rendering: Markdown, raw HTML escaped, no unsafe link
        preview.innerHTML = r.html;
        if (r.problem) preview.append(el("p", { class: "error", text: r.problem }));
      };
      area.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(refresh, 150);
      });
      if (area.value) refresh();
      fields.push(el("label", { class: "field", for: tid, text: "Note (Markdown)" }), area, preview);
      get = () => ({ what: { kind: "note", body: area.value } });
    } else {
      const gid = "ga-l" + ++uid;
      const radios = ["article", "entity", "url"].map((v, i) =>
        el("input", { type: "radio", name: gid, id: gid + v, value: v, checked: i === 0 }),
      );
      const labels = { article: "Another article", entity: "An entity", url: "A web address (https)" };
      const group = el(
        "fieldset",
        {},
        el("legend", { text: "Link to" }),
        ...radios.map((r) => el("span", {}, r, el("label", { for: r.id, text: " " + labels[r.value] + " " }))),
      );
      let alist = [];
      let elist = [];
      const art = combobox("Article", (q) => alist.filter((a) => matches([a.key], q)).map((a) => ({ id: a.slug, label: a.title, kind: a.date })), null, () => {});
      const ent = combobox("Entity", (q) => entityItems(elist, false)(q), null, () => {});
      const uid2 = "ga-u" + ++uid;
      const url = el("input", { type: "url", id: uid2, placeholder: "https://…" });
      const urlWrap = el("div", {}, el("label", { class: "field", for: uid2, text: "Web address" }), url);
      articleList().then((l) => {
        alist = l;
        art.refresh();
      });
      entityList().then((l) => {
        elist = l;
        ent.refresh();
      });
      const show = () => {
        const v = radios.find((r) => r.checked).value;
        art.wrap.hidden = v !== "article";
        ent.wrap.hidden = v !== "entity";
        urlWrap.hidden = v !== "url";
      };
      radios.forEach((r) => r.addEventListener("change", show));
      if (existing && existing.to) {
        const to = existing.to;
        if (to.startsWith("entity:")) {
          radios[1].checked = true;
          entityList().then((l) => {
            const e = l.find((x) => x.id === to.slice(7));
            if (e) ent.set({ id: e.id, label: e.name });
          });
        } else if (to.startsWith("@/articles/")) {
          const slug = to.slice(11).replace(/\.md(#.*)?$/, "");
          articleList().then((l) => {
            const a = l.find((x) => x.slug === slug);
            if (a) art.set({ id: a.slug, label: a.title });
          });
        } else {
          radios[2].checked = true;
          url.value = to;
        }
      }
      show();
      fields.push(group, art.wrap, ent.wrap, urlWrap);
      get = () => {
        const v = radios.find((r) => r.checked).value;
        let to;
        if (v === "article") {
          const p = art.picked();
          if (!p) throw new Error("Choose the article to link to.");
          to = "@/articles/" + p.id + ".md";
        } else if (v === "entity") {
          const p = ent.picked();
          if (!p) throw new Error("Choose the entity to link to.");
          to = "entity:" + p.id;
        } else {
          to = url.value.trim();
          if (!/^https:\/\/[^\s/]+/i.test(to)) throw new Error("Give an https:// address.");
        }
        return { what: { kind: "link", to } };
      };
    }
    return { fields, get };
  }

  const TITLES = { mention: "Mention", quote: "Quote", note: "Note", link: "Link" };

  function openNew(kind) {
    if (!current) return;
    const sel = current;
    const { fields, get } = whatFields(kind, sel.text, null);
    openDialog(TITLES[kind], sel.text, fields, () => {
      const g = get();
      return { op: "add", start: sel.start, end: sel.end, text: sel.text, all: !!g.all, what: g.what };
    });
  }

  // Edits annotation `a`; `others` (around it) can be edited instead.
  function openEdit(a, others) {
    const { fields, get } = whatFields(a.kind, a.exact, a);
    if (others && others.length) {
      fields.unshift(
        el(
          "div",
          { class: "row" },
          el("span", { text: "Also here:" }),
          ...others.map((o, i) =>
            el("button", {
              type: "button",
              "data-switch": o.kind,
              text: "the " + kindName(o.kind) + " «" + excerpt(o.exact, 24) + "»",
              onclick: () => openEdit(o, others.filter((_, j) => j !== i).concat([a])),
            }),
          ),
        ),
      );
    }
    openDialog(
      "Edit " + kindName(a.kind) + (a.all ? " (every occurrence)" : ""),
      a.exact,
      fields,
      () => ({ op: "edit", index: a.index, what: get().what }),
      () => ({ op: "delete", index: a.index }),
    );
  }

  function openSuggestion(s, range) {
    const fields = [];
    let make;
    if (s.kind === "mention") {
      fields.push(el("p", { text: "«" + s.text + "» names " + (s.name || s.entity) + " but is not a mention of it (" + s.why + ")." }));
      const aid = "ga-s" + ++uid;
      const all = el("input", { type: "checkbox", id: aid, checked: false });
      if (s.ranges.length > 1) {
        fields.push(el("div", { class: "row" }, all, el("label", { for: aid, text: "All " + s.ranges.length + " in this article" })));
      }
      make = () => {
        remember(s.entity);
        const what = { kind: "mention", entity: s.entity };
        if (all.checked) return { op: "add", ranges: s.ranges, text: s.text, what };
        return { op: "add", start: range[0], end: range[1], text: s.text, what };
      };
    } else {
      const spoken = s.speaker ? "Said by " + (s.speaker_name || s.speaker) + "?" : "Who said it? Open the quote dialog to choose.";
      fields.push(el("p", { text: spoken }));
      make = () => {
        if (!s.speaker) throw new Error("This suggestion has no likely speaker: select the text and choose Quote.");
        return { op: "add", start: range[0], end: range[1], text: state.text.slice(range[0], range[1]), what: { kind: "quote", speaker: s.speaker } };
      };
    }
    openDialog(s.kind === "mention" ? "Suggested mention" : "Suggested quote", state.text.slice(range[0], range[1]), fields, make);
    const save = dialog.querySelector("button[type=submit]");
    if (save) save.textContent = "Accept";
  }

  // ---------------------------------------------------------------- the list

  listButton.addEventListener("click", () => {
    if (!state) return;
    dialog.textContent = "";
    const form = el("form", { method: "dialog" });
    form.append(el("h2", { id: "ga-title", text: "Annotations of this article" }));
    const list = el("ul", { class: "list", "aria-label": "Annotations" });
    for (const a of state.annotations) {
      const target = a.entity_name || a.entity || a.speaker_name || a.speaker || (a.body ? excerpt(a.body, 40) : "") || a.to || "";
      list.append(
        el(
          "li",
          {},
          el("span", { text: kindName(a.kind) + ": «" + excerpt(a.exact, 50) + "» " + target + (a.ranges.length ? "" : " (not anchored)") }),
          el("button", { type: "button", text: "Edit", "aria-label": "Edit the " + kindName(a.kind) + " «" + excerpt(a.exact, 30) + "»", onclick: () => openEdit(a) }),
        ),
      );
    }
    form.append(list);
    if (state.suggestions.length) {
      form.append(el("h2", { text: "Suggestions" }));
      const sl = el("ul", { class: "list", "aria-label": "Suggestions" });
      for (const s of state.suggestions) {
        const label = s.kind === "mention" ? "«" + s.text + "» → " + (s.name || s.entity) + " ×" + s.ranges.length : "quote «" + excerpt(s.text, 50) + "»";
        sl.append(el("li", {}, el("span", { text: label }), el("button", { type: "button", text: "Review", onclick: () => openSuggestion(s, s.ranges[0]) })));
      }
      form.append(sl);
    }
    form.append(el("div", { class: "row end" }, el("button", { type: "button", text: "Close", onclick: () => dialog.close() })));
    dialog.append(form);
    dialog.showModal();
  });

  // ---------------------------------------------------------------- writing

  function stale(reason) {
    session.set("said", reason || "The article changed on disk (saved in your editor?); nothing was written. This is the current version.");
    location.reload();
  }

  async function apply(data) {
    if (!state) return { ok: false, reason: "Not ready." };
    data.slug = SLUG;
    data.version = state.version;
    // (said before sending: the rebuild's reload may come before the reply)
    session.set("scroll", { slug: SLUG, y: scrollY });
    session.set("said", "Saved: " + describe(data) + ".");
    const r = await api("POST", "apply", data);
    if (r.status === 409) {
      stale(r.reason);
      return r;
    }
    // (status 0: the request was cut off — by the reload the rebuild
    // started, most likely: keep the message for the new page)
    if (!r.ok && r.status !== 0) {
      session.take("said");
      session.take("scroll");
    }
    if (!r.ok) return r;
    dialog.close();
    // the rebuild has happened: live reload brings the new page (when the
    // page itself did not change, reload it here)
    if (!r.page_changed) location.reload();
    return r;
  }

  // What a change does, for the message after the reload.
  function describe(data) {
    const w = data.what || {};
    const name = (id) => {
      const e = entities && entities.find((x) => x.id === id);
      return e ? e.name : id;
    };
    const what =
      w.kind === "mention"
        ? "mention of " + (w.new_entity ? w.new_entity.name : name(w.entity))
        : w.kind === "quote"
          ? "quote by " + (w.new_entity ? w.new_entity.name : name(w.speaker))
          : w.kind || "annotation";
    return data.op === "delete" ? "annotation removed" : data.op === "edit" ? what + " changed" : what + " added";
  }

  undoButton.addEventListener("click", async () => {
    session.set("scroll", { slug: SLUG, y: scrollY });
    session.set("said", "Undone.");
    undoButton.disabled = true;
    const r = await api("POST", "undo", { slug: SLUG });
    if (!r.ok && r.status !== 0) {
      session.take("said");
      session.take("scroll");
    }
    if (!r.ok) {
      say(r.reason || "Nothing undone.");
      undoButton.disabled = false;
      return;
    }
    if (!r.page_changed) location.reload();
  });

  // ---------------------------------------------------------------- keyboard

  document.addEventListener("keydown", (e) => {
    if (e.altKey && e.shiftKey && (e.key === "A" || e.key === "a" || e.code === "KeyA")) {
      e.preventDefault();
      const b = !toolbar.hidden && toolbar.querySelector("button");
      (b || toggle).focus();
    } else if (e.key === "Escape" && !toolbar.hidden) {
      hideToolbar();
    }
  });
  toolbar.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    const buttons = [...toolbar.querySelectorAll("button")];
    const i = buttons.indexOf(shadow.activeElement);
    if (i < 0) return;
    e.preventDefault();
    buttons[(i + (e.key === "ArrowRight" ? 1 : buttons.length - 1)) % buttons.length].focus();
  });

  // ---------------------------------------------------------------- start

  (document.querySelector("main") || document.body).append(host);
  document.head.append(pageStyle);
  // Reloads (after a change, or any edit) come back where the author was:
  // saved when the page goes, restored here — by this script alone, not
  // also by the browser later, when the page could already be in use.
  if ("scrollRestoration" in history) history.scrollRestoration = "manual";
  addEventListener("pagehide", () => session.set("scroll", { slug: SLUG, y: scrollY }));
  const scroll = session.take("scroll");
  if (scroll && scroll.slug === SLUG) window.scrollTo({ top: scroll.y, behavior: "instant" });
  const said = session.take("said");
  if (said) say(said);
  setMode(on);
  load();
})();
