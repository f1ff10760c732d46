//! Readers for problem files: MPS/QPS, CBF and the JSON standard form.
