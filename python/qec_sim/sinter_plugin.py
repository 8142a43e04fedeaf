"""sinter plugins: qec-sim samples and decodes in Rust, batch by batch, inside sinter.

    sinter.collect(..., decoders=["qec-sim-lookup"], custom_decoders=qec_sim.sinter_samplers())
    sinter collect ... --custom_decoders_module_function qec_sim.sinter_plugin:samplers

* ``qec-sim-postselect``: discards a shot when a detector fires (only the detectors of sinter's
  ``postselection_mask`` when the task has one) and predicts no observable flip;
* ``qec-sim-lookup``: qec-sim's detector-error-model lookup decoder (the most likely
  combination of up to one error mechanism), after discarding on ``postselection_mask``.

Circuits with non-Clifford gates run on qec-sim's exact engine. ``postselected_observables_mask``
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
    """A sinter.Sampler running one of qec-sim's decoders (``postselect`` or ``lookup``)."""

    def __init__(self, decoder: str, *, lookup_faults: int = 1):
        if decoder not in ("postselect", "lookup"):
            raise ValueError(f"unknown qec-sim decoder {decoder!r} (expected postselect or lookup)")
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
        seed = int.from_bytes(os.urandom(8), "little")
        native = SinterTask(str(circuit), self.decoder, dets, self.lookup_faults, seed)
        return _CompiledQecSimSampler(native)


def samplers() -> dict:
    """The qec-sim samplers by decoder name, for sinter's ``custom_decoders``."""
    return {
        "qec-sim-postselect": QecSimSampler("postselect"),
        "qec-sim-lookup": QecSimSampler("lookup"),
    }
