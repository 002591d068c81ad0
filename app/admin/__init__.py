"""A municipality's own administration: settings, departments, people and roles."""
