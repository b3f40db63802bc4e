//! A listing's products in memory: what filtering, sorting, paging and facet counts need to
//! know of every product in one scope (a category, a collection or a search), read in one
//! query and kept in the catalogue cache until the catalogue changes. Every filter
//! combination, sort and page of that scope is then worked out here, in microseconds,
//! instead of by grouped queries that visit every matching row per facet.
//!
//! The rules are the storefront's (see `Filters`): colours are alternatives, sizes are
//! alternatives, and size and stock must hold on one variant, of a chosen colour when
//! colours are chosen. A facet value's count is the size of the listing after ticking it.

use super::types::{FacetValue, Facets, Filters, Sort, PAGE_SIZE};
use serde::Serialize;
use std::cmp::Ordering;
use uuid::Uuid;

/// One live product of the scope.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: Uuid,
    /// What the shopper pays now, in minor units.
    pub price: i64,
    /// Creation time in microseconds, for "newest".
    pub created: i64,
    pub sold: i32,
    pub rating_sum: i32,
    pub rating_count: i32,
    /// Search rank (or name similarity) for "most relevant"; 0 outside search.
    pub relevance: f32,
    /// Indexes into `ScopeIndex::colours`, each colour once.
    pub colours: Vec<u16>,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Variant {
    pub colour: u16,
    pub size: u16,
    pub in_stock: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Value {
    pub slug: String,
    pub label: String,
    pub hex: Option<String>,
}

/// The scope's products, with the colours and sizes their indexes point at (in facet order).
#[derive(Debug, Clone, Serialize)]
pub struct ScopeIndex {
    /// Search results sort by relevance; other listings have none ("newest" instead).
    pub is_search: bool,
    pub title: String,
    pub description: String,
    pub path: String,
    pub entries: Vec<Entry>,
    pub colours: Vec<Value>,
    pub sizes: Vec<Value>,
}

/// A listing page worked out from a scope: the page's product ids, the total and the facets.
#[derive(Debug, PartialEq)]
pub struct Page {
    pub ids: Vec<Uuid>,
    pub total: i64,
    pub facets: Facets,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Except {
    Nothing,
    Colour,
    Size,
    Price,
}

/// The filters with slugs turned into indexes. A chosen slug that names nothing matches
/// nothing, as it would in SQL.
struct Chosen {
    colours: Option<Vec<u16>>,
    sizes: Option<Vec<u16>>,
    stock: bool,
    min: Option<i64>,
    max: Option<i64>,
}

impl Chosen {
    fn new(index: &ScopeIndex, f: &Filters) -> Self {
        let pick = |values: &[Value], slugs: &[String]| {
            (!slugs.is_empty()).then(|| (0..values.len() as u16).filter(|&i| slugs.contains(&values[i as usize].slug)).collect())
        };
        Self {
            colours: pick(&index.colours, &f.colours),
            sizes: pick(&index.sizes, &f.sizes),
            stock: f.in_stock,
            min: f.min_price.map(|m| m * 100),
            max: f.max_price.map(|m| m * 100 + 99),
        }
    }

    /// Whether one variant has a chosen size (if any), stock (if asked) and a chosen colour
    /// (if any, and `colours` is given).
    fn variant_ok(&self, v: &Variant, colours: Option<&Vec<u16>>, sizes: Option<&Vec<u16>>, stock: bool) -> bool {
        sizes.is_none_or(|s| s.contains(&v.size)) && (!stock || v.in_stock) && colours.is_none_or(|c| c.contains(&v.colour))
    }

    /// The colour, size and stock filters on one product (price aside).
    fn variants_ok(&self, e: &Entry, colours: Option<&Vec<u16>>, sizes: Option<&Vec<u16>>, stock: bool) -> bool {
        if let Some(colours) = colours {
            if !e.colours.iter().any(|c| colours.contains(c)) {
                return false;
            }
        }
        (sizes.is_none() && !stock) || e.variants.iter().any(|v| self.variant_ok(v, colours, sizes, stock))
    }

    fn matches(&self, e: &Entry, except: Except) -> bool {
        let price_ok = except == Except::Price || (self.min.is_none_or(|m| e.price >= m) && self.max.is_none_or(|m| e.price <= m));
        let colours = if except == Except::Colour { None } else { self.colours.as_ref() };
        let sizes = if except == Except::Size { None } else { self.sizes.as_ref() };
        price_ok && self.variants_ok(e, colours, sizes, self.stock)
    }
}

/// Page `filters.page` of the scope under `filters`, with its total and facet counts.
pub fn page(index: &ScopeIndex, f: &Filters) -> Page {
    let chosen = Chosen::new(index, f);
    let mut listed: Vec<&Entry> = index.entries.iter().filter(|e| chosen.matches(e, Except::Nothing)).collect();
    let total = listed.len() as i64;
    let sort = if f.sort == Sort::Relevance && !index.is_search { Sort::Newest } else { f.sort };
    listed.sort_by(|a, b| order(sort, a, b));
    let ids = listed.iter().skip(f.offset() as usize).take(PAGE_SIZE as usize).map(|e| e.id).collect();
    Page { ids, total, facets: facets(index, f, &chosen, total) }
}

fn order(sort: Sort, a: &Entry, b: &Entry) -> Ordering {
    match sort {
        Sort::PriceAsc => a.price.cmp(&b.price).then(a.id.cmp(&b.id)),
        Sort::PriceDesc => b.price.cmp(&a.price).then(b.id.cmp(&a.id)),
        Sort::BestSelling => b.sold.cmp(&a.sold).then(a.id.cmp(&b.id)),
        // Highest average first (compared exactly, as fractions), unrated last, then by count.
        Sort::BestRated => match (a.rating_count, b.rating_count) {
            (0, 0) => Ordering::Equal,
            (0, _) => Ordering::Greater,
            (_, 0) => Ordering::Less,
            (ac, bc) => (b.rating_sum as i64 * ac as i64).cmp(&(a.rating_sum as i64 * bc as i64)),
        }
        .then(b.rating_count.cmp(&a.rating_count))
        .then(a.id.cmp(&b.id)),
        Sort::Relevance => b.relevance.total_cmp(&a.relevance).then(a.id.cmp(&b.id)),
        Sort::Newest => b.created.cmp(&a.created).then(b.id.cmp(&a.id)),
    }
}

fn facets(index: &ScopeIndex, f: &Filters, chosen: &Chosen, total: i64) -> Facets {
    let sizes_chosen = chosen.sizes.as_ref();
    let colours_chosen = chosen.colours.as_ref();
    // Per value: whether any listed row has it, products it qualifies, and those of them
    // that the current filters already list.
    let mut colour_counts = vec![(false, 0i64, 0i64); index.colours.len()];
    let mut size_counts = vec![(false, 0i64, 0i64); index.sizes.len()];
    let mut in_stock_count = 0;
    let mut bounds: Option<(i64, i64)> = None;
    let stocked = Chosen { colours: chosen.colours.clone(), sizes: chosen.sizes.clone(), stock: true, min: chosen.min, max: chosen.max };
    for e in &index.entries {
        let listed = chosen.variants_ok(e, colours_chosen, sizes_chosen, chosen.stock);
        if chosen.matches(e, Except::Colour) {
            for &c in &e.colours {
                // A colour qualifies a product when a variant of that colour has a chosen size and stock.
                let value_ok = (sizes_chosen.is_none() && !chosen.stock)
                    || e.variants.iter().any(|v| v.colour == c && chosen.variant_ok(v, None, sizes_chosen, chosen.stock));
                let counts = &mut colour_counts[c as usize];
                counts.0 = true;
                counts.1 += value_ok as i64;
                counts.2 += (value_ok && listed) as i64;
            }
        }
        if chosen.matches(e, Except::Size) {
            // A size qualifies a product when a variant in that size has stock and a chosen colour.
            let qualifies = |v: &Variant| chosen.variant_ok(v, colours_chosen, None, chosen.stock);
            for (i, v) in e.variants.iter().enumerate() {
                let counts = &mut size_counts[v.size as usize];
                counts.0 = true;
                // Each product once per size, however many colours offer it.
                if qualifies(v) && !e.variants[..i].iter().any(|w| w.size == v.size && qualifies(w)) {
                    counts.1 += 1;
                    counts.2 += listed as i64;
                }
            }
        }
        if chosen.matches(e, Except::Price) {
            bounds = Some(bounds.map_or((e.price, e.price), |(lo, hi)| (lo.min(e.price), hi.max(e.price))));
        }
        if stocked.matches(e, Except::Nothing) {
            in_stock_count += 1;
        }
    }
    let facet = |values: &[Value], counts: Vec<(bool, i64, i64)>, slugs: &[String]| {
        values
            .iter()
            .zip(counts)
            .filter_map(|(value, (seen, with_value, overlap))| {
                let selected = slugs.contains(&value.slug);
                let count = if slugs.is_empty() { with_value } else { total + with_value - overlap };
                (seen && (with_value > 0 || selected)).then(|| FacetValue {
                    selected,
                    slug: value.slug.clone(),
                    label: value.label.clone(),
                    hex: value.hex.clone(),
                    count,
                })
            })
            .collect()
    };
    Facets {
        colours: facet(&index.colours, colour_counts, &f.colours),
        sizes: facet(&index.sizes, size_counts, &f.sizes),
        in_stock_count,
        price_bounds: bounds.map(|(lo, hi)| (lo / 100, (hi + 99) / 100)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u128, price: i64, rating: (i32, i32)) -> Entry {
        Entry {
            id: Uuid::from_u128(n),
            price,
            created: n as i64,
            sold: 0,
            rating_sum: rating.0,
            rating_count: rating.1,
            relevance: 0.0,
            colours: vec![0],
            variants: vec![Variant { colour: 0, size: 0, in_stock: n.is_multiple_of(2) }],
        }
    }

    fn index(entries: Vec<Entry>) -> ScopeIndex {
        let value = |slug: &str| Value { slug: slug.into(), label: slug.into(), hex: None };
        ScopeIndex {
            is_search: false,
            title: String::new(),
            description: String::new(),
            path: String::new(),
            entries,
            colours: vec![value("red")],
            sizes: vec![value("m")],
        }
    }

    fn ids(index: &ScopeIndex, pairs: &[(&str, &str)]) -> Vec<u128> {
        page(index, &Filters::from_pairs(pairs.iter().copied(), Sort::Newest)).ids.iter().map(|id| id.as_u128()).collect()
    }

    #[test]
    fn best_rated_compares_averages_exactly_and_puts_unrated_last() {
        // 9/2 = 4.5 beats 13/3 = 4.33; equal averages go to the larger count; unrated last.
        let idx = index(vec![entry(1, 100, (0, 0)), entry(2, 100, (13, 3)), entry(3, 100, (9, 2)), entry(4, 100, (18, 4))]);
        assert_eq!(ids(&idx, &[("sort", "best-rated")]), vec![4, 3, 2, 1]);
    }

    #[test]
    fn prices_filter_in_whole_units_and_ties_sort_by_id() {
        let idx = index(vec![entry(3, 1999, (0, 0)), entry(1, 2000, (0, 0)), entry(2, 2000, (0, 0)), entry(4, 2100, (0, 0))]);
        assert_eq!(ids(&idx, &[("sort", "price-asc"), ("min", "20"), ("max", "20")]), vec![1, 2]);
        assert_eq!(ids(&idx, &[("sort", "price-desc")]), vec![4, 2, 1, 3]);
        // "Relevance" means nothing outside search: newest first.
        assert_eq!(ids(&idx, &[("sort", "relevance")]), vec![4, 3, 2, 1]);
    }

    #[test]
    fn unknown_slugs_match_nothing_and_stock_counts_follow_the_variants() {
        let idx = index((1..=6).map(|n| entry(n, 1000, (0, 0))).collect());
        assert!(ids(&idx, &[("colour", "teal")]).is_empty());
        let all = page(&idx, &Filters::from_pairs([], Sort::Newest));
        assert_eq!(all.total, 6);
        assert_eq!(all.facets.in_stock_count, 3, "even ids are in stock");
        assert_eq!(all.facets.sizes[0].count, 6);
        let stocked = page(&idx, &Filters::from_pairs([("stock", "1")], Sort::Newest));
        assert_eq!((stocked.total, stocked.facets.colours[0].count, stocked.facets.sizes[0].count), (3, 3, 3));
        assert_eq!(stocked.facets.price_bounds, Some((10, 10)));
    }
}
