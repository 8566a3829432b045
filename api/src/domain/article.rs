//! Article fields — title, description, body, tags, the slug derived from the title and the slug in a path —
//! and the validated article a create or an edit becomes.

use api_types::{NewArticle, UpdateArticle};

use super::{text, Blank, FieldErrors, Invalid, Lines};

text_fields! {
    /// A headline: 1–200 characters on one line, not blank; kept trimmed.
    Title("title", 200, Lines::One, Blank::Refused);
    /// A one-line summary: 1–500 characters, not blank; kept trimmed.
    Description("description", 500, Lines::One, Blank::Refused);
    /// A markdown body: 1–100,000 characters, multi-line, not blank; kept trimmed.
    Body("body", 100_000, Lines::Many, Blank::Refused);
    /// A comment: 1–10,000 characters, multi-line, not blank; kept trimmed.
    CommentBody("body", 10_000, Lines::Many, Blank::Refused);
}

impl Title {
    pub const MAX_SLUG_CHARS: usize = 100;

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
}

/// Up to 10 tags of at most 40 characters each, on one line. Blank entries are dropped and duplicates merged, but
/// both count towards the 10: the list is judged as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagList(Vec<String>);

impl TagList {
    pub const MAX_TAGS: usize = 10;
    pub const MAX_TAG_CHARS: usize = 40;

    pub fn parse(raw: &[String]) -> Result<Self, Invalid> {
        // Counted first: merging duplicates below compares every pair, so it only ever sees a few entries.
        if raw.len() > Self::MAX_TAGS {
            return Err(Invalid::new(
                "tagList",
                format!("has too many tags (maximum is {})", Self::MAX_TAGS),
            ));
        }
        let mut tags: Vec<String> = Vec::with_capacity(raw.len());
        for tag in raw {
            let tag = text(
                "tagList",
                tag,
                Self::MAX_TAG_CHARS,
                Lines::One,
                Blank::Empty,
            )?;
            if !tag.is_empty() && !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        Ok(Self(tags))
    }

    pub fn into_inner(self) -> Vec<String> {
        self.0
    }
}

parsed_string! {
    /// An article's address in a path: 1–200 characters. Longer ones cannot exist, so they are not looked up.
    #[derive(Debug, Clone, PartialEq, Eq)]
    Slug
}

impl Slug {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Option<Self> {
        (!raw.is_empty() && raw.len() <= Self::MAX_CHARS).then(|| Self(raw.to_owned()))
    }
}

/// A new article, every field valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidArticle {
    pub title: Title,
    pub description: Description,
    pub body: Body,
    pub tags: TagList,
}

impl TryFrom<NewArticle> for ValidArticle {
    type Error = FieldErrors;

    fn try_from(input: NewArticle) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let title = errors.check(Title::parse(&input.title));
        let description = errors.check(Description::parse(&input.description));
        let body = errors.check(Body::parse(&input.body));
        let tags = errors.check(TagList::parse(&input.tag_list));
        match (title, description, body, tags) {
            (Some(title), Some(description), Some(body), Some(tags)) => errors.or(Self {
                title,
                description,
                body,
                tags,
            }),
            _ => Err(errors),
        }
    }
}

/// An edit of an article: the fields to change, each valid, at least one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleEdit {
    pub title: Option<Title>,
    pub description: Option<Description>,
    pub body: Option<Body>,
    pub tags: Option<TagList>,
}

impl TryFrom<UpdateArticle> for ArticleEdit {
    type Error = FieldErrors;

    fn try_from(input: UpdateArticle) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        if input == UpdateArticle::default() {
            errors.add("article", "must change at least one field");
        }
        let edit = Self {
            title: errors.check_optional(input.title.as_deref(), Title::parse),
            description: errors.check_optional(input.description.as_deref(), Description::parse),
            body: errors.check_optional(input.body.as_deref(), Body::parse),
            tags: input
                .tag_list
                .as_deref()
                .and_then(|tags| errors.check(TagList::parse(tags))),
        };
        errors.or(edit)
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
    fn tags_are_trimmed_deduplicated_and_blank_ones_dropped() {
        let tags = TagList::parse(&[
            "rust".into(),
            " ".into(),
            " rust ".into(),
            String::new(),
            "web".into(),
        ])
        .expect("valid tags");
        assert_eq!(tags.into_inner(), vec!["rust".to_owned(), "web".to_owned()]);
    }

    #[test]
    fn more_than_ten_entries_are_refused_counting_blanks_and_duplicates() {
        let many: Vec<String> = (0..=TagList::MAX_TAGS).map(|i| format!("t{i}")).collect();
        assert_eq!(TagList::parse(&many).map_err(|e| e.field), Err("tagList"));
        let repeated = vec!["rust".to_owned(); TagList::MAX_TAGS + 1];
        assert_eq!(
            TagList::parse(&repeated).map_err(|e| e.field),
            Err("tagList")
        );
        let blanks = vec![" ".to_owned(); TagList::MAX_TAGS + 1];
        assert!(TagList::parse(&blanks).is_err());
        let ten = vec!["rust".to_owned(); TagList::MAX_TAGS];
        assert_eq!(
            TagList::parse(&ten).map(TagList::into_inner),
            Ok(vec!["rust".to_owned()])
        );
    }

    #[test]
    fn a_huge_tag_list_is_refused_by_its_length_alone() {
        let many: Vec<String> = (0..150_000).map(|i| format!("{i:x}")).collect();
        assert_eq!(TagList::parse(&many).map_err(|e| e.field), Err("tagList"));
    }

    #[test]
    fn tags_are_measured_as_sent_and_may_not_hold_control_characters() {
        let padded = format!(" {} ", "t".repeat(TagList::MAX_TAG_CHARS - 1));
        assert!(TagList::parse(&[padded]).is_err(), "41 characters as sent");
        let blank = " ".repeat(TagList::MAX_TAG_CHARS + 1);
        assert!(TagList::parse(&[blank]).is_err(), "even a blank one");
        assert!(TagList::parse(&["a\nb".to_owned()]).is_err());
        assert!(TagList::parse(&["\n".to_owned()]).is_ok(), "blank: dropped");
    }

    #[test]
    fn text_is_measured_before_trimming_and_kept_trimmed() {
        let padded = format!(" {} ", "t".repeat(Title::MAX_CHARS - 1));
        assert!(Title::parse(&padded).is_err(), "201 characters as sent");
        assert_eq!(
            Title::parse("  Hello  ").map(|t| t.0),
            Ok("Hello".to_owned())
        );
        assert_eq!(
            Body::parse("\u{85}\u{b}").map_err(|e| e.message),
            Err("can't be blank".to_owned())
        );
        assert_eq!(
            Description::parse(" \u{0} ").map_err(|e| e.message),
            Err("contains invalid characters".to_owned())
        );
    }

    #[test]
    fn a_new_article_reports_every_invalid_field_at_once() {
        let errors = ValidArticle::try_from(NewArticle {
            title: " ".into(),
            description: "d".into(),
            body: String::new(),
            tag_list: vec![],
        })
        .expect_err("invalid")
        .into_map();
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            ["body", "title"]
        );
    }

    #[test]
    fn an_edit_must_change_something() {
        let errors = ArticleEdit::try_from(UpdateArticle::default())
            .expect_err("empty edit")
            .into_map();
        assert!(errors.contains_key("article"));
        let edit = ArticleEdit::try_from(UpdateArticle {
            body: Some("new".into()),
            ..UpdateArticle::default()
        })
        .expect("valid edit");
        assert!(edit.title.is_none() && edit.body.is_some());
    }

    #[test]
    fn bodies_may_span_lines_but_titles_may_not() {
        assert!(Body::parse("line one\nline two").is_ok());
        assert!(Title::parse("line one\nline two").is_err());
    }
}
