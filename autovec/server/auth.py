"""Login: mysql-mimic auth plugins for MySQL's two password plugins, and failure back-off.

``mysql_native_password`` is what the handshake offers (as TiDB does); a client that
answers with ``caching_sha2_password`` instead (MySQL 8 clients) is checked with that
plugin against the same challenge, with no extra round trip. Only its fast path exists
here: the server always holds the account's verifier, so the full path (a cleartext or
RSA-encrypted password, for servers whose cache is cold) is never needed.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from mysql_mimic import utils
from mysql_mimic.auth import AuthInfo, AuthPlugin, AuthState, Forbidden, IdentityProvider, Success
from mysql_mimic.auth import User as WireUser

from autovec.server.accounts import Account, Accounts

NONCE_BYTES = 20


@dataclass
class AccountUser(WireUser):
    """mysql-mimic's user, carrying the account it was found as (None: no such user)."""

    account: Account | None = None


class FastAuthSuccess(Success):
    """caching_sha2_password's fast path succeeded: the client expects ``0x03`` first."""


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


class PasswordPlugin(AuthPlugin):
    """A challenge-response plugin: the client proves it knows the password for a nonce."""

    async def auth(self, auth_info: AuthInfo | None = None) -> AuthState:
        if auth_info is not None and auth_info.handshake_auth_data:
            # The client answered the handshake's challenge (or COM_CHANGE_USER reuses it).
            nonce = auth_info.handshake_auth_data[:NONCE_BYTES]
        else:
            nonce = utils.nonce(NONCE_BYTES)
            auth_info = yield nonce + b"\x00"
        user = auth_info.user
        account = user.account if isinstance(user, AccountUser) else None
        # An empty password: no scramble at all, or (some clients) a single NUL.
        scramble = b"" if auth_info.data in (b"", b"\x00") else auth_info.data
        if account is None:
            yield Forbidden()
        elif not scramble:
            yield Success(account.user) if not account.has_password else Forbidden()
        elif account.has_password and self.matches(account, scramble, nonce):
            yield self.success(account)
        else:
            yield Forbidden()

    def matches(self, account: Account, scramble: bytes, nonce: bytes) -> bool:
        raise NotImplementedError

    def success(self, account: Account) -> Success:
        return Success(account.user)


class NativePassword(PasswordPlugin):
    """``SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password)))``."""

    name = client_plugin_name = "mysql_native_password"

    def matches(self, account: Account, scramble: bytes, nonce: bytes) -> bool:
        stored = bytes.fromhex(account.native_verifier.lstrip("*"))
        if len(scramble) != len(stored):
            return False
        candidate = _xor(scramble, hashlib.sha1(nonce + stored).digest())
        return hashlib.sha1(candidate).digest() == stored


class CachingSha2Password(PasswordPlugin):
    """``SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce)``, the fast path."""

    name = client_plugin_name = "caching_sha2_password"

    def matches(self, account: Account, scramble: bytes, nonce: bytes) -> bool:
        stored = bytes.fromhex(account.sha2_verifier)
        if len(scramble) != len(stored):
            return False
        candidate = _xor(scramble, hashlib.sha256(stored + nonce).digest())
        return hashlib.sha256(candidate).digest() == stored

    def success(self, account: Account) -> Success:
        return FastAuthSuccess(account.user)


class AccountsIdentityProvider(IdentityProvider):
    """mysql-mimic's identity provider over :class:`Accounts`."""

    def __init__(self, accounts: Accounts):
        self.accounts = accounts
        self._plugins = (NativePassword(), CachingSha2Password())

    def get_plugins(self) -> Sequence[AuthPlugin]:
        return self._plugins

    async def get_user(self, username: str) -> AccountUser:
        # An unknown user is refused like a wrong password (1045), never "no such user",
        # so that a client cannot learn which names exist.
        return AccountUser(name=username, account=self.accounts.get(username))


@dataclass
class FailedLogins:
    """Back-off for wrong passwords, per client address: each failure waits longer.

    The first failure waits ``base_s``; each further one from the same address within
    ``window_s`` doubles it, up to ``max_s``. A success from the address forgets them.
    """

    base_s: float = 0.25
    max_s: float = 8.0
    window_s: float = 600.0
    _failures: dict[str, tuple[int, float]] = field(default_factory=dict)

    def failed(self, address: str) -> float:
        """Record a failure; the delay before answering it."""
        now = time.monotonic()
        count, last = self._failures.get(address, (0, now))
        if now - last > self.window_s:
            count = 0
        count += 1
        if len(self._failures) > 10_000:  # a scan of many addresses: keep the recent ones
            self._failures = {
                a: v for a, v in self._failures.items() if now - v[1] <= self.window_s
            }
        self._failures[address] = (count, now)
        return min(self.base_s * 2 ** (count - 1), self.max_s)

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)
