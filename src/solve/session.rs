//! A [`Session`] solves a series of conic problems that differ only in their numbers, keeping
//! one Clarabel solver and updating its data instead of building a new one each time.
//!
//! A problem is solved by the kept solver when it has the same dimensions and the same cone list
//! as the problem the solver was built for, and its `P` and `A` store entries only where the
//! kept ones do. Positions the new problem leaves out are structural zeros and get the value
//! 0.0: assembly drops exact zeros, so a coefficient that is 0 this time does not force a
//! rebuild. Anything else builds a new solver, which is kept from then on.
//!
//! What Clarabel 0.11.1 does, read in its source:
//! - `src/solver/implementations/default/data_updating.rs`: `update_P`, `update_A`, `update_q`
//!   and `update_b` take either the full value vector in the kept CSC order (its length must be
//!   the kept nnz) or a `CscMatrix` whose `colptr` and `rowval` equal the kept ones
//!   (`check_equal_sparsity`). A session passes a `CscMatrix` on the kept pattern, so Clarabel
//!   checks the pattern once more. For `P` the kept pattern is the upper triangle: the
//!   constructor (`problemdata.rs`) replaces a `P` that is not upper triangular by its upper
//!   triangle, and ours always is one (`check_shape`). New values are scaled by the
//!   equilibration computed when the solver was built; it is not recomputed.
//! - Updates fail (`PresolveIsActive`, `DroppedStructuralZeros`, `ChordalDecompositionIsActive`)
//!   when presolve, zero dropping or chordal decomposition changed the problem at construction,
//!   so a session's solver is built with `presolve_enable`, `input_sparse_dropzeros` and (with
//!   the `sdp` feature) `chordal_decomposition_enable` off.
//! - The constructor caps `b` at `clarabel::get_infinity()` but the update does not; a session
//!   caps it itself.
//! - There is no warm start: `solve` (`src/solver/core/solver.rs`) calls `default_start` every
//!   time, which resets the scalings and computes a fresh initial point. What reuse saves is
//!   the allocation, the KKT assembly maps and the symbolic LDL factorization
//!   (`update_P`/`update_A` write the new values through the kept KKT maps), not iterations.

use std::time::Instant;

use ::clarabel::algebra::CscMatrix;
use ::clarabel::solver::DefaultSolver;

use super::{clarabel, error, Backend, Outcome, Settings, SolveError};
use crate::conic::{Cone, ConicProblem, Csc};

/// Solves a series of problems with one back end, reusing Clarabel's solver between problems of
/// the same structure (see the module documentation).
pub struct Session {
    backend: Backend,
    settings: Settings,
    kept: Option<Kept>,
}

/// The kept solver and the structure it was built for.
struct Kept {
    solver: DefaultSolver<f64>,
    cones: Vec<Cone>,
    p: Pattern,
    a: Pattern,
}

/// Where a CSC matrix stores its entries.
struct Pattern {
    m: usize,
    n: usize,
    colptr: Vec<usize>,
    rowval: Vec<usize>,
}

impl Session {
    /// A session that solves with `backend` and `settings`; nothing is built until the first
    /// [`Session::solve`].
    pub fn new(backend: Backend, settings: Settings) -> Session {
        Session {
            backend,
            settings,
            kept: None,
        }
    }

    /// Solves `p` like [`super::solve`] and says whether the kept solver was reused (always
    /// false for microlp and for problems without variables, which are solved afresh).
    pub fn solve(&mut self, p: &ConicProblem) -> Result<(Outcome, bool), SolveError> {
        error::check_shape(p)?;
        if self.backend != Backend::Clarabel || p.vars.is_empty() {
            return Ok((super::solve(p, self.backend, &self.settings)?, false));
        }
        let cones = clarabel::cones(p)?;
        let start = Instant::now();
        let (mut kept, reused) = match self.kept.take().and_then(|k| k.update(p)) {
            Some(k) => (k, true),
            None => {
                let settings = clarabel::settings(&self.settings, true)?;
                let solver = clarabel::build(p, &cones, settings)?;
                (Kept::new(solver, p), false)
            }
        };
        let finished = clarabel::run(&mut kept.solver);
        let solve_seconds = start.elapsed().as_secs_f64();
        let out = clarabel::outcome(
            p,
            &self.settings,
            finished.then_some(&kept.solver),
            solve_seconds,
        );
        // After a panic inside Clarabel its state is unknown: build afresh next time.
        if finished {
            self.kept = Some(kept);
        }
        Ok((out, reused))
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("backend", &self.backend)
            .field("settings", &self.settings)
            .field("kept", &self.kept.is_some())
            .finish()
    }
}

impl Kept {
    fn new(solver: DefaultSolver<f64>, p: &ConicProblem) -> Kept {
        Kept {
            solver,
            cones: p.cones.clone(),
            p: Pattern::of(&p.p),
            a: Pattern::of(&p.a),
        }
    }

    /// The solver with `p`'s data in place of the old, or `None` when `p` does not fit the
    /// kept structure or Clarabel refuses the update.
    fn update(mut self, p: &ConicProblem) -> Option<Kept> {
        // With the cones, `P`'s and `A`'s shapes fix the lengths of `q` and `b` (`check_shape`).
        if p.cones != self.cones {
            return None;
        }
        let new_p = self.p.lay(&p.p)?;
        let new_a = self.a.lay(&p.a)?;
        let infinity = ::clarabel::get_infinity();
        let b: Vec<f64> = p.b.iter().map(|&v| v.min(infinity)).collect();
        // Clarabel refuses updates when its settings let it change the problem's structure
        // (presolve, dropped zeros, chordal decomposition); the session turns those off, but if
        // it refuses anyway the caller builds a new solver. A refusal may come after some of
        // the data was already written, so the solver is dropped either way.
        let s = &mut self.solver;
        s.update_P(&new_p).ok()?;
        s.update_A(&new_a).ok()?;
        s.update_q(&p.q).ok()?;
        s.update_b(&b).ok()?;
        Some(self)
    }
}

impl Pattern {
    fn of(c: &Csc) -> Pattern {
        Pattern {
            m: c.m,
            n: c.n,
            colptr: c.colptr.clone(),
            rowval: c.rowval.clone(),
        }
    }

    /// `c` on this pattern, zeros where `c` stores nothing; `None` when `c` has another shape
    /// or an entry this pattern lacks. Each of `c`'s entries is matched, column by column, with
    /// an equal row at or after the previous match, so rows sorted within columns (as assembly
    /// writes them) always match, and a match is always at the same (row, column).
    fn lay(&self, c: &Csc) -> Option<CscMatrix<f64>> {
        if (c.m, c.n) != (self.m, self.n) {
            return None;
        }
        let mut nzval = vec![0.0; self.rowval.len()];
        for j in 0..self.n {
            let (mut k, end) = (self.colptr[j], self.colptr[j + 1]);
            for t in c.colptr[j]..c.colptr[j + 1] {
                let row = c.rowval[t];
                while k < end && self.rowval[k] != row {
                    k += 1;
                }
                if k == end {
                    return None;
                }
                nzval[k] = c.nzval[t];
                k += 1;
            }
        }
        Some(CscMatrix::new(
            self.m,
            self.n,
            self.colptr.clone(),
            self.rowval.clone(),
            nzval,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conic::Triplets;

    fn csc(m: usize, n: usize, entries: &[(usize, usize, f64)]) -> Csc {
        let mut t = Triplets::new(m, n);
        for &(r, c, v) in entries {
            t.push(r, c, v);
        }
        t.into_csc()
    }

    #[test]
    fn lays_a_subset_onto_the_kept_pattern() {
        let kept = Pattern::of(&csc(3, 2, &[(0, 0, 1.0), (2, 0, 2.0), (1, 1, 3.0)]));
        let laid = kept
            .lay(&csc(3, 2, &[(2, 0, 5.0), (1, 1, 6.0)]))
            .expect("a subset");
        assert_eq!(laid.colptr, vec![0, 2, 3]);
        assert_eq!(laid.rowval, vec![0, 2, 1]);
        assert_eq!(laid.nzval, vec![0.0, 5.0, 6.0]);
        let empty = kept.lay(&Csc::zeros(3, 2)).expect("a subset");
        assert_eq!(empty.nzval, vec![0.0; 3]);
        // A new position, a shape change.
        assert!(kept.lay(&csc(3, 2, &[(1, 0, 1.0)])).is_none());
        assert!(kept.lay(&csc(3, 3, &[(0, 0, 1.0)])).is_none());
        assert!(kept.lay(&csc(4, 2, &[(0, 0, 1.0)])).is_none());
    }

    #[test]
    fn unsorted_or_repeated_rows_never_match_elsewhere() {
        let kept = Pattern::of(&csc(3, 1, &[(0, 0, 1.0), (1, 0, 1.0), (2, 0, 1.0)]));
        let reversed = Csc {
            m: 3,
            n: 1,
            colptr: vec![0, 2],
            rowval: vec![2, 0],
            nzval: vec![1.0, 2.0],
        };
        assert!(kept.lay(&reversed).is_none());
        let repeated = Csc {
            rowval: vec![1, 1],
            ..reversed
        };
        assert!(kept.lay(&repeated).is_none());
    }
}
