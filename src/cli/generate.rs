//! `qec-sim gen` (memory and Hadamard-measurement circuits with noise) and `qec-sim draw` (layout drawings).

use super::io::Output;
use crate::circuit::Circuit;
use crate::layout::draw::{schedule_labels, svg_with, Overlay};
use crate::layout::{Layout, LayoutKind};
use crate::magic;
use crate::noise::NoiseModel;
use crate::schedule::{memory_circuit, Task};
use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// The largest distance the commands accept (a d = 101 circuit is already ~16k qubits).
const MAX_DISTANCE: usize = 101;
/// The most rounds `gen` writes (circuits are unrolled, one block per round).
const MAX_ROUNDS: usize = 10_000;
/// The most memory (approximate bytes) the generated circuits of one command may take:
/// circuits are unrolled, so distance and rounds together decide it (d = 101 takes about
/// 6 MB per noisy round).
pub(super) const MAX_CIRCUIT_BYTES: u64 = 2 << 30;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CodeName {
    /// The triangular 6.6.6 color code.
    Color666,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum TaskName {
    MemoryX,
    MemoryZ,
    /// One global Hadamard measurement (Chamberland and Noh 2020) on a layout with a GHZ
    /// network (default redundant-ghz-x); the first piece of `hadamard-prep`.
    HadamardMeasurement,
    /// The whole |H> preparation (Chamberland and Noh 2020): injection, growth, (d-1)/2 x
    /// [Hadamard measurement, flagged round], postselection detectors, noiseless scoring tail.
    HadamardPrep,
}

/// How the non-Clifford CH gates (and the injected |H>) are modelled.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ChModelName {
    /// Exact gates (for the exact engine); scoring tail of syndromes only (the state itself is
    /// scored).
    Exact,
    /// CH kept, scored by the Pauli-frame twirl model; scoring tail with logical X and Z.
    Twirl,
    /// CH -> CX[proxy:CH], |H> -> |+> (Stim-compatible); scoring tail with logical X.
    Proxy,
}

impl ChModelName {
    pub(super) fn model(self) -> magic::ChModel {
        match self {
            ChModelName::Exact => magic::ChModel::Exact,
            ChModelName::Twirl => magic::ChModel::Twirl,
            ChModelName::Proxy => magic::ChModel::Proxy,
        }
    }
}

/// Where `--task hadamard-prep` starts.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum StartName {
    /// Inject a noisy |H> and grow it (the whole protocol).
    Injection,
    /// Start the checks from a perfect encoded |H>_L (injection and growth noiseless).
    Perfect,
}

/// Which stages `--task hadamard-prep` runs.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum StageName {
    /// Injection and growth only: the growing stage's acceptance.
    Growth,
    /// Every stage.
    All,
}

/// The protocol stages the flags ask for; None when neither is given. Refused for other tasks
/// and for `--start perfect --stage growth` (nothing noisy would be left).
pub(super) fn prep_stages(
    task: Option<TaskName>,
    start: Option<StartName>,
    stage: Option<StageName>,
) -> Result<magic::Stages> {
    let flag = match (start, stage) {
        (Some(_), _) => "--start",
        (None, Some(_)) => "--stage",
        (None, None) => return Ok(magic::Stages::Whole),
    };
    if task != Some(TaskName::HadamardPrep) {
        bail!("{flag} applies to --task hadamard-prep only");
    }
    Ok(match (start, stage) {
        (Some(StartName::Perfect), Some(StageName::Growth)) => {
            bail!("--start perfect skips the growth stage that --stage growth asks for")
        }
        (Some(StartName::Perfect), _) => magic::Stages::PerfectStart,
        (_, Some(StageName::Growth)) => magic::Stages::Growth,
        _ => magic::Stages::Whole,
    })
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum LayoutName {
    Standard,
    Redundant,
    /// The redundant layout plus the inter-face couplings of its GHZ network, every member
    /// undone by a CX and read out as a flag.
    RedundantGhz,
    /// As redundant-ghz, with a GHZ network whose leaves are read out in X instead of undone:
    /// the paper's Hadamard-measurement depths at d = 3, 5, 7 (solver networks; beyond, the
    /// mirrored network with its leaves read out in X); the Hadamard tasks' default, see
    /// docs/hadamard-prep.md.
    RedundantGhzX,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum NoiseName {
    None,
    Uniform,
    Cn20,
    Si1000,
}

/// The code and layout, shared by both commands.
#[derive(Args, Debug)]
pub struct LayoutArgs {
    #[arg(long, value_enum, default_value = "color666")]
    code: CodeName,
    /// Code distance, odd and at least 3.
    #[arg(long, short = 'd')]
    distance: usize,
    /// Default: redundant-ghz-x for the Hadamard tasks (which also run on redundant-ghz),
    /// standard otherwise.
    #[arg(long, value_enum)]
    layout: Option<LayoutName>,
}

#[derive(Args, Debug)]
pub struct GenArgs {
    #[command(flatten)]
    layout: LayoutArgs,
    #[arg(long, value_enum)]
    task: TaskName,
    /// Syndrome-measurement rounds (default: the distance).
    #[arg(long)]
    rounds: Option<usize>,
    /// Noise model added to the clean circuit.
    #[arg(long, value_enum, default_value = "none")]
    noise: NoiseName,
    /// Base error rate of the noise model (needed with --noise).
    #[arg(long)]
    p: Option<f64>,
    /// Clifford proxy of a magic-state task: every CH becomes CX[proxy:CH] (Stim-compatible).
    #[arg(long)]
    proxy: bool,
    /// CH model of `--task hadamard-prep` (default twirl).
    #[arg(long, value_enum)]
    ch_model: Option<ChModelName>,
    /// `--task hadamard-prep`: `perfect` starts the checks from a perfect encoded |H>_L
    /// (injection and growth noiseless); default `injection`, the whole protocol.
    #[arg(long, value_enum)]
    start: Option<StartName>,
    /// `--task hadamard-prep`: `growth` runs injection and growth only (the growing stage's
    /// acceptance); default `all`.
    #[arg(long, value_enum)]
    stage: Option<StageName>,
    /// Output file; absent writes standard output.
    #[arg(long, short = 'o', visible_alias = "out")]
    output: Option<PathBuf>,
    /// Prints qubit, detector and time-step counts to standard error.
    #[arg(long)]
    stats: bool,
}

#[derive(Args, Debug)]
pub struct DrawArgs {
    #[command(flatten)]
    layout: LayoutArgs,
    /// `hadamard-prep` (or `hadamard-measurement`): draw the layout (default redundant-ghz-x)
    /// with the GHZ tree of the Hadamard measurement and its CH pairs.
    #[arg(long, value_enum)]
    task: Option<TaskName>,
    /// Labels each data coupling with the time steps of its X- and Z-stabilizer gates.
    #[arg(long)]
    schedule: bool,
    /// Output SVG file; absent writes standard output.
    #[arg(long, short = 'o', visible_alias = "out")]
    output: Option<PathBuf>,
}

/// The layout of the command: the named one, or the task's default; a Hadamard task on a
/// layout without a GHZ network is refused.
fn build_layout(a: &LayoutArgs, task: Option<TaskName>) -> Result<Layout> {
    let magic = matches!(
        task,
        Some(TaskName::HadamardMeasurement | TaskName::HadamardPrep)
    );
    let default = if magic {
        HADAMARD_LAYOUT
    } else {
        LayoutName::Standard
    };
    let name = a.layout.unwrap_or(default);
    if magic {
        check_magic_layout(name, &spelling(&task.expect("a magic task")))?;
    }
    layout_for(a.code, a.distance, name)
}

/// Refuses a layout that cannot run the global Hadamard measurement of `task`.
pub(super) fn check_magic_layout(name: LayoutName, task: &str) -> Result<()> {
    if !layout_kind(name).has_ghz() {
        bail!(
            "--layout {} cannot run the Hadamard measurement of --task {task}: its ancillas are \
             coupled only inside faces (use --layout redundant-ghz-x, the default for this \
             task, or redundant-ghz)",
            spelling(&name)
        );
    }
    Ok(())
}

/// The layout of the Hadamard tasks when `--layout` names none: [`LayoutKind::HADAMARD`]
/// (checked below at compile time).
pub(super) const HADAMARD_LAYOUT: LayoutName = LayoutName::RedundantGhzX;
const _: () = assert!(matches!(layout_kind(HADAMARD_LAYOUT), LayoutKind::HADAMARD));

/// The layout kind of a layout name.
pub(super) const fn layout_kind(name: LayoutName) -> LayoutKind {
    match name {
        LayoutName::Standard => LayoutKind::Standard,
        LayoutName::Redundant => LayoutKind::Redundant,
        LayoutName::RedundantGhz => LayoutKind::RedundantGhz,
        LayoutName::RedundantGhzX => LayoutKind::RedundantGhzX,
    }
}

/// The layout of a code at distance d (shared with `sweep --task`).
pub(super) fn layout_for(code: CodeName, d: usize, layout: LayoutName) -> Result<Layout> {
    let CodeName::Color666 = code;
    check_distance(d)?;
    Ok(Layout::new(d, layout_kind(layout)))
}

/// Refuses a code distance no layout is built for (checked before any long construction).
pub(super) fn check_distance(d: usize) -> Result<()> {
    if d < 3 || d.is_multiple_of(2) || d > MAX_DISTANCE {
        bail!("--distance must be odd, at least 3 and at most {MAX_DISTANCE} (got {d})");
    }
    Ok(())
}

impl TaskName {
    /// The memory experiment this task names, if it is one.
    pub(super) fn task(self) -> Option<Task> {
        match self {
            TaskName::MemoryX => Some(Task::MemoryX),
            TaskName::MemoryZ => Some(Task::MemoryZ),
            TaskName::HadamardMeasurement | TaskName::HadamardPrep => None,
        }
    }
}

/// A value enum's command-line spelling (e.g. `memory-x`), for metadata.
pub(super) fn spelling(v: &impl ValueEnum) -> String {
    v.to_possible_value()
        .map_or(String::new(), |p| p.get_name().to_string())
}

pub(super) fn noise_model(name: NoiseName, p: f64) -> Result<Option<NoiseModel>> {
    if !(0.0..=1.0).contains(&p) {
        bail!("--p must be a probability between 0 and 1 (got {p})");
    }
    let name = match name {
        NoiseName::None if p > 0.0 => bail!("--p {p} needs a --noise model"),
        NoiseName::None => return Ok(None),
        NoiseName::Uniform => "uniform",
        NoiseName::Cn20 => "cn20",
        NoiseName::Si1000 => "si1000",
    };
    let model = NoiseModel::named(name).expect("shipped model");
    if p > model.max_p() {
        bail!(
            "--p {p}: the {name} model would clamp some of its rates; it takes p up to {}",
            model.max_p()
        );
    }
    Ok(Some(model))
}

/// Approximate bytes of a memory circuit (with noise, if a model is given) of `rounds` rounds,
/// extrapolated from one and two rounds (every further round adds the same block), without
/// building the whole circuit.
pub(super) fn memory_circuit_bytes(
    layout: &Layout,
    task: Task,
    rounds: usize,
    noise: Option<(&NoiseModel, f64)>,
) -> u64 {
    let bytes = |r: usize| {
        let clean = memory_circuit(layout, task, r).circuit;
        match noise {
            Some((model, p)) => model.apply(&clean, p).approx_bytes(),
            None => clean.approx_bytes(),
        }
    };
    let (one, two) = (bytes(1), bytes(2));
    let per_round = two.saturating_sub(one);
    one.saturating_add(per_round.saturating_mul(rounds.saturating_sub(1) as u64))
}

/// Refuses generated circuits of more than [`MAX_CIRCUIT_BYTES`] before they are built.
pub(super) fn check_circuit_bytes(bytes: u64, what: &str) -> Result<()> {
    if bytes > MAX_CIRCUIT_BYTES {
        bail!(
            "{what} would take about {:.1} GB of memory (limit {:.1} GB; circuits are unrolled, \
             one block per round): use fewer --rounds or a smaller distance",
            bytes as f64 / 1e9,
            MAX_CIRCUIT_BYTES as f64 / 1e9
        );
    }
    Ok(())
}

/// The clean circuit of a task and its `--stats` line.
fn task_circuit(a: &GenArgs, layout: &Layout, rounds: usize) -> Result<(Circuit, String)> {
    let Some(task) = a.task.task() else {
        return hadamard_task(a, layout);
    };
    if a.proxy {
        bail!("--proxy applies to magic-state tasks only");
    }
    let memory = memory_circuit(layout, task, rounds);
    let s = memory.circuit.stats();
    let stats = format!(
        "qubits {} (data {}), detectors {}, time steps per round {} alone, {} in total for {rounds} rounds",
        layout.num_qubits(),
        layout.num_data(),
        s.num_detectors,
        memory.ticks_per_round,
        memory.ticks_total
    );
    Ok((memory.circuit, stats))
}

/// One global Hadamard measurement on a layout with a GHZ network (or its proxy).
fn hadamard_task(a: &GenArgs, layout: &Layout) -> Result<(Circuit, String)> {
    let circuit = magic::hadamard_measurement(layout).map_err(anyhow::Error::msg)?;
    let inter = layout
        .ghz
        .as_ref()
        .map_or(0, |g| g.inter_face(layout).len());
    let stats = format!(
        "qubits {} (data {}), inter-face ancilla couplings {inter}, max degree {}, time steps {}",
        layout.num_qubits(),
        layout.num_data(),
        layout.max_degree(),
        circuit.stats().num_ticks
    );
    let circuit = if a.proxy {
        magic::proxy(&circuit)
    } else {
        circuit
    };
    Ok((circuit, stats))
}

pub fn generate(a: &GenArgs) -> Result<()> {
    // The |H> preparation builds its own layout: check the flags here and
    // build it once, there (at large d the round search takes minutes).
    let prep = a.task == TaskName::HadamardPrep;
    let layout = if prep {
        let name = a.layout.layout.unwrap_or(HADAMARD_LAYOUT);
        check_magic_layout(name, &spelling(&a.task))?;
        check_distance(a.layout.distance)?;
        None
    } else {
        Some(build_layout(&a.layout, Some(a.task))?)
    };
    let rounds = a.rounds.unwrap_or(a.layout.distance);
    if rounds == 0 || rounds > MAX_ROUNDS {
        bail!("--rounds must be between 1 and {MAX_ROUNDS} (got {rounds})");
    }
    let task = spelling(&a.task);
    if a.task.task().is_none() && a.rounds.is_some() {
        bail!("--rounds applies to memory tasks, not --task {task}");
    }
    if a.task != TaskName::HadamardPrep && a.ch_model.is_some() {
        bail!("--ch-model applies to --task hadamard-prep, not --task {task}");
    }
    let p = match (a.noise, a.p) {
        (NoiseName::None, None) => 0.0,
        (noise, None) => bail!(
            "--noise {} needs --p (the base error rate)",
            spelling(&noise)
        ),
        (_, Some(p)) => p,
    };
    let model = noise_model(a.noise, p)?;
    let stages = prep_stages(Some(a.task), a.start, a.stage)?;
    let Some(layout) = layout else {
        return generate_prep(a, model.map(|m| (m, p)), stages);
    };
    if let Some(task) = a.task.task() {
        let noise = model.as_ref().map(|m| (m, p));
        let bytes = memory_circuit_bytes(&layout, task, rounds, noise);
        check_circuit_bytes(
            bytes,
            &format!(
                "the circuit (d = {}, {rounds} rounds)",
                layout.code.distance
            ),
        )?;
    }
    let (circuit, stats) = task_circuit(a, &layout, rounds)?;
    if a.stats {
        eprintln!("{stats}");
    }
    let circuit = match model {
        Some(m) => m.apply(&circuit, p),
        None => circuit,
    };
    let mut out = Output::create(a.output.as_deref())?;
    out.write(circuit.to_string().as_bytes())?;
    out.finish()
}

/// The whole |H> preparation: noise goes on the protocol only, the scoring tail stays ideal.
fn generate_prep(
    a: &GenArgs,
    noise: Option<(NoiseModel, f64)>,
    stages: magic::Stages,
) -> Result<()> {
    if a.proxy {
        bail!("--task hadamard-prep takes --ch-model proxy, not --proxy");
    }
    let kind = layout_kind(a.layout.layout.unwrap_or(HADAMARD_LAYOUT));
    let prep = magic::HadamardPrep::staged_on(a.layout.distance, kind, stages)
        .map_err(anyhow::Error::msg)?;
    if a.stats {
        let t = prep.timing;
        eprintln!(
            "qubits {} (data {}), max degree {}, postselected detectors {}, time steps: growth \
             {}, Hadamard measurement {}, round {}, attempt {}",
            prep.layout.num_qubits(),
            prep.layout.num_data(),
            prep.layout.max_degree(),
            prep.num_body_detectors,
            t.grow,
            t.hadamard,
            t.round,
            prep.ticks
        );
    }
    let (noise, p) = noise.unwrap_or((NoiseModel::named("uniform").expect("shipped model"), 0.0));
    let ch_model = a.ch_model.unwrap_or(ChModelName::Twirl).model();
    let circuit = prep.circuit(&noise, p, ch_model);
    let mut out = Output::create(a.output.as_deref())?;
    out.write(circuit.to_string().as_bytes())?;
    out.finish()
}

pub fn draw(a: &DrawArgs) -> Result<()> {
    let ext = a.output.as_deref().and_then(|p| p.extension());
    if let Some(ext) = ext.filter(|e| !e.eq_ignore_ascii_case("svg")) {
        bail!(
            "draw writes SVG; name the output .svg, not .{} (convert it with any SVG tool)",
            ext.to_string_lossy()
        );
    }
    let layout = build_layout(&a.layout, a.task)?;
    let mut overlays = Vec::new();
    match a.task {
        None | Some(TaskName::MemoryX | TaskName::MemoryZ) => {}
        Some(TaskName::HadamardMeasurement | TaskName::HadamardPrep) => {
            overlays.push(Overlay {
                pairs: magic::ghz_tree_edges(&layout),
                color: "#e80",
                width: 4.0,
                dash: "",
                label: "GHZ tree".to_string(),
            });
            let read_x: Vec<(usize, usize)> = layout.ghz.as_ref().map_or(Vec::new(), |g| {
                let edges = g.tree.iter().filter(|e| e.read_x);
                edges.map(|e| (e.parent, e.child)).collect()
            });
            if !read_x.is_empty() {
                overlays.push(Overlay {
                    pairs: read_x,
                    color: "#fc0",
                    width: 4.0,
                    dash: "",
                    label: "GHZ tree edge to a leaf read out in X".to_string(),
                });
            }
            overlays.push(Overlay {
                pairs: layout
                    .ghz
                    .as_ref()
                    .map_or(Vec::new(), |g| g.inter_face(&layout)),
                color: "#0a7",
                width: 2.0,
                dash: "",
                label: "inter-face coupling (part of the GHZ tree)".to_string(),
            });
            overlays.push(Overlay {
                pairs: magic::ch_controls(&layout)
                    .into_iter()
                    .enumerate()
                    .map(|(q, c)| (c, q))
                    .collect(),
                color: "#80c",
                width: 2.5,
                dash: "5,3",
                label: "CH".to_string(),
            });
            overlays.push(Overlay {
                pairs: Vec::new(),
                color: "#222",
                width: 1.5,
                dash: "",
                label: format!(
                    "coupling ({} in all, max degree {})",
                    layout.graph.edge_count(),
                    layout.max_degree()
                ),
            });
        }
    }
    let labels = if a.schedule {
        schedule_labels(&layout)
    } else {
        Vec::new()
    };
    let mut out = Output::create(a.output.as_deref())?;
    out.write(svg_with(&layout, &labels, &overlays).as_bytes())?;
    out.finish()
}
