//! Attachments on posts and consent forms: photos of wounds, PDFs of
//! prescriptions and the signed consent form.
//!
//! The type is decided by the bytes, never by the file name or the type the
//! browser claims: an executable renamed to `.jpg` is refused. Images are
//! decoded once (which also proves they are images) to make a thumbnail.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

/// The default largest attachment (10 MB).
pub const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;

/// Longest side of a thumbnail, in pixels.
const THUMBNAIL_SIDE: u32 = 320;

/// Largest canvas one image may declare: 50 million pixels (a 48-megapixel
/// phone photo fits). The declared size is read from the header before
/// anything is decoded, so a small file claiming a huge canvas (a
/// decompression bomb) is refused without allocating for it.
pub const MAX_PIXELS_PER_IMAGE: u64 = 50_000_000;

/// Pixels all images of one request may declare together.
pub const MAX_PIXELS_PER_REQUEST: u64 = 150_000_000;

/// Images decoded at once across the whole process: decoding is CPU-bound
/// and runs on the blocking pool, never on the async runtime.
const DECODES_AT_ONCE: usize = 2;

fn decode_permits() -> std::sync::Arc<tokio::sync::Semaphore> {
    static PERMITS: std::sync::OnceLock<std::sync::Arc<tokio::sync::Semaphore>> =
        std::sync::OnceLock::new();
    PERMITS
        .get_or_init(|| std::sync::Arc::new(tokio::sync::Semaphore::new(DECODES_AT_ONCE)))
        .clone()
}

/// An upload that passed the checks.
#[derive(Debug, Clone)]
pub struct CheckedUpload {
    pub media_type: &'static str,
    pub sha256: String,
    pub filename: String,
    pub data: Vec<u8>,
    /// JPEG thumbnail for images.
    pub thumbnail: Option<Vec<u8>>,
}

/// Why an upload was refused; the messages are for the person uploading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadError {
    Empty,
    TooLarge {
        max_bytes: usize,
    },
    /// The content is not one of the accepted types (whatever its name says).
    NotAllowed {
        detected: String,
    },
    /// It starts like an image but cannot be decoded.
    Broken,
    /// The image declares more pixels than allowed (alone or with the other
    /// images of the request).
    TooManyPixels {
        width: u32,
        height: u32,
    },
}

impl UploadError {
    pub fn message_ja(&self) -> String {
        match self {
            UploadError::Empty => "ファイルが空です。".into(),
            UploadError::TooLarge { max_bytes } => format!(
                "ファイルが大きすぎます（上限 {} MB）。",
                max_bytes / (1024 * 1024)
            ),
            UploadError::NotAllowed { detected } => format!(
                "添付できるのは画像（JPEG・PNG・WebP・GIF）と PDF だけです（このファイルの中身: {detected}）。"
            ),
            UploadError::Broken => "画像ファイルが壊れていて読めません。".into(),
            UploadError::TooManyPixels { width, height } => format!(
                "画像が大きすぎます（{width}×{height} ピクセル）。一度に添付できる画像は合わせて {} 万画素まで、1枚 {} 万画素までです。縮小してから添付してください。",
                MAX_PIXELS_PER_REQUEST / 10_000,
                MAX_PIXELS_PER_IMAGE / 10_000
            ),
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            UploadError::Empty => "The file is empty.".into(),
            UploadError::TooLarge { max_bytes } => format!(
                "The file is too large (limit {} MB).",
                max_bytes / (1024 * 1024)
            ),
            UploadError::NotAllowed { detected } => format!(
                "Only images (JPEG, PNG, WebP, GIF) and PDF can be attached (this file contains: {detected})."
            ),
            UploadError::Broken => "The image is damaged and cannot be read.".into(),
            UploadError::TooManyPixels { width, height } => format!(
                "The image is too large ({width}×{height} pixels): at most {} megapixels each and {} together. Shrink it first.",
                MAX_PIXELS_PER_IMAGE / 1_000_000,
                MAX_PIXELS_PER_REQUEST / 1_000_000
            ),
        }
    }
}

/// Keeps the last path component, without control characters or bidi
/// controls, at most 120 characters: a name to show, never a path to use.
/// (A right-to-left override would show `exe.pdf` for `fdp.exe`.)
pub fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .take(120)
        .collect();
    if cleaned.trim().is_empty() {
        "attachment".into()
    } else {
        cleaned
    }
}

/// Unicode's bidirectional formatting characters (and the zero-width ones
/// that can hide a file's real extension).
fn is_bidi_control(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// An upload whose type and declared size were checked, not yet decoded.
#[derive(Debug)]
pub struct Screened {
    media_type: &'static str,
    format: Option<ImageFormat>,
    /// Declared pixels (0 for PDF).
    pub pixels: u64,
    filename: String,
    data: Vec<u8>,
}

/// Checks an upload by content and makes its thumbnail (synchronously: for
/// tests and tools; the server uses [`check_all`]).
pub fn check(
    filename: &str,
    data: Vec<u8>,
    max_bytes: usize,
) -> Result<CheckedUpload, UploadError> {
    decode(screen(filename, data, max_bytes)?)
}

/// Checks a request's uploads: each by content and declared size, then all
/// images together against [`MAX_PIXELS_PER_REQUEST`], then decodes the
/// images on the blocking pool, at most [`DECODES_AT_ONCE`] at a time in the
/// process. One result per file, in order.
pub async fn check_all(
    files: Vec<(String, Vec<u8>)>,
    max_bytes: usize,
) -> Vec<Result<CheckedUpload, UploadError>> {
    let mut budget = MAX_PIXELS_PER_REQUEST;
    let mut out = Vec::with_capacity(files.len());
    for (name, data) in files {
        let screened = screen(&name, data, max_bytes).and_then(|s| {
            if s.pixels > budget {
                let (width, height) = declared(&s.data, s.format).unwrap_or((0, 0));
                Err(UploadError::TooManyPixels { width, height })
            } else {
                budget -= s.pixels;
                Ok(s)
            }
        });
        let result = match screened {
            Err(e) => Err(e),
            Ok(s) if s.format.is_none() => decode(s),
            Ok(s) => {
                let Ok(permit) = decode_permits().acquire_owned().await else {
                    out.push(Err(UploadError::Broken));
                    continue;
                };
                // The permit goes with the decode: if the request is dropped
                // meanwhile, the slot stays taken until decoding ends.
                tokio::task::spawn_blocking(move || {
                    let _permit = permit;
                    decode(s)
                })
                .await
                .unwrap_or(Err(UploadError::Broken))
            }
        };
        out.push(result);
    }
    out
}

/// The width and height an image declares in its header.
fn declared(data: &[u8], format: Option<ImageFormat>) -> Option<(u32, u32)> {
    ImageReader::with_format(Cursor::new(data), format?)
        .into_dimensions()
        .ok()
}

/// The cheap checks: size, type by content, declared dimensions.
pub fn screen(filename: &str, data: Vec<u8>, max_bytes: usize) -> Result<Screened, UploadError> {
    if data.is_empty() {
        return Err(UploadError::Empty);
    }
    if data.len() > max_bytes {
        return Err(UploadError::TooLarge { max_bytes });
    }
    let detected = infer::get(&data);
    let (media_type, format) = match detected.map(|t| t.mime_type()) {
        Some("image/jpeg") => ("image/jpeg", Some(ImageFormat::Jpeg)),
        Some("image/png") => ("image/png", Some(ImageFormat::Png)),
        Some("image/webp") => ("image/webp", Some(ImageFormat::WebP)),
        Some("image/gif") => ("image/gif", Some(ImageFormat::Gif)),
        Some("application/pdf") => ("application/pdf", None),
        Some(other) => {
            return Err(UploadError::NotAllowed {
                detected: other.to_string(),
            })
        }
        None => {
            return Err(UploadError::NotAllowed {
                detected: "unknown".into(),
            })
        }
    };
    let pixels = match format {
        Some(_) => {
            let (width, height) = declared(&data, format).ok_or(UploadError::Broken)?;
            let pixels = u64::from(width) * u64::from(height);
            if pixels > MAX_PIXELS_PER_IMAGE {
                return Err(UploadError::TooManyPixels { width, height });
            }
            pixels
        }
        None => 0,
    };
    Ok(Screened {
        media_type,
        format,
        pixels,
        filename: clean_filename(filename),
        data,
    })
}

/// The expensive step: decoding (which proves an image is one) and the
/// thumbnail.
fn decode(s: Screened) -> Result<CheckedUpload, UploadError> {
    let thumbnail = match s.format {
        Some(format) => Some(thumbnail(&s.data, format).ok_or(UploadError::Broken)?),
        None => None,
    };
    let sha256 = hex::encode(Sha256::digest(&s.data));
    Ok(CheckedUpload {
        media_type: s.media_type,
        sha256,
        filename: s.filename,
        data: s.data,
        thumbnail,
    })
}

fn thumbnail(data: &[u8], format: ImageFormat) -> Option<Vec<u8>> {
    let mut reader = ImageReader::with_format(Cursor::new(data), format);
    // A small file can claim an enormous canvas; refuse to allocate for it.
    let mut limits = Limits::default();
    limits.max_image_width = Some(16_000);
    limits.max_image_height = Some(16_000);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let image = reader.decode().ok()?;
    let small = image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE).to_rgb8();
    let mut out = Cursor::new(Vec::new());
    small.write_to(&mut out, ImageFormat::Jpeg).ok()?;
    Some(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png() -> Vec<u8> {
        let img = image::RgbImage::from_pixel(400, 200, image::Rgb([200, 40, 40]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    /// A PNG that declares `w`×`h` pixels in a few hundred bytes: one
    /// compressed row of zeros repeated (a decompression bomb).
    fn bomb(w: u32, h: u32) -> Vec<u8> {
        let img = image::GrayImage::new(w, 8);
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        let mut bytes = out.into_inner();
        // Rewrite the declared size in IHDR (width at 16, height at 20) and
        // its CRC (over type and data, at 29), as a crafted file would.
        bytes[16..20].copy_from_slice(&w.to_be_bytes());
        bytes[20..24].copy_from_slice(&h.to_be_bytes());
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        bytes
    }

    /// CRC-32 (IEEE), bit by bit: only for crafting the test file.
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn a_huge_declared_canvas_is_refused_before_decoding() {
        let e = check("bomb.png", bomb(9000, 9000), DEFAULT_MAX_BYTES).unwrap_err();
        assert_eq!(
            e,
            UploadError::TooManyPixels {
                width: 9000,
                height: 9000
            }
        );
        assert!(e.message_ja().contains("9000×9000"));
    }

    #[tokio::test]
    async fn a_request_has_a_pixel_budget() {
        // Four images of 49 MP each: the fourth exceeds the request's budget
        // of 150 MP (the first three, 147 MP, are within it).
        let files: Vec<(String, Vec<u8>)> = (0..4)
            .map(|i| (format!("{i}.png"), bomb(7000, 7000)))
            .collect();
        let results = check_all(files, DEFAULT_MAX_BYTES).await;
        assert_eq!(results.len(), 4);
        assert!(matches!(results[3], Err(UploadError::TooManyPixels { .. })));
        let ok = check_all(vec![("a.png".into(), png())], DEFAULT_MAX_BYTES).await;
        assert!(ok[0].is_ok());
    }

    #[test]
    fn bidi_controls_are_taken_out_of_names() {
        assert_eq!(clean_filename("report\u{202E}fdp.exe"), "reportfdp.exe");
        assert_eq!(clean_filename("a\u{2066}b\u{200F}.pdf"), "ab.pdf");
        assert_eq!(clean_filename("../../etc/処方箋.pdf"), "処方箋.pdf");
    }

    #[test]
    fn images_get_thumbnails() {
        let up = check("傷.png", png(), DEFAULT_MAX_BYTES).unwrap();
        assert_eq!(up.media_type, "image/png");
        let thumb = up.thumbnail.unwrap();
        let t = image::load_from_memory(&thumb).unwrap();
        assert_eq!((t.width(), t.height()), (320, 160));
    }

    #[test]
    fn executables_named_jpg_are_refused() {
        let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
        elf.extend(std::iter::repeat_n(0u8, 64));
        let err = check("photo.jpg", elf, DEFAULT_MAX_BYTES).unwrap_err();
        assert!(matches!(err, UploadError::NotAllowed { .. }), "{err:?}");
        let mut pe = b"MZ\x90\x00".to_vec();
        pe.extend(std::iter::repeat_n(0u8, 64));
        assert!(check("photo.jpg", pe, DEFAULT_MAX_BYTES).is_err());
        let script = b"#!/bin/sh\nrm -rf /\n".to_vec();
        assert!(check("photo.jpg", script, DEFAULT_MAX_BYTES).is_err());
    }

    #[test]
    fn fake_image_header_is_broken() {
        let mut data = b"\x89PNG\r\n\x1a\n".to_vec();
        data.extend(std::iter::repeat_n(7u8, 100));
        assert_eq!(
            check("x.png", data, DEFAULT_MAX_BYTES).unwrap_err(),
            UploadError::Broken
        );
    }

    #[test]
    fn pdf_and_limits() {
        let pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec();
        let up = check("../../同意書.pdf", pdf.clone(), DEFAULT_MAX_BYTES).unwrap();
        assert_eq!(up.media_type, "application/pdf");
        assert_eq!(up.filename, "同意書.pdf");
        assert!(up.thumbnail.is_none());
        assert_eq!(
            check("a.pdf", pdf, 10).unwrap_err(),
            UploadError::TooLarge { max_bytes: 10 }
        );
        assert_eq!(
            check("a.pdf", Vec::new(), 10).unwrap_err(),
            UploadError::Empty
        );
    }
}
