//! pult — the dispatcher console of a school's distance-learning support service.
//!
//! Layers: `domain` (pure rules) → `store` (sled) → `service` (commands and events) →
//! `tui` (screens) and `cli` (the command line).

pub mod cli;
pub mod demo;
pub mod domain;
pub mod lang;
pub mod net;
pub mod os;
pub mod report;
pub mod service;
pub mod store;
pub mod tui;

// The catalogue (locales/*.yml), compiled in; `tr!` reads it in the current language.
rust_i18n::i18n!("locales", fallback = "ru");
