"""Settings: every variable read once, checked, and named when it is wrong."""

from datetime import timedelta

import pytest

from chalicelib.settings import ConfigurationError, Settings


def test_defaults_need_nothing_set():
    settings = Settings.from_environment({})
    assert (settings.table_prefix, settings.ncalayer_url, settings.close_grace, settings.tally_workers) == \
        ("voting-dev-", "wss://127.0.0.1:13579", timedelta(minutes=2), 8)


def test_grace_and_workers_come_from_the_environment():
    settings = Settings.from_environment({"VOTING_CLOSE_GRACE_SECONDS": "90", "VOTING_TALLY_WORKERS": "4"})
    assert (settings.close_grace, settings.tally_workers) == (timedelta(seconds=90), 4)


@pytest.mark.parametrize(("variable", "value"), [
    ("VOTING_CLOSE_GRACE_SECONDS", "0"), ("VOTING_CLOSE_GRACE_SECONDS", "soon"), ("VOTING_TALLY_WORKERS", "65"),
    ("VOTING_CRL_TOLERANCE_HOURS", "a day"), ("VOTING_CRL_CACHE_SECONDS", "x"), ("VOTING_ADMIN_IINS", "12345"),
    ("VOTING_ADMIN_IINS", "90010130012٣"), ("VOTING_SECRET", "short"), ("VOTING_CRL_OPTIONAL", "ab" * 31),
    ("VOTING_CRL_OPTIONAL", "CN=DEV NCA"),
])
def test_a_wrong_value_is_a_configuration_error_naming_its_variable(variable, value):
    with pytest.raises(ConfigurationError, match=variable):
        Settings.from_environment({variable: value})


def test_optional_cas_are_sha256_fingerprints_with_any_case_and_colons():
    fingerprint = bytes(range(32))
    written = ":".join(f"{b:02X}" for b in fingerprint)
    assert Settings.from_environment({"VOTING_CRL_OPTIONAL": f" {written} , {'ab' * 32}"}).crl_optional == \
        {fingerprint, bytes.fromhex("ab" * 32)}
    assert Settings.from_environment({}).crl_optional == frozenset()


def test_ncalayer_address_may_name_another_port():
    assert Settings.from_environment({"VOTING_NCALAYER_URL": " ws://127.0.0.1:5555 "}).ncalayer_url == \
        "ws://127.0.0.1:5555"


@pytest.mark.parametrize("url", ["ws://127.0.0.1:1; script-src *", "https://127.0.0.1:13579",
                                 'wss://127.0.0.1:13579"><script>', "wss://a b"])
def test_a_malformed_ncalayer_address_is_a_configuration_error(url):
    with pytest.raises(ConfigurationError, match="VOTING_NCALAYER_URL"):
        Settings.from_environment({"VOTING_NCALAYER_URL": url})


def test_the_trust_folder_is_required_only_where_it_is_used():
    with pytest.raises(ConfigurationError, match="VOTING_TRUST_DIR"):
        Settings.from_environment({}).required_trust_dir()


def test_admin_iins_are_read_as_a_set():
    assert Settings.from_environment({"VOTING_ADMIN_IINS": "880202400456, 900101300001"}).admin_iins == \
        {"880202400456", "900101300001"}


def test_the_commissions_public_key_may_come_as_a_pem_in_one_line():
    pem = "-----BEGIN PUBLIC KEY-----\nMIIBojANBgkqhkiG9w0BAQEFAAOCAY8AMIIBigKCAYEA\n-----END PUBLIC KEY-----\n"
    one_line = pem.replace("\n", "\\n")
    assert Settings.from_environment({"VOTING_EVIDENCE_KEY": one_line}).evidence_public_key == pem.strip()
    assert Settings.from_environment({"VOTING_EVIDENCE_KEY": pem}).evidence_public_key == pem.strip()


def test_the_commissions_key_is_in_kms_or_in_a_file_not_both():
    with pytest.raises(ConfigurationError, match="not both"):
        Settings.from_environment({"VOTING_EVIDENCE_KMS_KEY": "alias/evidence", "VOTING_EVIDENCE_KEY_FILE": "k.pem"})


def test_the_key_files_passphrase_is_never_shown():
    settings = Settings.from_environment({"VOTING_EVIDENCE_KEY_FILE": "k.pem",
                                          "VOTING_EVIDENCE_KEY_PASSPHRASE": "do not print me"})
    assert settings.evidence_key_passphrase == "do not print me" and "do not print me" not in repr(settings)


ORGANISATION = '{"nameRu": "Министерство", "nameKz": "Министрлік", "nameEn": "Ministry", "bin": "123456789012"}'


def test_egov_mobile_is_off_unless_the_public_address_is_set():
    assert not Settings.from_environment({}).mobile_signing
    assert not Settings.from_environment({"VOTING_ORGANISATION": ORGANISATION}).mobile_signing


def test_the_public_address_and_the_organisation_turn_egov_mobile_on():
    settings = Settings.from_environment({"VOTING_PUBLIC_URL": "https://abc.execute-api.eu-central-1.amazonaws.com/api/",
                                          "VOTING_ORGANISATION": ORGANISATION})
    assert settings.mobile_signing
    assert settings.public_url == "https://abc.execute-api.eu-central-1.amazonaws.com/api"
    assert (settings.organisation.name_ru, settings.organisation.name_kz, settings.organisation.name_en,
            settings.organisation.bin) == ("Министерство", "Министрлік", "Ministry", "123456789012")


def test_plain_http_is_for_this_machine_only():
    local = Settings.from_environment({"VOTING_PUBLIC_URL": "http://127.0.0.1:8000",
                                       "VOTING_ORGANISATION": ORGANISATION})
    assert local.public_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize("url", ["http://vote.example.kz/api", "https://vote.example.kz/api?x=1", "ftp://vote.kz",
                                 "https://vote.example.kz/a b", 'https://vote.kz/"><script>', "https://", "vote.kz"])
def test_a_public_address_that_is_not_the_apis_https_address_is_refused(url):
    with pytest.raises(ConfigurationError, match="VOTING_PUBLIC_URL"):
        Settings.from_environment({"VOTING_PUBLIC_URL": url, "VOTING_ORGANISATION": ORGANISATION})


def test_the_public_address_needs_the_organisation():
    with pytest.raises(ConfigurationError, match="VOTING_ORGANISATION must be set with VOTING_PUBLIC_URL"):
        Settings.from_environment({"VOTING_PUBLIC_URL": "https://vote.example.kz/api"})


@pytest.mark.parametrize("organisation", [
    "not json", "[]", '{"nameRu": "a", "nameKz": "b", "nameEn": "c"}',
    '{"nameRu": "a", "nameKz": "b", "nameEn": "c", "bin": "12345"}',
    '{"nameRu": "", "nameKz": "b", "nameEn": "c", "bin": "123456789012"}',
    '{"nameRu": "a", "nameKz": "b", "nameEn": "c", "bin": "123456789012", "x": "y"}',
    '{"nameRu": 1, "nameKz": "b", "nameEn": "c", "bin": "123456789012"}',
])
def test_a_wrong_organisation_is_refused_naming_the_variable(organisation):
    with pytest.raises(ConfigurationError, match="VOTING_ORGANISATION"):
        Settings.from_environment({"VOTING_ORGANISATION": organisation})


DEV_SECRET = "development-only-secret-not-for-production-use-0001"


def chalice_config() -> dict:
    import json
    from pathlib import Path

    return json.loads((Path(__file__).resolve().parents[1] / ".chalice" / "config.json").read_text())


def dev_stage() -> dict[str, str]:
    config = chalice_config()
    return {**config["environment_variables"], **config["stages"]["dev"]["environment_variables"]}


def test_every_secret_written_in_the_repository_is_known_as_a_development_secret():
    from chalicelib.settings import DEVELOPMENT_SECRETS
    from tests.conftest import SECRET

    assert {dev_stage()["VOTING_SECRET"], SECRET} <= DEVELOPMENT_SECRETS


def test_the_development_secret_works_on_the_local_stack():
    assert Settings.from_environment(dev_stage()).secret == DEV_SECRET


@pytest.mark.parametrize("where", [
    {"AWS_LAMBDA_FUNCTION_NAME": "voting-dev-api"},  # the dev stage deployed to AWS as it is
    {"VOTING_DYNAMODB_ENDPOINT": ""},  # AWS's DynamoDB
    {"VOTING_DYNAMODB_ENDPOINT": "https://dynamodb.eu-central-1.amazonaws.com"},
    {"VOTING_DYNAMODB_ENDPOINT": "http://127.0.0.1.example.org:8001"},
])
def test_a_development_secret_is_refused_outside_the_local_stack(where):
    with pytest.raises(ConfigurationError, match="development secret published in the repository"):
        Settings.from_environment({**dev_stage(), **where})


def test_a_development_secret_from_ssm_is_refused(monkeypatch):
    from chalicelib.adapters import ssm
    from chalicelib.runtime import Runtime

    monkeypatch.setattr(ssm, "read_secret", lambda name: DEV_SECRET)
    wired = Runtime(Settings.from_environment({"VOTING_SECRET_PARAM": "/voting-prod/secret"}))
    with pytest.raises(ConfigurationError, match="development secret"):
        _ = wired.keys


def test_an_admin_token_forged_offline_with_the_development_secret_opens_nothing_in_aws():
    from types import SimpleNamespace

    from chalicelib.adapters.admin_gate import Unauthorized, authorize
    from chalicelib.runtime import Runtime
    from chalicelib.voting.admin_session import actor_of, issue_token
    from chalicelib.voting.keys import Keys
    from tests.conftest import NOW

    forged = issue_token(Keys(DEV_SECRET), actor_of(Keys(DEV_SECRET), "880202400456"), NOW).token
    in_aws = {**dev_stage(), "AWS_LAMBDA_FUNCTION_NAME": "voting-dev-admin-session",
              "VOTING_ADMIN_IINS": "880202400456"}
    request = SimpleNamespace(token=f"Bearer {forged}", method_arn="arn:aws:execute-api:x:1:api/api/GET/admin")
    with pytest.raises(Unauthorized):
        authorize(request, lambda token, arn: Runtime(Settings.from_environment(in_aws)).authorize(token, arn))


def test_the_dev_stage_cannot_be_deployed_to_aws():
    """`chalice deploy` deploys `dev` when no stage is given: its functions are given a role in no
    account (000000000000), so Lambda refuses to create them and nothing of the dev stage runs."""
    config = chalice_config()
    dev = config["stages"]["dev"]
    assert dev["manage_iam_role"] is False
    assert dev["iam_role_arn"].startswith("arn:aws:iam::000000000000:role/")
    assert "iam_role_arn" not in config and "manage_iam_role" not in config  # prod keeps its own roles
