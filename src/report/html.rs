//! Printable HTML of the reports: one self-contained page (inline CSS and SVG, no scripts,
//! no external requests), laid out for A4 with print CSS, in Swedish (default) or English.
//!
//! Numbers follow the language: decimal comma in Swedish. A suppressed count prints as
//! "–" with a footnote. Every section has a stable `id` and a numbered heading, which the
//! PDF test looks for.

use std::fmt::Write as _;

use super::figures::{Breakdown, BreakdownRow};
use super::interventions::{ActiveIntervention, EndedIntervention};
use super::map_svg::{self, xml_escape};
use super::tertial::TertialReport;
use super::week::{AreaRow, EmergingSummary, HexRow, ReportParameters, WeekReport};
use super::{Figure, HourWeekday, Lang};
use crate::analysis::emerging::EmergingClass;

/// Section headings of the weekly report, `(id, Swedish, English)`, in order.
pub const WEEK_SECTIONS: [(&str, &str, &str); 10] = [
    ("totals", "Totaler", "Totals"),
    ("rises", "Signifikanta ökningar", "Significant rises"),
    (
        "top-areas",
        "Områden med högst skadepoäng",
        "Top areas by harm",
    ),
    (
        "top-hexes",
        "Hexagoner med högst skadepoäng",
        "Top hexes by harm",
    ),
    (
        "emerging",
        "Nya och intensifierande hotspots",
        "New and intensifying hotspots",
    ),
    ("hour-weekday", "Veckodag och timme", "Hour by weekday"),
    ("map", "Karta", "Map"),
    ("interventions", "Aktiva insatser", "Active interventions"),
    ("notes", "Mötesanteckningar", "Meeting notes"),
    ("method", "Metod och parametrar", "Method and parameters"),
];

/// Section headings of the tertial analysis, `(id, Swedish, English)`, in order.
pub const TERTIAL_SECTIONS: [(&str, &str, &str); 11] = [
    ("totals", "Totaler", "Totals"),
    (
        "areas",
        "Områden: jämförelse och trend",
        "Areas: comparison and trend",
    ),
    ("priority", "Prioriterade områden", "Prioritised areas"),
    ("emerging", "Framväxande hotspots", "Emerging hotspots"),
    ("weekly", "Vecka för vecka", "Week by week"),
    ("hour-weekday", "Veckodag och timme", "Hour by weekday"),
    (
        "near-repeat",
        "Upprepning nära i tid och rum (near repeat)",
        "Near repeats",
    ),
    (
        "followup",
        "Uppföljning av avslutade insatser",
        "Follow-up of ended interventions",
    ),
    ("notes", "Mötesanteckningar", "Meeting notes"),
    ("rises-note", "Om slumpmässiga utslag", "On chance findings"),
    ("method", "Metod och parametrar", "Method and parameters"),
];

const CSS: &str = r#"
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10pt; color: #111; margin: 0 auto; max-width: 190mm; line-height: 1.35; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; border-bottom: 1px solid #999; break-after: avoid; }
h3 { font-size: 11pt; margin: 3mm 0 1mm; break-after: avoid; }
p { margin: 1mm 0 2mm; }
.meta { color: #444; font-size: 9pt; }
.synthetic { border: 2px solid #b2182b; color: #b2182b; padding: 2mm; font-weight: bold; margin: 2mm 0; }
.in-progress { border: 2px solid #e0b400; background: #fff3bf; color: #5c3c00; padding: 2mm; font-weight: bold; margin: 2mm 0; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm; font-size: 8.5pt; }
th, td { border-bottom: 1px solid #ddd; padding: 0.6mm 1.2mm; text-align: right; vertical-align: top; }
th { background: #f2f2f2; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
tr { break-inside: avoid; }
.up { color: #b2182b; }
.down { color: #2166ac; }
.note { font-size: 8.5pt; color: #333; }
.absent { font-style: italic; color: #666; }
.hw td { padding: 0; width: 3.6%; height: 4.2mm; font-size: 6.5pt; text-align: center; border: 1px solid #fff; }
.hw th { font-size: 7pt; padding: 0; text-align: center; }
.map svg { width: 100%; height: auto; max-height: 150mm; border: 1px solid #ccc; }
.legend span { display: inline-block; margin-right: 3mm; font-size: 8pt; }
.legend i { display: inline-block; width: 3mm; height: 3mm; margin-right: 1mm; border: 1px solid #999; vertical-align: middle; }
@media print { .meeting-link { display: none; } }
.notes { white-space: pre-wrap; border: 1px solid #ccc; padding: 2mm; min-height: 20mm; }
.formula { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; background: #f7f7f7; padding: 2mm; }
section { break-inside: auto; }
section.keep { break-inside: avoid; }
@media screen { body { padding: 8mm; } }
"#;

pub(crate) fn esc(s: &str) -> String {
    xml_escape(s)
}

/// A number in the language's style: whole numbers without decimals, others with
/// `decimals`; decimal comma in Swedish; `–` for a suppressed value.
pub fn num(v: Option<f64>, decimals: usize, lang: Lang) -> String {
    match v {
        None => "–".into(),
        Some(x) => {
            let s = if (x - x.round()).abs() < 1e-9 && decimals <= 1 {
                format!("{:.0}", x.round())
            } else {
                format!("{x:.decimals$}")
            };
            let s = if s == "-0" { "0".into() } else { s };
            match lang {
                Lang::Sv => s.replace('.', ",").replace('-', "−"),
                Lang::En => s.replace('-', "−"),
            }
        }
    }
}

fn signed(v: Option<f64>, lang: Lang) -> String {
    match v {
        Some(x) if x > 0.0 => format!("<span class=\"up\">+{}</span>", num(Some(x), 1, lang)),
        Some(x) if x < 0.0 => format!("<span class=\"down\">{}</span>", num(Some(x), 1, lang)),
        other => num(other, 1, lang),
    }
}

fn p_value(v: Option<f64>, lang: Lang) -> String {
    match v {
        Some(p) if p < 0.001 => lang.pick("< 0,001", "< 0.001").into(),
        other => num(other, 3, lang),
    }
}

struct Page {
    out: String,
    lang: Lang,
    section: usize,
}

impl Page {
    fn new(lang: Lang, title: &str) -> Page {
        let mut out = String::with_capacity(64 << 10);
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body>\n",
            lang.pick("sv", "en"),
            esc(title)
        );
        Page {
            out,
            lang,
            section: 0,
        }
    }

    fn t<'a>(&self, sv: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(sv, en)
    }

    fn open(&mut self, (id, sv, en): (&str, &str, &str)) {
        self.section += 1;
        let title = self.lang.pick(sv, en);
        let _ = writeln!(
            self.out,
            "<section id=\"{id}\"><h2>{}. {}</h2>",
            self.section,
            esc(title)
        );
    }

    fn close(&mut self) {
        self.out.push_str("</section>\n");
    }

    fn p(&mut self, class: &str, text: &str) {
        let _ = writeln!(self.out, "<p class=\"{class}\">{}</p>", esc(text));
    }

    fn header(&mut self, title: &str, params: &ReportParameters, synthetic: &[String]) {
        let _ = writeln!(self.out, "<header><h1>{}</h1>", esc(title));
        // The meeting view of the same period (not printed: it is a page of its own).
        let lang = if self.lang == Lang::En {
            "?lang=en"
        } else {
            ""
        };
        let _ = writeln!(
            self.out,
            "<p class=\"meeting-link\"><a href=\"/meeting/{}/{}{lang}\">{}</a></p>",
            esc(params.report),
            esc(&params.period),
            self.t("Öppna mötesvyn", "Open the meeting view")
        );
        let scope = match &params.region {
            Some(r) => format!("{} ({}:{})", r.name, r.layer, r.id),
            None => self
                .t("hela studieområdet", "the whole study area")
                .to_owned(),
        };
        let line = format!(
            "{}: {} – {} ({}) · {}: {} · {}: {} · {}: {}",
            self.t("Period", "Period"),
            params.first_day,
            params.last_day,
            params.timezone,
            self.t("Område", "Scope"),
            scope,
            self.t("Områdesindelning", "Area layer"),
            params.layer,
            self.t("Dataversion", "Data version"),
            params.data_version,
        );
        self.p("meta", &line);
        if !synthetic.is_empty() {
            let text = self.t(
                "SYNTETISKA DEMODATA: händelserna är påhittade av en slumpgenerator, inte verkliga anmälningar.",
                "SYNTHETIC DEMO DATA: the incidents are made up by a random generator, not real reports.",
            );
            let _ = writeln!(self.out, "<div class=\"synthetic\">{}</div>", esc(text));
        }
        if !params.complete {
            let text = format!(
                "{} {} {}",
                self.t("PÅGÅENDE PERIOD:", "PERIOD IN PROGRESS:"),
                params.elapsed_days,
                self.t(
                    "dagar hittills. Jämförelserna gäller samma antal dagar av förra perioden, förra året och baslinjen (hittills mot hittills).",
                    "days so far. The comparisons use the same number of days of the previous period, last year and the baseline (to-date against to-date)."
                )
            );
            let _ = writeln!(
                self.out,
                "<div class=\"in-progress\" data-field=\"in-progress\">{}</div>",
                esc(&text)
            );
        }
        if let Some(k) = params.suppressed_below {
            let text = format!(
                "{} {k} {}",
                self.t("Antal under", "Counts below"),
                self.t(
                    "visas inte (–), inte heller förändringar som bygger på dem.",
                    "are not shown (–), nor the changes computed from them."
                )
            );
            self.p("note", &text);
        }
        self.out.push_str("</header>\n");
    }

    fn figure_head(&mut self, first: &str, compare: &str) {
        let _ = writeln!(
            self.out,
            "<table><thead><tr><th class=\"text\">{}</th><th>{}</th><th>{}</th><th>Δ</th><th>{}</th><th>Δ</th><th>{}</th><th>Δ</th><th>{}</th></tr></thead><tbody>",
            esc(first),
            self.t("Antal", "Count"),
            esc(compare),
            self.t("Snitt 8", "Mean of 8"),
            self.t("Förra året", "Last year"),
            self.t("Ökning p", "Rise p"),
        );
    }

    fn figure_row(&mut self, label: &str, f: &Figure) {
        let lang = self.lang;
        let flag = if f.rise == Some(true) { " ▲" } else { "" };
        let _ = writeln!(
            self.out,
            "<tr><td class=\"text\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{flag}</td></tr>",
            esc(label),
            num(f.count, 1, lang),
            num(f.previous, 1, lang),
            signed(f.change_vs_previous, lang),
            num(f.baseline_mean, 1, lang),
            signed(f.change_vs_baseline, lang),
            num(f.last_year, 1, lang),
            signed(f.change_vs_last_year, lang),
            p_value(f.rise_p, lang),
        );
    }

    fn breakdown(&mut self, b: &Breakdown, compare: &str) {
        let all = self.t("Alla händelser", "All incidents").to_owned();
        self.figure_head(self.t("Grupp", "Group"), compare);
        self.figure_row(&all, &b.all);
        for r in &b.by_group {
            let l = self.label(r);
            self.figure_row(&l, &r.figure);
        }
        self.out.push_str("</tbody></table>\n");
        let _ = writeln!(
            self.out,
            "<h3>{}</h3>",
            self.t("Per kategori", "By category")
        );
        self.figure_head(self.t("Kategori", "Category"), compare);
        for r in &b.by_category {
            let l = self.label(r);
            self.figure_row(&l, &r.figure);
        }
        self.out.push_str("</tbody></table>\n");
        let _ = writeln!(self.out, "<h3>{}</h3>", self.t("Per partner", "By partner"));
        self.figure_head(self.t("Partner", "Partner"), compare);
        for r in &b.by_partner {
            self.figure_row(&r.code, &r.figure);
        }
        self.out.push_str("</tbody></table>\n");
        let text = self.t(
            "Antal är aoristiska (en händelse med osäker tid fördelas över perioderna), så de kan ha decimaler. ▲ = signifikant ökning mot snittet av de 8 föregående perioderna (exakt Poissontest, p < alfa).",
            "Counts are aoristic (an incident with an uncertain time is spread over the periods), so they may have decimals. ▲ = significant rise over the mean of the 8 previous periods (exact Poisson test, p < alpha).",
        );
        self.p("note", text);
    }

    fn label(&self, r: &BreakdownRow) -> String {
        self.lang.pick(&r.label_sv, &r.label_en).to_owned()
    }

    fn areas(&mut self, rows: &[AreaRow]) {
        let lang = self.lang;
        let _ = writeln!(
            self.out,
            "<table><thead><tr><th>#</th><th class=\"text\">{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>Δ {}</th><th>Gi* z</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            self.t("Område", "Area"),
            self.t("Skadepoäng", "Harm"),
            self.t("Antal", "Count"),
            self.t("per 1 000 inv.", "per 1,000 res."),
            self.t("Invånare", "Residents"),
            self.t("snitt 8", "mean of 8"),
            self.t("Hotspot", "Hot spot"),
            self.t("Mot resten", "Against the rest"),
        );
        for a in rows {
            let _ = writeln!(
                self.out,
                "<tr><td>{}</td><td class=\"text\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                a.rank,
                esc(&a.name),
                num(a.figure.harm, 1, lang),
                num(a.figure.count, 1, lang),
                num(a.figure.rate_per_1000, 2, lang),
                a.population.map_or("–".into(), |p| p.to_string()),
                signed(a.figure.change_vs_baseline, lang),
                num(a.gi_z, 2, lang),
                bin_text(a.gi_bin, lang),
                bin_text(a.significance_bin, lang),
            );
        }
        self.out.push_str("</tbody></table>\n");
    }

    fn hexes(&mut self, rows: &[HexRow]) {
        let lang = self.lang;
        if rows.is_empty() {
            let t = self.t("Inga.", "None.");
            self.p("absent", t);
            return;
        }
        let _ = writeln!(
            self.out,
            "<table><thead><tr><th>#</th><th class=\"text\">H3</th><th>{}</th><th>{}</th><th>{}</th><th>Gi* z</th><th>{}</th><th class=\"text\">{}</th></tr></thead><tbody>",
            self.t("Skadepoäng", "Harm"),
            self.t("Antal", "Count"),
            self.t("Snitt 8", "Mean of 8"),
            self.t("Hotspot", "Hot spot"),
            self.t("Mönster (52 v.)", "Pattern (52 wk)"),
        );
        for h in rows {
            let pattern = h.emerging.map_or("–", |e| class_label(e, lang));
            let _ = writeln!(
                self.out,
                "<tr><td>{}</td><td class=\"text\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"text\">{}</td></tr>",
                h.rank,
                esc(&h.cell),
                num(h.figure.harm, 1, lang),
                num(h.figure.count, 1, lang),
                num(h.figure.baseline_mean, 1, lang),
                num(h.gi_z, 2, lang),
                bin_text(h.gi_bin, lang),
                esc(pattern),
            );
        }
        self.out.push_str("</tbody></table>\n");
    }

    fn emerging(&mut self, e: &EmergingSummary) {
        let lang = self.lang;
        let classes: Vec<String> = e
            .classes
            .iter()
            .map(|c| format!("{}: {}", lang.pick(&c.label_sv, &c.label_en), c.cells))
            .collect();
        let text = format!(
            "{} {} {}: {}.",
            self.t("Klasser över de", "Classes over the"),
            e.weeks,
            self.t(
                "veckor som slutar med perioden (antal hexagoner)",
                "weeks ending with the period (hexes)"
            ),
            if classes.is_empty() {
                "–".to_owned()
            } else {
                classes.join("; ")
            }
        );
        self.p("", &text);
        let _ = writeln!(
            self.out,
            "<h3>{}</h3>",
            self.t("Nya hotspots", "New hotspots")
        );
        self.hexes(&e.new);
        let _ = writeln!(
            self.out,
            "<h3>{}</h3>",
            self.t("Intensifierande hotspots", "Intensifying hotspots")
        );
        self.hexes(&e.intensifying);
    }

    fn hour_weekday(&mut self, h: &HourWeekday) {
        let lang = self.lang;
        let days_sv = ["mån", "tis", "ons", "tor", "fre", "lör", "sön"];
        let days_en = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let max = h.max().max(1e-9);
        self.out
            .push_str("<table class=\"hw\"><thead><tr><th></th>");
        for hour in 0..24 {
            let _ = write!(self.out, "<th>{hour:02}</th>");
        }
        self.out.push_str("</tr></thead><tbody>\n");
        for (d, row) in h.cells.iter().enumerate() {
            let _ = write!(
                self.out,
                "<tr><th>{}</th>",
                lang.pick(days_sv[d], days_en[d])
            );
            for v in row {
                let (bg, text) = match v {
                    None => ("#ffffff".to_owned(), "–".to_owned()),
                    Some(x) => {
                        let a = (x / max).clamp(0.0, 1.0);
                        let shade = (255.0 - a * 180.0).round() as u8;
                        (
                            format!("#ff{shade:02x}{shade:02x}"),
                            if *x > 0.0 {
                                num(Some(*x), 0, lang)
                            } else {
                                String::new()
                            },
                        )
                    }
                };
                let _ = write!(self.out, "<td style=\"background:{bg}\">{text}</td>");
            }
            self.out.push_str("</tr>\n");
        }
        self.out.push_str("</tbody></table>\n");
        let t = self.t(
            "Lokal tid. Händelser med tidsintervall fördelas över de timmar de täcker.",
            "Local time. Incidents with a time span are spread over the hours they cover.",
        );
        self.p("note", t);
    }

    fn map(&mut self, svg: &str, colour: map_svg::Colour) {
        let lang = self.lang;
        if svg.is_empty() {
            let t = self.t(
                "Ingen karta: inga områden är inlästa.",
                "No map: no areas are loaded.",
            );
            self.p("absent", t);
            return;
        }
        let _ = writeln!(self.out, "<div class=\"map\">{svg}</div>");
        self.out.push_str("<p class=\"legend\">");
        match colour {
            map_svg::Colour::GiStar => {
                for (bin, sv, en) in [
                    (3, "hotspot 99 %", "hot spot 99 %"),
                    (2, "hotspot 95 %", "hot spot 95 %"),
                    (1, "hotspot 90 %", "hot spot 90 %"),
                    (-1, "coldspot 90 %", "cold spot 90 %"),
                    (-2, "coldspot 95 %", "cold spot 95 %"),
                    (-3, "coldspot 99 %", "cold spot 99 %"),
                ] {
                    let fill = map_svg::gi_fill(bin).unwrap_or("#fff");
                    let _ = write!(
                        self.out,
                        "<span><i style=\"background:{fill}\"></i>{}</span>",
                        lang.pick(sv, en)
                    );
                }
                let _ = write!(
                    self.out,
                    "<span><i style=\"background:#eeeeee\"></i>{}</span>",
                    lang.pick("händelser, ej signifikant", "incidents, not significant")
                );
            }
            map_svg::Colour::Emerging => {
                for c in EmergingClass::ALL {
                    if let Some(fill) = map_svg::emerging_fill(c) {
                        let _ = write!(
                            self.out,
                            "<span><i style=\"background:{fill}\"></i>{}</span>",
                            esc(class_label(c, lang))
                        );
                    }
                }
            }
        }
        self.out.push_str("</p>\n");
    }

    /// The notes; `restricted` when they exist but the reader's role may not see them;
    /// `meeting` is the meeting view where they are written.
    fn notes(
        &mut self,
        notes: Option<&crate::store::ReportNotes>,
        restricted: bool,
        meeting: &str,
    ) {
        match notes {
            Some(n) => {
                let _ = writeln!(self.out, "<div class=\"notes\">{}</div>", esc(&n.text));
                let t = format!(
                    "{} {}",
                    self.t("Senast ändrade", "Last changed"),
                    n.updated_at
                );
                self.p("note", &t);
            }
            None if restricted => {
                let t = self.t(
                    "Det finns mötesanteckningar för perioden, men din roll får inte läsa dem.",
                    "Meeting notes exist for this period, but your role may not read them.",
                );
                self.p("note", t);
            }
            None => {
                self.out.push_str("<div class=\"notes\"></div>\n");
                let t = format!(
                    "{} {meeting}",
                    self.t(
                        "Inga anteckningar sparade. Skriv dem i mötesvyn:",
                        "No notes stored. Write them in the meeting view:"
                    )
                );
                self.p("note", &t);
            }
        }
    }
    fn method(&mut self, params: &ReportParameters, warnings: &[String]) {
        let lang = self.lang;
        let text = format!(
            "{}: alfa {}, {} {}, H3 {} {} (k = {}, {}), {} {} {}, FDR (Benjamini–Hochberg) {}. {} {}. lagesbild {}.",
            self.t("Parametrar", "Parameters"),
            num(Some(params.alpha), 2, lang),
            params.baseline_windows,
            self.t("perioders baslinje", "baseline periods"),
            self.t("upplösning", "resolution"),
            params.resolution,
            params.k,
            if params.automatic_scale {
                self.t("automatisk skala", "automatic scale")
            } else {
                self.t("vald skala", "given scale")
            },
            self.t("mönster över", "patterns over"),
            params.emerging_weeks,
            self.t("veckor", "weeks"),
            self.t("för Gi*", "for Gi*"),
            self.t("Återskapa med", "Regenerate with"),
            params.regenerate,
            params.software,
        );
        self.p("note", &text);
        let t = self.t(
            "Metoder: aoristiska antal (Ratcliffe & McCullagh 1998); exakt Poissontest mot snittet av 8 föregående perioder; Getis-Ord Gi* med binära grannvikter (Ord & Getis 1995) och FDR-kontroll (Benjamini & Hochberg 1995); för varje område ett exakt villkorat Poissontest av takten mot resten av skiktet, med FDR över områdena (Przyborowski & Wilenski 1940), som fungerar även med färre än 30 områden; Mann–Kendall-trend (Mann 1945; Kendall 1975); framväxande hotspots enligt ArcGIS klasser. Se docs/reports.md.",
            "Methods: aoristic counts (Ratcliffe & McCullagh 1998); exact Poisson test against the mean of the 8 previous periods; Getis-Ord Gi* with binary neighbour weights (Ord & Getis 1995) and FDR control (Benjamini & Hochberg 1995); for each area an exact conditional Poisson test of its rate against the rest of the layer, with FDR across the areas (Przyborowski & Wilenski 1940), which works with fewer than 30 areas too; Mann–Kendall trend (Mann 1945; Kendall 1975); emerging hotspots in ArcGIS's classes. See docs/reports.md.",
        );
        self.p("note", t);
        for w in warnings {
            self.p("note", w);
        }
    }

    fn interventions(&mut self, list: &[ActiveIntervention]) {
        if list.is_empty() {
            let t = self.t(
                "Inga registrerade insatser var aktiva under perioden.",
                "No registered interventions were active in the period.",
            );
            self.p("absent", t);
            return;
        }
        let _ = writeln!(
            self.out,
            "<table><thead><tr><th class=\"text\">#</th><th class=\"text\">{}</th><th class=\"text\">{}</th><th class=\"text\">{}</th><th class=\"text\">{}</th><th class=\"text\">{}</th></tr></thead><tbody>",
            self.t("Insats", "Intervention"),
            self.t("Ansvarig", "Responsible"),
            self.t("Var", "Where"),
            self.t("Dagar", "Days"),
            self.t("Beskrivning", "Description"),
        );
        for a in list {
            let s = &a.intervention.spec;
            let _ = writeln!(
                self.out,
                "<tr><td class=\"text\">{}</td><td class=\"text\">{}</td><td class=\"text\">{}</td><td class=\"text\">{}</td><td class=\"text\">{} – {}</td><td class=\"text\">{}</td></tr>",
                a.intervention.id,
                esc(kind_label(&s.kind, self.lang)),
                esc(s.partner.as_str()),
                esc(&a.place),
                s.start,
                s.end,
                esc(&s.description),
            );
        }
        self.out.push_str("</tbody></table>\n");
        let t = self.t(
            "Insatsernas områden är streckade gröna på kartan.",
            "The interventions' areas are dashed green on the map.",
        );
        self.p("note", t);
    }

    fn followups(&mut self, list: &[EndedIntervention]) {
        let lang = self.lang;
        if list.is_empty() {
            let t = self.t(
                "Inga registrerade insatser avslutades under tertialen.",
                "No registered interventions ended in the tertial.",
            );
            self.p("absent", t);
            return;
        }
        for e in list {
            let a = &e.intervention;
            let s = &a.intervention.spec;
            let _ = writeln!(
                self.out,
                "<h3>#{} {} · {} · {} · {} – {}</h3>",
                a.intervention.id,
                esc(kind_label(&s.kind, lang)),
                esc(s.partner.as_str()),
                esc(&a.place),
                s.start,
                s.end
            );
            match &e.followup {
                Some(f) => {
                    let ratio = |r: &crate::analysis::rate_ratio::RatioInterval| {
                        format!(
                            "{} [{}, {}]",
                            num(r.estimate, 2, lang),
                            num(Some(r.low), 2, lang),
                            r.high.map_or("∞".to_owned(), |h| num(Some(h), 2, lang))
                        )
                    };
                    let _ = writeln!(
                        self.out,
                        "<table><thead><tr><th class=\"text\">{}</th><th>{} ({} – {})</th><th>{} ({} – {})</th><th>{}</th></tr></thead><tbody>",
                        self.t("Zon", "Zone"),
                        self.t("Före", "Before"),
                        f.before.first_day,
                        f.before.last_day,
                        self.t("Efter", "After"),
                        f.after.first_day,
                        f.after.last_day,
                        self.t("Kvot (95 % KI)", "Ratio (95 % CI)"),
                    );
                    for (name, z) in [
                        (self.t("Målområde", "Target"), &f.target),
                        (self.t("Buffertzon", "Buffer ring"), &f.buffer),
                        (self.t("Kontroll", "Control"), &f.control),
                    ] {
                        let _ = writeln!(
                            self.out,
                            "<tr><td class=\"text\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                            esc(name),
                            z.before,
                            z.after,
                            ratio(&z.ratio)
                        );
                    }
                    self.out.push_str("</tbody></table>\n");
                    let text = format!(
                        "{}: {} (p = {}). WDQ: {}. {}",
                        self.t(
                            "Förändring mot kontrollen",
                            "Change relative to the control"
                        ),
                        ratio(&f.relative_change),
                        p_value(Some(f.relative_change.p_value), lang),
                        num(f.displacement.wdq, 2, lang),
                        f.verdict
                    );
                    self.p("", &text);
                    self.p("note", &f.displacement.reading);
                    for w in &f.warnings {
                        self.p("note", w);
                    }
                }
                None => {
                    let t = e.note.clone().unwrap_or_default();
                    self.p("absent", &t);
                }
            }
        }
    }

    fn finish(mut self) -> String {
        self.out.push_str("</body></html>\n");
        self.out
    }
}

fn bin_text(bin: i8, lang: Lang) -> &'static str {
    match bin {
        3 => lang.pick("het 99 %", "hot 99 %"),
        2 => lang.pick("het 95 %", "hot 95 %"),
        1 => lang.pick("het 90 %", "hot 90 %"),
        -1 => lang.pick("kall 90 %", "cold 90 %"),
        -2 => lang.pick("kall 95 %", "cold 95 %"),
        -3 => lang.pick("kall 99 %", "cold 99 %"),
        _ => "–",
    }
}

fn kind_label(k: &crate::intervention::InterventionKind, lang: Lang) -> &str {
    use crate::intervention::InterventionKind::*;
    match (k, lang) {
        (Patrol, Lang::Sv) => "patrullering",
        (Guards, Lang::Sv) => "väktare",
        (Lighting, Lang::Sv) => "belysning",
        (Camera, Lang::Sv) => "kamera",
        (CleanUp, Lang::Sv) => "städning",
        (Dialogue, Lang::Sv) => "dialog",
        (k, _) => k.as_str(),
    }
}

fn class_label(c: EmergingClass, lang: Lang) -> &'static str {
    match lang {
        Lang::Sv => c.label_sv(),
        Lang::En => c.label_en(),
    }
}

/// The weekly situation picture as one printable HTML page.
pub fn week(r: &WeekReport, lang: Lang) -> String {
    let (year, week) = r.id.split_once("-W").unwrap_or((&r.id, ""));
    let title = match lang {
        Lang::Sv => format!(
            "Veckolägesbild vecka {}, {year}",
            week.trim_start_matches('0')
        ),
        Lang::En => format!(
            "Weekly situation picture, week {}, {year}",
            week.trim_start_matches('0')
        ),
    };
    let mut p = Page::new(lang, &title);
    p.header(&title, &r.parameters, &r.synthetic_data);
    let s = WEEK_SECTIONS;
    p.open(s[0]);
    let compare = p.t("Förra veckan", "Previous week").to_owned();
    p.breakdown(&r.totals, &compare);
    p.close();

    p.open(s[1]);
    let text = match lang {
        Lang::Sv => format!(
            "{} test gjordes (grupper, kategorier, partner och områden), vart och ett på nivån {}. Även utan någon verklig förändring väntas omkring {} av dem visa en ”ökning” av en slump. Kolumnen q är Benjamini–Hochberg-justerad; ökningar med q ≤ {} håller även när många test görs samtidigt.",
            r.rises.tests,
            num(Some(r.rises.alpha), 2, lang),
            num(Some(r.rises.expected_by_chance), 1, lang),
            num(Some(r.rises.alpha), 2, lang)
        ),
        Lang::En => format!(
            "{} tests were made (groups, categories, partners and areas), each at level {}. Even with no real change, about {} of them are expected to show a \"rise\" by chance. Column q is Benjamini–Hochberg adjusted; rises with q ≤ {} hold even when many tests are made at once.",
            r.rises.tests,
            num(Some(r.rises.alpha), 2, lang),
            num(Some(r.rises.expected_by_chance), 1, lang),
            num(Some(r.rises.alpha), 2, lang)
        ),
    };
    p.p("", &text);
    if r.rises.items.is_empty() {
        let t = p.t("Inga signifikanta ökningar.", "No significant rises.");
        p.p("absent", t);
    } else {
        let _ = writeln!(
            p.out,
            "<table><thead><tr><th class=\"text\">{}</th><th class=\"text\">{}</th><th>{}</th><th>{}</th><th>p</th><th>q</th><th>FDR</th></tr></thead><tbody>",
            p.t("Typ", "Kind"),
            p.t("Vad", "What"),
            p.t("Antal", "Count"),
            p.t("Snitt 8", "Mean of 8"),
        );
        for i in &r.rises.items {
            let kind = match (i.kind, lang) {
                ("group", Lang::Sv) => "grupp",
                ("category", Lang::Sv) => "kategori",
                ("area", Lang::Sv) => "område",
                (k, _) => k,
            };
            let _ = writeln!(
                p.out,
                "<tr><td class=\"text\">{kind}</td><td class=\"text\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(lang.pick(&i.label_sv, &i.label_en)),
                num(i.figure.count, 1, lang),
                num(i.figure.baseline_mean, 1, lang),
                p_value(i.figure.rise_p, lang),
                p_value(Some(i.q_value), lang),
                if i.survives_fdr {
                    lang.pick("ja", "yes")
                } else {
                    lang.pick("nej", "no")
                },
            );
        }
        p.out.push_str("</tbody></table>\n");
    }
    p.close();

    p.open(s[2]);
    p.areas(&r.top_areas);
    p.close();
    p.open(s[3]);
    p.hexes(&r.top_hexes);
    p.close();
    p.open(s[4]);
    p.emerging(&r.emerging);
    p.close();
    p.open(s[5]);
    p.hour_weekday(&r.hour_weekday);
    p.close();
    p.open(s[6]);
    p.map(&r.map_svg, map_svg::Colour::GiStar);
    p.close();
    p.open(s[7]);
    p.interventions(&r.interventions);
    p.close();
    p.open(s[8]);
    p.notes(
        r.notes.as_ref(),
        r.notes_restricted,
        &format!("/meeting/week/{}", r.id),
    );
    p.close();
    p.open(s[9]);
    p.method(&r.parameters, &r.warnings);
    p.close();
    p.finish()
}

/// The tertial analysis as one printable HTML page.
pub fn tertial(r: &TertialReport, lang: Lang) -> String {
    let quarter = r.parameters.report == "quarter";
    let (year, n) =
        r.id.split_once(if quarter { "-Q" } else { "-T" })
            .unwrap_or((&r.id, ""));
    let title = match (lang, quarter) {
        (Lang::Sv, false) => format!("Tertialanalys T{n} {year}"),
        (Lang::En, false) => format!("Tertial analysis T{n} {year}"),
        (Lang::Sv, true) => format!("Kvartalsanalys Q{n} {year}"),
        (Lang::En, true) => format!("Quarterly analysis Q{n} {year}"),
    };
    let mut p = Page::new(lang, &title);
    p.header(&title, &r.parameters, &r.synthetic_data);
    let s = TERTIAL_SECTIONS;
    p.open(s[0]);
    let compare = if quarter {
        p.t("Förra kvartalet", "Previous quarter").to_owned()
    } else {
        p.t("Förra tertialen", "Previous tertial").to_owned()
    };
    p.breakdown(&r.totals, &compare);
    p.close();

    p.open(s[1]);
    let _ = writeln!(
        p.out,
        "<table><thead><tr><th class=\"text\">{}</th><th>{}</th><th>{}</th><th>Δ {}</th><th>Δ {}</th><th>Gi* z</th><th>MK z</th><th>MK p</th><th>Sen</th><th class=\"text\">{}</th></tr></thead><tbody>",
        p.t("Område", "Area"),
        p.t("Skadepoäng", "Harm"),
        p.t("Antal", "Count"),
        p.t("förra tert.", "prev. tertial"),
        p.t("förra året", "last year"),
        p.t("Trend", "Trend"),
    );
    for a in &r.areas {
        let mk = a.mann_kendall.as_ref();
        let trend = match mk.map(|m| m.trend) {
            Some(crate::analysis::mann_kendall::Trend::Increasing) => {
                lang.pick("ökande", "increasing")
            }
            Some(crate::analysis::mann_kendall::Trend::Decreasing) => {
                lang.pick("minskande", "decreasing")
            }
            Some(_) => lang.pick("ingen", "none"),
            None => "–",
        };
        let _ = writeln!(
            p.out,
            "<tr><td class=\"text\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"text\">{trend}</td></tr>",
            esc(&a.area.name),
            num(a.area.figure.harm, 1, lang),
            num(a.area.figure.count, 1, lang),
            signed(a.area.figure.change_vs_previous, lang),
            signed(a.area.figure.change_vs_last_year, lang),
            num(a.area.gi_z, 2, lang),
            num(mk.map(|m| m.z), 2, lang),
            p_value(mk.map(|m| m.p), lang),
            num(mk.map(|m| m.slope), 2, lang),
        );
    }
    p.out.push_str("</tbody></table>\n");
    let t = p.t(
        "Trend: Mann–Kendall-test på veckoantalen (hela ISO-veckor i tertialen); Sen = Sens lutning, händelser per vecka och vecka.",
        "Trend: Mann–Kendall test on the weekly counts (whole ISO weeks in the tertial); Sen = Sen's slope, incidents per week per week.",
    );
    p.p("note", t);
    p.close();

    p.open(s[2]);
    let formula = lang
        .pick(&r.priority.formula_sv, &r.priority.formula_en)
        .to_owned();
    let _ = writeln!(p.out, "<p class=\"formula\">{}</p>", esc(&formula));
    let _ = writeln!(
        p.out,
        "<table><thead><tr><th>#</th><th class=\"text\">{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        p.t("Område", "Area"),
        p.t("Poäng", "Score"),
        p.t("Skada", "Harm"),
        p.t("Trend", "Trend"),
        p.t("Signifikans", "Significance"),
        p.t("Befolkning", "Population"),
    );
    for i in &r.priority.items {
        let _ = writeln!(
            p.out,
            "<tr><td>{}</td><td class=\"text\">{}</td><td><b>{}</b></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            i.rank,
            esc(&i.name),
            num(Some(i.score), 2, lang),
            num(Some(i.components.harm), 2, lang),
            num(Some(i.components.trend), 2, lang),
            num(Some(i.components.significance), 2, lang),
            num(Some(i.components.population), 2, lang),
        );
    }
    p.out.push_str("</tbody></table>\n");
    let t = p.t(
        "Vikterna ställs in med priority_weights i konfigurationsfilen eller LAGESBILD_PRIORITY_WEIGHTS.",
        "The weights are set with priority_weights in the configuration file or LAGESBILD_PRIORITY_WEIGHTS.",
    );
    p.p("note", t);
    p.close();

    p.open(s[3]);
    p.map(&r.map_svg, map_svg::Colour::Emerging);
    p.emerging(&r.emerging);
    p.close();

    p.open(s[4]);
    weekly_chart(&mut p, r);
    p.close();
    p.open(s[5]);
    p.hour_weekday(&r.hour_weekday);
    p.close();
    p.open(s[6]);
    p.out.push_str(&super::nearrepeat_html::section(
        r.near_repeat.as_ref(),
        lang,
    ));
    p.close();
    p.open(s[7]);
    p.followups(&r.followup);
    p.close();
    p.open(s[8]);
    p.notes(
        r.notes.as_ref(),
        r.notes_restricted,
        &format!("/meeting/{}/{}", r.parameters.report, r.id),
    );
    p.close();
    p.open(s[9]);
    let t = p.t(
        "Ökningar och trender testas för många områden och kategorier samtidigt; med nivån 0,05 väntas ungefär vart tjugonde test ge utslag av en slump. Läs enstaka utslag med försiktighet, särskilt när antalen är små.",
        "Rises and trends are tested for many areas and categories at once; at level 0.05 about one test in twenty is expected to fire by chance. Read single findings with care, especially when counts are small.",
    );
    p.p("", t);
    p.close();
    p.open(s[10]);
    p.method(&r.parameters, &r.warnings);
    p.close();
    p.finish()
}

fn weekly_chart(p: &mut Page, r: &TertialReport) {
    let lang = p.lang;
    let n = r.weekly_totals.len();
    if n == 0 {
        let t = p.t("Inga hela veckor.", "No whole weeks.");
        p.p("absent", t);
        return;
    }
    let max = r
        .weekly_totals
        .iter()
        .filter_map(|w| w.count)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let (w, h) = (700.0, 140.0);
    let bw = w / n as f64;
    let _ = write!(
        p.out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {}" style="width:100%;height:auto">"#,
        h + 30.0
    );
    for (i, pt) in r.weekly_totals.iter().enumerate() {
        let x = i as f64 * bw;
        let v = pt.count.unwrap_or(0.0);
        let bh = v / max * h;
        let _ = write!(
            p.out,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{bh:.1}" fill="#4a6fa5"/><text x="{:.1}" y="{:.1}" font-size="9" text-anchor="middle">{}</text><text x="{:.1}" y="{:.1}" font-size="8" text-anchor="middle">{}</text>"##,
            x + 2.0,
            h - bh,
            bw - 4.0,
            x + bw / 2.0,
            (h - bh - 2.0).max(9.0),
            num(pt.count, 0, lang),
            x + bw / 2.0,
            h + 14.0,
            esc(pt.week.split_once('-').map_or(&pt.week[..], |(_, w)| w)),
        );
    }
    p.out.push_str("</svg>\n");
}
