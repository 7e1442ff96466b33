//! Dense linear algebra for the small symmetric systems of IRLS (p ≤ about 10 parameters).
//! Hand-written because a Cholesky factorisation is twenty lines and nalgebra costs a minute of build.
//! Index loops are kept: they read like the textbook formulas.
#![allow(clippy::needless_range_loop)]

/// Lower-triangular Cholesky factor of a symmetric positive-definite matrix, or `None` when the matrix
/// is not numerically positive definite (a rank-deficient design).
pub fn cholesky(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let mut sum = a[i][j];
            for k in 0..j {
                sum -= l[i][k] * l[j][k];
            }
            if i == j {
                // Relative threshold: a pivot this small means a column is a combination of others.
                if sum <= 1e-12 * a[i][i].abs().max(f64::MIN_POSITIVE) {
                    return None;
                }
                l[i][i] = sum.sqrt();
            } else {
                l[i][j] = sum / l[j][j];
            }
        }
    }
    Some(l)
}

/// Solves L Lᵀ x = b given the Cholesky factor L.
pub fn cholesky_solve(l: &[Vec<f64>], b: &[f64]) -> Vec<f64> {
    let n = l.len();
    let mut y = vec![0.0; n];
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i][k] * y[k];
        }
        y[i] = s / l[i][i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut s = y[i];
        for k in i + 1..n {
            s -= l[k][i] * x[k];
        }
        x[i] = s / l[i][i];
    }
    x
}

/// Inverse of L Lᵀ given the Cholesky factor L.
pub fn cholesky_inverse(l: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = l.len();
    let mut inv = vec![vec![0.0; n]; n];
    for j in 0..n {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        let col = cholesky_solve(l, &e);
        for i in 0..n {
            inv[i][j] = col[i];
        }
    }
    inv
}

/// xᵀ A y.
pub fn quad_form(x: &[f64], a: &[Vec<f64>], y: &[f64]) -> f64 {
    x.iter()
        .zip(a)
        .map(|(xi, row)| xi * row.iter().zip(y).map(|(r, yj)| r * yj).sum::<f64>())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_and_inverts_a_small_system() {
        let a = vec![
            vec![4.0, 2.0, 0.6],
            vec![2.0, 5.0, 1.0],
            vec![0.6, 1.0, 3.0],
        ];
        let l = cholesky(&a).unwrap();
        let x = cholesky_solve(&l, &[1.0, 2.0, 3.0]);
        for (i, row) in a.iter().enumerate() {
            let bi: f64 = row.iter().zip(&x).map(|(r, v)| r * v).sum();
            assert!((bi - [1.0, 2.0, 3.0][i]).abs() < 1e-12);
        }
        let inv = cholesky_inverse(&l);
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3).map(|k| a[i][k] * inv[k][j]).sum();
                assert!((v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn rank_deficient_is_refused() {
        let a = vec![vec![1.0, 2.0], vec![2.0, 4.0]];
        assert!(cholesky(&a).is_none());
    }
}
