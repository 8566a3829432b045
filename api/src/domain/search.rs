//! A search query (`q`): the words an article must contain. Words are runs of letters and digits, at least
//! [`MIN_WORD_CHARS`] long (shorter ones are too common to search by, and MySQL's index keeps none); the first
//! [`MAX_WORDS`] count.

use super::Invalid;

/// Longest `q` accepted, in characters.
pub const MAX_CHARS: usize = 200;
/// Shortest word searched for.
pub const MIN_WORD_CHARS: usize = 3;
/// Most words searched for.
pub const MAX_WORDS: usize = 8;

/// The words of a search, as db-service takes them: space-separated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery(String);

impl SearchQuery {
    /// The words of `raw`; `Ok(None)` when it holds no word long enough to search for (nothing can match).
    pub fn parse(raw: &str) -> Result<Option<Self>, Invalid> {
        if raw.len() > MAX_CHARS * 4 || raw.chars().count() > MAX_CHARS {
            return Err(Invalid::new(
                "q",
                format!("is too long (maximum is {MAX_CHARS} characters)"),
            ));
        }
        let words: Vec<&str> = raw
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| word.chars().count() >= MIN_WORD_CHARS)
            .take(MAX_WORDS)
            .collect();
        Ok((!words.is_empty()).then(|| Self(words.join(" "))))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(raw: &str) -> Option<String> {
        SearchQuery::parse(raw)
            .expect("valid")
            .map(SearchQuery::into_inner)
    }

    #[test]
    fn words_are_runs_of_letters_and_digits_long_enough_to_search() {
        for (raw, expected) in [
            ("  Rust, async & go!", Some("Rust async")),
            ("café über-cool 2026", Some("café über cool 2026")),
            ("a to be", None),
            ("\"OR\" * ( ) -", None),
        ] {
            assert_eq!(words(raw).as_deref(), expected, "{raw:?}");
        }
    }

    #[test]
    fn queries_are_bounded() {
        assert_eq!(
            words(&"word ".repeat(20)).map(|w| w.split(' ').count()),
            Some(MAX_WORDS)
        );
        assert!(SearchQuery::parse(&"x".repeat(MAX_CHARS + 1)).is_err());
    }
}
