"""The platform operator's pages: the municipalities hosted on this installation."""
