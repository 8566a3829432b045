//! `db-service export` and `import`: every row of Conduit's data as JSON Lines, written and read the same way
//! on both backends, to move an installation from SQLite to MySQL (or back) without loss.
//!
//! The file ([`format`]) is a header line, one line per row (users, follows, articles, tags, favorites, comments,
//! in that order, each table by key), and a trailer with the row counts. Ids and timestamps are kept; counters
//! (favorites, comments, tag and article counts) are rebuilt by the target's triggers. [`export`] reads one
//! snapshot per database and writes the file atomically; [`import`] reads the whole file once to check it (a
//! truncated or edited file is refused before anything is written), refuses a target that already holds data,
//! and counts what it wrote against the trailer.

mod export;
mod format;
mod import;

pub use export::export;
pub use format::{check_file, Counts};
pub use import::import;
