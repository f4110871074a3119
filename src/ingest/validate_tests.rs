use super::*;
use crate::config::SWEDEN;

fn rules() -> RowRules {
    RowRules {
        categories: Categories::builtin(),
        region: SWEDEN,
        timezone: chrono_tz::Europe::Stockholm,
        partner: Some(Partner::parse("polisen").unwrap()),
        crs: None,
        now: Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap(),
        date_format: None,
        mappings: std::sync::Arc::default(),
        cleaned_descriptions: std::sync::Arc::default(),
    }
}

const POS: RowPos = RowPos {
    row: 7,
    line: Some(8),
};

fn row<'a>(id: &'a str, at: &'a str, cat: &'a str) -> RawRow<'a> {
    RawRow {
        id: Some(id),
        occurred_at: Some(at),
        category: Some(cat),
        ..RawRow::default()
    }
}

#[test]
fn a_good_row_becomes_an_incident() {
    let inc = rules()
        .validate(
            POS,
            &row("A-1", "2026-11-20 21:15", "Inbrott"),
            (17.8453, 59.2395),
            Crs::Wgs84,
        )
        .unwrap();
    assert_eq!(inc.category, "burglary");
    assert_eq!(inc.partner, "polisen");
    assert_eq!(
        inc.occurred_at,
        Utc.with_ymd_and_hms(2026, 11, 20, 20, 15, 0).unwrap()
    );
    assert_eq!(
        inc.location,
        Wgs84 {
            lon: 17.8453,
            lat: 59.2395
        }
    );
}

fn field_of(r: Result<Incident, Rejection>) -> (String, String) {
    let e = r.unwrap_err();
    assert_eq!(e.pos, POS);
    (e.field.unwrap_or_default(), e.reason)
}

#[test]
fn each_bad_field_is_named() {
    let r = rules();
    let ok_xy = (17.8, 59.2);
    let (f, why) = field_of(r.validate(
        POS,
        &row("", "2026-11-20 21:15", "theft"),
        ok_xy,
        Crs::Wgs84,
    ));
    assert_eq!(f, "id");
    assert!(why.contains("missing"));
    let (f, why) = field_of(r.validate(
        POS,
        &row("1", "2026-11-20 21:15", "stöldförsök"),
        ok_xy,
        Crs::Wgs84,
    ));
    assert_eq!(f, "category");
    assert!(
        why.contains("lagesbild categories map --partner polisen \"stöldförsök=CODE\""),
        "{why}"
    );
    let (f, why) = field_of(r.validate(
        POS,
        &row("1", "1899-12-31 10:00", "theft"),
        ok_xy,
        Crs::Wgs84,
    ));
    assert_eq!(f, "occurred_at");
    assert!(why.contains("1900"));
    let (f, why) = field_of(r.validate(
        POS,
        &row("1", "2026-12-24 10:00", "theft"),
        ok_xy,
        Crs::Wgs84,
    ));
    assert_eq!(f, "occurred_at");
    assert!(why.contains("future"));
    let mut raw = row("1", "2026-11-20 21:15", "theft");
    raw.occurred_to = Some("2026-11-20 20:00");
    let (f, why) = field_of(r.validate(POS, &raw, ok_xy, Crs::Wgs84));
    assert_eq!(f, "occurred_to");
    assert!(why.contains("before occurred_at"));
    let (f, _) = field_of(r.validate(
        POS,
        &row("1", "2026-11-20 21:15", "theft"),
        (f64::NAN, 59.2),
        Crs::Wgs84,
    ));
    assert_eq!(f, "lon");
    let (f, _) = field_of(r.validate(
        POS,
        &row("1", "2026-11-20 21:15", "theft"),
        (17.8, f64::INFINITY),
        Crs::Wgs84,
    ));
    assert_eq!(f, "lat");
    let long_desc = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
    let mut raw = row("1", "2026-11-20 21:15", "theft");
    raw.description = Some(&long_desc);
    let (f, _) = field_of(r.validate(POS, &raw, ok_xy, Crs::Wgs84));
    assert_eq!(f, "description");
}

#[test]
fn swapped_and_projected_coordinates_get_hints() {
    let r = rules();
    let raw = row("1", "2026-11-20 21:15", "theft");
    let (_, why) = field_of(r.validate(POS, &raw, (59.2395, 17.8453), Crs::Wgs84));
    assert!(why.contains("swapped"), "{why}");
    let (_, why) = field_of(r.validate(POS, &raw, (670_000.0, 6_570_000.0), Crs::Wgs84));
    assert!(why.contains("SWEREF 99 TM"), "{why}");
    let (_, why) = field_of(r.validate(POS, &raw, (6_570_000.0, 670_000.0), Crs::Sweref99Tm));
    assert!(why.contains("swapped") || why.contains("SWEREF"), "{why}");
    // Outside the region but a valid lon/lat: Oslo for a Swedish region is fine, Paris is not.
    let (_, why) = field_of(r.validate(POS, &raw, (2.35, 48.85), Crs::Wgs84));
    assert!(why.contains("outside the deployment region"), "{why}");
}

#[test]
fn sweref_rows_are_converted() {
    // Lantmäteriet control point (see tests/fixtures/sweref99tm_control_points.csv) region.
    let inc = rules()
        .validate(
            POS,
            &row("1", "2026-11-20 21:15", "theft"),
            (664_000.0, 6_571_000.0),
            Crs::Sweref99Tm,
        )
        .unwrap();
    let (e, n) = crs::wgs84_to_sweref99tm(inc.location.lon, inc.location.lat);
    assert!((e - 664_000.0).abs() < 1e-3 && (n - 6_571_000.0).abs() < 1e-3);
    assert!((59.0..60.0).contains(&inc.location.lat));
}

#[test]
fn partner_column_and_flag_must_agree() {
    let mut r = rules();
    let mut raw = row("1", "2026-11-20 21:15", "theft");
    raw.partner = Some("Bostadsbolaget");
    let (f, why) = field_of(r.validate(POS, &raw, (17.8, 59.2), Crs::Wgs84));
    assert_eq!(f, "partner");
    assert!(why.contains("--partner"));
    r.partner = None;
    assert_eq!(
        r.validate(POS, &raw, (17.8, 59.2), Crs::Wgs84)
            .unwrap()
            .partner,
        "bostadsbolaget"
    );
    raw.partner = None;
    let (f, _) = field_of(r.validate(POS, &raw, (17.8, 59.2), Crs::Wgs84));
    assert_eq!(f, "partner");
}

#[test]
fn numbers_accept_a_decimal_comma_only_when_unambiguous() {
    assert_eq!(parse_number("59,2395", Decimal::Auto), Some(59.2395));
    assert_eq!(parse_number(" 17.5 ", Decimal::Auto), Some(17.5));
    assert_eq!(parse_number("1,234.5", Decimal::Auto), None);
    assert_eq!(parse_number("1,2,3", Decimal::Auto), None);
    assert_eq!(parse_number("abc", Decimal::Auto), None);
}

#[test]
fn ids_with_control_characters_are_rejected_and_descriptions_cleaned() {
    let r = rules();
    for bad in ["A\u{0}1", "A\u{1b}[31m", "A\r1", "\u{7f}X"] {
        let rej = r
            .validate(
                POS,
                &row(bad, "2026-11-20 21:15", "Inbrott"),
                (17.8453, 59.2395),
                Crs::Wgs84,
            )
            .unwrap_err();
        let text = rej.to_string();
        assert!(
            text.contains("id") && text.contains("control character"),
            "{text}"
        );
        assert!(
            text.contains('7') || text.contains('8'),
            "names the row: {text}"
        );
    }
    let mut raw = row("A-2", "2026-11-20 21:15", "Inbrott");
    raw.description = Some("Fönster\u{0} krossat\u{7}\nvid entrén");
    let inc = r
        .validate(POS, &raw, (17.8453, 59.2395), Crs::Wgs84)
        .unwrap();
    assert_eq!(
        inc.description.as_deref(),
        Some("Fönster krossat\nvid entrén")
    );
    assert_eq!(
        r.cleaned_descriptions
            .load(std::sync::atomic::Ordering::Relaxed),
        1,
        "the cleaning is counted, so the report can say so"
    );
}
