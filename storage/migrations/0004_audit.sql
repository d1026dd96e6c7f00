-- Reserved for the admin issue (#6): fact history, the audit log and editors.
SELECT 1;
