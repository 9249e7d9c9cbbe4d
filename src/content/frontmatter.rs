//! Splitting a Markdown file into front matter and body: `+++` TOML or
//! `---` YAML, with the byte offsets of both parts so diagnostics can point
//! at the right line of the original file.
//!
//! Stage 1 of the pipeline: content (load and normalise).

use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Yaml,
}

/// A file split into its parts; ranges are byte ranges of the whole text.
#[derive(Debug, Clone)]
pub struct Split {
    pub format: Format,
    pub front: Range<usize>,
    pub body: Range<usize>,
    /// The opening delimiter line, where "missing key" diagnostics point.
    pub opener: Range<usize>,
}

/// Splits `text`; `None` when it does not start with `+++` or `---`, or the
/// closing delimiter is missing (the caller reports which).
pub fn split(text: &str) -> Result<Split, FrontMatterError> {
    let (format, delim) = if text.starts_with("+++") {
        (Format::Toml, "+++")
    } else if text.starts_with("---") {
        (Format::Yaml, "---")
    } else {
        return Err(FrontMatterError::Missing);
    };
    let first_nl = match text.find('\n') {
        Some(i) => i,
        None => return Err(FrontMatterError::Unclosed(0..text.len())),
    };
    if text[..first_nl].trim_end() != delim {
        return Err(FrontMatterError::Missing);
    }
    let opener = 0..first_nl;
    let mut pos = first_nl + 1;
    while pos <= text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        if text[pos..end].trim_end() == delim {
            let body_start = (end + 1).min(text.len());
            return Ok(Split {
                format,
                front: first_nl + 1..pos,
                body: body_start..text.len(),
                opener,
            });
        }
        if end == text.len() {
            break;
        }
        pos = end + 1;
    }
    Err(FrontMatterError::Unclosed(opener))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrontMatterError {
    /// The file does not start with a delimiter line.
    Missing,
    /// No closing delimiter; the span is the opening line.
    Unclosed(Range<usize>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_toml_and_yaml() {
        let t = "+++\ntitle = \"a\"\n+++\nbody\n";
        let s = split(t).unwrap();
        assert_eq!(s.format, Format::Toml);
        assert_eq!(&t[s.front.clone()], "title = \"a\"\n");
        assert_eq!(&t[s.body.clone()], "body\n");
        let y = "---\ntitle: a\n---\n";
        let s = split(y).unwrap();
        assert_eq!(s.format, Format::Yaml);
        assert_eq!(&y[s.body.clone()], "");
    }

    #[test]
    fn reports_missing_and_unclosed() {
        assert_eq!(split("hello").unwrap_err(), FrontMatterError::Missing);
        assert!(matches!(
            split("+++\ntitle = 1\n").unwrap_err(),
            FrontMatterError::Unclosed(_)
        ));
    }

    /// An opening line with trailing white space, even a no-break space
    /// (two bytes): the scan for the closing line starts after it.
    #[test]
    fn an_opener_with_trailing_space() {
        let t = "+++\u{a0}\ntitle = \"a\"\n+++\nbody\n";
        let s = split(t).unwrap();
        assert_eq!(&t[s.front.clone()], "title = \"a\"\n");
        assert_eq!(&t[s.body.clone()], "body\n");
    }
}
