//! Spatial weights: who is whose neighbour, and how much.
//!
//! [`Weights`] is a compressed sparse row (CSR) matrix: row `i` lists unit `i`'s neighbours
//! `j` with weight `w_ij`. It never stores the self-weight `w_ii`; statistics that need it
//! (Gi*, the "star" statistic) add it themselves, which keeps one weights value usable for
//! Gi, Gi* and Moran's I alike.
//!
//! Constructors for the weights lagesbild uses (H3 rings, queen contiguity, distance band)
//! live beside the struct.

/// A sparse spatial weights matrix in CSR form, without self-weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// `offsets[i]..offsets[i + 1]` is row `i` in `neighbours` and `values`; `n + 1` entries.
    offsets: Vec<usize>,
    /// Neighbour indices, ascending within each row.
    neighbours: Vec<u32>,
    /// The weights, parallel to `neighbours`.
    values: Vec<f64>,
}

impl Weights {
    /// Builds weights from one list of `(neighbour, weight)` per unit. Self-references are
    /// dropped, rows are sorted by neighbour, and duplicate neighbours keep the first weight.
    ///
    /// # Panics
    /// Never for valid input; a neighbour index `>= lists.len()` is dropped.
    pub fn from_lists(lists: Vec<Vec<(usize, f64)>>) -> Weights {
        let n = lists.len();
        let mut offsets = Vec::with_capacity(n + 1);
        let mut neighbours = Vec::new();
        let mut values = Vec::new();
        offsets.push(0);
        for (i, mut row) in lists.into_iter().enumerate() {
            row.retain(|&(j, _)| j != i && j < n);
            row.sort_by_key(|&(j, _)| j);
            row.dedup_by_key(|&mut (j, _)| j);
            for (j, w) in row {
                neighbours.push(j as u32);
                values.push(w);
            }
            offsets.push(neighbours.len());
        }
        Weights {
            offsets,
            neighbours,
            values,
        }
    }

    /// Binary weights (every weight 1) from neighbour lists.
    pub fn binary(lists: Vec<Vec<usize>>) -> Weights {
        Weights::from_lists(
            lists
                .into_iter()
                .map(|row| row.into_iter().map(|j| (j, 1.0)).collect())
                .collect(),
        )
    }

    /// Number of units.
    pub fn n(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Unit `i`'s neighbours and their weights.
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.offsets[i], self.offsets[i + 1]);
        (&self.neighbours[a..b], &self.values[a..b])
    }

    /// Number of non-zero weights.
    pub fn nnz(&self) -> usize {
        self.neighbours.len()
    }

    /// Units with no neighbours.
    pub fn islands(&self) -> Vec<usize> {
        (0..self.n())
            .filter(|&i| self.offsets[i] == self.offsets[i + 1])
            .collect()
    }

    /// The same neighbours with each row scaled to sum to 1 (islands stay empty).
    pub fn row_standardised(&self) -> Weights {
        let mut values = self.values.clone();
        for i in 0..self.n() {
            let (a, b) = (self.offsets[i], self.offsets[i + 1]);
            let sum: f64 = values[a..b].iter().sum();
            if sum != 0.0 {
                for v in &mut values[a..b] {
                    *v /= sum;
                }
            }
        }
        Weights {
            offsets: self.offsets.clone(),
            neighbours: self.neighbours.clone(),
            values,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_become_sorted_rows_without_self() {
        let w = Weights::from_lists(vec![
            vec![(2, 1.0), (0, 5.0), (1, 2.0), (1, 9.0)],
            vec![(0, 1.0)],
            vec![],
        ]);
        assert_eq!(w.n(), 3);
        assert_eq!(w.row(0), (&[1u32, 2][..], &[2.0, 1.0][..]));
        assert_eq!(w.islands(), vec![2]);
        assert_eq!(w.nnz(), 3);
        let r = w.row_standardised();
        assert_eq!(r.row(0).1, &[2.0 / 3.0, 1.0 / 3.0]);
    }
}
