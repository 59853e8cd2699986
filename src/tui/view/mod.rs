//! `view`: draws the console's state. It reads `App` only: never the store, never the network.

mod board;
mod common;
mod detail;
mod dialogs;
mod form;
mod prompt;
mod queue;
pub mod report;
mod reports_window;
mod search;
mod sheet;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::Frame;

use super::app::{App, Screen};

pub use common::fit;

pub fn view(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width == 0 || area.height == 0 {
        return;
    }
    let [title, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    common::title_bar(frame, app, title);
    draw_screen(frame, app, &app.screen, body, footer);
}

/// One window, over the one it was opened from where it does not fill the screen.
fn draw_screen(frame: &mut Frame, app: &App, screen: &Screen, body: Rect, footer: Rect) {
    match screen {
        Screen::Board => board::draw(frame, app, body, footer),
        Screen::Form(form) => form::draw(frame, app, form, body, footer),
        Screen::RouteOffer { id } => {
            board::draw(frame, app, body, footer);
            dialogs::draw_route_offer(frame, app, *id, body, footer);
        }
        Screen::Detail(state) => {
            board::draw(frame, app, body, footer);
            detail::draw(frame, app, state, body, footer);
        }
        Screen::Search(search) => {
            board::draw(frame, app, body, footer);
            search::draw(frame, app, search, body, footer);
        }
        Screen::Report(state) => reports_window::draw(frame, app, state, body, footer),
        Screen::Help(help) => {
            draw_screen(frame, app, &help.back, body, footer);
            dialogs::draw_help(frame, app, help, body, footer);
        }
        Screen::Prompt(prompt) => {
            match &app.queue_beneath {
                Some(view) => queue::draw(frame, app, view, body, footer),
                None => board::draw(frame, app, body, footer),
            }
            prompt::draw(frame, app, prompt, body, footer);
        }
        Screen::Queue(view) => queue::draw(frame, app, view, body, footer),
    }
}
