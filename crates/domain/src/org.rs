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
