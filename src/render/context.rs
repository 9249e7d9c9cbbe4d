//! A page's context: the values its template sees, by name, each converted once into Tera's
//! values as the view is made, and the hash of them that tells a rebuild whether the page
//! changed. Tera renders from the same values, so nothing is serialised twice.
//!
//! Stage 4 of the pipeline: rendering.

use serde::Serialize;
use tera::Value;

/// The values of one page's template, in the order they were inserted.
#[derive(Default)]
pub struct PageContext {
    values: Vec<(&'static str, Value)>,
}

impl PageContext {
    /// Adds `value` as `name` (converted into Tera's value now).
    pub fn insert<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) {
        self.values.push((name, Value::from_serializable(value)));
    }

    /// A hash of every name and value: pages whose contexts hash alike render alike.
    pub fn hash(&self) -> u64 {
        hash_values(self.values.iter().map(|(k, v)| (*k, v)))
    }

    /// These values and `more` (shared values: the UI strings, the layout), which are not in
    /// [`PageContext::hash`]'s (the caller hashes them once for every page).
    pub fn with<const N: usize>(mut self, more: [(&'static str, Value); N]) -> PageContext {
        self.values.extend(more);
        self
    }

    /// Tera's context of these values.
    pub fn into_context(self) -> tera::Context {
        let mut ctx = tera::Context::new();
        for (name, value) in self.values {
            ctx.insert_value(name, value);
        }
        ctx
    }
}

/// The values as a map by name (what `render/dump.rs` writes out).
impl Serialize for PageContext {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.values.iter().map(|(k, v)| (k, v)))
    }
}

/// The hash of `(name, value)` pairs in their order, by [`lay_out`]. Much cheaper than writing
/// them out as JSON, which escapes every string; the layout is made in a buffer the thread
/// keeps and hashed 64 KB at a time (the same hash as the whole layout's), which costs less
/// than feeding the hasher value by value, and holds no more than 64 KB of a large view.
pub fn hash_values<'v>(values: impl IntoIterator<Item = (&'v str, &'v Value)>) -> u64 {
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with(|b| {
        let mut out = Layout {
            buf: std::mem::take(&mut *b.borrow_mut()),
            hash: xxhash_rust::xxh3::Xxh3::new(),
        };
        out.buf.clear();
        for (name, value) in values {
            out.string(name);
            lay_out(value, &mut out);
        }
        out.hash.update(&out.buf);
        let h = out.hash.digest();
        *b.borrow_mut() = out.buf;
        h
    })
}

/// A layout being hashed: the bytes not hashed yet.
struct Layout {
    buf: Vec<u8>,
    hash: xxhash_rust::xxh3::Xxh3,
}

impl Layout {
    const CHUNK: usize = 64 << 10;

    fn push(&mut self, bytes: &[u8]) {
        if self.buf.len() + bytes.len() > Self::CHUNK {
            self.hash.update(&self.buf);
            self.buf.clear();
            if bytes.len() > Self::CHUNK {
                self.hash.update(bytes);
                return;
            }
        }
        self.buf.extend_from_slice(bytes);
    }

    fn len(&mut self, n: usize) {
        self.push(&(n as u64).to_le_bytes());
    }

    fn string(&mut self, s: &str) {
        self.len(s.len());
        self.push(s.as_bytes());
    }
}

/// `v` as bytes no other value gives: a tag per kind (so `"1"` and `1`, or `[a, b]` and
/// `[ab]`, differ), lengths before contents, a map's entries in their order.
fn lay_out(v: &Value, out: &mut Layout) {
    use tera::value::ValueKind as K;
    match v.kind() {
        K::Undefined | K::None => out.push(&[0]),
        K::Bool => out.push(&[1, v.as_bool().unwrap_or_default() as u8]),
        K::U64 | K::I64 | K::U128 | K::I128 => {
            out.push(&[2]);
            out.push(&v.as_i128().unwrap_or_default().to_le_bytes());
            out.push(&v.as_u128().unwrap_or_default().to_le_bytes());
        }
        K::F64 => {
            out.push(&[3]);
            out.push(&v.as_f64().unwrap_or_default().to_bits().to_le_bytes());
        }
        K::String => {
            // (a string marked safe renders unescaped: not the same value)
            out.push(&[4, v.is_safe() as u8]);
            out.string(v.as_str().unwrap_or_default());
        }
        K::Array => {
            let a = v.as_array().unwrap_or_default();
            out.push(&[5]);
            out.len(a.len());
            for x in a {
                lay_out(x, out);
            }
        }
        K::Map => {
            out.push(&[6]);
            let Some(m) = v.as_map() else { return };
            out.len(m.len());
            for (k, x) in m {
                match k.as_str() {
                    Some(s) => out.string(s),
                    None => lay_out(&k.as_value(), out),
                }
                lay_out(x, out);
            }
        }
        K::Bytes => {
            out.push(&[7]);
            let b = v.as_bytes().unwrap_or_default();
            out.len(b.len());
            out.push(b);
        }
        // (a kind a later Tera adds: its text)
        _ => {
            out.push(&[8]);
            out.string(&v.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_of(v: &serde_json::Value) -> u64 {
        let mut ctx = PageContext::default();
        ctx.insert("v", v);
        ctx.hash()
    }

    #[test]
    fn values_alike_but_not_the_same_hash_apart() {
        use serde_json::json;
        let distinct = [
            json!("1"),
            json!(1),
            json!(1.0),
            json!(-1),
            json!(true),
            json!(null),
            json!(["a", "b"]),
            json!(["ab"]),
            json!({"a": "b"}),
            json!({"ab": ""}),
            json!({"a": {"b": 1}}),
            json!({"a": {"b": 2}}),
            json!([[], []]),
            json!([[[]]]),
        ];
        let hashes: std::collections::HashSet<u64> = distinct.iter().map(hash_of).collect();
        assert_eq!(hashes.len(), distinct.len());
        assert_eq!(hash_of(&json!({"a": [1, "x"]})), hash_of(&json!({"a": [1, "x"]})));
    }

    /// The layout is hashed 64 KB at a time: a difference anywhere in a
    /// large view, before, across or past a chunk's end, changes its hash,
    /// and so do the kinds the layout tells apart.
    #[test]
    fn a_view_hash_sees_every_byte_and_every_kind() {
        use serde_json::json;
        let long = "Đặng ".repeat(30_000); // 180,000 bytes: three chunks and more
        let view = |s: &str| json!({"a": [long.clone(), s, long.clone()], "b": {"c": long.clone()}});
        let base = hash_of(&view("x"));
        assert_eq!(base, hash_of(&view("x")), "the same view, the same hash");
        assert_ne!(base, hash_of(&view("y")));
        for at in [0, 65_535, 65_536, 100_000, long.len() - 1] {
            let mut other = long.clone().into_bytes();
            other[at] ^= 1;
            let other = String::from_utf8_lossy(&other).into_owned();
            let changed = json!({"a": [long.clone(), "x", long.clone()], "b": {"c": other}});
            assert_ne!(base, hash_of(&changed), "a byte at {at} of the last string");
        }
        assert_ne!(hash_of(&json!("1")), hash_of(&json!(1)));
        assert_ne!(hash_of(&json!(["a", "b"])), hash_of(&json!(["ab"])));
        assert_ne!(hash_of(&json!({"ab": "c"})), hash_of(&json!({"a": "bc"})));
        assert_ne!(hash_of(&json!(null)), hash_of(&json!(false)));
    }

    #[test]
    fn names_count() {
        let mut one = PageContext::default();
        one.insert("a", "x");
        let mut other = PageContext::default();
        other.insert("b", "x");
        assert_ne!(one.hash(), other.hash());
        // two views that differ only past the first 64 KB
        let big = |last: &str| {
            let mut c = PageContext::default();
            let mut items: Vec<String> = (0..20_000).map(|i| format!("item {i}")).collect();
            items.push(last.to_string());
            c.insert("items", &items);
            c.hash()
        };
        assert_ne!(big("a"), big("b"));
        assert_eq!(big("a"), big("a"));
    }
}
