use super::*;
use serde_json::json;

fn input(v: serde_json::Value) -> InterventionInput {
    serde_json::from_value(v).unwrap()
}

fn area_input() -> serde_json::Value {
    json!({"kind": "lighting", "partner": "kommunen",
           "target": {"type": "area", "layer": "districts", "id": "alby"},
           "start": "2026-03-01", "end": "2026-05-31", "description": " New LED lights "})
}

#[test]
fn a_good_intervention_validates() {
    let spec = input(area_input()).validate().unwrap();
    assert_eq!(spec.kind, InterventionKind::Lighting);
    assert_eq!(spec.partner.as_str(), "kommunen");
    assert_eq!(spec.description, "New LED lights");
    assert_eq!(spec.days(), 92);
    assert_eq!(
        spec.target,
        InterventionTarget::Area {
            layer: "districts".into(),
            id: "alby".into()
        }
    );
}

#[test]
fn kinds_round_trip_with_their_serde_names() {
    for k in InterventionKind::ALL {
        let text = serde_json::to_string(&k).unwrap();
        assert_eq!(text, format!("\"{}\"", k.as_str()));
        assert_eq!(InterventionKind::parse(k.as_str()).unwrap(), k);
    }
    assert_eq!(
        serde_json::to_string(&InterventionKind::CleanUp).unwrap(),
        "\"clean-up\""
    );
    assert_eq!(
        InterventionKind::parse("Cleanup").unwrap(),
        InterventionKind::CleanUp
    );
    let err = InterventionKind::parse("bombing").unwrap_err().to_string();
    assert!(
        err.starts_with("kind:") && err.contains("patrol, guards"),
        "{err}"
    );
}

#[test]
fn end_before_start_is_refused() {
    let mut v = area_input();
    v["end"] = json!("2026-02-28");
    let err = input(v).validate().unwrap_err();
    assert!(matches!(err, InterventionError::EndBeforeStart { .. }));
    assert!(err.to_string().contains("before the start"), "{err}");
    // One day is fine.
    let mut v = area_input();
    v["end"] = json!("2026-03-01");
    assert_eq!(input(v).validate().unwrap().days(), 1);
}

#[test]
fn missing_and_malformed_fields_are_named() {
    for (key, value, field_name) in [
        ("kind", json!(null), "kind"),
        ("kind", json!(""), "kind"),
        ("partner", json!("Kommunen AB"), "partner"),
        ("start", json!("2026-13-01"), "start"),
        ("start", json!("1.3.2026"), "start"),
        ("end", json!("3026-01-01"), "end"),
        ("target", json!(null), "target"),
        ("target", json!({"type": "circle"}), "target.type"),
        (
            "target",
            json!({"type": "area", "layer": "districts"}),
            "target.id",
        ),
        (
            "target",
            json!({"type": "hexes", "cells": []}),
            "target.cells",
        ),
        (
            "target",
            json!({"type": "hexes", "cells": ["zzz"]}),
            "target.cells",
        ),
        (
            "target",
            json!({"type": "hexes", "layer": "x", "cells": ["891f1d48a3bffff"]}),
            "target",
        ),
        ("target", json!({"type": "polygon"}), "target.geometry"),
        (
            "target",
            json!({"type": "polygon", "geometry": {"type": "Point", "coordinates": [17.8, 59.2]}}),
            "target.geometry",
        ),
        (
            "target",
            json!({"type": "polygon", "geometry": {"type": "Polygon", "coordinates": [[[17.8, 59.2], [17.9, 59.2], [17.9, 59.3]]]}}),
            "target.geometry",
        ),
        (
            "target",
            json!({"type": "polygon", "geometry": {"type": "Polygon", "coordinates": [[[17.8, 59.2], [17.9, 59.2], [17.9, 99.3], [17.8, 59.2]]]}}),
            "target.geometry",
        ),
        (
            "target",
            json!({"type": "polygon", "geometry": {"type": "Polygon", "coordinates": [[[17.8, 59.2], [17.9, 59.2], [17.9, 59.3], [17.8, 59.25]]]}}),
            "target.geometry",
        ),
        (
            "target",
            json!({"type": "polygon", "geometry": {"type": "Polygon", "coordinates": [[[17.8, 59.2], [17.9, 59.2], [17.85, 59.2], [17.8, 59.2]]]}}),
            "target.geometry",
        ),
        ("description", json!("a\u{0}b"), "description"),
    ] {
        let mut v = area_input();
        v[key] = value.clone();
        let err = input(v).validate().unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("{field_name}:")),
            "{key} = {value}: {text}"
        );
    }
}

#[test]
fn oversized_fields_are_refused() {
    let mut v = area_input();
    v["description"] = json!("x".repeat(MAX_DESCRIPTION_CHARS + 1));
    assert!(
        input(v)
            .validate()
            .unwrap_err()
            .to_string()
            .starts_with("description:")
    );
    let cell = "891f1d48a3bffff";
    let mut v = area_input();
    v["target"] = json!({"type": "hexes", "cells": vec![cell; MAX_TARGET_CELLS + 1]});
    assert!(
        input(v)
            .validate()
            .unwrap_err()
            .to_string()
            .contains("at most")
    );
    let ring: Vec<[f64; 2]> = (0..=MAX_POLYGON_VERTICES)
        .map(|i| {
            let a = i as f64 / MAX_POLYGON_VERTICES as f64 * std::f64::consts::TAU;
            [17.8 + 0.01 * a.cos(), 59.2 + 0.01 * a.sin()]
        })
        .collect();
    let mut v = area_input();
    v["target"] =
        json!({"type": "polygon", "geometry": {"type": "Polygon", "coordinates": [ring]}});
    assert!(
        input(v)
            .validate()
            .unwrap_err()
            .to_string()
            .contains("vertices")
    );
}

#[test]
fn unknown_fields_are_refused_by_the_parser() {
    let mut v = area_input();
    v["colour"] = json!("red");
    assert!(serde_json::from_value::<InterventionInput>(v).is_err());
}

#[test]
fn hex_targets_are_sorted_and_deduplicated_and_polygons_oriented() {
    let mut v = area_input();
    v["target"] = json!({"type": "hexes", "cells": ["891f1d48a3bffff", "891f1d48a37ffff", "891f1d48a3bffff"]});
    let spec = input(v).validate().unwrap();
    let InterventionTarget::Hexes(cells) = &spec.target else {
        panic!("not hexes")
    };
    assert_eq!(cells.len(), 2);
    assert!(cells[0] < cells[1]);
    // A clockwise ring comes back counter-clockwise, and keys are stable.
    let cw = json!({"type": "Polygon", "coordinates": [[[17.8, 59.2], [17.8, 59.3], [17.9, 59.3], [17.9, 59.2], [17.8, 59.2]]]});
    let mut v = area_input();
    v["target"] = json!({"type": "polygon", "geometry": cw});
    let spec = input(v).validate().unwrap();
    let again: TargetInput = serde_json::from_value(spec.target.to_json()).unwrap();
    assert_eq!(again.validate().unwrap().key(), spec.target.key());
    let InterventionTarget::Polygon(mp) = &spec.target else {
        panic!("not a polygon")
    };
    use geo::Area;
    assert!(mp.signed_area() > 0.0);
}

#[test]
fn local_days_and_period_follow_the_time_zone() {
    let tz: Tz = chrono_tz::Europe::Stockholm;
    // ISO week 2026-W13 spans the change to summer time (29 March 2026).
    let from = local_midnight(NaiveDate::from_ymd_opt(2026, 3, 23).unwrap(), tz);
    let to = local_midnight(NaiveDate::from_ymd_opt(2026, 3, 30).unwrap(), tz);
    assert_eq!((to - from).num_hours(), 7 * 24 - 1);
    let (first, last) = local_days(from, to, tz);
    assert_eq!(first, NaiveDate::from_ymd_opt(2026, 3, 23).unwrap());
    assert_eq!(last, NaiveDate::from_ymd_opt(2026, 3, 29).unwrap());
    let spec = input(area_input()).validate().unwrap();
    let (a, b) = spec.period_until(tz, NaiveDate::MAX);
    assert_eq!(a.to_rfc3339(), "2026-02-28T23:00:00+00:00");
    assert_eq!(b.to_rfc3339(), "2026-05-31T22:00:00+00:00");
    assert!(spec.overlaps(last, last + chrono::Duration::days(400)));
    assert!(!spec.overlaps(
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 6, 7).unwrap()
    ));
}

#[test]
fn end_is_optional_and_an_open_end_runs_on() {
    let mut v = area_input();
    v["end"] = json!(null);
    let spec = input(v.clone()).validate().unwrap();
    assert!(spec.end.is_open());
    assert_eq!(spec.end.to_string(), "…");
    assert!(spec.overlaps(
        NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2030, 1, 7).unwrap()
    ));
    assert_eq!(
        spec.days_until(NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()),
        10
    );
    v.as_object_mut().unwrap().remove("end");
    assert!(input(v).validate().unwrap().end.is_open());
    assert_eq!(serde_json::to_value(spec.end).unwrap(), json!(null));
}

#[test]
fn configured_kinds_are_accepted_and_unknown_ones_named() {
    let kinds = vec![crate::config::ActionKind {
        code: "trygghetsvandring".into(),
        sv: "Trygghetsvandring".into(),
        en: "Safety walk".into(),
    }];
    let mut v = area_input();
    v["kind"] = json!("Trygghetsvandring");
    let spec = input(v.clone()).validate_with(&kinds).unwrap();
    assert_eq!(
        spec.kind,
        InterventionKind::Custom("trygghetsvandring".into())
    );
    assert_eq!(
        serde_json::to_value(&spec.kind).unwrap(),
        json!("trygghetsvandring")
    );
    // Without the configuration the same kind is refused, naming the field and the list.
    let err = input(v).validate().unwrap_err().to_string();
    assert!(
        err.starts_with("kind:") && err.contains("action_kinds"),
        "{err}"
    );
    // Stored codes decode even after the configuration dropped them.
    assert_eq!(
        InterventionKind::decode("social_insats").unwrap(),
        InterventionKind::Custom("social_insats".into())
    );
    assert!(InterventionKind::decode("Not A Code!").is_err());
}

#[test]
fn self_intersecting_polygons_are_refused() {
    let mut v = area_input();
    // A bow tie: the edges cross at (17.85, 59.25).
    v["target"] = json!({"type": "polygon", "geometry": {"type": "Polygon", "coordinates":
        [[[17.8, 59.2], [17.9, 59.3], [17.9, 59.2], [17.8, 59.3], [17.8, 59.2]]]}});
    let err = input(v).validate().unwrap_err().to_string();
    assert!(
        err.starts_with("target.geometry:") && err.contains("self-intersection"),
        "{err}"
    );
}

fn action(v: serde_json::Value) -> Result<(InterventionSpec, ActionSpec), InterventionError> {
    let today = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
    ActionInput::from_value(v)?.validate(&[], today)
}

#[test]
fn actions_validate_with_defaults_and_name_bad_fields() {
    let mut v = area_input();
    v["responsible"] = json!(" Trygghetssamordnaren ");
    v["goal"] = json!("Färre bränder");
    v["decided_at"] = json!("2026-w09");
    v["hotspot"] = json!({"type": "hexes", "cells": ["891f1d48a3bffff"]});
    let (spec, a) = action(v.clone()).unwrap();
    assert_eq!(spec.kind, InterventionKind::Lighting);
    // 2026-03-01..05-31 seen from 2026-04-01: active.
    assert_eq!(a.status, ActionStatus::Active);
    assert_eq!(a.responsible, "Trygghetssamordnaren");
    assert_eq!(a.decided_at.as_deref(), Some("2026-W09"));
    assert!(matches!(a.hotspot, Some(InterventionTarget::Hexes(_))));
    for (key, value, field) in [
        ("status", json!("maybe"), "status:"),
        ("decided_at", json!("2026-W54"), "decided_at:"),
        ("decided_at", json!("2026-T4"), "decided_at:"),
        ("decided_at", json!("2026-Q5"), "decided_at:"),
        ("decided_at", json!("2026-12-07"), "decided_at:"),
        ("responsible", json!(42), "responsible:"),
        ("goal", json!("x".repeat(MAX_TEXT_CHARS + 1)), "goal:"),
        ("goal", json!("bell\u{7}"), "goal:"),
        (
            "hotspot",
            json!({"type": "polygon", "geometry": {}}),
            "hotspot",
        ),
        (
            "hotspot",
            json!({"type": "hexes", "cells": ["nope"]}),
            "hotspot.cells:",
        ),
        ("surprise", json!(1), "body:"),
    ] {
        let mut bad = v.clone();
        bad[key] = value;
        let err = action(bad).unwrap_err().to_string();
        assert!(err.starts_with(field), "{key}: {err}");
    }
    // Done needs an end.
    let mut done = v.clone();
    done["status"] = json!("done");
    done["end"] = json!(null);
    assert!(action(done).unwrap_err().to_string().starts_with("end:"));
    assert!(ActionInput::from_value(json!([1])).is_err());
}

#[test]
fn closing_sets_status_outcome_and_an_open_end() {
    let mut v = area_input();
    v["end"] = json!(null);
    let (mut spec, mut a) = action(v).unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
    let close = |s: &str, o: &str| CloseInput {
        status: Some(s.into()),
        outcome: Some(o.into()),
        end: None,
    };
    assert!(
        close("active", "x")
            .apply(&mut spec, &mut a, today)
            .is_err()
    );
    let err = close("done", " ")
        .apply(&mut spec, &mut a, today)
        .unwrap_err();
    assert!(err.to_string().starts_with("outcome:"), "{err}");
    assert_eq!(
        a.status,
        ActionStatus::Active,
        "a refused close changes nothing"
    );
    close("done", "Lamps in place")
        .apply(&mut spec, &mut a, today)
        .unwrap();
    assert_eq!(a.status, ActionStatus::Done);
    assert_eq!(spec.end.0, Some(today));
    assert_eq!(a.outcome, "Lamps in place");
    let early = CloseInput {
        end: Some("2026-01-01".into()),
        ..close("cancelled", "x")
    };
    assert!(matches!(
        early.apply(&mut spec, &mut a, today),
        Err(InterventionError::EndBeforeStart { .. })
    ));
}
