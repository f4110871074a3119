//! The query-string path of every aggregate route: URL decoding into pairs (as axum's
//! `Query` does), then the window and filter parameters, bbox and alpha.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    static CONFIG: OnceLock<lagesbild::config::Config> = OnceLock::new();
    let config =
        CONFIG.get_or_init(|| lagesbild::config::Config::with_db(std::path::Path::new(":memory:")));
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(data) else {
        return;
    };
    let mut q = lagesbild::serve::params::QueryMap::new(pairs);
    let wf = q.window_filter();
    let _ = wf.window(config, chrono::Utc::now());
    let _ = wf.filter(config);
    if let Some(b) = q.take("bbox") {
        let _ = lagesbild::serve::params::parse_bbox(&b);
    }
    if let Some(a) = q.take("alpha") {
        let _ = lagesbild::serve::params::parse_alpha(&a);
    }
    let _ = q.finish(&[]);
});
