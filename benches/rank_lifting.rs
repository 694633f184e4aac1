//! One pass of rank lifting on seed 001, phase by phase, as `cnnc train` runs it
//! (docs/RANK_LIFTING.md): the new parameters ([`Lowering::next`]), their numbers written into
//! the previous conic form ([`Lowering::update_conic`]; the first pass canonicalizes), the solve
//! through a reused [`Session`], recovery and the measure. Prints the median of each phase over
//! the passes after the first, and their share of the solve; for comparison, the median time to
//! canonicalize the pass's whole program instead. Run:
//! `cargo bench --bench rank_lifting` (or `-- 40` for the number of passes).

use std::path::Path;
use std::time::Instant;

use cnnc::conic::canon::canonicalize;
use cnnc::diag::SourceMap;
use cnnc::lower::Next;
use cnnc::solve::{Backend, Session, Settings};

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let passes: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(30);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/seed001_relu332.cnn");
    let mut sources = SourceMap::new();
    let src = cnnc::read_model(&mut sources, &path).expect("the example reads");
    let base = path.parent().expect("a folder");
    let (_, mut model) =
        cnnc::frontend(&mut sources, src, base, &Default::default()).expect("the example checks");
    // Every pass, whatever the violation: the phases are what is measured.
    let opts = [
        ("tolerance".to_string(), "1e-300".to_string()),
        ("iterations".to_string(), passes.to_string()),
    ];
    cnnc::driver::train::override_declared(&mut model, &opts).expect("options");
    let method = model.methods[0].clone();
    let mut l = cnnc::driver::stages::lowering(&model, &sources, &method)
        .expect("lowers")
        .expect("a lowering");
    let mut session = Session::new(
        Backend::Clarabel,
        Settings::from_options(&model.solver.options),
    );
    let (mut canon, mut solve, mut rest, mut next) = (vec![], vec![], vec![], vec![]);
    let mut full = vec![];
    let mut reused = 0;
    let (mut problem, map) = canonicalize(&l.translation().program).expect("canonicalizes");
    for pass in 0..passes {
        let t = Instant::now();
        if pass > 0 {
            assert!(l.update_conic(&mut problem), "updates in place");
        }
        let tc = t.elapsed().as_secs_f64();

        let t = Instant::now();
        let (outcome, r) = session.solve(&problem).expect("solves");
        let ts = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let x = outcome.x.clone().expect("a solution");
        let rec = l.recover(&model, &map, &x).expect("recovers");
        let m = l.measure(outcome.objective, &rec).expect("measures");
        let tr = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let stop = matches!(
            l.next(&rec, m.as_ref(), outcome.objective),
            Ok(Next::Stop(_))
        );
        let tn = t.elapsed().as_secs_f64();
        if pass > 0 {
            canon.push(tc);
            solve.push(ts);
            rest.push(tr);
            next.push(tn);
            reused += usize::from(r);
        }
        if stop {
            break;
        }
    }
    let (c, s, r, n) = (
        median(&mut canon),
        median(&mut solve),
        median(&mut rest),
        median(&mut next),
    );
    // For comparison: building and canonicalizing the last parameters' whole program.
    for _ in 0..5 {
        let t = Instant::now();
        let again = canonicalize(&l.translation().program).expect("canonicalizes");
        full.push(t.elapsed().as_secs_f64());
        drop(again);
    }
    let f = median(&mut full);
    println!(
        "seed 001, element-wise form, {} passes after the first ({reused} reused)",
        canon.len()
    );
    println!("{:<28} {:>10} {:>10}", "phase (median)", "ms", "% of solve");
    for (name, v) in [
        ("solve (Session, reused)", s),
        ("update the conic form", c),
        ("recover + measure", r),
        ("new parameters (next)", n),
        ("outside the solver", c + r + n),
    ] {
        println!("{name:<28} {:>10.3} {:>10.1}", v * 1e3, 100.0 * v / s);
    }
    println!(
        "{:<28} {:>10.3} {:>10.1}   (instead of the update: not done by cnnc train)",
        "(canonicalize instead)",
        f * 1e3,
        100.0 * f / s
    );
}
