"""The accessibility statement (tilgængelighedserklæring) the law asks every public site for."""
