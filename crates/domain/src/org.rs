//! Organisation kinds (DOMAIN.md §3).

labelled_enum!(
    /// 事業所・機関の種別.
    OrgKind {
        Hospital = ("hospital", "病院", "Hospital"),
        Clinic = ("clinic", "診療所", "Clinic"),
        HomeCareSupportClinic = ("home_care_clinic", "在宅療養支援診療所・病院", "Home-care support clinic / hospital"),
        DentalClinic = ("dental_clinic", "歯科診療所", "Dental clinic"),
        Pharmacy = ("pharmacy", "薬局", "Pharmacy"),
        /// 助産所 (the national medical files' 04_maternity_home).
        MaternityHome = ("maternity_home", "助産所", "Maternity home"),
        VisitingNursing = ("visiting_nursing", "訪問看護ステーション", "Visiting-nursing station"),
        CareManagementOffice = ("care_management", "居宅介護支援事業所", "Care-management office"),
        CareService = ("care_service", "介護サービス事業所", "Care service"),
        CommunityCareCentre = ("community_care_centre", "地域包括支援センター", "Community general support centre"),
        SupportCentre = ("support_centre", "在宅医療・介護連携支援センター", "Home-care coordination support centre"),
        Municipality = ("municipality", "市区町村", "Municipality"),
        FireDepartment = ("fire_department", "消防本部・救急", "Fire department / EMS"),
        HealthCentre = ("health_centre", "保健所", "Health centre"),
        Association = ("association", "医師会・歯科医師会・薬剤師会", "Medical / dental / pharmacist association"),
        LifeSupport = ("life_support", "生活支援サービス", "Life-support service"),
        ConsultationDesk = ("consultation_desk", "相談窓口", "Consultation desk"),
        /// 有料老人ホーム (the care files' 特定施設 of that type, or kept locally).
        PaidNursingHome = ("paid_nursing_home", "有料老人ホーム", "Private nursing home"),
        /// サービス付き高齢者向け住宅.
        ServicedHousing = ("serviced_housing", "サービス付き高齢者向け住宅", "Serviced housing for older people"),
        /// 障害福祉サービス事業所.
        DisabilityService = ("disability_service", "障害福祉サービス事業所", "Disability-service office"),
        /// 基幹相談支援センター・相談支援事業所.
        DisabilityConsultation = ("disability_consultation", "基幹相談支援センター・相談支援事業所", "Disability consultation centre"),
        /// 社会福祉協議会.
        SocialWelfareCouncil = ("social_welfare_council", "社会福祉協議会", "Council of social welfare"),
        /// 認知症疾患医療センター.
        DementiaCentre = ("dementia_centre", "認知症疾患医療センター", "Medical centre for dementia"),
        /// 認知症カフェ.
        DementiaCafe = ("dementia_cafe", "認知症カフェ", "Dementia café"),
        /// 家族会 (carers' and families' associations).
        FamilyAssociation = ("family_association", "家族会", "Family association"),
    }
);

/// Groups of organisation kinds a search may name instead of listing them
/// (`kind=medical`, `kind=care`): 医療 and 介護.
pub const KIND_GROUPS: &[(&str, &str, &str, &[&str])] = &[
    (
        "medical",
        "医療機関・薬局",
        "Medical (hospitals, clinics, pharmacies)",
        &[
            "hospital",
            "clinic",
            "home_care_clinic",
            "dental_clinic",
            "pharmacy",
            "maternity_home",
            "dementia_centre",
        ],
    ),
    (
        "care",
        "介護サービス",
        "Care services",
        &[
            "visiting_nursing",
            "care_management",
            "care_service",
            "community_care_centre",
            "paid_nursing_home",
            "serviced_housing",
        ],
    ),
    (
        "community",
        "地域の相談・支え合い",
        "Community support (consultation, welfare, dementia, families)",
        &[
            "consultation_desk",
            "community_care_centre",
            "social_welfare_council",
            "disability_service",
            "disability_consultation",
            "dementia_cafe",
            "family_association",
            "life_support",
        ],
    ),
];

/// The kinds a `kind` value names: a kind code, or a group's kinds.
pub fn kinds_named(value: &str) -> Option<Vec<&'static str>> {
    if let Some((_, _, _, kinds)) = KIND_GROUPS.iter().find(|(g, _, _, _)| *g == value) {
        return Some(kinds.to_vec());
    }
    OrgKind::from_code(value).map(|k| vec![k.code()])
}

#[cfg(test)]
mod kind_group_tests {
    use super::*;

    #[test]
    fn groups_name_their_kinds_and_every_kind_in_a_group_exists() {
        assert_eq!(kinds_named("pharmacy"), Some(vec!["pharmacy"]));
        assert!(kinds_named("care").is_some_and(|k| k.contains(&"serviced_housing")));
        assert!(kinds_named("community").is_some_and(|k| k.contains(&"dementia_cafe")));
        assert_eq!(kinds_named("spaceport"), None);
        for (_, _, _, kinds) in KIND_GROUPS {
            for k in *kinds {
                assert!(OrgKind::from_code(k).is_some(), "{k}");
            }
        }
        assert_eq!(
            crate::directory::org_kind_for_care_service("364"),
            "serviced_housing"
        );
    }
}
