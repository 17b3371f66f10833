//! Synthetic residents for the emergency benchmarks: `count` emergency
//! records of one municipality, written straight into emergency's table
//! in large batches (a town of 50,000 takes seconds, not the minutes the
//! service's one-by-one writes would). Every fifth resident uses a
//! powered device, every third lives alone, nine in ten agreed to be on
//! the disaster list, spread over ten areas. Deterministic; only the
//! benchmarks call this, on a database of their own.

use renkei_domain::{RegionId, Timestamp, UserId};
use renkei_store::{write, Db, StoreError};

/// Rows per INSERT statement.
const ROWS_PER_STATEMENT: usize = 250;

/// Writes the residents, kept by `keeper`; returns how many are on the
/// municipality's disaster list (a device or living alone, and agreed).
pub async fn residents(
    db: &Db,
    region: RegionId,
    municipality: &str,
    keeper: UserId,
    count: usize,
    now: Timestamp,
) -> Result<usize, StoreError> {
    // The code comes from identity (digits only); it is checked so the
    // literal below cannot be anything else.
    if !municipality.chars().all(|c| c.is_ascii_digit()) {
        return Err(StoreError::Invalid(format!(
            "municipality code {municipality:?}"
        )));
    }
    let head = "INSERT INTO emergency_records (region_id, patient_id, name, kana, birth_date, address, \
        municipality_code, area, phone, family_doctor, diseases, medicines, allergies, contacts, insurance, \
        devices, home_file, wishes, lives_alone, disaster_share, responsible_user_id, verified_at, verified_by, \
        created_by, created_at, updated_at) VALUES ";
    let ms = now.millis();
    let mut on_list = 0;
    let mut tx = db.begin().await?;
    let mut rows: Vec<String> = Vec::with_capacity(ROWS_PER_STATEMENT);
    for n in 0..count {
        let device = if n % 5 == 0 { "oxygen" } else { "" };
        let alone = n % 3 == 0;
        let share = n % 10 != 0;
        if (!device.is_empty() || alone) && share {
            on_list += 1;
        }
        rows.push(format!(
            "({region}, NULL, '住民 {n:06}', 'じゅうみん {n:06}', '1940-01-01', 'ベンチ市 本町{n}', \
             '{municipality}', '第{area}地区', '0000-00-{tail:04}', 'ベンチ診療所 0000-11-2222', '高血圧', \
             'アムロジピン錠5mg 1錠 朝', 'なし', '長女 090-0000-0000', '', '{device}', '冷蔵庫', '', {alone}, \
             {share}, {keeper}, {ms}, {keeper}, {keeper}, {ms}, {ms})",
            region = region.0,
            area = n % 10 + 1,
            tail = n % 10_000,
            alone = if alone { "TRUE" } else { "FALSE" },
            share = if share { "TRUE" } else { "FALSE" },
            keeper = keeper.0,
        ));
        if rows.len() == ROWS_PER_STATEMENT || n + 1 == count {
            let sql = format!("{head}{}", rows.join(", "));
            let t = &mut tx;
            write!(t, |c| {
                sqlx::query(&sql).execute(&mut *c).await?;
            });
            rows.clear();
        }
    }
    tx.commit().await?;
    Ok(on_list)
}
