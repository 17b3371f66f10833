//! 国民の祝日・休日 (public holidays) as data: the Cabinet Office's
//! `syukujitsu.csv` format, bundled for 2020–2030 (`data/holidays.csv`,
//! its source in `data/README.md`) and replaceable by an operator's import
//! of the Cabinet Office's current file. Opening hours ("open now") ask
//! whether a date is a holiday.

use std::collections::BTreeMap;

/// Public holidays by date (year, month, day) with their names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holidays {
    dates: BTreeMap<(i32, u8, u8), String>,
}

/// The bundled holidays (see `data/README.md`).
const BUNDLED: &str = include_str!("../data/holidays.csv");

/// A line of a holidays file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayLineError {
    /// 1 is the header.
    pub line: usize,
    pub reason: String,
}

impl Holidays {
    /// The holidays bundled with Renkei.
    pub fn bundled() -> Holidays {
        // The bundled file is checked by a test, so nothing is dropped here.
        Holidays::parse(BUNDLED).0
    }

    /// Reads the Cabinet Office's format (`YYYY/M/D,名称` or
    /// `YYYY-MM-DD,名称`, after a header line). Lines that do not parse are
    /// returned beside what did.
    pub fn parse(text: &str) -> (Holidays, Vec<HolidayLineError>) {
        let mut out = Holidays::default();
        let mut errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim().trim_start_matches('\u{feff}');
            if i == 0 || line.is_empty() {
                continue;
            }
            let (date, name) = line.split_once(',').unwrap_or((line, ""));
            let parts: Vec<&str> = date.trim().split(['/', '-']).collect();
            let parsed = match parts.as_slice() {
                [y, m, d] => match (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) {
                    (Ok(y), Ok(m), Ok(d))
                        if (1948..=2200).contains(&y)
                            && time::Month::try_from(m)
                                .ok()
                                .and_then(|month| time::Date::from_calendar_date(y, month, d).ok())
                                .is_some() =>
                    {
                        Some((y, m, d))
                    }
                    _ => None,
                },
                _ => None,
            };
            match parsed {
                Some(key) => {
                    out.dates.insert(key, name.trim().to_string());
                }
                None => errors.push(HolidayLineError {
                    line: i + 1,
                    reason: format!("{date:?} is not a date (YYYY/M/D)"),
                }),
            }
        }
        (out, errors)
    }

    pub fn is_holiday(&self, year: i32, month: u8, day: u8) -> bool {
        self.dates.contains_key(&(year, month, day))
    }

    pub fn name(&self, year: i32, month: u8, day: u8) -> Option<&str> {
        self.dates.get(&(year, month, day)).map(String::as_str)
    }

    /// The years the data covers.
    pub fn years(&self) -> std::collections::BTreeSet<i32> {
        self.dates.keys().map(|(y, _, _)| *y).collect()
    }

    /// Every (date "YYYY-MM-DD", name), in date order.
    pub fn entries(&self) -> impl Iterator<Item = (String, &str)> {
        self.dates
            .iter()
            .map(|((y, m, d), n)| (format!("{y:04}-{m:02}-{d:02}"), n.as_str()))
    }

    pub fn len(&self) -> usize {
        self.dates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    /// These holidays with `newer`'s in place of theirs for every year
    /// `newer` covers (an imported file replaces whole years).
    pub fn overridden_by(&self, newer: &Holidays) -> Holidays {
        let years = newer.years();
        let mut dates: BTreeMap<(i32, u8, u8), String> = self
            .dates
            .iter()
            .filter(|((y, _, _), _)| !years.contains(y))
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        dates.extend(newer.dates.iter().map(|(k, v)| (*k, v.clone())));
        Holidays { dates }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_file_reads_whole() {
        let (h, errors) = Holidays::parse(BUNDLED);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(h.years().contains(&2026) && h.years().contains(&2030));
        assert_eq!(h.name(2026, 1, 1), Some("元日"));
        // 振替休日 and 国民の休日, as the Cabinet Office names them.
        assert_eq!(h.name(2026, 5, 6), Some("休日"));
        assert_eq!(h.name(2026, 9, 22), Some("休日"));
        assert!(!h.is_holiday(2026, 12, 7));
    }

    #[test]
    fn an_import_replaces_whole_years_and_bad_lines_are_named() {
        let (newer, errors) = Holidays::parse(
            "国民の祝日・休日月日,国民の祝日・休日名称\n2026/1/1,元日\n2026/13/1,壊れた行\n",
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 3);
        let merged = Holidays::bundled().overridden_by(&newer);
        assert!(merged.is_holiday(2026, 1, 1));
        assert!(!merged.is_holiday(2026, 5, 5), "2026 is the import's");
        assert!(merged.is_holiday(2027, 5, 5), "2027 stays bundled");
    }
}
