//! CSV exports of the reports that open correctly in Swedish Excel: UTF-8 with a byte-order
//! mark (so Excel does not read it as Windows-1252), `;` as separator (Excel in Swedish uses
//! `,` as decimal sign and so expects `;`), CRLF line ends, and optionally a decimal comma.
//!
//! One file per report, one table: every row names its `section`, so the file sorts and
//! filters in a spreadsheet. Suppressed counts are empty cells. The header is
//! [`HEADER`]; the last rows (`section = parameters`) hold the parameters and data version.

use super::figures::Breakdown;
use super::tertial::TertialReport;
use super::week::{HexRow, ReportParameters, WeekReport};
use super::{Figure, HourWeekday, Lang, ReportError};

/// The UTF-8 byte-order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The columns.
pub const HEADER: [&str; 20] = [
    "section",
    "kind",
    "code",
    "label",
    "rank",
    "count",
    "previous",
    "baseline_mean",
    "last_year",
    "change_vs_previous",
    "change_vs_baseline",
    "change_vs_last_year",
    "rise_p",
    "rise",
    "harm",
    "rate_per_1000",
    "gi_z",
    "gi_bin",
    "score",
    "note",
];

/// How numbers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    /// `,` instead of `.` as the decimal sign (Swedish Excel).
    pub decimal_comma: bool,
    /// Language of the labels.
    pub lang: Lang,
}

struct Rows {
    w: csv::Writer<Vec<u8>>,
    opts: CsvOptions,
}

#[derive(Default)]
struct Row<'a> {
    section: &'a str,
    kind: &'a str,
    code: &'a str,
    label: &'a str,
    rank: Option<usize>,
    figure: Option<&'a Figure>,
    gi_z: Option<f64>,
    gi_bin: Option<i8>,
    score: Option<f64>,
    note: &'a str,
}

impl Rows {
    fn new(opts: CsvOptions) -> Result<Rows, ReportError> {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .from_writer(BOM.to_vec());
        w.write_record(HEADER).map_err(out)?;
        Ok(Rows { w, opts })
    }

    fn num(&self, v: Option<f64>) -> String {
        match v {
            None => String::new(),
            Some(x) => {
                // Shortest text that reads back to the same f64.
                let s = format!("{x}");
                if self.opts.decimal_comma {
                    s.replace('.', ",")
                } else {
                    s
                }
            }
        }
    }

    fn row(&mut self, r: Row<'_>) -> Result<(), ReportError> {
        let f = r.figure;
        let g = |get: fn(&Figure) -> Option<f64>| f.and_then(get);
        let rec = [
            r.section.to_owned(),
            r.kind.to_owned(),
            r.code.to_owned(),
            r.label.to_owned(),
            r.rank.map_or_else(String::new, |n| n.to_string()),
            self.num(g(|f| f.count)),
            self.num(g(|f| f.previous)),
            self.num(g(|f| f.baseline_mean)),
            self.num(g(|f| f.last_year)),
            self.num(g(|f| f.change_vs_previous)),
            self.num(g(|f| f.change_vs_baseline)),
            self.num(g(|f| f.change_vs_last_year)),
            self.num(g(|f| f.rise_p)),
            f.and_then(|f| f.rise)
                .map_or_else(String::new, |b| b.to_string()),
            self.num(g(|f| f.harm)),
            self.num(g(|f| f.rate_per_1000)),
            self.num(r.gi_z),
            r.gi_bin.map_or_else(String::new, |b| b.to_string()),
            self.num(r.score),
            r.note.to_owned(),
        ];
        self.w.write_record(rec).map_err(out)
    }

    fn breakdown(&mut self, b: &Breakdown) -> Result<(), ReportError> {
        let lang = self.opts.lang;
        self.row(Row {
            section: "totals",
            kind: "all",
            code: "all",
            label: lang.pick("Alla händelser", "All incidents"),
            figure: Some(&b.all),
            ..Row::default()
        })?;
        for (kind, rows) in [
            ("group", &b.by_group),
            ("category", &b.by_category),
            ("partner", &b.by_partner),
        ] {
            for r in rows {
                self.row(Row {
                    section: "totals",
                    kind,
                    code: &r.code,
                    label: lang.pick(&r.label_sv, &r.label_en),
                    figure: Some(&r.figure),
                    ..Row::default()
                })?;
            }
        }
        Ok(())
    }

    fn hexes(&mut self, section: &str, rows: &[HexRow]) -> Result<(), ReportError> {
        let lang = self.opts.lang;
        for h in rows {
            let class = h.emerging.map(|e| match lang {
                Lang::Sv => e.label_sv(),
                Lang::En => e.label_en(),
            });
            self.row(Row {
                section,
                kind: "hex",
                code: &h.cell,
                label: class.unwrap_or(""),
                rank: Some(h.rank),
                figure: Some(&h.figure),
                gi_z: h.gi_z,
                gi_bin: Some(h.gi_bin),
                ..Row::default()
            })?;
        }
        Ok(())
    }

    fn hour_weekday(&mut self, h: &HourWeekday) -> Result<(), ReportError> {
        let days = [
            "1-mon", "2-tue", "3-wed", "4-thu", "5-fri", "6-sat", "7-sun",
        ];
        for (d, row) in h.cells.iter().enumerate() {
            for (hour, v) in row.iter().enumerate() {
                let f = Figure {
                    count: *v,
                    ..Figure::default()
                };
                let hour = format!("{hour:02}");
                self.row(Row {
                    section: "hour_weekday",
                    kind: "bin",
                    code: days[d],
                    label: &hour,
                    figure: Some(&f),
                    ..Row::default()
                })?;
            }
        }
        Ok(())
    }

    fn parameters(&mut self, p: &ReportParameters) -> Result<(), ReportError> {
        let value = serde_json::to_value(p).map_err(|e| ReportError::Output(e.to_string()))?;
        if let serde_json::Value::Object(map) = value {
            for (k, v) in map {
                let text = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                self.row(Row {
                    section: "parameters",
                    kind: "parameter",
                    code: &k,
                    note: &text,
                    ..Row::default()
                })?;
            }
        }
        Ok(())
    }

    fn synthetic(&mut self, sources: &[String]) -> Result<(), ReportError> {
        for s in sources {
            self.row(Row {
                section: "data",
                kind: "synthetic",
                code: "synthetic",
                label: "SYNTHETIC demo data, not real reports",
                note: s,
                ..Row::default()
            })?;
        }
        Ok(())
    }

    fn finish(self) -> Result<Vec<u8>, ReportError> {
        self.w
            .into_inner()
            .map_err(|e| ReportError::Output(e.to_string()))
    }
}

fn out(e: csv::Error) -> ReportError {
    ReportError::Output(e.to_string())
}

/// The weekly report as CSV.
pub fn week(r: &WeekReport, opts: CsvOptions) -> Result<Vec<u8>, ReportError> {
    let mut w = Rows::new(opts)?;
    w.synthetic(&r.synthetic_data)?;
    w.breakdown(&r.totals)?;
    for i in &r.rises.items {
        let q = format!("q={}", w.num(Some(i.q_value)));
        w.row(Row {
            section: "rises",
            kind: i.kind,
            code: &i.code,
            label: opts.lang.pick(&i.label_sv, &i.label_en),
            figure: Some(&i.figure),
            note: &q,
            ..Row::default()
        })?;
    }
    for a in &r.top_areas {
        w.row(Row {
            section: "top_areas",
            kind: "area",
            code: &a.id,
            label: &a.name,
            rank: Some(a.rank),
            figure: Some(&a.figure),
            gi_z: a.gi_z,
            gi_bin: Some(a.gi_bin),
            ..Row::default()
        })?;
    }
    w.hexes("top_hexes", &r.top_hexes)?;
    w.hexes("emerging_new", &r.emerging.new)?;
    w.hexes("emerging_intensifying", &r.emerging.intensifying)?;
    for a in &r.interventions {
        let s = &a.intervention.spec;
        let note = format!("{}..{} {}", s.start, s.end, s.description);
        let id = a.intervention.id.to_string();
        w.row(Row {
            section: "interventions",
            kind: s.kind.as_str(),
            code: &id,
            label: &a.place,
            note: &note,
            ..Row::default()
        })?;
    }
    w.hour_weekday(&r.hour_weekday)?;
    w.parameters(&r.parameters)?;
    w.finish()
}

/// The tertial analysis as CSV.
pub fn tertial(r: &TertialReport, opts: CsvOptions) -> Result<Vec<u8>, ReportError> {
    let mut w = Rows::new(opts)?;
    w.synthetic(&r.synthetic_data)?;
    w.breakdown(&r.totals)?;
    for a in &r.areas {
        let note = match &a.mann_kendall {
            Some(m) => format!(
                "mann_kendall z={} p={} slope={}",
                w.num(Some(m.z)),
                w.num(Some(m.p)),
                w.num(Some(m.slope))
            ),
            None => String::new(),
        };
        w.row(Row {
            section: "areas",
            kind: "area",
            code: &a.area.id,
            label: &a.area.name,
            rank: Some(a.area.rank),
            figure: Some(&a.area.figure),
            gi_z: a.area.gi_z,
            gi_bin: Some(a.area.gi_bin),
            note: &note,
            ..Row::default()
        })?;
    }
    for i in &r.priority.items {
        let c = &i.components;
        let note = format!(
            "harm={} trend={} significance={} population={}",
            w.num(Some(c.harm)),
            w.num(Some(c.trend)),
            w.num(Some(c.significance)),
            w.num(Some(c.population))
        );
        w.row(Row {
            section: "priority",
            kind: "area",
            code: &i.id,
            label: &i.name,
            rank: Some(i.rank),
            score: Some(i.score),
            note: &note,
            ..Row::default()
        })?;
    }
    w.hexes("emerging_new", &r.emerging.new)?;
    w.hexes("emerging_intensifying", &r.emerging.intensifying)?;
    for p in &r.weekly_totals {
        let f = Figure {
            count: p.count,
            ..Figure::default()
        };
        w.row(Row {
            section: "weekly",
            kind: "week",
            code: &p.week,
            figure: Some(&f),
            ..Row::default()
        })?;
    }
    for e in &r.followup {
        let a = &e.intervention;
        let id = a.intervention.id.to_string();
        match &e.followup {
            Some(f) => {
                for (zone, z) in [
                    ("target", &f.target),
                    ("buffer", &f.buffer),
                    ("control", &f.control),
                ] {
                    // previous = the before window, count = the after window.
                    let fig = Figure {
                        count: Some(z.after as f64),
                        previous: Some(z.before as f64),
                        change_vs_previous: Some(z.after as f64 - z.before as f64),
                        ..Figure::default()
                    };
                    let note = format!(
                        "before {}..{}, after {}..{}; relative change {}; WDQ {}",
                        f.before.first_day,
                        f.before.last_day,
                        f.after.first_day,
                        f.after.last_day,
                        w.num(f.relative_change.estimate),
                        w.num(f.displacement.wdq)
                    );
                    w.row(Row {
                        section: "followup",
                        kind: zone,
                        code: &id,
                        label: &a.place,
                        figure: Some(&fig),
                        note: &note,
                        ..Row::default()
                    })?;
                }
            }
            None => {
                w.row(Row {
                    section: "followup",
                    kind: "none",
                    code: &id,
                    label: &a.place,
                    note: e.note.as_deref().unwrap_or(""),
                    ..Row::default()
                })?;
            }
        }
    }
    w.hour_weekday(&r.hour_weekday)?;
    w.parameters(&r.parameters)?;
    w.finish()
}
