"""Per-source behaviour of the estate: routine traffic per minute, plus each incident's root and symptoms."""
from __future__ import annotations

from sim import DEVICES, GROUPS, PLANS, PROFILES, REGIONS, TOPICS, UAS

NGINX_RATE = 15.0      # requests a minute at relative load 1
PATHS = [("seg", 52), ("master", 8), ("start", 7), ("heartbeat", 16), ("title", 10), ("search", 4), ("ent", 3)]


def _pick(rng, pairs):
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def _ms(rng, t0: float) -> float:
    """An instant within the minute starting at t0, to the millisecond."""
    return round(t0 + rng.random() * 60, 3)


def run(est) -> None:
    """Fills est.records minute by minute."""
    rng = est.rng
    pids = {"pg_main": 1187, "redis": 1}
    est.add("playback", est.t0 + 0.412, level=30, pid=4121, msg="m_listen", f={"port": 8080})
    est.add("redis", est.t0 + 0.101, pid=1, role="M", ch="*", text="Ready to accept connections tcp")
    jobs: list[dict] = []
    last_bgsave = est.t0
    for m in range(est.days * 1440):
        t0 = est.t0 + m * 60
        load = est.load(t0)
        inc1 = est.active("db_connection_exhaustion", t0)
        inc2 = est.active("cache_persistence_failure", t0)
        inc3 = est.active("broker_disk_full", t0)
        inc4 = est.active("manifest_publish_failure", t0)
        # ---- edge nginx + the API behind it
        for _ in range(_count(rng, NGINX_RATE * load * rng.uniform(0.85, 1.15))):
            t = _ms(rng, t0)
            nginx_request(est, t, _pick(rng, PATHS), inc1, inc2, inc4)
        # ---- postgres: slow queries (log_min_duration_statement = 100ms), checkpoints, autovacuum
        for _ in range(_count(rng, 1.1 * load + 0.2)):
            t = _ms(rng, t0)
            dur = round(100 + rng.lognormvariate(4.2, 0.9), 3)
            if inc1:
                dur = round(dur * rng.uniform(4, 12), 3)
            q = rng.choice(["SELECT t.id, t.name, t.runtime FROM titles t WHERE t.id = $1",
                            "SELECT * FROM episodes WHERE series_id = $1 ORDER BY season, number",
                            "SELECT id, name FROM titles WHERE search_vector @@ plainto_tsquery($1) LIMIT 50",
                            "UPDATE watch_progress SET position_s = $1, updated_at = now() WHERE user_id = $2 AND title_id = $3"])
            est.add("pg", t, pid=rng.randrange(20000, 32000), level="LOG", kind="duration", dur=dur,
                    text=f"duration: {dur:.3f} ms  execute <unnamed>: {q}", user=True)
        if m % 5 == 0:
            buf = rng.randrange(40, 2400)
            wr = round(buf / 100 * 0.9 + rng.random(), 3)
            est.add("pg", t0 + 0.005, pid=pids["pg_main"], level="LOG", kind="ckpt_start",
                    text="checkpoint starting: time", user=False)
            est.add("pg", t0 + 30 + round(rng.random(), 3), pid=pids["pg_main"], level="LOG", kind="ckpt_done",
                    text=(f"checkpoint complete: wrote {buf} buffers ({buf / 16384 * 100:.1f}%); 0 WAL file(s) added, "
                          f"0 removed, {rng.randrange(0, 3)} recycled; write={wr:.3f} s, sync=0.00{rng.randrange(1, 9)} s, "
                          f"total={wr + 0.01:.3f} s; sync files={rng.randrange(3, 40)}, longest=0.002 s, average=0.001 s; "
                          f"distance={buf * 8} kB, estimate={buf * 8 + 512} kB"), user=False)
        if rng.random() < 0.02:
            tbl = rng.choice(["titles", "episodes", "watch_progress", "artwork"])
            est.add("pg", _ms(rng, t0), pid=rng.randrange(20000, 32000), level="LOG", kind="autovacuum",
                    text=f'automatic vacuum of table "{{db}}.public.{tbl}": index scans: {rng.randrange(0, 2)}', user=False)
        if rng.random() < 0.012:
            est.add("pg", _ms(rng, t0), pid=rng.randrange(20000, 32000), level="ERROR", kind="timeout",
                    text="canceling statement due to statement timeout", user=True)
        if rng.random() < 0.004:
            est.add("pg", _ms(rng, t0), pid=rng.randrange(20000, 32000), level="WARNING", kind="xact",
                    text="there is no transaction in progress", user=True)
        if inc1:
            for _ in range(_count(rng, 9)):
                est.add("pg", _ms(rng, t0), pid=rng.randrange(20000, 32000), level="FATAL", kind="too_many",
                        text="sorry, too many clients already", user=True)
        # ---- redis: RDB snapshots ("save 300 100"), failing forks during INC-2
        if inc2:
            for k in range(12):
                est.add("redis", round(t0 + k * 5 + rng.random() * 0.2, 3), pid=1, role="M", ch="#",
                        text="Can't save in background: fork: Cannot allocate memory")
        elif t0 - last_bgsave >= 300 and load > 0.05:
            last_bgsave = t0
            child = rng.randrange(2000, 60000)
            t = t0 + 0.002
            changes = rng.randrange(100, 5000)
            est.add("redis", t, pid=1, role="M", ch="*", text=f"{changes} changes in 300 seconds. Saving...")
            est.add("redis", round(t + 0.004, 3), pid=1, role="M", ch="*", text=f"Background saving started by pid {child}")
            took = round(rng.uniform(0.08, 0.9), 3)
            est.add("redis", round(t + took, 3), pid=child, role="C", ch="*", text="DB saved on disk")
            est.add("redis", round(t + took + 0.001, 3), pid=child, role="C", ch="*",
                    text=f"Fork CoW for RDB: current {rng.randrange(1, 9)} MB, peak {rng.randrange(9, 20)} MB, average {rng.randrange(1, 6)} MB")
            est.add("redis", round(t + took + 0.1, 3), pid=1, role="M", ch="*", text="Background saving terminated with success")
        # ---- transcoder (klog) + kafka broker
        transcoder_minute(est, t0, jobs, inc3, inc4)
        kafka_minute(est, t0, m, inc3)


def _count(rng, rate):
    from sim import _count as c
    return c(rng, rate)


def nginx_request(est, t, kind, inc1, inc2, inc4) -> None:
    """One edge request, plus what the playback API and entitlement check log for it."""
    rng = est.rng
    ip, title = est.ip(), est.title()
    status, method, rt = 200, "GET", round(rng.lognormvariate(-3.2, 0.6), 3)
    ua = UAS[est.ipz.draw(rng) % len(UAS)]
    if kind == "seg":
        path = f"/hls/{title}/{rng.choice(PROFILES)}/seg_{rng.randrange(1, 900):05d}.ts"
        size = rng.randrange(350_000, 2_400_000)
        rt = round(rt + size / 40_000_000, 3)
        if rng.random() < 0.004:
            status, size = 404, 153
    elif kind == "master":
        path = f"/hls/{title}/master.m3u8"
        size = rng.randrange(600, 1400)
        if inc4 and rng.random() < 0.55:
            status, size = 404, 153
            est.add("playback", round(t - 0.02, 3), level=40, pid=4121, msg="m_manifest",
                    f={"titleId": title, "cdn": rng.choice(REGIONS)})
        elif rng.random() < 0.003:
            status, size = 404, 153
    elif kind == "start":
        method, path, size = "POST", "/api/v1/playback/start", rng.randrange(700, 1600)
        user = est.user()
        rt = round(rt + rng.uniform(0.03, 0.2), 3)
        if inc1 and rng.random() < 0.6:
            status, size, rt = 504, 167, round(rng.uniform(5, 15), 3)
            est.add("playback", round(t + rt - 0.01, 3), level=50, pid=4121, msg="m_catalog_fail",
                    f={"userId": user, "titleId": title}, err="timeout exceeded when trying to connect")
        elif inc2 and rng.random() < 0.45:
            status, size = 503, 197
            est.add("playback", round(t + rt - 0.005, 3), level=50, pid=4121, msg="m_session_fail",
                    f={"userId": user, "sessionId": f"s{est.next_id():07d}"},
                    err="MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.")
        else:
            entitle(est, round(t + 0.004, 3), user, title)
            if est.records["entitle"][-1]["decision"] != "allow":
                status, size = 403, 95
            else:
                startup = round(rng.lognormvariate(6.4, 0.45))
                est.add("playback", round(t + rt - 0.002, 3), level=30, pid=4121, msg="m_start",
                        f={"userId": user, "titleId": title, "cdn": rng.choices(REGIONS, [50, 25, 18, 7])[0],
                           "device": rng.choices(DEVICES, [40, 25, 20, 15])[0], "startupMs": startup})
                if rng.random() < 0.85:
                    watched = round(rng.lognormvariate(7.0, 1.0))
                    est.add("playback", round(t + watched + rng.random(), 3), level=30, pid=4121, msg="m_end",
                            f={"userId": user, "titleId": title, "watchedSec": watched,
                               "bitrateKbps": rng.choice([1800, 3200, 5800, 8000, 16000])})
    elif kind == "heartbeat":
        method, path, size = "POST", "/api/v1/playback/heartbeat", 2
        status = 204
        if inc2 and rng.random() < 0.4:
            status, size = 503, 197
        elif rng.random() < 0.02:
            est.add("playback", round(t + 0.001, 3), level=40, pid=4121, msg="m_stall",
                    f={"userId": est.user(), "device": rng.choices(DEVICES, [25, 35, 22, 18])[0],
                       "stallMs": round(rng.lognormvariate(6.8, 0.8))})
    elif kind == "title":
        path, size = f"/api/v1/catalog/titles/{title}", rng.randrange(2000, 9000)
        rt = round(rt + rng.uniform(0.01, 0.06), 3)
        if inc1 and rng.random() < 0.6:
            status, size, rt = 504, 167, round(rng.uniform(5, 15), 3)
            est.add("playback", round(t + rt - 0.01, 3), level=50, pid=4121, msg="m_catalog_fail",
                    f={"titleId": title}, err="timeout exceeded when trying to connect")
    elif kind == "search":
        q = rng.choice(["space", "crime", "kids", "nature", "comedy", "drama", "anime", "docu"])
        path, size = f"/api/v1/catalog/search?q={q}", rng.randrange(4000, 30000)
        rt = round(rt + rng.uniform(0.05, 0.3), 3)
        if inc1 and rng.random() < 0.6:
            status, size, rt = 504, 167, round(rng.uniform(5, 15), 3)
    else:
        path, size = "/api/v1/me/entitlements", rng.randrange(300, 900)
        if rng.random() < 0.01:
            status, size = 401, 61
    if status == 200 and rng.random() < 0.002:
        status, size = 500, 177
    est.add("nginx", float(int(t)), ip=ip, method=method, path=path, status=status, size=size, ua=ua, rt=rt,
            ref="-" if kind != "seg" else "https://watch.example.tv/")


def entitle(est, t, user, title) -> None:
    rng = est.rng
    plan = rng.choices(PLANS, [45, 35, 20])[0]
    region = rng.choices(REGIONS, [50, 25, 18, 7])[0]
    r = rng.random()
    decision = "deny_region" if r < 0.025 + (0.06 if region == "ap-south" else 0) else ("deny_plan" if r < 0.06 else "allow")
    est.add("entitle", t, req=f"{est.next_id():08x}", user=user, title=title, plan=plan, region=region,
            decision=decision, lat=rng.randrange(2, 40) + (15 if plan == "premium" else 0))


def transcoder_minute(est, t0, jobs, inc3, inc4) -> None:
    rng = est.rng

    def us(t):  # klog writes microseconds
        return round(t, 6)

    for _ in range(_count(rng, 1.4)):
        t = us(t0 + rng.random() * 60)
        job = {"id": f"job-{est.next_id():07d}", "title": est.title(), "profile": rng.choices(PROFILES, [20, 35, 35, 10])[0]}
        est.add("transcoder", t, level="I", where="queue.go:88", msg="k_pick",
                kv=[("jobID", job["id"], True), ("title", job["title"], True), ("profile", job["profile"], True)])
        if inc3 and rng.random() < 0.5:
            est.add("transcoder", us(t + 0.4), level="E", where="queue.go:131", msg="k_commit",
                    kv=[("jobID", job["id"], True), ("err", "kafka: client has run out of available brokers to talk to", True)])
        took = round(rng.lognormvariate(4.3, 0.6) * {"480p": 0.5, "720p": 0.8, "1080p": 1.2, "2160p": 3.0}[job["profile"]], 1)
        done = us(t + took)
        if rng.random() < 0.03:
            est.add("transcoder", done, level="E", where="worker.go:203", msg="k_fail",
                    kv=[("jobID", job["id"], True), ("title", job["title"], True), ("err", "ffmpeg exited with status 1", True)])
            continue
        if rng.random() < 0.08:
            est.add("transcoder", us(t + took / 2), level="W", where="upload.go:57", msg="k_retry",
                    kv=[("jobID", job["id"], True), ("attempt", rng.randrange(2, 4), False)])
        if est.active("manifest_publish_failure", done):
            est.add("transcoder", done, level="E", where="origin.go:77", msg="k_manifest",
                    kv=[("title", job["title"], True),
                        ("err", f"PUT https://origin.internal/manifests/{job['title']}/master.m3u8: context deadline exceeded", True)])
            continue
        est.add("transcoder", done, level="I", where="worker.go:176", msg="k_done",
                kv=[("jobID", job["id"], True), ("title", job["title"], True), ("profile", job["profile"], True),
                    ("elapsed", f"{took}s", True), ("outputBytes", int(took * rng.randrange(900_000, 2_500_000)), False)])
    if inc4:
        for _ in range(_count(rng, 4)):
            est.add("transcoder", us(t0 + rng.random() * 60), level="E", where="origin.go:77", msg="k_manifest",
                    kv=[("title", est.title(), True),
                        ("err", "PUT https://origin.internal/manifests: context deadline exceeded", True)])
    if inc3:
        for _ in range(_count(rng, 6)):
            est.add("transcoder", us(t0 + rng.random() * 60), level="W", where="consumer.go:61", msg="k_fetch",
                    kv=[("broker", "kafka-1.events:9092", True), ("err", "kafka server: Not Leader For Partition", True)])
    if (t0 // 60) % 30 == 0:
        est.add("transcoder", us(t0 + 0.000417), level="I", where="reflector.go:559", msg="k_sync",
                kv=[("items", rng.randrange(0, 40), False)])


def kafka_minute(est, t0, m, inc3) -> None:
    rng = est.rng
    if m % 10 == 0:
        est.add("kafka", t0 + 0.013, level="INFO", logger="kafka.coordinator.group.GroupMetadataManager",
                text=f"[GroupMetadataManager brokerId=1] Removed {rng.randrange(0, 3)} expired offsets in {rng.randrange(0, 4)} milliseconds.")
    if rng.random() < 0.25 * est.load(t0) + 0.02:
        topic, part = rng.choice(TOPICS), rng.randrange(0, 6)
        off = rng.randrange(1_000_000, 90_000_000)
        est.add("kafka", round(t0 + rng.random() * 60, 3), level="INFO", logger="kafka.log.LocalLog$",
                text=f"[LocalLog partition={{{topic}}}-{part}, dir=/var/lib/kafka/data] Rolled new log segment at offset {off} in {rng.randrange(1, 30)} ms.",
                topic=topic, kind="roll")
    if rng.random() < 0.004:
        g = rng.choice(GROUPS)
        est.add("kafka", round(t0 + rng.random() * 60, 3), level="INFO", logger="kafka.coordinator.group.GroupCoordinator",
                text=(f"[GroupCoordinator 1]: Preparing to rebalance group {{{g}}} in state PreparingRebalance with old "
                      f"generation {rng.randrange(10, 400)} (__consumer_offsets-{rng.randrange(0, 50)}) "
                      f"(reason: Adding new member consumer-{{{g}}}-{rng.randrange(1, 9)}-{est.next_id()} with group instance id None)"),
                group=g, kind="rebalance")
    if rng.random() < 0.003:
        est.add("kafka", round(t0 + rng.random() * 60, 3), level="WARN", logger="kafka.network.Processor",
                text=f"[SocketServer listenerType=ZK_BROKER, nodeId=1] Unexpected error from /10.4.{rng.randrange(0, 9)}.{rng.randrange(2, 250)} (channelId=10.4.0.11:9092-10.4.0.23:51012-{rng.randrange(1, 999)}); closing connection")
    if inc3:
        for _ in range(_count(rng, 5)):
            topic, part = TOPICS[0], rng.randrange(0, 6)
            est.add("kafka", round(t0 + rng.random() * 60, 3), level="ERROR", logger="kafka.server.LogDirFailureChannel",
                    text=f"Error while appending records to {{{topic}}}-{part} in dir /var/lib/kafka/data",
                    stack=["java.io.IOException: No space left on device",
                           "\tat java.base/sun.nio.ch.FileDispatcherImpl.write0(Native Method)",
                           "\tat org.apache.kafka.common.record.FileRecords.append(FileRecords.java:188)",
                           "\tat kafka.log.LogSegment.append(LogSegment.scala:160)"], kind="append_fail")
        if rng.random() < 0.3:
            est.add("kafka", round(t0 + rng.random() * 60, 3), level="WARN", logger="kafka.server.ReplicaManager",
                    text="[ReplicaManager broker=1] Stopping serving replicas in dir /var/lib/kafka/data")
        for _ in range(_count(rng, 4)):
            est.add("playback", round(t0 + rng.random() * 60, 3), level=50, pid=4121, msg="m_publish_fail",
                    f={"userId": est.user()}, err="Request Produce(key: 0, version: 7) timed out")
