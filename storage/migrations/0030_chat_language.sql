-- A chat's language (issue 17): 'en', 'ko', or NULL for "auto" (each person's platform
-- language, else FANBOT_LANGUAGE). Chat admins set it with /language; digests use it.
ALTER TABLE chats ADD COLUMN language TEXT CHECK (language IS NULL OR length(language) BETWEEN 2 AND 8);
