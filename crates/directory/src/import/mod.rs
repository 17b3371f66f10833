//! Imports of national open data (`renkei import <kind> <file>…`).
//!
//! Rules for every import: one bad row never aborts a file; every rejected
//! row is reported with file, line, column and reason; re-importing the same
//! or a newer file is idempotent (upsert by official code), reports what
//! changed and what disappeared, and never overwrites locally maintained
//! fields.
//!
//! A run is checked before anything is written (docs/security.md,
//! "Import safety"): a file that cannot be read or has no usable header is
//! refused; so, unless the operator passes `allow_mass_removal`, is a file
//! that yields no valid row, and a part of the data (a care service, a kind
//! of facility, a municipality) whose valid rows fall below half of what
//! its last accepted import had. A refused run changes nothing.
//!
//! Files are streamed twice, row by row: the first pass validates and
//! counts, the second writes in batches. Memory holds the compact codes of
//! the run's entries (for what disappeared), the offices still waiting for
//! a later file that lists them too, one batch, and the capped report.

pub mod care_offices;
pub mod decode;
pub mod holidays;
pub mod medical;
pub mod municipal;
pub mod table;

use std::collections::hash_map::Entry as MapEntry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::PathBuf;

use renkei_domain::{Clock, EntryId, Timestamp};
use renkei_identity::Actor;
use renkei_store::audit::{self, AuditEntry, Outcome};
use renkei_store::{Db, StoreError, Tx};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::store::{self, EntryFields, ExistingEntry};
use renkei_domain::directory::Schedule;

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

/// How many rejected rows, warnings, changes and disappeared entries a
/// report keeps; the totals count all of them.
pub const REPORT_LIMIT: usize = 1_000;

/// A part of the data whose valid rows fall below this share of its last
/// accepted import is refused (unless mass removal is allowed).
pub const MASS_REMOVAL_SHARE: f64 = 0.5;

/// The outcome of one import run.
#[derive(Debug, Default, Serialize)]
pub struct ImportReport {
    /// (file name, encoding) in the order the files were read.
    pub files: Vec<(String, String)>,
    pub rows_read: usize,
    pub rows_accepted: usize,
    pub rows_outside_filter: usize,
    /// The first [`REPORT_LIMIT`] rejected rows.
    pub rejected: Vec<Reject>,
    pub rejected_total: usize,
    /// The first [`REPORT_LIMIT`] warnings.
    pub warnings: Vec<Reject>,
    pub warnings_total: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// The first [`REPORT_LIMIT`] changes (`updated` counts all).
    pub changes: Vec<Change>,
    /// The first [`REPORT_LIMIT`] entries no longer in the files (official
    /// code, name).
    pub disappeared: Vec<(String, String)>,
    pub disappeared_total: usize,
    /// Why the run was refused. When this is not empty nothing was written.
    pub refused: Vec<String>,
    /// Entries written whose file gave no usable municipality code.
    pub municipality_missing: usize,
    /// Of those, how many were placed by their address against the
    /// national list of municipalities (the match rate is this over
    /// `municipality_missing`).
    pub municipality_from_address: usize,
}

impl ImportReport {
    fn reject(&mut self, r: Reject) {
        self.rejected_total += 1;
        if self.rejected.len() < REPORT_LIMIT {
            self.rejected.push(r);
        }
    }

    fn warn(&mut self, r: Reject) {
        self.warnings_total += 1;
        if self.warnings.len() < REPORT_LIMIT {
            self.warnings.push(r);
        }
    }

    fn change(&mut self, c: Change) {
        self.updated += 1;
        if self.changes.len() < REPORT_LIMIT {
            self.changes.push(c);
        }
    }

    fn gone(&mut self, code: &str, name: &str) {
        self.disappeared_total += 1;
        if self.disappeared.len() < REPORT_LIMIT {
            self.disappeared.push((code.to_string(), name.to_string()));
        }
    }
}

/// Source name stored with care open data entries.
pub const CARE_SOURCE: &str = "care_open_data";

/// Source name stored with national medical open data entries (13-digit ID).
pub const MEDICAL_SOURCE: &str = "medical_open_data";

fn hash_fields(f: &EntryFields) -> String {
    let mut h = Sha256::new();
    for part in f.hash_parts() {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The most specific organisation kind any of an office's services gives.
pub(crate) fn care_kind(services: &BTreeSet<String>) -> &'static str {
    services
        .iter()
        .map(|s| renkei_domain::directory::org_kind_for_care_service(s))
        .find(|k| *k != "care_service")
        .unwrap_or("care_service")
}

/// What a medical or municipal file held in memory gave (tests, fuzzing).
#[derive(Debug, Default)]
pub struct ParsedEntries {
    pub encoding: Option<decode::SourceEncoding>,
    /// What the file covers (a facility kind for medical files).
    pub scope: String,
    pub rows: Vec<(EntryFields, BTreeSet<String>)>,
    pub rejects: Vec<Reject>,
    pub warnings: Vec<Reject>,
}

/// One input file: a path read as a stream, or bytes already in memory.
pub struct ImportFile<'a> {
    /// The name reports use; for care and medical files it also says what
    /// the file holds (`jigyosho_130.csv`, `01-1_hospital_…`).
    pub name: String,
    input: Input<'a>,
}

enum Input<'a> {
    Bytes(&'a [u8]),
    Path(PathBuf),
}

impl<'a> ImportFile<'a> {
    pub fn bytes(name: impl Into<String>, bytes: &'a [u8]) -> Self {
        ImportFile {
            name: name.into(),
            input: Input::Bytes(bytes),
        }
    }

    /// A file on disk, named by its last path component.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        ImportFile {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string()),
            input: Input::Path(path),
        }
    }

    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        Ok(match &self.input {
            Input::Bytes(b) => Box::new(*b),
            Input::Path(p) => Box::new(std::fs::File::open(p)?),
        })
    }

    fn sort_key(&self, kind: Kind) -> (String, String, String) {
        let code = match kind {
            Kind::Care => care_offices::service_code_from_name(&self.name).unwrap_or_default(),
            _ => String::new(),
        };
        let path = match &self.input {
            Input::Path(p) => p.display().to_string(),
            Input::Bytes(_) => String::new(),
        };
        (code, self.name.clone(), path)
    }
}

/// An [`ImportFile`] the second pass's reading thread can own: a path, or
/// the bytes shared.
struct OwnedFile {
    name: String,
    input: OwnedInput,
}

enum OwnedInput {
    Bytes(std::sync::Arc<[u8]>),
    Path(PathBuf),
}

impl ImportFile<'_> {
    fn to_owned_file(&self) -> OwnedFile {
        OwnedFile {
            name: self.name.clone(),
            input: match &self.input {
                Input::Bytes(b) => OwnedInput::Bytes(std::sync::Arc::from(*b)),
                Input::Path(p) => OwnedInput::Path(p.clone()),
            },
        }
    }
}

impl OwnedFile {
    fn as_import_file(&self) -> ImportFile<'_> {
        ImportFile {
            name: self.name.clone(),
            input: match &self.input {
                OwnedInput::Bytes(b) => Input::Bytes(b),
                OwnedInput::Path(p) => Input::Path(p.clone()),
            },
        }
    }
}

/// How a run may change the directory.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Only entries of this prefecture ("13") are imported or may disappear.
    pub prefecture: Option<String>,
    /// Accept files with no valid row and parts of the data that shrink
    /// below [`MASS_REMOVAL_SHARE`] of their last import (offices really
    /// closed). Unreadable files and files without a usable header are
    /// refused even then.
    pub allow_mass_removal: bool,
}

/// Imports `jigyosho_<code>.csv` files held in memory. `prefecture` ("13")
/// limits the import (and what may disappear) to one prefecture.
pub async fn import_care_offices(
    db: &Db,
    files: &[(String, Vec<u8>)],
    prefecture: Option<&str>,
    by: &Actor,
    clock: &dyn Clock,
) -> Result<ImportReport, StoreError> {
    let files = in_memory(files);
    let options = ImportOptions {
        prefecture: prefecture.map(str::to_string),
        allow_mass_removal: false,
    };
    let mut reports = run(db, Kind::Care, &files, &options, by, clock).await?;
    Ok(reports.pop().unwrap_or_default())
}

/// Imports national medical open data facility files held in memory.
pub async fn import_medical(
    db: &Db,
    files: &[(String, Vec<u8>)],
    prefecture: Option<&str>,
    by: &Actor,
    clock: &dyn Clock,
) -> Result<ImportReport, StoreError> {
    let files = in_memory(files);
    let options = ImportOptions {
        prefecture: prefecture.map(str::to_string),
        allow_mass_removal: false,
    };
    let mut reports = run(db, Kind::Medical, &files, &options, by, clock).await?;
    Ok(reports.pop().unwrap_or_default())
}

/// Imports the municipal standard datasets 医療機関一覧 and
/// 介護サービス事業所一覧 held in memory. What disappears is limited to the
/// municipalities the files cover.
pub async fn import_municipal_standard(
    db: &Db,
    files: &[(String, Vec<u8>)],
    by: &Actor,
    clock: &dyn Clock,
) -> Result<Vec<ImportReport>, StoreError> {
    let files = in_memory(files);
    run(
        db,
        Kind::Municipal,
        &files,
        &ImportOptions::default(),
        by,
        clock,
    )
    .await
}

fn in_memory(files: &[(String, Vec<u8>)]) -> Vec<ImportFile<'_>> {
    files
        .iter()
        .map(|(name, bytes)| ImportFile::bytes(name.clone(), bytes))
        .collect()
}

/// Imports care open data files (streamed).
pub async fn import_care_office_files(
    db: &Db,
    files: &[ImportFile<'_>],
    options: &ImportOptions,
    by: &Actor,
    clock: &dyn Clock,
) -> Result<ImportReport, StoreError> {
    let mut reports = run(db, Kind::Care, files, options, by, clock).await?;
    Ok(reports.pop().unwrap_or_default())
}

/// Imports medical open data facility files (streamed).
pub async fn import_medical_files(
    db: &Db,
    files: &[ImportFile<'_>],
    options: &ImportOptions,
    by: &Actor,
    clock: &dyn Clock,
) -> Result<ImportReport, StoreError> {
    let mut reports = run(db, Kind::Medical, files, options, by, clock).await?;
    Ok(reports.pop().unwrap_or_default())
}

/// Imports municipal standard dataset files (streamed); one report per
/// dataset. `options.prefecture` is ignored: a town's list covers its
/// municipalities.
pub async fn import_municipal_standard_files(
    db: &Db,
    files: &[ImportFile<'_>],
    options: &ImportOptions,
    by: &Actor,
    clock: &dyn Clock,
) -> Result<Vec<ImportReport>, StoreError> {
    let options = ImportOptions {
        prefecture: None,
        ..options.clone()
    };
    run(db, Kind::Municipal, files, &options, by, clock).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Care,
    Medical,
    Municipal,
}

/// What the rows of one file are.
enum Format {
    Care {
        service_code: String,
    },
    Medical {
        kind: &'static str,
        role: medical::FileRole,
    },
    Municipal(municipal::Dataset),
}

/// One valid row.
struct Valid {
    fields: EntryFields,
    services: BTreeSet<String>,
    /// The schedule while rows are merged (parsed once, written by
    /// [`Valid::finish`]): a hospital has dozens of speciality rows.
    schedule: Option<Schedule>,
}

impl Valid {
    /// Adds what a later row of the same entry says: a field the entry
    /// does not have yet is taken, one it has is kept, services are joined.
    /// Files are read in a fixed order (care: by service code), so the
    /// result does not depend on the order the files were named in.
    fn merge(&mut self, later: Valid) {
        fn fill(a: &mut String, b: String) {
            if a.is_empty() {
                *a = b;
            }
        }
        let EntryFields {
            official_code: _,
            kind,
            name,
            kana,
            prefecture_code,
            municipality_code,
            municipality_name,
            address,
            building,
            lat,
            lon,
            phone,
            fax,
            url,
            email,
            corporate_number,
            corporate_name,
            open_days,
            open_days_note,
            capacity,
            remarks,
            hours,
            departments,
            speciality_codes,
            schedule,
        } = later.fields;
        let f = &mut self.fields;
        fill(&mut f.kind, kind);
        fill(&mut f.name, name);
        fill(&mut f.kana, kana);
        fill(&mut f.prefecture_code, prefecture_code);
        fill(&mut f.municipality_code, municipality_code);
        fill(&mut f.municipality_name, municipality_name);
        fill(&mut f.address, address);
        fill(&mut f.building, building);
        if f.lat.is_none() && f.lon.is_none() {
            (f.lat, f.lon) = (lat, lon);
        }
        fill(&mut f.phone, phone);
        fill(&mut f.fax, fax);
        fill(&mut f.url, url);
        fill(&mut f.email, email);
        fill(&mut f.corporate_number, corporate_number);
        fill(&mut f.corporate_name, corporate_name);
        fill(&mut f.open_days, open_days);
        fill(&mut f.open_days_note, open_days_note);
        if f.capacity.is_none() {
            f.capacity = capacity;
        }
        fill(&mut f.remarks, remarks);
        // 診療科目 and opening hours come from several rows (a facility row
        // and one per speciality and session): they add up.
        if speciality_codes.is_empty() {
            join_unique(&mut f.departments, &departments, ';');
        } else if !f.speciality_codes.split(',').any(|c| c == speciality_codes) {
            // A speciality row: its code and name go in together, so the
            // n-th name is the n-th code's even when two codes share a name.
            for (list, part, sep) in [
                (&mut f.speciality_codes, &speciality_codes, ','),
                (&mut f.departments, &departments, ';'),
            ] {
                if !list.is_empty() {
                    list.push(sep);
                }
                list.push_str(part);
            }
        }
        if !schedule.is_empty() {
            let theirs = later
                .schedule
                .unwrap_or_else(|| Schedule::from_json(&schedule));
            let mine = self
                .schedule
                .get_or_insert_with(|| Schedule::from_json(&f.schedule));
            mine.sessions.extend(theirs.sessions);
            if mine.closed_weekdays.is_empty()
                && mine.closed_weeks.is_empty()
                && !mine.closed_on_holidays
            {
                mine.closed_weekdays = theirs.closed_weekdays;
                mine.closed_weeks = theirs.closed_weeks;
                mine.closed_on_holidays = theirs.closed_on_holidays;
            }
            if mine.closed_note.is_empty() {
                mine.closed_note = theirs.closed_note;
            }
        }
        fill(&mut f.hours, hours);
        self.services.extend(later.services);
    }

    /// The entry as it is written, once every row of it is merged: its
    /// opening hours described from the merged schedule.
    fn finish(mut self) -> Valid {
        if let Some(mut schedule) = self.schedule.take() {
            // In a fixed order, so a file whose rows come in another order
            // imports as unchanged.
            schedule.sessions.sort_by(|a, b| {
                (&a.speciality, a.day, &a.from, &a.to).cmp(&(&b.speciality, b.day, &b.from, &b.to))
            });
            schedule.sessions.dedup();
            self.fields.schedule = schedule.to_json();
            if !schedule.is_empty() {
                self.fields.hours = schedule.describe(true);
            }
        }
        self
    }
}

/// Gives an entry its municipality from the national list: the name of
/// its code (the national medical files give codes without names) when
/// its address names it too, or,
/// when its file gave no usable code, the code and name its address
/// starts with (counted in the report, for the match rate).
fn place_in_municipality(f: &mut EntryFields, report: &mut ImportReport) {
    use renkei_domain::municipalities;
    if f.municipality_code.is_empty() {
        report.municipality_missing += 1;
        let hint = (f.prefecture_code.len() == 2).then_some(f.prefecture_code.as_str());
        if let Some(m) = municipalities::from_address(&f.address, hint) {
            report.municipality_from_address += 1;
            f.municipality_code = m.code.clone();
            f.prefecture_code = m.code[..2].to_string();
            if f.municipality_name.is_empty() {
                f.municipality_name = m.name.clone();
            }
        }
        return;
    }
    // Named only when the address agrees: a code that is not the
    // address's municipality is left unnamed rather than named wrongly.
    if f.municipality_name.is_empty() {
        if let Some(m) = municipalities::by_code(&f.municipality_code)
            .filter(|m| renkei_domain::text::nfkc(&f.address).contains(m.name.as_str()))
        {
            f.municipality_name = m.name.clone();
        }
    }
}

/// A facility imported without its speciality-and-hours file keeps the
/// 診療科目 and speciality sessions it has; its closures and inline hours
/// are the new file's.
fn keep_specialities(new: &mut EntryFields, stored: &EntryFields) {
    new.departments = stored.departments.clone();
    new.speciality_codes = stored.speciality_codes.clone();
    let mut schedule = Schedule::from_json(&new.schedule);
    schedule.sessions.extend(
        Schedule::from_json(&stored.schedule)
            .sessions
            .into_iter()
            .filter(|s| !s.speciality.is_empty()),
    );
    new.schedule = schedule.to_json();
    if !schedule.is_empty() {
        new.hours = schedule.describe(true);
    }
}

/// The prefecture a row is filtered by: for the national medical files
/// the first two digits of the ID, which facility and speciality rows of
/// one facility share (a facility row's 都道府県コード could differ from
/// it and split the two); for the others the row's prefecture code.
fn filter_prefecture(v: &Valid, source: &str) -> String {
    if source == MEDICAL_SOURCE {
        v.fields.official_code.chars().take(2).collect()
    } else {
        v.fields.prefecture_code.clone()
    }
}

/// Adds the `sep`-separated parts of `more` that `list` lacks.
fn join_unique(list: &mut String, more: &str, sep: char) {
    for part in more.split(sep).filter(|p| !p.is_empty()) {
        if !list.split(sep).any(|p| p == part) {
            if !list.is_empty() {
                list.push(sep);
            }
            list.push_str(part);
        }
    }
}

/// A file being read row by row.
struct FileRows<'a> {
    name: &'a str,
    format: Format,
    table: table::Table<Box<dyn Read + Send + 'a>>,
}

fn unreadable(file: &str, e: std::io::Error) -> Reject {
    table::reject(file, 0, "", format!("cannot read the file: {e}"))
}

impl<'a> FileRows<'a> {
    /// Opens a file: chooses its encoding (one streaming read) and reads
    /// its header. A file that is not of `kind` is refused here.
    fn open(file: &'a ImportFile<'_>, kind: Kind) -> Result<Self, Reject> {
        let name = file.name.as_str();
        let medical_kind = match kind {
            Kind::Medical => Some(
                medical::kind_from_name(name).ok_or_else(|| medical::not_a_facility_file(name))?,
            ),
            _ => None,
        };
        let encoding = file
            .open()
            .and_then(decode::detect)
            .map_err(|e| unreadable(name, e))?;
        let input = file.open().map_err(|e| unreadable(name, e))?;
        let (format, table) = match (kind, medical_kind) {
            (Kind::Medical, Some((kind, role))) => (
                Format::Medical { kind, role },
                medical::open(name, input, encoding, role)?,
            ),
            (Kind::Municipal, _) => {
                let (dataset, table) = municipal::open(name, input, encoding)?;
                (Format::Municipal(dataset), table)
            }
            _ => (
                Format::Care {
                    service_code: care_offices::service_code_from_name(name).unwrap_or_default(),
                },
                care_offices::open(name, input, encoding)?,
            ),
        };
        Ok(FileRows {
            name,
            format,
            table,
        })
    }

    /// The next valid row; rejected rows and warnings go to `report`.
    fn next(&mut self, report: &mut ImportReport) -> std::io::Result<Option<Valid>> {
        loop {
            let row = match self.table.next_row()? {
                None => return Ok(None),
                Some(Err(r)) => {
                    report.reject(r);
                    continue;
                }
                Some(Ok(row)) => row,
            };
            let mut warnings = Vec::new();
            let mut warn = |w: Reject| warnings.push(w);
            let result = match &self.format {
                Format::Care { service_code } => {
                    care_offices::parse_row(self.name, service_code, &row, &mut warn).map(|r| {
                        let services: BTreeSet<String> = (!r.service_code.is_empty())
                            .then(|| r.service_code.clone())
                            .into_iter()
                            .collect();
                        Valid {
                            fields: EntryFields::from_care_office(&r, &services),
                            services,
                            schedule: None,
                        }
                    })
                }
                Format::Medical { kind, role } => match role {
                    medical::FileRole::Facility => {
                        medical::parse_row(self.name, kind, &row, &mut warn)
                    }
                    medical::FileRole::Specialities => {
                        medical::parse_speciality_row(self.name, kind, &row, &mut warn)
                    }
                }
                .map(|fields| Valid {
                    fields,
                    services: BTreeSet::new(),
                    schedule: None,
                }),
                Format::Municipal(ds) => municipal::parse_row(self.name, *ds, &row, &mut warn).map(
                    |(fields, services)| Valid {
                        fields,
                        services,
                        schedule: None,
                    },
                ),
            };
            for w in warnings {
                report.warn(w);
            }
            match result {
                Ok(v) => return Ok(Some(v)),
                Err(r) => report.reject(r),
            }
        }
    }
}

/// An official code as a small key: its digits and their number. Every
/// code an import stores is 10 or 13 digits; anything else is no code a
/// file of this run could have listed.
fn compact(code: &str) -> Option<u64> {
    if code.is_empty() || code.len() > 17 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    code.parse::<u64>()
        .ok()
        .map(|n| (n << 5) | code.len() as u64)
}

/// A part of the data the run speaks for, and how many valid rows it has.
struct Scope {
    rows: usize,
    label: String,
    baseline: Baseline,
}

/// How to count what a scope lists now, when no import of it was recorded.
enum Baseline {
    Service { code: String, prefecture: String },
    Kind { kind: String, prefecture: String },
    Municipality { source: &'static str, code: String },
}

/// One source's share of a run (municipal files feed two sources).
struct Group {
    source: &'static str,
    what: &'static str,
    /// Indices of the files with a usable header, in reading order.
    files: Vec<usize>,
    /// Remaining rows per compact code: set by the first pass, counted down
    /// by the second; its keys are every entry the files list.
    counts: HashMap<u64, u32>,
    /// The codes a row of their own lists (not only speciality rows).
    listed: std::collections::HashSet<u64>,
    scopes: BTreeMap<String, Scope>,
    /// Care service codes the files speak for.
    services: BTreeSet<String>,
    kinds: BTreeSet<String>,
    /// Kinds with a speciality-and-hours file in the run.
    speciality_kinds: BTreeSet<String>,
    municipalities: BTreeSet<String>,
    report: ImportReport,
}

impl Group {
    fn new(source: &'static str, what: &'static str) -> Self {
        Group {
            source,
            what,
            files: Vec::new(),
            counts: HashMap::new(),
            listed: std::collections::HashSet::new(),
            scopes: BTreeMap::new(),
            services: BTreeSet::new(),
            kinds: BTreeSet::new(),
            speciality_kinds: BTreeSet::new(),
            municipalities: BTreeSet::new(),
            report: ImportReport::default(),
        }
    }

    /// Adds what the first pass found in one file (read into a group of
    /// its own) to this group, as if this group had read it next.
    fn absorb(&mut self, one: Group) {
        self.files.extend(one.files);
        for (key, n) in one.counts {
            *self.counts.entry(key).or_insert(0) += n;
        }
        self.listed.extend(one.listed);
        for (key, scope) in one.scopes {
            match self.scopes.entry(key) {
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(scope);
                }
                std::collections::btree_map::Entry::Occupied(mut e) => {
                    e.get_mut().rows += scope.rows;
                }
            }
        }
        self.services.extend(one.services);
        self.kinds.extend(one.kinds);
        self.speciality_kinds.extend(one.speciality_kinds);
        self.municipalities.extend(one.municipalities);
        let (mine, theirs) = (&mut self.report, one.report);
        mine.files.extend(theirs.files);
        mine.rows_read += theirs.rows_read;
        mine.rows_accepted += theirs.rows_accepted;
        mine.rows_outside_filter += theirs.rows_outside_filter;
        let room = REPORT_LIMIT.saturating_sub(mine.rejected.len());
        mine.rejected.extend(theirs.rejected.into_iter().take(room));
        mine.rejected_total += theirs.rejected_total;
        let room = REPORT_LIMIT.saturating_sub(mine.warnings.len());
        mine.warnings.extend(theirs.warnings.into_iter().take(room));
        mine.warnings_total += theirs.warnings_total;
    }

    fn scope(
        &mut self,
        key: String,
        label: impl FnOnce() -> String,
        baseline: impl FnOnce() -> Baseline,
    ) -> &mut Scope {
        self.scopes.entry(key).or_insert_with(|| Scope {
            rows: 0,
            label: label(),
            baseline: baseline(),
        })
    }
}

fn service_scope(code: &str, prefecture: Option<&str>) -> String {
    format!("care-offices/{code}/{}", prefecture.unwrap_or("all"))
}

fn service_label(code: &str, prefecture: Option<&str>) -> String {
    let name = renkei_domain::directory::CARE_SERVICES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| format!(" ({n})"))
        .unwrap_or_default();
    format!(
        "care service {code}{name}, {}",
        prefecture
            .map(|p| format!("prefecture {p}"))
            .unwrap_or_else(|| "all prefectures".into())
    )
}

fn refusal_hint() -> &'static str {
    "nothing was changed; check the file, or re-run with --allow-mass-removal if the offices really closed"
}

/// The first pass: reads every file once, validating and counting. Files
/// are read on up to [`SURVEY_THREADS`] threads at once, each into groups
/// of its own, merged in reading order (so the report and the counts are
/// what one thread reading them in turn would give).
fn survey(
    kind: Kind,
    files: &[ImportFile<'_>],
    options: &ImportOptions,
) -> (Vec<Group>, Vec<String>) {
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_cached_key(|&i| files[i].sort_key(kind));
    let surveyed: Vec<std::sync::Mutex<Option<Surveyed>>> =
        order.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, SURVEY_THREADS)
        .min(order.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(&i) = order.get(n) else { break };
                let one = survey_file(kind, i, &files[i], options);
                let mut slot = surveyed[n].lock().unwrap_or_else(|e| e.into_inner());
                *slot = Some(one);
            });
        }
    });
    let mut groups = new_groups(kind);
    let mut refused = Vec::new();
    for slot in surveyed {
        let Some((file_groups, file_refused)) =
            slot.into_inner().unwrap_or_else(|e| e.into_inner())
        else {
            continue;
        };
        for (g, one) in groups.iter_mut().zip(file_groups) {
            g.absorb(one);
        }
        refused.extend(file_refused);
    }
    (groups, refused)
}

/// One file's first pass: its groups, and why it refuses the run.
type Surveyed = (Vec<Group>, Vec<String>);

/// Files the first pass reads at once: two cores are what the machines
/// have, and more would only add memory.
const SURVEY_THREADS: usize = 2;

/// The groups a run of `kind` reports in.
fn new_groups(kind: Kind) -> Vec<Group> {
    match kind {
        Kind::Care => vec![Group::new(CARE_SOURCE, "care-offices")],
        Kind::Medical => vec![Group::new(MEDICAL_SOURCE, "medical")],
        Kind::Municipal => vec![
            Group::new(municipal::MEDICAL_CODE_SOURCE, "municipal-standard medical"),
            Group::new(CARE_SOURCE, "municipal-standard care"),
        ],
    }
}

/// The first pass over one file (`i` among the run's), into groups of its
/// own.
fn survey_file(kind: Kind, i: usize, file: &ImportFile<'_>, options: &ImportOptions) -> Surveyed {
    let prefecture = options.prefecture.as_deref();
    let mut groups = new_groups(kind);
    let mut refused = Vec::new();
    let mut rows = match FileRows::open(file, kind) {
        Ok(rows) => rows,
        Err(r) => {
            // Not a file of this kind: refused whatever the options.
            let g = &mut groups[0];
            g.report.files.push((file.name.clone(), "-".into()));
            refused.push(format!("{}: {}", file.name, r.reason));
            g.report.reject(r);
            return (groups, refused);
        }
    };
    let g = match rows.format {
        Format::Municipal(municipal::Dataset::Care) => &mut groups[1],
        _ => &mut groups[0],
    };
    g.report
        .files
        .push((file.name.clone(), rows.table.encoding.name().to_string()));
    g.files.push(i);
    match &rows.format {
        Format::Care { service_code } if !service_code.is_empty() => {
            g.services.insert(service_code.clone());
            let code = service_code.clone();
            g.scope(
                service_scope(&code, prefecture),
                || service_label(&code, prefecture),
                || Baseline::Service {
                    code: code.clone(),
                    prefecture: prefecture.unwrap_or_default().to_string(),
                },
            );
        }
        Format::Medical {
            kind,
            role: medical::FileRole::Specialities,
        } => {
            g.speciality_kinds.insert(kind.to_string());
        }
        Format::Medical {
            kind,
            role: medical::FileRole::Facility,
        } => {
            g.kinds.insert(kind.to_string());
            g.scope(
                format!("medical/{kind}/{}", prefecture.unwrap_or("all")),
                || {
                    format!(
                        "{kind} facilities, {}",
                        prefecture
                            .map(|p| format!("prefecture {p}"))
                            .unwrap_or_else(|| "all prefectures".into())
                    )
                },
                || Baseline::Kind {
                    kind: kind.to_string(),
                    prefecture: prefecture.unwrap_or_default().to_string(),
                },
            );
        }
        _ => {}
    }
    let mut valid = 0usize;
    loop {
        let v = match rows.next(&mut g.report) {
            Ok(Some(v)) => v,
            Ok(None) => break,
            Err(e) => {
                let r = unreadable(&file.name, e);
                refused.push(format!("{}: {}", file.name, r.reason));
                g.report.reject(r);
                break;
            }
        };
        valid += 1;
        if prefecture.is_some_and(|p| filter_prefecture(&v, g.source) != p) {
            g.report.rows_outside_filter += 1;
            continue;
        }
        g.report.rows_accepted += 1;
        let Some(key) = compact(&v.fields.official_code) else {
            continue; // every parser checks the code's digits
        };
        *g.counts.entry(key).or_insert(0) += 1;
        // Only a facility's own row lists it: an ID with speciality rows
        // alone (its facility row gone or rejected) is not kept from
        // disappearing by them.
        if !v.fields.name.is_empty() {
            g.listed.insert(key);
        }
        match &rows.format {
            Format::Care { .. } => {
                for code in &v.services {
                    g.services.insert(code.clone());
                    g.scope(
                        service_scope(code, prefecture),
                        || service_label(code, prefecture),
                        || Baseline::Service {
                            code: code.clone(),
                            prefecture: prefecture.unwrap_or_default().to_string(),
                        },
                    )
                    .rows += 1;
                }
            }
            // Speciality rows add to facilities; they count for none.
            Format::Medical {
                role: medical::FileRole::Specialities,
                ..
            } => {}
            Format::Medical { kind, .. } => {
                g.scope(
                    format!("medical/{kind}/{}", prefecture.unwrap_or("all")),
                    String::new,
                    || Baseline::Kind {
                        kind: kind.to_string(),
                        prefecture: String::new(),
                    },
                )
                .rows += 1;
            }
            Format::Municipal(_) => {
                let code = v.fields.municipality_code.clone();
                if code.is_empty() {
                    continue;
                }
                g.municipalities.insert(code.clone());
                let source = g.source;
                g.scope(
                    format!("municipal-standard/{source}/{code}"),
                    || format!("{}, municipality {code}", g_what(source)),
                    || Baseline::Municipality {
                        source,
                        code: code.clone(),
                    },
                )
                .rows += 1;
            }
        }
    }
    g.report.rows_read += rows.table.rows;
    if valid == 0 && !options.allow_mass_removal {
        refused.push(format!("{}: no valid row", file.name));
    }
    (groups, refused)
}

fn g_what(source: &str) -> &'static str {
    if source == CARE_SOURCE {
        "municipal-standard care list"
    } else {
        "municipal-standard medical list"
    }
}

async fn baseline(db: &Db, key: &str, b: &Baseline) -> Result<i64, StoreError> {
    if let Some(rows) = store::last_import_rows(db, key).await? {
        return Ok(rows);
    }
    match b {
        Baseline::Service { code, prefecture } => {
            store::count_listed_with_service(db, CARE_SOURCE, code, prefecture).await
        }
        Baseline::Kind { kind, prefecture } => {
            store::count_listed_of_kind(db, MEDICAL_SOURCE, kind, prefecture).await
        }
        Baseline::Municipality { source, code } => {
            store::count_listed_in_municipality(db, source, code).await
        }
    }
}

async fn run(
    db: &Db,
    kind: Kind,
    files: &[ImportFile<'_>],
    options: &ImportOptions,
    by: &Actor,
    clock: &dyn Clock,
) -> Result<Vec<ImportReport>, StoreError> {
    let (mut groups, mut refused) = survey(kind, files, options);
    for g in &groups {
        for (key, scope) in &g.scopes {
            let before = baseline(db, key, &scope.baseline).await?;
            if before > 0
                && (scope.rows as f64) < before as f64 * MASS_REMOVAL_SHARE
                && !options.allow_mass_removal
            {
                refused.push(format!(
                    "{}: {} valid rows, the last accepted import listed {before}",
                    scope.label, scope.rows
                ));
            }
        }
    }
    // Municipal runs report per dataset that has files; the others always
    // report once.
    let keep = |g: &Group| kind != Kind::Municipal || !g.report.files.is_empty();
    if !refused.is_empty() {
        refused.push(refusal_hint().to_string());
        let mut tx = db.begin().await?;
        let what = match kind {
            Kind::Care => "care-offices",
            Kind::Medical => "medical",
            Kind::Municipal => "municipal-standard",
        };
        let reason = format!("refused: {}", refused.join("; "));
        audit_run(&mut tx, by, what, Outcome::Failure, reason).await?;
        tx.commit().await?;
        return Ok(groups
            .into_iter()
            .filter(keep)
            .map(|mut g| {
                g.report.refused = refused.clone();
                g.report
            })
            .collect());
    }
    let mut reports = Vec::new();
    for g in groups.iter_mut().filter(|g| keep(g)) {
        write_group(db, kind, files, g, options, by, clock).await?;
    }
    for g in groups.into_iter().filter(keep) {
        reports.push(g.report);
    }
    Ok(reports)
}

/// Rows per database round trip.
const BATCH: usize = 400;

/// Rows the second pass reads ahead of the writer.
const READ_AHEAD_ROWS: usize = 2 * BATCH;

fn changed(name: &str) -> StoreError {
    StoreError::Invalid(format!(
        "{name} changed while it was being imported; nothing was written"
    ))
}

/// The second pass of one group: inserts the new, updates the changed
/// (imported columns only), and marks entries in scope that the files no
/// longer list as disappeared, in one transaction.
async fn write_group(
    db: &Db,
    kind: Kind,
    files: &[ImportFile<'_>],
    g: &mut Group,
    options: &ImportOptions,
    by: &Actor,
    clock: &dyn Clock,
) -> Result<(), StoreError> {
    let prefecture = options.prefecture.as_deref();
    // Read when the group starts writing, not when the command started: the
    // search index notices changes by their updated_at, and an edit that
    // committed while the files were being read must not be newer than
    // what this import writes.
    let now = clock.now();
    // The service codes this run speaks for; an entry's others are kept.
    let imported_services: BTreeSet<String> = match (kind, g.source) {
        (Kind::Care, _) => g.services.clone(),
        // A town's list is the whole truth for its offices: their services
        // are replaced, not merged.
        (Kind::Municipal, CARE_SOURCE) => renkei_domain::directory::CARE_SERVICES
            .iter()
            .map(|(c, _)| c.to_string())
            .chain(g.services.iter().cloned())
            .collect(),
        _ => BTreeSet::new(),
    };
    let listed = std::mem::take(&mut g.listed);
    let mut tx = db.begin().await?;
    let mut w = Writer {
        source: g.source,
        imported_services: &imported_services,
        now,
        counts: &mut g.counts,
        pending: HashMap::new(),
        batch: Vec::new(),
        report: &mut g.report,
        specialities: BTreeMap::new(),
        speciality_kinds: g.speciality_kinds.clone(),
    };
    // The files are read again on a thread of their own while this task
    // writes: parsing and the database's work overlap (two cores instead
    // of one, a third off a national import's time), and the channel keeps
    // only a few batches of rows ahead of the writer.
    let owned: Vec<OwnedFile> = g.files.iter().map(|&i| files[i].to_owned_file()).collect();
    let (rows_out, mut rows_in) =
        tokio::sync::mpsc::channel::<Result<(Valid, usize), StoreError>>(READ_AHEAD_ROWS);
    let source = g.source;
    let only = prefecture.map(str::to_string);
    let reader = tokio::task::spawn_blocking(move || {
        for (n, owned_file) in owned.iter().enumerate() {
            let file = owned_file.as_import_file();
            let mut rows = match FileRows::open(&file, kind) {
                Ok(rows) => rows,
                Err(_) => {
                    let _ = rows_out.blocking_send(Err(changed(&file.name)));
                    return;
                }
            };
            // Rejects and warnings were reported by the first pass.
            let mut again = ImportReport::default();
            loop {
                let v = match rows.next(&mut again) {
                    Ok(Some(v)) => v,
                    Ok(None) => break,
                    Err(e) => {
                        let _ = rows_out.blocking_send(Err(StoreError::Invalid(format!(
                            "{}: cannot read the file: {e}",
                            file.name
                        ))));
                        return;
                    }
                };
                again.rejected.clear();
                again.warnings.clear();
                if only
                    .as_deref()
                    .is_some_and(|p| filter_prefecture(&v, source) != p)
                {
                    continue;
                }
                if rows_out.blocking_send(Ok((v, n))).is_err() {
                    return; // the writer stopped
                }
            }
        }
    });
    while let Some(row) = rows_in.recv().await {
        let (v, n) = row?;
        if !w.add(&mut tx, v).await? {
            return Err(changed(&files[g.files[n]].name));
        }
    }
    reader
        .await
        .map_err(|e| StoreError::Invalid(format!("reading the files: {e}")))?;
    w.flush(&mut tx).await?;
    store::upsert_national_specialities(&mut tx, &w.specialities, now).await?;
    if !w.pending.is_empty() || w.counts.values().any(|n| *n != 0) {
        return Err(changed("a file"));
    }
    // Entries in scope that the files no longer list.
    let no_services = BTreeSet::new();
    let mut after_id = EntryId(0);
    loop {
        let page = store::imported_entries_page(&mut tx, g.source, after_id, 1_000).await?;
        let Some(last) = page.last() else { break };
        after_id = last.id;
        let candidates: Vec<&ExistingEntry> = page
            .iter()
            .filter(|old| {
                old.disappeared_at.is_none()
                    && !compact(&old.official_code).is_some_and(|k| listed.contains(&k))
            })
            .collect();
        let ids: Vec<EntryId> = candidates.iter().map(|o| o.id).collect();
        let services = store::services_of_entries(&mut tx, &ids).await?;
        for old in candidates {
            let before = services.get(&old.id).unwrap_or(&no_services);
            let in_scope = match kind {
                Kind::Care => {
                    prefecture.is_none_or(|p| old.official_code.starts_with(p))
                        && before.iter().any(|s| imported_services.contains(s))
                }
                Kind::Medical => {
                    prefecture.is_none_or(|p| old.prefecture_code == p)
                        && g.kinds.contains(&old.kind)
                }
                Kind::Municipal => {
                    !old.municipality_code.is_empty()
                        && g.municipalities.contains(&old.municipality_code)
                }
            };
            if !in_scope {
                continue;
            }
            let after: BTreeSet<String> = before
                .iter()
                .filter(|s| !imported_services.contains(*s))
                .cloned()
                .collect();
            if after.is_empty() {
                if !before.is_empty() {
                    store::set_services(&mut tx, old.id, &after, now).await?;
                }
                // Only the mark: local fields stay, and the entry comes
                // back as it was if a later file lists it again.
                store::mark_disappeared(&mut tx, old.id, now).await?;
                w.report.gone(&old.official_code, &old.name);
            } else {
                store::set_services(&mut tx, old.id, &after, now).await?;
                w.report.change(Change {
                    official_code: old.official_code.clone(),
                    name: old.name.clone(),
                    fields: vec!["services".into()],
                });
            }
        }
    }
    let report = &*w.report;
    let names: Vec<&str> = report.files.iter().map(|(n, _)| n.as_str()).collect();
    for (key, scope) in &g.scopes {
        store::record_import_run(
            &mut tx,
            key,
            scope.rows as i64,
            &names.join(", "),
            &by.username(),
            options.allow_mass_removal,
            now,
        )
        .await?;
    }
    let reason = format!(
        "{} files; created {}, updated {}, unchanged {}, disappeared {}, rejected {}{}",
        report.files.len(),
        report.created,
        report.updated,
        report.unchanged,
        report.disappeared_total,
        report.rejected_total,
        if options.allow_mass_removal {
            "; mass removal allowed"
        } else {
            ""
        }
    );
    audit_run(&mut tx, by, g.what, Outcome::Success, reason).await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn audit_run(
    tx: &mut Tx,
    by: &Actor,
    what: &str,
    outcome: Outcome,
    reason: String,
) -> Result<(), StoreError> {
    audit::append(
        tx,
        &AuditEntry {
            region_id: by.region_scope(),
            actor_user_id: by.user_id(),
            actor_username: by.username(),
            role: by.role().code().to_string(),
            action: "directory.import".into(),
            object_kind: "directory".into(),
            object_id: what.into(),
            outcome: Some(outcome),
            source_addr: "cli".into(),
            user_agent: "renkei import".into(),
            reason,
            ..AuditEntry::default()
        },
    )
    .await?;
    Ok(())
}

/// Writes finished entries in batches.
struct Writer<'g> {
    source: &'static str,
    imported_services: &'g BTreeSet<String>,
    now: Timestamp,
    counts: &'g mut HashMap<u64, u32>,
    /// Entries listed again by a later row, merged so far.
    pending: HashMap<u64, Valid>,
    batch: Vec<Valid>,
    report: &'g mut ImportReport,
    /// 診療科目 codes and names the run's speciality rows carry.
    specialities: BTreeMap<String, String>,
    /// Kinds whose speciality-and-hours file this run has: an entry of
    /// another kind keeps the 診療科目 and sessions it has (a facility
    /// file imported alone must not erase them).
    speciality_kinds: BTreeSet<String>,
}

impl Writer<'_> {
    /// Takes one valid row; `false` when the first pass did not see it
    /// (the file changed in between).
    async fn add(&mut self, tx: &mut Tx, v: Valid) -> Result<bool, StoreError> {
        let Some(key) = compact(&v.fields.official_code) else {
            return Ok(true);
        };
        let Some(remaining) = self.counts.get_mut(&key).filter(|n| **n > 0) else {
            return Ok(false);
        };
        if v.fields.name.is_empty() && !v.fields.speciality_codes.is_empty() {
            self.specialities
                .entry(v.fields.speciality_codes.clone())
                .or_insert_with(|| v.fields.departments.clone());
        }
        *remaining -= 1;
        let v = if *remaining == 0 {
            match self.pending.remove(&key) {
                Some(mut first) => {
                    first.merge(v);
                    first.finish()
                }
                None => v.finish(),
            }
        } else {
            match self.pending.entry(key) {
                MapEntry::Occupied(mut e) => e.get_mut().merge(v),
                MapEntry::Vacant(e) => {
                    e.insert(v);
                }
            }
            return Ok(true);
        };
        self.batch.push(v);
        if self.batch.len() >= BATCH {
            self.flush(tx).await?;
        }
        Ok(true)
    }

    async fn flush(&mut self, tx: &mut Tx) -> Result<(), StoreError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        let codes: Vec<String> = batch
            .iter()
            .map(|v| v.fields.official_code.clone())
            .collect();
        let existing = store::imported_entries_by_code(tx, self.source, &codes).await?;
        let ids: Vec<EntryId> = existing.values().map(|e| e.id).collect();
        let existing_services = store::services_of_entries(tx, &ids).await?;
        let no_services = BTreeSet::new();
        let mut new_entries: Vec<(EntryFields, String)> = Vec::new();
        let mut new_services: Vec<BTreeSet<String>> = Vec::new();
        for mut v in batch {
            if v.fields.name.is_empty() {
                // Speciality rows of a facility no facility file of the
                // run lists: nothing to add them to.
                self.report.reject(Reject {
                    file: String::new(),
                    line: 0,
                    column: "ID".into(),
                    reason: format!(
                        "診療科目 rows for facility {}, which no facility file of this run lists; \
                         import the speciality file with its facility file",
                        v.fields.official_code
                    ),
                });
                continue;
            }
            if self.source == CARE_SOURCE {
                v.fields.kind = care_kind(&v.services).to_string();
            }
            place_in_municipality(&mut v.fields, self.report);
            if self.source == MEDICAL_SOURCE && !self.speciality_kinds.contains(&v.fields.kind) {
                if let Some(old) = existing.get(&v.fields.official_code) {
                    keep_specialities(&mut v.fields, &store::entry_fields(tx, old.id).await?);
                }
            }
            let hash = hash_fields(&v.fields);
            let Some(old) = existing.get(&v.fields.official_code) else {
                new_entries.push((v.fields, hash));
                new_services.push(v.services);
                self.report.created += 1;
                continue;
            };
            let before = existing_services.get(&old.id).unwrap_or(&no_services);
            // Services this import does not speak for stay as they were.
            let after: BTreeSet<String> = before
                .iter()
                .filter(|s| !self.imported_services.contains(*s))
                .cloned()
                .chain(v.services.iter().cloned())
                .collect();
            let fields_changed = old.imported_hash != hash;
            if !fields_changed && after == *before && old.disappeared_at.is_none() {
                self.report.unchanged += 1;
                continue;
            }
            let mut changed = Vec::new();
            if fields_changed {
                let stored = store::entry_fields(tx, old.id).await?;
                changed.extend(stored.diff(&v.fields));
            }
            if fields_changed || old.disappeared_at.is_some() {
                store::update_imported(tx, old.id, &v.fields, &hash, self.now).await?;
            }
            if old.disappeared_at.is_some() {
                changed.push("reappeared".into());
            }
            if after != *before {
                store::set_services(tx, old.id, &after, self.now).await?;
                changed.push("services".into());
            }
            self.report.change(Change {
                official_code: v.fields.official_code.clone(),
                name: v.fields.name.clone(),
                fields: changed,
            });
        }
        let ids = store::insert_entries(tx, self.source, &new_entries, self.now).await?;
        let by_code: HashMap<&str, &BTreeSet<String>> = new_entries
            .iter()
            .zip(&new_services)
            .map(|((f, _), s)| (f.official_code.as_str(), s))
            .collect();
        let mut service_rows: Vec<(EntryId, String)> = Vec::new();
        for (code, id) in ids {
            if let Some(services) = by_code.get(code.as_str()) {
                service_rows.extend(services.iter().map(|s| (id, s.clone())));
            }
        }
        store::insert_services(tx, &service_rows).await?;
        Ok(())
    }
}
