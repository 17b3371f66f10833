//! The vocabulary of daily care at home (program item エ): the roles people
//! hold in a patient's care team, the categories of timeline posts, and the
//! vital signs with their units, LOINC codes and plausible ranges.

use serde::{Deserialize, Serialize};

use crate::ValidationErrors;

labelled_enum!(
    /// チーム内の役割: what a member does in one patient's care team. It is
    /// independent of the member's profession and of their role in Renkei.
    TeamRole {
        /// 主治医.
        AttendingDoctor = ("attending_doctor", "主治医", "Attending doctor"),
        /// 副主治医.
        BackupDoctor = ("backup_doctor", "副主治医", "Backup doctor"),
        /// 訪問看護.
        VisitingNurse = ("visiting_nurse", "訪問看護", "Visiting nurse"),
        /// ケアマネジャー（介護支援専門員）.
        CareManager = ("care_manager", "ケアマネジャー", "Care manager"),
        /// 薬剤師.
        Pharmacist = ("pharmacist", "薬剤師", "Pharmacist"),
        /// 歯科.
        Dental = ("dental", "歯科", "Dental"),
        /// リハ（PT・OT・ST）.
        Rehab = ("rehab", "リハ", "Rehabilitation"),
        /// ヘルパー（訪問介護）.
        Helper = ("helper", "ヘルパー", "Home helper"),
        /// 地域包括支援センター.
        CommunityCentre = ("community_centre", "地域包括", "Community general support centre"),
        /// 家族.
        Family = ("family", "家族", "Family"),
        /// その他.
        Other = ("other", "その他", "Other"),
    }
);

labelled_enum!(
    /// 投稿の分類: what a timeline post is about, so doctors can find the
    /// medical facts among the daily notes.
    PostCategory {
        Vitals = ("vitals", "バイタル", "Vital signs"),
        Medication = ("medication", "服薬", "Medication"),
        Meals = ("meals", "食事", "Meals"),
        Excretion = ("excretion", "排泄", "Excretion"),
        Skin = ("skin", "皮膚・創傷", "Skin and wounds"),
        Adl = ("adl", "ADL", "ADL"),
        Mental = ("mental", "精神状態", "Mental state"),
        Family = ("family", "家族", "Family"),
        Request = ("request", "依頼", "Request"),
        VisitReport = ("visit_report", "訪問報告", "Visit report"),
        Other = ("other", "その他", "Other"),
    }
);

labelled_enum!(
    /// 要介護度 (and 要支援): the certified level of long-term care need.
    CareLevel {
        None = ("none", "非該当・未申請", "Not certified"),
        Support1 = ("support1", "要支援1", "Support level 1"),
        Support2 = ("support2", "要支援2", "Support level 2"),
        Care1 = ("care1", "要介護1", "Care level 1"),
        Care2 = ("care2", "要介護2", "Care level 2"),
        Care3 = ("care3", "要介護3", "Care level 3"),
        Care4 = ("care4", "要介護4", "Care level 4"),
        Care5 = ("care5", "要介護5", "Care level 5"),
    }
);

labelled_enum!(
    /// 認定の申請状況: where the certification stands.
    CareApplication {
        Certified = ("certified", "認定済", "Certified"),
        Applying = ("applying", "申請中", "Application pending"),
        Renewing = ("renewing", "区分変更申請中", "Change of level pending"),
        NotApplied = ("not_applied", "未申請", "Not applied"),
    }
);

labelled_enum!(
    /// 性別 as recorded on the insurance card.
    Sex {
        Female = ("female", "女", "Female"),
        Male = ("male", "男", "Male"),
        Other = ("other", "その他", "Other"),
        Unknown = ("unknown", "不明", "Unknown"),
    }
);

labelled_enum!(
    /// 世帯: the household type, as the handoff forms ask it.
    Household {
        Alone = ("alone", "独居", "Lives alone"),
        Couple = ("couple", "高齢者夫婦世帯", "Older couple"),
        WithFamily = ("with_family", "家族と同居", "With family"),
        AloneDaytime = ("alone_daytime", "日中独居", "Alone in the daytime"),
        Other = ("other", "その他", "Other"),
    }
);

labelled_enum!(
    /// 障害高齢者の日常生活自立度（寝たきり度）: the official grades, whose
    /// names are also their codes.
    PhysicalIndependence {
        /// 自立.
        Independent = ("自立", "自立", "Independent"),
        J1 = ("J1", "J1", "J1"),
        J2 = ("J2", "J2", "J2"),
        A1 = ("A1", "A1", "A1"),
        A2 = ("A2", "A2", "A2"),
        B1 = ("B1", "B1", "B1"),
        B2 = ("B2", "B2", "B2"),
        C1 = ("C1", "C1", "C1"),
        C2 = ("C2", "C2", "C2"),
    }
);

labelled_enum!(
    /// 認知症高齢者の日常生活自立度: the official grades, whose names are
    /// also their codes.
    DementiaIndependence {
        /// 自立.
        Independent = ("自立", "自立", "Independent"),
        I = ("Ⅰ", "Ⅰ", "I"),
        IIa = ("Ⅱa", "Ⅱa", "IIa"),
        IIb = ("Ⅱb", "Ⅱb", "IIb"),
        IIIa = ("Ⅲa", "Ⅲa", "IIIa"),
        IIIb = ("Ⅲb", "Ⅲb", "IIIb"),
        IV = ("Ⅳ", "Ⅳ", "IV"),
        M = ("M", "M", "M"),
    }
);

labelled_enum!(
    /// チームへの参加状況: where a person stands in a care team or group.
    /// Only an active member sees anything.
    MemberStatus {
        /// 招待中: invited, not yet answered.
        Invited = ("invited", "招待中", "Invited"),
        /// 参加中.
        Active = ("active", "参加中", "Active"),
        /// 退出: left (or was removed); access ended.
        Left = ("left", "退出", "Left"),
        /// 辞退: declined the invitation.
        Declined = ("declined", "辞退", "Declined"),
    }
);

impl MemberStatus {
    /// Invited or active: the person holds a place in the team (and is not
    /// invited again).
    pub fn holds_place(self) -> bool {
        matches!(self, MemberStatus::Invited | MemberStatus::Active)
    }
}

labelled_enum!(
    /// 共有スペースの種類: a patient's care team, or a professional group that
    /// carries no patient information.
    SpaceKind {
        /// 患者のケアチーム.
        Patient = ("patient", "患者のチーム", "Patient's team"),
        /// 専門職グループ.
        Group = ("group", "グループ", "Group"),
    }
);

labelled_enum!(
    /// 投稿の種類: what a member wrote, or a notice Renkei writes itself (a
    /// break-glass use).
    PostKind {
        /// 投稿.
        Post = ("post", "投稿", "Post"),
        /// お知らせ（システム）.
        Notice = ("notice", "お知らせ", "Notice"),
    }
);

labelled_enum!(
    /// 添付の用途: a file of a post, or a signed consent form (for
    /// professionals only).
    AttachmentPurpose {
        /// 投稿の添付.
        Post = ("post", "投稿の添付", "Post attachment"),
        /// 同意書.
        Consent = ("consent", "同意書", "Consent form"),
    }
);

/// 投稿者の立場: the team role a post was written in, 緊急アクセス for the
/// notice written when someone outside the team breaks the glass, or
/// 救急隊 for the notice of an ambulance crew's transport report
/// (搬送報告). Stored as the team role's code, `break_glass` or `ems`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostAuthorRole {
    Team(TeamRole),
    BreakGlass,
    Ems,
}

impl PostAuthorRole {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            PostAuthorRole::Team(role) => role.code(),
            PostAuthorRole::BreakGlass => "break_glass",
            PostAuthorRole::Ems => "ems",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "break_glass" => Some(PostAuthorRole::BreakGlass),
            "ems" => Some(PostAuthorRole::Ems),
            _ => TeamRole::from_code(code).map(PostAuthorRole::Team),
        }
    }

    /// The label in the given language (`"en"` or anything else for Japanese).
    pub fn label(self, lang: &str) -> &'static str {
        match self {
            PostAuthorRole::Team(role) => role.label(lang),
            PostAuthorRole::BreakGlass if lang == "en" => "Break-glass",
            PostAuthorRole::BreakGlass => "緊急アクセス",
            PostAuthorRole::Ems if lang == "en" => "EMS crew",
            PostAuthorRole::Ems => "救急隊",
        }
    }
}

impl TryFrom<String> for PostAuthorRole {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::from_code(&value).ok_or_else(|| format!("unknown PostAuthorRole {value:?}"))
    }
}

code_in_sqlx!(PostAuthorRole);

/// One vital sign: its code, labels, UCUM unit, LOINC code, the range a value
/// must lie in to be stored at all, and the narrower range outside which the
/// form asks the writer to confirm the value (a typo such as 3.65 for 36.5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VitalSign {
    pub code: &'static str,
    pub label_ja: &'static str,
    pub label_en: &'static str,
    /// Unit as shown.
    pub unit: &'static str,
    /// UCUM code for FHIR.
    pub ucum: &'static str,
    pub loinc: &'static str,
    pub loinc_display: &'static str,
    pub accept: (f64, f64),
    pub plausible: (f64, f64),
    /// Decimal places kept.
    pub decimals: u8,
}

impl VitalSign {
    pub fn label(&self, lang: &str) -> &'static str {
        if lang == "en" {
            self.label_en
        } else {
            self.label_ja
        }
    }
}

/// Every vital sign a post can carry, in display order.
pub const VITAL_SIGNS: &[VitalSign] = &[
    VitalSign {
        code: "temperature",
        label_ja: "体温",
        label_en: "Temperature",
        unit: "℃",
        ucum: "Cel",
        loinc: "8310-5",
        loinc_display: "Body temperature",
        accept: (25.0, 45.0),
        plausible: (34.0, 42.0),
        decimals: 1,
    },
    VitalSign {
        code: "bp_systolic",
        label_ja: "血圧（上）",
        label_en: "Systolic BP",
        unit: "mmHg",
        ucum: "mm[Hg]",
        loinc: "8480-6",
        loinc_display: "Systolic blood pressure",
        accept: (40.0, 300.0),
        plausible: (60.0, 250.0),
        decimals: 0,
    },
    VitalSign {
        code: "bp_diastolic",
        label_ja: "血圧（下）",
        label_en: "Diastolic BP",
        unit: "mmHg",
        ucum: "mm[Hg]",
        loinc: "8462-4",
        loinc_display: "Diastolic blood pressure",
        accept: (20.0, 200.0),
        plausible: (30.0, 150.0),
        decimals: 0,
    },
    VitalSign {
        code: "pulse",
        label_ja: "脈拍",
        label_en: "Pulse",
        unit: "回/分",
        ucum: "/min",
        loinc: "8867-4",
        loinc_display: "Heart rate",
        accept: (20.0, 250.0),
        plausible: (35.0, 180.0),
        decimals: 0,
    },
    VitalSign {
        code: "spo2",
        label_ja: "SpO₂",
        label_en: "SpO₂",
        unit: "%",
        ucum: "%",
        loinc: "59408-5",
        loinc_display: "Oxygen saturation in Arterial blood by Pulse oximetry",
        accept: (50.0, 100.0),
        plausible: (75.0, 100.0),
        decimals: 0,
    },
    VitalSign {
        code: "respiration",
        label_ja: "呼吸数",
        label_en: "Respiration",
        unit: "回/分",
        ucum: "/min",
        loinc: "9279-1",
        loinc_display: "Respiratory rate",
        accept: (3.0, 80.0),
        plausible: (8.0, 40.0),
        decimals: 0,
    },
    VitalSign {
        code: "weight",
        label_ja: "体重",
        label_en: "Weight",
        unit: "kg",
        ucum: "kg",
        loinc: "29463-7",
        loinc_display: "Body weight",
        accept: (10.0, 250.0),
        plausible: (25.0, 150.0),
        decimals: 1,
    },
    VitalSign {
        code: "glucose",
        label_ja: "血糖",
        label_en: "Blood glucose",
        unit: "mg/dL",
        ucum: "mg/dL",
        loinc: "2339-0",
        loinc_display: "Glucose [Mass/volume] in Blood",
        accept: (10.0, 1000.0),
        plausible: (40.0, 500.0),
        decimals: 0,
    },
    VitalSign {
        code: "pain",
        label_ja: "痛み（NRS 0–10）",
        label_en: "Pain (NRS 0–10)",
        unit: "/10",
        ucum: "{score}",
        loinc: "72514-3",
        loinc_display: "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
        accept: (0.0, 10.0),
        plausible: (0.0, 10.0),
        decimals: 0,
    },
];

/// The vital sign with this code.
pub fn vital_sign(code: &str) -> Option<&'static VitalSign> {
    VITAL_SIGNS.iter().find(|v| v.code == code)
}

/// The vital signs of one post; every value is optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Vitals {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bp_systolic: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bp_diastolic: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pulse: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spo2: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respiration: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glucose: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pain: Option<f64>,
}

/// What checking vital signs found beyond hard errors: values that are
/// possible but unlikely, which the writer must confirm.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VitalWarnings(pub Vec<(&'static str, String, String)>);

impl Vitals {
    /// The value of one sign by code.
    pub fn get(&self, code: &str) -> Option<f64> {
        match code {
            "temperature" => self.temperature,
            "bp_systolic" => self.bp_systolic,
            "bp_diastolic" => self.bp_diastolic,
            "pulse" => self.pulse,
            "spo2" => self.spo2,
            "respiration" => self.respiration,
            "weight" => self.weight,
            "glucose" => self.glucose,
            "pain" => self.pain,
            _ => None,
        }
    }

    /// Sets one sign by code; unknown codes are ignored.
    pub fn set(&mut self, code: &str, value: Option<f64>) {
        let slot = match code {
            "temperature" => &mut self.temperature,
            "bp_systolic" => &mut self.bp_systolic,
            "bp_diastolic" => &mut self.bp_diastolic,
            "pulse" => &mut self.pulse,
            "spo2" => &mut self.spo2,
            "respiration" => &mut self.respiration,
            "weight" => &mut self.weight,
            "glucose" => &mut self.glucose,
            "pain" => &mut self.pain,
            _ => return,
        };
        *slot = value;
    }

    pub fn is_empty(&self) -> bool {
        VITAL_SIGNS.iter().all(|v| self.get(v.code).is_none())
    }

    /// Rounds every value to its sign's precision (36.55 → 36.6).
    pub fn rounded(mut self) -> Self {
        for v in VITAL_SIGNS {
            if let Some(x) = self.get(v.code) {
                let f = 10f64.powi(v.decimals as i32);
                self.set(v.code, Some((x * f).round() / f));
            }
        }
        self
    }

    /// Values outside the storable range are errors (field `vital_<code>`);
    /// values outside the plausible range are returned as warnings.
    pub fn check(&self, errors: &mut ValidationErrors) -> VitalWarnings {
        let mut warnings = VitalWarnings::default();
        for v in VITAL_SIGNS {
            let Some(x) = self.get(v.code) else { continue };
            let field = format!("vital_{}", v.code);
            if !x.is_finite() || x < v.accept.0 || x > v.accept.1 {
                errors.add(
                    &field,
                    "out_of_range",
                    &format!(
                        "{}は{}〜{}{}の範囲で入力してください。",
                        v.label_ja, v.accept.0, v.accept.1, v.unit
                    ),
                    &format!(
                        "{} must be between {} and {} {}.",
                        v.label_en, v.accept.0, v.accept.1, v.unit
                    ),
                );
            } else if v.code == "pain" && x.fract() != 0.0 {
                errors.add(
                    &field,
                    "not_integer",
                    "痛みは0〜10の整数で入力してください。",
                    "Pain is a whole number from 0 to 10.",
                );
            } else if x < v.plausible.0 || x > v.plausible.1 {
                warnings.0.push((
                    v.code,
                    format!(
                        "{} {}{} は通常ありえない値です。入力を確認してください。",
                        v.label_ja, x, v.unit
                    ),
                    format!(
                        "{} {} {} is unusual; please check the value.",
                        v.label_en, x, v.unit
                    ),
                ));
            }
        }
        match (self.bp_systolic, self.bp_diastolic) {
            (Some(s), Some(d)) if s <= d => errors.add(
                "vital_bp_diastolic",
                "not_below_systolic",
                "血圧（下）は血圧（上）より低い値です。",
                "Diastolic pressure must be lower than systolic.",
            ),
            (Some(_), None) | (None, Some(_)) => errors.add(
                "vital_bp_diastolic",
                "incomplete",
                "血圧は上と下の両方を入力してください。",
                "Enter both systolic and diastolic pressure.",
            ),
            _ => {}
        }
        warnings
    }
}

/// The text typed is not a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotANumber;

/// Parses a number typed on a phone: full-width digits, a comma as the
/// decimal mark and surrounding spaces are accepted.
pub fn parse_number(raw: &str) -> Result<Option<f64>, NotANumber> {
    let text = crate::text::nfkc(raw.trim()).replace(',', ".");
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .map(Some)
        .ok_or(NotANumber)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_errors_and_warnings() {
        let mut e = ValidationErrors::new();
        let v = Vitals {
            temperature: Some(43.0),
            spo2: Some(101.0),
            ..Default::default()
        };
        let w = v.check(&mut e);
        assert_eq!(e.0.len(), 1, "{e:?}");
        assert_eq!(e.0[0].field, "vital_spo2");
        assert_eq!(w.0.len(), 1);
        assert_eq!(w.0[0].0, "temperature");
    }

    #[test]
    fn blood_pressure_needs_both_and_order() {
        let mut e = ValidationErrors::new();
        Vitals {
            bp_systolic: Some(80.0),
            bp_diastolic: Some(120.0),
            ..Default::default()
        }
        .check(&mut e);
        assert_eq!(e.0[0].code, "not_below_systolic");
        let mut e = ValidationErrors::new();
        Vitals {
            bp_systolic: Some(120.0),
            ..Default::default()
        }
        .check(&mut e);
        assert_eq!(e.0[0].code, "incomplete");
    }

    #[test]
    fn numbers_from_phones() {
        assert_eq!(parse_number("３８．５"), Ok(Some(38.5)));
        assert_eq!(parse_number(" 36,8 "), Ok(Some(36.8)));
        assert_eq!(parse_number(""), Ok(None));
        assert!(parse_number("abc").is_err());
        assert!(parse_number("NaN").is_err());
    }

    #[test]
    fn rounding_follows_precision() {
        let v = Vitals {
            temperature: Some(36.55),
            pulse: Some(72.4),
            ..Default::default()
        }
        .rounded();
        assert_eq!(v.temperature, Some(36.6));
        assert_eq!(v.pulse, Some(72.0));
    }
}

labelled_enum!(
    /// 緊急アクセスの理由: why someone outside the team opens a patient's
    /// record. A closed list, so the region's coordinator can see at a glance
    /// what emergency access is used for; a written explanation goes with it.
    BreakGlassReason {
        /// 救急搬送.
        EmergencyTransport = ("emergency_transport", "救急搬送", "Emergency transport"),
        /// 急変時の対応.
        SuddenDeterioration = ("sudden_deterioration", "急変時の対応", "Sudden deterioration"),
        /// 担当チームに連絡がつかない.
        TeamUnreachable = ("team_unreachable", "担当チームに連絡がつかない", "Care team unreachable"),
        /// 災害時の対応.
        Disaster = ("disaster", "災害時の対応", "Disaster response"),
        /// その他.
        Other = ("other", "その他", "Other"),
    }
);
