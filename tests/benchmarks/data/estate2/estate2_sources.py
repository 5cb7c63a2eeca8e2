"""Per-source record builders and line renderers of estate 2 (see generate.py).

Why split out: generate.py keeps the estate's plan (sources, incidents, files); this module
holds what each piece of software writes, one builder (called once per minute) and one
renderer per source, so each format can be read and checked on its own.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from typing import Any

from generate import MON, diurnal, pick, poisson

Rec = dict[str, Any]


def _wk(t: datetime, weekend: float) -> float:
    return weekend if t.weekday() >= 5 else 1.0


def _h(t: datetime) -> float:
    return t.hour + t.minute / 60


# ---------------------------------------------------------------- HAProxy
ROUTES = [("shp_get", 15), ("shp_create", 6), ("label", 5), ("eta", 6), ("token", 3), ("track", 8), ("static", 4)]
STATUS = {
    "tel_batch": [(202, 975), (400, 20), (413, 5)], "tel_pos": [(200, 97), (404, 3)],
    "shp_get": [(200, 940), (404, 58), (500, 2)], "shp_create": [(201, 96), (400, 3), (409, 1)],
    "label": [(201, 985), (422, 15)], "eta": [(200, 99), (404, 1)], "token": [(200, 85), (401, 15)],
    "track": [(200, 97), (404, 3)], "static": [(200, 60), (304, 40)],
}


def _http(est: Any, t: datetime, route: str, ip: str) -> None:
    rng = est.rng
    inc = est.active(t)
    be, srvs = ("be_telemetry", ["tel1", "tel2", "tel3", "tel4"]) if route.startswith("tel") else \
        ("be_portal", ["web1", "web2"]) if route in ("track", "static") else ("be_dispatch", ["dsp1", "dsp2", "dsp3"])
    srv = rng.choice(srvs)
    shp = est.shipment()
    method, path = {
        "tel_batch": ("POST", "/v2/telemetry/batch"),
        "tel_pos": ("GET", f"/v2/vehicles/{pick(rng, est.vehicle_table)}/position"),
        "shp_get": ("GET", f"/api/v1/shipments/{shp}"),
        "shp_create": ("POST", "/api/v1/shipments"),
        "label": ("POST", f"/api/v1/shipments/{shp}/label"),
        "eta": ("GET", f"/api/v1/routes/RT-{rng.randint(4000, 4899)}/eta"),
        "token": ("POST", "/api/v1/auth/token"),
        "track": ("GET", f"/track/{shp}"),
        "static": ("GET", "/static/" + pick(rng, [("app.js", 5), ("app.css", 3), ("logo.svg", 2)])),
    }[route]
    status = pick(rng, STATUS[route])
    tq, tw, tc = rng.randint(0, 2), 0, rng.randint(0, 2)
    tr = int(rng.lognormvariate(3.0 if be != "be_dispatch" else 3.6, 0.6))
    term = "----"
    size = {"tel_batch": rng.randint(92, 140), "tel_pos": rng.randint(300, 420), "shp_get": rng.randint(800, 2600),
            "shp_create": rng.randint(400, 700), "label": rng.randint(20000, 90000), "eta": rng.randint(200, 320),
            "token": 640, "track": rng.randint(4000, 9000), "static": rng.randint(3000, 180000)}[route]
    if status == 304:
        size = 0
    elif status >= 400:
        size = rng.randint(150, 260)
    if inc == "db_disk_full" and route in ("shp_create", "label") and rng.random() < 0.85:
        status, tr, size, term = 504, -1, 198, "sH--"
    elif inc == "db_pool_exhausted" and be == "be_dispatch" and route != "token" and rng.random() < 0.7:
        status, tr, size = 503, 30000 + rng.randint(2, 90), 212
    elif inc == "broker_memory_alarm" and route == "tel_batch" and rng.random() < 0.45:
        status, tr, size = 503, 5000 + rng.randint(1, 40), 188
    elif inc == "fd_exhaustion" and be == "be_telemetry" and rng.random() < 0.7:
        # three of four servers are DOWN; the last one's queue times out
        status, srv, tw, tc, tr, size, term = 503, "tel3", 1000 + rng.randint(0, 40), -1, -1, 217, "sQ--"
    ta = tq + max(tw, 0) + max(tc, 0) + max(tr, 0) + rng.randint(0, 2)
    if tr == -1 and status == 504:
        ta = 30000 + rng.randint(1, 30)
    load = int(40 * diurnal(_h(t)))
    est.add("haproxy", est.at(t), "http", None, ip=ip, port=rng.randint(1024, 65535), fe="fe_api~", be=be, srv=srv,
            tq=tq, tw=tw, tc=tc, tr=tr, ta=ta, status=status, bytes=size, term=term,
            conns=f"{load + rng.randint(0, 9)}/{load + rng.randint(0, 5)}/{max(1, load // 3)}/{rng.randint(0, 4)}/0",
            method=method, path=path)


def haproxy(est: Any, t: datetime) -> None:
    rng = est.rng
    for _ in range(poisson(rng, 5.0 * diurnal(_h(t), 13, 6, 0.2) * _wk(t, 0.8))):
        _http(est, t, "tel_batch" if rng.random() < 0.85 else "tel_pos", pick(rng, est.device_ips))
    for _ in range(poisson(rng, 6.0 * diurnal(_h(t)) * _wk(t, 0.55))):
        _http(est, t, pick(rng, ROUTES), pick(rng, est.client_ips))


def r_haproxy(r: Rec) -> str:
    t = r["ts"]
    head = f"{MON[t.month - 1]} {t.day:2d} {t:%H:%M:%S} lb01 haproxy[2314]: "
    if r["ev"] == "health":
        return head + r["text"]
    acc = f"{t:%d}/{MON[t.month - 1]}/{t:%Y:%H:%M:%S}.{t.microsecond // 1000:03d}"
    return (head + f"{r['ip']}:{r['port']} [{acc}] {r['fe']} {r['be']}/{r['srv']} "
            f"{r['tq']}/{r['tw']}/{r['tc']}/{r['tr']}/{r['ta']} {r['status']} {r['bytes']} - - {r['term']} "
            f"{r['conns']} 0/0 \"{r['method']} {r['path']} HTTP/1.1\"")


# ---------------------------------------------------------------- telemetry-ingest (zap)
REJECT = [("stale_timestamp", 50), ("checksum_mismatch", 30), ("unknown_device", 12), ("payload_too_large", 8)]


def telemetry(est: Any, t: datetime) -> None:
    rng = est.rng
    inc = est.active(t)
    lam = 7.5 * diurnal(_h(t), 13, 6, 0.2) * _wk(t, 0.8) * (0.3 if inc == "fd_exhaustion" else 1.0)
    for _ in range(poisson(rng, lam)):
        v = pick(rng, est.vehicle_table)
        dev, region, fw = est.vehicles[v]
        ts = est.at(t)
        if rng.random() < 0.022:
            est.add("telemetry", ts, "rejected", "warn", logger="ingest", caller="ingest/batch.go:97",
                    msg="batch rejected", vehicle_id=v, device=dev, region=region, reason=pick(rng, REJECT))
            continue
        if inc == "broker_memory_alarm" and rng.random() < 0.6:
            est.add("telemetry", ts, "publish_failed", "error", logger="ingest.amqp", caller="ingest/publish.go:63",
                    msg="publish failed", vehicle_id=v, exchange="telemetry.points",
                    error="amqp: publish timed out after 5000ms (connection blocked: low on memory)")
            continue
        lo, hi = {"tcu-x3": (20, 60), "obd-lite": (5, 30), "cam-dash": (1, 8), "trailer-tag": (1, 6)}[dev]
        pts = rng.randint(lo, hi)
        per = rng.randint(9000, 30000) if dev == "cam-dash" else rng.randint(96, 140)
        lat = round(rng.lognormvariate(2.4, 0.5) * (3 if dev == "cam-dash" else 1), 1)
        est.add("telemetry", ts, "accepted", "info", logger="ingest", caller="ingest/batch.go:142",
                msg="batch accepted", vehicle_id=v, device=dev, region=region, fw=fw, points=pts,
                bytes=pts * per, latency_ms=lat)
        if rng.random() < 0.006:
            est.add("telemetry", ts + timedelta(milliseconds=1), "skew", "warn", logger="ingest",
                    caller="ingest/clock.go:31", msg="clock skew detected", vehicle_id=v, skew_s=rng.randint(30, 900))
    if rng.random() < 0.2:
        est.add("telemetry", est.at(t), "spool", "info", logger="ingest.spool", caller="spool/flush.go:55",
                msg="spool flushed", files=rng.randint(1, 12), bytes=rng.randint(200_000, 9_000_000))
    if inc == "fd_exhaustion":
        for _ in range(rng.randint(6, 10)):
            est.add("telemetry", est.at(t), "accept_error", "error", logger="stdlog", caller="http/server.go:3289",
                    msg="http: Accept error: accept tcp [::]:8080: accept4: too many open files; retrying in 1s")


def r_telemetry(r: Rec) -> str:
    t = r["ts"]
    skip = {"ts", "src", "ev", "level", "logger", "caller", "msg"}
    obj = {"level": r["level"], "ts": f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}Z",
           "logger": r["logger"], "caller": r["caller"], "msg": r["msg"]}
    obj.update({k: v for k, v in r.items() if k not in skip})
    return json.dumps(obj, separators=(",", ":"))


# ---------------------------------------------------------------- dispatch-service (logback)
LEVELS = [("standard", 55), ("express", 25), ("economy", 15), ("same_day", 5)]
DEST = [("DE", 35), ("NL", 15), ("FR", 14), ("PL", 10), ("BE", 8), ("AT", 6), ("IT", 6), ("ES", 6)]
CARRIERS = [("dhl", 40), ("dpd", 22), ("ups", 18), ("gls", 12), ("postnl", 8)]
TIMEOUT = "com.mysql.cj.jdbc.exceptions.MySQLTimeoutException: Statement cancelled due to timeout or client request"
POOL = ("java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, "
        "request timed out after 30000ms.")


def _d(est: Any, ts: datetime, ev: str, level: str, thread: str, logger: str, text: str, **f: Any) -> None:
    est.add("dispatch", ts, ev, level, thread=thread, logger=logger, text=text, **f)


def dispatch(est: Any, t: datetime) -> None:
    rng = est.rng
    inc = est.active(t)
    api = "c.f.d.api.ShipmentController"
    for _ in range(poisson(rng, 7.5 * diurnal(_h(t), 13.5, 4) * _wk(t, 0.5))):
        ts, th = est.at(t), f"http-nio-8080-exec-{rng.randint(1, 40)}"
        kind = pick(rng, [("create", 30), ("label", 25), ("eta", 35), ("stale", 4), ("slow", 2), ("render", 0.5)])
        if inc == "db_pool_exhausted" and kind in ("create", "label", "eta") and rng.random() < 0.75:
            path = {"create": "/api/v1/shipments", "label": f"/api/v1/shipments/{est.shipment()}/label",
                    "eta": f"/api/v1/routes/RT-{rng.randint(4000, 4899)}/eta"}[kind]
            _d(est, ts, "pool_error", "ERROR", th, "c.f.d.api.ApiExceptionHandler", f"Request failed path={path}: {POOL}")
        elif kind == "create":
            cust, lvl, dest = pick(rng, est.customers), pick(rng, LEVELS), pick(rng, DEST)
            if inc == "db_disk_full" and rng.random() < 0.85:
                _d(est, ts, "persist_error", "ERROR", th, api, f"Failed to persist shipment customer={cust}: {TIMEOUT}",
                   customer=cust)
                continue
            est.next_shipment += rng.randint(1, 3)
            sid = f"SHP-{est.next_shipment}"
            est.recent.append(sid)
            w = int(rng.lognormvariate(7.3, 0.9))
            _d(est, ts, "created", "INFO", th, api,
               f"Shipment created id={sid} customer={cust} service_level={lvl} weight_g={w} dest={dest}",
               id=sid, customer=cust, service_level=lvl, weight_g=w, dest=dest)
        elif kind == "label":
            sid, car = est.shipment(), pick(rng, CARRIERS)
            th = f"label-worker-{rng.randint(1, 4)}"
            if inc == "db_disk_full" and rng.random() < 0.85:
                _d(est, ts, "label_store_error", "ERROR", th, "c.f.d.label.LabelService",
                   f"Failed to store label shipment={sid} carrier={car}: {TIMEOUT}", carrier=car)
                continue
            dur = int(rng.lognormvariate(4.4 if car != "ups" else 5.0, 0.45))
            pages = pick(rng, [(1, 90), (2, 9), (3, 1)])
            _d(est, ts, "label", "INFO", th, "c.f.d.label.LabelService",
               f"Label generated shipment={sid} carrier={car} format=zpl pages={pages} duration_ms={dur}",
               shipment=sid, carrier=car, pages=pages, duration_ms=dur)
        elif kind == "eta":
            v, route = pick(rng, est.vehicle_table), f"RT-{rng.randint(4000, 4899)}"
            if inc == "fd_exhaustion" and rng.random() < 0.8:
                _d(est, ts, "position_error", "ERROR", th, "c.f.d.eta.EtaService",
                   f"Position lookup failed vehicle={v}: I/O error on GET request for "
                   f"\"http://telemetry-ingest:8080/v1/positions/{v}\": Connect timed out", vehicle=v)
                continue
            stops, dur = rng.randint(3, 28), int(rng.lognormvariate(3.1, 0.5))
            _d(est, ts, "eta", "INFO", th, "c.f.d.eta.EtaService",
               f"ETA computed route={route} vehicle={v} stops={stops} eta_min={rng.randint(4, 180)} duration_ms={dur}",
               route=route, vehicle=v, stops=stops, duration_ms=dur)
        elif kind == "stale":
            v, age = pick(rng, est.vehicle_table), rng.randint(300, 3600)
            _d(est, ts, "stale", "WARN", th, "c.f.d.eta.EtaService", f"Vehicle position stale vehicle={v} age_s={age}",
               vehicle=v, age_s=age)
        elif kind == "slow":
            car = pick(rng, [("ups", 50), ("dhl", 25), ("dpd", 15), ("gls", 10)])
            _d(est, ts, "carrier_slow", "WARN", f"label-worker-{rng.randint(1, 4)}", "c.f.d.label.CarrierClient",
               f"Carrier API slow carrier={car} endpoint=/labels duration_ms={rng.randint(3000, 9000)}", carrier=car)
        else:
            sid, car = est.shipment(), pick(rng, CARRIERS)
            why = pick(rng, [("address_unverifiable", 60), ("weight_limit_exceeded", 25), ("unsupported_destination", 15)])
            _d(est, ts, "render_error", "ERROR", f"label-worker-{rng.randint(1, 4)}", "c.f.d.label.LabelService",
               f"Label rendering failed shipment={sid} carrier={car} reason={why}", carrier=car, reason=why)
    if t.minute % 15 == 0:
        _d(est, t + timedelta(milliseconds=rng.randint(5, 900)), "plan", "INFO", "scheduling-1", "c.f.d.plan.RoutePlanner",
           f"Route plan refreshed routes={rng.randint(80, 140)} vehicles={rng.randint(350, 600)} "
           f"duration_ms={rng.randint(400, 2500)}")


def r_dispatch(r: Rec) -> str:
    t = r["ts"]
    return (f"{t:%Y-%m-%d %H:%M:%S}.{t.microsecond // 1000:03d} [{r['thread']}] {r['level']:<5} "
            f"{r['logger']} - {r['text']}")


from estate2_more import RENDER_MORE, SOURCE_MORE, incident_edges  # noqa: E402

SOURCE_BUILDERS = [haproxy, telemetry, dispatch, *SOURCE_MORE]
RENDER = {"haproxy": r_haproxy, "telemetry": r_telemetry, "dispatch": r_dispatch, **RENDER_MORE}
__all__ = ["SOURCE_BUILDERS", "RENDER", "incident_edges"]
