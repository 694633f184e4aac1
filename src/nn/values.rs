//! Values of a model's decision variables, and gradients with respect to them.
//!
//! One matrix per [`VarId`], shaped as the variable (`[n]` is an `n×1` column, a scalar `1×1`).
//! The flat form used by optimizers lists the variables in `VarId` order, each one row by row
//! (row-major): entry `(i, j)` of variable `v` is at `offset(v) + i · cols + j`.

use nalgebra::DMatrix;

use crate::model::{Model, VarId};

use super::EvalError;

/// A matrix per decision variable: a point, or the gradient of a function at a point.
#[derive(Clone, Debug, PartialEq)]
pub struct Values {
    vars: Vec<DMatrix<f64>>,
}

impl Values {
    /// All variables zero.
    pub fn zeros(model: &Model) -> Values {
        Values {
            vars: model
                .vars
                .iter()
                .map(|v| DMatrix::zeros(v.shape.rows(), v.shape.cols()))
                .collect(),
        }
    }

    /// Values given per variable, checked against the variables' shapes.
    pub fn new(model: &Model, vars: Vec<DMatrix<f64>>) -> Result<Values, EvalError> {
        if vars.len() != model.vars.len() {
            return Err(EvalError::VarCount {
                want: model.vars.len(),
                got: vars.len(),
            });
        }
        for (m, v) in vars.iter().zip(&model.vars) {
            if m.shape() != (v.shape.rows(), v.shape.cols()) {
                return Err(EvalError::VarShape {
                    name: v.name.clone(),
                    shape: v.shape.to_string(),
                    got: m.shape(),
                });
            }
        }
        Ok(Values { vars })
    }

    /// Values from the flat row-major layout described in the module docs.
    pub fn from_flat(model: &Model, flat: &[f64]) -> Result<Values, EvalError> {
        let want: usize = model.vars.iter().map(|v| v.shape.len()).sum();
        if flat.len() != want {
            return Err(EvalError::FlatLength {
                want,
                got: flat.len(),
            });
        }
        let mut at = 0;
        let vars = model
            .vars
            .iter()
            .map(|v| {
                let (r, c) = (v.shape.rows(), v.shape.cols());
                let m = DMatrix::from_row_slice(r, c, &flat[at..at + r * c]);
                at += r * c;
                m
            })
            .collect();
        Ok(Values { vars })
    }

    /// The flat row-major layout described in the module docs.
    pub fn to_flat(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.len());
        for m in &self.vars {
            out.extend(row_major(m));
        }
        out
    }

    /// Total number of scalar entries.
    pub fn len(&self) -> usize {
        self.vars.iter().map(DMatrix::len).sum()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Offset of a variable's first entry in the flat layout.
    pub fn offset(&self, v: VarId) -> usize {
        self.vars[..v.0].iter().map(DMatrix::len).sum()
    }

    /// The value of a variable.
    pub fn get(&self, v: VarId) -> &DMatrix<f64> {
        &self.vars[v.0]
    }

    /// The value of a variable, mutably (its shape must not change).
    pub fn get_mut(&mut self, v: VarId) -> &mut DMatrix<f64> {
        &mut self.vars[v.0]
    }

    /// All variables in `VarId` order.
    pub fn iter(&self) -> impl Iterator<Item = (VarId, &DMatrix<f64>)> {
        self.vars.iter().enumerate().map(|(i, m)| (VarId(i), m))
    }

    /// Adds `scale · other` entry by entry (same model).
    pub fn add_scaled(&mut self, scale: f64, other: &Values) {
        for (a, b) in self.vars.iter_mut().zip(&other.vars) {
            *a += b * scale;
        }
    }

    /// `Σ ‖x_v‖²` over all variables.
    pub fn norm_squared(&self) -> f64 {
        self.vars.iter().map(DMatrix::norm_squared).sum()
    }
}

/// The entries of a matrix row by row.
pub fn row_major(m: &DMatrix<f64>) -> impl Iterator<Item = f64> + '_ {
    (0..m.nrows()).flat_map(move |i| (0..m.ncols()).map(move |j| m[(i, j)]))
}
