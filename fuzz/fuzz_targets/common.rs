//! Shared set-up for the fuzz targets: the row rules of a real ingest.

use chrono::TimeZone;
use lagesbild::ingest::RowRules;
use lagesbild::model::{Categories, Partner};

/// The rules `lagesbild ingest --partner polisen` uses, with a fixed "now".
pub fn rules() -> RowRules {
    RowRules {
        categories: Categories::builtin(),
        region: lagesbild::config::SWEDEN,
        timezone: chrono_tz::Europe::Stockholm,
        partner: Partner::parse("polisen").ok(),
        crs: None,
        now: chrono::Utc
            .with_ymd_and_hms(2026, 11, 25, 12, 0, 0)
            .single()
            .unwrap_or_else(chrono::Utc::now),
        cleaned_descriptions: Default::default(),
    }
}
