//! The shopping cart. Pages and mutations arrive with the cart issue; the header already
//! shows how many items the visitor's cart holds.

#[cfg(feature = "ssr")]
pub mod server {
    use crate::server::session::SessionData;
    use sqlx::PgPool;

    /// Units in the visitor's cart: the user's cart when signed in, else the anonymous
    /// shopper's, else the session-only cart of a visitor who declined tracking.
    pub async fn item_count(db: &PgPool, session: &SessionData) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar::<_, i64>(
            "select coalesce(sum(ci.quantity), 0)::bigint
             from carts c join cart_items ci on ci.cart_id = c.id
             where ($1::uuid is not null and c.user_id = $1)
                or ($1::uuid is null and $2::uuid is not null and c.anonymous_user_id = $2)
                or ($1::uuid is null and $2::uuid is null and c.id = $3)",
        )
        .bind(session.user_id)
        .bind(session.anonymous_user_id)
        .bind(session.cart_id)
        .fetch_one(db)
        .await
    }
}
