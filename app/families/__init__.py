"""Family records: enrolment, adults and children, and the waves of data collection."""
