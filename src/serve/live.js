// glossa serve: live reload and the build-error overlay. Injected into served
// HTML only (never into the files on disk). Listens to the server's event
// stream: "reload" after a successful rebuild (with the changed output
// paths), "error" when a rebuild failed (with the plain-text diagnostics).
// ("written" — the rest of a rebuild that wrote the edited page first — is
// not listened to: the server held this page's requests for those paths
// until they were written, so the reload already brought them.)
(() => {
  "use strict";
  const script = document.currentScript;
  const base = script ? script.src.replace(/live\.js(\?.*)?$/, "") : "/__glossa/";
  const OVERLAY_ID = "glossa-error-overlay";

  function hideOverlay() {
    const old = document.getElementById(OVERLAY_ID);
    if (old) old.remove();
    return !!old;
  }

  function showOverlay(text) {
    hideOverlay();
    const box = document.createElement("div");
    box.id = OVERLAY_ID;
    box.setAttribute("role", "alert");
    // "all:initial" first: the site's own CSS must not restyle the overlay.
    box.style.cssText =
      "all:initial;display:block;position:fixed;inset:0;z-index:2147483647;overflow:auto;margin:0;padding:1.5rem;" +
      "background:rgba(20,20,24,.94);color:#f2f2f2;font:14px/1.45 ui-monospace,Menlo,Consolas,monospace;";
    const head = document.createElement("div");
    head.style.cssText = "all:initial;display:flex;justify-content:space-between;align-items:center;gap:1rem;margin-bottom:1rem;";
    const title = document.createElement("strong");
    title.style.cssText = "all:initial;color:#ff8a80;font:bold 16px/1.4 ui-monospace,Menlo,Consolas,monospace;";
    title.textContent = "glossa: the last edit broke the build — showing the last good version";
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "×";
    close.setAttribute("aria-label", "Hide");
    close.style.cssText =
      "all:initial;font:20px/1 sans-serif;color:#f2f2f2;padding:.2rem .5rem;border:1px solid #888;border-radius:4px;cursor:pointer;";
    close.addEventListener("click", hideOverlay);
    head.append(title, close);
    const pre = document.createElement("pre");
    pre.style.cssText =
      "all:initial;display:block;white-space:pre-wrap;margin:0;color:#f2f2f2;" +
      "font:14px/1.45 ui-monospace,Menlo,Consolas,monospace;";
    pre.textContent = text; // textContent, never innerHTML: diagnostics quote user content
    box.append(head, pre);
    (document.body || document.documentElement).append(box);
  }

  function swapStylesheets() {
    const stamp = Date.now();
    for (const link of document.querySelectorAll('link[rel~="stylesheet"]')) {
      const url = new URL(link.href, location.href);
      url.searchParams.set("glossa-reload", stamp);
      link.href = url.toString();
    }
  }

  const events = new EventSource(base + "events");
  // Marks the page while its event stream is open (a test waits for it, and
  // a stylesheet could show it).
  events.addEventListener("open", () => document.documentElement.setAttribute("data-glossa-live", "open"));
  events.addEventListener("reload", (e) => {
    let changed = [];
    try {
      changed = JSON.parse(e.data).changed || [];
    } catch (_) {
      changed = ["?"];
    }
    if (hideOverlay()) {
      location.reload();
      return;
    }
    if (changed.length === 0) return;
    if (changed.every((p) => p.endsWith(".css"))) {
      swapStylesheets();
    } else {
      location.reload();
    }
  });
  events.addEventListener("error", (e) => {
    // Connection errors are plain Events (EventSource reconnects by itself);
    // a build error from the server is a MessageEvent with data.
    if (typeof e.data !== "string") {
      document.documentElement.setAttribute("data-glossa-live", "reconnecting");
      return;
    }
    let text = e.data;
    try {
      text = JSON.parse(e.data).text;
    } catch (_) {}
    showOverlay(text);
  });
})();
