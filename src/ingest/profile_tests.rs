use super::*;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn mapped(r: &Resolved) -> Vec<(String, String, String)> {
    r.mapping
        .iter()
        .map(|m| (m.field.to_owned(), m.column.clone(), m.how.to_owned()))
        .collect()
}

#[test]
fn swedish_police_headers_are_recognised() {
    let h = names(&[
        "Händelsenummer",
        "Tidpunkt",
        "Brottstyp",
        "Latitud",
        "Longitud",
    ]);
    let r = resolve(&h, None).unwrap();
    assert_eq!(r.id, Some(0));
    assert_eq!(r.occurred_at, Some(TimeColumns::One(1)));
    assert_eq!(r.category, Some(2));
    assert_eq!((r.lat, r.lon), (Some(3), Some(4)));
    assert_eq!(
        mapped(&r)[0],
        ("id".into(), "Händelsenummer".into(), "recognised".into())
    );
}

#[test]
fn our_own_names_are_exact_and_diacritics_and_case_fold() {
    let r = resolve(&names(&["id", "HANDELSE-NUMMER"]), None).unwrap();
    assert_eq!(r.id, Some(0));
    assert_eq!(r.mapping[0].how, "exact");
    let r = resolve(&names(&["HANDELSE-NUMMER"]), None).unwrap();
    assert_eq!(r.id, Some(0));
    assert_eq!(r.mapping[0].how, "recognised");
}

#[test]
fn date_and_clock_columns_make_one_time() {
    let h = names(&[
        "Ärendenummer",
        "Datum",
        "Klockslag",
        "Avvikelsetyp",
        "X",
        "Y",
    ]);
    let r = resolve(&h, None).unwrap();
    assert_eq!(r.occurred_at, Some(TimeColumns::DateAndClock(1, 2)));
    assert!(r.xy_by_size);
    assert_eq!((r.easting, r.northing), (Some(4), Some(5)));
    assert!(mapped(&r).contains(&(
        "occurred_at".into(),
        "Datum+Klockslag".into(),
        "recognised".into()
    )));
    // Datum next to Tidpunkt: Tidpunkt is the time of day.
    let r = resolve(&names(&["Datum", "Tidpunkt"]), None).unwrap();
    assert_eq!(r.occurred_at, Some(TimeColumns::DateAndClock(0, 1)));
}

#[test]
fn the_first_alias_wins_and_the_rest_are_left() {
    let r = resolve(&names(&["Brottskod", "Brottstyp"]), None).unwrap();
    assert_eq!(r.category, Some(1));
}

#[test]
fn a_profile_names_columns_and_the_rest_is_recognised() {
    let map = ColumnMap::parse("id=Nr, occurred_at=Dag+Kl ,category=Rubricering").unwrap();
    let h = names(&[
        "Nr",
        "Dag",
        "Kl",
        "Rubricering",
        "Latitud",
        "Longitud",
        "Händelsenummer",
    ]);
    let r = resolve(&h, Some(("polis", &map))).unwrap();
    assert_eq!(r.id, Some(0));
    assert_eq!(r.occurred_at, Some(TimeColumns::DateAndClock(1, 2)));
    assert_eq!(r.category, Some(3));
    assert_eq!((r.lat, r.lon), (Some(4), Some(5)));
    let m = mapped(&r);
    assert!(
        m.contains(&("id".into(), "Nr".into(), "profile".into())),
        "{m:?}"
    );
    assert!(m.contains(&("lat".into(), "Latitud".into(), "recognised".into())));
    // A column name that holds `+` is matched whole.
    let map = ColumnMap::parse("occurred_at=Datum+tid").unwrap();
    let r = resolve(&names(&["Datum+tid"]), Some(("p", &map))).unwrap();
    assert_eq!(r.occurred_at, Some(TimeColumns::One(0)));
}

#[test]
fn a_profile_naming_a_missing_column_is_refused_with_the_columns_listed() {
    let map = ColumnMap::parse("id=Diarienr").unwrap();
    let e = resolve(&names(&["Nr", "Tid"]), Some(("polis", &map))).unwrap_err();
    assert!(e.contains("\"Diarienr\""), "{e}");
    assert!(e.contains("\"Nr\", \"Tid\""), "{e}");
    assert!(e.contains("lagesbild profile add polis"), "{e}");
    let map = ColumnMap::parse("occurred_at=Datum+Klockslag").unwrap();
    let e = resolve(&names(&["Datum"]), Some(("p", &map))).unwrap_err();
    assert!(e.contains("\"Klockslag\""), "{e}");
    // Two columns only for time fields.
    let map = ColumnMap::parse("id=A+B").unwrap();
    assert!(resolve(&names(&["A", "B"]), Some(("p", &map))).is_err());
}

#[test]
fn malformed_mappings_are_refused() {
    let e = ColumnMap::parse("id=A,id=B").unwrap_err();
    assert!(e.contains("mapped twice"), "{e}");
    let e = ColumnMap::parse("ident=A").unwrap_err();
    assert!(
        e.contains("not a field") && e.contains("occurred_at"),
        "{e}"
    );
    assert!(ColumnMap::parse("id").unwrap_err().contains("field=Column"));
    assert!(ColumnMap::parse("id=").unwrap_err().contains("empty"));
    assert!(ColumnMap::parse(" , ").unwrap_err().contains("empty"));
    let long = format!("id={}", "x".repeat(10_000));
    assert!(ColumnMap::parse(&long).is_ok());
}

#[test]
fn mapping_round_trips_through_text_and_json() {
    let map = ColumnMap::parse("id=Händelsenummer, occurred_at=Datum+Klockslag").unwrap();
    assert_eq!(
        map.to_string(),
        "id=Händelsenummer,occurred_at=Datum+Klockslag"
    );
    let p = ImportProfile {
        name: "polisen-vecka".into(),
        partner: "polisen".into(),
        map,
        date_format: Some("%d/%m/%Y".into()),
        decimal: Decimal::Comma,
        crs: Some(Crs::Sweref99Tm),
        encoding: Encoding::Latin1,
    };
    let json = serde_json::to_string(&p).unwrap();
    let back: ImportProfile = serde_json::from_str(&json).unwrap();
    assert_eq!(back, p);
    assert!(
        serde_json::from_str::<ImportProfile>(r#"{"name":"a","partner":"p","map":"id=A,id=B"}"#)
            .is_err()
    );
}

#[test]
fn profile_names_and_date_formats_are_checked() {
    let mut p = ImportProfile {
        name: "Polisen vecka".into(),
        partner: "polisen".into(),
        map: ColumnMap::parse("id=A").unwrap(),
        date_format: None,
        decimal: Decimal::Auto,
        crs: None,
        encoding: Encoding::Utf8,
    };
    assert!(p.validate().unwrap_err().contains("lower-case"));
    p.name = "x".repeat(65);
    assert!(p.validate().is_err());
    p.name = "polisen".into();
    assert!(p.validate().is_ok());
    p.date_format = Some("%H:%M".into());
    assert!(p.validate().unwrap_err().contains("year, month or day"));
    p.date_format = Some("%d/%m/%Y %Q".into());
    assert!(p.validate().unwrap_err().contains("strftime"));
    p.date_format = Some("%d.%m.%Y %H:%M".into());
    assert!(p.validate().is_ok());
}

#[test]
fn decimal_and_encoding_names_parse() {
    assert_eq!(Decimal::parse("komma"), Some(Decimal::Comma));
    assert_eq!(Decimal::parse("x"), None);
    assert_eq!(Encoding::parse("ISO-8859-1"), Some(Encoding::Latin1));
    assert_eq!(Encoding::parse("UTF-8"), Some(Encoding::Utf8));
    assert_eq!(Encoding::parse("utf16"), None);
}

#[test]
fn mapping_pairs_and_files_parse_with_errors_by_line() {
    let pairs =
        parse_mapping_pairs(&["Bedrägeri via internet=fraud".into(), "a=b=theft".into()]).unwrap();
    assert_eq!(pairs[0], ("Bedrägeri via internet".into(), "fraud".into()));
    assert_eq!(pairs[1], ("a=b".into(), "theft".into()));
    assert!(
        parse_mapping_pairs(&["Bedrägeri".into()])
            .unwrap_err()
            .contains("Value=code")
    );
    let file =
        "\u{feff}Värde;Kategori\r\n0901;fraud\r\n\r\n\"Olaga hot; grovt\";unlawful_threat\r\n";
    let m = read_mapping_file(file.as_bytes()).unwrap();
    assert_eq!(
        m,
        [
            ("0901".to_owned(), "fraud".to_owned()),
            ("Olaga hot; grovt".to_owned(), "unlawful_threat".to_owned())
        ]
    );
    let m = read_mapping_file(b"value,category\n0901,fraud\n").unwrap();
    assert_eq!(m.len(), 1);
    let e = read_mapping_file(b"0901;fraud\n0902\n").unwrap_err();
    assert!(e.starts_with("line 2"), "{e}");
    assert!(
        read_mapping_file(b"0901;fraud;x\n")
            .unwrap_err()
            .contains("two columns")
    );
    assert!(
        read_mapping_file(b"Bedr\xe4geri;fraud\n")
            .unwrap_err()
            .contains("UTF-8")
    );
    assert_eq!(
        crate::ingest::category_key("  Bedrägeri   VIA internet "),
        "bedrägeri via internet"
    );
}
