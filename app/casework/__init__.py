"""The caseworker's pages over a family: the list, enrolment, the family page and the
dashboard. They combine the family's records with its forms (collection), its plan and its
team, so they sit above all four; the blueprint keeps its name, ``families``."""
