//! The JSON standard form.
//!
//! ```json
//! {
//!   "P": {"m": 2, "n": 2, "rows": [0, 1], "cols": [0, 1], "vals": [1.0, 1.0]},
//!   "c": [1.0, 0.0],
//!   "A": {"m": 3, "n": 2, "rows": [0, 1, 2], "cols": [0, 0, 1], "vals": [1.0, -1.0, -1.0]},
//!   "b": [1.0, 0.0, 0.0],
//!   "cones": [{"type": "zero", "dim": 1}, {"type": "nonneg", "dim": 2}],
//!   "obj_constant": 0.0
//! }
//! ```
//!
//! means minimize `½xᵀPx + cᵀx + obj_constant` subject to `Ax + s = b`,
//! `s ∈ K`. Matrices are triplets (zero-based `rows`, `cols`, `vals`;
//! duplicates are summed, explicit zeros kept) with their size `m × n`. `P`
//! holds the upper triangle only (entries below the diagonal are rejected
//! with [`crate::ProblemError::PNotUpperTriangular`]); it may be omitted or
//! `null` for a linear objective. `obj_constant` is optional (default 0).
//!
//! Cones, in row order ([`SupportedCone`]):
//!
//! | object                         | cone                                          | rows       |
//! |--------------------------------|-----------------------------------------------|------------|
//! | `{"type": "zero", "dim": d}`   | `{0}ᵈ`                                        | `d`        |
//! | `{"type": "nonneg", "dim": d}` | `s ≥ 0`                                       | `d`        |
//! | `{"type": "soc", "dim": d}`    | `‖(s₂, …, s_d)‖ ≤ s₁`                         | `d`        |
//! | `{"type": "exp"}`              | `s₂·exp(s₁/s₂) ≤ s₃`, `s₂ > 0` (closure)      | 3          |
//! | `{"type": "pow", "alpha": a}`  | `s₁^a·s₂^(1−a) ≥ \|s₃\|`, `s₁, s₂ ≥ 0`        | 3          |
//! | `{"type": "psd", "n": n}`      | `S ⪰ 0`, `s = svec(S)` ([`crate::cones::svec`]) | `n(n+1)/2` |
//!
//! `dim` and `n` must be at least 1 and `alpha` must lie in the open
//! interval (0, 1); the exponential, power and semidefinite cones take no
//! `dim` (it is implied, and the key is rejected as unknown).
//!
//! Parsing is strict: unknown keys, wrong types, non-integer indices and
//! inconsistent sizes are [`ReadError::Json`] errors naming the JSON path of
//! the offending value, such as `$.A.rows[3]` or `$.cones[2].dim`.

use serde_json::{Map, Value};

use crate::cones::SupportedCone;
use crate::csc::CscMatrix;
use crate::error::{MatrixName, ReadError};
use crate::problem::ProblemData;

/// Largest semidefinite cone side accepted (its `n(n+1)/2` rows must be
/// matched by `b` anyway; this keeps the arithmetic far from overflow).
const MAX_PSD_SIDE: usize = 1 << 20;

fn err(path: impl Into<String>, message: impl Into<String>) -> ReadError {
    ReadError::Json {
        path: path.into(),
        message: message.into(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn as_object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, ReadError> {
    v.as_object()
        .ok_or_else(|| err(path, format!("expected an object, found {}", type_name(v))))
}

fn as_array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, ReadError> {
    v.as_array()
        .ok_or_else(|| err(path, format!("expected an array, found {}", type_name(v))))
}

fn as_f64(v: &Value, path: &str) -> Result<f64, ReadError> {
    v.as_f64()
        .ok_or_else(|| err(path, format!("expected a number, found {}", type_name(v))))
}

fn as_usize(v: &Value, path: &str) -> Result<usize, ReadError> {
    match v.as_u64() {
        Some(u) => usize::try_from(u).map_err(|_| err(path, format!("integer {u} is too large"))),
        None => Err(err(
            path,
            format!("expected a nonnegative integer, found {}", describe(v)),
        )),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Number(x) => format!("the number {x}"),
        _ => type_name(v).to_string(),
    }
}

fn check_keys(obj: &Map<String, Value>, path: &str, allowed: &[&str]) -> Result<(), ReadError> {
    for key in obj.keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(err(
                format!("{path}.{key}"),
                format!("unknown key (expected one of {})", allowed.join(", ")),
            ));
        }
    }
    Ok(())
}

fn required<'a>(
    obj: &'a Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<&'a Value, ReadError> {
    obj.get(key)
        .ok_or_else(|| err(path, format!("missing required key \"{key}\"")))
}

fn f64_vec(v: &Value, path: &str) -> Result<Vec<f64>, ReadError> {
    as_array(v, path)?
        .iter()
        .enumerate()
        .map(|(k, x)| as_f64(x, &format!("{path}[{k}]")))
        .collect()
}

/// A triplet matrix with its size, indices checked against the size.
struct Triplets {
    m: usize,
    n: usize,
    rows: Vec<usize>,
    cols: Vec<usize>,
    vals: Vec<f64>,
}

fn triplets(v: &Value, path: &str) -> Result<Triplets, ReadError> {
    let obj = as_object(v, path)?;
    check_keys(obj, path, &["m", "n", "rows", "cols", "vals"])?;
    let m = as_usize(required(obj, path, "m")?, &format!("{path}.m"))?;
    let n = as_usize(required(obj, path, "n")?, &format!("{path}.n"))?;
    let index_vec = |key: &str, bound: usize, what: &str| -> Result<Vec<usize>, ReadError> {
        let p = format!("{path}.{key}");
        as_array(required(obj, path, key)?, &p)?
            .iter()
            .enumerate()
            .map(|(k, x)| {
                let ep = format!("{p}[{k}]");
                let i = as_usize(x, &ep)?;
                if i >= bound {
                    return Err(err(
                        ep,
                        format!("{what} index {i} out of range (the matrix has {bound} {what}s)"),
                    ));
                }
                Ok(i)
            })
            .collect()
    };
    let rows = index_vec("rows", m, "row")?;
    let cols = index_vec("cols", n, "column")?;
    let vals = f64_vec(required(obj, path, "vals")?, &format!("{path}.vals"))?;
    if cols.len() != rows.len() {
        return Err(err(
            format!("{path}.cols"),
            format!("has {} entries but rows has {}", cols.len(), rows.len()),
        ));
    }
    if vals.len() != rows.len() {
        return Err(err(
            format!("{path}.vals"),
            format!("has {} entries but rows has {}", vals.len(), rows.len()),
        ));
    }
    Ok(Triplets {
        m,
        n,
        rows,
        cols,
        vals,
    })
}

fn cone(v: &Value, path: &str) -> Result<SupportedCone, ReadError> {
    let obj = as_object(v, path)?;
    let tpath = format!("{path}.type");
    let ty = required(obj, path, "type")?;
    let ty = ty.as_str().ok_or_else(|| {
        err(
            &tpath,
            format!("expected a string, found {}", type_name(ty)),
        )
    })?;
    let positive = |key: &str, what: &str| -> Result<usize, ReadError> {
        let p = format!("{path}.{key}");
        let d = as_usize(required(obj, path, key)?, &p)?;
        if d == 0 {
            return Err(err(p, format!("{what} must be at least 1")));
        }
        Ok(d)
    };
    Ok(match ty {
        "zero" | "nonneg" | "soc" => {
            check_keys(obj, path, &["type", "dim"])?;
            let dim = positive("dim", "cone dimension")?;
            match ty {
                "zero" => SupportedCone::Zero(dim),
                "nonneg" => SupportedCone::Nonnegative(dim),
                _ => SupportedCone::SecondOrder(dim),
            }
        }
        "exp" => {
            check_keys(obj, path, &["type"])?;
            SupportedCone::Exponential
        }
        "pow" => {
            check_keys(obj, path, &["type", "alpha"])?;
            let apath = format!("{path}.alpha");
            let alpha = as_f64(required(obj, path, "alpha")?, &apath)?;
            if !(alpha > 0.0 && alpha < 1.0) {
                return Err(err(
                    apath,
                    format!("power cone exponent {alpha} must lie in the open interval (0, 1)"),
                ));
            }
            SupportedCone::Power(alpha)
        }
        "psd" => {
            check_keys(obj, path, &["type", "n"])?;
            let n = positive("n", "matrix side")?;
            if n > MAX_PSD_SIDE {
                return Err(err(
                    format!("{path}.n"),
                    format!("matrix side {n} exceeds the reader limit {MAX_PSD_SIDE}"),
                ));
            }
            SupportedCone::PositiveSemidefinite(n)
        }
        _ => {
            return Err(err(
                tpath,
                format!("unknown cone type \"{ty}\" (expected zero, nonneg, soc, exp, pow or psd)"),
            ))
        }
    })
}

/// Parses the JSON standard form; see the [module docs](self).
pub fn parse_json(text: &str) -> Result<ProblemData, ReadError> {
    let root: Value =
        serde_json::from_str(text).map_err(|e| err("$", format!("invalid JSON: {e}")))?;
    let obj = as_object(&root, "$")?;
    check_keys(obj, "$", &["P", "c", "A", "b", "cones", "obj_constant"])?;

    let c = f64_vec(required(obj, "$", "c")?, "$.c")?;
    let b = f64_vec(required(obj, "$", "b")?, "$.b")?;
    let n = c.len();
    let m = b.len();

    let a = triplets(required(obj, "$", "A")?, "$.A")?;
    if a.m != m {
        return Err(err(
            "$.A.m",
            format!("A has {} rows but b has length {m}", a.m),
        ));
    }
    if a.n != n {
        return Err(err(
            "$.A.n",
            format!("A has {} columns but c has length {n}", a.n),
        ));
    }
    let p = match obj.get("P") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let p = triplets(v, "$.P")?;
            if p.m != n {
                return Err(err(
                    "$.P.m",
                    format!("P has {} rows but c has length {n}", p.m),
                ));
            }
            if p.n != n {
                return Err(err(
                    "$.P.n",
                    format!("P has {} columns but c has length {n}", p.n),
                ));
            }
            Some(CscMatrix::from_triplets_named(
                n,
                n,
                &p.rows,
                &p.cols,
                &p.vals,
                MatrixName::P,
            )?)
        }
    };
    let a = CscMatrix::from_triplets_named(m, n, &a.rows, &a.cols, &a.vals, MatrixName::A)?;

    let cones_val = required(obj, "$", "cones")?;
    let cones = as_array(cones_val, "$.cones")?
        .iter()
        .enumerate()
        .map(|(k, v)| cone(v, &format!("$.cones[{k}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let total = cones.iter().fold(0usize, |s, k| s.saturating_add(k.dim()));
    if total != m {
        return Err(err(
            "$.cones",
            format!("cone dimensions sum to {total} but A has {m} rows"),
        ));
    }

    let obj_constant = match obj.get("obj_constant") {
        None | Some(Value::Null) => 0.0,
        Some(v) => as_f64(v, "$.obj_constant")?,
    };
    let mut prob = ProblemData::new(p, c, a, b, cones)?;
    prob.obj_constant = obj_constant;
    prob.validate()?;
    Ok(prob)
}

fn triplets_json(mat: &CscMatrix) -> Value {
    let mut cols = Vec::with_capacity(mat.nnz());
    for j in 0..mat.n {
        let (start, end) = (mat.colptr[j], mat.colptr[j + 1]);
        cols.extend(std::iter::repeat_n(j, end.saturating_sub(start)));
    }
    serde_json::json!({
        "m": mat.m,
        "n": mat.n,
        "rows": mat.rowval,
        "cols": cols,
        "vals": mat.nzval,
    })
}

/// Writes `prob` in the JSON standard form (compact, one line). Reading it
/// back with [`parse_json`] gives the same [`ProblemData`] (floating-point
/// values are written in shortest round-trip form).
pub fn to_json(prob: &ProblemData) -> String {
    let cones: Vec<Value> = prob
        .cones
        .iter()
        .map(|k| match *k {
            SupportedCone::Exponential => serde_json::json!({"type": "exp"}),
            SupportedCone::Power(alpha) => serde_json::json!({"type": "pow", "alpha": alpha}),
            SupportedCone::PositiveSemidefinite(n) => serde_json::json!({"type": "psd", "n": n}),
            _ => serde_json::json!({"type": k.name(), "dim": k.dim()}),
        })
        .collect();
    serde_json::json!({
        "P": triplets_json(&prob.p),
        "c": prob.c,
        "A": triplets_json(&prob.a),
        "b": prob.b,
        "cones": cones,
        "obj_constant": prob.obj_constant,
    })
    .to_string()
}
