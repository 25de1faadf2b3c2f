"""DynamoDB through PynamoDB: contests and votes. A thin adapter; the rules live in the core.

Votes: one item per (contest, voter) — partition key `"<contest>#<voter key>"` — written with a
single conditional put, so one person has one vote per contest and no write shares a hot key.
A global secondary index on the receipt answers "check my vote".
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from datetime import datetime

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.attributes import BinaryAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, PynamoDBException, UpdateError
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from chalicelib.contest import Contest, ContestError, check_update, iso_utc, parse_contest
from chalicelib.records import (
    STATE_CLOSED,
    STATE_SCHEDULED,
    STATE_TALLIED,
    ConcurrentUpdate,
    ReceiptRecord,
    StorageUnavailable,
    StoredContest,
    VoteRecord,
)
from chalicelib.tally import TallyResult, VoteLine

RECEIPT_FIELDS = ["contest", "nominee", "nomination", "cast_at"]
TALLY_FIELDS = ["receipt", "nominee", "cast_at"]


class _Base(Model):
    class Meta:
        abstract = True
        billing_mode = "PAY_PER_REQUEST"
        connect_timeout_seconds = 2
        read_timeout_seconds = 3
        max_retry_attempts = 2  # a Lambda should answer 503 quickly rather than wait
        base_backoff_ms = 25


class ContestItem(_Base):
    class Meta(_Base.Meta):
        table_name = "contests"

    id = UnicodeAttribute(hash_key=True)
    document = UnicodeAttribute()  # the contest file, canonical JSON, times in UTC
    opens_at = UnicodeAttribute()
    closes_at = UnicodeAttribute()
    state = UnicodeAttribute(default=STATE_SCHEDULED)
    revision = NumberAttribute(default=0)
    updated_at = UnicodeAttribute()
    result = UnicodeAttribute(null=True)  # the tally (JSON), written once with state closed -> tallied


class ReceiptIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "receipt"
        projection = IncludeProjection(RECEIPT_FIELDS)

    receipt = UnicodeAttribute(hash_key=True)


class VoteItem(_Base):
    class Meta(_Base.Meta):
        table_name = "votes"

    pk = UnicodeAttribute(hash_key=True)  # "<contest>#<voter key>"
    contest = UnicodeAttribute()
    voter = UnicodeAttribute()
    receipt = UnicodeAttribute()
    nominee = UnicodeAttribute()
    nomination = UnicodeAttribute()
    cast_at = UnicodeAttribute()  # UTC, fixed-width ISO 8601
    certificate_serial = UnicodeAttribute()
    certificate_issuer = UnicodeAttribute()
    algorithm = UnicodeAttribute()
    cms = BinaryAttribute(legacy_encoding=False)
    content = BinaryAttribute(legacy_encoding=False, null=True)  # the ballot, for a detached CMS

    receipt_index = ReceiptIndex()


MODELS: tuple[type[Model], ...] = (ContestItem, VoteItem)


def configure(prefix: str, endpoint: str | None, region: str) -> None:
    """Point the models at `<prefix>contests` and `<prefix>votes` (and a local server)."""
    if endpoint:
        # A local server still wants credentials in the request signature; any will do.
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    for model, name in ((ContestItem, "contests"), (VoteItem, "votes")):
        model.Meta.table_name = f"{prefix}{name}"
        model.Meta.host = endpoint
        model.Meta.region = region
        model._connection = None  # PynamoDB caches the connection with the old settings
    VoteItem.receipt_index._connection = None


def create_tables(wait: bool = True) -> list[str]:
    created = []
    for model in MODELS:
        if not model.exists():
            model.create_table(wait=wait, billing_mode="PAY_PER_REQUEST")
            created.append(model.Meta.table_name)
    return created


def vote_key(contest_id: str, voter: str) -> str:
    return f"{contest_id}#{voter}"




def _unavailable(error: Exception) -> StorageUnavailable:
    return StorageUnavailable(f"{type(error).__name__}: {getattr(error, 'cause_response_code', '')}")


def _stored(item: ContestItem) -> StoredContest:
    result = TallyResult.from_json(json.loads(item.result)) if item.result else None
    return StoredContest(parse_contest(json.loads(item.document)), item.state, item.revision, result)


def get_contest(contest_id: str) -> StoredContest | None:
    try:
        item = ContestItem.get(contest_id, consistent_read=True)
    except ContestItem.DoesNotExist:
        return None
    except (PynamoDBException, BotoCoreError, ClientError) as error:
        raise _unavailable(error) from None
    return _stored(item)


def list_contests() -> list[StoredContest]:
    try:
        return sorted((_stored(item) for item in ContestItem.scan()), key=lambda s: s.contest.opens_at)
    except (PynamoDBException, BotoCoreError, ClientError) as error:
        raise _unavailable(error) from None


def save_contest(contest: Contest, now: datetime) -> tuple[str, StoredContest]:
    """Create or update; returns ('created'|'updated'|'unchanged', stored). Applies the freeze
    rules against what is stored, and writes only if nobody changed it since we read it."""
    existing = get_contest(contest.id)
    document = json.dumps(contest.to_document(), ensure_ascii=False, sort_keys=True)
    if existing is None:
        item = ContestItem(
            contest.id, document=document, opens_at=iso_utc(contest.opens_at),
            closes_at=iso_utc(contest.closes_at), revision=1, updated_at=iso_utc(now),
        )
        try:
            item.save(condition=ContestItem.id.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise ConcurrentUpdate(contest.id) from None
            raise _unavailable(error) from None
        return "created", StoredContest(contest, STATE_SCHEDULED, 1)
    if existing.contest.to_document() == contest.to_document():
        return "unchanged", existing
    if existing.state != STATE_SCHEDULED:
        raise ContestError("closes_at", f"the contest is already {existing.state}")
    check_update(existing.contest, contest, now)
    item = ContestItem(contest.id)
    try:
        item.update(
            actions=[
                ContestItem.document.set(document),
                ContestItem.opens_at.set(iso_utc(contest.opens_at)),
                ContestItem.closes_at.set(iso_utc(contest.closes_at)),
                ContestItem.revision.set(existing.revision + 1),
                ContestItem.updated_at.set(iso_utc(now)),
            ],
            condition=(ContestItem.revision == existing.revision),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise ConcurrentUpdate(contest.id) from None
        raise _unavailable(error) from None
    return "updated", StoredContest(contest, existing.state, existing.revision + 1)


def record_vote(record: VoteRecord) -> VoteRecord | None:
    """Write the vote unless this voter already has one in this contest. Returns None when
    written, or the vote already stored for this voter."""
    item = VoteItem(
        vote_key(record.contest, record.voter),
        contest=record.contest, voter=record.voter, receipt=record.receipt, nominee=record.nominee,
        nomination=record.nomination, cast_at=record.cast_at, certificate_serial=record.certificate_serial,
        certificate_issuer=record.certificate_issuer, algorithm=record.algorithm, cms=record.cms,
        content=record.content,
    )
    try:
        item.save(condition=VoteItem.pk.does_not_exist())
        return None
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise _unavailable(error) from None
    except (PynamoDBException, BotoCoreError, ClientError) as error:
        raise _unavailable(error) from None
    existing = get_vote(record.contest, record.voter)
    if existing is None:  # cannot happen with a consistent read after a failed condition
        raise StorageUnavailable("vote vanished after a conditional failure")
    return existing


def get_vote(contest_id: str, voter: str) -> VoteRecord | None:
    try:
        item = VoteItem.get(vote_key(contest_id, voter), consistent_read=True)
    except VoteItem.DoesNotExist:
        return None
    except (PynamoDBException, BotoCoreError, ClientError) as error:
        raise _unavailable(error) from None
    return VoteRecord(
        contest=item.contest, voter=item.voter, receipt=item.receipt, nominee=item.nominee,
        nomination=item.nomination, cast_at=item.cast_at, certificate_serial=item.certificate_serial,
        certificate_issuer=item.certificate_issuer, algorithm=item.algorithm, cms=item.cms,
        content=item.content,
    )


def find_receipt(receipt: str) -> ReceiptRecord | None:
    try:
        for item in VoteItem.receipt_index.query(receipt, limit=1):
            return ReceiptRecord(item.contest, item.nominee, item.nomination, item.cast_at)
    except (PynamoDBException, BotoCoreError, ClientError) as error:
        raise _unavailable(error) from None
    return None


def scan_votes(contest_id: str) -> Iterator[VoteItem]:
    """Every stored vote of a contest (for tests and tools; the tally has its own scan)."""
    try:
        yield from VoteItem.scan(VoteItem.contest == contest_id)
    except (PynamoDBException, BotoCoreError, ClientError) as error:
        raise _unavailable(error) from None


def _conditional_update(contest_id: str, actions: list, condition) -> bool:
    """True when written, False when the condition failed; StorageUnavailable otherwise."""
    try:
        ContestItem(contest_id).update(actions=actions, condition=condition)
        return True
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise _unavailable(error) from None
    except (PynamoDBException, BotoCoreError, ClientError) as error:
        raise _unavailable(error) from None


def mark_closed(contest_id: str, now: datetime, closes_at: datetime | None = None) -> StoredContest:
    """scheduled -> closed, once (the condition is the state). With `closes_at` (an early close) the
    window ends there: the tally's one rule `cast_at < closes_at` then covers early closes too.
    Returns what is stored afterwards, whoever closed it."""
    existing = get_contest(contest_id)
    if existing is None:
        raise ContestError("id", f"no contest {contest_id!r}")
    if existing.state != STATE_SCHEDULED:
        return existing
    actions = [ContestItem.state.set(STATE_CLOSED), ContestItem.revision.set(existing.revision + 1),
               ContestItem.updated_at.set(iso_utc(now))]
    if closes_at is not None and closes_at < existing.contest.closes_at:
        document = existing.contest.to_document()
        document["closes_at"] = iso_utc(closes_at)
        actions += [ContestItem.document.set(json.dumps(document, ensure_ascii=False, sort_keys=True)),
                    ContestItem.closes_at.set(iso_utc(closes_at))]
    condition = (ContestItem.state == STATE_SCHEDULED) & (ContestItem.revision == existing.revision)
    if not _conditional_update(contest_id, actions, condition):
        after = get_contest(contest_id)
        if after is None or after.state == STATE_SCHEDULED:
            raise ConcurrentUpdate(contest_id)
        return after
    stored = get_contest(contest_id)
    assert stored is not None
    return stored


def store_result(contest_id: str, result: TallyResult, now: datetime) -> StoredContest:
    """closed -> tallied with the result, in one conditional write: the first tally stored wins,
    every later one changes nothing. Returns what is stored afterwards."""
    actions = [ContestItem.result.set(result.dumps()), ContestItem.state.set(STATE_TALLIED),
               ContestItem.revision.add(1), ContestItem.updated_at.set(iso_utc(now))]
    condition = (ContestItem.state == STATE_CLOSED) & ContestItem.result.does_not_exist()
    written = _conditional_update(contest_id, actions, condition)
    stored = get_contest(contest_id)
    if stored is None or (not written and stored.state != STATE_TALLIED):
        raise ConcurrentUpdate(contest_id)
    return stored


_connection_lock = threading.Lock()


def _votes_connection():  # PynamoDB's TableConnection
    # One client for all scan workers: made once, before they race to make one each.
    with _connection_lock:
        return VoteItem._get_connection()


def tally_segment(contest_id: str, segment: int, total_segments: int) -> Iterator[VoteLine]:
    """One segment of a parallel scan of the votes, reading only what the tally needs. Items are
    read as plain DynamoDB JSON: building a model object per vote would cost more than the scan."""
    connection = _votes_connection()
    start_key = None
    try:
        while True:
            page = connection.scan(
                filter_condition=VoteItem.contest == contest_id, attributes_to_get=TALLY_FIELDS,
                segment=segment, total_segments=total_segments, consistent_read=True,
                exclusive_start_key=start_key,
            )
            for item in page.get("Items", []):
                yield VoteLine(item["receipt"]["S"], item["nominee"]["S"], item["cast_at"]["S"])
            start_key = page.get("LastEvaluatedKey")
            if not start_key:
                return
    except (PynamoDBException, BotoCoreError, ClientError) as error:
        raise _unavailable(error) from None


def counted_votes(contest_id: str, closes_at: str) -> Iterator[VoteRecord]:
    """The stored votes with `cast_at < closes_at`, CMS and all (the evidence), in scan order."""
    try:
        for item in VoteItem.scan(
            (VoteItem.contest == contest_id) & (VoteItem.cast_at < closes_at), consistent_read=True,
        ):
            yield VoteRecord(
                contest=item.contest, voter=item.voter, receipt=item.receipt, nominee=item.nominee,
                nomination=item.nomination, cast_at=item.cast_at, certificate_serial=item.certificate_serial,
                certificate_issuer=item.certificate_issuer, algorithm=item.algorithm, cms=item.cms,
                content=item.content,
            )
    except (PynamoDBException, BotoCoreError, ClientError) as error:
        raise _unavailable(error) from None
