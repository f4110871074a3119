//! Integration tests: one binary, so the suite links once. They run the real `lagesbild`
//! binary on temporary SQLite files, and the router in-process.

mod cli_ingest;
mod demo;
mod durability;
mod serve;
mod support;
