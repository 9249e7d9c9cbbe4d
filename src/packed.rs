//! Packed text: a string the site graph keeps LZ4-compressed, because it is
//! large and read rarely. An article's rendered text and its body HTML are
//! two thirds of the graph's memory at 10,000 articles (140 MB) but each is
//! read only by a few pages: the article's own page, and the entity pages
//! that quote its mentions in context. Unpacking one costs microseconds;
//! packing them takes the graph's peak well under its unpacked size.
//!
//! Foundation: shared by every stage of the pipeline.

/// A string kept compressed; [`Packed::unpack`] gives it back.
#[derive(Clone, Default)]
pub struct Packed {
    /// LZ4 block format, the unpacked length first (lz4_flex).
    bytes: Box<[u8]>,
    len: usize,
}

impl Packed {
    pub fn new(s: &str) -> Packed {
        Packed {
            bytes: lz4_flex::compress_prepend_size(s.as_bytes()).into_boxed_slice(),
            len: s.len(),
        }
    }

    /// The string as it was given.
    pub fn unpack(&self) -> String {
        if self.len == 0 {
            return String::new();
        }
        let bytes = lz4_flex::decompress_size_prepended(&self.bytes).expect("packed by Packed::new");
        // (entity pages unpack each article's text once per entity named in it,
        // ~150,000 times at 10,000 articles: the fast UTF-8 check matters)
        crate::text::string_from_utf8(bytes).expect("packed from a str")
    }

    /// The unpacked length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The packed size in bytes (what it costs in memory).
    pub fn packed_len(&self) -> usize {
        self.bytes.len()
    }
}

impl From<String> for Packed {
    fn from(s: String) -> Packed {
        Packed::new(&s)
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Packed({} bytes in {})", self.len, self.bytes.len())
    }
}

#[cfg(test)]
mod tests {
    use super::Packed;

    #[test]
    fn gives_back_what_it_was_given() {
        for s in [
            "",
            "a",
            "Người Trung Quốc đã phát hành <b>nhiều</b> hệ thống\n"
                .repeat(50)
                .as_str(),
        ] {
            let p = Packed::new(s);
            assert_eq!(p.unpack(), s);
            assert_eq!(p.len(), s.len());
        }
        let long = "Đây là một câu tiếng Việt. ".repeat(400);
        assert!(
            Packed::new(&long).packed_len() < long.len() / 4,
            "repetitive text packs small"
        );
    }
}
