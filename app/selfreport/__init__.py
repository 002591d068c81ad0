"""A parent answers the self-report questions of a wave themselves: through a one-time
link, or on the caseworker's screen handed over to them."""
