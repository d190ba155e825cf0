"""``client.session()``: one ORM session shared by the client and table calls inside it.

pytidb keeps the open session in a ContextVar, so ``with client.session(): table.insert(...);
client.execute(...)`` runs in one transaction, committed when the outermost ``with``
exits and rolled back if it raises. Each :class:`SessionScope` has its own ContextVar,
so two clients (two databases) never share a session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

__all__ = ["SessionScope"]


class SessionScope:
    """Opens sessions on ``engine()`` and remembers the one that is open in this context."""

    def __init__(self, engine: Callable[[], sa.Engine]) -> None:
        self._engine = engine
        self._current: ContextVar[Session | None] = ContextVar(
            f"autovec_session_{id(self):x}", default=None
        )

    @property
    def current(self) -> Session | None:
        """The session open in this context (None outside ``session()``)."""
        return self._current.get()

    @contextmanager
    def session(
        self, *, provided_session: Session | None = None, **kwargs: Any
    ) -> Iterator[Session]:
        """The open session if there is one (nested calls: no commit), else a new one.

        A new session commits on exit and rolls back on an exception; it is made with
        ``expire_on_commit=False`` so objects returned by table calls stay readable
        after the call's session has closed (https://sqlalche.me/e/20/bhk3).
        """
        outer = provided_session if provided_session is not None else self._current.get()
        if outer is not None:
            # Nested: the outermost scope decides; an exception propagates to it and
            # rolls the whole transaction back there.
            yield outer
            return
        kwargs.setdefault("expire_on_commit", False)
        session = Session(self._engine(), **kwargs)
        token = self._current.set(session)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            self._current.reset(token)
            session.close()

    @contextmanager
    def connection(self) -> Iterator[sa.Connection]:
        """A connection for DDL and statements: the open session's, else a new transaction."""
        session = self._current.get()
        if session is not None:
            yield session.connection()
            return
        with self._engine().begin() as conn:
            yield conn
