//! The background work of orders, registered with the job queue at start-up: the shopper's
//! order emails, and on every tick, releasing unpaid orders whose hold ran out.

use super::{
    emails,
    server::{self, OrderEmailJob},
};
use crate::server::{jobs::JobRegistry, state::AppState};

pub fn register(jobs: &mut JobRegistry<AppState>) {
    jobs.handle(|state: AppState, job: OrderEmailJob| async move { emails::send(&state, job.order_id, job.event).await });
    jobs.every_tick("releasing unpaid orders", |state: AppState| async move {
        server::release_expired(&state.db, state.clock.now()).await?;
        Ok(())
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{orders::server::OrderEmail, server::jobs};
    use uuid::Uuid;

    // Rows queued before the registry existed must still be read the same way.
    #[test]
    fn order_email_jobs_keep_their_stored_form() {
        let job = OrderEmailJob { order_id: Uuid::nil(), event: OrderEmail::Placed };
        let (kind, stored) = jobs::row(&job).unwrap();
        assert_eq!(kind, "order_email");
        assert_eq!(
            stored,
            serde_json::json!({ "kind": "order_email", "payload": { "order_id": Uuid::nil(), "event": "Placed" } })
        );
        assert_eq!(jobs::Queued::from_stored(stored).unwrap().read::<OrderEmailJob>().unwrap(), job);
    }
}
