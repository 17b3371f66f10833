//! Break-glass: the request and the accesses running.

use super::*;

/// A break-glass request: a real identification of the patient and a
/// reason from the list with a written explanation.
#[derive(Debug, Clone)]
pub struct BreakGlassRequest {
    /// 被保険者番号; when empty, name and birth date identify the patient.
    pub insured_number: String,
    pub name: String,
    /// YYYY-MM-DD.
    pub birth_date: String,
    pub reason_code: BreakGlassReason,
    /// At least [`BreakGlassRequest::MIN_EXPLANATION`] characters.
    pub explanation: String,
}

impl BreakGlassRequest {
    pub const MIN_EXPLANATION: usize = 10;

    /// Parses the form's fields; an unknown reason code is a field error.
    pub fn from_fields(
        insured_number: &str,
        name: &str,
        birth_date: &str,
        reason_code: &str,
        explanation: &str,
    ) -> Result<Self, ServiceError> {
        let reason_code = BreakGlassReason::from_code(reason_code).ok_or_else(|| {
            ServiceError::invalid(
                "reason_code",
                "required",
                "理由の分類を選んでください。",
                "Choose the kind of reason.",
            )
        })?;
        Ok(Self {
            insured_number: insured_number.into(),
            name: name.into(),
            birth_date: birth_date.into(),
            reason_code,
            explanation: explanation.into(),
        })
    }

    /// (insured number, folded name, birth date, reason text) or the field
    /// errors.
    pub(crate) fn check(&self) -> Result<(String, String, String, String), ServiceError> {
        let mut e = ValidationErrors::new();
        let insured: String = renkei_domain::text::nfkc(self.insured_number.trim())
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        let name_key = fold(&self.name);
        let birth = self.birth_date.trim().to_string();
        if insured.is_empty() {
            if name_key.is_empty() || birth.is_empty() {
                e.add(
                    "insured_number",
                    "required",
                    "被保険者番号、または氏名と生年月日を入力してください。",
                    "Enter the insured number, or the name and the birth date.",
                );
            } else if Timestamp::from_jst_date(&birth).is_none() {
                e.add(
                    "birth_date",
                    "format",
                    "生年月日は 1940-01-31 の形で入力してください。",
                    "Enter the birth date as 1940-01-31.",
                );
            }
        } else if insured.len() > 20 || !insured.chars().all(|c| c.is_ascii_alphanumeric()) {
            e.add(
                "insured_number",
                "format",
                "被保険者番号は数字（と英字）で入力してください。",
                "The insured number has digits (and letters) only.",
            );
        }
        let explanation = self.explanation.trim();
        let n = explanation.chars().count();
        if n < Self::MIN_EXPLANATION {
            e.add(
                "explanation",
                "too_short",
                "状況を10文字以上で具体的に書いてください。",
                "Describe the situation in at least 10 characters.",
            );
        } else if n > 500 {
            e.add(
                "explanation",
                "too_long",
                "状況は500文字以内で書いてください。",
                "Keep the description within 500 characters.",
            );
        }
        e.into_result()?;
        Ok((
            insured,
            name_key,
            birth,
            format!("{}: {explanation}", self.reason_code.label_ja()),
        ))
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BreakGlassAccess {
    pub id: BreakGlassId,
    pub patient_id: PatientId,
    pub patient_name: String,
    pub reason: String,
    pub started_at: i64,
    pub expires_at: i64,
}
