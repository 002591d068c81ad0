"""Papers for the family and the file: the joint plan and any form, blank or filled, as PDF."""
