"""Rename tables for the estate: K=0 is the canonical estate, K>=1 renames what the application chooses.

Why a table and not random words: the renamed estate must be the same records under other names, so the
benchmark can tell a tool that learned the data from one that learned the words.
"""
from __future__ import annotations

# canonical key -> (folder, file name) per rename variant
SOURCES = {
    0: {"nginx": ("edge-nginx", "access.log"), "playback": ("playback-api", "playback.log"),
        "pg": ("catalog-db", "postgresql.log"), "redis": ("session-cache", "redis.log"),
        "transcoder": ("transcoder", "transcoder.log"), "kafka": ("events-kafka", "server.log"),
        "entitle": ("entitlements", "entitlements.csv")},
    1: {"nginx": ("front-proxy", "proxy_access.log"), "playback": ("stream-gateway", "gateway.log"),
        "pg": ("metadata-db", "postgresql-main.log"), "redis": ("state-store", "redis-server.log"),
        "transcoder": ("encoder", "encoder.log"), "kafka": ("bus-broker", "broker.log"),
        "entitle": ("rights-audit", "rights.csv")},
}

# application-chosen words: JSON / key=value / CSV field names, categorical values, message wording
WORDS = {
    0: {
        # pino keys
        "userId": "userId", "titleId": "titleId", "cdn": "cdn", "device": "device", "startupMs": "startupMs",
        "watchedSec": "watchedSec", "bitrateKbps": "bitrateKbps", "stallMs": "stallMs", "sessionId": "sessionId",
        # klog keys
        "jobID": "jobID", "title": "title", "profile": "profile", "elapsed": "elapsed", "outputBytes": "outputBytes",
        "broker": "broker", "attempt": "attempt",
        # csv header
        "csv_header": ["timestamp", "request_id", "user_id", "title_id", "plan", "region", "decision", "latency_ms"],
        # categorical values
        "regions": ["eu-west", "eu-central", "us-east", "ap-south"],
        "devices": ["tv", "web", "android", "ios"],
        "plans": ["basic", "standard", "premium"],
        "decisions": ["allow", "deny_region", "deny_plan"],
        "profiles": ["480p", "720p", "1080p", "2160p"],
        "topics": ["playback-events", "transcode-jobs"],
        "groups": ["transcoder-workers", "analytics-sink"],
        "pg_user": "catalog_app", "pg_db": "catalog", "host": "playback-api-6d8f7c9b5-x2kqp",
        # messages (pino)
        "m_start": "playback session started", "m_end": "playback session ended",
        "m_stall": "rebuffering reported by client", "m_catalog_fail": "catalog lookup failed",
        "m_session_fail": "session store write failed", "m_publish_fail": "failed to publish view event",
        "m_manifest": "manifest not available for title", "m_listen": "server listening",
        # messages (klog)
        "k_pick": "Picked up transcode job", "k_done": "Transcode job finished", "k_fail": "Transcode job failed",
        "k_retry": "Segment upload slow, retrying", "k_manifest": "Failed to publish manifest to origin",
        "k_fetch": "Fetch from broker failed, retrying", "k_commit": "Failed to commit job offset",
        "k_sync": "Synced work queue",
    },
    1: {
        "userId": "uid", "titleId": "contentId", "cdn": "edgeRegion", "device": "clientType", "startupMs": "ttffMs",
        "watchedSec": "viewSeconds", "bitrateKbps": "avgKbps", "stallMs": "bufferMs", "sessionId": "sid",
        "jobID": "task", "title": "asset", "profile": "ladder", "elapsed": "took", "outputBytes": "bytesOut",
        "broker": "bootstrap", "attempt": "try",
        "csv_header": ["ts", "req", "account", "asset", "tier", "geo", "verdict", "check_ms"],
        "regions": ["emea-1", "emea-2", "amer-1", "apac-1"],
        "devices": ["smart-tv", "browser", "droid", "iphone"],
        "plans": ["starter", "plus", "ultra"],
        "decisions": ["granted", "geo_blocked", "tier_blocked"],
        "profiles": ["sd", "hd", "fhd", "uhd"],
        "topics": ["view-stream", "encode-tasks"],
        "groups": ["encoder-pool", "warehouse-loader"],
        "pg_user": "meta_svc", "pg_db": "metadata", "host": "stream-gateway-7f5c8d9b4-q9zlm",
        "m_start": "viewer began streaming", "m_end": "viewer stopped streaming",
        "m_stall": "client stall event", "m_catalog_fail": "metadata fetch errored",
        "m_session_fail": "could not persist stream state", "m_publish_fail": "view event not delivered",
        "m_manifest": "no playlist yet for asset", "m_listen": "http listener ready",
        "k_pick": "Claimed encode task", "k_done": "Encode task complete", "k_fail": "Encode task errored",
        "k_retry": "Chunk push slow, trying again", "k_manifest": "Playlist push to origin failed",
        "k_fetch": "Broker poll errored, backing off", "k_commit": "Could not commit task offset",
        "k_sync": "Work queue resynced",
    },
}


def variant(k: int) -> tuple[dict, dict]:
    """The (sources, words) tables of rename variant k (unknown k folds onto the known ones)."""
    k = k % len(SOURCES)
    return SOURCES[k], WORDS[k]
