"""Schema-driven fuzzing: every operation of /openapi.json answers as the document says.

Schemathesis reads the app's own OpenAPI document and, for each operation, sends requests
generated from it, valid ones and deliberately invalid ones, in-process through the WSGI
application, as a signed-in user. Every answer must pass every check Schemathesis has: no
server error, a documented status, content type, headers and body, valid input accepted,
invalid input refused, and credentials enforced.

The document is loaded when this module is imported (Schemathesis builds one test per
operation from it), so the values the requests must carry to get past authorization, the
user's id and their tasks' ids, are fixed here and the fixture creates rows with them.
"""

import datetime
import uuid
from urllib.parse import urlsplit

import pytest
import schemathesis
from django.contrib.auth.hashers import make_password
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.provisional import urls
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from taskapi.wsgi import application
from tasks.models import IdempotentRequest, Tag, Task
from tasks.tests.factories import TaskFactory

# Shared by the positive and negative modes, so about half of each; the coverage phase adds
# its boundary cases on top.
EXAMPLES_PER_OPERATION = 100
STATEFUL_SEQUENCES = 50

FUZZ_USER_ID = uuid.UUID("5e1f0000-0000-4000-8000-000000000001")
FUZZ_USER_EMAIL = "fuzz@example.com"
FUZZ_TASK_ID = uuid.UUID("7a5c0000-0000-4000-8000-000000000001")
STRONG_PASSWORDS = ["analytical-engine-1843", "difference-engine-1822", DEFAULT_PASSWORD]


# Schemathesis' defaults for what answers valid and invalid data, with 412 added for the
# operations that take If-Match (see CONFIG).
ANSWERS_TO_VALID_DATA = ["2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx"]
REFUSALS_OF_INVALID_DATA = [
    "400",
    "401",
    "403",
    "404",
    "405",
    "406",
    "409",
    "412",
    "415",
    "422",
    "428",
    "429",
    "5xx",
]


def refresh_token_of_fuzz_user() -> str:
    """A signed refresh token for the fuzzing user, made without touching the database (the
    user does not exist yet); it lasts JWT_REFRESH_DAYS, longer than any test run."""
    token = RefreshToken()
    token["user_id"] = str(FUZZ_USER_ID)
    return str(token)


CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {
            "mode": "all",
            "max-examples": EXAMPLES_PER_OPERATION,
            # The same examples on every run: a failure in CI reproduces on a laptop.
            "deterministic": True,
            "database": "none",
            # Credentials come from SignedIn below, valid; test_hostile_input.py sends bad ones.
            "with-security-parameters": False,
        },
        # Every check Schemathesis has is on by default; this adds the one that needs a value.
        "checks": {"max_response_time": 5.0},
        "dictionaries": {
            "own-email": {"values": [FUZZ_USER_EMAIL]},
            "own-password": {"values": [DEFAULT_PASSWORD]},
            "strong-passwords": {"values": STRONG_PASSWORDS},
            "own-refresh-tokens": {"values": [refresh_token_of_fuzz_user() for _ in range(5)]},
            "any-version": {"values": ["*"]},
        },
        # Generated path parameters would name a stranger (403) or no task (404) on every
        # request, and a body would never be read: the path names the signed-in user and their
        # task. (Malformed, foreign and unknown ids are rows of test_hostile_input.py.) Valid
        # credentials go in bodies often enough to reach what follows a successful sign-in.
        "parameters": {
            "path.user_id": str(FUZZ_USER_ID),
            "path.task_id": str(FUZZ_TASK_ID),
            "body.refresh": {"dictionary": "own-refresh-tokens", "probability": 0.5},
            # A generated ETag never matches (412); `*` matches any version of the task.
            "header.If-Match": {"dictionary": "any-version", "probability": 0.5},
            "header.If-None-Match": {"dictionary": "any-version", "probability": 0.5},
        },
        "operations": [
            # 412 is the answer to a well-formed ETag of another version: a refusal (negative
            # data) and, like 409 for a taken email, an answer about state (positive data).
            {
                "include-operation-id": [
                    "tasks_replace",
                    "tasks_update",
                    "tasks_delete",
                    "tasks_complete",
                ],
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": ANSWERS_TO_VALID_DATA},
                    "negative_data_rejection": {"expected-statuses": REFUSALS_OF_INVALID_DATA},
                },
            },
            {
                "include-operation-id": "auth_token_obtain",
                "parameters": {
                    "body.email": {"dictionary": "own-email", "probability": 0.5},
                    "body.password": {"dictionary": "own-password", "probability": 0.5},
                },
            },
            # Password rules (the common-password list, similarity to the email and name) and
            # the current password are not expressible in a schema: in valid requests these
            # come from known-good values, and invalid ones are still generated freely.
            # The coverage phase's boundary values do not draw from dictionaries, so there it
            # sends invalid requests only.
            {
                "include-operation-id": "auth_register",
                "parameters": {"body.password": {"dictionary": "strong-passwords"}},
                "phases": {"coverage": {"generation": {"mode": "negative"}}},
            },
            # Deleting the account asks for the current password, which no schema can say;
            # the fuzz user's is never sent (the account must outlive the run), so a
            # well-formed password is a wrong one, and 422 is the answer to valid data.
            # (accounts/tests/test_account_deletion.py deletes accounts.)
            {
                "include-operation-id": "auth_me_delete",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": [*ANSWERS_TO_VALID_DATA, "422"]
                    },
                },
            },
            {
                "include-operation-id": "auth_password_change",
                "parameters": {
                    "body.old_password": {"dictionary": "own-password"},
                    "body.new_password": {"dictionary": "strong-passwords"},
                },
                "phases": {"coverage": {"generation": {"mode": "negative"}}},
            },
        ],
    }
)

# Schemathesis makes a URI of the schema's maxLength (2048) out of one 2040-character host
# name, which no URL validator accepts: DNS names end at 253 characters (RFC 1035). Hypothesis'
# URLs have real host names (its own bound is 255, hence the filter) and paths of any length.
schemathesis.openapi.format("uri", urls().filter(lambda url: len(urlsplit(url).hostname) <= 253))


def date_times_within_the_utc_calendar() -> st.SearchStrategy[str]:
    """RFC 3339 date-times, `Z` or any offset, in the range the schema describes: years 1 to
    9999 once moved to UTC. Schemathesis' own reach `0001-01-01T00:00:00+21:30`, a time
    before year 1 that no datetime type holds."""

    def render(instant: datetime.datetime, offset_minutes: int) -> str | None:
        zone = datetime.timezone(datetime.timedelta(minutes=offset_minutes))
        try:
            return instant.astimezone(zone).isoformat().replace("+00:00", "Z")
        except OverflowError:  # the local time falls outside years 1 to 9999
            return None

    instants = st.datetimes(timezones=st.just(datetime.UTC))
    offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59)
    return st.builds(render, instants, offsets).filter(lambda text: text is not None)


schemathesis.openapi.format("date-time", date_times_within_the_utc_calendar())

schema = schemathesis.openapi.from_wsgi("/openapi.json", application, config=CONFIG)


# `retry_on=[]`: a 401 is an answer to check, not a cue to fetch another token and retry.
@schema.auth(refresh_interval=None, retry_on=[])
class SignedIn:
    """The fuzzing user's access token, on every request. Made without the database (the user
    is created per test); it lasts JWT_ACCESS_MINUTES, longer than an operation's examples."""

    def get(self, case, ctx) -> str:
        token = AccessToken()
        token["user_id"] = str(FUZZ_USER_ID)
        return str(token)

    def set(self, case, token: str, ctx) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}


OPAQUE_CURSORS = {"tasks_list": "cursor", "tasks_changes": "since"}


@schema.hook("filter_case").apply_to(operation_id=list(OPAQUE_CURSORS))
def without_made_up_cursors(ctx, case) -> bool:
    """A cursor is an opaque value the API hands out with a page; a generated one is refused
    (422) whatever its shape, as is a list cursor sent with `offset` or another `sort`. The
    API's own cursors are walked in tasks/tests, made-up ones in test_hostile_input.py."""
    return OPAQUE_CURSORS[case.operation.definition.raw["operationId"]] not in (case.query or {})


@schema.hook("filter_case")
def without_positive_cases_built_on_a_negative_body(ctx, case) -> bool:
    """Drops what Schemathesis' coverage phase sends as valid data around a body it knows to
    be invalid (so a refusal is no failure of the API).

    The phase builds its parameter cases (an `Idempotency-Key` of near-maximal length) on a
    template body. When it cannot make a valid body, the template is an invalid one (`0`) and
    its component is marked negative, yet the case is still labelled positive, so the 400 the
    body earns fails positive_data_acceptance (ST202). It cannot make one for a task because
    it rewrites the trailing `*` of the title's pattern (taskapi/fields.py: a title is trimmed,
    then 1 to 255 characters) into `{0,4294967041}` for want of a maxLength, and no string is
    generated from that. A case whose every part is what its label says is kept, and the
    fuzzing phase still sends valid bodies to every operation.
    """
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return True
    return not any(part.mode == GenerationMode.NEGATIVE for part in meta.components.values())


@pytest.fixture
def fuzz_user(db, settings, in_process_wsgi) -> User:
    """The signed-in user, with a few tasks; rate limits out of the way."""
    settings.THROTTLE_RATES = {scope: "1000000/minute" for scope in settings.THROTTLE_RATES}
    user = UserFactory(id=FUZZ_USER_ID, email=FUZZ_USER_EMAIL)
    TaskFactory.create_batch(4, user=user)
    return user


def restore_state_that_decides_valid_answers() -> None:
    """Undoes what one request may have done that would change the answer to the next valid
    one: the task the paths name is live again, the current password is the known one, and
    no Idempotency-Key is taken (a taken key with another body is refused with 422)."""
    Task.objects.filter(pk=FUZZ_TASK_ID, deleted_at__isnull=False).delete()
    Task.objects.get_or_create(pk=FUZZ_TASK_ID, defaults={"user_id": FUZZ_USER_ID, "title": "x"})
    User.objects.filter(pk=FUZZ_USER_ID).update(password=make_password(DEFAULT_PASSWORD))
    IdempotentRequest.objects.filter(user_id=FUZZ_USER_ID).delete()


def forget_tags() -> None:
    """Deletes the user's tags, as the API would (off their tasks first): a tag created by
    one example would make the next one's POST of the same name a 409, and a sequence that
    could create a tag in one run but not in its replay is one Hypothesis cannot reproduce."""
    for tag in Tag.objects.filter(user_id=FUZZ_USER_ID):
        tag.delete()


@schema.parametrize()
# One user and their tasks serve every example of an operation, on purpose: rows accumulate
# inside the test's transaction, as they would over a client's session.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_operation_keeps_its_documented_contract(case, fuzz_user):
    restore_state_that_decides_valid_answers()
    forget_tags()

    case.call_and_validate()


def test_sequences_of_calls_keep_the_documented_contract(fuzz_user):
    """Generated sequences of calls, each step drawing its ids from earlier answers (a created
    task's id, the user's id): the checks that need history run here, that a deleted task
    stays gone (use_after_free) and a created one is there (ensure_resource_availability)."""

    class Sequences(schema.as_state_machine()):
        def setup(self):
            forget_tags()

        def before_call(self, case):
            restore_state_that_decides_valid_answers()

    Sequences.run(
        settings=settings(
            max_examples=STATEFUL_SEQUENCES,
            stateful_step_count=10,
            derandomize=True,
            database=None,
            deadline=None,
        )
    )
