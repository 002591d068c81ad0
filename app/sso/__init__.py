"""Single sign-on with OpenID Connect: each municipality's own directory signs its staff in."""
