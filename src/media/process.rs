//! Turns an uploaded file into the variants the storefront serves. The file's content
//! decides what it is (never its name or declared type): it must decode as JPEG, PNG, WebP
//! or GIF within [`limits`], so a renamed text file, an SVG (which can carry script) or a
//! decompression bomb is refused before any pixel is allocated for it. Decoding and
//! re-encoding also drops every piece of metadata (EXIF with its GPS position, XMP, ICC
//! comments); only the EXIF orientation is applied to the pixels first.
//!
//! CPU-bound: call it from `tokio::task::spawn_blocking`.

use image::{
    codecs::jpeg::JpegEncoder,
    imageops::FilterType,
    DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbImage,
};
use std::io::Cursor;

/// Largest file one upload may carry.
pub const MAX_FILE_BYTES: usize = 15 * 1024 * 1024;
/// Largest side and area of an image we decode (40 megapixels: a full-frame camera's).
pub const MAX_SIDE: u32 = 12_000;
pub const MAX_PIXELS: u64 = 40_000_000;
/// The widths the storefront asks for through `srcset`: a two-column tile on a phone
/// (~180 CSS px at 2x), a desktop tile, the product page on a tablet and on a large
/// screen at 2x. Never above the original: a smaller upload gets its own width as the top.
pub const WIDTHS: [u32; 4] = [320, 640, 1024, 1600];
/// JPEG quality of the fallback files, and WebP quality: about the same to the eye, the
/// WebP about 40 % of the JPEG's size on photos.
const JPEG_QUALITY: u8 = 82;
const WEBP_QUALITY: f32 = 80.0;

/// Why a file was refused, worded for the person who chose it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("is an SVG drawing. Upload a photo as JPEG, PNG, WebP or GIF.")]
    Svg,
    #[error("is a text file, not an image. Upload a JPEG, PNG, WebP or GIF.")]
    Text,
    #[error("is not an image this shop accepts. Upload a JPEG, PNG, WebP or GIF.")]
    NotAnImage,
    #[error("is larger than 15 MB. Upload a smaller file.")]
    TooLarge,
    #[error("has too many pixels ({0}). Upload an image of at most 40 megapixels and 12,000 pixels a side.")]
    TooManyPixels(String),
    #[error("could not be read as an image; it may be damaged.")]
    Damaged,
}

/// One width of a processed image.
#[derive(Debug, Clone)]
pub struct Variant {
    pub width: u32,
    pub height: u32,
    pub jpeg: Vec<u8>,
    pub webp: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Processed {
    /// The size after orientation, before resizing.
    pub width: u32,
    pub height: u32,
    /// Smallest first; the last is the largest.
    pub variants: Vec<Variant>,
}

/// What the decoder may allocate: refuses declared dimensions beyond [`MAX_SIDE`] before
/// reading the pixel data.
pub fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    limits
}

/// The widths to make for an image `original` pixels wide.
pub fn widths_for(original: u32) -> Vec<u32> {
    let top = original.min(*WIDTHS.last().expect("widths"));
    let mut widths: Vec<u32> = WIDTHS.iter().copied().filter(|w| *w < top).collect();
    widths.push(top);
    widths
}

/// Checks, decodes and resizes `bytes` into every width, as JPEG and WebP.
pub fn process(bytes: &[u8]) -> Result<Processed, Refusal> {
    let image = decode(bytes)?;
    let (width, height) = (image.width(), image.height());
    let variants = widths_for(width)
        .into_iter()
        .map(|w| {
            let h = ((u64::from(height) * u64::from(w) + u64::from(width) / 2) / u64::from(width)).max(1) as u32;
            let resized = if w == width { image.clone() } else { image.resize_exact(w, h, FilterType::CatmullRom) };
            encode(&resized)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Processed { width, height, variants })
}

/// Where a square is cut from an image, as the person chose it in the browser: its left
/// and top edges as fractions of the image's width and height, and its side as a fraction
/// of the image's shorter side. Out-of-range values are brought back inside the image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Crop {
    pub left: f64,
    pub top: f64,
    pub size: f64,
}

impl Crop {
    /// The square in pixels (x, y, side) inside a `width` × `height` image.
    pub fn pixels(self, width: u32, height: u32) -> (u32, u32, u32) {
        let finite = |v: f64, default: f64| if v.is_finite() { v } else { default };
        let shorter = width.min(height);
        let side = ((finite(self.size, 1.0).clamp(0.05, 1.0) * f64::from(shorter)).round() as u32).clamp(1, shorter);
        let x = (finite(self.left, 0.0).clamp(0.0, 1.0) * f64::from(width)).round() as u32;
        let y = (finite(self.top, 0.0).clamp(0.0, 1.0) * f64::from(height)).round() as u32;
        (x.min(width - side), y.min(height - side), side)
    }

    /// The largest square in the middle: what a form without script asks for.
    pub fn centre(width: u32, height: u32) -> Self {
        let shorter = f64::from(width.min(height));
        Self { left: (f64::from(width) - shorter) / 2.0 / f64::from(width), top: (f64::from(height) - shorter) / 2.0 / f64::from(height), size: 1.0 }
    }
}

/// The sides of a profile picture's variants.
pub const SQUARE_SIDES: [u32; 2] = [96, 256];

/// Checks and decodes `bytes`, cuts the square `crop` (the middle when `None`) and makes
/// each of [`SQUARE_SIDES`], as JPEG and WebP.
pub fn square(bytes: &[u8], crop: Option<Crop>) -> Result<Processed, Refusal> {
    let image = decode(bytes)?;
    let (width, height) = (image.width(), image.height());
    let (x, y, side) = crop.unwrap_or_else(|| Crop::centre(width, height)).pixels(width, height);
    let cut = image.crop_imm(x, y, side, side);
    let variants = SQUARE_SIDES
        .iter()
        .map(|&s| encode(&cut.resize_exact(s, s, FilterType::CatmullRom)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Processed { width: side, height: side, variants })
}

/// Checks `bytes` is an image we accept within the limits, and decodes it upright.
fn decode(bytes: &[u8]) -> Result<DynamicImage, Refusal> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Refusal::TooLarge);
    }
    let format = image::guess_format(bytes).map_err(|_| not_an_image(bytes))?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif) {
        return Err(Refusal::NotAnImage);
    }
    let reader = || {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        reader.limits(limits());
        reader
    };
    // The header alone first: a bomb declares its size long before its pixels.
    let (width, height) = reader().into_dimensions().map_err(refusal)?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Refusal::TooManyPixels(format!("{width} × {height}")));
    }
    let mut decoder = reader().into_decoder().map_err(refusal)?;
    let orientation = decoder.orientation().map_err(refusal)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(refusal)?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn encode(image: &DynamicImage) -> Result<Variant, Refusal> {
    let opaque = flatten(image);
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY).encode_image(&opaque).map_err(|_| Refusal::Damaged)?;
    // Lossy WebP keeps transparency; browsers without WebP take the JPEG.
    let (width, height) = (image.width(), image.height());
    let encoded = if image.color().has_alpha() {
        let rgba = image.to_rgba8();
        webp::Encoder::from_rgba(rgba.as_raw(), width, height).encode_simple(false, WEBP_QUALITY).map(|m| m.to_vec())
    } else {
        webp::Encoder::from_rgb(opaque.as_raw(), width, height).encode_simple(false, WEBP_QUALITY).map(|m| m.to_vec())
    };
    let webp = encoded.map_err(|_| Refusal::Damaged)?;
    Ok(Variant { width, height, jpeg, webp })
}

/// The pixels over white (JPEG has no transparency).
fn flatten(image: &DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a)) + 127) / 255) as u8;
        image::Rgb([over(r), over(g), over(b)])
    })
}

fn refusal(error: ImageError) -> Refusal {
    match error {
        ImageError::Limits(_) => Refusal::TooManyPixels("more than the limit".into()),
        ImageError::Unsupported(_) => Refusal::NotAnImage,
        _ => Refusal::Damaged,
    }
}

/// What a file that is no image we decode looks like: an SVG, other text, or anything else.
fn not_an_image(bytes: &[u8]) -> Refusal {
    let head = &bytes[..bytes.len().min(4096)];
    let text = std::str::from_utf8(head).ok().or_else(|| {
        // The head may end inside a multi-byte character.
        let valid = std::str::from_utf8(head).err().map(|e| e.valid_up_to()).unwrap_or(0);
        (head.len() - valid < 4).then(|| std::str::from_utf8(&head[..valid]).unwrap_or_default())
    });
    match text {
        Some(text) if text.to_ascii_lowercase().contains("<svg") => Refusal::Svg,
        Some(text) if !text.contains('\0') => Refusal::Text,
        _ => Refusal::NotAnImage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_never_upscale() {
        assert_eq!(widths_for(4000), vec![320, 640, 1024, 1600]);
        assert_eq!(widths_for(800), vec![320, 640, 800]);
        assert_eq!(widths_for(640), vec![320, 640]);
        assert_eq!(widths_for(100), vec![100]);
    }

    #[test]
    fn a_crop_stays_inside_the_image() {
        let centre = Crop::centre(400, 300);
        assert_eq!(centre.pixels(400, 300), (50, 0, 300));
        assert_eq!(Crop { left: 0.9, top: 0.9, size: 0.5 }.pixels(400, 300), (250, 150, 150));
        assert_eq!(Crop { left: -3.0, top: f64::NAN, size: 7.0 }.pixels(400, 300), (0, 0, 300));
        assert_eq!(Crop { left: 0.0, top: 0.0, size: 0.0 }.pixels(400, 300).2, 15, "at least a twentieth of the side");
    }

    #[test]
    fn a_square_has_every_side_and_no_metadata() {
        let mut png = Vec::new();
        DynamicImage::new_rgb8(300, 200).write_to(&mut Cursor::new(&mut png), ImageFormat::Png).unwrap();
        let square = square(&png, Some(Crop { left: 0.5, top: 0.0, size: 0.5 })).unwrap();
        assert_eq!((square.width, square.height), (100, 100));
        let sides: Vec<(u32, u32)> = square.variants.iter().map(|v| (v.width, v.height)).collect();
        assert_eq!(sides, [(96, 96), (256, 256)]);
        assert!(square.variants.iter().all(|v| v.webp.starts_with(b"RIFF") && v.jpeg.starts_with(&[0xFF, 0xD8])));
    }

    #[test]
    fn text_and_svg_are_told_apart() {
        assert_eq!(process(b"hello, this is a shopping list").unwrap_err(), Refusal::Text);
        assert_eq!(process(b"<?xml version=\"1.0\"?><SVG onload=\"alert(1)\"/>").unwrap_err(), Refusal::Svg);
        assert_eq!(process(&[0u8, 159, 146, 150, 0, 1]).unwrap_err(), Refusal::NotAnImage);
    }
}
