//! The `glossa` command line: parses arguments, calls the library, prints
//! diagnostics and maps the outcome to exit codes (0 ok, 1 content errors,
//! 2 usage errors).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use glossa::{BuildOptions, build, load};

#[derive(Parser)]
#[command(name = "glossa", version, about = "A static site generator for annotated articles")]
struct Cli {
    /// The site root: the folder holding glossa.toml.
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into public/ (nothing is written if there is an error).
    Build {
        /// Where to write the site (default: ROOT/public).
        #[arg(long, short = 'o')]
        output_dir: Option<PathBuf>,
        /// Base URL, overriding glossa.toml (e.g. https://user.github.io/project/).
        #[arg(long)]
        base_url: Option<String>,
        /// Include articles marked `draft = true`.
        #[arg(long)]
        drafts: bool,
    },
    /// Load, anchor and link everything without writing; report every problem.
    Check {
        #[arg(long)]
        base_url: Option<String>,
        #[arg(long)]
        drafts: bool,
        /// Output format of the diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    if !cli.root.is_dir() {
        eprintln!("error: the site root {} is not a folder", cli.root.display());
        return ExitCode::from(2);
    }
    match cli.command {
        Command::Build { output_dir, base_url, drafts } => {
            let started = Instant::now();
            let opts = BuildOptions { output_dir, base_url, drafts };
            match build(&cli.root, &opts) {
                Ok((report, diags, sources)) => {
                    if !diags.is_empty() {
                        eprint!("{}", diags.render(&sources, color));
                    }
                    let s = report.stats;
                    eprintln!(
                        "Built {} pages into {} in {} ms ({} written, {} unchanged, {} removed)",
                        report.pages,
                        report.output_dir.display(),
                        started.elapsed().as_millis(),
                        s.written,
                        s.unchanged,
                        s.removed
                    );
                    ExitCode::SUCCESS
                }
                Err(f) => {
                    eprint!("{}", f.diags.render(&f.sources, color));
                    eprintln!("Nothing was written.");
                    ExitCode::from(1)
                }
            }
        }
        Command::Check { base_url, drafts, format } => {
            let opts = BuildOptions { output_dir: None, base_url, drafts };
            let loaded = load(&cli.root, &opts);
            match format {
                Format::Json => println!("{}", loaded.diags.to_json(&loaded.sources)),
                Format::Human => eprint!("{}", loaded.diags.render(&loaded.sources, color)),
            }
            if loaded.diags.has_errors() || loaded.tera.is_none() { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
    }
}
