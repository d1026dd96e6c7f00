"""The seed facts (*.yaml), a package so that a wheel carries them and fanbot finds them."""
