//! Integration tests: one binary, so the suite links once. They run the real `lagesbild`
//! binary on temporary SQLite files, and the router in-process.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers panic on failure, which is the point"
)]

mod actions;
mod analysis;
mod analysis_reference;
mod api;
mod attacks;
mod audit_crash;
mod auth;
mod backends;
mod browser;
mod cli_ingest;
mod demo;
mod deploy;
mod durability;
mod forecast;
mod headers;
mod intake;
mod interventions;
mod nearrepeat;
mod notes_history;
mod ogc;
mod operations;
mod periods;
mod pg_outage;
mod reference;
mod report_form;
mod reports;
mod serve;
mod support;
mod tiles;
mod web;
