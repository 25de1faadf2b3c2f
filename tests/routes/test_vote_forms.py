"""The vote route takes the CMS forms real signers send, and its log line says which step of the
verification decided and how long each took — without the signer's IIN or certificate serial."""

from __future__ import annotations

import base64
import json
import textwrap

from chalicelib.voting.ballot import ballot_bytes


def signed(service, iin: str) -> bytes:
    return service.pki.sign(ballot_bytes("best-social-worker-2025", "hc-001", service.challenge()),
                            service.pki.voter(iin))


def test_kalkans_pem_armour_in_the_cms_field_is_a_vote(service):
    text = base64.b64encode(signed(service, "900101300601")).decode()
    pem = "-----BEGIN CMS-----\n" + "\n".join(textwrap.wrap(text, 64)) + "\n-----END CMS-----\n"
    assert service.post_vote({"cms": pem}).status_code == 201


def test_a_cms_followed_by_a_zero_byte_is_a_vote(service):
    cms = signed(service, "900101300602") + b"\x00"
    assert service.post_vote({"cms": base64.b64encode(cms).decode()}).status_code == 201


def test_armour_around_something_else_is_a_malformed_request(service):
    response = service.post_vote({"cms": "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----"})
    assert (response.status_code, json.loads(response.body)["error"]) == (400, "malformed_request")


def request_lines(output: str) -> list[dict]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "request" and line.get("action") == "cast_vote"]


def test_the_log_line_names_the_step_that_decided_and_the_time_of_each(service, capsys):
    voter = service.pki.voter("900101300603", usage="auth")
    service.post_vote({"cms": base64.b64encode(signed(service, "900101300604")).decode()})
    service.post_vote(service.vote_body(voter))
    output = capsys.readouterr().out
    accepted, refused = request_lines(output)
    assert accepted["verify_step"] == "accepted" and set(accepted["verify_ms"]) >= {"shape", "path", "signature"}
    assert (refused["code"], refused["verify_step"]) == ("certificate_not_for_signing", "profile")
    assert accepted["signature_checks"] >= 1
    serial = format(voter.certificate.serial_number, "X")
    assert "900101300603" not in output and "900101300604" not in output and serial not in output


def test_a_request_refused_before_any_verification_carries_no_step(service, capsys):
    service.post_vote(b"not json")
    (line,) = request_lines(capsys.readouterr().out)
    assert "verify_step" not in line
