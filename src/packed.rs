//! Packed text: a string the site graph keeps LZ4-compressed, because it is
//! large and read rarely. An article's rendered text and its body HTML are
//! two thirds of the graph's memory at 10,000 articles (140 MB) but each is
//! read only by a few pages: the article's own page, and the entity pages
//! that quote its mentions in context. Unpacking one costs microseconds;
//! packing them takes the graph's peak well under its unpacked size.

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

/// As its unpacked length and packed bytes (the on-disk anchoring cache,
/// [`crate::anchor::stored`], keeps it so).
impl serde::Serialize for Packed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.len, AsBytes(&self.bytes)).serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Packed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Packed, D::Error> {
        let (len, Bytes(bytes)) = <(usize, Bytes)>::deserialize(d)?;
        // (the length LZ4 prepends must be the one recorded)
        let prepended = bytes
            .get(..4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
        if prepended != Some(len) {
            return Err(serde::de::Error::custom("packed length mismatch"));
        }
        Ok(Packed {
            bytes: bytes.into_boxed_slice(),
            len,
        })
    }
}

/// Bytes serialised as one byte string (not a sequence of numbers).
struct AsBytes<'a>(&'a [u8]);

impl serde::Serialize for AsBytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// A byte string read back.
struct Bytes(Vec<u8>);

impl<'de> serde::Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
        }
        d.deserialize_bytes(Visit)
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
