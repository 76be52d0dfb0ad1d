"""The figures bench.qa_fanout prints at the end: per repeat the ratios of our layout to the bare one, their spread,
the issue's goals for the mode that ran (issue 15), and the JSON summary (its last line)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

from bench._qa_target import Target
from bench._server import percentile

P50_GOAL, P99_GOAL, MEMORY_GOAL = 1.2, 1.3, 1.2  # issue 15: ratios of ours to the bare server's


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def repeats_of(targets: dict[str, Target], args: argparse.Namespace, per_repeat: int,
               log: Callable[[str], None]) -> list[dict]:
    """Per repeat (2 x `per_repeat` actions on each layout): both layouts' p50/p99 and their ratios; the spread."""
    if not {"eventhub", "baseline"} <= targets.keys() or not targets["eventhub"].per_action:
        return []
    repeats = []
    for r in range(args.repeats):
        part = slice(2 * per_repeat * r, 2 * per_repeat * (r + 1))
        fig = {}
        for name, t in targets.items():
            d = sorted(x for a in t.per_action[part] for x in a)
            fig[name] = (percentile(d, 50), percentile(d, 99))
        rp = {"p50_ratio": ratio(fig["eventhub"][0], fig["baseline"][0]),
              "p99_ratio": ratio(fig["eventhub"][1], fig["baseline"][1]),
              "p50_ms": round(fig["eventhub"][0], 1), "p99_ms": round(fig["eventhub"][1], 1),
              "baseline_p50_ms": round(fig["baseline"][0], 1), "baseline_p99_ms": round(fig["baseline"][1], 1)}
        repeats.append(rp)
        log(f"repeat {r + 1}           eventhub p50 {rp['p50_ms']} / p99 {rp['p99_ms']} ms vs bare "
            f"{rp['baseline_p50_ms']} / {rp['baseline_p99_ms']} ms: p50 x{rp['p50_ratio']}, p99 x{rp['p99_ratio']}")

    def span(key: str) -> str:
        values = [r[key] for r in repeats if r[key] is not None]
        return f"{min(values)}–{max(values)}" if values else "?"

    log(f"spread             p50 ratio {span('p50_ratio')}, p99 ratio {span('p99_ratio')} over {len(repeats)} "
        f"repeats; eventhub p50 {span('p50_ms')} / p99 {span('p99_ms')} ms, bare p50 {span('baseline_p50_ms')} / "
        f"p99 {span('baseline_p99_ms')} ms")
    return repeats


def goals(args: argparse.Namespace, ours: dict, base: dict, repeats: list[dict], log: Callable[[str], None]) -> dict:
    """The issue's goals that this mode measures, each said met or not (a figure, never a pass/fail test)."""
    out: dict = {}
    lost, failed = ours.get("missing_deliveries"), ours.get("connect_failures")
    memory = ratio(ours.get("kb_per_connection"), base.get("kb_per_connection"))
    cpu = ratio(ours.get("cpu_us_per_delivery"), base.get("cpu_us_per_delivery"))
    net_cpu = ratio(ours.get("net_cpu_us_per_delivery"), base.get("net_cpu_us_per_delivery"))
    out.update(memory_ratio=memory, cpu_ratio=cpu, net_cpu_ratio=net_cpu)
    log(f"memory             eventhub {ours.get('kb_per_connection')} kB per connection vs bare "
        f"{base.get('kb_per_connection')} kB: x{memory} (goal <= x{MEMORY_GOAL})")
    log(f"cpu per delivery   eventhub {ours.get('cpu_us_per_delivery')} us vs bare "
        f"{base.get('cpu_us_per_delivery')} us: x{cpu}; net of idle {ours.get('net_cpu_us_per_delivery')} vs "
        f"{base.get('net_cpu_us_per_delivery')} us: x{net_cpu}")
    log(f"lost deliveries    eventhub {lost}, bare {base.get('missing_deliveries')}; connect failures eventhub "
        f"{failed}, bare {base.get('connect_failures')}; dropped after joining eventhub "
        f"{ours.get('dropped_after_join')}, bare {base.get('dropped_after_join')}")
    if args.processes == 1 and repeats:
        ok = all(r["p50_ratio"] is not None and r["p50_ratio"] <= P50_GOAL and r["p99_ratio"] is not None
                 and r["p99_ratio"] <= P99_GOAL for r in repeats)
        out["latency_goal_met"] = ok
        log(f"goal latency       p50 <= x{P50_GOAL} and p99 <= x{P99_GOAL} in every repeat at {args.clients} clients: "
            f"{'met' if ok else 'NOT met'}")
    if args.processes == 1:
        ok = lost == 0 and failed == 0 and memory is not None and memory <= MEMORY_GOAL
        out["hold_goal_met"] = ok
        log(f"goal hold          {args.clients} clients on one process (the issue's goal: 5,000), every delivery "
            f"arriving, memory per connection <= x{MEMORY_GOAL}: {'met' if ok else 'NOT met'}")
    else:
        p50, p99 = ratio(ours.get("p50_ms"), base.get("p50_ms")), ratio(ours.get("p99_ms"), base.get("p99_ms"))
        log(f"scale-out          {args.processes} processes + Redis, {args.clients} clients: p50 x{p50}, p99 x{p99} "
            f"(whole run), {lost} deliveries lost, {failed} connect failures")
    return out


def summary(args: argparse.Namespace, results: dict[str, dict], repeats: list[dict], judged: dict, extra: dict) -> dict:
    ours, base = results.get("eventhub", {}), results.get("baseline", {})
    keys = ("p50_ms", "p90_ms", "p99_ms", "max_ms", "connected", "connect_failures", "missing_deliveries",
            "dropped_after_join", "kb_per_connection", "rss_before_mb", "rss_after_mb", "cpu_us_per_delivery",
            "net_cpu_us_per_delivery", "client_cpu_us_per_delivery", "idle_cpu_ms_per_s", "messages", "per_process")
    out = {"clients": args.clients, "processes": args.processes, "client_procs": args.client_procs,
           "actions": args.actions, "repeats_asked": args.repeats,
           **{k: ours.get(k) for k in keys}, **{f"baseline_{k}": base.get(k) for k in keys},
           "ratio": ratio(ours.get("p99_ms"), base.get("p99_ms")), "p50_ratio": ratio(ours.get("p50_ms"),
                                                                                       base.get("p50_ms")),
           "repeats": repeats, **judged,
           "vote_storm_broadcasts_per_s": ours.get("vote_storm_broadcasts_per_s"),
           "vote_storm_broadcasts_per_s_max": ours.get("vote_storm_broadcasts_per_s_max"),
           "vote_storm_max_gap_s": ours.get("vote_storm_max_gap_s"),
           "votes_per_s": ours.get("votes_per_s"), "votes_refused": ours.get("votes_refused"),
           "server_errors": ours.get("server_errors"), "cpus": os.cpu_count(), **extra}
    return out
