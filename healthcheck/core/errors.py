"""User-facing input problems, kept apart from internal bugs by type.

A `Problem` always says where (file and line, or file, row and column) and what, in words a
non-programmer understands. `InputError` carries every problem found, so a user fixes a file
in one pass instead of one error at a time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    line: int | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        if self.row is not None:
            where = f"{self.path}: row {self.row}"
            if self.column is not None:
                where += f", column {self.column}"
            return f"{where}: {self.message}"
        if self.line is not None:
            return f"{self.path}:{self.line}: {self.message}"
        return f"{self.path}: {self.message}"


class InputError(Exception):
    """Raised when user-supplied input (a file, a form) is invalid. Never a bug."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
