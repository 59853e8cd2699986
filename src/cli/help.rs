//! The command line's help in the current language: each command's and argument's text is
//! the catalogue's `cli.help.<path>` (`cli.help.pult.report.daily.date`), a command's
//! examples after its options are `cli.help.<path>.examples`, and the headings clap writes
//! itself come from the catalogue too.

use clap::{Arg, ArgAction, Command};

use crate::lang;

/// The language `--lang` asks for, read before clap parses (its help is written while
/// parsing, so it must already be in that language).
pub fn lang_asked(args: &[String]) -> Option<lang::Lang> {
    let mut words = args.iter();
    while let Some(word) = words.next() {
        let value = match word.strip_prefix("--lang") {
            Some("") => words.next().map(String::as_str),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        };
        if let Some(asked) = value.and_then(lang::Lang::parse) {
            return Some(asked);
        }
    }
    None
}

/// `command` with its help, and its subcommands', from the catalogue.
pub fn localized(command: Command) -> Command {
    let path = command.get_name().to_string();
    localize(command, &path, true)
}

fn localize(mut command: Command, path: &str, top: bool) -> Command {
    if let Some(about) = lang::lookup(&format!("cli.help.{path}")) {
        command = command.about(about);
    }
    // what the command accepts and how it is used, after the options
    if let Some(examples) = lang::lookup(&format!("cli.help.{path}.examples")) {
        command = command.after_help(examples);
    }
    let layout = template(&command);
    // clap's own -h and -V, with their help in the current language
    command = command.help_template(layout).disable_help_flag(true).arg(
        Arg::new("help")
            .short('h')
            .long("help")
            .action(ArgAction::Help)
            .help(tr!("cli.flag.help")),
    );
    if top {
        command = command.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help(tr!("cli.flag.version")),
        );
    }
    let ids: Vec<String> = command
        .get_arguments()
        .filter(|arg| top || !arg.is_global_set())
        .map(|arg| arg.get_id().to_string())
        .filter(|id| id != "help" && id != "version")
        .collect();
    for id in ids {
        let help = lang::lookup(&format!("cli.help.{path}.{id}"));
        command = command.mut_arg(id, |arg| {
            let arg = match help {
                Some(help) => arg.help(help),
                None => arg,
            };
            in_words(arg)
        });
    }
    if command.has_subcommands() {
        // `pult help report` is `pult report --help`: one way, in the person's language
        command = command.disable_help_subcommand(true);
    }
    let usage = usage_of(&command, path);
    command = command.override_usage(usage);
    let names: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_string())
        .filter(|name| name != "help")
        .collect();
    for name in names {
        let sub_path = format!("{path}.{name}");
        command = command.mut_subcommand(name, |sub| localize(sub, &sub_path, false));
    }
    command
}

/// An argument as its help shows it: its value's name in the current language, and no
/// `[env: …]`, `[default: …]` or `Possible values` in clap's English (the argument's own text
/// says them).
fn in_words(arg: Arg) -> Arg {
    let takes_value = arg.get_action().takes_values();
    let names: Vec<String> = match arg.get_value_names() {
        Some(names) => names.iter().map(|name| name.to_string()).collect(),
        None if takes_value => vec![arg.get_id().as_str().to_uppercase()],
        None => Vec::new(),
    };
    let translated: Vec<&'static str> = names
        .iter()
        .filter_map(|name| lang::lookup(&format!("cli.value.{}", name.to_lowercase())))
        .collect();
    let arg = arg.hide_env(true);
    let arg = if takes_value {
        arg.hide_default_value(true).hide_possible_values(true)
    } else {
        arg
    };
    if !names.is_empty() && translated.len() == names.len() {
        arg.value_names(translated)
    } else {
        arg
    }
}

/// The usage line clap would write, with its own placeholders in the current language and
/// the command's whole path (`pult report daily [ПАРАМЕТРЫ]`).
fn usage_of(command: &Command, path: &str) -> String {
    let mut built = command.clone();
    built.build();
    let rendered = built.render_usage().to_string();
    // "Usage: daily [OPTIONS]": the heading is the template's, the name is the path's
    let after_heading = rendered
        .split_once(": ")
        .map_or(rendered.as_str(), |(_, rest)| rest);
    let rest = after_heading
        .split_once(' ')
        .map_or("", |(_, rest)| rest)
        .to_string();
    let rest = rest
        .replace("[OPTIONS]", tr!("cli.usage.options"))
        .replace("[COMMAND]", tr!("cli.usage.command_optional"))
        .replace("<COMMAND>", tr!("cli.usage.command"));
    let whole = path.replace('.', " ");
    if rest.is_empty() {
        whole
    } else {
        format!("{whole} {rest}")
    }
}

/// clap's help layout with the headings in the current language.
fn template(command: &Command) -> &'static str {
    if command.has_subcommands() {
        tr!("cli.template.with_commands")
    } else if command.get_positionals().next().is_some() {
        tr!("cli.template.with_arguments")
    } else {
        tr!("cli.template.plain")
    }
}
