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

/// Medical procedures a facility can take (DOMAIN.md §3). Regions can add
/// their own; these are the seed.
pub const PROCEDURES: &[(&str, &str)] = &[
    ("tube_feeding", "経管栄養・胃ろう"),
    ("suction", "喀痰吸引"),
    ("home_oxygen", "在宅酸素"),
    ("ventilator", "人工呼吸器"),
    ("tpn", "中心静脈栄養"),
    ("iv_drip", "点滴"),
    ("insulin", "インスリン"),
    ("pressure_ulcer", "褥瘡処置"),
    ("stoma", "ストーマ"),
    ("urinary_catheter", "尿道カテーテル"),
    ("dialysis", "透析"),
    ("pain_opioids", "疼痛管理・麻薬"),
    ("tracheostomy", "気管切開"),
    ("dementia_bpsd", "認知症・BPSD"),
];
