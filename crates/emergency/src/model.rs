//! Emergency's public vocabulary: the record (緊急時情報) as stored, as
//! typed, and as shown, the card's links and their openings.

use renkei_domain::emergency::{Device, Freshness};
use renkei_domain::{EmergencyLinkId, EmergencyRecordId, PatientId, RegionId, UserId};
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
}

/// What the card's link shows EMS: the medical sheet only, with when and
/// by whom it was last verified (no ids, no non-medical notes).
#[derive(Debug, Clone, Serialize)]
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
    pub devices: Vec<Device>,
    pub home_file: String,
    pub wishes: String,
    pub lives_alone: bool,
    /// YYYY-MM-DD of the last verification; "" never.
    pub verified_on: String,
    pub verified_by_name: String,
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
