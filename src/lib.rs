pub use lpgd_solver as solver;
