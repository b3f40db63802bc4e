//! Staff pages for reviews: the moderation queue (pending first, filters, bulk approve) and
//! one review's page, where it is approved, rejected with the reason its author sees, sent
//! back to the queue, and answered in public. Every server function asks for
//! `Permission::ManageCustomers`; the rules live in `reviews::server`.

use super::table::{use_list_query, Bulk, Cell, Column, DataTable, FilterSelect, ListQuery, Paged, Row, RowAction};
use crate::{
    error::AppError,
    forms::{take_form_outcome, FormFlash},
    reviews::{ReviewStatus, StaffReview, StaffReviewRow, REASON_MAX, REPLY_MAX},
    ui::{described_by, invalid, FormError, Notice, PageTitle, StatusPage, textarea_text, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::{use_params_map, use_query_map};
use std::collections::BTreeMap;
use uuid::Uuid;

#[cfg(feature = "ssr")]
async fn moderator() -> Result<(crate::server::state::AppState, crate::audit::server::Actor), AppError> {
    super::access::staff(crate::auth::Permission::ManageCustomers).await
}

#[cfg(feature = "ssr")]
fn review_id(id: Option<Uuid>) -> Result<Uuid, AppError> {
    id.ok_or_else(|| AppError::NotFound("That review".into()))
}

/// One page of the queue, and how many reviews wait for a decision in all.
#[server(endpoint = "admin/reviews/list")]
pub async fn list_reviews(#[server(default)] query: ListQuery) -> Result<(Paged<StaffReviewRow>, i64), AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = moderator().await?;
        let page = crate::reviews::server::staff_list(&state.db, &query).await?;
        Ok((page, crate::reviews::server::pending_count(&state.db).await?))
    })
    .await
}

#[server(endpoint = "admin/reviews/detail")]
pub async fn get_review(#[server(default)] id: Option<Uuid>) -> Result<StaffReview, AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = moderator().await?;
        crate::reviews::server::staff_review(&state.db, review_id(id)?).await?.ok_or_else(|| AppError::NotFound("That review".into()))
    })
    .await
}

/// Publishes a review; back to the page the button was on.
#[server(endpoint = "admin/reviews/approve")]
pub async fn approve_review(#[server(default)] id: Option<Uuid>) -> Result<bool, AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = moderator().await?;
        crate::reviews::server::moderate(&state.db, review_id(id)?, &crate::reviews::Moderation::Approve, &actor, state.clock.now()).await
    })
    .await;
    let notice = |changed: &bool| if *changed { "Review approved: it shows on the product page." } else { "That review was already approved." };
    finish("review-decision", &[], None, result, |changed| Then::Stay { step: None, notice: Some(notice(changed).to_owned()) }).await
}

/// Takes a review off the product page (or keeps it off) with the reason its author sees;
/// on a rejected review, a new reason replaces the old one.
#[server(endpoint = "admin/reviews/reject")]
pub async fn reject_review(#[server(default)] id: Option<Uuid>, #[server(default)] reason: String) -> Result<bool, AppError> {
    use crate::forms::server::{finish, Then};
    let typed = reason.clone();
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = moderator().await?;
        let id = review_id(id)?;
        let decision = crate::reviews::Moderation::reject(&reason)?;
        crate::reviews::server::moderate(&state.db, id, &decision, &actor, state.clock.now()).await
    })
    .await;
    finish("review-reject", &[("reason", typed.as_str())], None, result, |_| Then::Stay {
        step: None,
        notice: Some("Review rejected: it is not shown, and its author sees your reason.".to_owned()),
    })
    .await
}

/// Sends an approved or rejected review back to the queue (off the product page meanwhile).
#[server(endpoint = "admin/reviews/reopen")]
pub async fn reopen_review(#[server(default)] id: Option<Uuid>) -> Result<bool, AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = moderator().await?;
        crate::reviews::server::moderate(&state.db, review_id(id)?, &crate::reviews::Moderation::Reopen, &actor, state.clock.now()).await
    })
    .await;
    finish("review-decision", &[], None, result, |_| Then::Stay { step: None, notice: Some("Review moved back to pending.".to_owned()) }).await
}

/// Writes or edits the shop's public reply under a review.
#[server(endpoint = "admin/reviews/reply")]
pub async fn reply_to_review(#[server(default)] id: Option<Uuid>, #[server(default)] reply: String) -> Result<bool, AppError> {
    use crate::forms::server::{finish, Then};
    let typed = reply.clone();
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = moderator().await?;
        let id = review_id(id)?;
        let text = crate::reviews::parse_reply(&reply)?;
        crate::reviews::server::reply(&state.db, id, Some(&text), &actor, state.clock.now()).await
    })
    .await;
    finish("review-reply", &[("reply", typed.as_str())], None, result, |_| Then::Stay {
        step: None,
        notice: Some("Reply saved. It shows under the review whenever the review is approved.".to_owned()),
    })
    .await
}

/// Removes the reply, after the confirm step.
#[server(endpoint = "admin/reviews/remove-reply")]
pub async fn remove_review_reply(#[server(default)] id: Option<Uuid>, #[server(default)] confirm: Option<String>) -> Result<bool, AppError> {
    use crate::forms::server::{finish, Then};
    let page = id.map_or_else(|| "/admin/reviews".to_owned(), |id| format!("/admin/reviews/{id}?removed=reply"));
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = moderator().await?;
        let id = review_id(id)?;
        if confirm.as_deref() != Some("remove") {
            return Err(AppError::Rejected("Confirm to remove the reply.".into()));
        }
        crate::reviews::server::reply(&state.db, id, None, &actor, state.clock.now()).await
    })
    .await;
    finish("review-remove-reply", &[], None, result, |_| Then::Redirect(page)).await
}

/// Approves every ticked review (`ids[n]`) of the queue; back to the same list.
#[server(endpoint = "admin/reviews/bulk")]
pub async fn bulk_reviews(#[server(default)] ids: BTreeMap<String, Uuid>, #[server(default)] action: String) -> Result<usize, AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = moderator().await?;
        let decision = match action.as_str() {
            "approve" => crate::reviews::Moderation::Approve,
            "reopen" => crate::reviews::Moderation::Reopen,
            _ => return Err(AppError::field("action", "Choose an action.")),
        };
        let mut changed = 0;
        for id in ids.into_values() {
            // Each review is its own decision: one already gone does not undo the others.
            match crate::reviews::server::moderate(&state.db, id, &decision, &actor, state.clock.now()).await {
                Ok(true) => changed += 1,
                Ok(false) | Err(AppError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(changed)
    })
    .await;
    finish("review-decision", &[], None, result, |n| Then::Stay {
        step: None,
        notice: Some(if *n == 1 { "1 review changed.".to_owned() } else { format!("{n} reviews changed.") }),
    })
    .await
}

fn status_label(status: ReviewStatus) -> &'static str {
    match status {
        ReviewStatus::Pending => "Pending",
        ReviewStatus::Approved => "Approved",
        ReviewStatus::Rejected => "Rejected",
    }
}

fn review_row(r: StaffReviewRow) -> Row {
    let id = r.id.to_string();
    let text = match (r.title.is_empty(), r.comment.is_empty()) {
        (false, false) => format!("{} — {}", r.title, r.comment),
        (false, true) => r.title.clone(),
        _ => r.comment.clone(),
    };
    let customer = if r.customer_name.is_empty() { r.customer_email.clone() } else { format!("{} · {}", r.customer_name, r.customer_email) };
    let mut actions = Vec::new();
    if r.status != ReviewStatus::Approved {
        actions.push(RowAction::Post {
            action: ApproveReview::url().to_owned(),
            fields: vec![("id".into(), id.clone())],
            text: "Approve".into(),
            label: format!("Approve the review by {}", r.customer_email),
        });
    }
    if r.status != ReviewStatus::Rejected {
        actions.push(RowAction::Link { href: format!("/admin/reviews/{id}#reject"), text: "Reject".into(), label: format!("Reject the review by {} (give a reason)", r.customer_email) });
    }
    actions.push(RowAction::Link {
        href: format!("/admin/reviews/{id}#reply"),
        text: if r.has_reply { "Edit reply".into() } else { "Reply".into() },
        label: format!("{} to the review by {}", if r.has_reply { "Edit reply" } else { "Reply" }, r.customer_email),
    });
    Row {
        id: id.clone(),
        cells: vec![
            Cell::Link { href: format!("/p/{}", r.product_slug), text: r.product_name },
            Cell::Text(customer),
            Cell::Text(format!("{} / 5", r.rating)),
            Cell::Link { href: format!("/admin/reviews/{id}"), text },
            Cell::Badge { text: status_label(r.status).into(), good: r.status == ReviewStatus::Approved },
            Cell::Text(r.created_at.format("%-d %b %Y").to_string()),
            Cell::Actions(actions),
        ],
    }
}

fn options(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(v, l)| ((*v).to_owned(), (*l).to_owned())).collect()
}

#[component]
pub fn ReviewsPage() -> impl IntoView {
    let list_query = use_list_query(&["status", "rating"]);
    let data = Resource::new(move || list_query.get(), |q| async move { (list_reviews(q).await, take_form_outcome().await.ok().flatten()) });
    view! {
        <PageTitle text="Reviews — Larkspur staff"/>
        <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
            {move || data.get().map(|(result, flash)| match result {
                Ok((page, pending)) => {
                    let mine = FormFlash::of(&flash, "review-decision");
                    let error = Signal::derive({ let e = mine.as_ref().and_then(|f| f.error.clone()); move || e.clone() });
                    let notice = Signal::derive({ let n = mine.as_ref().and_then(|f| f.notice.clone()); move || n.clone() });
                    let filters = vec![
                        FilterSelect { key: "status", label: "Status", options: options(&[("", "Any status"), ("pending", "Pending"), ("approved", "Approved"), ("rejected", "Rejected")]) },
                        FilterSelect {
                            key: "rating",
                            label: "Rating",
                            options: options(&[("", "Any rating"), ("5", "5 stars"), ("4", "4 stars"), ("3", "3 stars"), ("2", "2 stars"), ("1", "1 star")]),
                        },
                    ];
                    let columns = vec![
                        Column::new("product", "Product"),
                        Column::new("customer", "Customer"),
                        Column::new("rating", "Rating").sortable(),
                        Column::new("review", "Review"),
                        Column::new("status", "Status"),
                        Column::new("date", "Date").sortable(),
                        Column::new("actions", "Actions"),
                    ];
                    let bulk = Bulk { action_url: BulkReviews::url().to_owned(), actions: options(&[("approve", "Approve"), ("reopen", "Move back to pending")]), extra: None };
                    let waiting = match pending {
                        0 => "Nothing waits for a decision.".to_owned(),
                        1 => "1 review waits for a decision.".to_owned(),
                        n => format!("{n} reviews wait for a decision."),
                    };
                    view! {
                        <h1 class="text-2xl font-semibold text-stone-900">"Reviews"</h1>
                        <p class="mt-1 text-sm text-stone-600" data-testid="pending-count">{waiting}" Pending reviews come first; only approved ones show in the shop."</p>
                        <div class="mt-4 space-y-2"><FormError error/><Notice message=notice/></div>
                        <DataTable path="/admin/reviews" query=list_query.get() columns rows=page.rows.into_iter().map(review_row).collect() total=page.total
                            search_label="Search product, customer name or email" filters bulk
                            empty="No reviews match. Clear the search or filters."/>
                    }.into_any()
                }
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
pub fn ReviewPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id")).and_then(|id| id.parse::<Uuid>().ok());
    // A malformed id still goes to the server: its access check answers before "not found".
    let data = Resource::new(id, |id| async move { (get_review(id).await, take_form_outcome().await.ok().flatten()) });
    let confirming = move || query.with(|q| q.get("confirm")).as_deref() == Some("remove-reply");
    let removed = move || query.with(|q| q.get("removed")).is_some();
    view! {
        <Suspense fallback=|| view! { <p class="text-stone-500">"Loading…"</p> }>
            {move || data.get().map(|(result, flash)| match result {
                Ok(review) => view! { <ReviewDetail review flash confirming=confirming() removed=removed()/> }.into_any(),
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

const CARD: &str = "rounded-xl border border-stone-200 bg-white p-6";
const TEXTAREA: &str = "block w-full rounded-lg border border-stone-300 bg-white px-3 py-2 text-base text-stone-900 shadow-sm focus:border-emerald-700 focus:outline-2 focus:outline-emerald-700 aria-[invalid=true]:border-red-600";

/// A labelled textarea with its hint and the server's message for it.
#[component]
fn TextArea(
    #[prop(into)] id: String,
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    #[prop(into)] hint: String,
    value: String,
    error: Option<String>,
    max: usize,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let describe = described_by([Some(hint_id.as_str()), error.as_ref().map(|_| error_id.as_str())]);
    view! {
        <div class="space-y-1">
            <label for=id.clone() class="block text-sm font-medium text-stone-800">{label}</label>
            <p id=hint_id.clone() class="text-xs text-stone-500">{hint}</p>
            <textarea id=id name=name rows="4" maxlength=max.to_string() aria-invalid=invalid(error.is_some()) aria-describedby=describe class=TEXTAREA>{textarea_text(&value)}</textarea>
            {error.map(|m| view! { <p id=error_id class="text-sm text-red-700">{m}</p> })}
        </div>
    }
}

#[component]
fn ReviewDetail(review: StaffReview, flash: Option<FormFlash>, confirming: bool, removed: bool) -> impl IntoView {
    let r = &review.review;
    let id = r.id.to_string();
    let status = r.status;
    let outcome = ["review-decision", "review-reject", "review-reply", "review-remove-reply"].iter().find_map(|form| FormFlash::of(&flash, form));
    let error = Signal::derive({ let e = outcome.as_ref().and_then(|f| f.error.clone()); move || e.clone() });
    let notice = outcome.as_ref().and_then(|f| f.notice.clone()).or_else(|| removed.then(|| "Reply removed.".to_owned()));
    let notice = Signal::derive(move || notice.clone());
    let reject = FormFlash::of(&flash, "review-reject");
    let reason_typed = reject.as_ref().filter(|f| f.error.is_some()).map(|f| f.value("reason")).or_else(|| review.rejection_reason.clone()).unwrap_or_default();
    let reason_error = reject.as_ref().and_then(|f| f.error.as_ref()).and_then(|e| e.field_error("reason"));
    let reply_flash = FormFlash::of(&flash, "review-reply");
    let reply_typed = reply_flash.as_ref().filter(|f| f.error.is_some()).map(|f| f.value("reply")).or_else(|| review.reply.as_ref().map(|r| r.text.clone())).unwrap_or_default();
    let reply_error = reply_flash.as_ref().and_then(|f| f.error.as_ref()).and_then(|e| e.field_error("reply"));
    let title = format!("Review of {}", r.product_name);
    let (tone, label) = match status {
        ReviewStatus::Pending => ("bg-amber-100 text-amber-900", "Pending"),
        ReviewStatus::Approved => ("bg-emerald-100 text-emerald-900", "Approved — shown in the shop"),
        ReviewStatus::Rejected => ("bg-stone-200 text-stone-800", "Rejected — not shown"),
    };
    let stars = format!("{}{}", "★".repeat(r.rating.clamp(0, 5) as usize), "☆".repeat(5 - r.rating.clamp(0, 5) as usize));
    let hidden_id = move || view! { <input type="hidden" name="id" value=id.clone()/> };
    view! {
        <PageTitle text=format!("{title} — Larkspur staff")/>
        <nav aria-label="Breadcrumb" class="text-sm text-stone-600">
            <ol class="flex gap-2"><li><a href="/admin/reviews" class=LINK>"Reviews"</a></li><li aria-hidden="true">"/"</li><li aria-current="page">{format!("By {}", r.customer_email)}</li></ol>
        </nav>
        <div class="mt-2 flex flex-wrap items-center justify-between gap-3">
            <h1 class="text-2xl font-semibold text-stone-900">{title.clone()}</h1>
            <div class="flex gap-4 text-sm">
                <a href=format!("/admin/audit?kind=review&entity={}", r.id) class=LINK>"History"</a>
                <a href=format!("/p/{}#reviews", r.product_slug) class=LINK>"View product in store ↗"</a>
            </div>
        </div>
        <p class="mt-2"><span class=format!("inline-flex rounded-full px-3 py-1 text-xs font-semibold {tone}") data-testid="review-status">{label}</span></p>
        <div class="mt-4 space-y-2"><Notice message=notice/><FormError error/></div>
        <div class="mt-6 grid gap-6 lg:grid-cols-3">
            <div class="space-y-6 lg:col-span-2">
                <article class=CARD aria-labelledby="review-heading">
                    <h2 id="review-heading" class="sr-only">"The review"</h2>
                    <p class="text-lg text-amber-500" role="img" aria-label=format!("Rated {} out of 5", r.rating)><span aria-hidden="true">{stars}</span></p>
                    {(!r.title.is_empty()).then(|| view! { <p class="mt-2 text-lg font-semibold text-stone-900">{r.title.clone()}</p> })}
                    <p class="mt-2 whitespace-pre-line text-stone-700">{r.comment.clone()}</p>
                    <dl class="mt-4 grid gap-x-6 gap-y-2 border-t border-stone-100 pt-4 text-sm sm:grid-cols-2">
                        <div><dt class="text-stone-500">"Customer"</dt><dd class="text-stone-900">{if r.customer_name.is_empty() { "—".to_owned() } else { r.customer_name.clone() }}</dd></div>
                        <div><dt class="text-stone-500">"Email"</dt><dd class="break-all text-stone-900">{r.customer_email.clone()}</dd></div>
                        <div><dt class="text-stone-500">"Written"</dt><dd class="text-stone-900">{r.created_at.format("%-d %B %Y, %H:%M UTC").to_string()}</dd></div>
                        <div><dt class="text-stone-500">"Found helpful"</dt><dd class="text-stone-900">{review.helpful_count}</dd></div>
                        {review.moderated.clone().map(|(who, at)| view! {
                            <div class="sm:col-span-2"><dt class="text-stone-500">"Last decision"</dt>
                                <dd class="text-stone-900">{format!("{} · {}", if who.is_empty() { "a former staff member".to_owned() } else { who }, at.format("%-d %B %Y, %H:%M UTC"))}</dd></div>
                        })}
                    </dl>
                </article>
                <section id="reply" class=CARD aria-labelledby="reply-heading">
                    <h2 id="reply-heading" class="text-lg font-semibold">"Reply from Larkspur"</h2>
                    <p class="mt-1 text-sm text-stone-600">"Shown under the review on the product page, with today's date, while the review is approved."</p>
                    {review.reply.clone().map(|reply| view! {
                        <div class="mt-4 rounded-r-lg border-l-4 border-emerald-700 bg-emerald-50/60 px-4 py-3 text-sm" data-testid="current-reply">
                            <p class="text-xs font-semibold text-emerald-900">{format!("Reply from Larkspur · {}", reply.at.format("%-d %B %Y"))}
                                {(!review.replied_by.is_empty()).then(|| view! { <span class="font-normal text-stone-500">{format!(" · by {}", review.replied_by)}</span> })}</p>
                            <p class="mt-1 whitespace-pre-line text-stone-700">{reply.text}</p>
                        </div>
                    })}
                    <form method="post" action=ReplyToReview::url() class="mt-4 space-y-3">
                        {hidden_id()}
                        <TextArea id="field-reply" name="reply" label=if review.reply.is_some() { "Edit the reply" } else { "Your reply" }
                            hint=format!("Up to {REPLY_MAX} characters. Thank the customer or answer their question; it is public.") value=reply_typed error=reply_error max=REPLY_MAX/>
                        <button type="submit" class=BUTTON_PRIMARY>{if review.reply.is_some() { "Update reply" } else { "Post reply" }}</button>
                    </form>
                    {review.reply.is_some().then(|| if confirming {
                        view! {
                            <div class="mt-4 rounded-lg border border-red-200 bg-red-50 p-4" data-testid="confirm-remove-reply">
                                <p class="text-sm font-semibold text-red-900">"Remove this reply? Shoppers will no longer see it."</p>
                                <form method="post" action=RemoveReviewReply::url() class="mt-3 flex flex-wrap gap-3">
                                    {hidden_id()}
                                    <input type="hidden" name="confirm" value="remove"/>
                                    <button type="submit" class="rounded-full bg-red-700 px-5 py-2.5 text-sm font-semibold text-white hover:bg-red-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-700">"Remove reply"</button>
                                    <a href=format!("/admin/reviews/{}#reply", review.review.id) class=BUTTON_SECONDARY>"Keep it"</a>
                                </form>
                            </div>
                        }.into_any()
                    } else {
                        view! { <p class="mt-4"><a href=format!("/admin/reviews/{}?confirm=remove-reply#reply", review.review.id) class="text-sm font-medium text-red-800 underline">"Remove reply…"</a></p> }.into_any()
                    })}
                </section>
            </div>
            <section class=format!("{CARD} space-y-5 self-start") aria-labelledby="decision-heading">
                <h2 id="decision-heading" class="text-lg font-semibold">"Decision"</h2>
                {review.rejection_reason.clone().filter(|_| status == ReviewStatus::Rejected).map(|reason| view! {
                    <div class="rounded-lg bg-stone-100 p-3 text-sm" data-testid="rejection-reason">
                        <p class="font-medium text-stone-800">"Reason the customer sees"</p>
                        <p class="mt-1 whitespace-pre-line text-stone-700">{reason}</p>
                    </div>
                })}
                <div class="flex flex-wrap gap-3">
                    {(status != ReviewStatus::Approved).then(|| view! {
                        <form method="post" action=ApproveReview::url()>{hidden_id()}<button type="submit" class=BUTTON_PRIMARY>"Approve"</button></form>
                    })}
                    {(status != ReviewStatus::Pending).then(|| view! {
                        <form method="post" action=ReopenReview::url()>{hidden_id()}<button type="submit" class=BUTTON_SECONDARY>"Move back to pending"</button></form>
                    })}
                </div>
                <form id="reject" method="post" action=RejectReview::url() class="space-y-3 border-t border-stone-100 pt-5">
                    {hidden_id()}
                    <TextArea id="field-reason" name="reason" label=if status == ReviewStatus::Rejected { "Change the reason" } else { "Reject with a reason" }
                        hint="Required. The customer sees it on their review and can edit and resubmit." value=reason_typed error=reason_error max=REASON_MAX/>
                    <button type="submit" class=BUTTON_SECONDARY>{if status == ReviewStatus::Rejected { "Update reason" } else { "Reject review" }}</button>
                </form>
            </section>
        </div>
    }
}
