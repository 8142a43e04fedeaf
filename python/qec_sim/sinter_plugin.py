"""sinter plugins: qec-sim samples and decodes in Rust, batch by batch, inside sinter.

    sinter.collect(..., decoders=["qec-sim-lookup"], custom_decoders=qec_sim.sinter_samplers())
    sinter collect ... --custom_decoders_module_function qec_sim.sinter_plugin:samplers

* ``qec-sim-postselect``: discards a shot when a detector fires (only the detectors of sinter's
  ``postselection_mask`` when the task has one) and predicts no observable flip;
* ``qec-sim-lookup``: qec-sim's detector-error-model lookup decoder (the most likely
  combination of up to one error mechanism), after discarding on ``postselection_mask``;
* ``qec-sim-color``: qec-sim's colour-code decoder (concatenated matching with flag-aware
  weights, ``--decoder color``) on the task's detector error model, whose detectors carry
  Chromobius's 4th coordinate (colour and basis; -1 for flags), as ``qec_sim.generate``'s
  colour-code circuits do; after discarding on ``postselection_mask``;
* ``qec-sim-hadamard-prep``: the |H> preparation protocol's own decoder, for circuits from
  ``qec_sim.generate("color666", d, task="hadamard-prep", ch_model="proxy", ...)`` (recognised
  by their scoring-tail marks; per-Pauli residuals land in ``custom_counts``).

Circuits with non-Clifford gates run on qec-sim's exact engine. sinter tasks hold
``stim.Circuit``s, which cannot hold ``T`` or ``CH``: give the qec-sim text in the task's
``json_metadata["qec_sim_circuit"]`` (the ``stim.Circuit`` is then only a stand-in with the same
detectors and observables, e.g. the Clifford proxy), and the samplers run that text instead. ``postselected_observables_mask``
is not supported: a task with one raises ``ValueError`` rather than giving different counts.
"""

import collections
import os

import numpy as np
import sinter

from ._qec_sim import SinterTask


class _CompiledQecSimSampler(sinter.CompiledSampler):
    def __init__(self, task: SinterTask):
        self._task = task

    def sample(self, suggested_shots: int) -> sinter.AnonTaskStats:
        shots, errors, discards, seconds, custom = self._task.sample(max(1, int(suggested_shots)))
        return sinter.AnonTaskStats(
            shots=shots,
            errors=errors,
            discards=discards,
            seconds=seconds,
            custom_counts=collections.Counter(custom),
        )


class QecSimSampler(sinter.Sampler):
    """A sinter.Sampler running one of qec-sim's decoders (``postselect``, ``lookup``, ``color``
    or ``hadamard-prep``)."""

    def __init__(self, decoder: str, *, lookup_faults: int = 1):
        if decoder not in ("postselect", "lookup", "color", "hadamard-prep"):
            raise ValueError(
                f"unknown qec-sim decoder {decoder!r} "
                "(expected postselect, lookup, color or hadamard-prep)"
            )
        self.decoder = decoder
        self.lookup_faults = int(lookup_faults)

    def compiled_sampler_for_task(self, task: sinter.Task) -> sinter.CompiledSampler:
        if task.postselected_observables_mask is not None and np.any(
            task.postselected_observables_mask
        ):
            raise ValueError(
                "qec-sim's sinter samplers do not support postselected_observables_mask"
            )
        circuit = task.circuit
        if circuit is None:
            raise ValueError("the sinter task has no circuit")
        dets = None
        if task.postselection_mask is not None:
            bits = np.unpackbits(
                np.asarray(task.postselection_mask, dtype=np.uint8),
                count=circuit.num_detectors,
                bitorder="little",
            )
            dets = [int(i) for i in np.flatnonzero(bits)]
        text = str(circuit)
        meta = task.json_metadata
        if isinstance(meta, dict) and "qec_sim_circuit" in meta:
            text = meta["qec_sim_circuit"]
            if not isinstance(text, str):
                raise ValueError('json_metadata["qec_sim_circuit"] must be circuit text')
        seed = int.from_bytes(os.urandom(8), "little")
        native = SinterTask(text, self.decoder, dets, self.lookup_faults, seed)
        return _CompiledQecSimSampler(native)


def samplers() -> dict:
    """The qec-sim samplers by decoder name, for sinter's ``custom_decoders``."""
    return {
        "qec-sim-postselect": QecSimSampler("postselect"),
        "qec-sim-lookup": QecSimSampler("lookup"),
        "qec-sim-color": QecSimSampler("color"),
        "qec-sim-hadamard-prep": QecSimSampler("hadamard-prep"),
    }
