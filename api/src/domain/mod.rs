//! Parse, don't validate: request input becomes these types at the edge, or a field-named error.

pub mod article;
pub mod user;

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

/// Trims `raw` and checks it is non-blank, at most `max_chars` long, and free of control characters other than
/// line breaks and tabs (allowed only where `multiline`).
fn bounded_text(
    field: &'static str,
    raw: &str,
    max_chars: usize,
    multiline: bool,
) -> Result<String, Invalid> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(Invalid::new(field, "can't be blank"));
    }
    if text.chars().count() > max_chars {
        return Err(Invalid::new(
            field,
            format!("is too long (maximum is {max_chars} characters)"),
        ));
    }
    let allowed = |c: char| !c.is_control() || (multiline && matches!(c, '\n' | '\r' | '\t'));
    if !text.chars().all(allowed) {
        return Err(Invalid::new(field, "contains invalid characters"));
    }
    Ok(text.to_owned())
}
