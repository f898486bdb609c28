"""Reading and writing trace files, one line at a time (the format: :mod:`.trace_format`).

A trace may hold millions of records, so neither side keeps more than a line:
the reader is a generator over the file, the writer writes each record as it
comes. Compression is decided by the file: a name ending in ``.gz`` is written
with gzip, and a file starting with gzip's magic bytes is read through gzip
whatever its name. ``-`` reads standard input or writes standard output.

A bad line stops the reader there with a :class:`TraceError` naming the line and
what to do, after every good record before it was yielded: a replay never
acts on what follows a line it could not read. With ``skip_bad`` the reader
reports the line (``on_bad`` and :attr:`TraceReader.skipped`) and goes on; a
file cut short or a compressed stream that breaks off still ends the trace
there, as nothing after it can be read.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, cast

from seedsim.core.transport import Record
from seedsim.runners.traces.trace_format import (
    HEADER_MARK,
    SKIP_BAD_HINT,
    TraceEntry,
    TraceError,
    TraceHeader,
    entry_from_json,
    entry_to_json,
)

GZIP_MAGIC = b"\x1f\x8b"
STDIO = "-"


def _open_for_reading(path: str) -> tuple[BinaryIO, BinaryIO]:
    """(the file, what to read it through): gzip when the file starts with gzip's magic bytes."""
    raw: Any = sys.stdin.buffer if path == STDIO else open(path, "rb")
    if not hasattr(raw, "peek"):  # a stdin that is not buffered the usual way
        raw = io.BufferedReader(raw)
    try:
        if raw.peek(2)[:2] == GZIP_MAGIC:
            return raw, cast(BinaryIO, gzip.GzipFile(fileobj=raw, mode="rb"))
    except OSError:
        raw.close()
        raise
    return raw, raw


class TraceReader:
    """The entries of one trace file, read as they are iterated (once).

    :attr:`header` is the trace's first line (None for a file without one, such as
    kcat's). Bad lines raise :class:`TraceError`, or with ``skip_bad`` are added to
    :attr:`skipped`, passed to ``on_bad`` and skipped.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        skip_bad: bool = False,
        on_bad: Callable[[TraceError], None] | None = None,
        from_line: int = 0,
    ) -> None:
        self.path = str(path)
        self.from_line = from_line  # lines before it are passed over unread (see trace_order)
        self.skip_bad = skip_bad
        self.on_bad = on_bad
        self.skipped: list[TraceError] = []
        self.header: TraceHeader | None = None
        self._started = False
        try:
            self._raw, self._file = _open_for_reading(self.path)
        except OSError as exc:
            raise TraceError(self.path, None, f"cannot open the trace: {exc.strerror or exc}") from None
        self._lines = self._numbered_lines()
        self._first: tuple[int, bytes, bool] | None = None
        try:
            self._read_header()
        except BaseException:
            self.close()
            raise

    # -- the file, line by line -------------------------------------------------------------------

    def _numbered_lines(self) -> Iterator[tuple[int, bytes, bool]]:
        """(line number, bytes, whether the line was complete), blank lines left out."""
        number = 0
        while True:
            try:
                raw = self._file.readline()
            except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
                raise TraceError(
                    self.path,
                    number + 1,
                    f"the compressed file breaks off here ({exc}): it was cut while being written or copied;"
                    " the records before this line are intact",
                ) from None
            if not raw:
                return
            number += 1
            if raw.strip() and (number >= self.from_line or number == 1):  # line 1 may be the header
                yield number, raw, raw.endswith(b"\n")

    def _parse(self, number: int, raw: bytes, complete: bool) -> Any:
        try:  # bytes that are not UTF-8 (kcat writes them raw) survive as surrogates, see trace_format
            return json.loads(raw.decode("utf-8", "surrogateescape"))
        except json.JSONDecodeError as exc:
            if not complete:
                raise TraceError(
                    self.path,
                    number,
                    "the file ends in the middle of this record (a recording that was interrupted, or a partial copy);"
                    f" the records before it are intact; {SKIP_BAD_HINT}",
                ) from None
            raise TraceError(self.path, number, f"not JSON ({exc}); {SKIP_BAD_HINT}") from None

    def _read_header(self) -> None:
        try:
            first = next(self._lines, None)
        except TraceError as exc:  # a compressed file broken before its first line
            self._bad(exc)
            first = None
        if first is None:
            return
        wanted = first if first[0] >= self.from_line else None  # a record line before from_line is passed over
        try:
            obj = self._parse(*first)
        except TraceError:
            self._first = wanted  # not a header: iteration reports it where it belongs
            return
        if isinstance(obj, dict) and HEADER_MARK in obj:
            self.header = TraceHeader.from_json(obj, self.path, first[0])
        else:
            self._first = wanted

    # -- entries ----------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[TraceEntry]:
        if self._started:
            raise TraceError(self.path, None, "a trace reader is read once: open the trace again to read it again")
        self._started = True
        return self._entries()

    def _entries(self) -> Iterator[TraceEntry]:
        try:
            if self._first is not None:
                entry = self._entry(*self._first)
                if entry is not None:
                    yield entry
            while True:
                try:
                    line = next(self._lines, None)
                except TraceError as exc:  # the stream itself broke: nothing past it can be read
                    self._bad(exc)
                    return
                if line is None:
                    return
                entry = self._entry(*line)
                if entry is not None:
                    yield entry
        finally:
            self.close()

    def _entry(self, number: int, raw: bytes, complete: bool) -> TraceEntry | None:
        try:
            return entry_from_json(self._parse(number, raw, complete), self.path, number)
        except TraceError as exc:
            self._bad(exc)
            return None

    def _bad(self, exc: TraceError) -> None:
        if not self.skip_bad:
            raise exc
        self.skipped.append(exc)
        if self.on_bad is not None:
            self.on_bad(exc)

    # -- lifecycle --------------------------------------------------------------------------------

    def close(self) -> None:
        self._file.close()  # a GzipFile leaves the file under it open
        if self._raw is not sys.stdin.buffer:
            self._raw.close()

    def __enter__(self) -> TraceReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_trace(
    path: str | Path,
    *,
    skip_bad: bool = False,
    on_bad: Callable[[TraceError], None] | None = None,
    from_line: int = 0,
) -> TraceReader:
    """Open a trace (seedsim's or kcat's, plain or gzip); iterate the result for its entries (from ``from_line``)."""
    return TraceReader(path, skip_bad=skip_bad, on_bad=on_bad, from_line=from_line)


def _dump(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


class TraceWriter:
    """Writes a trace line by line: the header on opening, then one line per :meth:`write`.

    A name ending in ``.gz`` is compressed. What was written before a crash stays
    readable (the reader reports the cut line).
    """

    def __init__(self, path: str | Path, header: TraceHeader | None = None) -> None:
        self.path = str(path)
        self.header = header or TraceHeader()
        self.count = 0
        try:
            if self.path == STDIO:
                self._file: BinaryIO = sys.stdout.buffer
            elif self.path.endswith(".gz"):
                self._file = cast(BinaryIO, gzip.open(self.path, "wb", compresslevel=6))
            else:
                self._file = open(self.path, "wb")
        except OSError as exc:
            raise TraceError(self.path, None, f"cannot write the trace: {exc.strerror or exc}") from None
        self._file.write(_dump(self.header.to_json()))

    def write(self, item: TraceEntry | Record) -> None:
        self._file.write(_dump(entry_to_json(item)))
        self.count += 1

    def write_all(self, items: Iterable[TraceEntry | Record]) -> int:
        for item in items:
            self.write(item)
        return self.count

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        if self._file is sys.stdout.buffer:
            self._file.flush()
        else:
            self._file.close()

    def __enter__(self) -> TraceWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def write_trace(path: str | Path, header: TraceHeader | None, records: Iterable[TraceEntry | Record]) -> int:
    """Write ``records`` as a trace at ``path``; the number of records written."""
    with TraceWriter(path, header) as writer:
        return writer.write_all(records)
