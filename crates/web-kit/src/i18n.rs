//! The UI's language. Its words are not kept here: every capability writes
//! them beside its own markup, Japanese first with English beside it, as
//! `{{ l.tr("日本語", "English") }}` in templates and `lang.tr("日本語",
//! "English")` in Rust; both are required arguments, so no language can lack
//! a text.

/// The language of the UI, chosen by the `renkei_lang` cookie (Japanese by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
    /// The text in this language, from the pair written Japanese first.
    pub fn tr<'a>(self, ja: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }
    /// The other language, for the switch in the header.
    pub fn other(self) -> Lang {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }
}
