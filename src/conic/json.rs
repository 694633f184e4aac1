//! `--emit json`: exactly the data Clarabel receives for a [`ConicProblem`] —
//! `minimize ½xᵀPx + qᵀx subject to A x + s = b, s ∈ K` — with `P` (upper triangle) and `A` in
//! compressed sparse column form (`m, n, colptr, rowval, nzval`, 0-based), `q`, `b`, and the
//! cones as Clarabel's types in order (`{"type": "SecondOrderConeT", "dim": 3}`; power cones add
//! `"alpha"`). What Clarabel does not see — the objective constant, the sense, variable names,
//! integrality and where each cone block came from — is kept apart under `"not_sent_to_solver"`.
//! Non-finite numbers, which JSON cannot hold, are written as `null`.

use serde::Serialize;

use crate::conic::{Cone, ConicProblem, Csc};

#[derive(Serialize)]
struct CscJson<'a> {
    m: usize,
    n: usize,
    colptr: &'a [usize],
    rowval: &'a [usize],
    nzval: &'a [f64],
}

impl<'a> From<&'a Csc> for CscJson<'a> {
    fn from(c: &'a Csc) -> Self {
        CscJson {
            m: c.m,
            n: c.n,
            colptr: &c.colptr,
            rowval: &c.rowval,
            nzval: &c.nzval,
        }
    }
}

#[derive(Serialize)]
struct ConeJson {
    #[serde(rename = "type")]
    kind: &'static str,
    dim: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    alpha: Option<f64>,
}

#[derive(Serialize)]
struct BlockJson<'a> {
    rows: [usize; 2],
    stage: &'a str,
    label: &'a str,
}

#[derive(Serialize)]
struct Extra<'a> {
    objective_constant: f64,
    maximize: bool,
    var_names: Vec<&'a str>,
    integer_vars: Vec<usize>,
    cone_blocks: Vec<BlockJson<'a>>,
}

#[derive(Serialize)]
struct ProblemJson<'a> {
    #[serde(rename = "P")]
    p: CscJson<'a>,
    q: &'a [f64],
    #[serde(rename = "A")]
    a: CscJson<'a>,
    b: &'a [f64],
    cones: Vec<ConeJson>,
    not_sent_to_solver: Extra<'a>,
}

/// Clarabel's name for a cone.
fn cone_json(c: &Cone) -> ConeJson {
    let (kind, alpha) = match *c {
        Cone::Zero(_) => ("ZeroConeT", None),
        Cone::Nonneg(_) => ("NonnegativeConeT", None),
        Cone::SecondOrder(_) => ("SecondOrderConeT", None),
        Cone::Exponential => ("ExponentialConeT", None),
        Cone::Power(a) => ("PowerConeT", Some(a)),
        Cone::PsdTriangle(_) => ("PSDTriangleConeT", None),
    };
    ConeJson {
        kind,
        dim: c.dim(),
        alpha,
    }
}

/// Writes `p` as pretty-printed JSON.
pub fn write(p: &ConicProblem) -> String {
    let mut row = 0;
    let cone_blocks = p
        .cones
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let o = p.origins.get(k);
            let b = BlockJson {
                rows: [row, row + c.dim()],
                stage: o.map_or("", |o| o.stage),
                label: o.map_or("", |o| o.label.as_str()),
            };
            row += c.dim();
            b
        })
        .collect();
    let doc = ProblemJson {
        p: (&p.p).into(),
        q: &p.q,
        a: (&p.a).into(),
        b: &p.b,
        cones: p.cones.iter().map(cone_json).collect(),
        not_sent_to_solver: Extra {
            objective_constant: p.constant,
            maximize: p.maximize,
            var_names: p.vars.iter().map(|v| v.name.as_str()).collect(),
            integer_vars: (0..p.vars.len()).filter(|&j| p.vars[j].integer).collect(),
            cone_blocks,
        },
    };
    // Serializing plain structs of numbers and strings cannot fail.
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conic::{ConicVar, Origin, Triplets};

    #[test]
    fn writes_clarabel_data_and_keeps_the_rest_apart() {
        let mut a = Triplets::new(3, 2);
        a.push(0, 0, 1.0);
        a.push(2, 1, -2.0);
        let mut pm = Triplets::new(2, 2);
        pm.push(0, 0, 4.0);
        let p = ConicProblem {
            vars: vec![
                ConicVar {
                    name: "w".into(),
                    integer: false,
                },
                ConicVar {
                    name: "t".into(),
                    integer: true,
                },
            ],
            p: pm.into_csc(),
            q: vec![1.0, 0.0],
            constant: 2.5,
            maximize: false,
            a: a.into_csc(),
            b: vec![1.0, 0.0, 0.0],
            cones: vec![Cone::Zero(1), Cone::Power(0.25)],
            origins: vec![Origin::default(), Origin::default()],
        };
        let v: serde_json::Value = serde_json::from_str(&write(&p)).expect("valid JSON");
        assert_eq!(v["P"]["colptr"], serde_json::json!([0, 1, 1]));
        assert_eq!(v["A"]["rowval"], serde_json::json!([0, 2]));
        assert_eq!(v["A"]["nzval"], serde_json::json!([1.0, -2.0]));
        assert_eq!(
            v["cones"][1],
            serde_json::json!({"type": "PowerConeT", "dim": 3, "alpha": 0.25})
        );
        assert_eq!(v["not_sent_to_solver"]["objective_constant"], 2.5);
        assert_eq!(
            v["not_sent_to_solver"]["integer_vars"],
            serde_json::json!([1])
        );
        assert_eq!(
            v["not_sent_to_solver"]["cone_blocks"][1]["rows"],
            serde_json::json!([1, 4])
        );
    }
}
