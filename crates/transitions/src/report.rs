//! The compliance report of one month (for the rule-review meeting): a
//! pure function of the month's stays, forms and contacts, so its counts
//! can be checked against hand-computed values.
//!
//! - Admissions are the stays admitted in the month; each is (Ⅰ), (Ⅱ),
//!   late or missing by the day its admission information was given,
//!   judged with the care manager's office week ("pending" while its (Ⅱ)
//!   deadline has not passed).
//! - Discharges are the stays discharged in the month; each counts its
//!   contacts and conferences as 退院・退所加算 does, and whether the
//!   planned day was told the rule's days ahead.
//! - Missed handoffs (退院調整漏れ) are listed with their reason.

use std::collections::{BTreeMap, HashMap};

use renkei_domain::holidays::Holidays;
use renkei_domain::transitions::{
    admission_fee_deadlines, admission_fee_tier, counted_discharge_contacts, parse_date,
    parse_local_datetime, AdmissionFeeTier, AdmissionTiming, BusinessCalendar, DischargeContact,
    FormKind, RuleBody,
};
use renkei_domain::{OrgId, RuleVersionId};
use time::Date;

use crate::model::{
    ComplianceReport, ComplianceRow, DischargeContactRecord, HandoffForm, MissedHandoff, Stay,
    Timeliness,
};

/// The first day of the next month.
pub fn next_month(first: Date) -> Date {
    let (y, m) = (first.year(), u8::from(first.month()));
    let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    time::Month::try_from(m)
        .ok()
        .and_then(|month| Date::from_calendar_date(y, month, 1).ok())
        .unwrap_or(first)
}

/// What the report is built from.
pub struct Inputs<'a> {
    /// YYYY-MM.
    pub month: &'a str,
    /// The month's first and next month's first instant.
    pub from: i64,
    pub to: i64,
    /// Deadlines after today are still pending.
    pub today: Date,
    pub stays: &'a [Stay],
    pub forms: &'a [HandoffForm],
    pub contacts: &'a [DischargeContactRecord],
    pub office_names: &'a HashMap<OrgId, String>,
    pub calendars: &'a HashMap<OrgId, BusinessCalendar>,
    pub rules: &'a HashMap<RuleVersionId, RuleBody>,
    pub holidays: &'a Holidays,
}

/// The office column's name of a stay.
fn office_name(i: &Inputs<'_>, stay: &Stay) -> String {
    match stay.office_org_id {
        Some(o) => i
            .office_names
            .get(&o)
            .cloned()
            .unwrap_or_else(|| format!("#{o}")),
        None => "（ケアマネジャー不在）".to_string(),
    }
}

/// How an admission's information was given.
pub fn timeliness(i: &Inputs<'_>, stay: &Stay) -> (Timeliness, Option<Date>) {
    let Some(admitted) = parse_local_datetime(&stay.admitted_local) else {
        return (Timeliness::Missing, None);
    };
    let default = BusinessCalendar::default();
    let calendar = stay
        .office_org_id
        .and_then(|o| i.calendars.get(&o))
        .unwrap_or(&default);
    let (_, last) = admission_fee_deadlines(admitted, stay.outside_hours, calendar, i.holidays);
    let informed = i
        .forms
        .iter()
        .find(|f| f.stay_id == stay.id && f.kind == FormKind::Admission)
        .and_then(|f| f.informed_on.as_deref())
        .and_then(parse_date);
    let t = match informed {
        Some(day) => match admission_fee_tier(
            AdmissionTiming {
                admitted_at: admitted,
                outside_hours: stay.outside_hours,
                informed_on: day,
            },
            calendar,
            i.holidays,
        ) {
            AdmissionFeeTier::One => Timeliness::One,
            AdmissionFeeTier::Two => Timeliness::Two,
            AdmissionFeeTier::Late => Timeliness::Late,
        },
        None if i.today <= last => Timeliness::Pending,
        None => Timeliness::Missing,
    };
    (t, Some(last))
}

fn counted(i: &Inputs<'_>, stay: &Stay) -> (usize, usize) {
    let Some(admitted) = parse_local_datetime(&stay.admitted_local) else {
        return (0, 0);
    };
    let logged: Vec<DischargeContact> = i
        .contacts
        .iter()
        .filter(|c| c.stay_id == stay.id)
        .filter_map(|c| {
            parse_date(&c.contacted_on).map(|on| DischargeContact {
                on,
                conference: c.conference,
            })
        })
        .collect();
    counted_discharge_contacts(
        &logged,
        admitted.date(),
        stay.discharged_on.as_deref().and_then(parse_date),
    )
}

/// Builds the month's report.
pub fn build(i: Inputs<'_>) -> ComplianceReport {
    let mut total = ComplianceRow {
        name: "合計".into(),
        ..ComplianceRow::default()
    };
    let mut by_hospital: BTreeMap<String, ComplianceRow> = BTreeMap::new();
    let mut by_office: BTreeMap<String, ComplianceRow> = BTreeMap::new();
    let mut missed = Vec::new();
    for stay in i.stays {
        let hospital = stay.hospital_name.clone();
        let office = office_name(&i, stay);
        let mut apply = |f: &dyn Fn(&mut ComplianceRow)| {
            f(&mut total);
            f(by_hospital
                .entry(hospital.clone())
                .or_insert_with(|| ComplianceRow {
                    name: hospital.clone(),
                    ..ComplianceRow::default()
                }));
            f(by_office
                .entry(office.clone())
                .or_insert_with(|| ComplianceRow {
                    name: office.clone(),
                    ..ComplianceRow::default()
                }));
        };
        let rule = stay
            .rule_version_id
            .and_then(|r| i.rules.get(&r))
            .cloned()
            .unwrap_or_default();
        let (contacts, conferences) = counted(&i, stay);
        let admitted_in_month = stay.admitted_at >= i.from && stay.admitted_at < i.to;
        if admitted_in_month {
            let (t, last) = timeliness(&i, stay);
            apply(&|r: &mut ComplianceRow| {
                r.admissions += 1;
                match t {
                    Timeliness::One => r.informed_one += 1,
                    Timeliness::Two => r.informed_two += 1,
                    Timeliness::Late => r.informed_late += 1,
                    Timeliness::Missing => r.informed_missing += 1,
                    Timeliness::Pending => r.informed_pending += 1,
                }
                if stay.needs_coordination {
                    r.needs_coordination += 1;
                    if contacts > 0 {
                        r.coordinated += 1;
                    }
                }
                if stay.readmission_of.is_some() {
                    r.readmissions += 1;
                }
            });
            if t == Timeliness::Missing {
                let last = last
                    .map(renkei_domain::transitions::format_date)
                    .unwrap_or_default();
                missed.push(MissedHandoff {
                    stay_id: stay.id,
                    admitted_on: stay.admitted_on().to_string(),
                    hospital: hospital.clone(),
                    office: office.clone(),
                    reason_ja: format!("入院時情報提供なし（期限 {last}）"),
                    reason_en: format!("No admission information (due {last})"),
                });
            }
        }
        let discharged_in_month = stay
            .discharged_on
            .as_deref()
            .is_some_and(|d| d.starts_with(i.month));
        if discharged_in_month {
            let on_time =
                crate::service::discharge_notice_on_time(stay, rule.discharge_notice_days_before);
            let overdue = crate::service::summary_overdue(stay, rule.summary_due_days, i.today);
            apply(&|r: &mut ComplianceRow| {
                r.discharges += 1;
                if on_time == Some(true) {
                    r.discharge_notice_on_time += 1;
                }
                r.contacts += contacts;
                r.conferences += conferences;
                if stay.summary_requested_at.is_some() {
                    r.summaries_requested += 1;
                }
                if stay.summary_returned_on.is_some() {
                    r.summaries_returned += 1;
                }
                if overdue {
                    r.summaries_overdue += 1;
                }
            });
            let base = |ja: String, en: String| MissedHandoff {
                stay_id: stay.id,
                admitted_on: stay.admitted_on().to_string(),
                hospital: hospital.clone(),
                office: office.clone(),
                reason_ja: ja,
                reason_en: en,
            };
            if stay.needs_coordination && contacts == 0 {
                missed.push(base(
                    "退院調整が必要だったが退院前後の連絡記録なし".into(),
                    "Needed coordination but no discharge contact was logged".into(),
                ));
            }
            if overdue {
                missed.push(base(
                    format!(
                        "退院サマリー未返却（退院後{}日を経過）",
                        rule.summary_due_days
                    ),
                    format!(
                        "Discharge summary not returned ({} days after discharge)",
                        rule.summary_due_days
                    ),
                ));
            }
            match on_time {
                None => missed.push(base(
                    "退院予定日の事前連絡なし".into(),
                    "The discharge was not announced".into(),
                )),
                Some(false) => missed.push(base(
                    format!(
                        "退院連絡が{}日前より遅い",
                        rule.discharge_notice_days_before
                    ),
                    format!(
                        "The discharge was announced less than {} days ahead",
                        rule.discharge_notice_days_before
                    ),
                )),
                Some(true) => {}
            }
        }
    }
    ComplianceReport {
        month: i.month.to_string(),
        total,
        by_hospital: by_hospital.into_values().collect(),
        by_office: by_office.into_values().collect(),
        missed,
    }
}
