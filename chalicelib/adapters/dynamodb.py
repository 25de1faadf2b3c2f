"""DynamoDB through PynamoDB: the contests, votes, signing sessions and spent-challenges tables behind the ports
(`voting.ports.Store`).
A thin adapter: it maps records to items and back, turns every DynamoDB failure into
`StorageUnavailable`, and applies each write's condition; the rules live in the services.

Votes: one item per (contest, voter) — partition key `"<contest>#<voter key>"` — written with a
single conditional put, so one person has one vote per contest and no write shares a hot key.
A global secondary index on the receipt answers "check my vote". An item names nobody: the voter
key is a keyed hash of the IIN and the signed CMS is stored sealed to the commission's key.

Signing sessions (eGov mobile): one item per session id, settled by conditional updates, and
deleted by DynamoDB's TTL (`delete_after`) a day after they expire.

Spent challenges: one item per single-use nonce (admin sign-in), written with a conditional put and
deleted by DynamoDB's TTL after the token has expired, so the table stays as small as the sign-ins
of the last minutes.

Retries: PynamoDB hands `Meta.max_retry_attempts` to botocore's "standard" retry mode (jittered
exponential backoff, throttling and 5xx retried). Two retries and short timeouts: a Lambda answers
503 quickly and the citizen's page retries, rather than waiting out the function's timeout.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.attributes import BinaryAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.connection.table import TableConnection
from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from chalicelib.voting.clock import iso_utc, parse_iso_utc
from chalicelib.voting.contest import Contest, parse_contest
from chalicelib.voting.records import (
    STATE_CLOSED,
    STATE_SCHEDULED,
    STATE_TALLIED,
    ContestSummary,
    ReceiptRecord,
    StorageUnavailable,
    StoredContest,
    VoteRecord,
)
from chalicelib.voting.signing_session import RETENTION, WAITING, Outcome, SigningSession
from chalicelib.voting.tally import TallyResult, VoteLine

RECEIPT_FIELDS = ["contest", "nominee", "nomination", "cast_at"]
# The contest list's projection: a scan of this index reads a few hundred bytes per contest, the
# table's scan the whole contest file (DynamoDB charges a scan by the items' size, projected or not).
SUMMARY_INDEX = "summary"
SUMMARY_FIELDS = ["title", "opens_at", "closes_at", "state", "planned_closes_at"]
TALLY_FIELDS = ["receipt", "nominee", "cast_at"]
_CONDITION_FAILED = "ConditionalCheckFailedException"
_NOBODY = "~health-check"  # no contest id, receipt or nonce can take this form
_FAILURES = (PynamoDBException, BotoCoreError, ClientError)
M = TypeVar("M", bound=Model)


class _Settings:
    billing_mode = "PAY_PER_REQUEST"
    connect_timeout_seconds = 2
    read_timeout_seconds = 3
    max_retry_attempts = 2


class ContestItem(Model):
    """The contests table's schema; `DynamoStore` binds it to a table name and endpoint."""

    class Meta(_Settings):
        abstract = True

    id = UnicodeAttribute(hash_key=True)
    document = UnicodeAttribute()  # the contest file, canonical JSON, times in UTC
    title = UnicodeAttribute(null=True)  # the titles (JSON), for the summary index
    opens_at = UnicodeAttribute()
    closes_at = UnicodeAttribute()
    state = UnicodeAttribute(default=STATE_SCHEDULED)
    revision = NumberAttribute(default=0)
    updated_at = UnicodeAttribute()
    result = UnicodeAttribute(null=True)  # the tally (JSON), written once with state closed -> tallied
    planned_closes_at = UnicodeAttribute(null=True)  # what closes_at was before an early close
    summary_index: ClassVar[GlobalSecondaryIndex[Any]]  # bound with the table, in `_bind`


class VoteItem(Model):
    """The votes table's schema; `DynamoStore` binds it (and its receipt index) to a table."""

    class Meta(_Settings):
        abstract = True

    pk = UnicodeAttribute(hash_key=True)  # "<contest>#<voter key>"
    contest = UnicodeAttribute()
    voter = UnicodeAttribute()
    receipt = UnicodeAttribute()
    nominee = UnicodeAttribute()
    nomination = UnicodeAttribute()
    cast_at = UnicodeAttribute()  # UTC, fixed-width ISO 8601
    algorithm = UnicodeAttribute()
    # The CMS (and a detached CMS's ballot) sealed to the commission's key: no identity in the
    # table, its backups or anything that can Scan it (`voting/seal.py`).
    evidence = BinaryAttribute(legacy_encoding=False)
    receipt_index: ClassVar[GlobalSecondaryIndex[Any]]  # bound with the table, in `_bind`


class SessionItem(Model):
    """The signing sessions table's schema; `DynamoStore` binds it to a table."""

    class Meta(_Settings):
        abstract = True

    id = UnicodeAttribute(hash_key=True)
    token = UnicodeAttribute()
    contest = UnicodeAttribute()
    nominee = UnicodeAttribute()
    ballot = BinaryAttribute(legacy_encoding=False)
    created_at = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    status = UnicodeAttribute()
    claim = BinaryAttribute(legacy_encoding=False, null=True)
    receipt = UnicodeAttribute(null=True)
    cast_at = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    delete_after = TTLAttribute()  # DynamoDB's TTL attribute: expires_at + RETENTION


SESSION_TTL_ATTRIBUTE = SessionItem.delete_after.attr_name  # the template's TimeToLiveSpecification names it too


class SpentChallengeItem(Model):
    """A single-use challenge's nonce, kept until its token expires (DynamoDB's TTL deletes it)."""

    class Meta(_Settings):
        abstract = True

    nonce = UnicodeAttribute(hash_key=True)
    expires = TTLAttribute()


CHALLENGE_TTL_ATTRIBUTE = SpentChallengeItem.expires.attr_name  # and the challenges table's


class OutdatedTable(RuntimeError):
    """A table made by an earlier version lacks what this one reads (an index)."""


def vote_key(contest_id: str, voter: str) -> str:
    return f"{contest_id}#{voter}"


@contextmanager
def _storage_errors() -> Iterator[None]:
    """The one mapping of DynamoDB's failures: all of them are 503 and a retry for the client."""
    try:
        yield
    except _FAILURES as error:
        raise StorageUnavailable(f"{type(error).__name__}: {getattr(error, 'cause_response_code', '')}") from None


def _applied(write: Callable[[], Any]) -> bool:
    """Run a conditional write: True when applied, False when its condition failed."""
    with _storage_errors():
        try:
            write()
        except PynamoDBException as error:
            if getattr(error, "cause_response_code", None) == _CONDITION_FAILED:
                return False
            raise
    return True


def _item(model: type[M], key: str) -> M | None:
    """One item by its key, read consistently; None if there is none."""
    with _storage_errors():
        try:
            return model.get(key, consistent_read=True)
        except model.DoesNotExist:
            return None


class DynamoStore:
    """The tables `<prefix>contests`, `<prefix>votes` and `<prefix>sessions` at `endpoint` (AWS when None)."""

    def __init__(self, prefix: str, endpoint: str | None = None, region: str = "us-east-1") -> None:
        if endpoint:
            # A local server still wants credentials in the request signature; any will do.
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        self.local = bool(endpoint)
        self.table_names = (f"{prefix}contests", f"{prefix}votes", f"{prefix}sessions", f"{prefix}challenges")
        self.contests, self.votes, self.sessions, self.challenges = _bind(*self.table_names, endpoint, region)
        self._connection_lock = threading.Lock()

    def _models(self) -> tuple[type[Model], ...]:
        return (self.contests, self.votes, self.sessions, self.challenges)

    def create_tables(self, wait: bool = True) -> list[str]:
        created = []
        with _storage_errors():
            for model, name in zip(self._models(), self.table_names, strict=True):
                if not model.exists():
                    # The TTLs (sessions, spent challenges): dynalite has no UpdateTimeToLive, so a local
                    # server may lack them (items then stay on disk; the rules never rely on the deletion).
                    model.create_table(wait=wait, billing_mode="PAY_PER_REQUEST", ignore_update_ttl_errors=self.local)
                    created.append(name)
            self._check_summary_index()
        return created

    def _check_summary_index(self) -> None:
        """A contests table made before the summary index cannot list contests; say so plainly
        (dynalite cannot add an index to a table; in AWS the template has it)."""
        client = self.contests._get_connection().connection.client
        table = client.describe_table(TableName=self.table_names[0])["Table"]
        index = next((i for i in table.get("GlobalSecondaryIndexes", []) if i["IndexName"] == SUMMARY_INDEX), None)
        # An index of an earlier version that lacks a field would list contests without it (an early
        # close would not show in the list): refused as well.
        lacking = set(SUMMARY_FIELDS) - set((index or {}).get("Projection", {}).get("NonKeyAttributes", []))
        if lacking:
            what = "missing" if index is None else "lacks " + ", ".join(sorted(lacking))
            raise OutdatedTable(f"table {self.table_names[0]}, index {SUMMARY_INDEX!r}: {what}: an earlier version "
                                "made it; make it again (the local stack: `make clean-local`, which removes .local)")

    def delete_tables(self) -> None:
        with _storage_errors():
            for model in self._models():
                if model.exists():
                    model.delete_table()

    # Contests

    def get_contest(self, contest_id: str) -> StoredContest | None:
        item = _item(self.contests, contest_id)
        return _stored(item) if item is not None else None

    def list_summaries(self) -> list[ContestSummary]:
        connection = self.contests._get_connection()
        summaries, start_key = [], None
        with _storage_errors():
            while True:
                page = connection.scan(index_name=SUMMARY_INDEX, exclusive_start_key=start_key)
                summaries += [self._summary(item) for item in page.get("Items", [])]
                start_key = page.get("LastEvaluatedKey")
                if not start_key:
                    break
        return sorted(summaries, key=lambda s: s.opens_at)

    @staticmethod
    def _summary(item: dict[str, Any]) -> ContestSummary:
        planned = item.get("planned_closes_at", {}).get("S")
        return ContestSummary(item["id"]["S"], json.loads(item["title"]["S"]),
                              parse_iso_utc(item["opens_at"]["S"]), parse_iso_utc(item["closes_at"]["S"]),
                              item["state"]["S"], parse_iso_utc(planned) if planned else None)

    def create_contest(self, contest: Contest, now: datetime) -> bool:
        item = self.contests(contest.id, document=contest.to_json(), title=_titles(contest),
                             opens_at=iso_utc(contest.opens_at), closes_at=iso_utc(contest.closes_at), revision=1,
                             updated_at=iso_utc(now))
        return _applied(lambda: item.save(condition=self.contests.id.does_not_exist()))

    def update_contest(self, contest: Contest, revision: int, now: datetime) -> bool:
        return self._update(contest.id, self._contest_actions(contest, now), self.contests.revision == revision)

    def close_contest(self, contest: Contest, revision: int, now: datetime,
                      planned_closes_at: datetime | None = None) -> bool:
        actions = [*self._contest_actions(contest, now), self.contests.state.set(STATE_CLOSED)]
        if planned_closes_at is not None:
            actions.append(self.contests.planned_closes_at.set(iso_utc(planned_closes_at)))
        condition = (self.contests.state == STATE_SCHEDULED) & (self.contests.revision == revision)
        return self._update(contest.id, actions, condition)

    def store_result(self, contest_id: str, result: TallyResult, now: datetime) -> bool:
        actions = [self.contests.result.set(result.dumps()), self.contests.state.set(STATE_TALLIED),
                   self.contests.revision.add(1), self.contests.updated_at.set(iso_utc(now))]
        condition = (self.contests.state == STATE_CLOSED) & self.contests.result.does_not_exist()
        return self._update(contest_id, actions, condition)

    def _contest_actions(self, contest: Contest, now: datetime) -> list[Any]:
        model = self.contests
        return [model.document.set(contest.to_json()), model.title.set(_titles(contest)),
                model.opens_at.set(iso_utc(contest.opens_at)),
                model.closes_at.set(iso_utc(contest.closes_at)), model.revision.add(1),
                model.updated_at.set(iso_utc(now))]

    def _update(self, contest_id: str, actions: list[Any], condition: Condition) -> bool:
        return _applied(lambda: self.contests(contest_id).update(actions=actions, condition=condition))

    # Votes

    def record_vote(self, record: VoteRecord) -> VoteRecord | None:
        item = self.votes(vote_key(record.contest, record.voter), **_vote_fields(record))
        if _applied(lambda: item.save(condition=self.votes.pk.does_not_exist())):
            return None
        existing = self.get_vote(record.contest, record.voter)
        if existing is None:  # cannot happen with a consistent read after a failed condition
            raise StorageUnavailable("vote vanished after a conditional failure")
        return existing

    def get_vote(self, contest_id: str, voter: str) -> VoteRecord | None:
        item = _item(self.votes, vote_key(contest_id, voter))
        return _vote_record(item) if item is not None else None

    def find_receipt(self, receipt: str) -> ReceiptRecord | None:
        with _storage_errors():
            for item in self.votes.receipt_index.query(receipt, limit=1):
                return ReceiptRecord(item.contest, item.nominee, item.nomination, item.cast_at)
        return None

    def votes_of(self, contest_id: str) -> Iterator[VoteRecord]:
        """Every stored vote of a contest (for tests and tools; the tally has its own scan)."""
        with _storage_errors():
            for item in self.votes.scan(self.votes.contest == contest_id):
                yield _vote_record(item)

    def counted_votes(self, contest_id: str, closes_at: str) -> Iterator[VoteRecord]:
        with _storage_errors():
            condition = (self.votes.contest == contest_id) & (self.votes.cast_at < closes_at)
            for item in self.votes.scan(condition, consistent_read=True):
                yield _vote_record(item)

    def tally_segment(self, contest_id: str, segment: int, total_segments: int,
                      consistent: bool = True) -> Iterator[VoteLine]:
        """Items are read as plain DynamoDB JSON: a model object per vote would cost more than the scan."""
        connection = self._votes_connection()
        start_key = None
        with _storage_errors():
            while True:
                page = connection.scan(
                    filter_condition=self.votes.contest == contest_id, attributes_to_get=TALLY_FIELDS,
                    segment=segment, total_segments=total_segments, consistent_read=consistent,
                    exclusive_start_key=start_key,
                )
                for item in page.get("Items", []):
                    yield VoteLine(item["receipt"]["S"], item["nominee"]["S"], item["cast_at"]["S"])
                start_key = page.get("LastEvaluatedKey")
                if not start_key:
                    return

    def reach(self) -> None:
        """The contests table and the receipt index, each by a key nobody has: what a vote and a
        receipt check read, reached for half a read unit each."""
        self.get_contest(_NOBODY)
        self.find_receipt(_NOBODY)

    # Signing sessions

    def create_session(self, session: SigningSession) -> bool:
        item = self.sessions(
            session.id, token=session.token, contest=session.contest, nominee=session.nominee, ballot=session.ballot,
            created_at=iso_utc(session.created_at), expires_at=iso_utc(session.expires_at), status=session.status,
            claim=session.claim, receipt=session.receipt, cast_at=session.cast_at, error=session.error,
            delete_after=session.expires_at + RETENTION,
        )
        return _applied(lambda: item.save(condition=self.sessions.id.does_not_exist()))

    def get_session(self, session_id: str) -> SigningSession | None:
        item = _item(self.sessions, session_id)
        if item is None:
            return None
        return SigningSession(
            id=item.id, token=item.token, contest=item.contest, nominee=item.nominee, ballot=item.ballot,
            created_at=parse_iso_utc(item.created_at), expires_at=parse_iso_utc(item.expires_at), status=item.status,
            claim=item.claim, receipt=item.receipt, cast_at=item.cast_at, error=item.error,
        )

    def claim_session(self, session_id: str, claim: bytes) -> bool:
        return self._settle(session_id, claim, [self.sessions.claim.set(claim)])

    def settle_session(self, session_id: str, claim: bytes, outcome: Outcome) -> bool:
        model = self.sessions
        actions = [model.claim.set(claim), model.status.set(outcome.status)]
        for attribute, value in ((model.receipt, outcome.receipt), (model.cast_at, outcome.cast_at),
                                 (model.error, outcome.error)):
            if value is not None:
                actions.append(attribute.set(value))
        return self._settle(session_id, claim, actions)

    def _settle(self, session_id: str, claim: bytes, actions: list[Any]) -> bool:
        model = self.sessions
        condition = (model.status == WAITING) & (model.claim.does_not_exist() | (model.claim == claim))
        return _applied(lambda: model(session_id).update(actions=actions, condition=condition))

    # Single-use challenges

    def spend_challenge(self, nonce: str, expires_at: datetime) -> bool:
        item = self.challenges(nonce, expires=expires_at)
        return _applied(lambda: item.save(condition=self.challenges.nonce.does_not_exist()))

    def _votes_connection(self) -> TableConnection:
        # One client for all scan workers: made once, before they race to make one each.
        with self._connection_lock:
            return self.votes._get_connection()


def _bind(contests_table: str, votes_table: str, sessions_table: str, challenges_table: str, endpoint: str | None,
          region: str) -> tuple[type[ContestItem], type[VoteItem], type[SessionItem], type[SpentChallengeItem]]:
    """The schemas bound to this store's tables: classes of its own, so two stores never share
    PynamoDB's per-class table name, endpoint or connection."""
    _region = region  # a class body cannot read a name it assigns from the enclosing scope

    class SummaryIndex(GlobalSecondaryIndex["Contests"]):
        class Meta:
            index_name = SUMMARY_INDEX
            projection = IncludeProjection(SUMMARY_FIELDS)

        id = UnicodeAttribute(hash_key=True)

    class Contests(ContestItem):
        class Meta(_Settings):
            table_name = contests_table
            host = endpoint
            region = _region

        summary_index = SummaryIndex()

    class OnContestsClient:
        """One botocore client for the store's tables, made on first use: PynamoDB builds one per
        model, and each costs a service-model load (~100 ms of a cold start's first vote)."""

        _connection: TableConnection | None

        @classmethod
        def _get_connection(cls) -> TableConnection:
            fresh = cls._connection is None
            connection: TableConnection = super()._get_connection()  # type: ignore[misc]
            if fresh:
                shared = Contests._get_connection().connection
                shared.add_meta_table(connection.get_meta_table())
                connection.connection = shared
            return connection

    class ReceiptIndex(GlobalSecondaryIndex["Votes"]):
        class Meta:
            index_name = "receipt"
            projection = IncludeProjection(RECEIPT_FIELDS)

        receipt = UnicodeAttribute(hash_key=True)

    class Votes(OnContestsClient, VoteItem):
        class Meta(_Settings):
            table_name = votes_table
            host = endpoint
            region = _region

        receipt_index = ReceiptIndex()

    class Sessions(OnContestsClient, SessionItem):
        class Meta(_Settings):
            table_name = sessions_table
            host = endpoint
            region = _region

    class SpentChallenges(OnContestsClient, SpentChallengeItem):
        class Meta(_Settings):
            table_name = challenges_table
            host = endpoint
            region = _region

    return Contests, Votes, Sessions, SpentChallenges


def _titles(contest: Contest) -> str:
    return json.dumps(dict(contest.title), ensure_ascii=False, sort_keys=True)


def _stored(item: ContestItem) -> StoredContest:
    result = TallyResult.from_json(json.loads(item.result)) if item.result else None
    planned = parse_iso_utc(item.planned_closes_at) if item.planned_closes_at else None
    return StoredContest(parse_contest(json.loads(item.document)), item.state, int(item.revision), result, planned)


# A vote item's attributes are the record's fields by name: one mapping, both ways.
_VOTE_FIELDS = tuple(field.name for field in dataclasses.fields(VoteRecord))


def _vote_fields(record: VoteRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in _VOTE_FIELDS}


def _vote_record(item: VoteItem) -> VoteRecord:
    return VoteRecord(**{name: getattr(item, name) for name in _VOTE_FIELDS})
