//! Exact mixed-integer forms of the piecewise-linear atoms, for a query that uses them where
//! they are not convex (`maximize abs(f(x1) − f(x2))`, `norm_inf(x − x0) >= r`).
//!
//! ```text
//! pos(e)          = relu(e)
//! abs(e)          = 2 relu(e) − e
//! maximum(a, b)   = b + relu(a − b)
//! max(e)          = m_n,  m_1 = e_1,  m_k = e_k + relu(m_{k−1} − e_k)
//! norm_inf(e)     = max(abs(e)),   norm1(e) = sum(abs(e))
//! ```
//! Each `relu` is the big-M form of `encode.rs` with interval bounds on its argument, so the
//! identities hold exactly at every feasible point. They are used only when the model is not
//! DCP as written (then every such atom of the model is encoded this way, convex uses included,
//! and the report says how many binaries that cost); a model whose atoms are convex keeps their
//! LP forms.

use super::encode::{Act, Encoder};
use crate::convex::from_model::Context;
use crate::convex::{Affine, Atom, Constraint, Expr};
use crate::diag::Diagnostic;
use crate::model::{self, Atom as M};

/// The atoms this file encodes exactly.
pub fn covers(atom: M) -> bool {
    matches!(
        atom,
        M::Pos | M::Abs | M::Maximum | M::Max | M::NormInf | M::Norm1
    )
}

impl Encoder<'_> {
    /// `atom(args)` exactly, when every argument is affine; else the atom as usual (the
    /// convexity check then reports it).
    pub(super) fn atom(
        &mut self,
        e: &model::Expr,
        atom: M,
        args: &[model::Expr],
        cx: &mut Context<'_>,
    ) -> Result<Expr, Vec<Diagnostic>> {
        let xs = args
            .iter()
            .map(|a| cx.expr(a, self))
            .collect::<Result<Vec<_>, _>>()?;
        let affine: Option<Vec<Affine>> = xs.iter().map(|x| x.as_affine().cloned()).collect();
        let Some(a) = affine else {
            let kind = match atom {
                M::Pos => Atom::Pos,
                M::Abs => Atom::Abs,
                M::Maximum => Atom::Maximum,
                M::Max => Atom::Max,
                M::NormInf => Atom::NormInf,
                _ => Atom::Norm1,
            };
            return Expr::atom(kind, xs).map_err(|err| vec![err.to_diagnostic(Some(e.span))]);
        };
        let text = cx.text_at(e.span);
        let before = self.atom_binaries;
        let mut constraints = Vec::new();
        let mut step = Step {
            enc: self,
            cx,
            constraints: &mut constraints,
            count: 0,
        };
        let out = match atom {
            M::Pos => step.relu(&a[0])?,
            M::Abs => step.abs(&a[0])?,
            M::Maximum => {
                let (x, y) = broadcast(&a[0], &a[1]);
                step.maximum(&x, &y)?
            }
            M::Max => step.max(&a[0])?,
            M::NormInf => {
                let t = step.abs(&a[0])?;
                step.max(&t)?
            }
            _ => step.abs(&a[0])?.sum(),
        };
        let binaries = self.atom_binaries - before;
        for c in constraints {
            cx.prog.constrain(c);
        }
        self.atoms.push((text, binaries));
        Ok(Expr::from(out))
    }
}

/// One atom's encoding in progress.
struct Step<'a, 'o, 'c> {
    enc: &'a mut Encoder<'o>,
    cx: &'a mut Context<'c>,
    constraints: &'a mut Vec<Constraint>,
    count: usize,
}

impl Step<'_, '_, '_> {
    /// `relu(z)` entry by entry, with interval bounds.
    fn relu(&mut self, z: &Affine) -> Result<Affine, Vec<Diagnostic>> {
        self.count += 1;
        let name = format!("atom{}.a{}", self.enc.atoms.len() + 1, self.count);
        let (out, phases) =
            self.enc
                .relu_interval(z, Act::Relu, &name, self.cx, self.constraints)?;
        self.enc.atom_binaries += phases
            .iter()
            .filter(|p| **p == super::encode::Phase::Binary)
            .count();
        Ok(out)
    }

    /// `2 relu(e) − e`.
    fn abs(&mut self, e: &Affine) -> Result<Affine, Vec<Diagnostic>> {
        let r = self.relu(e)?;
        Ok(r.scale(2.0).sub(e).expect("same shape"))
    }

    /// `b + relu(a − b)`.
    fn maximum(&mut self, a: &Affine, b: &Affine) -> Result<Affine, Vec<Diagnostic>> {
        let d = a.sub(b).expect("same shape");
        let r = self.relu(&d)?;
        Ok(b.add(&r).expect("same shape"))
    }

    /// The largest entry, pairwise.
    fn max(&mut self, e: &Affine) -> Result<Affine, Vec<Diagnostic>> {
        let entry = |k: usize| e.select(&[k], 1, 1).expect("in range");
        let mut m = entry(0);
        for k in 1..e.len() {
            m = self.maximum(&m, &entry(k))?;
        }
        Ok(m)
    }
}

/// Two arguments of one shape (a scalar is repeated).
fn broadcast(a: &Affine, b: &Affine) -> (Affine, Affine) {
    let grow = |x: &Affine, like: &Affine| {
        let idx = vec![0; like.len()];
        x.select(&idx, like.rows(), like.cols()).expect("in range")
    };
    match (a.len(), b.len()) {
        (1, n) if n > 1 => (grow(a, b), b.clone()),
        (n, 1) if n > 1 => (a.clone(), grow(b, a)),
        _ => (a.clone(), b.clone()),
    }
}
