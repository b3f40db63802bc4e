use super::{get_reviews, submit_review, vote_helpful, Eligibility, MyReview, ReviewStatus, Reviews, SubmitReview, VoteHelpful, REVIEW_SAVED};
use crate::{
    forms::{latest_error, latest_notice, FormFlash},
    ui::{described_by, invalid, Field, FieldMessage, FormError, Notice, Rating, textarea_text, BUTTON_SECONDARY, LINK},
};
use leptos::{prelude::*, server_fn::ServerFn};
use uuid::Uuid;

#[component]
/// `flash`: what a review form posted without JavaScript left.
pub fn ReviewsSection(product_id: Uuid, flash: Option<FormFlash>) -> impl IntoView {
    let reviews = Resource::new(move || (), move |_| get_reviews(product_id));
    view! {
        <section class="mt-16 border-t border-stone-200 pt-10" aria-labelledby="reviews">
            <h2 id="reviews" class="text-2xl font-semibold tracking-tight text-stone-900">"Reviews"</h2>
            <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading reviews…"</p> }>
                {move || reviews.get().map(|r| match r {
                    Ok(r) => view! { <ReviewsBody reviews=r product_id flash=flash.clone()/> }.into_any(),
                    Err(e) => view! { <p class="mt-4 text-sm text-red-700">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn ReviewsBody(reviews: Reviews, product_id: Uuid, flash: Option<FormFlash>) -> impl IntoView {
    let Reviews { average_x10, count, distribution, reviews, eligibility } = reviews;
    view! {
        <div class="mt-6 grid gap-10 lg:grid-cols-[18rem_1fr]">
            <div>
                {if count > 0 {
                    view! {
                        <p class="text-4xl font-semibold text-stone-900">{format!("{}.{}", average_x10 / 10, average_x10 % 10)}<span class="text-base text-stone-500">" / 5"</span></p>
                        <Rating avg_x10=average_x10 count=count as i32/>
                        <ul class="mt-4 space-y-1 text-sm" aria-label="Ratings breakdown">
                            {(1..=5).rev().map(|stars| {
                                let n = distribution[stars - 1];
                                let pct = if count > 0 { n * 100 / count } else { 0 };
                                view! {
                                    <li class="flex items-center gap-2">
                                        <span class="w-12 text-stone-600">{format!("{stars} star")}</span>
                                        <svg class="h-2 flex-1 rounded-full bg-stone-100" viewBox="0 0 100 1" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                                            <rect width=pct height="1" class="fill-amber-400"/>
                                        </svg>
                                        <span class="w-8 text-right text-stone-500">{n}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                } else {
                    view! { <p class="text-stone-600">"No reviews yet."</p> }.into_any()
                }}
                <div class="mt-6">
                    {match eligibility {
                        Eligibility::SignInToReview => view! {
                            <p class="text-sm text-stone-600"><a href="/sign-in" class=LINK>"Sign in"</a>" to review a product you bought."</p>
                        }.into_any(),
                        Eligibility::NotPurchased => view! {
                            <p class="text-sm text-stone-600">"Reviews come from customers who bought this product."</p>
                        }.into_any(),
                        Eligibility::CanReview(mine) => view! { <ReviewForm product_id mine flash=flash.clone()/> }.into_any(),
                    }}
                </div>
            </div>
            <ul class="space-y-8" data-testid="review-list">
                {reviews.into_iter().map(|r| view! {
                    <li class="border-b border-stone-100 pb-6">
                        <Rating avg_x10=i32::from(r.rating) * 10 count=1/>
                        {(!r.title.is_empty()).then(|| view! { <h3 class="mt-1 font-semibold text-stone-900">{r.title.clone()}</h3> })}
                        <p class="mt-2 text-stone-700">{r.comment}</p>
                        <p class="mt-2 flex items-center gap-2 text-xs text-stone-500">
                            <crate::account::pages::Avatar url=r.author_avatar.clone() name=r.author.clone() size="small"/>
                            {format!("{} · verified purchase · {}", r.author, r.created_at.format("%-d %B %Y"))}
                        </p>
                        {r.reply.map(|reply| view! {
                            <div class="mt-3 rounded-r-lg border-l-4 border-emerald-700 bg-emerald-50/60 px-4 py-3" data-testid="review-reply">
                                <p class="text-xs font-semibold text-emerald-900">
                                    "Reply from Larkspur"<span class="font-normal text-stone-500">{format!(" · {}", reply.at.format("%-d %B %Y"))}</span>
                                </p>
                                <p class="mt-1 whitespace-pre-line text-sm text-stone-700">{reply.text}</p>
                            </div>
                        })}
                        <HelpfulButton review_id=r.id count=r.helpful_count/>
                    </li>
                }).collect_view()}
            </ul>
        </div>
    }
}

#[island]
fn HelpfulButton(review_id: Uuid, count: i32) -> impl IntoView {
    let vote = Action::new(move |_: &()| vote_helpful(review_id));
    let shown = move || vote.value().get().and_then(Result::ok).unwrap_or(count);
    let error = move || vote.value().get().and_then(Result::err).map(|e| e.to_string());
    view! {
        <div class="mt-2 flex items-center gap-3 text-sm">
            <form method="post" action=VoteHelpful::url() on:submit=move |ev| { ev.prevent_default(); vote.dispatch(()); }>
                <input type="hidden" name="review_id" value=review_id.to_string()/>
                <button type="submit" class="text-stone-600 underline hover:text-stone-900" disabled=move || vote.pending().get()>
                    {move || format!("Helpful ({})", shown())}
                </button>
            </form>
            {move || error().map(|m| view! { <span role="alert" class="text-red-700">{m}</span> })}
        </div>
    }
}

fn star_class(lit: bool) -> &'static str {
    if lit { "text-amber-500 peer-focus-visible:outline-2" } else { "text-stone-300 peer-focus-visible:outline-2" }
}

#[island]
fn ReviewForm(product_id: Uuid, mine: Option<MyReview>, flash: Option<FormFlash>) -> impl IntoView {
    let editing = mine.is_some();
    // What was typed in a plain post that failed, else the saved review.
    let typed = |field: &str| flash.as_ref().filter(|f| f.error.is_some()).map(|f| f.value(field));
    let initial_rating = typed("rating").and_then(|r| r.parse().ok()).or(mine.as_ref().map(|m| m.rating)).unwrap_or(0);
    let initial_comment = typed("comment").or(mine.as_ref().map(|m| m.comment.clone())).unwrap_or_default();
    let rating = RwSignal::new(initial_rating);
    let title = RwSignal::new(typed("title").or(mine.as_ref().map(|m| m.title.clone())).unwrap_or_default());
    let comment = RwSignal::new(initial_comment.clone());
    let status = mine.as_ref().map(|m| m.status);
    let rejection = mine.and_then(|m| m.rejection_reason).filter(|_| status == Some(ReviewStatus::Rejected));
    let submit = Action::new(move |(r, t, c): &(i16, String, String)| submit_review(product_id, *r, t.clone(), c.clone()));
    let error = latest_error(move || submit.value().get().map(Result::err), &flash);
    let saved = latest_notice(move || submit.value().get(), |_| REVIEW_SAVED.to_string(), &flash);
    let rating_error = Signal::derive(move || error.get().and_then(|e| e.field_error("rating")));
    let comment_error = Signal::derive(move || error.get().and_then(|e| e.field_error("comment")));
    view! {
        <form method="post" action=SubmitReview::url() class="space-y-4" on:submit=move |ev| {
            ev.prevent_default();
            submit.dispatch((rating.get_untracked(), title.get_untracked(), comment.get_untracked()));
        }>
            <input type="hidden" name="product_id" value=product_id.to_string()/>
            <h3 class="font-semibold text-stone-900">{if editing { "Edit your review" } else { "Write a review" }}</h3>
            {status.filter(|s| *s == ReviewStatus::Pending).map(|_| view! { <p class="text-sm text-stone-500">"Your review is waiting for approval."</p> })}
            {rejection.map(|reason| view! {
                <div class="rounded-lg border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-950" data-testid="review-rejected">
                    <p class="font-semibold">"We didn't publish your review."</p>
                    <p class="mt-1 whitespace-pre-line">{reason}</p>
                    <p class="mt-1 text-amber-900">"Edit it below and submit it again; our team will check it once more."</p>
                </div>
            })}
            <fieldset>
                <legend class="text-sm font-medium text-stone-800">"Rating"</legend>
                <div class="mt-1 flex gap-1">
                    {(1..=5i16).map(|n| view! {
                        <label class="cursor-pointer text-2xl">
                            <input type="radio" name="rating" class="peer sr-only" value=n.to_string() checked=initial_rating == n
                                prop:checked=move || rating.get() == n on:change=move |_| rating.set(n)
                                aria-invalid=move || invalid(rating_error.get().is_some())
                                aria-describedby=move || described_by([rating_error.get().map(|_| "field-rating-error")])/>
                            <span class=move || star_class(rating.get() >= n) aria-hidden="true">"★"</span>
                            <span class="sr-only">{format!("{n} star{}", if n == 1 { "" } else { "s" })}</span>
                        </label>
                    }).collect_view()}
                </div>
                <FieldMessage id="field-rating-error" message=rating_error/>
            </fieldset>
            <Field label="Title (optional)" name="title" value=title error/>
            <div class="space-y-1">
                <label for="field-comment" class="block text-sm font-medium text-stone-800">"Your review"</label>
                <textarea id="field-comment" name="comment" rows="4" class="block w-full rounded-lg border border-stone-300 px-3 py-2 aria-[invalid=true]:border-red-600"
                    aria-invalid=move || invalid(comment_error.get().is_some())
                    aria-describedby=move || described_by([comment_error.get().map(|_| "field-comment-error")])
                    prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))>{textarea_text(&initial_comment)}</textarea>
                <FieldMessage id="field-comment-error" message=comment_error/>
            </div>
            <FormError error/>
            <Notice message=saved/>
            <button type="submit" class=BUTTON_SECONDARY disabled=move || submit.pending().get()>"Submit review"</button>
        </form>
    }
}
