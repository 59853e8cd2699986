use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = pult::cli::Cli::parse();
    match pult::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pult: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
