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
        }
    }
}

/// Keeps the last path component, without control characters, at most 120
/// characters: a name to show, never a path to use.
pub fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(120).collect();
    if cleaned.trim().is_empty() {
        "attachment".into()
    } else {
        cleaned
    }
}

/// Checks an upload by content and makes its thumbnail.
pub fn check(
    filename: &str,
    data: Vec<u8>,
    max_bytes: usize,
) -> Result<CheckedUpload, UploadError> {
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
    let thumbnail = match format {
        Some(format) => Some(thumbnail(&data, format).ok_or(UploadError::Broken)?),
        None => None,
    };
    let sha256 = hex::encode(Sha256::digest(&data));
    Ok(CheckedUpload {
        media_type,
        sha256,
        filename: clean_filename(filename),
        data,
        thumbnail,
    })
}

fn thumbnail(data: &[u8], format: ImageFormat) -> Option<Vec<u8>> {
    let mut reader = ImageReader::with_format(Cursor::new(data), format);
    // A small file can claim an enormous canvas; refuse to allocate for it.
    let mut limits = Limits::default();
    limits.max_image_width = Some(12_000);
    limits.max_image_height = Some(12_000);
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
