//! Catalogue pieces shared by pages and islands.

use super::types::ProductCard;
use crate::{
    media::Picture,
    ui::{ColourDot, Price, Rating},
};
use leptos::prelude::*;
use uuid::Uuid;

/// What a tile shows in its top-right corner, given the product id. The caller supplies it
/// (listings put the wishlist heart there), so the catalogue knows nothing of wishlists.
pub type Corner = Callback<Uuid, AnyView>;

/// A product tile, with `corner` drawn over its image when given. Its image loads when it
/// nears the screen, unless `eager` (the first row of a listing); `priority` fetches it
/// before anything else (the listing's first image, likely its largest paint).
#[component]
pub fn ProductTile(
    card: ProductCard,
    #[prop(optional)] corner: Option<AnyView>,
    #[prop(optional)] eager: bool,
    #[prop(optional)] priority: bool,
) -> impl IntoView {
    let href = format!("/p/{}", card.slug);
    let swatches = card.swatches.clone();
    let more = swatches.len().saturating_sub(5);
    view! {
        <li class="group relative flex flex-col">
            {corner.map(|corner| view! { <div class="absolute right-2 top-2 z-10">{corner}</div> })}
            <a href=href class="block rounded-xl focus-visible:outline-2 focus-visible:outline-offset-4 focus-visible:outline-emerald-700">
                <div class="aspect-[4/5] overflow-hidden rounded-xl bg-stone-100">
                    {card.image_url.clone().map(|src| view! {
                        <Picture url=src alt=card.image_alt.clone() widths=card.image_widths.clone() lazy=!eager priority width="400" height="500"
                            sizes="(min-width: 1024px) 25vw, (min-width: 640px) 33vw, 50vw"
                            class="h-full w-full object-cover transition duration-300 group-hover:scale-[1.03]"/>
                    })}
                </div>
                <h3 class="mt-3 text-sm font-medium text-stone-900 group-hover:underline" data-testid="product-name">
                    {card.name.clone()}
                </h3>
            </a>
            <Price price=card.price.clone() compare_at=card.compare_at.clone()/>
            <Rating avg_x10=card.rating_avg_x10 count=card.rating_count/>
            {(!swatches.is_empty()).then(|| view! {
                <ul class="mt-2 flex items-center gap-1.5" aria-label="Colours">
                    {swatches.into_iter().take(5).map(|s| {
                        let title = s.name.clone();
                        view! {
                            <li title=title>
                                <ColourDot hex=s.hex class="block h-3.5 w-3.5 rounded-full ring-1 ring-black/15"/>
                                <span class="sr-only">{s.name}</span>
                            </li>
                        }
                    }).collect_view()}
                    {(more > 0).then(|| view! { <li class="text-xs text-stone-500">{format!("+{more}")}</li> })}
                </ul>
            })}
        </li>
    }
}

/// The grid every product listing uses.
pub const PRODUCT_GRID: &str = "grid grid-cols-2 gap-x-4 gap-y-8 sm:grid-cols-3 lg:grid-cols-4 sm:gap-x-6";

/// `corner`: what each tile shows in its corner (see [`Corner`]). `eager`: how many leading
/// tiles are on the first screen (the page's main grid), whose images load at once.
#[component]
pub fn ProductGrid(
    cards: Vec<ProductCard>,
    #[prop(into)] label: String,
    #[prop(optional)] corner: Option<Corner>,
    #[prop(optional)] eager: usize,
) -> impl IntoView {
    view! {
        <ul class=PRODUCT_GRID aria-label=label>
            {cards.into_iter().enumerate().map(|(i, card)| {
                let (eager, priority) = (i < eager, i == 0 && eager > 0);
                match corner {
                    Some(corner) => {
                        let corner = corner.run(card.id);
                        view! { <ProductTile card corner eager priority/> }.into_any()
                    }
                    None => view! { <ProductTile card eager priority/> }.into_any(),
                }
            }).collect_view()}
        </ul>
    }
}
