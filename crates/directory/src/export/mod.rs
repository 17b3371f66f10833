//! Exports of the directory (`renkei export directory --format csv|xlsx|booklet`):
//! the municipal standard CSV, an xlsx workbook, and the printed
//! 医療・介護資源ガイドブック that towns still hand to residents and wards.
//!
//! Every export comes in two editions. The public one holds only entries
//! with consent to publish and, of those, only their public fields; the
//! professional one holds everything, contact windows and acceptance too.

pub mod booklet;
pub mod csv_standard;
pub mod xlsx;

use renkei_domain::directory::{service_name, HOME_CARE_FUNCTIONS};
use renkei_store::{Db, StoreError};

use crate::model::ExportMeta;
use crate::search::Entry;
use crate::store;

/// Who the export is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edition {
    Public,
    Professional,
}

impl Edition {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Edition::Public),
            "professional" => Some(Edition::Professional),
            _ => None,
        }
    }
}

/// One entry as exports see it: fields the edition may not show are blank.
#[derive(Debug, Clone)]
pub struct ExportEntry {
    pub entry: Entry,
    pub meta: ExportMeta,
}

impl ExportEntry {
    /// A field's text if the edition may show it.
    pub fn field<'a>(&'a self, edition: Edition, name: &str, value: &'a str) -> &'a str {
        if edition == Edition::Professional || self.entry.is_public(name) {
            value
        } else {
            ""
        }
    }

    pub fn services_text(&self) -> String {
        self.entry
            .services
            .iter()
            .map(|s| service_name(s).unwrap_or(s))
            .collect::<Vec<_>>()
            .join(";")
    }

    pub fn functions_text(&self, edition: Edition) -> String {
        if edition == Edition::Public && !self.entry.is_public("functions") {
            return String::new();
        }
        self.entry
            .functions
            .iter()
            .filter_map(|f| HOME_CARE_FUNCTIONS.iter().find(|(c, _, _)| c == f))
            .map(|(_, ja, _)| *ja)
            .collect::<Vec<_>>()
            .join("・")
    }

    pub fn procedures_text(&self, edition: Edition, names: &[(String, String)]) -> String {
        if edition == Edition::Public && !self.entry.is_public("procedures") {
            return String::new();
        }
        self.entry
            .procedures
            .iter()
            .map(|p| {
                names
                    .iter()
                    .find(|(c, _)| c == p)
                    .map(|(_, n)| n.as_str())
                    .unwrap_or(p)
            })
            .collect::<Vec<_>>()
            .join("・")
    }

    /// Contact windows as lines (professional edition only).
    pub fn windows_text(&self, edition: Edition) -> Vec<String> {
        if edition == Edition::Public {
            return Vec::new();
        }
        self.entry
            .contact_windows
            .iter()
            .map(|w| w.describe("ja"))
            .collect()
    }

    pub fn acceptance_text(&self, edition: Edition) -> &'static str {
        if edition == Edition::Public && !self.entry.is_public("acceptance") {
            return "";
        }
        match self.entry.acceptance.as_str() {
            "accepting" => "受入可",
            "waiting_list" => "待機あり",
            "full" => "満床・受入不可",
            _ => "",
        }
    }

    /// The booklet's category (order, heading).
    pub fn category(&self) -> (u8, &'static str) {
        category_of(&self.entry.kind)
    }

    /// The booklet's area: the daily-life area when set, else the municipality.
    pub fn area(&self) -> String {
        if !self.entry.area.is_empty() {
            self.entry.area.clone()
        } else if !self.meta.municipality_name.is_empty() {
            self.meta.municipality_name.clone()
        } else {
            "その他".to_string()
        }
    }
}

/// Booklet categories in the order a guidebook lists them.
pub fn category_of(kind: &str) -> (u8, &'static str) {
    match kind {
        "consultation_desk" | "community_care_centre" | "support_centre" | "municipality" => {
            (0, "相談窓口")
        }
        "hospital" => (1, "病院"),
        "clinic" | "home_care_clinic" => (2, "診療所"),
        "dental_clinic" => (3, "歯科診療所"),
        "pharmacy" => (4, "薬局"),
        "visiting_nursing" => (5, "訪問看護ステーション"),
        "care_management" => (6, "居宅介護支援事業所（ケアマネジャー）"),
        "care_service" => (7, "介護サービス事業所"),
        "life_support" => (8, "生活支援サービス"),
        _ => (9, "その他の機関"),
    }
}

/// Whether an entry belongs to the 医療機関一覧 (else 介護サービス事業所一覧).
pub fn is_medical(kind: &str) -> bool {
    matches!(
        kind,
        "hospital" | "clinic" | "home_care_clinic" | "dental_clinic" | "pharmacy"
    )
}

/// The entries of the given municipalities for one edition.
pub async fn load(
    db: &Db,
    municipalities: &[String],
    edition: Edition,
) -> Result<Vec<ExportEntry>, StoreError> {
    Ok(store::entries_for_export(db, municipalities)
        .await?
        .into_iter()
        .filter(|(e, _)| edition == Edition::Professional || e.published)
        .map(|(entry, meta)| ExportEntry { entry, meta })
        .collect())
}

/// One entry for an edition (`None` when it is not current, or not
/// published and the edition is public).
pub async fn load_one(
    db: &Db,
    id: renkei_domain::EntryId,
    edition: Edition,
) -> Result<Option<ExportEntry>, StoreError> {
    Ok(store::entry_for_export(db, id)
        .await?
        .filter(|(e, _)| edition == Edition::Professional || e.published)
        .map(|(entry, meta)| ExportEntry { entry, meta }))
}

/// A recorded booklet edition, to print replacement pages against.
pub struct BookletEdition {
    pub id: i64,
    pub edition: Edition,
    /// The municipalities it covered, comma-separated ('' = all).
    pub scope: String,
    pub pages: std::collections::BTreeMap<String, String>,
    pub created_at: renkei_domain::Timestamp,
}

/// Records a printed booklet's pages as an edition; returns its number.
pub async fn record_booklet_edition(
    db: &Db,
    title: &str,
    edition: Edition,
    scope: &str,
    pages: &std::collections::BTreeMap<String, String>,
    by: &str,
    now: renkei_domain::Timestamp,
) -> Result<i64, StoreError> {
    let json = serde_json::to_string(pages).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let edition = match edition {
        Edition::Public => "public",
        Edition::Professional => "professional",
    };
    store::record_booklet_edition(db, title, edition, scope, &json, by, now).await
}

/// A recorded booklet edition, or `None` when there is no such number.
pub async fn booklet_edition(db: &Db, id: i64) -> Result<Option<BookletEdition>, StoreError> {
    let Some((edition, scope, pages, created_at)) = store::booklet_edition(db, id).await? else {
        return Ok(None);
    };
    Ok(Some(BookletEdition {
        id,
        edition: Edition::parse(&edition).ok_or_else(|| {
            StoreError::Invalid(format!("booklet edition {id}: edition {edition:?}"))
        })?,
        scope,
        pages: serde_json::from_str(&pages)
            .map_err(|e| StoreError::Invalid(format!("booklet edition {id}: {e}")))?,
        created_at: renkei_domain::Timestamp(created_at),
    }))
}

/// The procedure list (code, name) the exports name procedures with.
pub async fn procedures(db: &Db) -> Result<Vec<(String, String)>, StoreError> {
    store::procedures(db).await
}

/// The prefecture name of a two-digit code.
pub fn prefecture_name(code: &str) -> &'static str {
    let n: u32 = code.parse().unwrap_or(0);
    crate::synthetic::prefectures::PREFECTURES
        .iter()
        .find(|p| p.code == n)
        .map(|p| p.name)
        .unwrap_or("")
}
