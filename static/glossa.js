/* glossa: entity hover/focus previews. No libraries.
   Reads {id: {name, kind_label, url}} from #glossa-entities and shows it at
   once; the summary comes from URL + "preview.json" (the entity's
   preview file, fetched once per entity). Where fetching is not possible
   (a page opened from disk) the preview shows the name and kind only. */
(function () {
  "use strict";

  var source = document.getElementById("glossa-entities");
  var data = null;
  if (source) {
    try { data = JSON.parse(source.textContent); } catch (e) { data = null; }
  }
  if (!data || typeof data !== "object") return;

  var mentions = document.querySelectorAll("a.mention, span.mention");
  if (!mentions.length) return;

  var PREVIEW_ID = "glossa-preview";
  var box = null, current = null, showTimer = 0, hideTimer = 0;
  var summaries = {}; // entity url -> summary ("" when none or unavailable)
  var pending = {};

  // Calls back with the entity's summary, fetching it the first time.
  function summary(info, then) {
    var url = String(info.url || "");
    if (!url) return then("");
    if (Object.prototype.hasOwnProperty.call(summaries, url)) return then(summaries[url]);
    if (pending[url]) return pending[url].push(then);
    pending[url] = [then];
    var done = function (text) {
      summaries[url] = text;
      var waiting = pending[url];
      delete pending[url];
      waiting.forEach(function (f) { f(text); });
    };
    if (!window.fetch) return done("");
    fetch(url + "preview.json")
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (d) { done(d && typeof d.summary === "string" ? d.summary : ""); })
      .catch(function () { done(""); });
  }

  function lookup(el) {
    var id = el.getAttribute("data-entity");
    if (!id || !Object.prototype.hasOwnProperty.call(data, id)) return null;
    var info = data[id];
    return info && typeof info === "object" ? info : null;
  }

  // The element that takes focus: the mention itself, or the link around a span.mention.
  function owner(el) {
    return el.tagName === "A" ? el : (el.closest("a") || el);
  }

  function describe(el, on) {
    var o = owner(el);
    var ids = (o.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) {
      return x && x !== PREVIEW_ID;
    });
    if (on) ids.push(PREVIEW_ID);
    if (ids.length) o.setAttribute("aria-describedby", ids.join(" "));
    else o.removeAttribute("aria-describedby");
  }

  function add(parent, tag, cls, text) {
    var node = document.createElement(tag);
    node.className = cls;
    node.textContent = text;
    parent.appendChild(node);
  }

  function build() {
    box = document.createElement("div");
    box.id = PREVIEW_ID;
    box.className = "glossa-preview";
    box.setAttribute("role", "tooltip");
    box.hidden = true;
    box.addEventListener("mouseenter", cancelHide);
    box.addEventListener("mouseleave", scheduleHide);
    // inside <main>, so that all content sits in a landmark (place() copes
    // with a theme that positions it)
    (document.querySelector("main") || document.body).appendChild(box);
  }

  function place(el) {
    var rects = el.getClientRects();
    var r = rects.length ? rects[0] : el.getBoundingClientRect();
    var vw = document.documentElement.clientWidth, vh = window.innerHeight;
    var w = box.offsetWidth, h = box.offsetHeight;
    var left = Math.max(8, Math.min(r.left, vw - w - 8));
    var top = r.bottom + 6;
    if (top + h > vh - 8 && r.top - h - 6 > 8) top = r.top - h - 6; // flip above
    // `left`/`top` are in the viewport; the box is placed relative to its
    // containing block: the page, or a positioned ancestor of a theme's
    var x = window.pageXOffset, y = window.pageYOffset, cb = box.offsetParent;
    if (cb && (cb !== document.body || getComputedStyle(cb).position !== "static")) {
      var c = cb.getBoundingClientRect();
      x = cb.scrollLeft - c.left - cb.clientLeft;
      y = cb.scrollTop - c.top - cb.clientTop;
    }
    box.style.left = Math.round(left + x) + "px";
    box.style.top = Math.round(top + y) + "px";
  }

  function show(el) {
    var info = lookup(el);
    if (!info) return;
    cancelHide();
    if (!box) build();
    if (current && current !== el) describe(current, false);
    box.textContent = "";
    add(box, "strong", "glossa-preview-name", String(info.name || ""));
    if (info.kind_label) add(box, "span", "glossa-preview-kind", String(info.kind_label));
    current = el;
    describe(el, true);
    box.hidden = false;
    place(el);
    summary(info, function (text) {
      if (current !== el || box.hidden || !text) return;
      add(box, "p", "glossa-preview-summary", text);
      place(el);
    });
  }

  function hide() {
    clearTimeout(showTimer);
    cancelHide();
    if (box) box.hidden = true;
    if (current) describe(current, false);
    current = null;
  }

  function cancelHide() { clearTimeout(hideTimer); }
  function scheduleHide() {
    clearTimeout(showTimer);
    cancelHide();
    hideTimer = setTimeout(hide, 200);
  }

  // A later mention under autolink = "first" is a plain span, not a link:
  // give it a keyboard stop of its own, as a button named by its text.
  // Focusing or pressing it (Enter, Space, or a screen reader's activate)
  // shows the preview, which becomes its description.
  function reachable(el) {
    if (!el.classList.contains("mention-plain") || el.closest("a")) return;
    el.setAttribute("tabindex", "0");
    el.setAttribute("role", "button");
    el.addEventListener("click", function () {
      if (document.activeElement !== el) el.focus();
      show(el);
    });
    el.addEventListener("keydown", function (e) {
      if (e.key !== "Enter" && e.key !== " " && e.key !== "Spacebar") return;
      e.preventDefault();
      show(el);
    });
  }

  Array.prototype.forEach.call(mentions, function (el) {
    if (!lookup(el)) return;
    reachable(el);
    el.addEventListener("mouseenter", function () {
      clearTimeout(showTimer);
      showTimer = setTimeout(function () { show(el); }, 120);
    });
    el.addEventListener("mouseleave", scheduleHide);
    var o = owner(el);
    o.addEventListener("focus", function () { show(el); });
    o.addEventListener("blur", hide);
  });

  document.addEventListener("keydown", function (e) {
    if ((e.key === "Escape" || e.key === "Esc") && box && !box.hidden) hide();
  });
  window.addEventListener("resize", hide);
})();
