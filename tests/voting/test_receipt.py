"""Voter keys and receipts are keyed hashes: stable within a contest, unlinkable without the secret."""

import pytest

from chalicelib.voting.keys import Keys
from chalicelib.voting.receipt import check_link, normalize_receipt, receipt_for, voter_key
from chalicelib.voting.rejection import Rejection

KEYS = Keys("a" * 40)


def test_voter_key_is_the_same_for_the_same_person_in_the_same_contest():
    assert voter_key(KEYS, "a", "900101300123") == voter_key(KEYS, "a", "900101300123")
    assert voter_key(KEYS, "a", "900101300123") != voter_key(KEYS, "a", "900101300124")


def test_voter_key_of_one_person_differs_per_contest_so_contests_cannot_be_linked():
    assert voter_key(KEYS, "a", "900101300123") != voter_key(KEYS, "b", "900101300123")


def test_voter_key_does_not_contain_the_iin_and_changes_with_the_secret():
    assert "900101300123" not in voter_key(KEYS, "a", "900101300123")
    assert voter_key(KEYS, "a", "900101300123") != voter_key(Keys("b" * 40), "a", "900101300123")


def test_receipt_is_stable_and_differs_per_contest():
    voter = voter_key(KEYS, "a", "900101300123")
    assert receipt_for(KEYS, "a", voter) == receipt_for(KEYS, "a", voter) != receipt_for(KEYS, "b", voter)


def test_receipt_is_six_groups_of_four():
    receipt = receipt_for(KEYS, "a", voter_key(KEYS, "a", "900101300123"))
    assert [len(group) for group in receipt.split("-")] == [4] * 6


def test_typed_receipt_is_normalized():
    receipt = receipt_for(KEYS, "a", "v")
    assert normalize_receipt(" " + receipt.lower().replace("-", " ") + " ") == receipt


def test_garbage_receipt_is_none():
    for text in ["", "AAAA", "AAAA-BBBB-CCCC-DDDD-EEEE-FFF1", "x" * 1000, "АААА-BBBB-CCCC-DDDD-EEEE-FFFF"]:
        assert normalize_receipt(text) is None


def test_the_check_link_is_the_pages_address_with_the_receipt_in_its_canonical_form():
    assert check_link("https://vote.example.kz/api/", "abcd efgh ijkl mnop qrst uvwx") == \
        "https://vote.example.kz/api/?receipt=ABCD-EFGH-IJKL-MNOP-QRST-UVWX"


def test_no_check_link_for_what_is_not_a_receipt():
    with pytest.raises(Rejection):
        check_link("https://vote.example.kz/api", "<script>")
