//! Parse, don't validate: request input becomes these types at the edge, or field-named errors. Sizes and counts
//! are checked before any work that is not linear in them.

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

/// Text a person writes: at most `max_chars` characters as sent, not blank (some character is neither whitespace
/// nor control), without control characters other than those `lines` allows. Kept trimmed.
fn free_text(
    field: &'static str,
    raw: &str,
    max_chars: usize,
    lines: Lines,
) -> Result<String, Invalid> {
    within_length(field, raw, max_chars)?;
    if charset::is_blank(raw) {
        return Err(Invalid::new(field, "can't be blank"));
    }
    if raw.chars().any(|c| lines.refused().contains(c)) {
        return Err(Invalid::new(field, "contains invalid characters"));
    }
    Ok(raw.trim().to_owned())
}

/// Like [`free_text`], but blank text is allowed and comes back empty (it means "none").
fn optional_text(
    field: &'static str,
    raw: &str,
    max_chars: usize,
    lines: Lines,
) -> Result<String, Invalid> {
    within_length(field, raw, max_chars)?;
    if charset::is_blank(raw) {
        return Ok(String::new());
    }
    free_text(field, raw, max_chars, lines)
}

/// The JSON Schema `pattern` of [`free_text`] (lengths are `minLength`/`maxLength`).
#[cfg(test)]
pub fn free_text_pattern(lines: Lines) -> String {
    let refused = charset::class(true, &[lines.refused()], "");
    let visible = charset::class(true, &[lines.refused(), charset::WHITESPACE], "");
    format!("^{refused}*{visible}{refused}*$")
}

/// The JSON Schema `pattern` of [`optional_text`]: blank, or text without refused characters.
#[cfg(test)]
pub fn optional_text_pattern(lines: Lines) -> String {
    let blank = charset::class(false, &[charset::WHITESPACE], "");
    let refused = charset::class(true, &[lines.refused()], "");
    format!("^(?:{blank}*|{refused}*)$")
}
