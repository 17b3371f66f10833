//! Notification settings and the daily digest of unread posts.

use super::*;

impl Care {
    /// The user's own e-mail address ("" when none): notifications need one.
    pub async fn email_of(&self, p: &Principal) -> Result<String, CareError> {
        Ok(store::user_email(&self.db, p.user_id).await?)
    }

    pub async fn preferences(&self, p: &Principal) -> Result<Preferences, CareError> {
        Ok(store::preferences(&self.db, p.user_id).await?)
    }

    pub async fn set_preferences(
        &self,
        p: &Principal,
        ctx: &RequestContext,
        prefs: Preferences,
    ) -> Result<(), CareError> {
        let mut tx = self.db.begin().await?;
        store::set_preferences(&mut tx, p.user_id, prefs).await?;
        let mut e = audit_entry(p, ctx, "notification.preferences", "user", p.user_id);
        e.reason = format!(
            "urgent={} digest={}",
            prefs.email_urgent, prefs.email_digest
        );
        audit::append(&mut tx, &e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sends the daily digest to everyone who wants it and has unread posts:
    /// the number of unread posts and a link, nothing about any patient. Not
    /// repeated within 20 hours.
    pub async fn send_digests(&self, now: Timestamp) -> Result<DigestRun, CareError> {
        let mut run = DigestRun::default();
        let candidates = store::digest_candidates(&self.db, now.plus_seconds(-20 * 3600)).await?;
        for r in candidates {
            let spaces = store::my_spaces(&self.db, r.user_id).await?;
            let unread: i64 = spaces
                .iter()
                .filter(|s| s.status == MemberStatus::Active)
                .map(|s| s.unread)
                .sum();
            if unread == 0 {
                run.nothing_unread += 1;
                continue;
            }
            let mail = Mail {
                to: r.email.clone(),
                subject: format!("【Renkei】未読の投稿が {unread} 件あります / {unread} unread posts"),
                body: format!(
                    "担当チームに未読の投稿が {unread} 件あります。\nYou have {unread} unread posts in your teams.\n\n{}/patients\n",
                    self.config.public_url
                ),
            };
            match self.mailer.send(mail).await {
                Ok(()) => {
                    let mut tx = self.db.begin().await?;
                    store::record_digest(&mut tx, r.user_id, now).await?;
                    tx.commit().await?;
                    run.sent += 1;
                }
                Err(e) => {
                    tracing::warn!(error = %e, user = %r.user_id, "digest not sent");
                    run.failed += 1;
                }
            }
        }
        Ok(run)
    }
}
