"""Request bodies without a declared length (`Transfer-Encoding: chunked`) are applied
exactly like sized ones, up to the same 1 MiB.

gunicorn decodes the chunks and marks the input `wsgi.input_terminated` without setting
CONTENT_LENGTH; TerminatedInputMiddleware (taskapi/terminated_input.py) reads such a body and
hands Django its length. The first tests hold the middleware on its own, the next ones send
requests shaped as gunicorn hands them to the project's WSGI application, and the last ones
send real chunked requests to a real gunicorn.
"""

import http.client
import io
import json
import socket
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit
from wsgiref.util import setup_testing_defaults

import pytest

from taskapi.terminated_input import TerminatedInputMiddleware
from taskapi.tests.servers import bearer
from tasks.models import Task
from tasks.tests.factories import TaskFactory

ONE_MIB = 1024 * 1024
TOO_LARGE = {
    "data": None,
    "error": {
        "code": "PAYLOAD_TOO_LARGE",
        "message": f"Request body is larger than {ONE_MIB} bytes.",
        "details": None,
    },
}


class ServerInput(io.RawIOBase):
    """A server's `wsgi.input`: hands out at most `piece` bytes a read, as a socket does,
    counts what it handed out, and raises `error` once its bytes run out, if given one."""

    def __init__(self, body: bytes, piece: int = 16 * 1024, error: Exception | None = None):
        super().__init__()
        self.body, self.piece, self.error = body, piece, error
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = min(len(buffer), self.piece, len(self.body) - self.position)
        if size == 0 and self.error is not None:
            raise self.error
        buffer[:size] = self.body[self.position : self.position + size]
        self.position += size
        return size


def terminated_environ(method: str, path: str, body, **extra) -> dict:
    """The environ of a chunked request as gunicorn builds it: a terminated input, no
    CONTENT_LENGTH."""
    stream = body if isinstance(body, ServerInput) else ServerInput(body)
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_TYPE": "application/json",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": stream,
        "wsgi.input_terminated": True,
        **extra,
    }
    setup_testing_defaults(environ)
    return environ


def bearer_environ(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": bearer(user)["Authorization"]}


def seen_by_the_application(environ: dict) -> dict:
    """The environ the wrapped application receives, with its body read out as `body`."""
    seen = {}

    def application(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        seen.update(environ, body=environ["wsgi.input"].read(length))
        start_response("204 No Content", [])
        return []

    TerminatedInputMiddleware(application)(environ, lambda status, headers: None)
    return seen


def call(application, environ: dict) -> tuple[int, dict[str, str], dict | None]:
    """Sends the environ to a WSGI application: the status, the headers and the JSON body."""
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=int(status.split()[0]), headers=dict(headers))

    result = application(environ, start_response)
    try:
        content = b"".join(result)
    finally:
        result.close()
    return started["status"], started["headers"], json.loads(content) if content else None


# --- The middleware on its own ---------------------------------------------------------------


def test_a_terminated_body_without_a_length_reaches_the_application_with_its_length():
    environ = terminated_environ("POST", "/", ServerInput(b'{"title":"chunky"}', piece=5))

    seen = seen_by_the_application(environ)

    assert seen["CONTENT_LENGTH"] == "18"
    assert seen["body"] == b'{"title":"chunky"}'


def test_a_body_over_the_limit_is_read_one_byte_past_it_and_no_further(settings):
    stream = ServerInput(b"x" * (10 * ONE_MIB))

    seen = seen_by_the_application(terminated_environ("POST", "/", stream))

    assert stream.position == ONE_MIB + 1
    assert seen["CONTENT_LENGTH"] == str(ONE_MIB + 1)
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == ONE_MIB


def test_a_body_of_exactly_the_limit_keeps_its_length():
    seen = seen_by_the_application(terminated_environ("POST", "/", b"x" * ONE_MIB))

    assert seen["CONTENT_LENGTH"] == str(ONE_MIB)


def test_a_request_without_a_body_gets_a_length_of_zero():
    seen = seen_by_the_application(terminated_environ("GET", "/", b""))

    assert seen["CONTENT_LENGTH"] == "0"
    assert seen["body"] == b""


def test_a_declared_length_is_left_to_django():
    stream = ServerInput(b'{"title":"sized"}')
    environ = terminated_environ("POST", "/", stream, CONTENT_LENGTH="17")

    seen = seen_by_the_application(environ)

    assert seen["CONTENT_LENGTH"] == "17"
    assert seen["body"] == b'{"title":"sized"}'
    assert seen["wsgi.input"] is stream


@pytest.mark.parametrize("terminated", [False, None], ids=["false", "absent"])
def test_input_the_server_does_not_terminate_is_left_alone(terminated):
    """runserver and Django's test client do not set the flag; an unterminated input could
    block forever if read past what a length says."""
    stream = ServerInput(b'{"title":"x"}')
    environ = terminated_environ("POST", "/", stream, **{"wsgi.input_terminated": terminated})
    if terminated is None:
        del environ["wsgi.input_terminated"]

    seen = seen_by_the_application(environ)

    assert "CONTENT_LENGTH" not in seen
    assert stream.position == 0


def test_a_body_the_server_cannot_read_fails_when_django_reads_it():
    stream = ServerInput(b'{"title":', error=ValueError("Invalid chunk size"))
    environ = terminated_environ("POST", "/", stream)

    with pytest.raises(OSError, match="could not be read: Invalid chunk size"):
        seen_by_the_application(environ)


# --- Through the project's WSGI application --------------------------------------------------


def test_a_chunked_create_is_applied_like_a_sized_one(in_process_wsgi, user):
    environ = terminated_environ(
        "POST", f"/api/{user.pk}/tasks", b'{"title":"chunky"}', **bearer_environ(user)
    )

    status, headers, body = call(in_process_wsgi, environ)

    assert status == 201
    assert body["data"]["title"] == "chunky"
    assert headers["Location"].endswith(f"/api/{user.pk}/tasks/{body['data']['id']}")
    assert list(Task.objects.values_list("title", flat=True)) == ["chunky"]


def test_a_chunked_update_is_applied_like_a_sized_one(in_process_wsgi, user):
    task = TaskFactory(user=user, title="before")
    environ = terminated_environ(
        "PATCH", f"/api/{user.pk}/tasks/{task.pk}", b'{"title":"after"}', **bearer_environ(user)
    )

    status, _, body = call(in_process_wsgi, environ)

    assert status == 200
    assert (body["data"]["title"], body["data"]["version"]) == ("after", 2)
    task.refresh_from_db()
    assert task.title == "after"


def test_a_chunked_body_over_one_mebibyte_is_the_same_413_as_a_sized_one(in_process_wsgi, user):
    body = b'{"title":"' + b"a" * ONE_MIB + b'"}'
    path, authorization = f"/api/{user.pk}/tasks", bearer_environ(user)
    stream = ServerInput(body)
    sized = terminated_environ("POST", path, body, CONTENT_LENGTH=str(len(body)), **authorization)

    chunked_answer = call(
        in_process_wsgi, terminated_environ("POST", path, stream, **authorization)
    )
    sized_answer = call(in_process_wsgi, sized)

    assert chunked_answer[0] == sized_answer[0] == 413
    assert chunked_answer[2] == sized_answer[2] == TOO_LARGE
    assert chunked_answer[1]["X-Request-ID"]
    assert stream.position == ONE_MIB + 1
    assert Task.objects.count() == 0


def test_a_chunked_body_that_cannot_be_read_is_a_400_and_writes_nothing(in_process_wsgi, user):
    stream = ServerInput(b'{"title":"half', error=ValueError("Invalid chunk size"))
    environ = terminated_environ("POST", f"/api/{user.pk}/tasks", stream, **bearer_environ(user))

    status, headers, body = call(in_process_wsgi, environ)

    assert status == 400
    assert body == {
        "data": None,
        "error": {
            "code": "BAD_REQUEST",
            "message": "The request body could not be read.",
            "details": None,
        },
    }
    assert headers["X-Request-ID"]
    assert Task.objects.count() == 0


# --- Through a real gunicorn -----------------------------------------------------------------


def chunked(*pieces: bytes) -> Iterator[bytes]:
    """The pieces as the chunks of a body, then the last chunk."""
    for piece in pieces:
        yield b"%x\r\n%s\r\n" % (len(piece), piece)
    yield b"0\r\n\r\n"


def send(
    url: str, method: str, path: str, body: Iterable[bytes], headers: dict[str, str]
) -> tuple[int, dict]:
    """Sends a `Transfer-Encoding: chunked` request whose body is sent as given, byte for byte,
    and answers the status and the JSON body of the response."""
    address = urlsplit(url)
    head = [
        f"{method} {path} HTTP/1.1",
        f"Host: {address.netloc}",
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        try:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
            for piece in body:
                sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            # The server answered without reading the rest and closed: its answer is waiting.
            pass
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, json.loads(response.read())


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_gunicorn_applies_a_chunked_create_and_a_chunked_update(gunicorn_server, user):
    server = gunicorn_server(workers=1)
    tasks = f"/api/{user.pk}/tasks"

    created_status, created = send(
        server.url, "POST", tasks, chunked(b'{"title":', b'"chunky"}'), bearer(user)
    )
    task_path = f"{tasks}/{created['data']['id']}"
    updated_status, updated = send(
        server.url, "PATCH", task_path, chunked(b'{"title"', b':"after"}'), bearer(user)
    )

    assert (created_status, created["data"]["title"]) == (201, "chunky")
    assert (updated_status, updated["data"]["title"]) == (200, "after")
    assert list(Task.objects.values_list("title", flat=True)) == ["after"]


@pytest.mark.parametrize("size", [ONE_MIB + 1, 8 * ONE_MIB], ids=["one-byte-over", "8-mib"])
def test_gunicorn_answers_a_chunked_body_over_one_mebibyte_with_the_413_envelope(
    gunicorn_server, tmp_path, size
):
    # Sign-in reads its body before it touches the database, so this needs no tables.
    server = gunicorn_server(workers=1, database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    prefix, suffix = b'{"email":"a@example.com","password":"', b'"}'
    filler = b"a" * (size - len(prefix) - len(suffix))
    pieces = [filler[i : i + 64 * 1024] for i in range(0, len(filler), 64 * 1024)]

    status, body = send(server.url, "POST", "/api/auth/token", chunked(prefix, *pieces, suffix), {})

    assert (status, body) == (413, TOO_LARGE)


def test_gunicorn_answers_a_malformed_chunked_body_with_the_400_envelope(gunicorn_server, tmp_path):
    server = gunicorn_server(workers=1, database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    not_a_chunk_size = [b"zz\r\n{}\r\n0\r\n\r\n"]

    status, body = send(server.url, "POST", "/api/auth/token", not_a_chunk_size, {})

    assert status == 400
    assert body == {
        "data": None,
        "error": {
            "code": "BAD_REQUEST",
            "message": "The request body could not be read.",
            "details": None,
        },
    }
