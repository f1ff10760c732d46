//! Solves one problem file with optional tolerance and Ruiz iterations:
//! `solve_file FILE [eps] [equilibration-iterations]`.
use lpgd_solver::{io, Settings, Solver};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let prob = io::read_problem(&args[1]).expect("readable problem");
    let eps: f64 = args
        .get(2)
        .map(|s| s.parse().expect("number"))
        .unwrap_or(1e-8);
    let mut settings = Settings {
        eps_abs: eps,
        eps_rel: eps,
        eps_feas: eps,
        verbose: true,
        ..Settings::default()
    };
    if let Some(it) = args.get(3) {
        settings.equilibrate_max_iter = it.parse().expect("number");
        settings.equilibrate_enable = settings.equilibrate_max_iter > 0;
    }
    let sol = Solver::new(prob, settings).expect("valid problem").solve();
    println!("{} {} {:.10e}", sol.status, sol.iterations, sol.objective);
}
