"""The catalogue: what MusicBrainz data means in fanbot's own model of subjects and facts."""
