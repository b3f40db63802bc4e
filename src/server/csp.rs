//! The nonce of a response's Content-Security-Policy. A leaf module: the request guard makes
//! one per request, and the renderer and the page cache put it on the page's scripts.

/// The nonce of this response's Content-Security-Policy, for the renderer.
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

impl CspNonce {
    /// 144 random bits, URL-safe base64.
    pub fn fresh() -> Self {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
        let mut bytes = [0u8; 18];
        OsRng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }
}
