"""Paired benchmark of qec-sim's exact engine against Clifft 0.12 (driver of compare_exact.sh).

Run through benches/compare_exact.sh, which builds qec-sim, makes the Clifft venv, generates the
circuits and passes them here. Per circuit: Clifft is compiled twice (default passes, and with
ActiveWidthSchedulePass added), each of the four configurations (qec-sim 1 and 2 threads, the
two Clifft programs) is calibrated to about TARGET seconds a run, then PAIRS rounds run them
alternately (the order reverses every round) and the medians are reported.

Rates are attempted shots (discarded ones included) per second of sampling wall time:
- Clifft: time.perf_counter() around sample_survivors (compile is outside the timer);
- qec-sim: shots / (CSV `seconds` / threads). The CSV column is wall time of the sampling rounds
  times the thread count, so this excludes parsing and compiling, like Clifft's timer. The
  process wall time (including startup) is logged beside it.
1-thread CPU-time rates (process_time around sample_survivors; user+sys of the whole qec-sim
process, startup included) are printed too: on a loaded machine they are steadier than wall time.
"""

import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import clifft

BATCH = 64  # shots per batch of qec-sim's exact engine (src/sweep/engine.rs)
ROTATE_BEFORE = "R_Y(-0.25)"
ROTATE_AFTER = "R_Y(0.25)"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ CH/RH -> Clifft gate set
def to_clifft(text):
    """Rewrites qec-sim's CH and RH in Clifft's gate set (R_Y(x) = exp(-i x pi Y / 2)).

    CH c t = Ry(pi/4)_t CZ Ry(-pi/4)_t, since Ry(pi/4) Z Ry(-pi/4) = (X + Z)/sqrt2 = H;
    RH q = R q then Ry(pi/4) q (|H> = cos(pi/8)|0> + sin(pi/8)|1>, src/gates.rs)."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] == "CH":
            targets = parts[1:]
            if len(targets) % 2:
                raise ValueError(f"odd CH target count: {line!r}")
            pairs = [(targets[i], targets[i + 1]) for i in range(0, len(targets), 2)]
            # Group the pairs into layers whose qubits are disjoint, so one R_Y line per layer.
            while pairs:
                used, layer, rest = set(), [], []
                for c, t in pairs:
                    if c in used or t in used:
                        rest.append((c, t))
                    else:
                        used |= {c, t}
                        layer.append((c, t))
                ts = " ".join(t for _, t in layer)
                out.append(f"{ROTATE_BEFORE} {ts}")
                out.append("CZ " + " ".join(f"{c} {t}" for c, t in layer))
                out.append(f"{ROTATE_AFTER} {ts}")
                pairs = rest
        elif parts and parts[0] == "RH":
            out.append("R " + " ".join(parts[1:]))
            out.append(f"{ROTATE_AFTER} " + " ".join(parts[1:]))
        elif parts and (parts[0].startswith("CH[") or parts[0].startswith("RH[")):
            raise ValueError(f"tagged CH/RH not handled: {line!r}")
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def check_rewrite(noiseless_files):
    """The sign of the rewrite, and deterministic detectors of the rewritten noiseless circuits."""
    # CH with control |1> maps the target |0> to H|0> = |+>: MX gives 0 every shot. With the
    # opposite rotation signs it would give |-> (MX = 1). RH then MX: P(1) = (1 - sin(pi/4))/2.
    tiny = "R 0 1\nX 1\nCH 1 0\nMX 0\nDETECTOR rec[-1]\nRH 2\nMX 2\nDETECTOR rec[-1]\n"
    r = clifft.sample(clifft.compile(to_clifft(tiny)), 20000, seed=7)
    means = r.detectors.mean(axis=0)
    expect = (1 - 2**-0.5) / 2
    ok_ch = means[0] == 0.0
    ok_rh = abs(means[1] - expect) < 5 * (expect * (1 - expect) / 20000) ** 0.5
    print(f"- rewrite sign check (Clifft, 20000 shots): CH|1,0> then MX gives 1 with frequency "
          f"{means[0]:.4f} (want 0); RH then MX gives 1 with frequency {means[1]:.4f} "
          f"(want {expect:.4f}): {'ok' if ok_ch and ok_rh else 'FAILED'}")
    ok = ok_ch and ok_rh
    for name, path in noiseless_files:
        text = to_clifft(open(path).read())
        pm = clifft.default_hir_pass_manager()
        pm.add(clifft.ActiveWidthSchedulePass())
        prog = clifft.compile(text, hir_passes=pm)
        shots = 200
        r = clifft.sample(prog, shots, seed=11)
        d = r.detectors
        varying = [i for i in range(d.shape[1]) if 0 < d[:, i].sum() < shots]
        ones = int((d[0] != 0).sum())
        status = "ok" if not varying else f"FAILED: detectors {varying[:10]} vary"
        print(f"- noiseless {name} rewritten for Clifft: {d.shape[1]} detectors constant over "
              f"{shots} shots ({ones} of them constant 1): {status}")
        ok = ok and not varying
    return ok


# ------------------------------------------------------------------ runners
class QecSim:
    """One qec-sim configuration: a command (sweep --circuits FILE, or the generated task) and
    a thread count."""

    def __init__(self, binary, argv, threads, seed, workdir):
        self.binary, self.argv, self.threads = binary, argv, threads
        self.seed = seed
        self.csv = os.path.join(workdir, f"qec_t{threads}.csv")

    def run(self, shots):
        self.seed += 1
        cmd = [self.binary, "sweep", *self.argv, "--threads", str(self.threads),
               "--max-shots", str(shots), "--seed", str(self.seed), "--out", self.csv]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            msg = (p.stderr.strip().splitlines() or ["(no message)"])[-1]
            raise RuntimeError(msg)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        rows = [l for l in open(self.csv).read().splitlines()[1:] if l.strip()]
        if len(rows) != 1:
            raise RuntimeError(f"expected one CSV row, got {len(rows)}")
        f = [x.strip() for x in rows[0].split(",")]
        n, discards, seconds = int(f[0]), int(f[2]), float(f[3])
        # The CSV has millisecond resolution; tiny calibration runs fall back to process wall.
        sample_wall = seconds / self.threads if seconds >= 0.05 else wall
        return dict(shots=n, discards=discards, rate=n / sample_wall, wall=wall,
                    sample_wall=sample_wall, cpu_rate=n / cpu, coarse=seconds < 0.05)


class Clifft:
    def __init__(self, text, num_mask, variant, seed):
        self.variant = variant
        self.seed = seed
        t0 = time.perf_counter()
        n = clifft.trace(clifft.parse(text)).num_detectors
        mask = [1] * n if num_mask is None else [1 if i < num_mask else 0 for i in range(n)]
        pm = clifft.default_hir_pass_manager()
        if variant != "default":
            pm.add(clifft.ActiveWidthSchedulePass())
        self.prog = clifft.compile(text, postselection_mask=mask, normalize_syndromes=True,
                                   hir_passes=pm)
        self.compile_seconds = time.perf_counter() - t0
        self.num_detectors = n
        self.num_postselected = sum(mask)
        self.peak_width = self.prog.peak_active_width

    def run(self, shots):
        self.seed += 1
        c0, t0 = time.process_time(), time.perf_counter()
        r = clifft.sample_survivors(self.prog, shots, seed=self.seed, keep_records=False,
                                    threads=1)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        return dict(shots=r.total_shots, discards=r.discards, rate=r.total_shots / wall,
                    wall=wall, cpu_rate=r.total_shots / max(cpu, 1e-9))


def calibrate(runner, target, start, cap):
    """Shots for a run of about `target` seconds of sampling (grows from `start`)."""
    shots = start
    while True:
        r = runner.run(shots)
        t = r.get("sample_wall", r["wall"])
        if r.get("coarse") and shots < cap:
            # Sampling took under the CSV's resolution; the process wall is mostly startup
            # (compiling), so it says nothing about the rate: grow until sampling is timed.
            shots = min(cap, shots * 8)
            continue
        if t >= target / 4 or shots >= cap:
            return max(16, min(cap, int(shots * target / max(t, 1e-6))))
        shots = min(cap, shots * max(2, int(target / 4 / max(t, 1e-6))))


# ------------------------------------------------------------------ formatting
def si(x):
    if x is None:
        return "—"
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.3g}{unit}"
    return f"{x:.3g}"


def acceptance(runs):
    n = sum(r["shots"] for r in runs)
    k = n - sum(r["discards"] for r in runs)
    a = k / n
    return a, (a * (1 - a) / n) ** 0.5, n, k


def fmt_acc(acc):
    a, se, n, k = acc
    return f"{a:.4g} ± {se:.2g} ({k}/{n})"


def main():
    cfg = json.load(open(sys.argv[1]))
    pairs, target, qec = cfg["pairs"], cfg["target_seconds"], cfg["qec_sim"]
    seed = cfg["seed"]
    work = tempfile.mkdtemp(prefix="compare_exact_", dir=cfg["bench_dir"])

    print("## qec-sim exact engine vs Clifft 0.12\n")
    print(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"- machine: {cfg['cpu']}, {os.cpu_count()} cores, load average at start "
          f"{os.getloadavg()[0]:.1f} (shared machine: other builds were running)")
    print(f"- clifft {clifft.version() if callable(getattr(clifft, 'version', None)) else '0.12'}"
          f" (CPython {platform.python_version()}), {cfg['qec_version']} (commit {cfg['commit']})")
    print(f"- medians of {pairs} paired runs per configuration, each run about {target} s of "
          "sampling; in each round qec-sim and Clifft alternate, order reversed every round")
    print("- rates: attempted shots (discards included) per second of sampling wall time; "
          "Clifft: wall clock around sample_survivors; qec-sim: shots / (CSV seconds / threads),"
          " i.e. the sampling rounds only, startup excluded for both")
    print("- postselection: every detector (Clifft: postselection_mask all ones, "
          "normalize_syndromes=True; qec-sim: --decoder postselect), unless a row says otherwise")
    ok = check_rewrite(cfg["noiseless"])
    print()
    if not ok:
        print("**the CH/RH rewrite check failed: the hadamard-prep rows compare different "
              "circuits**\n")

    results = []
    for c in cfg["circuits"]:
        name = c["name"]
        log(f"== {name}")
        qtext = open(c["file"]).read()
        ctext = to_clifft(qtext) if c.get("rewrite") else qtext
        res = dict(name=name, note="", qec_error=None, mask_note="all")
        # qec-sim: the circuit file itself; if that fails and the circuit is a generated task,
        # the same circuit through `sweep --task` (body detectors postselected, exact scoring).
        argv = ["--circuits", c["file"], "--decoder", "postselect"]
        num_mask = None
        try:
            QecSim(qec, argv, 1, seed, work).run(32)
        except RuntimeError as e:
            res["qec_error"] = str(e)
            log(f"   qec-sim --circuits: {e}")
            argv = None
            if c.get("task_argv"):
                try:
                    QecSim(qec, c["task_argv"], 1, seed, work).run(32)
                    argv = c["task_argv"]
                    num_mask = c["body_detectors"]
                    res["mask_note"] = f"first {num_mask} (body)"
                except RuntimeError as e2:
                    log(f"   qec-sim --task: {e2}")
        qecs = [QecSim(qec, argv, t, seed + 1000 * t, work) for t in (1, 2)] if argv else []
        clifts = []
        for v in ("default", "pass"):
            try:
                cl = Clifft(ctext, num_mask, v, seed + 7919 * (len(clifts) + 1))
                log(f"   clifft {v}: compiled in {cl.compile_seconds:.2f} s, "
                    f"peak active width {cl.peak_width}, {cl.num_postselected}/"
                    f"{cl.num_detectors} detectors postselected")
                clifts.append(cl)
            except Exception as e:  # a Clifft compile error is a result, not a crash
                log(f"   clifft {v}: {e}")
                res[f"clifft_{v}_error"] = str(e)
        res["widths"] = {cl.variant: cl.peak_width for cl in clifts}
        runners = [("qec1", q) for q in qecs[:1]] + [("qec2", q) for q in qecs[1:]] + \
                  [(f"clifft_{cl.variant}", cl) for cl in clifts]
        shots = {}
        for key, r in runners:
            shots[key] = calibrate(r, target, 64, cfg["max_shots"])
            log(f"   {key}: {shots[key]} shots per run")
        runs = {key: [] for key, _ in runners}
        for i in range(pairs):
            order = runners if i % 2 == 0 else runners[::-1]
            for key, r in order:
                out = r.run(shots[key])
                runs[key].append(out)
                log(f"   pair {i + 1} {key}: {out['shots']} shots, {out['rate']:.0f}/s"
                    + (f" (process wall {out['wall']:.2f} s)" if key.startswith("qec") else ""))
        res["runs"] = runs
        results.append(res)

    # ------------------------------------------------------------------ table
    print("| circuit | qec-sim 1 thr | qec-sim 2 thr | Clifft default | Clifft +pass | "
          "ratio 1 thr | ratio 2 thr | acceptance qec-sim | acceptance Clifft | z |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    cpu_rows, notes, one_batch = [], [], False
    for res in results:
        runs = res["runs"]
        med = {k: statistics.median(r["rate"] for r in v) for k, v in runs.items() if v}
        cl_keys = [k for k in ("clifft_default", "clifft_pass") if k in med]
        best = max(cl_keys, key=lambda k: med[k]) if cl_keys else None
        cl_cells = []
        for k in ("clifft_default", "clifft_pass"):
            w = res["widths"].get(k.split("_")[1])
            cell = f"{si(med[k])}/s" if k in med else "failed"
            if k == best:
                cell = f"**{cell}**"
            if w is not None:
                cell += f" (w={w})"
            cl_cells.append(cell)
        q1, q2 = med.get("qec1"), med.get("qec2")
        unsupported = "unsupported" if res["qec_error"] else "—"
        if res["qec_error"] and q1 is not None:
            q1c, q2c = f"{si(q1)}/s †", f"{si(q2)}/s †"
        elif q1 is not None:
            q1c, q2c = f"{si(q1)}/s", f"{si(q2)}/s"
        else:
            q1c = q2c = unsupported
        r1 = f"{q1 / med[best]:.3g}x" if q1 and best else "—"
        r2 = f"{q2 / med[best]:.3g}x" if q2 and best else "—"
        if runs.get("qec2") and max(r["shots"] for r in runs["qec2"]) < 2 * BATCH:
            q2c += " ‡"
            one_batch = True
        qruns = runs.get("qec1", []) + runs.get("qec2", [])
        cruns = runs.get("clifft_default", []) + runs.get("clifft_pass", [])
        qa = acceptance(qruns) if qruns else None
        ca = acceptance(cruns) if cruns else None
        z = f"{(qa[0] - ca[0]) / (qa[1] ** 2 + ca[1] ** 2) ** 0.5:+.1f}" \
            if qa and ca and (qa[1] or ca[1]) else "—"
        name = res["name"] + ("" if res["mask_note"] == "all" else f" [{res['mask_note']}]")
        print(f"| {name} | {q1c} | {q2c} | {cl_cells[0]} | {cl_cells[1]} | {r1} | {r2} | "
              f"{fmt_acc(qa) if qa else '—'} | {fmt_acc(ca) if ca else '—'} | {z} |")
        if res["qec_error"]:
            notes.append(f"- {res['name']}: `qec-sim sweep --circuits` failed: "
                         f"`{res['qec_error']}`")
        if runs.get("qec1"):
            startup = statistics.median(r["wall"] - r["sample_wall"] for r in runs["qec1"])
            notes.append(f"- {res['name']}: qec-sim startup (process wall minus sampling wall, "
                         f"1 thread, median) {startup:.2f} s")
        if best and q1:
            qc = statistics.median(r["cpu_rate"] for r in runs["qec1"])
            cc = statistics.median(r["cpu_rate"] for r in runs[best])
            share = statistics.median(1 - r["sample_wall"] / r["wall"] for r in runs["qec1"])
            warn = f" (startup is {share:.0%} of qec-sim's process: understated)" \
                if share > 0.1 else ""
            cpu_rows.append(f"| {res['name']} | {si(qc)}/s{warn} | {si(cc)}/s ({best[7:]}) | "
                            f"{qc / cc:.3g}x |")
    print("\nBold: the faster Clifft compile, against which the ratios are taken. w: Clifft's "
          "peak active width (Program.peak_active_width). z: (acceptance qec-sim - acceptance "
          "Clifft) / combined binomial standard error, pooled over every timed run.")
    if any(r["qec_error"] and r["runs"].get("qec1") for r in results):
        print("† qec-sim could not run the circuit file; the row times the same generated "
              "circuit through `qec-sim sweep --task hadamard-prep --ch-model exact --method mc` "
              "(postselection on the body detectors only, plus exact scoring of each accepted "
              "shot), and Clifft postselects the same body detectors.")
    if one_batch:
        print(f"‡ fewer than {2 * BATCH} shots per run: the exact engine hands out batches of "
              f"{BATCH} shots (EXACT_BATCH_WORDS = 1), so the second thread had no work.")
    if notes:
        print()
        print("\n".join(notes))
    if cpu_rows:
        print("\nOne thread, CPU time instead of wall time (steadier on a loaded machine; qec-sim's"
              " includes its startup):\n")
        print("| circuit | qec-sim 1 thr | Clifft best | ratio |")
        print("|---|---|---|---|")
        print("\n".join(cpu_rows))
    print(f"\n- load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
