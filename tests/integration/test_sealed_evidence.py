"""Sealed evidence end to end on the local stack: votes over HTTP into dynalite name nobody, and the
commission's commands (`manage.py evidence`, `manage.py audit`, as an operator types them) open
them with the stack's commission key file and reproduce the result."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.voting.ballot import ballot_bytes
from devtools import devpki
from devtools.localpki import load_dev_pki
from tests.conftest import ROOT, readable_identity
from tests.integration.conftest import call, new_contest

pytestmark = pytest.mark.integration
CONTEST = "sealed-evidence-e2e"


def manage(stack, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**stack.environment(), **extra},  # noqa: S603
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def tallied(stack, tmp_path_factory):
    """Three citizens voted over HTTP; then the contest is closed and counted (the closer's clock a
    day after it closed, so only this contest is touched)."""
    from chalicelib.runtime import Runtime
    from chalicelib.settings import Settings

    store = Runtime(Settings.from_environment(stack.environment())).store
    new_contest(store, CONTEST)
    pki = load_dev_pki(stack.pki_dir)
    voters = [pki.new_voter(f"90010130088{i}", key_kind=kind) for i, kind in enumerate(["rsa", "ec256", "rsa"])]
    for voter, nominee in zip(voters, ["hc-001", "hc-002", "hc-001"], strict=True):
        challenge = call("POST", f"{stack.api}/contests/{CONTEST}/challenges")[1]["challenge"]
        cms = devpki.sign_cms(ballot_bytes(CONTEST, nominee, challenge), voter, chain=(pki.nca,))
        assert call("POST", f"{stack.api}/contests/{CONTEST}/votes", {"cms": base64.b64encode(cms).decode()})[0] == 201
    later = datetime.now(UTC) + timedelta(days=2)
    closer = Runtime(Settings.from_environment(stack.environment()), clock=lambda: later).closer
    closer.finish(closer.close_early(CONTEST))
    return store, voters, tmp_path_factory.mktemp("evidence")


def test_votes_stored_on_dynalite_name_nobody(tallied):
    store, voters, _ = tallied
    items, start = [], None
    while True:  # every page: other tests' votes share the table, and one scan page holds 1 MB
        page = store.votes._get_connection().scan(filter_condition=store.votes.contest == CONTEST,
                                                  exclusive_start_key=start)
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert len(items) == 3
    stored = b"\0".join(value.get("B") or str(value.get("S", "")).encode() for item in items for value in item.values())
    for voter in voters:
        assert readable_identity(stored, voter) == []


def test_the_commission_exports_sealed_evidence_and_audits_it_with_its_key(stack, tallied):
    _, voters, folder = tallied
    evidence, results = folder / "evidence.jsonl", folder / "results.json"
    exported = manage(stack, "evidence", CONTEST, str(evidence))
    assert exported.returncode == 0 and "3 counted votes written" in exported.stdout
    for voter in voters:
        assert readable_identity(evidence.read_bytes(), voter) == []
    published = manage(stack, "results", CONTEST, "--json")
    results.write_text(published.stdout, encoding="utf-8")
    key_file = str(stack.evidence_dir / "commission-private.pem")
    audited = manage(stack, "audit", str(evidence), "--results", str(results), VOTING_EVIDENCE_KEY_FILE=key_file)
    assert audited.returncode == 0, audited.stdout + audited.stderr
    assert "RESULT: OK" in audited.stdout and "opened and bound:   3" in audited.stdout
    assert json.loads(published.stdout)["digest"] in audited.stdout
