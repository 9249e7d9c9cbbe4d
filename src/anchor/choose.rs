//! Choosing the selector for a span of an article's rendered text — what
//! the annotator writes when the author selects text in `glossa serve`: the
//! smallest TextQuoteSelector that [`anchor`](super::selector::anchor)
//! resolves to exactly that span.
//!
//! In order: `exact` alone when the text occurs once (outside code); else
//! the shortest `prefix` and/or `suffix` made of whole words of the same
//! paragraph that single it out, when [`MAX_CONTEXT`] characters do it (a
//! reader sees at a glance where that is); else `nth`, its place among the
//! occurrences. Every candidate is checked with `anchor` itself, so what
//! is chosen resolves to the span by construction, not by a second
//! implementation of the matching rules.
//!
//! Stage 2 of the pipeline: anchoring.

use std::ops::Range;

use super::selector::{Occurrences, anchor_cached};
use crate::content::Selector;

/// The most characters of context (`prefix` and `suffix` together) chosen
/// before `nth` is preferred: about five Vietnamese syllables or three
/// English words.
pub const MAX_CONTEXT: usize = 25;

/// Why no selector can pick a span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unselectable {
    /// Nothing but white space, or outside the text.
    Empty,
    /// It touches code, which is not annotated.
    InCode,
    /// It crosses a block (paragraph, heading, list item, cell).
    AcrossBlocks,
    /// `all = true` would not include it: an earlier occurrence overlaps it
    /// ("a a" in "a a a" is taken from the left).
    NotInAll,
}

fn plain(exact: &str) -> Selector {
    Selector {
        exact: exact.to_string(),
        prefix: None,
        suffix: None,
        nth: None,
        all: false,
    }
}

fn check_span(text: &str, code: &[Range<usize>], range: &Range<usize>) -> Result<(), Unselectable> {
    let inside = range.start < range.end
        && range.end <= text.len()
        && text.is_char_boundary(range.start)
        && text.is_char_boundary(range.end);
    if !inside || text[range.clone()].trim().is_empty() {
        return Err(Unselectable::Empty);
    }
    if text[range.clone()].contains('\n') {
        return Err(Unselectable::AcrossBlocks);
    }
    if code.iter().any(|c| c.start < range.end && range.start < c.end) {
        return Err(Unselectable::InCode);
    }
    Ok(())
}

/// The selector for exactly `range` of `text` (rendered text; `code` its
/// code ranges, sorted), as described in the module docs.
pub fn choose(text: &str, code: &[Range<usize>], range: Range<usize>) -> Result<Selector, Unselectable> {
    check_span(text, code, &range)?;
    let exact = &text[range.clone()];
    let mut cache = Occurrences::default();
    let resolves = |sel: &Selector, cache: &mut Occurrences| {
        anchor_cached(text, code, sel, cache).is_ok_and(|r| r == [range.clone()])
    };
    let base = plain(exact);
    if resolves(&base, &mut cache) {
        return Ok(base);
    }
    if let Some(sel) = contexts(text, &range)
        .into_iter()
        .map(|(prefix, suffix)| Selector {
            prefix,
            suffix,
            ..plain(exact)
        })
        .find(|sel| resolves(sel, &mut cache))
    {
        return Ok(sel);
    }
    // Its place among the occurrences outside code.
    let nth = super::selector::find_all(text, exact)
        .into_iter()
        .filter(|r| !code.iter().any(|c| c.start < r.end && r.start < c.end))
        .position(|r| r == range)
        .map_or(1, |i| i + 1);
    let sel = Selector {
        nth: Some(nth),
        ..plain(exact)
    };
    debug_assert!(resolves(&sel, &mut cache));
    Ok(sel)
}

/// `exact` with `all = true`, and every span it resolves to, when those
/// include `range`.
pub fn choose_all(
    text: &str,
    code: &[Range<usize>],
    range: Range<usize>,
) -> Result<(Selector, Vec<Range<usize>>), Unselectable> {
    check_span(text, code, &range)?;
    let sel = Selector {
        all: true,
        ..plain(&text[range.clone()])
    };
    match super::selector::anchor(text, code, &sel) {
        Ok(ranges) if ranges.contains(&range) => Ok((sel, ranges)),
        _ => Err(Unselectable::NotInAll),
    }
}

/// Every (prefix, suffix) of whole words of the span's line with at most
/// [`MAX_CONTEXT`] characters in all, shortest first (on a tie: one part
/// before two, a prefix before a suffix).
pub fn contexts(text: &str, range: &Range<usize>) -> Vec<(Option<String>, Option<String>)> {
    let line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[range.end..].find('\n').map_or(text.len(), |i| range.end + i);
    let token_start = |b: usize| b == line_start || (text[..b].ends_with(' ') && !text[b..].starts_with(' '));
    let token_end = |e: usize| e == line_end || (text[e..].starts_with(' ') && !text[..e].ends_with(' '));
    // (characters, text), nearest first; none at all is the first
    let mut prefixes: Vec<(usize, Option<String>)> = vec![(0, None)];
    for (b, _) in text[line_start..range.start].char_indices().rev() {
        let b = line_start + b;
        if token_start(b) {
            let p = &text[b..range.start];
            let n = p.chars().count();
            if n > MAX_CONTEXT {
                break;
            }
            prefixes.push((n, Some(p.to_string())));
        }
    }
    let mut suffixes: Vec<(usize, Option<String>)> = vec![(0, None)];
    for (e, c) in text[range.end..line_end].char_indices() {
        let e = range.end + e + c.len_utf8();
        if token_end(e) {
            let s = &text[range.end..e];
            let n = s.chars().count();
            if n > MAX_CONTEXT {
                break;
            }
            suffixes.push((n, Some(s.to_string())));
        }
    }
    let mut all: Vec<(usize, usize, usize, usize)> = Vec::new();
    for (i, (pn, _)) in prefixes.iter().enumerate() {
        for (j, (sn, _)) in suffixes.iter().enumerate() {
            let total = pn + sn;
            if (i, j) != (0, 0) && total <= MAX_CONTEXT {
                let parts = usize::from(i > 0) + usize::from(j > 0);
                all.push((total, parts, usize::from(i == 0), i * 1000 + j));
            }
        }
    }
    all.sort();
    all.into_iter()
        .map(|(_, _, _, k)| (prefixes[k / 1000].1.clone(), suffixes[k % 1000].1.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anchor::markdown::Document;
    use crate::anchor::selector::anchor;
    use proptest::prelude::*;

    fn chosen(text: &str, what: &str, nth: usize) -> Selector {
        let at = text.match_indices(what).nth(nth - 1).unwrap().0;
        choose(text, &[], at..at + what.len()).unwrap()
    }

    #[test]
    fn exact_alone_when_it_occurs_once() {
        let s = chosen("các công ty như Huawei và Qualcomm.", "Huawei", 1);
        assert_eq!(s, plain("Huawei"));
    }

    #[test]
    fn the_fewest_words_of_context_then_nth() {
        let t = "chip AI cho Huawei nhằm cạnh tranh. Mặc dù chip Huawei có thể đủ tốt";
        let s = chosen(t, "Huawei", 2);
        // " có" (3 characters) rather than "chip " (5)
        assert_eq!((s.prefix.as_deref(), s.suffix.as_deref()), (None, Some(" có")));
        assert_eq!(anchor(t, &[], &s).unwrap().len(), 1);
        let s = chosen(t, "Huawei", 1);
        assert_eq!((s.prefix.as_deref(), s.suffix.as_deref()), (Some("cho "), None));
        // Three words of context do it where five syllables would not
        let t = "ông Chan nói, và ông Chan nói, rồi ông Chan nói.";
        let s = chosen(t, "Chan", 2);
        assert_eq!((s.prefix.as_deref(), s.suffix.as_deref()), (Some("và ông "), None));
        // The same 25 characters around every occurrence: nth.
        let p = "một câu rất dài lặp lại ở đây";
        let t = format!("{p} Chan {p} Chan {p} Chan {p} Chan.");
        for n in [2, 3] {
            let s = chosen(&t, "Chan", n);
            assert_eq!(s.nth, Some(n), "{s:?}");
            assert!(s.prefix.is_none() && s.suffix.is_none());
        }
        let s = chosen(&t, "Chan", 4);
        assert_eq!((s.suffix.as_deref(), s.nth), (Some("."), None));
    }

    #[test]
    fn occurrences_in_code_do_not_count() {
        let doc = Document::parse("Gọi `Huawei` rồi Huawei.");
        let t = &doc.text.text;
        let at = t.rfind("Huawei").unwrap();
        assert_eq!(choose(t, &doc.text.code, at..at + 6).unwrap(), plain("Huawei"));
        let in_code = t.find("Huawei").unwrap();
        assert_eq!(
            choose(t, &doc.text.code, in_code..in_code + 6),
            Err(Unselectable::InCode)
        );
    }

    #[test]
    fn refusals() {
        let t = "a b\nc d";
        assert_eq!(choose(t, &[], 2..5), Err(Unselectable::AcrossBlocks));
        assert_eq!(choose(t, &[], 1..2), Err(Unselectable::Empty));
        assert_eq!(choose(t, &[], 5..99), Err(Unselectable::Empty));
        assert_eq!(choose_all("a a a", &[], 2..5), Err(Unselectable::NotInAll));
        let (sel, all) = choose_all("x a y a", &[], 6..7).unwrap();
        assert!(sel.all);
        assert_eq!(all, vec![2..3, 6..7]);
    }

    /// Markdown paragraphs from a small vocabulary, so that words recur.
    fn article() -> impl Strategy<Value = String> {
        let word = prop::sample::select(vec![
            "Huawei",
            "chip",
            "của",
            "Trung",
            "Quốc",
            "ông",
            "Chan",
            "nói",
            "AI",
            "**đậm**",
            "*nghiêng*",
            "[liên kết](https://x.vn)",
            "`mã`",
            "“trích",
            "dẫn”",
            "và",
            "Bắc",
            "Kinh",
            "Hà",
            "Nội",
            "đã",
        ]);
        let sentence = prop::collection::vec(word, 1..14).prop_map(|w| w.join(" "));
        prop::collection::vec(sentence, 1..5).prop_map(|p| p.join("\n\n"))
    }

    /// The whole-word contexts of the span with fewer characters than
    /// `than` (brute force, independent of [`contexts`]).
    fn shorter_contexts(text: &str, r: &Range<usize>, than: usize) -> Vec<(Option<String>, Option<String>)> {
        let line = text[..r.start].rfind('\n').map_or(0, |i| i + 1);
        let end = text[r.end..].find('\n').map_or(text.len(), |i| r.end + i);
        let before = &text[line..r.start];
        let after = &text[r.end..end];
        let mut pre: Vec<Option<String>> = vec![None];
        for (i, _) in before.char_indices() {
            if i == 0 || (before[..i].ends_with(' ') && !before[i..].starts_with(' ')) {
                pre.push(Some(before[i..].to_string()));
            }
        }
        let mut suf: Vec<Option<String>> = vec![None];
        for (i, c) in after.char_indices() {
            let e = i + c.len_utf8();
            if e == after.len() || (after[e..].starts_with(' ') && !after[..e].ends_with(' ')) {
                suf.push(Some(after[..e].to_string()));
            }
        }
        let len = |o: &Option<String>| o.as_deref().map_or(0, |s| s.chars().count());
        let mut out = Vec::new();
        for p in &pre {
            for s in &suf {
                if (p.is_some() || s.is_some()) && len(p) + len(s) < than {
                    out.push((p.clone(), s.clone()));
                }
            }
        }
        out
    }

    proptest! {
        // (no regression files: a case one failing run saved would be replayed
        // by the next, and a cargo-mutants run would depend on its order)
        #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

        /// For random articles and random spans: the chosen selector
        /// anchors to exactly the span, and none of the kinds is shorter.
        #[test]
        fn the_chosen_selector_is_exact_and_the_smallest(md in article(), a in 0usize..2000, len in 1usize..40) {
            let doc = Document::parse(&md);
            let text = &doc.text.text;
            let code = &doc.text.code;
            let chars: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
            let s = chars[a % chars.len()];
            let e = chars[(a % chars.len() + len).min(chars.len() - 1)];
            // the author selects whole characters, never bare white space at the ends
            let r = s + (text[s..e].len() - text[s..e].trim_start().len())..e - (text[s..e].len() - text[s..e].trim_end().len());
            match choose(text, code, r.clone()) {
                Err(Unselectable::Empty) => prop_assert!(r.start >= r.end),
                Err(Unselectable::AcrossBlocks) => prop_assert!(text[r.clone()].contains('\n')),
                Err(Unselectable::InCode) => prop_assert!(doc.text.overlaps_code(&r)),
                Err(other) => prop_assert!(false, "{other:?}"),
                Ok(sel) => {
                    prop_assert_eq!(anchor(text, code, &sel), Ok(vec![r.clone()]), "{:?}", sel);
                    let exact_alone = anchor(text, code, &plain(&text[r.clone()])) == Ok(vec![r.clone()]);
                    let ctx = sel.prefix.as_ref().map_or(0, |p| p.chars().count())
                        + sel.suffix.as_ref().map_or(0, |p| p.chars().count());
                    let unique = |p: &Option<String>, s: &Option<String>| {
                        let c = Selector { prefix: p.clone(), suffix: s.clone(), ..plain(&text[r.clone()]) };
                        anchor(text, code, &c) == Ok(vec![r.clone()])
                    };
                    if exact_alone {
                        prop_assert_eq!(&sel, &plain(&text[r.clone()]));
                    } else if sel.nth.is_some() {
                        // no context of MAX_CONTEXT characters or fewer would do
                        prop_assert!(sel.prefix.is_none() && sel.suffix.is_none());
                        for (p, s) in shorter_contexts(text, &r, MAX_CONTEXT + 1) {
                            prop_assert!(!unique(&p, &s), "{:?} {:?} would do", p, s);
                        }
                    } else {
                        prop_assert!(ctx > 0 && ctx <= MAX_CONTEXT);
                        for (p, s) in shorter_contexts(text, &r, ctx) {
                            prop_assert!(!unique(&p, &s), "{:?} {:?} is shorter than {:?}", p, s, sel);
                        }
                    }
                }
            }
        }
    }
}
