//! The cheapest configuration of each scheme at one physical error p and target output error
//! eps, in common units.
//!
//! Units: our circuits count physical time steps; Litinski's model counts surface-code cycles;
//! the cultivation data counts rounds. ONE explicit conversion joins them: a code cycle is
//! `steps_per_cycle` time steps (default [`DEFAULT_STEPS_PER_CYCLE`] = 8, about the depth of
//! one surface-code syndrome cycle: reset, 4 CNOT layers, basis changes, measurement), and a
//! cultivation round counts as one code cycle. Space-time is reported in qubit x code cycles per
//! output state. With hardware times (gate g, measurement m) every code cycle takes
//! (steps_per_cycle - 1) g + m (one measurement step per cycle) and every time step of ours
//! takes that divided by steps_per_cycle.

use super::bottom_up::{self, BottomUpCost, BottomUpFits, Interval, Validity};
use super::distillation::{DistillationCost, Protocol, Protocol15To1, SecondLevel};
use super::level2::{self, MemoryModel};
use super::search::{DistanceRange, FactorySearch, SearchSpace, TwoLevelSpace};
use super::textbook::TextbookFifteenToOne;
use super::transfer::{self, TransferCost};
use serde::Serialize;
use std::collections::{btree_map, BTreeMap};

/// Default physical time steps per surface-code cycle.
pub const DEFAULT_STEPS_PER_CYCLE: f64 = 8.0;
/// Largest level-2 color-code distance searched.
pub const LEVEL2_MAX_DISTANCE: usize = 25;
/// Largest distance searched for the textbook 15-to-1.
pub const TEXTBOOK_MAX_DISTANCE: u32 = 41;

/// Gate and measurement times, for wall-clock conversions.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Hardware {
    pub gate_ns: f64,
    pub measurement_ns: f64,
}

/// How the schemes are compared.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Settings {
    pub steps_per_cycle: f64,
    pub hardware: Option<Hardware>,
    /// 1, or 2 to include the (modelled) second level of the bottom-up scheme.
    pub levels: u8,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            steps_per_cycle: DEFAULT_STEPS_PER_CYCLE,
            hardware: None,
            levels: 1,
        }
    }
}

impl Settings {
    /// Nanoseconds per code cycle: (steps_per_cycle - 1) gate + 1 measurement.
    pub fn cycle_ns(&self) -> Option<f64> {
        self.hardware
            .map(|h| (self.steps_per_cycle - 1.0) * h.gate_ns + h.measurement_ns)
    }
}

/// The schemes, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Scheme {
    BottomUp1,
    BottomUp1Moved,
    BottomUp2,
    BottomUp2Moved,
    LitinskiOneLevel,
    LitinskiAny,
    Textbook,
    Cultivation,
    CultivationSampled,
}

impl Scheme {
    pub fn label(self) -> &'static str {
        match self {
            Scheme::BottomUp1 => "bottom-up |H>, level 1 (ours, simulated; in the colour code)",
            Scheme::BottomUp1Moved => {
                "bottom-up |H>, level 1, moved into the surface code (ours + move model)"
            }
            Scheme::BottomUp2 => "bottom-up |H>, level 2 (ours, modelled; in the colour code)",
            Scheme::BottomUp2Moved => {
                "bottom-up |H>, level 2, moved into the surface code (modelled + move model)"
            }
            Scheme::LitinskiOneLevel => "Litinski 15-to-1, one level",
            Scheme::LitinskiAny => "Litinski, one or two levels",
            Scheme::Textbook => "textbook 15-to-1 (35 p^3)",
            Scheme::Cultivation => "cultivation (quoted, not simulated)",
            Scheme::CultivationSampled => "cultivation (sampled exactly, --cultivation-stats)",
        }
    }

    pub fn short(self) -> &'static str {
        match self {
            Scheme::BottomUp1 => "bottom-up-L1",
            Scheme::BottomUp1Moved => "bottom-up-L1-moved",
            Scheme::BottomUp2 => "bottom-up-L2",
            Scheme::BottomUp2Moved => "bottom-up-L2-moved",
            Scheme::LitinskiOneLevel => "litinski-1",
            Scheme::LitinskiAny => "litinski-1or2",
            Scheme::Textbook => "textbook-15to1",
            Scheme::Cultivation => "cultivation-quoted",
            Scheme::CultivationSampled => "cultivation-sampled",
        }
    }

    pub fn is_ours(self) -> bool {
        matches!(
            self,
            Scheme::BottomUp1 | Scheme::BottomUp1Moved | Scheme::BottomUp2 | Scheme::BottomUp2Moved
        )
    }

    /// Ours, delivered in a surface-code patch as distillation's outputs are ([`transfer`]).
    pub fn is_moved(self) -> bool {
        matches!(self, Scheme::BottomUp1Moved | Scheme::BottomUp2Moved)
    }
}

/// The cheapest configuration of one scheme (per output state).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Choice {
    pub config: String,
    pub output_error: Interval,
    /// Footprint in physical qubits.
    pub qubits: f64,
    /// Expected code cycles per output state (throughput of one factory).
    pub cycles: f64,
    /// Expected qubit x code cycles per output state (interval for ours, from the fits).
    pub spacetime: Interval,
    /// Wall-clock time per output state, with --hardware.
    pub wall_ns: Option<f64>,
    /// Fits used outside the simulated p range.
    pub extrapolated: bool,
}

/// One scheme's line of a comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    pub scheme: Scheme,
    pub label: &'static str,
    pub choice: Option<Choice>,
    /// Why there is no choice, or remarks.
    pub note: String,
    /// This scheme's space-time over the best bottom-up configuration's in the colour code
    /// (distillation / ours).
    pub ratio_to_ours: Option<f64>,
    /// The same over the best bottom-up configuration moved into the surface code: the
    /// like-for-like comparison, since distillation's outputs sit in surface-code patches.
    pub ratio_to_moved: Option<f64>,
}

/// All schemes at one (p, target).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub p: f64,
    pub target: f64,
    pub entries: Vec<Entry>,
    /// The move into a surface-code patch ([`transfer`]) inside each chosen moved entry
    /// ([`Scheme::is_moved`]: counted in its space-time and output error), and the move each
    /// colour-code choice would need (not counted in its entry).
    pub transfers: Vec<(Scheme, TransferCost)>,
}

/// A published cultivation row.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CultivationRow {
    pub p: f64,
    pub d1: u32,
    pub d2: u32,
    pub qubits: f64,
    pub logical_error: f64,
    pub volume: f64,
    pub rounds: f64,
    /// From our own exact sampling (`--cultivation-stats`), not the published table.
    pub sampled: bool,
}

/// Parses `estimates/reference/cultivation2024.csv` (comment lines start with '#').
pub fn parse_cultivation(text: &str) -> Result<Vec<CultivationRow>, String> {
    let mut out = Vec::new();
    let mut header: Option<Vec<String>> = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let Some(h) = &header else {
            header = Some(cells.iter().map(|s| s.to_string()).collect());
            continue;
        };
        let get = |name: &str| -> Result<f64, String> {
            let j = h
                .iter()
                .position(|c| c == name)
                .ok_or(format!("cultivation table has no column '{name}'"))?;
            cells
                .get(j)
                .and_then(|c| c.parse::<f64>().ok())
                .ok_or(format!("line {}: column '{name}' is not a number", i + 1))
        };
        out.push(CultivationRow {
            p: get("p")?,
            d1: get("d1")? as u32,
            d2: get("d2")? as u32,
            qubits: get("qubits")?,
            logical_error: get("logical_error")?,
            volume: get("expected_volume_qubit_rounds")?,
            rounds: get("rounds")?,
            sampled: false,
        });
    }
    Ok(out)
}

/// Cultivation rows from sweep statistics (sinter CSV text `text` of file `name`) of a
/// cultivation circuit sampled exactly by qec-sim: each task (rows with the same strong_id
/// merged) needs json_metadata numbers "p", "qubits" (physical qubits) and "rounds" (rounds per
/// attempt), optionally "d1" and "d2". Per task: logical error per T state = errors / kept (its
/// upper likelihood bound when no error was seen), acceptance = kept / shots, expected rounds =
/// rounds / acceptance and volume = qubits x expected rounds per kept state. Errors name the
/// file and line.
pub fn cultivation_from_stats(text: &str, name: &str) -> Result<Vec<CultivationRow>, String> {
    let parsed = crate::sweep::parse_stats(text).map_err(|e| format!("{name}:{e}"))?;
    // Data lines in file order (the header is the first non-blank line; records are one line).
    let lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, _)| i + 1)
        .skip(1)
        .collect();
    let mut tasks: Vec<(usize, crate::sweep::TaskStats)> = Vec::new();
    for (i, row) in parsed.rows.into_iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(0);
        match tasks.iter_mut().find(|(_, t)| t.strong_id == row.strong_id) {
            Some((_, t)) => t.add(&row),
            None => tasks.push((line, row)),
        }
    }
    if tasks.is_empty() {
        return Err(format!("{name}: no statistics rows"));
    }
    let mut out = Vec::new();
    for (line, t) in tasks {
        let m = &t.json_metadata;
        let num = |key: &str| -> Result<f64, String> {
            m.get(key)
                .and_then(serde_json::Value::as_f64)
                .filter(|x| x.is_finite() && *x > 0.0)
                .ok_or(format!(
                    "{name}:{line}: json_metadata needs a positive number \"{key}\" for a cultivation row"
                ))
        };
        let (p, qubits, rounds) = (num("p")?, num("qubits")?, num("rounds")?);
        let kept = t.kept();
        if kept == 0 {
            return Err(format!(
                "{name}:{line}: no kept shots (every shot discarded): the acceptance is unknown"
            ));
        }
        let fit = crate::sweep::fit::fit_binomial(t.errors, kept, bottom_up::LIKELIHOOD_FACTOR);
        let logical_error = if t.errors > 0 { fit.best } else { fit.high };
        let acceptance = kept as f64 / t.shots as f64;
        let d = |key: &str| m.get(key).and_then(serde_json::Value::as_u64).unwrap_or(0) as u32;
        out.push(CultivationRow {
            p,
            d1: d("d1"),
            d2: d("d2"),
            qubits,
            logical_error,
            volume: qubits * rounds / acceptance,
            rounds: rounds / acceptance,
            sampled: true,
        });
    }
    Ok(out)
}

/// The bottom-up side: fits, memory model and time steps per attempt (cached per distance).
pub struct Ours<'a> {
    pub fits: &'a BottomUpFits,
    pub memory: &'a MemoryModel,
    /// The stages' time steps per fitted distance, read from our generated circuits.
    timings: BTreeMap<usize, crate::magic::PrepTiming>,
    rounds: BTreeMap<usize, u64>,
    /// Per (p bits, two-level?): the loosest target found unreachable by Litinski's protocols;
    /// tighter targets are then unreachable too (no need to search again).
    unreachable: BTreeMap<(u64, bool), f64>,
    /// Per (p bits, two-level?): the search over Litinski's protocols, kept for the next target.
    searches: BTreeMap<(u64, bool), FactorySearch>,
}

impl<'a> Ours<'a> {
    /// Reads the attempt time steps of every fitted distance from our generated circuits.
    pub fn new(fits: &'a BottomUpFits, memory: &'a MemoryModel) -> Result<Self, String> {
        let mut timings = BTreeMap::new();
        for f in &fits.fits {
            timings.insert(f.d, crate::magic::prep_timing_on(f.d, &fits.layout)?);
        }
        Ok(Ours {
            fits,
            memory,
            timings,
            rounds: BTreeMap::new(),
            unreachable: BTreeMap::new(),
            searches: BTreeMap::new(),
        })
    }

    /// The stages' time steps (growth, Hadamard measurement, round, attempt) at each fitted
    /// distance, as read from the generated circuits.
    pub fn timings(&self) -> &BTreeMap<usize, crate::magic::PrepTiming> {
        &self.timings
    }

    /// Level-1 costs at p of the distances whose fits support p.
    pub fn level1(&self, p: f64) -> Vec<BottomUpCost> {
        self.fits
            .fits
            .iter()
            .filter(|f| f.validity(p) != Validity::Refused)
            .map(|f| bottom_up::cost(f, p, self.timings[&f.d].attempt as u64, &self.fits.points))
            .collect()
    }

    fn round_steps(&mut self, d: usize) -> u64 {
        *self
            .rounds
            .entry(d)
            .or_insert_with(|| level2::round_steps(d))
    }
}

/// Litinski's cheapest protocol in `space` at (p, target), remembering unreachable targets and
/// sharing the search's work over targets at the same p.
fn litinski(
    ours: &mut Ours,
    p: f64,
    target: f64,
    space: &SearchSpace,
    two: bool,
    one_level: Option<(Protocol, DistillationCost)>,
) -> Result<Option<(Protocol, DistillationCost)>, String> {
    let key = (p.to_bits(), two);
    if ours.unreachable.get(&key).is_some_and(|&t| target <= t) {
        return Ok(None);
    }
    let search = match ours.searches.entry(key) {
        btree_map::Entry::Occupied(e) => e.into_mut(),
        btree_map::Entry::Vacant(e) => {
            e.insert(FactorySearch::new(p, space).map_err(|e| e.to_string())?)
        }
    };
    let found = if two {
        // Only two-level protocols cheaper than the one-level result (which may lie outside
        // the two-level space, so it stays the answer when nothing cheaper is found).
        let ceiling = one_level.map_or(f64::INFINITY, |c| c.1.qubit_cycles * (1.0 + 1e-9));
        search
            .cheapest_below(target, ceiling)
            .map_err(|e| e.to_string())?
            .or(one_level)
    } else {
        search
            .cheapest_below(target, f64::INFINITY)
            .map_err(|e| e.to_string())?
    };
    if found.is_none() {
        let t = ours.unreachable.entry(key).or_insert(target);
        *t = t.max(target);
    }
    Ok(found)
}

/// Searches used for Litinski's protocols (p-independent).
pub fn litinski_spaces() -> (SearchSpace, SearchSpace) {
    let one = SearchSpace {
        level1: DistanceRange { min: 3, max: 25 },
        two_level: None,
    };
    let two = SearchSpace {
        level1: DistanceRange { min: 3, max: 15 },
        two_level: Some(TwoLevelSpace {
            copies: vec![4, 6],
            level2: DistanceRange { min: 7, max: 31 },
            kinds: vec![SecondLevel::FifteenToOne, SecondLevel::TwentyToFour],
        }),
    };
    (one, two)
}

/// Litinski's notation: (15-to-1)_{dX,dZ,dm}, (15-to-1)^n_{..} x (20-to-4)_{..}.
pub fn protocol_name(p: &Protocol) -> String {
    let one = |x: &Protocol15To1| format!("{{{},{},{}}}", x.dx, x.dz, x.dm);
    match p {
        Protocol::OneLevel(x) => format!("(15-to-1)_{}", one(x)),
        Protocol::TwoLevel(t) => format!(
            "(15-to-1)^{}_{} x ({})_{}",
            t.copies,
            one(&t.first),
            match t.kind {
                SecondLevel::FifteenToOne => "15-to-1",
                SecondLevel::TwentyToFour => "20-to-4",
            },
            one(&t.second)
        ),
    }
}

/// The output error a configuration of ours is judged by: the fit's estimate, or its upper
/// bound when no error was observed at that distance (estimate 0).
pub fn judged(logical: Interval) -> f64 {
    if logical.est > 0.0 {
        logical.est
    } else {
        logical.hi
    }
}

fn ours_choice(c: &BottomUpCost, settings: &Settings) -> Choice {
    let spc = settings.steps_per_cycle;
    Choice {
        config: format!(
            "d={} ({} qubits, {} steps/attempt, P_acc={:.3}; {})",
            c.d,
            c.qubits,
            c.steps,
            c.acceptance.est,
            match c.source {
                bottom_up::CostSource::Point => "simulated point",
                bottom_up::CostSource::Fit => "from the fit",
            }
        ),
        output_error: c.logical,
        qubits: c.qubits as f64,
        cycles: c.expected_steps.est / spc,
        spacetime: c.spacetime.map(|x| x / spc),
        wall_ns: settings
            .cycle_ns()
            .map(|ns| c.expected_steps.est / spc * ns),
        extrapolated: c.validity == Validity::Extrapolated,
    }
}

fn plain_choice(
    config: String,
    err: f64,
    qubits: f64,
    cycles: f64,
    spacetime: f64,
    settings: &Settings,
) -> Choice {
    Choice {
        config,
        output_error: Interval::new(err, err, err),
        qubits,
        cycles,
        spacetime: Interval::new(spacetime, spacetime, spacetime),
        wall_ns: settings.cycle_ns().map(|ns| cycles * ns),
        extrapolated: false,
    }
}

/// One configuration of ours that may be chosen: its colour-code distance and footprint (what
/// the move needs) and its cost as a state in the colour code.
struct Candidate {
    d: usize,
    qubits: u64,
    choice: Choice,
}

fn level2_choice(c: &level2::Level2Cost, l1: &BottomUpCost, settings: &Settings) -> Choice {
    let spc = settings.steps_per_cycle;
    Choice {
        config: format!(
            "d1={} x{} factories -> d2={} ({} rounds of {} steps; p_mem {})",
            c.d1,
            c.level1_factories,
            c.d2,
            c.rounds,
            c.round_steps,
            if c.memory_assumed {
                "ASSUMED 0.1(100p)^((d2+1)/2)"
            } else {
                "fitted"
            }
        ),
        output_error: c.logical,
        qubits: c.qubits as f64,
        cycles: c.expected_steps / spc,
        spacetime: Interval::new(c.spacetime / spc, c.spacetime / spc, c.spacetime / spc),
        wall_ns: settings.cycle_ns().map(|ns| c.expected_steps / spc * ns),
        extrapolated: l1.validity == Validity::Extrapolated,
    }
}

/// A state of ours followed by its move: the move's error is added to the state's, its
/// space-time (the colour patch and the surface patch, busy for the merge) to the state's, and
/// its cycles follow the preparation's (the colour patch is busy until the move ends).
fn moved_choice(state: &Choice, t: &TransferCost, settings: &Settings) -> Choice {
    let shift = |i: Interval, by: f64| Interval::new(i.est + by, i.lo + by, i.hi + by);
    let cycles = state.cycles + t.cycles;
    Choice {
        config: format!(
            "{} -> surface code d_s={} ({} cycles; colour-code memory {})",
            state.config,
            t.d_surface,
            t.cycles,
            if t.memory_assumed {
                "ASSUMED 0.1(100p)^((d+1)/2)"
            } else {
                "fitted"
            }
        ),
        output_error: shift(state.output_error, t.error),
        qubits: t.qubits as f64,
        cycles,
        spacetime: shift(state.spacetime, t.spacetime),
        wall_ns: settings.cycle_ns().map(|ns| cycles * ns),
        extrapolated: state.extrapolated,
    }
}

/// Pushes the entries of one level of ours: the cheapest candidate meeting the target as a
/// state in the colour code, and the cheapest whose state and move together meet it (judged as
/// [`judged`] judges the state: its upper end where no error was observed), with that move.
fn push_ours(
    entries: &mut Vec<Entry>,
    transfers: &mut Vec<(Scheme, TransferCost)>,
    [in_colour, moved]: [Scheme; 2],
    candidates: &[Candidate],
    (p, target, memory, settings): (f64, f64, &MemoryModel, &Settings),
    unreached: &str,
) {
    let cheapest =
        |x: &&Candidate, y: &&Candidate| x.choice.spacetime.est.total_cmp(&y.choice.spacetime.est);
    let best = candidates
        .iter()
        .filter(|c| judged(c.choice.output_error) <= target)
        .min_by(cheapest);
    // What moving that state would add, shown where it misses the target (otherwise the moved
    // choice is this state or a cheaper one).
    if let Some(c) = best {
        let t = transfer::cost(p, target, c.d, c.qubits, memory);
        transfers.extend(
            t.filter(|t| judged(c.choice.output_error) + t.error > target)
                .map(|t| (in_colour, t)),
        );
    }
    entries.push(Entry {
        scheme: in_colour,
        label: in_colour.label(),
        choice: best.map(|c| c.choice.clone()),
        note: if best.is_some() {
            String::new()
        } else {
            unreached.to_string()
        },
        ratio_to_ours: None,
        ratio_to_moved: None,
    });
    let best_moved = candidates
        .iter()
        .filter_map(|c| {
            let t = transfer::cost(p, target, c.d, c.qubits, memory)?;
            let m = moved_choice(&c.choice, &t, settings);
            (judged(m.output_error) <= target).then_some((m, t))
        })
        .min_by(|x, y| x.0.spacetime.est.total_cmp(&y.0.spacetime.est));
    let note = match (&best_moved, best) {
        (Some(_), _) => String::new(),
        (None, Some(_)) => {
            "the states that reach it in the colour code miss it once the move's error is added"
                .into()
        }
        (None, None) => unreached.to_string(),
    };
    entries.push(Entry {
        scheme: moved,
        label: moved.label(),
        choice: best_moved.as_ref().map(|m| m.0.clone()),
        note,
        ratio_to_ours: None,
        ratio_to_moved: None,
    });
    transfers.extend(best_moved.map(|m| (moved, m.1)));
}

/// Compares every scheme at physical error `p` and target `target`.
pub fn compare(
    ours: &mut Ours,
    cultivation: &[CultivationRow],
    p: f64,
    target: f64,
    settings: &Settings,
) -> Result<Comparison, String> {
    let mut entries = Vec::new();
    let mut transfers = Vec::new();
    // Bottom-up, level 1: in the colour code, and moved into the surface code.
    let l1 = ours.level1(p);
    let in_colour: Vec<Candidate> = l1
        .iter()
        .map(|c| Candidate {
            d: c.d,
            qubits: c.qubits,
            choice: ours_choice(c, settings),
        })
        .collect();
    let lowest = l1
        .iter()
        .min_by(|a, b| judged(a.logical).total_cmp(&judged(b.logical)));
    let unreached = match lowest {
        Some(c) => format!(
            "no simulated distance reaches it (lowest: {:.2e} at d={}{})",
            judged(c.logical),
            c.d,
            if c.logical.est > 0.0 {
                ""
            } else {
                ", upper bound: no error observed"
            }
        ),
        None => "no fit supports this p".into(),
    };
    push_ours(
        &mut entries,
        &mut transfers,
        [Scheme::BottomUp1, Scheme::BottomUp1Moved],
        &in_colour,
        (p, target, ours.memory, settings),
        &unreached,
    );
    // Bottom-up, level 2 (modelled).
    if settings.levels >= 2 {
        let mut candidates = Vec::new();
        for c1 in &l1 {
            for d2 in (c1.d + 2..=LEVEL2_MAX_DISTANCE).step_by(2) {
                let rs = ours.round_steps(d2);
                let c = level2::cost(c1, d2, rs, p, ours.memory);
                candidates.push(Candidate {
                    d: c.d2,
                    qubits: bottom_up::qubits(c.d2),
                    choice: level2_choice(&c, c1, settings),
                });
            }
        }
        push_ours(
            &mut entries,
            &mut transfers,
            [Scheme::BottomUp2, Scheme::BottomUp2Moved],
            &candidates,
            (p, target, ours.memory, settings),
            &format!("no (d1, d2 <= {LEVEL2_MAX_DISTANCE}) reaches it"),
        );
    }
    // Litinski.
    let (one, two) = litinski_spaces();
    let mut one_level_cost = None;
    for (scheme, space, two) in [
        (Scheme::LitinskiOneLevel, &one, false),
        (Scheme::LitinskiAny, &two, true),
    ] {
        let found = litinski(ours, p, target, space, two, one_level_cost)?;
        if !two {
            one_level_cost = found;
        }
        let choice = found.map(|(proto, c)| {
            plain_choice(
                protocol_name(&proto),
                c.output_error,
                c.qubits as f64,
                c.code_cycles / f64::from(c.outputs),
                c.qubit_cycles,
                settings,
            )
        });
        entries.push(Entry {
            scheme,
            label: scheme.label(),
            note: if choice.is_some() {
                String::new()
            } else {
                "no protocol in the searched space reaches it".into()
            },
            choice,
            ratio_to_ours: None,
            ratio_to_moved: None,
        });
    }
    // Textbook.
    let mut tb: Option<(u32, super::distillation::DistillationCost)> = None;
    for d in (3..=TEXTBOOK_MAX_DISTANCE).step_by(2) {
        let c = TextbookFifteenToOne { d }
            .cost(p)
            .map_err(|e| e.to_string())?;
        if c.output_error <= target
            && tb
                .as_ref()
                .is_none_or(|b| c.qubit_cycles < b.1.qubit_cycles)
        {
            tb = Some((d, c));
        }
    }
    entries.push(Entry {
        scheme: Scheme::Textbook,
        label: Scheme::Textbook.label(),
        note: if tb.is_some() {
            String::new()
        } else {
            format!("35 p^3 = {:.1e} is above the target", 35.0 * p.powi(3))
        },
        choice: tb.map(|(d, c)| {
            plain_choice(
                format!("d={d}"),
                c.output_error,
                c.qubits as f64,
                c.code_cycles,
                c.qubit_cycles,
                settings,
            )
        }),
        ratio_to_ours: None,
        ratio_to_moved: None,
    });
    // Cultivation: the quoted rows, and rows of our own sampling if any were given.
    let sampled_given = cultivation.iter().any(|r| r.sampled);
    for (scheme, sampled) in [
        (Scheme::Cultivation, false),
        (Scheme::CultivationSampled, true),
    ] {
        if sampled && !sampled_given {
            continue;
        }
        let at_p: Vec<&CultivationRow> = cultivation
            .iter()
            .filter(|r| r.sampled == sampled && (r.p / p - 1.0).abs() < 1e-9)
            .collect();
        let cult = at_p
            .iter()
            .filter(|r| r.logical_error <= target)
            .min_by(|a, b| a.volume.total_cmp(&b.volume));
        let what = if sampled { "sampled" } else { "published" };
        entries.push(Entry {
            scheme,
            label: scheme.label(),
            note: if cult.is_none() && at_p.is_empty() {
                format!("no {what} row at p = {p}")
            } else if cult.is_none() {
                format!("no {what} row reaches it")
            } else if sampled {
                "sampled exactly by qec-sim (--cultivation-stats): T-state error per kept shot measured directly; rounds taken as code cycles".into()
            } else {
                "quoted (Gidney-Shutty-Jones 2024), uniform depolarizing noise; logical error = 2 x the S-proxy error (the authors' ASSUMPTION T ~ 2 x S-proxy, not a T-state simulation); rounds taken as code cycles".into()
            },
            choice: cult.map(|r| {
                plain_choice(
                    format!("d1={} d2={}", r.d1, r.d2),
                    r.logical_error,
                    r.qubits,
                    r.rounds,
                    r.volume,
                    settings,
                )
            }),
            ratio_to_ours: None,
        ratio_to_moved: None,
        });
    }
    let best_of = |moved: bool| {
        entries
            .iter()
            .filter(|e| e.scheme.is_ours() && e.scheme.is_moved() == moved)
            .filter_map(|e| e.choice.as_ref().map(|c| c.spacetime.est))
            .min_by(f64::total_cmp)
    };
    let (in_colour_best, moved_best) = (best_of(false), best_of(true));
    for e in entries.iter_mut().filter(|e| !e.scheme.is_ours()) {
        let cost = e.choice.as_ref().map(|c| c.spacetime.est);
        e.ratio_to_ours = cost.zip(in_colour_best).map(|(c, o)| c / o);
        e.ratio_to_moved = cost.zip(moved_best).map(|(c, o)| c / o);
    }
    Ok(Comparison {
        p,
        target,
        entries,
        transfers,
    })
}
