//! Which language pult speaks: Russian unless told otherwise (`--lang`, `PULT_LANG`, or the
//! locale's `LC_ALL` / `LC_MESSAGES` / `LANG`). The texts are in `locales/ru.yml` and
//! `locales/en.yml`; code asks for them with `tr!("key")`.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Lang {
    Ru,
    En,
}

static CURRENT: AtomicU8 = AtomicU8::new(0);

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Ru, Lang::En];

    /// The language's code in the catalogue.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// `ru`, `en`, `en_US.UTF-8`, `ru-RU`…; None for anything else (`C`, `POSIX`, `de_DE`).
    pub fn parse(text: &str) -> Option<Lang> {
        let language = text
            .split(['_', '-', '.', '@'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        Lang::ALL.into_iter().find(|lang| lang.code() == language)
    }

    /// The language the environment asks for: `PULT_LANG`, then the locale as POSIX reads
    /// it (the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set); Russian by default.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Lang {
        if let Some(lang) = var("PULT_LANG").as_deref().and_then(Lang::parse) {
            return lang;
        }
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .find_map(|name| var(name).filter(|value| !value.is_empty()))
            .as_deref()
            .and_then(Lang::parse)
            .unwrap_or(Lang::Ru)
    }
}

/// Makes `lang` the language of every text from now on (the whole process).
pub fn set(lang: Lang) {
    CURRENT.store(
        match lang {
            Lang::Ru => 0,
            Lang::En => 1,
        },
        Ordering::Relaxed,
    );
}

pub fn current() -> Lang {
    if let Some(lang) = SPEAKING.with(Cell::get) {
        return lang;
    }
    match CURRENT.load(Ordering::Relaxed) {
        1 => Lang::En,
        _ => Lang::Ru,
    }
}

thread_local! {
    /// The language this thread speaks for a while (see `speaking`), over the process's.
    static SPEAKING: Cell<Option<Lang>> = const { Cell::new(None) };
}

/// `work` done in `lang` on this thread only: the server words each console's answers in
/// the language that console speaks, while other threads go on in theirs.
pub fn speaking<T>(lang: Lang, work: impl FnOnce() -> T) -> T {
    /// Gives the thread its language back, even if `work` panics.
    struct Restore(Option<Lang>);
    impl Drop for Restore {
        fn drop(&mut self) {
            SPEAKING.with(|speaking| speaking.set(self.0));
        }
    }
    let _restore = Restore(SPEAKING.with(|speaking| speaking.replace(Some(lang))));
    work()
}

/// The text of `key` in the current language: a `&'static str`, or with `name = value`s a
/// `String` with each `%{name}` filled in.
#[macro_export]
macro_rules! tr {
    ($key:literal) => {{
        static KEPT: $crate::lang::Kept = $crate::lang::Kept::new($key);
        KEPT.get()
    }};
    ($key:literal, $($name:ident = $value:expr),+ $(,)?) => {{
        static KEPT: $crate::lang::Kept = $crate::lang::Kept::new($key);
        $crate::lang::fill(KEPT.get(), &[$((stringify!($name), &$value as &dyn std::fmt::Display)),+])
    }};
}

/// A `tr!`'s text, kept at its place in the code once per language: asking again is an
/// atomic load, not `word`'s lock and search (a page draws twenty of them).
pub struct Kept {
    key: &'static str,
    texts: [std::sync::OnceLock<&'static str>; Lang::ALL.len()],
}

impl Kept {
    pub const fn new(key: &'static str) -> Kept {
        Kept {
            key,
            texts: [const { std::sync::OnceLock::new() }; Lang::ALL.len()],
        }
    }

    pub fn get(&self) -> &'static str {
        let lang = current();
        self.texts[lang as usize].get_or_init(|| word(self.key))
    }
}

/// The catalogue's text of `key` in the current language, looked up once per language and
/// kept for the life of the process (the catalogue is a few hundred short texts). A key
/// missing from the catalogue shows as itself (`tests/catalogue.rs` keeps that from happening).
pub fn word(key: &'static str) -> &'static str {
    static KEPT: Mutex<BTreeMap<(u8, &'static str), &'static str>> = Mutex::new(BTreeMap::new());
    let lang = current();
    let slot = (lang as u8, key);
    let mut kept = KEPT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(text) = kept.get(&slot) {
        return text;
    }
    // the lookup `rust_i18n::t!` makes, without its formatting (pult fills `%{name}` itself)
    let text: &'static str = match crate::_rust_i18n_translate(lang.code(), key) {
        std::borrow::Cow::Borrowed(text) if text == key => key,
        found => Box::leak(found.into_owned().into_boxed_str()),
    };
    kept.insert(slot, text);
    text
}

/// The catalogue's text of a key made at run time (the command line's help is keyed by each
/// command's path), or None when the catalogue has no such key.
pub fn lookup(key: &str) -> Option<&'static str> {
    // kept like `word`'s texts: the help asks for each a few times per run
    static KEPT: Mutex<BTreeMap<(u8, String), &'static str>> = Mutex::new(BTreeMap::new());
    let lang = current();
    let mut kept = KEPT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(text) = kept.get(&(lang as u8, key.to_string())) {
        return Some(text);
    }
    let found = crate::_rust_i18n_try_translate(lang.code(), key)?;
    let text: &'static str = Box::leak(found.into_owned().into_boxed_str());
    kept.insert((lang as u8, key.to_string()), text);
    Some(text)
}

/// A catalogue's text with its `%{name}`s filled from `values`. One pass over the text: a
/// value that itself holds `%{…}` (a reason someone typed) is never filled in again.
pub fn fill(text: &'static str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut rest = text;
    let mut text = String::with_capacity(rest.len() + 16);
    while let Some(at) = rest.find("%{") {
        text.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else {
            text.push_str(&rest[at..]);
            return text;
        };
        let name = &after[..end];
        match values.iter().find(|(known, _)| *known == name) {
            Some((_, value)) => {
                let _ = std::fmt::Write::write_fmt(&mut text, format_args!("{value}"));
            }
            None => text.push_str(&rest[at..at + 2 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    text.push_str(rest);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_filled_in_once_and_a_thread_speaks_its_own_language() {
        let typed = "%{id}";
        let said = speaking(Lang::Ru, || tr!("detail.cancelled", reason = typed));
        assert_eq!(said, "Отменено: %{id}");
        let english = speaking(Lang::En, || tr!("status.saved", id = 7));
        assert_eq!(english, "Request 7 saved");
        assert_eq!(
            speaking(Lang::Ru, || tr!("status.saved", id = 7)),
            "Обращение 7 сохранено"
        );
    }

    #[test]
    fn the_environment_chooses_english_only_when_it_asks_for_it() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| value.to_string())
            }
        };
        assert_eq!(Lang::from_env(env(&[])), Lang::Ru);
        assert_eq!(Lang::from_env(env(&[("LANG", "C.UTF-8")])), Lang::Ru);
        assert_eq!(Lang::from_env(env(&[("LANG", "en_US.UTF-8")])), Lang::En);
        assert_eq!(
            Lang::from_env(env(&[
                ("LANG", "en_US.UTF-8"),
                ("LC_MESSAGES", "ru_RU.UTF-8")
            ])),
            Lang::Ru
        );
        assert_eq!(
            Lang::from_env(env(&[("LC_ALL", "en_GB"), ("PULT_LANG", "ru")])),
            Lang::Ru
        );
        assert_eq!(Lang::from_env(env(&[("LANG", "de_DE.UTF-8")])), Lang::Ru);
    }
}
