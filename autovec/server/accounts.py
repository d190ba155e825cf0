"""Who may connect: accounts with the password verifiers MySQL's two login plugins check.

A challenge-response login cannot check a salted slow hash: the server must hold the value
the client proves it knows. So each account keeps, as MySQL does, ``SHA1(SHA1(password))``
for ``mysql_native_password`` (MySQL's ``*HEX`` authentication string) and
``SHA256(SHA256(password))`` for ``caching_sha2_password``'s fast path; never the password.
Those values let a client log in over the protocol, so the users file is written readable
by its owner only (0600) and should be guarded like a private key.

The users file is JSON, written by ``autovec passwd FILE USER``::

    {"accounts": [{"user": "app", "mysql_native_password": "*6BB4…",
                   "caching_sha2_password": "3c1f…"}]}
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_USER = "root"


@dataclass(frozen=True)
class Account:
    """One user: its name and the verifiers of its password (empty: no password)."""

    user: str
    native_verifier: str = ""  # "*" + SHA1(SHA1(password)), upper-case hex
    sha2_verifier: str = ""  # SHA256(SHA256(password)), hex

    @classmethod
    def with_password(cls, user: str, password: str) -> Account:
        if not password:
            return cls(user)
        secret = password.encode("utf-8")
        native = hashlib.sha1(hashlib.sha1(secret).digest()).hexdigest().upper()
        sha2 = hashlib.sha256(hashlib.sha256(secret).digest()).hexdigest()
        return cls(user, "*" + native, sha2)

    @property
    def has_password(self) -> bool:
        return bool(self.native_verifier or self.sha2_verifier)


class UsersFileError(ValueError):
    """The users file cannot be read: missing, not JSON, or an entry without verifiers."""


class Accounts(Mapping[str, Account]):
    """The accounts the server accepts, by user name."""

    def __init__(self, accounts: list[Account]):
        self._by_user = {account.user: account for account in accounts}

    def __getitem__(self, user: str) -> Account:
        return self._by_user[user]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_user)

    def __len__(self) -> int:
        return len(self._by_user)

    @classmethod
    def default(cls) -> Accounts:
        """No accounts configured: ``root`` without a password (loopback only)."""
        return cls([Account(DEFAULT_USER)])

    @classmethod
    def single(cls, user: str, password: str) -> Accounts:
        """``--user U --password P``."""
        return cls([Account.with_password(user, password)])

    @classmethod
    def load(cls, path: str | Path) -> Accounts:
        """Read a users file (``--users-file``)."""
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
            entries = document["accounts"]
            accounts = [
                Account(
                    str(entry["user"]),
                    str(entry.get("mysql_native_password", "")),
                    str(entry.get("caching_sha2_password", "")),
                )
                for entry in entries
            ]
        except OSError as exc:
            raise UsersFileError(f"cannot read users file {path}: {exc.strerror}") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise UsersFileError(f"users file {path} is not valid: {exc}") from None
        for account in accounts:
            if bool(account.native_verifier) != bool(account.sha2_verifier):
                raise UsersFileError(
                    f"users file {path}: user {account.user!r} needs both verifiers"
                    " (write it with autovec passwd)"
                )
        return cls(accounts)

    def save(self, path: str | Path) -> None:
        """Write the users file, readable by its owner only, replacing it atomically."""
        document = {
            "accounts": [
                {
                    "user": account.user,
                    "mysql_native_password": account.native_verifier,
                    "caching_sha2_password": account.sha2_verifier,
                }
                for account in self._by_user.values()
            ]
        }
        target = Path(path)
        temporary = target.with_name(target.name + ".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)

    def with_account(self, account: Account) -> Accounts:
        """These accounts with ``account`` added, or replacing the user's old one."""
        return Accounts([*(a for a in self._by_user.values() if a.user != account.user), account])

    def passwordless(self) -> list[str]:
        """Users that log in without a password."""
        return [account.user for account in self._by_user.values() if not account.has_password]
