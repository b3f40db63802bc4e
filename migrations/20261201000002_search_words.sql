-- Typo-tolerant search: the words of product names and brands, so a misspelt query word can
-- be corrected to a catalogue word one letter away (dropped, added, changed or swapped) with
-- fuzzystrmatch's Levenshtein distance. Trigram similarity alone misses short words
-- ("Costal" for "Coastal"). The list only grows: a word left by a renamed product corrects
-- to nothing that matches, and the search falls back to similarity.
create extension if not exists fuzzystrmatch;

create table search_words (
    word text not null,
    constraint search_words_pkey primary key (word),
    constraint search_words_word_check check (word ~ '^[a-z]{4,}$')
);
-- Candidates are looked up by length first (one typo changes it by at most one).
create index search_words_length_idx on search_words (length(word));

create or replace function catalogue_words(name text, brand text) returns setof text
language sql immutable as $$
    select distinct w
    from regexp_split_to_table(lower(name || ' ' || brand), '[^a-z]+') as w
    where length(w) >= 4
$$;

-- Statement-level, so a bulk insert of 100,000 products adds its words in one statement.
create or replace function add_search_words() returns trigger
language plpgsql as $$
begin
    insert into search_words (word)
    select distinct w from changed, catalogue_words(changed.name, changed.brand) as w
    on conflict (word) do nothing;
    return null;
end
$$;

create trigger products_search_words_insert after insert on products
    referencing new table as changed for each statement execute function add_search_words();
create trigger products_search_words_update after update on products
    referencing new table as changed for each statement execute function add_search_words();

insert into search_words (word)
select distinct w from products, catalogue_words(products.name, products.brand) as w
on conflict (word) do nothing;
