//! Article markdown → HTML that is safe to insert into a page: the SPA's markdown worker and the api's Atom feeds
//! render bodies with the one function here, [`render_html`].
//!
//! The safety rules: raw HTML in the source is shown as text, and a link or image whose URL has a scheme other than
//! `http`, `https` or `mailto` is dropped (its text stays). Relative URLs and fragments are kept. The scheme is read
//! the way a browser reads it (the WHATWG URL parser), whatever its length, so that nothing the browser would run
//! as `javascript:` (or load as `data:`) is mistaken for a relative URL.

use pulldown_cmark::{html, Event, Options, Parser, Tag, TagEnd};

/// Schemes a rendered link or image may use.
const ALLOWED_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// Renders `markdown` to HTML with no live markup of the author's own: raw HTML becomes text, and links and
/// images with a disallowed scheme are replaced by their text.
pub fn render_html(markdown: &str) -> String {
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES;
    // One entry per open link or image: whether its start tag was dropped, so its end tag is dropped too.
    let mut dropped = Vec::new();
    let events = Parser::new_ext(markdown, options).filter_map(move |event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(tag @ (Tag::Link { .. } | Tag::Image { .. })) => {
            let allowed = match &tag {
                Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => is_allowed(dest_url),
                _ => true,
            };
            dropped.push(!allowed);
            allowed.then_some(Event::Start(tag))
        }
        Event::End(end @ (TagEnd::Link | TagEnd::Image)) => {
            let was_dropped = dropped.pop().unwrap_or(false);
            (!was_dropped).then_some(Event::End(end))
        }
        other => Some(other),
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// Whether a link to `url` may be rendered: relative (no scheme) or an allowed scheme.
fn is_allowed(url: &str) -> bool {
    scheme(url).is_none_or(|scheme| ALLOWED_SCHEMES.contains(&scheme.as_str()))
}

/// The scheme of `url` as a browser's URL parser finds it, lowercased; `None` for a relative URL.
///
/// WHATWG URL: leading and trailing C0 controls and spaces are stripped and ASCII tabs and newlines removed
/// anywhere; a scheme is then an ASCII letter followed by letters, digits, `+`, `-` or `.`, ended by `:`.
/// Anything else before the first `:` (a `/`, `?`, `#`, a percent sign…) makes the URL relative.
fn scheme(url: &str) -> Option<String> {
    let mut chars = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'));
    let first = chars.next().filter(char::is_ascii_alphabetic)?;
    let mut scheme = String::from(first.to_ascii_lowercase());
    for c in chars {
        match c {
            ':' => return Some(scheme),
            c if c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.') => {
                scheme.push(c.to_ascii_lowercase());
            }
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_html() {
        assert_eq!(
            render_html("# Hi\n\n*there* ~~gone~~\n\n| a |\n|---|\n| b |\n"),
            "<h1>Hi</h1>\n<p><em>there</em> <del>gone</del></p>\n\
             <table><thead><tr><th>a</th></tr></thead><tbody>\n<tr><td>b</td></tr>\n</tbody></table>\n"
        );
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html =
            render_html("<script>alert(1)</script>\n\nhello <img src=x onerror=alert(1)> <b>b</b>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
    }

    #[test]
    fn links_with_a_disallowed_scheme_are_dropped_and_keep_their_text() {
        for source in [
            "[click](javascript:alert(1))",
            "[click](JavaScript:alert(1))",
            "[click](<java\tscript:alert(1)>)",
            "[click](<java\nscript:alert(1)>)",
            "[click](&#106;avascript:alert(1))",
            "[click](javascript&#58;alert(1))",
            "[click](vbscript:msgbox)",
            "[click](data:text/html,hi)",
            "[click](file:///etc/passwd)",
            "<javascript:alert(1)>",
            // Longer than the 16 characters the old check read: it used to pass as relative.
            "[click](a-scheme-longer-than-sixteen-characters:payload)",
            "[click](x1234567890123456789+.-:payload)",
        ] {
            let html = render_html(source);
            assert!(!html.contains("<a"), "{source:?} → {html}");
            assert!(!html.contains("href"), "{source:?} → {html}");
        }
        assert_eq!(
            render_html("[click](javascript:alert(1)) here"),
            "<p>click here</p>\n"
        );
    }

    #[test]
    fn images_with_a_disallowed_scheme_show_their_alt_text() {
        assert_eq!(
            render_html("![a cat](data:image/svg+xml;base64,PHN2Zz4=)"),
            "<p>a cat</p>\n"
        );
        assert_eq!(
            render_html("![a cat](javascript:alert(1))"),
            "<p>a cat</p>\n"
        );
    }

    #[test]
    fn allowed_schemes_relative_urls_and_fragments_are_kept() {
        for (source, href) in [
            (
                "[x](https://example.com/a?b#c)",
                r#"href="https://example.com/a?b#c""#,
            ),
            ("[x](HTTP://example.com)", r#"href="HTTP://example.com""#),
            (
                "[x](mailto:someone@example.com)",
                r#"href="mailto:someone@example.com""#,
            ),
            ("[x](/article/slug)", r#"href="/article/slug""#),
            ("[x](../up/one)", r#"href="../up/one""#),
            ("[x](#section)", r##"href="#section""##),
            ("[x](?page=2)", r#"href="?page=2""#),
            ("[x](//example.com/x)", r#"href="//example.com/x""#),
            ("[x](/javascript:alert)", r#"href="/javascript:alert""#),
            ("[x](./javascript:alert)", r#"href="./javascript:alert""#),
            (
                "<someone@example.com>",
                r#"href="mailto:someone@example.com""#,
            ),
            (
                "![cat](https://example.com/cat.png)",
                r#"src="https://example.com/cat.png""#,
            ),
        ] {
            let html = render_html(source);
            assert!(html.contains(href), "{source:?} → {html}");
        }
    }

    #[test]
    fn schemes_are_read_as_a_browser_reads_them() {
        assert_eq!(scheme("JavaScript:x").as_deref(), Some("javascript"));
        assert_eq!(
            scheme(" \u{1}\tjava\tscr\nipt:x").as_deref(),
            Some("javascript")
        );
        assert_eq!(
            scheme("web+custom.v-2:x").as_deref(),
            Some("web+custom.v-2")
        );
        assert_eq!(scheme("1http:x"), None);
        assert_eq!(scheme("/path:x"), None);
        assert_eq!(scheme("java%73cript:x"), None);
        assert_eq!(scheme("no-colon"), None);
        assert_eq!(scheme(""), None);
        let long = format!("{}:x", "s".repeat(10_000));
        assert_eq!(scheme(&long).map(|s| s.len()), Some(10_000));
    }
}
