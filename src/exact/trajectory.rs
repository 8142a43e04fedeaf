//! A per-worker cache of the dense vector's trajectories: memoisation, exact and bit-identical.
//!
//! A shot's dense vector changes only at its dense steps (activations, dense Cliffords,
//! rotations, dense measurements), and each change is a fixed function of the vector before it
//! and of one small *decision*: the frame's sign bit(s) at an activation or rotation, or the
//! outcome of a dense measurement. Every shot walks the same list of steps, so the vector after
//! the i-th dense step is a function of the first i decisions, and almost every shot follows one
//! of a few decision sequences (the noiseless one and those of common faults).
//!
//! The cache is a trie over these sequences: a node holds the vector after a prefix of
//! decisions, and its children are keyed by the next one. A shot on a cached path only reads its
//! decisions and walks the trie. At the first miss it copies the last node's vector into the
//! workspace and computes on from there, storing the new nodes while the byte budget lasts;
//! after that, the stored nodes keep serving and nothing more is stored, so memory stays flat.
//! A stored vector holds the very numbers the computation produced, and a dense measurement
//! draws from the stored weights (p0, p1) with the same random number and the same comparison,
//! so shots are bit-identical with and without the cache (docs/exact-engine.md).

use num_complex::Complex64 as C;

/// Bytes of trie (nodes and their vectors) per worker: 64 MiB holds the noiseless path of
/// hadamard-prep d = 5 (about 10k amplitudes, 160 kB) hundreds of times over, and about 40
/// whole paths at d = 7 (about 100k stored amplitudes each).
pub const TRAJECTORY_BUDGET: usize = 64 << 20;

/// The least dense work per noiseless shot (amplitudes touched, [`super::compile::dense_work`])
/// for which a program's workspaces get a cache.
pub const MIN_CACHED_WORK: u128 = 0;

/// A missing child.
const ABSENT: u32 = u32::MAX;
/// A child that one shot has needed and that was not stored: it is stored when a second shot
/// needs it. A decision sequence that only one shot ever takes (most faulty paths) costs no
/// memory and no copies.
const SEEN: u32 = u32::MAX - 64;

#[derive(Clone, Debug)]
struct Node {
    /// Child per decision key (at most two bits: a pair of rotations reads two signs).
    children: [u32; 4],
    /// The vector: `len` amplitudes from `start` in the arena.
    start: u32,
    len: u32,
    /// Weights of the outcomes 0 and 1 of the dense measurement that follows, when one does
    /// (every node at one depth is followed by the same step); NaN until first needed.
    weights: [f64; 2],
}

/// The trie of one worker, and where the current shot stands in it.
#[derive(Clone, Debug)]
pub(super) struct Trajectories {
    /// The program whose shots these are ([`super::ExactProgram::id`]).
    program: u64,
    budget: usize,
    nodes: Vec<Node>,
    arena: Vec<C>,
    /// The current shot's node (ABSENT: off the trie, the workspace's vector is the state).
    node: u32,
    /// Whether the workspace's vector equals the current node's.
    synced: bool,
    /// After a miss that will be stored: the parent and key of the node to store.
    parent: u32,
    key: u8,
    /// Whether this shot has stored a node: its next misses are stored at once.
    storing: bool,
    pub dbg: [u64; 6],
    t: u32,
    cont: bool,
}
impl Drop for Trajectories {
    fn drop(&mut self) {
        if std::env::var("QEC_TRAJ_DEBUG").is_ok() && self.dbg[0] > 100 {
            eprintln!("traj: shots {} hits {} misses {} stored {} nodes {} arena {} MB {:.1} saved amps {} live amps {}", self.dbg[0], self.dbg[1], self.dbg[2], self.dbg[3], self.nodes.len(), self.arena.len(), (self.arena.capacity()*16 + self.nodes.capacity()*40) as f64/1e6, self.dbg[4], self.dbg[5]);
        }
    }
}

impl Trajectories {
    /// An empty trie for shots of `program` holding at most `budget` bytes (0: no cache).
    pub fn new(program: u64, budget: usize) -> Trajectories {
        let mut t = Trajectories {
            program,
            budget,
            nodes: Vec::new(),
            arena: Vec::new(),
            node: ABSENT,
            synced: false,
            parent: ABSENT,
            key: 0,
            storing: false,
            dbg: [0; 6],
            t: std::env::var("QEC_TRAJ_T").map_or(2, |v| v.parse().unwrap()),
            cont: std::env::var("QEC_TRAJ_CONT").is_ok(),
        };
        // The root: the vector before any dense step, (1).
        t.store(&[C::new(1.0, 0.0)]);
        t
    }

    /// The program whose shots this trie memoises.
    pub fn program(&self) -> u64 {
        self.program
    }

    /// The byte budget (0: disabled).
    pub fn budget(&self) -> usize {
        self.budget
    }

    /// Starts a shot at the root; `amps` is the workspace's vector, already (1).
    #[inline(always)]
    pub fn begin(&mut self) {
        self.node = if self.nodes.is_empty() { ABSENT } else { 0 };
        self.synced = true;
        self.parent = ABSENT;
        self.storing = false;
        self.dbg[0] += 1;
    }

    /// A dense step with decision `key`: follows the trie when it holds the vector after the
    /// step; otherwise brings `amps` up to date, runs `compute` on it and stores the result
    /// when it may.
    #[inline(always)]
    pub fn step(&mut self, key: usize, amps: &mut Vec<C>, compute: impl FnOnce(&mut Vec<C>)) {
        if self.node != ABSENT {
            let child = self.nodes[self.node as usize].children[key];
            if child < SEEN {
                self.dbg[1] += 1;
                self.dbg[4] += self.nodes[child as usize].len as u64;
                self.node = child;
                self.synced = false;
                return;
            }
            self.miss(key, amps);
        }
        self.dbg[5] += amps.len() as u64;
        compute(amps);
        if self.parent != ABSENT {
            self.insert(amps);
        }
    }

    /// The weights (p0, p1) of the outcomes of a Z measurement of `slot` in the current state,
    /// summed as [`slot_weights`] sums them whether they come from the trie or from `amps`.
    #[inline(always)]
    pub fn weights(&mut self, amps: &[C], slot: usize) -> [f64; 2] {
        if self.node == ABSENT {
            return slot_weights(amps, slot);
        }
        let node = &self.nodes[self.node as usize];
        if !node.weights[0].is_nan() {
            return node.weights;
        }
        let w = slot_weights(&self.arena[node.start as usize..][..node.len as usize], slot);
        self.nodes[self.node as usize].weights = w;
        w
    }

    /// At the end of a completed shot: `amps` gets the final vector.
    #[inline(always)]
    pub fn finish(&mut self, amps: &mut Vec<C>) {

        if self.node != ABSENT && !self.synced {
            self.copy_to(amps);
        }
    }

    /// Leaves the trie at `key` of the current node: `amps` gets the node's vector, and the
    /// step's result is to be stored if this is the child's second miss (or this shot already
    /// stores) and the budget allows.
    #[cold]
    fn miss(&mut self, key: usize, amps: &mut Vec<C>) {
        self.dbg[2] += 1;
        if !self.synced {
            self.copy_to(amps);
        }
        let node = self.node as usize;
        let child = &mut self.nodes[node].children[key];
        let misses = u32::MAX - *child + 1;
        if misses >= self.t || (self.storing && self.cont) {
            self.parent = self.node;
            self.key = key as u8;
        } else {
            *child -= 1;
        }
        self.node = ABSENT;
    }

    fn copy_to(&self, amps: &mut Vec<C>) {
        let node = &self.nodes[self.node as usize];
        amps.clear();
        amps.extend_from_slice(&self.arena[node.start as usize..][..node.len as usize]);
    }

    /// Stores `amps` as the child the last miss left pending, and moves there; off the trie for
    /// the rest of the shot when the budget is spent.
    #[cold]
    fn insert(&mut self, amps: &[C]) {
        let parent = std::mem::replace(&mut self.parent, ABSENT) as usize;
        match self.store(amps) {
            Some(id) => {
                self.dbg[3] += 1;
                self.nodes[parent].children[self.key as usize] = id;
                self.node = id;
                self.synced = true;
                self.storing = true;
            }
            None => self.node = ABSENT,
        }
    }

    /// Appends a node holding `amps` if the budget allows: the allocated capacity of the nodes
    /// and the arena together never passes it.
    fn store(&mut self, amps: &[C]) -> Option<u32> {
        let (node_bytes, amp_bytes) = (std::mem::size_of::<Node>(), std::mem::size_of::<C>());
        let need_nodes = self.nodes.len() + 1;
        let need_arena = self.arena.len() + amps.len();
        if need_arena > u32::MAX as usize {
            return None;
        }
        let arena_now = self.arena.capacity().max(need_arena) * amp_bytes;
        let nodes = fit(
            self.nodes.capacity(),
            need_nodes,
            self.budget.checked_sub(arena_now)? / node_bytes,
        )?;
        let arena = fit(
            self.arena.capacity(),
            need_arena,
            self.budget.checked_sub(nodes * node_bytes)? / amp_bytes,
        )?;
        self.nodes.reserve_exact(nodes - self.nodes.len());
        self.arena.reserve_exact(arena - self.arena.len());
        let start = self.arena.len() as u32;
        self.arena.extend_from_slice(amps);
        self.nodes.push(Node {
            children: [ABSENT; 4],
            start,
            len: amps.len() as u32,
            weights: [f64::NAN; 2],
        });
        Some(self.nodes.len() as u32 - 1)
    }
}

/// The capacity to hold `need` elements, from capacity `cap`: `cap` when it does, else doubled
/// (at least 64) but at most `max`; None when `need` passes `max`.
fn fit(cap: usize, need: usize, max: usize) -> Option<usize> {
    if need > max {
        None
    } else if cap >= need {
        Some(cap)
    } else {
        Some(need.max(2 * cap).max(64).min(max))
    }
}

/// The weights (p0, p1) of the outcomes of a Z measurement of `slot`: the squared norms of the
/// amplitudes with the slot's bit clear and set, each summed in index order (one pass).
#[inline(always)]
pub(super) fn slot_weights(amps: &[C], slot: usize) -> [f64; 2] {
    let b = 1usize << slot;
    let (mut p0, mut p1) = (0.0f64, 0.0f64);
    for (i, a) in amps.iter().enumerate() {
        if i & b == 0 {
            p0 += a.norm_sqr();
        } else {
            p1 += a.norm_sqr();
        }
    }
    [p0, p1]
}
