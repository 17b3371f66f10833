//! One facility, one entry: running the matching ([`crate::same_facility`])
//! over the directory, and the coordinator's merge, split and rejection of
//! the pairs it found. Every decision is audited; a merge is never a
//! deletion (the merged entry stays, its source keeps updating it, and a
//! split lists it again).

use renkei_domain::people::Permission;
use renkei_domain::{Clock, EntryId, SameFacilityPairId, Timestamp};
use renkei_identity::{Actor, RequestContext};
use renkei_store::audit;

use super::{actor_audit_entry, principal, Directory, DirectoryError};
use crate::same_facility::{
    find_matches, keep_of, Evidence, Match, MatchRun, Pair, PairSide, PairStatus, Review,
    MERGE_AUTOMATICALLY_AT,
};
use crate::store;

/// How many pairs of each status the review page shows.
const REVIEW_LIMIT: i64 = 200;

impl Directory {
    /// Looks for entries that list one facility twice: in every prefecture
    /// for the operator (`renkei directory match`, and after each import),
    /// in the region's prefectures for its coordinator. Pairs at or above
    /// [`MERGE_AUTOMATICALLY_AT`] are merged at once (audited, and shown
    /// among the merged pairs for the coordinator to split); the others
    /// wait for review.
    pub async fn find_same_facilities(
        &self,
        actor: &Actor,
        ctx: &RequestContext,
        clock: &dyn Clock,
    ) -> Result<MatchRun, DirectoryError> {
        if !actor.role().may(Permission::CurateDirectory) {
            return Err(DirectoryError::Forbidden);
        }
        // The operator at the command line matches every prefecture.
        let mine = match actor {
            Actor::Cli { .. } => None,
            Actor::User(_) => self
                .region_resources(actor)
                .await?
                .map(|r| r.municipalities),
        };
        let mut prefectures = store::prefectures_to_match(&self.db).await?;
        if let Some(m) = &mine {
            prefectures.retain(|p| m.iter().any(|code| code.starts_with(p.as_str())));
        }
        let mut run = MatchRun {
            prefectures: prefectures.len(),
            ..MatchRun::default()
        };
        // Read and compared first, one prefecture at a time; written
        // together, stamped when written, so a server's index that looks
        // meanwhile sees every merge at its next look.
        let mut found: Vec<(Match, bool)> = Vec::new();
        for prefecture in &prefectures {
            let rows = store::match_rows(&self.db, prefecture).await?;
            run.entries_compared += rows.len();
            // The rows in the coordinator's municipalities (all for the
            // operator).
            let mine_here: Option<std::collections::HashSet<EntryId>> = mine.as_ref().map(|m| {
                rows.iter()
                    .filter(|r| m.contains(&r.municipality_code))
                    .map(|r| r.id)
                    .collect()
            });
            let in_scope = |id: EntryId| mine_here.as_ref().is_none_or(|ids| ids.contains(&id));
            for m in find_matches(&rows) {
                let (a, b) = (in_scope(m.a), in_scope(m.b));
                if a || b {
                    // A coordinator's run merges by itself only what is
                    // wholly in the region; a pair across its border waits.
                    found.push((m, a && b));
                }
            }
        }
        let facts = store::keep_facts(
            &self.db,
            &found
                .iter()
                .flat_map(|(m, _)| [m.a, m.b])
                .collect::<Vec<_>>(),
        )
        .await?;
        let now = clock.now();
        let mut tx = self.db.begin().await?;
        // An entry merged in this run is not merged again through another
        // pair (the next run compares its keeper).
        let mut merged_now: Vec<EntryId> = Vec::new();
        let mut touched = Vec::new();
        for (m, may_merge) in &found {
            let (pair_id, status) = store::record_match(&mut tx, m, now).await?;
            if PairStatus::parse(&status) != Some(PairStatus::Proposed) {
                run.decided_before += 1;
                continue;
            }
            let free = !merged_now.contains(&m.a) && !merged_now.contains(&m.b);
            let (Some(fa), Some(fb)) = (facts.get(&m.a), facts.get(&m.b)) else {
                continue;
            };
            if m.confidence < MERGE_AUTOMATICALLY_AT || !free || !may_merge {
                run.proposed += 1;
                continue;
            }
            let keep = keep_of(fa, fb);
            let merged = if keep == m.a { m.b } else { m.a };
            if !store::merge_entries(&mut tx, pair_id, keep, merged, None, now).await? {
                continue;
            }
            audit::append(
                &mut tx,
                &actor_audit_entry(
                    actor,
                    ctx,
                    "directory.merge",
                    "directory_entry",
                    &keep.to_string(),
                    format!(
                        "automatic: merged entry {merged} (pair {pair_id}, confidence {}, {})",
                        m.confidence,
                        m.evidence_codes()
                    ),
                ),
            )
            .await?;
            merged_now.push(merged);
            touched.extend([keep, merged]);
            run.merged_automatically += 1;
        }
        audit::append(
            &mut tx,
            &actor_audit_entry(
                actor,
                ctx,
                "directory.match_run",
                "directory",
                "same_facility",
                format!(
                    "{} prefectures, {} entries, {} proposed, {} merged automatically",
                    run.prefectures, run.entries_compared, run.proposed, run.merged_automatically
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        for id in touched {
            self.reindex(id).await;
        }
        Ok(run)
    }

    /// The pairs waiting for the coordinator and those merged, in the
    /// coordinator's region.
    pub async fn same_facility_review(&self, actor: &Actor) -> Result<Review, DirectoryError> {
        let p = principal(actor)?;
        if !p.role.may(Permission::CurateDirectory) {
            return Err(DirectoryError::Forbidden);
        }
        let region = p.region_scope();
        let proposed =
            store::same_facility_pairs(&self.db, region, PairStatus::Proposed.code(), REVIEW_LIMIT)
                .await?;
        let merged =
            store::same_facility_pairs(&self.db, region, PairStatus::Merged.code(), REVIEW_LIMIT)
                .await?;
        Ok(Review {
            proposed: self.pairs(proposed).await?,
            merged: self.pairs(merged).await?,
        })
    }

    async fn pairs(&self, rows: Vec<store::PairRow>) -> Result<Vec<Pair>, DirectoryError> {
        let ids: Vec<EntryId> = rows.iter().flat_map(|r| [r.entry_a, r.entry_b]).collect();
        let mut sides = store::pair_sides(&self.db, &ids).await?;
        let facts = store::keep_facts(&self.db, &ids).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let (Some(a), Some(b)) = (
                sides.get(&r.entry_a).cloned(),
                sides.get(&r.entry_b).cloned(),
            ) else {
                continue;
            };
            let status = PairStatus::parse(&r.status).unwrap_or(PairStatus::Proposed);
            let keep = if a.merged_into == Some(b.id) {
                b.id
            } else if b.merged_into == Some(a.id) {
                a.id
            } else {
                match (facts.get(&a.id), facts.get(&b.id)) {
                    (Some(fa), Some(fb)) => keep_of(fa, fb),
                    _ => a.id,
                }
            };
            out.push(Pair {
                id: r.id,
                a: side(a),
                b: side(b),
                confidence: r.confidence.clamp(0, 100) as u8,
                evidence: r.evidence.split(',').filter_map(Evidence::parse).collect(),
                status,
                found_at: r.found_at,
                decided_at: r.decided_at,
                decided_by_name: r.decided_by_name,
                keep,
            });
        }
        sides.clear();
        Ok(out)
    }

    /// A pair the coordinator may decide: in their region (either entry
    /// curated by them), in the given status.
    async fn decidable_pair(
        &self,
        actor: &Actor,
        pair_id: SameFacilityPairId,
        status: PairStatus,
    ) -> Result<store::PairRow, DirectoryError> {
        let p = principal(actor)?;
        if !p.role.may(Permission::CurateDirectory) {
            return Err(DirectoryError::Forbidden);
        }
        let pair = store::same_facility_pair(&self.db, pair_id)
            .await?
            .ok_or(DirectoryError::NotFound)?;
        if !(self.curates(p, pair.entry_a).await? && self.curates(p, pair.entry_b).await?) {
            return Err(DirectoryError::Forbidden);
        }
        if PairStatus::parse(&pair.status) != Some(status) {
            return Err(DirectoryError::Conflict(format!(
                "the pair is {} already",
                pair.status
            )));
        }
        Ok(pair)
    }

    /// Merges a proposed pair: `keep` stays listed, the other is listed
    /// only through it. Audited.
    pub async fn merge_pair(
        &self,
        actor: &Actor,
        pair_id: SameFacilityPairId,
        keep: EntryId,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<(), DirectoryError> {
        let pair = self
            .decidable_pair(actor, pair_id, PairStatus::Proposed)
            .await?;
        let merged = if keep == pair.entry_a {
            pair.entry_b
        } else if keep == pair.entry_b {
            pair.entry_a
        } else {
            return Err(DirectoryError::Conflict(
                "the entry kept must be one of the pair".into(),
            ));
        };
        let p = principal(actor)?;
        let mut tx = self.db.begin().await?;
        // Both still listed (neither merged elsewhere nor gone since the
        // pair was found), and the pair still waiting: else a colleague or
        // an import decided first.
        let both_listed =
            store::listed(&mut tx, keep).await? && store::listed(&mut tx, merged).await?;
        if !both_listed
            || !store::merge_entries(&mut tx, pair_id, keep, merged, Some(p.user_id), now).await?
        {
            return Err(DirectoryError::Conflict(
                "the pair's entries changed since it was found".into(),
            ));
        }
        audit::append(
            &mut tx,
            &actor_audit_entry(
                actor,
                ctx,
                "directory.merge",
                "directory_entry",
                &keep.to_string(),
                format!(
                    "merged entry {merged} (pair {pair_id}, confidence {}, {})",
                    pair.confidence, pair.evidence
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        self.reindex(keep).await;
        self.reindex(merged).await;
        Ok(())
    }

    /// Records that a proposed pair is two facilities; it is not proposed
    /// again. Audited.
    pub async fn reject_pair(
        &self,
        actor: &Actor,
        pair_id: SameFacilityPairId,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<(), DirectoryError> {
        let pair = self
            .decidable_pair(actor, pair_id, PairStatus::Proposed)
            .await?;
        let p = principal(actor)?;
        let mut tx = self.db.begin().await?;
        if !store::reject_match(&mut tx, pair_id, p.user_id, now).await? {
            return Err(DirectoryError::Conflict(
                "the pair was decided already".into(),
            ));
        }
        audit::append(
            &mut tx,
            &actor_audit_entry(
                actor,
                ctx,
                "directory.match_rejected",
                "directory_entry",
                &pair.entry_a.to_string(),
                format!(
                    "not the same facility as entry {} (pair {pair_id})",
                    pair.entry_b
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Splits a merged pair: the merged entry is listed on its own again.
    /// Audited.
    pub async fn split_pair(
        &self,
        actor: &Actor,
        pair_id: SameFacilityPairId,
        ctx: &RequestContext,
        now: Timestamp,
    ) -> Result<(), DirectoryError> {
        let pair = self
            .decidable_pair(actor, pair_id, PairStatus::Merged)
            .await?;
        let sides = store::pair_sides(&self.db, &[pair.entry_a, pair.entry_b]).await?;
        let merged_into = |id: EntryId| sides.get(&id).and_then(|s| s.merged_into);
        // The merged side is the one listed through the other; after a
        // later merge moved it on, this pair is no longer the one to split.
        let (merged, kept) = if merged_into(pair.entry_a) == Some(pair.entry_b) {
            (pair.entry_a, pair.entry_b)
        } else if merged_into(pair.entry_b) == Some(pair.entry_a) {
            (pair.entry_b, pair.entry_a)
        } else {
            return Err(DirectoryError::Conflict(
                "the entries were merged further; split the later merge first".into(),
            ));
        };
        let p = principal(actor)?;
        let mut tx = self.db.begin().await?;
        if !store::split_entry(&mut tx, pair_id, merged, kept, p.user_id, now).await? {
            return Err(DirectoryError::Conflict(
                "the pair was split already".into(),
            ));
        }
        audit::append(
            &mut tx,
            &actor_audit_entry(
                actor,
                ctx,
                "directory.split",
                "directory_entry",
                &kept.to_string(),
                format!("entry {merged} listed on its own again (pair {pair_id})"),
            ),
        )
        .await?;
        tx.commit().await?;
        self.reindex(kept).await;
        self.reindex(merged).await;
        Ok(())
    }
}

fn side(r: store::PairSideRow) -> PairSide {
    PairSide {
        id: r.id,
        source: r.source,
        official_code: r.official_code,
        kind: r.kind,
        name: r.name,
        address: r.address,
        phone: r.phone,
        municipality_name: r.municipality_name,
        corporate_number: r.corporate_number,
        merged_into: r.merged_into,
    }
}
