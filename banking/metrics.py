"""Prometheus metrics of the banking layer.

Registered on the project's shared registry (config.metrics.REGISTRY), served at /metrics.
"""

from prometheus_client import Counter, Gauge, Histogram

from config.metrics import REGISTRY

LOOKUPS = Counter(
    "banesco_lookups_total",
    "Banesco confirmation look-ups by outcome and bank status code.",
    ["outcome", "code"],
    registry=REGISTRY,
)
LOOKUP_LATENCY = Histogram(
    "banesco_lookup_duration_seconds",
    "Latency of one Banesco confirmation HTTP call.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
    registry=REGISTRY,
)
TOKEN_REFRESHES = Counter(
    "banesco_token_refreshes_total",
    "Banesco OAuth2 token fetches by outcome.",
    ["outcome"],
    registry=REGISTRY,
)
BREAKER_STATE = Gauge(
    "banesco_breaker_state",
    "Circuit breaker state as last seen by this process (0 closed, 1 open, 2 half-open).",
    registry=REGISTRY,
)
RATE_LIMIT_REJECTIONS = Counter(
    "banesco_rate_limit_rejections_total",
    "Look-ups not made because a budget was exhausted (scope: global, claim, bank).",
    ["scope"],
    registry=REGISTRY,
)
VERIFICATIONS = Counter(
    "banesco_verifications_total",
    "Claim verifications by result (completed, to_review, in_progress, unknown, skipped...).",
    ["result"],
    registry=REGISTRY,
)
CONFIG_FAULTS = Counter(
    "banesco_config_faults_total",
    "Look-ups that failed on our configuration (wrong path, credentials refused, grant type...).",
    ["code"],
    registry=REGISTRY,
)
