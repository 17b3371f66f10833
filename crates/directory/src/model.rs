//! The directory's public vocabulary: the records and views its service
//! takes and returns. Pages, the API, FHIR, the CLI and other capabilities
//! use these; the store behind them is private to the crate.

use renkei_domain::directory::ChangeRequestStatus;
use renkei_domain::Timestamp;
pub use renkei_domain::{ChangeRequestId, EntryId, OrgId};

pub use crate::search::Entry;

/// The source of entries kept by the region itself (not imported).
pub const LOCAL_SOURCE: &str = "local";

/// What an entry's maintainers may change (never written by imports).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct LocalFields {
    pub area: String,
    pub functions: Vec<String>,
    pub procedures: Vec<String>,
    pub contact_windows: Vec<renkei_domain::directory::ContactWindow>,
    pub contact_person: String,
    pub features: String,
    pub languages: String,
    pub local_notes: String,
    pub public_fields: Vec<String>,
    pub publish_consent: bool,
    /// How many professionals the office has (for a care-management
    /// office, its 介護支援専門員), as it tells. (Change requests stored
    /// before these fields existed read as "not told".)
    #[serde(default)]
    pub staff_count: Option<i64>,
    /// Qualifications its staff hold (`STAFF_QUALIFICATIONS` codes).
    #[serde(default)]
    pub staff_qualifications: Vec<String>,
    /// A hospital's liaison window (地域連携室), a contact of its own.
    #[serde(default)]
    pub liaison_window: renkei_domain::directory::LiaisonWindow,
}

impl LocalFields {
    /// The names of the fields that differ.
    pub fn changed_fields(&self, new: &LocalFields) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut check = |name: &'static str, differs: bool| {
            if differs {
                out.push(name);
            }
        };
        check("area", self.area != new.area);
        check("functions", self.functions != new.functions);
        check("procedures", self.procedures != new.procedures);
        check(
            "contact_windows",
            self.contact_windows != new.contact_windows,
        );
        check("contact_person", self.contact_person != new.contact_person);
        check("features", self.features != new.features);
        check("languages", self.languages != new.languages);
        check("local_notes", self.local_notes != new.local_notes);
        check("public_fields", self.public_fields != new.public_fields);
        check(
            "publish_consent",
            self.publish_consent != new.publish_consent,
        );
        check("staff_count", self.staff_count != new.staff_count);
        check(
            "staff_qualifications",
            self.staff_qualifications != new.staff_qualifications,
        );
        check("liaison_window", self.liaison_window != new.liaison_window);
        out
    }
}

/// An entry's bookkeeping: where it came from and who looks after it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryMeta {
    pub id: EntryId,
    pub source: String,
    pub official_code: String,
    pub org_id: Option<OrgId>,
    pub municipality_code: String,
    pub municipality_name: String,
    pub departments: String,
    pub remarks: String,
    pub corporate_name: String,
    pub capacity: Option<i64>,
    pub confirmed_at: Option<i64>,
    pub confirmed_by_name: Option<String>,
    pub org_name: Option<String>,
    pub disappeared_at: Option<i64>,
    /// The entry this one was merged into (one facility, one entry): its
    /// page leads there.
    pub merged_into: Option<EntryId>,
    /// 診療日・診療時間 in full as stored (JSON; see [`EntryMeta::schedule`]):
    /// the index keeps only its compact week.
    pub schedule_json: String,
}

impl EntryMeta {
    /// The entry's consultation hours in full.
    pub fn schedule(&self) -> renkei_domain::directory::Schedule {
        renkei_domain::directory::Schedule::from_json(&self.schedule_json)
    }
}

/// A change waiting for (or past) the coordinator's review.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChangeRequest {
    pub id: ChangeRequestId,
    pub entry_id: EntryId,
    pub entry_name: String,
    pub requested_by_name: String,
    pub requested_at: i64,
    pub changes: String,
    pub status: ChangeRequestStatus,
}

/// Freshness of one municipality: how many current entries there are and
/// how many were confirmed since `since`.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct MunicipalityFreshness {
    pub code: String,
    pub name: String,
    pub entries: i64,
    pub confirmed: i64,
}

impl MunicipalityFreshness {
    /// Share of entries confirmed in time, 0–1 (1 when there are none).
    pub fn share(&self) -> f64 {
        if self.entries == 0 {
            1.0
        } else {
            self.confirmed as f64 / self.entries as f64
        }
    }
}

/// An entry whose confirmation is overdue.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Overdue {
    pub id: EntryId,
    pub name: String,
    pub municipality_name: String,
    pub org_id: Option<OrgId>,
    pub org_name: Option<String>,
    pub confirmed_at: Option<i64>,
    pub last_reminder_at: Option<i64>,
}

/// A locally kept entry (life-support service, consultation desk, or a
/// resource the open data does not list).
#[derive(Debug, Clone, Default)]
pub struct NewLocalEntry {
    pub kind: String,
    pub name: String,
    pub kana: String,
    pub municipality_code: String,
    pub municipality_name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub phone: String,
    pub url: String,
    pub hours: String,
    /// 診療科目 names (";"-separated) and codes (","-separated).
    pub departments: String,
    pub speciality_codes: String,
    /// Structured hours for "open now"; `hours` is what people read.
    pub schedule: renkei_domain::directory::Schedule,
    pub services: Vec<String>,
    pub org_id: Option<OrgId>,
    /// A resource in another municipality that the region's residents use
    /// (the next town's day service): allowed outside the region, and
    /// listed by it.
    pub outside_region: bool,
}

/// What an export needs beyond the index's view of an entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportMeta {
    pub source: String,
    pub official_code: String,
    pub prefecture_code: String,
    pub municipality_name: String,
    pub corporate_number: String,
    pub corporate_name: String,
    pub departments: String,
    pub capacity: Option<i64>,
    pub remarks: String,
    pub contact_person: String,
}

/// An entry's acceptance of new patients (受入状況) as its maintainer sets it.
#[derive(Debug, Clone, Copy)]
pub struct Acceptance<'a> {
    /// One of [`crate::search::ACCEPTANCE`].
    pub status: &'a str,
    pub note: &'a str,
    /// Free beds, for those who have beds; `Some(-1)` for an unreadable number.
    pub vacant_beds: Option<i64>,
}

/// Where an entry stands to the viewer's region (圏域).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionPlace {
    /// In one of the region's municipalities.
    Inside,
    /// Outside, listed by the region as a resource its residents use.
    OutsideListed,
    /// Outside, not listed.
    Outside,
}

/// A region's own municipalities and the outside entries it lists.
#[derive(Debug, Clone, Default)]
pub struct RegionResources {
    pub municipalities: Vec<String>,
    pub listed: Vec<EntryId>,
}

impl RegionResources {
    pub fn place_of(&self, id: EntryId, municipality_code: &str) -> RegionPlace {
        if self.municipalities.iter().any(|m| m == municipality_code) {
            RegionPlace::Inside
        } else if self.listed.contains(&id) {
            RegionPlace::OutsideListed
        } else {
            RegionPlace::Outside
        }
    }
}

/// One entry as its page shows it.
pub struct EntryView {
    pub entry: Entry,
    pub meta: EntryMeta,
    pub local: LocalFields,
    pub pending: Vec<ChangeRequest>,
    pub may_edit: bool,
    pub may_curate: bool,
    /// May review, correct and confirm it: a curator, or a steward of its
    /// kind (an association for its members' entries).
    pub may_review: bool,
    pub overdue: bool,
    /// Where it stands to the viewer's region (`None` for a viewer of
    /// every region).
    pub place: Option<RegionPlace>,
    /// Entries merged into this one (one facility, one entry): id,
    /// source and official code.
    pub merged: Vec<(EntryId, String, String)>,
}

/// How a confirmation sheet (確認票) came back to the support centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetReturn {
    Fax,
    Mail,
    InPerson,
    /// Read out on the phone (consent recorded by phone, as one city does).
    Phone,
}

impl SheetReturn {
    pub const ALL: [SheetReturn; 4] = [
        SheetReturn::Fax,
        SheetReturn::Mail,
        SheetReturn::InPerson,
        SheetReturn::Phone,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SheetReturn::Fax => "fax",
            SheetReturn::Mail => "mail",
            SheetReturn::InPerson => "in_person",
            SheetReturn::Phone => "phone",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    /// (Japanese, English) label.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            SheetReturn::Fax => ("FAX", "FAX"),
            SheetReturn::Mail => ("郵送", "Mail"),
            SheetReturn::InPerson => ("訪問・持参", "In person"),
            SheetReturn::Phone => ("電話で聞き取り", "By phone"),
        }
    }
}

/// What an edit did.
#[derive(Debug, PartialEq, Eq)]
pub enum EditOutcome {
    Applied,
    /// The change touches public fields and waits for the coordinator.
    AwaitingReview(ChangeRequestId),
    Unchanged,
}

/// The result of sending reminders.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReminderRun {
    pub sent: usize,
    pub entries: usize,
    pub without_address: usize,
    pub recently_reminded: usize,
    pub failed: usize,
    /// False when mail only went to the capturing sink (demo).
    pub delivered: bool,
}

/// The coordinator's view of freshness.
pub struct Freshness {
    pub by_municipality: Vec<MunicipalityFreshness>,
    pub overdue: Vec<Overdue>,
    pub since: Timestamp,
    /// Entries whose 受入状況 is older than their kind allows
    /// (`ACCEPTANCE_FRESH_DAYS`: a hospital's beds after 1 day, a
    /// visiting-nursing station's room after 7), oldest first.
    pub stale_acceptance: Vec<AcceptanceStatus>,
}

/// An entry's acceptance status and when it was set.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AcceptanceStatus {
    pub id: EntryId,
    pub name: String,
    pub kind: String,
    pub municipality_name: String,
    pub org_name: Option<String>,
    pub acceptance: String,
    pub acceptance_as_of: i64,
}
