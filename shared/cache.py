"""The entitlement cache in Redis, versioned so that no writer can put an older answer back.

Each user's entry is "<version>|<json>". A worker marks the user dirty with the new version
*before* its transaction commits and stores the entry after; readers serve the cache only when
its version is not older than a dirty mark, else read PostgreSQL. A stale fill (a reader racing a
recompute) is refused by the compare-and-set script.
"""

from __future__ import annotations

import json
from typing import Any

ENTRY_TTL_S = 24 * 3600
DIRTY_TTL_S = 300

# KEYS: entry, dirty. ARGV: version, json, ttl. Store unless an equal/newer entry or mark exists.
STORE_IF_NEWER = """
local cur = redis.call('GET', KEYS[1])
local v = tonumber(ARGV[1])
if cur then
  local cv = tonumber(string.match(cur, '^(%d+)|'))
  if cv and cv >= v then return 0 end
end
local dirty = tonumber(redis.call('GET', KEYS[2]) or '0')
if dirty > v then return 0 end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'EX', ARGV[3])
if dirty > 0 then redis.call('DEL', KEYS[2]) end
return 1
"""
# KEYS: dirty, entry. ARGV: version, ttl. Raise the mark (never lower it) and drop the entry,
# so that if the fill after commit never comes, readers fall back to PostgreSQL.
MARK_DIRTY = """
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
redis.call('DEL', KEYS[2])
return 1
"""


def entry_key(project_id: str, user_id: str) -> str:
    return f"billing:ent:{project_id}:{user_id}"


def dirty_key(project_id: str, user_id: str) -> str:
    return f"billing:ent-dirty:{project_id}:{user_id}"


def encode(entitlements: dict[str, Any]) -> str:
    return json.dumps(entitlements, separators=(",", ":"), sort_keys=True)


def fill_args(
    owner: tuple[str, str], version: int, entitlements: dict[str, Any]
) -> tuple[list[str], list[str | int]]:
    """KEYS and ARGV of STORE_IF_NEWER: the one way a worker or a reader fills an entry."""
    project_id, user_id = owner
    keys = [entry_key(project_id, user_id), dirty_key(project_id, user_id)]
    return keys, [version, encode(entitlements), ENTRY_TTL_S]


def fresh_entry(entry: bytes | str | None, dirty: bytes | str | None) -> dict[str, Any] | None:
    """The cached entitlements, or None when missing or older than a pending recompute."""
    body = fresh_json(entry, dirty)
    if body is None:
        return None
    entitlements: dict[str, Any] = json.loads(body)
    return entitlements


def fresh_json(entry: bytes | str | None, dirty: bytes | str | None) -> bytes | None:
    """The cached entitlements as the JSON object stored (what `encode` wrote), or None when
    missing or older than a pending recompute: the read API answers it without parsing it."""
    if entry is None:
        return None
    if isinstance(entry, str):
        entry = entry.encode()
    version, _, body = entry.partition(b"|")
    if dirty is not None and int(dirty) > int(version):
        return None
    return body
