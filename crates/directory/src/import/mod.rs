//! Imports of national open data (`renkei import <kind> <file>…`).
//!
//! Rules for every import: one bad row never aborts a file; every rejected
//! row is reported with file, line, column and reason; re-importing the same
//! or a newer file is idempotent (upsert by official code), reports what
//! changed and what disappeared, and never overwrites locally maintained
//! fields.

pub mod care_offices;
pub mod decode;
pub mod medical;
pub mod municipal;
pub mod table;

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

/// What a medical or municipal file gave: entries ready to store.
#[derive(Debug, Default)]
pub struct ParsedEntries {
    pub encoding: Option<decode::SourceEncoding>,
    /// What the file covers (a facility kind for medical files); entries in
    /// scope that the files no longer list have disappeared.
    pub scope: String,
    pub rows: Vec<(EntryFields, BTreeSet<String>)>,
    pub rejects: Vec<Reject>,
    pub warnings: Vec<Reject>,
}

impl ParsedEntries {
    fn finish(
        &mut self,
        table: table::TableOutcome,
        rows: Vec<(EntryFields, BTreeSet<String>)>,
        rejects: Vec<Reject>,
        warnings: Vec<Reject>,
    ) {
        self.encoding = table.encoding;
        self.rejects.extend(table.rejects);
        self.rejects.extend(rejects);
        self.rejects.sort_by_key(|r| r.line);
        self.warnings.extend(warnings);
        self.rows = rows;
    }
}

/// Source name stored with national medical open data entries (13-digit ID).
pub const MEDICAL_SOURCE: &str = "medical_open_data";

/// Entries merged from all files of one run, by official code, with their
/// service codes.
type Merged = BTreeMap<String, (EntryFields, BTreeSet<String>)>;

/// Imports `jigyosho_<code>.csv` files. `prefecture` ("13") limits the import
/// (and what may disappear) to one prefecture.
pub async fn import_care_offices(
    db: &Db,
    files: &[(String, Vec<u8>)],
    prefecture: Option<&str>,
    actor: &str,
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport::default();
    let mut merged: Merged = BTreeMap::new();
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
            let services = merged
                .remove(&row.office_number)
                .map(|(_, s)| s)
                .unwrap_or_default();
            let mut services = services;
            if !row.service_code.is_empty() {
                services.insert(row.service_code.clone());
            }
            let fields = EntryFields::from_care_office(&row, &services);
            merged.insert(row.office_number, (fields, services));
        }
    }
    let scope = |old: &store::ExistingEntry, services: &BTreeSet<String>| {
        prefecture.is_none_or(|p| old.official_code.starts_with(p))
            && services.iter().any(|s| imported_codes.contains(s))
    };
    apply(
        db,
        CARE_SOURCE,
        "care-offices",
        merged,
        &imported_codes,
        scope,
        report,
        actor,
    )
    .await
}

/// Imports national medical open data facility files.
pub async fn import_medical(
    db: &Db,
    files: &[(String, Vec<u8>)],
    prefecture: Option<&str>,
    actor: &str,
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport::default();
    let mut merged: Merged = BTreeMap::new();
    let mut kinds: BTreeSet<String> = BTreeSet::new();
    // One file at a time, so only one decoded file is in memory.
    for (name, bytes) in files {
        let parsed = medical::parse(name, bytes);
        collect(
            &mut report,
            &mut merged,
            name,
            parsed,
            prefecture,
            &mut kinds,
        );
    }
    let scope = |old: &store::ExistingEntry, _: &BTreeSet<String>| {
        prefecture.is_none_or(|p| old.prefecture_code == p) && kinds.contains(&old.kind)
    };
    apply(
        db,
        MEDICAL_SOURCE,
        "medical",
        merged,
        &BTreeSet::new(),
        scope,
        report,
        actor,
    )
    .await
}

/// Imports the municipal standard datasets 医療機関一覧 and
/// 介護サービス事業所一覧. What disappears is limited to the municipalities
/// the files cover.
pub async fn import_municipal_standard(
    db: &Db,
    files: &[(String, Vec<u8>)],
    actor: &str,
) -> Result<Vec<ImportReport>, StoreError> {
    let mut by_dataset: BTreeMap<&'static str, (ImportReport, Merged, BTreeSet<String>)> =
        BTreeMap::new();
    for (name, bytes) in files {
        let (dataset, parsed) = municipal::parse(name, bytes);
        let source = municipal::source_of(dataset.unwrap_or(municipal::Dataset::Medical));
        let (report, merged, municipalities) = by_dataset.entry(source).or_default();
        for (f, _) in &parsed.rows {
            municipalities.insert(f.municipality_code.clone());
        }
        let mut scopes = BTreeSet::new();
        collect(report, merged, name, parsed, None, &mut scopes);
    }
    let mut reports = Vec::new();
    for (source, (report, merged, municipalities)) in by_dataset {
        let services: BTreeSet<String> = merged
            .values()
            .flat_map(|(_, s)| s.iter().cloned())
            .collect();
        let scope = |old: &store::ExistingEntry, _: &BTreeSet<String>| {
            !old.municipality_code.is_empty() && municipalities.contains(&old.municipality_code)
        };
        let what = if source == CARE_SOURCE {
            "municipal-standard care"
        } else {
            "municipal-standard medical"
        };
        // A town's list is the whole truth for its offices: their services
        // are replaced, not merged.
        let replaced: BTreeSet<String> = if source == CARE_SOURCE {
            renkei_domain::directory::CARE_SERVICES
                .iter()
                .map(|(c, _)| c.to_string())
                .chain(services)
                .collect()
        } else {
            services
        };
        reports.push(apply(db, source, what, merged, &replaced, scope, report, actor).await?);
    }
    Ok(reports)
}

fn collect(
    report: &mut ImportReport,
    merged: &mut Merged,
    name: &str,
    parsed: ParsedEntries,
    prefecture: Option<&str>,
    scopes: &mut BTreeSet<String>,
) {
    report.files.push((
        name.to_string(),
        parsed.encoding.map(|e| e.name()).unwrap_or("-").to_string(),
    ));
    report.rows_read += parsed.rows.len() + parsed.rejects.len();
    report.rejected.extend(parsed.rejects);
    report.warnings.extend(parsed.warnings);
    if !parsed.scope.is_empty() {
        scopes.insert(parsed.scope);
    }
    for (fields, services) in parsed.rows {
        if prefecture.is_some_and(|p| fields.prefecture_code != p) {
            report.rows_outside_filter += 1;
            continue;
        }
        report.rows_accepted += 1;
        merged.insert(fields.official_code.clone(), (fields, services));
    }
}

/// Stores one run's entries: inserts the new, updates the changed (imported
/// columns only), and marks entries in `scope` that the files no longer list
/// as disappeared. `imported_services` are the service codes the files
/// speak for; an entry's other services are kept.
#[allow(clippy::too_many_arguments)]
async fn apply(
    db: &Db,
    source: &str,
    what: &str,
    merged: Merged,
    imported_services: &BTreeSet<String>,
    scope: impl Fn(&store::ExistingEntry, &BTreeSet<String>) -> bool,
    mut report: ImportReport,
    actor: &str,
) -> Result<ImportReport, StoreError> {
    let existing = store::imported_entries(db, source).await?;
    let existing_services = store::services_of_source(db, source).await?;
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    let mut new_entries: Vec<(EntryFields, String)> = Vec::new();
    let mut new_services: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let no_services = BTreeSet::new();
    for (code, (fields, services)) in &merged {
        let hash = hash_fields(fields);
        match existing.get(code) {
            None => {
                new_entries.push((fields.clone(), hash));
                if !services.is_empty() {
                    new_services.insert(code.clone(), services.clone());
                }
                report.created += 1;
            }
            Some(old) => {
                let before = existing_services.get(&old.id).unwrap_or(&no_services);
                // Services this import does not speak for stay as they were.
                let after: BTreeSet<String> = before
                    .iter()
                    .filter(|s| !imported_services.contains(*s))
                    .cloned()
                    .chain(services.iter().cloned())
                    .collect();
                let fields_changed = old.imported_hash != hash;
                if !fields_changed && after == *before && old.disappeared_at.is_none() {
                    report.unchanged += 1;
                    continue;
                }
                let mut changed = Vec::new();
                if fields_changed {
                    let stored = store::entry_fields(&mut tx, old.id).await?;
                    changed.extend(stored.diff(fields));
                    store::update_imported(&mut tx, old.id, fields, &hash, now).await?;
                } else if old.disappeared_at.is_some() {
                    store::update_imported(&mut tx, old.id, fields, &hash, now).await?;
                }
                if old.disappeared_at.is_some() {
                    changed.push("reappeared".into());
                }
                if after != *before {
                    store::set_services(&mut tx, old.id, &after).await?;
                    changed.push("services".into());
                }
                report.updated += 1;
                report.changes.push(Change {
                    official_code: code.clone(),
                    name: fields.name.clone(),
                    fields: changed,
                });
            }
        }
    }
    let ids = store::insert_entries(&mut tx, source, &new_entries, now).await?;
    drop(new_entries);
    let mut service_rows: Vec<(i64, String)> = Vec::new();
    for (code, id) in ids {
        if let Some(services) = new_services.get(&code) {
            service_rows.extend(services.iter().map(|s| (id, s.clone())));
        }
    }
    store::insert_services(&mut tx, &service_rows).await?;
    // Entries in scope that the files no longer list.
    for (code, old) in &existing {
        if merged.contains_key(code) || old.disappeared_at.is_some() {
            continue;
        }
        let before = existing_services.get(&old.id).unwrap_or(&no_services);
        if !scope(old, before) {
            continue;
        }
        let after: BTreeSet<String> = before
            .iter()
            .filter(|s| !imported_services.contains(*s))
            .cloned()
            .collect();
        if after.is_empty() {
            if !before.is_empty() {
                store::set_services(&mut tx, old.id, &after).await?;
            }
            store::mark_disappeared(&mut tx, old.id, now).await?;
            report.disappeared.push((code.clone(), old.name.clone()));
        } else {
            store::set_services(&mut tx, old.id, &after).await?;
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
            object_id: what.into(),
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
