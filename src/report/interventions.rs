//! The interventions sections of the reports: the interventions active in a week (and
//! where they are), and the follow-up of those that ended in a tertial. The register is
//! `intervention` + `store`; the follow-up statistics are `analysis::followup`.

use geo::{InteriorPoint, MultiPolygon};
use h3o::CellIndex;
use serde::Serialize;

use super::ReportError;
use super::scope::Scope;
use crate::analysis::followup::{Followup, FollowupOptions, followup};
use crate::analysis::hotspots::Analyzer;
use crate::analysis::window::TimeWindow;
use crate::intervention::{Intervention, InterventionTarget, local_days};
use crate::store::Store;

/// An intervention active in the report's period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActiveIntervention {
    /// The stored intervention (kind, partner, target, days, description).
    #[serde(flatten)]
    pub intervention: Intervention,
    /// Where, in words: the area's name, or the number of hexes, or "drawn polygon".
    pub place: String,
}

/// The follow-up of an intervention that ended in the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndedIntervention {
    /// The intervention.
    pub intervention: ActiveIntervention,
    /// Its follow-up (default options: before vs during, rest of the study area as control,
    /// 400 m buffer); `None` when it could not be computed or was suppressed.
    pub followup: Option<Followup>,
    /// Why there is no follow-up.
    pub note: Option<String>,
}

/// The target's outline, for the map.
pub fn target_geometry(analyzer: &Analyzer, t: &InterventionTarget) -> Option<MultiPolygon<f64>> {
    match t {
        InterventionTarget::Area { layer, id } => analyzer
            .table()
            .layer(layer)
            .and_then(|(_, l)| l.areas.iter().find(|a| &a.id == id))
            .map(|a| a.geometry.clone()),
        InterventionTarget::Hexes(cells) => {
            let polys: Vec<geo::Polygon<f64>> = cells
                .iter()
                .map(|c| {
                    let ring: Vec<geo::Coord<f64>> = c
                        .boundary()
                        .iter()
                        .map(|ll| geo::coord! { x: ll.lng(), y: ll.lat() })
                        .collect();
                    geo::Polygon::new(geo::LineString::from(ring), vec![])
                })
                .collect();
            Some(MultiPolygon(polys))
        }
        InterventionTarget::Polygon(mp) => Some(mp.clone()),
    }
}

fn place(analyzer: &Analyzer, t: &InterventionTarget) -> String {
    match t {
        InterventionTarget::Area { layer, id } => analyzer
            .table()
            .layer(layer)
            .and_then(|(_, l)| l.areas.iter().find(|a| &a.id == id))
            .map_or_else(
                || format!("{layer}:{id}"),
                |a| format!("{} ({layer})", a.name),
            ),
        InterventionTarget::Hexes(cells) => format!("{} H3", cells.len()),
        InterventionTarget::Polygon(_) => "polygon".into(),
    }
}

fn in_scope(analyzer: &Analyzer, scope: &Scope, t: &InterventionTarget) -> bool {
    if scope.region.is_none() {
        return true;
    }
    match t {
        InterventionTarget::Hexes(cells) => cells.iter().any(|c| scope.contains_cell(*c)),
        _ => target_geometry(analyzer, t)
            .and_then(|g| g.interior_point())
            .is_some_and(|p| {
                let cell = h3o::LatLng::new(p.y(), p.x())
                    .ok()
                    .map(|ll| ll.to_cell(h3o::Resolution::Fifteen));
                cell.is_some_and(|c: CellIndex| scope.contains_cell(c))
            }),
    }
}

/// The interventions active on any local day of `window`, in scope.
pub fn active(
    analyzer: &Analyzer,
    store: &Store,
    scope: &Scope,
    window: &TimeWindow,
) -> Result<Vec<ActiveIntervention>, ReportError> {
    let tz = analyzer.timezone();
    let (from, to) = window.bounds(tz);
    let (first, last) = local_days(from, to, tz);
    Ok(store
        .interventions_overlapping(first, last)?
        .into_iter()
        .filter(|i| i.action.status != crate::intervention::ActionStatus::Cancelled)
        .filter(|i| in_scope(analyzer, scope, &i.spec.target))
        .map(|i| ActiveIntervention {
            place: place(analyzer, &i.spec.target),
            intervention: i,
        })
        .collect())
}

/// The interventions whose last day lies in `window`, in scope, each with its follow-up.
pub fn ended(
    analyzer: &Analyzer,
    store: &Store,
    scope: &Scope,
    window: &TimeWindow,
) -> Result<Vec<EndedIntervention>, ReportError> {
    let tz = analyzer.timezone();
    let (from, to) = window.bounds(tz);
    let (first, last) = local_days(from, to, tz);
    Ok(store
        .interventions_ended_between(first, last)?
        .into_iter()
        .filter(|i| in_scope(analyzer, scope, &i.spec.target))
        .map(|i| {
            let (followup, note) = match followup(analyzer, &i, &FollowupOptions::default()) {
                Ok(f) => (Some(f), None),
                Err(e) => (None, Some(format!("follow-up not computed: {e}"))),
            };
            EndedIntervention {
                intervention: ActiveIntervention {
                    place: place(analyzer, &i.spec.target),
                    intervention: i,
                },
                followup,
                note,
            }
        })
        .collect())
}

/// Hides a follow-up that holds a count `0 < c < k` (its counts cannot be blanked one by
/// one without making its ratios unreadable).
pub fn suppress(e: &mut EndedIntervention, k: u64) {
    let small = |c: u64| c > 0 && c < k;
    if let Some(f) = &e.followup {
        let zones = [&f.target, &f.buffer, &f.control];
        if zones.iter().any(|z| small(z.before) || small(z.after)) {
            e.followup = None;
            e.note = Some(format!(
                "follow-up hidden: it holds counts below {k} (small-count suppression)"
            ));
        }
    }
}
