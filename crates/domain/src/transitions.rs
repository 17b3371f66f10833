//! 入退院支援 (hospital admission and discharge): the rules with no I/O.
//!
//! - an office's business days and hours ([`BusinessCalendar`]), with the
//!   public holidays as data ([`Holidays`]);
//! - the fee tiers a handoff qualifies for: 入院時情報連携加算 by the day the
//!   information reached the hospital ([`admission_fee_tier`]) and
//!   退院・退所加算 by the contacts logged ([`discharge_fee_tier`]), each
//!   from a dated version of the fee rules ([`FeeRules`], bundled in
//!   `data/fees.json` with the notice it was read from);
//! - a region's rule set (入退院支援ルール) as versioned data: deadlines,
//!   screening criteria (who needs discharge coordination, 退院調整が必要な
//!   患者), routing ([`RuleBody`]).
//!
//! Every function takes the moment it judges as a parameter.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, PrimitiveDateTime, Time, Weekday};

use crate::care::{CareLevel, DementiaIndependence, Household};
use crate::holidays::Holidays;
use crate::EntryId;

// ---------------------------------------------------------------- calendar

/// An office's business days and hours (営業日・営業時間), as its 運営規程
/// sets them: open weekdays, the hours, whether public holidays and the
/// year-end days (12/29–1/3) are closed, and its own closures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessCalendar {
    /// Monday first.
    pub open_days: [bool; 7],
    /// "HH:MM".
    pub opens: String,
    /// "HH:MM"; a time at or after it is outside business hours.
    pub closes: String,
    pub closed_on_holidays: bool,
    /// 年末年始 (December 29 to January 3).
    pub closed_year_end: bool,
    /// Other closed days (YYYY-MM-DD).
    #[serde(default)]
    pub closures: BTreeSet<String>,
}

impl Default for BusinessCalendar {
    /// The common office week: Monday to Friday, 08:30–17:30, closed on
    /// public holidays and over the year end.
    fn default() -> Self {
        Self {
            open_days: [true, true, true, true, true, false, false],
            opens: "08:30".into(),
            closes: "17:30".into(),
            closed_on_holidays: true,
            closed_year_end: true,
            closures: BTreeSet::new(),
        }
    }
}

/// "HH:MM" as a time of day (the directory's reading of hours, before
/// midnight).
pub fn parse_hhmm(s: &str) -> Option<Time> {
    let m = crate::directory::minutes_of(s).filter(|m| *m < 24 * 60)?;
    Time::from_hms((m / 60) as u8, (m % 60) as u8, 0).ok()
}

/// "YYYY-MM-DD" as a date.
pub fn parse_date(s: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &format).ok()
}

/// A date as "YYYY-MM-DD".
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// "YYYY-MM-DDTHH:MM" (what a datetime-local field sends) or
/// "YYYY-MM-DD HH:MM", Japan time.
pub fn parse_local_datetime(s: &str) -> Option<PrimitiveDateTime> {
    let s = s.trim();
    let (d, t) = s.split_once('T').or_else(|| s.split_once(' '))?;
    Some(PrimitiveDateTime::new(
        parse_date(d)?,
        parse_hhmm(t.get(..5)?)?,
    ))
}

impl BusinessCalendar {
    /// Checks the calendar, naming the first problem in Japanese.
    pub fn validate(&self) -> Result<(), String> {
        let (Some(opens), Some(closes)) = (parse_hhmm(&self.opens), parse_hhmm(&self.closes))
        else {
            return Err("営業時間は HH:MM の形で入力してください。".into());
        };
        if opens >= closes {
            return Err("営業開始は営業終了より前にしてください。".into());
        }
        if !self.open_days.iter().any(|d| *d) {
            return Err("営業日を1日以上選んでください。".into());
        }
        if let Some(bad) = self.closures.iter().find(|d| parse_date(d).is_none()) {
            return Err(format!(
                "休業日 {bad:?} は YYYY-MM-DD の形で入力してください。"
            ));
        }
        Ok(())
    }

    /// Whether the office works on `date`.
    pub fn is_business_day(&self, date: Date, holidays: &Holidays) -> bool {
        let weekday = date.weekday().number_days_from_monday() as usize;
        if !self.open_days[weekday] {
            return false;
        }
        let (m, d) = (u8::from(date.month()), date.day());
        if self.closed_year_end && ((m == 12 && d >= 29) || (m == 1 && d <= 3)) {
            return false;
        }
        if self.closed_on_holidays && holidays.is_holiday(date.year(), m, d) {
            return false;
        }
        !self.closures.contains(&format_date(date))
    }

    /// Whether a time of day is before opening or at or after closing.
    pub fn is_outside_hours_of_day(&self, t: Time) -> bool {
        let opens = parse_hhmm(&self.opens).unwrap_or(Time::MIDNIGHT);
        let closes = parse_hhmm(&self.closes).unwrap_or(Time::MIDNIGHT);
        t < opens || t >= closes
    }

    /// Whether `at` (Japan time) falls outside business hours: before
    /// opening, at or after closing, or on a day the office does not work.
    pub fn is_outside_hours(&self, at: PrimitiveDateTime, holidays: &Holidays) -> bool {
        !self.is_business_day(at.date(), holidays) || self.is_outside_hours_of_day(at.time())
    }

    /// The open weekdays in Japanese ("月火水木金").
    pub fn days_ja(&self) -> String {
        const NAMES: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
        NAMES
            .iter()
            .zip(self.open_days)
            .filter(|(_, open)| *open)
            .map(|(n, _)| *n)
            .collect()
    }
}

// --------------------------------------------------------------- fee tiers

labelled_enum!(
    /// 入院時情報連携加算: the tier an admission's information qualifies for.
    AdmissionFeeTier {
        /// (Ⅰ): on the day of admission (or before it).
        One = ("i", "入院時情報連携加算（Ⅰ）", "Admission information (I)"),
        /// (Ⅱ): the day after or the day after that.
        Two = ("ii", "入院時情報連携加算（Ⅱ）", "Admission information (II)"),
        /// Given later: no fee.
        Late = ("late", "期限後（算定なし）", "Late (no fee)"),
    }
);

labelled_enum!(
    /// 退院・退所加算: the tier a stay's discharge contacts qualify for.
    DischargeFeeTier {
        /// (Ⅰ)イ: one contact, not a conference.
        OneA = ("i_a", "退院・退所加算（Ⅰ）イ", "Discharge (I) a"),
        /// (Ⅰ)ロ: one contact, a conference.
        OneB = ("i_b", "退院・退所加算（Ⅰ）ロ", "Discharge (I) b"),
        /// (Ⅱ)イ: two or more contacts, none a conference.
        TwoA = ("ii_a", "退院・退所加算（Ⅱ）イ", "Discharge (II) a"),
        /// (Ⅱ)ロ: two contacts, one of them a conference.
        TwoB = ("ii_b", "退院・退所加算（Ⅱ）ロ", "Discharge (II) b"),
        /// (Ⅲ): three or more contacts, one of them a conference.
        Three = ("iii", "退院・退所加算（Ⅲ）", "Discharge (III)"),
    }
);

/// One version of the fee rules this module computes, with the date it
/// took effect and the notice it was read from. The bundled versions are
/// in `data/fees.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeRules {
    /// YYYY-MM-DD.
    pub effective_from: String,
    /// The official text the numbers were checked against.
    pub source: String,
    pub admission_units_one: u32,
    pub admission_units_two: u32,
    pub discharge_units: DischargeUnits,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DischargeUnits {
    pub one_a: u32,
    pub one_b: u32,
    pub two_a: u32,
    pub two_b: u32,
    pub three: u32,
}

const BUNDLED_FEES: &str = include_str!("../data/fees.json");

impl FeeRules {
    /// Every bundled version, oldest first.
    pub fn bundled() -> Vec<FeeRules> {
        // A test reads the bundled file, so nothing is lost here.
        let mut all: Vec<FeeRules> = serde_json::from_str(BUNDLED_FEES).unwrap_or_default();
        all.sort_by(|a, b| a.effective_from.cmp(&b.effective_from));
        all
    }

    /// The version in force on `date`, if any covers it.
    pub fn in_force(date: Date) -> Option<FeeRules> {
        let day = format_date(date);
        FeeRules::bundled()
            .into_iter()
            .rev()
            .find(|r| r.effective_from <= day)
    }

    pub fn admission_units(&self, tier: AdmissionFeeTier) -> u32 {
        match tier {
            AdmissionFeeTier::One => self.admission_units_one,
            AdmissionFeeTier::Two => self.admission_units_two,
            AdmissionFeeTier::Late => 0,
        }
    }

    pub fn discharge_units(&self, tier: DischargeFeeTier) -> u32 {
        let u = &self.discharge_units;
        match tier {
            DischargeFeeTier::OneA => u.one_a,
            DischargeFeeTier::OneB => u.one_b,
            DischargeFeeTier::TwoA => u.two_a,
            DischargeFeeTier::TwoB => u.two_b,
            DischargeFeeTier::Three => u.three,
        }
    }
}

/// When an admission happened and when its information reached the
/// hospital.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionTiming {
    /// Japan time.
    pub admitted_at: PrimitiveDateTime,
    /// Outside the office's business hours (or on a day it does not work),
    /// as the office recorded it.
    pub outside_hours: bool,
    /// The day the information was given (Japan time).
    pub informed_on: Date,
}

/// 入院時情報連携加算 (2024 rules, 厚生労働大臣が定める基準): (Ⅰ) when the
/// information was given on the day of admission or before it, or the next
/// day when the admission was after business hours or on a non-business
/// day; (Ⅱ) the day after or the day after that, and one day more when the
/// admission was after business hours (営業時間終了後) and the third day
/// counting the admission day is not a business day; otherwise late.
///
/// The (Ⅱ) extension's wording names only "after business hours", so an
/// admission in daytime on a day the office does not work does not get it
/// (that admission already has the next day for (Ⅰ)).
pub fn admission_fee_tier(
    timing: AdmissionTiming,
    office: &BusinessCalendar,
    holidays: &Holidays,
) -> AdmissionFeeTier {
    let (one, two) =
        admission_fee_deadlines(timing.admitted_at, timing.outside_hours, office, holidays);
    if timing.informed_on <= one {
        AdmissionFeeTier::One
    } else if timing.informed_on <= two {
        AdmissionFeeTier::Two
    } else {
        AdmissionFeeTier::Late
    }
}

/// The last day information still earns (Ⅰ), and the last that earns (Ⅱ):
/// what the care manager's screen counts down to (see
/// [`admission_fee_tier`] for the rule).
pub fn admission_fee_deadlines(
    admitted_at: PrimitiveDateTime,
    outside_hours: bool,
    office: &BusinessCalendar,
    holidays: &Holidays,
) -> (Date, Date) {
    let admitted = admitted_at.date();
    let after_hours = outside_hours || office.is_outside_hours_of_day(admitted_at.time());
    let outside = after_hours || !office.is_business_day(admitted, holidays);
    let one = if outside {
        admitted + Duration::days(1)
    } else {
        admitted
    };
    let third_day = admitted + Duration::days(2);
    let two = if after_hours && !office.is_business_day(third_day, holidays) {
        admitted + Duration::days(3)
    } else {
        third_day
    };
    (one, two)
}

/// One time the care manager received the hospital's information about a
/// discharge (退院・退所情報記録書's contact log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DischargeContact {
    pub on: Date,
    /// A conference (カンファレンス) rather than a call, a visit or a FAX.
    pub conference: bool,
}

/// The contacts that count for 退院・退所加算: those from the admission
/// day to seven days after discharge (退院後7日以内に情報を得た場合も算定),
/// several on one day counting once, a conference on that day making it a
/// conference. Returns (contacts, conferences).
pub fn counted_discharge_contacts(
    contacts: &[DischargeContact],
    admitted_on: Date,
    discharged_on: Option<Date>,
) -> (usize, usize) {
    let mut days: std::collections::BTreeMap<Date, bool> = std::collections::BTreeMap::new();
    for c in contacts {
        let after_window = discharged_on.is_some_and(|d| c.on > d + Duration::days(7));
        if c.on < admitted_on || after_window {
            continue;
        }
        *days.entry(c.on).or_insert(false) |= c.conference;
    }
    (days.len(), days.values().filter(|c| **c).count())
}

/// 退院・退所加算 by the number of times the care manager received the
/// hospital's information (as [`counted_discharge_contacts`] counts them)
/// and whether one of them was a conference (カンファレンス); once per stay.
/// `None` without any contact.
pub fn discharge_fee_tier(contacts: usize, conferences: usize) -> Option<DischargeFeeTier> {
    let conference = conferences > 0;
    match (contacts, conference) {
        (0, _) => None,
        (1, false) => Some(DischargeFeeTier::OneA),
        (1, true) => Some(DischargeFeeTier::OneB),
        (2, true) => Some(DischargeFeeTier::TwoB),
        (_, false) => Some(DischargeFeeTier::TwoA),
        (_, true) => Some(DischargeFeeTier::Three),
    }
}

// ------------------------------------------------------------------ forms

labelled_enum!(
    /// Which handoff a form is.
    FormKind {
        /// 入院時情報提供書 (care manager → hospital).
        Admission = ("admission", "入院時情報提供書", "Admission information sheet"),
        /// 退院・退所情報記録書 (hospital → care manager, recorded by the
        /// care manager).
        Discharge = ("discharge", "退院・退所情報記録書", "Discharge information record"),
    }
);

labelled_enum!(
    /// Where a handoff form stands: written, sent (or given by FAX, phone
    /// or in person, logged by hand), opened by the hospital in Renkei,
    /// acknowledged by the hospital.
    FormStatus {
        Draft = ("draft", "下書き", "Draft"),
        Sent = ("sent", "送付済", "Sent"),
        Opened = ("opened", "既読", "Opened"),
        Acknowledged = ("acknowledged", "受領確認済", "Acknowledged"),
    }
);

labelled_enum!(
    /// Where a pre-discharge conference (退院前カンファレンス) stands.
    ConferenceStatus {
        Scheduled = ("scheduled", "予定", "Scheduled"),
        Held = ("held", "開催済", "Held"),
        Cancelled = ("cancelled", "中止", "Cancelled"),
    }
);

labelled_enum!(
    /// Where a request to the municipality to name a care manager stands.
    InquiryStatus {
        Open = ("open", "回答待ち", "Waiting for the answer"),
        Answered = ("answered", "回答済", "Answered"),
    }
);

labelled_enum!(
    /// Who learned of an admission first and recorded it.
    ReportedVia {
        CareManager = ("care_manager", "ケアマネジャー", "Care manager"),
        Liaison = ("liaison", "医療機関の地域連携室", "Hospital liaison"),
        Coordinator = ("coordinator", "連携支援センター", "Support centre"),
        Family = ("family", "家族からの連絡", "Family"),
        Team = ("team", "チームの他の職種", "Another team member"),
        /// 救急隊: the crew's transport report through the patient's card.
        Ems = ("ems", "救急隊（搬送報告）", "EMS crew (transport report)"),
    }
);

// ------------------------------------------------------------ regional rules

labelled_enum!(
    /// Where a rule set applies: the whole region (連携圏域), one
    /// municipality (市区町村), or one daily-life area (日常生活圏域).
    RuleScope {
        Region = ("region", "圏域全体", "Whole region"),
        Municipality = ("municipality", "市区町村", "Municipality"),
        Area = ("area", "日常生活圏域", "Daily-life area"),
    }
);

labelled_enum!(
    /// How information reached the hospital or the care manager.
    ContactChannel {
        Renkei = ("renkei", "Renkei", "Renkei"),
        Phone = ("phone", "電話", "Phone"),
        Fax = ("fax", "FAX", "Fax"),
        Visit = ("visit", "訪問・面談", "In person"),
        Online = ("online", "オンライン", "Online"),
        Mail = ("mail", "郵送", "Post"),
    }
);

/// One screening criterion (スクリーニング基準): a patient matching any of
/// the rule set's criteria needs discharge coordination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Criterion {
    /// Aged at least `years` on the day of admission.
    AgeAtLeast { years: u32 },
    /// 要介護度 at least `level` (a `CareLevel` code).
    CareLevelAtLeast { level: CareLevel },
    /// 独居 (or 日中独居 when `daytime` is set).
    LivesAlone {
        #[serde(default)]
        daytime: bool,
    },
    /// 高齢者夫婦世帯.
    OlderCouple,
    /// 在宅での医療処置 (recorded in the shared summary).
    MedicalProcedures,
    /// 認知症高齢者の日常生活自立度 at least `level`.
    DementiaAtLeast { level: DementiaIndependence },
    /// No care manager on the team (ケアマネ不在).
    NoCareManager,
    /// No home doctor on the team (かかりつけ医不在).
    NoHomeDoctor,
    /// 終末期.
    Terminal,
}

impl Criterion {
    /// What the criterion says, in Japanese.
    pub fn label_ja(&self) -> String {
        match self {
            Criterion::AgeAtLeast { years } => format!("{years}歳以上"),
            Criterion::CareLevelAtLeast { level } => format!("{}以上", level.label_ja()),
            Criterion::LivesAlone { daytime: false } => "独居".into(),
            Criterion::LivesAlone { daytime: true } => "独居・日中独居".into(),
            Criterion::OlderCouple => "高齢者夫婦世帯".into(),
            Criterion::MedicalProcedures => "医療処置あり".into(),
            Criterion::DementiaAtLeast { level } => {
                format!("認知症自立度{}以上", level.label_ja())
            }
            Criterion::NoCareManager => "ケアマネジャー不在".into(),
            Criterion::NoHomeDoctor => "かかりつけ医不在".into(),
            Criterion::Terminal => "終末期".into(),
        }
    }

    /// What the criterion says, in English.
    pub fn label_en(&self) -> String {
        match self {
            Criterion::AgeAtLeast { years } => format!("aged {years} or over"),
            Criterion::CareLevelAtLeast { level } => format!("{} or higher", level.label_en()),
            Criterion::LivesAlone { daytime: false } => "lives alone".into(),
            Criterion::LivesAlone { daytime: true } => "alone, also in the daytime".into(),
            Criterion::OlderCouple => "older couple".into(),
            Criterion::MedicalProcedures => "medical procedures".into(),
            Criterion::DementiaAtLeast { level } => {
                format!("dementia grade {} or higher", level.label_en())
            }
            Criterion::NoCareManager => "no care manager".into(),
            Criterion::NoHomeDoctor => "no home doctor".into(),
            Criterion::Terminal => "end of life".into(),
        }
    }

    fn matches(&self, f: &ScreeningFacts) -> bool {
        match self {
            Criterion::AgeAtLeast { years } => f.age.is_some_and(|a| a >= *years),
            Criterion::CareLevelAtLeast { level } => f.care_level >= *level,
            Criterion::LivesAlone { daytime } => match f.household {
                Some(Household::Alone) => true,
                Some(Household::AloneDaytime) => *daytime,
                _ => false,
            },
            Criterion::OlderCouple => f.household == Some(Household::Couple),
            Criterion::MedicalProcedures => f.medical_procedures,
            Criterion::DementiaAtLeast { level } => f.dementia.is_some_and(|d| d >= *level),
            Criterion::NoCareManager => !f.has_care_manager,
            Criterion::NoHomeDoctor => !f.has_home_doctor,
            Criterion::Terminal => f.terminal,
        }
    }
}

/// What the screening looks at, gathered from the patient's record, shared
/// summary and team at admission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreeningFacts {
    pub age: Option<u32>,
    pub care_level: CareLevel,
    pub household: Option<Household>,
    pub dementia: Option<DementiaIndependence>,
    pub medical_procedures: bool,
    pub has_care_manager: bool,
    pub has_home_doctor: bool,
    /// 終末期 (end of life), as the person recording the admission says.
    pub terminal: bool,
}

impl Default for ScreeningFacts {
    fn default() -> Self {
        Self {
            age: None,
            care_level: CareLevel::None,
            household: None,
            dementia: None,
            medical_procedures: false,
            has_care_manager: false,
            has_home_doctor: false,
            terminal: false,
        }
    }
}

/// Age in whole years on `on` of someone born on `birth`.
pub fn age_on(birth: Date, on: Date) -> Option<u32> {
    let mut years = on.year() - birth.year();
    if (u8::from(on.month()), on.day()) < (u8::from(birth.month()), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

labelled_enum!(
    /// Where a handoff goes when the usual path is missing (the routing
    /// cases the municipal reports describe).
    RouteCase {
        /// No home doctor but medical care needed → 連携支援センター.
        NoHomeDoctor = ("no_home_doctor", "かかりつけ医不在（医療が必要）", "No home doctor"),
        /// A home doctor but no care manager → help apply for care
        /// insurance or choose a care-management office.
        NoCareManager = ("no_care_manager", "ケアマネジャー不在", "No care manager"),
        /// Care manager unknown → ask the municipality's care division.
        CareManagerUnknown = ("care_manager_unknown", "担当ケアマネ不明", "Care manager unknown"),
        /// Terminal or high medical need → widen the team.
        HighMedicalNeed = ("high_medical_need", "終末期・医療依存度が高い", "Terminal or high medical need"),
    }
);

labelled_enum!(
    /// A piece of work a handoff creates (連携タスク): a routing case sent
    /// to the inbox that acts on it, or the follow-up after discharge.
    TaskKind {
        /// No home doctor but medical care needed: the support centre
        /// finds a doctor.
        NoHomeDoctor = ("no_home_doctor", "かかりつけ医の調整", "Find a home doctor"),
        /// No care manager: help the family apply for care insurance or
        /// choose a care-management office.
        NoCareManager = ("no_care_manager", "介護保険申請・居宅介護支援事業所の選定", "Apply for care insurance or choose an office"),
        /// Terminal or high medical need: invite the wider team.
        WidenTeam = ("widen_team", "チームの拡大（医師・薬剤師・訪問看護・リハビリ職）", "Invite the wider team"),
        /// The region's discharges go first to its hub.
        HubDischarge = ("hub_discharge", "拠点への退院連絡", "Discharge through the hub"),
        /// The team's follow-up in the weeks after discharge.
        FollowUp = ("follow_up", "退院後フォロー", "Follow-up after discharge"),
    }
);

labelled_enum!(
    /// Whose inbox a task is in.
    TaskInbox {
        /// 在宅医療・介護連携支援センター (the region's coordinators).
        SupportCentre = ("support_centre", "連携支援センター", "Support centre"),
        /// The hub hospital or office named by the rule (its staff).
        Hub = ("hub", "拠点病院・事業所", "Hub"),
        /// The patient's care team.
        Team = ("team", "ケアチーム", "Care team"),
    }
);

labelled_enum!(
    /// Where a task stands.
    TaskStatus {
        Open = ("open", "未対応", "Open"),
        Done = ("done", "対応済", "Done"),
    }
);

impl TaskKind {
    /// The task a routing case makes (the care-manager-unknown case is
    /// the municipality's inquiry instead).
    pub fn of_route(case: RouteCase) -> Option<TaskKind> {
        match case {
            RouteCase::NoHomeDoctor => Some(TaskKind::NoHomeDoctor),
            RouteCase::NoCareManager => Some(TaskKind::NoCareManager),
            RouteCase::HighMedicalNeed => Some(TaskKind::WidenTeam),
            RouteCase::CareManagerUnknown => None,
        }
    }

    /// The inbox that acts on it.
    pub fn inbox(self) -> TaskInbox {
        match self {
            TaskKind::NoHomeDoctor | TaskKind::NoCareManager => TaskInbox::SupportCentre,
            TaskKind::HubDischarge => TaskInbox::Hub,
            TaskKind::WidenTeam | TaskKind::FollowUp => TaskInbox::Team,
        }
    }
}

/// One routing rule: for a case, who receives the handoff and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub case: RouteCase,
    /// Who is told (an inbox or a body, in words: 連携支援センター,
    /// 市介護保険課 …).
    pub to: String,
    /// Days allowed for the answer (0: none set).
    #[serde(default)]
    pub respond_within_days: u32,
    /// The steps, one per line, as the rulebook prints them.
    #[serde(default)]
    pub steps: Vec<String>,
}

/// The content of one version of a regional rule set (入退院支援ルール).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleBody {
    /// Days after learning of an admission within which the care manager
    /// gives the hospital the admission information (0: the same day).
    pub admission_info_within_days: u32,
    /// Days before discharge the hospital tells the care manager.
    pub discharge_notice_days_before: u32,
    /// Days after discharge the team follows the patient up.
    pub follow_up_days: u32,
    /// A new admission within this many days of a discharge is a
    /// readmission (再入院).
    pub readmission_within_days: u32,
    /// Any criterion met: discharge coordination needed.
    pub screening: Vec<Criterion>,
    /// The forms the rule requires (form template codes).
    #[serde(default)]
    pub required_forms: Vec<String>,
    /// The hospital or office all discharges of the region's residents go
    /// to first (hub routing), in words; empty when none.
    #[serde(default)]
    pub hub: String,
    /// The hub's directory entry: its staff get a task for each discharge
    /// (`None`: the hub is named in words only, and the team tells it).
    #[serde(default)]
    pub hub_entry_id: Option<EntryId>,
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Days after discharge within which the hospital returns the
    /// discharge summary (退院時サマリー) once asked for.
    #[serde(default = "default_summary_due_days")]
    pub summary_due_days: u32,
    /// What a pre-discharge conference confirms, one item each (the
    /// region edits it).
    #[serde(default = "default_conference_checklist")]
    pub conference_checklist: Vec<String>,
    /// Commentary printed in the rulebook.
    #[serde(default)]
    pub commentary: String,
}

fn default_summary_due_days() -> u32 {
    14
}

/// The checklist a conference starts from.
pub fn default_conference_checklist() -> Vec<String> {
    [
        "退院日・退院時刻・移送手段",
        "退院後の医療（訪問診療・通院先・主治医）",
        "服薬内容と薬の管理方法",
        "医療処置・医療機器と物品の調達",
        "食事形態・嚥下・口腔ケア",
        "排泄の方法",
        "移動・移乗と福祉用具",
        "住環境の調整",
        "介護サービス・訪問看護の開始日",
        "緊急時の連絡先と対応",
        "家族の介護力と支援",
        "本人・家族の意向",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

impl Default for RuleBody {
    /// A common starting point: information within 3 days, discharge told
    /// 3 days ahead, two weeks' follow-up, readmission within 30 days.
    fn default() -> Self {
        Self {
            admission_info_within_days: 3,
            discharge_notice_days_before: 3,
            follow_up_days: 14,
            readmission_within_days: 30,
            screening: vec![
                Criterion::LivesAlone { daytime: false },
                Criterion::CareLevelAtLeast {
                    level: CareLevel::Care3,
                },
                Criterion::MedicalProcedures,
                Criterion::DementiaAtLeast {
                    level: DementiaIndependence::IIb,
                },
                Criterion::NoCareManager,
            ],
            required_forms: vec!["national_admission".into()],
            hub: String::new(),
            hub_entry_id: None,
            routes: Vec::new(),
            summary_due_days: default_summary_due_days(),
            conference_checklist: default_conference_checklist(),
            commentary: String::new(),
        }
    }
}

impl RuleBody {
    /// Checks a body an administrator wrote, naming each problem in
    /// Japanese.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if self.admission_info_within_days > 30 {
            problems.push("入院時情報提供の期限は30日以内で設定してください。".to_string());
        }
        if self.discharge_notice_days_before > 30 {
            problems.push("退院連絡の日数は30日以内で設定してください。".to_string());
        }
        if self.follow_up_days > 180 {
            problems.push("退院後フォローの期間は180日以内で設定してください。".to_string());
        }
        if self.summary_due_days > 90 {
            problems.push("退院サマリーの返却期限は90日以内で設定してください。".to_string());
        }
        if self
            .conference_checklist
            .iter()
            .any(|i| i.chars().count() > 200)
        {
            problems.push("カンファレンスの確認項目は1項目200文字以内にしてください。".to_string());
        }
        if self.readmission_within_days == 0 || self.readmission_within_days > 365 {
            problems.push("再入院とみなす日数は1〜365日で設定してください。".to_string());
        }
        let mut seen = BTreeSet::new();
        for r in &self.routes {
            if !seen.insert(r.case) {
                problems.push(format!(
                    "「{}」の振り分けが2つあります。",
                    r.case.label_ja()
                ));
            }
            if r.to.trim().is_empty() {
                problems.push(format!(
                    "「{}」の連絡先を入力してください。",
                    r.case.label_ja()
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The criteria the patient meets (empty: no coordination needed).
    pub fn screen(&self, facts: &ScreeningFacts) -> Vec<&Criterion> {
        self.screening.iter().filter(|c| c.matches(facts)).collect()
    }

    /// The routing cases that apply to a patient, in the order the
    /// rulebook lists them.
    pub fn route_cases(facts: &ScreeningFacts, care_manager_unknown: bool) -> Vec<RouteCase> {
        let mut cases = Vec::new();
        if !facts.has_home_doctor && facts.medical_procedures {
            cases.push(RouteCase::NoHomeDoctor);
        }
        if care_manager_unknown {
            cases.push(RouteCase::CareManagerUnknown);
        } else if !facts.has_care_manager && facts.has_home_doctor {
            cases.push(RouteCase::NoCareManager);
        }
        if facts.terminal || (facts.medical_procedures && facts.care_level >= CareLevel::Care4) {
            cases.push(RouteCase::HighMedicalNeed);
        }
        cases
    }

    pub fn route(&self, case: RouteCase) -> Option<&Route> {
        self.routes.iter().find(|r| r.case == case)
    }
}

/// The weekday's Japanese one-letter name.
pub fn weekday_ja(d: Weekday) -> &'static str {
    ["月", "火", "水", "木", "金", "土", "日"][d.number_days_from_monday() as usize]
}

#[cfg(test)]
mod tests;
