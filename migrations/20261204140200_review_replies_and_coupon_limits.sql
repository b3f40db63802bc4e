-- Review moderation in the dashboard: a rejected review carries the reason its author is
-- shown, and staff may answer a review in public. A reason belongs to a rejection only, and
-- a reply always says when and (while the account exists) by whom.
alter table reviews
    add column rejection_reason text,
    add column reply            text,
    add column replied_at       timestamptz,
    add column replied_by       uuid,
    add constraint reviews_rejection_reason_check check (
        rejection_reason is null or (status = 'rejected' and char_length(rejection_reason) between 1 and 500)),
    add constraint reviews_reply_check check (reply is null or char_length(reply) between 1 and 2000),
    add constraint reviews_replied_at_check check ((reply is null) = (replied_at is null)),
    add constraint reviews_replied_by_fkey foreign key (replied_by) references users (id) on delete set null;

-- The moderation queue: everything, pending first, newest first.
create index reviews_queue_idx on reviews ((status = 'pending') desc, created_at desc, id desc);

-- Coupons are now written by staff: their free text has bounds.
alter table coupons
    add constraint coupons_code_length_check check (char_length(code) between 1 and 40),
    add constraint coupons_description_check check (char_length(description) <= 200);
