"""The CRL refresh: downloads from a real local HTTP server (the HTTP adapter) into S3 (moto), verified."""

from __future__ import annotations

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib.adapters.crl_sources import S3CrlBucket, download
from chalicelib.verify.certificate import Certificate
from chalicelib.verify.crl_refresh import object_key, refresh_crls
from chalicelib.verify.failures import VerificationError
from chalicelib.verify.revocation import RefreshingRevocation
from chalicelib.verify.trust import TrustStore
from devtools import devpki
from tests.conftest import NOW

BUCKET = "voting-crls-test"


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


@pytest.fixture
def trust(pki) -> TrustStore:
    return TrustStore([Certificate(pki.root.der), Certificate(pki.intermediate.der)])


def make_crl(pki, revoked=None, hours_ago=1.0, valid_days=7.0) -> bytes:
    start = NOW - timedelta(hours=hours_ago)
    end = start + timedelta(days=valid_days)
    return devpki.issue_crl(pki.intermediate, revoked or {}, this_update=start, next_update=end)


def test_verified_crl_is_stored_in_s3(pki, trust, served, bucket):
    files, base = served
    files["/nca.crl"] = make_crl(pki)
    report = refresh_crls([f"{base}/nca.crl"], trust, bucket, download, NOW)
    assert report.stored == [f"{base}/nca.crl"]
    assert bucket.get(object_key(f"{base}/nca.crl")) == files["/nca.crl"]


def test_corrupt_crl_is_not_stored_and_the_previous_one_stays(pki, trust, served, bucket):
    files, base = served
    files["/nca.crl"] = make_crl(pki)
    refresh_crls([f"{base}/nca.crl"], trust, bucket, download, NOW)
    good = files["/nca.crl"]
    files["/nca.crl"] = good[:-40] + b"\x00" * 40
    report = refresh_crls([f"{base}/nca.crl"], trust, bucket, download, NOW)
    assert [url for url, _ in report.failed] == [f"{base}/nca.crl"]
    assert bucket.get(object_key(f"{base}/nca.crl")) == good


def test_crl_signed_by_another_key_is_not_stored(pki, trust, served, bucket):
    files, base = served
    files["/nca.crl"] = devpki.issue_crl(devpki.Issued(pki.intermediate.certificate, devpki.new_key("rsa")), {})
    assert refresh_crls([f"{base}/nca.crl"], trust, bucket, download, NOW).failed
    assert bucket.get(object_key(f"{base}/nca.crl")) is None


def test_unreachable_url_is_reported(trust, served, bucket):
    _, base = served
    report = refresh_crls([f"{base}/missing.crl", "file:///etc/passwd"], trust, bucket, download, NOW)
    assert len(report.failed) == 2


def test_stale_crl_is_stored_and_reported_as_a_stale_source(pki, trust, served, bucket):
    files, base = served
    files["/nca.crl"] = make_crl(pki, hours_ago=48, valid_days=1)
    report = refresh_crls([f"{base}/nca.crl"], trust, bucket, download, NOW)
    assert report.stored == report.stale_sources == [f"{base}/nca.crl"]


def test_older_crl_never_replaces_a_newer_one(pki, trust, served, bucket):
    files, base = served
    files["/nca.crl"] = newer = make_crl(pki, hours_ago=1)
    refresh_crls([f"{base}/nca.crl"], trust, bucket, download, NOW)
    files["/nca.crl"] = make_crl(pki, hours_ago=10)
    assert refresh_crls([f"{base}/nca.crl"], trust, bucket, download, NOW).unchanged
    assert bucket.get(object_key(f"{base}/nca.crl")) == newer


def test_votes_use_the_crls_the_job_stored(pki, trust, served, bucket):
    files, base = served
    voter = pki.voter("900101300301")
    files["/nca.crl"] = make_crl(pki, {voter.certificate.serial_number: NOW - timedelta(hours=2)})
    files["/nca-delta.crl"] = devpki.issue_crl(pki.intermediate, {}, this_update=NOW - timedelta(hours=1),
                                               number=2, delta_base=1)
    refresh_crls([f"{base}/nca.crl", f"{base}/nca-delta.crl"], trust, bucket, download, NOW)
    revocation = RefreshingRevocation(bucket.all, trust, clock=lambda: NOW)
    path = [Certificate(voter.der), Certificate(pki.intermediate.der), Certificate(pki.root.der)]
    with pytest.raises(VerificationError) as caught:
        revocation.check_path(path, NOW)
    assert caught.value.code == "certificate_revoked"
