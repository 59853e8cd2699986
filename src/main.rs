fn main() -> std::process::ExitCode {
    pult::cli::main()
}
