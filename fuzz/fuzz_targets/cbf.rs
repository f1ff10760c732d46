//! The CBF reader on arbitrary text: it must return a problem or a
//! `ReadError`, never panic; a problem it returns must pass validation,
//! and the solver must run on it without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lpgd_solver::{io, Settings, Solver};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(prob) = io::parse_cbf(&text) {
        assert!(prob.validate().is_ok());
        // Small problems only: the point is the reader, not long solves.
        if prob.n() + prob.m() <= 200 {
            let settings = Settings {
                max_iter: 30,
                time_limit: 0.5,
                ..Settings::default()
            };
            if let Ok(mut solver) = Solver::new(prob, settings) {
                let _ = solver.solve();
            }
        }
    }
});
