//! A flag-aware colour-code decoder: concatenated minimum-weight perfect matching (Lee, Li and
//! Bartlett, arXiv:2404.07482) on the detector error model, with flag-conditioned edge weights
//! (Chamberland, Kubica, Yoder and Zhu, NJP 22, 023019 (2020)). Matching is done by the
//! `fusion-blossom` crate. Why this design: docs/color-decoder.md.
//!
//! Detectors carry Chromobius's 4th coordinate: 0, 1, 2 = basis X colours r, g, b; 3, 4, 5 =
//! basis Z colours r, g, b; -1 = flag. Each basis whose detectors see an observable is decoded
//! on its own. For each colour c:
//!
//! 1. *restricted* matching on the detectors of the two other colours, where every error
//!    mechanism is an edge between the (at most two) such detectors it flips;
//! 2. *monochromatic* matching on the c detectors plus one vertex per restricted edge, where a
//!    mechanism joins the c detectors it flips and the restricted edge it projects to; its
//!    syndrome is the fired c detectors plus the restricted edges of step 1.
//!
//! The colour whose step-2 matching weighs least gives the prediction (the observables of its
//! edges). Mechanisms that would be hyperedges are split into existing edges, as Stim's
//! `decompose_errors` does; one that cannot be split is an error naming a detector.
//!
//! Hyperedges: a split mechanism costs the sum of its parts' weights, so pairs of faults near
//! each other are often explained by a cheaper wrong set (on Stim's `memory_xyz` most
//! mechanisms are split). A local pre-decoder (as in Smith, Brown and Bartlett, Phys. Rev.
//! Applied 19, 034050 (2023)) handles them first: in a basis with unflagged split mechanisms
//! and a shot where no flag fired, every cluster of more than two fired detectors (joined when
//! one mechanism flips both) that one or two unflagged faults explain, or failing that three,
//! takes their likeliest flip ([`FaultPairs`], a two- or three-fault lookup per cluster) and
//! leaves the matching.
//!
//! Flags: a mechanism that flips flags enters the static graph only with the probability that
//! its flags are hidden by other flag faults; in a shot where all its flags fired its edges
//! get the weight of its probability conditioned on those flags (hook-edge substitution).
//!
//! Confidence: the *complementary gap* of a shot (as Gidney, Shutty and Jones's cultivation
//! decoders use it, arXiv:2409.17595) is the weight difference (in dB, 10 log10 of the
//! likelihood ratio) between the chosen matching and the lightest one, of any colour, that
//! predicts the other observable value. The monochromatic graphs of a basis with one
//! observable carry few-defect tables by observable parity ([`ParityDistances`]), which weigh
//! both values at once (the restricted matching of step 1 is kept). Where they cannot answer
//! (too many defects; a basis with several observables) a colour offers only its own
//! matching, so the gap falls back to the colour gap there (infinite when all colours agree).

use super::fault_pairs::{self, FaultPairs};
use super::few_defects::{ParityDistances, Scratch, ShortestPaths};
use super::{Decision, Decoder, DecoderError};
use crate::dem::{xor_probability, DetectorErrorModel};
use fusion_blossom::mwpm_solver::{PrimalDualSolver, SolverSerial};
use fusion_blossom::util::{SolverInitializer, SyndromePattern, Weight};
use std::collections::HashMap;
use std::sync::Mutex;

/// Weight units per nat of log-likelihood (weights are even integers for fusion-blossom).
const UNITS_PER_NAT: f64 = 100.0;
/// Weight of the fallback boundary edge every vertex gets, so that any syndrome has a
/// matching (about 40 nats, far above any real path the decoder should prefer).
const FALLBACK_WEIGHT: Weight = 4000;
/// dB per weight unit: 10 log10(e) / UNITS_PER_NAT.
const DB_PER_UNIT: f64 = 4.342_944_819_032_518 / UNITS_PER_NAT;

/// Even integer weight of an edge of probability p: log((1 - p) / p), at least 0.
fn weight_of(p: f64) -> Weight {
    let p = p.clamp(1e-300, 0.5);
    let nats = ((1.0 - p) / p).ln();
    2 * (nats * UNITS_PER_NAT / 2.0).round() as Weight
}

/// Probability that an odd number of independent events happen, combined in increasing
/// order (not a hash map's): the same float in every run.
fn xor_in_order(probabilities: impl Iterator<Item = f64>) -> f64 {
    let mut ps: Vec<f64> = probabilities.collect();
    ps.sort_unstable_by(f64::total_cmp);
    ps.into_iter().fold(0.0, xor_probability)
}

/// What the 4th detector coordinate says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Check { basis: usize, color: usize },
    Flag,
}

/// One error mechanism as the decoder sees it.
struct Mechanism {
    /// Check detectors flipped, by basis.
    checks: [Vec<u32>; 2],
    flags: Vec<u32>,
    observables: u64,
    probability: f64,
}

/// A matching graph in the making: vertices `0..boundary`, the virtual boundary last.
struct GraphBuilder {
    boundary: u32,
    index: HashMap<(u32, u32), usize>,
    ends: Vec<(u32, u32)>,
    /// Static probability of each edge.
    probability: Vec<f64>,
    /// Probability per observable flip, to pick each edge's most likely flip.
    flips: Vec<HashMap<u64, f64>>,
}

impl GraphBuilder {
    fn new(real_vertices: usize) -> GraphBuilder {
        GraphBuilder {
            boundary: real_vertices as u32,
            index: HashMap::new(),
            ends: Vec::new(),
            probability: Vec::new(),
            flips: Vec::new(),
        }
    }

    /// The edge of a set of one or two vertices (one: to the boundary), created if absent.
    fn edge(&mut self, vertices: &[u32]) -> usize {
        let key = match *vertices {
            [a] => (a, self.boundary),
            [a, b] => (a.min(b), a.max(b)),
            _ => unreachable!("edges have one or two vertices"),
        };
        if let Some(&e) = self.index.get(&key) {
            return e;
        }
        self.index.insert(key, self.ends.len());
        self.ends.push(key);
        self.probability.push(0.0);
        self.flips.push(HashMap::new());
        self.ends.len() - 1
    }

    fn add(&mut self, edge: usize, probability: f64, observables: u64) {
        self.probability[edge] = xor_probability(self.probability[edge], probability);
        let p = self.flips[edge].entry(observables).or_insert(0.0);
        *p = xor_probability(*p, probability);
    }

    /// The most likely observable flip of an edge.
    fn top_flip(&self, edge: usize) -> u64 {
        self.flips[edge]
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
            .map_or(0, |(&o, _)| o)
    }

    /// The finished graph. With `parity` (the one observable of its basis), the few-defect
    /// tables are by observable parity ([`ParityDistances`]): an edge seen with either flip
    /// gets a parallel edge for the less likely one, so that the complementary gap sees it.
    fn finish(self, parity: Option<u64>) -> Graph {
        let flips: Vec<u64> = (0..self.ends.len()).map(|e| self.top_flip(e)).collect();
        // No edge weighs more than the fallback (spare parts' edges have probability 0).
        let weights: Vec<Weight> = self
            .probability
            .iter()
            .map(|&p| weight_of(p).min(FALLBACK_WEIGHT))
            .collect();
        let mut weighted_edges: Vec<(usize, usize, Weight)> = self
            .ends
            .iter()
            .zip(&weights)
            .map(|(&(a, b), &w)| (a as usize, b as usize, w))
            .collect();
        // Fallback edges keep every syndrome matchable.
        for v in 0..self.boundary {
            if !self.index.contains_key(&(v, self.boundary)) {
                weighted_edges.push((v as usize, self.boundary as usize, FALLBACK_WEIGHT));
            }
        }
        let all_weights = weighted_edges.iter().map(|e| e.2).collect();
        let vertices = self.boundary as usize + 1;
        let (paths, parity) = match parity {
            Some(mask) => {
                let mut sheets: Vec<(usize, usize, Weight, bool)> = weighted_edges
                    .iter()
                    .enumerate()
                    .map(|(e, &(a, b, w))| (a, b, w, flips.get(e).is_some_and(|f| f & mask != 0)))
                    .collect();
                for (e, &(a, b)) in self.ends.iter().enumerate() {
                    let top = flips[e] & mask != 0;
                    let other = xor_in_order(
                        self.flips[e]
                            .iter()
                            .filter(|(&o, _)| (o & mask != 0) != top)
                            .map(|(_, &p)| p),
                    );
                    if other > 0.0 {
                        sheets.push((a as usize, b as usize, weight_of(other), !top));
                    }
                }
                (None, ParityDistances::new(vertices, &sheets))
            }
            None => (ShortestPaths::new(vertices, &weighted_edges), None),
        };
        Graph {
            real_edges: self.ends.len(),
            boundary: self.boundary as usize,
            paths,
            parity,
            initializer: SolverInitializer::new(
                self.boundary as usize + 1,
                weighted_edges,
                vec![self.boundary as usize],
            ),
            weights: all_weights,
            flips,
        }
    }
}

/// A finished matching graph.
struct Graph {
    /// Edges from error mechanisms (the fallback edges come after them).
    real_edges: usize,
    /// The virtual boundary vertex (the last).
    boundary: usize,
    /// Few-defect matching tables, when the graph is small enough.
    paths: Option<ShortestPaths>,
    /// Few-defect tables by observable parity (monochromatic graphs of a basis with one
    /// observable), instead of `paths`.
    parity: Option<ParityDistances>,
    initializer: SolverInitializer,
    weights: Vec<Weight>,
    /// Observable flips of the real edges.
    flips: Vec<u64>,
}

/// The two graphs of one basis and colour.
struct ColorGraphs {
    /// Global detector -> restricted-graph vertex (u32::MAX when not of the other colours).
    restricted_vertex: Vec<u32>,
    /// Global detector -> monochromatic-graph vertex (u32::MAX when not of this colour).
    mono_vertex: Vec<u32>,
    /// Monochromatic vertex of restricted edge e: `mono_offset + e`.
    mono_offset: usize,
    restricted: usize,
    mono: usize,
}

/// An edge a flagged mechanism uses: (graph, edge, observable flip of the edge in this use).
type EdgeUse = (usize, usize, u64);

/// A flagged mechanism's edges, to reweigh when all its flags fire.
struct FlagUse {
    flags: Vec<u32>,
    weight: Weight,
    edges: Vec<EdgeUse>,
}

/// One basis to decode: which observables it predicts and its graphs per colour.
struct Basis {
    observables: u64,
    colors: Vec<ColorGraphs>,
    /// Complementary gap (weight units) of a shot where nothing fired: the lightest logical
    /// operator of the monochromatic graphs (u64::MAX without parity tables).
    quiet_gap: u64,
    /// Lookup of one, two or three unflagged faults, for bases with unflagged mechanisms that
    /// the graphs see only split into parts (hyperedges).
    fault_pairs: Option<FaultPairs>,
}

/// `ColorDecoder::detector_kind` of a flag detector.
const FLAG: u8 = u8::MAX - 1;
/// `ColorDecoder::detector_kind` of a detector no decoded basis uses.
const UNUSED: u8 = u8::MAX;

/// Per-caller buffers, reused across shots.
struct Workspace {
    /// One solver per graph, made when first needed.
    solvers: Vec<Option<SolverSerial>>,
    scratch: Scratch,
    fired_flags: Vec<u32>,
    /// Fired check detectors, per decoded basis.
    defects: Vec<Vec<u32>>,
    overrides: Vec<((usize, usize), (Weight, u64))>,
    /// Index in `overrides` of each edge (numbered `ColorDecoder::edge_offset[graph] + edge`),
    /// u32::MAX when not overridden; reset after each shot.
    override_slot: Vec<u32>,
    /// Flag-lowered `(edge, weight)` per graph, and with the edge's flip for parity tables.
    dynamic: Vec<Vec<(usize, Weight)>>,
    dynamic_parity: Vec<Vec<(usize, Weight, bool)>>,
    restricted_defects: Vec<usize>,
    mono_defects: Vec<usize>,
    edges: Vec<usize>,
    /// Per colour: (weight, predicted flips, weight of the lightest other prediction).
    results: Vec<(u64, u64, u64)>,
    /// Fault-pair predecoder: fired detectors not yet in a cluster, the clusters' detectors,
    /// and the ranges of the clusters that the table explains, with its explanation.
    fired: Vec<bool>,
    cluster: Vec<u32>,
    explained_clusters: Vec<(usize, usize, (u64, f64, f64))>,
    /// Scratch of `FaultPairs::explain`.
    explain: fault_pairs::Scratch,
}

/// The decoder (see module docs).
pub struct ColorDecoder {
    bases: Vec<Basis>,
    graphs: Vec<Graph>,
    flag_uses: Vec<FlagUse>,
    /// Flag detector -> uses whose smallest flag it is.
    uses_by_flag: HashMap<u32, Vec<usize>>,
    /// Per detector: the index in `bases` of the basis it checks, FLAG or UNUSED.
    detector_kind: Vec<u8>,
    /// First global number of each graph's edges (one more entry: the total).
    edge_offset: Vec<usize>,
    /// Detectors that one mechanism flips together with detector v (bases with hyperedges
    /// only): `neighbours[neighbour_start[v]..neighbour_start[v + 1]]`.
    neighbours: Vec<u32>,
    neighbour_start: Vec<usize>,
    /// Buffers and solvers, one set per concurrent caller.
    pool: Mutex<Vec<Workspace>>,
}

/// A decoded shot: predicted flips and the complementary gap in dB (see module docs;
/// infinite when no other prediction was weighed).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColorOutcome {
    pub observables: u64,
    pub gap_db: f64,
}

fn roles(dem: &DetectorErrorModel) -> Result<Vec<Role>, DecoderError> {
    let n = dem.num_detectors() as usize;
    let coords = dem.detector_coords();
    (0..n as u64)
        .map(|d| {
            let c = coords
                .get(&d)
                .and_then(|c| c.get(3))
                .copied()
                .ok_or_else(|| {
                    DecoderError::BadInput(format!(
                    "color decoder: detector D{d} has no 4th coordinate (Chromobius colour/basis \
                     0..5, or -1 for a flag)"
                ))
                })?;
            match c {
                -1.0 => Ok(Role::Flag),
                x if (0.0..=5.0).contains(&x) && x.fract() == 0.0 => Ok(Role::Check {
                    basis: x as usize / 3,
                    color: x as usize % 3,
                }),
                x => Err(DecoderError::BadInput(format!(
                    "color decoder: detector D{d} has 4th coordinate {x} (expected a colour/basis \
                     0..5 or -1 for a flag)"
                ))),
            }
        })
        .collect()
}

/// Assigns each observable to the basis whose single-basis mechanisms flip it most often, so
/// that a mechanism seen by both bases (a Y error) counts once.
fn observable_bases(mechanisms: &[Mechanism], num_observables: u32) -> [u64; 2] {
    let mut masks = [0u64; 2];
    for k in 0..num_observables.min(64) {
        let mut weight = [0.0f64; 2];
        for m in mechanisms.iter().filter(|m| m.observables >> k & 1 == 1) {
            match (m.checks[0].is_empty(), m.checks[1].is_empty()) {
                (false, true) => weight[0] += m.probability,
                (true, false) => weight[1] += m.probability,
                _ => {}
            }
        }
        if weight[0] > 0.0 || weight[1] > 0.0 {
            masks[usize::from(weight[1] > weight[0])] |= 1 << k;
        }
    }
    masks
}

impl ColorDecoder {
    /// Builds the decoder from a detector error model whose detectors carry colour/basis and
    /// flag coordinates.
    pub fn new(dem: &DetectorErrorModel) -> Result<ColorDecoder, DecoderError> {
        let roles = roles(dem)?;
        let mut detector_kind: Vec<u8> = roles
            .iter()
            .map(|r| if *r == Role::Flag { FLAG } else { UNUSED })
            .collect();
        let mechanisms: Vec<Mechanism> = dem
            .canonical_errors()
            .into_iter()
            .filter(|e| e.probability > 0.0)
            .map(|e| {
                let mut m = Mechanism {
                    checks: [Vec::new(), Vec::new()],
                    flags: Vec::new(),
                    observables: e.observables,
                    probability: e.probability.min(0.5),
                };
                for &d in &e.detectors {
                    match roles[d as usize] {
                        Role::Check { basis, .. } => m.checks[basis].push(d as u32),
                        Role::Flag => m.flags.push(d as u32),
                    }
                }
                m
            })
            .collect();
        // Probability that each flag fires at all, to condition on it.
        let mut flag_probability: HashMap<u32, f64> = HashMap::new();
        for m in &mechanisms {
            for &f in &m.flags {
                let p = flag_probability.entry(f).or_insert(0.0);
                *p = xor_probability(*p, m.probability);
            }
        }
        let flag_odds = |m: &Mechanism| -> f64 {
            m.flags
                .iter()
                .map(|f| flag_probability[f].clamp(1e-300, 1.0))
                .product()
        };
        let masks = observable_bases(&mechanisms, dem.num_observables());
        let mut decoder = ColorDecoder {
            bases: Vec::new(),
            graphs: Vec::new(),
            flag_uses: Vec::new(),
            uses_by_flag: HashMap::new(),
            detector_kind: Vec::new(),
            edge_offset: Vec::new(),
            neighbours: Vec::new(),
            neighbour_start: Vec::new(),
            pool: Mutex::new(Vec::new()),
        };
        // Detector pairs that one mechanism flips, in bases with hyperedges.
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        // Uses of each flagged mechanism (indexed like `mechanisms`), filled per basis.
        let mut uses: HashMap<usize, Vec<EdgeUse>> = HashMap::new();
        for (basis, &mask) in masks.iter().enumerate() {
            if mask == 0 {
                continue;
            }
            let detectors: Vec<u32> = (0..roles.len() as u32)
                .filter(
                    |&d| matches!(roles[d as usize], Role::Check { basis: b, .. } if b == basis),
                )
                .collect();
            let color_of = |d: u32| match roles[d as usize] {
                Role::Check { color, .. } => color,
                Role::Flag => unreachable!("flags are not checks"),
            };
            let present: Vec<usize> = (0..3)
                .filter(|&c| detectors.iter().any(|&d| color_of(d) == c))
                .collect();
            if present.len() < 2 {
                return Err(DecoderError::BadInput(format!(
                    "color decoder: the basis-{} detectors use {} colour(s); a colour code has three",
                    ["X", "Z"][basis],
                    present.len()
                )));
            }
            let parts = atomic_parts(&mechanisms, basis, mask, &color_of)?;
            let split = mechanisms
                .iter()
                .zip(&parts)
                .any(|(m, parts)| parts.len() > 1 && m.flags.is_empty());
            if split {
                for m in &mechanisms {
                    let dets = &m.checks[basis];
                    for &a in dets {
                        pairs.extend(dets.iter().filter(|&&b| b != a).map(|&b| (a, b)));
                    }
                }
            }
            let fault_pairs = split.then(|| {
                FaultPairs::new(
                    mechanisms
                        .iter()
                        .filter(|m| m.flags.is_empty() && !m.checks[basis].is_empty())
                        .map(|m| {
                            let mut dets = m.checks[basis].clone();
                            dets.sort_unstable();
                            (dets, m.observables & mask, m.probability)
                        })
                        .collect(),
                )
            });
            let static_probability = |m: &Mechanism| -> f64 {
                if m.flags.is_empty() {
                    m.probability
                } else {
                    m.probability * flag_odds(m)
                }
            };
            let mut colors = Vec::new();
            for color in 0..3 {
                if !present.contains(&color) {
                    continue;
                }
                let mut restricted_vertex = vec![u32::MAX; roles.len()];
                let mut mono_vertex = vec![u32::MAX; roles.len()];
                let (mut nr, mut nm) = (0u32, 0u32);
                for &d in &detectors {
                    if color_of(d) == color {
                        mono_vertex[d as usize] = nm;
                        nm += 1;
                    } else {
                        restricted_vertex[d as usize] = nr;
                        nr += 1;
                    }
                }
                // Step 1 graph: atomic parts projected onto the other two colours (at most one
                // detector of each: an edge); step 2: the part's detector of this colour and its
                // restricted edge.
                let mut restricted = GraphBuilder::new(nr as usize);
                let mono_offset = nm as usize;
                let mut part_edges: HashMap<&[u32], (usize, Option<usize>)> = HashMap::new();
                let restricted_of = |part: &[u32], restricted: &mut GraphBuilder| {
                    let r: Vec<u32> = part
                        .iter()
                        .map(|&d| restricted_vertex[d as usize])
                        .filter(|&v| v != u32::MAX)
                        .collect();
                    (!r.is_empty()).then(|| restricted.edge(&r))
                };
                // A spare part lends no probability: its edge stays at the fallback weight.
                let lent = |m: &Mechanism, part: &Part| match part.spare {
                    true => 0.0,
                    false => static_probability(m),
                };
                for (i, m) in mechanisms.iter().enumerate() {
                    for part in &parts[i] {
                        if let Some(e) = restricted_of(&part.detectors, &mut restricted) {
                            restricted.add(e, lent(m, part), 0);
                        }
                    }
                }
                let mut mono = GraphBuilder::new(mono_offset + restricted.ends.len());
                for (i, m) in mechanisms.iter().enumerate() {
                    for part in &parts[i] {
                        let r = restricted_of(&part.detectors, &mut restricted);
                        let mut v: Vec<u32> = part
                            .detectors
                            .iter()
                            .map(|&d| mono_vertex[d as usize])
                            .filter(|&v| v != u32::MAX)
                            .collect();
                        v.extend(r.map(|e| (mono_offset + e) as u32));
                        let e = mono.edge(&v);
                        mono.add(e, lent(m, part), part.observables);
                        part_edges.insert(&part.detectors, (e, r));
                    }
                }
                let restricted_id = decoder.graphs.len();
                let mono_id = restricted_id + 1;
                for (i, m) in mechanisms.iter().enumerate() {
                    if m.flags.is_empty() {
                        continue;
                    }
                    let entry = uses.entry(i).or_default();
                    for part in &parts[i] {
                        let (mono_edge, restricted_edge) = part_edges[part.detectors.as_slice()];
                        entry.extend(restricted_edge.map(|e| (restricted_id, e, 0)));
                        entry.push((mono_id, mono_edge, part.observables));
                    }
                }
                decoder.graphs.push(restricted.finish(None));
                decoder
                    .graphs
                    .push(mono.finish((mask.count_ones() == 1).then_some(mask)));
                colors.push(ColorGraphs {
                    restricted_vertex,
                    mono_vertex,
                    mono_offset,
                    restricted: restricted_id,
                    mono: mono_id,
                });
            }
            for &d in &detectors {
                detector_kind[d as usize] = decoder.bases.len() as u8;
            }
            let quiet_gap = colors
                .iter()
                .filter_map(|cg| decoder.graphs[cg.mono].parity.as_ref())
                .map(|p| p.odd_cycle())
                .min()
                .unwrap_or(u64::MAX);
            decoder.bases.push(Basis {
                observables: mask,
                colors,
                quiet_gap,
                fault_pairs,
            });
        }
        pairs.sort_unstable();
        pairs.dedup();
        decoder.neighbour_start = vec![0; roles.len() + 1];
        for &(a, _) in &pairs {
            decoder.neighbour_start[a as usize + 1] += 1;
        }
        for v in 0..roles.len() {
            decoder.neighbour_start[v + 1] += decoder.neighbour_start[v];
        }
        decoder.neighbours = pairs.into_iter().map(|(_, b)| b).collect();
        decoder.detector_kind = detector_kind;
        decoder.edge_offset = std::iter::once(0)
            .chain(decoder.graphs.iter().scan(0, |total, g| {
                *total += g.weights.len();
                Some(*total)
            }))
            .collect();
        let mut flagged: Vec<(usize, Vec<EdgeUse>)> = uses.into_iter().collect();
        flagged.sort_by_key(|(i, _)| *i);
        for (i, edges) in flagged {
            let m = &mechanisms[i];
            let conditioned = (m.probability / flag_odds(m)).min(0.5);
            let use_index = decoder.flag_uses.len();
            decoder
                .uses_by_flag
                .entry(*m.flags.iter().min().expect("flagged"))
                .or_default()
                .push(use_index);
            decoder.flag_uses.push(FlagUse {
                flags: m.flags.clone(),
                weight: weight_of(conditioned),
                edges,
            });
        }
        Ok(decoder)
    }

    fn workspace(&self) -> Workspace {
        Workspace {
            solvers: self.graphs.iter().map(|_| None).collect(),
            scratch: Scratch::default(),
            fired_flags: Vec::new(),
            defects: vec![Vec::new(); self.bases.len()],
            overrides: Vec::new(),
            override_slot: vec![u32::MAX; self.edge_offset.last().copied().unwrap_or(0)],
            dynamic: vec![Vec::new(); self.graphs.len()],
            dynamic_parity: vec![Vec::new(); self.graphs.len()],
            restricted_defects: Vec::new(),
            mono_defects: Vec::new(),
            edges: Vec::new(),
            results: Vec::new(),
            fired: vec![false; self.detector_kind.len()],
            cluster: Vec::new(),
            explained_clusters: Vec::new(),
            explain: fault_pairs::Scratch::default(),
        }
    }

    /// Edges of a minimum-weight parity subgraph of graph `graph` for `defects`, with the
    /// flag-lowered weights `dynamic`, into `edges`: from the few-defect tables when they
    /// apply, else from fusion-blossom.
    fn parity_subgraph(
        &self,
        graph: usize,
        defects: &[usize],
        dynamic: &[(usize, Weight)],
        solver: &mut Option<SolverSerial>,
        scratch: &mut Scratch,
        edges: &mut Vec<usize>,
    ) {
        let g = &self.graphs[graph];
        if let Some(paths) = &g.paths {
            if paths.parity_subgraph(defects, g.boundary, dynamic, scratch, edges) {
                return;
            }
        }
        let solver = solver.get_or_insert_with(|| SolverSerial::new(&g.initializer));
        solver.solve(&SyndromePattern {
            defect_vertices: defects.to_vec(),
            erasures: Vec::new(),
            dynamic_weights: dynamic.to_vec(),
        });
        *edges = solver.subgraph();
        solver.clear();
    }

    /// Decodes one shot's bit-packed detection events, with the complementary gap.
    pub fn decode_outcome(&self, detectors: &[u64]) -> ColorOutcome {
        let popped = self.pool.lock().expect("solver pool").pop();
        let mut work = popped.unwrap_or_else(|| self.workspace());
        let outcome = self.decode_in(detectors, &mut work);
        self.pool.lock().expect("solver pool").push(work);
        outcome
    }

    /// The fault-pair predecoder (see module docs). Every cluster of more than two `defects`
    /// (fired detectors joined when one mechanism flips both) that one or two unflagged faults
    /// explain, or failing that three, is decoded by `table` (their likeliest flip) and
    /// removed from `defects`.
    /// Returns the clusters' flips and their smallest gap in dB (the likeliest flip against
    /// the others among those explanations).
    fn predecode(
        &self,
        table: &FaultPairs,
        defects: &mut Vec<u32>,
        work: &mut Workspace,
    ) -> (u64, f64) {
        let mut cluster = std::mem::take(&mut work.cluster);
        let mut found = std::mem::take(&mut work.explained_clusters);
        cluster.clear();
        found.clear();
        for &d in defects.iter() {
            work.fired[d as usize] = true;
        }
        // Breadth-first search from each defect not yet reached; `fired` is cleared as it goes.
        for &d in defects.iter() {
            if !work.fired[d as usize] {
                continue;
            }
            work.fired[d as usize] = false;
            let start = cluster.len();
            cluster.push(d);
            let mut next = start;
            while next < cluster.len() {
                let v = cluster[next] as usize;
                next += 1;
                let around = &self.neighbours[self.neighbour_start[v]..self.neighbour_start[v + 1]];
                for &u in around {
                    if std::mem::take(&mut work.fired[u as usize]) {
                        cluster.push(u);
                    }
                }
            }
            let members = &mut cluster[start..];
            if members.len() > 2 {
                members.sort_unstable();
                if let Some(explained) = table.explain(members, &mut work.explain) {
                    found.push((start, cluster.len(), explained));
                }
            }
        }
        let (mut flips, mut gap) = (0u64, f64::INFINITY);
        for &(start, end, (flip, p, rest)) in &found {
            flips ^= flip;
            if rest > 0.0 {
                gap = gap.min(gap_db(weight_of(rest) as u64, weight_of(p) as u64));
            }
            for &d in &cluster[start..end] {
                work.fired[d as usize] = true;
            }
        }
        if !found.is_empty() {
            defects.retain(|&d| !work.fired[d as usize]);
            for &d in &cluster {
                work.fired[d as usize] = false;
            }
        }
        work.cluster = cluster;
        work.explained_clusters = found;
        (flips, gap)
    }

    /// Concatenated matching of one basis's fired check detectors: (weight of the lightest
    /// colour's matching, its predicted flips, weight of the lightest matching of any colour
    /// that predicts other flips, u64::MAX when none was weighed).
    fn decode_basis(
        &self,
        basis: &Basis,
        defects: &[u32],
        work: &mut Workspace,
    ) -> (u64, u64, u64) {
        let overrides = &work.overrides;
        let results = &mut work.results;
        results.clear();
        for cg in &basis.colors {
            vertices_of(defects, &cg.restricted_vertex, &mut work.restricted_defects);
            vertices_of(defects, &cg.mono_vertex, &mut work.mono_defects);
            if !work.restricted_defects.is_empty() {
                self.parity_subgraph(
                    cg.restricted,
                    &work.restricted_defects,
                    &work.dynamic[cg.restricted],
                    &mut work.solvers[cg.restricted],
                    &mut work.scratch,
                    &mut work.edges,
                );
                let real = self.graphs[cg.restricted].real_edges;
                work.mono_defects.extend(
                    work.edges
                        .iter()
                        .filter(|&&e| e < real)
                        .map(|&e| cg.mono_offset + e),
                );
            }
            let mono = &self.graphs[cg.mono];
            // Both observable values weighed by the parity tables ...
            let weighed = mono.parity.as_ref().and_then(|p| {
                p.weights(
                    &work.mono_defects,
                    mono.boundary,
                    &work.dynamic_parity[cg.mono],
                    &mut work.scratch,
                )
            });
            if let Some([even, odd]) = weighed {
                results.push(if odd < even {
                    (odd, basis.observables, even)
                } else {
                    (even, 0, odd)
                });
                continue;
            }
            if work.mono_defects.is_empty() {
                results.push((0, 0, u64::MAX));
                continue;
            }
            // ... or only the matching's own, from its edges.
            self.parity_subgraph(
                cg.mono,
                &work.mono_defects,
                &work.dynamic[cg.mono],
                &mut work.solvers[cg.mono],
                &mut work.scratch,
                &mut work.edges,
            );
            let (mut weight, mut flips) = (0u64, 0u64);
            let offset = self.edge_offset[cg.mono];
            for &e in &work.edges {
                let (w, flip) = match work.override_slot[offset + e] {
                    u32::MAX => (mono.weights[e], mono.flips.get(e).copied().unwrap_or(0)),
                    slot => overrides[slot as usize].1,
                };
                weight += w as u64;
                flips ^= flip;
            }
            results.push((weight, flips & basis.observables, u64::MAX));
        }
        let &(best_weight, best_flips, _) = results
            .iter()
            .min_by_key(|r| r.0)
            .expect("at least two colours");
        // The lightest matching of any colour that predicts something else.
        let other = results
            .iter()
            .map(|&(w, flips, alternative)| if flips != best_flips { w } else { alternative })
            .min()
            .unwrap_or(u64::MAX);
        (best_weight, best_flips, other)
    }

    fn decode_in(&self, detectors: &[u64], work: &mut Workspace) -> ColorOutcome {
        // Fired flags and checks, from the set bits.
        work.fired_flags.clear();
        work.defects.iter_mut().for_each(Vec::clear);
        for (w, &word) in detectors.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let d = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                match self.detector_kind.get(d).copied() {
                    Some(FLAG) => work.fired_flags.push(d as u32),
                    Some(UNUSED) | None => {}
                    Some(b) => work.defects[b as usize].push(d as u32),
                }
            }
        }
        if work.fired_flags.is_empty() && work.defects.iter().all(Vec::is_empty) {
            let quiet = self.bases.iter().map(|b| b.quiet_gap).min();
            return ColorOutcome {
                observables: 0,
                gap_db: gap_db(quiet.unwrap_or(u64::MAX), 0),
            };
        }
        // Flag-conditioned weights: per graph, (edge, weight, flip) overrides, found by their
        // slot (a fired flag's uses touch hundreds of edges).
        let fired_flags = &work.fired_flags;
        let overrides = &mut work.overrides;
        let slots = &mut work.override_slot;
        for &((graph, edge), _) in overrides.iter() {
            slots[self.edge_offset[graph] + edge] = u32::MAX;
        }
        overrides.clear();
        for f in fired_flags {
            for &u in self.uses_by_flag.get(f).into_iter().flatten() {
                let flag_use = &self.flag_uses[u];
                if !flag_use.flags.iter().all(|g| fired_flags.contains(g)) {
                    continue;
                }
                for &(graph, edge, flip) in &flag_use.edges {
                    if flag_use.weight < self.graphs[graph].weights[edge] {
                        let slot = &mut slots[self.edge_offset[graph] + edge];
                        if *slot == u32::MAX {
                            *slot = overrides.len() as u32;
                            overrides.push(((graph, edge), (flag_use.weight, flip)));
                        } else {
                            let o = &mut overrides[*slot as usize].1;
                            if flag_use.weight < o.0 {
                                *o = (flag_use.weight, flip);
                            }
                        }
                    }
                }
            }
        }
        for (graph, d) in work.dynamic.iter_mut().enumerate() {
            if !d.is_empty() {
                d.clear();
                work.dynamic_parity[graph].clear();
            }
        }
        for &((graph, edge), (w, flip)) in overrides.iter() {
            work.dynamic[graph].push((edge, w));
            work.dynamic_parity[graph].push((edge, w, flip != 0));
        }
        for &((graph, _), _) in overrides.iter() {
            work.dynamic[graph].sort_unstable();
            work.dynamic_parity[graph].sort_unstable_by_key(|l| l.0);
        }
        let mut observables = 0u64;
        let mut gap = f64::INFINITY;
        for (b, basis) in self.bases.iter().enumerate() {
            let mut defects = std::mem::take(&mut work.defects[b]);
            let table = basis.fault_pairs.as_ref();
            if let Some(table) = table.filter(|_| work.fired_flags.is_empty() && defects.len() > 2)
            {
                let (flips, cluster_gap) = self.predecode(table, &mut defects, work);
                observables ^= flips;
                gap = gap.min(cluster_gap);
            }
            let (best_weight, best_flips, other) = self.decode_basis(basis, &defects, work);
            work.defects[b] = defects;
            observables ^= best_flips;
            gap = gap.min(gap_db(other, best_weight));
        }
        ColorOutcome {
            observables,
            gap_db: gap,
        }
    }
}

/// The vertices of a graph (`vertex`: detector -> vertex or u32::MAX) among `defects`, into
/// `out`.
fn vertices_of(defects: &[u32], vertex: &[u32], out: &mut Vec<usize>) {
    out.clear();
    out.extend(
        defects
            .iter()
            .map(|&d| vertex[d as usize])
            .filter(|&v| v != u32::MAX)
            .map(|v| v as usize),
    );
}

/// The gap in dB between the lightest matching with another prediction and the chosen one
/// (infinite when there is none).
fn gap_db(other: u64, best: u64) -> f64 {
    if other == u64::MAX {
        f64::INFINITY
    } else {
        (other - best) as f64 * DB_PER_UNIT
    }
}

/// A piece of a mechanism in one basis with at most two detectors, or at most one of each
/// colour (Chromobius's "atomic" errors): an edge of every restricted and monochromatic graph.
struct Part {
    detectors: Vec<u32>,
    observables: u64,
    /// A detector left over by the split (no mechanism flips it alone): an edge to the
    /// boundary that the mechanism lends no probability.
    spare: bool,
}

/// Splits every mechanism's basis-`basis` detectors into atomic parts: itself when it has at
/// most one detector per colour, else the fewest detector sets of atomic mechanisms that add up
/// to it with the same observable flips (as Stim's `decompose_errors` splits hyperedges).
fn atomic_parts(
    mechanisms: &[Mechanism],
    basis: usize,
    mask: u64,
    color_of: &dyn Fn(u32) -> usize,
) -> Result<Vec<Vec<Part>>, DecoderError> {
    // Two detectors are an edge of every graph; more need distinct colours.
    let is_atomic = |dets: &[u32]| {
        let mut seen = [false; 3];
        dets.len() <= 2
            || dets
                .iter()
                .all(|&d| !std::mem::replace(&mut seen[color_of(d)], true))
    };
    // Atomic detector sets -> probability per observable flip.
    let mut atoms: HashMap<Vec<u32>, HashMap<u64, f64>> = HashMap::new();
    for m in mechanisms {
        let dets = &m.checks[basis];
        if !dets.is_empty() && is_atomic(dets) {
            let p = atoms
                .entry(dets.clone())
                .or_default()
                .entry(m.observables & mask)
                .or_insert(0.0);
            *p = xor_probability(*p, m.probability);
        }
    }
    let atom_flip = |dets: &[u32]| -> u64 {
        atoms[dets]
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
            .map_or(0, |(&o, _)| o)
    };
    // Nats of an atom's probability, to prefer the likeliest split.
    let atom_nats = |dets: &[u32]| -> f64 {
        let p = xor_in_order(atoms[dets].values().copied());
        -p.clamp(1e-300, 1.0).ln()
    };
    let mut by_detector: HashMap<u32, Vec<&[u32]>> = HashMap::new();
    for dets in atoms.keys() {
        for &d in dets {
            by_detector.entry(d).or_default().push(dets);
        }
    }
    // A fixed search order, so that the decoder does not depend on hashing.
    for list in by_detector.values_mut() {
        list.sort_unstable();
    }
    let mut out = Vec::with_capacity(mechanisms.len());
    for m in mechanisms {
        let dets = &m.checks[basis];
        let flips = m.observables & mask;
        if dets.is_empty() {
            out.push(Vec::new());
        } else if is_atomic(dets) {
            out.push(vec![Part {
                detectors: dets.clone(),
                observables: flips,
                spare: false,
            }]);
        } else {
            let split = split_into_atoms(dets, flips, &by_detector, &atom_flip, &atom_nats)
                .ok_or_else(|| {
                    let all: Vec<String> = dets.iter().map(|d| format!("D{d}")).collect();
                    DecoderError::BadInput(format!(
                    "color decoder: the error mechanism on {} (at detector D{}) cannot be split \
                     into errors with one detector per colour; is this a colour code?",
                    all.join(" "),
                    dets[0]
                ))
                })?;
            out.push(
                split
                    .into_iter()
                    .map(|(detectors, observables)| Part {
                        spare: detectors.len() == 1 && !atoms.contains_key(&detectors),
                        detectors,
                        observables,
                    })
                    .collect(),
            );
        }
    }
    Ok(out)
}

/// The fewest atomic detector sets (at most 6) whose union is `dets` and whose most likely
/// flips add up to `flips`, the likeliest of them (`atom_nats`: -ln of an atom's probability).
/// Failing that, the fewest with as few detectors as possible left over as parts of their own
/// (edges to the boundary), the first carrying the remaining flips.
fn split_into_atoms(
    dets: &[u32],
    flips: u64,
    by_detector: &HashMap<u32, Vec<&[u32]>>,
    atom_flip: &dyn Fn(&[u32]) -> u64,
    atom_nats: &dyn Fn(&[u32]) -> f64,
) -> Option<Vec<(Vec<u32>, u64)>> {
    struct Search<'a> {
        by_detector: &'a HashMap<u32, Vec<&'a [u32]>>,
        atom_flip: &'a dyn Fn(&[u32]) -> u64,
        atom_nats: &'a dyn Fn(&[u32]) -> f64,
        /// How many detectors may become parts of their own.
        spares: usize,
        best: Option<Vec<(Vec<u32>, u64)>>,
        best_nats: f64,
    }
    impl Search<'_> {
        fn is_atom(&self, dets: &[u32]) -> bool {
            self.by_detector
                .get(&dets[0])
                .is_some_and(|list| list.contains(&dets))
        }

        fn go(&mut self, left: &[u32], flips: u64, chosen: &mut Vec<(Vec<u32>, u64)>) {
            let limit = self.best.as_ref().map_or(6, |b| b.len());
            if left.is_empty() {
                let spare = chosen.iter().position(|(_, f)| *f == u64::MAX);
                if spare.is_none() && flips != 0 {
                    return;
                }
                // Spares weigh as the fallback boundary edge.
                let nats: f64 = chosen
                    .iter()
                    .map(|(d, _)| match self.is_atom(d) {
                        true => (self.atom_nats)(d),
                        false => FALLBACK_WEIGHT as f64 / UNITS_PER_NAT,
                    })
                    .sum();
                let better = match &self.best {
                    None => true,
                    Some(b) => chosen.len() < b.len() || nats < self.best_nats,
                };
                if better {
                    let mut parts = chosen.clone();
                    if let Some(at) = spare {
                        parts[at].1 = flips ^ u64::MAX;
                    }
                    self.best = Some(parts);
                    self.best_nats = nats;
                }
                return;
            }
            if chosen.len() >= limit {
                return;
            }
            for &atom in self.by_detector.get(&left[0]).into_iter().flatten() {
                // Only atoms inside what is left: parts do not overlap.
                if !atom.iter().all(|d| left.contains(d)) {
                    continue;
                }
                let rest: Vec<u32> = left.iter().copied().filter(|d| !atom.contains(d)).collect();
                let flip = (self.atom_flip)(atom);
                chosen.push((atom.to_vec(), flip));
                self.go(&rest, flips ^ flip, chosen);
                chosen.pop();
            }
            let used = chosen.iter().filter(|(d, _)| d.len() == 1).count();
            if used < self.spares {
                // The first spare carries the remaining flips; u64::MAX marks it until they are
                // known.
                let first = !chosen.iter().any(|(_, f)| *f == u64::MAX);
                let flip = if first { u64::MAX } else { 0 };
                chosen.push((vec![left[0]], flip));
                self.go(&left[1..], flips ^ flip, chosen);
                chosen.pop();
            }
        }
    }
    for spares in [0, 1, 2, dets.len()] {
        let mut search = Search {
            by_detector,
            atom_flip,
            atom_nats,
            spares,
            best: None,
            best_nats: f64::INFINITY,
        };
        search.go(dets, flips, &mut Vec::new());
        if search.best.is_some() {
            return search.best;
        }
    }
    None
}

impl Decoder for ColorDecoder {
    fn name(&self) -> &'static str {
        "color"
    }

    fn decode(&self, detectors: &[u64]) -> Decision {
        Decision::Predict(self.decode_outcome(detectors).observables)
    }

    fn decode_with_gap(&self, detectors: &[u64]) -> (Decision, Option<f64>) {
        let outcome = self.decode_outcome(detectors);
        (Decision::Predict(outcome.observables), Some(outcome.gap_db))
    }
}
