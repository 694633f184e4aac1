//! Numerical rank of the data and its coordinates in the row space.
//!
//! With the thin SVD `X = U Σ Vᵀ` and `r` singular values above the tolerance
//! `σ_max · max(n, d) · ε` (ε the f64 machine epsilon: the rule of LAPACK's and numpy's
//! `matrix_rank`), `X ≈ C V_rᵀ` with coordinates `C = X V_r` (n×r). Since `X g = C (V_rᵀ g)` and
//! `V_rᵀ` maps `R^d` onto `R^r` (and `N(0, I_d)` onto `N(0, I_r)`), the activation patterns of `X`
//! over `g ∈ R^d` are those of `C` over `h ∈ R^r`, and the full-dimensional cells correspond.

use nalgebra::{DMatrix, SVD};

/// Rows of `C` whose norm is at most this times the largest row norm count as zero rows: they
/// are active in every pattern (`x_j·g = 0 ≥ 0`) and contribute nothing to `D X`.
pub const ZERO_ROW_RTOL: f64 = 1e-12;

/// Why patterns could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PatternError {
    /// Exact enumeration was asked for data of rank above 3.
    #[error(
        "exact activation patterns need data of rank at most 3 (with its bias column); \
         this data has rank {rank} over {n} samples, with up to {bound:.3e} patterns: \
         use sampled patterns instead"
    )]
    RankTooHigh {
        /// Numerical rank of the data.
        rank: usize,
        /// Number of samples.
        n: usize,
        /// The bound `2r(e(n−1)/r)^r` on the number of patterns (see [`super::pattern_bound`]).
        bound: f64,
    },
    /// The data holds a NaN or an infinity.
    #[error("the data holds the non-finite value {value} at sample {row}, feature {col}")]
    NonFinite {
        /// Sample (row) index, from 0.
        row: usize,
        /// Feature (column) index, from 0.
        col: usize,
        /// The offending value.
        value: f64,
    },
}

/// The data in row-space coordinates.
#[derive(Clone, Debug)]
pub struct RowSpace {
    /// Numerical rank `r`.
    pub rank: usize,
    /// Coordinates `C = X V_r`, n×r.
    pub coords: DMatrix<f64>,
    /// Whether row `j` counts as a zero row (see [`ZERO_ROW_RTOL`]).
    pub zero_row: Vec<bool>,
}

impl RowSpace {
    /// Computes the rank and coordinates of `x` (n×d).
    pub fn new(x: &DMatrix<f64>) -> Result<RowSpace, PatternError> {
        check_finite(x)?;
        let (n, d) = x.shape();
        if n == 0 || d == 0 {
            return Ok(RowSpace {
                rank: 0,
                coords: DMatrix::zeros(n, 0),
                zero_row: vec![true; n],
            });
        }
        let svd = SVD::new(x.clone(), false, true);
        let rank = rank_of(svd.singular_values.as_slice(), n, d);
        let coords = match &svd.v_t {
            Some(v_t) => x * v_t.rows(0, rank).transpose(),
            None => DMatrix::zeros(n, 0),
        };
        let norms: Vec<f64> = coords.row_iter().map(|row| row.norm()).collect();
        let largest = norms.iter().copied().fold(0.0, f64::max);
        let zero_row = norms
            .iter()
            .map(|&norm| rank == 0 || norm <= ZERO_ROW_RTOL * largest)
            .collect();
        Ok(RowSpace {
            rank,
            coords,
            zero_row,
        })
    }

    /// Row `j` of the coordinates, scaled to unit length (meaningless for zero rows).
    pub(crate) fn unit_row(&self, j: usize) -> Vec<f64> {
        let row = self.coords.row(j);
        let norm = row.norm();
        row.iter().map(|v| v / norm).collect()
    }
}

/// Numerical rank of `x`: the number of singular values above `σ_max · max(n, d) · ε`.
pub fn rank(x: &DMatrix<f64>) -> Result<usize, PatternError> {
    check_finite(x)?;
    let (n, d) = x.shape();
    if n == 0 || d == 0 {
        return Ok(0);
    }
    let singular = SVD::new(x.clone(), false, false).singular_values;
    Ok(rank_of(singular.as_slice(), n, d))
}

fn rank_of(singular: &[f64], n: usize, d: usize) -> usize {
    let largest = singular.iter().copied().fold(0.0, f64::max);
    let tol = largest * n.max(d) as f64 * f64::EPSILON;
    singular.iter().filter(|&&s| s > tol).count()
}

fn check_finite(x: &DMatrix<f64>) -> Result<(), PatternError> {
    for (col, column) in x.column_iter().enumerate() {
        for (row, &value) in column.iter().enumerate() {
            if !value.is_finite() {
                return Err(PatternError::NonFinite { row, col, value });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_of_data_with_bias_column() {
        let x = DMatrix::from_row_slice(5, 2, &[-1., 1., -5., 1., 2., 1., 0., 1., 3., 1.]);
        assert_eq!(rank(&x), Ok(2));
        let collinear = DMatrix::from_row_slice(3, 3, &[1., 2., 1., 2., 4., 1., 3., 6., 1.]);
        assert_eq!(rank(&collinear), Ok(2));
        assert_eq!(rank(&DMatrix::zeros(4, 3)), Ok(0));
        assert_eq!(rank(&DMatrix::zeros(0, 3)), Ok(0));
    }

    #[test]
    fn coordinates_keep_inner_products() {
        let x = DMatrix::from_row_slice(4, 3, &[1., 0., 2., 0., 0., 0., 2., 0., 4., -1., 0., -2.]);
        let rs = RowSpace::new(&x).expect("finite");
        assert_eq!(rs.rank, 1);
        assert_eq!(rs.zero_row, vec![false, true, false, false]);
        let gram = &x * x.transpose();
        let gram_c = &rs.coords * rs.coords.transpose();
        assert!((gram - gram_c).abs().max() < 1e-12);
    }

    #[test]
    fn non_finite_data_is_an_error() {
        let x = DMatrix::from_row_slice(2, 2, &[1., 2., f64::NAN, 1.]);
        assert!(matches!(
            rank(&x),
            Err(PatternError::NonFinite { row: 1, col: 0, .. })
        ));
    }
}
