//! The id a quote without an `id` gets: its permalink (`/quotes/ID/`) and
//! its share card's URL, so it must be unique on the site and must not
//! change when anything but the quote itself changes.
//!
//! `ID = READABLE-HASH`:
//!
//! - `READABLE` is the speaker's id and the quote's first five words,
//!   slugified (Vietnamese folded, `đ` → `d`), cut so the whole id is at
//!   most [`MAX_LEN`] characters;
//! - `HASH` is [`HASH_LEN`] characters (lowercase Crockford base32, 40
//!   bits) of the XXH3 hash of what identifies the quote wherever the rest
//!   of the site stands: the article's slug, the speaker's id and the
//!   quote's whole text (white space collapsed, the quotation marks around
//!   it dropped).
//!
//! Nothing else goes in — not the order of the articles, not which other
//! quotes exist — so adding, removing or editing another article never
//! changes an id. Two quotes of one article with the same speaker and text
//! (or a derived id equal to an `id` pinned in the same article) are told
//! apart by a counter that only the later ones get in their hash (see
//! [`derive()`]). XXH3 is a specified algorithm, so a given quote keeps its id
//! across glossa versions and platforms.
//!
//! Stage 2 of the pipeline: anchoring.

use crate::text::slugify;

/// The longest id derived.
pub const MAX_LEN: usize = 60;

/// How many characters of hash end a derived id.
pub const HASH_LEN: usize = 8;

/// Crockford's base32, lowercase: no `i`, `l`, `o`, `u`.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// The readable part of a derived id: `chan` + “Đôi khi rất khó để xác định…”
/// → `chan-doi-khi-rat-kho-de`.
pub fn readable(speaker: &str, text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().take(5).collect();
    let slug = slugify(&format!("{speaker} {}", words.join(" ")));
    slug.chars()
        .take(MAX_LEN - HASH_LEN - 1)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

/// The id of the quote `text` by `speaker` in the article `slug`. `k` is 0
/// for the first quote of the article with this speaker and text, and
/// counts up for the later ones (only they hash it, so a second identical
/// quote added later leaves the first one's id alone).
pub fn derive(speaker: &str, slug: &str, text: &str, k: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut key = format!("{slug}\n{speaker}\n{text}");
    if k > 0 {
        key.push_str(&format!("\n{k}"));
    }
    let h = xxhash_rust::xxh3::xxh3_64(key.as_bytes());
    let hash: String = (0..HASH_LEN)
        .map(|i| ALPHABET[((h >> (64 - 5 * (i + 1))) & 31) as usize] as char)
        .collect();
    let readable = readable(speaker, &text);
    if readable.is_empty() {
        hash
    } else {
        format!("{readable}-{hash}")
    }
}

/// The readable part of `id` when it has the shape of a derived id (a
/// hash after the last hyphen), else `id` itself: what an id's quote
/// begins with, to recognise a quote whose id changed.
pub fn readable_part(id: &str) -> &str {
    match id.rsplit_once('-') {
        Some((head, tail)) if tail.len() == HASH_LEN && tail.bytes().all(|b| ALPHABET.contains(&b)) => head,
        _ => id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_then_hash() {
        let id = derive("chan", "ai", "“Đôi khi rất khó để xác định được nên đầu tư", 0);
        assert!(id.starts_with("chan-doi-khi-rat-kho-de-"), "{id}");
        assert_eq!(id.len(), "chan-doi-khi-rat-kho-de-".len() + HASH_LEN);
        assert_eq!(readable_part(&id), "chan-doi-khi-rat-kho-de");
        assert_eq!(readable_part("chan-doi-khi"), "chan-doi-khi");
    }

    #[test]
    fn what_goes_in() {
        let base = derive("chan", "ai", "Chúng tôi sẽ làm.", 0);
        // the same inputs, the same id; white space does not count
        assert_eq!(base, derive("chan", "ai", " Chúng  tôi sẽ\nlàm. ", 0));
        // every input counts
        assert_ne!(base, derive("chan", "ai", "Chúng tôi sẽ làm!", 0));
        assert_ne!(base, derive("chan", "bi", "Chúng tôi sẽ làm.", 0));
        assert_ne!(base, derive("chan", "ai", "Chúng tôi sẽ làm.", 1));
        assert_ne!(
            derive("chan", "ai", "Chúng tôi sẽ làm.", 1),
            derive("chan", "ai", "Chúng tôi sẽ làm.", 2)
        );
    }

    #[test]
    fn pinned_value() {
        // XXH3 is specified: this id must never change (it is a published
        // URL). The hash part agrees with Python's `xxhash.xxh3_64`.
        assert_eq!(
            derive("lan", "mau", "Thành phố thay đổi mỗi ngày.", 0),
            "lan-thanh-pho-thay-doi-moi-xexa9kk1"
        );
    }

    #[test]
    fn bounded() {
        let long = "Nghiêngnghiêngnghiêngnghiêng ".repeat(8);
        let id = derive("một-người-nói-rất-dài-dòng", "x", &long, 3);
        assert!(id.len() <= MAX_LEN, "{id}");
        assert_eq!(slugify(&id), id);
    }
}
