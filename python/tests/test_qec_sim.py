"""The qec_sim Python package against Stim (stim==1.15.0): shapes, rates, DEMs, bad input.

Run by .ci/run after `pip install .`; deterministic (fixed seeds, binomial tolerances).
"""

import math
import pathlib

import numpy as np
import pytest
import stim

import qec_sim

DATA = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data"


def generated(task, p):
    """A Stim-generated d = 3, 3-round memory circuit with noise p on gates, resets, readout."""
    return stim.Circuit.generated(
        task,
        distance=3,
        rounds=3,
        after_clifford_depolarization=p,
        before_measure_flip_probability=p,
        after_reset_flip_probability=p,
    )


def surface_code():
    return generated("surface_code:rotated_memory_x", 0.01)


def assert_rates_agree(ours, theirs, sigmas=5.0):
    """Column means of two bool arrays agree within `sigmas` binomial standard deviations."""
    a, b = ours.mean(axis=0), theirs.mean(axis=0)
    n, m = len(ours), len(theirs)
    for k, (p, q) in enumerate(zip(a, b)):
        sd = math.sqrt(p * (1 - p) / n + q * (1 - q) / m) + 1e-9
        assert abs(p - q) <= sigmas * sd + 1e-4, f"column {k}: qec-sim {p} vs stim {q}"


@pytest.mark.parametrize("name", ["surface", "stim_115_gates", "misc_gates"])
def test_detection_rates_match_stim(name):
    if name == "surface":
        s = surface_code()
    else:
        s = stim.Circuit((DATA / f"{name}.stim").read_text())
    c = qec_sim.Circuit(str(s))
    shots = 20_000
    ours = c.compile_detector_sampler(seed=11).sample(shots, append_observables=True)
    theirs = s.compile_detector_sampler(seed=11).sample(shots, append_observables=True)
    assert ours.shape == theirs.shape
    assert_rates_agree(ours, theirs)


def test_shapes_and_dtypes_follow_stim():
    s = surface_code()
    c = qec_sim.Circuit(str(s))
    assert (c.num_qubits, c.num_detectors, c.num_observables, c.num_measurements) == (
        s.num_qubits,
        s.num_detectors,
        s.num_observables,
        s.num_measurements,
    )
    ours, theirs = c.compile_detector_sampler(seed=1), s.compile_detector_sampler(seed=1)
    for kwargs in [
        {},
        {"bit_packed": True},
        {"append_observables": True},
        {"append_observables": True, "bit_packed": True},
    ]:
        a, b = ours.sample(70, **kwargs), theirs.sample(70, **kwargs)
        assert (a.shape, a.dtype) == (b.shape, b.dtype), kwargs
    for bit_packed in [False, True]:
        a = ours.sample(70, separate_observables=True, bit_packed=bit_packed)
        b = theirs.sample(70, separate_observables=True, bit_packed=bit_packed)
        assert [(x.shape, x.dtype) for x in a] == [(x.shape, x.dtype) for x in b]
        a = c.compile_sampler(seed=2).sample(13, bit_packed=bit_packed)
        b = s.compile_sampler(seed=2).sample(13, bit_packed=bit_packed)
        assert (a.shape, a.dtype) == (b.shape, b.dtype)


def test_measurements_and_seeds():
    c = qec_sim.Circuit("H 0\nCX 0 1\nX 2\nM 0 1 2 !2")
    m = c.compile_sampler(seed=3).sample(4000)
    assert (m[:, 0] == m[:, 1]).all() and m[:, 2].all() and not m[:, 3].any()
    assert 0.45 < m[:, 0].mean() < 0.55
    again = c.compile_sampler(seed=3).sample(4000)
    assert (again == m).all()
    sampler = c.compile_sampler(seed=3)
    assert not (sampler.sample(200) == sampler.sample(200)).all()
    packed = c.compile_sampler(seed=3).sample(4000, bit_packed=True)
    assert (np.unpackbits(packed, axis=1, count=4, bitorder="little").astype(bool) == m).all()


def test_dem_matches_stim():
    for text in [str(surface_code().flattened()), (DATA / "stim_115_gates.stim").read_text()]:
        s = stim.Circuit(text)
        ours = stim.DetectorErrorModel(
            str(qec_sim.Circuit(text).detector_error_model(approximate_disjoint_errors=True))
        )
        theirs = s.detector_error_model(approximate_disjoint_errors=True)

        def errors(dem):
            out = {}
            for inst in dem.flattened():
                if inst.type == "error":
                    key = tuple(sorted(str(t) for t in inst.targets_copy()))
                    p = inst.args_copy()[0]
                    q = out.get(key, 0.0)
                    out[key] = p * (1 - q) + q * (1 - p)
            return out

        a, b = errors(ours), errors(theirs)
        assert a.keys() == b.keys()
        assert all(abs(a[k] - b[k]) <= 1e-9 * b[k] for k in a)
        assert ours.num_detectors == theirs.num_detectors


def test_printing_round_trips_stims_text():
    text = (DATA / "stim_115_gates.stim").read_text()
    assert str(qec_sim.Circuit(text)) == text


def test_exact_engine_runs_a_t_circuit():
    # H T H |0>: P(1) = sin^2(pi/8) = 0.1464...; Clifford engines cannot run it.
    c = qec_sim.Circuit("H 0\nT 0\nH 0\nM 0\nR 1\nT 1\nM 1\nDETECTOR rec[-1]")
    m = c.compile_sampler(seed=5).sample(40_000)
    p = math.sin(math.pi / 8) ** 2
    assert abs(m[:, 0].mean() - p) < 5 * math.sqrt(p * (1 - p) / 40_000)
    assert not m[:, 1].any()
    d = c.compile_detector_sampler(seed=5).sample(1000)
    assert d.shape == (1000, 1) and not d.any()


def test_bad_input_raises_value_error():
    with pytest.raises(ValueError, match=r"^circuit:2:1: unknown gate 'FOO'"):
        qec_sim.Circuit("H 0\nFOO 1")
    with pytest.raises(ValueError, match="rec"):
        qec_sim.Circuit("DETECTOR rec[-1]")
    c = qec_sim.Circuit("M 0")
    for shots in [0, -5]:
        with pytest.raises(ValueError, match="positive"):
            c.compile_sampler(seed=1).sample(shots)
    with pytest.raises(ValueError):
        c.compile_sampler(seed=1).sample(1 << 45)
    with pytest.raises(ValueError, match="bytes"):
        qec_sim.Circuit("M " + " ".join(map(str, range(1000)))).compile_sampler().sample(1 << 36)
    with pytest.raises(ValueError):
        c.compile_sampler(seed=1).sample(2.5)
    with pytest.raises(ValueError, match="non-deterministic|not deterministic|random"):
        qec_sim.Circuit("H 0\nM 0\nDETECTOR rec[-1]").compile_detector_sampler().sample(10)
    with pytest.raises(ValueError, match="NeedsApprox|approximate"):
        qec_sim.Circuit("HERALDED_ERASE(0.1) 0\nM 0\nDETECTOR rec[-1]").detector_error_model()


def rep_code():
    return generated("repetition_code:memory", 0.02)


def binomial_close(k, n, p, sigmas=5.0):
    return abs(k / n - p) <= sigmas * math.sqrt(p * (1 - p) / n) + 1e-9


def test_sinter_plugins_run_in_sinter_collect():
    sinter = pytest.importorskip("sinter")
    c = rep_code()
    ref = c.compile_detector_sampler(seed=3).sample(100_000)
    p_any = ref.any(axis=1).mean()
    p_d0 = ref[:, 0].mean()
    mask = np.packbits(np.arange(c.num_detectors) == 0, bitorder="little")
    tasks = [
        sinter.Task(circuit=c, json_metadata={"mask": False}),
        sinter.Task(circuit=c, json_metadata={"mask": True}, postselection_mask=mask),
    ]
    stats = sinter.collect(
        num_workers=1,
        tasks=tasks,
        decoders=["qec-sim-postselect", "qec-sim-lookup"],
        custom_decoders=qec_sim.sinter_samplers(),
        max_shots=20_000,
    )
    by = {(s.decoder, s.json_metadata["mask"]): s for s in stats}
    assert len(by) == 4
    for s in stats:
        assert s.shots >= 20_000
    post = by[("qec-sim-postselect", False)]
    assert binomial_close(post.discards, post.shots, p_any)
    masked = by[("qec-sim-postselect", True)]
    assert binomial_close(masked.discards, masked.shots, p_d0)
    # Lookup decoding: far fewer logical errors than kept shots with any detection event.
    look = by[("qec-sim-lookup", False)]
    assert look.errors < 0.05 * (look.shots - look.discards)


def test_sinter_color_plugin_decodes_a_color_code_memory(tmp_path):
    sinter = pytest.importorskip("sinter")
    from qec_sim._qec_sim import run_cli

    # d = 3 colour-code Z memory (flagged syndrome circuits, SI1000, p = 0.001, 3 rounds).
    # Undecoded, the observable flips in about 11% of shots; decoded about 1.5%.
    options = dict(noise="si1000", p=0.001)
    c = stim.Circuit(str(qec_sim.generate("color666", 3, task="memory-z", **options)))
    _, obs = c.compile_detector_sampler(seed=5).sample(20_000, separate_observables=True)
    raw = obs.any(axis=1).mean()
    (stat,) = sinter.collect(
        num_workers=1,
        tasks=[sinter.Task(circuit=c, json_metadata={"d": 3})],
        decoders=["qec-sim-color"],
        custom_decoders=qec_sim.sinter_samplers(),
        max_shots=20_000,
    )
    assert stat.decoder == "qec-sim-color" and stat.shots >= 20_000 and stat.discards == 0
    assert stat.errors < 0.25 * raw * stat.shots
    # The same decoder as `qec-sim sweep --decoder color` on the same task: rates agree.
    out = tmp_path / "cli.csv"
    flags = ["--task", "memory-z", "--code", "color666", "--distances", "3", "--noise", "si1000"]
    flags += ["--p", "0.001", "--decoder", "color", "--max-shots", "20000", "--seed", "1"]
    run_cli(["sweep"] + flags + ["--threads", "1", "--out", str(out)])
    (cli,) = sinter.read_stats_from_csv_files(str(out))
    assert cli.shots == 20_000 and cli.discards == 0
    pooled = (stat.errors + cli.errors) / (stat.shots + cli.shots)
    sigma = math.sqrt(pooled * (1 - pooled) * (1 / stat.shots + 1 / cli.shots))
    assert abs(stat.errors / stat.shots - cli.errors / cli.shots) <= 5 * sigma


def test_sinter_refuses_postselected_observables():
    sinter = pytest.importorskip("sinter")
    from qec_sim.sinter_plugin import QecSimSampler

    task = sinter.Task(
        circuit=rep_code(),
        postselected_observables_mask=np.array([1], dtype=np.uint8),
    )
    with pytest.raises(ValueError, match="postselected_observables_mask"):
        QecSimSampler("postselect").compiled_sampler_for_task(task)


def test_generate_and_estimate():
    c = qec_sim.generate("color666", 3, task="memory-z", noise="si1000", p=0.001)
    assert (c.num_qubits, c.num_observables) == (13, 1) and c.num_detectors > 0
    d = c.compile_detector_sampler(seed=1).sample(100)
    assert d.shape == (100, c.num_detectors)
    with pytest.raises(ValueError, match="distance"):
        qec_sim.generate("color666", 4, task="memory-z")
    with pytest.raises(ValueError, match="nope"):
        qec_sim.generate("nope", 3, task="memory-z")
    report = qec_sim.estimate(
        stats=str(DATA / "hprep_synthetic.csv"), p=1e-3, target=1e-6, targets=1e-6
    )
    assert report["tool"].startswith("qec-sim") and "fits" in report


def test_sinter_runs_the_exact_engine_and_the_protocol_decoder():
    sinter = pytest.importorskip("sinter")
    # A T gate (exact engine) given as qec-sim text; the stim.Circuit stands in for sinter.
    text = "R 0\nT 0\nX_ERROR(0.1) 0\nM 0\nDETECTOR rec[-1]\n"
    stand_in = stim.Circuit(text.replace("T 0\n", ""))
    prep = qec_sim.generate(
        "color666",
        3,
        task="hadamard-prep",
        layout="redundant-ghz",
        ch_model="proxy",
        noise="uniform",
        p=0.002,
    )
    tasks = [
        sinter.Task(circuit=stand_in, json_metadata={"qec_sim_circuit": text}),
        sinter.Task(circuit=stim.Circuit(str(prep)), json_metadata={"task": "prep"}),
    ]

    def collect(task, decoder):
        (stat,) = sinter.collect(
            num_workers=1,
            tasks=[task],
            decoders=[decoder],
            custom_decoders=qec_sim.sinter_samplers(),
            max_shots=4000,
        )
        return stat

    exact = collect(tasks[0], "qec-sim-postselect")
    assert binomial_close(exact.discards, exact.shots, 0.1)
    protocol = collect(tasks[1], "qec-sim-hadamard-prep")
    assert protocol.shots >= 4000 and protocol.discards > 0
    from qec_sim.sinter_plugin import QecSimSampler

    with pytest.raises(ValueError, match="scoring-tail"):
        QecSimSampler("hadamard-prep").compiled_sampler_for_task(tasks[0])
