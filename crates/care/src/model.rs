//! What crosses care's boundary: the typed records the service takes and
//! returns, which the web side, the benchmark and the tests use. The store
//! (private) reads and writes them; nothing here does I/O.

use renkei_domain::care::{
    AttachmentPurpose, BreakGlassReason, CareApplication, CareLevel, DementiaIndependence,
    Household, MemberStatus, PhysicalIndependence, PostAuthorRole, PostCategory, PostKind, Sex,
    SpaceKind, TeamRole, Vitals,
};
use renkei_domain::text::fold;
use renkei_domain::{
    AttachmentId, BreakGlassId, ConsentId, OrgId, PatientId, PostId, Profession, RegionId, Role,
    SpaceId, Timestamp, UserId, ValidationErrors,
};
use renkei_store::ServiceError;
use serde::{Deserialize, Serialize, Serializer};

use crate::access::Access;

// ---------------------------------------------------------------- patients

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

// ------------------------------------------------------------------ spaces

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Space {
    pub id: SpaceId,
    pub region_id: RegionId,
    pub kind: SpaceKind,
    pub name: String,
    pub description: String,
    pub family_summary_open: bool,
    pub created_by: UserId,
    pub created_at: i64,
}

/// A space in the user's lists.
#[derive(Debug, Clone)]
pub struct SpaceCard {
    pub space_id: SpaceId,
    pub kind: SpaceKind,
    pub name: String,
    pub kana: String,
    pub patient_id: Option<PatientId>,
    pub status: MemberStatus,
    pub team_role: TeamRole,
    pub is_lead: bool,
    pub unread: i64,
    pub urgent_open: i64,
    pub last_post_at: Option<i64>,
}

// ----------------------------------------------------------------- consent

/// A recorded consent (同意) and whom it covers.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Consent {
    pub id: ConsentId,
    pub patient_id: PatientId,
    /// Stored as JSON lists and a flag; the store reads it apart.
    #[sqlx(skip)]
    pub coverage: Coverage,
    pub obtained_on: String,
    pub obtained_by: String,
    pub signer: String,
    pub form_attachment_id: Option<AttachmentId>,
    pub recorded_by: UserId,
    pub recorded_by_name: String,
    pub recorded_at: i64,
    pub withdrawn_at: Option<i64>,
    pub withdrawn_by: Option<UserId>,
    pub withdrawal_reason: String,
}

impl Consent {
    pub fn active(&self) -> bool {
        self.withdrawn_at.is_none()
    }
}

/// What a consent covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    pub org_ids: Vec<OrgId>,
    pub professions: Vec<Profession>,
    pub family: bool,
}

/// What a consent record says.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ConsentInput {
    #[serde(default)]
    pub covers_orgs: Vec<OrgId>,
    #[serde(default)]
    pub covers_professions: Vec<String>,
    #[serde(default)]
    pub covers_family: bool,
    /// `YYYY-MM-DD`.
    pub obtained_on: String,
    /// Who obtained it (name, profession).
    pub obtained_by: String,
    /// Who signed: the patient or their representative.
    #[serde(default)]
    pub signer: String,
}

pub struct ConsentView {
    pub patient: Patient,
    pub access: Access,
    pub consents: Vec<Consent>,
    pub may_record: bool,
    pub organisations: Vec<(OrgId, String)>,
}

// -------------------------------------------------------------------- team

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Member {
    pub space_id: SpaceId,
    pub user_id: UserId,
    pub username: String,
    pub display_name: String,
    pub profession: Profession,
    pub user_role: Role,
    pub email: String,
    pub org_id: Option<OrgId>,
    pub org_name: Option<String>,
    pub team_role: TeamRole,
    pub is_lead: bool,
    pub status: MemberStatus,
    pub invited_by: Option<UserId>,
    pub invited_at: i64,
    pub accepted_at: Option<i64>,
    pub left_at: Option<i64>,
    pub joined_after_post: PostId,
}

/// Users of a region by id, for invitations and mentions: (id, display
/// name, role code, profession code, organisation ids).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invitee {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub profession: Profession,
    pub region_id: Option<RegionId>,
    pub disabled: bool,
}

pub struct TeamView {
    pub space: Space,
    pub patient: Option<Patient>,
    pub access: Access,
    pub members: Vec<Member>,
    pub consent: Option<Consent>,
    pub candidates: Vec<Invitee>,
}

// ------------------------------------------------------------------- posts

/// A new post.
#[derive(Debug, Clone, Default)]
pub struct PostInput {
    pub category: String,
    pub body: String,
    pub vitals: Vitals,
    pub urgent: bool,
    pub ack_role: String,
    pub reply_to: Option<PostId>,
    pub idempotency_key: String,
    /// The writer confirmed values outside the plausible range.
    pub confirm_unusual: bool,
}

/// What posting did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostOutcome {
    pub post_id: PostId,
    /// The same key was already used for this exact post: nothing new was
    /// written (a retry over a bad link).
    pub duplicate: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Post {
    pub id: PostId,
    pub space_id: SpaceId,
    pub author_id: UserId,
    pub author_name: String,
    pub author_profession: Profession,
    pub author_role: PostAuthorRole,
    pub kind: PostKind,
    pub category: PostCategory,
    pub body: String,
    pub reply_to: Option<PostId>,
    pub temperature: Option<f64>,
    pub bp_systolic: Option<f64>,
    pub bp_diastolic: Option<f64>,
    pub pulse: Option<f64>,
    pub spo2: Option<f64>,
    pub respiration: Option<f64>,
    pub weight: Option<f64>,
    pub glucose: Option<f64>,
    pub pain: Option<f64>,
    pub has_vitals: bool,
    pub urgent: bool,
    pub ack_role: Option<TeamRole>,
    pub acked_by: Option<UserId>,
    pub acked_by_name: Option<String>,
    pub acked_at: Option<i64>,
    pub version: i64,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub withdrawn_at: Option<i64>,
    pub withdrawn_by: Option<UserId>,
    pub withdrawn_reason: String,
    pub idempotency_key: Option<String>,
    pub request_hash: String,
    /// Whether any reply or attachment exists, so that a page asks for
    /// replies and attachments only when there are some.
    pub has_replies: bool,
    pub has_attachments: bool,
    /// Who has read the post, as `user:millis,…` (timeline queries only;
    /// see [`Post::readers`]).
    #[sqlx(default)]
    pub read_by: Option<String>,
}

impl Post {
    /// The post without its structured vital signs (for readers who may not
    /// see them; see `Access::sees_vitals`).
    pub fn without_vitals(mut self) -> Self {
        self.temperature = None;
        self.bp_systolic = None;
        self.bp_diastolic = None;
        self.pulse = None;
        self.spo2 = None;
        self.respiration = None;
        self.weight = None;
        self.glucose = None;
        self.pain = None;
        self.has_vitals = false;
        self
    }

    /// The (user, read at) pairs of `read_by`, earliest first.
    pub fn readers(&self) -> Vec<(UserId, i64)> {
        parse_readers(self.read_by.as_deref().unwrap_or_default())
    }

    pub fn vitals(&self) -> Vitals {
        Vitals {
            temperature: self.temperature,
            bp_systolic: self.bp_systolic,
            bp_diastolic: self.bp_diastolic,
            pulse: self.pulse,
            spo2: self.spo2,
            respiration: self.respiration,
            weight: self.weight,
            glucose: self.glucose,
            pain: self.pain,
        }
    }
}

/// `user:millis,…` as (user, read at) pairs, earliest first.
fn parse_readers(read_by: &str) -> Vec<(UserId, i64)> {
    let mut out: Vec<(UserId, i64)> = read_by
        .split(',')
        .filter_map(|pair| {
            let (user, at) = pair.split_once(':')?;
            Some((user.trim().parse().ok()?, at.trim().parse().ok()?))
        })
        .collect();
    out.sort_by_key(|&(user, at)| (at, user));
    out
}

/// An earlier version of an edited post.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostVersion {
    pub version: i64,
    pub category: PostCategory,
    pub body: String,
    /// Stored as JSON; the store reads it apart.
    #[sqlx(skip)]
    pub vitals: Vitals,
    pub written_by: UserId,
    pub written_by_name: String,
    pub written_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Receipt {
    pub post_id: PostId,
    pub user_id: UserId,
    pub display_name: String,
    pub read_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AttachmentMeta {
    pub id: AttachmentId,
    pub space_id: SpaceId,
    pub post_id: Option<PostId>,
    pub purpose: AttachmentPurpose,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub filename: String,
    pub has_thumbnail: bool,
    pub uploaded_by: UserId,
    pub uploaded_at: i64,
}

/// One post with what its card shows.
#[derive(Debug, Clone)]
pub struct PostView {
    pub post: Post,
    pub replies: Vec<PostView>,
    pub receipts: Vec<Receipt>,
    pub attachments: Vec<AttachmentMeta>,
    pub mentions_me: bool,
    pub may_ack: bool,
    pub may_edit: bool,
    pub may_withdraw: bool,
}

/// One post with what its page shows: the card, the earlier versions the
/// reader may see, and whose space it is in.
#[derive(Debug, Clone)]
pub struct PostDetail {
    pub view: PostView,
    pub versions: Vec<PostVersion>,
    pub space_id: SpaceId,
    /// `None` for a group's post.
    pub patient_id: Option<PatientId>,
}

// ---------------------------------------------------------------- timeline

/// The categories a timeline page shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CategoryFilter {
    /// Every category.
    #[default]
    Any,
    Only(PostCategory),
    /// A code that names no category (the API passes what it was given):
    /// no post matches.
    NoSuch,
}

impl CategoryFilter {
    /// The filter a code asks for: `""` is every category.
    pub fn from_code(code: &str) -> Self {
        match code {
            "" => CategoryFilter::Any,
            c => PostCategory::from_code(c).map_or(CategoryFilter::NoSuch, CategoryFilter::Only),
        }
    }
}

/// Which page of a timeline to read.
#[derive(Debug, Clone, Default)]
pub struct TimelineQuery {
    /// Only posts older than this id (the next page).
    pub before: Option<PostId>,
    /// Folded search text; matches replies too.
    pub text: Option<String>,
    pub category: CategoryFilter,
    pub limit: i64,
}

/// A page of a timeline.
pub struct TimelineView {
    pub space: Space,
    pub patient: Option<Patient>,
    pub access: Access,
    pub urgent: Vec<PostView>,
    pub posts: Vec<PostView>,
    /// The id to ask for the next (older) page.
    pub next_before: Option<PostId>,
    pub members: Vec<Member>,
    pub consent_active: bool,
}

// ----------------------------------------------------------------- summary

/// The shared summary (在宅サマリー): the current picture of a patient.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct SummaryFields {
    /// 病名・既往.
    pub diagnoses: String,
    /// 服薬.
    pub medicines: String,
    /// アレルギー.
    pub allergies: String,
    pub adl: String,
    /// 在宅での医療処置.
    pub procedures: String,
    pub notes: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Summary {
    pub patient_id: PatientId,
    pub version: i64,
    #[sqlx(flatten)]
    pub fields: SummaryFields,
    pub changed_by: UserId,
    pub changed_by_name: String,
    pub changed_at: i64,
}

pub struct SummaryView {
    pub patient: Patient,
    pub access: Access,
    pub current: Option<Summary>,
    pub history: Vec<Summary>,
}

// ------------------------------------------------------------- break-glass

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

// ----------------------------------------------------------- notifications

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Preferences {
    pub email_urgent: bool,
    pub email_digest: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            email_urgent: true,
            email_digest: true,
        }
    }
}

/// The result of one digest run.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DigestRun {
    pub sent: usize,
    pub nothing_unread: usize,
    pub failed: usize,
}

#[cfg(test)]
mod tests {
    use super::parse_readers;
    use renkei_domain::UserId;

    #[test]
    fn readers_come_earliest_first_and_nothing_reads_as_no_one() {
        assert_eq!(
            parse_readers("7:300,3:100,5:300"),
            vec![(UserId(3), 100), (UserId(5), 300), (UserId(7), 300)]
        );
        assert!(parse_readers("").is_empty());
        assert_eq!(parse_readers("x:1,4:2,9"), vec![(UserId(4), 2)]);
    }
}
