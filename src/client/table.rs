//! `--output table`: awscli's `TableFormatter` and `MultiTable`, ported so
//! the boxes, the centring, the column scaling and the switch to a vertical
//! layout on narrow terminals come out the same.
use serde_json::{Map, Value};

use super::text::py_str;

const BLUE: &str = "\x1b[1m\x1b[34m";
const DIM_YELLOW: &str = "\x1b[2m\x1b[33m";
const RESET: &str = "\x1b[0m";

/// Renders `value` under `title` (the operation name), `width` columns wide
/// at most before sections turn vertical.
pub fn render(title: &str, value: &Value, width: usize, color: bool) -> String {
    let mut table = MultiTable {
        sections: Vec::new(),
    };
    if !table.build(Some(title), value, 0) {
        return String::new();
    }
    table.render(width, color)
}

#[derive(Default, Clone)]
struct Section {
    title: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    indent: usize,
    max_widths: Vec<usize>,
}

struct MultiTable {
    sections: Vec<Section>,
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
    }
}

impl MultiTable {
    fn current(&mut self) -> &mut Section {
        if self.sections.is_empty() {
            self.sections.push(Section::default());
        }
        self.sections.last_mut().expect("a section")
    }

    fn new_section(&mut self, title: &str, indent: usize) {
        self.sections.push(Section {
            title: title.to_string(),
            indent,
            ..Section::default()
        });
    }

    fn build(&mut self, title: Option<&str>, current: &Value, indent: usize) -> bool {
        if is_empty(current) {
            return false;
        }
        if let Some(t) = title {
            self.new_section(t, indent);
        }
        match current {
            Value::Array(items) if matches!(items.first(), Some(Value::Object(_))) => {
                self.sub_table_from_list(items, indent, title.unwrap_or(""));
            }
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Array(inner) if inner.iter().all(is_scalar) => {
                            self.current().add_row(inner.iter().map(py_str).collect());
                        }
                        v if is_scalar(v) => self.current().add_row(vec![py_str(v)]),
                        v => {
                            self.build(None, v, 0);
                        }
                    }
                }
            }
            Value::Object(map) => self.sub_table_from_dict(map, indent),
            _ => {}
        }
        true
    }

    fn sub_table_from_dict(&mut self, map: &Map<String, Value>, indent: usize) {
        let (headers, more) = group_keys(map);
        if headers.len() == 1 {
            let h = &headers[0];
            self.current().add_row(vec![h.clone(), py_str(&map[h])]);
        } else if !headers.is_empty() {
            let row = headers.iter().map(|h| py_str(&map[h])).collect();
            self.current().add_header(headers);
            self.current().add_row(row);
        }
        for key in more {
            self.build(Some(&key), &map[&key], indent + 1);
        }
    }

    fn sub_table_from_list(&mut self, items: &[Value], indent: usize, title: &str) {
        let mut headers = Vec::new();
        let mut more = Vec::new();
        for item in items {
            if let Value::Object(m) = item {
                let (h, x) = group_keys(m);
                headers.extend(h);
                more.extend(x);
            }
        }
        headers.sort();
        headers.dedup();
        more.sort();
        more.dedup();
        self.current().add_header(headers.clone());
        for (i, item) in items.iter().enumerate() {
            let Value::Object(m) = item else { continue };
            if i > 0 && !more.is_empty() {
                self.new_section(title, indent);
                self.current().add_header(headers.clone());
            }
            let row = headers
                .iter()
                .map(|h| m.get(h).map(py_str).unwrap_or_default())
                .collect();
            self.current().add_row(row);
            for key in &more {
                if let Some(v) = m.get(key) {
                    self.build(Some(key), v, indent + 1);
                }
            }
        }
    }

    fn render(mut self, terminal_width: usize, color: bool) -> String {
        let mut max = self.max_width();
        if max > terminal_width {
            self.convert_to_vertical();
            max = self.max_width();
        }
        let mut out = "-".repeat(max);
        out.push('\n');
        for s in &self.sections {
            render_section(s, max, color, &mut out);
        }
        out
    }

    fn max_width(&self) -> usize {
        self.sections
            .iter()
            .map(|s| s.total_width(4, true, s.indent))
            .max()
            .unwrap_or(0)
    }

    /// A section of one row becomes header/value pairs, one per line.
    fn convert_to_vertical(&mut self) {
        for s in &mut self.sections {
            if s.rows.len() == 1 && !s.headers.is_empty() {
                let mut new = Section {
                    title: s.title.clone(),
                    indent: s.indent,
                    ..Section::default()
                };
                for (h, v) in s.headers.iter().zip(&s.rows[0]) {
                    new.add_row(vec![h.clone(), v.clone()]);
                }
                *s = new;
            }
        }
    }
}

fn group_keys(map: &Map<String, Value>) -> (Vec<String>, Vec<String>) {
    let mut headers: Vec<String> = map
        .iter()
        .filter(|(_, v)| is_scalar(v))
        .map(|(k, _)| k.clone())
        .collect();
    let mut more: Vec<String> = map
        .iter()
        .filter(|(_, v)| !is_scalar(v))
        .map(|(k, _)| k.clone())
        .collect();
    headers.sort();
    more.sort();
    (headers, more)
}

impl Section {
    fn add_header(&mut self, headers: Vec<String>) {
        self.update_widths(&headers);
        self.headers = headers;
    }

    fn add_row(&mut self, row: Vec<String>) {
        self.update_widths(&row);
        self.rows.push(row);
    }

    fn update_widths(&mut self, row: &[String]) {
        if self.max_widths.is_empty() {
            self.max_widths = row.iter().map(|c| text_len(c)).collect();
        } else {
            for (w, c) in self.max_widths.iter_mut().zip(row) {
                *w = (*w).max(text_len(c));
            }
        }
    }

    /// Column widths scaled to fill `max_width` exactly, rounding as
    /// Python's `round` does (half to even).
    fn column_widths(&self, padding: usize, max_width: usize) -> Vec<usize> {
        let unscaled: Vec<usize> = self.max_widths.iter().map(|w| w + padding).collect();
        let total: usize = unscaled.iter().sum();
        if unscaled.is_empty() || total == 0 {
            return unscaled;
        }
        let scale = max_width as f64 / total as f64;
        let mut scaled: Vec<i64> = unscaled
            .iter()
            .map(|w| (scale * *w as f64).round_ties_even() as i64)
            .collect();
        let mut off_by: i64 = scaled.iter().sum::<i64>() - max_width as i64;
        while off_by != 0 {
            let order: Vec<usize> = if off_by < 0 {
                (0..scaled.len()).rev().collect()
            } else {
                (0..scaled.len()).collect()
            };
            for i in order {
                if off_by > 0 {
                    scaled[i] -= 1;
                    off_by -= 1;
                } else {
                    scaled[i] += 1;
                    off_by += 1;
                }
                if off_by == 0 {
                    break;
                }
            }
        }
        scaled.into_iter().map(|w| w.max(0) as usize).collect()
    }

    fn total_width(&self, padding: usize, border: bool, outer: usize) -> usize {
        let mut total: usize = self.max_widths.iter().map(|w| w + padding).sum();
        if border {
            total += 2;
        }
        total += 2 * outer;
        total.max(text_len(&self.title) + 2 + 2 * outer)
    }
}

fn render_section(s: &Section, max_width: usize, color: bool, out: &mut String) {
    let bar = if color {
        format!("{DIM_YELLOW}|{RESET}")
    } else {
        "|".to_string()
    };
    let edge = bar.repeat(s.indent);
    let mut line = |text: String| {
        out.push_str(&edge);
        out.push_str(&text);
        out.push_str(&edge);
        out.push('\n');
    };
    let width = max_width.saturating_sub(s.indent * 2);
    if !s.title.is_empty() {
        line(center(&s.title, text_len(&s.title), width, "|", "|"));
        if s.headers.is_empty() && s.rows.is_empty() {
            line(format!("+{}+", "-".repeat(width.saturating_sub(2))));
        }
    }
    if !s.headers.is_empty() {
        let widths = s.column_widths(4, width);
        line(line_break(&widths));
        let mut cells = String::new();
        for (i, (w, h)) in widths.iter().zip(&s.headers).enumerate() {
            let left = if i == 0 { "|" } else { "" };
            cells.push_str(&center(h, text_len(h), *w, left, "|"));
        }
        line(cells);
    }
    if !s.rows.is_empty() {
        let widths = s.column_widths(4, width);
        if widths.is_empty() {
            return;
        }
        line(line_break(&widths));
        for row in &s.rows {
            let mut cells = String::new();
            for (i, (w, cell)) in widths.iter().zip(row).enumerate() {
                let left = if i == 0 { "|" } else { "" };
                let styled = if color {
                    format!("{BLUE}{cell}{RESET}")
                } else {
                    cell.clone()
                };
                cells.push_str(&align_left(&styled, text_len(cell), *w, left, "|"));
            }
            line(cells);
        }
        line(line_break(&widths));
    }
}

fn line_break(widths: &[usize]) -> String {
    let mut s = String::new();
    for (i, w) in widths.iter().enumerate() {
        if i == 0 {
            s.push_str(&format!("+{}+", "-".repeat(w.saturating_sub(2))));
        } else {
            s.push_str(&format!("{}+", "-".repeat(w.saturating_sub(1))));
        }
    }
    s
}

fn center(text: &str, text_len: usize, length: usize, left: &str, right: &str) -> String {
    let start = (length / 2).saturating_sub(text_len / 2 + 1);
    let so_far = left.len() + start + text_len;
    let right_spaces = length.saturating_sub(right.len() + so_far);
    format!(
        "{left}{}{text}{}{right}",
        " ".repeat(start),
        " ".repeat(right_spaces)
    )
}

fn align_left(text: &str, text_len: usize, length: usize, left: &str, right: &str) -> String {
    let padding = if length >= text_len + 2 + left.len() + right.len() {
        2
    } else {
        0
    };
    let fill = length.saturating_sub(left.len() + padding + text_len + right.len());
    format!(
        "{left}{}{text}{}{right}",
        " ".repeat(padding),
        " ".repeat(fill)
    )
}

/// Display width: East Asian wide and full-width characters count two.
pub fn text_len(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x1F300..=0x1F64F
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}
