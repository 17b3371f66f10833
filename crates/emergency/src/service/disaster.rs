//! The disaster list (災害時の名簿): by municipality and area, the
//! residents with a record who depend on a powered device or live alone,
//! with their safety confirmation (安否確認) in the region's open disaster,
//! and the register of disaster equipment. The desk and the municipality
//! see the whole region; a team's professional sees the residents whose
//! records they keep. Every showing, print and export is audited.

use renkei_domain::emergency::{EquipmentKind, SafetyStatus};
use renkei_domain::{DisasterId, EquipmentId};

use super::*;
use crate::model::{
    DisasterLine, DisasterList, DisasterScope, DisasterUse, EquipmentInput, SafetyInput,
};

impl Emergency {
    /// Whether the user sees the whole region's disaster list and runs it
    /// (starts and closes a disaster, keeps the equipment, prints and
    /// exports for the fire service): the support centre's desk, and the
    /// municipal officer once two-factor sign-in is on (the list is
    /// patient data).
    pub fn runs_disaster_list(p: &Principal) -> bool {
        p.region_id.is_some()
            && (p.role == Role::Coordinator || (p.role == Role::MunicipalOfficer && p.mfa_enabled))
    }

    /// Whether the user sees a disaster list at all: those who run it,
    /// professionals (their own residents) and watchers (those assigned).
    pub fn reads_disaster_list(p: &Principal) -> bool {
        Self::runs_disaster_list(p)
            || (matches!(p.role, Role::Professional | Role::Watcher) && p.region_id.is_some())
    }

    fn region_of(p: &Principal) -> Result<renkei_domain::RegionId, EmergencyError> {
        p.region_id.ok_or(ServiceError::Forbidden)
    }

    /// The region's municipalities and the areas its records name, for the
    /// list's choice of scope.
    pub async fn disaster_scopes(
        &self,
        p: &Principal,
    ) -> Result<(Vec<(String, String)>, Vec<(String, String)>), EmergencyError> {
        if !Self::reads_disaster_list(p) {
            return Err(ServiceError::Forbidden);
        }
        let region = Self::region_of(p)?;
        Ok((
            store::municipalities(&self.db, region).await?,
            store::areas(&self.db, region).await?,
        ))
    }

    /// The disaster list of a scope. `purpose` says whether it is shown,
    /// printed or exported (only those who run the list print or export);
    /// each is one audit entry with the scope and how many residents.
    pub async fn disaster_list(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        scope: &DisasterScope,
        purpose: DisasterUse,
    ) -> Result<DisasterList, EmergencyError> {
        let whole_region = Self::runs_disaster_list(p);
        if !whole_region && (purpose != DisasterUse::Screen || !Self::reads_disaster_list(p)) {
            return Err(ServiceError::Forbidden);
        }
        let region = Self::region_of(p)?;
        let scope = DisasterScope {
            municipality: scope.municipality.trim().to_string(),
            area: scope.area.trim().to_string(),
        };
        let mut rows = store::list_rows(
            &self.db,
            region,
            &scope.municipality,
            &scope.area,
            whole_region,
            // The desk's own residents who did not agree are on its
            // screen only, never in a print or file for others.
            p.role == Role::Coordinator && purpose == DisasterUse::Screen,
        )
        .await?;
        if !whole_region {
            let mine: std::collections::HashSet<EmergencyRecordId> =
                self.writable_ids(p, ctx).await?;
            rows.retain(|r| mine.contains(&r.id));
        }
        let disaster = store::open_disaster(&self.db, region).await?;
        let checks = match &disaster {
            Some(d) => store::latest_checks(&self.db, d.id).await?,
            None => Default::default(),
        };
        let mut counts: Vec<(String, String, usize)> = SafetyStatus::ALL
            .iter()
            .map(|s| (s.code().to_string(), s.label_ja().to_string(), 0))
            .collect();
        let patients: Vec<Option<renkei_domain::PatientId>> =
            rows.iter().map(|r| r.patient_id).collect();
        let lines: Vec<DisasterLine> = rows
            .into_iter()
            .map(|r| {
                let (status, status_note, status_at, status_by_name) = match checks.get(&r.id) {
                    Some((s, n, at, by)) => (*s, n.clone(), Some(*at), by.clone()),
                    None => (
                        SafetyStatus::Unconfirmed,
                        String::new(),
                        None,
                        String::new(),
                    ),
                };
                if let Some(slot) = counts.iter_mut().find(|c| c.0 == status.code()) {
                    slot.2 += 1;
                }
                DisasterLine {
                    record_id: r.id,
                    devices: r
                        .devices
                        .split(',')
                        .filter_map(|c| Device::from_code(c.trim()))
                        .collect(),
                    name: r.name,
                    kana: r.kana,
                    birth_date: r.birth_date,
                    address: r.address,
                    municipality_code: r.municipality_code,
                    area: r.area,
                    phone: r.phone,
                    lives_alone: r.lives_alone,
                    family_doctor: r.family_doctor,
                    contacts: r.contacts,
                    keeper_name: r.keeper_name,
                    status,
                    status_note,
                    status_at,
                    status_by_name,
                    may_update: disaster.is_some(),
                }
            })
            .collect();
        let equipment = store::equipment(&self.db, region, &scope.municipality).await?;
        // One entry for the list (its scope and size), and one per care
        // patient on it, so each patient's trail (searched by patient) says
        // their data was listed, printed or exported, and by whom. The
        // desk's own residents are in the list's entry by scope and count:
        // a town's list runs to tens of thousands of lines, and an entry
        // each would make it slower than a typhoon allows.
        let mut e = audit_entry(p, ctx, purpose.audit_action(), region, None);
        e.object_kind = "region".into();
        e.reason = format!(
            "municipality={} area={} residents={}",
            scope.municipality,
            scope.area,
            lines.len()
        );
        let mut entries = Vec::with_capacity(lines.len() + 1);
        entries.push(e);
        for (line, patient) in lines.iter().zip(patients) {
            let Some(patient) = patient else { continue };
            let mut e = audit_entry(
                p,
                ctx,
                purpose.audit_action(),
                line.record_id,
                Some(patient),
            );
            e.reason = "on the disaster list".into();
            entries.push(e);
        }
        self.audit(entries).await?;
        Ok(DisasterList {
            scope,
            disaster,
            lines,
            counts,
            equipment,
            whole_region,
        })
    }

    /// The ids of the records the user may write (their teams' patients
    /// whose records they keep, and the desk's).
    async fn writable_ids(
        &self,
        p: &Principal,
        ctx: &RequestContext,
    ) -> Result<std::collections::HashSet<EmergencyRecordId>, EmergencyError> {
        if !matches!(
            p.role,
            Role::Professional | Role::Coordinator | Role::Watcher
        ) {
            return Ok(Default::default());
        }
        Ok(self
            .rows_of(p, ctx)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect())
    }

    /// Opens a disaster for the region (台風10号 …): the list's safety
    /// confirmations start afresh as "not yet reached". One open at a time.
    pub async fn start_disaster(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        name: &str,
        now: Timestamp,
    ) -> Result<DisasterId, EmergencyError> {
        if !Self::runs_disaster_list(p) {
            return Err(ServiceError::Forbidden);
        }
        let region = Self::region_of(p)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(invalid(
                "name",
                "required",
                "災害の名前を100文字以内で入力してください（例: 台風10号）。",
                "Name the disaster (at most 100 characters).",
            ));
        }
        if store::open_disaster(&self.db, region).await?.is_some() {
            return Err(ServiceError::Conflict(
                "安否確認中の災害があります。先に終了してください。 A disaster is already open."
                    .into(),
            ));
        }
        let mut tx = self.db.begin().await?;
        let id = store::insert_disaster(&mut tx, region, name, p.user_id, now).await?;
        let mut e = audit_entry(p, ctx, "emergency.disaster_start", id, None);
        e.object_kind = "disaster".into();
        e.reason = name.to_string();
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Closes the region's disaster (its confirmations are kept).
    pub async fn close_disaster(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: DisasterId,
        now: Timestamp,
    ) -> Result<(), EmergencyError> {
        if !Self::runs_disaster_list(p) {
            return Err(ServiceError::Forbidden);
        }
        let region = Self::region_of(p)?;
        let mut tx = self.db.begin().await?;
        if !store::close_disaster(&mut tx, region, id, now).await? {
            return Err(ServiceError::NotFound);
        }
        let mut e = audit_entry(p, ctx, "emergency.disaster_close", id, None);
        e.object_kind = "disaster".into();
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a safety confirmation (安否確認) of a resident in the open
    /// disaster: the desk and the municipality for any record of the
    /// region, a team's professional for the records they keep. Every
    /// confirmation is kept; the latest is the status. Audited.
    pub async fn confirm_safety(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        record_id: EmergencyRecordId,
        input: &SafetyInput,
        now: Timestamp,
    ) -> Result<(), EmergencyError> {
        if !Self::reads_disaster_list(p) {
            return Err(ServiceError::Forbidden);
        }
        let record = self.row(record_id).await?;
        let allowed = if Self::runs_disaster_list(p) {
            // Those the whole-region list shows them.
            p.region_id == Some(record.region_id)
                && (record.disaster_share
                    || (p.role == Role::Coordinator && record.patient_id.is_none()))
        } else {
            self.writable_ids(p, ctx).await?.contains(&record_id)
        };
        if !allowed {
            let mut e = audit_entry(p, ctx, "emergency.safety", record.id, record.patient_id);
            e.outcome = Some(Outcome::Denied);
            self.audit(vec![e]).await?;
            return Err(ServiceError::NotFound);
        }
        let Some(status) = SafetyStatus::from_code(input.status.trim()) else {
            return Err(invalid(
                "status",
                "choice",
                "安否の状況を選んでください。",
                "Choose a status.",
            ));
        };
        let note = input.note.trim();
        if note.chars().count() > 500 {
            return Err(invalid(
                "note",
                "too_long",
                "500文字以内で入力してください。",
                "At most 500 characters.",
            ));
        }
        let Some(disaster) = store::open_disaster(&self.db, record.region_id).await? else {
            return Err(ServiceError::Conflict(
                "安否確認中の災害がありません。 No disaster is open.".into(),
            ));
        };
        let mut tx = self.db.begin().await?;
        store::insert_safety_check(
            &mut tx,
            disaster.id,
            record_id,
            status,
            note,
            p.user_id,
            now,
        )
        .await?;
        let mut e = audit_entry(p, ctx, "emergency.safety", record.id, record.patient_id);
        e.reason = format!("disaster {}: {}", disaster.id, status.code());
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds (`id` None) or rewrites a piece of the region's disaster
    /// equipment. Audited.
    pub async fn save_equipment(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        id: Option<EquipmentId>,
        input: &EquipmentInput,
        now: Timestamp,
    ) -> Result<EquipmentId, EmergencyError> {
        if !Self::runs_disaster_list(p) {
            return Err(ServiceError::Forbidden);
        }
        let region = Self::region_of(p)?;
        let mut errors = renkei_domain::ValidationErrors::new();
        let kind = EquipmentKind::from_code(input.kind.trim());
        if kind.is_none() {
            errors.add(
                "kind",
                "choice",
                "備品の種類を選んでください。",
                "Choose the kind.",
            );
        }
        if input.place.trim().is_empty() {
            errors.add(
                "place",
                "required",
                "保管場所を入力してください。",
                "Say where it is kept.",
            );
        }
        if !(1..=9_999).contains(&input.quantity) {
            errors.add(
                "quantity",
                "range",
                "数量は1から9999で入力してください。",
                "The quantity is 1 to 9999.",
            );
        }
        for (field, value) in [
            ("label", &input.label),
            ("place", &input.place),
            ("contact", &input.contact),
        ] {
            if value.trim().chars().count() > 200 {
                errors.add(
                    field,
                    "too_long",
                    "200文字以内で入力してください。",
                    "At most 200 characters.",
                );
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        self.check_municipality(region, &input.municipality_code)
            .await?;
        let Some(kind) = kind else {
            return Err(ServiceError::Forbidden);
        };
        let fields = store::EquipmentFields {
            municipality_code: input.municipality_code.trim(),
            kind,
            label: input.label.trim(),
            place: input.place.trim(),
            quantity: input.quantity,
            contact: input.contact.trim(),
        };
        let mut tx = self.db.begin().await?;
        let id = match id {
            Some(id) => {
                if !store::update_equipment(&mut tx, region, id, &fields, p.user_id, now).await? {
                    return Err(ServiceError::NotFound);
                }
                id
            }
            None => store::insert_equipment(&mut tx, region, &fields, p.user_id, now).await?,
        };
        let mut e = audit_entry(p, ctx, "emergency.equipment_save", id, None);
        e.object_kind = "equipment".into();
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(id)
    }
}
