//! The vocabulary of the resource directory (社会資源・医療介護資源), DOMAIN.md §3.
//! Lists that regions may extend (procedures) are data seeded from here.

/// 介護サービスの種類: the service codes of the national care open data
/// (`jigyosho_<code>.csv`). Names as published; *(verify)* against each release.
pub const CARE_SERVICES: &[(&str, &str)] = &[
    ("110", "訪問介護"),
    ("120", "訪問入浴介護"),
    ("130", "訪問看護"),
    ("140", "訪問リハビリテーション"),
    ("150", "通所介護"),
    ("155", "通所リハビリテーション"),
    ("160", "短期入所生活介護"),
    ("170", "福祉用具貸与"),
    ("210", "短期入所生活介護"),
    ("220", "短期入所療養介護（介護老人保健施設）"),
    ("230", "短期入所療養介護（病院等）"),
    ("320", "特定施設入居者生活介護"),
    ("331", "定期巡回・随時対応型訪問介護看護"),
    ("332", "夜間対応型訪問介護"),
    ("333", "地域密着型通所介護"),
    ("334", "認知症対応型通所介護"),
    ("335", "小規模多機能型居宅介護"),
    ("336", "認知症対応型共同生活介護"),
    ("337", "地域密着型特定施設入居者生活介護"),
    ("338", "地域密着型介護老人福祉施設入所者生活介護"),
    ("361", "看護小規模多機能型居宅介護"),
    ("410", "特定福祉用具販売"),
    ("430", "居宅介護支援"),
    ("510", "介護老人福祉施設"),
    ("520", "介護老人保健施設"),
    ("530", "介護療養型医療施設"),
    ("540", "介護医療院"),
    ("550", "地域密着型介護老人福祉施設"),
];

/// The name of a care service code, if known.
pub fn care_service_name(code: &str) -> Option<&'static str> {
    CARE_SERVICES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
}

/// The organisation kind a care service code belongs to (`OrgKind` code).
pub fn org_kind_for_care_service(code: &str) -> &'static str {
    match code {
        "130" => "visiting_nursing",
        "430" => "care_management",
        _ => "care_service",
    }
}

/// Home-care functions (在宅医療の機能) an entry can offer.
pub const HOME_CARE_FUNCTIONS: &[(&str, &str, &str)] = &[
    ("home_visit", "訪問診療", "Scheduled home visits"),
    ("house_call", "往診", "House calls"),
    ("h24", "24時間対応", "24-hour response"),
    ("end_of_life", "在宅看取り", "End-of-life care at home"),
];

/// Informal life-support services (生活支援サービス), listed as entries of
/// their own with these codes in place of care service codes.
pub const LIFE_SUPPORT_SERVICES: &[(&str, &str)] = &[
    ("L01", "配食サービス"),
    ("L02", "買い物支援"),
    ("L03", "訪問理美容"),
    ("L04", "家事援助"),
    ("L05", "見守り・安否確認"),
];

/// The name of any service code an entry can carry: care or life support.
pub fn service_name(code: &str) -> Option<&'static str> {
    care_service_name(code).or_else(|| {
        LIFE_SUPPORT_SERVICES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, n)| *n)
    })
}

/// The optional fields an entry may show on the public map; the rest of an
/// entry is either always public (name, kind, address, services, position)
/// or always for professionals (contact windows, contact person, notes).
pub const PUBLIC_FIELD_CHOICES: &[(&str, &str, &str)] = &[
    ("phone", "電話番号", "Phone"),
    ("fax", "FAX番号", "FAX"),
    ("url", "ホームページ", "Web site"),
    ("email", "メールアドレス", "E-mail"),
    ("hours", "受付時間・休業日", "Hours and closed days"),
    ("functions", "在宅医療の機能", "Home-care functions"),
    ("procedures", "対応できる医療処置", "Procedures"),
    ("features", "特色", "Distinctive features"),
    ("languages", "対応言語", "Languages"),
    ("acceptance", "受入状況", "Acceptance status"),
];

/// What public fields a new entry starts with.
pub const DEFAULT_PUBLIC_FIELDS: &str = "phone,fax,url,hours,functions,features,languages";

/// How a care manager may reach a provider (連絡方法).
pub const CONTACT_METHODS: &[(&str, &str, &str)] = &[
    ("phone", "電話", "Phone"),
    ("fax", "FAX", "FAX"),
    ("email", "メール", "E-mail"),
    ("in_person", "面談", "In person"),
    ("timeline", "Renkeiタイムライン", "Renkei timeline"),
];

/// One contact window for care managers (ケアマネタイム): a method, the
/// weekdays (1 = Monday … 7 = Sunday, 8 = public holiday is not modelled)
/// and a time range in Japan time. A range whose end is before its start
/// runs past midnight.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContactWindow {
    pub method: String,
    pub weekdays: Vec<u8>,
    /// "HH:MM", Japan time.
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub note: String,
}

/// Minutes after midnight of "HH:MM" (24:00 allowed as an end).
pub fn minutes_of(hhmm: &str) -> Option<u16> {
    let (h, m) = hhmm.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

impl ContactWindow {
    /// Checks the window, naming the first problem in Japanese.
    pub fn validate(&self) -> Result<(), String> {
        if !CONTACT_METHODS.iter().any(|(c, _, _)| *c == self.method) {
            return Err(format!("連絡方法「{}」は選べません", self.method));
        }
        if self.weekdays.is_empty() || self.weekdays.iter().any(|d| !(1..=7).contains(d)) {
            return Err("曜日を1つ以上選んでください".into());
        }
        let (Some(from), Some(to)) = (minutes_of(&self.from), minutes_of(&self.to)) else {
            return Err(format!(
                "時刻は 09:00 のように入力してください（{}〜{}）",
                self.from, self.to
            ));
        };
        if from == to {
            return Err("開始と終了が同じ時刻です".into());
        }
        Ok(())
    }

    /// Whether the window is open at `weekday` (1 = Monday) and `minute` of
    /// the day, both in Japan time.
    pub fn is_open(&self, weekday: u8, minute: u16) -> bool {
        let (Some(from), Some(to)) = (minutes_of(&self.from), minutes_of(&self.to)) else {
            return false;
        };
        if from < to {
            self.weekdays.contains(&weekday) && (from..to).contains(&minute)
        } else {
            // Past midnight: the evening part belongs to the listed day, the
            // morning part to the day after.
            let yesterday = if weekday == 1 { 7 } else { weekday - 1 };
            (self.weekdays.contains(&weekday) && minute >= from)
                || (self.weekdays.contains(&yesterday) && minute < to)
        }
    }
}

impl ContactWindow {
    /// "電話 月・水 13:00〜14:00（管理者）" (or the English equivalent).
    pub fn describe(&self, lang: &str) -> String {
        let en = lang == "en";
        let method = CONTACT_METHODS
            .iter()
            .find(|(c, _, _)| *c == self.method)
            .map(|(_, ja, e)| if en { *e } else { *ja })
            .unwrap_or("");
        let days: Vec<&str> = self
            .weekdays
            .iter()
            .filter_map(|d| {
                let i = (*d as usize).checked_sub(1)?;
                if en {
                    WEEKDAYS_EN.get(i).copied()
                } else {
                    WEEKDAYS_JA.get(i).copied()
                }
            })
            .collect();
        let mut s = format!("{method} {} {}〜{}", days.join("・"), self.from, self.to);
        if !self.note.is_empty() {
            s.push_str(&format!("（{}）", self.note));
        }
        s
    }
}

/// The weekday (1 = Monday) and minute of the day of an instant in Japan time.
pub fn jst_weekday_minute(at: crate::Timestamp) -> (u8, u16) {
    let t = at.to_offset_datetime().to_offset(crate::timestamp::JST);
    (
        t.weekday().number_from_monday(),
        t.hour() as u16 * 60 + t.minute() as u16,
    )
}

/// Japanese weekday names, Monday first.
pub const WEEKDAYS_JA: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
/// English weekday names, Monday first.
pub const WEEKDAYS_EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

#[cfg(test)]
mod tests {
    use super::*;

    fn window(days: &[u8], from: &str, to: &str) -> ContactWindow {
        ContactWindow {
            method: "phone".into(),
            weekdays: days.to_vec(),
            from: from.into(),
            to: to.into(),
            note: String::new(),
        }
    }

    #[test]
    fn windows_open_and_close_on_time() {
        let w = window(&[1, 3], "13:00", "14:00");
        assert!(w.is_open(1, 13 * 60));
        assert!(w.is_open(3, 13 * 60 + 59));
        assert!(!w.is_open(1, 14 * 60), "the end is exclusive");
        assert!(!w.is_open(2, 13 * 60 + 30), "Tuesday is not listed");
        let night = window(&[5], "22:00", "06:00");
        assert!(night.is_open(5, 23 * 60));
        assert!(
            night.is_open(6, 5 * 60),
            "Saturday morning belongs to Friday night"
        );
        assert!(!night.is_open(5, 5 * 60));
        let sunday_night = window(&[7], "22:00", "02:00");
        assert!(
            sunday_night.is_open(1, 60),
            "Monday 01:00 after Sunday night"
        );
    }

    #[test]
    fn bad_windows_are_named() {
        assert!(window(&[], "09:00", "10:00").validate().is_err());
        assert!(window(&[1], "9時", "10:00").validate().is_err());
        assert!(window(&[1], "25:00", "10:00").validate().is_err());
        assert!(window(&[1], "10:00", "10:00").validate().is_err());
        assert!(window(&[1], "09:00", "24:00").validate().is_ok());
    }

    #[test]
    fn japan_time_is_utc_plus_nine() {
        // 2026-11-23 04:30 UTC is Monday 13:30 in Japan.
        let t = crate::Timestamp(1_795_408_200_000);
        assert_eq!(t.to_jst_display(), "2026-11-23 13:30");
        assert_eq!(jst_weekday_minute(t), (1, 13 * 60 + 30));
    }
}

/// Whether `url` may be stored as a web address and shown as a link: only
/// `http://` and `https://` with a host, no spaces or control characters
/// (`javascript:`, `data:` and the like are refused). Case is ignored in the
/// scheme, as browsers ignore it.
pub fn is_web_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty()
                && url.len() <= 2000
                && !url
                    .trim()
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace())
        }
        None => false,
    }
}

#[cfg(test)]
mod web_url_tests {
    use super::is_web_url;

    #[test]
    fn only_http_and_https_with_a_host() {
        for ok in [
            "https://example.jp/",
            "http://clinic.example.jp/a?b#c",
            "HTTPS://X.JP",
        ] {
            assert!(is_web_url(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<script>",
            "https://",
            "https:///path",
            "ftp://example.jp",
            "//example.jp",
            "https://exa mple.jp",
            "https://example.jp/\tx",
        ] {
            assert!(!is_web_url(bad), "{bad}");
        }
    }
}

labelled_enum!(
    /// A change to an entry's public fields, as the coordinator reviews it
    /// (掲載内容の変更申請).
    ChangeRequestStatus {
        /// Waiting for the coordinator.
        Pending = ("pending", "確認待ち", "Pending"),
        /// Applied to the entry.
        Approved = ("approved", "承認", "Approved"),
        /// Not applied.
        Rejected = ("rejected", "却下", "Rejected"),
    }
);
