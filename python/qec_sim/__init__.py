"""qec_sim: Stim-format circuits sampled by qec-sim, with Stim's Python shapes.

Switching a script from Stim is meant to be one line (``import qec_sim as stim`` for the parts
below)::

    c = qec_sim.Circuit(text)
    dets, obs = c.compile_detector_sampler(seed=5).sample(10_000, separate_observables=True)
    meas = c.compile_sampler(seed=5).sample(100)
    dem = c.detector_error_model()

Circuits with non-Clifford gates (``T``, ``CH``, ``RH``, ``R_Z(0.25)`` ...) are sampled by the
exact engine, transparently. Errors raise ``ValueError`` with the CLI's one-line message.
"""

import json as _json
import os as _os
import sys as _sys
import tempfile as _tempfile

import numpy as _np

from ._qec_sim import Circuit as _NativeCircuit
from ._qec_sim import __version__
from ._qec_sim import run_cli as _run_cli

__all__ = [
    "Circuit",
    "CompiledDetectorSampler",
    "CompiledMeasurementSampler",
    "DetectorErrorModel",
    "__version__",
    "estimate",
    "generate",
    "sinter_samplers",
]


def _flags(options):
    """Keyword options as command-line flags: ``ch_model="exact"`` -> ``--ch-model exact``,
    ``proxy=True`` -> ``--proxy``, lists joined by commas; None and False are left out."""
    out = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            out.append(flag)
        elif isinstance(value, (list, tuple)):
            out += [flag, ",".join(str(v) for v in value)]
        else:
            out += [flag, str(value)]
    return out


def generate(code: str = "color666", distance: int = 3, *, task: str, **options) -> "Circuit":
    """A generated circuit, as ``qec-sim gen``: e.g. ``qec_sim.generate("color666", 5,
    task="memory-z", noise="si1000", p=0.001)``; other options (``rounds``, ``layout``,
    ``ch_model``, ``proxy``) as the command's flags."""
    with _tempfile.TemporaryDirectory() as tmp:
        path = _os.path.join(tmp, "circuit.stim")
        args = ["gen", "--code", str(code), "--distance", str(distance), "--task", str(task)]
        _run_cli(args + _flags(options) + ["--out", path])
        with open(path) as f:
            return Circuit(f.read())


def estimate(**options) -> dict:
    """The resource estimate report of ``qec-sim estimate --json`` as a dict; options as the
    command's flags (``p=[1e-4, 1e-3]``, ``target=1e-12``, ``t_count=1e8`` ...)."""
    with _tempfile.TemporaryFile(mode="w+b") as out:
        _sys.stdout.flush()
        saved = _os.dup(1)
        try:
            _os.dup2(out.fileno(), 1)
            _run_cli(["estimate", "--json"] + _flags(options))
        finally:
            _os.dup2(saved, 1)
            _os.close(saved)
        out.seek(0)
        return _json.loads(out.read().decode())


def sinter_samplers() -> dict:
    """sinter.Sampler objects by decoder name (``qec-sim-postselect``, ``qec-sim-lookup``,
    ``qec-sim-color``, ``qec-sim-hadamard-prep``), for
    ``sinter.collect(..., custom_decoders=qec_sim.sinter_samplers())``; needs ``sinter``."""
    from . import sinter_plugin

    return sinter_plugin.samplers()


def _seed(seed):
    if seed is None:
        return int.from_bytes(_os.urandom(8), "little")
    if isinstance(seed, bool) or not isinstance(seed, (int, _np.integer)):
        raise ValueError(f"seed must be None or an integer, not {seed!r}")
    return int(seed) % (1 << 64)


def _shots(shots):
    if isinstance(shots, bool) or not isinstance(shots, (int, _np.integer)):
        raise ValueError(f"shots must be an integer, not {shots!r}")
    shots = int(shots)
    if shots <= 0:
        raise ValueError(f"shots must be positive, got {shots}")
    if shots >= 1 << 40:
        raise ValueError(f"{shots} shots is absurdly many; sample in smaller pieces")
    return shots


def _unpack(packed, bits, bit_packed):
    """Rows of b8 bytes -> Stim's arrays: uint8 bit-packed, or bool of `bits` columns."""
    if bit_packed:
        return packed
    return _np.unpackbits(packed, axis=1, count=bits, bitorder="little").astype(_np.bool_)


class DetectorErrorModel:
    """A detector error model, held as Stim's ``.dem`` text (``str()`` gives it)."""

    def __init__(self, text: str):
        self._text = text

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"qec_sim.DetectorErrorModel('''\\\n{self._text}''')"

    def __eq__(self, other) -> bool:
        return isinstance(other, DetectorErrorModel) and other._text == self._text

    @property
    def num_errors(self) -> int:
        """Number of ``error`` instructions in the text (repeat blocks counted once)."""
        return sum(1 for line in self._text.splitlines() if line.strip().startswith("error"))


class Circuit:
    """A Stim-format circuit (``qec_sim.Circuit("H 0\\nCX 0 1\\nM 0 1")``)."""

    def __init__(self, text: str = ""):
        if not isinstance(text, str):
            raise ValueError(f"Circuit takes the circuit text, not {type(text).__name__}")
        self._native = _NativeCircuit(text)

    def __str__(self) -> str:
        return str(self._native)

    def __repr__(self) -> str:
        return f"qec_sim.Circuit('''\\\n{self}''')"

    def __eq__(self, other) -> bool:
        return isinstance(other, Circuit) and str(other) == str(self)

    @property
    def num_qubits(self) -> int:
        """One more than the largest qubit index used."""
        return self._native.num_qubits

    @property
    def num_measurements(self) -> int:
        """Results the circuit records per shot (loops unrolled)."""
        return self._native.num_measurements

    @property
    def num_detectors(self) -> int:
        """``DETECTOR`` instructions executed per shot (loops unrolled)."""
        return self._native.num_detectors

    @property
    def num_observables(self) -> int:
        """One more than the largest ``OBSERVABLE_INCLUDE`` index."""
        return self._native.num_observables

    def detector_error_model(self, *, approximate_disjoint_errors: bool = False) -> DetectorErrorModel:
        """The detector error model, as Stim's ``circuit.detector_error_model()``."""
        return DetectorErrorModel(
            self._native.detector_error_model_text(bool(approximate_disjoint_errors))
        )

    def compile_detector_sampler(self, *, seed=None) -> "CompiledDetectorSampler":
        """A sampler of detection events and observable flips."""
        return CompiledDetectorSampler(self, seed=seed)

    def compile_sampler(self, *, seed=None) -> "CompiledMeasurementSampler":
        """A sampler of measurement results."""
        return CompiledMeasurementSampler(self, seed=seed)


class _Sampler:
    def __init__(self, circuit: Circuit, seed):
        if not isinstance(circuit, Circuit):
            raise ValueError("expected a qec_sim.Circuit")
        self._circuit = circuit
        self._seed = _seed(seed)
        self._calls = 0

    def _next_seed(self):
        # Successive calls draw fresh shots, as Stim's samplers do.
        s = (self._seed + 0x9E3779B97F4A7C15 * self._calls) % (1 << 64)
        self._calls += 1
        return s

    def _sample(self, shots, detections):
        shots = _shots(shots)
        data, bits, dets = self._circuit._native.sample_b8(shots, self._next_seed(), detections)
        packed = _np.frombuffer(data, dtype=_np.uint8).reshape(shots, -1 if bits else 0)
        return packed, bits, dets


class CompiledDetectorSampler(_Sampler):
    """Samples detection events (and observable flips) of a circuit, as Stim's."""

    def sample(
        self,
        shots: int,
        *,
        separate_observables: bool = False,
        append_observables: bool = False,
        bit_packed: bool = False,
    ):
        """``shots`` rows of detection events: ``bool`` (shots, num_detectors), or ``uint8``
        (shots, ceil(num_detectors / 8)) with ``bit_packed``; with ``separate_observables`` a
        pair (detectors, observables); with ``append_observables`` the observables follow the
        detectors in each row."""
        if separate_observables and append_observables:
            raise ValueError("separate_observables and append_observables are exclusive")
        packed, bits, dets = self._sample(shots, True)
        full = _unpack(packed, bits, False)
        det, obs = full[:, :dets], full[:, dets:]

        def out(a):
            return _np.packbits(a, axis=1, bitorder="little") if bit_packed else a

        if separate_observables:
            return out(det), out(obs)
        if append_observables:
            return out(full)
        return out(det)


class CompiledMeasurementSampler(_Sampler):
    """Samples measurement results of a circuit, as Stim's ``compile_sampler``."""

    def sample(self, shots: int, *, bit_packed: bool = False):
        """``shots`` rows of results: ``bool`` (shots, num_measurements), or ``uint8`` (shots,
        ceil(num_measurements / 8)) with ``bit_packed``."""
        packed, bits, _ = self._sample(shots, False)
        return _unpack(packed, bits, bit_packed)
