//! Sparse affine expressions: a `rows×cols` matrix whose entries are affine in the scalar columns.
//!
//! Entry `k` (column-major, `k = i + j·rows`) is `Σ_t coef[t]·x[var[t]] + cst[k]` over the terms
//! `t ∈ ptr[k]..ptr[k+1]`. Every operation works on these term lists directly, so `D X v` (a row
//! mask of data times a variable) costs `nnz(X)` terms and never an `n×n` or dense intermediate.
//! Duplicate columns inside one entry are allowed (they are summed when assembled, or merged by
//! [`Affine::compact`]).

use crate::conic::Csc;

use super::ShapeError;

/// The terms of the entry that [`Affine::from_fn`] is building, written straight into the
/// expression's own buffers.
pub struct Terms<'a> {
    var: &'a mut Vec<usize>,
    coef: &'a mut Vec<f64>,
}

impl Terms<'_> {
    /// Adds `coef · x[column]` to the entry.
    pub fn push(&mut self, column: usize, coef: f64) {
        self.var.push(column);
        self.coef.push(coef);
    }
}

/// A matrix-valued affine expression over scalar columns (see the module docs).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Affine {
    rows: usize,
    cols: usize,
    ptr: Vec<usize>,
    var: Vec<usize>,
    coef: Vec<f64>,
    cst: Vec<f64>,
}

impl Affine {
    /// A constant matrix from its entries in column-major order.
    pub fn constant(rows: usize, cols: usize, values: Vec<f64>) -> Result<Affine, ShapeError> {
        if values.len() != rows * cols {
            return Err(ShapeError::new(format!(
                "{} values for a {rows}x{cols} constant",
                values.len()
            )));
        }
        Ok(Affine {
            rows,
            cols,
            ptr: vec![0; values.len() + 1],
            var: Vec::new(),
            coef: Vec::new(),
            cst: values,
        })
    }

    /// The scalar constant `c`.
    pub fn scalar(c: f64) -> Affine {
        Affine {
            rows: 1,
            cols: 1,
            ptr: vec![0, 0],
            var: Vec::new(),
            coef: Vec::new(),
            cst: vec![c],
        }
    }

    /// The `rows×cols` matrix of consecutive columns `first, first+1, …` (column-major).
    pub fn columns(first: usize, rows: usize, cols: usize) -> Affine {
        let len = rows * cols;
        Affine {
            rows,
            cols,
            ptr: (0..=len).collect(),
            var: (first..first + len).collect(),
            coef: vec![1.0; len],
            cst: vec![0.0; len],
        }
    }

    /// Builds an expression entry by entry (column-major): each call of `entry(k, terms)` pushes
    /// the `(column, coefficient)` terms of entry `k` and returns its constant.
    pub fn from_fn(
        rows: usize,
        cols: usize,
        entry: impl FnMut(usize, &mut Terms<'_>) -> f64,
    ) -> Affine {
        Affine::from_fn_with_capacity(rows, cols, rows * cols, entry)
    }

    /// [`Affine::from_fn`] with room for `terms` terms reserved up front, for callers that know
    /// the count: no reallocation while building large expressions.
    pub fn from_fn_with_capacity(
        rows: usize,
        cols: usize,
        terms: usize,
        mut entry: impl FnMut(usize, &mut Terms<'_>) -> f64,
    ) -> Affine {
        let len = rows * cols;
        let mut out = Affine::with_capacity(rows, cols, terms);
        for k in 0..len {
            let c = entry(
                k,
                &mut Terms {
                    var: &mut out.var,
                    coef: &mut out.coef,
                },
            );
            out.cst.push(c);
            out.ptr.push(out.var.len());
        }
        out
    }

    fn with_capacity(rows: usize, cols: usize, terms: usize) -> Affine {
        let mut ptr = Vec::with_capacity(rows * cols + 1);
        ptr.push(0);
        Affine {
            rows,
            cols,
            ptr,
            var: Vec::with_capacity(terms),
            coef: Vec::with_capacity(terms),
            cst: Vec::with_capacity(rows * cols),
        }
    }

    fn push_terms(&mut self, vars: &[usize], coefs: &[f64], scale: f64) {
        self.var.extend_from_slice(vars);
        self.coef.extend(coefs.iter().map(|c| c * scale));
    }

    fn close_entry(&mut self, cst: f64) {
        self.cst.push(cst);
        self.ptr.push(self.var.len());
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.cst.len()
    }

    /// Whether it has no entries.
    pub fn is_empty(&self) -> bool {
        self.cst.is_empty()
    }

    /// Total number of terms (the non-zeros it contributes to a constraint matrix).
    pub fn nnz(&self) -> usize {
        self.var.len()
    }

    /// Whether no entry depends on a column.
    pub fn is_constant(&self) -> bool {
        self.var.is_empty()
    }

    /// The terms (columns, coefficients) and constant of entry `k` (column-major).
    pub fn entry(&self, k: usize) -> (&[usize], &[f64], f64) {
        let r = self.ptr[k]..self.ptr[k + 1];
        (&self.var[r.clone()], &self.coef[r], self.cst[k])
    }

    /// The constants of all entries, column-major.
    pub fn constants(&self) -> &[f64] {
        &self.cst
    }

    /// Largest column index used, plus one (0 when constant).
    pub fn max_column(&self) -> usize {
        self.var.iter().max().map_or(0, |m| m + 1)
    }

    fn same_shape_or_scalar(
        &self,
        other: &Affine,
        what: &str,
    ) -> Result<(usize, usize), ShapeError> {
        if (self.rows, self.cols) == (other.rows, other.cols) || other.len() == 1 {
            Ok((self.rows, self.cols))
        } else if self.len() == 1 {
            Ok((other.rows, other.cols))
        } else {
            Err(ShapeError::new(format!(
                "{what} of a {}x{} and a {}x{} expression",
                self.rows, self.cols, other.rows, other.cols
            )))
        }
    }

    /// `self + other`; a 1×1 side is broadcast.
    pub fn add(&self, other: &Affine) -> Result<Affine, ShapeError> {
        self.combine(other, 1.0, "sum")
    }

    /// `self − other`; a 1×1 side is broadcast.
    pub fn sub(&self, other: &Affine) -> Result<Affine, ShapeError> {
        self.combine(other, -1.0, "difference")
    }

    fn combine(&self, other: &Affine, sign: f64, what: &str) -> Result<Affine, ShapeError> {
        let (rows, cols) = self.same_shape_or_scalar(other, what)?;
        let len = rows * cols;
        let pick = |a: &Affine, k: usize| if a.len() == 1 { 0 } else { k };
        let terms = if self.len() == 1 {
            self.nnz() * len
        } else {
            self.nnz()
        } + if other.len() == 1 {
            other.nnz() * len
        } else {
            other.nnz()
        };
        let mut out = Affine::with_capacity(rows, cols, terms);
        for k in 0..len {
            let (v1, c1, k1) = self.entry(pick(self, k));
            let (v2, c2, k2) = other.entry(pick(other, k));
            out.push_terms(v1, c1, 1.0);
            out.push_terms(v2, c2, sign);
            out.close_entry(k1 + sign * k2);
        }
        Ok(out)
    }

    /// The sum of many expressions in one pass (1×1 parts are broadcast): `O(total terms)`,
    /// where repeated [`Affine::add`] would copy the running sum each time.
    pub fn add_all(parts: &[Affine]) -> Result<Affine, ShapeError> {
        let Some(first) = parts.first() else {
            return Err(ShapeError::new("sum of nothing".into()));
        };
        let mut shape = (first.rows, first.cols);
        for p in parts {
            if p.len() != 1 {
                if shape != (1, 1) && shape != (p.rows, p.cols) {
                    return Err(ShapeError::new(format!(
                        "sum of a {}x{} and a {}x{} expression",
                        shape.0, shape.1, p.rows, p.cols
                    )));
                }
                shape = (p.rows, p.cols);
            }
        }
        let len = shape.0 * shape.1;
        let terms = parts
            .iter()
            .map(|p| if p.len() == 1 { p.nnz() * len } else { p.nnz() })
            .sum();
        let mut out = Affine::with_capacity(shape.0, shape.1, terms);
        for k in 0..len {
            let mut c = 0.0;
            for p in parts {
                let (v, cs, c0) = p.entry(if p.len() == 1 { 0 } else { k });
                out.push_terms(v, cs, 1.0);
                c += c0;
            }
            out.close_entry(c);
        }
        Ok(out)
    }

    /// `c · self`.
    pub fn scale(&self, c: f64) -> Affine {
        let mut out = self.clone();
        out.coef.iter_mut().for_each(|a| *a *= c);
        out.cst.iter_mut().for_each(|a| *a *= c);
        out
    }

    /// `−self`.
    pub fn neg(&self) -> Affine {
        self.scale(-1.0)
    }

    /// Entry-wise product with data (column-major, same shape, or one value for all entries).
    pub fn mul_elem(&self, data: &[f64]) -> Result<Affine, ShapeError> {
        if data.len() == 1 {
            return Ok(self.scale(data[0]));
        }
        if data.len() != self.len() {
            return Err(ShapeError::new(format!(
                "entry-wise product of a {}x{} expression with {} values",
                self.rows,
                self.cols,
                data.len()
            )));
        }
        let mut out = self.clone();
        for (k, &d) in data.iter().enumerate() {
            for t in out.ptr[k]..out.ptr[k + 1] {
                out.coef[t] *= d;
            }
            out.cst[k] *= d;
        }
        Ok(out)
    }

    /// `M · self` for a constant sparse `M` (`p×rows`): `p×cols`, cost `nnz(M)·cols` entry visits.
    pub fn left_mul(&self, m: &Csc) -> Result<Affine, ShapeError> {
        if m.n != self.rows {
            return Err(ShapeError::new(format!(
                "product of a {}x{} matrix and a {}x{} expression",
                m.m, m.n, self.rows, self.cols
            )));
        }
        let (p, cols) = (m.m, self.cols);
        // Count the terms of each output entry, then fill in place (no dense intermediate).
        let mut count = vec![0usize; p * cols];
        for j in 0..cols {
            for k in 0..m.n {
                let terms = self.ptr[k + j * self.rows + 1] - self.ptr[k + j * self.rows];
                for idx in m.colptr[k]..m.colptr[k + 1] {
                    count[m.rowval[idx] + j * p] += terms;
                }
            }
        }
        let mut ptr = Vec::with_capacity(p * cols + 1);
        ptr.push(0);
        for c in &count {
            ptr.push(ptr[ptr.len() - 1] + c);
        }
        let total = ptr[p * cols];
        let mut var = vec![0usize; total];
        let mut coef = vec![0.0; total];
        let mut cst = vec![0.0; p * cols];
        let mut fill: Vec<usize> = ptr[..p * cols].to_vec();
        for j in 0..cols {
            for k in 0..m.n {
                let (vs, cs, c0) = self.entry(k + j * self.rows);
                for idx in m.colptr[k]..m.colptr[k + 1] {
                    let (i, a) = (m.rowval[idx], m.nzval[idx]);
                    let out = i + j * p;
                    let f = fill[out];
                    var[f..f + vs.len()].copy_from_slice(vs);
                    for (dst, c) in coef[f..f + vs.len()].iter_mut().zip(cs) {
                        *dst = a * c;
                    }
                    fill[out] += vs.len();
                    cst[out] += a * c0;
                }
            }
        }
        Ok(Affine {
            rows: p,
            cols,
            ptr,
            var,
            coef,
            cst,
        })
    }

    /// `self · N` for a constant sparse `N` (`cols×q`): `rows×q`.
    pub fn right_mul(&self, n: &Csc) -> Result<Affine, ShapeError> {
        if n.m != self.cols {
            return Err(ShapeError::new(format!(
                "product of a {}x{} expression and a {}x{} matrix",
                self.rows, self.cols, n.m, n.n
            )));
        }
        let mut out = Affine::with_capacity(self.rows, n.n, 0);
        for j in 0..n.n {
            for i in 0..self.rows {
                let mut c = 0.0;
                for idx in n.colptr[j]..n.colptr[j + 1] {
                    let (k, a) = (n.rowval[idx], n.nzval[idx]);
                    let (vs, cs, c0) = self.entry(i + k * self.rows);
                    out.push_terms(vs, cs, a);
                    c += a * c0;
                }
                out.close_entry(c);
            }
        }
        Ok(out)
    }

    /// The sum of all entries (1×1).
    pub fn sum(&self) -> Affine {
        Affine {
            rows: 1,
            cols: 1,
            ptr: vec![0, self.var.len()],
            var: self.var.clone(),
            coef: self.coef.clone(),
            cst: vec![self.cst.iter().sum()],
        }
    }

    /// The transpose.
    pub fn transpose(&self) -> Affine {
        let mut idx = Vec::with_capacity(self.len());
        for i in 0..self.rows {
            for j in 0..self.cols {
                idx.push(i + j * self.rows);
            }
        }
        let mut out = self.gather(&idx);
        out.rows = self.cols;
        out.cols = self.rows;
        out
    }

    /// Same entries, new shape (column-major order is kept).
    pub fn reshape(&self, rows: usize, cols: usize) -> Result<Affine, ShapeError> {
        if rows * cols != self.len() {
            return Err(ShapeError::new(format!(
                "cannot reshape {}x{} to {rows}x{cols}",
                self.rows, self.cols
            )));
        }
        let mut out = self.clone();
        out.rows = rows;
        out.cols = cols;
        Ok(out)
    }

    /// The entries at these column-major positions, as a `rows×cols` result.
    pub fn select(&self, idx: &[usize], rows: usize, cols: usize) -> Result<Affine, ShapeError> {
        if rows * cols != idx.len() {
            return Err(ShapeError::new(format!(
                "{} selected entries for a {rows}x{cols} result",
                idx.len()
            )));
        }
        if let Some(&bad) = idx.iter().find(|&&k| k >= self.len()) {
            return Err(ShapeError::new(format!(
                "entry {bad} selected from a {}x{} expression",
                self.rows, self.cols
            )));
        }
        let mut out = self.gather(idx);
        out.rows = rows;
        out.cols = cols;
        Ok(out)
    }

    /// Entry `(i, j)`.
    pub fn at(&self, i: usize, j: usize) -> Result<Affine, ShapeError> {
        if i >= self.rows || j >= self.cols {
            return Err(ShapeError::new(format!(
                "entry ({i}, {j}) of a {}x{} expression",
                self.rows, self.cols
            )));
        }
        self.select(&[i + j * self.rows], 1, 1)
    }

    /// The rows with these indices, in this order (`idx.len()×cols`).
    pub fn select_rows(&self, idx: &[usize]) -> Result<Affine, ShapeError> {
        if let Some(&bad) = idx.iter().find(|&&i| i >= self.rows) {
            return Err(ShapeError::new(format!(
                "row {bad} of a {}x{} expression",
                self.rows, self.cols
            )));
        }
        let mut all = Vec::with_capacity(idx.len() * self.cols);
        for j in 0..self.cols {
            all.extend(idx.iter().map(|&i| i + j * self.rows));
        }
        self.select(&all, idx.len(), self.cols)
    }

    /// Keeps the rows where `keep` is true and zeroes the others (same shape): `D · self` for a
    /// 0/1 diagonal `D`.
    pub fn mask_rows(&self, keep: &[bool]) -> Result<Affine, ShapeError> {
        if keep.len() != self.rows {
            return Err(ShapeError::new(format!(
                "row mask of length {} for a {}x{} expression",
                keep.len(),
                self.rows,
                self.cols
            )));
        }
        let mut out = Affine::with_capacity(self.rows, self.cols, self.nnz());
        for k in 0..self.len() {
            if keep[k % self.rows] {
                let (v, c, c0) = self.entry(k);
                out.push_terms(v, c, 1.0);
                out.close_entry(c0);
            } else {
                out.close_entry(0.0);
            }
        }
        Ok(out)
    }

    fn gather(&self, idx: &[usize]) -> Affine {
        let terms = idx.iter().map(|&k| self.ptr[k + 1] - self.ptr[k]).sum();
        let mut out = Affine::with_capacity(idx.len(), 1, terms);
        for &k in idx {
            let (v, c, c0) = self.entry(k);
            out.push_terms(v, c, 1.0);
            out.close_entry(c0);
        }
        out
    }

    /// Stacks vertically (all must have the same number of columns).
    pub fn vstack(parts: &[Affine]) -> Result<Affine, ShapeError> {
        let Some(first) = parts.first() else {
            return Err(ShapeError::new("stacking nothing".into()));
        };
        let cols = first.cols;
        if let Some(bad) = parts.iter().find(|p| p.cols != cols) {
            return Err(ShapeError::new(format!(
                "vertical stack of {cols}-column and {}-column expressions",
                bad.cols
            )));
        }
        let rows = parts.iter().map(|p| p.rows).sum();
        let terms = parts.iter().map(Affine::nnz).sum();
        let mut out = Affine::with_capacity(rows, cols, terms);
        for j in 0..cols {
            for p in parts {
                for i in 0..p.rows {
                    let (v, c, c0) = p.entry(i + j * p.rows);
                    out.push_terms(v, c, 1.0);
                    out.close_entry(c0);
                }
            }
        }
        Ok(out)
    }

    /// Stacks horizontally (all must have the same number of rows).
    pub fn hstack(parts: &[Affine]) -> Result<Affine, ShapeError> {
        let Some(first) = parts.first() else {
            return Err(ShapeError::new("stacking nothing".into()));
        };
        let rows = first.rows;
        if let Some(bad) = parts.iter().find(|p| p.rows != rows) {
            return Err(ShapeError::new(format!(
                "horizontal stack of {rows}-row and {}-row expressions",
                bad.rows
            )));
        }
        let mut out = parts[0].clone();
        for p in &parts[1..] {
            out.var.extend_from_slice(&p.var);
            out.coef.extend_from_slice(&p.coef);
            let base = out.ptr[out.ptr.len() - 1];
            out.ptr.extend(p.ptr[1..].iter().map(|x| x + base));
            out.cst.extend_from_slice(&p.cst);
            out.cols += p.cols;
        }
        Ok(out)
    }

    /// Merges repeated columns inside each entry (summing), drops zero coefficients and sorts the
    /// terms of each entry by column.
    pub fn compact(&self) -> Affine {
        let mut out = Affine::with_capacity(self.rows, self.cols, self.nnz());
        let mut buf: Vec<(usize, f64)> = Vec::new();
        for k in 0..self.len() {
            let (v, c, c0) = self.entry(k);
            buf.clear();
            buf.extend(v.iter().copied().zip(c.iter().copied()));
            buf.sort_unstable_by_key(|t| t.0);
            let mut last: Option<usize> = None;
            for &(j, a) in &buf {
                if last == Some(j) {
                    if let Some(x) = out.coef.last_mut() {
                        *x += a;
                    }
                } else {
                    if out.coef.last() == Some(&0.0) && out.var.len() > out.ptr[k] {
                        out.var.pop();
                        out.coef.pop();
                    }
                    out.var.push(j);
                    out.coef.push(a);
                    last = Some(j);
                }
            }
            if out.coef.last() == Some(&0.0) && out.var.len() > out.ptr[k] {
                out.var.pop();
                out.coef.pop();
            }
            out.close_entry(c0);
        }
        out
    }
}

/// A nalgebra matrix (e.g. a dataset's `X`) as a [`Csc`] (zeros skipped).
pub fn csc_from_dmatrix(m: &nalgebra::DMatrix<f64>) -> Csc {
    csc_from_dense(m.nrows(), m.ncols(), m.as_slice())
}

/// A dense column-major matrix as a [`Csc`] (zeros skipped).
pub fn csc_from_dense(rows: usize, cols: usize, values: &[f64]) -> Csc {
    let mut colptr = Vec::with_capacity(cols + 1);
    let mut rowval = Vec::new();
    let mut nzval = Vec::new();
    colptr.push(0);
    for j in 0..cols {
        for i in 0..rows {
            let v = values[i + j * rows];
            if v != 0.0 {
                rowval.push(i);
                nzval.push(v);
            }
        }
        colptr.push(rowval.len());
    }
    Csc {
        m: rows,
        n: cols,
        colptr,
        rowval,
        nzval,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(a: &Affine) -> Vec<(Vec<(usize, f64)>, f64)> {
        let a = a.compact();
        (0..a.len())
            .map(|k| {
                let (v, c, c0) = a.entry(k);
                (v.iter().copied().zip(c.iter().copied()).collect(), c0)
            })
            .collect()
    }

    #[test]
    fn left_and_right_products_match_by_hand() {
        // x is 2x1 (columns 0, 1); M = [[1, 2], [0, 3], [4, 0]].
        let x = Affine::columns(0, 2, 1);
        let m = csc_from_dense(3, 2, &[1.0, 0.0, 4.0, 2.0, 3.0, 0.0]);
        let y = x.left_mul(&m).unwrap();
        assert_eq!(
            show(&y),
            vec![
                (vec![(0, 1.0), (1, 2.0)], 0.0),
                (vec![(1, 3.0)], 0.0),
                (vec![(0, 4.0)], 0.0)
            ]
        );
        // xᵀ Mᵀ is the transpose of the same thing.
        let mt = csc_from_dense(2, 3, &[1.0, 2.0, 0.0, 3.0, 4.0, 0.0]);
        let z = x.transpose().right_mul(&mt).unwrap();
        assert_eq!((z.rows(), z.cols()), (1, 3));
        assert_eq!(show(&z), show(&y));
    }

    #[test]
    fn broadcast_sum_mask_and_stack() {
        let x = Affine::columns(0, 3, 1);
        let y = x.sub(&Affine::scalar(1.0)).unwrap().add(&x).unwrap();
        assert_eq!(show(&y)[2], (vec![(2, 2.0)], -1.0));
        let m = y.mask_rows(&[true, false, true]).unwrap();
        assert_eq!(show(&m)[1], (vec![], 0.0));
        assert_eq!(m.sum().compact().nnz(), 2);
        let all = Affine::add_all(&[x.clone(), Affine::scalar(2.0), x.clone()]).unwrap();
        assert_eq!(show(&all)[1], (vec![(1, 2.0)], 2.0));
        let s = Affine::vstack(&[x.clone(), Affine::scalar(5.0)]).unwrap();
        assert_eq!((s.rows(), s.constants()[3]), (4, 5.0));
        let h = Affine::hstack(&[x.clone(), x.scale(2.0)]).unwrap();
        assert_eq!(show(&h.at(1, 1).unwrap()), vec![(vec![(1, 2.0)], 0.0)]);
        assert!(Affine::vstack(&[x.clone(), h]).is_err());
        assert!(x.add(&Affine::columns(0, 2, 1)).is_err());
    }

    #[test]
    fn compact_cancels_terms() {
        let x = Affine::columns(4, 1, 1);
        let z = x.sub(&x).unwrap().compact();
        assert_eq!(z.nnz(), 0);
        assert!(z.is_constant());
    }
}
