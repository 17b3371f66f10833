//! Official codes and their check digits (DOMAIN.md §8).

use serde::{Deserialize, Serialize};

/// 全国地方公共団体コード: five digits plus a check digit.
///
/// The check digit is `(11 − (6·d1 + 5·d2 + 4·d3 + 3·d4 + 2·d5) mod 11) mod 10`.
/// We always store the six-digit form so that a typo in any digit is caught
/// at the door rather than in a report months later.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LocalGovernmentCode(String);

/// Why a local-government code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("code must be 5 or 6 ASCII digits, got {0:?}")]
    Shape(String),
    #[error("check digit of {code} should be {expected}")]
    CheckDigit { code: String, expected: u8 },
}

impl LocalGovernmentCode {
    /// Computes the check digit for the first five digits.
    pub fn check_digit(five: &[u8; 5]) -> u8 {
        let weights = [6u32, 5, 4, 3, 2];
        let sum: u32 = five
            .iter()
            .zip(weights)
            .map(|(d, w)| u32::from(*d) * w)
            .sum();
        ((11 - sum % 11) % 10) as u8
    }

    /// Accepts the six-digit form (check digit verified) or the five-digit
    /// form (check digit appended). Full-width digits are folded first
    /// because government spreadsheets often carry them.
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let folded: String = input.trim().chars().map(fold_fullwidth_digit).collect();
        let digits: Vec<u8> = folded
            .chars()
            .map(|c| c.to_digit(10).map(|d| d as u8))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| CodeError::Shape(input.to_string()))?;
        if digits.len() != 5 && digits.len() != 6 {
            return Err(CodeError::Shape(input.to_string()));
        }
        let five: [u8; 5] = [digits[0], digits[1], digits[2], digits[3], digits[4]];
        let expected = Self::check_digit(&five);
        if digits.len() == 6 && digits[5] != expected {
            return Err(CodeError::CheckDigit {
                code: folded,
                expected,
            });
        }
        let mut code: String = five.iter().map(|d| char::from(b'0' + d)).collect();
        code.push(char::from(b'0' + expected));
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two-digit prefecture number (都道府県コード).
    pub fn prefecture(&self) -> &str {
        &self.0[..2]
    }
}

impl TryFrom<String> for LocalGovernmentCode {
    type Error = CodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<LocalGovernmentCode> for String {
    fn from(value: LocalGovernmentCode) -> Self {
        value.0
    }
}

impl std::fmt::Display for LocalGovernmentCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Folds a full-width digit (０–９) to its ASCII form and leaves others alone.
pub fn fold_fullwidth_digit(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_from_the_design() {
        assert_eq!(
            LocalGovernmentCode::parse("13101").unwrap().as_str(),
            "131016"
        );
        assert_eq!(
            LocalGovernmentCode::parse("13104").unwrap().as_str(),
            "131041"
        );
        assert_eq!(
            LocalGovernmentCode::parse("131130").unwrap().as_str(),
            "131130"
        );
    }

    #[test]
    fn full_width_digits_are_accepted() {
        assert_eq!(
            LocalGovernmentCode::parse("１３１０１").unwrap().as_str(),
            "131016"
        );
    }

    #[test]
    fn wrong_check_digit_is_refused_with_the_expected_digit() {
        let err = LocalGovernmentCode::parse("131017").unwrap_err();
        assert_eq!(
            err,
            CodeError::CheckDigit {
                code: "131017".into(),
                expected: 6
            }
        );
    }

    #[test]
    fn bad_shapes_are_refused() {
        for bad in ["", "1310", "1310166", "13a01", "１３１０"] {
            assert!(
                matches!(LocalGovernmentCode::parse(bad), Err(CodeError::Shape(_))),
                "{bad}"
            );
        }
    }
}
