"""The CRL refresher: downloads from a real local HTTP server (the HTTP adapter) into S3 (moto), each
CRL verified once, each CA's index written; every failure mode of a CRL and of the index leaves
what is held untouched."""

from __future__ import annotations

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib.adapters.crl_sources import S3CrlBucket, StoreUnreachable, crl_key, download
from chalicelib.verify import crl as crl_module
from chalicelib.verify.certificate import Certificate
from chalicelib.verify.crl_refresh import MemoryIndexes, refresh
from chalicelib.verify.failures import VerificationError
from chalicelib.verify.revocation import UNCHANGED, RefreshingIndexes, Revocation
from chalicelib.verify.revocation_index import index_name, read_index
from devtools import devpki
from tests.conftest import NOW

BUCKET = "voting-crls-test"
KEY = b"index key of the tests, 32 bytes"


@pytest.fixture
def served():
    """A local HTTP server: path → bytes; unknown paths are 404."""
    files: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield files, base
    server.shutdown()


@pytest.fixture
def bucket(monkeypatch):
    import boto3
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "t")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "t")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield S3CrlBucket(BUCKET, client=client)


def make_crl(pki, revoked=None, hours_ago=1.0, valid_days=7.0, issuer=None, **options) -> bytes:
    start = NOW - timedelta(hours=hours_ago)
    return devpki.issue_crl(issuer or pki.intermediate, revoked or {}, this_update=start,
                            next_update=start + timedelta(days=valid_days), **options)


def fingerprint(pki) -> bytes:
    return Certificate(pki.intermediate.der).fingerprint


def held(pki, store):
    data = store.read_index(index_name(fingerprint(pki)))
    return None if data is None else read_index(data, KEY, fingerprint(pki))


def run(pki, store, base, *names, download_with=download):
    return refresh([f"{base}{name}" for name in names], download_with, pki.crl_trust(), store, KEY, NOW)


def test_a_verified_crl_becomes_its_cas_index_in_s3_with_the_crl_beside_it(pki, served, bucket):
    files, base = served
    voter = pki.voter("900101300301")
    files["/nca.crl"] = make_crl(pki, {voter.certificate.serial_number: NOW - timedelta(hours=2)}, number=5)
    report = run(pki, bucket, base, "/nca.crl")
    assert report.read == [f"{base}/nca.crl"] and [w.base_entries for w in report.written] == [1]
    index = held(pki, bucket)
    assert (index.crl_number, index.revoked_at(voter.certificate.serial_number)) == (
        5, int((NOW - timedelta(hours=2)).timestamp()))
    kept = bucket.client.get_object(Bucket=BUCKET, Key=crl_key(f"{base}/nca.crl"))["Body"].read()
    assert kept == files["/nca.crl"]


def test_an_unchanged_crl_is_not_read_again(pki, served, bucket, monkeypatch):
    files, base = served
    files["/nca.crl"] = make_crl(pki)
    run(pki, bucket, base, "/nca.crl")
    monkeypatch.setattr("chalicelib.verify.crl_refresh.read_crl", lambda *a: pytest.fail("parsed again"))
    report = run(pki, bucket, base, "/nca.crl")
    assert (report.unchanged, report.written) == ([f"{base}/nca.crl"], [])


def test_the_report_says_when_each_cas_revocation_data_was_issued_written_or_kept(pki, served, bucket):
    files, base = served
    files["/nca.crl"] = make_crl(pki, hours_ago=3)
    written = run(pki, bucket, base, "/nca.crl")
    kept = run(pki, bucket, base, "/nca.crl")  # nothing new: the stored index still counts
    name = Certificate(pki.intermediate.der).subject_text
    for report in (written, kept):
        assert report.issued == {name: NOW - timedelta(hours=3)} and report.as_of == NOW


def test_the_same_crl_from_a_mirror_is_read_once(pki, served, bucket):
    files, base = served
    files["/nca.crl"] = files["/mirror/nca.crl"] = make_crl(pki)
    report = run(pki, bucket, base, "/nca.crl", "/mirror/nca.crl")
    assert (report.read, report.unchanged) == ([f"{base}/nca.crl"], [f"{base}/mirror/nca.crl"])


def test_a_new_delta_reuses_its_bases_records_from_the_index(pki, served, bucket, monkeypatch):
    files, base = served
    listed, later = pki.voter("900101300302"), pki.voter("900101300303")
    files["/nca.crl"] = make_crl(pki, {listed.certificate.serial_number: NOW - timedelta(days=1)}, hours_ago=5,
                                 number=10)
    files["/nca-delta.crl"] = make_crl(pki, {}, hours_ago=5, number=11, delta_base=10)
    run(pki, bucket, base, "/nca.crl", "/nca-delta.crl")
    files["/nca-delta.crl"] = make_crl(pki, {later.certificate.serial_number: NOW - timedelta(hours=2)}, number=12,
                                       delta_base=10)
    parsed: list[int] = []
    reader = crl_module.read_crl
    monkeypatch.setattr("chalicelib.verify.crl_refresh.read_crl", lambda *a: parsed.append(1) or reader(*a))
    report = run(pki, bucket, base, "/nca.crl", "/nca-delta.crl")
    index = held(pki, bucket)
    assert (len(parsed), report.unchanged, index.crl_number, index.delta_number) == (1, [f"{base}/nca.crl"], 10, 12)
    assert index.revoked_at(listed.certificate.serial_number) and index.revoked_at(later.certificate.serial_number)


def test_a_new_base_keeps_a_delta_that_still_extends_it(pki, served, bucket):
    files, base = served
    files["/nca.crl"] = make_crl(pki, {}, hours_ago=5, number=10)
    files["/nca-delta.crl"] = make_crl(pki, {}, hours_ago=5, number=12, delta_base=10)
    run(pki, bucket, base, "/nca.crl", "/nca-delta.crl")
    files["/nca.crl"] = make_crl(pki, {}, hours_ago=1, number=11)
    run(pki, bucket, base, "/nca.crl", "/nca-delta.crl")
    assert (held(pki, bucket).crl_number, held(pki, bucket).delta_number) == (11, 12)


# -- failure modes of a CRL: the index stays as it is ------------------------------------------

def test_an_unreachable_source_is_reported_and_the_index_kept(pki, served, bucket):
    files, base = served
    files["/nca.crl"] = make_crl(pki)
    run(pki, bucket, base, "/nca.crl")
    before = held(pki, bucket)
    report = run(pki, bucket, base, "/missing.crl")
    report.failed += run(pki, bucket, "", "file:///etc/passwd").failed
    assert [reason for _, reason, _ in report.failed] == ["unreachable", "unreachable"]
    assert held(pki, bucket).version == before.version


def test_a_corrupt_crl_is_refused_and_the_index_kept(pki, served, bucket):
    files, base = served
    files["/nca.crl"] = good = make_crl(pki, number=1)
    run(pki, bucket, base, "/nca.crl")
    for corrupt, reason in ((good[:-40] + b"\x00" * 40, "bad_signature"), (good[:len(good) // 2], "malformed")):
        files["/nca.crl"] = corrupt
        report = run(pki, bucket, base, "/nca.crl")
        assert [why for _, why, _ in report.failed] == [reason]
        assert held(pki, bucket).crl_number == 1 and report.written == []


def test_a_forged_crl_is_refused_and_the_index_kept(pki, served, bucket):
    files, base = served
    files["/nca.crl"] = make_crl(pki, number=1)
    run(pki, bucket, base, "/nca.crl")
    impostor = devpki.Issued(pki.intermediate.certificate, devpki.new_key("rsa"))
    files["/nca.crl"] = devpki.issue_crl(impostor, {}, number=2)
    report = run(pki, bucket, base, "/nca.crl")
    assert [reason for _, reason, _ in report.failed] == ["bad_signature"]
    assert held(pki, bucket).crl_number == 1


def test_an_older_crl_never_replaces_a_newer_one(pki, served, bucket):
    files, base = served
    files["/nca.crl"] = make_crl(pki, hours_ago=1, number=8)
    run(pki, bucket, base, "/nca.crl")
    files["/nca.crl"] = make_crl(pki, hours_ago=10, number=7)  # a replayed earlier publication
    report = run(pki, bucket, base, "/nca.crl")
    assert (report.older, report.written) == ([f"{base}/nca.crl"], [])
    assert held(pki, bucket).crl_number == 8


def test_a_crl_past_its_next_update_is_indexed_and_reported_as_stale(pki, served, bucket):
    files, base = served
    files["/nca.crl"] = make_crl(pki, hours_ago=48, valid_days=1)
    report = run(pki, bucket, base, "/nca.crl")
    assert report.stale_sources == [f"{base}/nca.crl"] and len(report.written) == 1


@pytest.mark.parametrize(("issuer", "reason"), [("stranger", "untrusted_issuer"), ("no_crl_sign", "no_crl_sign")])
def test_a_crl_of_a_ca_that_may_not_make_one_here_is_refused(pki, served, bucket, issuer, reason):
    files, base = served
    ca = devpki.issue_ca(f"CA {issuer}", crl_sign=issuer != "no_crl_sign")
    files["/other.crl"] = devpki.issue_crl(ca, {})
    trust = pki.crl_trust() if issuer == "stranger" else type(pki.crl_trust())([Certificate(ca.der)])
    report = refresh([f"{base}/other.crl"], download, trust, bucket, KEY, NOW)
    assert [r for _, r, _ in report.failed] == [reason] and report.written == []


def test_a_delta_without_its_base_is_not_indexed(pki, served, bucket):
    files, base = served
    files["/nca-delta.crl"] = make_crl(pki, number=3, delta_base=2)
    report = run(pki, bucket, base, "/nca-delta.crl")
    assert report.written == [] and "without its base" in report.index_problems[0][1]


# -- failure modes of the index ----------------------------------------------------------------

def test_a_tampered_stored_index_is_rebuilt_from_the_crls(pki, served, bucket):
    files, base = served
    files["/nca.crl"] = make_crl(pki, number=4)
    run(pki, bucket, base, "/nca.crl")
    name = bucket.index_key(index_name(fingerprint(pki)))
    data = bytearray(bucket.client.get_object(Bucket=BUCKET, Key=name)["Body"].read())
    data[-1] ^= 0x01
    bucket.client.put_object(Bucket=BUCKET, Key=name, Body=bytes(data))
    report = run(pki, bucket, base, "/nca.crl")
    assert "refused" in report.index_problems[0][1] and len(report.written) == 1
    assert held(pki, bucket).crl_number == 4


def test_an_unreadable_stored_index_keeps_its_ca_untouched(pki, served, bucket, monkeypatch):
    files, base = served
    files["/nca.crl"] = make_crl(pki, number=4)
    run(pki, bucket, base, "/nca.crl")
    files["/nca.crl"] = make_crl(pki, hours_ago=0.5, number=5)
    real_fetch = bucket.fetch

    def failing(name, etag):
        if name == index_name(fingerprint(pki)):
            raise StoreUnreachable("throttled")
        return real_fetch(name, etag)

    monkeypatch.setattr(bucket, "fetch", failing)
    report = run(pki, bucket, base, "/nca.crl")
    assert report.written == [] and any("kept as it is" in why for _, why in report.index_problems)
    monkeypatch.setattr(bucket, "fetch", real_fetch)
    assert held(pki, bucket).crl_number == 4


def test_an_index_that_cannot_be_written_is_reported(pki, served):
    files, base = served
    files["/nca.crl"] = make_crl(pki)

    class Full(MemoryIndexes):
        def write_index(self, name, data, crls):
            raise OSError("no space left")

    report = run(pki, Full(), base, "/nca.crl")
    assert report.written == [] and "not written" in report.index_problems[0][1]


# -- the vote side over the bucket ---------------------------------------------------------------

def test_votes_use_the_indexes_the_job_stored_and_ask_again_only_with_the_etag(pki, served, bucket):
    files, base = served
    voter = pki.voter("900101300310")
    files["/root.crl"] = make_crl(pki, issuer=pki.root)
    files["/nca.crl"] = make_crl(pki, {voter.certificate.serial_number: NOW - timedelta(hours=2)}, hours_ago=5,
                                 number=1)
    files["/nca-delta.crl"] = make_crl(pki, {}, number=2, delta_base=1)
    run(pki, bucket, base, "/root.crl", "/nca.crl", "/nca-delta.crl")
    now = [NOW]
    revocation = Revocation(RefreshingIndexes(bucket.fetch, KEY, clock=lambda: now[0]))
    path = [Certificate(voter.der), Certificate(pki.intermediate.der), Certificate(pki.root.der)]
    with pytest.raises(VerificationError) as caught:
        revocation.check_path(path, NOW)
    assert caught.value.code == "certificate_revoked"
    name = index_name(fingerprint(pki))
    _, etag = bucket.fetch(name, None)
    assert bucket.fetch(name, etag) is UNCHANGED  # S3's 304: nothing read


def test_an_index_under_another_key_is_refused_on_the_vote_side(pki, served, bucket):
    files, base = served
    files["/nca.crl"] = make_crl(pki)
    refresh([f"{base}/nca.crl"], download, pki.crl_trust(), bucket, b"another key of 32 bytes, not it!", NOW)
    problems: list[str] = []
    revocation = Revocation(RefreshingIndexes(bucket.fetch, KEY, on_problem=lambda kind, _: problems.append(kind)))
    path = [Certificate(pki.voter("900101300311").der), Certificate(pki.intermediate.der)]
    with pytest.raises(VerificationError) as caught:
        revocation.check_path(path, NOW)
    assert (caught.value.code, problems) == ("revocation_unavailable", ["refused"])


def test_a_ca_in_the_trust_folder_twice_gets_its_index_under_both_certificates(pki, served):
    files, base = served
    renewed = devpki.Issued(devpki.issue_ca("TEST NCA (RSA)", issuer=pki.root, key=pki.intermediate.key,
                                            not_before=NOW - timedelta(days=10), path_length=0).certificate,
                            pki.intermediate.key)
    files["/nca.crl"] = make_crl(pki, number=3)
    trust = type(pki.crl_trust())([Certificate(pki.intermediate.der), Certificate(renewed.der)])
    store = MemoryIndexes()
    report = refresh([f"{base}/nca.crl"], download, trust, store, KEY, NOW)
    assert len(report.written) == 2
    for certificate in trust.anchors:
        assert read_index(store.read_index(index_name(certificate.fingerprint)), KEY, certificate.fingerprint)
