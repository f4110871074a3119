//! The JSON side of small-count protection: maps the properties of areas, hexes, ranked
//! items and profile rows onto [`UnitFigures`], lets `access::suppress` publish them, and
//! writes them back. The rules live in `access::suppress`; this file only knows the keys.

use serde_json::{Map, Value, json};

use crate::access::suppress::{Suppression, UnitFigures};

/// Exact statistics of the raw counts: never published to restricted roles, since each
/// is an equation in the hidden counts (Gi* z is linear in them). Their classes stay
/// (`gi_bin`, `emerging`).
const EXACT_STATISTICS: [&str; 6] = [
    "gi_z",
    "gi_p",
    "rise_p",
    "lisa_z",
    "significance_p",
    "rate_ratio_rest",
];

fn get(m: &Map<String, Value>, k: &str) -> Option<f64> {
    m.get(k).and_then(Value::as_f64)
}

fn figures(m: &Map<String, Value>) -> UnitFigures {
    UnitFigures {
        count: get(m, "count"),
        previous: get(m, "previous"),
        baseline_mean: get(m, "baseline_mean"),
        last_year: get(m, "last_year"),
        change_vs_previous: get(m, "change_vs_previous"),
        change_vs_baseline: get(m, "change_vs_baseline"),
        change_vs_last_year: get(m, "change_vs_last_year"),
        rise_p: get(m, "rise_p"),
        rise: m.get("rise").and_then(Value::as_bool),
        harm: get(m, "harm"),
        rate_per_1000: get(m, "rate_per_1000"),
        share: get(m, "share"),
    }
}

fn write_back(m: &mut Map<String, Value>, f: &UnitFigures) {
    let mut put = |k: &str, v: Value| {
        if m.contains_key(k) {
            m.insert(k.into(), v);
        }
    };
    put("count", json!(f.count));
    put("previous", json!(f.previous));
    put("baseline_mean", json!(f.baseline_mean));
    put("last_year", json!(f.last_year));
    put("change_vs_previous", json!(f.change_vs_previous));
    put("change_vs_baseline", json!(f.change_vs_baseline));
    put("change_vs_last_year", json!(f.change_vs_last_year));
    put("rise", json!(f.rise));
    put("harm", json!(f.harm));
    put("rate_per_1000", json!(f.rate_per_1000));
    put("share", json!(f.share));
    for k in EXACT_STATISTICS {
        put(k, Value::Null);
    }
}

/// Publishes the units of one answer in place (counts hidden or rounded, everything else
/// from the published counts, exact statistics removed) and marks each with
/// `suppressed`. Returns which units' counts are hidden, and the answer's total as
/// published (from the published parts).
pub(crate) fn units(
    s: &Suppression,
    units: &mut [&mut Map<String, Value>],
    baseline_windows: usize,
) -> (Vec<bool>, Option<f64>) {
    let published: Vec<Option<f64>> = units
        .iter()
        .map(|m| get(m, "count").and_then(|c| s.publish(c)))
        .collect();
    let total = s.total_of(published.iter().copied());
    let hidden = units
        .iter_mut()
        .map(|m| {
            if m.get("gi_z").is_some_and(Value::is_number) {
                m.insert("gi_withheld".into(), Value::Bool(true));
            }
            let mut f = figures(m);
            let population = get(m, "population");
            let hidden = s.unit(&mut f, baseline_windows, population, total);
            write_back(m, &f);
            m.insert("suppressed".into(), Value::Bool(hidden));
            hidden
        })
        .collect();
    (hidden, total)
}

/// Publishes a grid of plain counts (the profile's hour × weekday).
pub(crate) fn grid(s: &Suppression, rows: &mut [Value]) {
    for r in rows.iter_mut().filter_map(Value::as_array_mut) {
        for c in r.iter_mut() {
            *c = json!(c.as_f64().and_then(|v| s.publish(v)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gi_z_and_p_go_counts_round() {
        let s = Suppression::default();
        let mut a = match json!({ "count": 3.0, "harm": 6.0, "gi_z": 1.234, "gi_p": 0.2, "gi_bin": 1, "share": 0.1 })
        {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let mut b = match json!({ "count": 23.0, "harm": 46.0, "gi_z": 2.5, "gi_p": 0.01, "gi_bin": 2, "share": 0.9 })
        {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let (hidden, total) = units(&s, &mut [&mut a, &mut b], 1);
        assert_eq!(hidden, vec![true, false]);
        assert_eq!(total, Some(30.0), "25 + 2.5 for the hidden part, rounded");
        assert_eq!(a["count"], Value::Null);
        assert_eq!(a["gi_z"], Value::Null);
        assert_eq!(b["gi_z"], Value::Null);
        assert_eq!(b["gi_p"], Value::Null);
        assert_eq!(b["gi_bin"], json!(2), "the class stays");
        assert_eq!(b["count"], json!(25.0));
        assert_eq!(b["harm"], json!(45.0));
        assert_eq!(b["suppressed"], json!(false));
        assert!(!a.contains_key("previous"), "absent keys stay absent");
    }
}
