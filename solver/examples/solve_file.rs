//! Solves one problem file with optional tolerances: `solve_file FILE [eps]`.
use lpgd_solver::{io, Settings, Solver};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let prob = io::read_problem(&args[1]).expect("readable problem");
    let eps: f64 = args
        .get(2)
        .map(|s| s.parse().expect("number"))
        .unwrap_or(1e-8);
    let settings = Settings {
        eps_abs: eps,
        eps_rel: eps,
        eps_feas: eps,
        verbose: true,
        ..Settings::default()
    };
    let sol = Solver::new(prob, settings).expect("valid problem").solve();
    println!("{} {} {:.10e}", sol.status, sol.iterations, sol.objective);
}
