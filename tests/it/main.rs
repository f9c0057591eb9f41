//! One integration-test binary (one link step on a 2-core machine) with a module per area.

#[path = "../support/mod.rs"]
mod support;

mod admin;
mod bmw;
mod bmw_vss;
mod cli;
mod demo;
mod disk_full;
mod faults;
mod fleet_api;
mod fleet_page;
mod fuzz_config;
mod hm_coverage;
mod hm_proptest;
mod hm_schema;
mod hm_v1;
mod hm_v2;
mod normalize_bmw;
mod normalize_hm;
mod normalize_hm_cases;
mod normalize_hm_rules;
mod normalize_review;
mod packaging;
mod reload;
mod reload_faults;
mod reload_matrix;
mod same_car;
mod sink_cumulocity;
mod sink_file;
mod sink_homeassistant;
mod sink_nats;
mod sink_postgres;
mod sink_thingsboard;
mod sink_webhook;
mod tls_names;
