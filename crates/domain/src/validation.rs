//! Field-level validation errors shared by the web UI (shown beside the field,
//! in Japanese) and the JSON API (listed in the problem+json body).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The form field or JSON member the message belongs to.
    pub field: String,
    /// A stable machine-readable code, e.g. `required`.
    pub code: String,
    /// The message in Japanese (the UI's first language).
    pub message: String,
    /// The same message in English.
    pub message_en: String,
}

/// A list of field errors; empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, code: &str, message: &str, message_en: &str) {
        self.0.push(FieldError {
            field: field.to_string(),
            code: code.to_string(),
            message: message.to_string(),
            message_en: message_en.to_string(),
        });
    }

    /// Adds a `required` error when `value` is blank.
    pub fn require(&mut self, field: &str, value: &str, label_ja: &str, label_en: &str) {
        if value.trim().is_empty() {
            self.add(
                field,
                "required",
                &format!("{label_ja}を入力してください。"),
                &format!("{label_en} is required."),
            );
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for one field, if any (the UI shows it beside the field).
    pub fn for_field(&self, field: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.field == field)
    }

    /// Ok when empty, otherwise the errors.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}
