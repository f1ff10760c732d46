use lpgd_solver::{CscMatrix, ProblemData, Settings, Solver, SupportedCone};
fn main() {
    let a = CscMatrix::from_triplets(3, 2, &[0, 0, 1, 2], &[0, 1, 0, 1], &[1.0, 1.0, -1.0, -1.0])
        .unwrap();
    let prob = ProblemData::new(
        None,
        vec![1.0, 2.0],
        a,
        vec![1.0, 0.0, 0.0],
        vec![SupportedCone::Zero(1), SupportedCone::Nonnegative(2)],
    )
    .unwrap();
    let mut solver = Solver::new(
        prob,
        Settings {
            verbose: true,
            ..Settings::default()
        },
    )
    .unwrap();
    let sol = solver.solve();
    println!(
        "{:?} {:?} {:?} {:?} obj {}",
        sol.status, sol.x, sol.y, sol.s, sol.objective
    );
}
