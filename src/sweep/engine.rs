//! Sampling one task until its stopping rule.
//!
//! Shots come in fixed-size batches, numbered globally; batch b always uses the random stream
//! `batch_rng(seed, b)`. A run goes in rounds of 1, 2, 4, ... batches (up to a cap), checks the
//! stopping rule between rounds and reports each round as one statistics row; long-lived workers
//! run the batches and no round waits for the previous one ([`super::rows`]). Because the
//! schedule and the streams do not depend on the thread count, a seeded sweep gives the same
//! counts on any number of threads; and shard I of N takes batches I, I + N, I + 2N, ..., so N
//! shards together run exactly the batches of one unsharded run.

use super::rows::{run_rows, RowPlan};
use super::stats::TaskStats;
use super::subset::Channels;
use crate::bits::BitTable;
use crate::circuit::{parse_circuit, Circuit};
use crate::decoder::{by_name, Decision, Decoder, DecoderInput, Postselect};
use crate::dem::DemOptions;
use crate::error::SimError;
use crate::exact::{BatchSpec, EndOfShot, ExactProgram, FaultSource, NoiseMode};
use crate::faults::Injector;
use crate::frame::{FrameProgram, FrameSimulator, Mode};
use crate::output::{write_shots, BitNames, Format};
use crate::sampler::{batch_rng, BatchPlan};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// How a sweep judges shots: a decoder by name (see [`crate::decoder::by_name`]), optionally
/// behind postselection on flag detectors or on the decoder's confidence.
#[derive(Clone, Debug, PartialEq)]
pub struct DecoderSpec {
    /// `postselect` or `lookup`.
    pub name: String,
    /// Discard shots in which a flag detector (4th coordinate -1, Chromobius's convention)
    /// fires, and decode the rest.
    pub postselect_flags: bool,
    /// Largest number of error mechanisms the `lookup` table covers.
    pub lookup_faults: usize,
    /// Discard shots whose gap (the decoder's confidence, dB) is below this.
    pub gap_cut: Option<f64>,
}

impl DecoderSpec {
    /// The name written to the statistics' `decoder` column.
    pub fn label(&self) -> String {
        let mut label = self.name.clone();
        if self.postselect_flags {
            label.push_str("+flag-postselection");
        }
        if let Some(cut) = self.gap_cut {
            label.push_str(&format!("+gap-cut={cut}"));
        }
        label
    }
}

/// Discards a shot when a flag (or any chosen detector) fires, else defers to the inner
/// decoder: flag postselection here, sinter's `postselection_mask` in the Python plugins.
pub struct FlagsFirst {
    pub flags: Postselect,
    pub inner: Box<dyn Decoder>,
}

impl Decoder for FlagsFirst {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn decode(&self, detectors: &[u64]) -> Decision {
        self.decode_with_gap(detectors).0
    }

    fn decode_with_gap(&self, detectors: &[u64]) -> (Decision, Option<f64>) {
        match self.flags.decode(detectors) {
            Decision::Discard => (Decision::Discard, None),
            Decision::Predict(_) => self.inner.decode_with_gap(detectors),
        }
    }
}

/// Builds the decoder a spec asks for, for one circuit.
fn build_decoder(
    circuit: &Circuit,
    spec: &DecoderSpec,
) -> anyhow::Result<(Box<dyn Decoder>, bool)> {
    let stats = circuit.stats();
    if spec.gap_cut.is_some() && spec.name != "color" {
        anyhow::bail!(
            "--gap-cut needs a decoder with a confidence output (color), not {}",
            spec.name
        );
    }
    if spec.name == "postselect" && !spec.postselect_flags {
        return Ok((
            Box::new(Postselect::all(stats.num_detectors as usize)),
            true,
        ));
    }
    let options = DemOptions {
        approximate_disjoint_errors: true,
    };
    let dem = crate::dem::from_circuit(circuit, options)?;
    let input = DecoderInput {
        dem: Some(&dem),
        code: None,
        max_faults: spec.lookup_faults,
    };
    let inner = by_name(&spec.name, &input)?;
    if !spec.postselect_flags {
        return Ok((inner, false));
    }
    let flags: Vec<usize> = dem
        .detector_coords()
        .into_iter()
        .filter(|(_, c)| c.get(3) == Some(&-1.0))
        .map(|(d, _)| d as usize)
        .collect();
    if flags.is_empty() {
        anyhow::bail!("--postselect-flags: the circuit has no flag detectors (4th coordinate -1)");
    }
    Ok((
        Box::new(FlagsFirst {
            flags: Postselect::on(&flags),
            inner,
        }),
        false,
    ))
}

/// The simulator a task runs on.
pub enum Engine {
    /// The bit-packed Pauli-frame sampler (Clifford circuits, or CH in the twirl model).
    Frame(FrameProgram),
    /// The exact engine (any circuit with CH, RH and rotations).
    Exact(ExactJob),
}

/// An exact-engine task: the program, the detectors a shot may stop at, and optionally
/// observables computed from the final state.
pub struct ExactJob {
    pub program: Arc<ExactProgram>,
    pub postselect: Option<Vec<bool>>,
    pub end_of_shot: Option<Arc<dyn EndOfShot>>,
    /// Chooses each shot's faults instead of the circuit's noise (a stratum).
    pub faults: Option<Arc<dyn FaultSource>>,
}

impl ExactJob {
    fn spec(&self) -> BatchSpec<'_> {
        BatchSpec {
            program: &self.program,
            postselect: self.postselect.as_deref(),
            end_of_shot: self.end_of_shot.as_deref(),
            noise: NoiseMode::Sample,
            faults: self.faults.as_deref(),
        }
    }
}

/// Shots per batch of the exact engine: 4096, eight blocks of the packed executor, so that the
/// shots the effect table cannot finish fill whole blocks of the step list (docs/exact-engine.md,
/// "Noise that commutes with every rotation"); small enough for threads to share the work by
/// batches at d = 7 (about 11 ms a batch). 16384-shot batches were 3% faster at hadamard-prep
/// d = 5 (fewer mostly empty last blocks) but made the main job's 20000-shot strata split
/// unevenly over two threads: 2.17 / 2.20 s -> 2.28 / 2.38 s wall (2026-12-07 16:34 UTC).
const EXACT_BATCH_WORDS: usize = 64;

impl Engine {
    /// The frame sampler for Clifford circuits, the exact engine for the others.
    pub fn for_circuit(circuit: &Circuit) -> Result<Engine, SimError> {
        if circuit.first_non_clifford().is_some() {
            Ok(Engine::Exact(ExactJob {
                program: Arc::new(ExactProgram::compile(circuit)?),
                postselect: None,
                end_of_shot: None,
                faults: None,
            }))
        } else {
            Ok(Engine::Frame(FrameProgram::compile(circuit)?))
        }
    }

    pub fn num_detectors(&self) -> usize {
        match self {
            Engine::Frame(p) => p.num_detectors as usize,
            Engine::Exact(j) => j.program.num_detectors,
        }
    }

    pub fn num_observables(&self) -> usize {
        match self {
            Engine::Frame(p) => p.num_observables,
            Engine::Exact(j) => j.spec().num_observables(),
        }
    }

    fn plan(&self, shots: u64, seed: u64, threads: usize) -> Result<BatchPlan, SimError> {
        match self {
            Engine::Frame(p) => BatchPlan::new(p, Mode::Detect, shots, seed, threads),
            Engine::Exact(j) => Ok(BatchPlan {
                shots,
                seed,
                // Memory stays bounded whatever --threads says; the output does not change.
                threads: threads.clamp(1, j.program.max_packed_workers()),
                words: EXACT_BATCH_WORDS,
            }),
        }
    }
}

/// Per-thread simulator state of either engine.
enum Worker {
    Frame(FrameSimulator),
    Exact(crate::exact::Workspace, BitTable),
}

impl Worker {
    fn new(engine: &Engine, words: usize) -> Worker {
        match engine {
            Engine::Frame(p) => Worker::Frame(FrameSimulator::new(p, words, Mode::Detect)),
            Engine::Exact(j) => Worker::Exact(j.program.workspace(), j.spec().table(words)),
        }
    }

    /// Simulates global batch `b` of `task` (its first `shots` shots count) from the batch's
    /// stream (a stratum's own stream for stratified tasks); returns the result table.
    fn run(&mut self, task: &SweepTask, seed: u64, b: u64, shots: usize) -> &BitTable {
        let seed = task
            .stratum
            .as_ref()
            .map_or(seed, |s| stratum_seed(seed, s.k));
        let mut rng = batch_rng(seed, b);
        match (self, &task.engine) {
            (Worker::Frame(sim), Engine::Frame(program)) => {
                match &task.stratum {
                    None => sim.run(program, &mut rng),
                    Some(s) => {
                        let faults = s.channels.draw(s.k, shots, &mut rng);
                        s.injector.run(sim, &faults, &mut rng);
                    }
                }
                sim.results()
            }
            (Worker::Exact(ws, table), Engine::Exact(job)) => {
                job.spec().run(ws, &mut rng, shots, table);
                table
            }
            _ => unreachable!("workers are built for their task's engine"),
        }
    }
}

/// A circuit to sample, the decoder that judges it, and the parameters that describe it.
pub struct SweepTask {
    pub circuit: Circuit,
    pub engine: Engine,
    pub decoder: Box<dyn Decoder>,
    /// The `decoder` column of the statistics.
    pub decoder_label: String,
    /// The decoder is "discard if any detector fired": judged on packed bits, no per-shot work.
    plain_postselection: bool,
    pub json_metadata: Value,
    pub strong_id: String,
    /// Instead of the circuit's noise, exactly `k` faults per shot (stratified sampling).
    pub stratum: Option<Stratum>,
    /// Names the residual logical error (actual XOR predicted observables) for per-Pauli
    /// `custom_counts`.
    pub residual: Option<fn(u64) -> &'static str>,
    /// This task's share of the sweep's `--max-shots` (strata of little weight get fewer).
    pub shot_share: f64,
    /// At most this many shots, whatever the sweep's `--max-shots` (None: no cap).
    pub max_shots_cap: Option<f64>,
    /// Discard shots whose decoder gap (dB) is below this.
    pub gap_cut: Option<f64>,
}

/// One stratum of stratified sampling: shots carry exactly `k` faults drawn from `channels`.
#[derive(Clone)]
pub struct Stratum {
    pub injector: Arc<Injector>,
    pub channels: Arc<Channels>,
    pub k: usize,
}

/// The strong id of a task: a hash of the circuit as printed, the decoder label and the metadata.
pub(crate) fn strong_id(circuit: &Circuit, decoder_label: &str, json_metadata: &Value) -> String {
    let identity = json!({
        "version": ID_VERSION,
        "circuit": circuit.to_string(),
        "decoder": decoder_label,
        "json_metadata": json_metadata,
    });
    format!("{:x}", Sha256::digest(identity.to_string().as_bytes()))
}

/// Version tag hashed into every strong id, so that statistics of an incompatible earlier
/// format never merge with new ones.
const ID_VERSION: &str = "qec-sim-sweep-1";

impl SweepTask {
    /// A task; the strong id hashes the circuit as printed, the decoder and the metadata.
    pub fn new(
        circuit: Circuit,
        decoder: &DecoderSpec,
        json_metadata: Value,
    ) -> anyhow::Result<SweepTask> {
        let mut engine = Engine::for_circuit(&circuit)?;
        let (built, plain_postselection) = build_decoder(&circuit, decoder)?;
        if let (Engine::Exact(job), true) = (&mut engine, plain_postselection) {
            // Every detector discards: stop each shot at the first that fires.
            job.postselect = Some(vec![true; job.program.num_detectors]);
        }
        let decoder_label = decoder.label();
        let strong_id = strong_id(&circuit, &decoder_label, &json_metadata);
        Ok(SweepTask {
            circuit,
            engine,
            decoder: built,
            decoder_label,
            plain_postselection,
            json_metadata,
            strong_id,
            stratum: None,
            residual: None,
            shot_share: 1.0,
            max_shots_cap: None,
            gap_cut: decoder.gap_cut,
        })
    }

    /// A task with its own compiled program and decoder (e.g. the magic-state protocol with a
    /// non-Clifford model), optionally one stratum of stratified sampling.
    pub fn custom(
        circuit: Circuit,
        engine: Engine,
        decoder: Box<dyn Decoder>,
        json_metadata: Value,
        stratum: Option<Stratum>,
        residual: Option<fn(u64) -> &'static str>,
    ) -> SweepTask {
        let decoder_label = decoder.name().to_string();
        let strong_id = strong_id(&circuit, &decoder_label, &json_metadata);
        SweepTask {
            circuit,
            engine,
            decoder,
            decoder_label,
            plain_postselection: false,
            json_metadata,
            strong_id,
            stratum,
            residual,
            shot_share: 1.0,
            max_shots_cap: None,
            gap_cut: None,
        }
    }

    /// The sweep's stopping rule as it applies to this task (its share of the shots).
    pub fn rule(&self, rule: &StopRule) -> StopRule {
        StopRule {
            max_shots: ((rule.max_shots as f64 * self.shot_share)
                .min(self.max_shots_cap.unwrap_or(f64::INFINITY))
                .ceil() as u64)
                .max(1),
            ..*rule
        }
    }

    /// A task from Stim circuit text.
    pub fn from_text(
        text: &str,
        decoder: &DecoderSpec,
        json_metadata: Value,
    ) -> anyhow::Result<SweepTask> {
        SweepTask::new(parse_circuit(text)?, decoder, json_metadata)
    }

    /// Zero counts for this task.
    pub fn empty_stats(&self) -> TaskStats {
        TaskStats::empty(
            &self.decoder_label,
            &self.strong_id,
            self.json_metadata.clone(),
        )
    }
}

/// When to stop sampling a task. Counts include statistics recorded by earlier runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StopRule {
    pub max_shots: u64,
    pub max_errors: Option<u64>,
    /// Wall-clock seconds of this run.
    pub max_seconds: Option<f64>,
}

impl StopRule {
    fn done(&self, stats: &TaskStats, elapsed: f64) -> bool {
        stats.shots >= self.max_shots
            || self.max_errors.is_some_and(|m| stats.errors >= m)
            || self.max_seconds.is_some_and(|m| elapsed >= m)
    }
}

/// Which share of every task this process runs: batches `index`, `index + count`, ...
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };
}

/// Runs of a task: seed, threads, sharding, and the largest round.
#[derive(Clone, Copy, Debug)]
pub struct RunConfig {
    pub seed: u64,
    pub threads: usize,
    pub shard: Shard,
    /// Most batches per round (rounds double from 1 up to this).
    pub max_round_batches: u64,
}

/// Samples `task` until `rule` holds, starting from `prior` (statistics recorded earlier by this
/// shard). Each finished round is passed to `on_round` as one row; returns the new total.
pub fn run_task<E>(
    task: &SweepTask,
    rule: &StopRule,
    config: &RunConfig,
    prior: TaskStats,
    on_round: impl FnMut(&TaskStats, &TaskStats) -> Result<(), E>,
) -> Result<TaskStats, E>
where
    E: From<SimError>,
{
    let shard = config.shard;
    // The shard's share of the shot budget: the shots of its batches below max_shots.
    let plan = task
        .engine
        .plan(rule.max_shots, config.seed, config.threads)?;
    let (per_batch, words) = (plan.shots_per_batch(), plan.words);
    let batches = ShardBatches::new(rule.max_shots, per_batch, shard);
    let shard_rule = StopRule {
        max_shots: batches.shots(),
        max_errors: rule.max_errors.map(|m| m.div_ceil(shard.count)),
        max_seconds: rule.max_seconds,
    };
    // Batches already run by earlier invocations: all full except possibly the shard's last.
    let rows = RowPlan {
        first: prior.shots.div_ceil(per_batch),
        end: batches.count,
        max_row: config.max_round_batches,
        threads: config.threads,
    };
    let template = task.empty_stats();
    run_rows(
        &rows,
        prior,
        &template,
        || Worker::new(&task.engine, words),
        |worker, i| {
            let b = batches.global(i);
            let shots = batches.shots_in(b) as usize;
            let results = worker.run(task, config.seed, b, shots);
            judge_batch(task, results, shots)
        },
        |total, elapsed| shard_rule.done(total, elapsed),
        on_round,
    )
}

/// Each stratum its own random stream.
fn stratum_seed(seed: u64, k: usize) -> u64 {
    seed ^ (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The batches of one shard, numbered without listing them (a huge `--max-shots` costs no
/// memory): the shard's i-th batch is global batch `index + i * count`, and every global batch
/// holds `per_batch` shots except the last, which holds the rest of `max_shots`.
struct ShardBatches {
    max_shots: u64,
    per_batch: u64,
    shard: Shard,
    /// Batches of this shard.
    count: u64,
}

impl ShardBatches {
    fn new(max_shots: u64, per_batch: u64, shard: Shard) -> ShardBatches {
        let global = max_shots.div_ceil(per_batch);
        let count = match global.checked_sub(shard.index) {
            Some(left) if left > 0 => (left - 1) / shard.count + 1,
            _ => 0,
        };
        ShardBatches {
            max_shots,
            per_batch,
            shard,
            count,
        }
    }

    /// The global number of the shard's i-th batch.
    fn global(&self, i: u64) -> u64 {
        self.shard.index + i * self.shard.count
    }

    /// Shots in global batch `b`.
    fn shots_in(&self, b: u64) -> u64 {
        (self.max_shots - b * self.per_batch).min(self.per_batch)
    }

    /// Shots in all of the shard's batches: full batches, except that the last may be short.
    fn shots(&self) -> u64 {
        match self.count {
            0 => 0,
            n => (n - 1) * self.per_batch + self.shots_in(self.global(n - 1)),
        }
    }
}

/// Counts shots, discards and logical errors of one simulated batch (first `shots` shots).
fn judge_batch(task: &SweepTask, results: &BitTable, shots: usize) -> TaskStats {
    let dets = task.engine.num_detectors();
    let obs = task.engine.num_observables();
    // Only the counts are read (they are added to a row): no names to copy for each batch.
    let mut stats = TaskStats::empty("", "", Value::Null);
    stats.shots = shots as u64;
    let full_words = shots / 64;
    let tail_mask = |w: usize| -> u64 {
        if w < full_words {
            u64::MAX
        } else {
            (1u64 << (shots % 64)) - 1
        }
    };
    if task.plain_postselection {
        // Bit-packed: a shot is discarded if any detector row has its bit; an error if kept and
        // any observable flipped.
        for w in 0..shots.div_ceil(64) {
            let mask = tail_mask(w);
            let fired = (0..dets).fold(0u64, |acc, d| acc | results.row(d)[w]) & mask;
            let flipped = (0..obs).fold(0u64, |acc, k| acc | results.row(dets + k)[w]) & mask;
            stats.discards += fired.count_ones() as u64;
            stats.errors += (flipped & !fired).count_ones() as u64;
        }
        return stats;
    }
    // Shot-major detection events, regrouped into the decoders' 64-bit words.
    let mut events = Vec::new();
    write_shots(
        results,
        0..dets,
        shots,
        None,
        Format::B8,
        BitNames::Measurements,
        &mut events,
    );
    let stride = dets.div_ceil(8);
    let mut words = vec![0u64; dets.div_ceil(64)];
    for s in 0..shots {
        words.fill(0);
        for (i, &byte) in events[s * stride..(s + 1) * stride].iter().enumerate() {
            words[i / 8] |= (byte as u64) << (8 * (i % 8));
        }
        let (decision, gap) = task.decoder.decode_with_gap(&words);
        let actual =
            || (0..obs.min(64)).fold(0u64, |acc, k| acc | (results.get(dets + k, s) as u64) << k);
        if let (Some(gap), Decision::Predict(prediction)) = (gap, decision) {
            let key = gap_key(gap, actual() != prediction);
            *stats.custom_counts.entry(key).or_insert(0) += 1;
            if task.gap_cut.is_some_and(|cut| gap < cut) {
                stats.discards += 1;
                continue;
            }
        }
        match decision {
            Decision::Discard => stats.discards += 1,
            Decision::Predict(prediction) => {
                let actual = actual();
                if actual != prediction {
                    stats.errors += 1;
                    if let Some(name) = task.residual {
                        let key = name(actual ^ prediction).to_string();
                        *stats.custom_counts.entry(key).or_insert(0) += 1;
                    }
                }
            }
        }
    }
    stats
}

/// The gap-histogram key of a decoded shot, as sinter's gap decoders write them: `C` (decoded
/// correctly) or `E` (a logical error) and the gap in whole dB, rounded down (`inf` when the
/// decoder saw no alternative). Kept and gap-discarded shots both count.
pub fn gap_key(gap_db: f64, error: bool) -> String {
    let kind = if error { 'E' } else { 'C' };
    if gap_db.is_finite() {
        format!("{kind}{}", gap_db.floor() as i64)
    } else {
        format!("{kind}inf")
    }
}

#[cfg(test)]
mod tests {
    use super::{Engine, ExactJob, Shard, ShardBatches};
    use crate::circuit::parse_circuit;
    use crate::exact::ExactProgram;
    use std::sync::Arc;

    #[test]
    fn exact_runs_use_no_more_workers_than_their_packed_memory_allows() {
        let text = "H 0\nT 0\nM 0\n";
        let mut program = ExactProgram::compile(&parse_circuit(text).unwrap()).unwrap();
        program.max_active = 12; // as wide as packed blocks go: 32 MiB per worker at worst
        let job = ExactJob {
            program: Arc::new(program),
            postselect: None,
            end_of_shot: None,
            faults: None,
        };
        let engine = Engine::Exact(job);
        assert_eq!(engine.plan(1000, 1, 1024).unwrap().threads, 64);
        assert_eq!(engine.plan(1000, 1, 2).unwrap().threads, 2);
        assert_eq!(engine.plan(1000, 1, 0).unwrap().threads, 1);
    }

    #[test]
    fn shard_batches_cover_the_shots_once_without_listing_them() {
        for (max_shots, per_batch) in [(1, 256), (1000, 256), (1024, 256), (1_000_001, 512)] {
            for count in 1..=5u64 {
                let mut seen = Vec::new();
                let mut shots = 0;
                for index in 0..count {
                    let b = ShardBatches::new(max_shots, per_batch, Shard { index, count });
                    let mine: Vec<u64> = (0..b.count).map(|i| b.global(i)).collect();
                    assert_eq!(mine.iter().map(|&g| b.shots_in(g)).sum::<u64>(), b.shots());
                    shots += b.shots();
                    seen.extend(mine);
                }
                seen.sort_unstable();
                assert_eq!(seen, (0..max_shots.div_ceil(per_batch)).collect::<Vec<_>>());
                assert_eq!(shots, max_shots);
            }
        }
    }

    #[test]
    fn the_largest_shot_budget_does_not_overflow() {
        for count in [2, 3, 7] {
            let total: u128 = (0..count)
                .map(|index| {
                    ShardBatches::new(u64::MAX, 8192, Shard { index, count }).shots() as u128
                })
                .sum();
            assert_eq!(total, u64::MAX as u128);
        }
        let last = ShardBatches::new(
            u64::MAX,
            8192,
            Shard {
                index: 1 << 60,
                count: 1 << 61,
            },
        );
        assert_eq!(last.count, 0);
        assert_eq!(last.shots(), 0);
        let whole = ShardBatches::new(u64::MAX, 8192, Shard::WHOLE);
        assert_eq!(whole.shots(), u64::MAX);
        assert_eq!(
            whole.shots_in(whole.global(whole.count - 1)),
            u64::MAX % 8192
        );
    }
}
