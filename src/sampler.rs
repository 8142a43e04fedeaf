//! Multi-core batch sampling: shots are split into fixed-size batches, each batch simulated with
//! its own random stream (derived from the seed and the batch index only), batches run in
//! parallel with rayon and are emitted in order. So with a seed the output is bit-identical
//! whatever the thread count, and memory stays bounded by a few batches per thread.

use crate::error::SimError;
use crate::frame::{FrameProgram, FrameSimulator, Mode, SweepBits};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use std::sync::mpsc;

/// How to split and run a sampling job.
#[derive(Clone, Copy, Debug)]
pub struct BatchPlan {
    pub shots: u64,
    pub seed: u64,
    pub threads: usize,
    /// Words (64 shots each) per batch.
    pub words: usize,
}

/// Largest memory (bytes) that the frame tables of all in-flight batches may take together.
pub const MEMORY_LIMIT: u64 = 4 << 30;

impl BatchPlan {
    /// A plan with a batch width suited to the program: rows of frames, record and results fit
    /// in about 1 MiB, between 256 and 8192 shots per batch. Refuses programs whose narrowest
    /// batches would still need more than [`MEMORY_LIMIT`] bytes.
    pub fn new(
        program: &FrameProgram,
        mode: Mode,
        shots: u64,
        seed: u64,
        threads: usize,
    ) -> Result<Self, SimError> {
        let rows = 2 * program.num_qubits as u64
            + match mode {
                Mode::Detect => {
                    program.window as u64 + program.num_detectors + program.num_observables as u64
                }
                Mode::Measure => program.num_measurements,
            };
        let threads = threads.max(1);
        // Each thread holds one simulator; up to three groups of 4 batches per thread are in
        // flight as encoded output, of about the size of the result rows.
        let bytes = rows.saturating_mul(4 * 8) * threads as u64 * 13;
        if bytes > MEMORY_LIMIT {
            return Err(SimError::TooBig {
                what: format!(
                    "{rows} bit rows per shot ({} qubits, {} detectors, {} measurements)",
                    program.num_qubits, program.num_detectors, program.num_measurements
                ),
                bytes,
                limit: MEMORY_LIMIT,
            });
        }
        let budget_words = (1usize << 20) / 8 / rows.max(1) as usize;
        let mut words = 4;
        while words * 2 <= budget_words && words < 128 {
            words *= 2;
        }
        // No point in batches much wider than the whole job.
        while words > 4 && (words as u64 * 32) >= shots {
            words /= 2;
        }
        Ok(BatchPlan {
            shots,
            seed,
            threads,
            words,
        })
    }

    pub fn shots_per_batch(&self) -> u64 {
        self.words as u64 * 64
    }

    pub fn num_batches(&self) -> u64 {
        self.shots.div_ceil(self.shots_per_batch())
    }
}

/// SplitMix64 finaliser (Steele, Lea, Flood 2014), used to derive per-batch seeds.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The random stream of batch `index` under `seed`.
pub fn batch_rng(seed: u64, index: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(
        mix64(seed) ^ mix64(index.wrapping_add(0x9e37_79b9_7f4a_7c15)),
    )
}

/// Runs every batch of `plan`, each with its shots' `sweep` bits if given; `encode(sim, shots)` turns a finished batch (of which the first
/// `shots` are real) into output on a worker thread, and `emit` receives the encoded batches in
/// batch order on a writer thread while later batches are still being simulated.
pub fn run_batches<T, E>(
    program: &FrameProgram,
    mode: Mode,
    plan: &BatchPlan,
    sweep: Option<&SweepBits>,
    encode: impl Fn(&FrameSimulator, usize) -> T + Sync,
    emit: impl FnMut(T) -> Result<(), E> + Send,
) -> Result<(), E>
where
    T: Send,
    E: Send,
{
    run_batches_with(
        plan,
        || FrameSimulator::new(program, plan.words, mode),
        |sim, rng, batch, shots| {
            if let Some(bits) = sweep {
                sim.load_sweep(bits, batch as usize * plan.words);
            }
            sim.run(program, rng);
            encode(sim, shots)
        },
        emit,
    )
}

/// [`run_batches`] for any simulator: `make` builds one per worker thread, `simulate(worker,
/// rng, batch, shots)` runs and encodes batch `batch` from its stream `batch_rng(seed, batch)`.
pub fn run_batches_with<W, T, E>(
    plan: &BatchPlan,
    make: impl Fn() -> W + Sync + Send,
    simulate: impl Fn(&mut W, &mut Xoshiro256PlusPlus, u64, usize) -> T + Sync + Send,
    emit: impl FnMut(T) -> Result<(), E> + Send,
) -> Result<(), E>
where
    T: Send,
    E: Send,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.threads)
        .build()
        .expect("thread pool");
    let group = (plan.threads * 4) as u64;
    let per_batch = plan.shots_per_batch();
    let (tx, rx) = mpsc::sync_channel::<Vec<T>>(2);
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || {
            let mut emit = emit;
            for chunk in rx {
                for item in chunk {
                    emit(item)?;
                }
            }
            Ok(())
        });
        pool.install(|| {
            let mut start = 0;
            while start < plan.num_batches() {
                let end = (start + group).min(plan.num_batches());
                let chunk: Vec<T> = (start..end)
                    .into_par_iter()
                    .map_init(&make, |worker, b| {
                        let mut rng = batch_rng(plan.seed, b);
                        let shots = (plan.shots - b * per_batch).min(per_batch) as usize;
                        simulate(worker, &mut rng, b, shots)
                    })
                    .collect();
                if tx.send(chunk).is_err() {
                    break; // The writer failed; its error is returned below.
                }
                start = end;
            }
        });
        drop(tx);
        writer.join().expect("writer thread")
    })
}
