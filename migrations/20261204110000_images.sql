-- Uploaded product images are stored as resized variants (src/media): every width in
-- `widths` has a JPEG and a WebP under the key prefix `storage_key`, and `url` is the JPEG
-- of the largest width, so every reader of `url` keeps working. Images added before uploads
-- existed (the seeded SVGs) keep an empty list and no key.
alter table product_colour_images
    add column widths integer[] not null default '{}',
    add column storage_key text;
