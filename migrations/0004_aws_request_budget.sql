-- The AWS request budget every replica draws from: one row per operation
-- holding the theoretical arrival time (GCRA) of its next request. AWS
-- limits the account as a whole, so the budget lives here, not per process.
CREATE TABLE aws_request_budget (
    operation text PRIMARY KEY,
    tat       timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO aws_request_budget (operation) VALUES
    ('InviteAccountToOrganization'),
    ('DescribeHandshake'),
    ('ListHandshakesForOrganization'),
    ('CancelHandshake');
