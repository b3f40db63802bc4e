//! The product editor's "Images" section: per colour, upload several images at once (a
//! plain multipart form; with JavaScript, the same post with a progress bar), reorder them
//! with arrows (or by dragging, with JavaScript), choose the primary, edit the alt text and delete. Uploads are an axum
//! handler ([`upload`]) because they stream files; the rest are server functions. Every one
//! asks for `Permission::ManageCatalog`; the rules live in `catalog::images`, the files in
//! `media`.

use crate::{
    catalog::images::{ColourImages, StaffImage},
    error::AppError,
    forms::FormFlash,
    ui::{FormError, BUTTON_PRIMARY, BUTTON_SECONDARY},
};
use leptos::{prelude::*, server_fn::ServerFn};
use uuid::Uuid;

/// Where the upload form posts (see `server::guard`: bodies under this prefix are streamed).
pub const UPLOAD_PATH: &str = "/admin/uploads/product-images";

#[cfg(feature = "ssr")]
use super::access::catalog_staff;

/// Each colour of the product with its images, for the editor.
#[server(endpoint = "admin/products/images")]
pub async fn get_product_images(#[server(default)] product: Option<Uuid>) -> Result<Vec<ColourImages>, AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = catalog_staff().await?;
        let product = product.ok_or_else(|| AppError::NotFound("That product".into()))?;
        Ok(crate::catalog::images::server::for_product(&state.db, product).await?)
    })
    .await
}

/// Moves an image one place up (`direction=up`) or down in its colour's list.
#[server(endpoint = "admin/products/images/move")]
pub async fn move_product_image(
    #[server(default)] product: Option<Uuid>,
    #[server(default)] image: Option<Uuid>,
    #[server(default)] direction: String,
) -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = catalog_staff().await?;
        let (product, image) = ids(product, image)?;
        let up = match direction.as_str() {
            "up" => true,
            "down" => false,
            _ => return Err(AppError::BadRequest("direction must be up or down".into())),
        };
        crate::catalog::images::server::move_image(&state.db, &actor, product, image, up, state.clock.now()).await?;
        state.catalog.changed();
        Ok(())
    })
    .await;
    finish(&form_of(image), &[], None, result, |_| Then::Return).await
}

/// Puts a colour's images in the order a drag left them: `order` lists every image id of
/// the colour, comma-separated. Called by the [`DragOrder`] island; the arrows are the way
/// without JavaScript.
#[server(endpoint = "admin/products/images/order")]
pub async fn order_product_images(
    #[server(default)] product: Option<Uuid>,
    #[server(default)] colour: Option<Uuid>,
    #[server(default)] order: String,
) -> Result<(), AppError> {
    crate::server::ctx::respond(async move {
        let (state, actor) = catalog_staff().await?;
        let (Some(product), Some(colour)) = (product, colour) else {
            return Err(AppError::NotFound("That colour of this product".into()));
        };
        let order = order
            .split(',')
            .map(|id| id.trim().parse::<Uuid>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| AppError::BadRequest("order must list image ids, comma-separated".into()))?;
        crate::catalog::images::server::reorder(&state.db, &actor, product, colour, &order, state.clock.now()).await?;
        state.catalog.changed();
        Ok(())
    })
    .await
}

/// Makes an image the one listings show for its colour.
#[server(endpoint = "admin/products/images/primary")]
pub async fn set_primary_image(#[server(default)] product: Option<Uuid>, #[server(default)] image: Option<Uuid>) -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = catalog_staff().await?;
        let (product, image) = ids(product, image)?;
        crate::catalog::images::server::set_primary(&state.db, &actor, product, image, state.clock.now()).await?;
        state.catalog.changed();
        Ok(())
    })
    .await;
    finish(&form_of(image), &[], None, result, |_| Then::Return).await
}

/// Saves an image's alt text (required).
#[server(endpoint = "admin/products/images/alt")]
pub async fn save_image_alt(#[server(default)] product: Option<Uuid>, #[server(default)] image: Option<Uuid>, #[server(default)] alt: String) -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let typed = alt.clone();
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = catalog_staff().await?;
        let (product, image) = ids(product, image)?;
        crate::catalog::images::server::set_alt(&state.db, &actor, product, image, &alt, state.clock.now()).await?;
        state.catalog.changed();
        Ok(())
    })
    .await;
    let key = image.map(|i| format!("alt-{i}")).unwrap_or_default();
    finish(&form_of(image), &[(key.as_str(), typed.as_str())], None, result, |_| Then::Stay { step: None, notice: Some("Description saved.".into()) }).await
}

/// Deletes an image and its files; asks for the confirm step's `confirm=delete`.
#[server(endpoint = "admin/products/images/delete")]
pub async fn delete_product_image(
    #[server(default)] product: Option<Uuid>,
    #[server(default)] image: Option<Uuid>,
    #[server(default)] confirm: Option<String>,
) -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = catalog_staff().await?;
        let (product, image) = ids(product, image)?;
        if confirm.as_deref() != Some("delete") {
            return Err(AppError::Rejected("Confirm the deletion to delete this image.".into()));
        }
        let removed = crate::catalog::images::server::delete(&state.db, &actor, product, image, state.clock.now()).await?;
        state.catalog.changed();
        // The row is gone for good; a file left behind by a failed removal is only litter.
        if let Some(prefix) = removed.storage_key {
            server::remove_files(state.media.as_ref(), &prefix, &removed.widths).await;
        }
        Ok(())
    })
    .await;
    finish(&form_of(image), &[], None, result, |_| Then::Return).await
}

#[cfg(feature = "ssr")]
fn ids(product: Option<Uuid>, image: Option<Uuid>) -> Result<(Uuid, Uuid), AppError> {
    match (product, image) {
        (Some(p), Some(i)) => Ok((p, i)),
        _ => Err(AppError::NotFound("That image of this product".into())),
    }
}

/// The flash key of one image's forms.
fn form_of(image: Option<Uuid>) -> String {
    image.map(|i| format!("image-{i}")).unwrap_or_else(|| "image".into())
}

/// The flash key of a colour's upload form.
fn upload_form(colour: Uuid) -> String {
    format!("images-{colour}")
}

/// The "Images" section of the product editor: one block per colour.
#[component]
pub fn ProductImages(product: Uuid, colours: Vec<ColourImages>, flash: Option<FormFlash>) -> impl IntoView {
    view! {
        <section class="mt-8 rounded-xl border border-stone-200 bg-white p-6" aria-labelledby="images-heading" id="images" data-testid="images">
            <h2 id="images-heading" class="text-lg font-semibold">"Images"</h2>
            <p class="mt-1 text-sm text-stone-600">"JPEG, PNG, WebP or GIF up to 15 MB each. The first image of a colour, or the one marked primary, shows in listings."</p>
            {if colours.is_empty() {
                view! { <p class="mt-2 text-sm text-stone-600">"Add a colour below first: images belong to a colour."</p> }.into_any()
            } else {
                colours.into_iter().map(|c| view! { <ColourBlock product colour=c flash=flash.clone()/> }).collect_view().into_any()
            }}
        </section>
    }
}

#[component]
fn ColourBlock(product: Uuid, colour: ColourImages, flash: Option<FormFlash>) -> impl IntoView {
    let heading = format!("images-{}-heading", colour.id);
    let count = colour.images.len();
    let mine = FormFlash::of(&flash, &upload_form(colour.id));
    let error = mine.as_ref().and_then(|f| f.error.clone());
    let typed_alt = mine.as_ref().map(|f| f.value("alt")).unwrap_or_default();
    let general = Signal::derive({ let e = error.clone(); move || e.clone() });
    let alt_error = error.as_ref().and_then(|e| e.field_error("alt"));
    let files_error = error.as_ref().and_then(|e| e.field_error("files"));
    let form_id = format!("upload-{}", colour.id);
    let (alt_id, files_id) = (format!("{form_id}-alt"), format!("{form_id}-files"));
    view! {
        <div class="mt-6 border-t border-stone-100 pt-4" id=format!("images-{}", colour.id)>
            <h3 id=heading.clone() class="font-semibold text-stone-900">{colour.colour.clone()}</h3>
            {if count == 0 {
                view! { <p class="mt-2 text-sm text-stone-600">"No images yet."</p> }.into_any()
            } else {
                let list = format!("images-list-{}", colour.id);
                view! {
                    {(count > 1).then(|| view! {
                        <p class="mt-2 text-sm text-stone-600">"Drag the images into the order shoppers see them, or use the arrows."</p>
                    })}
                    <ol id=list.clone() class="mt-3 grid gap-4 sm:grid-cols-2 xl:grid-cols-3" aria-labelledby=heading>
                        {colour.images.into_iter().enumerate().map(|(n, image)| view! {
                            <ImageCard product image position=n count flash=flash.clone()/>
                        }).collect_view()}
                    </ol>
                    {(count > 1).then(|| view! { <DragOrder list product=product.to_string() colour=colour.id.to_string()/> })}
                }.into_any()
            }}
            <form id=form_id.clone() method="post" action=UPLOAD_PATH enctype="multipart/form-data" class="mt-4 space-y-3 rounded-lg bg-stone-50 p-4">
                // The handler reads these before the files: keep them first.
                <input type="hidden" name="product" value=product.to_string()/>
                <input type="hidden" name="colour" value=colour.id.to_string()/>
                <FormError error=general/>
                <div class="space-y-1">
                    <label for=alt_id.clone() class="block text-sm font-medium text-stone-800">"Description (alt text)"</label>
                    <p id=format!("{alt_id}-hint") class="text-xs text-stone-500">"What the images show, for shoppers using a screen reader. Applies to each image uploaded; edit it per image afterwards."</p>
                    <input id=alt_id.clone() name="alt" value=typed_alt required=true maxlength="250"
                        aria-invalid=alt_error.is_some().then_some("true") aria-describedby=format!("{alt_id}-hint {alt_id}-error")
                        class="block w-full rounded-lg border border-stone-300 bg-white px-3 py-2 text-base aria-[invalid=true]:border-red-600"/>
                    {alt_error.map(|m| view! { <p id=format!("{alt_id}-error") class="text-sm text-red-700">{m}</p> })}
                </div>
                <div class="space-y-1">
                    <label for=files_id.clone() class="block text-sm font-medium text-stone-800">"Image files"</label>
                    <input id=files_id.clone() type="file" name="files" multiple=true required=true accept="image/jpeg,image/png,image/webp,image/gif"
                        aria-invalid=files_error.is_some().then_some("true") aria-describedby=format!("{files_id}-error")
                        class="block text-sm file:mr-3 file:rounded-full file:border-0 file:bg-emerald-800 file:px-4 file:py-2 file:text-white"/>
                    {files_error.map(|m| view! { <p id=format!("{files_id}-error") class="text-sm text-red-700" data-testid="upload-error">{m}</p> })}
                </div>
                <div class="flex flex-wrap items-center gap-4">
                    <button type="submit" class=BUTTON_PRIMARY>"Upload images"</button>
                    <UploadProgress form=form_id.clone()/>
                </div>
            </form>
        </div>
    }
}

#[component]
fn ImageCard(product: Uuid, image: StaffImage, position: usize, count: usize, flash: Option<FormFlash>) -> impl IntoView {
    let mine = FormFlash::of(&flash, &form_of(Some(image.id)));
    let key = format!("alt-{}", image.id);
    let error = mine.as_ref().and_then(|f| f.error.clone());
    let alt_error = error.as_ref().and_then(|e| e.field_error(&key));
    let general = Signal::derive({ let e = error.clone(); move || e.clone() });
    let typed = mine.as_ref().filter(|f| f.values.contains_key(&key)).map(|f| f.value(&key)).unwrap_or_else(|| image.alt.clone());
    let saved = mine.as_ref().and_then(|f| f.notice.clone());
    let thumb = if image.widths.is_empty() { image.url.clone() } else { crate::media::variant_url(&image.url, image.widths[0], "jpg") };
    let (product_s, image_s) = (product.to_string(), image.id.to_string());
    let nth = position + 1;
    let field_id = format!("field-{key}");
    let hidden = move || view! {
        <input type="hidden" name="product" value=product_s.clone()/>
        <input type="hidden" name="image" value=image_s.clone()/>
    };
    let small = "rounded-full border border-stone-300 bg-white px-3 py-1 text-sm hover:border-stone-900 focus-visible:outline-2 focus-visible:outline-emerald-700 disabled:opacity-40";
    view! {
        <li class="rounded-lg border border-stone-200 bg-white p-3" data-testid="image-card" data-image=image.id.to_string()>
            <div class="flex gap-3">
                <img src=thumb alt="" class="h-24 w-20 shrink-0 rounded object-cover bg-stone-100" width="80" height="96"/>
                <div class="min-w-0 flex-1 space-y-2 text-sm">
                    <p class="font-medium">{format!("Image {nth} of {count}")}
                        {image.is_primary.then(|| view! { <span class="ml-2 rounded-full bg-emerald-100 px-2 py-0.5 text-xs text-emerald-900" data-testid="primary">"Primary"</span> })}
                    </p>
                    <FormError error=general/>
                    {saved.map(|n| view! { <p role="status" class="text-emerald-800">{n}</p> })}
                    <div class="flex flex-wrap gap-2">
                        <form method="post" action=MoveProductImage::url()>
                            {hidden()}<input type="hidden" name="direction" value="up"/>
                            <button type="submit" class=small disabled=position == 0 aria-label=format!("Move image {nth} earlier")>"↑"</button>
                        </form>
                        <form method="post" action=MoveProductImage::url()>
                            {hidden()}<input type="hidden" name="direction" value="down"/>
                            <button type="submit" class=small disabled=position + 1 == count aria-label=format!("Move image {nth} later")>"↓"</button>
                        </form>
                        {(!image.is_primary).then(|| view! {
                            <form method="post" action=SetPrimaryImage::url()>
                                {hidden()}
                                <button type="submit" class=small aria-label=format!("Make primary: image {nth}")>"Make primary"</button>
                            </form>
                        })}
                    </div>
                </div>
            </div>
            <form method="post" action=SaveImageAlt::url() class="mt-3 space-y-1">
                {hidden()}
                <label for=field_id.clone() class="block text-sm font-medium text-stone-800">{format!("Description of image {nth}")}</label>
                <input id=field_id.clone() name="alt" value=typed required=true maxlength="250"
                    aria-invalid=alt_error.is_some().then_some("true") aria-describedby=format!("{field_id}-error")
                    class="block w-full rounded-lg border border-stone-300 bg-white px-3 py-1.5 text-sm aria-[invalid=true]:border-red-600"/>
                {alt_error.map(|m| view! { <p id=format!("{field_id}-error") class="text-sm text-red-700">{m}</p> })}
                <button type="submit" class=BUTTON_SECONDARY>"Save description"</button>
            </form>
            // The confirm step: deleting needs a second, explicit press.
            <details class="mt-3 text-sm">
                <summary class="cursor-pointer font-medium text-red-800 underline">{format!("Delete image {nth}…")}</summary>
                <form method="post" action=DeleteProductImage::url() class="mt-2 flex items-center gap-3">
                    {hidden()}<input type="hidden" name="confirm" value="delete"/>
                    <span>"The image is removed from the shop for good."</span>
                    <button type="submit" class="rounded-full bg-red-700 px-4 py-1.5 font-semibold text-white hover:bg-red-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-700">"Delete image"</button>
                </form>
            </details>
        </li>
    }
}

/// With JavaScript, the upload form `form` posts the same multipart body by XHR and shows
/// how much was sent; without it the plain post works as it is.
#[island]
fn UploadProgress(form: String) -> impl IntoView {
    let (sent, set_sent) = signal(None::<u32>);
    let (message, set_message) = signal(None::<String>);
    #[cfg(feature = "hydrate")]
    Effect::new(move || progress::attach(&form, set_sent, set_message));
    #[cfg(not(feature = "hydrate"))]
    let _ = (form, set_sent, set_message);
    view! {
        <span class="flex items-center gap-2 text-sm text-stone-700" aria-live="polite">
            {move || sent.get().map(|p| view! {
                <progress max="100" value=p.to_string() class="h-2 w-40">{format!("{p}%")}</progress>
                <span>{format!("Uploading… {p}%")}</span>
            })}
            {move || message.get().map(|m| view! { <span role="alert" class="text-red-700">{m}</span> })}
        </span>
    }
}

/// With JavaScript, the cards of the list `list` can be dragged into a new order, saved at
/// once; the arrow buttons stay for the keyboard and for pages without JavaScript.
#[island]
fn DragOrder(list: String, product: String, colour: String) -> impl IntoView {
    let (message, set_message) = signal(None::<String>);
    #[cfg(feature = "hydrate")]
    Effect::new(move || drag::attach(&list, product.parse().ok(), colour.parse().ok(), set_message));
    #[cfg(not(feature = "hydrate"))]
    let _ = (list, product, colour, set_message);
    view! { <p role="status" class="mt-2 text-sm text-red-700">{move || message.get()}</p> }
}

#[cfg(feature = "hydrate")]
mod drag {
    use leptos::{prelude::*, task::spawn_local, wasm_bindgen::{closure::Closure, JsCast}};
    use std::{cell::RefCell, rc::Rc};
    use uuid::Uuid;
    use web_sys::{DragEvent, Element};

    const CARD: &str = "li[data-image]";

    fn card_of(event: &DragEvent) -> Option<Element> {
        event.target()?.dyn_into::<Element>().ok()?.closest(CARD).ok()?
    }

    fn order_of(list: &Element) -> Vec<String> {
        let Ok(cards) = list.query_selector_all(CARD) else { return Vec::new() };
        (0..cards.length())
            .filter_map(|n| cards.item(n)?.dyn_into::<Element>().ok()?.get_attribute("data-image"))
            .collect()
    }

    fn listen(target: &Element, kind: &str, handler: impl FnMut(DragEvent) + 'static) {
        let closure = Closure::<dyn FnMut(DragEvent)>::new(handler);
        let _ = target.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref());
        closure.forget();
    }

    pub fn attach(list_id: &str, product: Option<Uuid>, colour: Option<Uuid>, set_message: WriteSignal<Option<String>>) {
        let Some(list) = document().get_element_by_id(list_id) else { return };
        if let Ok(cards) = list.query_selector_all(CARD) {
            for n in 0..cards.length() {
                if let Some(card) = cards.item(n).and_then(|c| c.dyn_into::<Element>().ok()) {
                    let _ = card.set_attribute("draggable", "true");
                    let _ = card.class_list().add_1("cursor-move");
                }
            }
        }
        let dragged: Rc<RefCell<Option<Element>>> = Rc::default();
        let before = Rc::new(RefCell::new(order_of(&list)));

        let held = dragged.clone();
        listen(&list, "dragstart", move |event: DragEvent| {
            let Some(card) = card_of(&event) else { return };
            if let Some(data) = event.data_transfer() {
                data.set_effect_allowed("move");
                let _ = data.set_data("text/plain", &card.get_attribute("data-image").unwrap_or_default());
            }
            let _ = card.class_list().add_1("opacity-50");
            *held.borrow_mut() = Some(card);
        });

        // The dragged card moves among the others while it is dragged: before the card it is
        // over when coming from later in the list, after it when coming from earlier.
        let held = dragged.clone();
        let container = list.clone();
        listen(&list, "dragover", move |event: DragEvent| {
            let Some(card) = held.borrow().clone() else { return };
            event.prevent_default();
            let Some(over) = card_of(&event) else { return };
            if over.is_same_node(Some(&card)) {
                return;
            }
            let order = order_of(&container);
            let position = |e: &Element| e.get_attribute("data-image").and_then(|id| order.iter().position(|o| *o == id));
            let (Some(from), Some(to)) = (position(&card), position(&over)) else { return };
            let anchor: Option<web_sys::Node> = if from < to { over.next_sibling() } else { Some(over.clone().into()) };
            let _ = container.insert_before(&card, anchor.as_ref());
        });
        listen(&list, "drop", |event: DragEvent| event.prevent_default());

        let container = list.clone();
        listen(&list, "dragend", move |_: DragEvent| {
            let Some(card) = dragged.borrow_mut().take() else { return };
            let _ = card.class_list().remove_1("opacity-50");
            let order = order_of(&container);
            if order == *before.borrow() {
                return;
            }
            *before.borrow_mut() = order.clone();
            spawn_local(async move {
                match super::order_product_images(product, colour, order.join(",")).await {
                    Ok(()) => {
                        // The page opens again so the numbers, arrows and notice follow.
                        let location = window().location();
                        let path = location.pathname().unwrap_or_default();
                        let _ = location.set_href(&format!("{path}?saved=order#images"));
                    }
                    Err(e) => set_message.set(Some(format!("{e} The order was not saved."))),
                }
            });
        });
    }
}

#[cfg(feature = "hydrate")]
mod progress {
    use leptos::{prelude::*, wasm_bindgen::{closure::Closure, JsCast}};

    /// Takes over the form's submit: the same body, sent by XHR with upload progress. The
    /// server answers JSON (`Accept`); on success the page opens again with the new images
    /// and the same notice the plain form's redirect gives.
    pub fn attach(form_id: &str, set_sent: WriteSignal<Option<u32>>, set_message: WriteSignal<Option<String>>) {
        let Some(form) = document().get_element_by_id(form_id).and_then(|e| e.dyn_into::<web_sys::HtmlFormElement>().ok()) else { return };
        let target = form.clone();
        let on_submit = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            event.prevent_default();
            let Ok(body) = web_sys::FormData::new_with_form(&target) else { return };
            let Ok(xhr) = web_sys::XmlHttpRequest::new() else { return };
            if xhr.open("POST", &target.action()).is_err() {
                return;
            }
            let _ = xhr.set_request_header("Accept", "application/json");
            set_message.set(None);
            set_sent.set(Some(0));
            if let Ok(upload) = xhr.upload() {
                let on_progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
                    if e.length_computable() && e.total() > 0.0 {
                        set_sent.set(Some(((e.loaded() / e.total()) * 100.0).round() as u32));
                    }
                });
                upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
                on_progress.forget();
            }
            let done = xhr.clone();
            let on_load = Closure::<dyn FnMut()>::new(move || {
                set_sent.set(None);
                let status = done.status().unwrap_or(0);
                if (200..300).contains(&status) {
                    let location = window().location();
                    let path = location.pathname().unwrap_or_default();
                    let _ = location.set_href(&format!("{path}?saved=images#images"));
                    return;
                }
                let text = done.response_text().ok().flatten().unwrap_or_default();
                let message = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v["error"].as_str().map(str::to_owned))
                    .unwrap_or_else(|| "The upload failed. Try again.".to_owned());
                set_message.set(Some(message));
            });
            xhr.set_onloadend(Some(on_load.as_ref().unchecked_ref()));
            on_load.forget();
            let _ = xhr.send_with_opt_form_data(Some(&body));
        });
        let _ = form.add_event_listener_with_callback("submit", on_submit.as_ref().unchecked_ref());
        on_submit.forget();
    }
}

#[cfg(feature = "ssr")]
pub mod server {
    //! The upload handler: access and cross-site checks as every staff action has, the
    //! files streamed with a cap each, decoded and resized off the async threads, stored,
    //! then recorded in one audited transaction.
    use super::upload_form;
    use crate::{
        audit::server::Actor,
        catalog::images::server::{self as images, NewImage},
        error::AppError,
        forms::{server::FLASH_KEY, FormFlash},
        media::{
            process::{self, Processed, MAX_FILE_BYTES},
            store::MediaStore,
        },
        server::{multipart::Limits, session::AppSession, state::AppState},
    };
    use axum::{
        extract::{Multipart, State},
        http::{header, request::Parts, StatusCode},
        response::{IntoResponse, Redirect, Response},
    };
    use uuid::Uuid;

    /// Largest upload body (several files together); the guard lets this route stream it.
    pub const MAX_UPLOAD_BODY: usize = crate::server::guard::MAX_UPLOAD_BODY;
    /// Files one upload may carry.
    const MAX_FILES: usize = 20;

    /// What the form sent so far; kept to answer a refusal on the right form.
    #[derive(Default)]
    struct Received {
        product: Option<Uuid>,
        colour: Option<Uuid>,
        alt: String,
        files: Vec<(String, Vec<u8>)>,
    }

    /// `POST /admin/uploads/product-images`: `product`, `colour`, `alt`, then `files`.
    pub async fn upload(State(state): State<AppState>, session: tower_sessions::Session, parts: Parts, multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>) -> Response {
        let session = AppSession::new(session);
        let wants_json = parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/json"));
        let user = match crate::admin::access::catalog_staff_of(&state, &session).await {
            Ok(user) => user,
            Err(e) => return e.into_response(),
        };
        let client_ip = crate::server::client::ClientInfo::from_parts(&parts, state.config.trust_proxy).ip.map(|ip| ip.to_string());
        let actor = Actor { user_id: user, client_ip };
        let mut received = Received::default();
        let result = receive(&state, &actor, &parts, multipart, &mut received).await;
        if wants_json {
            return match result {
                Ok(added) => axum::Json(serde_json::json!({ "added": added })).into_response(),
                Err(e) => json_error(e),
            };
        }
        let referer = parts.headers.get(header::REFERER).and_then(|v| v.to_str().ok());
        match (result, received.product) {
            (Ok(_), Some(product)) => Redirect::to(&format!("/admin/products/{product}?saved=images#images")).into_response(),
            (Ok(_), None) => Redirect::to("/admin/products").into_response(),
            (Err(error), _) => {
                let flash = FormFlash {
                    form: received.colour.map(upload_form).unwrap_or_default(),
                    values: [("alt".to_owned(), received.alt.clone())].into(),
                    error: Some(error),
                    ..Default::default()
                };
                if let Err(e) = session.put(FLASH_KEY, &flash).await {
                    return e.into_response();
                }
                Redirect::to(&crate::forms::server::form_page(referer)).into_response()
            }
        }
    }

    /// An error as an upload's JSON answer: the first message and the whole error.
    pub(crate) fn json_error(error: AppError) -> Response {
        let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = match &error {
            AppError::Validation(fields) => fields.0.values().flatten().next().cloned().unwrap_or_else(|| error.to_string()),
            _ => error.to_string(),
        };
        (status, axum::Json(serde_json::json!({ "error": message, "detail": error }))).into_response()
    }

    const UPLOAD: Limits = Limits {
        body: MAX_UPLOAD_BODY,
        too_large: || AppError::field("files", "The files are larger than 40 MB together. Upload fewer at once (each up to 15 MB)."),
    };

    async fn receive(
        state: &AppState,
        actor: &Actor,
        parts: &Parts,
        multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
        received: &mut Received,
    ) -> Result<usize, AppError> {
        let mut multipart = UPLOAD.open(parts, multipart)?;
        while let Some(mut field) = UPLOAD.next(&mut multipart).await? {
            let name = field.name().unwrap_or_default().to_owned();
            match name.as_str() {
                "product" => received.product = UPLOAD.text(&mut field).await?.trim().parse().ok(),
                "colour" => received.colour = UPLOAD.text(&mut field).await?.trim().parse().ok(),
                "alt" => received.alt = UPLOAD.text(&mut field).await?,
                "files" => {
                    let file_name = crate::server::multipart::file_name(&field);
                    let Some(bytes) = UPLOAD.capped(&mut field, MAX_FILE_BYTES).await? else {
                        return Err(AppError::field("files", format!("“{file_name}” {}", process::Refusal::TooLarge)));
                    };
                    // A file input left empty still sends one empty part.
                    if bytes.is_empty() && file_name.is_empty() {
                        continue;
                    }
                    if received.files.len() == MAX_FILES {
                        return Err(AppError::field("files", format!("Upload at most {MAX_FILES} images at once.")));
                    }
                    received.files.push((file_name, bytes));
                }
                _ => {}
            }
        }
        let (Some(product), Some(colour)) = (received.product, received.colour) else {
            return Err(AppError::NotFound("That colour of this product".into()));
        };
        // Attaching to another product's colour is refused before any work is done.
        if !images::is_colour_of(&state.db, product, colour).await? {
            return Err(AppError::NotFound("That colour of this product".into()));
        }
        images::check_alt("alt", &received.alt)?;
        if received.files.is_empty() {
            return Err(AppError::field("files", "Choose one or more images to upload."));
        }
        let mut processed = Vec::with_capacity(received.files.len());
        for (file_name, bytes) in std::mem::take(&mut received.files) {
            let result = tokio::task::spawn_blocking(move || process::process(&bytes)).await.map_err(|e| AppError::internal(anyhow::anyhow!("image worker: {e}")))?;
            match result {
                Ok(image) => processed.push(image),
                Err(refusal) => return Err(AppError::field("files", format!("“{file_name}” {refusal}"))),
            }
        }
        let mut stored = Vec::with_capacity(processed.len());
        for image in &processed {
            match put_files(state.media.as_ref(), image, "products").await {
                Ok(new) => stored.push(new),
                Err(e) => {
                    forget(state.media.as_ref(), &stored).await;
                    return Err(AppError::internal(e));
                }
            }
        }
        if let Err(e) = images::add(&state.db, actor, product, colour, &received.alt, &stored, state.clock.now()).await {
            forget(state.media.as_ref(), &stored).await;
            return Err(e);
        }
        state.catalog.changed();
        Ok(stored.len())
    }

    /// Stores every variant of `image` under a new key prefix in `folder` (`products`,
    /// `articles`).
    pub(crate) async fn put_files(store: &dyn MediaStore, image: &Processed, folder: &str) -> anyhow::Result<NewImage> {
        let id = Uuid::now_v7();
        let prefix = format!("{folder}/{id}");
        let mut widths = Vec::with_capacity(image.variants.len());
        for variant in &image.variants {
            let put = async {
                store.put(&format!("{prefix}/{}.jpg", variant.width), variant.jpeg.clone(), "image/jpeg").await?;
                store.put(&format!("{prefix}/{}.webp", variant.width), variant.webp.clone(), "image/webp").await
            };
            if let Err(e) = put.await {
                remove_files(store, &prefix, &widths).await;
                remove_files(store, &prefix, &[variant.width as i32]).await;
                return Err(e);
            }
            widths.push(variant.width as i32);
        }
        let top = image.variants.last().expect("at least one width");
        Ok(NewImage {
            id,
            url: store.url(&format!("{prefix}/{}.jpg", top.width)),
            storage_key: prefix,
            widths,
            width: top.width as i32,
            height: top.height as i32,
        })
    }

    async fn forget(store: &dyn MediaStore, stored: &[NewImage]) {
        for image in stored {
            remove_files(store, &image.storage_key, &image.widths).await;
        }
    }

    /// Removes an image's files; failures are logged (the row is what the shop shows).
    pub async fn remove_files(store: &dyn MediaStore, prefix: &str, widths: &[i32]) {
        for width in widths {
            for ext in ["jpg", "webp"] {
                let key = format!("{prefix}/{width}.{ext}");
                if let Err(e) = store.delete(&key).await {
                    tracing::warn!(error = %format!("{e:#}"), key, "could not remove an image file");
                }
            }
        }
    }
}
