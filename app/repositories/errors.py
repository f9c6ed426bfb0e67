class DuplicateKey(Exception):
    """A unique constraint refused a row; `constraint` names it (see the naming convention)."""

    def __init__(self, constraint: str) -> None:
        super().__init__(constraint)
        self.constraint = constraint
