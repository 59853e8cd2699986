//! A page taller than the screen: text and charts are laid out on it top to bottom, then the
//! rows from `scroll` on are copied into the frame.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{BarChart, Paragraph, Widget};
use ratatui::Frame;
use unicode_width::UnicodeWidthChar;

use super::common::width_of;

enum Content<'a> {
    Text(Vec<Line<'a>>),
    Chart(Box<BarChart<'a>>),
}

pub struct Sheet<'a> {
    width: u16,
    height: u16,
    placed: Vec<(Rect, Content<'a>)>,
}

impl<'a> Sheet<'a> {
    pub fn new(width: u16) -> Sheet<'a> {
        Sheet {
            width,
            height: 0,
            placed: Vec::new(),
        }
    }

    pub fn height(&self) -> u16 {
        self.height
    }

    /// Lines across the whole width, below what is there.
    pub fn text(&mut self, lines: Vec<Line<'a>>) {
        let height = rows(lines.len());
        let area = Rect::new(0, self.height, self.width, height);
        self.placed.push((area, Content::Text(lines)));
        self.height = self.height.saturating_add(height);
    }

    /// Two columns of lines side by side, `gap` columns apart.
    pub fn columns(&mut self, left: Vec<Line<'a>>, right: Vec<Line<'a>>, gap: u16) {
        let left_width = self.width.saturating_sub(gap) / 2;
        let right_x = left_width.saturating_add(gap);
        let right_width = self.width.saturating_sub(right_x);
        let height = rows(left.len().max(right.len()));
        self.placed.push((
            Rect::new(0, self.height, left_width, height),
            Content::Text(left),
        ));
        self.placed.push((
            Rect::new(right_x, self.height, right_width, height),
            Content::Text(right),
        ));
        self.height = self.height.saturating_add(height);
    }

    /// Charts in a grid of `per_row` equal columns, each `chart_height` rows high.
    pub fn charts(&mut self, charts: Vec<BarChart<'a>>, per_row: u16, chart_height: u16) {
        let per_row = per_row.max(1);
        let chart_width = self.width / per_row;
        let any = !charts.is_empty();
        for (index, chart) in charts.into_iter().enumerate() {
            let column = u16::try_from(index).unwrap_or(u16::MAX) % per_row;
            if column == 0 && index > 0 {
                self.height = self.height.saturating_add(chart_height);
            }
            let area = Rect::new(column * chart_width, self.height, chart_width, chart_height);
            self.placed.push((area, Content::Chart(Box::new(chart))));
        }
        if any {
            self.height = self.height.saturating_add(chart_height);
        }
    }

    /// Copies rows `scroll..` of the sheet into `area`; returns the scroll actually used.
    pub fn render(self, frame: &mut Frame, area: Rect, scroll: u16) -> u16 {
        let scroll = scroll.min(self.height.saturating_sub(area.height));
        if area.is_empty() || self.width == 0 || self.height == 0 {
            return scroll;
        }
        let mut page = Buffer::empty(Rect::new(0, 0, self.width, self.height));
        for (placed, content) in self.placed {
            let placed = placed.intersection(page.area);
            if placed.is_empty() {
                continue;
            }
            match content {
                Content::Text(lines) => Paragraph::new(lines).render(placed, &mut page),
                Content::Chart(chart) => chart.render(placed, &mut page),
            }
        }
        let screen = frame.buffer_mut();
        for row in 0..area.height.min(self.height - scroll) {
            for column in 0..area.width.min(self.width) {
                let Some(cell) = page.cell((column, row + scroll)) else {
                    continue;
                };
                if let Some(target) = screen.cell_mut((area.x + column, area.y + row)) {
                    *target = cell.clone();
                }
            }
        }
        scroll
    }
}

fn rows(lines: usize) -> u16 {
    u16::try_from(lines).unwrap_or(u16::MAX)
}

/// Words of `text` in lines of at most `width` columns; a longer word is cut.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let word = cut(word, width);
            let needed = width_of(&line) + usize::from(!line.is_empty()) + width_of(&word);
            if !line.is_empty() && needed > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
    }
    lines
}

/// `items` joined by ` · ` in lines of at most `width` columns, the first starting with
/// `lead`, the rest indented as far.
pub fn flow(lead: &str, items: &[String], width: usize) -> Vec<String> {
    let indent = " ".repeat(width_of(lead));
    let mut lines = Vec::new();
    let mut line = lead.to_string();
    let mut empty = true;
    for item in items {
        let joiner = if empty { "" } else { " · " };
        if !empty && width_of(&line) + width_of(joiner) + width_of(item) > width {
            lines.push(std::mem::replace(&mut line, indent.clone()));
            empty = true;
        }
        if !empty {
            line.push_str(" · ");
        }
        line.push_str(item);
        empty = false;
    }
    lines.push(line);
    lines
}

fn cut(word: &str, width: usize) -> String {
    let mut used = 0;
    word.chars()
        .take_while(|c| {
            used += c.width().unwrap_or(0);
            used <= width.max(1)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_between_words_and_keeps_paragraphs() {
        assert_eq!(
            wrap("один два три\nчетыре", 8),
            ["один два", "три", "четыре"]
        );
        assert_eq!(wrap("длинноеслово", 4), ["длин"]);
    }

    #[test]
    fn flow_indents_continuation_lines() {
        let items: Vec<String> = ["а 1", "бб 2", "вв 3"].map(String::from).to_vec();
        assert_eq!(
            flow("типы: ", &items, 16),
            ["типы: а 1 · бб 2", "      вв 3"]
        );
    }
}
