//! The account page's panels for the customer's own data: the profile picture (with a
//! square cropper in the browser), the copy of their data, and deleting the account. Plain
//! forms throughout; the cropper only adds where the square is cut.

use super::{
    api::{DeleteAccount, RemoveProfilePicture, RequestDataExport, SendDeletionCode, DELETE_FORM},
    ExportStatus, EXPORT_DOWNLOAD_PATH, PICTURE_FORM, PICTURE_PATH,
};
use crate::{
    error::AppError,
    forms::FormFlash,
    media::Picture,
    ui::{FormError, Notice, BUTTON_PRIMARY, BUTTON_SECONDARY},
};
use leptos::{prelude::*, server_fn::ServerFn};

/// The customer's picture, or their initial in a circle.
#[component]
pub fn Avatar(url: Option<String>, #[prop(into)] name: String, size: &'static str) -> impl IntoView {
    let box_class = match size {
        "small" => "h-8 w-8 text-sm",
        _ => "h-24 w-24 text-3xl",
    };
    match url {
        Some(url) => view! {
            <span class=format!("inline-block shrink-0 overflow-hidden rounded-full bg-stone-100 {box_class}")>
                <Picture url alt="" widths=vec![96, 256] sizes=if size == "small" { "32px" } else { "96px" } class="h-full w-full object-cover" width="96" height="96"/>
            </span>
        }
        .into_any(),
        None => {
            let initial = name.chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_else(|| "?".into());
            view! {
                <span aria-hidden="true" class=format!("inline-flex shrink-0 items-center justify-center rounded-full bg-emerald-100 font-semibold text-emerald-900 {box_class}")>{initial}</span>
            }
            .into_any()
        }
    }
}

#[component]
pub fn PicturePanel(url: Option<String>, name: String, flash: Option<FormFlash>, saved: bool) -> impl IntoView {
    let mine = FormFlash::of(&flash, PICTURE_FORM);
    let notice = mine.as_ref().and_then(|f| f.notice.clone()).or_else(|| saved.then(|| "Your picture is saved.".to_owned()));
    let error = mine.and_then(|f| f.error);
    let field_error = error.as_ref().and_then(|e| e.field_error("picture"));
    let has_picture = url.is_some();
    view! {
        <div class="flex flex-wrap items-start gap-6" data-testid="profile-picture">
            <Avatar url name size="large"/>
            <div class="min-w-0 flex-1 space-y-3">
                <form method="post" action=PICTURE_PATH enctype="multipart/form-data" class="space-y-3">
                    <PictureCropper invalid=field_error.is_some()/>
                    {field_error.map(|m| view! { <p id="picture-error" class="text-sm text-red-700">{m}</p> })}
                    <button type="submit" class=BUTTON_SECONDARY>"Upload picture"</button>
                </form>
                {has_picture.then(|| view! {
                    <form method="post" action=RemoveProfilePicture::url()>
                        <button type="submit" class="text-sm font-medium text-red-700 hover:underline focus-visible:outline-2 focus-visible:outline-emerald-700">"Remove picture"</button>
                    </form>
                })}
                <Notice message=Signal::derive(move || notice.clone())/>
                <FormError error=Signal::derive(move || error.clone().filter(|e| e.field_error("picture").is_none()))/>
            </div>
        </div>
    }
}

/// The file input, and once a picture is chosen (with script), a square preview with zoom
/// and position controls that fill the form's `left`, `top` and `size`. Without script
/// those stay empty and the server keeps the middle square.
#[island]
fn PictureCropper(invalid: bool) -> impl IntoView {
    let source = RwSignal::new(None::<String>);
    let natural = RwSignal::new((0u32, 0u32));
    let zoom = RwSignal::new(100u32);
    let across = RwSignal::new(50u32);
    let down = RwSignal::new(50u32);
    // The square as fractions: its side of the shorter side, its edges of the width and height.
    let crop = move || {
        let (w, h) = natural.get();
        if w == 0 || h == 0 {
            return None;
        }
        let (w, h) = (f64::from(w), f64::from(h));
        let size = 100.0 / f64::from(zoom.get().max(100));
        let side = size * w.min(h);
        let left = (w - side) * f64::from(across.get()) / 100.0 / w;
        let top = (h - side) * f64::from(down.get()) / 100.0 / h;
        Some((left, top, size, side, w, h))
    };
    let field = move |i: usize| move || crop().map(|c| format!("{:.4}", [c.0, c.1, c.2][i])).unwrap_or_default();
    // The preview is 128 px square: the image scaled so the square fills it.
    let preview = move || {
        crop().map(|(left, top, _, side, w, h)| {
            let k = 128.0 / side;
            (format!("{:.1}px {:.1}px", w * k, h * k), format!("{:.1}px {:.1}px", -(left * w * k), -(top * h * k)))
        })
    };
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            let file = ev
                .target()
                .and_then(|t| t.dyn_into::<leptos::web_sys::HtmlInputElement>().ok())
                .and_then(|input| input.files())
                .and_then(|files| files.get(0));
            if let Some(old) = source.get_untracked() {
                let _ = leptos::web_sys::Url::revoke_object_url(&old);
            }
            natural.set((0, 0));
            source.set(file.and_then(|f| leptos::web_sys::Url::create_object_url_with_blob(&f).ok()));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_load = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            if let Some(img) = ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::HtmlImageElement>().ok()) {
                natural.set((img.natural_width(), img.natural_height()));
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let slider = move |id: &'static str, label: &'static str, value: RwSignal<u32>, min: u32, max: u32| {
        view! {
            <div>
                <label for=id class="block text-xs font-medium text-stone-700">{label}</label>
                <input id=id type="range" min=min.to_string() max=max.to_string() class="w-40 accent-emerald-800"
                    prop:value=move || value.get().to_string()
                    on:input=move |ev| value.set(event_target_value(&ev).parse().unwrap_or(value.get_untracked()))/>
            </div>
        }
    };
    view! {
        <div>
            <label for="picture" class="block text-sm font-medium text-stone-800">"Profile picture"</label>
            <input id="picture" name="picture" type="file" accept="image/jpeg,image/png,image/webp,image/gif"
                class="mt-1 block text-sm file:mr-3 file:rounded-full file:border-0 file:bg-stone-100 file:px-4 file:py-2 file:text-sm file:font-medium"
                aria-invalid=invalid.to_string() aria-describedby=invalid.then_some("picture-error") on:change=on_file/>
            <p class="mt-1 text-xs text-stone-500">"JPEG, PNG, WebP or GIF, up to 15 MB. We keep a square from the middle unless you choose one."</p>
        </div>
        <input type="hidden" name="left" prop:value=field(0)/>
        <input type="hidden" name="top" prop:value=field(1)/>
        <input type="hidden" name="size" prop:value=field(2)/>
        {move || source.get().map(|src| view! {
            <div class="flex flex-wrap items-center gap-4" data-testid="picture-cropper">
                <img src=src.clone() alt="" class="hidden" on:load=on_load/>
                <div role="img" aria-label="Preview of your picture" class="h-32 w-32 shrink-0 rounded-full bg-stone-100 bg-no-repeat ring-1 ring-stone-300"
                    style:background-image=format!("url({src})")
                    style:background-size=move || preview().map(|p| p.0).unwrap_or_default()
                    style:background-position=move || preview().map(|p| p.1).unwrap_or_default()></div>
                <div class="space-y-2">
                    {slider("picture-zoom", "Zoom", zoom, 100, 300)}
                    {slider("picture-across", "Left to right", across, 0, 100)}
                    {slider("picture-down", "Top to bottom", down, 0, 100)}
                </div>
            </div>
        })}
    }
}

/// "Your data": a copy of it, and deleting the account.
#[component]
pub fn DataPanel(status: Option<ExportStatus>, flash: Option<FormFlash>) -> impl IntoView {
    let export_flash = FormFlash::of(&flash, "export");
    let export_notice = export_flash.as_ref().and_then(|f| f.notice.clone());
    let export_error = export_flash.and_then(|f| f.error);
    let delete_flash = FormFlash::of(&flash, DELETE_FORM);
    let waiting_for_code = FormFlash::at_step(&delete_flash, "verify");
    let delete_notice = delete_flash.as_ref().and_then(|f| f.notice.clone());
    let delete_error = delete_flash.and_then(|f| f.error);
    let code_error = delete_error.as_ref().and_then(|e| e.field_error("code"));
    let when = |at: chrono::DateTime<chrono::Utc>| at.format("%-d %B %Y, %H:%M UTC").to_string();
    let export_state = match &status {
        Some(s) if s.ready && !s.downloaded && !s.expired => view! {
            <p class="text-sm text-stone-700" data-testid="export-state">{format!("Your copy is ready. Download it before {}; the download works once.", when(s.expires_at))}</p>
            <form method="post" action=EXPORT_DOWNLOAD_PATH class="mt-3">
                <button type="submit" class=BUTTON_PRIMARY>"Download your data"</button>
            </form>
        }
        .into_any(),
        Some(s) if !s.ready && !s.expired => view! {
            <p class="text-sm text-stone-700" data-testid="export-state">{format!("We're preparing the copy you asked for on {}. We'll email you when it's ready.", when(s.requested_at))}</p>
        }
        .into_any(),
        _ => view! {
            <p class="text-sm text-stone-700" data-testid="export-state">"Get a copy of everything we hold about you: your profile, addresses, orders, reviews, wishlist, notifications, consent choices, sessions and sign-ins, as JSON and CSV files in one archive."</p>
            <form method="post" action=RequestDataExport::url() class="mt-3">
                <button type="submit" class=BUTTON_SECONDARY>"Prepare a copy of my data"</button>
            </form>
        }
        .into_any(),
    };
    view! {
        <div class="space-y-3">
            {export_state}
            <Notice message=Signal::derive(move || export_notice.clone())/>
            <FormError error=Signal::derive(move || export_error.clone())/>
        </div>
        <div class="mt-8 border-t border-stone-200 pt-6">
            <h3 class="text-base font-semibold text-red-800">"Delete your account"</h3>
            <p class="mt-1 text-sm text-stone-700">"We sign you out everywhere and erase your details. Orders stay in our accounts without your name or address, and your reviews stay under “a former customer”. This cannot be undone."</p>
            {if waiting_for_code {
                view! {
                    <form method="post" action=DeleteAccount::url() class="mt-3 space-y-3">
                        <div class="space-y-1">
                            <label for="delete-code" class="block text-sm font-medium text-stone-800">"Code"</label>
                            <input id="delete-code" name="code" inputmode="numeric" autocomplete="one-time-code" required
                                class="w-40 rounded-lg border border-stone-300 px-3 py-2"
                                aria-invalid=code_error.is_some().to_string() aria-describedby="delete-code-hint"/>
                            <p id="delete-code-hint" class="text-sm text-stone-600">{delete_notice.clone().unwrap_or_default()}</p>
                            {code_error.clone().map(|m| view! { <p class="text-sm text-red-700">{m}</p> })}
                        </div>
                        <button type="submit" class="inline-flex items-center justify-center rounded-full bg-red-700 px-5 py-2.5 text-sm font-semibold text-white hover:bg-red-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-700">
                            "Delete my account"
                        </button>
                    </form>
                }
                .into_any()
            } else {
                view! {
                    <form method="post" action=SendDeletionCode::url() class="mt-3">
                        <button type="submit" class=BUTTON_SECONDARY>"Send me a code to delete my account"</button>
                    </form>
                }
                .into_any()
            }}
            <div class="mt-3">
                <FormError error=Signal::derive(move || delete_error.clone().filter(|e: &AppError| e.field_error("code").is_none()))/>
            </div>
        </div>
    }
}
