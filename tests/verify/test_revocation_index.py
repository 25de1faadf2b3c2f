"""The compact revocation index: what it holds, lookups by bisection, and every form of tampering refused."""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.verify.revocation_index import (
    RECORD,
    REMOVED,
    IndexRefused,
    RevokedSerials,
    encode_index,
    read_index,
    record,
)
from tests.conftest import NOW

KEY = b"k" * 32
ISSUER = hashlib.sha256(b"the CA certificate").digest()


def records(pairs: dict[int, int]) -> bytes:
    return b"".join(sorted(record(serial.to_bytes((serial.bit_length() + 7) // 8, "big"), seconds)
                           for serial, seconds in pairs.items()))


def header(**changes: object) -> dict:
    base = {"issuer": ISSUER.hex(), "issuer_name": "CN=TEST CA", "this_update": NOW.isoformat(),
            "next_update": NOW.replace(year=NOW.year + 1).isoformat(), "crl_number": 7, "delta_number": None,
            "base": {"sha256": "00" * 32, "number": 7}, "delta": None}
    return {**base, **changes}


def index_of(base: dict[int, int], delta: dict[int, int] | None = None, key: bytes = KEY, **changes: object) -> bytes:
    return encode_index(header(**changes), records(base), records(delta or {}), key)


def test_an_index_gives_each_listed_serial_its_revocation_time():
    index = read_index(index_of({5: 100, 1 << 150: 200, 77: 300}), KEY, ISSUER)
    assert [index.revoked_at(s) for s in (5, 1 << 150, 77, 6)] == [100, 200, 300, None]
    assert (index.crl_number, index.this_update, index.issuer_name) == (7, NOW, "CN=TEST CA")


def test_the_delta_comes_before_the_base():
    index = read_index(index_of({5: 100, 6: 100}, {6: 50, 8: 400, 5: REMOVED}, delta_number=8), KEY, ISSUER)
    assert [index.revoked_at(s) for s in (5, 6, 8)] == [None, 50, 400]
    assert (len(index.base), len(index.delta), index.delta_number) == (2, 3, 8)


@given(st.dictionaries(st.integers(1, (1 << 168) - 1), st.integers(0, 1 << 40), max_size=300),
       st.integers(1, (1 << 168) - 1))
def test_bisection_finds_exactly_what_a_dict_would(listed, probe):
    serials = RevokedSerials(records(listed))
    for serial in [*listed, probe]:
        assert serials.revoked_at(serial) == listed.get(serial)


def test_serials_no_certificate_can_have_are_never_found():
    serials = RevokedSerials(records({1: 1}))
    assert serials.revoked_at(0) is None and serials.revoked_at(-1) is None and serials.revoked_at(1 << 200) is None


def test_the_records_are_read_in_place():
    data = bytearray(index_of({n: n for n in range(1, 1000)}))
    index = read_index(data, KEY, ISSUER)
    assert index.base.records.obj is data and index.size == len(data)


@pytest.mark.parametrize("where", ["magic", "header", "records", "tag"])
def test_one_changed_bit_anywhere_refuses_the_index(where):
    data = bytearray(index_of({n: n for n in range(1, 50)}))
    position = {"magic": 3, "header": 20, "records": len(data) - 32 - RECORD, "tag": len(data) - 1}[where]
    data[position] ^= 0x01
    with pytest.raises(IndexRefused):
        read_index(bytes(data), KEY, ISSUER)


@pytest.mark.parametrize("cut", [1, RECORD, 200])
def test_a_truncated_index_is_refused(cut):
    with pytest.raises(IndexRefused):
        read_index(index_of({n: n for n in range(1, 50)})[:-cut], KEY, ISSUER)


def test_an_index_made_with_another_key_is_refused():
    with pytest.raises(IndexRefused, match="another key"):
        read_index(index_of({5: 1}, key=b"x" * 32), KEY, ISSUER)


def test_another_cas_index_under_this_cas_name_is_refused():
    with pytest.raises(IndexRefused, match="another CA"):
        read_index(index_of({5: 1}), KEY, hashlib.sha256(b"another CA").digest())


def test_an_index_whose_counts_do_not_match_its_records_is_refused():
    honest = header()
    data = encode_index(honest, records({5: 1, 6: 2}), b"", KEY)
    # Rewritten by someone holding the key: the counts claim more records than there are.
    start = 12
    length = int.from_bytes(data[8:12], "big")
    forged_header = data[start:start + length].replace(b'"base_entries":2', b'"base_entries":3')
    body = data[:8] + len(forged_header).to_bytes(4, "big") + forged_header + data[start + length:-32]
    import hmac

    forged = body + hmac.new(KEY, body, hashlib.sha256).digest()
    with pytest.raises(IndexRefused, match="counts"):
        read_index(forged, KEY, ISSUER)


def test_random_bytes_are_not_an_index():
    noise = random.Random(7).randbytes(4096)
    for data in (b"", noise, b"VCRLIDX1" + noise):
        with pytest.raises(IndexRefused):
            read_index(data, KEY, ISSUER)


def test_newer_versions_order_after_older_ones():
    older = read_index(index_of({}, crl_number=7), KEY, ISSUER)
    with_delta = read_index(index_of({}, crl_number=7, delta_number=9), KEY, ISSUER)
    newer = read_index(index_of({}, crl_number=8), KEY, ISSUER)
    assert older.version < with_delta.version < newer.version
