"""The DER reader: what it reads, and every ambiguous or hostile form it refuses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.verify import der
from chalicelib.verify.der import DerError


def test_an_element_is_its_tag_and_the_offsets_of_its_content():
    data = b"\x30\x03\x02\x01\x05"
    assert der.element(data, 0, len(data)) == (0x30, 2, 5)
    assert der.children(data, 2, 5) == [(0x02, 4, 5)]


def test_long_form_lengths_are_read():
    content = b"\x00" * 300
    data = b"\x04\x82\x01\x2c" + content
    assert der.element(data, 0, len(data)) == (0x04, 4, 304)
    assert der.children(data, 0, len(data)) == [(0x04, 4, 304)]


@pytest.mark.parametrize("data", [
    pytest.param(b"\x04\x81\x05abcde", id="long-form-for-a-short-length"),
    pytest.param(b"\x04\x82\x00\x05abcde", id="leading-zero-length-byte"),
    pytest.param(b"\x04\x80abcd\x00\x00", id="indefinite-length"),
    pytest.param(b"\x04\x84\x00\x00\x00\x05abcde", id="four-length-bytes"),
    pytest.param(b"\x1f\x01\x00", id="high-tag-number"),
    pytest.param(b"\x04\x05abc", id="runs-past-the-data"),
    pytest.param(b"\x04", id="truncated"),
])
def test_ambiguous_or_broken_encodings_are_refused(data):
    with pytest.raises(DerError):
        der.children(data, 0, len(data))


def test_four_length_bytes_only_where_asked_for():
    data = b"\x04\x84\x01\x00\x00\x00" + b"\x00" * 0x1000000
    with pytest.raises(DerError):
        der.element(data, 0, len(data))
    assert der.element(data, 0, len(data), der.LONG_LENGTH_BYTES) == (0x04, 6, len(data))


@pytest.mark.parametrize(("tag", "raw"), [(der.UTC_TIME, b"220118044024Z"), (der.GENERALIZED_TIME, b"20510102030405Z"),
                                          (der.UTC_TIME, b"500101000000Z"), (der.UTC_TIME, b"491231235959Z")])
def test_epoch_seconds_are_the_times_datetime(tag, raw):
    assert der.epoch_seconds(raw, tag, 0, len(raw)) == int(der.time(raw, tag, 0, len(raw)).timestamp())


@pytest.mark.parametrize("raw", [b"220230044024Z", b"220118244024Z", b"2201180440245", b"22011804402Z",
                                 b"22O118044024Z"])
def test_epoch_seconds_refuse_what_time_refuses(raw):
    with pytest.raises(DerError):
        der.epoch_seconds(raw, der.UTC_TIME, 0, len(raw))


def test_integers_must_be_minimal_and_within_their_size():
    assert der.integer(b"\x00\x80", 0, 2) == 128
    assert der.integer(b"\xff\x7f", 0, 2) == -129
    for bad in (b"\x00\x01", b"\xff\x80", b""):
        with pytest.raises(DerError):
            der.integer(bad, 0, len(bad))
    with pytest.raises(DerError):
        der.integer(b"\x01" * 40, 0, 40)


def test_an_unsigned_integer_is_sized_without_being_built():
    modulus = b"\x00\x80" + b"\x00" * 255  # 2048 bits
    assert der.unsigned_size(modulus, 0, len(modulus)) == (2048, 1)
    with pytest.raises(DerError):
        der.unsigned_size(b"\x80", 0, 1)  # negative


def test_object_identifiers_are_read_and_non_minimal_ones_refused():
    assert der.oid(b"\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02", 0, 9) == "1.2.840.113549.1.7.2"
    assert der.oid(b"\x2a\x83\x0e\x03\x0a\x01\x01\x02\x03\x02", 0, 10) == "1.2.398.3.10.1.1.2.3.2"
    for bad in (b"\x2a\x80\x01", b"\x2a\x86", b"", b"\x2a" + b"\x81" * 80 + b"\x01"):
        with pytest.raises(DerError):
            der.oid(bad, 0, len(bad))


def test_booleans_are_der():
    assert der.boolean(b"\xff", 0, 1) and not der.boolean(b"\x00", 0, 1)
    with pytest.raises(DerError):
        der.boolean(b"\x01", 0, 1)


def test_times_are_read_in_their_der_forms_only():
    assert der.time(b"220928000000Z", der.UTC_TIME, 0, 13) == datetime(2022, 9, 28, tzinfo=UTC)
    assert der.time(b"490101000000Z", der.UTC_TIME, 0, 13).year == 2049
    assert der.time(b"20500101000000Z", der.GENERALIZED_TIME, 0, 15).year == 2050
    for raw, tag in ((b"2209280000Z", der.UTC_TIME), (b"220928000000+0500", der.UTC_TIME),
                     (b"221328000000Z", der.UTC_TIME), (b"2050010100000Z0", der.GENERALIZED_TIME)):
        with pytest.raises(DerError):
            der.time(raw, tag, 0, len(raw))


def test_a_bit_string_with_an_unused_bit_set_is_refused():
    assert der.bit_string(b"\x01\x80", 0, 2) == (1, 1, 2)
    with pytest.raises(DerError):
        der.bit_string(b"\x01\x81", 0, 2)


def test_ber_indefinite_lengths_are_read_where_asked():
    data = b"\x30\x80\x02\x01\x01\x30\x80\x02\x01\x02\x00\x00\x00\x00"
    tag, start, stop, after = der.ber_element(data, 0, len(data))
    assert (tag, after) == (0x30, len(data))
    assert [child[0] for child in der.ber_children(data, start, stop)] == [0x02, 0x30]


@pytest.mark.parametrize("data", [
    pytest.param(b"\x04\x80ab\x00\x00", id="primitive"),
    pytest.param(b"\x30\x80\x02\x01\x01", id="no-end-of-contents"),
    pytest.param(b"\x30\x80" * 20 + b"\x00\x00" * 20, id="nested-too-deep"),
])
def test_ber_forms_that_are_not_allowed_are_refused(data):
    with pytest.raises(DerError):
        der.ber_element(data, 0, len(data))


def test_directory_strings_decode_by_their_type():
    assert der.text("ТЕСТ".encode(), der.UTF8_STRING, 0, 8) == "ТЕСТ"
    assert der.text("IIN".encode("utf-16-be"), der.BMP_STRING, 0, 6) == "IIN"
    with pytest.raises(DerError):
        der.text(b"\xd0", der.PRINTABLE_STRING, 0, 1)


def test_an_element_is_found_back_from_its_content():
    for content in (b"\x05" * 3, b"\x05" * 200, b"\x05" * 70000):
        size = len(content)
        length = bytes([size]) if size < 0x80 else bytes([0x80 | (size.bit_length() + 7) // 8]) + size.to_bytes(
            (size.bit_length() + 7) // 8, "big")
        data = b"\x04" + length + content
        _, start, stop = der.element(data, 0, len(data))
        assert der.element_start(start, stop) == 0
