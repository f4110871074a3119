use super::*;
use crate::config::SWEDEN;
use crate::ingest::RowRules;
use crate::ingest::profile::{ColumnMap, Decimal, Encoding};
use crate::model::{Categories, Partner};
use chrono::{TimeZone, Utc};

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

fn read(bytes: &[u8]) -> Result<(CsvLayout, Vec<RowOutcome>), IngestError> {
    read_with(bytes, &CsvOptions::default())
}

fn read_with(bytes: &[u8], opts: &CsvOptions) -> Result<(CsvLayout, Vec<RowOutcome>), IngestError> {
    let (layout, rows) = read_csv(std::io::Cursor::new(bytes.to_vec()), rules(), opts)?;
    let rows = rows.collect::<Result<Vec<_>, _>>()?;
    Ok((layout, rows))
}

const GOOD: &str = "id,occurred_at,category,lat,lon\n1,2026-11-20 21:15,theft,59.2,17.8\n2,2026-11-21T01:00:00+01:00,assault,59.21,17.81\n";

#[test]
fn plain_comma_file() {
    let (layout, rows) = read(GOOD.as_bytes()).unwrap();
    assert_eq!(layout.delimiter, ',');
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.result.is_ok()));
    assert_eq!(
        rows[1].pos,
        RowPos {
            row: 2,
            line: Some(3)
        }
    );
}

#[test]
fn semicolon_bom_crlf_and_decimal_comma() {
    let text = "\u{feff}ID;Occurred_At;Category;Lat;Lon\r\n1;2026-11-20 21:15;theft;59,2;17,8\r\n";
    let (layout, rows) = read(text.as_bytes()).unwrap();
    assert_eq!(layout.delimiter, ';');
    let inc = rows[0].result.as_ref().unwrap();
    assert_eq!(inc.id, "1");
    assert_eq!(inc.location.lat, 59.2);
}

#[test]
fn quoted_fields_with_newlines_keep_row_and_line_numbers() {
    let text = "id,occurred_at,category,lat,lon,description\n1,2026-11-20 21:15,theft,59.2,17.8,\"two\nlines, and a comma\"\n2,2026-11-20 21:15,theft,59.2,17.8,x\n";
    let (_, rows) = read(text.as_bytes()).unwrap();
    assert_eq!(
        rows[0].result.as_ref().unwrap().description.as_deref(),
        Some("two\nlines, and a comma")
    );
    assert_eq!(
        rows[1].pos,
        RowPos {
            row: 2,
            line: Some(4)
        }
    );
}

#[test]
fn empty_file_and_header_only() {
    assert!(matches!(read(b""), Err(IngestError::Empty)));
    assert!(matches!(read(b"\n\n"), Err(IngestError::Empty)));
    let (_, rows) = read(b"id,occurred_at,category,lat,lon\n").unwrap();
    assert!(rows.is_empty());
}

#[test]
fn missing_columns_and_wrong_delimiter_are_explained() {
    let Err(IngestError::Header(msg)) =
        read(b"id,occurred_at,lat,lon\n1,2026-11-20 21:15,59.2,17.8\n")
    else {
        panic!("expected a header error")
    };
    assert!(msg.contains("category"), "{msg}");
    let Err(IngestError::Header(msg)) =
        read(b"id\toccurred_at\tcategory\tlat\tlon\n1\t2026-11-20 21:15\ttheft\t59.2\t17.8\n")
    else {
        panic!("expected a header error")
    };
    assert!(msg.contains("delimiter"), "{msg}");
    let Err(IngestError::Header(msg)) = read(b"id|occurred_at|category|lat|lon\n") else {
        panic!("expected a header error")
    };
    assert!(msg.contains("single column"), "{msg}");
}

#[test]
fn extra_columns_are_ignored_and_reported() {
    let (layout, rows) =
        read(b"id,occurred_at,category,lat,lon,extra,x\n1,2026-11-20 21:15,theft,59.2,17.8,a,b\n")
            .unwrap();
    assert_eq!(
        layout.ignored_columns,
        vec!["extra".to_string(), "x".to_string()]
    );
    assert!(rows[0].result.is_ok());
}

#[test]
fn short_rows_and_bad_numbers_are_rejected_by_field() {
    let (_, rows) = read(b"id,occurred_at,category,lat,lon\n1,2026-11-20 21:15,theft,59.2\n2,2026-11-20 21:15,theft,abc,17.8\n3,2026-11-20 21:15,theft,NaN,17.8\n").unwrap();
    let fields: Vec<_> = rows
        .iter()
        .map(|r| r.result.as_ref().unwrap_err().field.clone().unwrap())
        .collect();
    assert_eq!(fields, ["lon", "lat", "lat"]);
}

#[test]
fn invalid_utf8_past_the_start_rejects_the_row_only() {
    let mut bytes = b"id,occurred_at,category,lat,lon,description\n".to_vec();
    let good = b"1,2026-11-20 21:15,theft,59.2,17.8,ok\n";
    while bytes.len() <= SNIFF_BYTES {
        bytes.extend_from_slice(good);
    }
    let before = bytes.len();
    bytes.extend_from_slice(b"2,2026-11-20 21:15,theft,59.2,17.8,caf");
    bytes.extend_from_slice(&[0xE9, b'\n']); // Latin-1 é
    bytes.extend_from_slice(b"3,2026-11-20 21:15,theft,59.2,17.8,ok\n");
    assert!(before > SNIFF_BYTES);
    let (_, rows) = read(&bytes).unwrap();
    let n = rows.len();
    let rej = rows[n - 2].result.as_ref().unwrap_err();
    assert_eq!(rej.field.as_deref(), Some("description"));
    assert!(rej.reason.contains("UTF-8"), "{}", rej.reason);
    assert!(rej.reason.contains("--encoding latin1"), "{}", rej.reason);
    assert!(rows[n - 1].result.is_ok());
}

#[test]
fn latin1_is_detected_and_read_when_asked() {
    // "Händelsenummer;Tidpunkt;Brottstyp;Latitud;Longitud" and "Stöld" in Windows-1252.
    let mut bytes =
        b"H\xe4ndelsenummer;Tidpunkt;Brottstyp;Latitud;Longitud;Beskrivning\r\n".to_vec();
    bytes.extend_from_slice(b"P-1;2026-11-20 21.15;theft;59,2;17,8;St\xf6ld \x96 cykel \x80\r\n");
    let e = read(&bytes).unwrap_err();
    assert!(matches!(e, IngestError::Latin1), "{e}");
    assert!(e.to_string().contains("--encoding latin1"));
    let opts = CsvOptions {
        encoding: Encoding::Latin1,
        ..CsvOptions::default()
    };
    let (layout, rows) = read_with(&bytes, &opts).unwrap();
    assert_eq!(layout.mapping[0].column, "Händelsenummer");
    let inc = rows[0].result.as_ref().unwrap();
    assert_eq!(inc.description.as_deref(), Some("Stöld – cykel €"));
    assert_eq!(inc.location.lat, 59.2);
}

#[test]
fn crlf_files_number_rows_by_their_real_lines() {
    let text = "id;occurred_at;category;lat;lon\r\n1;2026-11-20 21:15;theft;59,2;17,8\r\n\r\n2;2026-11-20 21:15;nope;59,2;17,8\r\n3;2026-11-20 21:15;theft;59,2;\"17,8\"\r\n";
    let (_, rows) = read(text.as_bytes()).unwrap();
    assert_eq!(rows.len(), 3);
    let lines: Vec<_> = rows.iter().map(|r| r.pos.line).collect();
    assert_eq!(lines, [Some(2), Some(4), Some(5)]);
    assert!(rows[2].result.is_ok(), "{:?}", rows[2].result);
    // The same file with LF gives the same lines.
    let (_, lf) = read(text.replace("\r\n", "\n").as_bytes()).unwrap();
    let lf_lines: Vec<_> = lf.iter().map(|r| r.pos.line).collect();
    assert_eq!(lines, lf_lines);
}

#[test]
fn utf16_without_a_bom_is_refused_too() {
    let text: Vec<u8> = "id;occurred_at\r\n1;2\r\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert!(matches!(read(&text), Err(IngestError::Utf16)));
}

#[test]
fn x_y_columns_read_either_order_and_degrees() {
    let text = "Händelsenummer;Tidpunkt;Brottstyp;X;Y\n1;2026-11-20 21:15;theft;6571000;664000\n2;2026-11-20 21:15;theft;664000;6571000\n3;2026-11-20 21:15;theft;17,8;59,2\n4;2026-11-20 21:15;theft;6 571 000,5;664 000\n";
    let (layout, rows) = read(text.as_bytes()).unwrap();
    let a = rows[0].result.as_ref().unwrap().location;
    let b = rows[1].result.as_ref().unwrap().location;
    assert_eq!(a, b);
    assert!((a.lat - 59.26).abs() < 0.05, "{a:?}");
    assert_eq!(rows[2].result.as_ref().unwrap().location.lat, 59.2);
    assert!(rows[3].result.is_ok(), "{:?}", rows[3].result);
    let fields: Vec<_> = layout.mapping.iter().map(|m| m.field).collect();
    assert_eq!(
        fields,
        ["id", "occurred_at", "category", "easting", "northing"]
    );
}

#[test]
fn a_profile_with_date_clock_and_decimal_comma() {
    let text = "Nr;Dag;Kl;Rubricering;N;E\n7;20/11/2026;2115;theft;6.571.000,5;664.000\n8;20/11/2026;25:00;theft;6.571.000;664.000\n";
    let opts = CsvOptions {
        map: Some((
            "p".into(),
            ColumnMap::parse("id=Nr,occurred_at=Dag+Kl,category=Rubricering").unwrap(),
        )),
        decimal: Decimal::Comma,
        encoding: Encoding::Utf8,
    };
    let mut r = rules();
    r.date_format = Some("%d/%m/%Y".into());
    let (_, rows) = read_csv(std::io::Cursor::new(text.as_bytes().to_vec()), r, &opts).unwrap();
    let rows: Vec<_> = rows.collect::<Result<_, _>>().unwrap();
    let inc = rows[0].result.as_ref().unwrap();
    assert_eq!(
        inc.occurred_at,
        Utc.with_ymd_and_hms(2026, 11, 20, 20, 15, 0).unwrap()
    );
    let rej = rows[1].result.as_ref().unwrap_err();
    assert_eq!(rej.field.as_deref(), Some("occurred_at"));
    assert!(rej.reason.contains("time of day"), "{}", rej.reason);
    // The profile names a column the file lacks: nothing is read.
    let opts = CsvOptions {
        map: Some(("p".into(), ColumnMap::parse("id=Diarienummer").unwrap())),
        ..CsvOptions::default()
    };
    let e = read_with(text.as_bytes(), &opts).unwrap_err();
    assert!(e.to_string().contains("Diarienummer"), "{e}");
}

#[test]
fn utf16_is_refused_with_advice() {
    let bytes = [0xFF, 0xFE, b'i', 0, b'd', 0, b'\n', 0];
    assert!(matches!(read(&bytes), Err(IngestError::Utf16)));
}

#[test]
fn easting_northing_columns_mean_sweref() {
    let (_, rows) = read(
        b"id,occurred_at,category,easting,northing\n1,2026-11-20 21:15,theft,664000,6571000\n",
    )
    .unwrap();
    let inc = rows[0].result.as_ref().unwrap();
    assert!(
        (inc.location.lat - 59.26).abs() < 0.05,
        "{:?}",
        inc.location
    );
    let mut r = rules();
    r.crs = Some(Crs::Sweref99Tm);
    let err = read_csv(
        std::io::Cursor::new(GOOD.as_bytes().to_vec()),
        r,
        &CsvOptions::default(),
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("easting,northing"), "{err}");
}

#[test]
fn a_runaway_record_stops_with_its_position() {
    // An unclosed quote swallows everything after it: the guard stops at the limit.
    let mut bytes =
        b"id,occurred_at,category,lat,lon\n1,2026-11-20 21:15,theft,59.2,17.8\n2,\"".to_vec();
    bytes.extend(std::iter::repeat_n(b'a', MAX_RECORD_BYTES + 10));
    let (_, rows) = read_csv(std::io::Cursor::new(bytes), rules(), &CsvOptions::default()).unwrap();
    let all: Vec<_> = rows.collect();
    assert!(all[0].is_ok());
    match all.last() {
        Some(Err(IngestError::RecordTooLong { pos, .. })) => assert_eq!(pos.row, 2),
        other => panic!("expected RecordTooLong, got {other:?}"),
    }
    // A first line with no newline at all.
    let bytes = vec![b'x'; MAX_RECORD_BYTES + 1];
    assert!(matches!(
        read_csv(std::io::Cursor::new(bytes), rules(), &CsvOptions::default()).err(),
        Some(IngestError::RecordTooLong { .. })
    ));
}

#[test]
fn sniffing_ignores_delimiters_inside_quotes() {
    assert_eq!(sniff_delimiter(b"\"a;b;c\",d,e"), b',');
    assert_eq!(sniff_delimiter(b"a;b;c"), b';');
    assert_eq!(sniff_delimiter(b"a"), b',');
}

#[test]
fn geojson_size_and_nesting_limits_hold() {
    use crate::ingest::geojson::read_geojson_limited;
    let doc = br#"{"type":"FeatureCollection","features":[]}"#;
    assert!(read_geojson_limited(&doc[..], rules(), doc.len() as u64).is_ok());
    assert!(matches!(
        read_geojson_limited(&doc[..], rules(), doc.len() as u64 - 1),
        Err(IngestError::TooLarge { .. })
    ));
    // Hostile nesting is a clear error, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let err = read_geojson_limited(deep.as_bytes(), rules(), 1 << 20).unwrap_err();
    assert!(err.to_string().contains("not valid JSON"), "{err}");
}
