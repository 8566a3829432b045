//! Article fields: title, description, body, tags, and the slug derived from the title.

use super::{bounded_text, Invalid};

/// A headline: 1–200 characters on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        bounded_text("title", raw, Self::MAX_CHARS, false).map(Self)
    }

    /// The URL slug for this title: ASCII transliteration, lowercase, words joined by `-`, at most
    /// [`Title::MAX_SLUG_CHARS`]; `article` when nothing transliterable remains (e.g. a title of emoji).
    pub fn slug(&self) -> String {
        let full = slug::slugify(&self.0);
        let mut cut = full.as_str();
        if cut.len() > Self::MAX_SLUG_CHARS {
            cut = &cut[..Self::MAX_SLUG_CHARS];
            cut = cut.trim_end_matches('-');
        }
        if cut.is_empty() {
            "article".to_owned()
        } else {
            cut.to_owned()
        }
    }

    pub const MAX_SLUG_CHARS: usize = 100;
}

impl AsRef<str> for Title {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A one-line summary: 1–500 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        bounded_text("description", raw, Self::MAX_CHARS, false).map(Self)
    }
}

impl AsRef<str> for Description {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A markdown body: 1–100,000 characters, multi-line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body(String);

impl Body {
    pub const MAX_CHARS: usize = 100_000;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        bounded_text("body", raw, Self::MAX_CHARS, true).map(Self)
    }
}

impl AsRef<str> for Body {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A comment: 1–10,000 characters, multi-line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentBody(String);

impl CommentBody {
    pub const MAX_CHARS: usize = 10_000;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        bounded_text("body", raw, Self::MAX_CHARS, true).map(Self)
    }
}

impl AsRef<str> for CommentBody {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Up to 10 distinct tags of 1–40 characters each. Blank entries are dropped; duplicates are merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagList(Vec<String>);

impl TagList {
    pub const MAX_TAGS: usize = 10;
    pub const MAX_TAG_CHARS: usize = 40;

    pub fn parse(raw: &[String]) -> Result<Self, Invalid> {
        let mut tags: Vec<String> = Vec::with_capacity(raw.len());
        for tag in raw.iter().filter(|t| !t.trim().is_empty()) {
            let tag = bounded_text("tagList", tag, Self::MAX_TAG_CHARS, false)?;
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        if tags.len() > Self::MAX_TAGS {
            return Err(Invalid::new(
                "tagList",
                format!("has too many tags (maximum is {})", Self::MAX_TAGS),
            ));
        }
        Ok(Self(tags))
    }

    pub fn into_inner(self) -> Vec<String> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug_of(title: &str) -> String {
        Title::parse(title).expect("valid title").slug()
    }

    #[test]
    fn slugs_are_lowercase_words_joined_by_dashes() {
        assert_eq!(
            slug_of("How to train your dragon"),
            "how-to-train-your-dragon"
        );
        assert_eq!(slug_of("  Hello,   World! "), "hello-world");
    }

    #[test]
    fn unicode_titles_produce_ascii_slugs() {
        assert_eq!(
            slug_of("Crème brûlée à la carte"),
            "creme-brulee-a-la-carte"
        );
        let slug = slug_of("Привет мир");
        assert!(!slug.is_empty() && slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }

    #[test]
    fn titles_without_letters_still_get_a_slug() {
        assert_eq!(slug_of("!!!"), "article");
    }

    #[test]
    fn slugs_are_bounded_and_do_not_end_with_a_dash() {
        let slug = slug_of(&"word ".repeat(39));
        assert!(slug.len() <= Title::MAX_SLUG_CHARS);
        assert!(!slug.ends_with('-'));
    }

    #[test]
    fn tags_are_deduplicated_and_blank_ones_dropped() {
        let tags = TagList::parse(&["rust".into(), " ".into(), "rust".into(), "web".into()])
            .expect("valid tags");
        assert_eq!(tags.into_inner(), vec!["rust".to_owned(), "web".to_owned()]);
    }

    #[test]
    fn too_many_tags_are_refused() {
        let many: Vec<String> = (0..=TagList::MAX_TAGS).map(|i| format!("t{i}")).collect();
        assert_eq!(TagList::parse(&many).map_err(|e| e.field), Err("tagList"));
    }

    #[test]
    fn bodies_may_span_lines_but_titles_may_not() {
        assert!(Body::parse("line one\nline two").is_ok());
        assert!(Title::parse("line one\nline two").is_err());
    }
}
