//! Government CSVs come as UTF-8, UTF-8 with a BOM, or Shift_JIS (CP932).

/// The encoding a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceEncoding {
    Utf8,
    Utf8Bom,
    ShiftJis,
}

impl SourceEncoding {
    pub fn name(self) -> &'static str {
        match self {
            SourceEncoding::Utf8 => "UTF-8",
            SourceEncoding::Utf8Bom => "UTF-8 (BOM)",
            SourceEncoding::ShiftJis => "Shift_JIS (CP932)",
        }
    }
}

/// Decodes a whole file. UTF-8 is tried first because valid UTF-8 Japanese
/// text is practically never valid CP932 and vice versa; anything that is not
/// UTF-8 is read as CP932 (encoding_rs's Shift_JIS is the WHATWG one, which
/// includes the NEC and IBM extensions CP932 adds, such as ① and ㈱).
pub fn decode(bytes: &[u8]) -> (String, SourceEncoding) {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return (
            String::from_utf8_lossy(rest).into_owned(),
            SourceEncoding::Utf8Bom,
        );
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), SourceEncoding::Utf8),
        Err(_) => {
            let (text, _, _) = encoding_rs::SHIFT_JIS.decode(bytes);
            (text.into_owned(), SourceEncoding::ShiftJis)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_three_encodings() {
        let text = "事業所名,①㈱テスト\n";
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(text);
        assert_eq!(decode(&sjis), (text.to_string(), SourceEncoding::ShiftJis));
        assert_eq!(
            decode(text.as_bytes()),
            (text.to_string(), SourceEncoding::Utf8)
        );
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode(&bom), (text.to_string(), SourceEncoding::Utf8Bom));
    }
}
