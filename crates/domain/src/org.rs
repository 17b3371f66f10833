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
