"""`make run`'s local stack: who may sign in to the admin page, and what it prints about it; the
NCALayer stand-in signing the admin page's sign-in as the development admin."""

import base64
import json

import pytest

from chalicelib.adapters.pki_folders import trust_from_folder
from chalicelib.verify.policy import ADMIN
from chalicelib.verify.signature import SignatureVerifier
from devtools.devpki import revocation_from_crls
from devtools.localpki import load_dev_pki, write_dev_pki
from devtools.ncalayer import StandIn
from devtools.stack import DEV_ADMIN_IIN, admin_help, make_run_stack


def test_make_run_lists_the_development_admin_unless_the_shell_names_others():
    assert make_run_stack({}).environment()["VOTING_ADMIN_IINS"] == DEV_ADMIN_IIN
    named = make_run_stack({"VOTING_ADMIN_IINS": "870101300111,870101300222"})
    assert named.environment()["VOTING_ADMIN_IINS"] == "870101300111,870101300222"  # over config.json's ""
    assert named.admin_iin == "870101300111"


def test_make_run_says_how_to_sign_in_to_the_admin_page():
    lines = admin_help(make_run_stack({}))
    assert lines[0] == f"admin page http://127.0.0.1:8000/admin: press «Войти с ЭЦП»; admins (VOTING_ADMIN_IINS): " \
                       f"{DEV_ADMIN_IIN}"
    assert f"signs the sign-in as {DEV_ADMIN_IIN} (the development admin)" in lines[1]
    assert "VOTING_ADMIN_IINS=<IIN>,<IIN> make run" in lines[1]


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    write_dev_pki(folder)
    trust = trust_from_folder(str(folder / "trust"))
    revocation = revocation_from_crls([(folder / "crl" / "nca.crl").read_bytes()], trust)  # as make run's refresher
    return StandIn(load_dev_pki(folder), DEV_ADMIN_IIN), SignatureVerifier(trust, revocation)


def signed_iin(stand_in, document: dict, **choice) -> str:
    from datetime import UTC, datetime

    standin, verifier = stand_in
    if choice:
        standin.handle(json.dumps({"module": "devtools.standin", "method": "choose", "args": choice}))
    reply = standin.handle(json.dumps({"module": "kz.gov.pki.knca.basics", "method": "sign", "args": {
        "format": "cms", "data": base64.b64encode(json.dumps(document).encode()).decode(),
        "signingParams": {"encapsulate": True}, "signerParams": {"extKeyUsageOids": []}}}))
    standin.handle(json.dumps({"module": "devtools.standin", "method": "reset"}))
    cms = base64.b64decode(reply["body"]["result"][0])
    return verifier.verify(cms, datetime.now(UTC), profile=ADMIN).iin


def test_the_stand_in_signs_the_admin_sign_in_as_the_development_admin(stand_in):
    assert signed_iin(stand_in, {"v": 1, "purpose": "admin-login", "challenge": "c"}) == DEV_ADMIN_IIN


def test_a_ballot_is_still_signed_by_a_fresh_citizen_and_a_chosen_person_wins(stand_in):
    ballot = {"v": 1, "contest": "x", "nominee": "y", "challenge": "c"}
    assert signed_iin(stand_in, ballot) != DEV_ADMIN_IIN
    assert signed_iin(stand_in, {"v": 1, "purpose": "admin-login", "challenge": "c"}, iin="900101300990") == \
        "900101300990"
