-- Reserved for the reminders issue; unused. Subscriptions and deliveries landed in 0007, after
-- stores had already passed this number.
SELECT 1;
