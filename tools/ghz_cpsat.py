"""Shortest GHZ network of the global Hadamard measurement, by CP-SAT (issue 12).

Exact for a given measurement step M (the measurement then takes M + 1 time steps): either a
network that fits, or a proof (INFEASIBLE) that none does on the candidate couplings.
The problem comes from `cargo run --release --example dump_ghz_problem -- D` (candidate
couplings and touching ancillas of the plain redundant layout, `layout::ghz::problem`).

Model (the one `layout::ghz::check` accepts, with --undo same): one root, reset in |+> at step 0
and measured at M; every other member joins by a CX from a member that joined earlier and is
undone by a CX (from the same parent with --undo same, from any member still in the state with
--undo free) after all its own gates, or, with --leaf-x, a member that entangles no other may
instead be measured in X at any step after its gates, up to M (its outcome joins the root's; a
leaf's X error only spoils its own CHs, so it needs no flag); every data qubit gets one CH from an ancilla touching it,
inside that ancilla's window; one gate per qubit per step; at most --max-inter inter-face
couplings per ancilla. Objectives (among networks of that M): fewest members, earliest or latest
CHs, or "spread" (fewest CHs in the busiest step, then fewest members).

    python tools/ghz_cpsat.py PROBLEM.json --measure 12 --objective spread > net.json
    python tools/ghz_cpsat.py PROBLEM.json --measure 7 --leaf-x > net.json   (adds "read_x")
Needs `pip install ortools` (9.x).
"""
import argparse
import json
import sys

from ortools.sat.python import cp_model


def solve(prob, M, max_inter, seconds, free_undo, objective, seed, workers, leaf_x=False):
    n, nd = prob["n"], prob["data"]
    adj, touch = prob["adj"], prob["touch"]
    anc = range(nd, n)
    m = cp_model.CpModel()
    T = range(1, M)
    root = {a: m.NewBoolVar(f"r{a}") for a in anc}
    m.AddExactlyOne(root.values())
    mem = {a: m.NewBoolVar(f"m{a}") for a in anc}
    J = {a: m.NewIntVar(0, M, f"J{a}") for a in anc}
    U = {a: m.NewIntVar(0, M, f"U{a}") for a in anc}
    send, undo, enc, unc = {}, {}, {}, {}
    for a in anc:
        for b, _ in adj[a]:
            enc[a, b] = m.NewBoolVar("")
            for t in T:
                send[a, b, t] = m.NewBoolVar("")
                undo[a, b, t] = m.NewBoolVar("")
            m.Add(sum(send[a, b, t] for t in T) == enc[a, b])
            unc[a, b] = m.NewBoolVar("")
            if not free_undo:
                m.AddImplication(unc[a, b], enc[a, b])
            m.Add(sum(undo[a, b, t] for t in T) == unc[a, b])
            m.Add(J[b] == sum(t * send[a, b, t] for t in T)).OnlyEnforceIf(enc[a, b])
            m.Add(U[b] == sum(t * undo[a, b, t] for t in T)).OnlyEnforceIf(unc[a, b])
            m.AddImplication(enc[a, b], mem[a])
            m.AddImplication(unc[a, b], mem[a])
    lx = {}
    for b in anc:
        lx[b] = m.NewBoolVar(f"x{b}")
        if not leaf_x:
            m.Add(lx[b] == 0)
        for c, _ in adj[b]:
            m.AddImplication(lx[b], enc[b, c].Not())
        m.Add(sum(enc[a, b] for a, _ in adj[b]) + root[b] == mem[b])
        m.Add(sum(unc[a, b] for a, _ in adj[b]) + root[b] + lx[b] == mem[b])
        m.Add(root[b] + lx[b] <= 1)
        m.Add(J[b] == 0).OnlyEnforceIf(root[b])
        m.Add(U[b] == M).OnlyEnforceIf(root[b])
        m.Add(J[b] < U[b]).OnlyEnforceIf(mem[b])
    ch = {}
    for q in range(nd):
        for a in touch[q]:
            for t in T:
                ch[a, q, t] = m.NewBoolVar("")
        m.AddExactlyOne(ch[a, q, t] for a in touch[q] for t in T)
    chs_of = {a: [] for a in anc}
    for (a, q, t), v in ch.items():
        chs_of[a].append((t, v))
    for a in anc:
        for t in T:
            mine = [send[a, b, t] for b, _ in adj[a]] + [undo[a, b, t] for b, _ in adj[a]]
            mine += [v for tt, v in chs_of[a] if tt == t]
            joined = [send[b, a, t] for b, _ in adj[a]] + [undo[b, a, t] for b, _ in adj[a]]
            m.Add(sum(mine + joined) <= 1)
            act = m.NewBoolVar("")
            m.Add(sum(mine) == act)
            m.Add(J[a] < t).OnlyEnforceIf(act)
            m.Add(U[a] > t).OnlyEnforceIf(act)
            m.AddImplication(act, mem[a])
        used = []
        for b, inter in adj[a]:
            if inter:
                u = m.NewBoolVar("")
                m.AddMaxEquality(u, [enc[a, b], enc[b, a], unc[a, b], unc[b, a]])
                used.append(u)
        m.Add(sum(used) <= max_inter)
    members = sum(mem.values())
    chtime = sum(t * v for (_, _, t), v in ch.items())
    if objective == "members":
        m.Minimize(members)
    elif objective == "early":
        m.Minimize(chtime)
    elif objective == "late":
        m.Maximize(chtime)
    else:
        peak = m.NewIntVar(0, nd, "peak")
        for t in T:
            m.Add(sum(v for (_, _, tt), v in ch.items() if tt == t) <= peak)
        m.Minimize(peak * 1000 + members)
    s = cp_model.CpSolver()
    s.parameters.max_time_in_seconds = seconds
    s.parameters.num_workers = workers
    s.parameters.random_seed = seed
    status = s.Solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return s.StatusName(status), None
    r = next(a for a in anc if s.Value(root[a]))
    tree, read_x = [], []
    for (a, b), v in enc.items():
        if s.Value(v):
            t = next(t for t in T if s.Value(send[a, b, t]))
            if s.Value(lx[b]):
                tree.append([a, b, t, s.Value(U[b])])
                read_x.append(b)
                continue
            x, u = next((x, t) for x, _ in adj[b] for t in T if s.Value(undo[x, b, t]))
            tree.append([a, b, t, u] + ([] if x == a else [x]))
    tree.sort(key=lambda e: (e[2], e[0], e[1]))
    chs = [next([a, t] for a in touch[q] for t in T if s.Value(ch[a, q, t])) for q in range(nd)]
    net = {"root": r, "measure": M, "tree": tree, "ch": chs}
    if leaf_x:
        net["read_x"] = sorted(read_x)
    return s.StatusName(status), net


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("problem")
    ap.add_argument("--measure", type=int, required=True, help="measurement step M (depth M+1)")
    ap.add_argument("--max-inter", type=int, default=2)
    ap.add_argument("--undo", choices=["same", "free"], default="same")
    ap.add_argument("--objective", choices=["members", "early", "late", "spread"], default="spread")
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--leaf-x", action="store_true",
                    help="a member that sends no CX may leave by an X measurement at step U")
    a = ap.parse_args()
    prob = json.load(open(a.problem))
    status, net = solve(prob, a.measure, a.max_inter, a.seconds, a.undo == "free",
                        a.objective, a.seed, a.workers, a.leaf_x)
    print(status, file=sys.stderr)
    if net is None:
        sys.exit(1)
    print(json.dumps(net))


if __name__ == "__main__":
    main()
