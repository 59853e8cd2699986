//! Key bindings: the default `keymap.toml` compiled in, the user's file merged over it,
//! keys resolved to actions first (in either keyboard layout), actions applied second.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use thiserror::Error;

use crate::domain::change::Move;

pub const DEFAULT_KEYMAP_TOML: &str = include_str!("../../keymap.toml");

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Context {
    Board,
    Form,
    Route,
    Prompt,
    Detail,
    Search,
    Reports,
    Help,
    Dialog,
    Queue,
}

impl Context {
    /// Every window's keys, in the order the help lists them.
    pub const ALL: [Context; 10] = [
        Context::Board,
        Context::Queue,
        Context::Form,
        Context::Route,
        Context::Prompt,
        Context::Detail,
        Context::Search,
        Context::Reports,
        Context::Help,
        Context::Dialog,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Context::Board => tr!("context.board"),
            Context::Form => tr!("context.form"),
            Context::Route => tr!("context.route"),
            Context::Prompt => tr!("context.prompt"),
            Context::Detail => tr!("context.detail"),
            Context::Search => tr!("context.search"),
            Context::Reports => tr!("context.reports"),
            Context::Help => tr!("context.help"),
            Context::Dialog => tr!("context.dialog"),
            Context::Queue => tr!("context.queue"),
        }
    }
}

/// Everything a key can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    NewCall,
    Open,
    RouteSuggested,
    NextPane,
    PreviousPane,
    Down,
    Up,
    Help,
    Quit,
    Save,
    Cancel,
    NextField,
    PreviousField,
    LeaveIncoming,
    Confirm,
    Close,
    Search,
    FillCaller,
    /// The call asks for «обращение принято» by email.
    Acknowledge,
    Reports,
    Send,
    PreviousPeriod,
    NextPeriod,
    OtherReport,
    Proposals,
    FilterStatus,
    FilterAssignee,
    /// A change to the selected request (its key names are declared with the move).
    Change(Move),
}

/// The actions that are not changes, with their names in `keymap.toml`.
const ACTIONS: [(Action, &str); 27] = [
    (Action::LeaveIncoming, "leave_incoming"),
    (Action::FillCaller, "fill_caller"),
    (Action::Acknowledge, "acknowledge"),
    (Action::PreviousPeriod, "previous_period"),
    (Action::NewCall, "new_call"),
    (Action::Open, "open"),
    (Action::RouteSuggested, "route_suggested"),
    (Action::NextPane, "next_pane"),
    (Action::PreviousPane, "previous_pane"),
    (Action::Down, "down"),
    (Action::Up, "up"),
    (Action::Help, "help"),
    (Action::Quit, "quit"),
    (Action::Save, "save"),
    (Action::Cancel, "cancel"),
    (Action::NextField, "next_field"),
    (Action::PreviousField, "previous_field"),
    (Action::Confirm, "confirm"),
    (Action::Close, "close"),
    (Action::Search, "search"),
    (Action::Reports, "reports"),
    (Action::Send, "send"),
    (Action::NextPeriod, "next_period"),
    (Action::OtherReport, "other_report"),
    (Action::Proposals, "proposals"),
    (Action::FilterStatus, "filter_status"),
    (Action::FilterAssignee, "filter_assignee"),
];

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Change(one) => one.hint(),
            Action::LeaveIncoming => tr!("action.leave_incoming"),
            Action::FillCaller => tr!("action.fill_caller"),
            Action::Acknowledge => tr!("action.acknowledge"),
            Action::PreviousPeriod => tr!("action.previous_period"),
            Action::NewCall => tr!("action.new_call"),
            Action::Open => tr!("action.open"),
            Action::RouteSuggested => tr!("action.route_suggested"),
            Action::NextPane => tr!("action.next_pane"),
            Action::PreviousPane => tr!("action.previous_pane"),
            Action::Down => tr!("action.down"),
            Action::Up => tr!("action.up"),
            Action::Help => tr!("action.help"),
            Action::Quit => tr!("action.quit"),
            Action::Save => tr!("action.save"),
            Action::Cancel => tr!("action.cancel"),
            Action::NextField => tr!("action.next_field"),
            Action::PreviousField => tr!("action.previous_field"),
            Action::Confirm => tr!("action.confirm"),
            Action::Close => tr!("action.close"),
            Action::Search => tr!("action.search"),
            Action::Reports => tr!("action.reports"),
            Action::Send => tr!("action.send"),
            Action::NextPeriod => tr!("action.next_period"),
            Action::OtherReport => tr!("action.other_report"),
            Action::Proposals => tr!("action.proposals"),
            Action::FilterStatus => tr!("action.filter_status"),
            Action::FilterAssignee => tr!("action.filter_assignee"),
        }
    }

    /// The action a name in `keymap.toml` stands for.
    pub fn named(name: &str) -> Option<Action> {
        ACTIONS
            .iter()
            .find(|(_, known)| *known == name)
            .map(|(action, _)| *action)
            .or_else(|| {
                Move::ALL
                    .into_iter()
                    .find(|one| one.key_name() == Some(name))
                    .map(Action::Change)
            })
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Action, D::Error> {
        let name = String::deserialize(deserializer)?;
        Action::named(&name)
            .ok_or_else(|| serde::de::Error::custom(tr!("keymap.no_such_action", name = name)))
    }
}

/// One key with its modifiers, as written in `keymap.toml` ("ctrl-s", "shift-tab", "n").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub code: KeyCodeName,
    pub ctrl: bool,
    pub alt: bool,
}

/// The key codes pult binds; characters are kept lower-cased as typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyCodeName {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    F(u8),
}

#[derive(Debug, Error)]
pub enum KeymapError {
    #[error("{}", tr!("keymap.unknown_key", key = .0))]
    UnknownKey(String),
    #[error("{}", tr!("keymap.syntax", error = .0))]
    Syntax(#[from] toml::de::Error),
    #[error("{}", tr!("keymap.read", path = .path.display(), source = .source))]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{}", tr!("keymap.file", path = .path.display(), source = .source))]
    File {
        path: std::path::PathBuf,
        source: Box<KeymapError>,
    },
}

impl std::str::FromStr for Key {
    type Err = KeymapError;

    fn from_str(text: &str) -> Result<Key, KeymapError> {
        let unknown = || KeymapError::UnknownKey(text.to_string());
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = text;
        loop {
            if let Some(tail) = rest.strip_prefix("ctrl-") {
                ctrl = true;
                rest = tail;
            } else if let Some(tail) = rest.strip_prefix("alt-") {
                alt = true;
                rest = tail;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCodeName::Char(c.to_lowercase().next().unwrap_or(c)),
            _ => match rest {
                "enter" => KeyCodeName::Enter,
                "esc" => KeyCodeName::Esc,
                "tab" => KeyCodeName::Tab,
                "shift-tab" | "backtab" => KeyCodeName::BackTab,
                "backspace" => KeyCodeName::Backspace,
                "up" => KeyCodeName::Up,
                "down" => KeyCodeName::Down,
                "left" => KeyCodeName::Left,
                "right" => KeyCodeName::Right,
                "home" => KeyCodeName::Home,
                "end" => KeyCodeName::End,
                "pageup" => KeyCodeName::PageUp,
                "pagedown" => KeyCodeName::PageDown,
                "space" => KeyCodeName::Char(' '),
                other => match other.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    Some(n @ 1..=12) => KeyCodeName::F(n),
                    _ => return Err(unknown()),
                },
            },
        };
        Ok(Key { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCodeName::Char(' ') => f.write_str("Space"),
            KeyCodeName::Char(c) if self.ctrl || self.alt => write!(f, "{}", c.to_uppercase()),
            KeyCodeName::Char(c) => write!(f, "{c}"),
            KeyCodeName::Enter => f.write_str("Enter"),
            KeyCodeName::Esc => f.write_str("Esc"),
            KeyCodeName::Tab => f.write_str("Tab"),
            KeyCodeName::BackTab => f.write_str("Shift-Tab"),
            KeyCodeName::Backspace => f.write_str("Backspace"),
            KeyCodeName::Up => f.write_str("↑"),
            KeyCodeName::Down => f.write_str("↓"),
            KeyCodeName::Left => f.write_str("←"),
            KeyCodeName::Right => f.write_str("→"),
            KeyCodeName::Home => f.write_str("Home"),
            KeyCodeName::End => f.write_str("End"),
            KeyCodeName::PageUp => f.write_str("PgUp"),
            KeyCodeName::PageDown => f.write_str("PgDn"),
            KeyCodeName::F(n) => write!(f, "F{n}"),
        }
    }
}

/// The letter on the same physical key in the QWERTY layout (ЙЦУКЕН → QWERTY).
pub fn qwerty_twin(c: char) -> Option<char> {
    // the last two: the keys of `/` and `?` type `.` and `,` on the Russian layout
    const RUSSIAN: &str = "йцукенгшщзхъфывапролджэячсмитьбюё.,";
    const QWERTY: &str = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`/?";
    let lower = c.to_lowercase().next()?;
    let index = RUSSIAN.chars().position(|r| r == lower)?;
    QWERTY.chars().nth(index)
}

impl Key {
    /// The key as pult names it, or None for keys it never binds (releases are filtered earlier).
    pub fn from_event(event: &KeyEvent) -> Option<Key> {
        let code = match event.code {
            KeyCode::Char(c) => KeyCodeName::Char(c.to_lowercase().next().unwrap_or(c)),
            KeyCode::Enter => KeyCodeName::Enter,
            KeyCode::Esc => KeyCodeName::Esc,
            KeyCode::Tab if event.modifiers.contains(KeyModifiers::SHIFT) => KeyCodeName::BackTab,
            KeyCode::Tab => KeyCodeName::Tab,
            KeyCode::BackTab => KeyCodeName::BackTab,
            KeyCode::Backspace => KeyCodeName::Backspace,
            KeyCode::Up => KeyCodeName::Up,
            KeyCode::Down => KeyCodeName::Down,
            KeyCode::Left => KeyCodeName::Left,
            KeyCode::Right => KeyCodeName::Right,
            KeyCode::Home => KeyCodeName::Home,
            KeyCode::End => KeyCodeName::End,
            KeyCode::PageUp => KeyCodeName::PageUp,
            KeyCode::PageDown => KeyCodeName::PageDown,
            KeyCode::F(n) => KeyCodeName::F(n),
            _ => return None,
        };
        Some(Key {
            code,
            ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
            alt: event.modifiers.contains(KeyModifiers::ALT),
        })
    }

    /// The same key as it would arrive on the QWERTY layout, for a Cyrillic letter.
    fn qwerty(self) -> Option<Key> {
        match self.code {
            KeyCodeName::Char(c) => qwerty_twin(c).map(|twin| Key {
                code: KeyCodeName::Char(twin),
                ..self
            }),
            _ => None,
        }
    }
}

/// Actions and their keys, per context, in a stable order for the help screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: BTreeMap<Context, BTreeMap<Action, Vec<Key>>>,
}

type KeymapFile = BTreeMap<Context, BTreeMap<Action, Vec<String>>>;

impl Keymap {
    /// The default keymap with `user` (the text of the user's file) merged over it.
    pub fn parse_with_override(user: Option<&str>) -> Result<Keymap, KeymapError> {
        let mut keymap = Keymap::from_file(toml::from_str(DEFAULT_KEYMAP_TOML)?)?;
        if let Some(text) = user {
            let overrides = Keymap::from_file(toml::from_str(text)?)?;
            for (context, actions) in overrides.bindings {
                let section = keymap.bindings.entry(context).or_default();
                section.extend(actions);
            }
        }
        Ok(keymap)
    }

    /// Reads the user's file from the config directory if there is one.
    pub fn load(user_file: Option<&Path>) -> Result<Keymap, KeymapError> {
        let text = match user_file {
            Some(path) if path.is_file() => Some(std::fs::read_to_string(path).map_err(
                |source| KeymapError::Read {
                    path: path.to_path_buf(),
                    source,
                },
            )?),
            _ => None,
        };
        Keymap::parse_with_override(text.as_deref()).map_err(|error| match (user_file, error) {
            (Some(path), error @ (KeymapError::Syntax(_) | KeymapError::UnknownKey(_))) => {
                KeymapError::File {
                    path: path.to_path_buf(),
                    source: Box::new(error),
                }
            }
            (_, error) => error,
        })
    }

    fn from_file(file: KeymapFile) -> Result<Keymap, KeymapError> {
        let mut bindings = BTreeMap::new();
        for (context, actions) in file {
            let mut section = BTreeMap::new();
            for (action, keys) in actions {
                let keys = keys
                    .iter()
                    .map(|key| key.parse())
                    .collect::<Result<Vec<Key>, _>>()?;
                section.insert(action, keys);
            }
            bindings.insert(context, section);
        }
        Ok(Keymap { bindings })
    }

    fn find(&self, context: Context, key: Key) -> Option<Action> {
        self.bindings.get(&context).and_then(|actions| {
            actions
                .iter()
                .find(|(_, keys)| keys.contains(&key))
                .map(|(action, _)| *action)
        })
    }

    /// The action bound to `event` in `context`, trying the QWERTY twin of a Cyrillic letter.
    pub fn action(&self, context: Context, event: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(event)?;
        self.find(context, key)
            .or_else(|| key.qwerty().and_then(|twin| self.find(context, twin)))
    }

    pub fn keys(&self, context: Context, action: Action) -> &[Key] {
        self.bindings
            .get(&context)
            .and_then(|actions| actions.get(&action))
            .map_or(&[], Vec::as_slice)
    }

    /// The first key of an action, as shown in hints ("n", "Ctrl-S").
    pub fn hint(&self, context: Context, action: Action) -> Option<String> {
        self.keys(context, action).first().map(Key::to_string)
    }

    pub fn bindings(&self, context: Context) -> impl Iterator<Item = (Action, &[Key])> {
        self.bindings
            .get(&context)
            .into_iter()
            .flat_map(|actions| actions.iter().map(|(a, k)| (*a, k.as_slice())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyEvent;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn default_keymap_parses_and_binds_the_design_keys() {
        let keymap = Keymap::parse_with_override(None).expect("default keymap");
        let char_key = |c| press(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(
            keymap.action(Context::Board, &char_key('n')),
            Some(Action::NewCall)
        );
        assert_eq!(
            keymap.action(Context::Board, &char_key('r')),
            Some(Action::RouteSuggested)
        );
        assert_eq!(
            keymap.action(
                Context::Form,
                &press(KeyCode::Char('s'), KeyModifiers::CONTROL)
            ),
            Some(Action::Save)
        );
        assert_eq!(
            keymap.action(Context::Form, &press(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::PreviousField)
        );
    }

    #[test]
    fn letters_work_on_the_russian_layout() {
        let keymap = Keymap::parse_with_override(None).expect("default keymap");
        let char_key = |c| press(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(
            keymap.action(Context::Board, &char_key('т')),
            Some(Action::NewCall)
        );
        assert_eq!(
            keymap.action(Context::Board, &char_key('к')),
            Some(Action::RouteSuggested)
        );
        assert_eq!(
            keymap.action(Context::Board, &char_key('й')),
            Some(Action::Quit)
        );
        assert_eq!(
            keymap.action(Context::Board, &char_key('о')),
            Some(Action::Down)
        );
        assert_eq!(
            keymap.action(
                Context::Form,
                &press(KeyCode::Char('ы'), KeyModifiers::CONTROL)
            ),
            Some(Action::Save)
        );
        assert_eq!(
            keymap.action(Context::Dialog, &char_key('н')),
            Some(Action::Confirm)
        );
    }

    #[test]
    fn the_users_file_replaces_an_actions_keys() {
        let keymap =
            Keymap::parse_with_override(Some("[board]\nnew_call = [\"f2\"]\n")).expect("merged");
        let f2 = press(KeyCode::F(2), KeyModifiers::NONE);
        assert_eq!(keymap.action(Context::Board, &f2), Some(Action::NewCall));
        let n = press(KeyCode::Char('n'), KeyModifiers::NONE);
        assert_eq!(keymap.action(Context::Board, &n), None);
        // other actions keep their defaults
        let q = press(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(keymap.action(Context::Board, &q), Some(Action::Quit));
    }

    #[test]
    fn a_bad_key_name_is_refused_with_the_name() {
        let error = Keymap::parse_with_override(Some("[board]\nquit = [\"hyper-q\"]\n"))
            .expect_err("must refuse");
        assert!(error.to_string().contains("hyper-q"), "{error}");
    }

    #[test]
    fn an_unknown_action_is_refused() {
        assert!(Keymap::parse_with_override(Some("[board]\nlaunch = [\"x\"]\n")).is_err());
    }
}
