//! The dashboard frame's server functions: who is looking, and the overview's figures.
//! Each figure is shown only to staff whose role may see its area.

use crate::{auth::Role, error::AppError};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAccess {
    pub role: Role,
    pub email: String,
    /// The dashboard sections this role may open, in menu order: (label, path).
    pub sections: Vec<(String, String)>,
}

/// A size running low, for the overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LowStock {
    pub product_id: uuid::Uuid,
    pub product: String,
    pub colour: String,
    pub size: String,
    pub available: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub live_products: Option<i64>,
    pub categories: Option<i64>,
    pub units_in_stock: Option<i64>,
    pub customers: Option<i64>,
    pub open_orders: Option<i64>,
    pub published_articles: Option<i64>,
    pub low_stock_threshold: i64,
    pub low_stock: Vec<LowStock>,
}

#[server(endpoint = "admin/access")]
pub async fn get_staff_access() -> Result<StaffAccess, AppError> {
    use crate::{
        auth::{server::require_permission, Permission},
        server::ctx,
    };
    ctx::respond(async {
        let (user, role) = require_permission(Permission::ViewDashboard).await?;
        let email: String = sqlx::query_scalar("select coalesce(email::text, '') from users where id = $1").bind(user).fetch_one(&ctx::state()?.db).await?;
        let sections = super::SECTIONS
            .iter()
            .filter(|s| role.can(s.permission))
            .map(|s| (s.label.to_owned(), s.path.to_owned()))
            .collect();
        Ok(StaffAccess { role, email, sections })
    })
    .await
}

#[server(endpoint = "admin/overview")]
pub async fn get_overview() -> Result<Overview, AppError> {
    use crate::{
        auth::{server::require_permission, Permission},
        server::ctx,
    };
    ctx::respond(async {
        let (_, role) = require_permission(Permission::ViewDashboard).await?;
        let state = ctx::state()?;
        let db = &state.db;
        let threshold = state.config.low_stock_threshold;
        let mut overview = Overview { low_stock_threshold: threshold, ..Overview::default() };
        if role.can(Permission::ManageCatalog) {
            let (live, categories, units): (i64, i64, i64) = sqlx::query_as(
                "select (select count(*) from products where is_live),
                        (select count(*) from categories),
                        (select coalesce(sum(available), 0)::bigint from product_sizes)",
            )
            .fetch_one(db)
            .await?;
            (overview.live_products, overview.categories, overview.units_in_stock) = (Some(live), Some(categories), Some(units));
            let low: Vec<(uuid::Uuid, String, String, String, i64)> = sqlx::query_as(
                "select p.id, p.name, c.name, s.label, (ps.available)::bigint from product_sizes ps
                 join product_colours pc on pc.id = ps.product_colour_id join products p on p.id = pc.product_id
                 join colours c on c.id = pc.colour_id join sizes s on s.id = ps.size_id
                 where p.is_live and ps.available <= $1
                 order by ps.available, p.name limit 20",
            )
            .bind(threshold)
            .fetch_all(db)
            .await?;
            overview.low_stock = low
                .into_iter()
                .map(|(product_id, product, colour, size, available)| LowStock { product_id, product, colour, size, available })
                .collect();
        }
        if role.can(Permission::ManageCustomers) {
            overview.customers = Some(sqlx::query_scalar("select count(*) from users where role = 'customer'").fetch_one(db).await?);
        }
        if role.can(Permission::ManageOrders) {
            let open = crate::orders::OrderStatus::names(&crate::orders::OrderStatus::OPEN);
            overview.open_orders = Some(sqlx::query_scalar("select count(*) from orders where status = any($1)").bind(open).fetch_one(db).await?);
        }
        if role.can(Permission::ManageContent) {
            overview.published_articles = Some(
                // Scheduled ones count once their time has come.
                sqlx::query_scalar("select count(*) from articles where status = 'published' and deleted_at is null and published_at <= $1")
                    .bind(state.clock.now())
                    .fetch_one(db)
                    .await?,
            );
        }
        Ok(overview)
    })
    .await
}
