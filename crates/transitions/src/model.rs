//! The records and views of the transitions capability: what its service
//! takes and returns, and what its web crate builds pages and JSON from.

use renkei_domain::transitions::{
    AdmissionFeeTier, ConferenceStatus, ContactChannel, DischargeFeeTier, FeeRules, FormKind,
    FormStatus, InquiryStatus, ReportedVia, RouteCase, RuleBody, RuleScope, TaskInbox, TaskKind,
    TaskStatus,
};
use renkei_domain::{
    AdoptionId, ConferenceId, DischargeContactId, DocumentId, EntryId, HandoffFormId,
    HandoffTaskId, InquiryId, OrgId, PatientId, RegionId, RuleSetId, RuleVersionId, StayId, UserId,
};
use serde::{Deserialize, Serialize};

use crate::forms::{Content, Template};

/// One hospital stay as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stay {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: StayId,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub region_id: RegionId,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub patient_id: PatientId,
    pub patient_name: String,
    pub patient_kana: String,
    pub patient_birth_date: String,
    /// 全国地方公共団体コード of the patient's municipality.
    pub municipality_code: String,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub hospital_entry_id: EntryId,
    pub hospital_name: String,
    /// The organisation that receives handoffs in Renkei; none: the
    /// hospital works by FAX or phone.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub hospital_org_id: Option<OrgId>,
    pub ward: String,
    /// YYYY-MM-DDTHH:MM, Japan time.
    pub admitted_local: String,
    pub admitted_at: i64,
    /// Outside the office's business hours, or on a day it does not work.
    pub outside_hours: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub reported_via: ReportedVia,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub reported_by: UserId,
    pub learned_at: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub office_org_id: Option<OrgId>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub rule_version_id: Option<RuleVersionId>,
    /// 退院調整が必要: a screening criterion of the rule in force was met.
    pub needs_coordination: bool,
    /// The criteria met, in Japanese (JSON list).
    pub screening: String,
    /// The routing cases that applied (JSON list of codes).
    pub route_cases: String,
    pub terminal: bool,
    /// The stay this one re-admits within the rule's window.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub readmission_of: Option<StayId>,
    pub planned_discharge_on: Option<String>,
    /// When the hospital told the team the planned discharge date.
    pub discharge_told_at: Option<i64>,
    pub discharged_on: Option<String>,
    /// When the team asked the hospital for the discharge summary.
    pub summary_requested_at: Option<i64>,
    /// The day it came back (YYYY-MM-DD).
    pub summary_returned_on: Option<String>,
    /// What came back (the summary's kind, pages, where it is kept).
    pub summary_note: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// The patient's daily-life area (日常生活圏域) as the region's area
    /// adoptions name it; "" when none applies.
    pub area: String,
}

impl Stay {
    /// The criteria met, in Japanese.
    pub fn screening_labels(&self) -> Vec<String> {
        serde_json::from_str(&self.screening).unwrap_or_default()
    }

    /// The routing cases that applied.
    pub fn routes(&self) -> Vec<RouteCase> {
        serde_json::from_str::<Vec<String>>(&self.route_cases)
            .unwrap_or_default()
            .iter()
            .filter_map(|c| RouteCase::from_code(c))
            .collect()
    }

    /// The admission day, YYYY-MM-DD.
    pub fn admitted_on(&self) -> &str {
        self.admitted_local
            .get(..10)
            .unwrap_or(&self.admitted_local)
    }
}

/// A handoff form as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HandoffForm {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: HandoffFormId,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub stay_id: StayId,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: FormKind,
    pub template: String,
    /// National field key → value (JSON object).
    pub content: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub status: FormStatus,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub created_by: UserId,
    pub created_at: i64,
    pub updated_at: i64,
    pub sent_at: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub channel: Option<ContactChannel>,
    /// The day the information reached the hospital (YYYY-MM-DD, Japan time).
    pub informed_on: Option<String>,
    /// Who received it, logged by hand for FAX, phone or paper.
    pub received_by: String,
    pub opened_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
    /// What changed since admission, as the hospital noted when it
    /// returned the sheet (empty: not returned).
    pub hospital_note: String,
    pub hospital_note_at: Option<i64>,
}

impl HandoffForm {
    pub fn content(&self) -> Content {
        serde_json::from_str(&self.content).unwrap_or_default()
    }
}

/// One contact of a discharge's contact log.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DischargeContactRecord {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: DischargeContactId,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub stay_id: StayId,
    /// YYYY-MM-DD.
    pub contacted_on: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub channel: ContactChannel,
    /// 職種 of the informant, in words.
    pub informant_profession: String,
    pub informant_name: String,
    pub conference: bool,
    pub note: String,
    pub recorded_at: i64,
}

/// An admission as the person recording it enters it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdmissionInput {
    /// The hospital's directory entry.
    pub hospital_entry_id: i64,
    #[serde(default)]
    pub ward: String,
    /// YYYY-MM-DDTHH:MM, Japan time.
    pub admitted_at: String,
    /// Outside business hours; empty: worked out from the office's week.
    #[serde(default)]
    pub outside_hours: Option<bool>,
    /// care_manager, liaison, coordinator, family or team.
    pub reported_via: String,
    /// The patient's municipality (全国地方公共団体コード); empty: the
    /// region's only or first municipality.
    #[serde(default)]
    pub municipality_code: String,
    /// The patient's daily-life area (日常生活圏域), one the region has
    /// adopted a rule set for; empty: none (the municipality's or the
    /// region's rule applies).
    #[serde(default)]
    pub area: String,
    /// 終末期.
    #[serde(default)]
    pub terminal: bool,
}

/// A pre-discharge conference.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conference {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: ConferenceId,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub stay_id: StayId,
    /// YYYY-MM-DDTHH:MM, Japan time.
    pub scheduled_local: String,
    pub place: String,
    pub online: bool,
    /// One invitee per line.
    pub invited: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub status: ConferenceStatus,
    /// Who came, one per line.
    pub attended: String,
    /// [[item, confirmed], ...] as JSON.
    pub checklist: String,
    pub minutes: String,
    pub held_on: Option<String>,
    pub created_at: i64,
}

impl Conference {
    /// The checklist's items with whether each was confirmed.
    pub fn items(&self) -> Vec<(String, bool)> {
        serde_json::from_str(&self.checklist).unwrap_or_default()
    }
}

/// A conference as scheduled.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConferenceInput {
    /// YYYY-MM-DDTHH:MM, Japan time.
    pub scheduled_at: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub online: bool,
    /// One invitee per line (profession and name).
    #[serde(default)]
    pub invited: String,
}

/// What a held conference recorded.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConferenceRecord {
    pub conference_id: i64,
    /// YYYY-MM-DD.
    pub held_on: String,
    /// One attendee per line.
    #[serde(default)]
    pub attended: String,
    /// The checklist items confirmed (their text).
    #[serde(default)]
    pub confirmed: Vec<String>,
    #[serde(default)]
    pub minutes: String,
}

/// A contact as the care manager logs it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactInput {
    /// YYYY-MM-DD.
    pub contacted_on: String,
    /// renkei, fax, phone, visit, mail or online.
    pub channel: String,
    pub informant_profession: String,
    pub informant_name: String,
    #[serde(default)]
    pub conference: bool,
    #[serde(default)]
    pub note: String,
}

/// How an admission form reached a hospital that is not on Renkei.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryInput {
    /// fax, phone, visit, mail or online.
    pub channel: String,
    /// YYYY-MM-DD (Japan time).
    pub informed_on: String,
    /// Who at the hospital received it.
    #[serde(default)]
    pub received_by: String,
}

/// Who is looking at a stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Viewer {
    /// A professional of the patient's care team.
    Team,
    /// Staff of the hospital the patient was handed to.
    Hospital,
}

/// The rule version a stay is judged by.
#[derive(Debug, Clone, Serialize)]
pub struct RuleInForce {
    #[serde(skip)]
    pub rule_set_id: RuleSetId,
    pub name: String,
    pub publisher: String,
    #[serde(skip)]
    pub version_id: RuleVersionId,
    pub version: i64,
    pub effective_from: String,
    pub body: RuleBody,
}

/// A stay with everything its page needs.
#[derive(Debug, Clone, Serialize)]
pub struct StayView {
    pub stay: Stay,
    pub viewer: Viewer,
    pub admission_form: Option<HandoffForm>,
    pub discharge_form: Option<HandoffForm>,
    pub contacts: Vec<DischargeContactRecord>,
    pub conferences: Vec<Conference>,
    /// The discharge summary was asked for and has not come back within
    /// the rule's days after discharge.
    pub summary_overdue: bool,
    /// The last day of the follow-up after discharge (YYYY-MM-DD).
    pub follow_up_until: Option<String>,
    /// The tier the admission information earned (none until it is given).
    pub admission_tier: Option<AdmissionFeeTier>,
    /// The last day for (Ⅰ) and for (Ⅱ), YYYY-MM-DD.
    pub admission_deadlines: (String, String),
    /// Contacts and conferences as 退院・退所加算 counts them.
    pub counted_contacts: (usize, usize),
    pub discharge_tier: Option<DischargeFeeTier>,
    pub fee_rules: Option<FeeRules>,
    pub rule: Option<RuleInForce>,
    /// Whether the planned discharge was told at least the rule's days
    /// ahead (none until it is told).
    pub discharge_notice_on_time: Option<bool>,
    /// The work the stay made (連携タスク), for the team.
    pub tasks: Vec<HandoffTask>,
    /// The hospital's liaison window (地域連携室) as the directory keeps it.
    pub liaison_window: renkei_domain::directory::LiaisonWindow,
}

/// One line of a list of stays (the team's, the hospital's).
#[derive(Debug, Clone, Serialize)]
pub struct StayLine {
    pub stay: Stay,
    pub admission_status: Option<FormStatus>,
    pub admission_tier: Option<AdmissionFeeTier>,
}

/// A rule set with its versions and where it is adopted.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RuleSet {
    pub id: RuleSetId,
    pub region_id: RegionId,
    pub name: String,
    pub publisher: String,
    pub shared: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RuleVersion {
    pub id: RuleVersionId,
    pub rule_set_id: RuleSetId,
    pub version: i64,
    pub effective_from: String,
    pub body: String,
    pub note: String,
    pub created_at: i64,
}

impl RuleVersion {
    pub fn body(&self) -> RuleBody {
        serde_json::from_str(&self.body).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Adoption {
    pub id: AdoptionId,
    pub region_id: RegionId,
    pub scope: RuleScope,
    pub scope_code: String,
    pub rule_set_id: RuleSetId,
    pub adopted_from: String,
    pub adopted_at: i64,
}

/// The rules page: the region's rule sets, those other regions share, and
/// the region's adoptions.
#[derive(Debug, Clone, Serialize)]
pub struct RulesView {
    pub own: Vec<(RuleSet, Vec<RuleVersion>)>,
    pub shared_by_others: Vec<RuleSet>,
    pub adoptions: Vec<Adoption>,
    pub may_edit: bool,
}

/// A form to show or print: its template, its content, and its stay.
#[derive(Debug, Clone)]
pub struct FormView {
    pub stay: Stay,
    pub viewer: Viewer,
    pub form: HandoffForm,
    pub template: Template,
    pub content: Content,
}

/// What happened at one admission, for the compliance report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Timeliness {
    One,
    Two,
    Late,
    /// Not given, and the (Ⅱ) deadline has passed.
    Missing,
    /// Not given yet, still within the (Ⅱ) deadline.
    Pending,
}

/// One row of the month's report: one hospital or one office.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplianceRow {
    pub name: String,
    pub admissions: usize,
    pub informed_one: usize,
    pub informed_two: usize,
    pub informed_late: usize,
    pub informed_missing: usize,
    pub informed_pending: usize,
    pub needs_coordination: usize,
    /// Of those flagged, how many got any discharge contact.
    pub coordinated: usize,
    pub discharges: usize,
    /// Discharges told at least the rule's days ahead.
    pub discharge_notice_on_time: usize,
    pub contacts: usize,
    pub conferences: usize,
    pub readmissions: usize,
    /// Discharge summaries asked for, returned, and overdue.
    pub summaries_requested: usize,
    pub summaries_returned: usize,
    pub summaries_overdue: usize,
}

/// A handoff that fell through (退院調整漏れ), with the reason.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MissedHandoff {
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub stay_id: StayId,
    pub admitted_on: String,
    pub hospital: String,
    pub office: String,
    pub reason_ja: String,
    pub reason_en: String,
}

/// The compliance report of one month (the rule-review meeting's).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplianceReport {
    /// YYYY-MM.
    pub month: String,
    pub total: ComplianceRow,
    pub by_hospital: Vec<ComplianceRow>,
    pub by_office: Vec<ComplianceRow>,
    pub missed: Vec<MissedHandoff>,
}

/// A request to the municipality to name an admitted person's care
/// manager (担当ケアマネ照会).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Inquiry {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: InquiryId,
    pub municipality_code: String,
    pub hospital_name: String,
    pub person_name: String,
    pub person_kana: String,
    pub birth_date: String,
    pub insured_number: String,
    pub address: String,
    pub admitted_on: String,
    pub note: String,
    /// When the answer is due (the rule's days for this case).
    pub due_at: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub status: InquiryStatus,
    /// The care-management office and care manager, as the municipality
    /// answered (empty: none on record).
    pub answer_office: String,
    pub answer_care_manager: String,
    pub answer_note: String,
    pub answered_at: Option<i64>,
    pub created_at: i64,
}

/// A request as the hospital (or the coordinator) writes it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InquiryInput {
    /// The person's municipality (全国地方公共団体コード).
    pub municipality_code: String,
    pub hospital_name: String,
    pub person_name: String,
    #[serde(default)]
    pub person_kana: String,
    pub birth_date: String,
    /// 被保険者番号, when known.
    #[serde(default)]
    pub insured_number: String,
    #[serde(default)]
    pub address: String,
    /// YYYY-MM-DD.
    pub admitted_on: String,
    #[serde(default)]
    pub note: String,
}

/// The municipality's answer.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InquiryAnswer {
    pub inquiry_id: i64,
    /// Empty when the person has no care manager on record (then the
    /// note says what to do: apply for care insurance, the 地域包括支援センター).
    #[serde(default)]
    pub office: String,
    #[serde(default)]
    pub care_manager: String,
    #[serde(default)]
    pub note: String,
}

/// A document a hospital sent (a FHIR document Bundle), attached to a
/// patient after its structure was checked.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Document {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: DocumentId,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub patient_id: PatientId,
    pub title: String,
    /// The Composition's type (LOINC).
    pub type_code: String,
    pub type_display: String,
    pub doc_date: String,
    /// Its authors, one per line.
    pub authors: String,
    /// [[title, text], ...] as JSON.
    pub sections: String,
    pub imported_at: i64,
}

impl Document {
    /// Each section's title and plain text.
    pub fn sections(&self) -> Vec<(String, String)> {
        serde_json::from_str(&self.sections).unwrap_or_default()
    }
}

/// A piece of work a handoff created (連携タスク), with the stay it is
/// for: a routing case in the support centre's, the hub's or the team's
/// inbox, or the team's follow-up after discharge.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HandoffTask {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: HandoffTaskId,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub stay_id: StayId,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub patient_id: PatientId,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: TaskKind,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub inbox: TaskInbox,
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub region_id: RegionId,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub org_id: Option<OrgId>,
    /// Who the rule names, in its words.
    pub recipient: String,
    /// The rule's steps, a JSON array (see [`HandoffTask::steps`]).
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub steps_json: String,
    /// YYYY-MM-DD.
    pub due_on: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub status: TaskStatus,
    /// What was done, as the person who closed it wrote.
    pub outcome: String,
    /// The directory entry chosen (a care-management office, a doctor).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub chosen_entry_id: Option<EntryId>,
    pub done_at: Option<i64>,
    pub created_at: i64,
    pub patient_name: String,
    pub patient_kana: String,
    pub patient_birth_date: String,
    pub municipality_code: String,
    pub hospital_name: String,
    pub admitted_local: String,
    pub planned_discharge_on: Option<String>,
    pub discharged_on: Option<String>,
}

impl HandoffTask {
    /// The rule's steps, one per line as the rulebook prints them.
    pub fn steps(&self) -> Vec<String> {
        serde_json::from_str(&self.steps_json).unwrap_or_default()
    }

    /// Whether it is open past its due day.
    pub fn overdue(&self, today: &str) -> bool {
        self.status == TaskStatus::Open && self.due_on.as_str() < today
    }
}

/// What the person closing a task tells.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskDoneInput {
    /// What was done (required).
    pub outcome: String,
    /// The directory entry chosen, when the task chose one (a
    /// care-management office for a person without a care manager).
    #[serde(default)]
    pub chosen_entry_id: Option<i64>,
}

/// One task's page: the task, and what helps to act on it.
#[derive(Debug, Clone, Serialize)]
pub struct TaskView {
    pub task: HandoffTask,
    /// Whether the user may close it.
    pub may_close: bool,
    /// What the task chooses from, in the patient's municipality, accepting
    /// ones first (id, name, phone, acceptance code): care-management
    /// offices for a person without a care manager, home-care clinics for
    /// one without a home doctor.
    pub offices: Vec<(EntryId, String, String, String)>,
    /// For widening the team: the roles the team lacks.
    pub missing_roles: Vec<String>,
    /// The chosen entry's name.
    pub chosen_name: String,
}
