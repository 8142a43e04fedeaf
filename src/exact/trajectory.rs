//! A per-worker cache of the dense vector's trajectories: memoisation, exact and bit-identical.
//!
//! A shot's dense vector changes only at its dense steps (activations, dense Cliffords,
//! rotations, dense measurements), and each change is a fixed function of the vector before it
//! and of one small *decision*: the frame's sign bit(s) at an activation or rotation, or the
//! outcome of a dense measurement. Every shot walks the same list of steps, so the vector after
//! the i-th dense step is a function of the first i decisions, and almost every shot follows one
//! of a few decision sequences (the noiseless one and those of common faults).
//!
//! The cache is a trie over these sequences: a node is the vector after a prefix of decisions,
//! and its children are keyed by the next one. A shot on a cached path only reads its decisions
//! and walks the trie. At the first miss it brings the workspace's vector to the last node's and
//! computes on from there, adding the new nodes while the byte budget lasts; after that, the
//! stored nodes keep serving and nothing more is added, so memory stays flat. Only some nodes
//! store their vector (checkpoints, about one per [`REPLAY_PER_STORED`] times its length in
//! work); the others are rebuilt on a miss by replaying the steps from the nearest checkpoint.
//! A vector, stored or rebuilt, holds the very numbers the computation produced, and a dense
//! measurement draws from the stored weights (p0, p1) with the same random number and the same
//! comparison, so shots are bit-identical with and without the cache (docs/exact-engine.md).

use num_complex::Complex64 as C;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes of trie (nodes and stored vectors) per worker. On hadamard-prep d = 5 (cn20, p =
/// 1e-3) 64 MiB fill within the first 200k shots and spare two thirds of the dense work (with
/// 1 GB, a first version that stored every vector spared 69%: the rest is the first visits of
/// rare paths). At d = 7 shots part from each other early: 64 MiB spare 12%, 1 GB 23%.
pub const TRAJECTORY_BUDGET: usize = 64 << 20;

/// Bytes all the tries of the process may hold together, whatever the number of workers
/// (`--threads` allows up to 1024, and each would otherwise take [`TRAJECTORY_BUDGET`]): four
/// workers' worth. A worker that finds it spent stores nothing more, as when its own budget
/// is spent; which paths get stored then depends on timing, the shots never do.
pub const TRAJECTORY_TOTAL: usize = 4 * TRAJECTORY_BUDGET;

/// Bytes the tries of the process hold now (allocated capacity, summed over every trie).
static HELD: AtomicUsize = AtomicUsize::new(0);

/// Takes `bytes` more of [`TRAJECTORY_TOTAL`], if that many are left.
fn acquire(bytes: usize) -> bool {
    HELD.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
        held.checked_add(bytes).filter(|&h| h <= TRAJECTORY_TOTAL)
    })
    .is_ok()
}

/// The least dense work per noiseless shot (amplitudes touched, [`super::compile::dense_work`])
/// for which a program's workspaces get a cache: any. Measured (2026-12-07), the cache paid or
/// broke even on every circuit at hand, down to the d = 3 T cultivation circuit (4 active qubits
/// at most, about 360 amplitudes a shot); a program without dense steps gets none.
pub const MIN_CACHED_WORK: u128 = 1;

/// A stored vector costs its length in memory and saves, at each miss below it, rebuilding
/// it by replaying the steps from the nearest stored ancestor. A new node stores its vector when
/// that replay would visit at least this many times its length in amplitudes.
const REPLAY_PER_STORED: u32 = 8;

/// A missing child; below it, down to [`COUNTED`], a child that as many shots have needed
/// (u32::MAX - count) and that is not stored yet.
const ABSENT: u32 = u32::MAX;
const COUNTED: u32 = u32::MAX - 64;
/// A child is stored at the miss that makes this many: a decision sequence that only one shot
/// takes (as most faulty paths are) costs no memory.
const MISSES_TO_STORE: u32 = 2;
/// `Node::start` of a node whose vector is not stored.
const NOT_STORED: u32 = u32::MAX;

#[derive(Clone, Debug)]
struct Node {
    /// Child per decision key (at most two bits: a pair of rotations reads two signs).
    children: [u32; 4],
    parent: u32,
    /// The step that led here from the parent (its index in the program's step list) and its
    /// decision.
    at: u32,
    key: u8,
    /// The vector: `len` amplitudes from `start` in the arena (`NOT_STORED`: rebuilt from the
    /// nearest stored ancestor when needed).
    start: u32,
    len: u32,
    /// Amplitudes visited to rebuild the vector from the nearest stored ancestor (0: stored).
    rebuild: u32,
    /// Weights of the outcomes 0 and 1 of the dense measurement that follows, when one does
    /// (every node at one depth is followed by the same step); NaN until first needed.
    weights: [f64; 2],
}

/// Where a shot (or a group of shots that made the same decisions) stands in the trie.
#[derive(Clone, Copy, Debug)]
pub(super) struct Cursor {
    /// The current node (ABSENT: off the trie, the shot's own vector is the state).
    node: u32,
    /// Whether the shot's vector equals the current node's.
    synced: bool,
    /// Whether this shot has stored a node: its next misses are stored at once.
    storing: bool,
}

impl Cursor {
    /// A cursor for a shot that takes the same path as this one but has no vector of its own
    /// yet (a group of shots splitting at a decision), or None when this one is off the trie:
    /// then the vector must be copied with it.
    #[inline(always)]
    pub fn detached(self) -> Option<Cursor> {
        (self.node != ABSENT).then_some(Cursor {
            synced: false,
            ..self
        })
    }
}

/// The trie of one worker.
#[derive(Debug)]
pub(super) struct Trajectories {
    /// The program whose shots these are ([`super::ExactProgram::id`]).
    program: u64,
    budget: usize,
    /// Bytes of [`TRAJECTORY_TOTAL`] this trie holds (its allocated capacity).
    held: usize,
    nodes: Vec<Node>,
    arena: Vec<C>,
    /// After a miss that will be stored: the parent, step and key of the node to store.
    parent: u32,
    at: u32,
    key: u8,
    /// Scratch: the nodes to replay when rebuilding a vector.
    path: Vec<u32>,
}

/// Replays one dense step: `replay(at, key, amps)` applies the step at index `at` of the
/// program's step list, with decision `key`, to `amps`, exactly as a shot computes it.
pub(super) trait Replay: Fn(u32, usize, &mut Vec<C>) {}
impl<F: Fn(u32, usize, &mut Vec<C>)> Replay for F {}

impl Trajectories {
    /// An empty trie for shots of `program` holding at most `budget` bytes (0: no cache).
    pub fn new(program: u64, budget: usize) -> Trajectories {
        let mut t = Trajectories {
            program,
            budget,
            held: 0,
            nodes: Vec::new(),
            arena: Vec::new(),
            parent: ABSENT,
            at: 0,
            key: 0,
            path: Vec::new(),
        };
        // The root: the vector before any dense step, (1).
        t.store(ABSENT, 0, 0, &[C::new(1.0, 0.0)], u32::MAX);
        t
    }

    /// The program whose shots this trie memoises.
    pub fn program(&self) -> u64 {
        self.program
    }

    /// Nodes stored (the root included).
    pub fn nodes(&self) -> usize {
        self.nodes.len()
    }

    /// The byte budget (0: disabled).
    pub fn budget(&self) -> usize {
        self.budget
    }

    /// A shot's cursor at the root; the shot's vector is (1).
    #[inline(always)]
    pub fn begin(&mut self) -> Cursor {
        self.parent = ABSENT;
        Cursor {
            node: if self.nodes.is_empty() { ABSENT } else { 0 },
            synced: true,
            storing: false,
        }
    }

    /// The dense step at index `at` with decision `key`: follows the trie when it holds the
    /// node after the step; otherwise brings `amps` up to date, runs `compute` on it (the step,
    /// as `replay` would run it) and stores the result when it may.
    #[inline(always)]
    pub fn step(
        &mut self,
        cur: &mut Cursor,
        at: u32,
        key: usize,
        amps: &mut Vec<C>,
        compute: impl FnOnce(&mut Vec<C>),
        replay: &impl Replay,
    ) {
        if cur.node != ABSENT {
            let child = self.nodes[cur.node as usize].children[key];
            if child < COUNTED {
                cur.node = child;
                cur.synced = false;
                return;
            }
            self.miss(cur, at, key, amps, replay);
        }
        let before = amps.len();
        compute(amps);
        if self.parent != ABSENT {
            self.insert(cur, before, amps);
        }
    }

    /// Whether the step with decision `key` leaves the trie at the cursor's node (false off
    /// the trie).
    #[inline(always)]
    pub fn misses(&self, cur: &Cursor, key: usize) -> bool {
        cur.node != ABSENT && self.nodes[cur.node as usize].children[key] >= COUNTED
    }

    /// Brings `amps` to the vector of the cursor's node, when the cursor is on the trie and
    /// `amps` is not yet that vector (as a miss does).
    #[inline(always)]
    pub fn sync_vector(&mut self, cur: &mut Cursor, amps: &mut Vec<C>, replay: &impl Replay) {
        if cur.node != ABSENT && !cur.synced {
            self.sync(cur, amps, replay);
        }
    }

    /// Starts loading the cursor's node into the cache: a batch's groups walk rarely visited
    /// nodes, and their loads overlap when issued together before the groups step.
    #[inline(always)]
    pub fn prefetch(&self, cur: &Cursor) {
        #[cfg(target_arch = "x86_64")]
        if let Some(node) = self.nodes.get(cur.node as usize) {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            // SAFETY: a prefetch is a hint; the pointer is that of a live element.
            unsafe { _mm_prefetch::<_MM_HINT_T0>((node as *const Node).cast()) };
        }
    }

    /// The weights (p0, p1) of the outcomes of a Z measurement of `slot` in the current state,
    /// summed by [`slot_weights`] whether they come from the trie or from `amps`.
    #[inline(always)]
    pub fn weights(
        &mut self,
        cur: &mut Cursor,
        amps: &mut Vec<C>,
        slot: usize,
        replay: &impl Replay,
    ) -> [f64; 2] {
        if cur.node == ABSENT {
            return slot_weights(amps, slot);
        }
        let node = &self.nodes[cur.node as usize];
        if !node.weights[0].is_nan() {
            return node.weights;
        }
        let w = if cur.synced {
            slot_weights(amps, slot)
        } else if node.start != NOT_STORED {
            slot_weights(
                &self.arena[node.start as usize..][..node.len as usize],
                slot,
            )
        } else {
            self.sync(cur, amps, replay);
            slot_weights(amps, slot)
        };
        self.nodes[cur.node as usize].weights = w;
        w
    }

    /// At the end of a completed shot: `amps` gets the final vector, which the node stores from
    /// now on if it did not (completed shots end on few nodes).
    #[inline(always)]
    pub fn finish(&mut self, cur: &mut Cursor, amps: &mut Vec<C>, replay: &impl Replay) {
        if cur.node != ABSENT {
            self.finish_on_trie(cur, amps, replay);
        }
    }

    #[cold]
    fn finish_on_trie(&mut self, cur: &mut Cursor, amps: &mut Vec<C>, replay: &impl Replay) {
        self.sync(cur, amps, replay);
        let n = cur.node as usize;
        if self.nodes[n].start == NOT_STORED {
            if let Some(start) = self.store_amps(0, amps) {
                self.nodes[n].start = start;
                self.nodes[n].rebuild = 0;
            }
        }
    }

    /// Leaves the trie at `key` of the current node: `amps` gets the node's vector, and the
    /// step's result is to be stored if enough shots have needed it (or this shot already
    /// stores) and the budget allows.
    #[cold]
    fn miss(
        &mut self,
        cur: &mut Cursor,
        at: u32,
        key: usize,
        amps: &mut Vec<C>,
        replay: &impl Replay,
    ) {
        self.sync(cur, amps, replay);
        let child = &mut self.nodes[cur.node as usize].children[key];
        if u32::MAX - *child + 1 >= MISSES_TO_STORE || cur.storing {
            (self.parent, self.at, self.key) = (cur.node, at, key as u8);
        } else {
            *child -= 1;
        }
        cur.node = ABSENT;
    }

    /// Brings `amps` to the current node's vector: a copy of the nearest stored ancestor's, then
    /// the steps from there replayed.
    fn sync(&mut self, cur: &mut Cursor, amps: &mut Vec<C>, replay: &impl Replay) {
        if cur.synced {
            return;
        }
        let mut n = cur.node;
        self.path.clear();
        while self.nodes[n as usize].start == NOT_STORED {
            self.path.push(n);
            n = self.nodes[n as usize].parent;
        }
        let node = &self.nodes[n as usize];
        amps.clear();
        amps.extend_from_slice(&self.arena[node.start as usize..][..node.len as usize]);
        for &p in self.path.iter().rev() {
            let node = &self.nodes[p as usize];
            replay(node.at, node.key as usize, amps);
        }
        cur.synced = true;
    }

    /// Stores the node the last miss left pending, `amps` being its vector (`before`
    /// amplitudes before its step), and moves there; off the trie for the rest of the shot when
    /// the budget is spent.
    #[cold]
    fn insert(&mut self, cur: &mut Cursor, before: usize, amps: &[C]) {
        let parent = std::mem::replace(&mut self.parent, ABSENT);
        let rebuild = self.nodes[parent as usize].rebuild as usize + before.max(amps.len());
        let rebuild = rebuild.min(u32::MAX as usize) as u32;
        match self.store(parent, self.at, self.key, amps, rebuild) {
            Some(id) => {
                self.nodes[parent as usize].children[self.key as usize] = id;
                cur.node = id;
                cur.synced = true;
                cur.storing = true;
            }
            None => cur.node = ABSENT,
        }
    }

    /// Appends a node (with its vector `amps` when rebuilding it would cost
    /// [`REPLAY_PER_STORED`] times its length or more), if the budget allows.
    fn store(&mut self, parent: u32, at: u32, key: u8, amps: &[C], rebuild: u32) -> Option<u32> {
        let keep = rebuild as usize >= REPLAY_PER_STORED as usize * amps.len();
        let start = if keep {
            self.store_amps(1, amps)?
        } else {
            self.reserve(1, 0)?;
            NOT_STORED
        };
        self.nodes.push(Node {
            children: [ABSENT; 4],
            parent,
            at,
            key,
            start,
            len: amps.len() as u32,
            rebuild: if keep { 0 } else { rebuild },
            weights: [f64::NAN; 2],
        });
        Some(self.nodes.len() as u32 - 1)
    }

    /// Appends `amps` to the arena (with room for `nodes` more nodes), if the budget allows;
    /// returns where they start.
    fn store_amps(&mut self, nodes: usize, amps: &[C]) -> Option<u32> {
        self.reserve(nodes, amps.len())?;
        let start = self.arena.len() as u32;
        self.arena.extend_from_slice(amps);
        Some(start)
    }

    /// Makes room for `nodes` more nodes and `amps` more amplitudes, if the budget allows: the
    /// allocated capacity of the nodes and the arena together never passes it.
    fn reserve(&mut self, nodes: usize, amps: usize) -> Option<()> {
        let (node_bytes, amp_bytes) = (std::mem::size_of::<Node>(), std::mem::size_of::<C>());
        let need_nodes = self.nodes.len() + nodes;
        let need_arena = self.arena.len() + amps;
        if need_arena >= NOT_STORED as usize {
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
        let bytes = nodes * node_bytes + arena * amp_bytes;
        if bytes > self.held && !acquire(bytes - self.held) {
            return None;
        }
        self.held = self.held.max(bytes);
        self.nodes.reserve_exact(nodes - self.nodes.len());
        self.arena.reserve_exact(arena - self.arena.len());
        Some(())
    }
}

/// A copy starts empty (the cache holds no state a shot depends on): copying a trie would
/// double its memory outside the process-wide bound.
impl Clone for Trajectories {
    fn clone(&self) -> Trajectories {
        Trajectories::new(self.program, self.budget)
    }
}

impl Drop for Trajectories {
    fn drop(&mut self) {
        HELD.fetch_sub(self.held, Ordering::Relaxed);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// However many workers ask, the tries of the process together stay within
    /// [`TRAJECTORY_TOTAL`].
    #[test]
    fn the_tries_of_a_process_hold_at_most_the_total() {
        let amps = TRAJECTORY_BUDGET * 3 / 4 / std::mem::size_of::<C>();
        let mut tries: Vec<_> = (0..8)
            .map(|i| Trajectories::new(i, TRAJECTORY_BUDGET))
            .collect();
        let granted = tries
            .iter_mut()
            .filter_map(|t| t.reserve(0, amps).map(|()| t.held))
            .collect::<Vec<_>>();
        let most = TRAJECTORY_TOTAL / (TRAJECTORY_BUDGET * 3 / 4);
        assert!(
            granted.len() <= most,
            "{} tries granted, at most {most}",
            granted.len()
        );
        assert!(HELD.load(Ordering::Relaxed) <= TRAJECTORY_TOTAL);
        // Without the process-wide bound every one would get its 48 MiB.
        assert!(granted.iter().all(|&h| h <= TRAJECTORY_BUDGET));
    }
}
