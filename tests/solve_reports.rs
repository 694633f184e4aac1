//! What a solve that did not end optimal tells the user: the rendered diagnostics, with the
//! source of every constraint group an infeasibility certificate involves.

use cnnc::conic::{Cone, ConicProblem, ConicVar, Origin, Triplets};
use cnnc::diag::{render, SourceMap, Span};
use cnnc::solve::{solve, Backend, Settings, Status};

const MODEL: &str = "\
variable x
variable y
constraint floor: x >= 1
constraint ceiling: x + y <= 0
constraint y_nonneg: y >= 0
constraint spare: y <= 5
minimize x + y
";

/// The model above as a conic problem, each block's origin pointing at its line.
fn model(sources: &mut SourceMap) -> ConicProblem {
    let id = sources.add("infeasible.cnn", None, MODEL.to_string());
    let origin = |name: &str| {
        let start = MODEL.find(&format!("constraint {name}")).expect("in model");
        let end = start + MODEL[start..].find('\n').expect("line end");
        Origin {
            stage: "test",
            lowering: "",
            label: name.to_string(),
            span: Some(Span::new(id, start..end)),
        }
    };
    // Rows `aᵀx ≤ b`: −x ≤ −1; x + y ≤ 0; −y ≤ 0; y ≤ 5.
    let rows: [(&[(usize, f64)], f64); 4] = [
        (&[(0, -1.0)], -1.0),
        (&[(0, 1.0), (1, 1.0)], 0.0),
        (&[(1, -1.0)], 0.0),
        (&[(1, 1.0)], 5.0),
    ];
    let mut a = Triplets::new(4, 2);
    for (r, (row, _)) in rows.iter().enumerate() {
        for &(c, v) in *row {
            a.push(r, c, v);
        }
    }
    ConicProblem {
        vars: ["x", "y"]
            .map(|n| ConicVar {
                name: n.into(),
                integer: false,
            })
            .to_vec(),
        p: Triplets::new(2, 2).into_csc(),
        q: vec![1.0, 1.0],
        constant: 0.0,
        maximize: false,
        a: a.into_csc(),
        b: rows.iter().map(|r| r.1).collect(),
        cones: vec![Cone::Nonneg(1); 4],
        origins: ["floor", "ceiling", "y_nonneg", "spare"]
            .map(origin)
            .to_vec(),
    }
}

#[test]
fn infeasibility_points_at_the_constraints_involved() {
    for backend in Backend::built() {
        let mut sources = SourceMap::new();
        let p = model(&mut sources);
        let out = solve(&p, backend, &Settings::default()).expect("accepted");
        assert_eq!(out.status, Status::PrimalInfeasible, "{backend}");
        let d = out.diagnostic(&p).expect("not optimal");
        assert_eq!(d.code, "E0911");
        let text = render(&sources, &[d], false);
        insta::assert_snapshot!(format!("infeasible_{backend}"), text);
    }
}

#[test]
fn optimal_has_no_diagnostic_and_named_values() {
    let mut sources = SourceMap::new();
    let mut p = model(&mut sources);
    // Drop the floor (its row becomes 0 ≤ 0): x + y ≤ 0, y ≥ 0 leave x unbounded below.
    p.b[0] = 0.0;
    p.a = {
        let mut a = Triplets::new(4, 2);
        a.push(1, 0, 1.0);
        a.push(1, 1, 1.0);
        a.push(2, 1, -1.0);
        a.push(3, 1, 1.0);
        a.into_csc()
    };
    let out = solve(&p, Backend::Clarabel, &Settings::default()).expect("accepted");
    assert_eq!(out.status, Status::DualInfeasible);
    assert!(out.named_values(&p).is_none());
    let d = out.diagnostic(&p).expect("not optimal");
    assert_eq!(d.code, "E0912");

    // With the floor back and x + y ≥ 1 instead of ≤ 0: x = 1, y = 0, objective 1.
    let mut p = model(&mut sources);
    p.b[1] = -1.0;
    p.a = {
        let mut a = Triplets::new(4, 2);
        a.push(0, 0, -1.0);
        a.push(1, 0, -1.0);
        a.push(1, 1, -1.0);
        a.push(2, 1, -1.0);
        a.push(3, 1, 1.0);
        a.into_csc()
    };
    let out = solve(&p, Backend::Clarabel, &Settings::default()).expect("accepted");
    assert_eq!(out.status, Status::Optimal);
    assert!(out.diagnostic(&p).is_none());
    let values: Vec<(&str, f64)> = out.named_values(&p).expect("solved").collect();
    assert_eq!(values.len(), 2);
    assert_eq!(values[0].0, "x");
    assert!((values[0].1 - 1.0).abs() < 1e-6, "{values:?}");
    assert!(values[1].1.abs() < 1e-6, "{values:?}");
}
