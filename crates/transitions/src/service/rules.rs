//! Regional rules (入退院支援ルール): the rule in force, the rules page, versions and adoption; and office business weeks.

use super::*;

impl Transitions {
    // ------------------------------------------------------------- rules

    /// The rule version a patient of `region` living in `municipality`
    /// (daily-life area `area`) is judged by on `on` (YYYY-MM-DD): the most
    /// specific adoption in force (area, then municipality, then the whole
    /// region; the latest adopted among equals), and that rule set's
    /// latest version in force on that day. A patient admitted to a
    /// hospital of another region is judged by the patient's region.
    pub async fn rule_in_force(
        &self,
        region: RegionId,
        municipality: &str,
        area: &str,
        on: &str,
    ) -> Result<Option<RuleInForce>, TransitionsError> {
        let rank = |s: RuleScope| match s {
            RuleScope::Region => 0,
            RuleScope::Municipality => 1,
            RuleScope::Area => 2,
        };
        let mut adoptions: Vec<_> = store::adoptions(&self.db, region)
            .await?
            .into_iter()
            .filter(|a| a.adopted_from.as_str() <= on)
            .filter(|a| match a.scope {
                RuleScope::Region => true,
                RuleScope::Municipality => a.scope_code == municipality,
                RuleScope::Area => !area.is_empty() && a.scope_code == area,
            })
            .collect();
        // The most specific, then the latest adopted; an adoption whose
        // rule set has no version in force yet gives way to the next.
        adoptions.sort_by(|a, b| {
            (rank(b.scope), &b.adopted_from, b.id).cmp(&(rank(a.scope), &a.adopted_from, a.id))
        });
        for adoption in adoptions {
            let Some(set) = store::rule_set(&self.db, adoption.rule_set_id).await? else {
                continue;
            };
            let version = store::rule_versions(&self.db, set.id)
                .await?
                .into_iter()
                .filter(|v| v.effective_from.as_str() <= on)
                .max_by(|a, b| (&a.effective_from, a.version).cmp(&(&b.effective_from, b.version)));
            if let Some(v) = version {
                return Ok(Some(RuleInForce {
                    rule_set_id: set.id,
                    name: set.name.clone(),
                    publisher: set.publisher.clone(),
                    version_id: v.id,
                    version: v.version,
                    effective_from: v.effective_from.clone(),
                    body: v.body(),
                }));
            }
        }
        Ok(None)
    }

    pub(super) async fn rule_of_stay(
        &self,
        stay: &Stay,
    ) -> Result<Option<RuleInForce>, TransitionsError> {
        let Some(vid) = stay.rule_version_id else {
            return Ok(None);
        };
        let Some(v) = store::rule_version(&self.db, vid).await? else {
            return Ok(None);
        };
        let Some(set) = store::rule_set(&self.db, v.rule_set_id).await? else {
            return Ok(None);
        };
        Ok(Some(RuleInForce {
            rule_set_id: set.id,
            name: set.name,
            publisher: set.publisher,
            version_id: v.id,
            version: v.version,
            effective_from: v.effective_from.clone(),
            body: v.body(),
        }))
    }

    /// Whether the user writes the region's rules (the pages ask before
    /// reading a rule form, so a refused user learns nothing from it).
    pub fn may_edit_rules(p: &Principal) -> bool {
        p.role.may(Permission::EditHandoffRules) && p.region_scope().is_some()
    }

    /// The rules page.
    pub async fn rules(&self, p: &Principal) -> Result<RulesView, TransitionsError> {
        if matches!(p.role, Role::Family | Role::Watcher) {
            return Err(TransitionsError::Forbidden);
        }
        let region = p.region_scope().ok_or(TransitionsError::Forbidden)?;
        let mut own = Vec::new();
        for set in store::rule_sets_of_region(&self.db, region).await? {
            let versions = store::rule_versions(&self.db, set.id).await?;
            own.push((set, versions));
        }
        Ok(RulesView {
            own,
            shared_by_others: store::shared_rule_sets(&self.db, region).await?,
            adoptions: store::adoptions(&self.db, region).await?,
            may_edit: Self::may_edit_rules(p),
        })
    }

    /// A rule set with its versions (its own region's, or a shared one).
    pub async fn rule_set(
        &self,
        p: &Principal,
        id: RuleSetId,
    ) -> Result<(crate::model::RuleSet, Vec<crate::model::RuleVersion>), TransitionsError> {
        if matches!(p.role, Role::Family | Role::Watcher) {
            return Err(TransitionsError::Forbidden);
        }
        let region = p.region_scope().ok_or(TransitionsError::Forbidden)?;
        let set = store::rule_set(&self.db, id)
            .await?
            .filter(|s| s.region_id == region || s.shared)
            .ok_or(TransitionsError::NotFound)?;
        let versions = store::rule_versions(&self.db, id).await?;
        Ok((set, versions))
    }

    /// The body's own checks, and that its hub is an entry of the
    /// directory.
    pub(super) async fn check_body(&self, body: &RuleBody) -> Result<(), TransitionsError> {
        let mut e = ValidationErrors::new();
        if let Err(problems) = body.validate() {
            for p in problems {
                e.add("body", "rule", &p, &p);
            }
        }
        if let Some(hub) = body.hub_entry_id {
            let found = self
                .directory
                .entry_for_interop(hub)
                .await
                .map_err(|e| TransitionsError::Conflict(e.to_string()))?;
            if found.is_none() {
                e.add(
                    "hub_entry_id",
                    "hub",
                    &format!("地域資源番号 {hub} の拠点が見つかりません。"),
                    "No directory entry has that number.",
                );
            }
        }
        e.into_result().map_err(TransitionsError::Validation)
    }

    /// A version takes effect today (Japan time) or later: changing a rule
    /// never rewrites how past handoffs were judged.
    pub(super) fn check_effective_from(
        from: &str,
        now: Timestamp,
    ) -> Result<String, TransitionsError> {
        let Some(date) = parse_date(from) else {
            return Err(invalid(
                "effective_from",
                "date",
                "施行日は YYYY-MM-DD の形で入力してください。",
                "Give the effective date as YYYY-MM-DD.",
            ));
        };
        if date < now.jst_date() {
            return Err(invalid(
                "effective_from",
                "past",
                "施行日は今日以降にしてください（過去の判定は変わりません）。",
                "A new version takes effect today or later (past handoffs keep their rule).",
            ));
        }
        Ok(format_date(date))
    }

    /// Creates a rule set with its first version, adopted by the region
    /// for the whole region from the same day unless `adopt` is false.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_rule_set(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        name: &str,
        publisher: &str,
        shared: bool,
        body: &RuleBody,
        effective_from: &str,
        adopt: bool,
        now: Timestamp,
    ) -> Result<RuleSetId, TransitionsError> {
        if !Self::may_edit_rules(p) {
            return Err(TransitionsError::Forbidden);
        }
        let region = p.region_scope().ok_or(TransitionsError::Forbidden)?;
        let mut errors = ValidationErrors::new();
        errors.require("name", name, "ルールの名称", "Name");
        errors.require("publisher", publisher, "策定主体", "Publisher");
        errors.into_result()?;
        self.check_body(body).await?;
        let from = Self::check_effective_from(effective_from, now)?;
        let json = json(body)?;
        let mut tx = self.db.begin().await?;
        let id = store::insert_rule_set(
            &mut tx,
            region,
            name.trim(),
            publisher.trim(),
            shared,
            p.user_id,
            now,
        )
        .await?;
        store::insert_rule_version(&mut tx, id, &from, &json, "初版", p.user_id, now).await?;
        if adopt {
            store::insert_adoption(
                &mut tx,
                region,
                RuleScope::Region,
                "",
                id,
                &from,
                p.user_id,
                now,
            )
            .await?;
        }
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "rule_set.create", "rule_set", id, None),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Adds a version to one of the region's rule sets.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_rule_version(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: RuleSetId,
        body: &RuleBody,
        effective_from: &str,
        note: &str,
        now: Timestamp,
    ) -> Result<i64, TransitionsError> {
        if !Self::may_edit_rules(p) {
            return Err(TransitionsError::Forbidden);
        }
        let region = p.region_scope().ok_or(TransitionsError::Forbidden)?;
        let set = store::rule_set(&self.db, id)
            .await?
            .filter(|s| s.region_id == region)
            .ok_or(TransitionsError::NotFound)?;
        self.check_body(body).await?;
        let from = Self::check_effective_from(effective_from, now)?;
        let json = json(body)?;
        let mut tx = self.db.begin().await?;
        let (_, version) =
            store::insert_rule_version(&mut tx, set.id, &from, &json, note.trim(), p.user_id, now)
                .await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "rule_set.version", "rule_set", id, None),
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// The region adopts a rule set (its own or one another region
    /// shares) for a scope from a day on.
    #[allow(clippy::too_many_arguments)]
    pub async fn adopt(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: RuleSetId,
        scope: &str,
        scope_code: &str,
        from: &str,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        if !Self::may_edit_rules(p) {
            return Err(TransitionsError::Forbidden);
        }
        let region = p.region_scope().ok_or(TransitionsError::Forbidden)?;
        store::rule_set(&self.db, id)
            .await?
            .filter(|s| s.region_id == region || s.shared)
            .ok_or(TransitionsError::NotFound)?;
        let Some(scope) = RuleScope::from_code(scope) else {
            return Err(invalid(
                "scope",
                "choice",
                "適用範囲を選んでください。",
                "Choose a scope.",
            ));
        };
        let code = scope_code.trim();
        match scope {
            RuleScope::Region => {}
            RuleScope::Municipality => {
                let known = store::municipalities(&self.db, region).await?;
                if !known.iter().any(|(c, _)| c == code) {
                    return Err(invalid(
                        "scope_code",
                        "municipality",
                        "圏域の市区町村を選んでください。",
                        "Choose a municipality of the region.",
                    ));
                }
            }
            RuleScope::Area if code.is_empty() => {
                return Err(invalid(
                    "scope_code",
                    "required",
                    "日常生活圏域の名称を入力してください。",
                    "Name the daily-life area.",
                ))
            }
            RuleScope::Area => {}
        }
        let from = Self::check_effective_from(from, now)?;
        let code = if scope == RuleScope::Region { "" } else { code };
        let mut tx = self.db.begin().await?;
        store::insert_adoption(&mut tx, region, scope, code, id, &from, p.user_id, now).await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "rule_set.adopt", "rule_set", id, None),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The municipalities of the user's region (code, name).
    pub async fn municipalities(
        &self,
        p: &Principal,
    ) -> Result<Vec<(String, String)>, TransitionsError> {
        let region = p.region_scope().ok_or(TransitionsError::Forbidden)?;
        Ok(store::municipalities(&self.db, region).await?)
    }

    // --------------------------------------------------------- calendars

    /// An office's business week (the common week when it has not set one).
    pub async fn office_calendar(&self, org: OrgId) -> Result<BusinessCalendar, TransitionsError> {
        Ok(store::office_calendar(&self.db, org)
            .await?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default())
    }

    /// Sets the business week of one of the user's organisations.
    pub async fn save_office_calendar(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        org: OrgId,
        calendar: &BusinessCalendar,
        now: Timestamp,
    ) -> Result<(), TransitionsError> {
        if !professional(p) {
            return Err(TransitionsError::Forbidden);
        }
        if !p.org_ids.contains(&org) {
            return Err(invalid(
                "org_id",
                "not_member",
                "所属している事業所を選んでください。",
                "Choose one of your organisations.",
            ));
        }
        if let Err(problem) = calendar.validate() {
            return Err(invalid(
                "calendar",
                "calendar",
                &problem,
                "Check the business week.",
            ));
        }
        let json = json(calendar)?;
        let mut tx = self.db.begin().await?;
        store::save_office_calendar(&mut tx, org, &json, p.user_id, now).await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "office_calendar.save", "organisation", org, None),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The business weeks of the user's organisations (id, name, week).
    pub async fn my_office_calendars(
        &self,
        p: &Principal,
    ) -> Result<Vec<(OrgId, String, BusinessCalendar)>, TransitionsError> {
        if !professional(p) {
            return Err(TransitionsError::Forbidden);
        }
        let names = store::organisation_names(&self.db, &p.org_ids).await?;
        let mut out = Vec::new();
        for org in &p.org_ids {
            out.push((
                *org,
                names.get(org).cloned().unwrap_or_else(|| format!("#{org}")),
                self.office_calendar(*org).await?,
            ));
        }
        Ok(out)
    }

    /// The templates a region's rules may require: the national samples,
    /// then the region's own sheets.
    pub async fn templates(&self, p: &Principal) -> Result<Vec<Template>, TransitionsError> {
        if matches!(p.role, Role::Family | Role::Watcher) {
            return Err(TransitionsError::Forbidden);
        }
        let region = p.region_scope().ok_or(TransitionsError::Forbidden)?;
        let mut out = vec![
            Template::national(FormKind::Admission),
            Template::national(FormKind::Discharge),
        ];
        for t in store::templates_of_region(&self.db, region).await? {
            out.push(stored_template(t));
        }
        Ok(out)
    }

    /// A region's own sheet, written as text (see
    /// [`crate::forms::parse_sections`]); returns its code, which a rule
    /// version then requires.
    pub async fn create_template(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        kind: &str,
        name: &str,
        sections: &str,
        now: Timestamp,
    ) -> Result<String, TransitionsError> {
        if !Self::may_edit_rules(p) {
            return Err(TransitionsError::Forbidden);
        }
        let region = p.region_scope().ok_or(TransitionsError::Forbidden)?;
        let mut errors = ValidationErrors::new();
        let kind = FormKind::from_code(kind);
        if kind.is_none() {
            errors.add(
                "kind",
                "choice",
                "様式の種類を選んでください。",
                "Choose the kind of form.",
            );
        }
        errors.require("name", name, "様式の名称", "Name");
        errors.into_result()?;
        let Some(kind) = kind else {
            return Err(TransitionsError::Forbidden);
        };
        let parsed = crate::forms::parse_sections(kind, sections).map_err(|problems| {
            let mut e = ValidationErrors::new();
            for p in problems {
                e.add("sections", "sections", &p, &p);
            }
            TransitionsError::Validation(e)
        })?;
        let count = store::templates_of_region(&self.db, region).await?.len();
        let code = format!("r{}_{}_{}", region, kind.code(), count + 1);
        let mut tx = self.db.begin().await?;
        store::insert_template(
            &mut tx,
            region,
            kind,
            &code,
            name.trim(),
            &json(&parsed)?,
            p.user_id,
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &audit_entry(p, ctx, "template.create", "template", &code, None),
        )
        .await?;
        tx.commit().await?;
        Ok(code)
    }

    /// The template a stay's form of `kind` uses: the one the stay's rule
    /// requires for that kind, else the national sample.
    pub(super) async fn template_for(
        &self,
        stay: &Stay,
        kind: FormKind,
    ) -> Result<Template, TransitionsError> {
        let required = self
            .rule_of_stay(stay)
            .await?
            .map(|r| r.body.required_forms)
            .unwrap_or_default();
        for code in required {
            if let Some(t) = store::template_by_code(&self.db, &code).await? {
                if t.kind == kind && t.region_id == stay.region_id {
                    return Ok(stored_template(t));
                }
            }
        }
        Ok(Template::national(kind))
    }

    /// The template a saved form was written in (its code), else the
    /// national sample of its kind.
    pub(super) async fn template_of_form(
        &self,
        form: &HandoffForm,
    ) -> Result<Template, TransitionsError> {
        if let Some(t) = store::template_by_code(&self.db, &form.template).await? {
            if t.kind == form.kind {
                return Ok(stored_template(t));
            }
        }
        Ok(Template::national(form.kind))
    }
}

fn stored_template(t: store::StoredTemplate) -> Template {
    Template {
        code: t.code,
        name: t.name,
        kind: t.kind,
        sections: serde_json::from_str(&t.sections).unwrap_or_default(),
    }
}
