//! SQL for directory entries. Import writes touch only the imported columns.

use std::collections::{BTreeSet, HashMap};

use renkei_domain::directory::ChangeRequestStatus;
use renkei_domain::text::fold;
use renkei_domain::{
    ChangeRequestId, EntryId, OrgId, RegionId, SameFacilityPairId, Timestamp, UserId,
};
use renkei_store::{read, write, Db, StoreError, Tx};

use crate::import::care_offices::CareOfficeRow;
use crate::model::{
    ChangeRequest, EntryMeta, ExportMeta, LocalFields, MunicipalityFreshness, NewLocalEntry,
    Overdue, LOCAL_SOURCE,
};

/// Typed ids (integers only) as a comma-separated list written into a
/// statement's `IN (…)`: a list of any length, with nothing to escape.
fn id_list<T: std::fmt::Display>(ids: &[T]) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The columns an import owns. Everything else on an entry is maintained
/// locally and never written here.
#[derive(Debug, Clone, PartialEq, Default, sqlx::FromRow)]
pub struct EntryFields {
    pub official_code: String,
    pub kind: String,
    pub name: String,
    pub kana: String,
    pub prefecture_code: String,
    pub municipality_code: String,
    pub municipality_name: String,
    pub address: String,
    pub building: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub phone: String,
    pub fax: String,
    pub url: String,
    pub email: String,
    pub corporate_number: String,
    pub corporate_name: String,
    pub open_days: String,
    pub open_days_note: String,
    pub capacity: Option<i64>,
    pub remarks: String,
    /// Opening hours as the source states them (診療時間).
    pub hours: String,
    /// 診療科目 names, ";"-separated (what pages show and text search reads).
    pub departments: String,
    /// 診療科目コード, comma-separated (what the speciality filter reads).
    pub speciality_codes: String,
    /// Opening hours as [`renkei_domain::directory::Schedule`] JSON ("" for none).
    pub schedule: String,
}

const FIELD_COLUMNS: &str = "official_code, kind, name, kana, prefecture_code, municipality_code, municipality_name, \
    address, building, lat, lon, phone, fax, url, email, corporate_number, corporate_name, open_days, open_days_note, \
    capacity, remarks, hours, departments, speciality_codes, schedule";

impl EntryFields {
    pub fn from_care_office(row: &CareOfficeRow, services: &BTreeSet<String>) -> Self {
        // The most specific kind any of its services gives.
        let kind = services
            .iter()
            .map(|s| renkei_domain::directory::org_kind_for_care_service(s))
            .find(|k| *k != "care_service")
            .unwrap_or("care_service");
        EntryFields {
            official_code: row.office_number.clone(),
            kind: kind.to_string(),
            name: row.name.clone(),
            kana: row.kana.clone(),
            prefecture_code: row.office_number.chars().take(2).collect(),
            municipality_code: row.municipality_code.clone(),
            municipality_name: row.municipality_name.clone(),
            address: row.address.clone(),
            building: row.building.clone(),
            lat: row.lat,
            lon: row.lon,
            phone: row.phone.clone(),
            fax: row.fax.clone(),
            url: row.url.clone(),
            email: row.email.clone(),
            corporate_number: row.corporate_number.clone(),
            corporate_name: row.corporate_name.clone(),
            open_days: row.open_days.clone(),
            open_days_note: row.open_days_note.clone(),
            capacity: row.capacity,
            remarks: row.remarks.clone(),
            hours: String::new(),
            departments: String::new(),
            speciality_codes: String::new(),
            schedule: String::new(),
        }
    }

    /// Every field as text, in a fixed order, for the change hash.
    pub fn hash_parts(&self) -> Vec<String> {
        let opt_f = |v: Option<f64>| v.map(|x| format!("{x:.7}")).unwrap_or_default();
        vec![
            self.kind.clone(),
            self.name.clone(),
            self.kana.clone(),
            self.prefecture_code.clone(),
            self.municipality_code.clone(),
            self.municipality_name.clone(),
            self.address.clone(),
            self.building.clone(),
            opt_f(self.lat),
            opt_f(self.lon),
            self.phone.clone(),
            self.fax.clone(),
            self.url.clone(),
            self.email.clone(),
            self.corporate_number.clone(),
            self.corporate_name.clone(),
            self.open_days.clone(),
            self.open_days_note.clone(),
            self.capacity.map(|c| c.to_string()).unwrap_or_default(),
            self.remarks.clone(),
            self.hours.clone(),
            self.departments.clone(),
            self.speciality_codes.clone(),
            self.schedule.clone(),
        ]
    }

    /// The names of the fields that differ from `new`.
    pub fn diff(&self, new: &EntryFields) -> Vec<String> {
        const NAMES: [&str; 24] = [
            "kind",
            "name",
            "kana",
            "prefecture_code",
            "municipality_code",
            "municipality_name",
            "address",
            "building",
            "lat",
            "lon",
            "phone",
            "fax",
            "url",
            "email",
            "corporate_number",
            "corporate_name",
            "open_days",
            "open_days_note",
            "capacity",
            "remarks",
            "hours",
            "departments",
            "speciality_codes",
            "schedule",
        ];
        self.hash_parts()
            .iter()
            .zip(new.hash_parts())
            .zip(NAMES)
            .filter(|((a, b), _)| *a != b)
            .map(|(_, n)| n.to_string())
            .collect()
    }

    /// What text search reads: name, kana, address and the 診療科目 names
    /// (so 内科 finds the clinics that offer it, not only those named so).
    fn search_key(&self) -> String {
        fold(&format!(
            "{} {} {} {} {}",
            self.name, self.kana, self.address, self.building, self.departments
        ))
    }
}

/// An imported entry as the importer needs to know it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExistingEntry {
    pub id: EntryId,
    pub official_code: String,
    pub kind: String,
    pub prefecture_code: String,
    pub municipality_code: String,
    pub name: String,
    pub imported_hash: String,
    pub disappeared_at: Option<i64>,
}

pub async fn entry_fields(tx: &mut Tx, id: EntryId) -> Result<EntryFields, StoreError> {
    let sql = format!("SELECT {FIELD_COLUMNS} FROM directory_entries WHERE id = $1");
    Ok(write!(tx, |c| sqlx::query_as(&sql)
        .bind(id)
        .fetch_one(&mut *c)
        .await?))
}

macro_rules! bind_fields {
    ($q:expr, $f:expr) => {
        $q.bind(&$f.official_code)
            .bind(&$f.kind)
            .bind(&$f.name)
            .bind(&$f.kana)
            .bind(&$f.prefecture_code)
            .bind(&$f.municipality_code)
            .bind(&$f.municipality_name)
            .bind(&$f.address)
            .bind(&$f.building)
            .bind($f.lat)
            .bind($f.lon)
            .bind(&$f.phone)
            .bind(&$f.fax)
            .bind(&$f.url)
            .bind(&$f.email)
            .bind(&$f.corporate_number)
            .bind(&$f.corporate_name)
            .bind(&$f.open_days)
            .bind(&$f.open_days_note)
            .bind($f.capacity)
            .bind(&$f.remarks)
            .bind(&$f.hours)
            .bind(&$f.departments)
            .bind(&$f.speciality_codes)
            .bind(&$f.schedule)
    };
}

/// Inserts new entries in multi-row statements (the national files hold
/// hundreds of thousands) and returns (official code, id) pairs. RETURNING
/// order is not guaranteed, so each id comes back with its code.
pub async fn insert_entries(
    tx: &mut Tx,
    source: &str,
    items: &[(EntryFields, String)],
    now: Timestamp,
) -> Result<Vec<(String, EntryId)>, StoreError> {
    const ROWS_PER_STATEMENT: usize = 400; // 31 parameters each, within SQLite's 32,766
    let mut out = Vec::with_capacity(items.len());
    let head = format!(
        "INSERT INTO directory_entries ({FIELD_COLUMNS}, search_key, imported_hash, source, last_imported_at, created_at, updated_at) "
    );
    for chunk in items.chunks(ROWS_PER_STATEMENT) {
        let keys: Vec<String> = chunk.iter().map(|(f, _)| f.search_key()).collect();
        let rows: Vec<(EntryId, String)> = write!(tx, |c| {
            let mut qb = sqlx::QueryBuilder::new(head.as_str());
            qb.push_values(chunk.iter().zip(&keys), |mut b, ((f, hash), key)| {
                b.push_bind(f.official_code.as_str())
                    .push_bind(f.kind.as_str())
                    .push_bind(f.name.as_str())
                    .push_bind(f.kana.as_str())
                    .push_bind(f.prefecture_code.as_str())
                    .push_bind(f.municipality_code.as_str())
                    .push_bind(f.municipality_name.as_str())
                    .push_bind(f.address.as_str())
                    .push_bind(f.building.as_str())
                    .push_bind(f.lat)
                    .push_bind(f.lon)
                    .push_bind(f.phone.as_str())
                    .push_bind(f.fax.as_str())
                    .push_bind(f.url.as_str())
                    .push_bind(f.email.as_str())
                    .push_bind(f.corporate_number.as_str())
                    .push_bind(f.corporate_name.as_str())
                    .push_bind(f.open_days.as_str())
                    .push_bind(f.open_days_note.as_str())
                    .push_bind(f.capacity)
                    .push_bind(f.remarks.as_str())
                    .push_bind(f.hours.as_str())
                    .push_bind(f.departments.as_str())
                    .push_bind(f.speciality_codes.as_str())
                    .push_bind(f.schedule.as_str())
                    .push_bind(key.as_str())
                    .push_bind(hash.as_str())
                    .push_bind(source)
                    .push_bind(now.millis())
                    .push_bind(now.millis())
                    .push_bind(now.millis());
            });
            qb.push(" RETURNING id, official_code");
            qb.build_query_as::<(EntryId, String)>()
                .fetch_all(&mut *c)
                .await?
        });
        out.extend(rows.into_iter().map(|(id, code)| (code, id)));
    }
    Ok(out)
}

/// Records the 診療科目 an import saw (code → the name it gave), keeping a
/// code a region added as its own.
pub async fn upsert_national_specialities(
    tx: &mut Tx,
    specialities: &std::collections::BTreeMap<String, String>,
    now: Timestamp,
) -> Result<(), StoreError> {
    for (code, name) in specialities {
        write!(tx, |c| {
            sqlx::query(
                "INSERT INTO directory_specialities (code, name, national, updated_at) VALUES ($1, $2, TRUE, $3) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at \
                 WHERE directory_specialities.national",
            )
            .bind(code)
            .bind(name)
            .bind(now.millis())
            .execute(&mut *c)
            .await?;
        });
    }
    Ok(())
}

/// Replaces the imported holidays of every year `holidays` covers.
pub async fn replace_holidays(
    tx: &mut Tx,
    holidays: &renkei_domain::holidays::Holidays,
    now: Timestamp,
) -> Result<(), StoreError> {
    for year in holidays.years() {
        write!(tx, |c| {
            sqlx::query("DELETE FROM directory_holidays WHERE day LIKE $1")
                .bind(format!("{year:04}-%"))
                .execute(&mut *c)
                .await?;
        });
    }
    for (day, name) in holidays.entries() {
        write!(tx, |c| {
            sqlx::query(
                "INSERT INTO directory_holidays (day, name, imported_at) VALUES ($1, $2, $3)",
            )
            .bind(&day)
            .bind(name)
            .bind(now.millis())
            .execute(&mut *c)
            .await?;
        });
    }
    Ok(())
}

/// The holidays imported into the database (day "YYYY-MM-DD", name).
pub async fn imported_holidays(db: &Db) -> Result<Vec<(String, String)>, StoreError> {
    Ok(read!(db, |c| sqlx::query_as(
        "SELECT day, name FROM directory_holidays ORDER BY day"
    )
    .fetch_all(c)
    .await?))
}

/// Every 診療科目 the directory knows (code, name), by code.
pub async fn specialities(db: &Db) -> Result<Vec<(String, String)>, StoreError> {
    Ok(read!(db, |c| sqlx::query_as(
        "SELECT code, name FROM directory_specialities ORDER BY code"
    )
    .fetch_all(c)
    .await?))
}

/// Adds service codes to new entries, many rows per statement.
pub async fn insert_services(tx: &mut Tx, pairs: &[(EntryId, String)]) -> Result<(), StoreError> {
    for chunk in pairs.chunks(2000) {
        write!(tx, |c| {
            let mut qb =
                sqlx::QueryBuilder::new("INSERT INTO directory_services (entry_id, service_code) ");
            qb.push_values(chunk, |mut b, (id, code)| {
                b.push_bind(*id).push_bind(code.as_str());
            });
            qb.build().execute(&mut *c).await?;
        });
    }
    Ok(())
}

/// Rewrites the imported columns only; acceptance, notes, consent,
/// confirmation and the organisation link stay as they were.
pub async fn update_imported(
    tx: &mut Tx,
    id: EntryId,
    f: &EntryFields,
    hash: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let sets: Vec<String> = FIELD_COLUMNS
        .split(", ")
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect();
    let n = sets.len();
    let sql = format!(
        "UPDATE directory_entries SET {}, search_key = ${}, imported_hash = ${}, last_imported_at = ${}, updated_at = ${}, \
         disappeared_at = NULL WHERE id = ${}",
        sets.join(", "),
        n + 1,
        n + 2,
        n + 3,
        n + 3,
        n + 4
    );
    let key = f.search_key();
    write!(tx, |c| {
        bind_fields!(sqlx::query(&sql), f)
            .bind(&key)
            .bind(hash)
            .bind(now.millis())
            .bind(id)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

/// Replaces an entry's services, and stamps the entry as changed: the
/// search index finds what changed by that stamp, and a service gained or
/// lost is a change of the entry even when its fields are the same.
pub async fn set_services(
    tx: &mut Tx,
    id: EntryId,
    services: &BTreeSet<String>,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query("UPDATE directory_entries SET updated_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now.millis())
            .execute(&mut *c)
            .await?;
        sqlx::query("DELETE FROM directory_services WHERE entry_id = $1")
            .bind(id)
            .execute(&mut *c)
            .await?;
        for s in services {
            sqlx::query("INSERT INTO directory_services (entry_id, service_code) VALUES ($1, $2)")
                .bind(id)
                .bind(s)
                .execute(&mut *c)
                .await?;
        }
    });
    Ok(())
}

pub async fn mark_disappeared(tx: &mut Tx, id: EntryId, now: Timestamp) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE directory_entries SET disappeared_at = $2, updated_at = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
        // Entries merged into it are listed on their own again (one
        // facility, one entry): the facility may still be in their source.
        sqlx::query(
            "UPDATE directory_same_facility SET status = 'split', decided_at = $2 \
             WHERE status = 'merged' AND (entry_a = $1 OR entry_b = $1) \
             AND (entry_a IN (SELECT id FROM directory_entries WHERE merged_into = $1) \
                  OR entry_b IN (SELECT id FROM directory_entries WHERE merged_into = $1))",
        )
        .bind(id)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
        sqlx::query(
            "UPDATE directory_entries SET merged_into = NULL, updated_at = $2 WHERE merged_into = $1",
        )
        .bind(id)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

/// A directory entry with its locally maintained fields, as tests read it.
#[cfg(feature = "fixtures")]
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRow {
    pub id: EntryId,
    pub official_code: String,
    pub kind: String,
    pub name: String,
    pub kana: String,
    pub search_key: String,
    pub municipality_code: String,
    pub municipality_name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub phone: String,
    pub url: String,
    pub email: String,
    pub capacity: Option<i64>,
    pub hours: String,
    pub departments: String,
    pub speciality_codes: String,
    pub schedule: String,
    pub acceptance: String,
    pub acceptance_note: String,
    pub local_notes: String,
    pub disappeared_at: Option<i64>,
}

#[cfg(feature = "fixtures")]
pub async fn entry_by_code(
    db: &Db,
    source: &str,
    code: &str,
) -> Result<Option<(EntryRow, Vec<String>)>, StoreError> {
    let row: Option<EntryRow> = read!(db, |c| {
        sqlx::query_as(
            "SELECT id, official_code, kind, name, kana, search_key, municipality_code, municipality_name, address, lat, lon, phone, url, email, \
             capacity, hours, departments, speciality_codes, schedule, acceptance, acceptance_note, local_notes, disappeared_at \
             FROM directory_entries WHERE source = $1 AND official_code = $2",
        )
        .bind(source)
        .bind(code)
        .fetch_optional(c)
        .await?
    });
    let Some(row) = row else { return Ok(None) };
    let services: Vec<String> = read!(db, |c| {
        sqlx::query_scalar(
            "SELECT service_code FROM directory_services WHERE entry_id = $1 ORDER BY service_code",
        )
        .bind(row.id)
        .fetch_all(c)
        .await?
    });
    Ok(Some((row, services)))
}

#[cfg(feature = "fixtures")]
pub async fn count_entries(db: &Db) -> Result<i64, StoreError> {
    Ok(read!(db, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM directory_entries"
    )
    .fetch_one(c)
    .await?))
}

/// Sets the locally maintained acceptance status without a user, so tests
/// can prove imports leave it alone.
#[cfg(feature = "fixtures")]
pub async fn set_acceptance(
    db: &Db,
    id: EntryId,
    status: &str,
    note: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    write!(&mut tx, |c| {
        sqlx::query("UPDATE directory_entries SET acceptance = $2, acceptance_note = $3, acceptance_as_of = $4, updated_at = $4 WHERE id = $1")
            .bind(id)
            .bind(status)
            .bind(note)
            .bind(now.millis())
            .execute(&mut *c)
            .await?;
    });
    tx.commit().await
}

#[derive(sqlx::FromRow)]
struct IndexRow {
    id: EntryId,
    name: String,
    kana: String,
    kind: String,
    address: String,
    building: String,
    municipality_code: String,
    phone: String,
    url: String,
    fax: String,
    email: String,
    hours: String,
    open_days: String,
    features: String,
    languages: String,
    area: String,
    functions: String,
    procedures: String,
    contact_windows: String,
    lat: Option<f64>,
    lon: Option<f64>,
    acceptance: String,
    acceptance_note: String,
    acceptance_as_of: Option<i64>,
    vacant_beds: Option<i64>,
    confirmed_at: Option<i64>,
    public_fields: String,
    publish_consent: bool,
    prefecture_code: String,
    departments: String,
    speciality_codes: String,
    schedule: String,
    staff_count: Option<i64>,
    staff_qualifications: String,
}

/// Splits a comma-separated code list.
pub fn codes(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

/// The columns the index reads (also used for one entry's page).
const INDEX_COLUMNS: &str = "id, name, kana, kind, address, building, municipality_code, phone, url, fax, email, \
    hours, open_days, features, languages, area, functions, procedures, contact_windows, lat, lon, acceptance, \
    acceptance_note, acceptance_as_of, vacant_beds, confirmed_at, public_fields, publish_consent, \
    prefecture_code, departments, speciality_codes, schedule, staff_count, staff_qualifications";

/// An entry's contact windows as stored. JSON that does not parse is never
/// read as "no windows" (an edit would then erase them): it is logged and
/// the row refused.
fn contact_windows(
    entry_id: EntryId,
    json: &str,
) -> Result<Vec<renkei_domain::directory::ContactWindow>, StoreError> {
    serde_json::from_str(json).map_err(|e| {
        tracing::error!(entry_id = entry_id.0, error = %e, "directory_entries.contact_windows does not parse");
        StoreError::Invalid(format!(
            "directory entry {entry_id}: its stored contact windows are corrupt ({e})"
        ))
    })
}

impl IndexRow {
    fn into_entry(self, services: Vec<String>) -> Result<crate::search::Entry, StoreError> {
        let contact_windows = contact_windows(self.id, &self.contact_windows)?;
        let hours = match (self.open_days.is_empty(), self.hours.is_empty()) {
            (true, _) => self.hours,
            (false, true) => self.open_days,
            (false, false) => format!("{} {}", self.open_days, self.hours),
        };
        let specialities = codes(&self.speciality_codes);
        // Parsed here, row by row, and kept compact: a national
        // directory's schedules in full would take gigabytes.
        let weekly_hours = renkei_domain::directory::Schedule::from_json(&self.schedule)
            .weekly_hours(&specialities);
        Ok(crate::search::Entry {
            services,
            id: self.id,
            name: self.name,
            kana: self.kana,
            kind: self.kind,
            address: if self.building.is_empty() {
                self.address
            } else {
                format!("{} {}", self.address, self.building)
            },
            municipality_code: self.municipality_code,
            prefecture_code: self.prefecture_code,
            specialities,
            departments: self.departments,
            staff_count: self.staff_count,
            staff_qualifications: codes(&self.staff_qualifications),
            weekly_hours,
            phone: self.phone,
            url: self.url,
            fax: self.fax,
            email: self.email,
            hours,
            features: self.features,
            languages: self.languages,
            area: self.area,
            functions: codes(&self.functions),
            procedures: codes(&self.procedures),
            contact_windows,
            lat: self.lat,
            lon: self.lon,
            acceptance: self.acceptance,
            acceptance_note: self.acceptance_note,
            acceptance_as_of: self.acceptance_as_of,
            vacant_beds: self.vacant_beds,
            confirmed_at: self.confirmed_at,
            public_mask: crate::search::public_mask_of(&self.public_fields),
            published: self.publish_consent,
        })
    }
}

/// Every current entry with its services, for building the search index.
pub async fn load_for_index(db: &Db) -> Result<Vec<crate::search::Entry>, StoreError> {
    let mut out = Vec::new();
    each_current_entry(db, false, |e| out.push(e)).await?;
    Ok(out)
}

/// The search index of every current entry, built as the rows stream in
/// kana order: no list of every entry is held besides the index itself,
/// so a national build needs little more than the index it makes.
///
/// Returns the index and how many current rows it left out because their
/// stored JSON is corrupt (logged): the live index counts them with its
/// own entries when it compares with the database's count.
pub async fn build_index(db: &Db) -> Result<(crate::search::Index, usize), StoreError> {
    let mut index = crate::search::Index::default();
    let skipped = each_current_entry(db, true, |e| index.append(&e)).await?;
    Ok((index, skipped))
}

/// Calls `f` with every current entry, in id order or in the index's kana
/// order (bytewise, as Rust compares strings).
async fn each_current_entry(
    db: &Db,
    kana_order: bool,
    mut f: impl FnMut(crate::search::Entry),
) -> Result<usize, StoreError> {
    let mut skipped = 0usize;
    let order = match (kana_order, db.backend()) {
        (false, _) => "id",
        (true, renkei_store::Backend::Sqlite) => "kana, id",
        (true, renkei_store::Backend::Postgres) => "kana COLLATE \"C\", id",
    };
    let sql = format!(
        "SELECT {INDEX_COLUMNS} FROM directory_entries WHERE disappeared_at IS NULL AND merged_into IS NULL ORDER BY {order}"
    );
    let services: Vec<(EntryId, String)> = read!(db, |c| {
        sqlx::query_as(
            "SELECT s.entry_id, s.service_code FROM directory_services s \
             JOIN directory_entries e ON e.id = s.entry_id WHERE e.disappeared_at IS NULL AND e.merged_into IS NULL \
             ORDER BY s.entry_id, s.service_code",
        )
        .fetch_all(c)
        .await?
    });
    let mut by_entry: HashMap<EntryId, Vec<String>> = HashMap::new();
    for (id, code) in services {
        by_entry.entry(id).or_default().push(code);
    }
    // Rows are streamed and made entries one by one: a row carries its
    // schedule as JSON, and the whole table's JSON at once would take
    // gigabytes. A row whose stored JSON is corrupt stays out of the index
    // (logged by contact_windows) rather than keeping every other entry out.
    read!(db, |c| {
        let mut rows = sqlx::query_as::<_, IndexRow>(&sql).fetch(c);
        while let Some(r) = futures_util::TryStreamExt::try_next(&mut rows).await? {
            let services = by_entry.remove(&r.id).unwrap_or_default();
            match r.into_entry(services) {
                Ok(e) => f(e),
                Err(_) => skipped += 1,
            }
        }
    });
    Ok(skipped)
}

/// What the search index compares to know whether the directory changed:
/// rows, current entries, the newest change and the newest import run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct IndexFingerprint {
    pub rows: i64,
    pub current: i64,
    pub newest_change: i64,
    pub newest_import: i64,
}

pub async fn index_fingerprint(db: &Db) -> Result<IndexFingerprint, StoreError> {
    // Three statements, each answered from an index (migration 0018 for
    // the listed count): one that reads both columns scans every row.
    let (rows, newest_change): (i64, i64) = read!(db, |c| {
        sqlx::query_as("SELECT COUNT(*), COALESCE(MAX(updated_at), 0) FROM directory_entries")
            .fetch_one(c)
            .await?
    });
    let current: i64 = read!(db, |c| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM directory_entries WHERE disappeared_at IS NULL AND merged_into IS NULL",
        )
        .fetch_one(c)
        .await?
    });
    let newest_import: i64 = read!(db, |c| {
        sqlx::query_scalar("SELECT COALESCE(MAX(imported_at), 0) FROM directory_import_runs")
            .fetch_one(c)
            .await?
    });
    Ok(IndexFingerprint {
        rows,
        current,
        newest_change,
        newest_import,
    })
}

/// When the oldest import run that finished after `after` (Unix ms) ran:
/// its rows carry that time.
pub async fn oldest_import_run_after(db: &Db, after: i64) -> Result<Option<i64>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_scalar(
            "SELECT MIN(imported_at) FROM directory_import_runs WHERE imported_at > $1",
        )
        .bind(after)
        .fetch_one(c)
        .await?
    }))
}

/// How many entries changed at or after `since` (Unix ms).
pub async fn count_changed_since(db: &Db, since: i64) -> Result<i64, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_scalar("SELECT COUNT(*) FROM directory_entries WHERE updated_at >= $1")
            .bind(since)
            .fetch_one(c)
            .await?
    }))
}

/// A page of the entries that changed at or after `since` (Unix ms), in id
/// order after `after`, as the index holds them (`None` for one that left
/// the directory or was merged into another).
pub struct ChangedPage {
    pub entries: Vec<(EntryId, Option<crate::search::Entry>)>,
    /// The last id read (the next page starts after it); `None` when the
    /// page was empty.
    pub last: Option<EntryId>,
    /// Rows read: fewer than asked means this was the last page.
    pub rows: usize,
}

pub async fn changed_since(
    db: &Db,
    since: i64,
    after: EntryId,
    limit: i64,
) -> Result<ChangedPage, StoreError> {
    let sql = format!(
        "SELECT {INDEX_COLUMNS}, disappeared_at, merged_into FROM directory_entries \
         WHERE updated_at >= $1 AND id > $2 ORDER BY id LIMIT $3"
    );
    let rows: Vec<ChangedRow> = read!(db, |c| {
        sqlx::query_as(&sql)
            .bind(since)
            .bind(after)
            .bind(limit)
            .fetch_all(c)
            .await?
    });
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Ok(ChangedPage {
            entries: Vec::new(),
            last: None,
            rows: 0,
        });
    };
    let (first, last) = (first.row.id, last.row.id);
    let services: Vec<(EntryId, String)> = read!(db, |c| {
        sqlx::query_as(
            "SELECT s.entry_id, s.service_code FROM directory_services s \
             JOIN directory_entries e ON e.id = s.entry_id \
             WHERE e.updated_at >= $1 AND e.id BETWEEN $2 AND $3 \
             ORDER BY s.entry_id, s.service_code",
        )
        .bind(since)
        .bind(first)
        .bind(last)
        .fetch_all(c)
        .await?
    });
    let mut by_entry: HashMap<EntryId, Vec<String>> = HashMap::new();
    for (id, code) in services {
        by_entry.entry(id).or_default().push(code);
    }
    let read = rows.len();
    let mut out = Vec::with_capacity(read);
    for r in rows {
        let id = r.row.id;
        if r.disappeared_at.is_some() || r.merged_into.is_some() {
            out.push((id, None));
            continue;
        }
        let services = by_entry.remove(&id).unwrap_or_default();
        // A row whose stored JSON is corrupt (logged) is left as the index
        // has it: an edit of it that cannot be read changes nothing.
        if let Ok(e) = r.row.into_entry(services) {
            out.push((id, Some(e)));
        }
    }
    Ok(ChangedPage {
        entries: out,
        last: Some(last),
        rows: read,
    })
}

#[derive(sqlx::FromRow)]
struct ChangedRow {
    #[sqlx(flatten)]
    row: IndexRow,
    disappeared_at: Option<i64>,
    merged_into: Option<EntryId>,
}

/// One current entry as the index holds it (`None` once it disappeared).
pub async fn current_entry_for_index(
    db: &Db,
    id: EntryId,
) -> Result<Option<crate::search::Entry>, StoreError> {
    let listed: Option<(Option<i64>, Option<EntryId>)> = read!(db, |c| {
        sqlx::query_as("SELECT disappeared_at, merged_into FROM directory_entries WHERE id = $1")
            .bind(id)
            .fetch_optional(c)
            .await?
    });
    match listed {
        Some((None, None)) => entry_by_id(db, id).await,
        _ => Ok(None),
    }
}

/// One entry as the search index would hold it, read fresh from the
/// database (entry pages show edits at once, before the index catches up).
pub async fn entry_by_id(db: &Db, id: EntryId) -> Result<Option<crate::search::Entry>, StoreError> {
    let sql = format!("SELECT {INDEX_COLUMNS} FROM directory_entries WHERE id = $1");
    let row: Option<IndexRow> = read!(db, |c| {
        sqlx::query_as(&sql).bind(id).fetch_optional(c).await?
    });
    let Some(row) = row else { return Ok(None) };
    let services: Vec<String> = read!(db, |c| {
        sqlx::query_scalar(
            "SELECT service_code FROM directory_services WHERE entry_id = $1 ORDER BY service_code",
        )
        .bind(id)
        .fetch_all(c)
        .await?
    });
    Ok(Some(row.into_entry(services)?))
}

/// The procedure list (code, name) in the order it was made.
pub async fn procedures(db: &Db) -> Result<Vec<(String, String)>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as("SELECT code, name FROM directory_procedures ORDER BY added_at, code")
            .fetch_all(c)
            .await?
    }))
}

/// Adds a procedure a region needs beyond the seed list (the service
/// checks it and writes the audit record in the same transaction). A code
/// already listed is a [`StoreError::Conflict`].
pub async fn insert_procedure(
    tx: &mut Tx,
    code: &str,
    name: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query("INSERT INTO directory_procedures (code, name, added_at) VALUES ($1, $2, $3)")
            .bind(code)
            .bind(name)
            .bind(now.millis())
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

#[derive(sqlx::FromRow)]
struct LocalRow {
    area: String,
    functions: String,
    procedures: String,
    contact_windows: String,
    contact_person: String,
    features: String,
    languages: String,
    local_notes: String,
    public_fields: String,
    publish_consent: bool,
    staff_count: Option<i64>,
    staff_qualifications: String,
    liaison_window: String,
}

pub async fn entry_meta(db: &Db, id: EntryId) -> Result<Option<EntryMeta>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT e.id, e.source, e.official_code, e.org_id, e.municipality_code, e.municipality_name, e.departments, \
             e.remarks, e.corporate_name, e.capacity, e.confirmed_at, u.display_name AS confirmed_by_name, \
             o.name AS org_name, e.disappeared_at, e.merged_into, e.schedule AS schedule_json \
             FROM directory_entries e LEFT JOIN identity_people u ON u.id = e.confirmed_by \
             LEFT JOIN identity_organisations o ON o.id = e.org_id WHERE e.id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?
    }))
}

pub async fn local_fields(db: &Db, id: EntryId) -> Result<Option<LocalFields>, StoreError> {
    let row: Option<LocalRow> = read!(db, |c| {
        sqlx::query_as(
            "SELECT area, functions, procedures, contact_windows, contact_person, features, languages, local_notes, \
             public_fields, publish_consent, staff_count, staff_qualifications, liaison_window \
             FROM directory_entries WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?
    });
    let Some(r) = row else { return Ok(None) };
    Ok(Some(LocalFields {
        contact_windows: contact_windows(id, &r.contact_windows)?,
        area: r.area,
        functions: codes(&r.functions),
        procedures: codes(&r.procedures),
        contact_person: r.contact_person,
        features: r.features,
        languages: r.languages,
        local_notes: r.local_notes,
        public_fields: codes(&r.public_fields),
        publish_consent: r.publish_consent,
        staff_count: r.staff_count,
        staff_qualifications: codes(&r.staff_qualifications),
        // Written by this crate only; a value it cannot read is "not told".
        liaison_window: if r.liaison_window.is_empty() {
            Default::default()
        } else {
            serde_json::from_str(&r.liaison_window).unwrap_or_default()
        },
    }))
}

pub async fn write_local_fields(
    tx: &mut Tx,
    id: EntryId,
    f: &LocalFields,
    now: Timestamp,
) -> Result<(), StoreError> {
    let windows = serde_json::to_string(&f.contact_windows)
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    let liaison = if f.liaison_window.is_empty() {
        String::new()
    } else {
        serde_json::to_string(&f.liaison_window).map_err(|e| StoreError::Invalid(e.to_string()))?
    };
    write!(tx, |c| {
        sqlx::query(
            "UPDATE directory_entries SET area = $2, functions = $3, procedures = $4, contact_windows = $5, \
             contact_person = $6, features = $7, languages = $8, local_notes = $9, public_fields = $10, \
             publish_consent = $11, updated_at = $12, staff_count = $13, staff_qualifications = $14, \
             liaison_window = $15 WHERE id = $1",
        )
        .bind(id)
        .bind(&f.area)
        .bind(f.functions.join(","))
        .bind(f.procedures.join(","))
        .bind(&windows)
        .bind(&f.contact_person)
        .bind(&f.features)
        .bind(&f.languages)
        .bind(&f.local_notes)
        .bind(f.public_fields.join(","))
        .bind(f.publish_consent)
        .bind(now.millis())
        .bind(f.staff_count)
        .bind(f.staff_qualifications.join(","))
        .bind(&liaison)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

pub async fn write_acceptance(
    tx: &mut Tx,
    id: EntryId,
    status: &str,
    note: &str,
    vacant_beds: Option<i64>,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE directory_entries SET acceptance = $2, acceptance_note = $3, vacant_beds = $4, \
             acceptance_as_of = $5, updated_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(note)
        .bind(vacant_beds)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

pub async fn write_confirmation(
    tx: &mut Tx,
    id: EntryId,
    user_id: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "UPDATE directory_entries SET confirmed_by = $2, confirmed_at = $3, updated_at = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(user_id)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

pub async fn link_org(
    tx: &mut Tx,
    id: EntryId,
    org_id: Option<OrgId>,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query("UPDATE directory_entries SET org_id = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(org_id)
            .bind(now.millis())
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

/// The region of an organisation, `None` when there is no such organisation.
pub async fn organisation_region(db: &Db, org_id: OrgId) -> Result<Option<RegionId>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_scalar("SELECT region_id FROM identity_organisations WHERE id = $1")
            .bind(org_id)
            .fetch_optional(c)
            .await?
    }))
}

/// The region of a municipality by its 6-digit code (identity stores the
/// codes normalised, check digit included).
/// A region's municipality codes and the outside entries it lists.
pub async fn region_resources(
    db: &Db,
    region_id: RegionId,
) -> Result<(Vec<String>, Vec<EntryId>), StoreError> {
    let codes: Vec<String> = read!(db, |c| {
        sqlx::query_scalar(
            "SELECT code FROM identity_municipalities WHERE region_id = $1 ORDER BY code",
        )
        .bind(region_id)
        .fetch_all(c)
        .await?
    });
    let listed: Vec<EntryId> = read!(db, |c| {
        sqlx::query_scalar(
            "SELECT DISTINCT COALESCE(e.merged_into, l.entry_id) FROM directory_region_listings l \
             JOIN directory_entries e ON e.id = l.entry_id WHERE l.region_id = $1 ORDER BY 1",
        )
        .bind(region_id)
        .fetch_all(c)
        .await?
    });
    Ok((codes, listed))
}

/// Lists (or, `listed` false, unlists) an outside entry for a region.
pub async fn set_region_listing(
    tx: &mut Tx,
    id: EntryId,
    region_id: RegionId,
    listed: bool,
    by: Option<UserId>,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        if listed {
            sqlx::query(
                "INSERT INTO directory_region_listings (entry_id, region_id, listed_by, listed_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (entry_id, region_id) DO NOTHING",
            )
            .bind(id)
            .bind(region_id)
            .bind(by)
            .bind(now.millis())
            .execute(&mut *c)
            .await?;
        } else {
            sqlx::query(
                "DELETE FROM directory_region_listings WHERE entry_id = $1 AND region_id = $2",
            )
            .bind(id)
            .bind(region_id)
            .execute(&mut *c)
            .await?;
        }
    });
    Ok(())
}

pub async fn municipality_region(db: &Db, code: &str) -> Result<Option<RegionId>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_scalar("SELECT region_id FROM identity_municipalities WHERE code = $1")
            .bind(code)
            .fetch_optional(c)
            .await?
    }))
}

/// Whether an entry belongs to a region: through the organisation that
/// maintains it, its municipality, or the region's listing of it (a
/// resource outside the region that its residents use).
pub async fn entry_in_region(
    db: &Db,
    id: EntryId,
    region_id: RegionId,
) -> Result<bool, StoreError> {
    let n: i64 = read!(db, |c| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM directory_entries e WHERE e.id = $1 AND ( \
               e.org_id IN (SELECT id FROM identity_organisations WHERE region_id = $2) \
               OR e.municipality_code IN (SELECT code FROM identity_municipalities WHERE region_id = $2) \
               OR e.id IN (SELECT COALESCE(x.merged_into, x.id) FROM directory_region_listings l \
                           JOIN directory_entries x ON x.id = l.entry_id WHERE l.region_id = $2))",
        )
        .bind(id)
        .bind(region_id)
        .fetch_one(c)
        .await?
    });
    Ok(n > 0)
}

pub async fn insert_change_request(
    tx: &mut Tx,
    entry_id: EntryId,
    user_id: UserId,
    changes: &LocalFields,
    now: Timestamp,
) -> Result<ChangeRequestId, StoreError> {
    let json = serde_json::to_string(changes).map_err(|e| StoreError::Invalid(e.to_string()))?;
    Ok(write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO directory_change_requests (entry_id, requested_by, requested_at, changes) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(entry_id)
        .bind(user_id)
        .bind(now.millis())
        .bind(&json)
        .fetch_one(&mut *c)
        .await?
    }))
}

const CHANGE_REQUEST_SELECT: &str =
    "SELECT r.id, r.entry_id, e.name AS entry_name, u.display_name AS requested_by_name, \
    r.requested_at, r.changes, r.status FROM directory_change_requests r \
    JOIN directory_entries e ON e.id = r.entry_id JOIN identity_people u ON u.id = r.requested_by";

/// Pending requests of a region (every region for `None`), oldest first.
pub async fn pending_change_requests(
    db: &Db,
    region_id: Option<RegionId>,
) -> Result<Vec<ChangeRequest>, StoreError> {
    let sql = format!(
        "{CHANGE_REQUEST_SELECT} WHERE r.status = $2 AND ($1 IS NULL OR u.region_id = $1) ORDER BY r.requested_at"
    );
    Ok(read!(db, |c| {
        sqlx::query_as(&sql)
            .bind(region_id)
            .bind(ChangeRequestStatus::Pending)
            .fetch_all(c)
            .await?
    }))
}

pub async fn pending_for_entry(
    db: &Db,
    entry_id: EntryId,
) -> Result<Vec<ChangeRequest>, StoreError> {
    let sql = format!(
        "{CHANGE_REQUEST_SELECT} WHERE r.status = $2 AND r.entry_id = $1 ORDER BY r.requested_at"
    );
    Ok(read!(db, |c| {
        sqlx::query_as(&sql)
            .bind(entry_id)
            .bind(ChangeRequestStatus::Pending)
            .fetch_all(c)
            .await?
    }))
}

pub async fn change_request(
    db: &Db,
    id: ChangeRequestId,
) -> Result<Option<ChangeRequest>, StoreError> {
    let sql = format!("{CHANGE_REQUEST_SELECT} WHERE r.id = $1");
    Ok(read!(db, |c| {
        sqlx::query_as(&sql).bind(id).fetch_optional(c).await?
    }))
}

pub async fn close_change_request(
    tx: &mut Tx,
    id: ChangeRequestId,
    status: ChangeRequestStatus,
    reviewer: UserId,
    note: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = write!(tx, |c| {
        sqlx::query(
            "UPDATE directory_change_requests SET status = $2, reviewed_by = $3, reviewed_at = $4, review_note = $5 \
             WHERE id = $1 AND status = $6",
        )
        .bind(id)
        .bind(status)
        .bind(reviewer)
        .bind(now.millis())
        .bind(note)
        .bind(ChangeRequestStatus::Pending)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}

pub async fn freshness_by_municipality(
    db: &Db,
    region_id: RegionId,
    since: Timestamp,
) -> Result<Vec<MunicipalityFreshness>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT m.code, m.name, COUNT(e.id) AS entries, \
             COALESCE(SUM(CASE WHEN e.confirmed_at >= $2 THEN 1 ELSE 0 END), 0) AS confirmed \
             FROM identity_municipalities m LEFT JOIN directory_entries e \
               ON e.municipality_code = m.code AND e.disappeared_at IS NULL AND e.merged_into IS NULL \
             WHERE m.region_id = $1 GROUP BY m.code, m.name ORDER BY m.code",
        )
        .bind(region_id)
        .bind(since.millis())
        .fetch_all(c)
        .await?
    }))
}

/// Entries of a region not confirmed since `since`, oldest first.
pub async fn overdue_entries(
    db: &Db,
    region_id: RegionId,
    since: Timestamp,
    limit: i64,
) -> Result<Vec<Overdue>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT e.id, e.name, e.municipality_name, e.org_id, o.name AS org_name, e.confirmed_at, \
             (SELECT MAX(r.sent_at) FROM directory_reminders r WHERE r.entry_id = e.id) AS last_reminder_at \
             FROM directory_entries e LEFT JOIN identity_organisations o ON o.id = e.org_id \
             WHERE e.disappeared_at IS NULL AND e.merged_into IS NULL AND (e.confirmed_at IS NULL OR e.confirmed_at < $2) AND ( \
               e.org_id IN (SELECT id FROM identity_organisations WHERE region_id = $1) \
               OR e.municipality_code IN (SELECT code FROM identity_municipalities WHERE region_id = $1)) \
             ORDER BY e.org_id IS NULL, COALESCE(e.confirmed_at, 0), e.id LIMIT $3",
        )
        .bind(region_id)
        .bind(since.millis())
        .bind(limit)
        .fetch_all(c)
        .await?
    }))
}

/// The region's entries with an acceptance status set, oldest status first
/// (the service keeps those past their kind's deadline).
pub async fn acceptance_statuses(
    db: &Db,
    region_id: RegionId,
) -> Result<Vec<crate::model::AcceptanceStatus>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT e.id, e.name, e.kind, e.municipality_name, o.name AS org_name, e.acceptance, e.acceptance_as_of \
             FROM directory_entries e LEFT JOIN identity_organisations o ON o.id = e.org_id \
             WHERE e.disappeared_at IS NULL AND e.merged_into IS NULL AND e.acceptance <> 'unknown' AND e.acceptance_as_of IS NOT NULL AND ( \
               e.org_id IN (SELECT id FROM identity_organisations WHERE region_id = $1) \
               OR e.municipality_code IN (SELECT code FROM identity_municipalities WHERE region_id = $1)) \
             ORDER BY e.acceptance_as_of, e.id",
        )
        .bind(region_id)
        .fetch_all(c)
        .await?
    }))
}

/// Active members of an organisation with an e-mail address.
pub async fn member_addresses(db: &Db, org_id: OrgId) -> Result<Vec<String>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_scalar(
            "SELECT u.email FROM identity_people u JOIN identity_memberships m ON m.user_id = u.id \
             WHERE m.org_id = $1 AND u.email <> '' AND NOT u.disabled ORDER BY u.id",
        )
        .bind(org_id)
        .fetch_all(c)
        .await?
    }))
}

pub async fn record_reminder(
    db: &Db,
    entry_id: EntryId,
    to: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    write!(&mut tx, |c| {
        sqlx::query(
            "INSERT INTO directory_reminders (entry_id, sent_to, sent_at) VALUES ($1, $2, $3)",
        )
        .bind(entry_id)
        .bind(to)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    tx.commit().await
}

/// Entries an organisation maintains.
/// The directory entry of each of these organisations that maintains
/// exactly one (an organisation that maintains several facilities is none
/// of them), for FHIR references.
pub async fn entry_of_each_org(
    db: &Db,
    org_ids: &[OrgId],
) -> Result<std::collections::HashMap<OrgId, EntryId>, StoreError> {
    if org_ids.is_empty() {
        return Ok(Default::default());
    }
    let list = id_list(org_ids);
    let sql = format!(
        "SELECT org_id, MIN(id) FROM directory_entries WHERE org_id IN ({list}) AND disappeared_at IS NULL AND merged_into IS NULL \
         GROUP BY org_id HAVING COUNT(*) = 1"
    );
    let rows: Vec<(OrgId, EntryId)> = read!(db, |c| sqlx::query_as(&sql).fetch_all(c).await?);
    Ok(rows.into_iter().collect())
}

pub async fn entries_of_orgs(
    db: &Db,
    org_ids: &[OrgId],
) -> Result<Vec<(EntryId, String)>, StoreError> {
    if org_ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = id_list(org_ids);
    let sql = format!(
        "SELECT id, name FROM directory_entries WHERE org_id IN ({list}) AND disappeared_at IS NULL AND merged_into IS NULL ORDER BY name"
    );
    Ok(read!(db, |c| sqlx::query_as(&sql).fetch_all(c).await?))
}

pub async fn insert_local_entry(
    tx: &mut Tx,
    e: &NewLocalEntry,
    now: Timestamp,
) -> Result<EntryId, StoreError> {
    let fields = EntryFields {
        official_code: String::new(),
        kind: e.kind.clone(),
        name: e.name.clone(),
        kana: e.kana.clone(),
        prefecture_code: e.municipality_code.chars().take(2).collect(),
        municipality_code: e.municipality_code.clone(),
        municipality_name: e.municipality_name.clone(),
        address: e.address.clone(),
        lat: e.lat,
        lon: e.lon,
        phone: e.phone.clone(),
        url: e.url.clone(),
        hours: e.hours.clone(),
        departments: e.departments.clone(),
        speciality_codes: e.speciality_codes.clone(),
        schedule: e.schedule.to_json(),
        ..EntryFields::default()
    };
    let key = fields.search_key();
    let id: EntryId = write!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO directory_entries (source, official_code, kind, name, kana, search_key, prefecture_code, \
             municipality_code, municipality_name, address, lat, lon, phone, url, hours, org_id, created_at, updated_at, \
             departments, speciality_codes, schedule) \
             VALUES ($1, 'pending', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17, $18, $19) RETURNING id",
        )
        .bind(LOCAL_SOURCE)
        .bind(&fields.kind)
        .bind(&fields.name)
        .bind(&fields.kana)
        .bind(&key)
        .bind(&fields.prefecture_code)
        .bind(&fields.municipality_code)
        .bind(&fields.municipality_name)
        .bind(&fields.address)
        .bind(fields.lat)
        .bind(fields.lon)
        .bind(&fields.phone)
        .bind(&fields.url)
        .bind(&fields.hours)
        .bind(e.org_id)
        .bind(now.millis())
        .bind(&fields.departments)
        .bind(&fields.speciality_codes)
        .bind(&fields.schedule)
        .fetch_one(&mut *c)
        .await?
    });
    // Local entries are numbered by their id (L000123).
    write!(tx, |c| {
        sqlx::query("UPDATE directory_entries SET official_code = $2 WHERE id = $1")
            .bind(id)
            .bind(format!("L{id:06}"))
            .execute(&mut *c)
            .await?;
        for s in &e.services {
            sqlx::query("INSERT INTO directory_services (entry_id, service_code) VALUES ($1, $2)")
                .bind(id)
                .bind(s)
                .execute(&mut *c)
                .await?;
        }
    });
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct ExportRow {
    #[sqlx(flatten)]
    entry: IndexRow,
    #[sqlx(flatten)]
    meta: ExportMeta,
}

/// Current entries of the given municipalities (all when empty), with
/// their export details, in municipality and kana order: one query for
/// the entries and one for the services of those entries.
pub async fn entries_for_export(
    db: &Db,
    municipalities: &[String],
) -> Result<Vec<(crate::search::Entry, ExportMeta)>, StoreError> {
    let filter = if municipalities.is_empty() {
        String::new()
    } else {
        // Codes are checked 6-digit strings; bound one by one.
        let marks: Vec<String> = (1..=municipalities.len())
            .map(|i| format!("${i}"))
            .collect();
        format!(" AND municipality_code IN ({})", marks.join(", "))
    };
    let sql = format!(
        "SELECT {INDEX_COLUMNS}, source, official_code, municipality_name, corporate_number, \
         corporate_name, capacity, remarks, contact_person \
         FROM directory_entries WHERE disappeared_at IS NULL AND merged_into IS NULL{filter} ORDER BY municipality_code, kana, id"
    );
    let services_sql = format!(
        "SELECT entry_id, service_code FROM directory_services WHERE entry_id IN \
         (SELECT id FROM directory_entries WHERE disappeared_at IS NULL AND merged_into IS NULL{filter}) ORDER BY entry_id, service_code"
    );
    let rows: Vec<ExportRow> = read!(db, |c| {
        let mut q = sqlx::query_as(&sql);
        for m in municipalities {
            q = q.bind(m);
        }
        q.fetch_all(c).await?
    });
    let services: Vec<(EntryId, String)> = read!(db, |c| {
        let mut q = sqlx::query_as(&services_sql);
        for m in municipalities {
            q = q.bind(m);
        }
        q.fetch_all(c).await?
    });
    let mut by_entry: HashMap<EntryId, Vec<String>> = HashMap::new();
    for (id, code) in services {
        by_entry.entry(id).or_default().push(code);
    }
    rows.into_iter()
        .map(|r| {
            let services = by_entry.remove(&r.entry.id).unwrap_or_default();
            Ok((r.entry.into_entry(services)?, r.meta))
        })
        .collect()
}

/// (source, official code) of the given entries, for FHIR identifiers.
pub async fn codes_of(
    db: &Db,
    ids: &[EntryId],
) -> Result<HashMap<EntryId, (String, String)>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let list = id_list(ids);
    let sql =
        format!("SELECT id, source, official_code FROM directory_entries WHERE id IN ({list})");
    let rows: Vec<(EntryId, String, String)> =
        read!(db, |c| sqlx::query_as(&sql).fetch_all(c).await?);
    Ok(rows.into_iter().map(|(id, s, c)| (id, (s, c))).collect())
}

/// Current entries with this official code (any source).
pub async fn ids_by_official_code(db: &Db, code: &str) -> Result<Vec<EntryId>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_scalar(
            "SELECT DISTINCT COALESCE(merged_into, id) FROM directory_entries WHERE official_code = $1 AND disappeared_at IS NULL ORDER BY 1",
        )
        .bind(code)
        .fetch_all(c)
        .await?
    }))
}

const EXISTING_COLUMNS: &str = "id, official_code, kind, prefecture_code, municipality_code, name, imported_hash, disappeared_at";

/// The imported entries of `source` with these official codes.
pub async fn imported_entries_by_code(
    tx: &mut Tx,
    source: &str,
    codes: &[String],
) -> Result<HashMap<String, ExistingEntry>, StoreError> {
    let mut out = HashMap::with_capacity(codes.len());
    for chunk in codes.chunks(500) {
        let rows: Vec<ExistingEntry> = write!(tx, |c| {
            let mut qb = sqlx::QueryBuilder::new(format!(
                "SELECT {EXISTING_COLUMNS} FROM directory_entries WHERE source = "
            ));
            qb.push_bind(source).push(" AND official_code IN (");
            let mut list = qb.separated(", ");
            for code in chunk {
                list.push_bind(code.as_str());
            }
            list.push_unseparated(")");
            qb.build_query_as::<ExistingEntry>()
                .fetch_all(&mut *c)
                .await?
        });
        out.extend(rows.into_iter().map(|r| (r.official_code.clone(), r)));
    }
    Ok(out)
}

/// One page of the imported entries of `source`, by id after `after_id`.
pub async fn imported_entries_page(
    tx: &mut Tx,
    source: &str,
    after_id: EntryId,
    limit: i64,
) -> Result<Vec<ExistingEntry>, StoreError> {
    let sql = format!(
        "SELECT {EXISTING_COLUMNS} FROM directory_entries WHERE source = $1 AND id > $2 ORDER BY id LIMIT $3"
    );
    Ok(write!(tx, |c| sqlx::query_as(&sql)
        .bind(source)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&mut *c)
        .await?))
}

/// The service codes of these entries.
pub async fn services_of_entries(
    tx: &mut Tx,
    ids: &[EntryId],
) -> Result<HashMap<EntryId, BTreeSet<String>>, StoreError> {
    let mut map: HashMap<EntryId, BTreeSet<String>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(EntryId, String)> = write!(tx, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT entry_id, service_code FROM directory_services WHERE entry_id IN (",
            );
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            list.push_unseparated(")");
            qb.build_query_as::<(EntryId, String)>()
                .fetch_all(&mut *c)
                .await?
        });
        for (id, code) in rows {
            map.entry(id).or_default().insert(code);
        }
    }
    Ok(map)
}

/// The valid rows of the last accepted import of a scope
/// (`care-offices/130/all`, `medical/hospital/13`, …).
pub async fn last_import_rows(db: &Db, scope: &str) -> Result<Option<i64>, StoreError> {
    let row: Option<(i64,)> = read!(db, |c| {
        sqlx::query_as("SELECT valid_rows FROM directory_import_runs WHERE scope = $1")
            .bind(scope)
            .fetch_optional(c)
            .await?
    });
    Ok(row.map(|(n,)| n))
}

/// Records a printed booklet edition with its pages' fingerprints (JSON).
pub async fn record_booklet_edition(
    db: &Db,
    title: &str,
    edition: &str,
    scope: &str,
    pages: &str,
    by: &str,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    let id: i64 = write!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO directory_booklet_editions (title, edition, scope, pages, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(title)
        .bind(edition)
        .bind(scope)
        .bind(pages)
        .bind(now.millis())
        .bind(by)
        .fetch_one(&mut *c)
        .await?
    });
    tx.commit().await?;
    Ok(id)
}

/// A recorded booklet edition: (edition, scope, pages JSON, created_at).
pub async fn booklet_edition(
    db: &Db,
    id: i64,
) -> Result<Option<(String, String, String, i64)>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT edition, scope, pages, created_at FROM directory_booklet_editions WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?
    }))
}

/// Records an accepted import of a scope.
#[allow(clippy::too_many_arguments)]
pub async fn record_import_run(
    tx: &mut Tx,
    scope: &str,
    valid_rows: i64,
    files: &str,
    by: &str,
    mass_removal_allowed: bool,
    now: Timestamp,
) -> Result<(), StoreError> {
    write!(tx, |c| {
        sqlx::query(
            "INSERT INTO directory_import_runs (scope, valid_rows, files, imported_by, mass_removal_allowed, imported_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (scope) DO UPDATE SET valid_rows = excluded.valid_rows, files = excluded.files, \
             imported_by = excluded.imported_by, mass_removal_allowed = excluded.mass_removal_allowed, \
             imported_at = excluded.imported_at",
        )
        .bind(scope)
        .bind(valid_rows)
        .bind(files)
        .bind(by)
        .bind(mass_removal_allowed)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

/// Entries of `source` listed now (not disappeared) with a care service,
/// in one prefecture or (`""`) all.
pub async fn count_listed_with_service(
    db: &Db,
    source: &str,
    service: &str,
    prefecture: &str,
) -> Result<i64, StoreError> {
    let (n,): (i64,) = read!(db, |c| {
        sqlx::query_as(
            "SELECT COUNT(*) FROM directory_services s JOIN directory_entries e ON e.id = s.entry_id \
             WHERE e.source = $1 AND s.service_code = $2 AND e.disappeared_at IS NULL \
             AND ($3 = '' OR e.prefecture_code = $3)",
        )
        .bind(source)
        .bind(service)
        .bind(prefecture)
        .fetch_one(c)
        .await?
    });
    Ok(n)
}

/// Entries of `source` listed now of one kind, in one prefecture or all.
pub async fn count_listed_of_kind(
    db: &Db,
    source: &str,
    kind: &str,
    prefecture: &str,
) -> Result<i64, StoreError> {
    let (n,): (i64,) = read!(db, |c| {
        sqlx::query_as(
            "SELECT COUNT(*) FROM directory_entries WHERE source = $1 AND kind = $2 \
             AND disappeared_at IS NULL AND ($3 = '' OR prefecture_code = $3)",
        )
        .bind(source)
        .bind(kind)
        .bind(prefecture)
        .fetch_one(c)
        .await?
    });
    Ok(n)
}

/// Entries of `source` listed now in one municipality.
pub async fn count_listed_in_municipality(
    db: &Db,
    source: &str,
    municipality: &str,
) -> Result<i64, StoreError> {
    let (n,): (i64,) = read!(db, |c| {
        sqlx::query_as(
            "SELECT COUNT(*) FROM directory_entries WHERE source = $1 AND municipality_code = $2 \
             AND disappeared_at IS NULL",
        )
        .bind(source)
        .bind(municipality)
        .fetch_one(c)
        .await?
    });
    Ok(n)
}

#[cfg(test)]
mod corrupt_json {
    use renkei_domain::Timestamp;
    use renkei_store::{both_backends, Db};

    use super::*;

    both_backends!(
        corrupt_contact_windows_are_refused_not_emptied,
        |db: Db| async move {
            let now = Timestamp(1_780_000_000_000);
            let mut tx = db.begin().await.unwrap();
            let id = insert_local_entry(
                &mut tx,
                &NewLocalEntry {
                    kind: "clinic".into(),
                    name: "壊れた窓口の診療所".into(),
                    ..NewLocalEntry::default()
                },
                now,
            )
            .await
            .unwrap();
            renkei_store::write!(&mut tx, |c| {
                sqlx::query(
                    "UPDATE directory_entries SET contact_windows = '[{\"method\":' WHERE id = $1",
                )
                .bind(id)
                .execute(c)
                .await
                .unwrap()
                .rows_affected()
            });
            tx.commit().await.unwrap();
            // The edit form's read is refused: an edit would otherwise save the
            // windows as empty.
            assert!(matches!(
                local_fields(&db, id).await,
                Err(StoreError::Invalid(_))
            ));
            assert!(matches!(
                entry_by_id(&db, id).await,
                Err(StoreError::Invalid(_))
            ));
            // The index leaves that one entry out and keeps the others.
            assert!(load_for_index(&db)
                .await
                .unwrap()
                .iter()
                .all(|e| e.id != id));
        }
    );
}

// ---- one facility, one entry (same_facility) ----

/// Prefectures where a municipal list or local entries are listed beside
/// other entries: only there can one facility be listed twice. The two
/// national sources list different kinds (medical facilities, care
/// offices), and only entries of one kind are compared, so a prefecture
/// of national data alone has nothing to match.
pub async fn prefectures_to_match(db: &Db) -> Result<Vec<String>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_scalar(
            "SELECT prefecture_code FROM directory_entries \
             WHERE disappeared_at IS NULL AND merged_into IS NULL AND prefecture_code <> '' \
             GROUP BY prefecture_code \
             HAVING SUM(CASE WHEN source NOT IN ('medical_open_data', 'care_open_data') THEN 1 ELSE 0 END) > 0 \
             AND (COUNT(DISTINCT source) > 1 OR SUM(CASE WHEN source = 'local' THEN 1 ELSE 0 END) > 1) \
             ORDER BY prefecture_code",
        )
        .fetch_all(c)
        .await?
    }))
}

/// The listed entries of one prefecture as the matching compares them.
pub async fn match_rows(
    db: &Db,
    prefecture: &str,
) -> Result<Vec<crate::same_facility::MatchRow>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT id, source, kind, name, address, phone, corporate_number, municipality_code, lat, lon \
             FROM directory_entries \
             WHERE prefecture_code = $1 AND disappeared_at IS NULL AND merged_into IS NULL ORDER BY id",
        )
        .bind(prefecture)
        .fetch_all(c)
        .await?
    }))
}

/// Records a pair the matching found. A pair proposed before gets the new
/// confidence; one already decided (merged, rejected, split) is left as
/// the coordinator decided. Returns the pair's id and status.
pub async fn record_match(
    tx: &mut Tx,
    m: &crate::same_facility::Match,
    now: Timestamp,
) -> Result<(SameFacilityPairId, String), StoreError> {
    Ok(write!(tx, |c| {
        sqlx::query(
            "INSERT INTO directory_same_facility (entry_a, entry_b, confidence, evidence, status, found_at) \
             VALUES ($1, $2, $3, $4, 'proposed', $5) \
             ON CONFLICT (entry_a, entry_b) DO UPDATE SET confidence = excluded.confidence, \
             evidence = excluded.evidence, found_at = excluded.found_at \
             WHERE directory_same_facility.status = 'proposed'",
        )
        .bind(m.a)
        .bind(m.b)
        .bind(i64::from(m.confidence))
        .bind(m.evidence_codes())
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
        sqlx::query_as(
            "SELECT id, status FROM directory_same_facility WHERE entry_a = $1 AND entry_b = $2",
        )
        .bind(m.a)
        .bind(m.b)
        .fetch_one(&mut *c)
        .await?
    }))
}

/// What decides which entry of a pair stays listed, for the given entries.
pub async fn keep_facts(
    db: &Db,
    ids: &[EntryId],
) -> Result<HashMap<EntryId, crate::same_facility::KeepFacts>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let list = id_list(ids);
    let sql = format!(
        "SELECT id, source, org_id IS NOT NULL AS maintained, confirmed_at IS NOT NULL AS confirmed, \
         municipality_code <> '' AS placed FROM directory_entries WHERE id IN ({list})"
    );
    let rows: Vec<crate::same_facility::KeepFacts> =
        read!(db, |c| sqlx::query_as(&sql).fetch_all(c).await?);
    Ok(rows.into_iter().map(|f| (f.id, f)).collect())
}

/// Whether an entry is listed: current, and not merged into another.
pub async fn listed(tx: &mut Tx, id: EntryId) -> Result<bool, StoreError> {
    let n: i64 = write!(tx, |c| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM directory_entries WHERE id = $1 AND disappeared_at IS NULL AND merged_into IS NULL",
        )
        .bind(id)
        .fetch_one(c)
        .await?
    });
    Ok(n > 0)
}

/// Lists `merged` only through `keep`: entries merged into `merged`
/// before follow it, both are stamped so the search index applies the
/// change, and the pair is marked merged.
pub async fn merge_entries(
    tx: &mut Tx,
    pair_id: SameFacilityPairId,
    keep: EntryId,
    merged: EntryId,
    by: Option<UserId>,
    now: Timestamp,
) -> Result<bool, StoreError> {
    // The pair is claimed first: a colleague's decision committed
    // meanwhile leaves nothing to merge.
    if !decide(tx, pair_id, "proposed", "merged", by, now).await? {
        return Ok(false);
    }
    write!(tx, |c| {
        sqlx::query(
            "UPDATE directory_entries SET merged_into = $1, updated_at = $3 \
             WHERE id = $2 OR merged_into = $2",
        )
        .bind(keep)
        .bind(merged)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
        sqlx::query("UPDATE directory_entries SET updated_at = $2 WHERE id = $1")
            .bind(keep)
            .bind(now.millis())
            .execute(&mut *c)
            .await?;
        // Other proposals naming the merged entry are found again against
        // the kept one by the next run.
        sqlx::query(
            "DELETE FROM directory_same_facility WHERE status = 'proposed' AND id <> $1 \
             AND (entry_a = $2 OR entry_b = $2)",
        )
        .bind(pair_id)
        .bind(merged)
        .execute(&mut *c)
        .await?;
    });
    Ok(true)
}

/// Moves a pair from one status to another, only if it is still in the
/// first (inside the caller's transaction); false when it was not.
async fn decide(
    tx: &mut Tx,
    pair_id: SameFacilityPairId,
    from: &str,
    to: &str,
    by: Option<UserId>,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n: u64 = write!(tx, |c| {
        sqlx::query(
            "UPDATE directory_same_facility SET status = $3, decided_by = $4, decided_at = $5 \
             WHERE id = $1 AND status = $2",
        )
        .bind(pair_id)
        .bind(from)
        .bind(to)
        .bind(by)
        .bind(now.millis())
        .execute(c)
        .await?
        .rows_affected()
    });
    Ok(n == 1)
}

/// Lists `entry` on its own again and marks the pair split (it is not
/// proposed again).
pub async fn split_entry(
    tx: &mut Tx,
    pair_id: SameFacilityPairId,
    entry: EntryId,
    kept: EntryId,
    by: UserId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    if !decide(tx, pair_id, "merged", "split", Some(by), now).await? {
        return Ok(false);
    }
    let n: u64 = write!(tx, |c| {
        let n = sqlx::query(
            "UPDATE directory_entries SET merged_into = NULL, updated_at = $3 WHERE id = $1 AND merged_into = $2",
        )
        .bind(entry)
        .bind(kept)
        .bind(now.millis())
        .execute(&mut *c)
        .await?
        .rows_affected();
        sqlx::query("UPDATE directory_entries SET updated_at = $2 WHERE id = $1")
            .bind(kept)
            .bind(now.millis())
            .execute(&mut *c)
            .await?;
        n
    });
    Ok(n == 1)
}

/// Marks a proposed pair as two facilities.
pub async fn reject_match(
    tx: &mut Tx,
    pair_id: SameFacilityPairId,
    by: UserId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    decide(tx, pair_id, "proposed", "rejected", Some(by), now).await
}

/// One recorded pair, as the review page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PairRow {
    pub id: SameFacilityPairId,
    pub entry_a: EntryId,
    pub entry_b: EntryId,
    pub confidence: i64,
    pub evidence: String,
    pub status: String,
    pub found_at: i64,
    pub decided_at: Option<i64>,
    pub decided_by_name: Option<String>,
}

const PAIR_COLUMNS: &str =
    "p.id, p.entry_a, p.entry_b, p.confidence, p.evidence, p.status, p.found_at, p.decided_at, \
    u.display_name AS decided_by_name";

/// The pairs in one status where either entry is in the region (every
/// pair for `None`), highest confidence first, at most `limit`.
pub async fn same_facility_pairs(
    db: &Db,
    region: Option<RegionId>,
    status: &str,
    limit: i64,
) -> Result<Vec<PairRow>, StoreError> {
    let in_region = "(SELECT e.id FROM directory_entries e WHERE \
         e.org_id IN (SELECT id FROM identity_organisations WHERE region_id = $2) \
         OR e.municipality_code IN (SELECT code FROM identity_municipalities WHERE region_id = $2) \
         OR e.id IN (SELECT entry_id FROM directory_region_listings WHERE region_id = $2))";
    let sql = format!(
        "SELECT {PAIR_COLUMNS} FROM directory_same_facility p LEFT JOIN identity_people u ON u.id = p.decided_by \
         WHERE p.status = $1 AND ($2 IS NULL OR p.entry_a IN {in_region} OR p.entry_b IN {in_region}) \
         ORDER BY p.confidence DESC, p.id LIMIT $3"
    );
    Ok(read!(db, |c| {
        sqlx::query_as(&sql)
            .bind(status)
            .bind(region)
            .bind(limit)
            .fetch_all(c)
            .await?
    }))
}

/// One pair by its id.
pub async fn same_facility_pair(
    db: &Db,
    id: SameFacilityPairId,
) -> Result<Option<PairRow>, StoreError> {
    let sql = format!(
        "SELECT {PAIR_COLUMNS} FROM directory_same_facility p LEFT JOIN identity_people u ON u.id = p.decided_by \
         WHERE p.id = $1"
    );
    Ok(read!(db, |c| {
        sqlx::query_as(&sql).bind(id).fetch_optional(c).await?
    }))
}

/// One side of a pair as the review page shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PairSideRow {
    pub id: EntryId,
    pub source: String,
    pub official_code: String,
    pub kind: String,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub municipality_name: String,
    pub corporate_number: String,
    pub merged_into: Option<EntryId>,
}

/// The entries of the given pairs.
pub async fn pair_sides(
    db: &Db,
    ids: &[EntryId],
) -> Result<HashMap<EntryId, PairSideRow>, StoreError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let list = id_list(ids);
    let sql = format!(
        "SELECT id, source, official_code, kind, name, address, phone, municipality_name, corporate_number, merged_into \
         FROM directory_entries WHERE id IN ({list})"
    );
    let rows: Vec<PairSideRow> = read!(db, |c| sqlx::query_as(&sql).fetch_all(c).await?);
    Ok(rows.into_iter().map(|r| (r.id, r)).collect())
}

/// (source, official code) of the entries merged into `id`.
pub async fn merged_sources(
    db: &Db,
    id: EntryId,
) -> Result<Vec<(EntryId, String, String)>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT id, source, official_code FROM directory_entries WHERE merged_into = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(c)
        .await?
    }))
}

/// The entry that lists `id`: the one it was merged into, if any.
pub async fn listed_as(db: &Db, id: EntryId) -> Result<Option<EntryId>, StoreError> {
    let merged: Option<Option<EntryId>> = read!(db, |c| {
        sqlx::query_scalar("SELECT merged_into FROM directory_entries WHERE id = $1")
            .bind(id)
            .fetch_optional(c)
            .await?
    });
    Ok(merged.flatten())
}

// ---- stewardship by category ----

/// Whether one of `orgs` is a steward of the entry's kind in the region
/// the entry belongs to (its municipality or the region's listing).
pub async fn entry_stewarded_by(db: &Db, id: EntryId, orgs: &[OrgId]) -> Result<bool, StoreError> {
    if orgs.is_empty() {
        return Ok(false);
    }
    let sql = format!(
        "SELECT COUNT(*) FROM directory_entries e WHERE e.id = $1 AND {}",
        stewarded_by(orgs)
    );
    let n: i64 = read!(db, |c| sqlx::query_scalar(&sql)
        .bind(id)
        .fetch_one(c)
        .await?);
    Ok(n > 0)
}

/// The condition that entry `e` is of a kind one of `orgs` (not empty) is
/// steward of, in the steward's region (its municipalities or listing).
fn stewarded_by(orgs: &[OrgId]) -> String {
    format!(
        "EXISTS (SELECT 1 FROM directory_stewardships s \
           JOIN identity_organisations o ON o.id = s.org_id \
           WHERE s.kind = e.kind AND s.org_id IN ({}) AND ( \
             e.municipality_code IN (SELECT code FROM identity_municipalities WHERE region_id = o.region_id) \
             OR e.id IN (SELECT entry_id FROM directory_region_listings WHERE region_id = o.region_id)))",
        id_list(orgs)
    )
}

/// Pending requests for entries `orgs` (not empty) are stewards of,
/// oldest first.
pub async fn pending_change_requests_stewarded(
    db: &Db,
    orgs: &[OrgId],
) -> Result<Vec<ChangeRequest>, StoreError> {
    let sql = format!(
        "{CHANGE_REQUEST_SELECT} WHERE r.status = $1 AND {} ORDER BY r.requested_at",
        stewarded_by(orgs)
    );
    Ok(read!(db, |c| {
        sqlx::query_as(&sql)
            .bind(ChangeRequestStatus::Pending)
            .fetch_all(c)
            .await?
    }))
}

/// The kinds the given organisations are stewards of.
pub async fn steward_kinds(db: &Db, orgs: &[OrgId]) -> Result<Vec<String>, StoreError> {
    if orgs.is_empty() {
        return Ok(Vec::new());
    }
    let list = id_list(orgs);
    let sql = format!(
        "SELECT DISTINCT kind FROM directory_stewardships WHERE org_id IN ({list}) ORDER BY kind"
    );
    Ok(read!(db, |c| sqlx::query_scalar(&sql).fetch_all(c).await?))
}

/// A stewardship as the coordinator's page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StewardshipRow {
    pub org_id: OrgId,
    pub org_name: String,
    pub kind: String,
    pub granted_at: i64,
    pub granted_by_name: Option<String>,
}

/// The stewardships of a region's organisations (every region's for `None`).
pub async fn stewardships(
    db: &Db,
    region: Option<RegionId>,
) -> Result<Vec<StewardshipRow>, StoreError> {
    Ok(read!(db, |c| {
        sqlx::query_as(
            "SELECT s.org_id, o.name AS org_name, s.kind, s.granted_at, u.display_name AS granted_by_name \
             FROM directory_stewardships s JOIN identity_organisations o ON o.id = s.org_id \
             LEFT JOIN identity_people u ON u.id = s.granted_by \
             WHERE $1 IS NULL OR o.region_id = $1 ORDER BY o.name, s.kind",
        )
        .bind(region)
        .fetch_all(c)
        .await?
    }))
}

/// Grants (or, `on` false, ends) an organisation's stewardship of a kind.
/// Returns whether anything changed.
pub async fn set_stewardship(
    tx: &mut Tx,
    org: OrgId,
    kind: &str,
    on: bool,
    by: Option<UserId>,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let done: u64 = write!(tx, |c| {
        if on {
            sqlx::query(
                "INSERT INTO directory_stewardships (org_id, kind, granted_by, granted_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, kind) DO NOTHING",
            )
            .bind(org)
            .bind(kind)
            .bind(by)
            .bind(now.millis())
            .execute(c)
            .await?
            .rows_affected()
        } else {
            sqlx::query("DELETE FROM directory_stewardships WHERE org_id = $1 AND kind = $2")
                .bind(org)
                .bind(kind)
                .execute(c)
                .await?
                .rows_affected()
        }
    });
    Ok(done > 0)
}

/// The current entries of `kinds` in a region (its municipalities and its
/// listing) whose confirmation is older than `since`, oldest first.
pub async fn overdue_of_kinds(
    db: &Db,
    region: RegionId,
    kinds: &[String],
    since: Timestamp,
    limit: i64,
) -> Result<Vec<Overdue>, StoreError> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (4..4 + kinds.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT e.id, e.name, e.municipality_name, e.org_id, o.name AS org_name, e.confirmed_at, \
         (SELECT MAX(r.sent_at) FROM directory_reminders r WHERE r.entry_id = e.id) AS last_reminder_at \
         FROM directory_entries e LEFT JOIN identity_organisations o ON o.id = e.org_id \
         WHERE e.disappeared_at IS NULL AND e.merged_into IS NULL \
         AND (e.confirmed_at IS NULL OR e.confirmed_at < $2) \
         AND (e.municipality_code IN (SELECT code FROM identity_municipalities WHERE region_id = $1) \
              OR e.id IN (SELECT entry_id FROM directory_region_listings WHERE region_id = $1)) \
         AND e.kind IN ({}) ORDER BY e.confirmed_at IS NOT NULL, e.confirmed_at, e.id LIMIT $3",
        marks.join(", ")
    );
    Ok(read!(db, |c| {
        let mut q = sqlx::query_as(&sql)
            .bind(region)
            .bind(since.millis())
            .bind(limit);
        for k in kinds {
            q = q.bind(k);
        }
        q.fetch_all(c).await?
    }))
}

/// One current entry with its export details (a listed entry outside the
/// region's municipalities).
pub async fn entry_for_export(
    db: &Db,
    id: EntryId,
) -> Result<Option<(crate::search::Entry, ExportMeta)>, StoreError> {
    let sql = format!(
        "SELECT {INDEX_COLUMNS}, source, official_code, municipality_name, corporate_number, \
         corporate_name, capacity, remarks, contact_person \
         FROM directory_entries WHERE id = $1 AND disappeared_at IS NULL AND merged_into IS NULL"
    );
    let row: Option<ExportRow> = read!(db, |c| {
        sqlx::query_as(&sql).bind(id).fetch_optional(c).await?
    });
    let Some(row) = row else { return Ok(None) };
    let services: Vec<String> = read!(db, |c| {
        sqlx::query_scalar(
            "SELECT service_code FROM directory_services WHERE entry_id = $1 ORDER BY service_code",
        )
        .bind(id)
        .fetch_all(c)
        .await?
    });
    Ok(Some((row.entry.into_entry(services)?, row.meta)))
}
