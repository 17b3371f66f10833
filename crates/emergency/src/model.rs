//! Emergency's public vocabulary: the record (緊急時情報) as stored, as
//! typed, and as shown, the card's links and their openings.

use renkei_domain::emergency::{
    Certification, DeathPlace, Device, EquipmentKind, Freshness, SafetyStatus, WishMet,
};
use renkei_domain::{
    AcpTemplateId, AcpVersionId, ApplicationId, DeathRecordId, DisasterId, EmergencyLinkId,
    EmergencyRecordId, EquipmentId, PatientId, RegionId, StayId, TransportId, UserId,
};
use serde::{Deserialize, Serialize};

/// One resident's emergency information, as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmergencyRecord {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: EmergencyRecordId,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub region_id: RegionId,
    /// The care patient, when the resident has a care team.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub patient_id: Option<PatientId>,
    pub name: String,
    pub kana: String,
    /// YYYY-MM-DD.
    pub birth_date: String,
    pub address: String,
    /// 全国地方公共団体コード.
    pub municipality_code: String,
    /// 地区: the area within the municipality the disaster list is cut by
    /// (日常生活圏域, 町名, 自治会 — as the town calls them).
    pub area: String,
    pub phone: String,
    /// かかりつけ医: clinic, doctor, phone.
    pub family_doctor: String,
    pub diseases: String,
    pub medicines: String,
    pub allergies: String,
    /// 緊急連絡先, one a line.
    pub contacts: String,
    /// 保険 (medical and care insurance numbers as the card shows them).
    pub insurance: String,
    /// Device codes, comma-separated (see [`EmergencyRecord::devices`]).
    pub devices: String,
    /// Where the home file (キット) is kept: 冷蔵庫, 玄関 …
    pub home_file: String,
    /// Wishes about treatment and place of care (ACP summary).
    pub wishes: String,
    pub lives_alone: bool,
    /// Consent to be on the region's disaster list (災害時の名簿への提供に
    /// 同意): the support centre, the municipality and the fire service
    /// see the resident there only with it.
    pub disaster_share: bool,
    /// Who keeps it verified.
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub responsible_user_id: UserId,
    pub verified_at: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub verified_by: Option<UserId>,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub created_by: UserId,
    pub created_at: i64,
    pub updated_at: i64,
}

impl EmergencyRecord {
    /// The devices in use (unknown stored codes are left out).
    pub fn devices(&self) -> Vec<Device> {
        self.devices
            .split(',')
            .filter_map(|c| Device::from_code(c.trim()))
            .collect()
    }
}

/// A record as typed (the form, the API). `patient_id` links it to a care
/// patient (the team keeps it); without one it is a resident the support
/// centre's desk keeps.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordInput {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub patient_id: Option<PatientId>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kana: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub municipality_code: String,
    /// 地区 (see [`EmergencyRecord::area`]).
    #[serde(default)]
    pub area: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub family_doctor: String,
    #[serde(default)]
    pub diseases: String,
    #[serde(default)]
    pub medicines: String,
    #[serde(default)]
    pub allergies: String,
    #[serde(default)]
    pub contacts: String,
    #[serde(default)]
    pub insurance: String,
    /// Device codes.
    #[serde(default)]
    pub devices: Vec<String>,
    #[serde(default)]
    pub home_file: String,
    #[serde(default)]
    pub wishes: String,
    #[serde(default)]
    pub lives_alone: bool,
    /// See [`EmergencyRecord::disaster_share`].
    #[serde(default)]
    pub disaster_share: bool,
}

impl From<&EmergencyRecord> for RecordInput {
    /// A stored record as the form edits it.
    fn from(r: &EmergencyRecord) -> Self {
        RecordInput {
            patient_id: r.patient_id,
            name: r.name.clone(),
            kana: r.kana.clone(),
            birth_date: r.birth_date.clone(),
            address: r.address.clone(),
            municipality_code: r.municipality_code.clone(),
            area: r.area.clone(),
            phone: r.phone.clone(),
            family_doctor: r.family_doctor.clone(),
            diseases: r.diseases.clone(),
            medicines: r.medicines.clone(),
            allergies: r.allergies.clone(),
            contacts: r.contacts.clone(),
            insurance: r.insurance.clone(),
            devices: r.devices().iter().map(|d| d.code().to_string()).collect(),
            home_file: r.home_file.clone(),
            wishes: r.wishes.clone(),
            lives_alone: r.lives_alone,
            disaster_share: r.disaster_share,
        }
    }
}

/// A card's link as the record page lists it (never the token).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardLink {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: EmergencyLinkId,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub record_id: EmergencyRecordId,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// One opening of a card's link.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Opening {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub link_id: EmergencyLinkId,
    pub opened_at: i64,
    pub source_addr: String,
}

/// A record with what its page shows.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordView {
    pub record: EmergencyRecord,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub freshness: Freshness,
    /// The region's interval between verifications (months).
    pub verify_months: u8,
    pub responsible_name: String,
    pub verified_by_name: String,
    pub links: Vec<CardLink>,
    /// The latest openings of its links, newest first.
    pub openings: Vec<Opening>,
    /// Where ambulances took the resident, newest first.
    pub transports: Vec<Transport>,
    /// The newest ACP version (人生会議), if any.
    pub acp: Option<AcpVersion>,
    /// The death, once recorded.
    pub death: Option<DeathRecord>,
    /// Whether the user may edit, verify and manage links.
    pub may_write: bool,
}

/// A line of the records list.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordLine {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: EmergencyRecordId,
    pub name: String,
    pub municipality_code: String,
    pub verified_at: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub freshness: Freshness,
    /// Devices in Japanese, joined.
    pub devices: String,
}

/// A new card link: the token is shown once, then only its hash is kept.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub id: EmergencyLinkId,
    pub token: String,
    /// The name the card is printed with.
    pub name: String,
    /// For the A4 sheet a hospital receives at admission: the care team's
    /// active professionals (role, name, organisation), and for a resident
    /// without a team the desk keeping the record.
    pub team: Vec<(String, String, String)>,
    /// Where the home file is kept (printed on the fridge card).
    pub home_file: String,
}

/// What the card's link shows EMS: the medical sheet only, with when and
/// by whom it was last verified (no ids, no non-medical notes).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmergencySheet {
    pub name: String,
    pub kana: String,
    pub birth_date: String,
    /// Age on the day it is opened.
    pub age: Option<i32>,
    pub address: String,
    pub phone: String,
    pub family_doctor: String,
    pub diseases: String,
    pub medicines: String,
    pub allergies: String,
    pub contacts: String,
    pub insurance: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub devices: Vec<Device>,
    pub home_file: String,
    pub wishes: String,
    /// The newest ACP version's medical sections (title, answer), never
    /// the non-medical ones, and the day it was discussed.
    pub acp: Vec<(String, String)>,
    pub acp_on: String,
    pub lives_alone: bool,
    /// YYYY-MM-DD of the last verification; "" never.
    pub verified_on: String,
    pub verified_by_name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub freshness: Freshness,
}

/// One municipality's line of the freshness dashboard (鮮度): counts only.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FreshnessLine {
    pub municipality_code: String,
    pub municipality_name: String,
    pub registered: usize,
    /// Verified and nothing has happened since.
    pub current: usize,
    /// Due for verification, for any reason.
    pub due: usize,
    /// Of the due, how many for each reason (a record may have several):
    /// (reason code, label, count), in the vocabulary's order.
    pub reasons: Vec<(String, String, usize)>,
    /// With a powered device (for the disaster list later).
    pub with_devices: usize,
    pub living_alone: usize,
}

// ------------------------------------------------------------ transport

/// An ambulance crew's transport report (救急搬送の報告) as typed on the
/// card's page.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransportInput {
    /// The destination hospital's directory entry.
    #[serde(default)]
    pub hospital_entry_id: i64,
    /// YYYY-MM-DDTHH:MM, Japan time.
    #[serde(default)]
    pub transported_at: String,
    /// A short reason (主訴・状況).
    #[serde(default)]
    pub reason: String,
}

/// A recorded transport, as the record's page lists it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transport {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: TransportId,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub record_id: EmergencyRecordId,
    pub hospital_entry_id: i64,
    pub hospital_name: String,
    /// YYYY-MM-DDTHH:MM, Japan time.
    pub transported_local: String,
    pub reason: String,
    /// The stay transitions opened for a team's patient.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub stay_id: Option<StayId>,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub reported_by: UserId,
    pub created_at: i64,
}

// ------------------------------------------------------------ disaster list

/// A disaster a region confirms its residents' safety for (災害).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Disaster {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: DisasterId,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub region_id: RegionId,
    pub name: String,
    pub started_at: i64,
    pub closed_at: Option<i64>,
}

/// Which part of the region a disaster list covers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
pub struct DisasterScope {
    /// 全国地方公共団体コード; empty: every municipality of the region.
    #[serde(default)]
    pub municipality: String,
    /// 地区; empty: every area.
    #[serde(default)]
    pub area: String,
}

/// One resident on the disaster list (災害時の名簿): who, where, what
/// they depend on, whom to call, and whether they have been reached.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisasterLine {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub record_id: EmergencyRecordId,
    pub name: String,
    pub kana: String,
    pub birth_date: String,
    pub address: String,
    pub municipality_code: String,
    pub area: String,
    pub phone: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub devices: Vec<Device>,
    pub lives_alone: bool,
    /// The family doctor and the emergency contacts, as the record has them.
    pub family_doctor: String,
    pub contacts: String,
    /// Who keeps the record (the team's professional or the desk).
    pub keeper_name: String,
    /// The latest safety confirmation in the open disaster.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub status: SafetyStatus,
    pub status_note: String,
    pub status_at: Option<i64>,
    pub status_by_name: String,
    /// Whether the viewer may update the status (the desk, the team).
    pub may_update: bool,
}

/// The disaster list of a scope, with the open disaster and the counts.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisasterList {
    pub scope: DisasterScope,
    pub disaster: Option<Disaster>,
    pub lines: Vec<DisasterLine>,
    /// (status code, label, count), in the vocabulary's order.
    pub counts: Vec<(String, String, usize)>,
    pub equipment: Vec<Equipment>,
    /// Whether the viewer sees the whole region (the desk, the
    /// municipality) rather than their own team's residents.
    pub whole_region: bool,
}

/// A safety confirmation as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SafetyInput {
    /// A SafetyStatus code.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub note: String,
}

/// A piece of disaster equipment (災害時の備品) and where it is.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Equipment {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: EquipmentId,
    pub municipality_code: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: EquipmentKind,
    pub label: String,
    pub place: String,
    pub quantity: i64,
    pub contact: String,
    pub updated_at: i64,
}

/// Equipment as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EquipmentInput {
    #[serde(default)]
    pub municipality_code: String,
    /// An EquipmentKind code.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub quantity: i64,
    #[serde(default)]
    pub contact: String,
}

/// What the disaster list is read for: each is audited under its own
/// action, and only those who run the list print or export it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisasterUse {
    Screen,
    Print,
    Export,
}

impl DisasterUse {
    pub fn audit_action(self) -> &'static str {
        match self {
            DisasterUse::Screen => "emergency.disaster_list",
            DisasterUse::Print => "emergency.disaster_print",
            DisasterUse::Export => "emergency.disaster_export",
        }
    }
}

// ------------------------------------------------------------ ACP (人生会議)

/// One section of a region's ACP notebook (わたしの想い, エンディングノート):
/// what it asks, the choices it offers (none: free text only), and
/// whether its answer belongs on the ambulance crew's sheet. Non-medical
/// sections (guardianship, money, funeral) never do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AcpSectionDef {
    /// Stable within a template: `s1`, `s2` …
    pub key: String,
    pub title: String,
    #[serde(default)]
    pub hint: String,
    #[serde(default)]
    pub choices: Vec<String>,
    /// Shown on the emergency sheet (medical wishes only).
    #[serde(default)]
    pub ems: bool,
}

/// A region's ACP template as in force (`id` none: Renkei's built-in one,
/// until the region saves its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AcpTemplate {
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub id: Option<AcpTemplateId>,
    pub name: String,
    pub sections: Vec<AcpSectionDef>,
}

/// A template as typed: sections in order (a blank title drops one).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AcpTemplateInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub sections: Vec<AcpSectionDef>,
}

/// One answer of an ACP version: a snapshot of its section (title, and
/// whether EMS sees it) with the choice and the words written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AcpAnswer {
    pub key: String,
    pub title: String,
    pub ems: bool,
    #[serde(default)]
    pub choice: String,
    #[serde(default)]
    pub text: String,
}

/// One version of a resident's ACP record, as kept (every one stays).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AcpVersion {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: AcpVersionId,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub record_id: EmergencyRecordId,
    pub version: i64,
    pub template_name: String,
    pub answers: Vec<AcpAnswer>,
    pub participants: String,
    /// YYYY-MM-DD.
    pub discussed_on: String,
    pub written_by_name: String,
    pub written_at: i64,
}

impl AcpAnswer {
    /// The answer in one line: the choice, the words, or both
    /// (`自宅（畑の見える部屋で）`).
    pub fn display(&self) -> String {
        match (self.choice.is_empty(), self.text.is_empty()) {
            (false, false) => format!("{}（{}）", self.choice, self.text),
            (false, true) => self.choice.clone(),
            _ => self.text.clone(),
        }
    }
}

impl AcpVersion {
    /// What the crew's sheet shows: the answered sections marked for EMS.
    pub fn ems_summary(&self) -> Vec<&AcpAnswer> {
        self.answers
            .iter()
            .filter(|a| a.ems && !(a.choice.is_empty() && a.text.is_empty()))
            .collect()
    }
}

/// A new ACP version as typed: the day, who took part, and an answer per
/// section key of the template in force.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AcpInput {
    /// The template the answers were typed against (0: the built-in one);
    /// when the region's template changed meanwhile, the answers are
    /// refused rather than filed under other sections. Omitted: the one
    /// in force.
    #[serde(default)]
    pub template_id: Option<i64>,
    #[serde(default)]
    pub discussed_on: String,
    #[serde(default)]
    pub participants: String,
    /// (key, choice, text) per section.
    #[serde(default)]
    pub answers: Vec<AcpAnswerInput>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AcpAnswerInput {
    pub key: String,
    #[serde(default)]
    pub choice: String,
    #[serde(default)]
    pub text: String,
}

/// A resident's ACP: the template in force and every version, newest
/// first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AcpView {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub record_id: EmergencyRecordId,
    pub name: String,
    pub template: AcpTemplate,
    pub versions: Vec<AcpVersion>,
    pub may_write: bool,
}

// ------------------------------------------------------------ end of life

/// A death as recorded (看取りの記録): where (人口動態統計's places), how
/// it was certified, whether EMS was called, whether the wish was met.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeathRecord {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: DeathRecordId,
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub record_id: EmergencyRecordId,
    pub municipality_code: String,
    /// YYYY-MM-DD.
    pub died_on: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub place: DeathPlace,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub certified_by: Certification,
    pub attending_doctor: String,
    pub ems_called: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub wish_met: WishMet,
    pub note: String,
    pub recorded_at: i64,
}

/// A death as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeathInput {
    #[serde(default)]
    pub died_on: String,
    /// A DeathPlace code.
    #[serde(default)]
    pub place: String,
    /// A Certification code.
    #[serde(default)]
    pub certified_by: String,
    #[serde(default)]
    pub attending_doctor: String,
    #[serde(default)]
    pub ems_called: bool,
    /// A WishMet code.
    #[serde(default)]
    pub wish_met: String,
    #[serde(default)]
    pub note: String,
}

/// End-of-life counts of a municipality and fiscal year, for the
/// program's indicators: home deaths (在宅死亡) and deaths at home
/// certified by a doctor who cared for the patient (在宅看取り) apart, and
/// how often the wish about the place was met.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeathCounts {
    pub municipality_code: String,
    pub municipality_name: String,
    pub deaths: usize,
    /// At home or in a nursing home, however certified.
    pub home_deaths: usize,
    /// Of the home deaths, certified by the attending or a substitute doctor.
    pub home_certified: usize,
    /// Of the home deaths, examined by the police (検案).
    pub home_police: usize,
    /// (place code, label, count), in the vocabulary's order.
    pub by_place: Vec<(String, String, usize)>,
    pub ems_called: usize,
    pub wish_met: usize,
    pub wish_not_met: usize,
    pub no_wish: usize,
}

// ------------------------------------------------------------ EMS search

/// An EMS user's search for a person without the card (救急隊による検索,
/// break-glass): the name and birth date the crew has, a reason and why.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmsSearchInput {
    /// 氏名 or ふりがな, as the crew heard it.
    #[serde(default)]
    pub name: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub birth_date: String,
    /// Part of the address, when several people share name and birth date.
    #[serde(default)]
    pub address: String,
    /// A care::BreakGlassReason code.
    #[serde(default)]
    pub reason: String,
    /// Why, in words (at least 10 characters).
    #[serde(default)]
    pub explanation: String,
}

/// A resident's own application (住民からの申し込み) as the desk sees it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Application {
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub id: ApplicationId,
    pub input: RecordInput,
    pub submitted_at: i64,
}
