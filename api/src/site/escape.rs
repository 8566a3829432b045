//! Text from users, made safe for where it goes: XML text and attributes (feeds, sitemaps), HTML attributes in
//! a response header (link previews: ASCII only), and URL path segments.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// `text` as XML character data or attribute value: markup characters escaped, and the characters XML 1.0 does
/// not allow at all dropped.
pub fn xml(text: &str) -> String {
    escape_markup(text, "&apos;", |out, c| match c {
        '\t' | '\n' | '\r' => out.push(c),
        c if c < ' ' || matches!(c, '\u{fffe}' | '\u{ffff}') => {}
        c => out.push(c),
    })
}

/// `text` as an HTML attribute value in pure ASCII (non-ASCII as numeric references), so it can travel in a
/// response header; control characters dropped.
pub fn ascii_html(text: &str) -> String {
    escape_markup(text, "&#39;", |out, c| {
        if c.is_ascii() && !c.is_control() {
            out.push(c);
        } else if !c.is_control() {
            out.push_str(&format!("&#x{:x};", u32::from(c)));
        }
    })
}

/// `text` with the markup characters replaced by their references (`apostrophe` for `'`, whose named reference
/// HTML 4 lacks) and every other character passed to `other`.
fn escape_markup(text: &str, apostrophe: &str, mut other: impl FnMut(&mut String, char)) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str(apostrophe),
            c => other(&mut out, c),
        }
    }
    out
}

/// Characters escaped in a URL path segment: controls, space, and those with a meaning in URLs.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'&')
    .add(b'\'')
    .add(b'+');

/// `segment` percent-encoded for a URL path (a username may hold any visible character).
pub fn path_segment(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

/// At most `max` characters of `text`, cut at a word boundary where one is near, with `…` when cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(max) {
        None => flat,
        Some((cut, _)) => {
            let head = &flat[..cut];
            let head = head.rsplit_once(' ').map_or(head, |(words, _)| words);
            format!("{head}…")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_inert_in_xml_and_in_attributes() {
        let hostile = "\"><script>alert('x')</script>&\u{0}";
        assert_eq!(
            xml(hostile),
            "&quot;&gt;&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;&amp;"
        );
        assert_eq!(
            ascii_html(hostile),
            "&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
        );
        assert_eq!(ascii_html("crème 🦀"), "cr&#xe8;me &#x1f980;");
        assert!(ascii_html("a\r\nb").is_ascii() && !ascii_html("a\r\nb").contains('\n'));
    }

    #[test]
    fn names_are_one_path_segment() {
        assert_eq!(path_segment("zoë/../x?y#z"), "zo%C3%AB%2F..%2Fx%3Fy%23z");
    }

    #[test]
    fn excerpts_are_bounded_and_flattened() {
        assert_eq!(excerpt("short\ntext", 100), "short text");
        assert_eq!(excerpt("one two three four", 9), "one two…");
        assert!(excerpt(&"word ".repeat(1000), 300).chars().count() <= 301);
    }
}
