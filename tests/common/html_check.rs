//! A strict tag-balance check for the HTML glossa writes (pulldown-cmark's
//! output is XHTML-like): shared by the property, fuzz and scale tests.

/// Elements that never have an end tag.
pub const VOID: &[&str] = &["br", "hr", "img", "input"];

/// Strict tag balance over the HTML string: every start tag closed in stack
/// order, void elements never closed, `/>` only on void elements, no
/// comments or doctypes, attribute values quoted, no raw `<`, `>` or bare
/// `&` in text, and no `<a>` opened while another `<a>` is open.
pub fn check_html(html: &str) -> Result<(), String> {
    let b = html.as_bytes();
    let mut stack: Vec<&str> = Vec::new();
    let mut i = 0;
    let err = |at: usize, what: &str| {
        Err(format!(
            "{what} at byte {at}: …{}…",
            &html[at.saturating_sub(40)..(at + 40).min(html.len())]
        ))
    };
    let name_end = |mut j: usize| {
        while j < b.len() && b[j].is_ascii_alphanumeric() {
            j += 1;
        }
        j
    };
    while i < b.len() {
        match b[i] {
            b'>' => return err(i, "raw '>' in text"),
            b'&' => {
                let rest = &html[i + 1..];
                let n = rest.find(';').unwrap_or(usize::MAX);
                let ent_ok = n <= 8
                    && n > 0
                    && (rest[..n].bytes().all(|c| c.is_ascii_alphanumeric())
                        || (rest.starts_with('#') && rest[1..n].bytes().all(|c| c.is_ascii_alphanumeric())));
                if !ent_ok {
                    return err(i, "bare '&'");
                }
                i += 1;
            }
            b'<' => {
                let at = i;
                if html[i..].starts_with("<!") || html[i..].starts_with("<?") {
                    return err(at, "comment/doctype/processing instruction");
                }
                let closing = b.get(i + 1) == Some(&b'/');
                let ns = i + 1 + closing as usize;
                let ne = name_end(ns);
                if ne == ns || !b[ns].is_ascii_alphabetic() {
                    return err(at, "raw '<' in text");
                }
                let name = &html[ns..ne];
                let mut j = ne;
                if closing {
                    if b.get(j) != Some(&b'>') {
                        return err(at, "malformed end tag");
                    }
                    if VOID.contains(&name) {
                        return err(at, "end tag of void element");
                    }
                    match stack.pop() {
                        Some(open) if open == name => {}
                        Some(open) => return err(at, &format!("</{name}> closes <{open}>")),
                        None => return err(at, &format!("</{name}> with nothing open")),
                    }
                    i = j + 1;
                    continue;
                }
                // attributes
                let self_closing;
                loop {
                    let ws = j;
                    while j < b.len() && b[j] == b' ' {
                        j += 1;
                    }
                    match b.get(j) {
                        Some(b'>') => {
                            self_closing = false;
                            j += 1;
                            break;
                        }
                        Some(b'/') if b.get(j + 1) == Some(&b'>') => {
                            self_closing = true;
                            j += 2;
                            break;
                        }
                        Some(c) if c.is_ascii_alphabetic() && j > ws => {
                            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') {
                                j += 1;
                            }
                            if b.get(j) == Some(&b'=') {
                                if b.get(j + 1) != Some(&b'"') {
                                    return err(at, "unquoted attribute value");
                                }
                                let Some(q) = html[j + 2..].find('"') else {
                                    return err(at, "unterminated attribute value");
                                };
                                let val = &html[j + 2..j + 2 + q];
                                if val.contains(['<', '>']) {
                                    return err(at, "unescaped '<' or '>' in attribute");
                                }
                                j = j + 2 + q + 1;
                            }
                        }
                        _ => return err(at, "malformed start tag"),
                    }
                }
                let void = VOID.contains(&name);
                if self_closing && !void {
                    return err(at, &format!("self-closing <{name}/>"));
                }
                if name == "a" && stack.contains(&"a") {
                    return err(at, "<a> inside <a>");
                }
                if !void {
                    stack.push(name);
                }
                i = j;
            }
            _ => i += 1,
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("<{open}> never closed (open: {stack:?})"));
    }
    Ok(())
}
