//! Sweep tasks of the |H> preparation protocol ([`crate::magic::HadamardPrep`]): plain Monte
//! Carlo per p, or one task per stratum of fault count ([`super::subset`]) whose rows rebuild the
//! curve over any p.

use super::engine::{Engine, ExactJob, Stratum, SweepTask};
use super::screen::{Screen, ScreenedStratum};
use super::subset::{classes_json, strata_shares, Channels, ExactStratum};
use crate::circuit::Circuit;
use crate::decoder::Postselect;
use crate::exact::ExactProgram;
use crate::faults::Injector;
use crate::frame::{FrameProgram, NonClifford};
use crate::layout::LayoutKind;
use crate::magic::{proxy_prep, residual_pauli, ChModel, HadamardPrep, TAIL_COORD};
use crate::noise::NoiseModel;
use anyhow::{anyhow, bail, Result};
use serde_json::{json, Value};
use std::sync::Arc;

/// How a task is sampled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Plain Monte Carlo at each p.
    MonteCarlo,
    /// Stratified by fault count; `max_faults` is the largest stratum (None: automatic).
    Subset { max_faults: Option<usize> },
    /// Stratified by fault count, each stratum split by the Clifford proxy's screen into the
    /// configurations whose postselected symptoms cancel and the rest ([`super::screen`]); the
    /// split is measured with `screen_draws` draws per stratum. Exact model only.
    Screened {
        /// Smallest stratum sampled (1: all; the others count as unknown until rows of another
        /// run with the same parameters supply them).
        min_faults: usize,
        max_faults: Option<usize>,
        screen_draws: u64,
    },
}

/// The frame program of a prep circuit under a CH model (the exact model has none).
fn non_clifford(model: ChModel) -> NonClifford {
    match model {
        ChModel::Twirl => NonClifford::Twirl,
        ChModel::Proxy | ChModel::Exact => NonClifford::Refuse,
    }
}

/// The exact engine on a prep circuit: shots stop at the first body detector that fires, and
/// the accepted state is scored exactly ([`crate::magic::HadamardScore`]).
fn exact_engine(prep: &HadamardPrep, circuit: &crate::circuit::Circuit) -> Result<Engine> {
    let program = ExactProgram::compile(circuit)?;
    let postselect = (0..program.num_detectors)
        .map(|d| d < prep.num_body_detectors)
        .collect();
    Ok(Engine::Exact(ExactJob {
        program: Arc::new(program),
        postselect: Some(postselect),
        end_of_shot: Some(Arc::new(prep.score().map_err(|e| anyhow!("{e}"))?)),
        faults: None,
    }))
}

/// The exact model's decoder: the engine already stops shots at a firing body detector, and
/// this discards them (the tail's detectors are scored, never postselected).
fn body_postselect(prep: &HadamardPrep) -> Box<Postselect> {
    let body: Vec<usize> = (0..prep.num_body_detectors).collect();
    Box::new(Postselect::on(&body))
}

/// A task's metadata: `base`, the CH model and distance, then `extra`'s keys.
fn task_metadata(base: &Value, model: ChModel, d: usize, extra: Value) -> Value {
    let mut m = base.clone();
    if let (Some(obj), Some(more)) = (m.as_object_mut(), extra.as_object()) {
        obj.insert("ch_model".into(), json!(model.name()));
        obj.insert("d".into(), json!(d));
        for (k, v) in more {
            obj.insert(k.clone(), v.clone());
        }
    }
    m
}

/// The tasks of one distance and CH model: one per p (Monte Carlo) or one per stratum k >= 1
/// (subset; the circuit is generated at the largest p, whose channel weights every p reuses).
pub fn hadamard_prep_tasks(
    prep: &HadamardPrep,
    model: ChModel,
    noise: &NoiseModel,
    ps: &[f64],
    method: Method,
    base: &Value,
) -> Result<Vec<SweepTask>> {
    let nc = non_clifford(model);
    let decoder = || prep.decoder(model).map_err(|e| anyhow!("{e}"));
    let meta = |extra: Value| task_metadata(base, model, prep.d, extra);
    let mut tasks = Vec::new();
    match method {
        Method::MonteCarlo => {
            for &p in ps {
                let circuit = prep.circuit(noise, p, model);
                let m = meta(json!({"p": p, "method": "mc"}));
                let task = if model == ChModel::Exact {
                    let engine = exact_engine(prep, &circuit)?;
                    SweepTask::custom(circuit, engine, body_postselect(prep), m, None, None)
                } else {
                    let program = FrameProgram::compile_with(&circuit, nc)?;
                    SweepTask::custom(
                        circuit,
                        Engine::Frame(program),
                        Box::new(decoder()?),
                        m,
                        None,
                        Some(residual_pauli),
                    )
                };
                tasks.push(task);
            }
        }
        Method::Screened {
            min_faults,
            max_faults,
            screen_draws,
        } => {
            if model != ChModel::Exact {
                bail!("--method screened needs the exact model (--ch-model exact)");
            }
            let faults = (min_faults, max_faults);
            tasks.extend(screened_tasks(
                prep,
                noise,
                ps,
                faults,
                screen_draws,
                &meta,
            )?);
        }
        Method::Subset { max_faults } => {
            let p0 = ps.iter().copied().fold(0.0, f64::max);
            let circuit = prep.circuit(noise, p0, model);
            // The exact model's injector only numbers the fault events (its frame program, in
            // the twirl model, is not run).
            let nc = if model == ChModel::Exact {
                NonClifford::Twirl
            } else {
                nc
            };
            let injector = Arc::new(Injector::new(&circuit, nc)?);
            let exact = match model {
                ChModel::Exact => Some(exact_engine(prep, &circuit)?),
                _ => None,
            };
            let channels = Arc::new(Channels::new(&injector, p0));
            // A stratum's share of the shots: its largest weight P_k(p) over the p values,
            // relative to the heaviest stratum's (at least 2%).
            let shares = strata_shares(&channels, ps, max_faults);
            for (k, share) in (1..).zip(shares) {
                let m = meta(json!({
                    "method": "subset",
                    "k": k,
                    "p_values": ps,
                    "fault_classes": classes_json(&channels.classes),
                }));
                let stratum = Stratum {
                    injector: injector.clone(),
                    channels: channels.clone(),
                    k,
                };
                let mut task = match &exact {
                    Some(Engine::Exact(job)) => {
                        let faults =
                            ExactStratum::new(&injector, &job.program, channels.clone(), k)
                                .map_err(|e| anyhow!(e))?;
                        let engine = Engine::Exact(ExactJob {
                            program: job.program.clone(),
                            postselect: job.postselect.clone(),
                            end_of_shot: job.end_of_shot.clone(),
                            faults: Some(Arc::new(faults)),
                        });
                        let decoder = body_postselect(prep);
                        SweepTask::custom(circuit.clone(), engine, decoder, m, Some(stratum), None)
                    }
                    _ => SweepTask::custom(
                        circuit.clone(),
                        Engine::Frame(injector.program.clone()),
                        Box::new(decoder()?),
                        m,
                        Some(stratum),
                        Some(residual_pauli),
                    ),
                };
                task.shot_share = share.max(0.02);
                tasks.push(task);
            }
        }
    }
    Ok(tasks)
}

/// Shots of a pass part are at most this many times its screen's passes: its rejection
/// sampling then costs at most this many times the screen's draws.
const PASS_SHOTS_PER_PASSED: f64 = 10.0;

/// Least share of `--max-shots` of a screened stratum's part.
const MIN_SCREENED_SHARE: f64 = 0.001;

/// What screened and enumerated strata share: the exact circuit at the largest p, its exact
/// engine, channels, every event's place in the program, and the screen.
struct ScreenSetup {
    circuit: Circuit,
    job: ExactJob,
    channels: Arc<Channels>,
    placed: ExactStratum,
    screen: Arc<Screen>,
}

impl ScreenSetup {
    fn new(prep: &HadamardPrep, noise: &NoiseModel, ps: &[f64]) -> Result<ScreenSetup> {
        let p0 = ps.iter().copied().fold(0.0, f64::max);
        let circuit = prep.circuit(noise, p0, ChModel::Exact);
        let injector = Injector::new(&circuit, NonClifford::Twirl)?;
        let Engine::Exact(job) = exact_engine(prep, &circuit)? else {
            unreachable!("the exact engine")
        };
        let channels = Arc::new(Channels::new(&injector, p0));
        // Every event's place in the exact program, found once.
        let placed = ExactStratum::new(&injector, &job.program, channels.clone(), 1)
            .map_err(|e| anyhow!(e))?;
        let screen = Arc::new(
            Screen::new(
                &proxy_prep(&circuit),
                prep.num_body_detectors,
                &injector,
                &job.program,
                &placed.placement,
                job.postselect.as_deref().expect("the body's mask"),
            )
            .map_err(|e| anyhow!(e))?,
        );
        Ok(ScreenSetup {
            circuit,
            job,
            channels,
            placed,
            screen,
        })
    }
}

/// Rows of the exact model's strata 1..=`max_k` computed exactly ([`super::enumerate`]), with
/// `threads` threads: `"method": "screened"`, `"part": "enumerated"` and the stratum's
/// `"acceptance"`, `"failure"` and `"unresolved"` in the metadata; shots are the configurations
/// listed. They join the screened rows of the same parameters into one curve.
pub fn enumerated_rows(
    prep: &HadamardPrep,
    noise: &NoiseModel,
    ps: &[f64],
    max_k: usize,
    threads: usize,
    base: &Value,
) -> Result<Vec<super::stats::TaskStats>> {
    let setup = ScreenSetup::new(prep, noise, ps)?;
    let score = prep.score().map_err(|e| anyhow!("{e}"))?;
    let postselect = setup.job.postselect.clone().expect("the body's mask");
    let enumerator = super::enumerate::Enumerator {
        program: &setup.job.program,
        postselect: &postselect,
        score: &score,
        placement: &setup.placed.placement,
        screen: &setup.screen,
        channels: &setup.channels,
        coins: crate::exact::coin_bounds(&setup.circuit),
        coin_seed: crate::exact::COIN_SEED,
    };
    let mut rows = Vec::new();
    for k in 1..=max_k {
        let start = std::time::Instant::now();
        let e = enumerator.stratum(k, threads)?;
        let seconds = start.elapsed().as_secs_f64() * threads as f64;
        let extra = json!({
            "method": "screened",
            "k": k,
            "part": "enumerated",
            "certificate": super::screen::CERTIFICATE,
            "p_values": ps,
            "fault_classes": classes_json(&setup.channels.classes),
        });
        let mut meta = task_metadata(base, ChModel::Exact, prep.d, extra);
        let strong_id = super::engine::strong_id(&setup.circuit, "postselect", &meta);
        if let Some(obj) = meta.as_object_mut() {
            obj.insert("acceptance".into(), json!(e.acceptance));
            obj.insert("failure".into(), json!(e.failure));
            obj.insert("unresolved".into(), json!(e.unresolved));
            for (key, count) in super::enumerate::COUNT_KEYS.iter().zip(e.counts()) {
                obj.insert((*key).into(), json!(count));
            }
        }
        rows.push(super::stats::TaskStats {
            shots: e.configurations,
            errors: 0,
            discards: 0,
            seconds,
            decoder: "postselect".into(),
            strong_id,
            json_metadata: meta,
            custom_counts: Default::default(),
        });
    }
    Ok(rows)
}

/// The exact model's screened strata ([`super::screen`]): per k, a task for the configurations
/// that pass the proxy screen and one for the rejects that the frame-linear detectors do not certify
/// (certified rejects are discarded with certainty and get no shots; a part that the screen
/// never drew is left out and counts as unknown when the curve is rebuilt).
fn screened_tasks(
    prep: &HadamardPrep,
    noise: &NoiseModel,
    ps: &[f64],
    (min_faults, max_faults): (usize, Option<usize>),
    screen_draws: u64,
    meta: &dyn Fn(Value) -> Value,
) -> Result<Vec<SweepTask>> {
    let ScreenSetup {
        circuit,
        job,
        channels,
        placed,
        screen,
    } = ScreenSetup::new(prep, noise, ps)?;
    let mut tasks = Vec::new();
    let skip = min_faults.max(1) - 1;
    let shares = strata_shares(&channels, ps, max_faults);
    // Shares relative to the heaviest stratum of this run.
    let heaviest = shares
        .iter()
        .skip(skip)
        .copied()
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let strata = shares.len().saturating_sub(skip) as u64;
    let mut screening = crate::progress::Steps::new("screening strata", strata);
    for (k, share) in (1..).zip(shares).skip(skip) {
        let tally = screen.tally(&channels, k, screen_draws);
        screening.step(&format!("k = {k}"));
        let (passed, certified) = (tally.passed, tally.certified);
        let share = (share / heaviest).max(MIN_SCREENED_SHARE);
        for (part, passing, count) in [
            ("pass", true, passed),
            ("reject", false, screen_draws - passed - certified),
        ] {
            if count == 0 {
                continue;
            }
            let m = meta(json!({
                "method": "screened",
                "k": k,
                "part": part,
                "screen": [passed, screen_draws],
                "certified": certified,
                "certificate": super::screen::CERTIFICATE,
                "p_values": ps,
                "fault_classes": classes_json(&channels.classes),
            }));
            let faults = ScreenedStratum {
                stratum: ExactStratum {
                    channels: channels.clone(),
                    placement: placed.placement.clone(),
                    k,
                },
                screen: screen.clone(),
                passing,
            };
            let engine = Engine::Exact(ExactJob {
                program: job.program.clone(),
                postselect: job.postselect.clone(),
                end_of_shot: job.end_of_shot.clone(),
                faults: Some(Arc::new(faults)),
            });
            let mut task = SweepTask::custom(
                circuit.clone(),
                engine,
                body_postselect(prep),
                m,
                None,
                None,
            );
            task.shot_share = share;
            task.max_shots_cap = passing.then_some(PASS_SHOTS_PER_PASSED * passed as f64);
            tasks.push(task);
        }
    }
    screening.finish();
    Ok(tasks)
}

/// A circuit file of the |H> preparation, recognised by its scoring-tail detectors (4th
/// coordinate [`TAIL_COORD`]) and checked to end in exactly the tail `qec-sim gen` writes, so
/// that `sweep --circuits` judges it as the built-in task does.
pub struct MarkedPrep {
    pub prep: HadamardPrep,
    /// Twirl when the file has `RH`/`CH`, proxy when it is Clifford.
    pub model: ChModel,
    /// Items of the file before its tail.
    body_items: usize,
}

/// Recognises a protocol circuit by its tail marks: None without marks, an error when marks
/// are present but the tail is not the protocol's.
pub fn marked_prep(circuit: &Circuit) -> Result<Option<MarkedPrep>> {
    let coords = circuit.detector_coords();
    let n = coords.len();
    let tail = coords
        .iter()
        .filter(|c| c.get(3) == Some(&TAIL_COORD))
        .count();
    if tail == 0 {
        return Ok(None);
    }
    if coords[n - tail..]
        .iter()
        .any(|c| c.get(3) != Some(&TAIL_COORD))
    {
        bail!(
            "the scoring-tail detectors (4th coordinate {TAIL_COORD}) must be the last detectors"
        );
    }
    // 6.6.6 color code: 3 (d^2 - 1) / 8 faces, one Z and one X check each.
    let d = (3..=1001)
        .step_by(2)
        .find(|d| 2 * 3 * (d * d - 1) / 8 == tail)
        .ok_or_else(|| {
            anyhow!("{tail} scoring-tail detectors (4th coordinate {TAIL_COORD}) match no distance of the |H> preparation")
        })?;
    // The GHZ layouts share the tail and differ in their body's detectors: the default
    // layout's protocol unless the other's body count is the file's (then the default's, for
    // the error below).
    let body_detectors = n - tail;
    let default = HadamardPrep::new(d).map_err(|e| anyhow!(e))?;
    let prep = if default.num_body_detectors == body_detectors {
        default
    } else {
        match HadamardPrep::on(d, LayoutKind::RedundantGhz) {
            Ok(undo) if undo.num_body_detectors == body_detectors => undo,
            _ => default,
        }
    };
    // With CH and RH: the twirl model's tail (logical X and Z measured) or the exact model's
    // (syndromes only; the state is scored exactly).
    let candidates: &[ChModel] = match circuit.first_non_clifford() {
        Some(_) => &[ChModel::Twirl, ChModel::Exact],
        None => &[ChModel::Proxy],
    };
    let items = &circuit.items;
    let model = candidates
        .iter()
        .copied()
        .find(|&m| {
            let tail = prep.scoring_tail(m).items;
            items.len() >= tail.len() && items[items.len() - tail.len()..] == tail[..]
        })
        .unwrap_or(candidates[0]);
    let expected = prep.scoring_tail(model).items;
    let body_items = items.len().saturating_sub(expected.len());
    if items[body_items..] != expected[..] || n - tail != prep.num_body_detectors {
        bail!(
            "its scoring tail (4th coordinate {TAIL_COORD}) is not the d = {d} {} protocol's as `qec-sim gen --task hadamard-prep` writes it",
            model.name()
        );
    }
    Ok(Some(MarkedPrep {
        prep,
        model,
        body_items,
    }))
}

impl MarkedPrep {
    /// The Clifford circuit whose determinism vouches for the file's body: the body's proxy
    /// (`CH` -> `CX`, `RH` -> `RX`) with the proxy's tail.
    pub fn clifford(&self, circuit: &Circuit) -> Circuit {
        let body = Circuit {
            items: circuit.items[..self.body_items].to_vec(),
        };
        let mut out = proxy_prep(&body);
        out.items.extend(self.prep.tail(true).items);
        out
    }

    /// The sweep task as the built-in task simulates it: frames with the protocol's decoder
    /// and per-Pauli residual counts, or (exact model) the exact engine scoring the state.
    pub fn task(&self, circuit: Circuit, json_metadata: Value) -> Result<SweepTask> {
        if self.model == ChModel::Exact {
            let engine = exact_engine(&self.prep, &circuit)?;
            let decoder = body_postselect(&self.prep);
            return Ok(SweepTask::custom(
                circuit,
                engine,
                decoder,
                json_metadata,
                None,
                None,
            ));
        }
        let program = FrameProgram::compile_with(&circuit, non_clifford(self.model))?;
        let decoder = self.prep.decoder(self.model).map_err(|e| anyhow!("{e}"))?;
        Ok(SweepTask::custom(
            circuit,
            Engine::Frame(program),
            Box::new(decoder),
            json_metadata,
            None,
            Some(residual_pauli),
        ))
    }
}
