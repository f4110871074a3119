//! The near-repeat section of the printable tertial report: the sentence first, then the
//! Knox table with each cell coloured by its significance (white: not raised; light to dark
//! red: raised at p ≤ 0.05, ≤ 0.01, ≤ 0.001), observed pairs and the Knox ratio in each.
//!
//! Returns HTML fragments; the page, its CSS and its sections belong to `html`.

use std::fmt::Write;

use super::Lang;
use super::html::esc;
use super::tertial::NearRepeatSection;
use crate::analysis::knox::KnoxTable;

/// The fill of a cell: raised cells by p, others white.
pub fn fill(raised: bool, p: f64) -> &'static str {
    match (raised, p) {
        (false, _) => "#ffffff",
        (true, p) if p <= 0.001 => "#b2182b",
        (true, p) if p <= 0.01 => "#ef8a62",
        (true, _) => "#fddbc7",
    }
}

/// The section body.
pub fn section(s: Option<&NearRepeatSection>, lang: Lang) -> String {
    let mut out = String::new();
    let Some(s) = s else {
        let _ = writeln!(
            out,
            "<p class=\"absent\">{}</p>",
            lang.pick(
                "Kategorin inbrott finns inte i katalogen; ingen near repeat-analys.",
                "The catalogue has no burglary category; no near-repeat analysis."
            )
        );
        return out;
    };
    if let Some(note) = &s.note {
        let _ = writeln!(
            out,
            "<p class=\"absent\">{}: {}</p>",
            lang.pick(
                "Near repeat-analysen av inbrott gjordes inte",
                "The near-repeat analysis of burglaries was not made"
            ),
            esc(note)
        );
        return out;
    }
    let sentence = lang.pick(&s.sentence_sv, &s.sentence_en);
    let _ = writeln!(out, "<p class=\"lead\"><b>{}</b></p>", esc(sentence));
    match &s.table {
        Some(t) => table(&mut out, t, lang),
        None => {
            let _ = writeln!(
                out,
                "<p class=\"note\">{}</p>",
                lang.pick(
                    "Tabellen med parantal visas bara för analytiker.",
                    "The table of pair counts is shown to analysts only."
                )
            );
        }
    }
    out
}

fn table(out: &mut String, t: &KnoxTable, lang: Lang) {
    let _ = write!(
        out,
        "<table class=\"knox\"><thead><tr><th class=\"text\">{}</th>",
        lang.pick("Avstånd \\ dagar", "Distance \\ days")
    );
    for b in &t.time_bands {
        let _ = write!(out, "<th>{}</th>", esc(&b.label));
    }
    out.push_str("</tr></thead><tbody>\n");
    for (band, row) in t.distance_bands.iter().zip(&t.cells) {
        let label = if band.hi == Some(0.0) {
            lang.pick("samma plats", "same location")
        } else {
            &band.label
        };
        let _ = write!(out, "<tr><th class=\"text\">{}</th>", esc(label));
        for c in row {
            let ratio = c
                .ratio
                .map_or_else(|| "–".to_owned(), |r| super::html::num(Some(r), 2, lang));
            let _ = write!(
                out,
                "<td style=\"background:{}\" title=\"p = {:.3}\">{}<br><small>{ratio}</small></td>",
                fill(c.raised, c.p),
                c.p,
                c.observed
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    let _ = writeln!(
        out,
        "<p class=\"note\">{}</p>",
        esc(&match lang {
            Lang::Sv => format!(
                "Varje cell: antal par av inbrott (överst) och Knox-kvoten observerat/förväntat (under), förväntat från {} slumpade omkastningar av tiderna (frö {}). Band är lo < x ≤ hi; första tidsbandet är [0, hi]; \"samma plats\" är avstånd 0. Röd cell: fler par än slumpen ger (p ≤ 0,05 ljus, ≤ 0,01 mellan, ≤ 0,001 mörk). Varje cell testas för sig. Knox (1964); Johnson m.fl. (2007).",
                t.options.permutations, t.options.seed
            ),
            Lang::En => format!(
                "Each cell: pairs of burglaries (top) and the Knox ratio observed/expected (below), expected from {} random permutations of the times (seed {}). Bands are lo < x ≤ hi; the first time band is [0, hi]; \"same location\" is distance 0. Red cell: more pairs than chance gives (p ≤ 0.05 light, ≤ 0.01 medium, ≤ 0.001 dark). Each cell is tested on its own. Knox (1964); Johnson et al. (2007).",
                t.options.permutations, t.options.seed
            ),
        })
    );
}
