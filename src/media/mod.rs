//! Images the store serves: how the resized variants of an uploaded image are named and
//! shown (`<picture>` with WebP and JPEG `srcset`s), and, on the server, where they are kept
//! ([`store`]) and how an upload becomes those variants ([`process`]). A leaf module: it
//! knows nothing of products.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub mod process;
#[cfg(feature = "ssr")]
pub mod store;

/// The URL of one variant of an uploaded image. `url` is the largest JPEG, stored as
/// `<prefix>/<width>.jpg`; every variant sits beside it as `<prefix>/<width>.<ext>`.
pub fn variant_url(url: &str, width: i32, ext: &str) -> String {
    match url.rfind('/') {
        Some(i) => format!("{}/{width}.{ext}", &url[..i]),
        None => format!("{width}.{ext}"),
    }
}

/// `srcset` of the variants in `ext` ("webp" or "jpg"), smallest first.
pub fn srcset(url: &str, widths: &[i32], ext: &str) -> String {
    let mut widths = widths.to_vec();
    widths.sort_unstable();
    widths.iter().map(|w| format!("{} {w}w", variant_url(url, *w, ext))).collect::<Vec<_>>().join(", ")
}

/// An image at `url`: with its WebP and JPEG variants when it was uploaded (`widths` not
/// empty), else the one file as it is (the seeded SVGs). `sizes` tells the browser how wide
/// it is drawn, so it fetches the smallest variant that fills it.
#[component]
pub fn Picture(
    #[prop(into)] url: String,
    #[prop(into)] alt: String,
    #[prop(optional)] widths: Vec<i32>,
    sizes: &'static str,
    class: &'static str,
    width: &'static str,
    height: &'static str,
    #[prop(optional)] lazy: bool,
    /// The page's largest image (its LCP): fetched ahead of everything else.
    #[prop(optional)] priority: bool,
    #[prop(optional)] testid: Option<&'static str>,
) -> impl IntoView {
    let loading = lazy.then_some("lazy");
    let fetchpriority = priority.then_some("high");
    if widths.is_empty() {
        return view! { <img src=url alt=alt class=class width=width height=height loading=loading fetchpriority=fetchpriority data-testid=testid/> }.into_any();
    }
    let webp = srcset(&url, &widths, "webp");
    let jpeg = srcset(&url, &widths, "jpg");
    view! {
        <picture>
            <source type="image/webp" srcset=webp sizes=sizes/>
            <img src=url srcset=jpeg sizes=sizes alt=alt class=class width=width height=height loading=loading fetchpriority=fetchpriority data-testid=testid/>
        </picture>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_sit_beside_the_largest_jpeg() {
        let url = "https://cdn.example/products/abc/1600.jpg";
        assert_eq!(variant_url(url, 320, "webp"), "https://cdn.example/products/abc/320.webp");
        assert_eq!(
            srcset("/media/products/abc/800.jpg", &[800, 320, 640], "jpg"),
            "/media/products/abc/320.jpg 320w, /media/products/abc/640.jpg 640w, /media/products/abc/800.jpg 800w"
        );
    }
}
