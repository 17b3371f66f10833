//! Japanese text folding for search and matching.
//!
//! Names and addresses arrive in every width and kana form: ｶﾀｶﾅ, カタカナ,
//! ひらがな, full-width ＡＢＣ１２３. Search must ignore those differences, so
//! both the indexed text and the query pass through [`fold`]: NFKC (width,
//! compatibility characters such as ㈱), then katakana to hiragana, then
//! lower case, with spaces removed; variant kanji (異体字: 髙, 﨑, 濱 …) become
//! their standard forms.

use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;

/// The 異体字 table `fold` uses (`data/itaiji.csv`: variant, standard).
/// What was folded with one table must be folded again when it changes
/// (the directory's saved search index is checked against it).
pub const VARIANTS_CSV: &str = include_str!("../data/itaiji.csv");

/// 異体字: variant kanji that names are written with and searched without
/// (髙橋 is found by 高橋), as data (`data/itaiji.csv`: variant, standard).
static VARIANTS: LazyLock<Vec<(char, char)>> = LazyLock::new(|| {
    let mut pairs: Vec<(char, char)> = VARIANTS_CSV
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut cells = line.split(',');
            let variant = cells.next()?.chars().next()?;
            let standard = cells.next()?.chars().next()?;
            Some((variant, standard))
        })
        .collect();
    pairs.sort_unstable();
    pairs
});

/// The standard form of a variant kanji, or the character itself.
fn standard_kanji(c: char) -> char {
    VARIANTS
        .binary_search_by_key(&c, |(v, _)| *v)
        .map(|i| VARIANTS[i].1)
        .unwrap_or(c)
}

/// The search key of `s`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // Most stored text is NFKC already (the quick check says so without
    // normalizing): then its characters are folded as they are, which
    // makes a search's verification of a candidate about twice as fast.
    if unicode_normalization::is_nfkc_quick(s.chars()) == unicode_normalization::IsNormalized::Yes {
        fold_into(s.chars(), &mut out);
    } else {
        fold_into(s.nfkc(), &mut out);
    }
    out
}

fn fold_into(chars: impl Iterator<Item = char>, out: &mut String) {
    for c in chars
        .filter(|c| !c.is_whitespace() && *c != '・' && *c != '･')
        .map(katakana_to_hiragana)
    {
        // Kana, kanji and ASCII need no case table: this is the hot path of
        // search verification.
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if ('\u{3040}'..='\u{4dff}').contains(&c) {
            out.push(c);
        } else if ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{f900}'..='\u{faff}').contains(&c) {
            out.push(standard_kanji(c));
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

/// ァ (U+30A1) … ヶ (U+30F6) map to ぁ (U+3041) … ゖ (U+3096); ー and the
/// rest stay as they are.
fn katakana_to_hiragana(c: char) -> char {
    match c {
        '\u{30A1}'..='\u{30F6}' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
        other => other,
    }
}

/// A kana name as JP Core writes it (SYL representation): full-width
/// katakana (half-width ｶﾀｶﾅ and ひらがな converted) with the parts
/// separated by one half-width space, whatever spaces were typed.
pub fn katakana_name(s: &str) -> String {
    s.nfkc()
        .map(hiragana_to_katakana)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// ぁ (U+3041) … ゖ (U+3096) map to ァ (U+30A1) … ヶ (U+30F6); ゝゞ to ヽヾ.
fn hiragana_to_katakana(c: char) -> char {
    match c {
        '\u{3041}'..='\u{3096}' | '\u{309D}'..='\u{309E}' => {
            char::from_u32(c as u32 + 0x60).unwrap_or(c)
        }
        other => other,
    }
}

/// NFKC only (for storing official codes and numbers typed in full width).
pub fn nfkc(s: &str) -> String {
    // Most cells (codes, times, names already in standard form) are
    // normalised as they are: a quick check saves composing them again.
    if unicode_normalization::is_nfkc_quick(s.chars()) == unicode_normalization::IsNormalized::Yes {
        return s.trim().to_string();
    }
    s.nfkc().collect::<String>().trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_kanji_fold_to_their_standard_forms() {
        assert_eq!(fold("髙橋内科"), fold("高橋内科"));
        assert_eq!(fold("山﨑クリニック"), fold("山崎くりにっく"));
        assert_eq!(fold("濱田"), "浜田");
        assert_eq!(fold("齋藤"), "斎藤");
        // Every line of the data is a pair of distinct single characters.
        for line in VARIANTS_CSV.lines().skip(1) {
            let cells: Vec<&str> = line.split(',').collect();
            assert!(
                cells.len() >= 2
                    && cells[0].chars().count() == 1
                    && cells[1].chars().count() == 1
                    && cells[0] != cells[1],
                "{line}"
            );
        }
    }

    #[test]
    fn kana_names_become_full_width_katakana_with_one_space() {
        assert_eq!(katakana_name("やまだ　たろう"), "ヤマダ タロウ");
        assert_eq!(katakana_name("ﾔﾏﾀﾞ  ﾀﾛｳ"), "ヤマダ タロウ");
        assert_eq!(katakana_name(" サトウ ハナコ "), "サトウ ハナコ");
        assert_eq!(katakana_name("こーひー"), "コーヒー");
    }

    #[test]
    fn width_and_kana_differences_vanish() {
        assert_eq!(fold("ﾎｳﾓﾝｶﾝｺﾞ"), fold("ほうもんかんご"));
        assert_eq!(fold("ホウモンカンゴ"), fold("ほうもんかんご"));
        assert_eq!(fold("ＡＢＣ訪問看護 １２３"), "abc訪問看護123");
        assert_eq!(fold("ケア・プラン"), fold("けあぷらん"));
        assert_eq!(fold("㈱みどり"), fold("(株)みどり"));
    }

    #[test]
    fn nfkc_folds_full_width_digits() {
        assert_eq!(nfkc(" １３１０１ "), "13101");
        assert_eq!(nfkc("ｱｵﾊﾞ ① 9:00"), "アオバ 1 9:00");
        assert_eq!(nfkc(" 青葉クリニック "), "青葉クリニック");
    }
}

/// A CSV cell that a spreadsheet will show as text, never run as a formula
/// (CSV / formula injection, OWASP). Cells beginning with `=`, `+`, `-`, `@`,
/// a tab or a carriage return get a leading apostrophe, which Excel and
/// LibreOffice hide and treat as "this is text". Plain numbers such as
/// `-3.5` or `+81` are left alone: they cannot carry a formula.
pub fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let Some(first) = cell.chars().next() else {
        return std::borrow::Cow::Borrowed(cell);
    };
    if !matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r') {
        return std::borrow::Cow::Borrowed(cell);
    }
    let rest = &cell[first.len_utf8()..];
    let number = matches!(first, '+' | '-')
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        && rest.chars().any(|c| c.is_ascii_digit());
    if number {
        std::borrow::Cow::Borrowed(cell)
    } else {
        std::borrow::Cow::Owned(format!("'{cell}"))
    }
}

#[cfg(test)]
mod csv_safe_tests {
    use super::csv_safe;

    #[test]
    fn formulas_become_text_and_numbers_stay() {
        for bad in [
            "=HYPERLINK(\"http://x\",\"a\")",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "-",
            "=1",
            "=第一",
            "-ー",
        ] {
            assert!(csv_safe(bad).starts_with('\''), "{bad:?}");
        }
        for good in ["-3.5", "+81", "山田", "第一診療所", "", "1-2-3", "a=b", "0"] {
            assert_eq!(csv_safe(good), good, "{good:?}");
        }
    }
}

/// Text as XML/HTML element or attribute content: `&`, `<`, `>` and `"`
/// escaped (SVG charts, FHIR narrative).
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
