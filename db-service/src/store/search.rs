//! Full-text search: the words of a query, and the SQL that finds the newest articles holding all of them and
//! scores each — SQLite's FTS5 index (`article_search`, bm25: lower is better) or MySQL's FULLTEXT index
//! (relevance: higher is better). Only the newest [`SEARCH_WINDOW`] matches are scored and counted. One cost still
//! grows with the data: to weigh each word, bm25 counts the articles holding it, reading every index entry of a
//! word most articles hold (about 80 ms of a core per search at 1,000,000 articles, measured through db-service);
//! rankings therefore take turns ([`SearchTurns`]), are kept for every viewer and page until what they rank changes
//! (ReadCache::search_hits: an article published, edited or deleted, not a favorite or follow), and a
//! count does without the score.

use std::{sync::Arc, time::Duration};

use db_client::SEARCH_WINDOW;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::sql::{Dialect, SqlQuery};
use crate::error::ServiceError;

/// Rankings run one at a time. A search for a word most articles hold reads the index entry of every one of them
/// (bm25: about 80 ms of a core at 1,000,000 articles), so a crowd of such searches would otherwise take every core
/// from everyone else; this way they take one at most, and wait for each other. A ranking the read cache holds
/// (ReadCache::search_hits), or a page the list cache holds, takes no turn.
#[derive(Debug, Clone)]
pub struct SearchTurns {
    turn: Arc<Semaphore>,
    /// How long a search waits for its turn before it is answered 503.
    max_wait: Duration,
}

impl Default for SearchTurns {
    fn default() -> Self {
        Self {
            turn: Arc::new(Semaphore::new(1)),
            max_wait: Duration::from_secs(2),
        }
    }
}

impl SearchTurns {
    /// Waits for this search's turn (held until the permit is dropped), or `Busy` after its wait.
    pub async fn take(&self) -> Result<OwnedSemaphorePermit, ServiceError> {
        tokio::time::timeout(self.max_wait, Arc::clone(&self.turn).acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or(ServiceError::Busy)
    }

    /// The same turns, waited for at most `max_wait` (tests that need a search to give up without waiting the
    /// real bound out).
    #[cfg(test)]
    pub fn waiting_at_most(&self, max_wait: Duration) -> Self {
        Self {
            turn: Arc::clone(&self.turn),
            max_wait,
        }
    }
}

/// Whether a search's hits carry their relevance (a page's order) or not (its count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scored {
    Yes,
    No,
}

/// Most words a search takes into account.
pub(super) const MAX_WORDS: usize = 8;

/// The words of a search: letters and digits only (so nothing in them is query syntax), at most [`MAX_WORDS`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct SearchTerms(Vec<String>);

impl SearchTerms {
    /// The words of `q` (the api sends them space-separated and checked); anything else in it is dropped.
    /// `None` when no word remains. ASCII letters are lowered, as both indexes fold them (FTS5's unicode61 and
    /// MySQL's `_ci` collation), so that "Rust" and "rust" are one search with one ranking; other letters are
    /// left to the index's own folding.
    pub fn parse(q: &str) -> Option<Self> {
        let words: Vec<String> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(MAX_WORDS)
            .map(str::to_ascii_lowercase)
            .collect();
        (!words.is_empty()).then_some(Self(words))
    }

    /// The query text the dialect's full-text index takes: every word required.
    fn match_expression(&self, dialect: Dialect) -> String {
        let words = self.0.iter();
        match dialect {
            // Each word a quoted phrase of one token; juxtaposed phrases are ANDed.
            Dialect::Sqlite => words
                .map(|w| format!("\"{w}\""))
                .collect::<Vec<_>>()
                .join(" "),
            Dialect::Mysql => words.map(|w| format!("+{w}")).collect::<Vec<_>>().join(" "),
        }
    }

    /// `hits (id, score) AS (…)`: the newest [`SEARCH_WINDOW`] matching article ids, for a `WITH` clause; with
    /// `Scored::Yes` each with its relevance, else 0 (a count needs none). On SQLite bm25 counts, once per
    /// statement, the articles holding each word — every index entry of a word most articles hold — so a count
    /// that skips it costs a fraction of the page beside it.
    pub fn push_hits(&self, dialect: Dialect, q: &mut SqlQuery, scored: Scored) {
        let expression = self.match_expression(dialect);
        let newest = match dialect {
            Dialect::Sqlite => {
                let score = match scored {
                    Scored::Yes => "bm25(article_search)",
                    Scored::No => "0",
                };
                q.push(&format!(
                    "hits (id, score) AS (SELECT rowid, {score} FROM article_search WHERE article_search MATCH "
                ))
                .bind_text(&expression);
                "rowid"
            }
            Dialect::Mysql => {
                let index = "MATCH (title, description, body, search_tags) AGAINST (";
                q.push("hits (id, score) AS (SELECT id, ");
                match scored {
                    Scored::Yes => {
                        q.push(index)
                            .bind_text(&expression)
                            .push(" IN BOOLEAN MODE)");
                    }
                    Scored::No => {
                        q.push("0");
                    }
                }
                q.push(&format!(" FROM articles WHERE {index}"))
                    .bind_text(&expression)
                    .push(" IN BOOLEAN MODE)");
                "id"
            }
        };
        q.push(&format!(" ORDER BY {newest} DESC LIMIT {SEARCH_WINDOW})"));
    }

    /// The `ORDER BY` of a page of hits: most relevant first, then newest.
    pub fn order(dialect: Dialect) -> &'static str {
        match dialect {
            Dialect::Sqlite => " ORDER BY hits.score, a.id DESC",
            Dialect::Mysql => " ORDER BY hits.score DESC, a.id DESC",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_search_at_a_time_and_the_next_waits_at_most_its_bound() {
        let turns = SearchTurns::default().waiting_at_most(Duration::from_millis(50));
        let first = turns.take().await.expect("first turn");
        assert!(matches!(turns.take().await, Err(ServiceError::Busy)));
        drop(first);
        assert!(turns.take().await.is_ok());
        assert_eq!(SearchTurns::default().max_wait, Duration::from_secs(2));
    }

    #[test]
    fn only_letters_and_digits_reach_the_index_and_words_are_bounded() {
        let terms = SearchTerms::parse("Rust\" OR body:x* -(Café)").expect("words");
        assert_eq!(terms.0, ["rust", "or", "body", "x", "café"]);
        assert_eq!(
            terms.match_expression(Dialect::Sqlite),
            "\"rust\" \"or\" \"body\" \"x\" \"café\""
        );
        assert_eq!(
            terms.match_expression(Dialect::Mysql),
            "+rust +or +body +x +café"
        );
        // Only ASCII is lowered here: other letters are as the index folds them.
        assert_eq!(
            SearchTerms::parse("ÉTÉ Wasm").expect("words").0,
            ["ÉtÉ", "wasm"]
        );
        let many = SearchTerms::parse(&"word ".repeat(50)).expect("words");
        assert_eq!(many.0.len(), MAX_WORDS);
        assert_eq!(SearchTerms::parse(" \"*()- "), None);
    }
}
