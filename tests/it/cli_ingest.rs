//! `lagesbild ingest` end to end: summaries, idempotence, strictness and bad input.

use crate::support::*;

#[test]
fn ingest_then_reingest_is_idempotent() {
    let sb = Sandbox::new();
    sb.import_districts();
    let mut csv = String::from(HEADER);
    for i in 0..50 {
        csv.push_str(&row(i));
    }
    // One point in Huddinge: inside the region, outside every district.
    csv.push_str("out-1,2026-11-20 10:00,graffiti,59.2367,17.9817\n");
    let f = sb.file("polisen.csv", csv.as_bytes());
    let (code, v) = sb.run_json(&[
        "ingest",
        f.to_str().unwrap(),
        "--partner",
        "polisen",
        "--json",
    ]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["accepted"], 51);
    assert_eq!(v["outside"], 1);
    assert_eq!(v["rejected"], 0);
    assert_eq!(v["committed"], true);
    let version = v["data_version"].as_i64().unwrap();
    let (code, v) = sb.run_json(&[
        "ingest",
        f.to_str().unwrap(),
        "--partner",
        "polisen",
        "--json",
    ]);
    assert_eq!(code, 0);
    assert_eq!(v["accepted"], 0);
    assert_eq!(v["duplicates"], 51);
    assert_eq!(
        v["data_version"].as_i64().unwrap(),
        version,
        "a re-import changes nothing"
    );
    assert_eq!(count(&sb.db()), 51);
}

#[test]
fn rejected_rows_do_not_block_accepted_ones_but_strict_does() {
    let sb = Sandbox::new();
    let csv = format!(
        "{HEADER}{}bad,2026-11-20 10:00,nonsense,59.2,17.8\n{}",
        row(1),
        row(2)
    );
    let f = sb.file("mixed.csv", csv.as_bytes());
    let (code, v) = sb.run_json(&[
        "ingest",
        f.to_str().unwrap(),
        "--partner",
        "polisen",
        "--strict",
        "--json",
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["committed"], false);
    assert_eq!(count(&sb.db()), 0);
    let out = sb.run(&["ingest", f.to_str().unwrap(), "--partner", "polisen"]);
    assert_eq!(out.status.code(), Some(3));
    let text = stdout(&out);
    assert!(
        text.contains("2 accepted") && text.contains("1 rejected"),
        "{text}"
    );
    assert!(
        text.contains("category 'nonsense' (1 row, first row 2 (line 3))"),
        "{text}"
    );
    assert_eq!(count(&sb.db()), 2);
}

#[test]
fn duplicate_ids_within_a_file() {
    let sb = Sandbox::new();
    let conflicting = "1,2026-11-02 21:15,assault,59.2395,17.8453\n";
    let csv = format!("{HEADER}{}{}{conflicting}", row(1), row(1));
    let f = sb.file("dups.csv", csv.as_bytes());
    let (code, v) = sb.run_json(&[
        "ingest",
        f.to_str().unwrap(),
        "--partner",
        "polisen",
        "--json",
    ]);
    assert_eq!(code, 3);
    assert_eq!(v["accepted"], 1);
    assert_eq!(v["duplicates"], 1);
    assert_eq!(v["rejected"], 1);
    let reason = v["rejections"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("row 1") && reason.contains("category"),
        "{reason}"
    );
}

#[test]
fn whole_file_errors_store_nothing_and_keep_what_was_there() {
    let sb = Sandbox::new();
    let good = sb.file("good.csv", format!("{HEADER}{}", row(1)).as_bytes());
    assert!(
        sb.run(&["ingest", good.to_str().unwrap(), "--partner", "polisen"])
            .status
            .success()
    );
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.csv", vec![], "empty"),
        (
            "nocat.csv",
            b"id,occurred_at,lat,lon\n1,2026-11-20 10:00,59.2,17.8\n".to_vec(),
            "category",
        ),
        (
            "tabs.csv",
            b"id\toccurred_at\tcategory\tlat\tlon\n".to_vec(),
            "delimiter",
        ),
        (
            "line.geojson",
            br#"{"type":"Feature","geometry":null,"properties":{}}"#.to_vec(),
            "FeatureCollection",
        ),
        (
            "broken.geojson",
            b"{\"type\": \"FeatureCollection\", \"features\": [".to_vec(),
            "not valid JSON",
        ),
    ];
    for (name, bytes, needle) in cases {
        let f = sb.file(name, &bytes);
        let out = sb.run(&["ingest", f.to_str().unwrap(), "--partner", "polisen"]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = stderr(&out);
        assert!(
            err.contains(needle) && err.contains("nothing was stored"),
            "{name}: {err}"
        );
    }
    assert_eq!(count(&sb.db()), 1);
}

#[test]
fn header_only_is_not_an_error() {
    let sb = Sandbox::new();
    let f = sb.file("header.csv", HEADER.as_bytes());
    let out = sb.run(&["ingest", f.to_str().unwrap(), "--partner", "polisen"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("no data rows"));
}

#[test]
fn geojson_points_are_read_and_other_geometry_rejected() {
    let sb = Sandbox::new();
    let text = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","id":17,"geometry":{"type":"Point","coordinates":[17.8453,59.2395]},
       "properties":{"occurred_at":"2026-11-20T21:15:00+01:00","category":"graffiti","partner":"bostadsbolaget"}},
      {"type":"Feature","geometry":{"type":"LineString","coordinates":[[17.8,59.2],[17.9,59.3]]},
       "properties":{"id":"x","occurred_at":"2026-11-20T21:15:00+01:00","category":"graffiti","partner":"bostadsbolaget"}}
    ]}"#;
    let f = sb.file("avvikelser.geojson", text.as_bytes());
    let (code, v) = sb.run_json(&["ingest", f.to_str().unwrap(), "--json"]);
    assert_eq!(code, 3, "{v}");
    assert_eq!(v["accepted"], 1);
    assert_eq!(v["rejections"][0]["row"], 2);
    assert!(
        v["rejections"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("not a Point")
    );
}

#[test]
fn sweref_given_as_wgs84_and_swapped_coordinates_are_caught() {
    let sb = Sandbox::new();
    let csv = format!(
        "{HEADER}1,2026-11-20 10:00,theft,6571000,664000\n2,2026-11-20 10:00,theft,17.8453,59.2395\n"
    );
    let f = sb.file("wrong.csv", csv.as_bytes());
    let (_, v) = sb.run_json(&[
        "ingest",
        f.to_str().unwrap(),
        "--partner",
        "polisen",
        "--json",
    ]);
    let reasons: Vec<&str> = v["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert!(reasons[0].contains("SWEREF 99 TM"), "{reasons:?}");
    assert!(reasons[1].contains("swapped"), "{reasons:?}");
    // The same file with real SWEREF columns is accepted.
    let csv = "id;occurred_at;category;easting;northing\n1;2026-11-20 10:00;theft;664000;6571000\n";
    let f = sb.file("sweref.csv", csv.as_bytes());
    let (code, v) = sb.run_json(&[
        "ingest",
        f.to_str().unwrap(),
        "--partner",
        "polisen",
        "--crs",
        "EPSG:3006",
        "--json",
    ]);
    assert_eq!(code, 0, "{v}");
}

#[test]
fn a_custom_region_works_anywhere_in_the_world() {
    let sb = Sandbox::new();
    // Nairobi: outside Sweden, so rejected by default, accepted with a region.
    let csv = format!("{HEADER}1,2026-11-20 10:00,theft,-1.2864,36.8172\n");
    let f = sb.file("nairobi.csv", csv.as_bytes());
    let (code, _) = sb.run_json(&[
        "ingest",
        f.to_str().unwrap(),
        "--partner",
        "polisen",
        "--json",
    ]);
    assert_eq!(code, 3);
    let (code, v) = sb.run_json(&[
        "--region",
        "36.6,-1.5,37.1,-1.1",
        "--timezone",
        "Africa/Nairobi",
        "ingest",
        f.to_str().unwrap(),
        "--partner",
        "polisen",
        "--json",
    ]);
    assert_eq!(code, 0, "{v}");
}

#[test]
fn settings_come_from_flags_env_and_a_toml_file() {
    let sb = Sandbox::new();
    let db_from_file = sb.dir.path().join("from-file.db");
    let config = sb.file(
        "lagesbild.toml",
        format!("db = {:?}\nregion = [36.6, -1.5, 37.1, -1.1]\ntimezone = \"Africa/Nairobi\"\nh3_resolutions = [8]\n", db_from_file)
            .as_bytes(),
    );
    let csv = sb.file(
        "n.csv",
        format!("{HEADER}1,2026-11-20 10:00,theft,-1.2864,36.8172\n").as_bytes(),
    );
    // No --db: the file's db is used; its region admits Nairobi.
    let out = std::process::Command::new(bin())
        .args([
            "--config",
            config.to_str().unwrap(),
            "ingest",
            csv.to_str().unwrap(),
            "--partner",
            "polisen",
            "--json",
        ])
        .env_remove("LAGESBILD_DB")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(count(&db_from_file), 1);
    let store = lagesbild::store::Store::open(&db_from_file).unwrap();
    assert_eq!(
        store.h3_resolutions().unwrap(),
        Some(vec![h3o::Resolution::Eight])
    );
    // The environment wins over the file.
    let env_db = sb.dir.path().join("from-env.db");
    let out = std::process::Command::new(bin())
        .args([
            "--config",
            config.to_str().unwrap(),
            "ingest",
            csv.to_str().unwrap(),
            "--partner",
            "polisen",
        ])
        .env("LAGESBILD_DB", &env_db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(count(&env_db), 1);
    // A bad file is named, with the key at fault.
    let bad = sb.file("bad.toml", b"colour = \"red\"\n");
    let out = sb.run(&["--config", bad.to_str().unwrap(), "areas", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("colour"), "{}", stderr(&out));
}

#[test]
fn version_and_help_work() {
    let sb = Sandbox::new();
    let out = sb.run(&["--version"]);
    assert!(stdout(&out).contains(env!("CARGO_PKG_VERSION")));
    let out = sb.run(&["--help"]);
    assert!(stdout(&out).contains("Examples:"));
    let out = sb.run(&["ingest", "--help"]);
    assert!(stdout(&out).contains("--strict"));
}
