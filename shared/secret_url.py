"""Store URLs that carry a password: shown masked everywhere, handed whole only to the drivers.

Also the libpq URL forms the drivers do not all read alike (a Unix socket as `?host=/dir` or as
a percent-encoded host), turned into the one form both psycopg and asyncpg accept.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from pydantic import SecretStr

MASK = "***"
POSTGRES_SCHEMES = ("postgresql", "postgres")
REDIS_SCHEMES = ("redis", "rediss", "unix")


class SecretUrl(SecretStr):
    """A URL whose str and repr show it with the password masked (host and database stay
    readable for operators); `get_secret_value()` gives the whole URL to a driver."""

    def _display(self) -> str:
        return mask_password(self.get_secret_value())


def mask_password(url: str) -> str:
    """The URL with any password, in the user part or a `password=` parameter, replaced."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, hostport = netloc.rsplit("@", 1)
        if ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:{MASK}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(key == "password" for key, _ in pairs):
            query = urlencode(
                [(key, MASK if key == "password" else value) for key, value in pairs], safe="/*"
            )
    if (netloc, query) == (parts.netloc, parts.query):
        return url
    return _join(parts.scheme, netloc, parts.path, query, parts.fragment)


def check_postgres_url(url: str) -> None:
    """Raises ValueError unless libpq would read the URL (host, `?host=` or the default socket)."""
    parts = urlsplit(url)
    if parts.scheme.split("+")[0] not in POSTGRES_SCHEMES or not url.startswith(
        f"{parts.scheme}://"
    ):
        raise ValueError("must be a postgresql://user:password@host:port/database URL")
    try:
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise ValueError("has a port that is not a number") from None


def check_redis_url(url: str) -> None:
    """Raises ValueError unless redis-py reads the URL: redis://, rediss:// or unix:///path."""
    parts = urlsplit(url)
    if parts.scheme not in REDIS_SCHEMES:
        raise ValueError("must be a redis://host:port/db, rediss:// or unix:///path.sock URL")
    if parts.scheme == "unix" and not parts.path:
        raise ValueError("must name the socket: unix:///path/to/redis.sock")
    if parts.scheme != "unix" and not parts.hostname:
        raise ValueError("must name a host: redis://host:port/db")
    try:
        parts.port  # noqa: B018
    except ValueError:
        raise ValueError("has a port that is not a number") from None


def with_driver(url: str, scheme: str) -> str:
    """The PostgreSQL URL under another scheme (`postgresql+psycopg`), with a socket directory
    written as a host (`user@%2Fvar%2Frun%2Fpostgresql/db`) moved to `?host=`, which psycopg
    reads (it would look the encoded name up in DNS) and asyncpg reads too."""
    parts = urlsplit(url)
    netloc, query = parts.netloc, parts.query
    userinfo, _, hostport = netloc.rpartition("@")
    host, _, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
    if unquote(host).startswith("/"):
        netloc = f"{userinfo}@" if userinfo else ""
        pairs = [*parse_qsl(query, keep_blank_values=True), ("host", unquote(host))]
        pairs += [("port", port)] if port else []
        query = urlencode(pairs, quote_via=quote, safe="/")
    return _join(scheme, netloc, parts.path, query, parts.fragment)


def _join(scheme: str, netloc: str, path: str, query: str, fragment: str) -> str:
    """urlunsplit keeping the `//` of an empty host (`postgresql:///db?host=/dir`)."""
    url = f"{scheme}://{netloc}{path}" if scheme != "unix" or netloc else f"{scheme}://{path}"
    return url + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")
