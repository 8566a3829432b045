//! JSON text ↔ Rust values through the browser's `JSON.stringify` and `JSON.parse`: no JSON codec in the download.
//! Used for API bodies and for editor drafts in localStorage.

use serde::{de::DeserializeOwned, Serialize};

/// Why a value could not become JSON text, or JSON text the expected value.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonError(String);

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JsonError {}

/// `value` as JSON text.
pub fn to_text<T: Serialize>(value: &T) -> Result<String, JsonError> {
    let value = value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsonError(e.to_string()))?;
    js_sys::JSON::stringify(&value)
        .map(String::from)
        .map_err(|e| JsonError(format!("{e:?}")))
}

/// JSON `text` as a `T`.
pub fn from_text<T: DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    let value = js_sys::JSON::parse(text).map_err(|e| JsonError(format!("{e:?}")))?;
    serde_wasm_bindgen::from_value(value).map_err(|e| JsonError(e.to_string()))
}
