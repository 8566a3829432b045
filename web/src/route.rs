//! Which page a path shows: the whole route table as one match over the path's segments. It stands in for
//! leptos_router's `<Routes>`, whose generic matching code grew the download by kilobytes per route; the `<Router>`
//! still keeps the location, history and link clicks.

/// A page of the app, with what its path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// `/`
    Home,
    /// `/login`
    Login,
    /// `/register`
    Register,
    /// `/settings`
    Settings,
    /// `/editor` (a new article) or `/editor/:slug`.
    Editor(Option<String>),
    /// `/article/:slug`
    Article(String),
    /// `/profile/:username` and `/profile/:username/favorites` (the page reads its tab from the path, so switching
    /// tabs keeps the page).
    Profile(String),
    /// `/search` (the words are in the query).
    Search,
    /// Anything else.
    NotFound,
}

impl Page {
    /// The page at `path` (a location's pathname: percent-encoded, one trailing slash ignored).
    pub fn at(path: &str) -> Self {
        let path = match path.strip_suffix('/') {
            Some(trimmed) if !trimmed.is_empty() => trimmed,
            _ => path,
        };
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        match segments.as_slice() {
            [""] => Page::Home,
            ["login"] => Page::Login,
            ["register"] => Page::Register,
            ["settings"] => Page::Settings,
            ["editor"] => Page::Editor(None),
            ["search"] => Page::Search,
            ["editor", slug] if !slug.is_empty() => Page::Editor(Some(decode(slug))),
            ["article", slug] if !slug.is_empty() => Page::Article(decode(slug)),
            ["profile", name] | ["profile", name, "favorites"] if !name.is_empty() => {
                Page::Profile(decode(name))
            }
            _ => Page::NotFound,
        }
    }
}

/// A path segment with its `%XX` escapes decoded (as UTF-8; a segment that does not decode to UTF-8 is kept).
fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let escaped = match bytes.get(i + 1..i + 3) {
            Some(&[high, low]) if byte == b'%' => hex(high).zip(hex(low)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        match escaped {
            Some(decoded) => {
                out.push(decoded);
                i += 3;
            }
            None => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| segment.to_owned())
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_its_page() {
        assert_eq!(Page::at("/"), Page::Home);
        assert_eq!(Page::at("/login"), Page::Login);
        assert_eq!(Page::at("/register/"), Page::Register);
        assert_eq!(Page::at("/settings"), Page::Settings);
        assert_eq!(Page::at("/editor"), Page::Editor(None));
        assert_eq!(Page::at("/editor/a-b"), Page::Editor(Some("a-b".into())));
        assert_eq!(Page::at("/article/a-b"), Page::Article("a-b".into()));
        assert_eq!(Page::at("/profile/jo"), Page::Profile("jo".into()));
        assert_eq!(
            Page::at("/profile/jo/favorites"),
            Page::Profile("jo".into())
        );
        assert_eq!(Page::at("/search"), Page::Search);
    }

    #[test]
    fn unknown_paths_are_not_found() {
        for path in [
            "/nowhere",
            "/article",
            "/article/",
            "/article/a/b",
            "/profile/jo/other",
            "/profile//favorites",
            "/editor/a/b",
            "",
        ] {
            assert_eq!(Page::at(path), Page::NotFound, "{path:?}");
        }
    }

    #[test]
    fn segments_are_percent_decoded() {
        assert_eq!(
            Page::at("/profile/J%C3%BCrgen%20B"),
            Page::Profile("Jürgen B".into())
        );
        assert_eq!(Page::at("/article/100%25"), Page::Article("100%".into()));
        // Not an escape, or not UTF-8: kept as written.
        assert_eq!(Page::at("/article/a%2"), Page::Article("a%2".into()));
        assert_eq!(Page::at("/article/a%+1b"), Page::Article("a%+1b".into()));
        assert_eq!(Page::at("/article/%FF"), Page::Article("%FF".into()));
    }
}
