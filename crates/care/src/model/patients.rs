//! The patient: the record as typed and as checked, and where it belongs.

use super::*;

/// A key person or emergency contact (キーパーソン・緊急連絡先).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contact {
    pub name: String,
    #[serde(default)]
    pub relation: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub key_person: bool,
    #[serde(default)]
    pub emergency: bool,
}

/// A patient's basic record (基本情報), as the handoff forms ask it: checked
/// and typed. The one shape of the record for the service, the store, the
/// JSON API (whose patient is this record with its id), the pages and FHIR.
/// It serialises with codes, and `""` for an optional choice not given.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatientRecord {
    pub name: String,
    pub kana: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// `female`, `male`, `other`, `unknown`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub sex: Sex,
    pub address: String,
    pub phone: String,
    /// 介護保険被保険者番号 (10 digits).
    pub insured_number: String,
    /// `none`, `support1`, `support2`, `care1` … `care5`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub care_level: CareLevel,
    pub care_level_from: String,
    pub care_level_to: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub care_application: CareApplication,
    /// 障害高齢者の日常生活自立度.
    #[serde(serialize_with = "code_or_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub independence_physical: Option<PhysicalIndependence>,
    /// 認知症高齢者の日常生活自立度.
    #[serde(serialize_with = "code_or_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub independence_dementia: Option<DementiaIndependence>,
    #[serde(serialize_with = "code_or_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub household: Option<Household>,
    /// Stored as JSON; the store reads it apart.
    #[sqlx(skip)]
    pub contacts: Vec<Contact>,
}

/// An optional choice as its code, `""` when none.
fn code_or_empty<S: Serializer, T: Copy + Into<&'static str>>(
    value: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(value.map_or("", Into::into))
}

/// A registered patient: the record and where it belongs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Patient {
    pub id: PatientId,
    /// The patient's care team.
    pub space_id: SpaceId,
    pub region_id: RegionId,
    pub registering_org_id: OrgId,
    pub registered_by: UserId,
    #[sqlx(flatten)]
    pub record: PatientRecord,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A patient's record as typed (a form, the API): text, which
/// [`PatientInput::check`] turns into a [`PatientRecord`] or field errors. The
/// fields are named as the record's.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatientInput {
    pub name: String,
    pub kana: String,
    pub birth_date: String,
    pub sex: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub insured_number: String,
    #[serde(default)]
    pub care_level: String,
    #[serde(default)]
    pub care_level_from: String,
    #[serde(default)]
    pub care_level_to: String,
    #[serde(default)]
    pub care_application: String,
    #[serde(default)]
    pub independence_physical: String,
    #[serde(default)]
    pub independence_dementia: String,
    #[serde(default)]
    pub household: String,
    #[serde(default)]
    pub contacts: Vec<Contact>,
}

impl From<&PatientRecord> for PatientInput {
    /// The stored record as its form shows it.
    fn from(f: &PatientRecord) -> Self {
        PatientInput {
            name: f.name.clone(),
            kana: f.kana.clone(),
            birth_date: f.birth_date.clone(),
            sex: f.sex.code().into(),
            address: f.address.clone(),
            phone: f.phone.clone(),
            insured_number: f.insured_number.clone(),
            care_level: f.care_level.code().into(),
            care_level_from: f.care_level_from.clone(),
            care_level_to: f.care_level_to.clone(),
            care_application: f.care_application.code().into(),
            independence_physical: f.independence_physical.map_or("", |x| x.code()).into(),
            independence_dementia: f.independence_dementia.map_or("", |x| x.code()).into(),
            household: f.household.map_or("", |x| x.code()).into(),
            contacts: f.contacts.clone(),
        }
    }
}

impl PatientInput {
    /// Checks and normalises what was typed into the record; a birth date
    /// after `now` is refused.
    pub fn check(&self, now: Timestamp) -> Result<PatientRecord, ValidationErrors> {
        let mut e = ValidationErrors::new();
        e.require("name", &self.name, "氏名", "Name");
        e.require("kana", &self.kana, "ふりがな", "Kana");
        check_date(
            &mut e,
            "birth_date",
            &self.birth_date,
            true,
            "生年月日",
            "Birth date",
        );
        if !self.birth_date.trim().is_empty() {
            if let Some(b) = Timestamp::from_jst_date(self.birth_date.trim()) {
                if b.millis() > now.millis() {
                    e.add(
                        "birth_date",
                        "future",
                        "生年月日が未来の日付です。",
                        "The birth date is in the future.",
                    );
                }
            }
        }
        let sex = match self.sex.trim() {
            "" => Some(Sex::Unknown),
            code => Sex::from_code(code),
        };
        if sex.is_none() {
            e.add("sex", "choice", "性別を選んでください。", "Choose a sex.");
        }
        let insured = renkei_domain::text::nfkc(self.insured_number.trim());
        if !insured.is_empty()
            && (insured.len() != 10 || !insured.chars().all(|c| c.is_ascii_digit()))
        {
            e.add(
                "insured_number",
                "digits",
                "被保険者番号は10桁の数字です。",
                "The insured person number has 10 digits.",
            );
        }
        let level = match self.care_level.trim() {
            "" => Some(CareLevel::None),
            code => CareLevel::from_code(code),
        };
        if level.is_none() {
            e.add(
                "care_level",
                "choice",
                "要介護度を選んでください。",
                "Choose a care level.",
            );
        }
        let application = match self.care_application.trim() {
            "" => Some(CareApplication::NotApplied),
            code => CareApplication::from_code(code),
        };
        if application.is_none() {
            e.add(
                "care_application",
                "choice",
                "申請状況を選んでください。",
                "Choose the application status.",
            );
        }
        check_date(
            &mut e,
            "care_level_from",
            &self.care_level_from,
            false,
            "認定有効期間（開始）",
            "Valid from",
        );
        check_date(
            &mut e,
            "care_level_to",
            &self.care_level_to,
            false,
            "認定有効期間（終了）",
            "Valid to",
        );
        if !self.care_level_from.trim().is_empty()
            && !self.care_level_to.trim().is_empty()
            && self.care_level_from.trim() > self.care_level_to.trim()
        {
            e.add(
                "care_level_to",
                "order",
                "有効期間の終了が開始より前です。",
                "The validity ends before it starts.",
            );
        }
        let physical =
            optional_choice(&self.independence_physical, PhysicalIndependence::from_code);
        if physical.is_err() {
            e.add(
                "independence_physical",
                "choice",
                "障害高齢者の日常生活自立度を選んでください。",
                "Choose a level.",
            );
        }
        let dementia =
            optional_choice(&self.independence_dementia, DementiaIndependence::from_code);
        if dementia.is_err() {
            e.add(
                "independence_dementia",
                "choice",
                "認知症高齢者の日常生活自立度を選んでください。",
                "Choose a level.",
            );
        }
        let household = optional_choice(&self.household, Household::from_code);
        if household.is_err() {
            e.add(
                "household",
                "choice",
                "世帯を選んでください。",
                "Choose a household type.",
            );
        }
        let contacts: Vec<Contact> = self
            .contacts
            .iter()
            .filter(|c| !c.name.trim().is_empty() || !c.phone.trim().is_empty())
            .map(|c| Contact {
                name: c.name.trim().to_string(),
                relation: c.relation.trim().to_string(),
                phone: c.phone.trim().to_string(),
                key_person: c.key_person,
                emergency: c.emergency,
            })
            .collect();
        for (i, c) in contacts.iter().enumerate() {
            if c.name.is_empty() {
                e.add(
                    &format!("contact_{i}_name"),
                    "required",
                    "連絡先の氏名を入力してください。",
                    "Enter the contact's name.",
                );
            }
        }
        for (field, value) in [
            ("name", &self.name),
            ("kana", &self.kana),
            ("address", &self.address),
        ] {
            if value.chars().count() > 200 {
                e.add(
                    field,
                    "too_long",
                    "200文字以内で入力してください。",
                    "At most 200 characters.",
                );
            }
        }
        match (sex, level, application, physical, dementia, household) {
            (
                Some(sex),
                Some(care_level),
                Some(care_application),
                Ok(independence_physical),
                Ok(independence_dementia),
                Ok(household),
            ) if e.is_empty() => Ok(PatientRecord {
                name: self.name.trim().to_string(),
                kana: self.kana.trim().to_string(),
                birth_date: self.birth_date.trim().to_string(),
                sex,
                address: self.address.trim().to_string(),
                phone: self.phone.trim().to_string(),
                insured_number: insured,
                care_level,
                care_level_from: self.care_level_from.trim().to_string(),
                care_level_to: self.care_level_to.trim().to_string(),
                care_application,
                independence_physical,
                independence_dementia,
                household,
                contacts,
            }),
            // Every choice that did not parse added its field error.
            _ => Err(e),
        }
    }
}

/// An optional choice as typed: `""` is none, a known code is that value,
/// anything else is refused (`Err`).
fn optional_choice<T>(raw: &str, parse: fn(&str) -> Option<T>) -> Result<Option<T>, ()> {
    match raw.trim() {
        "" => Ok(None),
        code => parse(code).map(Some).ok_or(()),
    }
}

/// Adds a field error unless `value` is a date (`YYYY-MM-DD`), or empty and
/// not `required`.
pub(crate) fn check_date(
    errors: &mut ValidationErrors,
    field: &str,
    value: &str,
    required: bool,
    ja: &str,
    en: &str,
) {
    let v = value.trim();
    if v.is_empty() {
        if required {
            errors.require(field, v, ja, en);
        }
        return;
    }
    if Timestamp::from_jst_date(v).is_none() {
        errors.add(
            field,
            "date",
            &format!("{ja}は 2026-04-01 の形で入力してください。"),
            &format!("{en} must be a date like 2026-04-01."),
        );
    }
}
