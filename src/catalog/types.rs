use crate::money::Money;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Swatch {
    pub name: String,
    pub hex: String,
}

/// What a product tile in a listing shows; read in one query per page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCard {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub price: Money,
    /// The regular price when the product is on sale (shown struck through).
    pub compare_at: Option<Money>,
    pub image_url: Option<String>,
    pub image_alt: String,
    /// The widths of the image's variants (`media::Picture`); empty for a single file.
    #[serde(default)]
    pub image_widths: Vec<i32>,
    pub rating_count: i32,
    /// Average rating × 10 (e.g. 43 = 4.3), kept integral so it compares exactly.
    pub rating_avg_x10: i32,
    pub swatches: Vec<Swatch>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryLink {
    pub name: String,
    pub slug: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Banner {
    pub id: Uuid,
    pub title: String,
    pub subtitle: String,
    pub image_url: String,
    pub image_alt: String,
    /// Widths of the uploaded image's variants; empty for a single file (the seeded SVGs).
    pub image_widths: Vec<i32>,
    pub button_text: String,
    pub button_link: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionTile {
    pub name: String,
    pub slug: String,
    pub description: String,
    pub image_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomePage {
    pub banners: Vec<Banner>,
    pub categories: Vec<CategoryLink>,
    pub collections: Vec<CollectionTile>,
    pub new_arrivals: Vec<ProductCard>,
    pub best_sellers: Vec<ProductCard>,
    pub articles: Vec<crate::cms::ArticleCard>,
    pub canonical_url: String,
}

/// How many product tiles one "page" of new arrivals holds on the home page.
pub const NEW_ARRIVALS_PAGE: i64 = 8;

/// Average rating × 10, rounded half up; 0 when unrated.
pub fn rating_avg_x10(sum: i32, count: i32) -> i32 {
    if count <= 0 {
        0
    } else {
        ((sum as i64 * 10 * 2 + count as i64) / (count as i64 * 2)) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::rating_avg_x10;

    #[test]
    fn rating_average_rounds_half_up() {
        assert_eq!(rating_avg_x10(0, 0), 0);
        assert_eq!(rating_avg_x10(5, 1), 50);
        assert_eq!(rating_avg_x10(13, 3), 43); // 4.333…
        assert_eq!(rating_avg_x10(9, 2), 45);
        assert_eq!(rating_avg_x10(29, 6), 48); // 4.8333…
    }
}

/// Listing sort orders, as they appear in URLs (`?sort=price-asc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Sort {
    #[default]
    Newest,
    PriceAsc,
    PriceDesc,
    BestRated,
    BestSelling,
    /// Search results only.
    Relevance,
}

impl Sort {
    pub const LISTING: [Sort; 5] = [Sort::Newest, Sort::PriceAsc, Sort::PriceDesc, Sort::BestRated, Sort::BestSelling];

    pub fn slug(self) -> &'static str {
        match self {
            Self::Newest => "newest",
            Self::PriceAsc => "price-asc",
            Self::PriceDesc => "price-desc",
            Self::BestRated => "best-rated",
            Self::BestSelling => "best-selling",
            Self::Relevance => "relevance",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Newest => "Newest",
            Self::PriceAsc => "Price: low to high",
            Self::PriceDesc => "Price: high to low",
            Self::BestRated => "Best rated",
            Self::BestSelling => "Best selling",
            Self::Relevance => "Most relevant",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Newest, Self::PriceAsc, Self::PriceDesc, Self::BestRated, Self::BestSelling, Self::Relevance]
            .into_iter()
            .find(|s| s.slug() == value)
    }
}

pub const PAGE_SIZE: i64 = 24;
pub const MAX_PAGE: i64 = 1_000;

/// Filters and paging of a listing, exactly as the URL carries them, so any state can be
/// shared and renders on the server.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Filters {
    pub colours: Vec<String>,
    pub sizes: Vec<String>,
    /// Whole currency units, as typed in the price boxes.
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub in_stock: bool,
    pub sort: Sort,
    pub page: i64,
}

impl Filters {
    /// From `(key, value)` pairs of a query string; unknown or malformed values are ignored
    /// rather than failing the page.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>, default_sort: Sort) -> Self {
        let mut filters = Self { sort: default_sort, page: 1, ..Default::default() };
        let slug_ok = |v: &str| !v.is_empty() && v.len() <= 40 && v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        for (key, value) in pairs {
            match key {
                "colour" if slug_ok(value) && filters.colours.len() < 20 => filters.colours.push(value.to_owned()),
                "size" if slug_ok(value) && filters.sizes.len() < 30 => filters.sizes.push(value.to_owned()),
                "min" => filters.min_price = value.parse().ok().filter(|v: &i64| (0..=1_000_000).contains(v)),
                "max" => filters.max_price = value.parse().ok().filter(|v: &i64| (0..=1_000_000).contains(v)),
                "stock" => filters.in_stock = value == "1",
                "sort" => filters.sort = Sort::parse(value).unwrap_or(default_sort),
                "page" => filters.page = value.parse().ok().filter(|p| (1..=MAX_PAGE).contains(p)).unwrap_or(1),
                _ => {}
            }
        }
        filters.colours.sort();
        filters.colours.dedup();
        filters.sizes.sort();
        filters.sizes.dedup();
        filters
    }

    /// The query string for this state (stable order, defaults left out).
    pub fn to_query(&self, default_sort: Sort) -> String {
        let mut parts: Vec<String> = Vec::new();
        parts.extend(self.colours.iter().map(|c| format!("colour={c}")));
        parts.extend(self.sizes.iter().map(|s| format!("size={s}")));
        if let Some(min) = self.min_price {
            parts.push(format!("min={min}"));
        }
        if let Some(max) = self.max_price {
            parts.push(format!("max={max}"));
        }
        if self.in_stock {
            parts.push("stock=1".into());
        }
        if self.sort != default_sort {
            parts.push(format!("sort={}", self.sort.slug()));
        }
        if self.page > 1 {
            parts.push(format!("page={}", self.page));
        }
        parts.join("&")
    }

    pub fn offset(&self) -> i64 {
        (self.page.max(1) - 1) * PAGE_SIZE
    }
}

/// One value of a facet with how many products it would show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetValue {
    pub slug: String,
    pub label: String,
    /// Colour swatch for colour facets.
    pub hex: Option<String>,
    pub count: i64,
    pub selected: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facets {
    pub colours: Vec<FacetValue>,
    pub sizes: Vec<FacetValue>,
    pub in_stock_count: i64,
    /// Cheapest and dearest matching price, whole units (for the price boxes' hints).
    pub price_bounds: Option<(i64, i64)>,
}

/// What a listing is a listing of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    Category(String),
    Collection(String),
    Search(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    pub title: String,
    pub description: String,
    /// Path of the listing without query (`/c/hoodies`).
    pub path: String,
    pub canonical_url: String,
    pub filters: Filters,
    pub default_sort: Sort,
    pub total: i64,
    pub products: Vec<ProductCard>,
    pub facets: Facets,
    /// Which of these products the viewer has saved (`None`: the viewer has no wishlist).
    pub saved: Option<Vec<Uuid>>,
}

impl Listing {
    pub fn pages(&self) -> i64 {
        ((self.total + PAGE_SIZE - 1) / PAGE_SIZE).clamp(1, MAX_PAGE)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    pub name: String,
    pub slug: String,
    pub price: Money,
    pub image_url: Option<String>,
}

#[cfg(test)]
mod listing_tests {
    use super::*;

    #[test]
    fn filters_round_trip_through_the_url() {
        let f = Filters::from_pairs(
            [("size", "m"), ("colour", "navy"), ("colour", "black"), ("colour", "navy"), ("min", "20"), ("stock", "1"), ("sort", "price-asc"), ("page", "3")],
            Sort::Newest,
        );
        assert_eq!(f.colours, vec!["black", "navy"]);
        assert_eq!(f.to_query(Sort::Newest), "colour=black&colour=navy&size=m&min=20&stock=1&sort=price-asc&page=3");
        assert_eq!(f.offset(), 48);
    }

    #[test]
    fn bad_values_fall_back_to_defaults() {
        let f = Filters::from_pairs([("page", "0"), ("sort", "random"), ("min", "-5"), ("colour", "Robert'); drop"), ("page", "x")], Sort::Newest);
        assert_eq!((f.page, f.sort, f.min_price), (1, Sort::Newest, None));
        assert!(f.colours.is_empty());
        assert_eq!(f.to_query(Sort::Newest), "");
        let deep = Filters::from_pairs([("page", "5000")], Sort::Relevance);
        assert_eq!(deep.page, 1, "beyond the last allowed page");
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub url: String,
    pub alt: String,
    /// The widths of its variants (`media::Picture`); empty for a single file.
    #[serde(default)]
    pub widths: Vec<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizeOption {
    /// The colour+size variant (what goes into a cart).
    pub variant_id: Uuid,
    pub label: String,
    pub sku: String,
    /// Units that can still be bought (stock less reservations).
    pub available: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColourOption {
    pub slug: String,
    pub name: String,
    pub hex: String,
    pub images: Vec<Image>,
    pub sizes: Vec<SizeOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDetail {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub brand: String,
    pub price: Money,
    pub compare_at: Option<Money>,
    pub rating_avg_x10: i32,
    pub rating_count: i32,
    pub category: Option<CategoryLink>,
    pub colours: Vec<ColourOption>,
    pub canonical_url: String,
    pub site_url: String,
    pub related: Vec<ProductCard>,
    pub bought_together: Vec<ProductCard>,
}

impl ProductDetail {
    pub fn in_stock(&self) -> bool {
        self.colours.iter().flat_map(|c| &c.sizes).any(|s| s.available > 0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookbookPage {
    pub title: String,
    pub slug: String,
    pub description: String,
    pub cover_image_url: Option<String>,
    pub products: Vec<ProductCard>,
    pub canonical_url: String,
}

/// The words of a search query as typo correction sees them: lowercase ASCII letters only
/// (so they can be joined into a tsquery as they are), at most eight.
pub fn query_words(q: &str) -> Vec<String> {
    q.to_lowercase()
        .split(|c: char| !c.is_ascii_lowercase())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(str::to_owned)
        .collect()
}

/// Whether `a` becomes `b` by one dropped, added or changed letter, or two neighbours swapped.
pub fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    match (ra.len(), rb.len()) {
        (0, 0) => false,
        (la, lb) if la == lb => ra[1..] == rb[1..] || (la >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..]),
        (la, lb) if la == lb + 1 => ra[1..] == *rb,
        (la, lb) if la + 1 == lb => *ra == rb[1..],
        _ => false,
    }
}

#[cfg(test)]
mod search_word_tests {
    use super::{one_edit_apart, query_words};

    #[test]
    fn one_edit_covers_drop_add_change_and_swap() {
        for (typed, word) in [
            ("costal", "coastal"),  // dropped
            ("coasttal", "coastal"), // added
            ("coastel", "coastal"), // changed
            ("caostal", "coastal"), // swapped
            ("coastla", "coastal"), // swapped at the end
            ("oastal", "coastal"),  // first letter dropped
            ("xcoastal", "coastal"), // letter added in front
        ] {
            assert!(one_edit_apart(typed, word), "{typed} → {word}");
        }
        for (typed, word) in [("coastal", "coastal"), ("cstal", "coastal"), ("caotsal", "coastal"), ("ocatsal", "coastal"), ("", "ab")] {
            assert!(!one_edit_apart(typed, word), "{typed} ↛ {word}");
        }
    }

    #[test]
    fn query_words_are_lowercase_letters() {
        assert_eq!(query_words("Costal  Zip-Hoodie's 2x"), ["costal", "zip", "hoodie", "s", "x"]);
        assert_eq!(query_words("'); drop"), ["drop"]);
        assert!(query_words("Ünïcode").iter().all(|w| w.bytes().all(|b| b.is_ascii_lowercase())));
    }
}

/// A URL name (`linen-shirt`): lowercase letters and digits in words joined by single
/// hyphens, at most 120 characters, as the database's check allows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Slug(String);

impl Slug {
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        let words_ok = !value.is_empty()
            && value.split('-').all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        if !words_ok {
            return Err("Use lowercase letters and digits, with single hyphens between words (like linen-shirt).".into());
        }
        if value.len() > 120 {
            return Err("Use at most 120 characters.".into());
        }
        Ok(Self(value.to_owned()))
    }

    /// The slug a name suggests: `Linen Shirt (Sage)` → `linen-shirt-sage`.
    pub fn from_name(name: &str) -> Option<Self> {
        let mut slug = String::with_capacity(name.len());
        for ch in name.chars() {
            if ch.is_ascii_alphanumeric() {
                slug.push(ch.to_ascii_lowercase());
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let slug: String = slug.chars().take(120).collect();
        Self::parse(slug.trim_end_matches('-')).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod slug_tests {
    use super::Slug;

    #[test]
    fn slugs_are_lowercase_words_joined_by_hyphens() {
        assert_eq!(Slug::parse("linen-shirt-2").unwrap().as_str(), "linen-shirt-2");
        for bad in ["", "Linen", "linen--shirt", "-linen", "linen-", "linen shirt", "lin\u{e9}n"] {
            assert!(Slug::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Slug::parse(&"a".repeat(121)).is_err());
        assert_eq!(Slug::from_name("  Linen Shirt (Sage) ").unwrap().as_str(), "linen-shirt-sage");
        assert_eq!(Slug::from_name("???"), None);
    }
}

/// A product as the staff list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffProductRow {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub currency: String,
    pub price_minor: i64,
    pub sale_minor: Option<i64>,
    pub is_active: bool,
    pub deleted: bool,
    /// Units on hand less those unpaid orders hold, over every colour and size.
    pub available: i64,
    pub reserved: i64,
    pub categories: String,
}

/// The product form's fields as staff typed them (amounts as text), so a refused save can
/// show them again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductFields {
    pub name: String,
    pub slug: String,
    pub description: String,
    pub price: String,
    pub sale_price: String,
    pub is_active: bool,
    pub seo_title: String,
    pub seo_description: String,
    pub categories: Vec<Uuid>,
}

/// One colour × size of a product in the stock grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockCell {
    pub id: Uuid,
    pub colour: String,
    pub size: String,
    pub sku: String,
    pub stock: i32,
    pub reserved: i32,
}

/// Everything the product editor shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductEditor {
    pub id: Option<Uuid>,
    pub fields: ProductFields,
    pub currency: String,
    pub deleted: bool,
    /// (id, name) of every category, for the checkboxes.
    pub all_categories: Vec<(Uuid, String)>,
    pub stock: Vec<StockCell>,
    /// (id, name) of every colour and (id, label) of every size, for adding variants.
    pub all_colours: Vec<(Uuid, String)>,
    pub all_sizes: Vec<(Uuid, String)>,
}

/// What one bulk action over selected products does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProductBulk {
    Activate,
    Deactivate,
    AddToCollection(Uuid),
    /// Changes the price by this many hundredths of a percent (-1000 = -10 %).
    ChangePrice { basis_points: i64 },
}

// ---- the catalogue's taxonomy as staff edit it (categories, colours, sizes, showcases) ----

/// One category in the staff tree, in tree order (`depth` 0 for a top-level one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryRow {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub depth: usize,
    pub is_active: bool,
    pub products: i64,
    pub children: i64,
    /// First or last among its siblings (no arrow that way).
    pub first: bool,
    pub last: bool,
}

/// A category's editable fields, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryFields {
    pub name: String,
    pub slug: String,
    pub parent: Option<Uuid>,
    pub description: String,
    pub image_url: String,
    pub is_active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryEditor {
    pub id: Option<Uuid>,
    pub fields: CategoryFields,
    /// (id, name indented by depth) of every category it may go under.
    pub parents: Vec<(Uuid, String)>,
    pub products: i64,
    pub children: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColourRow {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub hex: String,
    pub products: i64,
}

/// What a size is of; the database's `sizes_kind_check`.
pub const SIZE_KINDS: [(&str, &str); 5] =
    [("apparel", "Clothing"), ("footwear", "Footwear"), ("capacity", "Capacity"), ("edition", "Edition"), ("one_size", "One size")];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizeRow {
    pub id: Uuid,
    pub label: String,
    pub slug: String,
    pub kind: String,
    pub products: i64,
    pub first: bool,
    pub last: bool,
}

/// A hand-picked, ordered list of products: a collection or a lookbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Showcase {
    Collection,
    Lookbook,
}

impl Showcase {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "collection" => Some(Self::Collection),
            "lookbook" => Some(Self::Lookbook),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Collection => "collection",
            Self::Lookbook => "lookbook",
        }
    }
    /// The staff pages' path (`/admin/collections`).
    pub fn admin_path(self) -> &'static str {
        match self {
            Self::Collection => "/admin/collections",
            Self::Lookbook => "/admin/lookbooks",
        }
    }
    /// The storefront's path prefix (`/collections`).
    pub fn store_path(self) -> &'static str {
        match self {
            Self::Collection => "/collections",
            Self::Lookbook => "/lookbooks",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowcaseRow {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub is_active: bool,
    /// Featured on the home page (collections) or published (lookbooks).
    pub flag: bool,
    pub products: i64,
}

/// A collection's or lookbook's editable fields, as typed. `flag` is "featured" for a
/// collection and "published" for a lookbook.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowcaseFields {
    pub name: String,
    pub slug: String,
    pub description: String,
    pub image_url: String,
    pub is_active: bool,
    pub flag: bool,
}

/// A product in a showcase, or one found to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickedProduct {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub is_live: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowcaseEditor {
    pub kind: Showcase,
    pub id: Option<Uuid>,
    pub fields: ShowcaseFields,
    /// In the order shoppers see them.
    pub picked: Vec<PickedProduct>,
    /// Products matching the picker's search, not yet picked.
    pub found: Vec<PickedProduct>,
}

/// What a CSV import holds: products (one row each) or stock (one row per colour × size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportKind {
    Products,
    Stock,
}

impl ImportKind {
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim() {
            "products" => Some(Self::Products),
            "stock" => Some(Self::Stock),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Products => "products",
            Self::Stock => "stock",
        }
    }
}

/// What importing an uploaded CSV would do, worked out afresh from the file and the
/// database each time it is shown and again when it is confirmed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPreview {
    pub kind: Option<ImportKind>,
    pub file_name: String,
    /// Data rows read (blank lines aside).
    pub rows: usize,
    /// The good rows that change something, in file order.
    pub changes: Vec<ImportChange>,
    /// Good rows that match what the store already has.
    pub unchanged: usize,
    pub rejected: Vec<ImportRejection>,
    /// Fingerprint of `changes`: the confirm step imports only what the person saw.
    pub digest: String,
    /// The upload this preview is of; the confirm form posts it back.
    pub token: String,
}

/// One good row: what it creates or changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportChange {
    pub line: u64,
    /// The product's slug, or the SKU of a stock row.
    pub key: String,
    pub creates: bool,
    /// (column, before, after) for each value that changes.
    pub fields: Vec<(String, String, String)>,
}

/// One refused row and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRejection {
    pub line: u64,
    pub key: String,
    pub reason: String,
}
