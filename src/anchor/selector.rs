//! Anchoring: a TextQuoteSelector (`exact`, `prefix`, `suffix`, `nth`, `all`)
//! resolved to byte ranges of an article's rendered text. Both sides are NFC
//! and white-space-collapsed; curly and straight quotes match each other.
//! When nothing matches, [`closest`] finds the most similar passage for the
//! diagnostic.

use std::ops::Range;

use crate::content::Selector;
use crate::text::{collapse_ws, is_word_char};

/// Why a selector did not resolve to its span(s).
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// `exact` occurs nowhere (with the selector's context, if any).
    NotFound { exact: String },
    /// Several occurrences and nothing says which.
    Ambiguous { occurrences: Vec<Range<usize>> },
    /// `nth` is past the last occurrence.
    NthPastEnd { nth: usize, count: usize },
    /// Every occurrence is inside code (the first one given).
    InCode { range: Range<usize> },
}

/// Resolves `sel` against the rendered `text`. Occurrences touching `code`
/// (ranges of code spans and blocks, sorted) do not count: code is not
/// annotated.
pub fn anchor(text: &str, code: &[Range<usize>], sel: &Selector) -> Result<Vec<Range<usize>>, Failure> {
    anchor_cached(text, code, sel, &mut Occurrences::default())
}

/// Occurrences of each `exact` already searched for in one text, so that
/// many annotations of the same words (10,000 `nth` selectors on one word)
/// search the article once, not once each.
#[derive(Default)]
pub struct Occurrences {
    found: std::collections::HashMap<String, Found>,
}

/// The occurrences of one `exact` outside code, or, when every occurrence is
/// inside code, the first of them.
enum Found {
    Ranges(Vec<Range<usize>>),
    OnlyInCode(Range<usize>),
}

/// [`anchor`] with a cache of occurrences shared by one article's selectors.
pub fn anchor_cached(
    text: &str,
    code: &[Range<usize>],
    sel: &Selector,
    cache: &mut Occurrences,
) -> Result<Vec<Range<usize>>, Failure> {
    let exact = collapse_ws(&sel.exact);
    let found = cache.found.entry(exact.clone()).or_insert_with(|| {
        let found = find_all(text, &exact);
        let found = if found.is_empty() && has_quote_marks(&exact) {
            find_all_loose(text, &exact)
        } else {
            found
        };
        // Code ranges are sorted and disjoint: find the first ending after r.start.
        let in_code = |r: &Range<usize>| {
            let i = code.partition_point(|c| c.end <= r.start);
            code.get(i).is_some_and(|c| c.start < r.end)
        };
        match found.first().cloned() {
            Some(first) if found.iter().all(in_code) => Found::OnlyInCode(first),
            _ => Found::Ranges(found.into_iter().filter(|r| !in_code(r)).collect()),
        }
    });
    let found = match found {
        Found::OnlyInCode(first) => return Err(Failure::InCode { range: first.clone() }),
        Found::Ranges(r) => r,
    };
    let prefix = sel.prefix.as_deref().map(collapse_ws).filter(|p| !p.is_empty());
    let suffix = sel.suffix.as_deref().map(collapse_ws).filter(|s| !s.is_empty());
    let with_context: std::borrow::Cow<'_, [Range<usize>]> = if prefix.is_none() && suffix.is_none() {
        std::borrow::Cow::Borrowed(found.as_slice())
    } else {
        std::borrow::Cow::Owned(
            found
                .iter()
                .filter(|r| {
                    prefix
                        .as_deref()
                        .is_none_or(|p| context_before_matches(&text[..r.start], p))
                })
                .filter(|r| {
                    suffix
                        .as_deref()
                        .is_none_or(|s| context_after_matches(&text[r.end..], s))
                })
                .cloned()
                .collect(),
        )
    };
    if with_context.is_empty() {
        return Err(Failure::NotFound { exact });
    }
    if sel.all {
        // Every occurrence, leftmost first, skipping ones that overlap the
        // previous ("a a" in "a a a" is one occurrence, not two that clash).
        let mut out: Vec<Range<usize>> = Vec::new();
        for r in with_context.iter() {
            if out.last().is_none_or(|l| l.end <= r.start) {
                out.push(r.clone());
            }
        }
        return Ok(out);
    }
    if let Some(nth) = sel.nth {
        return match with_context.get(nth - 1) {
            Some(r) => Ok(vec![r.clone()]),
            None => Err(Failure::NthPastEnd {
                nth,
                count: with_context.len(),
            }),
        };
    }
    if with_context.len() > 1 {
        return Err(Failure::Ambiguous {
            occurrences: with_context.into_owned(),
        });
    }
    Ok(with_context.into_owned())
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

/// Whether the text before an occurrence ends with `prefix` (a block break
/// counting as a space). Looks only at the last few bytes, not all of it.
fn context_before_matches(before: &str, prefix: &str) -> bool {
    let mut from = before.len().saturating_sub(prefix.len() + 8);
    while !before.is_char_boundary(from) {
        from -= 1;
    }
    let before = before[from..].replace('\n', " ");
    before.ends_with(prefix) || before.trim_end().ends_with(prefix.trim_end())
}

/// Whether the text after an occurrence starts with `suffix`.
fn context_after_matches(after: &str, suffix: &str) -> bool {
    let mut to = (suffix.len() + 8).min(after.len());
    while !after.is_char_boundary(to) {
        to += 1;
    }
    let after = after[..to].replace('\n', " ");
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
    let starts = text
        .char_indices()
        .filter(|&(i, c)| !c.is_whitespace() && (i == 0 || text[..i].ends_with([' ', '\n'])))
        .map(|(i, _)| i);
    for start in starts {
        for len in [n, n.saturating_sub(1).max(1), n + 1] {
            let end = text[start..]
                .char_indices()
                .nth(len)
                .map_or(text.len(), |(o, _)| start + o);
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

/// A selector re-anchored by approximate matching after its text changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Reanchor {
    pub range: Range<usize>,
    /// 0..=1: the weighted similarity of quote, prefix and suffix.
    pub score: f64,
}

/// The smallest score at which a changed annotation is re-attached (with a
/// warning) instead of being reported as an orphan.
pub const REANCHOR_THRESHOLD: f64 = 0.75;

/// Finds where a selector whose `exact` no longer occurs most likely moved,
/// the way Hypothesis's client re-anchors — candidates by approximate match
/// of `exact`, scored (50·quote + 20·prefix + 20·suffix) / weights, with
/// similarity = 1 − edits/length — but with a threshold: below
/// [`REANCHOR_THRESHOLD`], or when a second, different candidate scores
/// almost as well, it returns `None` (an orphan) rather than guess.
pub fn reanchor(text: &str, sel: &Selector) -> Option<Reanchor> {
    let exact = collapse_ws(&sel.exact);
    let n = exact.chars().count();
    if n < 4 || sel.all {
        return None;
    }
    let prefix = sel.prefix.as_deref().map(collapse_ws).filter(|p| !p.is_empty());
    let suffix = sel.suffix.as_deref().map(collapse_ws).filter(|s| !s.is_empty());
    let slack = (n / 4).max(1);
    // Quote similarity at every word start, then refine the best few.
    let mut coarse: Vec<(f64, usize)> = word_starts(text, &exact)
        .into_iter()
        .map(|start| (similarity(window(text, start, n), &exact), start))
        .filter(|(q, _)| *q >= 0.5)
        .collect();
    coarse.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    coarse.truncate(8);
    let mut scored: Vec<(f64, Range<usize>)> = Vec::new();
    for &(_, start) in &coarse {
        let mut best: Option<(f64, Range<usize>)> = None;
        for len in n.saturating_sub(slack)..=n + slack {
            let w = window(text, start, len);
            if w.contains('\n') {
                continue;
            }
            let q = similarity(w, &exact);
            if best.as_ref().is_none_or(|b| q > b.0) {
                best = Some((q, start..start + w.len()));
            }
        }
        let Some((q, range)) = best else { continue };
        // Short texts (names) need more than a high ratio: one edit, or the
        // same letters up to tones and marks (`Bac Kinh` → `Bắc Kinh`).
        if n < 16 {
            let cand = &text[range.clone()];
            if strsim::levenshtein(cand, &exact) > 1 && crate::text::fold(cand) != crate::text::fold(&exact) {
                continue;
            }
        }
        let before = text[..range.start].replace('\n', " ");
        let after = text[range.end..].replace('\n', " ");
        let mut total = 50.0 * q;
        let mut weight = 50.0;
        if let Some(p) = &prefix {
            total += 20.0 * similarity(tail(&before, p.chars().count()), p);
            weight += 20.0;
        }
        if let Some(s) = &suffix {
            total += 20.0 * similarity(window(&after, 0, s.chars().count()), s);
            weight += 20.0;
        }
        if q >= REANCHOR_THRESHOLD {
            scored.push((total / weight, range));
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.start.cmp(&b.1.start)));
    let (best_score, best) = scored.first()?.clone();
    if best_score < REANCHOR_THRESHOLD {
        return None;
    }
    // A rival elsewhere that scores nearly as well: ambiguous, do not guess.
    if scored
        .iter()
        .skip(1)
        .any(|(s, r)| (r.start >= best.end || r.end <= best.start) && *s > best_score - 0.05)
    {
        return None;
    }
    Some(Reanchor {
        range: best,
        score: best_score,
    })
}

/// Byte offsets where a word starts. For very long texts only those near a
/// place where a piece of `exact` occurs (a match with few edits keeps at
/// least one of its quarters intact).
fn word_starts(text: &str, exact: &str) -> Vec<usize> {
    // After white space, or where a word begins after punctuation (“Chúng).
    let is_start = |i: usize| {
        let prev = text[..i].chars().next_back();
        let cur = text[i..].chars().next();
        match (prev, cur) {
            (None, Some(_)) => true,
            (Some(p), Some(c)) => !c.is_whitespace() && (p.is_whitespace() || (is_word_char(c) && !is_word_char(p))),
            _ => false,
        }
    };
    if text.len() < 400_000 {
        return text.char_indices().map(|(i, _)| i).filter(|&i| is_start(i)).collect();
    }
    let chars: Vec<char> = exact.chars().collect();
    let q = (chars.len() / 4).max(2);
    let mut starts = std::collections::BTreeSet::new();
    for chunk in chars.chunks(q) {
        let piece: String = chunk.iter().collect();
        for (at, _) in text.match_indices(&piece).take(2000) {
            let from = at.saturating_sub(exact.len() + 8);
            let mut i = from;
            while i <= at {
                if text.is_char_boundary(i) && is_start(i) {
                    starts.insert(i);
                }
                i += 1;
            }
        }
    }
    starts.into_iter().collect()
}

/// Up to `len` characters of `text` from byte `start`.
fn window(text: &str, start: usize, len: usize) -> &str {
    let rest = &text[start..];
    let end = rest.char_indices().nth(len).map_or(rest.len(), |(o, _)| o);
    &rest[..end]
}

/// The last `len` characters of `text`.
fn tail(text: &str, len: usize) -> &str {
    let count = text.chars().count();
    let skip = count.saturating_sub(len);
    let start = text.char_indices().nth(skip).map_or(text.len(), |(o, _)| o);
    &text[start..]
}

/// 1 − edits / length, over characters.
pub fn similarity(a: &str, b: &str) -> f64 {
    strsim::normalized_levenshtein(a, b)
}

/// Marks where two strings differ: the common start and end are kept, the
/// differing middle is bracketed. («Bytedance», «ByteDance») →
/// («Byte\[d\]ance», «Byte\[D\]ance»).
pub fn mark_difference(a: &str, b: &str) -> (String, String) {
    let ac: Vec<char> = a.chars().collect();
    let bc: Vec<char> = b.chars().collect();
    let pre = ac.iter().zip(&bc).take_while(|(x, y)| x == y).count();
    let max_suf = ac.len().min(bc.len()) - pre;
    let suf = ac
        .iter()
        .rev()
        .zip(bc.iter().rev())
        .take(max_suf)
        .take_while(|(x, y)| x == y)
        .count();
    let show = |c: &[char]| {
        let mid: String = c[pre..c.len() - suf].iter().collect();
        format!(
            "{}[{}]{}",
            c[..pre].iter().collect::<String>(),
            mid,
            c[c.len() - suf..].iter().collect::<String>()
        )
    };
    (show(&ac), show(&bc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(exact: &str) -> Selector {
        Selector {
            exact: exact.into(),
            prefix: None,
            suffix: None,
            nth: None,
            all: false,
        }
    }

    #[test]
    fn unique_exact_anchors() {
        assert_eq!(anchor("a ByteDance b", &[], &sel("ByteDance")).unwrap(), vec![2..11]);
    }

    #[test]
    fn ambiguous_without_selector() {
        let e = anchor("SMIC x SMIC", &[], &sel("SMIC")).unwrap_err();
        assert_eq!(
            e,
            Failure::Ambiguous {
                occurrences: vec![0..4, 7..11]
            }
        );
    }

    #[test]
    fn nth_all_prefix_suffix() {
        let t = "SMIC x SMIC y SMIC";
        assert_eq!(
            anchor(
                t,
                &[],
                &Selector {
                    nth: Some(2),
                    ..sel("SMIC")
                }
            )
            .unwrap(),
            vec![7..11]
        );
        assert_eq!(
            anchor(
                t,
                &[],
                &Selector {
                    all: true,
                    ..sel("SMIC")
                }
            )
            .unwrap()
            .len(),
            3
        );
        assert_eq!(
            anchor(
                t,
                &[],
                &Selector {
                    prefix: Some("y ".into()),
                    ..sel("SMIC")
                }
            )
            .unwrap(),
            vec![14..18]
        );
        assert_eq!(
            anchor(
                t,
                &[],
                &Selector {
                    suffix: Some(" x".into()),
                    ..sel("SMIC")
                }
            )
            .unwrap(),
            vec![0..4]
        );
        assert_eq!(
            anchor(
                t,
                &[],
                &Selector {
                    nth: Some(4),
                    ..sel("SMIC")
                }
            )
            .unwrap_err(),
            Failure::NthPastEnd { nth: 4, count: 3 }
        );
    }

    #[test]
    fn all_skips_occurrences_overlapping_the_previous() {
        let sel = Selector {
            exact: "a a".into(),
            prefix: None,
            suffix: None,
            nth: None,
            all: true,
        };
        assert_eq!(anchor("a a a a", &[], &sel).unwrap(), vec![0..3, 4..7]);
    }

    #[test]
    fn straight_quotes_match_curly() {
        let t = "ông nói “tiềm năng kiếm tiền” của";
        let r = anchor(t, &[], &sel("\"tiềm năng kiếm tiền\"")).unwrap();
        assert_eq!(&t[r[0].clone()], "“tiềm năng kiếm tiền”");
    }

    #[test]
    fn whitespace_in_exact_is_collapsed() {
        assert_eq!(
            anchor("Bắc Kinh đã", &[], &sel("Bắc  \n Kinh")).unwrap(),
            vec![0.."Bắc Kinh".len()]
        );
    }

    #[test]
    fn reanchors_an_edited_passage_and_warns_not_guesses() {
        let old = Selector {
            exact: "sản xuất chip được thiết kế bởi các công ty".into(),
            prefix: Some("hàng đầu của Trung Quốc, ".into()),
            suffix: Some(" như Huawei".into()),
            nth: None,
            all: false,
        };
        let text = "SMIC, nhà sản xuất chip hàng đầu của Trung Quốc, sản xuất các chip được thiết kế bởi các công ty như Huawei.";
        let r = reanchor(text, &old).expect("close enough to re-anchor");
        assert_eq!(
            &text[r.range.clone()],
            "sản xuất các chip được thiết kế bởi các công ty"
        );
        assert!(r.score >= REANCHOR_THRESHOLD && r.score < 1.0);
        // A rewrite beyond recognition is an orphan, not a wrong attachment.
        let unrelated = "Một câu hoàn toàn khác không liên quan gì đến chip.";
        assert_eq!(reanchor(unrelated, &old), None);
        // Two equally good places: refuse to guess.
        let twice =
            "sản xuất các chip được thiết kế bởi các công ty. Và sản xuất các chip được thiết kế bởi các công ty.";
        let no_context = Selector {
            prefix: None,
            suffix: None,
            ..old
        };
        assert_eq!(reanchor(twice, &no_context), None);
    }

    #[test]
    fn short_names_reanchor_only_on_tone_or_one_letter_changes() {
        let text = "Ở Bắc Kinh và Hà Nội.";
        let sel = |e: &str| Selector {
            exact: e.into(),
            prefix: None,
            suffix: None,
            nth: None,
            all: false,
        };
        assert_eq!(
            reanchor(text, &sel("Bac Kinh")).map(|r| &text[r.range]),
            Some("Bắc Kinh")
        );
        assert_eq!(
            reanchor(text, &sel("Bắc Kinhh")).map(|r| &text[r.range]),
            Some("Bắc Kinh")
        );
        assert_eq!(
            reanchor(text, &sel("Bắc Ninh")).map(|r| &text[r.range]),
            Some("Bắc Kinh")
        );
        assert_eq!(reanchor(text, &sel("Nam Kinh")), None);
    }

    #[test]
    fn differences_are_bracketed() {
        assert_eq!(
            mark_difference("Bytedance", "ByteDance"),
            ("Byte[d]ance".into(), "Byte[D]ance".into())
        );
        assert_eq!(
            mark_difference("Bac Kinh", "Bắc Kinh"),
            ("B[a]c Kinh".into(), "B[ắ]c Kinh".into())
        );
    }

    #[test]
    fn closest_finds_typo() {
        let t = "các công ty như ByteDance, công ty mẹ";
        let (r, score) = closest(t, "Bytedance").unwrap();
        assert_eq!(&t[r], "ByteDance");
        assert!(score > 0.8);
    }
}
