//! The month's compliance report.

use super::*;

impl Transitions {
    // ------------------------------------------------------------ report

    /// The compliance report of a month (YYYY-MM) for the user's region.
    pub async fn compliance(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        month: &str,
        now: Timestamp,
    ) -> Result<crate::model::ComplianceReport, TransitionsError> {
        if !p.role.may(Permission::ViewHandoffCompliance) {
            return Err(TransitionsError::Forbidden);
        }
        let region = p.region_scope().ok_or(TransitionsError::Forbidden)?;
        let Some(first) = parse_date(&format!("{month}-01")) else {
            return Err(invalid(
                "month",
                "month",
                "月を YYYY-MM の形で指定してください。",
                "Give the month as YYYY-MM.",
            ));
        };
        let next = crate::report::next_month(first);
        let from =
            Timestamp::from_jst(PrimitiveDateTime::new(first, time::Time::MIDNIGHT)).millis();
        let to = Timestamp::from_jst(PrimitiveDateTime::new(next, time::Time::MIDNIGHT)).millis();
        let month = &format_date(first)[..7];
        let stays = store::stays_of_region_month(&self.db, region, from, to, month).await?;
        let ids: Vec<StayId> = stays.iter().map(|s| s.id).collect();
        let forms = store::forms_of_stays(&self.db, &ids).await?;
        let contacts = store::contacts_of_stays(&self.db, &ids).await?;
        let offices: Vec<OrgId> = stays.iter().filter_map(|s| s.office_org_id).collect();
        let office_names = store::organisation_names(&self.db, &offices).await?;
        let mut calendars = HashMap::new();
        let mut rules = HashMap::new();
        for s in &stays {
            if let Some(o) = s.office_org_id {
                if let std::collections::hash_map::Entry::Vacant(v) = calendars.entry(o) {
                    v.insert(self.office_calendar(o).await?);
                }
            }
            if let Some(r) = s.rule_version_id {
                if let std::collections::hash_map::Entry::Vacant(v) = rules.entry(r) {
                    if let Some(version) = store::rule_version(&self.db, r).await? {
                        v.insert(version.body());
                    }
                }
            }
        }
        let report = crate::report::build(crate::report::Inputs {
            month,
            from,
            to,
            today: now.jst_date(),
            stays: &stays,
            forms: &forms,
            contacts: &contacts,
            office_names: &office_names,
            calendars: &calendars,
            rules: &rules,
            holidays: &self.holidays(),
        });
        self.audit(vec![audit_entry(
            p,
            ctx,
            "transitions.compliance",
            "region",
            region,
            None,
        )])
        .await?;
        Ok(report)
    }
}
