"""Where the operator CLI goes: the local stack unless told AWS, the shell's settings over the
stage's, and a target named in words."""

import pytest

from devtools.stages import ROOT, Target, UnknownStage, stage_environment

AWS_SHELL = {"AWS_ACCESS_KEY_ID": "AKIA-operator", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "eu-central-1"}


def test_without_a_stage_the_cli_goes_to_the_local_stack_even_with_aws_credentials_in_the_shell():
    target = Target.resolve(None, None, AWS_SHELL)
    assert (target.stage, target.endpoint, target.local) == ("dev", "http://127.0.0.1:8001", True)
    assert target.describe() == "the local stack (DynamoDB http://127.0.0.1:8001, tables voting-dev-*)"


def test_aws_only_when_the_stage_says_prod():
    shell = {**AWS_SHELL, "VOTING_TABLE_PREFIX": "voting-prod-"}
    for target in (Target.resolve("prod", None, shell), Target.resolve(None, None, {**shell, "VOTING_STAGE": "prod"})):
        assert target.endpoint is None and target.missing_setting() is None
        assert target.describe() == "AWS eu-central-1 (stage prod, tables voting-prod-*)"


def test_aws_without_the_stacks_table_prefix_is_refused_not_guessed():
    target = Target.resolve("prod", None, AWS_SHELL)
    assert target.describe() == "AWS eu-central-1 (stage prod, no VOTING_TABLE_PREFIX)"
    assert "VOTING_TABLE_PREFIX" in target.missing_setting()


def test_an_empty_setting_in_the_shell_does_not_turn_the_local_stack_into_aws():
    assert Target.resolve(None, None, {"VOTING_DYNAMODB_ENDPOINT": ""}).endpoint == "http://127.0.0.1:8001"


def test_the_shells_settings_and_an_endpoint_go_over_the_stages():
    target = Target.resolve("prod", "http://127.0.0.1:9999", {"VOTING_TABLE_PREFIX": "rehearsal-"})
    assert target.describe() == "the local stack (DynamoDB http://127.0.0.1:9999, tables rehearsal-*)"


def test_an_unknown_stage_is_refused():
    with pytest.raises(UnknownStage, match=r"dev .*prod"):
        Target.resolve(None, None, {"VOTING_STAGE": "staging"})


def test_the_stages_folders_are_made_absolute_so_the_cli_runs_from_anywhere():
    assert stage_environment("dev")["VOTING_TRUST_DIR"] == str(ROOT / ".local" / "pki" / "trust")
    assert "VOTING_ADMIN_IINS" not in stage_environment("dev")  # empty in config.json: left out


def test_what_to_do_when_nothing_answers_names_make_run_for_the_local_stack():
    assert "make run" in Target.resolve(None, None, {}).unreachable_hint()
    assert "AWS credentials" in Target.resolve("prod", None, {}).unreachable_hint()
