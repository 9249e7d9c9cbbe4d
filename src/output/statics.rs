//! The static files a site publishes as they are: the built-in ones
//! (stylesheet, scripts), overridden and extended by `ROOT/static`.
//!
//! Stage 5 of the pipeline: output.

use std::path::Path;

use crate::diagnostics::{Diagnostic, Diagnostics};

/// The built-in static files, overridden and extended by `ROOT/static`.
/// A site file of the same name comes first so it wins the dedup.
pub fn list(root: &Path, diags: &mut Diagnostics) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for rel in crate::files::list_files(root, Path::new("static"), diags) {
        let Ok(name) = rel.strip_prefix("static") else { continue };
        let name = name.to_string_lossy().replace('\\', "/");
        match std::fs::read(root.join(&rel)) {
            Ok(bytes) => out.push((name, bytes)),
            Err(e) => diags.push(Diagnostic::error(&rel, None, format!("cannot read the file: {e}"))),
        }
    }
    for (name, text) in crate::render::templates::STATIC_DEFAULTS {
        if !out.iter().any(|(n, _)| n == name) {
            out.push((name.to_string(), text.as_bytes().to_vec()));
        }
    }
    out
}
