-- Nothing reads executions by owner alone: a record is read by its id (the
-- primary key) and listed by function. The owner index only cost every
-- saved execution one more B-tree insert, 12 % of a record's CPU on
-- SQLite. Users are never deleted; a deletion would first delete their
-- functions, whose executions go through the function index.
DROP INDEX executions_owner_id_id_idx;
