//! Live reload: the events the rebuild loop sends to every open page, the
//! last build error (so a page opened while the site is broken shows it at
//! once), the output paths a rebuild has yet to write (requests for them
//! wait), and the script injected into served HTML.
//!
//! On top of the pipeline: the preview server.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, watch};

/// The script served at `{root}__glossa/live.js`.
pub const SCRIPT: &str = include_str!("live.js");

/// One message on the event stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A rebuild succeeded; the output paths (relative, `/`-separated) that
    /// were written or removed. Clears any error overlay.
    Reload { changed: Vec<String> },
    /// The rest of a rebuild that wrote the edited files' pages first (see
    /// [`crate::output::session::Session::rebuild_first`]): the output
    /// paths written since its `Reload`. Open pages need not reload for
    /// it: their requests for these paths waited for them.
    Written { changed: Vec<String> },
    /// A rebuild failed; the plain-text diagnostics.
    Error { text: String },
}

impl Event {
    /// The SSE event name and its JSON data.
    pub fn to_sse(&self) -> (&'static str, String) {
        match self {
            Event::Reload { changed } => ("reload", serde_json::json!({ "changed": changed }).to_string()),
            Event::Written { changed } => ("written", serde_json::json!({ "changed": changed }).to_string()),
            Event::Error { text } => ("error", serde_json::json!({ "text": text }).to_string()),
        }
    }
}

/// Shared between the rebuild loop and the HTTP server.
pub struct Live {
    tx: broadcast::Sender<Event>,
    last_error: Mutex<Option<String>>,
    /// Flips to true when the server shuts down, ending every open stream.
    pub(crate) shutdown: watch::Sender<bool>,
    /// Output paths a rebuild has yet to write ([`Live::hold`]).
    held: watch::Sender<Arc<HashSet<String>>>,
}

/// The longest a request waits for a held path (then it gets what is on
/// disk): far more than writing the rest of a patch takes.
const HOLD_LIMIT: Duration = Duration::from_secs(30);

impl Default for Live {
    fn default() -> Self {
        Live {
            tx: broadcast::channel(64).0,
            last_error: Mutex::new(None),
            shutdown: watch::channel(false).0,
            held: watch::channel(Arc::default()).0,
        }
    }
}

impl Live {
    /// Records the outcome and tells every connected page.
    pub fn send(&self, event: Event) {
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = match &event {
            Event::Error { text } => Some(text.clone()),
            Event::Reload { .. } | Event::Written { .. } => None,
        };
        // No receiver (no page open) is not an error.
        let _ = self.tx.send(event);
    }

    /// Requests for `paths` (output paths) wait from now until
    /// [`Live::release`]: they still hold the previous build's bytes.
    pub fn hold(&self, paths: &[String]) {
        self.held.send_replace(Arc::new(paths.iter().cloned().collect()));
    }

    /// The held paths are written: their requests go on.
    pub fn release(&self) {
        self.held.send_replace(Arc::default());
    }

    /// Whether any path is held.
    pub fn holding(&self) -> bool {
        !self.held.borrow().is_empty()
    }

    /// Returns once output path `rel` is not held (or after
    /// `HOLD_LIMIT`, 30 s).
    pub async fn written(&self, rel: &str) {
        let mut rx = self.held.subscribe();
        let wait = async {
            while rx.borrow_and_update().contains(rel) {
                if rx.changed().await.is_err() {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(HOLD_LIMIT, wait).await;
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A new listener: the current error first (if any), then every event.
    pub fn subscribe(&self) -> (Option<Event>, broadcast::Receiver<Event>) {
        let rx = self.tx.subscribe();
        (self.last_error().map(|text| Event::Error { text }), rx)
    }
}

/// Inserts the live-reload script tag just before the last `</body>` (or at
/// the end when there is none). Served responses only; files on disk are
/// never touched.
pub fn inject(html: &[u8], root_path: &str) -> Vec<u8> {
    inject_tags(html, &tag(root_path))
}

/// The live-reload script tag.
pub fn tag(root_path: &str) -> String {
    format!("<script src=\"{root_path}__glossa/live.js\"></script>")
}

/// Inserts `tag` (markup) just before the last `</body>`, or at the end.
pub fn inject_tags(html: &[u8], tag: &str) -> Vec<u8> {
    let lower = html.to_ascii_lowercase();
    let at = lower.windows(7).rposition(|w| w == b"</body>").unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + tag.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injects_before_the_last_body_close() {
        let got = inject(b"<html><body><p>x</p></BODY></html>", "/sub/");
        assert_eq!(
            String::from_utf8(got).unwrap(),
            "<html><body><p>x</p><script src=\"/sub/__glossa/live.js\"></script></BODY></html>"
        );
        let got = inject(b"<p>no body", "/");
        assert!(
            String::from_utf8(got)
                .unwrap()
                .ends_with("<script src=\"/__glossa/live.js\"></script>")
        );
    }

    #[test]
    fn a_request_for_a_held_path_waits_until_it_is_written() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let live = Arc::new(Live::default());
        live.hold(&["entities/huawei/index.html".to_string()]);
        assert!(live.holding());
        rt.block_on(async {
            // another path goes at once
            tokio::time::timeout(Duration::from_millis(50), live.written("articles/a/index.html"))
                .await
                .expect("a path not held is served at once");
            let held = live.written("entities/huawei/index.html");
            tokio::pin!(held);
            assert!(
                tokio::time::timeout(Duration::from_millis(50), &mut held)
                    .await
                    .is_err(),
                "a held path waits"
            );
            live.release();
            tokio::time::timeout(Duration::from_millis(50), held)
                .await
                .expect("released, it goes on");
        });
        assert!(!live.holding());
    }

    #[test]
    fn a_new_listener_gets_the_current_error_until_a_good_build() {
        let live = Live::default();
        assert_eq!(live.subscribe().0, None);
        live.send(Event::Error { text: "boom".into() });
        assert_eq!(live.subscribe().0, Some(Event::Error { text: "boom".into() }));
        live.send(Event::Reload { changed: vec![] });
        assert_eq!(live.subscribe().0, None);
    }
}
