"""A node store whose database cannot be written for a while, as when its file is made read-only (``chattr +i``).

The connection is swapped for one that refuses every write (``BEGIN``, ``INSERT``, ``UPDATE``,
``DELETE``) with SQLite's own error until :meth:`Unwritable.restore` is called; reads go through."""

from __future__ import annotations

import sqlite3
from typing import Any


class Unwritable:
    def __init__(self, store: Any) -> None:
        self.store, self.conn, self.refused = store, store._conn, 0
        store._conn = self

    def _refuse(self, sql: str) -> None:
        if sql.lstrip().upper().startswith(("BEGIN", "INSERT", "UPDATE", "DELETE")):
            self.refused += 1
            raise sqlite3.OperationalError("attempt to write a readonly database")

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        self._refuse(sql)
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        self._refuse(sql)
        return self.conn.executemany(sql, rows)

    def restore(self) -> None:
        """The database can be written again."""
        self.store._conn = self.conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)
