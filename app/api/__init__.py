"""JSON API v1 with an OpenAPI 3.1 document: the same rules as the pages, for machines."""
