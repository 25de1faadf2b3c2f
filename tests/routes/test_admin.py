"""Admin routes through chalice.test: ЭЦП sign-in, the built-in authorizer's 401/403 matrix,
results (public and admin, JSON and CSV), evidence, early close, uploads, the admin page."""

from __future__ import annotations

import base64
import csv
import io
import json
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib import runtime
from chalicelib.voting.admin_session import actor_of, issue_token
from chalicelib.voting.audit import audit
from chalicelib.voting.clock import iso_utc
from chalicelib.voting.contest import parse_contest
from tests.conftest import NOW, commission_key, contest_file, make_runtime, readable_identity

CONTEST = "best-social-worker-2025"
ADMIN = "880202400456"
STRANGER = "900101300999"
CLOSES = NOW + timedelta(days=5)
GRACE = timedelta(minutes=2)
ADMIN_ROUTES = [
    ("GET", f"/admin/contests/{CONTEST}/results"),
    ("GET", f"/admin/contests/{CONTEST}/results?format=csv"),
    ("GET", f"/admin/contests/{CONTEST}/evidence"),
    ("POST", f"/admin/contests/{CONTEST}/close"),
    ("PUT", f"/admin/contests/{CONTEST}"),
    ("PUT", f"/admin/contests/{CONTEST}/nominees"),
]


@pytest.fixture
def admin(service):
    """The service with one administrator listed."""
    listed = make_runtime(service.pki, service.clock, service.store, admin_iins=frozenset({ADMIN}))
    runtime.install(listed)
    return replace(service, runtime=listed)


def sign_in(service, iin: str = ADMIN, **options):
    challenge = json.loads(service.http.post("/admin/challenges").body)["challenge"]
    content = json.dumps({"v": 1, "purpose": "admin-login", "challenge": challenge}).encode()
    cms = service.pki.sign(content, service.pki.voter(iin, **options))
    return service.http.post("/admin/sessions", body=json.dumps({"cms": base64.b64encode(cms).decode()}),
                             headers={"Content-Type": "application/json"})


def token_of(service) -> str:
    response = sign_in(service)
    assert response.status_code == 201, response.body
    return json.loads(response.body)["token"]


def call(service, method: str, path: str, token: str | None = None, body: str = "{}", **headers: str):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    headers.setdefault("Content-Type", "application/json")
    return service.http.request(method, path, headers=headers, body=body.encode())


def vote(service, iin: str, nominee: str) -> str:
    response = service.post_vote(service.vote_body(service.pki.voter(iin), nominee=nominee))
    assert response.status_code == 201, response.body
    return json.loads(response.body)["receipt"]


def tally_now(service) -> None:
    service.clock.now = CLOSES + GRACE
    service.runtime.closer.run()


# --- sign-in and the authorizer -------------------------------------------------------------

def test_listed_admin_signs_in_with_their_ecp_and_gets_a_fifteen_minute_token(admin):
    response = sign_in(admin)
    assert response.status_code == 201
    assert json.loads(response.body)["expires_at"] == (NOW + timedelta(minutes=15)).isoformat()


def test_a_signed_sign_in_posted_again_opens_no_second_session(admin):
    challenge = json.loads(admin.http.post("/admin/challenges").body)["challenge"]
    content = json.dumps({"v": 1, "purpose": "admin-login", "challenge": challenge}).encode()
    body = json.dumps({"cms": base64.b64encode(admin.pki.sign(content, admin.pki.voter(ADMIN))).decode()})
    first = admin.http.post("/admin/sessions", body=body, headers={"Content-Type": "application/json"})
    admin.clock.advance(seconds=30)
    again = admin.http.post("/admin/sessions", body=body, headers={"Content-Type": "application/json"})
    assert first.status_code == 201
    assert (again.status_code, json.loads(again.body)["error"]) == (422, "invalid_challenge")


def test_person_not_listed_cannot_sign_in(admin):
    response = sign_in(admin, STRANGER)
    assert (response.status_code, json.loads(response.body)["error"]) == (403, "forbidden")


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_admin_routes_without_a_token_are_401(admin, method, path):
    assert call(admin, method, path).status_code == 401


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_admin_routes_with_a_forged_token_are_401(admin, method, path):
    token = token_of(admin)
    assert call(admin, method, path, token[:-3] + "abc").status_code == 401
    assert call(admin, method, path, "junk").status_code == 401


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_admin_routes_with_an_expired_token_are_401(admin, method, path):
    token = token_of(admin)
    admin.clock.advance(minutes=15)
    response = call(admin, method, path, token)
    assert (response.status_code, json.loads(response.body)["error"]) == (401, "unauthorized")


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_admin_routes_for_a_person_not_listed_are_403(admin, method, path):
    keys = admin.runtime.keys
    token = issue_token(keys, actor_of(keys, STRANGER), NOW).token
    assert call(admin, method, path, token).status_code == 403


def test_token_of_an_admin_removed_from_the_list_is_403(admin):
    token = token_of(admin)
    runtime.install(make_runtime(admin.pki, admin.clock, admin.store))  # VOTING_ADMIN_IINS no longer lists them
    assert call(admin, "GET", f"/admin/contests/{CONTEST}/results", token).status_code == 403


def test_valid_token_of_a_listed_admin_is_let_through(admin):
    assert call(admin, "GET", f"/admin/contests/{CONTEST}/results", token_of(admin)).status_code == 200


def test_every_admin_action_leaves_one_audit_line_without_iin_or_token(admin, capsys):
    token = token_of(admin)
    call(admin, "POST", f"/admin/contests/{CONTEST}/close", token)
    output = capsys.readouterr().out
    actions = [json.loads(line) for line in output.splitlines() if '"admin_action"' in line]
    assert [(a["action"], a.get("contest")) for a in actions] == [("sign_in", None), ("close", CONTEST)]
    assert all(a["actor"] == actor_of(admin.runtime.keys, ADMIN) and a["at"] for a in actions)
    assert ADMIN not in output and token not in output


# --- results ----------------------------------------------------------------------------------

def test_public_results_wait_for_the_tally(admin):
    vote(admin, "900101300001", "hc-001")
    response = admin.http.get(f"/contests/{CONTEST}/results")
    assert (response.status_code, json.loads(response.body)["error"]) == (404, "results_not_ready")


def test_public_results_of_an_unknown_contest_are_404(admin):
    assert json.loads(admin.http.get("/contests/nope/results").body)["error"] == "contest_not_found"


def test_public_results_after_the_tally_are_final(admin):
    vote(admin, "900101300001", "hc-001")
    vote(admin, "900101300002", "hc-001")
    vote(admin, "900101300003", "rh-001")
    tally_now(admin)
    document = json.loads(admin.http.get(f"/contests/{CONTEST}/results").body)
    assert (document["status"], document["total"], document["closes_at"]) == ("final", 3, iso_utc(CLOSES))
    assert document["nominations"][0]["nominees"][0] == {"id": "hc-001", "name": "Айгүл Сейтқали", "votes": 2}


def test_results_meant_for_admins_are_403_to_the_public(admin):
    admin.store.create_contest(parse_contest(contest_file("closed-door", visibility="admins")), NOW)
    response = admin.http.get("/contests/closed-door/results")
    assert (response.status_code, json.loads(response.body)["error"]) == (403, "results_not_public")


def test_admins_see_provisional_counts_while_voting_is_open(admin):
    vote(admin, "900101300001", "hc-002")
    document = json.loads(call(admin, "GET", f"/admin/contests/{CONTEST}/results", token_of(admin)).body)
    assert (document["status"], document["total"], document["state"]) == ("provisional", 1, "open")
    assert document["turnout"] == [{"hour": "2026-03-10T09:00:00Z", "votes": 1}]


def test_admin_csv_has_a_bom_and_parses_back(admin):
    vote(admin, "900101300001", "hc-002")
    vote(admin, "900101300002", "hc-002")
    vote(admin, "900101300003", "hc-001")
    tally_now(admin)
    response = call(admin, "GET", f"/admin/contests/{CONTEST}/results?format=csv&lang=en", token_of(admin))
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.body.startswith(b"\xef\xbb\xbf")
    assert response.headers["Content-Disposition"] == f'attachment; filename="{CONTEST}-results-final.csv"'
    about, _, table = response.body.decode("utf-8-sig").partition("\r\n\r\n")
    assert ["Results", "final"] in list(csv.reader(io.StringIO(about)))
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [(r["Nomination"], r["Nominee"], r["Votes"], r["Share, %"]) for r in rows] == [
        ("Home care", "Марат Оспанов", "2", "66.67"), ("Home care", "Айгүл Сейтқали", "1", "33.33"),
        ("Rehabilitation", "Елена Ким", "0", "0.00")]


def test_admin_csv_for_excel_in_russian_is_semicolon_separated_with_decimal_commas(admin):
    vote(admin, "900101300001", "hc-002")
    vote(admin, "900101300003", "hc-001")
    response = call(admin, "GET", f"/admin/contests/{CONTEST}/results?format=csv&separator=semicolon&lang=ru",
                    token_of(admin))
    assert response.headers["Content-Disposition"].startswith(f'attachment; filename="{CONTEST}-results-provisional-')
    _, _, table = response.body.decode("utf-8-sig").partition("\r\n\r\n")
    rows = list(csv.DictReader(io.StringIO(table), delimiter=";"))
    assert [(r["Кандидат"], r["Доля, %"]) for r in rows][:2] == [
        ("Айгүл Сейтқали", "50,00"), ("Марат Оспанов", "50,00")]


def test_admin_csv_with_an_unknown_separator_is_a_malformed_request(admin):
    response = call(admin, "GET", f"/admin/contests/{CONTEST}/results?format=csv&separator=tab", token_of(admin))
    assert (response.status_code, json.loads(response.body)["error"]) == (400, "malformed_request")


def test_admin_results_add_up_by_the_nominees_regions(admin):
    vote(admin, "900101300001", "hc-002")
    document = json.loads(call(admin, "GET", f"/admin/contests/{CONTEST}/results", token_of(admin)).body)
    assert [(r["region"]["ru"], r["votes"]) for r in document["regions"]] == [
        ("Астана", 1), ("Алматы", 0), ("Караганда", 0)]


# --- evidence and audit -----------------------------------------------------------------------

def test_evidence_waits_for_the_tally(admin):
    response = call(admin, "GET", f"/admin/contests/{CONTEST}/evidence", token_of(admin))
    assert (response.status_code, json.loads(response.body)["error"]) == (404, "results_not_ready")


def test_evidence_is_sealed_one_line_per_counted_vote_and_audits_clean_with_the_commissions_key(admin):
    voters = {f"90010130000{i}": nominee for i, nominee in enumerate(["hc-001", "hc-002", "hc-001"])}
    receipts = {vote(admin, iin, nominee) for iin, nominee in voters.items()}
    tally_now(admin)
    evidence = call(admin, "GET", f"/admin/contests/{CONTEST}/evidence", token_of(admin))
    assert evidence.headers["Content-Disposition"] == f'attachment; filename="{CONTEST}-evidence-sealed.jsonl"'
    lines = evidence.body.decode().splitlines(keepends=True)
    assert {json.loads(line)["receipt"] for line in lines} == receipts
    published = json.loads(admin.http.get(f"/contests/{CONTEST}/results").body)
    report = audit(lines, admin.pki.verifier(), commission_key(), published)
    assert report.ok, report.render()


def test_the_evidence_download_names_no_voter(admin):
    voter = admin.pki.voter("900101300001")
    admin.post_vote(admin.vote_body(voter))
    tally_now(admin)
    evidence = call(admin, "GET", f"/admin/contests/{CONTEST}/evidence", token_of(admin))
    [line] = evidence.body.decode().splitlines()
    assert readable_identity(line.encode() + base64.b64decode(json.loads(line)["sealed"]), voter) == []


def test_evidence_too_large_for_one_answer_points_to_the_cli(admin, monkeypatch):
    from chalicelib.voting import commission

    vote(admin, "900101300001", "hc-001")
    tally_now(admin)
    monkeypatch.setattr(commission, "MAX_EVIDENCE_BYTES", 100)
    monkeypatch.setattr(commission.Commission.evidence, "__defaults__", (100,))
    response = call(admin, "GET", f"/admin/contests/{CONTEST}/evidence", token_of(admin))
    assert (response.status_code, json.loads(response.body)["error"]) == (413, "evidence_too_large")


# --- early close ------------------------------------------------------------------------------

def test_early_close_ends_voting_after_the_notice_and_is_idempotent(admin):
    token = token_of(admin)
    admin.clock.advance(minutes=10)
    first = call(admin, "POST", f"/admin/contests/{CONTEST}/close", token)
    assert first.status_code == 200
    ends = NOW + timedelta(minutes=10) + admin.runtime.commission.closer.policy.notice
    assert json.loads(first.body)["closes_at"] == iso_utc(ends)
    admin.clock.advance(minutes=1)
    assert json.loads(call(admin, "POST", f"/admin/contests/{CONTEST}/close", token).body) == json.loads(first.body)
    assert admin.store.get_contest(CONTEST).contest.closes_at == ends


def test_after_an_early_close_votes_are_refused_and_the_tally_follows_the_grace(admin):
    receipt = vote(admin, "900101300001", "rh-001")
    late_vote = admin.vote_body(admin.pki.voter("900101300002"))
    admin.clock.advance(seconds=1)
    call(admin, "POST", f"/admin/contests/{CONTEST}/close", token_of(admin))
    assert json.loads(admin.post_vote(late_vote).body)["error"] == "voting_closed"
    closer = admin.runtime.closer
    admin.clock.advance(minutes=1)
    assert closer.run() == []
    admin.clock.advance(minutes=1, seconds=closer.policy.notice.total_seconds())
    assert closer.run()[0].total == 1
    assert json.loads(admin.http.get(f"/receipts/{receipt}").body)["counted"] is True


def test_an_upload_in_the_grace_period_cannot_reopen_voting_for_a_new_vote(admin):
    admin.clock.now = CLOSES - timedelta(minutes=1)
    ballot = admin.vote_body(admin.pki.voter("900101300002"))  # its challenge is valid until after closing
    admin.clock.now = CLOSES + timedelta(seconds=30)  # after closes_at, before the closer's run
    later = contest_file(closes=CLOSES + timedelta(days=3))
    response = call(admin, "PUT", f"/admin/contests/{CONTEST}", token_of(admin),
                    body=json.dumps(later, ensure_ascii=False))
    assert (response.status_code, json.loads(response.body)["error"]) == (422, "invalid_contest")
    vote_now = admin.post_vote(ballot)
    assert (vote_now.status_code, json.loads(vote_now.body)["error"]) == (403, "voting_closed")


def test_contest_that_has_not_opened_cannot_be_closed_early(admin):
    admin.store.create_contest(parse_contest(contest_file("later", opens=NOW + timedelta(days=1))), NOW)
    response = call(admin, "POST", "/admin/contests/later/close", token_of(admin))
    assert (response.status_code, json.loads(response.body)["error"]) == (403, "voting_not_open")


# --- uploads ----------------------------------------------------------------------------------

HEADER = "nomination;id;name;region;organization;description_kk;description_ru;description_en\r\n"


@pytest.fixture
def upcoming(admin):
    admin.store.create_contest(parse_contest(contest_file("next-year", opens=NOW + timedelta(days=30),
                                                     closes=NOW + timedelta(days=35))), NOW)
    return admin


def test_finalists_spreadsheet_replaces_the_nominees_before_opening(upcoming):
    sheet = "\ufeff" + HEADER + "home-care;hc-9;Новый Финалист;Шымкент;ЦСО;;;\r\nrehab;rh-9;Ещё Один;Актобе;РЦ;;;\r\n"
    response = call(upcoming, "PUT", "/admin/contests/next-year/nominees", token_of(upcoming),
                    body=sheet, **{"Content-Type": "text/csv"})
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["nominees"] == 2
    nominees = upcoming.store.get_contest("next-year").contest.nominations[0].nominees
    assert [(n.id, n.name) for n in nominees] == [("hc-9", "Новый Финалист")]


def test_bad_finalists_rows_are_listed_and_nothing_changes(upcoming):
    sheet = HEADER + "home-care;hc-9;;Шымкент;ЦСО;;;\r\nnowhere;rh-9;X;Y;Z;;;\r\n"
    response = call(upcoming, "PUT", "/admin/contests/next-year/nominees", token_of(upcoming),
                    body=sheet, **{"Content-Type": "text/csv"})
    document = json.loads(response.body)
    assert (response.status_code, document["error"]) == (422, "invalid_finalists")
    assert document["problems"] == ["строка 2: name: пусто",
                                    "строка 3: номинации «nowhere» нет в конкурсе (есть: home-care, rehab)"]
    assert upcoming.store.get_contest("next-year").contest.nominations[0].nominees[0].id == "hc-001"


def test_finalists_problems_are_said_in_the_callers_language(upcoming):
    sheet = HEADER + "home-care;hc-9;;Шымкент;ЦСО;;;\r\n"
    for language, said in (("kk", "2-жол: name бос"), ("en", "line 2: name is empty")):
        response = call(upcoming, "PUT", "/admin/contests/next-year/nominees", token_of(upcoming), body=sheet,
                        **{"Content-Type": "text/csv", "Accept-Language": language})
        assert json.loads(response.body)["problems"] == [said]


def test_a_finalists_preview_says_what_would_change_and_changes_nothing(upcoming):
    sheet = HEADER + ("home-care;hc-001;Айгүл Сейтқали;Алматы;ЦСО №2;;;\r\n"
                      "home-care;hc-9;Новый Финалист;Шымкент;ЦСО;;;\r\n"
                      "rehab;rh-001;Елена Ким;Караганда;Реабилитационный центр;;;\r\n")
    response = call(upcoming, "POST", "/admin/contests/next-year/nominees/preview", token_of(upcoming),
                    body=sheet, **{"Content-Type": "text/csv"})
    assert response.status_code == 200, response.body
    preview = json.loads(response.body)
    home = preview["changes"][0]
    assert [p["id"] for p in home["added"]] == ["hc-9"] and [p["id"] for p in home["removed"]] == ["hc-002"]
    assert [(p["id"], p["fields"]) for p in home["changed"]] == [("hc-001", ["organization", "description"])]
    assert preview["changes"][1]["unchanged"] == 1 and preview["nominees"] == 3
    assert [n.id for n in upcoming.store.get_contest("next-year").contest.nominations[0].nominees] == [
        "hc-001", "hc-002"]


def test_an_upload_after_its_preview_is_refused_if_the_contest_changed_meanwhile(upcoming):
    sheet = HEADER + "home-care;hc-9;A;B;C;;;\r\nrehab;rh-9;D;E;F;;;\r\n"
    preview = json.loads(call(upcoming, "POST", "/admin/contests/next-year/nominees/preview", token_of(upcoming),
                              body=sheet, **{"Content-Type": "text/csv"}).body)
    stale = call(upcoming, "PUT", f"/admin/contests/next-year/nominees?revision={preview['revision'] - 1}",
                 token_of(upcoming), body=sheet, **{"Content-Type": "text/csv"})
    assert (stale.status_code, json.loads(stale.body)["error"]) == (409, "contest_changed")
    fresh = call(upcoming, "PUT", f"/admin/contests/next-year/nominees?revision={preview['revision']}",
                 token_of(upcoming), body=sheet, **{"Content-Type": "text/csv"})
    assert fresh.status_code == 200, fresh.body


def test_a_finalists_preview_is_refused_once_voting_has_opened(admin):
    sheet = HEADER + "home-care;hc-9;A;B;C;;;\r\nrehab;rh-9;D;E;F;;;\r\n"
    response = call(admin, "POST", f"/admin/contests/{CONTEST}/nominees/preview", token_of(admin), body=sheet,
                    **{"Content-Type": "text/csv"})
    assert (response.status_code, json.loads(response.body)["error"]) == (422, "invalid_contest")


def test_finalists_cannot_change_once_voting_has_opened(admin):
    sheet = HEADER + "home-care;hc-9;A;B;C;;;\r\nrehab;rh-9;D;E;F;;;\r\n"
    response = call(admin, "PUT", f"/admin/contests/{CONTEST}/nominees", token_of(admin), body=sheet,
                    **{"Content-Type": "text/csv"})
    assert (response.status_code, json.loads(response.body)["error"]) == (422, "invalid_contest")


def test_contest_file_upload_follows_the_load_contest_rules(upcoming):
    document = contest_file("next-year", opens=NOW + timedelta(days=30), closes=NOW + timedelta(days=36))
    response = call(upcoming, "PUT", "/admin/contests/next-year", token_of(upcoming),
                    body=json.dumps(document, ensure_ascii=False))
    assert (response.status_code, json.loads(response.body)["outcome"]) == (200, "updated")
    wrong = call(upcoming, "PUT", "/admin/contests/other-id", token_of(upcoming), body=json.dumps(document))
    assert json.loads(wrong.body)["problems"] == ["id: the file is for 'next-year', not 'other-id'"]


# --- the page ---------------------------------------------------------------------------------

def test_admin_page_is_self_contained_html_in_three_languages(admin):
    response = admin.http.get("/admin")
    page = response.body.decode()
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    assert "<svg" in page or "createElementNS" in page or "svg" in page
    assert all(word in page for word in ("Қазақша", "Русский", "English", "kz.gov.pki.knca.basics"))
    assert 'content="ws://127.0.0.1:13579"' in page
    assert "https://" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")


def test_admin_page_allows_only_its_own_script_and_ncalayer(admin):
    csp = admin.http.get("/admin").headers["Content-Security-Policy"]
    assert "script-src 'sha256-" in csp and "connect-src 'self' ws://127.0.0.1:13579" in csp
    assert "frame-ancestors 'none'" in csp


def test_a_contest_upload_too_large_for_one_record_is_a_validation_error_naming_the_limit(upcoming):
    from tests.voting.test_commission import too_large_for_one_record

    document = too_large_for_one_record()
    document["id"] = "next-year"
    response = call(upcoming, "PUT", "/admin/contests/next-year", token_of(upcoming),
                    body=json.dumps(document, ensure_ascii=False))
    answer = json.loads(response.body)
    assert (response.status_code, answer["error"]) == (422, "invalid_contest")
    assert "over the 392 KiB that fit one record" in answer["problems"][0]
    assert upcoming.store.get_contest("next-year").contest.nominations[0].nominees[0].id == "hc-001"


# --- the commission's own function (in AWS API Gateway sends /admin… to it) ------------------

def proxy_event(resource: str, method: str = "GET") -> dict:
    """What API Gateway sends a Lambda proxy integration for a request without a body."""
    return {"resource": resource, "path": resource, "httpMethod": method, "headers": {"accept-language": "ru"},
            "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
            "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
            "requestContext": {"resourcePath": resource, "httpMethod": method, "stage": "api", "requestId": "r-1",
                               "path": f"/api{resource}", "identity": {"sourceIp": "192.0.2.1"}}}


def test_the_commissions_function_serves_the_admin_routes(admin):
    import app as application

    answer = application.admin_api(proxy_event("/admin"), None)
    assert answer["statusCode"] == 200 and "kz.gov.pki.knca.basics" in answer["body"]
    assert application.admin_api(proxy_event("/admin/challenges", "POST"), None)["statusCode"] == 201


@pytest.mark.parametrize("resource", ["/contests", "/", "/contests/{contest_id}/votes", "/administration", ""])
def test_the_commissions_function_refuses_every_other_route(admin, resource):
    import app as application

    answer = application.admin_api(proxy_event(resource), None)
    assert (answer["statusCode"], json.loads(answer["body"])["error"]) == (403, "forbidden")


@pytest.mark.parametrize("token", ["junk", "a1.1.2.3", "A" * 5000])
def test_a_refused_admin_token_answers_with_the_security_headers(admin, token):
    response = call(admin, "GET", f"/admin/contests/{CONTEST}/results", token)
    assert response.status_code == 401
    assert {"X-Content-Type-Options", "Referrer-Policy", "Strict-Transport-Security"} <= set(response.headers)
