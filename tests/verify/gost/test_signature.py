"""GOST 34.10 verification: known answers from an independent signer (gostcrypto), the byte
orders, and every way an input can be wrong."""

from __future__ import annotations

import pytest

from chalicelib.verify.gost import (
    GOST_DIGEST_OIDS,
    GOST_KEY_OIDS,
    GOST_SIGNATURE_OIDS,
    GostError,
    UnsupportedGostAlgorithm,
    digest,
    is_gost_oid,
    verify,
)
from chalicelib.verify.gost.curves import CRYPTOPRO_A, PARAMSET_512_A
from chalicelib.verify.gost.signature import digest_scalar, parse_spki, verify_with_key

from .conftest import (
    DIGEST_2004,
    DIGEST_2015,
    DIGEST_2015_256,
    DIGEST_PARAMS_2004,
    KEY_2004,
    KEY_2015,
    PARAMS_2004,
    PARAMS_2015,
    RSA_KEY,
    RSA_SHA256,
    SIG_2004,
    SIG_2015,
    SIG_2015_256,
    der,
    der_oid,
    seq,
    spki,
)

MESSAGE = b"tbsCertificate stand-in " * 40


def flip(data: bytes, index: int = 0, bit: int = 0) -> bytes:
    out = bytearray(data)
    out[index] ^= 1 << bit
    return bytes(out)


# -- known answers --------------------------------------------------------------------------

def test_a_gostcrypto_signature_verifies(signer):
    assert verify(signer.spki(), signer.signature_oid, MESSAGE, signer.sign(MESSAGE))


def test_a_gostcrypto_signature_with_a_fixed_nonce_verifies(signer):
    k = bytes([0x01] * signer.size)
    r, s = signer.sign_raw(signer.digest(MESSAGE), k)
    assert verify(signer.spki(), signer.signature_oid, MESSAGE, signer.encode(r, s))


def test_a_signature_of_another_message_fails(signer):
    assert not verify(signer.spki(), signer.signature_oid, MESSAGE + b".", signer.sign(MESSAGE))


def test_a_flipped_signature_bit_fails(signer):
    signature = signer.sign(MESSAGE)
    assert not verify(signer.spki(), signer.signature_oid, MESSAGE, flip(signature, 5))


def test_the_signature_is_r_then_s_each_little_endian(signer):
    r, s = signer.sign_raw(signer.digest(MESSAGE))
    big_endian = r.to_bytes(signer.size, "big") + s.to_bytes(signer.size, "big")
    swapped = signer.encode(s, r)
    assert verify(signer.spki(), signer.signature_oid, MESSAGE, signer.encode(r, s))
    assert not verify(signer.spki(), signer.signature_oid, MESSAGE, big_endian)
    assert not verify(signer.spki(), signer.signature_oid, MESSAGE, swapped)


def test_the_rfc4491_s_r_big_endian_form_reversed_is_the_same_bytes(signer):
    r, s = signer.sign_raw(signer.digest(MESSAGE))
    rfc4491 = s.to_bytes(signer.size, "big") + r.to_bytes(signer.size, "big")
    assert rfc4491[::-1] == signer.encode(r, s)


def test_another_key_does_not_verify_the_signature(signer):
    from .conftest import make_signer

    other = make_signer(signer.family, 99)
    assert not verify(other.spki(), signer.signature_oid, MESSAGE, signer.sign(MESSAGE))


def test_the_key_algorithm_oid_is_accepted_as_the_signature_algorithm(signer):
    key_oid = KEY_2015 if signer.family == "2015" else KEY_2004
    assert verify(signer.spki(), key_oid, MESSAGE, signer.sign(MESSAGE))


def test_the_matching_digest_oid_is_accepted(signer):
    digest_oid = DIGEST_2015 if signer.family == "2015" else DIGEST_2004
    assert verify(signer.spki(), signer.signature_oid, MESSAGE, signer.sign(MESSAGE),
                  digest_oid=digest_oid)


def test_a_repeated_key_gets_cached_tables_and_the_same_answers(signer):
    key = parse_spki(signer.spki())
    signature = signer.sign(MESSAGE)
    key.curve.clear_key_cache()
    for _ in range(4):  # first sighting, table build, then cached tables
        assert verify_with_key(key, signer.signature_oid, MESSAGE, signature)
        assert not verify_with_key(key, signer.signature_oid, MESSAGE, flip(signature, 40))


def test_verification_without_the_key_cache_gives_the_same_answers(signer):
    key = parse_spki(signer.spki())
    signature = signer.sign(MESSAGE)
    assert verify_with_key(key, signer.signature_oid, MESSAGE, signature, key_cache=False)
    assert not verify_with_key(key, signer.signature_oid, MESSAGE + b"x", signature,
                               key_cache=False)


def test_a_digest_congruent_to_zero_is_read_as_one():
    q = PARAMSET_512_A.q
    assert digest_scalar(q.to_bytes(64, "little"), PARAMSET_512_A) == 1
    assert digest_scalar(bytes(64), PARAMSET_512_A) == 1
    assert digest_scalar((q + 5).to_bytes(64, "little"), PARAMSET_512_A) == 5


def test_the_digest_is_read_little_endian():
    assert digest_scalar(b"\x02" + bytes(31), CRYPTOPRO_A) == 2


def test_a_signature_on_a_digest_congruent_to_zero_verifies_with_e_one(signer2015):
    # gostcrypto maps e = 0 to 1 as the standard says; our curve check agrees.
    curve = PARAMSET_512_A
    r, s = signer2015.sign_raw(curve.q.to_bytes(64, "little"))
    assert curve.verify_digest(signer2015.public_x, signer2015.public_y, 1, r, s)


# -- signature values that cannot verify ----------------------------------------------------

@pytest.mark.parametrize("which", ["r", "s"])
def test_a_zero_half_fails(signer, which):
    r, s = signer.sign_raw(signer.digest(MESSAGE))
    r, s = (0, s) if which == "r" else (r, 0)
    assert not verify(signer.spki(), signer.signature_oid, MESSAGE, signer.encode(r, s))


@pytest.mark.parametrize("which", ["r", "s"])
def test_a_half_equal_to_q_fails(signer, which):
    q = PARAMSET_512_A.q if signer.family == "2015" else CRYPTOPRO_A.q
    r, s = signer.sign_raw(signer.digest(MESSAGE))
    r, s = (q, s) if which == "r" else (r, q)
    assert not verify(signer.spki(), signer.signature_oid, MESSAGE, signer.encode(r, s))


@pytest.mark.parametrize("which", ["r", "s"])
def test_a_half_above_q_fails(signer, which):
    top = (1 << (8 * signer.size)) - 1  # all 0xff bytes: above q
    r, s = signer.sign_raw(signer.digest(MESSAGE))
    r, s = (top, s) if which == "r" else (r, top)
    assert not verify(signer.spki(), signer.signature_oid, MESSAGE, signer.encode(r, s))


@pytest.mark.parametrize("delta", [-1, 1, -64])
def test_a_signature_of_the_wrong_length_fails(signer, delta):
    signature = signer.sign(MESSAGE)
    wrong = signature[:delta] if delta < 0 else signature + b"\x00" * delta
    assert not verify(signer.spki(), signer.signature_oid, MESSAGE, wrong)


def test_an_empty_signature_fails(signer):
    assert not verify(signer.spki(), signer.signature_oid, MESSAGE, b"")


# -- malformed public keys ------------------------------------------------------------------

def test_a_point_off_the_curve_is_malformed(signer):
    key = bytearray(signer.key_bytes())
    key[0] ^= 1  # X changes, Y does not follow
    bad = spki(KEY_2015 if signer.family == "2015" else KEY_2004,
               [PARAMS_2015] if signer.family == "2015" else [PARAMS_2004], bytes(key))
    with pytest.raises(GostError, match="not on"):
        verify(bad, signer.signature_oid, MESSAGE, signer.sign(MESSAGE))


@pytest.mark.parametrize(("key_oid", "params", "size"),
                         [(KEY_2015, [PARAMS_2015], 64), (KEY_2004, [PARAMS_2004], 32)])
def test_the_all_zero_key_is_the_point_at_infinity_and_malformed(key_oid, params, size):
    sig_oid = SIG_2015 if key_oid == KEY_2015 else SIG_2004
    with pytest.raises(GostError, match="infinity"):
        verify(spki(key_oid, params, bytes(2 * size)), sig_oid, MESSAGE, bytes(2 * size))


@pytest.mark.parametrize(("curve", "key_oid", "params", "sig_oid"),
                         [(PARAMSET_512_A, KEY_2015, [PARAMS_2015], SIG_2015),
                          (CRYPTOPRO_A, KEY_2004, [PARAMS_2004], SIG_2004)])
def test_a_coordinate_not_below_p_is_malformed(curve, key_oid, params, sig_oid):
    # (gx + p, gy) is the generator modulo p, but not a canonical encoding of it.
    size = curve.size
    key = (curve.gx + curve.p).to_bytes(size, "little") + curve.gy.to_bytes(size, "little")
    with pytest.raises(GostError, match="not on"):
        verify(spki(key_oid, params, key), sig_oid, MESSAGE, bytes(2 * size))


def test_the_generator_itself_is_a_valid_key():
    size = PARAMSET_512_A.size
    key = PARAMSET_512_A.gx.to_bytes(size, "little") + PARAMSET_512_A.gy.to_bytes(size, "little")
    assert parse_spki(spki(KEY_2015, [PARAMS_2015], key)).x == PARAMSET_512_A.gx


@pytest.mark.parametrize("length", [0, 64, 127, 129, 130, 256])
def test_a_2015_key_of_the_wrong_length_is_malformed(length):
    with pytest.raises(GostError, match="bytes"):
        verify(spki(KEY_2015, [PARAMS_2015], b"\x01" * length), SIG_2015, MESSAGE, bytes(128))


@pytest.mark.parametrize("length", [0, 32, 63, 65, 128])
def test_a_2004_key_of_the_wrong_length_is_malformed(length):
    with pytest.raises(GostError, match="bytes"):
        verify(spki(KEY_2004, [PARAMS_2004], b"\x01" * length), SIG_2004, MESSAGE, bytes(64))


def test_a_key_bit_string_with_unused_bits_is_malformed(signer2015):
    bad = spki(KEY_2015, [PARAMS_2015], signer2015.key_bytes(), unused_bits=1)
    with pytest.raises(GostError, match="unused"):
        verify(bad, SIG_2015, MESSAGE, signer2015.sign(MESSAGE))


def test_a_key_not_wrapped_in_an_octet_string_is_malformed(signer2015):
    alg = seq(der_oid(KEY_2015), seq(der_oid(PARAMS_2015)))
    bad = seq(alg, der(0x03, b"\x00" + signer2015.key_bytes()))
    with pytest.raises(GostError):
        verify(bad, SIG_2015, MESSAGE, signer2015.sign(MESSAGE))


def test_a_truncated_spki_is_malformed(signer2015):
    good = signer2015.spki()
    for cut in (0, 1, 2, 10, len(good) - 1):
        with pytest.raises(GostError):
            verify(good[:cut], SIG_2015, MESSAGE, signer2015.sign(MESSAGE))


def test_trailing_bytes_after_the_spki_are_malformed(signer2015):
    with pytest.raises(GostError, match="trailing"):
        verify(signer2015.spki() + b"\x00", SIG_2015, MESSAGE, signer2015.sign(MESSAGE))


def test_a_non_minimal_der_length_is_malformed(signer2015):
    good = signer2015.spki()
    assert good[1] == 0x81  # the outer SEQUENCE's length fits one byte after 0x81
    bad = bytes([0x30, 0x82, 0x00, good[2]]) + good[3:]
    with pytest.raises(GostError, match="non-minimal"):
        verify(bad, SIG_2015, MESSAGE, signer2015.sign(MESSAGE))


def test_an_indefinite_der_length_is_malformed(signer2015):
    good = signer2015.spki()
    bad = bytes([0x30, 0x80]) + good[3:] + b"\x00\x00"
    with pytest.raises(GostError):
        verify(bad, SIG_2015, MESSAGE, signer2015.sign(MESSAGE))


def test_a_malformed_error_is_a_value_error():
    assert issubclass(GostError, ValueError)
    assert issubclass(UnsupportedGostAlgorithm, GostError)


# -- algorithms we do not verify --------------------------------------------------------------

def test_a_gost2015_256_signature_is_unsupported(signer2015):
    with pytest.raises(UnsupportedGostAlgorithm, match=SIG_2015_256.replace(".", r"\.")):
        verify(signer2015.spki(), SIG_2015_256, MESSAGE, signer2015.sign(MESSAGE))


def test_a_gost2015_256_signature_is_unsupported_even_with_a_malformed_key():
    with pytest.raises(UnsupportedGostAlgorithm):
        verify(b"", SIG_2015_256, MESSAGE, bytes(64))


def test_an_unknown_curve_parameter_set_is_unsupported(signer2015):
    cryptopro_a = "1.2.643.2.2.35.1"
    bad = spki(KEY_2015, [cryptopro_a], signer2015.key_bytes())
    with pytest.raises(UnsupportedGostAlgorithm, match=r"1\.2\.643\.2\.2\.35\.1"):
        verify(bad, SIG_2015, MESSAGE, signer2015.sign(MESSAGE))


def test_the_2015_parameter_set_under_a_2004_key_is_unsupported(signer2004):
    bad = spki(KEY_2004, [PARAMS_2015], signer2004.key_bytes())
    with pytest.raises(UnsupportedGostAlgorithm, match=r"1\.2\.398\.3\.10\.1\.1\.2\.2\.1"):
        verify(bad, SIG_2004, MESSAGE, signer2004.sign(MESSAGE))


def test_an_unknown_digest_parameter_is_unsupported(signer2015):
    bad = spki(KEY_2015, [PARAMS_2015, DIGEST_2015_256], signer2015.key_bytes())
    with pytest.raises(UnsupportedGostAlgorithm, match="digest parameters"):
        verify(bad, SIG_2015, MESSAGE, signer2015.sign(MESSAGE))


def test_the_2004_digest_parameter_of_the_nca_certificates_is_accepted(signer2004):
    good = spki(KEY_2004, [PARAMS_2004, DIGEST_PARAMS_2004], signer2004.key_bytes())
    assert verify(good, SIG_2004, MESSAGE, signer2004.sign(MESSAGE))


def test_parameters_without_the_digest_parameter_are_accepted(signer):
    key_oid, params = (KEY_2015, PARAMS_2015) if signer.family == "2015" else (KEY_2004,
                                                                               PARAMS_2004)
    good = spki(key_oid, [params], signer.key_bytes())
    assert verify(good, signer.signature_oid, MESSAGE, signer.sign(MESSAGE))


def test_a_key_without_parameters_is_unsupported(signer2015):
    with pytest.raises(UnsupportedGostAlgorithm, match="without parameters"):
        verify(spki(KEY_2015, None, signer2015.key_bytes()), SIG_2015, MESSAGE,
               signer2015.sign(MESSAGE))


def test_a_third_key_parameter_is_unsupported(signer2015):
    bad = spki(KEY_2015, [PARAMS_2015, DIGEST_2015, "1.2.643.2.2.31.1"], signer2015.key_bytes())
    with pytest.raises(UnsupportedGostAlgorithm, match="extra"):
        verify(bad, SIG_2015, MESSAGE, signer2015.sign(MESSAGE))


def test_a_digest_oid_of_another_hash_is_unsupported(signer):
    wrong = DIGEST_2004 if signer.family == "2015" else DIGEST_2015
    with pytest.raises(UnsupportedGostAlgorithm, match=wrong.replace(".", r"\.")):
        verify(signer.spki(), signer.signature_oid, MESSAGE, signer.sign(MESSAGE),
               digest_oid=wrong)


def test_the_streebog256_digest_oid_with_a_2015_512_key_is_unsupported(signer2015):
    with pytest.raises(UnsupportedGostAlgorithm):
        verify(signer2015.spki(), SIG_2015, MESSAGE, signer2015.sign(MESSAGE),
               digest_oid=DIGEST_2015_256)


def test_a_non_gost_digest_oid_is_unsupported(signer2015):
    with pytest.raises(UnsupportedGostAlgorithm):
        verify(signer2015.spki(), SIG_2015, MESSAGE, signer2015.sign(MESSAGE),
               digest_oid="2.16.840.1.101.3.4.2.1")


def test_a_signature_oid_of_the_other_gost_family_is_unsupported(signer2015, signer2004):
    with pytest.raises(UnsupportedGostAlgorithm, match="does not match"):
        verify(signer2015.spki(), SIG_2004, MESSAGE, signer2015.sign(MESSAGE))
    with pytest.raises(UnsupportedGostAlgorithm, match="does not match"):
        verify(signer2004.spki(), SIG_2015, MESSAGE, signer2004.sign(MESSAGE))


def test_a_non_gost_signature_oid_is_unsupported(signer2015):
    with pytest.raises(UnsupportedGostAlgorithm, match=r"1\.2\.840\.113549\.1\.1\.11"):
        verify(signer2015.spki(), RSA_SHA256, MESSAGE, signer2015.sign(MESSAGE))


def test_a_non_gost_key_is_unsupported():
    rsa_spki = seq(seq(der_oid(RSA_KEY), der(0x05, b"")), der(0x03, b"\x00" + seq()))
    with pytest.raises(UnsupportedGostAlgorithm, match=r"1\.2\.840\.113549\.1\.1\.1"):
        verify(rsa_spki, SIG_2015, MESSAGE, bytes(128))


def test_digest_with_an_unknown_oid_is_unsupported():
    with pytest.raises(UnsupportedGostAlgorithm, match=r"2\.16\.840\.1\.101\.3\.4\.2\.1"):
        digest("2.16.840.1.101.3.4.2.1", b"x")


# -- the OID catalogue ----------------------------------------------------------------------

def test_the_key_oids_are_the_two_nca_key_algorithms():
    assert frozenset({KEY_2015, KEY_2004}) == GOST_KEY_OIDS


def test_the_signature_oids_include_the_unsupported_2015_256_for_recognition():
    assert frozenset({SIG_2015, SIG_2004, SIG_2015_256}) == GOST_SIGNATURE_OIDS


def test_the_digest_oids_are_streebog512_streebog256_and_gost34311():
    assert frozenset({DIGEST_2015, DIGEST_2015_256, DIGEST_2004}) == GOST_DIGEST_OIDS


@pytest.mark.parametrize("oid", [KEY_2015, SIG_2015, SIG_2015_256, DIGEST_2004,
                                 PARAMS_2004, "1.2.398.3.10.1.3.1.1.0"])
def test_kazakh_gost_oids_are_recognised(oid):
    assert is_gost_oid(oid)


@pytest.mark.parametrize("oid", [RSA_SHA256, RSA_KEY, "1.2.643.7.1.1.3.3", "1.2.398.3.3.4.1.1",
                                 "1.2.398.3.10", "", None])
def test_other_oids_are_not_kazakh_gost(oid):
    assert not is_gost_oid(oid)


# -- the curves -----------------------------------------------------------------------------

CURVES = [PARAMSET_512_A, CRYPTOPRO_A]


def probably_prime(n: int) -> bool:
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41):
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


@pytest.mark.parametrize("curve", CURVES, ids=lambda c: c.name)
def test_the_generator_is_on_the_curve(curve):
    assert curve.is_on_curve(curve.gx, curve.gy)


@pytest.mark.parametrize("curve", CURVES, ids=lambda c: c.name)
def test_p_and_q_are_prime(curve):
    assert probably_prime(curve.p)
    assert probably_prime(curve.q)


@pytest.mark.parametrize("curve", CURVES, ids=lambda c: c.name)
def test_q_times_the_generator_is_the_point_at_infinity(curve):
    from chalicelib.verify.gost.curves import _add_events

    table = curve._odd_multiples(curve.gx, curve.gy, 5)
    for k, infinite in ((curve.q, True), (curve.q + 1, False), (curve.q - 1, False)):
        events: list = [None] * (curve.q.bit_length() + 2)
        _add_events(events, k, table, 5)
        assert (curve._chain(events) is None) is infinite


@pytest.mark.parametrize("curve", CURVES, ids=lambda c: c.name)
def test_the_odd_multiples_table_starts_with_the_point_and_three_times_it(curve):
    table = curve._odd_multiples(curve.gx, curve.gy, 4)
    assert len(table) == 4
    assert table[0] == (curve.gx, curve.gy)
    assert all(curve.is_on_curve(x, y) for x, y in table)
    # 3G computed independently: G + G + G with exact affine formulas.
    p, (gx, gy) = curve.p, (curve.gx, curve.gy)
    lam = (3 * gx * gx + curve.a) * pow(2 * gy, -1, p) % p
    x2 = (lam * lam - 2 * gx) % p
    y2 = (lam * (gx - x2) - gy) % p
    lam = (y2 - gy) * pow(x2 - gx, -1, p) % p
    x3 = (lam * lam - gx - x2) % p
    assert table[1] == (x3, (lam * (gx - x3) - gy) % p)


@pytest.mark.parametrize(("curve", "name"),
                         [(PARAMSET_512_A, "id-tc26-gost-3410-12-512-paramSetA"),
                          (CRYPTOPRO_A, "id-tc26-gost-3410-2012-256-paramSetB")],
                         ids=["paramSetA", "CryptoPro-A"])
def test_the_curve_constants_match_gostcrypto(curve, name):
    from gostcrypto.gostsignature import CURVES_R_1323565_1_024_2019 as theirs

    c = theirs[name]
    assert (curve.p, curve.a, curve.b, curve.q, curve.gx, curve.gy) == (
        c["p"], c["a"], c["b"], c["q"], c["x"], c["y"])


def test_one_off_keys_do_not_evict_the_tables_of_a_recurring_key(signer2015):
    curve = PARAMSET_512_A
    curve.clear_key_cache()
    recurring = parse_spki(signer2015.spki())
    signature = signer2015.sign(MESSAGE)
    for _ in range(2):  # seen once, then its tables are built
        assert verify_with_key(recurring, SIG_2015, MESSAGE, signature)
    assert (recurring.x, recurring.y) in curve._key_tables
    # More one-off keys than the table cache holds: G, 3G, 5G, ... are valid public keys.
    for x, y in curve._odd_multiples(curve.gx, curve.gy, 8)[:40]:
        key_bytes = x.to_bytes(64, "little") + y.to_bytes(64, "little")
        key = parse_spki(spki(KEY_2015, [PARAMS_2015], key_bytes))
        assert not verify_with_key(key, SIG_2015, MESSAGE, signature)
    assert (recurring.x, recurring.y) in curve._key_tables
    assert verify_with_key(recurring, SIG_2015, MESSAGE, signature)
