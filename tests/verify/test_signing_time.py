"""The signer's signingTime, read for the offline audit: the one signer's, or nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.verify.signing_time import signing_time
from tests.conftest import NOW


def test_the_signers_signing_time_is_read_in_utc(pki):
    cms = pki.sign(b"ballot", pki.voter("900101300501"), signing_time=NOW - timedelta(seconds=30))
    assert signing_time(cms) == NOW - timedelta(seconds=30)


def test_a_co_signed_cms_states_no_one_signing_time(pki):
    cms = pki.sign(b"ballot", pki.voter("900101300502"), extra_signers=(pki.voter("900101300503"),),
                   signing_time=NOW)
    assert signing_time(cms) is None


@pytest.mark.parametrize("data", [b"", b"\x30\x03\x02\x01\x00", b"not der at all"])
def test_bytes_that_are_no_cms_state_no_signing_time(data):
    assert signing_time(data) is None


def test_a_cms_made_by_kalkan_states_its_signing_time(nca):
    moment = signing_time((nca / "cms-kalkan" / "attached_one_signer.p7s").read_bytes())
    assert moment == datetime(2022, 9, 28, 14, 40, 30, tzinfo=UTC)
