-- Asynchronous invocations: per-function retry settings, and how many
-- times each execution has run (0 while an async call waits for its first
-- run), which orders records of one execution that arrive out of order.

ALTER TABLE functions
    ADD COLUMN async_max_attempts integer NOT NULL DEFAULT 3
        CONSTRAINT functions_async_max_attempts_check CHECK (async_max_attempts BETWEEN 1 AND 20);
ALTER TABLE functions
    ADD COLUMN async_retry_base_ms integer NOT NULL DEFAULT 1000
        CONSTRAINT functions_async_retry_base_ms_check CHECK (async_retry_base_ms BETWEEN 100 AND 3600000);

-- Executions recorded before this migration each ran once.
ALTER TABLE executions ADD COLUMN attempts integer NOT NULL DEFAULT 1;
