//! Picking byte ranges of a generated text for the property tests
//! (`prop_anchor`, `fuzz_pipeline`): always on char boundaries, within one
//! line, never empty or padded with spaces.

use std::ops::Range;

/// Char boundaries of `text` within `lo..=hi`.
pub fn boundaries(text: &str, lo: usize, hi: usize) -> Vec<usize> {
    (lo..=hi).filter(|&i| text.is_char_boundary(i)).collect()
}

/// Byte ranges of the lines of `text` (without their `\n`).
pub fn lines(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == '\n' {
            out.push(start..i);
            start = i + 1;
        }
    }
    out.push(start..text.len());
    out
}

/// A non-empty, space-trimmed range within one line of `text`, if any:
/// line `line` (modulo the line count), between its `x`-th and `y`-th char
/// boundaries (modulo their count), in either order.
pub fn line_range(text: &str, line: u16, x: u16, y: u16) -> Option<Range<usize>> {
    let lines = lines(text);
    let l = &lines[line as usize % lines.len()];
    let b = boundaries(text, l.start, l.end);
    let (mut s, mut e) = (b[x as usize % b.len()], b[y as usize % b.len()]);
    if s > e {
        std::mem::swap(&mut s, &mut e);
    }
    while s < e && text[s..].starts_with(' ') {
        s += 1;
    }
    while e > s && text[..e].ends_with(' ') {
        e -= 1;
    }
    (s < e).then_some(s..e)
}
