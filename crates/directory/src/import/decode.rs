//! Government CSVs come as UTF-8, UTF-8 with a BOM, or Shift_JIS (CP932).
//!
//! Files are read as streams: [`detect`] reads a file once to choose the
//! encoding, and [`Decoder`] then hands out UTF-8 text a chunk at a time,
//! so no file is ever held in memory whole.

use std::io::Read;

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

const CHUNK: usize = 64 * 1024;

/// Chooses the encoding of a whole stream. UTF-8 is tried first because
/// valid UTF-8 Japanese text is practically never valid CP932 and vice
/// versa; anything that is not UTF-8 is read as CP932 (encoding_rs's
/// Shift_JIS is the WHATWG one, which includes the NEC and IBM extensions
/// CP932 adds, such as ① and ㈱). Memory: one chunk.
pub fn detect(mut input: impl Read) -> std::io::Result<SourceEncoding> {
    let mut buf = vec![0u8; CHUNK];
    // Bytes of a UTF-8 sequence cut by the chunk boundary (at most 3).
    let mut carry = 0usize;
    let mut first = true;
    loop {
        let n = read_some(&mut input, &mut buf[carry..])?;
        let filled = carry + n;
        let mut data = &buf[..filled];
        if first {
            // Decide on the BOM once at least three bytes (or the end) are here.
            if filled < 3 && n != 0 {
                carry = filled;
                continue;
            }
            first = false;
            if data.starts_with(&[0xEF, 0xBB, 0xBF]) {
                return Ok(SourceEncoding::Utf8Bom);
            }
        }
        if n == 0 {
            // The end: a cut sequence left over is not UTF-8.
            return Ok(if std::str::from_utf8(data).is_ok() {
                SourceEncoding::Utf8
            } else {
                SourceEncoding::ShiftJis
            });
        }
        match std::str::from_utf8(data) {
            Ok(_) => carry = 0,
            Err(e) if e.error_len().is_none() => {
                // An incomplete sequence at the end: keep it for the next read.
                let valid = e.valid_up_to();
                data = &buf[valid..filled];
                carry = data.len();
                buf.copy_within(valid..filled, 0);
            }
            Err(_) => return Ok(SourceEncoding::ShiftJis),
        }
    }
}

fn read_some(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match input.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Turns a byte stream in a known encoding into UTF-8 text, one chunk at a
/// time. Bytes that do not decode become U+FFFD, as a text editor shows them.
pub struct Decoder<R> {
    input: R,
    decoder: encoding_rs::Decoder,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    done: bool,
}

impl<R: Read> Decoder<R> {
    pub fn new(input: R, encoding: SourceEncoding) -> Self {
        let decoder = match encoding {
            SourceEncoding::Utf8 | SourceEncoding::Utf8Bom => {
                encoding_rs::UTF_8.new_decoder_with_bom_removal()
            }
            SourceEncoding::ShiftJis => encoding_rs::SHIFT_JIS.new_decoder_without_bom_handling(),
        };
        Decoder {
            input,
            decoder,
            buf: vec![0u8; CHUNK],
            start: 0,
            end: 0,
            eof: false,
            done: false,
        }
    }

    /// Replaces `out` with the next piece of text; `false` at the end.
    pub fn next_chunk(&mut self, out: &mut String) -> std::io::Result<bool> {
        out.clear();
        loop {
            if self.done {
                return Ok(false);
            }
            if self.start == self.end && !self.eof {
                let n = read_some(&mut self.input, &mut self.buf)?;
                self.start = 0;
                self.end = n;
                self.eof = n == 0;
            }
            let src = &self.buf[self.start..self.end];
            let want = self
                .decoder
                .max_utf8_buffer_length(src.len())
                .unwrap_or(CHUNK * 3)
                .max(16);
            out.reserve(want);
            let (result, read, _) = self.decoder.decode_to_string(src, out, self.eof);
            self.start += read;
            if self.eof && self.start == self.end && result == encoding_rs::CoderResult::InputEmpty
            {
                self.done = true;
            }
            if !out.is_empty() {
                return Ok(true);
            }
        }
    }
}

/// Decodes a whole file held in memory (tests and small inputs).
pub fn decode(bytes: &[u8]) -> (String, SourceEncoding) {
    let encoding = detect(bytes).unwrap_or(SourceEncoding::ShiftJis);
    let mut decoder = Decoder::new(bytes, encoding);
    let mut text = String::new();
    let mut chunk = String::new();
    while let Ok(true) = decoder.next_chunk(&mut chunk) {
        text.push_str(&chunk);
    }
    (text, encoding)
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

    /// A reader that hands out one byte at a time cuts every multi-byte
    /// sequence; detection and decoding must not care.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match (self.0.split_first(), buf.is_empty()) {
                (Some((b, rest)), false) => {
                    buf[0] = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn sequences_cut_by_reads() {
        let text = "緯度,経度\r\n35.1,139.2\r\n";
        assert_eq!(
            detect(Trickle(text.as_bytes())).unwrap(),
            SourceEncoding::Utf8
        );
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(text);
        assert_eq!(detect(Trickle(&sjis)).unwrap(), SourceEncoding::ShiftJis);
        let mut d = Decoder::new(Trickle(&sjis), SourceEncoding::ShiftJis);
        let mut out = String::new();
        let mut chunk = String::new();
        while d.next_chunk(&mut chunk).unwrap() {
            out.push_str(&chunk);
        }
        assert_eq!(out, text);
        // UTF-8 cut after the last byte is not UTF-8.
        assert_eq!(
            detect(&"あ".as_bytes()[..2]).unwrap(),
            SourceEncoding::ShiftJis
        );
        assert_eq!(detect(&b"ab"[..]).unwrap(), SourceEncoding::Utf8);
        assert_eq!(detect(&b""[..]).unwrap(), SourceEncoding::Utf8);
    }
}
