//! The national list of municipalities (全国地方公共団体コード, 市区町村):
//! 1,741 cities, special wards, towns and villages with their 6-digit codes
//! (`data/municipalities.csv`, its source in `data/README.md`). Imports
//! name the municipality of a code the national medical files give without
//! a name, and place an entry whose file gives no code by its address.

use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;

/// One municipality of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Municipality {
    /// 6 digits, check digit included (`131016`).
    pub code: String,
    /// 都道府県名 (`東京都`).
    pub prefecture: String,
    /// 市区町村名 without its 郡 (`千代田区`, `奥多摩町`).
    pub name: String,
    /// Full-width katakana (`チヨダク`).
    pub kana: String,
}

const LIST_CSV: &str = include_str!("../data/municipalities.csv");

/// In code order (the file's order, checked by a test).
static LIST: LazyLock<Vec<Municipality>> = LazyLock::new(|| {
    LIST_CSV
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut cells = line.split(',');
            Some(Municipality {
                code: cells.next()?.to_string(),
                prefecture: cells.next()?.to_string(),
                name: cells.next()?.to_string(),
                kana: cells.next().unwrap_or_default().to_string(),
            })
        })
        .collect()
});

/// Every municipality of the list.
pub fn all() -> &'static [Municipality] {
    &LIST
}

/// The municipality of a 6-digit code. A ward of a designated city (札幌市
/// 中央区 011011), which the list does not hold, is its city's: the
/// nearest code below it in the same prefecture, when that is a city
/// fewer than 30 numbers away.
pub fn by_code(code: &str) -> Option<&'static Municipality> {
    let list = all();
    match list.binary_search_by(|m| m.code.as_str().cmp(code)) {
        Ok(i) => Some(&list[i]),
        Err(0) => None,
        Err(i) => {
            let city = &list[i - 1];
            let five = |c: &str| c.get(..5).and_then(|d| d.parse::<u32>().ok());
            let (Some(ward), Some(parent)) = (five(code), five(&city.code)) else {
                return None;
            };
            (city.code[..2] == code[..2.min(code.len())]
                && city.name.ends_with('市')
                && ward - parent < 30)
                .then_some(city)
        }
    }
}

/// The municipality an address lies in, read from its start: an optional
/// 都道府県名, an optional 郡, then the longest 市区町村名 of the list.
/// `prefecture` (2 digits) narrows the search when the address does not
/// name one. `None` when nothing fits, or when a name without its
/// prefecture fits several (府中市 is in 東京都 and 広島県).
pub fn from_address(address: &str, prefecture: Option<&str>) -> Option<&'static Municipality> {
    let text: String = address.nfkc().filter(|c| !c.is_whitespace()).collect();
    let list = all();
    let named = list
        .iter()
        .filter(|m| text.starts_with(m.prefecture.as_str()))
        .map(|m| m.prefecture.as_str())
        .max_by_key(|p| p.len());
    let (rest, prefecture_code) = match named {
        Some(p) => (
            &text[p.len()..],
            list.iter()
                .find(|m| m.prefecture == p)
                .map(|m| &m.code[..2]),
        ),
        None => (text.as_str(), prefecture),
    };
    let candidates = |rest: &str| -> Vec<&'static Municipality> {
        let mut found: Vec<&Municipality> = list
            .iter()
            .filter(|m| prefecture_code.is_none_or(|p| m.code.starts_with(p)))
            .filter(|m| rest.starts_with(m.name.as_str()))
            .collect();
        // The longest name only (北広島市 before 広島市 cannot both start
        // the same text, but 市川三郷町 and 市川市 can).
        let longest = found.iter().map(|m| m.name.len()).max().unwrap_or(0);
        found.retain(|m| m.name.len() == longest);
        found
    };
    let mut found = candidates(rest);
    if found.is_empty() {
        // 西多摩郡奥多摩町: the list names the town without its 郡.
        if let Some(i) = rest.find('郡').filter(|i| rest[..*i].chars().count() <= 5) {
            found = candidates(&rest[i + '郡'.len_utf8()..]);
        }
    }
    match found.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LocalGovernmentCode;

    #[test]
    fn the_list_is_whole_ordered_and_its_check_digits_hold() {
        let list = all();
        assert_eq!(list.len(), 1741);
        assert!(list.windows(2).all(|w| w[0].code < w[1].code));
        for m in list {
            assert_eq!(
                LocalGovernmentCode::parse(&m.code).map(|c| c.as_str().to_string()),
                Ok(m.code.clone()),
                "{}",
                m.name
            );
        }
    }

    #[test]
    fn codes_name_their_municipality_and_wards_their_city() {
        assert_eq!(by_code("131016").map(|m| m.name.as_str()), Some("千代田区"));
        assert_eq!(by_code("011011").map(|m| m.name.as_str()), Some("札幌市"));
        assert_eq!(by_code("271284").map(|m| m.name.as_str()), Some("大阪市"));
        assert_eq!(by_code("999999"), None);
        assert_eq!(by_code("010006"), None, "a prefecture is no municipality");
    }

    #[test]
    fn addresses_find_their_municipality() {
        let code = |a: &str, p: Option<&str>| from_address(a, p).map(|m| m.code.as_str());
        assert_eq!(code("東京都千代田区丸の内1-1", None), Some("131016"));
        assert_eq!(code("千代田区丸の内1-1", None), Some("131016"));
        assert_eq!(code("北海道札幌市中央区北1条西2丁目", None), Some("011002"));
        assert_eq!(code("東京都西多摩郡奥多摩町氷川", None), Some("133086"));
        assert_eq!(code("府中市宮西町2-24", None), None, "in two prefectures");
        assert_eq!(code("府中市宮西町2-24", Some("13")), Some("132063"));
        assert_eq!(code("広島県府中市府川町315", None), Some("342084"));
        assert_eq!(code("どこか", None), None);
    }
}
