//! The export file: its lines, the tables they carry (each table's columns listed once, in [`table!`]), and
//! reading it back with every line bounded in length.

use std::{
    io::{BufRead, Read},
    path::Path,
};

use anyhow::{bail, ensure, Context};
use serde::{Deserialize, Serialize};

use crate::store::sql::{Dialect, SqlQuery};

/// What the first line says; an import refuses anything else.
pub(super) const FORMAT: &str = "conduit-export";
pub(super) const VERSION: u32 = 1;

/// Longest line read back: an article at its longest, JSON-escaped, fits with room to spare.
const MAX_LINE_BYTES: u64 = 4 * 1024 * 1024;

/// Rows per table; the trailer of a file and the report of a command.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub users: u64,
    pub follows: u64,
    pub articles: u64,
    pub tags: u64,
    pub favorites: u64,
    pub comments: u64,
}

impl Counts {
    pub(super) fn total(&self) -> u64 {
        self.users + self.follows + self.articles + self.tags + self.favorites + self.comments
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} users, {} follows, {} articles, {} tags, {} favorites, {} comments",
            self.users, self.follows, self.articles, self.tags, self.favorites, self.comments
        )
    }
}

/// The database a table lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Database {
    Users,
    Blog,
}

/// How a column is read and written.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    Int,
    Text,
    OptionalText,
    /// `YYYY-MM-DDTHH:MM:SS.sssZ` in the file, stored as the backend stores timestamps.
    Time,
}

/// A value of a row, borrowed from its line.
pub(super) enum Value<'a> {
    Int(i64),
    Text(Option<&'a str>),
}

/// A table the file carries.
pub(super) trait Table: Serialize + crate::store::backend::Record {
    const NAME: &'static str;
    const DATABASE: Database;
    /// Every column, in file and statement order, with its kind.
    const COLUMNS: &'static [(&'static str, Kind)];
    /// How many of the first columns make the key rows are exported in order of.
    const KEY_COLUMNS: usize;

    /// The row's values, in [`Table::COLUMNS`] order.
    fn values(&self) -> Vec<Value<'_>>;
    /// This table's count in `counts`.
    fn count(counts: &mut Counts) -> &mut u64;
    /// The row as a file line.
    fn into_line(self) -> Line;
}

/// Declares a table's row type with its columns listed once: the struct, and its [`Table`] impl.
macro_rules! table {
    ($row:ident: $name:literal in $db:ident, key $keys:literal, counted as $counter:ident, line $line:ident {
        $($(#[$attr:meta])* $column:ident: $ty:ty => $kind:ident),* $(,)?
    }) => {
        #[derive(Debug, Serialize, Deserialize, sqlx::FromRow)]
        pub(super) struct $row {
            $($(#[$attr])* $column: $ty,)*
        }

        $crate::store::direct_readers::named_row!($row { $($column),* });

        impl Table for $row {
            const NAME: &'static str = $name;
            const DATABASE: Database = Database::$db;
            const COLUMNS: &'static [(&'static str, Kind)] = &[$((stringify!($column), Kind::$kind)),*];
            const KEY_COLUMNS: usize = $keys;

            fn values(&self) -> Vec<Value<'_>> {
                vec![$(table!(@value self.$column, $kind)),*]
            }

            fn count(counts: &mut Counts) -> &mut u64 {
                &mut counts.$counter
            }

            fn into_line(self) -> Line {
                Line::$line(self)
            }
        }
    };
    (@value $field:expr, Int) => { Value::Int($field) };
    (@value $field:expr, Text) => { Value::Text(Some(&$field)) };
    (@value $field:expr, Time) => { Value::Text(Some(&$field)) };
    (@value $field:expr, OptionalText) => { Value::Text($field.as_deref()) };
}

table!(UserLine: "users" in Users, key 1, counted as users, line User {
    id: i64 => Int,
    username: String => Text,
    email: String => Text,
    password_hash: String => Text,
    bio: Option<String> => OptionalText,
    image: Option<String> => OptionalText,
    created_at: String => Time,
    updated_at: String => Time,
    // Absent from exports made before token versions: those users start at 0.
    #[serde(default)]
    token_version: i64 => Int,
});

table!(FollowLine: "follows" in Users, key 2, counted as follows, line Follow {
    follower_id: i64 => Int,
    followee_id: i64 => Int,
    created_at: String => Time,
});

table!(ArticleLine: "articles" in Blog, key 1, counted as articles, line Article {
    id: i64 => Int,
    slug: String => Text,
    author_id: i64 => Int,
    title: String => Text,
    description: String => Text,
    body: String => Text,
    created_at: String => Time,
    updated_at: String => Time,
});

table!(TagLine: "article_tags" in Blog, key 2, counted as tags, line Tag {
    article_id: i64 => Int,
    tag: String => Text,
});

table!(FavoriteLine: "favorites" in Blog, key 2, counted as favorites, line Favorite {
    user_id: i64 => Int,
    article_id: i64 => Int,
});

table!(CommentLine: "comments" in Blog, key 1, counted as comments, line Comment {
    id: i64 => Int,
    article_id: i64 => Int,
    author_id: i64 => Int,
    body: String => Text,
    created_at: String => Time,
    updated_at: String => Time,
});

/// One line of the file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Line {
    Header { format: String, version: u32 },
    User(UserLine),
    Follow(FollowLine),
    Article(ArticleLine),
    Tag(TagLine),
    Favorite(FavoriteLine),
    Comment(CommentLine),
    End(Counts),
}

impl Line {
    /// Counts the row in `counts`; false for the header and end lines.
    pub(super) fn count_in(&self, counts: &mut Counts) -> bool {
        let counter = match self {
            Line::User(_) => UserLine::count(counts),
            Line::Follow(_) => FollowLine::count(counts),
            Line::Article(_) => ArticleLine::count(counts),
            Line::Tag(_) => TagLine::count(counts),
            Line::Favorite(_) => FavoriteLine::count(counts),
            Line::Comment(_) => CommentLine::count(counts),
            Line::Header { .. } | Line::End(_) => return false,
        };
        *counter += 1;
        true
    }

    /// The `INSERT` that writes this line's row, and into which database; `None` for the header and end lines.
    pub(super) fn insert(&self, dialect: Dialect) -> Option<(Database, SqlQuery)> {
        match self {
            Line::User(row) => Some(insert(row, dialect)),
            Line::Follow(row) => Some(insert(row, dialect)),
            Line::Article(row) => Some(insert(row, dialect)),
            Line::Tag(row) => Some(insert(row, dialect)),
            Line::Favorite(row) => Some(insert(row, dialect)),
            Line::Comment(row) => Some(insert(row, dialect)),
            Line::Header { .. } | Line::End(_) => None,
        }
    }

    /// The table's name, for messages that must not carry the row itself (it may hold a password hash).
    pub(super) fn table(&self) -> &'static str {
        match self {
            Line::User(_) => UserLine::NAME,
            Line::Follow(_) => FollowLine::NAME,
            Line::Article(_) => ArticleLine::NAME,
            Line::Tag(_) => TagLine::NAME,
            Line::Favorite(_) => FavoriteLine::NAME,
            Line::Comment(_) => CommentLine::NAME,
            Line::Header { .. } => "header",
            Line::End(_) => "end",
        }
    }
}

fn insert<T: Table>(row: &T, dialect: Dialect) -> (Database, SqlQuery) {
    let columns: Vec<&str> = T::COLUMNS.iter().map(|(name, _)| *name).collect();
    let mut q = SqlQuery::from(format!(
        "INSERT INTO {} ({}) VALUES (",
        T::NAME,
        columns.join(", ")
    ));
    for (i, (value, (_, kind))) in row.values().into_iter().zip(T::COLUMNS).enumerate() {
        if i > 0 {
            q.push(", ");
        }
        match (value, kind) {
            (Value::Int(n), _) => q.bind_int(Some(n)),
            (Value::Text(Some(time)), Kind::Time) if dialect == Dialect::Mysql => q
                .push("STR_TO_DATE(")
                .bind_text(time)
                .push(", '%Y-%m-%dT%H:%i:%s.%fZ')"),
            (Value::Text(text), _) => q.bind_optional_text(text),
        };
    }
    q.push(")");
    (T::DATABASE, q)
}

/// `SELECT <columns> FROM <table>`, the columns as the file carries them; the caller appends the rest.
pub(super) fn select<T: Table>(dialect: Dialect) -> String {
    let columns: Vec<String> = T::COLUMNS
        .iter()
        .map(|(name, kind)| match kind {
            Kind::Int => (*name).to_owned(),
            Kind::Text | Kind::OptionalText => format!("{} AS {name}", dialect.text(name)),
            Kind::Time => format!("{} AS {name}", dialect.timestamp(name)),
        })
        .collect();
    format!("SELECT {} FROM {}", columns.join(", "), T::NAME)
}

/// Reads `path` through and checks it: the header, every line, and the trailer's counts. Returns the counts.
pub fn check_file(path: &Path) -> anyhow::Result<Counts> {
    let mut counts = Counts::default();
    let mut trailer = None;
    for read in read_lines(path)? {
        let (number, line) = read?;
        match (number, &line, &trailer) {
            (_, _, Some(_)) => bail!("line {number}: data after the end line"),
            (1, Line::Header { format, version }, _) => {
                ensure!(
                    format == FORMAT && *version == VERSION,
                    "not a {FORMAT} version {VERSION} file"
                );
            }
            (1, _, _) => bail!("line 1: not a {FORMAT} file"),
            (_, Line::Header { .. }, _) => bail!("line {number}: a second header"),
            (_, Line::End(end), _) => trailer = Some(end.clone()),
            (_, row, _) => {
                row.count_in(&mut counts);
            }
        }
    }
    let Some(trailer) = trailer else {
        bail!(
            "{} has no end line: the export is incomplete",
            path.display()
        );
    };
    ensure!(
        trailer == counts,
        "{} holds {counts}, but its end line says {trailer}",
        path.display()
    );
    Ok(counts)
}

/// The lines of the file at `path`, parsed, with their numbers. A line longer than [`MAX_LINE_BYTES`] is an
/// error, read no further than that; errors name the line, never its content.
pub(super) fn read_lines(
    path: &Path,
) -> anyhow::Result<impl Iterator<Item = anyhow::Result<(u64, Line)>>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let name = path.display().to_string();
    let mut reader = std::io::BufReader::new(file);
    let mut number = 0_u64;
    Ok(std::iter::from_fn(move || {
        let mut text = Vec::new();
        number += 1;
        let read = (&mut reader)
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', &mut text);
        match read {
            Ok(0) => None,
            Err(e) => Some(Err(
                anyhow::Error::new(e).context(format!("{name}: cannot read line {number}"))
            )),
            Ok(_) if text.last() != Some(&b'\n') && text.len() as u64 > MAX_LINE_BYTES => {
                Some(Err(anyhow::anyhow!(
                    "{name}: line {number} is longer than {MAX_LINE_BYTES} bytes"
                )))
            }
            Ok(_) => Some(
                serde_json::from_slice(&text)
                    .map(|line| (number, line))
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "{name}: line {number} is not a valid row ({:?} at column {})",
                            e.classify(),
                            e.column()
                        )
                    }),
            ),
        }
    }))
}
