//! Anchoring: a TextQuoteSelector (`exact`, `prefix`, `suffix`, `nth`, `all`)
//! resolved to byte ranges of an article's rendered text. Both sides are NFC
//! and white-space-collapsed; curly and straight quotes match each other.
//! When nothing matches, [`closest`] finds the most similar passage for the
//! diagnostic.

use std::ops::Range;

use crate::content::Selector;
use crate::text::collapse_ws;

/// Why a selector did not resolve to its span(s).
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// `exact` occurs nowhere (with the selector's context, if any).
    NotFound { exact: String },
    /// Several occurrences and nothing says which.
    Ambiguous { occurrences: Vec<Range<usize>> },
    /// `nth` is past the last occurrence.
    NthPastEnd { nth: usize, count: usize },
}

/// Resolves `sel` against the rendered `text`.
pub fn anchor(text: &str, sel: &Selector) -> Result<Vec<Range<usize>>, Failure> {
    let exact = collapse_ws(&sel.exact);
    let mut found = find_all(text, &exact);
    if found.is_empty() && has_quote_marks(&exact) {
        found = find_all_loose(text, &exact);
    }
    let prefix = sel.prefix.as_deref().map(collapse_ws).filter(|p| !p.is_empty());
    let suffix = sel.suffix.as_deref().map(collapse_ws).filter(|s| !s.is_empty());
    let with_context: Vec<Range<usize>> = found
        .into_iter()
        .filter(|r| prefix.as_deref().is_none_or(|p| context_before_matches(&text[..r.start], p)))
        .filter(|r| suffix.as_deref().is_none_or(|s| context_after_matches(&text[r.end..], s)))
        .collect();
    if with_context.is_empty() {
        return Err(Failure::NotFound { exact });
    }
    if sel.all {
        return Ok(with_context);
    }
    if let Some(nth) = sel.nth {
        return match with_context.get(nth - 1) {
            Some(r) => Ok(vec![r.clone()]),
            None => Err(Failure::NthPastEnd { nth, count: with_context.len() }),
        };
    }
    if with_context.len() > 1 {
        return Err(Failure::Ambiguous { occurrences: with_context });
    }
    Ok(with_context)
}

/// Every occurrence of `pat`, overlapping ones included.
pub fn find_all(text: &str, pat: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    if pat.is_empty() {
        return out;
    }
    let mut from = 0;
    while let Some(i) = text[from..].find(pat) {
        let at = from + i;
        out.push(at..at + pat.len());
        from = at + text[at..].chars().next().map_or(1, char::len_utf8);
    }
    out
}

fn quote_class(c: char) -> char {
    match c {
        '“' | '”' | '„' | '‟' | '″' | '«' | '»' => '"',
        '‘' | '’' | '‚' | '‛' | '′' => '\'',
        _ => c,
    }
}

fn has_quote_marks(s: &str) -> bool {
    s.chars().any(|c| quote_class(c) != c || c == '"' || c == '\'')
}

/// Like [`find_all`] but curly and straight quote marks are equal.
fn find_all_loose(text: &str, pat: &str) -> Vec<Range<usize>> {
    let pat: Vec<char> = pat.chars().map(quote_class).collect();
    let mut out = Vec::new();
    for (start, _) in text.char_indices() {
        let mut it = text[start..].char_indices();
        let mut ok = true;
        let mut end = start;
        for &p in &pat {
            match it.next() {
                Some((off, c)) if quote_class(c) == p => end = start + off + c.len_utf8(),
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            out.push(start..end);
        }
    }
    out
}

fn context_before_matches(before: &str, prefix: &str) -> bool {
    let before = before.replace('\n', " ");
    before.ends_with(prefix) || before.trim_end().ends_with(prefix.trim_end())
}

fn context_after_matches(after: &str, suffix: &str) -> bool {
    let after = after.replace('\n', " ");
    after.starts_with(suffix) || after.trim_start().starts_with(suffix.trim_start())
}

/// The passage of `text` most similar to `exact`, with its similarity in
/// 0..=1 (1 − edits/length). Candidates start at word starts and have the
/// length of `exact` in characters, give or take a few.
pub fn closest(text: &str, exact: &str) -> Option<(Range<usize>, f64)> {
    let exact = collapse_ws(exact);
    let n = exact.chars().count();
    if n == 0 {
        return None;
    }
    let mut best: Option<(Range<usize>, f64)> = None;
    let starts = text.char_indices().filter(|&(i, c)| !c.is_whitespace() && (i == 0 || text[..i].ends_with([' ', '\n']))).map(|(i, _)| i);
    for start in starts {
        for len in [n, n.saturating_sub(1).max(1), n + 1] {
            let end = text[start..].char_indices().nth(len).map_or(text.len(), |(o, _)| start + o);
            let cand = &text[start..end];
            if cand.contains('\n') {
                continue;
            }
            let score = strsim::normalized_levenshtein(cand, &exact);
            if best.as_ref().is_none_or(|b| score > b.1) {
                best = Some((start..end, score));
            }
        }
    }
    best.filter(|b| b.1 >= 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(exact: &str) -> Selector {
        Selector { exact: exact.into(), prefix: None, suffix: None, nth: None, all: false }
    }

    #[test]
    fn unique_exact_anchors() {
        assert_eq!(anchor("a ByteDance b", &sel("ByteDance")).unwrap(), vec![2..11]);
    }

    #[test]
    fn ambiguous_without_selector() {
        let e = anchor("SMIC x SMIC", &sel("SMIC")).unwrap_err();
        assert_eq!(e, Failure::Ambiguous { occurrences: vec![0..4, 7..11] });
    }

    #[test]
    fn nth_all_prefix_suffix() {
        let t = "SMIC x SMIC y SMIC";
        assert_eq!(anchor(t, &Selector { nth: Some(2), ..sel("SMIC") }).unwrap(), vec![7..11]);
        assert_eq!(anchor(t, &Selector { all: true, ..sel("SMIC") }).unwrap().len(), 3);
        assert_eq!(anchor(t, &Selector { prefix: Some("y ".into()), ..sel("SMIC") }).unwrap(), vec![14..18]);
        assert_eq!(anchor(t, &Selector { suffix: Some(" x".into()), ..sel("SMIC") }).unwrap(), vec![0..4]);
        assert_eq!(
            anchor(t, &Selector { nth: Some(4), ..sel("SMIC") }).unwrap_err(),
            Failure::NthPastEnd { nth: 4, count: 3 }
        );
    }

    #[test]
    fn straight_quotes_match_curly() {
        let t = "ông nói “tiềm năng kiếm tiền” của";
        let r = anchor(t, &sel("\"tiềm năng kiếm tiền\"")).unwrap();
        assert_eq!(&t[r[0].clone()], "“tiềm năng kiếm tiền”");
    }

    #[test]
    fn whitespace_in_exact_is_collapsed() {
        assert_eq!(anchor("Bắc Kinh đã", &sel("Bắc  \n Kinh")).unwrap(), vec![0.."Bắc Kinh".len()]);
    }

    #[test]
    fn closest_finds_typo() {
        let t = "các công ty như ByteDance, công ty mẹ";
        let (r, score) = closest(t, "Bytedance").unwrap();
        assert_eq!(&t[r], "ByteDance");
        assert!(score > 0.8);
    }
}
