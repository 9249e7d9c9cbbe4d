//! Templates written for Tera 1 (glossa's engine before Tera 2), rewritten as they load so a
//! site's older overrides keep working: macros become components, and the filters and tests
//! Tera 2 renamed get their new names. Every line stays where it was, so an error Tera 2 finds
//! in a rewritten template points at the line the author wrote. What the rewrite does not cover
//! (a Tera 1 filter with no Tera 2 counterpart, a macro called outside `{{ … }}`) is left for
//! Tera 2 to refuse, and [`hint`] says what to write instead (docs/templates.md,
//! "Templates written for Tera 1").
//!
//! Stage 4 of the pipeline: rendering.

use std::sync::LazyLock;

use regex::{Captures, Regex};

/// Tera 1's filters and tests that Tera 2 has under another name, and their new name.
const RENAMED: &[(&str, &str)] = &[
    ("trim_end_matches", "trim_end"),
    ("trim_start_matches", "trim_start"),
    ("as_str", "str"),
    ("linebreaksbr", "newlines_to_br"),
    ("divisibleby", "divisible_by"),
    ("object", "map"),
];

/// Tera 1's filters that Tera 2 does not have, and what to write instead.
const GONE: &[(&str, &str)] = &[
    (
        "json_encode",
        "write the fields out one by one, or give the value to a component",
    ),
    (
        "concat",
        "join the two lists in a `{% for %}` over each, or use `~` for strings",
    ),
    (
        "filter",
        "test inside the loop: `{% for x in xs %}{% if x.a == b %}…{% endif %}{% endfor %}`",
    ),
    ("map", "loop over the list and take the attribute inside the loop"),
    (
        "slice",
        "use `{% for x in xs %}{% if loop.index <= n %}…` or Tera 2's slicing `xs[a:b]`",
    ),
    (
        "spaceless",
        "drop it: glossa already removes the indentation of every template line",
    ),
    ("addslashes", "use `replace(from=\"'\", to=\"\\\\'\")`"),
    (
        "striptags",
        "the views hold text where text is wanted (see docs/templates.md)",
    ),
];

/// `template` with Tera 1's macros and renamed filters written as Tera 2 takes them; a template
/// already written for Tera 2 comes back unchanged.
///
/// - `{% import "x.html" as m %}`: dropped (Tera 2's components need no import), the line kept;
/// - `{% macro name(a, b=false) %}` … `{% endmacro %}`: `{% component name(a, b=none) %}` …
///   `{% endcomponent %}` (Tera 2 takes a default's type for the argument's, so a `false`
///   default would refuse a map; `none` is false in a test as `false` was);
/// - `{{ m::name(a=x, b=f(y)) }}` (or `self::`): `{{ <name a={x} b={f(y)} /> }}`;
/// - the filters and tests of [`RENAMED`]: their Tera 2 name;
/// - `xs.0` (Tera 1's indexing) inside `{{ … }}` and `{% … %}`: `xs[0]`.
pub fn port(template: &str) -> String {
    static IMPORT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"\{%-?\s*import\s+"[^"]+"\s+as\s+\w+\s*-?%\}"#).expect("a valid regex"));
    static MACRO: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\{%(-?)\s*macro\s+(\w+)\s*\(([^)]*)\)").expect("a valid regex"));
    static END: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\{%(-?)\s*endmacro\b").expect("a valid regex"));
    static CALL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\{\{(-?)\s*\w+::(\w+)\s*\(").expect("a valid regex"));
    static RENAME: LazyLock<Regex> = LazyLock::new(|| {
        let names: Vec<&str> = RENAMED.iter().map(|(old, _)| *old).collect();
        Regex::new(&format!(r"(\||\bis\s+(?:not\s+)?)(\s*)({})\b", names.join("|"))).expect("a valid regex")
    });
    static INDEX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Za-z_\])]\.[0-9]").expect("a valid regex"));
    let plain = !template.contains("macro") && !template.contains("::");
    if plain && !RENAME.is_match(template) && !INDEX.is_match(template) {
        return template.to_string();
    }
    let t = IMPORT.replace_all(template, "");
    let t = MACRO.replace_all(&t, |c: &Captures| {
        let args = c[3].replace("=false", "=none").replace("= false", "= none");
        format!("{{%{} component {}({args})", &c[1], &c[2])
    });
    let t = END.replace_all(&t, "{%$1 endcomponent");
    let t = calls(&t, &CALL);
    in_tags(&t, |tag| {
        outside_strings(tag, |code| {
            let code = indexes(code);
            RENAME
                .replace_all(&code, |c: &Captures| {
                    let new = RENAMED
                        .iter()
                        .find(|(old, _)| *old == &c[3])
                        .map_or(&c[3], |(_, new)| *new);
                    format!("{}{}{new}", &c[1], &c[2])
                })
                .into_owned()
        })
    })
}

/// `t` with each tag (`{{ … }}`, `{% … %}`) given to `f`; the text between tags (what a page
/// shows as written, where "is object" is prose) is left as it is.
fn in_tags(t: &str, f: impl Fn(&str) -> String) -> String {
    static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)\{\{.*?\}\}|\{%.*?%\}").expect("a valid regex"));
    TAG.replace_all(t, |c: &Captures| f(&c[0])).into_owned()
}

/// `tag` with each stretch outside its string literals given to `f`; the literals kept as
/// written.
fn outside_strings(tag: &str, f: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(tag.len());
    let mut rest = tag;
    while let Some(open) = rest.find(['"', '\'', '`']) {
        out.push_str(&f(&rest[..open]));
        let quote = rest.as_bytes()[open] as char;
        let close = rest[open + 1..].find(quote).map_or(rest.len(), |i| open + 1 + i + 1);
        out.push_str(&rest[open..close]);
        rest = &rest[close..];
    }
    out.push_str(&f(rest));
    out
}

/// Each `{{ m::name(args) }}` of `t` (found by `start`, up to its `(`) as a component call;
/// a call whose brackets or `}}` are not where they should be is left for Tera to refuse.
fn calls(t: &str, start: &Regex) -> String {
    let mut out = String::with_capacity(t.len());
    let mut from = 0;
    for c in start.captures_iter(t) {
        let whole = c.get(0).expect("a match");
        if whole.start() < from {
            continue;
        }
        let Some((args, close_at)) = arg_list(&t[whole.end()..]) else {
            continue;
        };
        let args_end = whole.end() + close_at;
        let rest = &t[args_end + 1..];
        let after = rest.trim_start();
        let (trim, close) = match after.strip_prefix("-}}") {
            Some(_) => ("-", 3),
            None if after.starts_with("}}") => ("", 2),
            None => continue,
        };
        let end = args_end + 1 + (rest.len() - after.len()) + close;
        let args: Vec<String> = args
            .iter()
            .map(|a| match a.split_once('=') {
                Some((k, v)) => format!("{}={{{}}}", k.trim(), v.trim()),
                // (a positional argument: Tera 2 refuses it, and says where)
                None => a.trim().to_string(),
            })
            .collect();
        // the call's line breaks kept, so the lines after it stay where they were
        let breaks = "\n".repeat(t[whole.start()..end].matches('\n').count());
        out.push_str(&t[from..whole.start()]);
        out.push_str(&format!(
            "{{{{{} <{} {} /> {breaks}{trim}}}}}",
            &c[1],
            &c[2],
            args.join(" ")
        ));
        from = end;
    }
    out.push_str(&t[from..]);
    out
}

/// `code` (a stretch of a tag outside its string literals, see [`outside_strings`]) with each
/// `name.N` written `name[N]`; a number's fraction (`1.5`) is left alone.
fn indexes(code: &str) -> String {
    let b = code.as_bytes();
    let mut out = String::with_capacity(code.len() + 8);
    // `name`: what the `.` would follow is a name, or something indexed (`)`, `]`)
    let (mut in_token, mut name, mut copied, mut i) = (false, false, 0, 0);
    while i < b.len() {
        let c = b[i];
        if c == b'.' && name && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            let end = i + 1 + b[i + 1..].iter().take_while(|d| d.is_ascii_digit()).count();
            out.push_str(&code[copied..i]);
            out.push('[');
            out.push_str(&code[i + 1..end]);
            out.push(']');
            (copied, i, in_token) = (end, end, false);
            continue;
        }
        match c {
            b'A'..=b'Z' | b'a'..=b'z' | b'_' if !in_token => (in_token, name) = (true, true),
            b'0'..=b'9' if !in_token => (in_token, name) = (true, false),
            b'A'..=b'Z' | b'a'..=b'z' | b'_' | b'0'..=b'9' => {}
            b']' | b')' => (in_token, name) = (false, true),
            _ => (in_token, name) = (false, false),
        }
        i += 1;
    }
    out.push_str(&code[copied..]);
    out
}

/// The argument list `s` begins just inside: each argument (split at the commas outside
/// brackets and quotes, blank ones left out) and where the `)` closing it is; `None` when
/// nothing closes it.
fn arg_list(s: &str) -> Option<(Vec<&str>, usize)> {
    let (mut args, mut depth, mut from, mut quote) = (Vec::new(), 0i32, 0, None);
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')') if depth == 0 => {
                args.push(&s[from..i]);
                let args = args.into_iter().map(str::trim).filter(|a| !a.is_empty()).collect();
                return Some((args, i));
            }
            (None, ')' | ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                args.push(&s[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    None
}

/// What to write instead, for an error Tera 2 gave on a template (`line`: the template's line
/// it points at, when known): a Tera 1 filter it does not have, a macro it could not rewrite.
/// `None` when the error is not about Tera 1.
pub fn hint(message: &str, line: Option<&str>) -> Option<String> {
    let gone = named(message, "Unknown filter `").and_then(|name| GONE.iter().find(|(old, _)| *old == name));
    if let Some((name, instead)) = gone {
        return Some(format!(
            "`{name}` is a Tera 1 filter that Tera 2 does not have: {instead}"
        ));
    }
    let macro_call = line.is_some_and(|l| l.contains("::") || l.contains("macro"));
    if macro_call || message.contains("::") || message.contains("macro") {
        return Some(
            "macros are components in Tera 2: `{% component name(a, b=none) %}` … \
             `{% endcomponent %}`, called as `{{ <name a={x} /> }}`, alone in `{{ … }}` \
             (see docs/templates.md)"
                .to_string(),
        );
    }
    None
}

/// The name in backquotes after `lead` in `message`.
fn named<'m>(message: &'m str, lead: &str) -> Option<&'m str> {
    let rest = &message[message.find(lead)? + lead.len()..];
    Some(&rest[..rest.find('`')?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macros_become_components_and_every_line_stays_where_it_was() {
        let t = "{% import \"macros.html\" as m %}\n\
                 {% macro card(q, t=false, n=2) -%}\n{{ q.text }}\n{%- endmacro card %}\n\
                 {{ m::card(q=x, t=f(a=1, b=[2, 3]), n=\"a,b\") }}\n{{- self::card(q=y) -}}\n";
        let ported = port(t);
        assert_eq!(
            ported,
            "\n{% component card(q, t=none, n=2) -%}\n{{ q.text }}\n{%- endcomponent card %}\n\
             {{ <card q={x} t={f(a=1, b=[2, 3])} n={\"a,b\"} /> }}\n{{- <card q={y} /> -}}\n"
        );
        assert_eq!(ported.lines().count(), t.lines().count());
        let multi = "{{ m::card(q=x,\n  n=2) }}\nnext";
        assert_eq!(port(multi), "{{ <card q={x} n={2} /> \n}}\nnext");
    }

    #[test]
    fn renamed_filters_and_tests_get_their_tera_2_names() {
        assert_eq!(
            port("{{ a | trim_end_matches(pat=\"/\") }}{% if n is divisibleby(3) %}{% if m is not object %}"),
            "{{ a | trim_end(pat=\"/\") }}{% if n is divisible_by(3) %}{% if m is not map %}"
        );
        // a variable or a field named like a filter is not a filter
        assert_eq!(port("{{ as_str }}{{ a.object }}"), "{{ as_str }}{{ a.object }}");
        // nor is the page's own text, or a string literal
        let prose = "<p>What is object storage? a | object</p>{{ \"it is object\" | upper }}{% if x is object %}";
        assert_eq!(
            port(prose),
            "<p>What is object storage? a | object</p>{{ \"it is object\" | upper }}{% if x is map %}"
        );
    }

    #[test]
    fn tera_1_indexing_becomes_brackets_inside_tags_only() {
        assert_eq!(
            port(
                "<p>v1.0</p>{{ xs.0 }}{{ a.b.12.c }}{% if xs.1 > 1.5 %}{{ f(x).0 }}{{ \"s.0\" ~ ys[0].2 }}{% endif %}"
            ),
            "<p>v1.0</p>{{ xs[0] }}{{ a.b[12].c }}{% if xs[1] > 1.5 %}{{ f(x)[0] }}{{ \"s.0\" ~ ys[0][2] }}{% endif %}"
        );
    }

    #[test]
    fn a_template_written_for_tera_2_is_left_as_it_is() {
        let t = "{% component card(q, t=none) %}{{ q }}{% endcomponent card %}{{ <card q={x} /> }}";
        assert_eq!(port(t), t);
        assert_eq!(port(&port(t)), t);
    }

    #[test]
    fn a_filter_tera_2_lacks_gets_a_hint_and_other_errors_none() {
        let h = hint("error: Unknown filter `json_encode`\n --> a.html:1:5", None).unwrap();
        assert!(h.contains("`json_encode` is a Tera 1 filter"), "{h}");
        assert_eq!(hint("error: Unknown filter `nope`", None), None);
        assert_eq!(hint("Found `:` but expected %}.", Some("{{ x }}")), None);
        let call = hint("Found `:` but expected %}.", Some("{% set x = m::f(a=1) %}"));
        assert!(call.unwrap().contains("components"));
    }
}
