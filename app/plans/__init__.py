"""The family's joint plan: phases, goals per life area, and their status at each follow-up."""
