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

    /// E-mails the patient's active team members in `roles` a notice from
    /// another capability (transitions: the discharge day was told): the
    /// subject and text it gives, and a link into Renkei, never patient
    /// content. Those who turned time-critical mail off, or have no
    /// address, are not mailed; a failure is logged, not raised, because
    /// the notice is also on the home page. Returns at once.
    pub fn notify_team(
        &self,
        space_id: SpaceId,
        roles: &'static [TeamRole],
        except: UserId,
        notice: TeamNotice,
    ) {
        let db = self.db.clone();
        let mailer = self.mailer.clone();
        let link = format!("{}{}", self.config.public_url, notice.path);
        tokio::spawn(async move {
            let recipients = match store::role_recipients(&db, space_id, roles, except).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "notice recipients");
                    return;
                }
            };
            for r in recipients {
                let mail = Mail {
                    to: r.email.clone(),
                    subject: format!("【Renkei】{}", notice.subject),
                    body: format!("{}\n\n{link}\n", notice.text),
                };
                if let Err(e) = mailer.send(mail).await {
                    tracing::warn!(error = %e, user = %r.user_id, "team notice not sent");
                }
            }
        });
    }
}

/// A notice another capability sends a patient's team by e-mail
/// ([`Care::notify_team`]): no patient content, only what happened and
/// where to look.
#[derive(Debug, Clone)]
pub struct TeamNotice {
    pub subject: String,
    pub text: String,
    /// The path in Renkei the link opens (`/stays/12`).
    pub path: String,
}
