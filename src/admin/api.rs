use crate::{auth::Role, error::AppError};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAccess {
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub live_products: i64,
    pub categories: i64,
    pub customers: i64,
    pub open_orders: i64,
    pub units_in_stock: i64,
    pub published_articles: i64,
}

pub const STAFF: &[Role] = &[Role::Editor, Role::Admin];

#[server(endpoint = "admin/access")]
pub async fn get_staff_access() -> Result<StaffAccess, AppError> {
    use crate::{auth::server::require_role, server::ctx};
    ctx::respond(async {
        let (_, role) = require_role(STAFF).await?;
        Ok(StaffAccess { role })
    })
    .await
}

#[server(endpoint = "admin/overview")]
pub async fn get_overview() -> Result<Overview, AppError> {
    use crate::{auth::server::require_role, server::ctx};
    ctx::respond(async {
        require_role(STAFF).await?;
        let db = ctx::state()?.db;
        let row: (i64, i64, i64, i64, i64, i64) = sqlx::query_as(
            "select
               (select count(*) from products where is_active and deleted_at is null),
               (select count(*) from categories),
               (select count(*) from users where role = 'customer'),
               (select count(*) from orders where status in ('pending', 'paid', 'processing')),
               (select coalesce(sum(stock - reserved), 0)::bigint from product_sizes),
               (select count(*) from articles where status = 'published' and deleted_at is null)",
        )
        .fetch_one(&db)
        .await?;
        Ok(Overview {
            live_products: row.0,
            categories: row.1,
            customers: row.2,
            open_orders: row.3,
            units_in_stock: row.4,
            published_articles: row.5,
        })
    })
    .await
}
