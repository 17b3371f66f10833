//! The vocabulary of the resource directory (社会資源・医療介護資源), DOMAIN.md §3.
//! Lists that regions may extend (procedures) are data seeded from here.

/// 介護サービスの種類: the 35 service codes of the national care open data
/// (介護サービス情報公表システム, one file `jigyosho_<code>[_all_<stamp>].csv`
/// per code), with the names the download page labels them with. Source and
/// how it was checked: docs/data-sources.md. 介護予防 services have no files
/// of their own (an office offering one is listed under the service).
pub const CARE_SERVICES: &[(&str, &str)] = &[
    ("110", "訪問介護"),
    ("120", "訪問入浴介護"),
    ("130", "訪問看護"),
    ("140", "訪問リハビリテーション"),
    ("150", "通所介護"),
    ("155", "通所介護（療養通所介護）"),
    ("160", "通所リハビリテーション"),
    ("170", "福祉用具貸与"),
    ("210", "短期入所生活介護"),
    ("220", "短期入所療養介護（介護老人保健施設）"),
    ("230", "短期入所療養介護（療養病床を有する病院等）"),
    ("551", "短期入所療養介護（介護医療院）"),
    ("320", "認知症対応型共同生活介護"),
    ("331", "特定施設入居者生活介護（有料老人ホーム）"),
    ("332", "特定施設入居者生活介護（軽費老人ホーム）"),
    (
        "334",
        "特定施設入居者生活介護（サービス付き高齢者向け住宅）",
    ),
    (
        "335",
        "特定施設入居者生活介護（有料老人ホーム・外部サービス利用型）",
    ),
    (
        "336",
        "特定施設入居者生活介護（軽費老人ホーム・外部サービス利用型）",
    ),
    (
        "337",
        "特定施設入居者生活介護（サービス付き高齢者向け住宅・外部サービス利用型）",
    ),
    ("361", "地域密着型特定施設入居者生活介護（有料老人ホーム）"),
    ("362", "地域密着型特定施設入居者生活介護（軽費老人ホーム）"),
    (
        "364",
        "地域密着型特定施設入居者生活介護（サービス付き高齢者向け住宅）",
    ),
    ("410", "特定福祉用具販売"),
    ("430", "居宅介護支援"),
    ("510", "介護老人福祉施設"),
    ("520", "介護老人保健施設"),
    ("530", "介護療養型医療施設"),
    ("540", "地域密着型介護老人福祉施設入所者生活介護"),
    ("550", "介護医療院"),
    ("710", "夜間対応型訪問介護"),
    ("720", "認知症対応型通所介護"),
    ("730", "小規模多機能型居宅介護"),
    ("760", "定期巡回・随時対応型訪問介護看護"),
    ("770", "看護小規模多機能型居宅介護"),
    ("780", "地域密着型通所介護"),
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
        // 特定施設入居者生活介護 by the kind of residence.
        "331" | "335" | "361" => "paid_nursing_home",
        "334" | "337" | "364" => "serviced_housing",
        _ => "care_service",
    }
}

/// Home-care functions (在宅医療の機能) an entry can offer.
pub const HOME_CARE_FUNCTIONS: &[(&str, &str, &str)] = &[
    ("home_visit", "訪問診療", "Scheduled home visits"),
    // About 70% of a town's clinics answer "if conditions fit" (distance,
    // times, the patient's condition): found, and marked as such.
    (
        "home_visit_conditional",
        "条件が合えば訪問診療",
        "Home visits if conditions fit",
    ),
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
    ("staff", "職員数・保有資格", "Staff and qualifications"),
];

/// What public fields a new entry starts with.
pub const DEFAULT_PUBLIC_FIELDS: &str = "phone,fax,url,hours,functions,features,languages";

/// The qualifications an office's professionals hold (保有資格), kept by
/// the office: families and hospitals choose a care-management office by
/// its care managers' base qualifications (a nurse-qualified care manager
/// for a patient with medical needs), and stations by their staff.
pub const STAFF_QUALIFICATIONS: &[(&str, &str, &str)] = &[
    (
        "chief_care_manager",
        "主任介護支援専門員",
        "Chief care manager",
    ),
    ("nurse", "看護師", "Nurse"),
    ("public_health_nurse", "保健師", "Public health nurse"),
    ("social_worker", "社会福祉士", "Certified social worker"),
    (
        "psychiatric_social_worker",
        "精神保健福祉士",
        "Psychiatric social worker",
    ),
    ("care_worker", "介護福祉士", "Certified care worker"),
    ("pharmacist", "薬剤師", "Pharmacist"),
    ("physical_therapist", "理学療法士", "Physical therapist"),
    (
        "occupational_therapist",
        "作業療法士",
        "Occupational therapist",
    ),
    ("speech_therapist", "言語聴覚士", "Speech therapist"),
    ("dietitian", "管理栄養士", "Registered dietitian"),
    ("dental_hygienist", "歯科衛生士", "Dental hygienist"),
    ("doctor", "医師", "Doctor"),
];

/// How many staff an office can record (a bound against typing errors).
pub const STAFF_COUNT_MAX: i64 = 999;

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

/// A hospital's liaison window (地域連携室・入退院支援窓口) as a contact of
/// its own: where admissions and discharges are handed over, which can
/// differ from the facility's switchboard and hours.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LiaisonWindow {
    /// 部署名 (地域連携室, 患者支援センター …).
    pub department: String,
    pub phone: String,
    pub fax: String,
    /// 1 = Monday … 7 = Sunday.
    pub weekdays: Vec<u8>,
    /// "HH:MM", Japan time (empty: not told).
    pub from: String,
    pub to: String,
    /// 担当者.
    pub person: String,
    /// How it takes handoffs: a `transitions::ContactChannel` code
    /// (renkei, fax, phone, mail …).
    pub channel: String,
}

impl LiaisonWindow {
    /// Nothing told.
    pub fn is_empty(&self) -> bool {
        *self == LiaisonWindow::default()
    }

    /// Checks the window, naming the first problem in Japanese.
    pub fn validate(&self) -> Result<(), String> {
        if self.is_empty() {
            return Ok(());
        }
        if self.department.trim().is_empty() {
            return Err("連携窓口の部署名を入力してください".into());
        }
        if !self.channel.is_empty()
            && crate::transitions::ContactChannel::from_code(&self.channel).is_none()
        {
            return Err(format!("受付方法「{}」は選べません", self.channel));
        }
        if self.weekdays.iter().any(|d| !(1..=7).contains(d)) {
            return Err("曜日を選び直してください".into());
        }
        match (self.from.trim(), self.to.trim()) {
            ("", "") => {}
            (from, to) if minutes_of(from).is_some() && minutes_of(to).is_some() => {}
            (from, to) => {
                return Err(format!(
                    "連携窓口の時刻は 09:00 のように入力してください（{from}〜{to}）"
                ))
            }
        }
        for (name, value, max) in [
            ("部署名", &self.department, 100),
            ("電話", &self.phone, 30),
            ("FAX", &self.fax, 30),
            ("担当者", &self.person, 100),
        ] {
            if value.chars().count() > max {
                return Err(format!("連携窓口の{name}は{max}文字以内にしてください"));
            }
        }
        Ok(())
    }

    /// The window in one line: 部署・電話・FAX・時間・担当・受付方法.
    pub fn describe_ja(&self) -> String {
        if self.is_empty() {
            return String::new();
        }
        let labelled = |label: &str, v: &str| {
            if v.is_empty() {
                String::new()
            } else {
                format!("{label} {v}")
            }
        };
        let channel = crate::transitions::ContactChannel::from_code(&self.channel)
            .map(|c| c.label_ja())
            .unwrap_or_default();
        [
            self.department.clone(),
            labelled("電話", &self.phone),
            labelled("FAX", &self.fax),
            self.hours_ja(),
            labelled("担当", &self.person),
            labelled("受付", channel),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ・ ")
    }

    /// "月火水木金 08:30〜17:00" in Japanese.
    pub fn hours_ja(&self) -> String {
        let days: String = self
            .weekdays
            .iter()
            .filter_map(|d| {
                ["月", "火", "水", "木", "金", "土", "日"].get(usize::from(*d).wrapping_sub(1))
            })
            .copied()
            .collect();
        match (days.is_empty(), self.from.is_empty()) {
            (true, true) => String::new(),
            (false, true) => days,
            (_, false) => format!("{days} {}〜{}", self.from, self.to)
                .trim()
                .to_string(),
        }
    }
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

/// A moment as opening hours see it, in Japan time: the weekday (1 =
/// Monday … 7 = Sunday), the minute of the day, which week of the month
/// (1 for days 1–7 … 5 for 29–31) and whether it is a public holiday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalMoment {
    pub weekday: u8,
    pub minute: u16,
    pub week_of_month: u8,
    pub holiday: bool,
}

impl LocalMoment {
    /// The moment `at` in Japan time; `holiday` says whether its date
    /// (year, month, day) is a public holiday.
    pub fn at(at: crate::Timestamp, holiday: impl Fn(i32, u8, u8) -> bool) -> LocalMoment {
        let t = at.to_offset_datetime().to_offset(crate::timestamp::JST);
        LocalMoment {
            weekday: t.weekday().number_from_monday(),
            minute: t.hour() as u16 * 60 + t.minute() as u16,
            week_of_month: (t.day() - 1) / 7 + 1,
            holiday: holiday(t.year(), t.month() as u8, t.day()),
        }
    }
}

/// The day code of public holidays in a [`Session`] (the national files'
/// 祝 columns).
pub const HOLIDAY: u8 = 8;

/// One consultation session (診療時間帯) of a weekday: from `from` to `to`
/// ("HH:MM", Japan time), for one speciality (診療科目コード) or, when
/// `speciality` is empty, the whole facility (pharmacies, maternity homes).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Session {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub speciality: String,
    /// 1 = Monday … 7 = Sunday, [`HOLIDAY`] = public holidays.
    pub day: u8,
    pub from: String,
    pub to: String,
}

/// 診療日・診療時間: when a facility is open, as the national medical files
/// give it — sessions per weekday (and per speciality), the weekdays it is
/// closed every week, the weeks of the month it is closed on a weekday
/// (第2・第4土曜休診), whether it closes on public holidays, and other
/// closures as written (お盆、年末年始).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Schedule {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<Session>,
    /// Weekdays (1–7) closed every week.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closed_weekdays: Vec<u8>,
    /// (week of the month 1–5, weekday 1–7) closed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closed_weeks: Vec<(u8, u8)>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub closed_on_holidays: bool,
    /// Other closures as the source writes them.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub closed_note: String,
}

impl Schedule {
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// The JSON the directory stores ("" for no schedule).
    pub fn to_json(&self) -> String {
        if *self == Schedule::default() {
            return String::new();
        }
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stored schedule; "" or a value that does not parse is none.
    pub fn from_json(s: &str) -> Schedule {
        if s.is_empty() {
            return Schedule::default();
        }
        serde_json::from_str(s).unwrap_or_default()
    }

    /// Whether the facility (or, given a speciality code, that speciality)
    /// is open at `m`. On a public holiday it is closed if it closes on
    /// holidays; otherwise its holiday sessions apply, or the weekday's
    /// when it lists none. A session whose end is before its start runs
    /// past midnight (a night clinic): it covers the evening here.
    pub fn is_open(&self, m: LocalMoment, speciality: Option<&str>) -> bool {
        if self.closed_weekdays.contains(&m.weekday)
            || self.closed_weeks.contains(&(m.week_of_month, m.weekday))
            || (m.holiday && self.closed_on_holidays)
        {
            return false;
        }
        let wanted = |s: &&Session| {
            speciality.is_none_or(|code| s.speciality.is_empty() || s.speciality == code)
        };
        let has_holiday_sessions = m.holiday
            && self
                .sessions
                .iter()
                .filter(wanted)
                .any(|s| s.day == HOLIDAY);
        let day = if has_holiday_sessions {
            HOLIDAY
        } else {
            m.weekday
        };
        self.sessions
            .iter()
            .filter(wanted)
            .filter(|s| s.day == day)
            .any(|s| match (minutes_of(&s.from), minutes_of(&s.to)) {
                (Some(from), Some(to)) if from < to => (from..to).contains(&m.minute),
                (Some(from), Some(to)) if from > to => m.minute >= from,
                _ => false,
            })
    }

    /// The opening hours in a line a person reads, e.g.
    /// "月火水木金 09:00–12:00, 15:00–18:00 / 土 09:00–12:00 / 休診: 日・祝"
    /// (the facility's sessions, all specialities together).
    pub fn describe(&self, ja: bool) -> String {
        let names = if ja { WEEKDAYS_JA } else { WEEKDAYS_EN };
        let day_name = |d: u8| -> &str {
            if d == HOLIDAY {
                if ja {
                    "祝"
                } else {
                    "Hol"
                }
            } else {
                names
                    .get(usize::from(d.saturating_sub(1)))
                    .copied()
                    .unwrap_or("?")
            }
        };
        // Each day's distinct sessions, then days with the same sessions together.
        let mut by_day: Vec<(u8, Vec<String>)> = Vec::new();
        for day in 1..=HOLIDAY {
            let mut ranges: Vec<(u16, String)> = self
                .sessions
                .iter()
                .filter(|s| s.day == day)
                .map(|s| {
                    (
                        minutes_of(&s.from).unwrap_or(0),
                        format!("{}–{}", s.from, s.to),
                    )
                })
                .collect();
            ranges.sort();
            ranges.dedup();
            if !ranges.is_empty() {
                by_day.push((day, ranges.into_iter().map(|(_, r)| r).collect()));
            }
        }
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for (day, ranges) in by_day {
            match groups.iter_mut().find(|(_, r)| *r == ranges) {
                Some((days, _)) => days.push_str(day_name(day)),
                None => groups.push((day_name(day).to_string(), ranges)),
            }
        }
        let mut parts: Vec<String> = groups
            .into_iter()
            .map(|(days, ranges)| format!("{days} {}", ranges.join(", ")))
            .collect();
        let mut closed: Vec<String> = self
            .closed_weekdays
            .iter()
            .map(|d| day_name(*d).to_string())
            .collect();
        for (week, d) in &self.closed_weeks {
            closed.push(if ja {
                format!("第{week}{}", day_name(*d))
            } else {
                format!("{} of week {week}", day_name(*d))
            });
        }
        if self.closed_on_holidays {
            closed.push(day_name(HOLIDAY).to_string());
        }
        if !closed.is_empty() {
            parts.push(format!(
                "{}{}",
                if ja { "休診: " } else { "Closed: " },
                closed.join(if ja { "・" } else { ", " })
            ));
        }
        if !self.closed_note.is_empty() {
            parts.push(self.closed_note.clone());
        }
        parts.join(" / ")
    }
}

impl Schedule {
    /// Each speciality's own hours as a line a person reads, in the order
    /// the schedule first names them, when the specialities keep different
    /// hours (a hospital's internal medicine in the morning, its
    /// orthopaedics in the afternoon); none when one line says it all.
    /// Closures are the facility's and stay in [`Schedule::describe`].
    pub fn describe_by_speciality(&self, ja: bool) -> Vec<(String, String)> {
        let mut codes: Vec<&str> = Vec::new();
        for s in &self.sessions {
            if !s.speciality.is_empty() && !codes.contains(&s.speciality.as_str()) {
                codes.push(&s.speciality);
            }
        }
        let lines: Vec<(String, String)> = codes
            .into_iter()
            .map(|code| {
                let own = Schedule {
                    sessions: self
                        .sessions
                        .iter()
                        .filter(|s| s.speciality.is_empty() || s.speciality == code)
                        .cloned()
                        .collect(),
                    ..Schedule::default()
                };
                (code.to_string(), own.describe(ja))
            })
            .collect();
        let all_alike = lines.windows(2).all(|w| w[0].1 == w[1].1);
        if all_alike {
            Vec::new()
        } else {
            lines
        }
    }
}

/// A facility's week in the compact form the search index keeps for "open
/// now": its distinct sessions as [`WeekSession`]s (each naming which of
/// the facility's specialities it serves), and its closures as bit masks.
/// A hospital's schedule has hundreds of speciality sessions; this has a
/// few dozen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeeklyHours {
    /// Sorted by (day, from, to), one per distinct time.
    pub sessions: Vec<WeekSession>,
    /// Bit d for weekday d (1–7) closed every week.
    pub closed_days: u8,
    /// Bit (week-1)*7 + (weekday-1) for a weekday closed in that week.
    pub closed_weeks: u64,
    pub closed_on_holidays: bool,
}

/// One distinct session time of a facility's week and the specialities
/// that keep it, in six bytes: bit k of `specialities` is the facility's
/// k-th 診療科目 (k < 7, in the order of its speciality list), bit 7 its
/// eighth and later ones together (a large hospital's: "open" for one of
/// those means one of them is). A session for the whole facility (a
/// pharmacy's, or one the file gives no speciality) has every bit.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct WeekSession {
    /// 1 = Monday … 7 = Sunday, [`HOLIDAY`] = public holidays.
    pub day: u8,
    pub from: u16,
    pub to: u16,
    pub specialities: u8,
}

/// Every speciality of a facility, as [`WeekSession::specialities`] and
/// [`speciality_bits`] name them.
pub const ALL_SPECIALITIES: u8 = u8::MAX;

/// The bit of a facility's `k`-th speciality in [`WeekSession::specialities`].
pub fn speciality_bit(k: usize) -> u8 {
    if k < 7 {
        1 << k
    } else {
        1 << 7
    }
}

/// The bits of the `wanted` 診療科目コード among a facility's
/// `specialities` ([`ALL_SPECIALITIES`] when none is wanted; 0 when it
/// offers none of them).
pub fn speciality_bits(specialities: &[String], wanted: &[String]) -> u8 {
    if wanted.is_empty() {
        return ALL_SPECIALITIES;
    }
    specialities
        .iter()
        .enumerate()
        .filter(|(_, code)| wanted.contains(code))
        .fold(0, |bits, (k, _)| bits | speciality_bit(k))
}

impl WeeklyHours {
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Whether the facility is open at `m` for one of the specialities in
    /// `specialities` (bits as [`speciality_bits`] gives them;
    /// [`ALL_SPECIALITIES`] for the whole facility), as
    /// [`Schedule::is_open`] answers.
    pub fn is_open(&self, m: LocalMoment, specialities: u8) -> bool {
        week_is_open(
            &self.sessions,
            self.closed_days,
            self.closed_weeks,
            self.closed_on_holidays,
            m,
            specialities,
        )
    }
}

/// [`WeeklyHours::is_open`] over its parts, so the search index asks it of
/// the week it keeps packed without rebuilding a `WeeklyHours` per entry.
pub fn week_is_open(
    sessions: &[WeekSession],
    closed_days: u8,
    closed_weeks: u64,
    closed_on_holidays: bool,
    m: LocalMoment,
    specialities: u8,
) -> bool {
    if closed_days & (1u8 << (m.weekday & 7)) != 0 {
        return false;
    }
    let bit =
        u32::from(m.week_of_month.saturating_sub(1)) * 7 + u32::from(m.weekday.saturating_sub(1));
    if bit < 64 && closed_weeks & (1u64 << bit) != 0 {
        return false;
    }
    if m.holiday && closed_on_holidays {
        return false;
    }
    let wanted = |s: &&WeekSession| s.specialities & specialities != 0;
    let day = if m.holiday && sessions.iter().filter(wanted).any(|s| s.day == HOLIDAY) {
        HOLIDAY
    } else {
        m.weekday
    };
    sessions
        .iter()
        .filter(wanted)
        .filter(|s| s.day == day)
        .any(|s| match s.from.cmp(&s.to) {
            std::cmp::Ordering::Less => (s.from..s.to).contains(&m.minute),
            std::cmp::Ordering::Greater => m.minute >= s.from,
            std::cmp::Ordering::Equal => false,
        })
}

impl Schedule {
    /// The facility's week for the search index, its sessions marked with
    /// the bits of `specialities` (the facility's 診療科目コード in the
    /// order the index keeps them) that keep each.
    pub fn weekly_hours(&self, specialities: &[String]) -> WeeklyHours {
        let mut sessions: Vec<WeekSession> = self
            .sessions
            .iter()
            .filter_map(|s| {
                Some(WeekSession {
                    day: s.day,
                    from: minutes_of(&s.from)?,
                    to: minutes_of(&s.to)?,
                    specialities: if s.speciality.is_empty() {
                        ALL_SPECIALITIES
                    } else {
                        specialities
                            .iter()
                            .position(|code| *code == s.speciality)
                            // Not in the list: kept under "the others".
                            .map_or(speciality_bit(7), speciality_bit)
                    },
                })
            })
            .collect();
        sessions.sort_unstable();
        // One session per time, keeping every speciality's bit.
        sessions.dedup_by(|later, kept| {
            let same = (later.day, later.from, later.to) == (kept.day, kept.from, kept.to);
            if same {
                kept.specialities |= later.specialities;
            }
            same
        });
        WeeklyHours {
            sessions,
            closed_days: self
                .closed_weekdays
                .iter()
                .fold(0u8, |m, d| m | (1u8 << (d & 7))),
            closed_weeks: self.closed_weeks.iter().fold(0u64, |m, (w, d)| {
                let bit = u32::from(w.saturating_sub(1)) * 7 + u32::from(d.saturating_sub(1));
                if bit < 64 {
                    m | (1u64 << bit)
                } else {
                    m
                }
            }),
            closed_on_holidays: self.closed_on_holidays,
        }
    }
}

/// How many days an acceptance status (受入状況) stays current, by kind: a
/// hospital's free beds change daily, a visiting-nursing station's or a
/// care manager's room weekly (stations are phoned every week for it).
/// Kinds not listed: 30 days.
pub const ACCEPTANCE_FRESH_DAYS: &[(&str, i64)] = &[
    ("hospital", 1),
    ("visiting_nursing", 7),
    ("care_management", 7),
    ("home_care_clinic", 14),
    ("care_service", 14),
    ("paid_nursing_home", 14),
    ("serviced_housing", 14),
];

/// An acceptance status (受入状況) in Japanese and English.
pub fn acceptance_labels(code: &str) -> (&'static str, &'static str) {
    match code {
        "accepting" => ("受入可", "Accepting"),
        "waiting_list" => ("待機あり", "Waiting list"),
        "full" => ("満床・受入不可", "Full"),
        _ => ("未登録", "Unknown"),
    }
}

/// The days an acceptance status of `kind` stays current.
pub fn acceptance_fresh_days(kind: &str) -> i64 {
    ACCEPTANCE_FRESH_DAYS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, d)| *d)
        .unwrap_or(30)
}

/// Whether an acceptance status set at `as_of` (Unix ms) is older than its
/// kind allows at `now` (a status never set is not stale, it is unknown).
pub fn acceptance_is_stale(kind: &str, as_of: Option<i64>, now: crate::Timestamp) -> bool {
    as_of.is_some_and(|t| now.millis() - t > acceptance_fresh_days(kind) * 86_400_000)
}

/// Japanese weekday names, Monday first.
pub const WEEKDAYS_JA: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
/// English weekday names, Monday first.
pub const WEEKDAYS_EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

#[cfg(test)]
mod tests {
    use super::*;

    fn clinic() -> Schedule {
        let session = |speciality: &str, day: u8, from: &str, to: &str| Session {
            speciality: speciality.into(),
            day,
            from: from.into(),
            to: to.into(),
        };
        let mut sessions = Vec::new();
        for day in 1..=5 {
            sessions.push(session("01001", day, "09:00", "12:00"));
            sessions.push(session("01001", day, "15:00", "18:00"));
        }
        sessions.push(session("01001", 6, "09:00", "12:00"));
        sessions.push(session("13001", 2, "14:00", "16:00"));
        Schedule {
            sessions,
            closed_weekdays: vec![7],
            closed_weeks: vec![(2, 6)],
            closed_on_holidays: true,
            closed_note: String::new(),
        }
    }

    fn at(weekday: u8, hhmm: &str, week: u8, holiday: bool) -> LocalMoment {
        LocalMoment {
            weekday,
            minute: minutes_of(hhmm).unwrap(),
            week_of_month: week,
            holiday,
        }
    }

    #[test]
    fn a_clinic_is_open_in_its_sessions_only() {
        let c = clinic();
        assert!(c.is_open(at(1, "09:00", 1, false), None));
        assert!(
            !c.is_open(at(1, "12:00", 1, false), None),
            "the end is exclusive"
        );
        assert!(!c.is_open(at(1, "13:00", 1, false), None));
        assert!(c.is_open(at(6, "10:00", 1, false), None));
        assert!(!c.is_open(at(6, "10:00", 2, false), None), "第2土曜休診");
        assert!(!c.is_open(at(7, "10:00", 1, false), None), "Sundays");
        assert!(!c.is_open(at(3, "10:00", 1, true), None), "a holiday");
        // One speciality's own sessions.
        assert!(c.is_open(at(2, "14:30", 1, false), Some("13001")));
        assert!(!c.is_open(at(2, "14:30", 1, false), Some("01001")));
        assert!(!c.is_open(at(1, "10:00", 1, false), Some("13001")));
        assert_eq!(
            c.describe(true),
            "月水木金 09:00–12:00, 15:00–18:00 / 火 09:00–12:00, 14:00–16:00, 15:00–18:00 \
             / 土 09:00–12:00 / 休診: 日・第2土・祝"
        );
        assert_eq!(Schedule::from_json(&c.to_json()), c);
        assert_eq!(
            c.describe_by_speciality(true),
            vec![
                (
                    "01001".to_string(),
                    "月火水木金 09:00–12:00, 15:00–18:00 / 土 09:00–12:00".to_string()
                ),
                ("13001".to_string(), "火 14:00–16:00".to_string()),
            ]
        );
        // The index's compact week answers as the schedule does, for the
        // whole facility and for each speciality.
        let offered: Vec<String> = vec!["01001".into(), "13001".into()];
        let w = c.weekly_hours(&offered);
        for m in [
            at(1, "09:00", 1, false),
            at(1, "13:00", 1, false),
            at(6, "10:00", 2, false),
            at(7, "10:00", 1, false),
            at(3, "10:00", 1, true),
            at(2, "14:30", 1, false),
            at(2, "10:00", 1, false),
        ] {
            assert_eq!(w.is_open(m, ALL_SPECIALITIES), c.is_open(m, None), "{m:?}");
            for code in &offered {
                let bits = speciality_bits(&offered, std::slice::from_ref(code));
                assert_eq!(w.is_open(m, bits), c.is_open(m, Some(code)), "{m:?} {code}");
            }
        }
        assert_eq!(speciality_bits(&offered, &["99999".into()]), 0);
        assert_eq!(Schedule::default().to_json(), "");
    }

    #[test]
    fn a_hospitals_week_keeps_each_specialitys_sessions() {
        // Ten specialities: the first seven have a bit each, the rest share
        // the eighth. Internal medicine (the first) in the morning only,
        // the tenth in the afternoon only, paediatrics on holidays too.
        let offered: Vec<String> = (1..=10).map(|k| format!("{k:05}")).collect();
        let session = |speciality: &str, day: u8, from: &str, to: &str| Session {
            speciality: speciality.into(),
            day,
            from: from.into(),
            to: to.into(),
        };
        let mut sessions = vec![
            session("00001", 1, "09:00", "12:00"),
            session("00010", 1, "14:00", "17:00"),
            session("00002", 1, "09:00", "12:00"),
            session("00002", HOLIDAY, "10:00", "12:00"),
            session("00002", 1, "14:00", "17:00"),
        ];
        sessions.push(session("", 3, "20:00", "02:00"));
        let s = Schedule {
            sessions,
            ..Schedule::default()
        };
        let w = s.weekly_hours(&offered);
        assert_eq!(
            w.sessions.len(),
            4,
            "one per distinct time: {:?}",
            w.sessions
        );
        let internal = speciality_bits(&offered, &["00001".into()]);
        let tenth = speciality_bits(&offered, &["00010".into()]);
        let paediatrics = speciality_bits(&offered, &["00002".into()]);
        for (m, code, bits) in [
            (at(1, "10:00", 1, false), "00001", internal),
            (at(1, "15:00", 1, false), "00001", internal),
            (at(1, "15:00", 1, false), "00010", tenth),
            (at(1, "10:00", 1, false), "00010", tenth),
            (at(1, "11:00", 1, true), "00002", paediatrics),
            (at(1, "11:00", 1, true), "00001", internal),
            (at(3, "21:00", 1, false), "00001", internal),
        ] {
            assert_eq!(w.is_open(m, bits), s.is_open(m, Some(code)), "{m:?} {code}");
        }
        assert!(!w.is_open(at(1, "15:00", 1, false), internal));
        assert!(w.is_open(at(1, "15:00", 1, false), internal | tenth));
        assert!(
            w.is_open(at(3, "21:00", 1, false), internal),
            "the whole facility's night"
        );
    }

    #[test]
    fn a_liaison_window_is_checked_and_told_in_one_line() {
        let mut w = LiaisonWindow::default();
        assert!(w.validate().is_ok() && w.describe_ja().is_empty());
        w.phone = "0999-20-2210".into();
        assert_eq!(
            w.validate().unwrap_err(),
            "連携窓口の部署名を入力してください"
        );
        w.department = "地域連携室".into();
        w.channel = "pigeon".into();
        assert!(w.validate().unwrap_err().contains("pigeon"));
        w.channel = "fax".into();
        w.from = "8時".into();
        w.to = "17:00".into();
        assert!(w.validate().unwrap_err().contains("09:00 のように"));
        w.from = "08:30".into();
        w.weekdays = vec![1, 2, 3, 4, 5];
        w.fax = "0999-20-2211".into();
        assert!(w.validate().is_ok());
        assert_eq!(
            w.describe_ja(),
            "地域連携室 ・ 電話 0999-20-2210 ・ FAX 0999-20-2211 ・ 月火水木金 08:30〜17:00 ・ 受付 FAX"
        );
    }

    #[test]
    fn acceptance_goes_stale_by_kind() {
        let day = 86_400_000;
        let now = crate::Timestamp(100 * day);
        assert!(
            acceptance_is_stale("hospital", Some(98 * day), now),
            "beds: a day"
        );
        assert!(!acceptance_is_stale(
            "visiting_nursing",
            Some(94 * day),
            now
        ));
        assert!(
            acceptance_is_stale("visiting_nursing", Some(92 * day), now),
            "a week"
        );
        assert!(
            !acceptance_is_stale("pharmacy", Some(75 * day), now),
            "30 days otherwise"
        );
        assert!(
            !acceptance_is_stale("hospital", None, now),
            "never set is unknown, not stale"
        );
    }

    #[test]
    fn holiday_sessions_and_night_sessions() {
        let s = Schedule {
            sessions: vec![
                Session {
                    speciality: String::new(),
                    day: 3,
                    from: "20:00".into(),
                    to: "02:00".into(),
                },
                Session {
                    speciality: String::new(),
                    day: HOLIDAY,
                    from: "10:00".into(),
                    to: "12:00".into(),
                },
            ],
            ..Schedule::default()
        };
        assert!(s.is_open(at(3, "23:00", 1, false), None));
        assert!(
            s.is_open(at(4, "11:00", 1, true), None),
            "holiday sessions apply on a holiday"
        );
        assert!(
            !s.is_open(at(3, "21:00", 1, true), None),
            "not the weekday's"
        );
    }

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
