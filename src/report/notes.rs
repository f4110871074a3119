//! Meeting notes with history: the sections a meeting writes (the notes, the decisions,
//! each partner's input), the size rule, and the current text of each section drawn from
//! the stored versions. Storing is `store`'s ([`crate::store::NoteVersion`]); HTTP is
//! `serve::notes`'s.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ReportError;
use crate::store::NoteVersion;

/// The largest text of one section, in bytes (UTF-8).
pub const MAX_NOTE_BYTES: usize = 64 << 10;

/// What a saved text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteSection {
    /// The meeting notes (*mötesanteckningar*).
    Notes,
    /// The decisions taken (*beslut*), one per line; each can become an action.
    Decisions,
    /// A partner's own input (*från polisen*, *från bostadsbolaget*), filed under the
    /// writer's partner.
    Partner,
}

impl NoteSection {
    /// `notes`, `decisions` or `partner`.
    pub fn as_str(self) -> &'static str {
        match self {
            NoteSection::Notes => "notes",
            NoteSection::Decisions => "decisions",
            NoteSection::Partner => "partner",
        }
    }

    /// Parses a section name.
    ///
    /// # Errors
    /// [`ReportError::Invalid`] naming `section`.
    pub fn parse(s: &str) -> Result<NoteSection, ReportError> {
        match s.trim() {
            "notes" => Ok(NoteSection::Notes),
            "decisions" => Ok(NoteSection::Decisions),
            "partner" => Ok(NoteSection::Partner),
            other => Err(ReportError::Invalid(format!(
                "section: {:?} is not a section; use notes, decisions or partner",
                other.chars().take(40).collect::<String>()
            ))),
        }
    }
}

/// Whether a text is within [`MAX_NOTE_BYTES`]; the error names `field`.
pub fn too_large(text: &str, field: &str) -> Option<String> {
    (text.len() > MAX_NOTE_BYTES).then(|| {
        format!(
            "{field}: the text is {} bytes; at most {} KiB are kept per save — split it or shorten it / texten är för lång (högst 64 KiB)",
            text.len(),
            MAX_NOTE_BYTES >> 10
        )
    })
}

/// The current text of each section: the newest version of the notes, of the decisions,
/// and of each partner's input. Cleared sections (an empty newest text) are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CurrentNotes {
    /// The meeting notes.
    pub notes: Option<String>,
    /// The decisions.
    pub decisions: Option<String>,
    /// Each partner's input, by partner code.
    pub partner: BTreeMap<String, String>,
}

impl CurrentNotes {
    /// From versions newest first (as the store returns them).
    pub fn from_versions(versions: &[NoteVersion]) -> CurrentNotes {
        let mut c = CurrentNotes::default();
        let mut seen_notes = false;
        let mut seen_decisions = false;
        let mut seen_partner = std::collections::BTreeSet::new();
        for v in versions {
            let text = (!v.text.is_empty()).then(|| v.text.clone());
            match v.section.as_str() {
                "notes" if !seen_notes => {
                    seen_notes = true;
                    c.notes = text;
                }
                "decisions" if !seen_decisions => {
                    seen_decisions = true;
                    c.decisions = text;
                }
                "partner" if seen_partner.insert(v.partner.clone()) => {
                    if let Some(t) = text {
                        c.partner.insert(v.partner.clone(), t);
                    }
                }
                _ => {}
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(section: &str, partner: &str, text: &str) -> NoteVersion {
        NoteVersion {
            section: section.into(),
            partner: partner.into(),
            author: "t".into(),
            saved_at: "2026-12-07T10:00:00Z".into(),
            text: text.into(),
        }
    }

    #[test]
    fn the_newest_version_of_each_section_is_current() {
        // Newest first.
        let list = [
            v("partner", "polisen", "ny"),
            v("decisions", "kommunen", ""),
            v("partner", "kommunen", "från kommunen"),
            v("partner", "polisen", "gammal"),
            v("decisions", "kommunen", "Beslut 1"),
            v("notes", "polisen", "Anteckningar"),
        ];
        let c = CurrentNotes::from_versions(&list);
        assert_eq!(c.notes.as_deref(), Some("Anteckningar"));
        assert_eq!(c.decisions, None, "cleared by the newest version");
        assert_eq!(c.partner["polisen"], "ny");
        assert_eq!(c.partner["kommunen"], "från kommunen");
    }

    #[test]
    fn sections_and_sizes_are_checked() {
        assert_eq!(
            NoteSection::parse("decisions").unwrap(),
            NoteSection::Decisions
        );
        assert!(
            NoteSection::parse("gossip")
                .unwrap_err()
                .to_string()
                .contains("section:")
        );
        assert!(too_large(&"x".repeat(MAX_NOTE_BYTES), "text").is_none());
        let e = too_large(&"x".repeat(MAX_NOTE_BYTES + 1), "text").unwrap();
        assert!(e.starts_with("text:"), "{e}");
    }
}
