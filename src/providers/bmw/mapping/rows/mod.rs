//! The mapping rows by area. Each file is a constant slice; [`super::ROWS`] joins them.
//! Rows that only a `Keep` reason fills are here too, so that every catalogue descriptor
//! is named with what happens to it.

pub mod battery;
pub mod body;
pub mod cabin;
pub mod charging;
pub mod climate;
pub mod motion;
pub mod vehicle;
