//! Properties of `render_html` over generated markdown full of hostile fragments: whatever the source, the output
//! holds only the tags and attributes pulldown-cmark writes for markdown, and every URL in it is relative or uses an
//! allowed scheme, read the way a browser reads it.

use conduit_markdown::render_html;
use proptest::prelude::*;

const TAGS: [&str; 24] = [
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "em",
    "strong",
    "del",
    "a",
    "img",
    "ul",
    "ol",
    "li",
    "code",
    "pre",
    "blockquote",
    "hr",
    "br",
    "table",
    "thead",
    "tbody",
    "tr",
];
const CELL_TAGS: [&str; 2] = ["th", "td"];
const ATTRIBUTES: [&str; 7] = ["href", "src", "alt", "title", "class", "style", "start"];

/// Pieces of markdown, HTML and URLs that a hostile author would combine.
fn fragment() -> impl Strategy<Value = String> {
    let pieces: Vec<String> = [
        "[",
        "]",
        "(",
        ")",
        "<",
        ">",
        "!",
        "`",
        "*",
        "_",
        "~~",
        "#",
        "|",
        "-",
        "\n",
        "\n\n",
        " ",
        "\t",
        "\"",
        "'",
        "&",
        ";",
        ":",
        "=",
        "/",
        "\\",
        "&#106;",
        "&#58;",
        "&#x3A;",
        "&colon;",
        "&Tab;",
        "%",
        "<script>",
        "</script>",
        "<SCRIPT SRC=x>",
        "<img src=x onerror=alert(1)>",
        "onload=",
        " onclick=\"x\"",
        "<a href=\"javascript:alert(1)\">",
        "javascript:",
        "JaVaScRiPt:",
        "java\tscript:",
        "java\nscript:",
        "vbscript:",
        "data:",
        "http://a.example/",
        "https:",
        "mailto:x@y.z",
        "\u{1}",
        "\u{0}",
        "\u{7f}",
        "\u{a0}",
        "    ",
        "```",
        "```js\"onload=x\n",
        "---",
        "| a | b |\n|---|:-:|\n",
        "1. ",
        "3. ",
        "> ",
        "]: ",
        "<x@y.z>",
        "\"title\"",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    prop_oneof![
        4 => prop::sample::select(pieces),
        // A scheme of any length, known or not.
        2 => "[a-zA-Z][a-zA-Z0-9+.-]{0,40}:",
        1 => ".{0,6}",
    ]
}

/// A destination made of fragments, used in every kind of link markdown has.
fn link() -> impl Strategy<Value = String> {
    (prop::collection::vec(fragment(), 1..6), 0..5_usize).prop_map(|(parts, kind)| {
        let dest = parts.concat().replace([' ', '\n'], "");
        match kind {
            0 => format!("[text]({dest})"),
            1 => format!("![alt]({dest})"),
            2 => format!("[text](<{dest}>)"),
            3 => format!("<{dest}>"),
            _ => format!("[text][r]\n\n[r]: {dest}\n"),
        }
    })
}

fn document() -> impl Strategy<Value = String> {
    prop::collection::vec(prop_oneof![3 => fragment(), 1 => link()], 0..40)
        .prop_map(|parts| parts.concat())
}

/// The scheme a browser's URL parser finds in `url`, lowercased (written independently of the crate's).
fn browser_scheme(url: &str) -> Option<String> {
    let cleaned: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let (scheme, _) = cleaned.split_once(':')?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    valid.then(|| scheme.to_ascii_lowercase())
}

/// An attribute value as the browser reads it: the only character references the renderer writes, decoded.
fn decode_attribute(value: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let (decoded, len) = [
            ("&amp;", '&'),
            ("&lt;", '<'),
            ("&gt;", '>'),
            ("&quot;", '"'),
            ("&#x27;", '\''),
            ("&#39;", '\''),
        ]
        .into_iter()
        .find_map(|(entity, c)| rest.starts_with(entity).then_some((c, entity.len())))
        .ok_or_else(|| format!("unexpected character reference in {value:?}"))?;
        out.push(decoded);
        rest = &rest[len..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Checks every tag in `html`; returns what is wrong with the first bad one.
fn check_markup(html: &str) -> Result<(), String> {
    if html.to_ascii_lowercase().contains("<script") {
        return Err("a script tag".into());
    }
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        rest = rest.strip_prefix('/').unwrap_or(rest);
        let name_len = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let name = &rest[..name_len];
        if !TAGS.contains(&name) && !CELL_TAGS.contains(&name) {
            return Err(format!("tag {name:?}"));
        }
        rest = &rest[name_len..];
        loop {
            rest = rest.trim_start_matches(' ');
            if let Some(after) = rest.strip_prefix("/>").or_else(|| rest.strip_prefix('>')) {
                rest = after;
                break;
            }
            let (attribute, after) = rest
                .split_once("=\"")
                .ok_or_else(|| format!("malformed attributes in <{name}: {rest:?}"))?;
            if !ATTRIBUTES.contains(&attribute) {
                return Err(format!("attribute {attribute:?} on <{name}>"));
            }
            let (value, after) = after
                .split_once('"')
                .ok_or_else(|| format!("unterminated {attribute} on <{name}>"))?;
            let value = decode_attribute(value)?;
            if attribute == "href" || attribute == "src" {
                if let Some(scheme) = browser_scheme(&value) {
                    if !["http", "https", "mailto"].contains(&scheme.as_str()) {
                        return Err(format!("{attribute}={value:?} has scheme {scheme:?}"));
                    }
                }
            }
            if attribute == "style" && !value.starts_with("text-align: ") {
                return Err(format!("style={value:?}"));
            }
            rest = after;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn output_holds_only_markdown_markup_and_allowed_urls(source in document()) {
        let html = render_html(&source);
        if let Err(problem) = check_markup(&html) {
            return Err(TestCaseError::fail(format!("{problem}\nsource: {source:?}\nhtml: {html}")));
        }
    }

    #[test]
    fn any_text_at_all_renders_safely(source in any::<String>()) {
        let html = render_html(&source);
        prop_assert!(check_markup(&html).is_ok(), "{:?} → {}", source, html);
    }

    #[test]
    fn links_with_any_other_scheme_are_dropped(scheme in "[a-zA-Z][a-zA-Z0-9+.-]{0,40}") {
        let html = render_html(&format!("[text]({scheme}:payload)"));
        let allowed = ["http", "https", "mailto"].contains(&scheme.to_ascii_lowercase().as_str());
        prop_assert_eq!(html.contains("<a href="), allowed, "{}", html);
        prop_assert!(html.contains("text"), "{}", html);
    }
}

#[test]
fn the_checker_itself_catches_what_it_must() {
    assert!(check_markup(r#"<p><a href="javascript:alert(1)">x</a></p>"#).is_err());
    assert!(check_markup(r#"<a href=" &#x27;java&#x27;">x</a>"#).is_ok());
    assert!(check_markup("<img src=\"\tdata:x\" />").is_err());
    assert!(check_markup(r#"<p onclick="x">"#).is_err());
    assert!(check_markup("<iframe>").is_err());
    assert!(check_markup("<ScRiPt>").is_err());
    assert!(check_markup(r#"<a href="/x">y</a><img src="https://e/x" alt="y" />"#).is_ok());
}
