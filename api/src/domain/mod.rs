//! Parse, don't validate: request input becomes these types at the edge, or field-named errors. Sizes and counts
//! are checked before any work that is not linear in them.

/// Declares `pub struct $name(String)`, read as `AsRef<str>`: the shape of every parsed field, whose only
/// constructor is the `parse` written beside it.
macro_rules! parsed_string {
    ($(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        pub struct $name(String);

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// Declares fields of text a person writes, each `Name(field, max_chars, lines, blank);` with `MAX_CHARS` and a
/// `parse` by [`text`].
macro_rules! text_fields {
    ($($(#[$doc:meta])* $name:ident($field:literal, $max:expr, $lines:expr, $blank:expr);)*) => {$(
        parsed_string! {
            $(#[$doc])*
            #[derive(Debug, Clone, PartialEq, Eq)]
            $name
        }

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, $crate::domain::Invalid> {
                $crate::domain::text($field, raw, Self::MAX_CHARS, $lines, $blank).map(Self)
            }
        }
    )*};
}

pub mod article;
pub mod charset;
pub mod page;
#[cfg(test)]
mod properties;
pub mod search;
pub mod user;

use std::collections::BTreeMap;

use charset::Chars;

/// Why one input field was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The request field, as the client named it.
    pub field: &'static str,
    /// What is wrong, phrased to follow the field name (`"can't be blank"`).
    pub message: String,
}

impl Invalid {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// Validation messages per field: the content of a 422 `{"errors":{"field":["message"]}}`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FieldErrors(BTreeMap<&'static str, Vec<String>>);

impl FieldErrors {
    /// Records one message about `field`.
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_default().push(message.into());
    }

    /// Keeps the parsed value, or records its error and yields `None`.
    pub fn check<T>(&mut self, result: Result<T, Invalid>) -> Option<T> {
        result
            .map_err(|invalid| self.add(invalid.field, invalid.message))
            .ok()
    }

    /// Like [`FieldErrors::check`] for a field that may be absent.
    pub fn check_optional<T>(
        &mut self,
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<T> {
        raw.and_then(|raw| self.check(parse(raw)))
    }

    /// `Ok(value)` when nothing was recorded, else the errors.
    pub fn or<T>(self, value: T) -> Result<T, Self> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// The messages, by field.
    pub fn into_map(self) -> BTreeMap<&'static str, Vec<String>> {
        self.0
    }
}

impl From<Invalid> for FieldErrors {
    fn from(invalid: Invalid) -> Self {
        let mut errors = Self::default();
        errors.add(invalid.field, invalid.message);
        errors
    }
}

/// Refuses `raw` when it is longer than `max_chars` characters as sent (untrimmed, as JSON Schema's `maxLength`
/// counts). The bytes are looked at first, so an oversized value is refused without being walked.
fn within_length(field: &'static str, raw: &str, max_chars: usize) -> Result<(), Invalid> {
    // A character is at most 4 bytes: beyond 4 × max_chars bytes no count is needed.
    if raw.len() > max_chars.saturating_mul(4) || raw.chars().count() > max_chars {
        return Err(Invalid::new(
            field,
            format!("is too long (maximum is {max_chars} characters)"),
        ));
    }
    Ok(())
}

/// Whether text may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// No control characters at all.
    One,
    /// Tabs and line breaks (`\t`, `\n`, `\r`) allowed, other control characters not.
    Many,
}

impl Lines {
    /// The characters such text may not contain.
    pub fn refused(self) -> Chars {
        match self {
            Lines::One => charset::CONTROL,
            Lines::Many => charset::CONTROL_BUT_LINE_BREAKS,
        }
    }
}

/// What text of nothing but whitespace (or control characters) means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blank {
    /// Nothing was written: `can't be blank`.
    Refused,
    /// "None": it comes back empty.
    Empty,
}

/// Text a person writes: at most `max_chars` characters as sent, without control characters other than those
/// `lines` allows; blank text is refused or comes back empty as `blank` says. Kept trimmed.
fn text(
    field: &'static str,
    raw: &str,
    max_chars: usize,
    lines: Lines,
    blank: Blank,
) -> Result<String, Invalid> {
    within_length(field, raw, max_chars)?;
    if charset::is_blank(raw) {
        return match blank {
            Blank::Refused => Err(Invalid::new(field, "can't be blank")),
            Blank::Empty => Ok(String::new()),
        };
    }
    if raw.chars().any(|c| lines.refused().contains(c)) {
        return Err(Invalid::new(field, "contains invalid characters"));
    }
    Ok(raw.trim().to_owned())
}

/// The JSON Schema `pattern` of [`text`] (lengths are `minLength`/`maxLength`).
#[cfg(test)]
pub fn text_pattern(lines: Lines, blank: Blank) -> String {
    let refused = charset::class(true, &[lines.refused()], "");
    match blank {
        Blank::Refused => {
            let visible = charset::class(true, &[lines.refused(), charset::WHITESPACE], "");
            format!("^{refused}*{visible}{refused}*$")
        }
        Blank::Empty => {
            let blank = charset::class(false, &[charset::WHITESPACE], "");
            format!("^(?:{blank}*|{refused}*)$")
        }
    }
}
