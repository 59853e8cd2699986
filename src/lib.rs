//! pult — the dispatcher console of a school's distance-learning support service.
//!
//! Layers: `domain` (pure rules) → `store` (sled) → `service` (commands and events) →
//! `tui` (screens) and `cli` (the command line).

// first: its `tr!` is then in scope in every module below
#[macro_use]
pub mod lang;

pub mod cli;
pub mod demo;
pub mod domain;
pub mod net;
pub mod os;
pub mod report;
pub mod service;
pub mod store;
pub mod tui;
pub mod web;

/// Every binary linking pult (the console, the tests, the benchmarks) allocates with it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// The catalogue (locales/*.yml), compiled in; `tr!` reads it in the current language.
rust_i18n::i18n!("locales", fallback = "ru");
