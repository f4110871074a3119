use super::*;

fn opts() -> AreaImportOptions {
    AreaImportOptions {
        layer: "districts".into(),
        id_field: "kod".into(),
        name_field: "namn".into(),
        population_field: Some("folk".into()),
        parent_field: Some("region".into()),
        crs: None,
    }
}

fn fc(features: &str) -> String {
    format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#)
}

const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[17.0,59.0],[17.1,59.0],[17.1,59.1],[17.0,59.1],[17.0,59.0]]]}"#;

fn feature(id: &str, geometry: &str) -> String {
    format!(
        r#"{{"type":"Feature","properties":{{"kod":"{id}","namn":"Namn {id}","folk":1200,"region":"norra"}},"geometry":{geometry}}}"#
    )
}

#[test]
fn reads_polygons_and_properties() {
    let text = fc(&format!(
        "{},{}",
        feature("b", SQUARE),
        feature(
            "a",
            SQUARE
                .replace("17.0", "17.2")
                .replace("17.1", "17.3")
                .as_str()
        )
    ));
    let areas = read_area_layer(text.as_bytes(), &opts()).unwrap();
    assert_eq!(areas.len(), 2);
    assert_eq!(areas[0].id, "a");
    assert_eq!(areas[1].population, Some(1200));
    assert_eq!(areas[1].parent.as_deref(), Some("norra"));
    // Re-oriented to RFC 7946: the exterior ring is counter-clockwise.
    use geo::Winding;
    assert!(areas[0].geometry.0[0].exterior().is_ccw());
}

fn problems(text: &str) -> String {
    match read_area_layer(text.as_bytes(), &opts()) {
        Err(e) => e.to_string(),
        Ok(a) => panic!("expected an error, got {} areas", a.len()),
    }
}

#[test]
fn bad_layers_are_refused_whole_with_reasons() {
    assert!(problems("[]").contains("FeatureCollection"));
    assert!(problems("{").contains("not valid JSON"));
    assert!(problems(&fc("")).contains("no features"));
    let open =
        r#"{"type":"Polygon","coordinates":[[[17.0,59.0],[17.1,59.0],[17.1,59.1],[17.0,59.1]]]}"#;
    assert!(problems(&fc(&feature("a", open))).contains("not closed"));
    let short = r#"{"type":"Polygon","coordinates":[[[17.0,59.0],[17.1,59.0],[17.0,59.0]]]}"#;
    assert!(problems(&fc(&feature("a", short))).contains("at least 4"));
    let point = r#"{"type":"Point","coordinates":[17.0,59.0]}"#;
    assert!(problems(&fc(&feature("a", point))).contains("Point is not supported"));
    let bowtie = r#"{"type":"Polygon","coordinates":[[[17.0,59.0],[17.1,59.1],[17.1,59.0],[17.0,59.1],[17.0,59.0]]]}"#;
    assert!(problems(&fc(&feature("a", bowtie))).contains("invalid geometry"));
    let nan = SQUARE.replace("17.1,59.1", "1e999,59.1");
    assert!(!problems(&fc(&feature("a", &nan))).is_empty());
    let projected = SQUARE.replace("17.0,59.0", "670000,6570000");
    assert!(problems(&fc(&feature("a", &projected))).contains("SWEREF"));
    let dup = fc(&format!(
        "{},{}",
        feature("a", SQUARE),
        feature("a", SQUARE)
    ));
    assert!(problems(&dup).contains("unique"));
    let no_name = fc(&format!(
        r#"{{"type":"Feature","properties":{{"kod":"a"}},"geometry":{SQUARE}}}"#
    ));
    assert!(problems(&no_name).contains("--name-field"));
    let bad_pop = fc(&format!(
        r#"{{"type":"Feature","properties":{{"kod":"a","namn":"A","folk":-3}},"geometry":{SQUARE}}}"#
    ));
    assert!(problems(&bad_pop).contains("whole number"));
    // Every problem is listed, not only the first.
    let two = fc(&format!("{},{}", feature("a", open), feature("b", point)));
    let msg = problems(&two);
    assert!(
        msg.contains("feature 1") && msg.contains("feature 2"),
        "{msg}"
    );
}

#[test]
fn layer_names_are_checked() {
    let mut o = opts();
    o.layer = "Stadsdelar 2026".into();
    assert!(matches!(
        read_area_layer(fc(&feature("a", SQUARE)).as_bytes(), &o),
        Err(AreaError::LayerName(_))
    ));
}

#[test]
fn sweref_layers_are_converted() {
    // A 1 km square near Tumba in SWEREF 99 TM.
    let sq = r#"{"type":"Polygon","coordinates":[[[660000,6564000],[661000,6564000],[661000,6565000],[660000,6565000],[660000,6564000]]]}"#;
    let mut o = opts();
    o.crs = Some(Crs::Sweref99Tm);
    let areas = read_area_layer(fc(&feature("a", sq)).as_bytes(), &o).unwrap();
    let c = areas[0].geometry.0[0].exterior().0[0];
    assert!(
        (17.0..18.5).contains(&c.x) && (59.0..59.5).contains(&c.y),
        "{c:?}"
    );
    // The legacy crs member is honoured too.
    let legacy = format!(
        r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::3006"}}}},"features":[{}]}}"#,
        feature("a", sq)
    );
    assert_eq!(
        read_area_layer(legacy.as_bytes(), &opts()).unwrap().len(),
        1
    );
}
