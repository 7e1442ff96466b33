//! The map: a square grid of 1 km cells, neighbourhoods around fixed centres, residents by a density surface,
//! and postcode units in the fictional area ZZ.

use crate::model::{GridCell, Neighbourhood};
use crate::names::{INWARD_LETTERS, NEIGHBOURHOODS, STREETS, TOWNS};
use crate::sample::{Cumulative, DemoRng, unit};
use concordat_domain::Postcode;
use rand::Rng;
use std::collections::BTreeSet;

/// Width and height of the region in 1 km cells.
pub const GRID_KM: u8 = 20;

/// One postcode unit: a handful of addresses on one street.
pub(crate) struct Unit {
    pub postcode: Postcode,
    pub street: &'static str,
    pub x_m: u32,
    pub y_m: u32,
}

/// The map and the lookups the activity generator needs.
pub(crate) struct Geography {
    pub neighbourhoods: Vec<Neighbourhood>,
    pub cells: Vec<GridCell>,
    /// Neighbourhood index of each cell, indexed by `y * GRID_KM + x`.
    cell_owner: Vec<usize>,
    /// Postcode units of each neighbourhood.
    pub units: Vec<Vec<Unit>>,
}

fn density(x: f64, y: f64) -> f64 {
    let rural = 110.0;
    rural
        + TOWNS
            .iter()
            .map(|(cx, cy, peak, spread)| {
                let d2 = (x - cx).powi(2) + (y - cy).powi(2);
                peak * (-d2 / (2.0 * spread * spread)).exp()
            })
            .sum::<f64>()
}

/// Splits `total` in proportion to `weights` with whole numbers that add up exactly (largest remainder).
fn apportion(total: u32, weights: &[f64]) -> Vec<u32> {
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 || weights.is_empty() {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| w / sum * f64::from(total)).collect();
    let mut out: Vec<u32> = exact.iter().map(|e| e.floor() as u32).collect();
    let given: u32 = out.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| {
        let fa = exact[*a] - exact[*a].floor();
        let fb = exact[*b] - exact[*b].floor();
        fb.total_cmp(&fa).then(a.cmp(b))
    });
    for i in order.into_iter().take(total.saturating_sub(given) as usize) {
        out[i] += 1;
    }
    out
}

impl Geography {
    pub(crate) fn build(rng: &mut DemoRng, residents: u32) -> Self {
        let n = usize::from(GRID_KM);
        let mut cell_owner = Vec::with_capacity(n * n);
        let mut weights = Vec::with_capacity(n * n);
        for y in 0..n {
            for x in 0..n {
                let (cx, cy) = (x as f64 + 0.5, y as f64 + 0.5);
                let owner = NEIGHBOURHOODS
                    .iter()
                    .enumerate()
                    .map(|(i, (_, _, nx, ny, _))| (i, (cx - nx).powi(2) + (cy - ny).powi(2)))
                    .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
                    .map_or(0, |(i, _)| i);
                cell_owner.push(owner);
                weights.push(density(cx, cy));
            }
        }
        let cell_pop = apportion(residents, &weights);
        let cells: Vec<GridCell> = (0..n * n)
            .map(|i| GridCell {
                x: (i % n) as u8,
                y: (i / n) as u8,
                neighbourhood: code_of(cell_owner[i]),
                population: cell_pop[i],
            })
            .collect();

        let mut neighbourhoods = Vec::with_capacity(NEIGHBOURHOODS.len());
        let mut units = Vec::with_capacity(NEIGHBOURHOODS.len());
        for (i, (name, town, nx, ny, decile)) in NEIGHBOURHOODS.iter().enumerate() {
            let own: Vec<usize> = (0..n * n).filter(|c| cell_owner[*c] == i).collect();
            let population: u32 = own.iter().map(|c| cell_pop[*c]).sum();
            let district = format!("ZZ{}", i + 1);
            neighbourhoods.push(Neighbourhood {
                code: code_of(i),
                name: (*name).to_string(),
                town: (*town).to_string(),
                x: nx.floor() as u8,
                y: ny.floor() as u8,
                postcode_district: district.clone(),
                population,
                deprivation_decile: *decile,
            });
            units.push(make_units(rng, &district, &own, &cell_pop, population));
        }
        Self {
            neighbourhoods,
            cells,
            cell_owner,
            units,
        }
    }

    /// Neighbourhood index of a point, clamped onto the grid.
    pub(crate) fn owner_of(&self, x_m: u32, y_m: u32) -> usize {
        let max = u32::from(GRID_KM) - 1;
        let cx = (x_m / 1000).min(max) as usize;
        let cy = (y_m / 1000).min(max) as usize;
        self.cell_owner
            .get(cy * usize::from(GRID_KM) + cx)
            .copied()
            .unwrap_or(0)
    }

    /// The postcode unit of neighbourhood `nbh` nearest to a point.
    pub(crate) fn nearest_unit(&self, nbh: usize, x_m: u32, y_m: u32) -> Option<&Unit> {
        self.units.get(nbh)?.iter().min_by_key(|u| {
            let dx = i64::from(u.x_m) - i64::from(x_m);
            let dy = i64::from(u.y_m) - i64::from(y_m);
            dx * dx + dy * dy
        })
    }

    /// A random postcode unit in neighbourhood `nbh`.
    pub(crate) fn random_unit(&self, rng: &mut DemoRng, nbh: usize) -> Option<&Unit> {
        let units = self.units.get(nbh)?;
        if units.is_empty() {
            return None;
        }
        units.get(rng.random_range(0..units.len()))
    }
}

/// Stable neighbourhood code from its index.
fn code_of(i: usize) -> String {
    format!("NV{:02}", i + 1)
}

fn make_units(
    rng: &mut DemoRng,
    district: &str,
    own_cells: &[usize],
    cell_pop: &[u32],
    population: u32,
) -> Vec<Unit> {
    // Real units hold about 15 households; cap the count so small regions stay small and large ones quick.
    let wanted = (population / 45).clamp(12, 400) as usize;
    let n = usize::from(GRID_KM);
    let pick_cell = Cumulative::new(own_cells.iter().map(|c| f64::from(cell_pop[*c]) + 1.0));
    let streets: Vec<&'static str> = (0..8)
        .map(|_| STREETS[rng.random_range(0..STREETS.len())])
        .collect();
    let mut seen = BTreeSet::new();
    let mut units = Vec::with_capacity(wanted);
    let mut attempts = 0;
    while units.len() < wanted && attempts < wanted * 20 {
        attempts += 1;
        let sector = rng.random_range(1..=9u8);
        let a = INWARD_LETTERS[rng.random_range(0..INWARD_LETTERS.len())] as char;
        let b = INWARD_LETTERS[rng.random_range(0..INWARD_LETTERS.len())] as char;
        let text = format!("{district} {sector}{a}{b}");
        if !seen.insert(text.clone()) {
            continue;
        }
        let Ok(postcode) = Postcode::parse(&text) else {
            continue;
        };
        let cell = pick_cell
            .draw(rng)
            .and_then(|i| own_cells.get(i).copied())
            .unwrap_or(0);
        let x_m = ((cell % n) as f64 + unit(rng)) * 1000.0;
        let y_m = ((cell / n) as f64 + unit(rng)) * 1000.0;
        units.push(Unit {
            postcode,
            street: streets[rng.random_range(0..streets.len())],
            x_m: x_m as u32,
            y_m: y_m as u32,
        });
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::stage_rng;

    #[test]
    fn apportion_adds_up() {
        assert_eq!(apportion(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(apportion(7, &[0.0, 0.0]), vec![0, 0]);
        let w: Vec<f64> = (1..50).map(f64::from).collect();
        assert_eq!(apportion(250_000, &w).iter().sum::<u32>(), 250_000);
    }

    #[test]
    fn every_neighbourhood_has_cells_people_and_postcodes() {
        let g = Geography::build(&mut stage_rng(1, 0), 250_000);
        assert_eq!(g.cells.len(), 400);
        assert_eq!(
            g.neighbourhoods.iter().map(|n| n.population).sum::<u32>(),
            250_000
        );
        for (i, n) in g.neighbourhoods.iter().enumerate() {
            assert!(n.population > 0, "{}", n.name);
            assert!(!g.units[i].is_empty(), "{}", n.name);
            for u in &g.units[i] {
                assert_eq!(u.postcode.district(), n.postcode_district);
                assert_eq!(g.owner_of(u.x_m, u.y_m), i, "unit inside its neighbourhood");
            }
        }
        // The town centre is denser than the rural edge.
        let centre = &g.neighbourhoods[0];
        let edge = g
            .neighbourhoods
            .iter()
            .find(|n| n.name == "Nettlecombe")
            .unwrap();
        assert!(centre.population > edge.population);
    }
}
