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
