"""Column names of the interaction table (see the user guide, "Data in")."""

USER = "user"
ITEM = "item"
TIME = "timestamp"
SESSION = "session"

#: Columns that carry structure, not side features.
STRUCTURAL_COLUMNS = (USER, ITEM, TIME, SESSION)
