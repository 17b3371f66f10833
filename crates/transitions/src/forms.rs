//! The handoff forms' fields: the national fields of the MHLW samples
//! (入院時情報提供書, sections 1–9, and 退院・退所情報記録書), each with a
//! stable key, and the templates that arrange them into a sheet.
//!
//! Every template — the national sample, which ships as the default, and
//! a region's own sheet (情報連携シート) — lists national field keys, so
//! pre-fill, print and FHIR export work the same for every template.
//! A form's content is a map from field key to value.

use std::collections::BTreeMap;

pub use renkei_domain::transitions::FormKind;
use serde::{Deserialize, Serialize};

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// One line.
    Text,
    /// Several lines.
    Long,
    /// YYYY-MM-DD.
    Date,
    /// One of the listed values (as printed on the sheet).
    Choice(&'static [&'static str]),
}

/// One national field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub key: &'static str,
    pub ja: &'static str,
    pub en: &'static str,
    pub kind: FieldKind,
}

/// One section of a national sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    pub key: &'static str,
    pub ja: &'static str,
    pub en: &'static str,
    pub fields: &'static [Field],
}

const fn text(key: &'static str, ja: &'static str, en: &'static str) -> Field {
    Field {
        key,
        ja,
        en,
        kind: FieldKind::Text,
    }
}

const fn long(key: &'static str, ja: &'static str, en: &'static str) -> Field {
    Field {
        key,
        ja,
        en,
        kind: FieldKind::Long,
    }
}

const fn date(key: &'static str, ja: &'static str, en: &'static str) -> Field {
    Field {
        key,
        ja,
        en,
        kind: FieldKind::Date,
    }
}

const fn choice(
    key: &'static str,
    ja: &'static str,
    en: &'static str,
    values: &'static [&'static str],
) -> Field {
    Field {
        key,
        ja,
        en,
        kind: FieldKind::Choice(values),
    }
}

/// 自立 / 見守り / 一部介助 / 全介助: the sample's scale for ADL and excretion.
const ADL: &[&str] = &["自立", "見守り", "一部介助", "全介助"];
const YES_NO: &[&str] = &["なし", "あり"];
const WISH: &[&str] = &["希望あり", "希望なし"];

/// 入院時情報提供書 (MHLW sample, 2018, revised 2021): the header and
/// sections 1–9.
pub const ADMISSION_SECTIONS: &[Section] = &[
    Section {
        key: "header",
        ja: "提供先・提供元",
        en: "To and from",
        fields: &[
            date("filled_on", "記入日", "Written on"),
            date("admitted_on", "入院日", "Admitted on"),
            date("informed_on", "情報提供日", "Information given on"),
            text("hospital", "医療機関名", "Hospital"),
            text("hospital_contact", "ご担当者名", "Hospital contact"),
            text("office", "事業所名", "Care-management office"),
            text("care_manager", "ケアマネジャー氏名", "Care manager"),
            text("office_tel", "TEL", "Phone"),
            text("office_fax", "FAX", "Fax"),
        ],
    },
    Section {
        key: "basic",
        ja: "1. 利用者（患者）基本情報について",
        en: "1. The patient",
        fields: &[
            text("name", "氏名", "Name"),
            text("kana", "フリガナ", "Reading"),
            date("birth_date", "生年月日", "Date of birth"),
            text("address", "住所", "Address"),
            text("phone", "電話番号", "Phone"),
            choice(
                "housing",
                "住環境",
                "Housing",
                &[
                    "戸建て",
                    "集合住宅（エレベーターあり）",
                    "集合住宅（エレベーターなし）",
                    "その他",
                ],
            ),
            text("housing_notes", "住環境の特記事項", "Housing notes"),
            choice(
                "care_level",
                "要介護度",
                "Care level",
                &[
                    "非該当・未申請",
                    "要支援1",
                    "要支援2",
                    "要介護1",
                    "要介護2",
                    "要介護3",
                    "要介護4",
                    "要介護5",
                ],
            ),
            text("care_level_period", "有効期間", "Valid"),
            choice(
                "care_application",
                "申請状況",
                "Application",
                &["認定済", "申請中", "区分変更申請中", "未申請"],
            ),
            choice(
                "independence_physical",
                "障害高齢者の日常生活自立度",
                "Physical independence",
                &["自立", "J1", "J2", "A1", "A2", "B1", "B2", "C1", "C2"],
            ),
            choice(
                "independence_dementia",
                "認知症高齢者の日常生活自立度",
                "Dementia independence",
                &["自立", "Ⅰ", "Ⅱa", "Ⅱb", "Ⅲa", "Ⅲb", "Ⅳ", "M"],
            ),
            choice(
                "copay",
                "介護保険の自己負担割合",
                "Co-payment",
                &["1割", "2割", "3割", "不明"],
            ),
            choice(
                "disability",
                "障害など認定",
                "Disability certificates",
                &["なし", "身体", "精神", "知的", "複数"],
            ),
            choice(
                "pension",
                "年金などの種類",
                "Pension",
                &["国民年金", "厚生年金", "障害年金", "生活保護", "その他"],
            ),
        ],
    },
    Section {
        key: "family",
        ja: "2. 家族構成／連絡先について",
        en: "2. Family and contacts",
        fields: &[
            choice(
                "household",
                "世帯構成",
                "Household",
                &["独居", "高齢者夫婦世帯", "家族と同居", "日中独居", "その他"],
            ),
            choice("daytime_alone", "日中独居", "Alone in the daytime", YES_NO),
            text("main_carer", "主介護者（氏名・続柄・年齢）", "Main carer"),
            text("key_person", "キーパーソン", "Key person"),
            text(
                "key_person_contact",
                "キーパーソンの連絡先",
                "Key person's phone",
            ),
        ],
    },
    Section {
        key: "wishes",
        ja: "3. 本人／家族の意向について",
        en: "3. Wishes of the patient and family",
        fields: &[
            long("life_history", "本人の生活歴", "Life history"),
            long("interests", "本人の趣味・興味・関心領域等", "Interests"),
            long(
                "wishes_patient",
                "本人の入院前の生活に対する意向",
                "The patient's wishes",
            ),
            long(
                "wishes_family",
                "家族の入院前の生活に対する意向",
                "The family's wishes",
            ),
        ],
    },
    Section {
        key: "services",
        ja: "4. 入院前の介護サービスの利用状況について",
        en: "4. Services used before admission",
        fields: &[
            long("services_before", "利用していたサービス", "Services"),
            choice(
                "care_plan_attached",
                "居宅サービス計画書",
                "Care plan",
                &["添付あり", "添付なし"],
            ),
        ],
    },
    Section {
        key: "outlook",
        ja: "5. 今後の在宅生活の展望について（ケアマネジャーとしての意見）",
        en: "5. Outlook for life at home",
        fields: &[
            long(
                "home_requirements",
                "在宅生活に必要な要件",
                "What life at home needs",
            ),
            choice(
                "carer_capacity",
                "退院後の世帯状況・家族の介護力",
                "Carer capacity",
                &["十分", "一部", "見込めない"],
            ),
            choice("abuse_suspected", "虐待の疑い", "Suspected abuse", YES_NO),
            long("outlook_notes", "特記事項", "Notes"),
        ],
    },
    Section {
        key: "conference",
        ja: "6. カンファレンス等について（ケアマネジャーからの希望）",
        en: "6. Conference wishes",
        fields: &[
            choice(
                "wish_in_hospital_conference",
                "院内の多職種カンファレンスへの参加",
                "In-hospital conference",
                WISH,
            ),
            choice(
                "wish_discharge_conference",
                "退院前カンファレンスへの参加",
                "Pre-discharge conference",
                WISH,
            ),
            choice(
                "wish_home_visit",
                "退院前訪問指導を行う場合の同行",
                "Home visit before discharge",
                WISH,
            ),
        ],
    },
    Section {
        key: "function",
        ja: "7. 身体・生活機能の状況／療養生活上の課題について",
        en: "7. Body and daily function",
        fields: &[
            choice(
                "paralysis",
                "麻痺の状況",
                "Paralysis",
                &["なし", "軽度", "中度", "重度"],
            ),
            choice("pressure_ulcer", "褥瘡の有無", "Pressure ulcers", YES_NO),
            choice("adl_moving", "ADL 移動", "Moving", ADL),
            choice(
                "moving_aids",
                "移動の手段",
                "Moving aids",
                &["なし", "杖", "歩行器", "車いす", "その他"],
            ),
            choice("adl_transfer", "ADL 移乗", "Transfer", ADL),
            choice("adl_dressing", "ADL 更衣", "Dressing", ADL),
            choice("adl_rising", "ADL 起居動作", "Getting up", ADL),
            choice("adl_grooming", "ADL 整容", "Grooming", ADL),
            choice("adl_bathing", "ADL 入浴", "Bathing", ADL),
            choice("adl_eating", "ADL 食事", "Eating", ADL),
            text("meal_times", "食事回数（回／日）", "Meals a day"),
            choice("meal_restriction", "食事制限", "Diet restriction", YES_NO),
            choice(
                "meal_form",
                "食事形態",
                "Food form",
                &["普通", "きざみ", "嚥下障害食", "ミキサー"],
            ),
            text("udf_class", "UDF等の食形態区分", "UDF class"),
            choice(
                "intake",
                "摂取方法",
                "Intake",
                &["経口", "経管栄養", "経口と経管"],
            ),
            choice("thickening", "水分とろみ", "Thickened fluids", YES_NO),
            choice("fluid_restriction", "水分制限", "Fluid restriction", YES_NO),
            choice(
                "swallowing",
                "嚥下機能（むせ）",
                "Swallowing",
                &["なし", "時々", "常に"],
            ),
            choice("dentures", "義歯", "Dentures", &["なし", "部分", "総"]),
            choice(
                "oral_hygiene",
                "口腔清潔",
                "Oral hygiene",
                &["良", "不良", "著しく不良"],
            ),
            choice("urination", "排尿", "Urination", ADL),
            choice("defecation", "排便", "Defecation", ADL),
            choice(
                "portable_toilet",
                "ポータブルトイレ",
                "Commode",
                &["なし", "夜間", "常時"],
            ),
            choice("pads", "オムツ／パッド", "Pads", &["なし", "夜間", "常時"]),
            choice("sleep", "睡眠の状態", "Sleep", &["良", "不良"]),
            choice("sleeping_pills", "眠剤の使用", "Sleeping pills", YES_NO),
            choice(
                "vision",
                "視力",
                "Vision",
                &["問題なし", "やや難あり", "困難"],
            ),
            choice(
                "hearing",
                "聴力",
                "Hearing",
                &["問題なし", "やや難あり", "困難"],
            ),
            long(
                "mental_symptoms",
                "精神面における療養上の問題",
                "Mental symptoms",
            ),
            long("diseases", "疾患歴", "Diseases"),
            long(
                "recent_admissions",
                "入院歴（最近半年間）",
                "Admissions in the last half year",
            ),
            long(
                "procedures_before",
                "入院前に実施している医療処置",
                "Medical procedures before admission",
            ),
            long("latest_vitals", "直近のバイタル", "Latest vital signs"),
        ],
    },
    Section {
        key: "medicines",
        ja: "8. お薬について",
        en: "8. Medicines",
        fields: &[
            choice(
                "medicine_manager",
                "薬剤管理",
                "Who manages",
                &["自己管理", "他者による管理"],
            ),
            choice(
                "adherence",
                "服薬状況",
                "Adherence",
                &["処方通り服用", "時々飲み忘れ", "飲み忘れが多い", "服薬拒否"],
            ),
            long(
                "medicines_taken",
                "服用中の薬（1行に1剤）",
                "Medicines taken (one a line)",
            ),
            long(
                "allergies",
                "アレルギー（1行に1つ）",
                "Allergies (one a line)",
            ),
            long("medicine_notes", "お薬に関する特記事項", "Notes"),
        ],
    },
    Section {
        key: "doctor",
        ja: "9. かかりつけ医について",
        en: "9. Family doctor",
        fields: &[
            text("family_clinic", "かかりつけ医機関名", "Clinic"),
            text("family_doctor", "医師名", "Doctor"),
            text("family_doctor_tel", "電話番号", "Phone"),
            choice("visit_style", "診察方法", "How seen", &["通院", "訪問診療"]),
            text("visit_frequency", "診察頻度", "How often"),
        ],
    },
];

/// 退院・退所情報記録書 (MHLW sample): what the care manager hears from the
/// hospital; its contact log is kept apart (one row per contact).
pub const DISCHARGE_SECTIONS: &[Section] = &[
    Section {
        key: "stay",
        ja: "1. 基本情報・現在の状態等",
        en: "1. The stay",
        fields: &[
            date("admitted_on", "入院日", "Admitted on"),
            date("discharge_planned_on", "退院予定日", "Planned discharge"),
            text("cause", "入院原因疾患（入所目的等）", "Cause of admission"),
            text("ward", "入院・入所先（施設名・棟室）", "Ward"),
            long(
                "future_medical",
                "今後の医学管理（医療機関名・方法）",
                "Medical management after discharge",
            ),
            choice(
                "disease_state",
                "現在治療中の疾患の状態",
                "Current diseases",
                &["安定", "不安定"],
            ),
            long("diseases_current", "疾患名・経過", "Diseases"),
            choice("mobility", "移動手段", "Mobility", ADL),
            choice("excretion", "排泄方法", "Excretion", ADL),
            choice("bathing", "入浴方法", "Bathing", ADL),
            text(
                "meals_swallowing",
                "食事形態・嚥下機能",
                "Meals and swallowing",
            ),
            text("mouth", "口腔清潔・義歯", "Mouth"),
            text("sleep_state", "睡眠", "Sleep"),
            text("cognition", "認知・精神", "Cognition and mental state"),
        ],
    },
    Section {
        key: "understanding",
        ja: "2. 受け止め／意向",
        en: "2. Understanding and wishes",
        fields: &[
            long(
                "understanding_patient",
                "本人の病気・障害・後遺症等の受け止め方",
                "How the patient understands the illness",
            ),
            long(
                "understanding_family",
                "家族の病気・障害・後遺症等の受け止め方",
                "How the family understands it",
            ),
            long(
                "wishes_after",
                "本人・家族の退院後の生活に関する意向",
                "Wishes for life after discharge",
            ),
        ],
    },
    Section {
        key: "needs",
        ja: "3. 課題認識のための情報",
        en: "3. What is needed after discharge",
        fields: &[
            long(
                "procedures_after",
                "退院後に必要な事柄（医療処置）",
                "Medical procedures",
            ),
            long("nursing_notes", "看護の視点", "Nursing"),
            long("rehab_notes", "リハビリの視点", "Rehabilitation"),
            long("contraindications", "禁忌事項", "Contraindications"),
            long("prognosis", "症状・病状の予後・予測", "Prognosis"),
            long("obstacles", "生活の障害・課題", "Obstacles to daily life"),
            long(
                "requirements_home",
                "在宅復帰のために整えなければならない要件",
                "Requirements for going home",
            ),
        ],
    },
];

/// The national sections of a kind.
pub fn sections(kind: FormKind) -> &'static [Section] {
    match kind {
        FormKind::Admission => ADMISSION_SECTIONS,
        FormKind::Discharge => DISCHARGE_SECTIONS,
    }
}

/// The national field with this key, in either form.
pub fn field(kind: FormKind, key: &str) -> Option<&'static Field> {
    sections(kind)
        .iter()
        .flat_map(|s| s.fields.iter())
        .find(|f| f.key == key)
}

/// A form's content: national field key → value.
pub type Content = BTreeMap<String, String>;

/// Keeps only known fields, trims every value, drops empty ones, and
/// names each value that is not one of its field's choices or not a date.
pub fn check_content(kind: FormKind, raw: &Content) -> Result<Content, Vec<(String, String)>> {
    let mut out = Content::new();
    let mut problems = Vec::new();
    for (key, value) in raw {
        let Some(f) = field(kind, key) else { continue };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match f.kind {
            FieldKind::Choice(values) if !values.contains(&value) => problems.push((
                key.clone(),
                format!("「{}」は {} から選んでください。", f.ja, values.join("／")),
            )),
            FieldKind::Date if renkei_domain::transitions::parse_date(value).is_none() => problems
                .push((
                    key.clone(),
                    format!("「{}」は YYYY-MM-DD の形で入力してください。", f.ja),
                )),
            _ if value.chars().count() > 4000 => problems.push((
                key.clone(),
                format!("「{}」は4000文字以内で入力してください。", f.ja),
            )),
            _ => {
                out.insert(key.clone(), value.to_string());
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// A region's sheet written as text: a line starting with `#` opens a
/// section (its title after the `#`), every other line names one national
/// field by its key (anything after the key on the line is a comment).
/// Refused with every problem named when a key is unknown or repeated, a
/// section is empty, or there is no section.
pub fn parse_sections(kind: FormKind, text: &str) -> Result<Vec<TemplateSection>, Vec<String>> {
    let mut sections: Vec<TemplateSection> = Vec::new();
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(title) = line.strip_prefix('#') {
            let title = title.trim();
            if title.is_empty() {
                problems.push(format!("{}行目: 見出しの名前がありません。", n + 1));
            }
            sections.push(TemplateSection {
                title: title.to_string(),
                fields: Vec::new(),
            });
            continue;
        }
        let key = line.split_whitespace().next().unwrap_or("");
        if field(kind, key).is_none() {
            problems.push(format!(
                "{}行目: 「{key}」は全国様式の項目にありません。",
                n + 1
            ));
            continue;
        }
        if !seen.insert(key.to_string()) {
            problems.push(format!("{}行目: 「{key}」が2回あります。", n + 1));
            continue;
        }
        match sections.last_mut() {
            Some(s) => s.fields.push(key.to_string()),
            None => problems.push(format!(
                "{}行目: 最初に「# 見出し」の行を書いてください。",
                n + 1
            )),
        }
    }
    if sections.is_empty() {
        problems.push("見出し（# で始まる行）が1つもありません。".to_string());
    }
    for s in &sections {
        if s.fields.is_empty() && !s.title.is_empty() {
            problems.push(format!("「{}」に項目がありません。", s.title));
        }
    }
    if problems.is_empty() {
        Ok(sections)
    } else {
        Err(problems)
    }
}

/// A template's sections as the text [`parse_sections`] reads.
pub fn sections_text(template: &Template) -> String {
    let mut out = String::new();
    for s in &template.sections {
        out.push_str(&format!("# {}\n", s.title));
        for key in &s.fields {
            let label = field(template.kind, key).map(|f| f.ja).unwrap_or("");
            out.push_str(&format!("{key}  {label}\n"));
        }
    }
    out
}

/// A sheet's layout: its sections in the sheet's order, each listing
/// national field keys. The national sample is [`Template::national`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub code: String,
    pub name: String,
    pub kind: FormKind,
    pub sections: Vec<TemplateSection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSection {
    pub title: String,
    pub fields: Vec<String>,
}

impl Template {
    /// The MHLW sample, section by section.
    pub fn national(kind: FormKind) -> Template {
        Template {
            code: format!("national_{}", kind.code()),
            name: format!("{}（厚生労働省様式例）", kind.label_ja()),
            kind,
            sections: sections(kind)
                .iter()
                .map(|s| TemplateSection {
                    title: s.ja.to_string(),
                    fields: s.fields.iter().map(|f| f.key.to_string()).collect(),
                })
                .collect(),
        }
    }

    /// The template's sections with their national fields, for forms and
    /// print.
    pub fn layout(&self) -> Vec<(&str, Vec<&'static Field>)> {
        self.sections
            .iter()
            .map(|s| {
                (
                    s.title.as_str(),
                    s.fields
                        .iter()
                        .filter_map(|k| field(self.kind, k))
                        .collect(),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_within_each_form() {
        for kind in FormKind::ALL {
            let mut seen = std::collections::BTreeSet::new();
            for f in sections(*kind).iter().flat_map(|s| s.fields) {
                assert!(seen.insert(f.key), "{} twice in {kind}", f.key);
            }
        }
    }

    #[test]
    fn the_admission_sheet_has_the_samples_nine_sections() {
        let numbered = ADMISSION_SECTIONS
            .iter()
            .filter(|s| s.ja.starts_with(|c: char| c.is_ascii_digit()))
            .count();
        assert_eq!(numbered, 9);
        let t = Template::national(FormKind::Admission);
        let fields: usize = t.layout().iter().map(|(_, f)| f.len()).sum();
        assert_eq!(
            fields,
            ADMISSION_SECTIONS
                .iter()
                .map(|s| s.fields.len())
                .sum::<usize>()
        );
    }

    #[test]
    fn a_regional_sheet_is_read_from_text_and_checked() {
        let text = "# 基本情報\nname 氏名\nkana\n\n# 口腔・食形態\nmeal_form\ndentures\n";
        let sections = parse_sections(FormKind::Admission, text).expect("valid");
        assert_eq!(sections.len(), 2);
        assert_eq!(sections[1].fields, ["meal_form", "dentures"]);
        let bad = "name\n# 基本\nnosuch\nkana\nkana\n# 空\n";
        let problems = parse_sections(FormKind::Admission, bad).expect_err("problems");
        assert_eq!(problems.len(), 4, "{problems:?}");
        // The national sample round-trips through its text.
        let national = Template::national(FormKind::Admission);
        let again = parse_sections(FormKind::Admission, &sections_text(&national)).expect("valid");
        assert_eq!(again, national.sections);
    }

    #[test]
    fn content_is_checked_against_the_fields() {
        let mut raw = Content::new();
        raw.insert("name".into(), "  山田 花子 ".into());
        raw.insert("adl_moving".into(), "ほぼ自立".into());
        raw.insert("admitted_on".into(), "12月7日".into());
        raw.insert("unknown".into(), "x".into());
        let problems = check_content(FormKind::Admission, &raw).expect_err("two problems");
        assert_eq!(problems.len(), 2);
        raw.remove("adl_moving");
        raw.insert("admitted_on".into(), "2026-12-07".into());
        let ok = check_content(FormKind::Admission, &raw).expect("ok");
        assert_eq!(ok.get("name").map(String::as_str), Some("山田 花子"));
        assert!(!ok.contains_key("unknown"));
    }
}
