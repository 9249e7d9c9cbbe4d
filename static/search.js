/* glossa search: prefix search over a folded index, as you type.
   Folding matches the build's: NFD, marks removed, đ → d, lowercase, so
   "bac kinh" finds "Bắc Kinh" and "dang" finds "Đặng". Results are grouped
   by kind; ↑/↓ move through them, Enter opens one. No network beyond this
   site: the index is a file next to this page. */
(function () {
  "use strict";
  var root = document.getElementById("glossa-search");
  if (!root) return;
  var input = root.querySelector("input[type=search]");
  var out = root.querySelector(".search-results");
  var status = root.querySelector(".search-status");
  var labels = JSON.parse(root.getAttribute("data-labels") || "{}");
  var docs = null;

  function fold(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[đĐ]/g, "d").toLowerCase();
  }
  function tokens(s) { return fold(s).split(/[^\p{L}\p{N}]+/u).filter(Boolean); }

  function score(doc, terms) {
    var head = doc.f.split(" | ")[0];
    var words = doc.f.split(/[^\p{L}\p{N}]+/u);
    var total = 0;
    for (var i = 0; i < terms.length; i++) {
      var t = terms[i], best = 0;
      for (var j = 0; j < words.length; j++) {
        var w = words[j];
        if (w === t) { best = Math.max(best, 3); }
        else if (w.lastIndexOf(t, 0) === 0) { best = Math.max(best, 2); }
      }
      if (!best) return 0;
      if (head.indexOf(t) !== -1) best += 2;
      total += best;
    }
    if (head.indexOf(terms.join(" ")) !== -1) total += 5;
    return total;
  }

  function render(query) {
    while (out.firstChild) out.removeChild(out.firstChild);
    var terms = tokens(query);
    if (!terms.length || !docs) { status.textContent = ""; return; }
    var groups = { a: [], e: [], q: [] };
    for (var i = 0; i < docs.length; i++) {
      var s = score(docs[i], terms);
      if (s) groups[docs[i].k].push({ d: docs[i], s: s });
    }
    var count = groups.a.length + groups.e.length + groups.q.length;
    ["e", "a", "q"].forEach(function (k) {
      var list = groups[k];
      if (!list.length) return;
      list.sort(function (x, y) { return y.s - x.s || (x.d.t < y.d.t ? -1 : 1); });
      var section = document.createElement("section");
      section.className = "search-group search-group-" + k;
      var h = document.createElement("h2");
      h.textContent = labels[k] || k;
      section.appendChild(h);
      var ul = document.createElement("ul");
      list.slice(0, 20).forEach(function (r) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = r.d.u;
        a.className = "search-result";
        a.textContent = r.d.t;
        li.appendChild(a);
        if (r.d.s) {
          var p = document.createElement("span");
          p.className = "search-snippet";
          p.textContent = r.d.s;
          li.appendChild(p);
        }
        ul.appendChild(li);
      });
      section.appendChild(ul);
      out.appendChild(section);
    });
    status.textContent = count ? (labels.found || "") + " " + count : (labels.none || "0");
  }

  function links() { return Array.prototype.slice.call(out.querySelectorAll("a.search-result")); }
  root.addEventListener("keydown", function (ev) {
    var all = links();
    if (!all.length) return;
    var i = all.indexOf(document.activeElement);
    if (ev.key === "ArrowDown") { ev.preventDefault(); all[Math.min(i + 1, all.length - 1)].focus(); }
    else if (ev.key === "ArrowUp") { ev.preventDefault(); if (i <= 0) input.focus(); else all[i - 1].focus(); }
  });
  input.addEventListener("input", function () {
    // Keep the query in the URL, so Back from a result returns to it.
    var v = input.value;
    history.replaceState(null, "", v ? "?q=" + encodeURIComponent(v) : location.pathname);
    render(v);
  });
  // The index comes in parts (space-separated URLs): articles, entities, quotes.
  var parts = (root.getAttribute("data-index") || "").split(/\s+/).filter(Boolean);
  Promise.all(parts.map(function (u) {
    return fetch(u).then(function (r) { return r.json(); });
  })).then(function (all) {
    docs = [].concat.apply([], all);
    var q = new URLSearchParams(location.search).get("q");
    if (q && !input.value) input.value = q;
    render(input.value);
  });
})();
