"""Request bodies whose length the server found out itself, such as chunked ones.

A request sent with `Transfer-Encoding: chunked` declares no length, so a WSGI server that
decodes the chunks cannot set CONTENT_LENGTH, and Django reads a body without one as empty:
a chunked POST lost every field (422) and a chunked PATCH answered 200 having changed nothing.
A server that ends `wsgi.input` where the body ends says so with `wsgi.input_terminated`
(gunicorn always does), and then the input may be read to its end whatever CONTENT_LENGTH
says. This middleware reads such a body, one byte past DATA_UPLOAD_MAX_MEMORY_SIZE at most,
and hands Django a body of known length, which Django then treats exactly like a sized one:
within the limit it is parsed; past it, the declared length is over the limit, so it answers
the same 413 as a sized body that is too large, and the rest is never read. Servers that do
not set the flag (runserver, Django's test client) are passed through untouched.
"""

import io
from collections.abc import Callable, Iterable

from django.conf import settings


class TerminatedInputMiddleware:
    """WSGI middleware that gives a terminated body without CONTENT_LENGTH its length."""

    def __init__(self, application: Callable):
        self.application = application

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("wsgi.input_terminated") and not environ.get("CONTENT_LENGTH"):
            declare_length(environ, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return self.application(environ, start_response)


def declare_length(environ: dict, limit: int | None) -> None:
    """Reads `wsgi.input` to its end, or to `limit + 1` bytes, and puts what it read back as
    a body of that length."""
    try:
        body = read_up_to(environ["wsgi.input"], None if limit is None else limit + 1)
    except Exception as exc:
        # A malformed chunk, a client gone mid-body, a read timeout: whatever the server's
        # input raises means the body cannot be read. Django is handed a body that fails
        # when read, so the view answers as it does for any unreadable body (400), with the
        # request id and every header the middleware adds; any positive length makes Django
        # read it rather than take it as empty.
        environ["wsgi.input"] = UnreadableInput(exc)
        environ["CONTENT_LENGTH"] = "1"
        return
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))


def read_up_to(stream, size: int | None) -> bytes:
    """`size` bytes of the stream, or fewer if it ends first; all of it when `size` is None.

    A WSGI input may return less than it was asked for before its end, so this reads until
    it has enough or the stream returns nothing; it never asks for more than `size` in all.
    """
    if size is None:
        return stream.read()
    pieces, total = [], 0
    while total < size:
        piece = stream.read(size - total)
        if not piece:
            break
        pieces.append(piece)
        total += len(piece)
    return b"".join(pieces)


class UnreadableInput(io.RawIOBase):
    """A request body that could not be read: every read raises OSError, which Django turns
    into UnreadablePostError."""

    def __init__(self, cause: Exception):
        super().__init__()
        self.cause = cause

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        raise OSError(f"The request body could not be read: {self.cause}") from self.cause
