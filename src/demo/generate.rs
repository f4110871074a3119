//! TEMPORARY STUB (replaced by the generator).
use chrono::{DateTime, Utc};
pub struct DemoSpec {
    pub seed: u64,
    pub end: DateTime<Utc>,
    pub years: u32,
}
pub struct DemoIncident {
    pub partner: &'static str,
    pub id: String,
    pub category: &'static str,
    pub occurred_at: DateTime<Utc>,
    pub occurred_to: Option<DateTime<Utc>>,
    pub lon: f64,
    pub lat: f64,
    pub description: Option<String>,
}
pub struct PlantedHotspot;
pub const PLANTED: &[PlantedHotspot] = &[];
pub fn generate(
    _spec: &DemoSpec,
    _b: &geo::MultiPolygon<f64>,
    _p: &mut dyn FnMut(u64, u64),
) -> Vec<DemoIncident> {
    Vec::new()
}
