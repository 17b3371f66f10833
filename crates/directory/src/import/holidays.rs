//! `holidays`: the Cabinet Office's list of public holidays
//! (国民の祝日・休日, `syukujitsu.csv`, Shift_JIS or UTF-8). An import
//! replaces the holidays of every year the file covers; the years it does
//! not cover keep what they had (the bundled list, or an earlier import).
//! A file with no readable date, or with a line that is not a date,
//! changes nothing.

use renkei_domain::holidays::Holidays;
use renkei_domain::Clock;
use renkei_identity::Actor;
use renkei_store::audit::Outcome;
use renkei_store::{Db, StoreError};

use super::Reject;

/// What a holidays import did.
#[derive(Debug, Default, serde::Serialize)]
pub struct HolidayReport {
    pub encoding: String,
    /// The years replaced.
    pub years: Vec<i32>,
    pub holidays: usize,
    pub rejected: Vec<Reject>,
    /// Why nothing was written, when nothing was.
    pub refused: Option<String>,
}

/// Imports the Cabinet Office's holiday file.
pub async fn import_holidays(
    db: &Db,
    file_name: &str,
    bytes: &[u8],
    by: &Actor,
    clock: &dyn Clock,
) -> Result<HolidayReport, StoreError> {
    let (text, encoding) = super::decode::decode(bytes);
    let (holidays, errors) = Holidays::parse(&text);
    let mut report = HolidayReport {
        encoding: encoding.name().to_string(),
        years: holidays.years().into_iter().collect(),
        holidays: holidays.len(),
        rejected: errors
            .into_iter()
            .map(|e| Reject {
                file: file_name.to_string(),
                line: e.line as u64,
                column: "国民の祝日・休日月日".into(),
                reason: e.reason,
            })
            .collect(),
        refused: None,
    };
    if holidays.is_empty() {
        report.refused = Some(
            "no date could be read: not the Cabinet Office's holiday file; nothing was changed"
                .into(),
        );
        return Ok(report);
    }
    // A year is replaced whole, so a line that cannot be read would drop
    // its holiday: the file is refused instead.
    if !report.rejected.is_empty() {
        report.refused = Some(format!(
            "{} lines are not dates; fix them (a year is replaced whole); nothing was changed",
            report.rejected.len()
        ));
        return Ok(report);
    }
    let now = clock.now();
    let mut tx = db.begin().await?;
    crate::store::replace_holidays(&mut tx, &holidays, now).await?;
    let reason = format!(
        "{file_name}: {} holidays for {:?}",
        report.holidays, report.years
    );
    super::audit_run(&mut tx, by, "holidays", Outcome::Success, reason).await?;
    tx.commit().await?;
    Ok(report)
}
