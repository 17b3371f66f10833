//! `medical`: the national medical open data (医療情報ネット), as MHLW
//! publishes it twice a year (layouts and sources: docs/data-sources.md):
//!
//! - facility files `01-1_hospital_facility_info_YYYYMMDD.csv`,
//!   `02-1_clinic_…`, `03-1_dental_…`: one row per facility, with the
//!   weekly and nth-week closure flags (1 = open, 0 = closed, whatever
//!   the column names say) and the holiday flag;
//! - speciality-and-hours files `01-2_hospital_speciality_hours_…`,
//!   `02-2_clinic_…`, `03-2_dental_…`: one row per facility, 診療科目 and
//!   session (診療時間帯 1–3), with the start and end of that session on
//!   each weekday and on holidays;
//! - `04_maternity_home_…` (助産所) and `05_pharmacy_…`: one row per
//!   facility with the opening hours inline.
//!
//! The 13-digit ID is the official code, kept as a string (leading zeros
//! matter); its first two digits are the prefecture. A speciality row adds
//! its 診療科目 and session to the facility of the same ID in the same run
//! (the importer merges them); columns are found by name, NFKC-folded, so
//! `（月）` and `(月)`, `第１週` and `第1週` are the same header.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use renkei_domain::directory::{Schedule, Session, HOLIDAY};
use renkei_domain::text::nfkc;

use super::decode::SourceEncoding;
use super::table::{
    digits_only, local_government_code, place_url, position, positive_count, reject, Column, Row,
    Table,
};
use super::{ParsedEntries, Reject};
use crate::store::EntryFields;

/// The weekday prefixes of the national files, Monday first, then 祝.
const DAYS: [&str; 8] = ["月", "火", "水", "木", "金", "土", "日", "祝"];

/// A key or alias built once at start-up (the flag and hour columns are
/// many and regular); leaked, like the static lists they sit beside.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The columns of the facility, maternity and pharmacy files.
static FACILITY_COLUMNS: LazyLock<Vec<Column>> = LazyLock::new(|| {
    let mut columns: Vec<Column> = vec![
        ("id", &["ID"]),
        ("name", &["正式名称", "名称"]),
        (
            "kana",
            &[
                "正式名称（フリガナ）",
                "フリガナ",
                "名称（フリガナ）",
                "名称_カナ",
            ],
        ),
        ("prefecture_code", &["都道府県コード"]),
        ("municipality_code", &["市区町村コード"]),
        ("address", &["所在地", "住所"]),
        ("lat", &["所在地座標（緯度）", "緯度"]),
        ("lon", &["所在地座標（経度）", "経度"]),
        (
            "url",
            &[
                "案内用ホームページアドレス",
                "薬局のホームページアドレス",
                "ホームページアドレス",
            ],
        ),
        // Not in the national files; kept for files that add them.
        ("phone", &["案内用電話番号", "電話番号"]),
        ("fax", &["案内用ファクシミリ番号", "FAX番号"]),
        ("email", &["案内用電子メールアドレス"]),
        ("beds", &["合計病床数", "病床数", "許可病床数"]),
        (
            "holiday_open",
            &["祝日に休診", "祝日に休業", "祝日", "営業日（祝）"],
        ),
        (
            "closed_note",
            &[
                "その他の休診日（gw、お盆等）",
                "その他の休業日（gw、お盆等）",
                "その他の閉店日（gw、お盆等）",
            ],
        ),
    ];
    for (d, day) in DAYS.iter().enumerate().take(7) {
        let d = d + 1;
        let aliases: Vec<&'static str> = vec![
            leak(format!("毎週決まった曜日に休診（{day}）")),
            leak(format!("毎週決まった曜日に休業（{day}）")),
            leak(format!("定期閉店毎週（{day}）")),
        ];
        columns.push((
            leak(format!("weekly_{d}")),
            Box::leak(aliases.into_boxed_slice()),
        ));
        columns.push((
            leak(format!("open_day_{d}")),
            Box::leak(vec![leak(format!("営業日（{day}）"))].into_boxed_slice()),
        ));
        for week in 1..=5 {
            let aliases: Vec<&'static str> = vec![
                leak(format!("決まった週に休診（定期週）第{week}週（{day}）")),
                leak(format!("決まった週に休業（定期週）第{week}週（{day}）")),
                leak(format!("定期閉店第{week}週（{day}）")),
            ];
            columns.push((
                leak(format!("week_{week}_{d}")),
                Box::leak(aliases.into_boxed_slice()),
            ));
        }
    }
    // Inline hours: pharmacies (開店時間帯1–4), maternity homes (就業時間帯1–3).
    for (d, day) in DAYS.iter().enumerate() {
        let d = d + 1;
        for n in 1..=4 {
            for (end, word) in [("start", "開始時間"), ("end", "終了時間")] {
                let aliases: Vec<&'static str> = vec![
                    leak(format!("{day}_開店時間帯{n}_{word}")),
                    leak(format!("{day}_就業時間帯{n}_{word}")),
                ];
                columns.push((
                    leak(format!("hours_{d}_{n}_{end}")),
                    Box::leak(aliases.into_boxed_slice()),
                ));
            }
        }
    }
    columns
});

/// The columns of the speciality-and-hours files.
static SPECIALITY_COLUMNS: LazyLock<Vec<Column>> = LazyLock::new(|| {
    let mut columns: Vec<Column> = vec![
        ("id", &["ID"]),
        ("speciality_code", &["診療科目コード"]),
        ("speciality_name", &["診療科目名"]),
        ("slot", &["診療時間帯"]),
    ];
    for (d, day) in DAYS.iter().enumerate() {
        let d = d + 1;
        for (end, word) in [("start", "診療開始時間"), ("end", "診療終了時間")] {
            columns.push((
                leak(format!("session_{d}_{end}")),
                Box::leak(vec![leak(format!("{day}_{word}"))].into_boxed_slice()),
            ));
        }
    }
    columns
});

/// What a file of the national set holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRole {
    /// One row per facility (01-1, 02-1, 03-1, 04, 05).
    Facility,
    /// 診療科目 and sessions of the facilities of a facility file (0N-2).
    Specialities,
}

/// The entry kind of a file and what it holds, from its name's leading number.
pub fn kind_from_name(file_name: &str) -> Option<(&'static str, FileRole)> {
    let stem = file_name.rsplit('/').next().unwrap_or(file_name);
    if stem.starts_with("05_pharmacy") || stem.starts_with("05-1_pharmacy") {
        return Some(("pharmacy", FileRole::Facility));
    }
    if stem.starts_with("04_maternity_home") {
        return Some(("maternity_home", FileRole::Facility));
    }
    match stem.get(..4)? {
        "01-1" => Some(("hospital", FileRole::Facility)),
        "02-1" => Some(("clinic", FileRole::Facility)),
        "03-1" => Some(("dental_clinic", FileRole::Facility)),
        "01-2" => Some(("hospital", FileRole::Specialities)),
        "02-2" => Some(("clinic", FileRole::Specialities)),
        "03-2" => Some(("dental_clinic", FileRole::Specialities)),
        _ => None,
    }
}

/// The columns every file must have.
pub const REQUIRED: &[&str] = &["id", "name"];
const SPECIALITY_REQUIRED: &[&str] = &["id", "speciality_code", "speciality_name"];

/// Why a file name is not one of the national medical set.
pub fn not_a_facility_file(file_name: &str) -> Reject {
    reject(
        file_name,
        0,
        "",
        "not a file of the national medical set: expected 01-1_hospital_facility_info_…, \
         01-2_hospital_speciality_hours_…, 02-1/02-2 clinic_…, 03-1/03-2 dental_…, \
         04_maternity_home_… or 05_pharmacy_… (.csv)"
            .into(),
    )
}

/// Opens a file's table (header checked).
pub fn open<R: std::io::Read>(
    file_name: &str,
    input: R,
    encoding: SourceEncoding,
    role: FileRole,
) -> Result<Table<R>, Reject> {
    match role {
        FileRole::Facility => {
            Table::open(file_name, input, encoding, &FACILITY_COLUMNS[..], REQUIRED)
        }
        FileRole::Specialities => Table::open(
            file_name,
            input,
            encoding,
            &SPECIALITY_COLUMNS[..],
            SPECIALITY_REQUIRED,
        ),
    }
}

/// The 13-digit ID of a row, or why not.
fn row_id(file_name: &str, r: &Row<'_>) -> Result<String, Reject> {
    let id = digits_only(&r.get("id"));
    if id.len() == 13 {
        Ok(id)
    } else {
        Err(reject(
            file_name,
            r.line,
            "ID",
            format!("ID must be 13 digits, got {:?}", r.get("id")),
        ))
    }
}

/// A flag of the national files: "0" is closed, anything else (1, empty)
/// is not known to be closed.
fn closed(flag: &str) -> bool {
    flag == "0"
}

/// "HH:MM" from a time cell (`9:00`, `09:00`, `09:00:00`); `None` when
/// the cell holds no time.
fn hhmm(raw: &str) -> Option<String> {
    let v = nfkc(raw);
    let mut parts = v.split(':');
    let (h, m) = (parts.next()?.trim(), parts.next()?.trim());
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    // Built by hand: a national import reads some twenty million times.
    (h <= 24 && m < 60 && !(h == 24 && m > 0)).then(|| {
        let digit = |n: u16| char::from(b'0' + n as u8);
        [
            digit(h / 10),
            digit(h % 10),
            ':',
            digit(m / 10),
            digit(m % 10),
        ]
        .into_iter()
        .collect()
    })
}

/// The municipality code of a row: the 2-digit prefecture and 3-digit
/// city of the national files made the 6-digit 全国地方公共団体コード (with
/// its check digit); a 5- or 6-digit code is taken as it is.
fn municipality_code(prefecture: &str, city: &str) -> Option<String> {
    let city = digits_only(city);
    let joined = match city.len() {
        3 if prefecture.len() == 2 => format!("{prefecture}{city}"),
        5 | 6 => city,
        _ => return None,
    };
    Some(local_government_code(&joined)).filter(|c| !c.is_empty())
}

/// Reads one row of a facility file of `kind`.
pub fn parse_row(
    file_name: &str,
    kind: &str,
    r: &Row<'_>,
    warnings: &mut dyn FnMut(Reject),
) -> Result<EntryFields, Reject> {
    let line = r.line;
    let id = row_id(file_name, r)?;
    let name = r.get("name");
    if name.is_empty() {
        return Err(reject(
            file_name,
            line,
            "正式名称",
            "正式名称 is empty".into(),
        ));
    }
    let mut prefecture_code = digits_only(&r.get("prefecture_code"));
    if prefecture_code.len() != 2 {
        prefecture_code = id[..2].to_string();
    }
    let city = r.get("municipality_code");
    let municipality_code = municipality_code(&prefecture_code, &city).unwrap_or_else(|| {
        if !city.is_empty() {
            warnings(reject(
                file_name,
                line,
                "市区町村コード",
                format!(
                    "{city:?} with 都道府県コード {prefecture_code:?} is no municipality code; \
                     the entry has none, so municipality filters will not find it"
                ),
            ));
        }
        String::new()
    });
    // The national files write a facility without a position as 0.0, 0.0.
    let (lat_raw, lon_raw) = (r.get("lat"), r.get("lon"));
    let unplaced = |v: &str| v.trim().parse::<f64>().is_ok_and(|x| x == 0.0);
    let (lat, lon) = if unplaced(&lat_raw) && unplaced(&lon_raw) {
        (None, None)
    } else {
        position(&lat_raw, &lon_raw, |w| {
            warnings(reject(file_name, line, "所在地座標", w))
        })
    };
    let schedule = facility_schedule(r);
    let mut fields = EntryFields {
        official_code: id,
        kind: kind.to_string(),
        name,
        kana: r.get("kana"),
        prefecture_code,
        municipality_code,
        address: r.get("address"),
        lat,
        lon,
        phone: nfkc(&r.get("phone")),
        fax: nfkc(&r.get("fax")),
        email: nfkc(&r.get("email")),
        capacity: positive_count(&r.get("beds")),
        schedule: schedule.to_json(),
        hours: if schedule.is_empty() {
            String::new()
        } else {
            schedule.describe(true)
        },
        ..EntryFields::default()
    };
    if let Some(w) = place_url(
        &r.get("url"),
        &mut fields.url,
        &mut fields.email,
        &mut fields.phone,
    ) {
        warnings(reject(file_name, line, "ホームページアドレス", w));
    }
    Ok(fields)
}

/// The closures and inline hours of a facility row (1 = open, 0 = closed).
fn facility_schedule(r: &Row<'_>) -> Schedule {
    let mut s = Schedule::default();
    for d in 1..=7u8 {
        if closed(&r.get(&format!("weekly_{d}"))) || closed(&r.get(&format!("open_day_{d}"))) {
            s.closed_weekdays.push(d);
            continue;
        }
        for week in 1..=5u8 {
            if closed(&r.get(&format!("week_{week}_{d}"))) {
                s.closed_weeks.push((week, d));
            }
        }
    }
    s.closed_on_holidays = closed(&r.get("holiday_open"));
    s.closed_note = r.get("closed_note").replace("（改行）", " ");
    for d in 1..=HOLIDAY {
        for n in 1..=4 {
            let start = hhmm(&r.get(&format!("hours_{d}_{n}_start")));
            let end = hhmm(&r.get(&format!("hours_{d}_{n}_end")));
            if let (Some(from), Some(to)) = (start, end) {
                s.sessions.push(Session {
                    speciality: String::new(),
                    day: d,
                    from,
                    to,
                });
            }
        }
    }
    s
}

/// Reads one row of a speciality-and-hours file: the facility's ID (its
/// prefecture from the ID), one 診療科目 (`departments` and
/// `speciality_codes`) and one session per weekday in `schedule`. The
/// importer adds it to the facility row of the same ID.
pub fn parse_speciality_row(
    file_name: &str,
    kind: &str,
    r: &Row<'_>,
    warnings: &mut dyn FnMut(Reject),
) -> Result<EntryFields, Reject> {
    let id = row_id(file_name, r)?;
    let code = digits_only(&r.get("speciality_code"));
    let name = nfkc(&r.get("speciality_name"));
    if code.is_empty() || name.is_empty() {
        return Err(reject(
            file_name,
            r.line,
            "診療科目コード",
            "診療科目コード and 診療科目名 are required".into(),
        ));
    }
    let mut schedule = Schedule::default();
    for d in 1..=HOLIDAY {
        let start_raw = r.get(&format!("session_{d}_start"));
        let end_raw = r.get(&format!("session_{d}_end"));
        match (hhmm(&start_raw), hhmm(&end_raw)) {
            (Some(from), Some(to)) => schedule.sessions.push(Session {
                speciality: code.clone(),
                day: d,
                from,
                to,
            }),
            (None, None) if start_raw.is_empty() && end_raw.is_empty() => {}
            _ => warnings(reject(
                file_name,
                r.line,
                DAYS[usize::from(d - 1)],
                format!("{start_raw:?}–{end_raw:?} is not a session (HH:MM–HH:MM); left out"),
            )),
        }
    }
    Ok(EntryFields {
        prefecture_code: id[..2].to_string(),
        official_code: id,
        kind: kind.to_string(),
        departments: name,
        speciality_codes: code,
        schedule: schedule.to_json(),
        ..EntryFields::default()
    })
}

/// Parses one file held in memory (tests, fuzzing, the synthetic data
/// check); the importer streams files through [`open`] and [`parse_row`].
pub fn parse(file_name: &str, bytes: &[u8]) -> ParsedEntries {
    let mut out = ParsedEntries::default();
    let Some((kind, role)) = kind_from_name(file_name) else {
        out.rejects.push(not_a_facility_file(file_name));
        return out;
    };
    out.scope = kind.to_string();
    let encoding = super::decode::detect(bytes).unwrap_or(SourceEncoding::ShiftJis);
    out.encoding = Some(encoding);
    let mut table = match open(file_name, bytes, encoding, role) {
        Ok(t) => t,
        Err(r) => {
            out.rejects.push(r);
            return out;
        }
    };
    let mut warnings = Vec::new();
    table.read_all(
        &mut out.rows,
        &mut out.rejects,
        &mut warnings,
        |row, warn| {
            match role {
                FileRole::Facility => parse_row(file_name, kind, row, warn),
                FileRole::Specialities => parse_speciality_row(file_name, kind, row, warn),
            }
            .map(|fields| (fields, BTreeSet::new()))
        },
    );
    out.warnings = warnings;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_national_municipality_codes_become_six_digits() {
        // 13 + 101 = 13101 (千代田区), check digit 6.
        assert_eq!(municipality_code("13", "101").as_deref(), Some("131016"));
        assert_eq!(municipality_code("13", "13101").as_deref(), Some("131016"));
        assert_eq!(municipality_code("13", "131016").as_deref(), Some("131016"));
        assert_eq!(municipality_code("13", "1"), None);
    }

    #[test]
    fn times_read_as_hh_mm() {
        assert_eq!(hhmm("9:00").as_deref(), Some("09:00"));
        assert_eq!(hhmm("１８：３０").as_deref(), Some("18:30"));
        assert_eq!(hhmm("24:00").as_deref(), Some("24:00"));
        assert_eq!(hhmm("9時"), None);
        assert_eq!(hhmm(""), None);
    }

    #[test]
    fn file_names_say_kind_and_role() {
        assert_eq!(
            kind_from_name("02-2_clinic_speciality_hours_20261201.csv"),
            Some(("clinic", FileRole::Specialities))
        );
        assert_eq!(
            kind_from_name("04_maternity_home_20261201.csv"),
            Some(("maternity_home", FileRole::Facility))
        );
        assert_eq!(kind_from_name("06_other.csv"), None);
    }
}
