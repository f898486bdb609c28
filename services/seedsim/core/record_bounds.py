"""How big a record a node writes may be: the bounds that keep one hostile record from jamming an inbox.

A broker refuses a record over its size limit (Kafka: ``message.max.bytes``,
1 MiB by default) and a topic whose name is not legal, and it refuses them for
good: sending again never helps. A node that answers or dead-letters a record
by copying parts of it (the subject into a negative acknowledgement's
envelope, the whole value and headers into a dead-letter copy) must therefore
keep those copies under the limit *by construction*, whatever it was sent:

* a CloudEvents header field is at most :data:`MAX_HEADER_BYTES` bytes: an
  envelope with a longer one is refused (F305, dead-lettered), so every
  field an answer repeats is short;
* a dead-letter copy carries the original value only up to
  :data:`MAX_DEAD_LETTER_VALUE` bytes; over it, the copy carries a reference
  instead (the original topic, partition and offset, the value's SHA-256 and
  size), and header values over :data:`MAX_HEADER_BYTES` are cut and say so
  (:func:`cut`), at most :data:`MAX_COPIED_HEADERS_BYTES` of them in all;
* an answer lists at most :data:`MAX_ANSWER_ISSUES` issues, each message cut
  to :data:`MAX_ISSUE_CHARS` characters;
* a record over :data:`MAX_RECORD_BYTES` or addressed to a topic name Kafka
  would refuse (:func:`legal_topic`) is never sent: the node parks it.

The sum of these stays well under 1 MiB, so a broker on its default limit
takes every answer and every dead-letter copy.
"""

from __future__ import annotations

import hashlib
import re

from seedsim.core.transport import Record

#: the largest record a node sends (value, key and headers): under Kafka's default 1 MiB ``message.max.bytes``
MAX_RECORD_BYTES = 1_000_000
#: the longest CloudEvents header value a node reads (longer: the envelope is refused, F305)
MAX_HEADER_BYTES = 1024
#: the largest value a dead-letter copy carries; over it the copy holds a reference and a digest instead
MAX_DEAD_LETTER_VALUE = 512 * 1024
#: the most header bytes (names and values) a dead-letter copy repeats from the record it copies
MAX_COPIED_HEADERS_BYTES = 32 * 1024
#: the most issues an acknowledgement lists, and the longest message of each
MAX_ANSWER_ISSUES = 50
MAX_ISSUE_CHARS = 1000
#: Kafka's rule for a topic name: ASCII letters, digits, '.', '_', '-', at most 249 characters
_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")


def legal_topic(name: str) -> bool:
    """Whether a broker would take ``name`` as a topic name (Kafka's rule; ``.`` and ``..`` are refused)."""
    return bool(_TOPIC.match(name)) and name not in (".", "..")


def cut(value: bytes, limit: int = MAX_HEADER_BYTES) -> bytes:
    """``value`` if it is at most ``limit`` bytes, else its first bytes and a marker saying how much was cut."""
    if len(value) <= limit:
        return value
    marker = f"...[cut: {len(value)} bytes]".encode()
    return value[: max(0, limit - len(marker))] + marker


def digest(value: bytes) -> str:
    """The SHA-256 of ``value`` in hexadecimal: what identifies a payload that is not copied."""
    return hashlib.sha256(value).hexdigest()


def record_bytes(record: Record) -> int:
    """What ``record`` weighs against a broker's size limit: value, key, header names and values."""
    headers = sum(len(k.encode()) + len(v) for k, v in record.headers)
    return len(record.value) + len(record.key or b"") + headers


def unsendable(record: Record) -> str | None:
    """Why a broker would refuse ``record`` for good (None: it may be sent)."""
    if not legal_topic(record.topic):
        return f"topic name {record.topic[:100]!r} is not legal (letters, digits, '.', '_', '-'; at most 249)"
    size = record_bytes(record)
    if size > MAX_RECORD_BYTES:
        return f"record of {size} bytes is over the {MAX_RECORD_BYTES}-byte bound"
    return None
