"""The confirmation client and the token manager against `responses` (the network edge only)."""

import base64
import json
from datetime import date
from urllib.parse import parse_qs

import pytest
import requests
import responses

from banking.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from banking.client import BanescoClient, LookupQuery, build_envelope
from banking.errors import TokenError, TokenUnavailable
from banking.results import Found, NotFound, PermanentFailure, RetryableFailure, ShortCircuited
from tests.banking.conftest import LOOKUP_URL, TOKEN_URL

MOBILE_Q = LookupQuery(
    mode="mobile", reference="678901", bank_id="0102", phone="584141234567", start_date=date(2025, 1, 10)
)
TRANSFER_Q = LookupQuery(mode="transfer", reference="987654321012", bank_id="0134")
FOUND = {
    "httpStatus": {"statusCode": "200", "statusDesc": "OK"},
    "dataResponse": {
        "transactionDetail": [
            {"referenceNumber": "012345678901", "amount": "150.00", "trnType": "CR", "sourceBankId": "102"}
        ]
    },
}
NOT_FOUND = {"httpStatus": {"statusCode": "70001", "statusDesc": "Consulta sin resultados"}}


def token_ok(rsps, token="tok-1", expires_in=300):
    return rsps.post(
        TOKEN_URL, json={"access_token": token, "expires_in": expires_in, "token_type": "Bearer"}
    )


@pytest.fixture
def client(qa_config, sleeps):
    return BanescoClient(qa_config, sleep=sleeps.append)


# -- envelope and search modes -----------------------------------------------------------------
def test_envelope_mobile_mode_sends_only_its_fields(qa_config):
    tx = build_envelope(MOBILE_Q, qa_config)["dataRequest"]["transaction"]
    assert tx == {
        "referenceNumber": "678901",
        "phoneNum": "584141234567",
        "bankId": "0102",
        "startDt": "2025-01-10",
    }


def test_envelope_transfer_mode_has_account_and_no_dates(qa_config):
    env = build_envelope(TRANSFER_Q, qa_config)["dataRequest"]
    assert env["transaction"] == {
        "referenceNumber": "987654321012",
        "accountId": "01340000000000000001",
        "bankId": "0134",
    }
    assert env["device"]["type"] and env["securityAuth"] == {"sessionId": ""}


def test_query_build_modes_send_only_their_fields(qa_config):
    day = date(2025, 1, 10)
    mobile = LookupQuery.build(
        mode="mobile", reference="000012345678901", bank_id="0102", phone="04141234567", start_date=day
    )
    assert mobile.fields(qa_config) == {
        "referenceNumber": "678901",
        "phoneNum": "584141234567",
        "bankId": "0102",
        "startDt": "2025-01-10",
    }
    transfer = LookupQuery.build(
        mode="transfer", reference="000012345678901", bank_id="0105", phone="04141234567", start_date=day
    )
    assert transfer.fields(qa_config) == {
        "referenceNumber": "000012345678901",
        "accountId": "01340000000000000001",
        "bankId": "0134",
    }
    interbank = LookupQuery.build(
        mode="interbank", reference="000012345678901", bank_id="0105", phone="04141234567", start_date=day
    )
    assert interbank.fields(qa_config) == {
        "referenceNumber": "678901",
        "accountId": "01340000000000000001",
        "bankId": "0105",
        "startDt": "2025-01-10",
    }


# -- token -------------------------------------------------------------------------------------
@responses.activate
def test_token_password_grant_with_basic_auth(client):
    token_ok(responses)
    responses.post(LOOKUP_URL, json=FOUND)
    result = client.lookup(MOBILE_Q)
    assert isinstance(result, Found)
    token_call, lookup_call = responses.calls
    form = parse_qs(token_call.request.body)
    assert form == {"grant_type": ["password"], "username": ["cid"], "password": ["csecret"]}
    assert token_call.request.headers["Authorization"] == "Basic " + base64.b64encode(b"cid:csecret").decode()
    assert lookup_call.request.headers["Authorization"] == "Bearer tok-1"
    assert json.loads(lookup_call.request.body)["dataRequest"]["transaction"]["referenceNumber"] == "678901"


@responses.activate
def test_token_client_auth_in_body_and_scope(qa_config):
    client = BanescoClient(qa_config.replace(client_auth="body", scope="openid"))
    token_ok(responses)
    client.tokens.get_token()
    req = responses.calls[0].request
    form = parse_qs(req.body)
    assert (
        form["client_id"] == ["cid"] and form["client_secret"] == ["csecret"] and form["scope"] == ["openid"]
    )
    assert "Authorization" not in req.headers


@responses.activate
@pytest.mark.parametrize(
    ("status", "error", "description"),
    [
        (400, "unauthorized_client", "Client not enabled to retrieve service account"),
        (401, "invalid_grant", "Invalid user credentials"),
        (401, "invalid_client", "Invalid client credentials"),
        (404, "Realm does not exist", None),
    ],
)
def test_token_errors_are_typed_with_keycloak_description(client, status, error, description):
    payload = {"error": error} if description is None else {"error": error, "error_description": description}
    responses.post(TOKEN_URL, json=payload, status=status)
    with pytest.raises(TokenError) as exc:
        client.tokens.get_token()
    assert exc.value.code == error
    assert (description or error) in exc.value.message
    assert not exc.value.retryable


@responses.activate
def test_token_endpoint_down_is_retryable(client):
    responses.post(TOKEN_URL, status=503, body="<html>down</html>")
    with pytest.raises(TokenUnavailable):
        client.tokens.get_token()
    responses.replace(responses.POST, TOKEN_URL, body=requests.ConnectionError("refused"))
    with pytest.raises(TokenUnavailable):
        client.tokens.get_token()


@responses.activate
def test_client_credentials_refused_gives_credentials_failure(qa_config):
    client = BanescoClient(qa_config.replace(grant_type="client_credentials"), sleep=lambda s: None)
    responses.post(
        TOKEN_URL,
        status=400,
        json={
            "error": "unauthorized_client",
            "error_description": "Client not enabled to retrieve service account",
        },
    )
    result = client.lookup(MOBILE_Q)
    assert isinstance(result, PermanentFailure) and result.credentials
    assert result.code == "TOKEN_UNAUTHORIZED_CLIENT"
    assert parse_qs(responses.calls[0].request.body)["grant_type"] == ["client_credentials"]
    assert len([c for c in responses.calls if c.request.url == LOOKUP_URL]) == 0


@responses.activate
def test_token_is_cached_and_shared_by_two_clients(qa_config):
    token_ok(responses)
    responses.post(LOOKUP_URL, json=NOT_FOUND)
    a, b = BanescoClient(qa_config), BanescoClient(qa_config)
    assert a.session is not b.session
    a.lookup(MOBILE_Q)
    b.lookup(MOBILE_Q)
    b.lookup(TRANSFER_Q)
    token_calls = [c for c in responses.calls if c.request.url == TOKEN_URL]
    assert len(token_calls) == 1


@responses.activate
def test_token_cached_until_60s_before_expiry(client, monkeypatch):
    from banking import token as token_mod

    seen = {}
    real_set = token_mod.shared_cache().set

    def spy_set(key, value, timeout=None):
        seen["timeout"] = timeout
        return real_set(key, value, timeout=timeout)

    monkeypatch.setattr(token_mod.shared_cache(), "set", spy_set)
    token_ok(responses, expires_in=300)
    client.tokens.get_token()
    assert seen["timeout"] == 240


@responses.activate
def test_refresh_once_on_401_then_retry(client):
    responses.post(TOKEN_URL, json={"access_token": "old", "expires_in": 300})
    responses.post(TOKEN_URL, json={"access_token": "new", "expires_in": 300})
    responses.post(LOOKUP_URL, status=401, json={"error": "invalid_token"})
    responses.post(LOOKUP_URL, json=FOUND)
    result = client.lookup(MOBILE_Q)
    assert isinstance(result, Found)
    auths = [c.request.headers.get("Authorization") for c in responses.calls if c.request.url == LOOKUP_URL]
    assert auths == ["Bearer old", "Bearer new"]
    assert result.attempts == 1  # the refresh is not a retry


@responses.activate
def test_second_401_after_refresh_is_a_credentials_failure(client):
    token_ok(responses)
    responses.post(LOOKUP_URL, status=403, json={"error": "forbidden"})
    result = client.lookup(MOBILE_Q)
    assert isinstance(result, PermanentFailure) and result.credentials
    assert len([c for c in responses.calls if c.request.url == LOOKUP_URL]) == 2
    assert len([c for c in responses.calls if c.request.url == TOKEN_URL]) == 2


@responses.activate
def test_vrn01_refreshes_then_credentials_failure(client):
    token_ok(responses)
    responses.post(LOOKUP_URL, status=401, json={"httpStatus": {"statusCode": "VRN01", "statusDesc": "x"}})
    result = client.lookup(MOBILE_Q)
    assert isinstance(result, PermanentFailure) and result.credentials and result.code == "VRN01"


def test_secrets_and_tokens_never_logged(client, capsys, caplog):
    with responses.RequestsMock() as rsps:
        token_ok(rsps, token="super-secret-token-value")
        rsps.post(LOOKUP_URL, status=401, json={"error": "invalid_token"})
        rsps.post(
            TOKEN_URL,
            status=401,
            json={"error": "invalid_grant", "error_description": "Invalid user credentials"},
        )
        client.lookup(MOBILE_Q)
    out = capsys.readouterr()
    logged = out.out + out.err + caplog.text
    assert "invalid_grant" in logged  # the error is logged...
    assert "super-secret-token-value" not in logged and "csecret" not in logged  # ...never the secrets


# -- lookup results, retries -------------------------------------------------------------------
@responses.activate
def test_found_with_quirks(client):
    token_ok(responses)
    responses.post(
        LOOKUP_URL,
        json={
            "httpStatus": {"statusCode": 200, "statusDesc": "OK "},
            "dataResponse": {
                "transactionDetail": [
                    {
                        "referenceNumber": " 012345678901 ",
                        "amount": 150,
                        "trnType": " CR",
                        "sourceBankId": 102,
                    }
                ]
            },
        },
    )
    result = client.lookup(MOBILE_Q)
    assert isinstance(result, Found)
    assert result.rows[0].source_bank_id == "0102" and str(result.rows[0].amount) == "150"
    assert result.raw["dataResponse"]["transactionDetail"][0]["amount"] == 150  # raw kept as received


@responses.activate
@pytest.mark.parametrize("status", [200, 400])
def test_not_found_both_flavours_no_retry(client, sleeps, status):
    token_ok(responses)
    responses.post(LOOKUP_URL, json=NOT_FOUND, status=status)
    result = client.lookup(MOBILE_Q)
    assert isinstance(result, NotFound) and result.attempts == 1 and sleeps == []


@responses.activate
@pytest.mark.parametrize(
    "answer",
    [
        {"status": 500, "json": {"error": "x"}},
        {"status": 502, "body": "<html>Bad gateway</html>"},
        {"status": 503, "json": {"httpStatus": {"statusCode": "VRN04", "statusDesc": "Mantenimiento"}}},
        {"status": 503, "json": {"httpStatus": {"statusCode": "CRT503", "statusDesc": "x"}}},
        {"status": 200, "body": '{"httpStatus": {'},
        {"body": requests.ConnectTimeout("connect timeout")},
        {"body": requests.ReadTimeout("read timeout")},
        {"body": requests.ConnectionError("reset")},
    ],
)
def test_retryable_failures_are_retried_and_bounded(client, sleeps, answer):
    token_ok(responses)
    responses.post(LOOKUP_URL, **answer)
    result = client.lookup(MOBILE_Q)
    assert isinstance(result, RetryableFailure)
    assert result.attempts == 3
    assert len([c for c in responses.calls if c.request.url == LOOKUP_URL]) == 3
    assert len(sleeps) == 2 and all(0 <= s <= client.config.retry_backoff_max for s in sleeps)


@responses.activate
def test_retry_then_success(client, sleeps):
    token_ok(responses)
    responses.post(LOOKUP_URL, status=503, json={"httpStatus": {"statusCode": "VRN04"}})
    responses.post(LOOKUP_URL, json=FOUND)
    result = client.lookup(MOBILE_Q)
    assert isinstance(result, Found) and result.attempts == 2 and len(sleeps) == 1


@responses.activate
def test_retry_after_honoured_and_capped(client, sleeps):
    token_ok(responses)
    responses.post(
        LOOKUP_URL,
        status=429,
        headers={"Retry-After": "4"},
        json={"httpStatus": {"statusCode": "VRN05", "statusDesc": "Limite"}},
    )
    responses.post(
        LOOKUP_URL,
        status=429,
        headers={"Retry-After": "600"},
        json={"httpStatus": {"statusCode": "VRN05", "statusDesc": "Limite"}},
    )
    responses.post(LOOKUP_URL, json=FOUND)
    result = client.lookup(MOBILE_Q)
    assert isinstance(result, Found) and result.attempts == 3
    assert sleeps == [4.0, client.config.retry_after_cap]


@responses.activate
def test_backoff_grows_exponentially(qa_config, sleeps):
    client = BanescoClient(
        qa_config.replace(retry_attempts=5, retry_backoff_initial=1, retry_backoff_max=100),
        sleep=sleeps.append,
    )
    token_ok(responses)
    responses.post(LOOKUP_URL, status=500, json={})
    client.lookup(MOBILE_Q)
    # tenacity's wait_exponential_jitter: initial * 2**n + jitter(0..1)
    assert len(sleeps) == 4
    for n, s in enumerate(sleeps):
        assert 2**n <= s <= 2**n + 1


@responses.activate
@pytest.mark.parametrize("code", ["VDE01", "VDE02", "70005"])
def test_validation_errors_not_retried(client, sleeps, code):
    token_ok(responses)
    responses.post(LOOKUP_URL, status=400, json={"httpStatus": {"statusCode": code, "statusDesc": "x"}})
    result = client.lookup(MOBILE_Q)
    assert isinstance(result, PermanentFailure) and not result.credentials and result.attempts == 1
    assert sleeps == []


# -- circuit breaker ---------------------------------------------------------------------------
@responses.activate
def test_breaker_opens_short_circuits_half_opens_and_closes(qa_config, monkeypatch):
    now = [1000.0]
    config = qa_config.replace(retry_attempts=1, breaker_threshold=2, breaker_cooldown_seconds=30)
    client = BanescoClient(config, sleep=lambda s: None)
    client.breaker = CircuitBreaker(config, clock=lambda: now[0])
    token_ok(responses)
    down = responses.post(LOOKUP_URL, status=503, json={"httpStatus": {"statusCode": "VRN04"}})

    assert isinstance(client.lookup(MOBILE_Q), RetryableFailure)
    assert client.breaker.state() == CLOSED
    assert isinstance(client.lookup(MOBILE_Q), RetryableFailure)
    assert client.breaker.state() == OPEN
    assert isinstance(client.lookup(MOBILE_Q), ShortCircuited)
    assert down.call_count == 2  # no HTTP call while open

    now[0] += 31  # cool-down over: half-open, one trial, which fails → open again
    assert client.breaker.state() == HALF_OPEN
    assert isinstance(client.lookup(MOBILE_Q), RetryableFailure)
    assert client.breaker.state() == OPEN and down.call_count == 3

    now[0] += 31
    responses.replace(responses.POST, LOOKUP_URL, json=FOUND)
    other = CircuitBreaker(config, clock=lambda: now[0])  # another process sees the same state
    assert other.allow() is True  # takes the single half-open trial
    assert client.breaker.allow() is False  # nobody else gets one
    other.record_success()
    assert client.breaker.state() == CLOSED
    assert isinstance(client.lookup(MOBILE_Q), Found)


@responses.activate
def test_breaker_counts_consecutive_failures_only(qa_config):
    config = qa_config.replace(retry_attempts=1, breaker_threshold=2)
    client = BanescoClient(config, sleep=lambda s: None)
    token_ok(responses)
    responses.post(LOOKUP_URL, status=500, json={})
    responses.post(LOOKUP_URL, json=NOT_FOUND)
    responses.post(LOOKUP_URL, status=500, json={})
    for _ in range(3):
        client.lookup(MOBILE_Q)
    assert client.breaker.state() == CLOSED


def test_concurrent_refresh_fetches_one_token(qa_config):
    """Several threads (each its own client) need a token at once: one fetches, the others wait."""
    import threading
    import time as _time

    fetches = []

    def slow_token(request):
        fetches.append(1)
        _time.sleep(0.2)
        return (200, {}, json.dumps({"access_token": "shared", "expires_in": 300}))

    got = []
    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, TOKEN_URL, callback=slow_token)
        clients = [BanescoClient(qa_config) for _ in range(5)]
        threads = [threading.Thread(target=lambda c=c: got.append(c.tokens.get_token())) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert got == ["shared"] * 5
    assert len(fetches) == 1


@responses.activate
def test_metrics_count_lookups_and_token_refreshes(client):
    from banking import metrics

    def value(metric, **labels):
        return metric.labels(**labels)._value.get()

    before_found = value(metrics.LOOKUPS, outcome="found", code="200")
    before_token = value(metrics.TOKEN_REFRESHES, outcome="ok")
    token_ok(responses)
    responses.post(LOOKUP_URL, json=FOUND)
    client.lookup(MOBILE_Q)
    assert value(metrics.LOOKUPS, outcome="found", code="200") == before_found + 1
    assert value(metrics.TOKEN_REFRESHES, outcome="ok") == before_token + 1


# -- configuration faults are loud (issue 12) --------------------------------------------------
@responses.activate
def test_wrong_lookup_path_is_one_call_and_an_error_naming_the_setting(client, caplog):
    token_ok(responses)
    responses.post(LOOKUP_URL, body="404 No Mapping Rule matched", status=404, content_type="text/plain")
    result = client.lookup(MOBILE_Q)
    assert isinstance(result, PermanentFailure) and result.attempts == 1
    assert result.config_fault == "BANESCO_API_BASE_URL / BANESCO_LOOKUP_PATH"
    assert len([c for c in responses.calls if c.request.url == LOOKUP_URL]) == 1


@responses.activate
def test_wrong_token_path_names_the_token_settings(client):
    responses.post(TOKEN_URL, body="404 No Mapping Rule matched", status=404, content_type="text/plain")
    result = client.lookup(MOBILE_Q)
    assert isinstance(result, PermanentFailure)
    assert result.config_fault == "BANESCO_AUTH_BASE_URL / BANESCO_REALM / BANESCO_TOKEN_URL"
    assert len(responses.calls) == 1


@responses.activate
def test_unauthorized_client_names_the_grant_type(client):
    responses.post(
        TOKEN_URL,
        status=400,
        json={"error": "unauthorized_client", "error_description": "Client not enabled"},
    )
    result = client.lookup(MOBILE_Q)
    assert isinstance(result, PermanentFailure) and result.config_fault == "BANESCO_GRANT_TYPE"


@responses.activate
@pytest.mark.parametrize("status", [401, 403])
def test_401_or_403_refreshes_once_then_succeeds(client, status):
    """QA answers a stale token with 401, production with 403: one refresh, one retry."""
    token_ok(responses, "old")
    token_ok(responses, "new")
    responses.post(LOOKUP_URL, status=status, json={"error": "invalid_token"})
    responses.post(LOOKUP_URL, json=FOUND)
    result = client.lookup(MOBILE_Q)
    assert isinstance(result, Found)
    bearers = [c.request.headers.get("Authorization") for c in responses.calls if c.request.url == LOOKUP_URL]
    assert bearers == ["Bearer old", "Bearer new"]


@responses.activate
@pytest.mark.parametrize("status", [401, 403])
def test_401_or_403_after_the_refresh_is_a_credentials_fault(client, status):
    token_ok(responses, "old")
    token_ok(responses, "new")
    responses.post(LOOKUP_URL, status=status, body="Forbidden", content_type="text/plain")
    result = client.lookup(MOBILE_Q)
    assert isinstance(result, PermanentFailure)
    assert result.config_fault == "BANESCO_CLIENT_ID / BANESCO_CLIENT_SECRET"
    assert len([c for c in responses.calls if c.request.url == LOOKUP_URL]) == 2


@responses.activate
def test_reference_answered_without_leading_zeros_is_kept_as_sent(client):
    token_ok(responses)
    responses.post(
        LOOKUP_URL,
        json={
            "httpStatus": {"statusCode": 200, "statusDesc": "OK"},
            "dataResponse": {
                "transactionDetail": [{"referenceNumber": 150496, "amount": 10, "trnType": "CR"}]
            },
        },
    )
    result = client.lookup(TRANSFER_Q)
    assert isinstance(result, Found) and result.rows[0].reference == "150496"


def test_ca_bundle_is_used_and_verification_is_never_off(qa_config, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert BanescoClient(qa_config).session.verify is True
    assert BanescoClient(qa_config.replace(ca_bundle=str(bundle))).session.verify == str(bundle)
    assert qa_config.replace(ca_bundle=str(tmp_path / "missing.pem")).problems()
