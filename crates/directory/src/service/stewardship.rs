//! Stewardship by category (カテゴリ別の管理): the dental, medical and
//! pharmacists' associations keep their members' entries, as towns
//! already rely on them to. The region's coordinator makes an organisation
//! steward of one kind of entry; its members then review change requests,
//! correct and confirm entries of that kind in the region, and see which
//! of them are overdue. Nothing else: no other kind, no other region, no
//! linking of organisations or matching. Grants are audited.
//!
//! The partner export (連携先への提供) is here too: the directory of the
//! region as the municipal standard CSV, for a cooperating body (a fire
//! service, the next town, an association's own site) signed in with an
//! account or a read-only API token; audited.

use renkei_domain::people::Permission;
use renkei_domain::{OrgId, Timestamp};
use renkei_identity::{Actor, RequestContext};
use renkei_store::audit;

use super::{actor_audit_entry, principal, Directory, DirectoryError};
use crate::export::{self, csv_standard::Dataset, Edition};
use crate::model::Overdue;
use crate::store;

/// An organisation's stewardship of one kind of entry.
#[derive(Debug, Clone)]
pub struct Stewardship {
    pub org_id: OrgId,
    pub org_name: String,
    pub kind: String,
    pub granted_at: Timestamp,
    pub granted_by_name: Option<String>,
}

/// What a steward's members look after: the kinds, and the entries of
/// those kinds whose confirmation is overdue.
#[derive(Debug, Clone, Default)]
pub struct StewardWork {
    pub kinds: Vec<String>,
    pub overdue: Vec<Overdue>,
}

/// How many overdue entries a steward's page lists.
const STEWARD_OVERDUE_LIMIT: i64 = 200;

impl Directory {
    /// The stewardships of the curator's region.
    pub async fn stewardships(&self, actor: &Actor) -> Result<Vec<Stewardship>, DirectoryError> {
        let p = principal(actor)?;
        if !p.role.may(Permission::CurateDirectory) {
            return Err(DirectoryError::Forbidden);
        }
        Ok(store::stewardships(&self.db, p.region_scope())
            .await?
            .into_iter()
            .map(|r| Stewardship {
                org_id: r.org_id,
                org_name: r.org_name,
                kind: r.kind,
                granted_at: Timestamp(r.granted_at),
                granted_by_name: r.granted_by_name,
            })
            .collect())
    }

    /// Makes an organisation of the curator's region steward of a kind
    /// (or, `on` false, ends it). Audited.
    pub async fn set_stewardship(
        &self,
        actor: &Actor,
        org: OrgId,
        kind: &str,
        on: bool,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<bool, DirectoryError> {
        let p = principal(actor)?;
        if !p.role.may(Permission::CurateDirectory) {
            return Err(DirectoryError::Forbidden);
        }
        let mut v = renkei_domain::ValidationErrors::new();
        if renkei_domain::OrgKind::from_code(kind).is_none() {
            v.add(
                "kind",
                "unknown",
                "資源の種別を選んでください。",
                "Choose a kind of entry.",
            );
        }
        self.check_linkable(p, org, &mut v).await?;
        v.into_result()?;
        let mut tx = self.db.begin().await?;
        let changed = store::set_stewardship(&mut tx, org, kind, on, Some(p.user_id), now).await?;
        if changed {
            audit::append(
                &mut tx,
                &actor_audit_entry(
                    actor,
                    ctx,
                    if on {
                        "directory.stewardship.grant"
                    } else {
                        "directory.stewardship.end"
                    },
                    "organisation",
                    &org.to_string(),
                    kind.to_string(),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// What the user's associations look after (empty for everyone else).
    pub async fn steward_work(
        &self,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<StewardWork, DirectoryError> {
        let p = principal(actor)?;
        if !p.role.may(Permission::ViewProfessionalDirectory) {
            return Ok(StewardWork::default());
        }
        let kinds = store::steward_kinds(&self.db, &p.org_ids).await?;
        let (Some(region), false) = (p.region_id, kinds.is_empty()) else {
            return Ok(StewardWork {
                kinds,
                overdue: Vec::new(),
            });
        };
        let overdue = store::overdue_of_kinds(
            &self.db,
            region,
            &kinds,
            self.since(now),
            STEWARD_OVERDUE_LIMIT,
        )
        .await?;
        Ok(StewardWork { kinds, overdue })
    }

    /// The region's directory as the municipal standard CSV for a
    /// cooperating body: the professional edition for staff of the region
    /// (who see it on screen anyway), the public one on request; only
    /// `kinds` when given. The entries are the region's (its
    /// municipalities and its listing). Audited: what was taken and by whom.
    pub async fn partner_export(
        &self,
        actor: &Actor,
        dataset: Dataset,
        edition: Edition,
        kinds: &[String],
        ctx: &RequestContext,
    ) -> Result<Vec<u8>, DirectoryError> {
        let p = principal(actor)?;
        if !p.role.may(Permission::ViewProfessionalDirectory) {
            return Err(DirectoryError::Forbidden);
        }
        let region = self.region_resources(actor).await?;
        let municipalities = region
            .as_ref()
            .map(|r| r.municipalities.clone())
            .unwrap_or_default();
        // A region without municipalities has nothing to export (an empty
        // list would mean "everywhere").
        let mut entries = if region.is_some() && municipalities.is_empty() {
            Vec::new()
        } else {
            export::load(&self.db, &municipalities, edition).await?
        };
        if let Some(r) = &region {
            for id in &r.listed {
                if let Some(e) = export::load_one(&self.db, *id, edition).await? {
                    entries.push(e);
                }
            }
        }
        if !kinds.is_empty() {
            entries.retain(|e| kinds.contains(&e.entry.kind));
        }
        let mut out = Vec::new();
        let rows = export::csv_standard::write(&entries, dataset, edition, &mut out)
            .map_err(|e| renkei_store::StoreError::Invalid(format!("export: {e}")))?;
        let mut tx = self.db.begin().await?;
        audit::append(
            &mut tx,
            &actor_audit_entry(
                actor,
                ctx,
                "directory.export",
                "directory",
                match dataset {
                    Dataset::Medical => "medical",
                    Dataset::Care => "care",
                },
                format!(
                    "{} rows, {} edition{}",
                    rows,
                    match edition {
                        Edition::Public => "public",
                        Edition::Professional => "professional",
                    },
                    if kinds.is_empty() {
                        String::new()
                    } else {
                        format!(", kinds {}", kinds.join(","))
                    }
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }
}
