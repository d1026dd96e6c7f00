-- Reserved for the reminders issue (#5): subscriptions and the delivery ledger.
SELECT 1;
