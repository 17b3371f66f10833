//! Who the users are: their profession (職種) and their role (権限) in Renkei.

labelled_enum!(
    /// 職種: what a person is by training. It labels people on the timeline and
    /// in handoffs; it does not by itself grant any access.
    Profession {
        Doctor = ("doctor", "医師", "Doctor"),
        Dentist = ("dentist", "歯科医師", "Dentist"),
        Pharmacist = ("pharmacist", "薬剤師", "Pharmacist"),
        Nurse = ("nurse", "看護師", "Nurse"),
        Therapist = ("therapist", "理学療法士・作業療法士・言語聴覚士", "PT / OT / ST"),
        CareManager = ("care_manager", "介護支援専門員（ケアマネジャー）", "Care manager"),
        CareWorker = ("care_worker", "介護職員・ヘルパー", "Care worker"),
        Msw = ("msw", "医療ソーシャルワーカー", "Medical social worker"),
        PublicHealthNurse = ("public_health_nurse", "保健師", "Public-health nurse"),
        Coordinator = ("coordinator", "コーディネーター", "Coordinator"),
        MunicipalOfficer = ("municipal_officer", "市区町村職員", "Municipal officer"),
        Ems = ("ems", "救急隊員", "EMS"),
        Family = ("family", "家族", "Family member"),
        Other = ("other", "その他", "Other"),
    }
);

labelled_enum!(
    /// 権限: what a user may do in Renkei. Access checks use this type, never
    /// strings.
    Role {
        /// システム管理者: runs the deployment, all regions.
        SystemAdmin = ("system_admin", "システム管理者", "System administrator"),
        /// 圏域管理者: manages the users and organisations of one region.
        RegionAdmin = ("region_admin", "圏域管理者", "Region administrator"),
        /// 市区町村担当: runs the program's meetings and indicators.
        MunicipalOfficer = ("municipal_officer", "市区町村担当", "Municipal officer"),
        /// 連携支援センター・コーディネーター.
        Coordinator = ("coordinator", "コーディネーター", "Coordinator"),
        /// 専門職: doctors, nurses, care managers and the rest of the care team.
        Professional = ("professional", "専門職", "Professional"),
        /// 家族: sees their relative's team where invited.
        Family = ("family", "家族", "Family member"),
        /// 消防・救急: reads emergency information, audited.
        Ems = ("ems", "消防・救急", "EMS"),
        /// 民生委員・見守りサポーター: checks the emergency information of the
        /// residents the support centre assigned to them, and nothing else.
        Watcher = ("watcher", "民生委員・見守りサポーター", "Community watcher"),
    }
);

/// What a role may do. Handlers ask `role.may(Permission::…)`; the answer is
/// written down here once so the authorisation-matrix test and the code can
/// never disagree about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See the organisations of one's region.
    ViewOrganisations,
    /// Create and change organisations of one's region.
    ManageOrganisations,
    /// Create, disable, unlock users and reset their MFA.
    ManageUsers,
    /// Search and export the audit trail.
    ViewAudit,
    /// The professional directory (capacity, contact windows); family
    /// members use the public map like other residents.
    ViewProfessionalDirectory,
    /// Review directory changes, add local entries and run the
    /// confirmation campaign for one's region.
    CurateDirectory,
    /// Register patients (for one's own organisation) and record consent.
    RegisterPatients,
    /// Be invited to a patient's care team.
    JoinCareTeams,
    /// Take part in regional professional groups (no patient information).
    ProfessionalGroups,
    /// Open a patient's record in an emergency without being on the team
    /// (緊急アクセス, "break-glass"): with a reason, time-limited, flagged.
    BreakGlass,
    /// Act across every region of the deployment.
    AllRegions,
    /// Write the region's admission and discharge rules (入退院支援ルール)
    /// and adopt shared ones.
    EditHandoffRules,
    /// See the region's handoff compliance report (no patient names).
    ViewHandoffCompliance,
}

impl Role {
    /// Whether this role can reach patient data somewhere in Renkei. MHLW
    /// guideline 6.0 asks for two-factor authentication for exactly these
    /// users; administrators are added because they control everyone's access.
    pub fn requires_mfa(self) -> bool {
        !matches!(self, Role::MunicipalOfficer)
    }

    /// The single source of truth for coarse permissions.
    pub fn may(self, permission: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match permission {
            ViewOrganisations => matches!(
                self,
                SystemAdmin | RegionAdmin | MunicipalOfficer | Coordinator
            ),
            ManageOrganisations => matches!(self, SystemAdmin | RegionAdmin | Coordinator),
            ManageUsers => matches!(self, SystemAdmin | RegionAdmin),
            ViewAudit => matches!(self, SystemAdmin | RegionAdmin),
            ViewProfessionalDirectory => !matches!(self, Family | Watcher),
            CurateDirectory => matches!(self, SystemAdmin | RegionAdmin | Coordinator),
            RegisterPatients => matches!(self, Professional | Coordinator),
            JoinCareTeams => matches!(self, Professional | Coordinator | Family),
            ProfessionalGroups => matches!(self, Professional | Coordinator),
            BreakGlass => matches!(self, Coordinator | Ems),
            AllRegions => matches!(self, SystemAdmin),
            EditHandoffRules => matches!(self, RegionAdmin | Coordinator),
            ViewHandoffCompliance => matches!(self, RegionAdmin | MunicipalOfficer | Coordinator),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_code(r.code()), Some(*r));
        }
        for p in Profession::ALL {
            assert_eq!(p.code().parse::<Profession>(), Ok(*p));
        }
    }

    #[test]
    fn unknown_code_lists_accepted_values() {
        let err = "nurse_practitioner".parse::<Role>().unwrap_err();
        assert!(err.contains("coordinator"), "{err}");
    }

    #[test]
    fn patient_data_roles_need_mfa() {
        assert!(Role::Professional.requires_mfa());
        assert!(Role::Family.requires_mfa());
        assert!(Role::Ems.requires_mfa());
        assert!(Role::Coordinator.requires_mfa());
        assert!(!Role::MunicipalOfficer.requires_mfa());
    }
}
