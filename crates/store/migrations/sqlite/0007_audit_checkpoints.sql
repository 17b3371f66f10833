-- Audit checkpoints (issue 10): signed anchors of the hash chain.
SELECT 1;
