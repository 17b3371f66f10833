-- Directory import runs (issue 10): how many rows each file kind yielded
-- last time, so that a broken file cannot mark everything disappeared.
SELECT 1;
