-- "On this day" reads facts by month and day, oldest year first, and stops at a page:
-- with year in the index SQLite walks them in order instead of sorting every match.
CREATE INDEX facts_by_month_day_year ON facts(month, day, year) WHERE hidden = 0;
DROP INDEX facts_by_month_day;
