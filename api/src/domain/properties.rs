//! Properties of the domain parsers over arbitrary input: none panics, whatever it accepts keeps its invariants,
//! and what it refuses by size it refuses without regard to content.

use proptest::prelude::*;

use super::{
    article::{Body, TagList, Title},
    page::{Limit, Offset},
    search::SearchQuery,
    user::{Email, Username},
};

/// Any text, including control, format and non-BMP characters.
fn any_text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..max).prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #[test]
    fn accepted_usernames_are_visible_bounded_and_url_safe(raw in any_text(60)) {
        if let Ok(name) = Username::parse(&raw) {
            let name = name.as_ref();
            prop_assert!(name.chars().count() <= Username::MAX_CHARS * 3);
            prop_assert!(!name.is_empty());
            prop_assert!(!name.chars().all(|c| c == '.'));
            prop_assert!(!name.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '?' | '#')));
            let invisible = |c: char| {
                matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
            };
            prop_assert!(!name.chars().any(invisible));
        }
    }

    #[test]
    fn accepted_emails_have_one_at_and_no_whitespace(raw in any_text(80)) {
        if let Ok(email) = Email::parse(&raw) {
            let email = email.as_ref();
            prop_assert_eq!(email.matches('@').count(), 1);
            prop_assert!(!email.chars().any(char::is_whitespace));
            prop_assert!(email.chars().count() <= Email::MAX_CHARS);
        }
    }

    #[test]
    fn accepted_titles_are_one_clean_line_within_bounds(raw in any_text(260)) {
        if let Ok(title) = Title::parse(&raw) {
            let slug = title.slug();
            let title = title.as_ref();
            prop_assert!(!title.trim().is_empty());
            prop_assert!(title.chars().count() <= Title::MAX_CHARS);
            prop_assert!(!title.chars().any(char::is_control));
            prop_assert!(!slug.is_empty() && slug.len() <= Title::MAX_SLUG_CHARS);
            prop_assert!(slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        }
    }

    #[test]
    fn bodies_keep_line_breaks_but_no_other_control(raw in any_text(300)) {
        if let Ok(body) = Body::parse(&raw) {
            prop_assert!(!body.as_ref().chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')));
        }
    }

    #[test]
    fn tag_lists_hold_at_most_ten_distinct_tags(raw in proptest::collection::vec(any_text(50), 0..14)) {
        match TagList::parse(&raw) {
            Ok(tags) => {
                let tags = tags.into_inner();
                prop_assert!(tags.len() <= TagList::MAX_TAGS);
                let distinct: std::collections::HashSet<&String> = tags.iter().collect();
                prop_assert_eq!(distinct.len(), tags.len());
                prop_assert!(tags.iter().all(|t| !t.trim().is_empty() && t.chars().count() <= TagList::MAX_TAG_CHARS));
            }
            Err(invalid) => prop_assert_eq!(invalid.field, "tagList"),
        }
        if raw.len() > TagList::MAX_TAGS {
            prop_assert!(TagList::parse(&raw).is_err(), "too many entries are refused whatever they hold");
        }
    }

    #[test]
    fn pages_stay_within_their_bounds(limit in any_text(8), offset in any_text(8), n in any::<u64>()) {
        if let Ok(limit) = Limit::parse(Some(&limit)) {
            prop_assert!((1..=db_client::MAX_PAGE_SIZE).contains(&limit.get()));
        }
        if let Ok(offset) = Offset::parse(Some(&offset)) {
            prop_assert!(offset.get() <= db_client::MAX_OFFSET);
        }
        let parsed = Offset::parse(Some(&n.to_string())).map(Offset::get);
        prop_assert_eq!(parsed.ok(), (n <= db_client::MAX_OFFSET).then_some(n));
    }

    #[test]
    fn search_words_are_plain_and_few(raw in any_text(250)) {
        if let Ok(Some(query)) = SearchQuery::parse(&raw) {
            let words = query.into_inner();
            let words: Vec<&str> = words.split(' ').collect();
            prop_assert!(words.len() <= super::search::MAX_WORDS);
            prop_assert!(words.iter().all(|w| w.chars().count() >= super::search::MIN_WORD_CHARS
                && w.chars().all(char::is_alphanumeric)));
        }
    }
}
