"""What only the DynamoDB adapter does: its keys, its failures, its tables of its own, its item limit."""

import uuid

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import PutError

from chalicelib.adapters.dynamodb import DynamoStore
from chalicelib.voting.commission import MAX_CONTEST_BYTES, largest_result, stored_size
from chalicelib.voting.contest import parse_contest
from chalicelib.voting.records import StorageUnavailable
from tests.adapters.test_store_contract import a_session, vote
from tests.conftest import NOW
from tests.voting.test_commission import too_large_for_one_record


def test_partition_key_is_contest_and_voter(dynamo_store):
    dynamo_store.record_vote(vote())
    [item] = dynamo_store.votes.scan()
    assert item.pk == "c#v1"


def test_throttling_is_storage_unavailable(dynamo_store, monkeypatch):
    throttled = ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}},
                            "PutItem")

    def throttle(*args, **kwargs):
        raise PutError("throttled", cause=throttled)

    monkeypatch.setattr(dynamo_store.votes, "save", throttle)
    with pytest.raises(StorageUnavailable):
        dynamo_store.record_vote(vote())


def test_two_stores_keep_to_their_own_tables():
    first, second = DynamoStore("a-", "http://127.0.0.1:1"), DynamoStore("b-", "http://127.0.0.1:2")
    assert (first.table_names, second.table_names) == (("a-contests", "a-votes", "a-sessions", "a-challenges"),
                                                       ("b-contests", "b-votes", "b-sessions", "b-challenges"))
    assert (first.votes.Meta.host, second.votes.receipt_index._model.Meta.table_name) == \
        ("http://127.0.0.1:1", "b-votes")


def test_retries_are_botocores_standard_mode_with_two_retries():
    store = DynamoStore("r-", "http://127.0.0.1:1")
    client = store.votes._get_connection().connection.client
    assert client.meta.config.retries == {"total_max_attempts": 3, "mode": "standard"}


@pytest.fixture
def moto_store(monkeypatch):
    from moto import mock_aws

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        store = DynamoStore("ttl-", None, "us-east-1")
        store.create_tables()
        yield store


def test_the_sessions_table_deletes_sessions_by_ttl(moto_store):
    import boto3

    described = boto3.client("dynamodb", region_name="us-east-1").describe_time_to_live(TableName="ttl-sessions")
    assert described["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "delete_after"}


def test_a_session_is_deleted_a_day_after_it_expires(moto_store):
    from datetime import timedelta

    session = a_session()
    moto_store.create_session(session)
    [item] = moto_store.sessions.scan()
    assert item.delete_after == session.expires_at + timedelta(days=1)


def largest_accepted_contest():
    """As many nominees of `too_large_for_one_record` as the commission's size rule lets in."""
    document = too_large_for_one_record()
    nominees = document["nominations"][0]["nominees"]
    low, high = 1, len(nominees)
    while low < high:
        middle = (low + high + 1) // 2
        document["nominations"][0]["nominees"] = nominees[:middle]
        low, high = (middle, high) if stored_size(parse_contest(document)) <= MAX_CONTEST_BYTES else (low, middle - 1)
    document["nominations"][0]["nominees"] = nominees[:low]
    return parse_contest(document)


@pytest.fixture
def dynalite_store(dynalite):
    store = DynamoStore(f"t{uuid.uuid4().hex[:10]}-", dynalite)
    store.create_tables()
    yield store
    store.delete_tables()


@pytest.mark.integration
def test_the_largest_contest_the_rule_accepts_is_stored_and_tallied_in_one_item(dynalite_store):
    # On dynalite: moto counts an updated attribute's old and new value together against 400 KB.
    dynamo_store = dynalite_store
    contest = largest_accepted_contest()
    assert stored_size(contest) > MAX_CONTEST_BYTES - 2048  # at the edge of the rule
    assert dynamo_store.create_contest(contest, NOW)
    assert dynamo_store.close_contest(contest, 1, NOW)
    assert dynamo_store.store_result(contest.id, largest_result(contest), NOW)
    assert dynamo_store.get_contest(contest.id).result == largest_result(contest)


def test_a_contest_over_the_rule_is_one_dynamodb_would_refuse_as_a_storage_error(dynamo_store):
    with pytest.raises(StorageUnavailable):
        dynamo_store.create_contest(parse_contest(too_large_for_one_record()), NOW)


def test_spent_challenges_expire_by_dynamodbs_time_to_live(dynamo_store):
    if dynamo_store.challenges.Meta.host:
        pytest.skip("dynalite has no time to live: the local stack keeps spent challenges")
    connection = dynamo_store.challenges._get_connection().connection
    described = connection.client.describe_time_to_live(TableName=dynamo_store.table_names[3])
    assert described["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}


def test_a_spent_challenge_is_stored_with_its_expiry_in_epoch_seconds(dynamo_store):
    dynamo_store.spend_challenge("admin-login:n1", NOW)
    [item] = dynamo_store.challenges.scan()
    assert item.attribute_values["expires"] == NOW
    raw = dynamo_store.challenges._get_connection().get_item("admin-login:n1")["Item"]
    assert raw["expires"] == {"N": str(int(NOW.timestamp()))}


def test_the_contest_list_reads_the_summary_index_not_the_contest_files(dynamo_store, monkeypatch):
    from chalicelib.voting.contest import parse_contest
    from tests.conftest import contest_file

    dynamo_store.create_contest(parse_contest(contest_file()), NOW)
    connection = dynamo_store.contests._get_connection()
    scans = []
    real_scan = connection.scan
    monkeypatch.setattr(connection, "scan", lambda **kwargs: scans.append(kwargs) or real_scan(**kwargs))
    assert [s.id for s in dynamo_store.list_summaries()] == ["best-social-worker-2025"]
    assert [scan["index_name"] for scan in scans] == ["summary"]
    [item] = real_scan(index_name="summary")["Items"]
    assert set(item) == {"id", "title", "opens_at", "closes_at", "state"}


def test_a_contests_table_of_an_earlier_version_is_named_as_such(dynamo_store):
    from chalicelib.adapters.dynamodb import OutdatedTable

    client = dynamo_store.contests._get_connection().connection.client
    name = dynamo_store.table_names[0]
    client.delete_table(TableName=name)
    client.get_waiter("table_not_exists").wait(TableName=name)
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",  # as an earlier version made it
                        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    with pytest.raises(OutdatedTable, match="make clean-local"):
        dynamo_store.create_tables()


def test_a_summary_index_of_an_earlier_version_that_lacks_a_field_is_named_as_such(dynamo_store):
    from chalicelib.adapters.dynamodb import SUMMARY_INDEX, OutdatedTable

    client = dynamo_store.contests._get_connection().connection.client
    name = dynamo_store.table_names[0]
    client.delete_table(TableName=name)
    client.get_waiter("table_not_exists").wait(TableName=name)
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",  # before planned_closes_at
                        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                        GlobalSecondaryIndexes=[{"IndexName": SUMMARY_INDEX,
                                                 "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                                                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": [
                                                     "title", "opens_at", "closes_at", "state"]}}])
    with pytest.raises(OutdatedTable, match="lacks planned_closes_at"):
        dynamo_store.create_tables()


def test_tables_that_cannot_be_reached_fail_the_reach():
    with pytest.raises(StorageUnavailable):
        short = DynamoStore("u-", "http://127.0.0.1:1")
        short.contests.Meta.connect_timeout_seconds = 0.2
        short.reach()


def test_reaching_the_tables_reads_single_keys_and_never_scans(dynamo_store, monkeypatch):
    calls = []
    for model in (dynamo_store.contests, dynamo_store.votes):
        connection = model._get_connection()
        for operation in ("get_item", "query", "scan"):
            real = getattr(connection, operation)
            monkeypatch.setattr(connection, operation,
                                lambda *a, _real=real, _op=operation, **k: calls.append(_op) or _real(*a, **k))
    dynamo_store.reach()
    assert sorted(calls) == ["get_item", "query"]


@pytest.mark.parametrize("consistent", [True, False])
def test_a_tally_segment_reads_as_consistently_as_asked(dynamo_store, consistent):
    """The closer's count reads consistently; the commission's provisional counts need not (half the read units)."""
    dynamo_store.record_vote(vote())
    asked = []
    client = dynamo_store._votes_connection().connection.client
    client.meta.events.register("provide-client-params.dynamodb.Scan", lambda params, **_: asked.append(params))
    assert [line.receipt for line in dynamo_store.tally_segment("c", 0, 1, consistent)] == [vote().receipt]
    assert [params.get("ConsistentRead", False) for params in asked] == [consistent]  # DynamoDB's default: eventual
