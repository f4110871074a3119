//! Totals of a period by category group, category and partner, each against the previous
//! period, the mean of the baseline periods and the same period last year, with the exact
//! Poisson rise test of `analysis::counts` ([`rise_test`]).
//!
//! One pass over the selected incidents adds each one's aoristic weight for every period
//! (the period, the previous one, last year's, the N baseline periods) to its total, group,
//! category and partner, so a breakdown costs about as much as one aggregate.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::Figure;
use crate::access::suppress::Suppression;
use crate::analysis::aoristic::overlap_weight;
use crate::analysis::counts::rise_test;
use crate::analysis::table::IncidentTable;
use crate::analysis::window::TimeWindow;
use crate::model::{Categories, CategoryGroup};

/// One row of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakdownRow {
    /// Code: the group (`crime`), category (`burglary`) or partner (`polisen`).
    pub code: String,
    /// Swedish label.
    pub label_sv: String,
    /// English label.
    pub label_en: String,
    /// The figures.
    #[serde(flatten)]
    pub figure: Figure,
    /// The group code of a category row (for totals built from categories).
    #[serde(skip)]
    pub group: Option<&'static str>,
}

/// Totals of a period, overall and broken down.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breakdown {
    /// All selected incidents.
    pub all: Figure,
    /// By category group (crime, disorder, safety).
    pub by_group: Vec<BreakdownRow>,
    /// By category, catalogue order; categories with no incident in any compared period
    /// are left out.
    pub by_category: Vec<BreakdownRow>,
    /// By partner, by code.
    pub by_partner: Vec<BreakdownRow>,
}

impl Breakdown {
    /// Publishes the breakdown for a restricted role: categories and partners each on
    /// their own ([`Figure::publish`]); groups and the overall figure from the published
    /// categories ([`Figure::total_of`]), so no total minus its categories gives anything
    /// back.
    pub fn publish(&mut self, s: &Suppression, baseline_windows: usize) {
        for r in self
            .by_category
            .iter_mut()
            .chain(self.by_partner.iter_mut())
        {
            r.figure.publish(s, baseline_windows, None);
        }
        for g in &mut self.by_group {
            let parts: Vec<&Figure> = self
                .by_category
                .iter()
                .filter(|c| c.group == Some(g.code.as_str()))
                .map(|c| &c.figure)
                .collect();
            g.figure = Figure::total_of(s, &parts, baseline_windows);
        }
        let parts: Vec<&Figure> = self.by_category.iter().map(|c| &c.figure).collect();
        self.all = Figure::total_of(s, &parts, baseline_windows);
    }

    /// Every figure, for suppression.
    pub fn figures_mut(&mut self) -> impl Iterator<Item = &mut Figure> {
        std::iter::once(&mut self.all).chain(
            self.by_group
                .iter_mut()
                .chain(self.by_category.iter_mut())
                .chain(self.by_partner.iter_mut())
                .map(|r| &mut r.figure),
        )
    }
}

/// Swedish and English names of a category group.
pub fn group_labels(g: CategoryGroup) -> (&'static str, &'static str, &'static str) {
    match g {
        CategoryGroup::Crime => ("crime", "Brott", "Crime"),
        CategoryGroup::Disorder => ("disorder", "Ordningsstörningar", "Disorder"),
        CategoryGroup::Safety => ("safety", "Säkerhet", "Safety"),
    }
}

const GROUPS: [CategoryGroup; 3] = [
    CategoryGroup::Crime,
    CategoryGroup::Disorder,
    CategoryGroup::Safety,
];

/// The breakdown of `window` over the rows `mask` keeps.
///
/// # Parameters
/// - `table`, `categories`: the incidents and the catalogue (labels, groups).
/// - `mask`: the rows to count (filter and scope).
/// - `window`, `tz`: the period and the time zone of its boundaries.
/// - `baseline_windows`, `alpha`, `as_of`: as in `analysis::counts::AggregateOptions`.
#[expect(
    clippy::too_many_arguments,
    reason = "each argument is a distinct input of the comparison"
)]
pub fn breakdown(
    table: &IncidentTable,
    categories: &Categories,
    mask: &[bool],
    window: &TimeWindow,
    tz: Tz,
    baseline_windows: usize,
    alpha: f64,
    as_of: Option<DateTime<Utc>>,
) -> Breakdown {
    let mut periods = vec![*window, window.previous(), window.same_last_year()];
    periods.extend(window.previous_n(baseline_windows));
    // A running period is compared to-date: every period cut to the days that have begun.
    let running = as_of
        .map(|t| window.progress(t, tz))
        .filter(|p| !p.complete);
    let bounds: Vec<_> = periods
        .iter()
        .map(|p| match running {
            Some(r) => p.first_days(r.elapsed_days, tz).bounds(tz),
            None => p.bounds(tz),
        })
        .collect();
    let lo = bounds.iter().map(|b| b.0.timestamp()).min().unwrap_or(0);
    let hi = bounds.iter().map(|b| b.1.timestamp()).max().unwrap_or(0);
    let n_cat = table.category_codes.len();
    let n_partner = table.partner_codes.len();
    // Slots: 0 total, 1..=3 groups, then categories, then partners.
    let slots = 1 + GROUPS.len() + n_cat + n_partner;
    let mut count = vec![vec![0.0; slots]; periods.len()];
    let mut harm = vec![0.0; slots];
    let group_slot: Vec<Option<usize>> = table
        .category_group
        .iter()
        .map(|g| {
            g.and_then(|g| GROUPS.iter().position(|x| *x == g))
                .map(|i| 1 + i)
        })
        .collect();
    for i in (0..table.len()).filter(|&i| mask[i]) {
        if table.end[i] < lo || table.start[i] >= hi {
            continue;
        }
        let (at, until) = table.span(i);
        let cat = table.category[i] as usize;
        let mut targets = [
            0usize,
            usize::MAX,
            1 + GROUPS.len() + cat,
            1 + GROUPS.len() + n_cat + table.partner[i] as usize,
        ];
        if let Some(g) = group_slot[cat] {
            targets[1] = g;
        }
        for (p, (from, to)) in bounds.iter().enumerate() {
            let w = overlap_weight(at, until, *from, *to);
            if w <= 0.0 {
                continue;
            }
            for &t in targets.iter().filter(|t| **t != usize::MAX) {
                count[p][t] += w;
                if p == 0 {
                    harm[t] += w * table.category_harm[cat];
                }
            }
        }
    }
    let n_base = baseline_windows.max(1);
    let figure = |slot: usize| -> Figure {
        let c = count[0][slot];
        let baseline_mean = count[3..].iter().map(|b| b[slot]).sum::<f64>() / n_base as f64;
        let (p, rise) = rise_test(c, baseline_mean, n_base, alpha);
        Figure {
            count: Some(c),
            previous: Some(count[1][slot]),
            baseline_mean: Some(baseline_mean),
            last_year: Some(count[2][slot]),
            change_vs_previous: Some(c - count[1][slot]),
            change_vs_baseline: Some(c - baseline_mean),
            change_vs_last_year: Some(c - count[2][slot]),
            rise_p: Some(p),
            rise: Some(rise),
            harm: Some(harm[slot]),
            rate_per_1000: None,
        }
    };
    let seen = |slot: usize| count.iter().any(|p| p[slot] > 0.0);
    let by_group = GROUPS
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let (code, sv, en) = group_labels(*g);
            BreakdownRow {
                code: code.into(),
                label_sv: sv.into(),
                label_en: en.into(),
                figure: figure(1 + i),
                group: None,
            }
        })
        .collect();
    let mut by_category = Vec::new();
    for c in categories.iter() {
        if let Some(i) = table.category_codes.iter().position(|x| *x == c.code) {
            let slot = 1 + GROUPS.len() + i;
            if seen(slot) {
                by_category.push(BreakdownRow {
                    code: c.code.clone(),
                    label_sv: c.sv.clone(),
                    label_en: c.en.clone(),
                    figure: figure(slot),
                    group: Some(group_labels(c.group).0),
                });
            }
        }
    }
    // Codes no longer in the catalogue still count; they keep their code as label.
    for (i, code) in table.category_codes.iter().enumerate() {
        let slot = 1 + GROUPS.len() + i;
        if categories.get(code).is_none() && seen(slot) {
            by_category.push(BreakdownRow {
                code: code.clone(),
                label_sv: code.clone(),
                label_en: code.clone(),
                figure: figure(slot),
                group: None,
            });
        }
    }
    let mut partners: Vec<(usize, &String)> = table.partner_codes.iter().enumerate().collect();
    partners.sort_by(|a, b| a.1.cmp(b.1));
    let by_partner = partners
        .into_iter()
        .map(|(i, code)| (1 + GROUPS.len() + n_cat + i, code))
        .filter(|(slot, _)| seen(*slot))
        .map(|(slot, code)| BreakdownRow {
            code: code.clone(),
            label_sv: code.clone(),
            label_en: code.clone(),
            figure: figure(slot),
            group: None,
        })
        .collect();
    Breakdown {
        all: figure(0),
        by_group,
        by_category,
        by_partner,
    }
}
