-- An account may be known by its social identity alone (a Facebook profile without an
-- email), and an email or phone is taken off an account that only claimed it when someone
-- else proves it: either can leave an account with neither.
alter table users drop constraint users_has_identity_check;
