//! Text utilities that every stage shares: Unicode normalisation, slugs,
//! search/matching folds and the site language's alphabetical order.
//!
//! Vietnamese is the first-class case: inputs arrive as NFC, NFD or the legacy
//! half-composed form, so everything is normalised to NFC before any offset is
//! computed; slugs and folds map `đ` to `d`; sorting uses ICU collation.
//!
//! Foundation: shared by every stage of the pipeline.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::ops::Range;

use icu_collator::options::CollatorOptions;
use icu_collator::{Collator, CollatorBorrowed};
use unicode_normalization::{UnicodeNormalization, is_nfc_quick};

/// Returns `s` in Unicode NFC, borrowing when it already is.
pub fn nfc(s: &str) -> Cow<'_, str> {
    // (every input file goes through here: the letters of Vietnamese text in
    // NFC are passed without the tables, by their bytes, and each run of
    // other characters between them is checked on its own, as after any
    // starter)
    let bytes = s.as_bytes();
    let mut at = skip_always_nfc(bytes, 0);
    while at < bytes.len() {
        let run = &s[at..];
        let end = run.find(always_nfc).unwrap_or(run.len());
        if is_nfc_quick(run[..end].chars()) != unicode_normalization::IsNormalized::Yes {
            return Cow::Owned(s.nfc().collect());
        }
        at = skip_always_nfc(bytes, at + end);
    }
    Cow::Borrowed(s)
}

/// The byte offset of the first character at or after `at` (a character
/// boundary of UTF-8 `b`) that is not [`always_nfc`], read from the bytes,
/// one table lookup each: ASCII and continuation bytes pass, as do the lead
/// bytes C2–CB (U+0080–U+02FF), E1 when B8–BB follows (U+1E00–U+1EFF) and
/// E2 when 80 and 90–BF follow (U+2010–U+203F); any other lead byte stops
/// the scan. It reads eight bytes at a time, with the byte after them: only
/// a byte of CC or above can stop it (C0 and C1 are not UTF-8), and an E1
/// with B8–BB after it — the lead byte of Vietnamese's precomposed vowels
/// with a tone or a dot (ạ, ả, ấ, ờ…), one byte in thirteen of the bench
/// corpus — passes without a branch; any other such byte is looked at on
/// its own. For the 73 MB of the 10,000-article bench corpus's `content/`,
/// on one thread: 100 ms one byte at a time, 28 ms so. (Eight bytes at a
/// time only while they were ASCII was slower: few runs of eight are.)
fn skip_always_nfc(b: &[u8], mut at: usize) -> usize {
    /// Whether a byte passes on its own (E1 and E2 are looked at with what follows).
    static PASSES: [bool; 256] = {
        let mut t = [false; 256];
        let mut i = 0;
        while i < 0xCC {
            t[i] = i < 0xC0 || i >= 0xC2;
            i += 1;
        }
        t
    };
    /// Bit 7 of each byte of `x` that is CC or above: (b & 7F) + 34 reaches
    /// 80 exactly when b & 7F ≥ 4C, and no byte carries into the next.
    fn stops(x: u64) -> u64 {
        const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
        const ADD: u64 = 0x3434_3434_3434_3434;
        const HIGH: u64 = 0x8080_8080_8080_8080;
        ((x & LOW7) + ADD) & x & HIGH
    }
    /// Bit 7 of each byte of `x` equal to `byte`.
    fn equal(x: u64, byte: u8) -> u64 {
        const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
        let v = x ^ (u64::from(byte) * 0x0101_0101_0101_0101);
        !(((v & LOW7) + LOW7) | v | LOW7)
    }
    // a lead byte of three that passes with what follows it (its two
    // continuation bytes are below CC, so no word marks them)
    let passes_three = |k: usize| {
        let next = |j: usize| b.get(k + j).copied().unwrap_or(0);
        match b[k] {
            0xE1 => (0xB8..=0xBB).contains(&next(1)),
            0xE2 => next(1) == 0x80 && (0x90..=0xBF).contains(&next(2)),
            _ => false,
        }
    };
    // each word with the bytes one further on, to pass E1 when B8–BB
    // follows without a branch (the common case in Vietnamese text: one
    // byte in thirteen of the bench corpus is an E1)
    while let Some(bytes) = b.get(at..at + 9) {
        let word = |from: usize| u64::from_le_bytes(bytes[from..from + 8].try_into().expect("eight bytes"));
        let (x, after) = (word(0), word(1));
        let mut m = stops(x) & !(equal(x, 0xe1) & equal(after & 0xfcfc_fcfc_fcfc_fcfc, 0xb8));
        while m != 0 {
            let k = at + (m.trailing_zeros() / 8) as usize;
            if !passes_three(k) {
                return k;
            }
            m &= m - 1;
        }
        at += 8;
    }
    // the last bytes, one at a time
    while at < b.len() {
        if PASSES[b[at] as usize] {
            at += 1;
        } else if passes_three(at) {
            at += 3;
        } else {
            return at;
        }
    }
    b.len()
}

/// Whether `c` is a starter that NFC keeps as it is and that nothing before
/// it composes with: what Latin (below U+0300), the precomposed letters of
/// Latin Extended Additional (U+1E00–U+1EFF: Vietnamese's ơ with its tones,
/// ạ, ế…) and the dashes and quotation marks of U+2010–U+203F are. The
/// quick check of what follows one starts afresh, as it does after any
/// starter (a test checks every one).
fn always_nfc(c: char) -> bool {
    c < '\u{300}' || ('\u{1e00}'..='\u{1eff}').contains(&c) || ('\u{2010}'..='\u{203f}').contains(&c)
}

/// `String::from_utf8`, checked with simdutf8: std's check is slow on
/// Vietnamese text (few ASCII runs), and every input file and unpacked text
/// goes through this. The error is std's, with its position.
pub fn string_from_utf8(bytes: Vec<u8>) -> Result<String, std::string::FromUtf8Error> {
    if simdutf8::basic::from_utf8(&bytes).is_ok() {
        // SAFETY: simdutf8 has just checked that `bytes` is valid UTF-8.
        Ok(unsafe { String::from_utf8_unchecked(bytes) })
    } else {
        String::from_utf8(bytes)
    }
}

/// A URL slug: lowercase ASCII letters, digits and single hyphens.
/// `Đà Nẵng` → `da-nang`. Returns an empty string when nothing is left.
pub fn slugify(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let ascii = deunicode::deunicode(&nfc(s));
    let mut pending_dash = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            pending_dash = true;
        }
    }
    out
}

/// Folds text for diacritic-insensitive matching and search: lowercase, tones
/// and other marks stripped, `đ` → `d`. `Bắc Kinh` → `bac kinh`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        match c {
            'đ' | 'Đ' => out.push('d'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Whether `c` belongs inside a word (letters with their marks, digits).
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c)
}

/// Alphabetical order for a language, by ICU collation (`vi`: a ă â b c d đ …,
/// tones ngang, huyền, hỏi, ngã, sắc, nặng). Falls back to byte order only if
/// the locale has no collation data, which does not happen for compiled data.
pub struct Alphabet {
    collator: Option<CollatorBorrowed<'static>>,
}

impl Alphabet {
    pub fn new(language: &str) -> Self {
        let collator = language
            .parse::<icu_locale_core::Locale>()
            .ok()
            .and_then(|loc| Collator::try_new(loc.into(), CollatorOptions::default()).ok());
        Alphabet { collator }
    }

    pub fn compare(&self, a: &str, b: &str) -> Ordering {
        match &self.collator {
            Some(c) => c.compare(a, b).then_with(|| a.cmp(b)),
            None => a.cmp(b),
        }
    }
}

/// Collapses every run of white space to one space and trims the ends.
pub fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    escape_html_into(&mut out, s);
    out
}

pub fn escape_html_into(out: &mut String, s: &str) {
    out.reserve(s.len());
    escaped_runs(s, |run| out.push_str(run));
}

/// [`escape_html`] written to `w`: Tera's escaper (`render/templates.rs`), which writes every
/// template value into the page as it renders.
pub fn escape_html_to(s: &str, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut result = Ok(());
    escaped_runs(s, |run| {
        if result.is_ok() {
            result = w.write_all(run.as_bytes());
        }
    });
    result
}

/// `s` escaped for HTML, given to `put` a run at a time: the text between the characters
/// escaped, and each one's entity.
fn escaped_runs(s: &str, mut put: impl FnMut(&str)) {
    // Every template value goes through here (5% of a build when it went char by char, 1.8%
    // byte by byte). The five characters are ASCII: memchr's vector searches find the next of
    // `&`, `<`, `>` and the next of `"`, `'` (each search run again only past what it found),
    // and the runs between are copied whole, on char boundaries.
    let b = s.as_bytes();
    let three = |from: usize| memchr::memchr3(b'&', b'<', b'>', &b[from..]).map_or(b.len(), |i| from + i);
    let two = |from: usize| memchr::memchr2(b'"', b'\'', &b[from..]).map_or(b.len(), |i| from + i);
    let (mut next3, mut next2) = (three(0), two(0));
    let mut run = 0;
    loop {
        let i = next3.min(next2);
        if i == b.len() {
            break;
        }
        put(&s[run..i]);
        put(match b[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        });
        run = i + 1;
        if i == next3 {
            next3 = three(run);
        } else {
            next2 = two(run);
        }
    }
    put(&s[run..]);
}

/// JSON for embedding inside `<script>`: `<`, `>` and `&` are written as
/// `\u003c` etc. so no `</script>` or comment opener can appear.
pub fn json_for_script<T: serde::Serialize>(value: &T) -> String {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The first sentence of a plain text (up to `.`, `!`, `?` followed by space
/// or end), at most `max_chars` characters (cut at a word, with `…`).
pub fn first_sentence(text: &str, max_chars: usize) -> String {
    let text = text.trim();
    let mut end = text.len();
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?') {
            let next = i + c.len_utf8();
            if next >= bytes.len() || bytes[next] == b' ' || bytes[next] == b'\n' {
                end = next;
                break;
            }
        }
    }
    truncate_words(&text[..end], max_chars)
}

/// Cuts `s` to at most `max_chars` characters at a word boundary, adding `…`.
pub fn truncate_words(s: &str, max_chars: usize) -> String {
    // (the first `max_chars` characters end where character `max_chars` starts)
    let Some((end, _)) = s.char_indices().nth(max_chars) else {
        return s.to_string();
    };
    let cut = &s[..end];
    let cut = match cut.rfind(' ') {
        Some(i) if i > 0 => &cut[..i],
        _ => cut,
    };
    let cut = cut.trim_end_matches([',', ';', ':', ' ']);
    let mut out = String::with_capacity(cut.len() + '…'.len_utf8());
    out.push_str(cut);
    out.push('…');
    out
}

/// The bytes [`context`] looks at for `range`: at most 4·max bytes each side (`max` characters
/// fit in them), so that a mention in a huge paragraph costs O(max), not O(paragraph). What
/// [`context`] gives is made from these bytes, where `range` is in them, and whether they start
/// at the text's start and end at its end — and from nothing else.
pub fn context_window(text: &str, range: &Range<usize>, max: usize) -> Range<usize> {
    let reach = max * 4 + 4;
    let mut from = range.start.saturating_sub(reach);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let mut to = (range.end + reach).min(text.len());
    while !text.is_char_boundary(to) {
        to -= 1;
    }
    from..to
}

/// The text around `range` in its block: up to `max` characters each side,
/// cut at word boundaries, with `…` where cut.
pub fn context(text: &str, range: &Range<usize>, max: usize) -> (String, String) {
    let Range { start: from, end: to } = context_window(text, range, max);
    let (before, before_cut) = match text[from..range.start].rfind('\n') {
        Some(i) => (&text[from + i + 1..range.start], false),
        None => (&text[from..range.start], from > 0),
    };
    let (after, after_cut) = match text[range.end..to].find('\n') {
        Some(i) => (&text[range.end..range.end + i], false),
        None => (&text[range.end..to], to < text.len()),
    };
    // (where its last `max` characters start: after 0 when it has more)
    let start = match max {
        0 => before.len(),
        _ => before.char_indices().rev().nth(max - 1).map_or(0, |(i, _)| i),
    };
    let b = if start > 0 || before_cut {
        let cut = &before[start..];
        let cut = match cut.find(' ') {
            Some(i) => &cut[i + 1..],
            None => cut,
        };
        let mut b = String::with_capacity(cut.len() + '…'.len_utf8());
        b.push('…');
        b.push_str(cut);
        b
    } else {
        before.to_string()
    };
    let mut a = truncate_words(after, max);
    if after_cut && !a.ends_with('…') {
        a.push('…');
    }
    (b, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_from_utf8_is_std_s() {
        for bytes in [&b""[..], "Đà Nẵng ễ".as_bytes(), b"ok \xff bad", b"\xe1\xbb"] {
            let ours = string_from_utf8(bytes.to_vec());
            let std = String::from_utf8(bytes.to_vec());
            assert_eq!(ours.as_ref().ok(), std.as_ref().ok());
            assert_eq!(
                ours.map_err(|e| e.utf8_error().valid_up_to()).err(),
                std.map_err(|e| e.utf8_error().valid_up_to()).err()
            );
        }
    }

    #[test]
    fn escapes_the_five_html_characters_and_nothing_else() {
        assert_eq!(escape_html(""), "");
        assert_eq!(escape_html("Đà Nẵng"), "Đà Nẵng");
        assert_eq!(
            escape_html("<a href=\"x\">Tôi & 'bạn'</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tôi &amp; &#39;bạn&#39;&lt;/a&gt;"
        );
        assert_eq!(escape_html("&&ễ>"), "&amp;&amp;ễ&gt;");
        let mut out = String::from("kept ");
        escape_html_into(&mut out, "ở<");
        assert_eq!(out, "kept ở&lt;");
    }

    #[test]
    fn escaping_agrees_with_one_char_at_a_time() {
        let by_chars = |s: &str| -> String {
            s.chars()
                .map(|c| match c {
                    '&' => "&amp;".to_string(),
                    '<' => "&lt;".to_string(),
                    '>' => "&gt;".to_string(),
                    '"' => "&quot;".to_string(),
                    '\'' => "&#39;".to_string(),
                    c => c.to_string(),
                })
                .collect()
        };
        // strings of up to 100 characters (past memchr's vector widths), the five among
        // Vietnamese letters, in runs and alone, at the start and the end
        let alphabet = ['&', '<', '>', '"', '\'', 'a', 'đ', 'ễ', ' ', 'Ư', 'x', 'y'];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for len in 0..100 {
            for _ in 0..20 {
                let s: String = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        // mostly letters
                        let k = (x % 40) as usize;
                        alphabet[if k < alphabet.len() { k } else { 5 + k % 7 }]
                    })
                    .collect();
                assert_eq!(escape_html(&s), by_chars(&s), "{s:?}");
            }
        }
    }

    /// `truncate_words` and `context` as they were first written (counting
    /// and collecting characters): the faster ones must give the same
    /// strings.
    fn truncate_words_by_chars(s: &str, max_chars: usize) -> String {
        if s.chars().count() <= max_chars {
            return s.to_string();
        }
        let cut: String = s.chars().take(max_chars).collect();
        let cut = match cut.rfind(' ') {
            Some(i) if i > 0 => &cut[..i],
            _ => &cut[..],
        };
        format!("{}…", cut.trim_end_matches([',', ';', ':', ' ']))
    }

    fn before_by_chars(before: &str, before_cut: bool, max: usize) -> String {
        let count = before.chars().count();
        if count > max || before_cut {
            let cut: String = before.chars().skip(count.saturating_sub(max)).collect();
            let cut = match cut.find(' ') {
                Some(i) => cut[i + 1..].to_string(),
                None => cut,
            };
            format!("…{cut}")
        } else {
            before.to_string()
        }
    }

    proptest::proptest! {
        #[test]
        fn context_and_truncation_are_those_of_the_character_counts(
            text in "[aăđ ,;:\\nỆễ̃x]{0,60}",
            at in 0usize..64,
            len in 0usize..8,
            max in 0usize..12,
        ) {
            proptest::prop_assert_eq!(truncate_words(&text, max), truncate_words_by_chars(&text, max));
            let mut start = at.min(text.len());
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + len).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let (b, a) = context(&text, &(start..end), max);
            // (the window `context` looks in, as it finds it)
            let reach = max * 4 + 4;
            let mut from = start.saturating_sub(reach);
            while !text.is_char_boundary(from) {
                from += 1;
            }
            let (before, cut) = match text[from..start].rfind('\n') {
                Some(i) => (&text[from + i + 1..start], false),
                None => (&text[from..start], from > 0),
            };
            proptest::prop_assert_eq!(b, before_by_chars(before, cut, max));
            let after = &text[end..];
            let after = &after[..after.find('\n').unwrap_or(after.len())];
            proptest::prop_assert!(a.trim_end_matches('…').len() <= after.len() + 3);
        }
    }

    #[test]
    fn slugs_fold_vietnamese() {
        assert_eq!(slugify("Đà Nẵng"), "da-nang");
        assert_eq!(slugify("  Trung Quốc!! "), "trung-quoc");
        assert_eq!(slugify("AI tạo sinh"), "ai-tao-sinh");
        assert_eq!(slugify("../.."), "");
    }

    #[test]
    fn fold_maps_d_bar_and_tones() {
        assert_eq!(fold("Bắc Kinh"), "bac kinh");
        assert_eq!(fold("Đặng"), "dang");
        assert_eq!(fold("hoà"), fold("hòa"));
    }

    #[test]
    fn nfc_composes_nfd_input() {
        let nfd: String = "Quốc".nfd().collect();
        assert_ne!(nfd, "Quốc");
        assert_eq!(nfc(&nfd), "Quốc");
        // a mark after the letters the fast path passes composes with them
        assert_eq!(nfc("Vie\u{302}\u{323}t"), "Việt");
        assert_eq!(nfc("đươ\u{323}c"), "được");
        assert!(matches!(nfc("Việt Nam, được"), Cow::Borrowed(_)));
        // marks after other characters, between runs the fast path passes
        assert_eq!(nfc("“Vie\u{302}\u{323}t” — A\u{30a}"), "“Việt” — Å");
        assert_eq!(nfc("a\u{323}\u{302}"), "ậ");
        assert_eq!(nfc("a\u{302}\u{323}"), "ậ");
        assert!(matches!(nfc("“Việt” — 北京"), Cow::Borrowed(_)));
    }

    #[test]
    fn nfc_is_the_normal_form_of_every_short_mix_of_letters_marks_and_symbols() {
        // fast-path letters, other starters, marks in and out of order, a
        // singleton (the Ångström sign) and a mark NFC never keeps (U+0344)
        let alphabet = [
            'a', 'ơ', 'ạ', 'ả', '“', '—', '北', '\u{301}', '\u{323}', '\u{302}', '\u{31b}', '\u{212b}', '\u{344}',
        ];
        let n = alphabet.len();
        for i in 0..n * n * n * n {
            let s: String = [i % n, i / n % n, i / n / n % n, i / n / n / n]
                .iter()
                .map(|&k| alphabet[k])
                .collect();
            // and after a few ASCII bytes, for the scan's word-at-a-time step
            for s in [s.clone(), format!("abcde{s}")] {
                let want: String = s.nfc().collect();
                assert_eq!(nfc(&s), want, "{s:?}");
            }
        }
    }

    #[test]
    fn what_the_nfc_fast_path_passes_is_a_starter_nfc_keeps() {
        use unicode_normalization::char::canonical_combining_class;
        let passed: Vec<char> = (0..=0x2fffu32)
            .filter_map(char::from_u32)
            .filter(|&c| always_nfc(c))
            .collect();
        assert_eq!(passed.len(), 0x300 + 0x100 + 0x30);
        for c in passed {
            assert_eq!(
                is_nfc_quick(std::iter::once(c)),
                unicode_normalization::IsNormalized::Yes,
                "{c:?}"
            );
            assert_eq!(canonical_combining_class(c), 0, "{c:?}");
        }
    }

    #[test]
    fn the_byte_scan_passes_exactly_the_characters_always_nfc_does() {
        for c in (0..=0x10ffffu32).filter_map(char::from_u32) {
            // alone, and at several places in an eight-byte word and the next
            for pad in ["", "a", "abc", "abcdefg", "abcdefgh", "abcdefghijk"] {
                let s = format!("{pad}{c}{c}");
                let want = if always_nfc(c) { s.len() } else { pad.len() };
                assert_eq!(skip_always_nfc(s.as_bytes(), 0), want, "{c:?} after {pad:?}");
            }
        }
    }

    #[test]
    fn vietnamese_alphabet_is_not_byte_order() {
        let vi = Alphabet::new("vi");
        let mut names = vec![
            "Đà Nẵng",
            "Huawei",
            "Hà Nội",
            "Dung",
            "Ánh",
            "An",
            "Ư",
            "Ơn",
            "Ôn",
            "Zed",
        ];
        names.sort_by(|a, b| vi.compare(a, b));
        assert_eq!(
            names,
            vec![
                "An",
                "Ánh",
                "Dung",
                "Đà Nẵng",
                "Hà Nội",
                "Huawei",
                "Ôn",
                "Ơn",
                "Ư",
                "Zed"
            ]
        );
    }

    #[test]
    fn first_sentence_stops_at_period() {
        assert_eq!(first_sentence("Một. Hai.", 100), "Một.");
        assert_eq!(
            first_sentence("Baochinhphu.vn là báo. Hai.", 100),
            "Baochinhphu.vn là báo."
        );
    }

    #[test]
    fn script_json_cannot_close_the_tag() {
        let s = json_for_script(&"</script><!--");
        assert!(!s.contains('<'));
    }
}
