"""MusicBrainz's web service (ws/2): the HTTP client, its pacing, paging and JSON shapes."""
