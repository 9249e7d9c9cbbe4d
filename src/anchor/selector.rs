//! Anchoring: a TextQuoteSelector (`exact`, `prefix`, `suffix`, `nth`, `all`)
//! resolved to byte ranges of an article's rendered text. Both sides are NFC
//! and white-space-collapsed; curly and straight quotes match each other.
//! When nothing matches, [`closest`] finds the most similar passage for the
//! diagnostic, and [`reanchor`] where an edited passage most likely moved.
//! Both only ever propose passages that start and end on word boundaries
//! ([`word_boundaries`]): never "về ch" for "về chip".
//!
//! Stage 2 of the pipeline: anchoring.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

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
    // (memchr's SIMD search, built once per pattern: `str::find` was a
    // tenth of anchoring's time. A match of UTF-8 in UTF-8 starts and ends
    // on character boundaries.)
    let finder = memchr::memmem::Finder::new(pat.as_bytes());
    let mut from = 0;
    while let Some(i) = finder.find(&text.as_bytes()[from..]) {
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
/// 0..=1 (1 − edits/length). Candidates start at word starts and end on
/// the word boundaries nearest to the length of `exact` in characters.
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
        // Ends at n − 1 ..= n + 1 characters, or else the nearest boundary
        // on either side of that.
        let bounds = word_boundaries(text, start, start + window(text, start, 2 * n + 2).len());
        if bounds.first() != Some(&start) {
            continue;
        }
        let lens: Vec<(usize, usize)> = char_lengths(text, &bounds)
            .into_iter()
            .filter(|&(end, _)| !ends_in_space(text, end))
            .collect();
        let shorter = lens.iter().rev().find(|&&(_, l)| l + 1 < n);
        let longer = lens.iter().find(|&&(_, l)| l > n + 1);
        let near = lens.iter().filter(|&&(_, l)| l + 1 >= n && l <= n + 1);
        for &(end, _) in shorter.into_iter().chain(near).chain(longer) {
            let score = strsim::normalized_levenshtein(&text[start..end], &exact);
            if best.as_ref().is_none_or(|b| score > b.1) {
                best = Some((start..end, score));
            }
        }
    }
    best.filter(|b| b.1 >= 0.5)
}

/// Whether the passage ending at byte `end` would end with white space.
fn ends_in_space(text: &str, end: usize) -> bool {
    text[..end].ends_with(char::is_whitespace)
}

/// (end, length in characters from `bounds[0]`) for each later boundary.
fn char_lengths(text: &str, bounds: &[usize]) -> Vec<(usize, usize)> {
    let mut len = 0;
    bounds
        .windows(2)
        .map(|w| {
            len += text[w[0]..w[1]].chars().count();
            (w[1], len)
        })
        .collect()
}

/// The word boundaries of `text` from byte `lo` to byte `hi` (both
/// included, not past `lo`'s line), in order: where a proposed passage may
/// start or end. A boundary is a Unicode word boundary (UAX #29, by
/// unicode-segmentation: never inside a grapheme cluster, "don't" or
/// "3.5") that does not part two word characters — the rule autolink
/// matches names by, which also keeps a run of ideographs whole.
pub fn word_boundaries(text: &str, lo: usize, hi: usize) -> Vec<usize> {
    // Segment from where what comes before cannot matter — the line's
    // start, or the first of the spaces before `lo` — to a few characters
    // past `hi` (the rules look ahead), or the line's end.
    let from = match text[..lo].rfind([' ', '\n']) {
        Some(i) if text.as_bytes()[i] == b'\n' => i + 1,
        Some(i) => text[..i].trim_end_matches(' ').len(),
        None => 0,
    };
    let ahead = hi + window(text, hi, 8).len();
    let (to, line_end) = match text[lo..ahead].find('\n') {
        Some(i) => (lo + i, true),
        None => (ahead, ahead == text.len()),
    };
    let parts_word_chars = |b: usize| {
        let before = text[..b].chars().next_back();
        let after = text[b..].chars().next();
        before.is_some_and(is_word_char) && after.is_some_and(is_word_char)
    };
    text[from..to]
        .split_word_bound_indices()
        .map(|(i, _)| from + i)
        // the end of the line (or text) is a boundary; the end of a slice is not
        .chain(line_end.then_some(to))
        .skip_while(|&b| b < lo)
        .take_while(|&b| b <= hi.min(to))
        .filter(|&b| !parts_word_chars(b))
        .collect()
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
        // Whole words only: a passage ending inside a word ("về ch" of "về
        // chip") is not a passage the author wrote.
        let bounds = word_boundaries(text, start, start + window(text, start, n + slack).len());
        if bounds.first() != Some(&start) {
            continue;
        }
        // (similarity, distance from n characters, range): on a tie the
        // length nearer the old one ("về chip." rather than "về chip").
        let mut best: Option<(f64, usize, Range<usize>)> = None;
        for (end, len) in char_lengths(text, &bounds) {
            if len < n.saturating_sub(slack) || ends_in_space(text, end) {
                continue;
            }
            let q = similarity(&text[start..end], &exact);
            let off = len.abs_diff(n);
            if best.as_ref().is_none_or(|b| q > b.0 || (q == b.0 && off < b.1)) {
                best = Some((q, off, start..end));
            }
        }
        let Some((q, _, range)) = best else { continue };
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
    // (at most four pieces, the last taking what is left over: a piece of
    // one to three characters, often a full stop, would be found everywhere)
    let pieces = (chars.len() / q).clamp(1, 4);
    let mut starts = std::collections::BTreeSet::new();
    for k in 0..pieces {
        let end = if k + 1 == pieces { chars.len() } else { (k + 1) * q };
        let piece: String = chars[k * q..end].iter().collect();
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

    /// Over 400,000 bytes, the candidates are only the word starts at most
    /// `exact`'s length (+ 8 bytes) before an occurrence of one of its
    /// quarters: a passage further back is not weighed.
    #[test]
    fn a_long_texts_candidates_are_near_a_quarter_of_exact() {
        let exact = "Chúng tôi sẽ tự chủ về công nghệ";
        assert_eq!(exact.chars().count() % 4, 0, "no short last quarter");
        let filler = "lời mở đầu dài dòng; ".repeat(20_000);
        let before = "một câu khác đứng trước đoạn này rất lâu. ".repeat(3);
        let text = format!("{filler}{before}Chúng tôi bàn chuyện khác. {filler}");
        assert!(text.len() > 400_000);
        let at = text.find("Chúng tôi").unwrap();
        let starts = word_starts(&text, exact);
        assert!(starts.contains(&at), "the piece's own word start");
        let from = at - exact.len() - 8;
        assert!(
            starts.iter().all(|&s| (from..=at).contains(&s)),
            "{:?}",
            starts.iter().map(|&s| s as isize - at as isize).collect::<Vec<_>>()
        );
        assert!(starts.iter().any(|&s| s < at), "word starts before it too");
    }

    /// An `exact` whose length is not a multiple of four has no short last
    /// piece: its full stop alone would make every sentence end a
    /// candidate.
    #[test]
    fn a_long_texts_candidates_ignore_a_leftover_full_stop() {
        let exact = "Chúng tôi sẽ tự chủ về công nghệ.";
        assert_eq!(exact.chars().count() % 4, 1);
        let filler = "Lời mở đầu dài dòng. ".repeat(20_000);
        let text = format!("{filler}Chúng tôi sẽ tự chủ về công nghệ. {filler}");
        assert!(text.len() > 400_000);
        let at = text.find("Chúng tôi").unwrap();
        let starts = word_starts(&text, exact);
        assert!(starts.contains(&at));
        let near = at - exact.len() - 8..=at + exact.len();
        assert!(
            starts.iter().all(|s| near.contains(s)),
            "{} candidates, e.g. {:?}",
            starts.len(),
            starts
                .iter()
                .take(3)
                .map(|&s| s as isize - at as isize)
                .collect::<Vec<_>>()
        );
    }

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

    /// The passages between consecutive boundaries of `text`.
    fn words_of(text: &str) -> Vec<&str> {
        word_boundaries(text, 0, text.len())
            .windows(2)
            .map(|w| &text[w[0]..w[1]])
            .collect()
    }

    #[test]
    fn word_boundaries_never_split_a_word_a_number_or_a_grapheme() {
        assert_eq!(words_of("về chip."), ["về", " ", "chip", "."]);
        assert_eq!(words_of("don't 3.5 lần"), ["don't", " ", "3.5", " ", "lần"]);
        // a mark NFC cannot compose stays with its letter
        assert_eq!(words_of("x\u{301}y z"), ["x\u{301}y", " ", "z"]);
        // flags are pairs of regional indicators: UAX #29, not letters
        assert_eq!(words_of("🇻🇳🇺🇸"), ["🇻🇳", "🇺🇸"]);
        // a run of ideographs is one word, as autolink sees it
        assert_eq!(words_of("中国人 à"), ["中国人", " ", "à"]);
        // within a line, from a word start: the same boundaries
        let t = "a b\nvề chip. x";
        let at = t.find("chip").unwrap();
        assert_eq!(
            word_boundaries(t, at, t.len()),
            vec![at, at + 4, at + 5, at + 6, t.len()]
        );
        let mid = t.find("hip").unwrap();
        assert_eq!(word_boundaries(t, mid, t.len()).first(), Some(&(at + 4)));
        assert_eq!(word_boundaries(t, 0, t.len()).last(), Some(&t.find('\n').unwrap()));
    }

    /// The case: "…về công nghệ." edited to "…về chip.": the best
    /// character window was "…về ch" (0.76); whole words only now.
    #[test]
    fn reanchoring_never_ends_inside_a_word() {
        let old = sel("Chúng tôi sẽ tự chủ về công nghệ.");
        let text = "Huawei nói: “Chúng tôi sẽ tự chủ về chip.” Và thêm.";
        let r = reanchor(text, &old).expect("whole words score 0.76 too");
        assert_eq!(&text[r.range.clone()], "Chúng tôi sẽ tự chủ về chip.");
        assert!((r.score - 25.0 / 33.0).abs() < 1e-9, "{}", r.score);
        // Only a partial word would reach the threshold: an orphan.
        let text = "Huawei nói: “Chúng tôi sẽ tự chủ về chiplet tiên tiến.”";
        let partial = "Chúng tôi sẽ tự chủ về chip";
        assert!(text.contains(&format!("{partial}let")));
        assert!(similarity(partial, &old.exact) >= REANCHOR_THRESHOLD);
        assert!(similarity("Chúng tôi sẽ tự chủ về chiplet", &old.exact) < REANCHOR_THRESHOLD);
        assert_eq!(reanchor(text, &old), None);
    }

    /// A syllable is a word here: "năm trướ" is not a passage.
    #[test]
    fn reanchoring_never_ends_inside_a_syllable() {
        let old = sel("Các nhà máy của SMIC sản xuất chip cho Huawei ở Thượng Hải năm nay.");
        let text = "Các nhà máy của SMIC sản xuất chip cho Xiaomi ở Vũ Hán năm trước.";
        let partial = text.strip_suffix("c.").unwrap();
        assert!(similarity(partial, &old.exact) >= REANCHOR_THRESHOLD);
        assert!(similarity(text, &old.exact) < REANCHOR_THRESHOLD);
        assert_eq!(reanchor(text, &old), None);
        // Just above the threshold: the whole syllable, not "năm ngoá" (0.776).
        let text = "Các nhà máy của SMIC sản xuất chip cho Xiaomi ở Thâm Quyến năm ngoái.";
        let r = reanchor(text, &old).expect("0.768");
        assert_eq!(&text[r.range.clone()], text);
        assert!((r.score - 0.768).abs() < 0.001, "{}", r.score);
    }

    /// Scores around 0.75 decide: equal to it re-anchors, just below is an
    /// orphan, and a sentence that says something else is one whatever
    /// its shape.
    #[test]
    fn the_reanchoring_threshold_is_pinned() {
        assert_eq!(REANCHOR_THRESHOLD, 0.75);
        let old = sel("Các nhà máy của SMIC sản xuất chip cho Huawei ở Thượng Hải năm nay.");
        let score = |t: &str| reanchor(t, &old).map(|r| (r.range == (0..t.len()), r.score));
        // 17 edits over 68 characters: exactly 0.75
        assert_eq!(
            score("Các nhà máy của SMIC sản xuất chip cho Xiaomi ở Thâm Quyến nămtrước."),
            Some((true, 0.75))
        );
        // 0.746 (and 0.761 to "năm trướ")
        assert_eq!(
            score("Các nhà máy của SMIC sản xuất chip cho Xiaomi ở Vũ Hán năm trước."),
            None
        );
        // 0.761
        assert_eq!(
            score("Các nhà máy của SMIC sản xuất chip cho Xiaomi ở Vũ Hán năm ngoái.").map(|s| s.0),
            Some(true)
        );
        // 0.739: another subject, another time
        assert_eq!(
            score("Các nhà máy của TSMC sản xuất chip cho Xiaomi ở Thâm Quyến năm ngoái."),
            None
        );
        // 0.57: no longer the same statement
        assert_eq!(
            score("Các xưởng của TSMC làm chip cho Xiaomi ở Thâm Quyến năm nay."),
            None
        );
        assert_eq!(
            score("Các xưởng của TSMC sản xuất chip cho Xiaomi ở Thâm Quyến năm nay."),
            None
        );
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

    /// The hint quotes whole words, not "ByteDance" out of "ByteDancer".
    #[test]
    fn closest_quotes_whole_words() {
        let t = "các công ty như ByteDancer, công ty mẹ";
        let (r, _) = closest(t, "Bytedance").unwrap();
        assert_eq!(&t[r], "ByteDancer");
        let t = "Chúng tôi sẽ tự chủ về chiplet tiên tiến.";
        let (r, _) = closest(t, "Chúng tôi sẽ tự chủ về công nghệ.").unwrap();
        assert!(!t[r.end..].starts_with(char::is_alphanumeric), "{}", &t[r]);
    }
    /// Curly quotes are a fallback: when `"hi"` occurs as typed, a curly
    /// “hi” elsewhere is not a second occurrence (it would be ambiguous).
    #[test]
    fn curly_quotes_count_only_when_the_straight_ones_occur_nowhere() {
        let t = "ông nói \"hi\" rồi “hi”";
        let at = t.find('"').unwrap();
        assert_eq!(anchor(t, &[], &sel("\"hi\"")).unwrap(), vec![at..at + 4]);
    }

    /// Code right before or after an occurrence does not touch it.
    #[test]
    fn an_occurrence_next_to_code_is_not_in_code() {
        let code = |r: Range<usize>| vec![r];
        assert_eq!(anchor("SMICx", &code(4..5), &sel("SMIC")).unwrap(), vec![0..4]);
        assert_eq!(anchor("xSMIC", &code(0..1), &sel("SMIC")).unwrap(), vec![1..5]);
        assert_eq!(
            anchor("xSMICx", &code(1..2), &sel("SMIC")).unwrap_err(),
            Failure::InCode { range: 1..5 }
        );
    }

    /// Single quotes too, and a selector of quote marks only: curly in the
    /// text and straight in `exact`, or the other way round.
    #[test]
    fn quote_marks_of_either_kind_match() {
        let t = "nói ‘hi’ nhé";
        let r = anchor(t, &[], &sel("'hi'")).unwrap();
        assert_eq!(&t[r[0].clone()], "‘hi’");
        for (t, exact, want) in [
            ("a “” b", "\"\"", "“”"),
            ("a ‘’ b", "''", "‘’"),
            ("a \"\" b", "“”", "\"\""),
        ] {
            let r = anchor(t, &[], &sel(exact)).unwrap();
            assert_eq!(&t[r[0].clone()], want, "{exact}");
        }
    }

    /// Which passages `closest` weighs, each case one rule: (text, exact,
    /// the passage proposed, its score).
    #[test]
    fn closest_weighs_the_nearest_lengths_on_either_side() {
        type Case<'a> = (&'a str, &'a str, Option<(&'a str, f64)>);
        let cases: [Case; 5] = [
            // a tie between shorter and near: the first found (the shorter)
            ("abcdefg x", "abcdefghij", Some(("abcdefg", 0.7))),
            // one character short (n − 1) counts as near
            ("abcdefghi x", "abcdefghij", Some(("abcdefghi", 0.9))),
            // the first boundary past n + 1, even at 2n − 1 characters
            (
                "abcdefghijklmnopqrs x",
                "abcdefghij",
                Some(("abcdefghijklmnopqrs", 1.0 - 9.0 / 19.0)),
            ),
            // past n + 1 is past boundaries at n and n + 1
            (
                "Q-R-abcdef-ghij",
                "abcdefghij",
                Some(("Q-R-abcdef-ghij", 1.0 - 5.0 / 15.0)),
            ),
            // only the nearest on each side: not a later, better one
            ("abcdef-QQ-gh-ij", "abcdefghij", Some(("abcdef-", 0.6))),
        ];
        for (text, exact, want) in cases {
            let got = closest(text, exact).map(|(r, s)| (&text[r], s));
            match (got, want) {
                (Some((g, gs)), Some((w, ws))) => {
                    assert_eq!(g, w, "{text:?}");
                    assert!((gs - ws).abs() < 1e-9, "{text:?}: {gs} ≠ {ws}");
                }
                (g, w) => assert_eq!(g.map(|g| g.0), w.map(|w| w.0), "{text:?}"),
            }
        }
    }

    /// A word after a line break whose last character is not ASCII.
    #[test]
    fn word_boundaries_after_a_line_break() {
        let t = "về\nchip x";
        let at = t.find("chip").unwrap();
        assert_eq!(word_boundaries(t, at, t.len()), vec![at, at + 4, at + 5, t.len()]);
    }

    /// The limits of re-anchoring: `all` selectors and texts under four
    /// characters are not re-anchored; one more character than the old
    /// text is in reach, and from 16 characters on more than one edit is
    /// allowed.
    #[test]
    fn reanchoring_limits() {
        let all = Selector {
            all: true,
            ..sel("Bac Kinh")
        };
        assert_eq!(reanchor("Ở Bắc Kinh.", &all), None);
        let found = |text: &'static str, exact: &str| reanchor(text, &sel(exact)).map(|r| &text[r.range]);
        assert_eq!(found("Ở SMIC.", "SMC"), None);
        assert_eq!(found("Ở SMlC.", "SMIC"), Some("SMlC"));
        assert_eq!(found("Ở SMICs.", "SMIC"), Some("SMICs"));
        // a quarter shorter is in reach
        assert_eq!(
            found("x abcdefghijkl yyyyyyyyyy", "abcdefghijklmnop"),
            Some("abcdefghijkl")
        );
        // 12 characters, two edits: a short text, an orphan
        assert_eq!(found("x abXdefghiYkl y", "abcdefghijkl"), None);
        // 16 characters, two edits: re-anchored
        assert_eq!(
            found("x abXdefghijklmYop y", "abcdefghijklmnop"),
            Some("abXdefghijklmYop")
        );
        // 8 characters inserted into 24 is more than a quarter more: out of reach
        assert_eq!(
            found("Huawei đã mua thêm chip của SMIC.", "Huawei mua chip của SMIC"),
            None
        );
    }

    /// `prefix` and `suffix` tell two equally close passages apart.
    #[test]
    fn context_picks_between_two_edited_passages() {
        let text = "Trước A: sản xuất các chip được thiết kế bởi các công ty (Huawei). Sau B: sản xuất các chip được thiết kế bởi các công ty (Xiaomi).";
        let second = text.rfind("sản xuất").unwrap();
        let old = sel("sản xuất chip được thiết kế bởi các công ty");
        assert_eq!(reanchor(text, &old), None);
        let with_prefix = Selector {
            prefix: Some("Sau B: ".into()),
            ..old.clone()
        };
        assert_eq!(reanchor(text, &with_prefix).map(|r| r.range.start), Some(second));
        let with_suffix = Selector {
            suffix: Some(" (Xiaomi)".into()),
            ..old
        };
        assert_eq!(reanchor(text, &with_suffix).map(|r| r.range.start), Some(second));
    }

    /// Found by a random search against the mutants of these rules: a
    /// passage more than a quarter longer than the old text is out of
    /// reach; on equal similarity the length nearer the old one wins, and
    /// of two equally near, the shorter.
    #[test]
    fn reanchoring_reach_and_ties() {
        let found = |text: &'static str, exact: &str| reanchor(text, &sel(exact)).map(|r| (&text[r.range], r.score));
        assert_eq!(found("x rst h - - hefg ijkl pq y", "rst h - h ijkl pq"), None);
        assert_eq!(
            found("x efg mh ijkl ab cd cd efgu y", "efg m ijkl ab cd efg"),
            Some(("efg mh ijkl ab cd cd", 0.8))
        );
        assert_eq!(
            found("x - u ab cd pq ab - pq y", "- u ab cd - - pq"),
            Some(("- u ab cd pq", 0.75))
        );
    }

    /// Also found by random search: how `prefix` and `suffix` weigh in
    /// (20 each against 50 for the quote), and when a second candidate
    /// elsewhere — before or after, 0.05 or less behind — makes it an
    /// orphan, while an overlapping or a weaker one does not.
    #[test]
    fn reanchoring_context_weights_and_rivals() {
        let ctx = |exact: &str, prefix: Option<&str>, suffix: Option<&str>| Selector {
            prefix: prefix.map(Into::into),
            suffix: suffix.map(Into::into),
            ..sel(exact)
        };
        let found = |text: &'static str, s: &Selector| reanchor(text, s).map(|r| (&text[r.range], r.score));
        let t = "x u rst rst - . u m z u rst ab u - efg u m y";
        assert_eq!(found(t, &ctx("u rst ab u - . u m", Some("h "), None)), None);
        let t = "x rst pq u ab pq cdijkl h . y";
        assert_eq!(found(t, &ctx("rst pq m ab pq cd h .", None, Some(" ."))), None);
        let t = "x no uefg pq no - cd - y";
        assert_eq!(found(t, &ctx("no u pq no - cd -", Some("ijkl "), Some(" u"))), None);
        // a rival before the best
        let t = "x .m no h . efg ijkl u - z . no h . efg ijkl u -efg y";
        assert_eq!(found(t, &sel(". no h . efg ijkl u -")), None);
        // a weaker one after it
        let t = "x u cd m efg . no no abu ab z u cd m efg ijkl . no no ab y";
        let r = found(t, &sel("u cd m efg ab no no ab")).unwrap();
        assert_eq!(r.0, "u cd m efg . no no abu");
        assert!((r.1 - 0.8636363636363636).abs() < 1e-9);
        // exactly 0.05 behind: not a rival
        let t = "x ijkl h pq u m u . u pqijkl z ijkl pq m . u pq y";
        assert_eq!(found(t, &sel("ijkl pq u m u . u pq")), Some(("ijkl pq m . u pq", 0.8)));
    }

    /// Past 400,000 bytes only the word starts near a piece of `exact` are
    /// tried: the edited passage is still found, in the middle or at the
    /// very start of the text, and a second edited copy still makes it
    /// ambiguous.
    #[test]
    fn reanchoring_in_a_very_long_article() {
        let old = sel("Chúng tôi sẽ tự chủ về công nghệ.");
        let filler = "Thị trường bán dẫn năm nay tăng nhanh, ".repeat(9000);
        assert!(filler.len() > 400_000);
        let edited = "“Chúng tôi sẽ tự chủ về chip.”";
        for text in [format!("{filler}{edited} {filler}"), format!("{edited} {filler}")] {
            let r = reanchor(&text, &old).expect("found in a long text");
            assert_eq!(&text[r.range.clone()], "Chúng tôi sẽ tự chủ về chip.");
            assert!((r.score - 25.0 / 33.0).abs() < 1e-9, "{}", r.score);
        }
        let twice = format!("{filler}{edited} {filler}{edited}");
        assert_eq!(reanchor(&twice, &old), None);
    }

    /// Where a re-anchored passage may start, pinned by cases a random
    /// search found: after white space, or where a word begins after
    /// punctuation ("efg“" is not a start, nor is "”" after "."); short
    /// texts try every such start (not only those near a piece of
    /// `exact`, the shortcut past 400,000 bytes).
    #[test]
    fn reanchoring_starts_where_words_start() {
        let found = |text: &'static str, exact: &str| reanchor(text, &sel(exact)).map(|r| (&text[r.range], r.score));
        assert_eq!(found("x efg“ - rst( mpq .cd ab pq - y", "“ - rst pq . ab pq -"), None);
        let t = "x .” ijkl no- . ( pq no ( h ijkl z m”ijklijkl.(pq(hefgijkl y";
        let r = found(t, "” ijkl no . ( pq ( h ijkl").unwrap();
        assert_eq!(r.0, ".” ijkl no- . ( pq no ( h ijkl");
        let r = found("x ( rst ( h ijkl mijkl - - ( efg y", "rst ” h ijkl ijkl - - ijkl ( efg").unwrap();
        assert_eq!(r.0, "rst ( h ijkl mijkl - - ( efg");
        assert!((r.1 - 0.78125).abs() < 1e-9, "{}", r.1);
    }

    /// The shortcut for texts of 400,000 bytes and more, pinned: below that
    /// every word start is tried, so a passage with an edit in each quarter
    /// of `exact` is found; past it, only starts near a quarter of `exact`
    /// that occurs intact, each quarter a quarter long (not two characters,
    /// which a long text holds thousands of times before the passage), and
    /// reaching back far enough for a passage longer than `exact` whose only
    /// intact quarter is its last.
    #[test]
    fn the_long_text_shortcut() {
        let exact = "chung toi se tu chu ve cong nghe ban dan";
        assert_eq!(exact.len(), 40);
        let old = sel(exact);
        let found = |text: &str| reanchor(text, &old).map(|r| text[r.range].to_string());
        // one edit in each quarter: no quarter intact, so only the full search finds it
        let each = "chunk toi xe tu chu ve kong nghe ban dam";
        let text = format!("{} {each}", "x".repeat(400_000 - each.len() - 1));
        assert_eq!(text.len(), 400_000);
        assert_eq!(
            found(&text[..]).as_deref(),
            None,
            "past the limit, no intact quarter, no start"
        );
        let text = format!("{} {each}", "x".repeat(400_000 - each.len() - 2));
        assert_eq!(found(&text).as_deref(), Some(each), "under the limit, every start");
        // quarters' two-character pieces, thousands of times before the passage
        let chars: Vec<char> = exact.chars().collect();
        let pieces: Vec<String> = chars.chunks(2).map(|c| c.iter().collect()).collect();
        let filler = format!("{}| ", pieces.join("|")).repeat(7000);
        assert!(filler.len() > 400_000);
        let last = "chung toi se tu chu ve cong nghe ban dam";
        let text = format!("{filler}{last}");
        assert_eq!(found(&text).as_deref(), Some(last));
        // only the last quarter intact, 36 bytes after the passage's start
        let longer = "chuung toi se ttu chu ve coong nghe ban dan";
        let text = format!("{} {longer}", "x".repeat(400_001));
        assert_eq!(found(&text).as_deref(), Some(longer));
    }
}
