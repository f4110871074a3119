//! The GeoJSON incident reader on arbitrary bytes.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = lagesbild::ingest::read_geojson(std::io::Cursor::new(data), common::rules());
});
