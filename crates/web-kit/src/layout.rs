//! The page frame every screen shares, and small page templates that belong
//! to no capability (errors).

use askama::Template;

use crate::auth::{AuthState, PageCtx};
use crate::i18n::Lang;

/// One entry of the main menu.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What the base template needs.
#[derive(Debug, Clone)]
pub struct Layout {
    pub lang: &'static str,
    pub other_lang: &'static str,
    pub title: String,
    pub csrf: String,
    pub demo: bool,
    /// Shown in the header when someone is signed in (or half-way).
    pub user_name: Option<String>,
    pub user_role: String,
    pub has_session: bool,
    pub nav: Vec<NavItem>,
    pub path: String,
    /// A one-line notice shown above the content.
    pub flash: Option<(&'static str, String)>,
}

impl Layout {
    pub fn new(ctx: &PageCtx, title: &str) -> Self {
        let lang_code = ctx.lang.code();
        let (user_name, user_role, nav) = match &ctx.auth {
            AuthState::Active(p) => {
                // Home first, then every registered capability's entries
                // this user may use, in their declared order.
                let mut nav = vec![NavItem {
                    href: "/",
                    label: ctx.lang.tr("ホーム", "Home"),
                    current: ctx.path == "/",
                }];
                let mut entries: Vec<_> = ctx.nav.iter().filter(|e| (e.shown_to)(p)).collect();
                entries.sort_by_key(|e| e.order);
                nav.extend(entries.into_iter().map(|e| NavItem {
                    href: e.href,
                    label: e.label(ctx.lang),
                    current: ctx.path.starts_with(e.href),
                }));
                (
                    Some(p.display_name.clone()),
                    p.role.label(lang_code).to_string(),
                    nav,
                )
            }
            AuthState::Pending { user, .. } => (
                Some(user.display_name.clone()),
                user.role.label(lang_code).to_string(),
                vec![],
            ),
            AuthState::Anonymous { .. } => (None, String::new(), vec![]),
        };
        Layout {
            lang: lang_code,
            other_lang: ctx.lang.other().code(),
            title: title.to_string(),
            csrf: ctx.csrf.clone(),
            demo: ctx.demo,
            has_session: ctx.session_token.is_some() && user_name.is_some(),
            user_name,
            user_role,
            nav,
            path: ctx.path.clone(),
            flash: None,
        }
    }

    /// The text in the page's language, for templates:
    /// `{{ l.tr("日本語", "English") }}` (see [`Lang::tr`]).
    pub fn tr<'a>(&self, ja: &'a str, en: &'a str) -> &'a str {
        Lang::from_code(self.lang).unwrap_or_default().tr(ja, en)
    }

    pub fn with_flash(mut self, kind: &'static str, message: impl Into<String>) -> Self {
        self.flash = Some((kind, message.into()));
        self
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub l: Layout,
    pub status: u16,
    pub message: &'static str,
    /// The field messages of a refused form, in the page's language.
    pub details: Vec<String>,
}
