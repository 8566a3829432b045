//! Parse, don't validate: request input becomes these types at the edge, or field-named errors. Sizes and counts
//! are checked before any work that is not linear in them.

pub mod article;
pub mod page;
#[cfg(test)]
mod properties;
pub mod search;
pub mod user;

use std::collections::BTreeMap;

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

/// Trims `raw` and checks it is non-blank, at most `max_chars` long, and free of control characters other than
/// line breaks and tabs (allowed only where `multiline`). The length is checked on the bytes first, so an
/// oversized value is refused without being walked.
fn bounded_text(
    field: &'static str,
    raw: &str,
    max_chars: usize,
    multiline: bool,
) -> Result<String, Invalid> {
    let too_long = || {
        Invalid::new(
            field,
            format!("is too long (maximum is {max_chars} characters)"),
        )
    };
    // A character is at most 4 bytes: beyond 4 × max_chars bytes no count is needed.
    if raw.len() > max_chars.saturating_mul(4) {
        return Err(too_long());
    }
    let text = raw.trim();
    if text.is_empty() {
        return Err(Invalid::new(field, "can't be blank"));
    }
    if text.chars().count() > max_chars {
        return Err(too_long());
    }
    let allowed = |c: char| !c.is_control() || (multiline && matches!(c, '\n' | '\r' | '\t'));
    if !text.chars().all(allowed) {
        return Err(Invalid::new(field, "contains invalid characters"));
    }
    Ok(text.to_owned())
}
