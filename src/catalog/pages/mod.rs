mod home;
mod listing;
mod lookbook;
mod product;

pub use home::HomePage;
pub use listing::{CategoryPage, CollectionPage, SearchPage};
pub use lookbook::LookbookPage;
pub use product::ProductPage;
