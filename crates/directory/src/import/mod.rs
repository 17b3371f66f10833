//! Imports of national open data (`renkei import <kind> <file>…`).
//!
//! Rules for every import: one bad row never aborts a file; every rejected
//! row is reported with file, line, column and reason; re-importing the same
//! or a newer file is idempotent (upsert by official code), reports what
//! changed and what disappeared, and never overwrites locally maintained
//! fields.

pub mod care_offices;
pub mod decode;

use std::collections::{BTreeMap, BTreeSet};

use renkei_domain::Timestamp;
use renkei_store::audit::{self, AuditEntry, Outcome};
use renkei_store::{Db, StoreError};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::store::{self, EntryFields};

/// A row that was not imported (or imported with a caveat).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    pub file: String,
    /// Line in the file where the row starts (the header is line 1).
    pub line: u64,
    pub column: String,
    pub reason: String,
}

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file,
            self.line,
            if self.column.is_empty() {
                "-"
            } else {
                &self.column
            },
            self.reason
        )
    }
}

/// What an entry's re-import changed.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub official_code: String,
    pub name: String,
    pub fields: Vec<String>,
}

/// The outcome of one import run.
#[derive(Debug, Default, Serialize)]
pub struct ImportReport {
    pub files: Vec<(String, String)>,
    pub rows_read: usize,
    pub rows_accepted: usize,
    pub rows_outside_filter: usize,
    pub rejected: Vec<Reject>,
    pub warnings: Vec<Reject>,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub changes: Vec<Change>,
    /// Entries no longer in the files (official code, name).
    pub disappeared: Vec<(String, String)>,
}

/// Source name stored with care open data entries.
pub const CARE_SOURCE: &str = "care_open_data";

fn hash_fields(f: &EntryFields) -> String {
    let mut h = Sha256::new();
    for part in f.hash_parts() {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Imports `jigyosho_<code>.csv` files. `prefecture` ("13") limits the import
/// (and what may disappear) to one prefecture.
pub async fn import_care_offices(
    db: &Db,
    files: &[(String, Vec<u8>)],
    prefecture: Option<&str>,
    actor: &str,
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport::default();
    let mut merged: BTreeMap<String, (care_offices::CareOfficeRow, BTreeSet<String>)> =
        BTreeMap::new();
    let mut imported_codes: BTreeSet<String> = BTreeSet::new();
    for (name, bytes) in files {
        let parsed = care_offices::parse(name, bytes);
        report.files.push((
            name.clone(),
            parsed.encoding.map(|e| e.name()).unwrap_or("-").to_string(),
        ));
        report.rows_read += parsed.rows.len() + parsed.rejects.len();
        report.rejected.extend(parsed.rejects);
        report.warnings.extend(parsed.warnings);
        if !parsed.service_code.is_empty() {
            imported_codes.insert(parsed.service_code.clone());
        }
        for row in parsed.rows {
            if prefecture.is_some_and(|p| !row.office_number.starts_with(p)) {
                report.rows_outside_filter += 1;
                continue;
            }
            report.rows_accepted += 1;
            if !row.service_code.is_empty() {
                imported_codes.insert(row.service_code.clone());
            }
            let entry = merged
                .entry(row.office_number.clone())
                .or_insert_with(|| (row.clone(), BTreeSet::new()));
            if !row.service_code.is_empty() {
                entry.1.insert(row.service_code.clone());
            }
            let services = std::mem::take(&mut entry.1);
            *entry = (row, services);
        }
    }

    let existing = store::imported_entries(db, CARE_SOURCE).await?;
    let existing_services = store::services_of_source(db, CARE_SOURCE).await?;
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    let mut new_entries: Vec<(EntryFields, String)> = Vec::new();
    for (code, (row, services)) in &merged {
        let fields = EntryFields::from_care_office(row, services);
        let hash = hash_fields(&fields);
        match existing.get(code) {
            None => {
                new_entries.push((fields, hash));
                report.created += 1;
            }
            Some(old) => {
                let before: BTreeSet<String> =
                    existing_services.get(&old.id).cloned().unwrap_or_default();
                // Services this import does not cover stay as they were.
                let after: BTreeSet<String> = before
                    .iter()
                    .filter(|s| !imported_codes.contains(*s))
                    .cloned()
                    .chain(services.iter().cloned())
                    .collect();
                let fields_changed = old.imported_hash != hash;
                if !fields_changed && after == before && old.disappeared_at.is_none() {
                    report.unchanged += 1;
                    continue;
                }
                let mut changed = Vec::new();
                if fields_changed {
                    let stored = store::entry_fields(&mut tx, old.id).await?;
                    changed.extend(stored.diff(&fields));
                    store::update_imported(&mut tx, old.id, &fields, &hash, now).await?;
                } else if old.disappeared_at.is_some() {
                    store::update_imported(&mut tx, old.id, &fields, &hash, now).await?;
                    changed.push("reappeared".into());
                }
                if after != before {
                    store::set_services(&mut tx, old.id, &after).await?;
                    changed.push("services".into());
                }
                report.updated += 1;
                report.changes.push(Change {
                    official_code: code.clone(),
                    name: row.name.clone(),
                    fields: changed,
                });
            }
        }
    }
    let ids = store::insert_entries(&mut tx, CARE_SOURCE, &new_entries, now).await?;
    drop(new_entries);
    let mut service_rows: Vec<(i64, String)> = Vec::new();
    for (code, id) in ids {
        if let Some((_, services)) = merged.get(&code) {
            service_rows.extend(services.iter().map(|s| (id, s.clone())));
        }
    }
    store::insert_services(&mut tx, &service_rows).await?;
    // Entries in scope that the files no longer list.
    for (code, old) in &existing {
        if merged.contains_key(code) || old.disappeared_at.is_some() {
            continue;
        }
        if prefecture.is_some_and(|p| !code.starts_with(p)) {
            continue;
        }
        let before = existing_services.get(&old.id).cloned().unwrap_or_default();
        if !before.iter().any(|s| imported_codes.contains(s)) {
            continue;
        }
        let after: BTreeSet<String> = before
            .iter()
            .filter(|s| !imported_codes.contains(*s))
            .cloned()
            .collect();
        store::set_services(&mut tx, old.id, &after).await?;
        if after.is_empty() {
            store::mark_disappeared(&mut tx, old.id, now).await?;
            report.disappeared.push((code.clone(), old.name.clone()));
        } else {
            report.changes.push(Change {
                official_code: code.clone(),
                name: old.name.clone(),
                fields: vec!["services".into()],
            });
            report.updated += 1;
        }
    }
    audit::append(
        &mut tx,
        &AuditEntry {
            actor_username: actor.to_string(),
            role: "system_admin".into(),
            action: "directory.import".into(),
            object_kind: "directory".into(),
            object_id: "care-offices".into(),
            outcome: Some(Outcome::Success),
            source_addr: "cli".into(),
            user_agent: "renkei import".into(),
            reason: format!(
                "{} files; created {}, updated {}, unchanged {}, disappeared {}, rejected {}",
                report.files.len(),
                report.created,
                report.updated,
                report.unchanged,
                report.disappeared.len(),
                report.rejected.len()
            ),
            ..AuditEntry::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}
