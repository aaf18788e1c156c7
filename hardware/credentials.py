"""Per-device broker accounts: a random password per blocker and its Mosquitto `password_file`
entry (`user:$7$iterations$salt$hash`, PBKDF2-SHA512 as `mosquitto_passwd` writes it), so that
the ACL of deploy/mosquitto/acl can tie each account to its own topics (`%u` = device id).

Python computes the hash itself: no `mosquitto_passwd` is needed on the machine that issues
credentials, and the file is edited in place (an entry for the same user is replaced)."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hardware.protocol import ProtocolError, check_blocker_id

# mosquitto_passwd's default is 101; more costs ~10 ms per connection and nothing else.
ITERATIONS = 10_000
SERVICE_USERNAME = "parking-service"  # the service's account in deploy/mosquitto/acl


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str
    entry: str  # the password_file line

    def __repr__(self) -> str:  # never the password
        return f"Credentials(username={self.username!r})"


def check_username(username: str) -> str:
    """A blocker id usable as a broker username: valid in topics (the ACL substitutes it into
    them) and free of ':' (the password file's separator)."""
    try:
        check_blocker_id(username)
    except ProtocolError as exc:
        raise ValueError(str(exc)) from None
    if ":" in username:
        raise ValueError(f"invalid username {username[:80]!r}: ':' separates the password file's fields")
    return username


def password_entry(
    username: str, password: str, *, iterations: int = ITERATIONS, salt: bytes | None = None
) -> str:
    salt = salt if salt is not None else secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    encoded = base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    return f"{username}:$7${iterations}${encoded[0]}${encoded[1]}"


def new_credentials(username: str) -> Credentials:
    check_username(username)
    password = secrets.token_urlsafe(24)  # URL-safe: it goes into mqtts://user:pass@host
    return Credentials(username, password, password_entry(username, password))


def write_password_file(path: Path, issued: list[Credentials]) -> None:
    """Adds the entries, replacing any for the same users; other lines are kept. Written to a
    temporary file and renamed (a reader never sees half a file); a new file is private (0600)."""
    replaced = {c.username for c in issued}
    lines: list[str] = []
    mode = 0o600
    if path.exists():
        mode = path.stat().st_mode & 0o777
        for line in path.read_text().splitlines():
            if line.split(":", 1)[0] not in replaced:
                lines.append(line)
    lines.extend(c.entry for c in issued)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w") as out:
            out.write("\n".join(lines) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = [
    "ITERATIONS",
    "SERVICE_USERNAME",
    "Credentials",
    "check_username",
    "new_credentials",
    "password_entry",
    "write_password_file",
]
