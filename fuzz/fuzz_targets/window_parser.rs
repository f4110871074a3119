//! The window/period parsers (`window=`, report ids) on arbitrary text; a parsed window
//! must give bounds and survive widening to whole weeks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let tz = chrono_tz::Europe::Stockholm;
    if let Ok(w) = lagesbild::analysis::window::TimeWindow::parse_in(s, tz) {
        let (a, b) = w.bounds(tz);
        let (c, d) = lagesbild::access::suppress::snap_to_weeks(a, b, tz);
        assert!(c <= a && d >= b, "widening must contain the window");
    }
    let _ = lagesbild::analysis::window::WindowKind::parse(s);
    let _ = lagesbild::report::parse_week_id(s);
    let _ = lagesbild::report::parse_tertial_id(s);
});
