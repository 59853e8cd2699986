//! The console: state and `update` (app), drawing (view), keys, theme, and the terminal loop.

pub mod app;
pub mod detail;
pub mod form;
pub mod help;
pub mod keymap;
pub mod line_input;
pub mod net_backend;
pub mod open_requests;
pub mod prompt;
pub mod queue_view;
pub mod reports;
pub mod run;
pub mod search;
pub mod selection;
pub mod terminal;
pub mod theme;
pub mod view;
