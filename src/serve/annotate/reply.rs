//! A reply of the annotator: an HTTP status and its JSON, and the usual
//! ones (done, refused with a reason, stale: the files changed on disk).
//!
//! On top of the pipeline: the preview server.

use serde_json::{Value, json};

/// A reply: an HTTP status and its JSON.
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub(super) fn ok(mut body: Value) -> Reply {
        body["ok"] = json!(true);
        Reply { status: 200, body }
    }

    /// Refused: nothing was written; `reason` says why, for the author.
    pub(super) fn refused(reason: impl Into<String>) -> Reply {
        Reply {
            status: 422,
            body: json!({ "ok": false, "reason": reason.into() }),
        }
    }

    pub(super) fn with(mut self, key: &str, value: Value) -> Reply {
        self.body[key] = value;
        self
    }

    /// The files changed since the page read them.
    pub(super) fn stale() -> Reply {
        Reply {
            status: 409,
            body: json!({
                "ok": false,
                "stale": true,
                "reason": "The article or its annotations changed on disk since this page was loaded \
                           (saved in your editor?). Nothing was written; the page reloads with the files as they are now.",
            }),
        }
    }
}
