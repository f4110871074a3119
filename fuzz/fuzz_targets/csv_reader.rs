//! The CSV incident reader on arbitrary bytes: every row must end as an incident or a
//! rejection, never a panic.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((_, rows)) = lagesbild::ingest::read_csv(std::io::Cursor::new(data), common::rules())
    {
        for r in rows.take(10_000) {
            let _ = r;
        }
    }
});
