//! The `glossa` command line: parses arguments, calls the library, prints
//! diagnostics and maps the outcome to exit codes (0 ok, 1 content errors,
//! 2 usage errors).

/// jemalloc, not the system allocator: at 10,000 articles a cold build
/// took 35% less CPU with it than with glibc's malloc (16 s against 25 s,
/// the allocations of rendering) for about the same peak (258 MB against
/// 237 MB). Freed pages go back to the system after a second
/// (`dirty_decay_ms`) and are not kept in reserve (`muzzy_decay_ms`), which
/// keeps the peak down while the graph is built and pages render.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options (its `malloc_conf`), read when it starts.
#[cfg(not(target_env = "msvc"))]
#[unsafe(export_name = "_rjem_malloc_conf")]
static JEMALLOC_CONF: JemallocConf = JemallocConf(c"dirty_decay_ms:1000,muzzy_decay_ms:0".as_ptr());

/// A C string pointer jemalloc reads (`const char *malloc_conf`).
#[cfg(not(target_env = "msvc"))]
#[repr(transparent)]
struct JemallocConf(*const std::ffi::c_char);

// SAFETY: it points at a static, immutable C string.
#[cfg(not(target_env = "msvc"))]
unsafe impl Sync for JemallocConf {}

/// `glossa check` renders every page and writes none, so it frees what a
/// page's rendering used faster than a build does; with freed pages kept for
/// a second its peak was above a build's (138–141 MB against 132–142 MB at
/// 10,000 articles; docs/performance-history.md, "How each target got
/// here"), though it holds less. It gives them back after a tenth of a
/// second (every arena, and those made later):
/// 126–129 MB, for 1–3% more time.
fn purge_sooner() {
    #[cfg(not(target_env = "msvc"))]
    {
        /// Sets jemalloc's `name` (an ssize_t) to `ms`; nothing when it has no
        /// such setting now.
        fn set(name: &std::ffi::CStr, mut ms: isize) {
            // SAFETY: the names given take an ssize_t, by pointer and size; no old value is read.
            unsafe {
                tikv_jemalloc_sys::mallctl(
                    name.as_ptr(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    (&raw mut ms).cast(),
                    std::mem::size_of::<isize>(),
                );
            }
        }
        // the arenas made from now on, then those already made (an arena not
        // made yet has no setting)
        set(c"arenas.dirty_decay_ms", 100);
        let (mut arenas, mut size): (u32, usize) = (0, std::mem::size_of::<u32>());
        // SAFETY: `arenas.narenas` is an unsigned, read into `arenas` of `size` bytes.
        unsafe {
            tikv_jemalloc_sys::mallctl(
                c"arenas.narenas".as_ptr(),
                (&raw mut arenas).cast(),
                &mut size,
                std::ptr::null_mut(),
                0,
            );
        }
        for i in 0..arenas {
            if let Ok(name) = std::ffi::CString::new(format!("arena.{i}.dirty_decay_ms")) {
                set(&name, 100);
            }
        }
    }
}

/// Returns every page jemalloc holds freed to the system now, in every
/// arena ([`glossa::memory`] says when and why).
fn purge_now() {
    // (4096 is jemalloc 5's MALLCTL_ARENAS_ALL: every arena)
    #[cfg(not(target_env = "msvc"))]
    // SAFETY: `arena.4096.purge` reads and writes no value.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            c"arena.4096.purge".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        );
    }
}

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use glossa::{BuildOptions, build};

#[derive(Parser)]
#[command(name = "glossa", version, about = "A static site generator for annotated articles")]
struct Cli {
    /// The site root: the folder holding glossa.toml.
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    /// Print no progress and no summary line; warnings and errors still print.
    #[arg(long, short = 'q', global = true)]
    quiet: bool,
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
        /// Keep watching content/, templates/, static/ and glossa.toml and
        /// rebuild after every change (Ctrl-C to stop).
        #[arg(long)]
        watch: bool,
    },
    /// Build, serve the site with live reload and rebuild on every change.
    Serve {
        /// The address to listen on.
        #[arg(long, short = 'i', default_value = "127.0.0.1")]
        interface: std::net::IpAddr,
        /// The port (a free one is picked if it is taken).
        #[arg(long, short = 'p', default_value_t = 1111)]
        port: u16,
        /// Open the site in the default browser.
        #[arg(long, short = 'O')]
        open: bool,
        /// Where to write the site (default: ROOT/public).
        #[arg(long, short = 'o')]
        output_dir: Option<PathBuf>,
        /// Base URL (default: http://INTERFACE:PORT/); a path part such as
        /// /sub/ serves the site under that path.
        #[arg(long)]
        base_url: Option<String>,
        /// Include articles marked `draft = true`.
        #[arg(long)]
        drafts: bool,
        /// No annotate mode: pages are served as built, and nothing is
        /// written from the browser.
        #[arg(long)]
        read_only: bool,
    },
    /// Report what the annotations and autolinking leave out: names that
    /// are not mentions, quotes not annotated, names that match no entity.
    Suggest {
        #[arg(long)]
        drafts: bool,
        /// Output format of the report.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Write every annotation as a W3C Web Annotation collection (JSON-LD).
    Export {
        /// Where to write it (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// The site's public address (e.g. https://example.org/), overriding
        /// glossa.toml: annotation ids are built on it and must be absolute
        /// IRIs, so a base URL that is only a path is refused (exit 2).
        #[arg(long)]
        base_url: Option<String>,
        #[arg(long)]
        drafts: bool,
    },
    /// Load, anchor and link everything and check every internal link,
    /// without writing; report every problem.
    Check {
        #[arg(long)]
        base_url: Option<String>,
        #[arg(long)]
        drafts: bool,
        /// Output format of the diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Write re-anchored annotation text back into the annotation files
        /// (only the `exact` strings change; comments and layout are kept).
        #[arg(long)]
        fix: bool,
    },
    /// Scaffold a new site in DIR that builds at once.
    Init {
        /// The folder to create the site in (created if missing).
        dir: PathBuf,
        /// Also copy the default templates and static files, to edit.
        #[arg(long)]
        templates: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

fn main() -> ExitCode {
    glossa::memory::on_release(purge_now);
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let out = Out {
        color: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        quiet: cli.quiet,
    };
    if !cli.root.is_dir() {
        eprintln!("error: the site root {} is not a folder", cli.root.display());
        return ExitCode::from(2);
    }
    let root = &cli.root;
    match cli.command {
        Command::Build {
            output_dir,
            base_url,
            drafts,
            watch,
        } => {
            let opts = BuildOptions {
                output_dir,
                base_url,
                drafts,
            };
            if watch {
                build_and_watch(root, opts, out)
            } else {
                build_once(root, &opts, out)
            }
        }
        Command::Serve {
            interface,
            port,
            open,
            output_dir,
            base_url,
            drafts,
            read_only,
        } => {
            let mut opts = glossa::serve::ServeOptions::new(root);
            opts.build = BuildOptions {
                output_dir,
                base_url,
                drafts,
            };
            opts.interface = interface;
            opts.port = port;
            opts.open = open;
            opts.color = out.color;
            opts.read_only = read_only;
            serve(opts)
        }
        Command::Check {
            base_url,
            drafts,
            format,
            fix,
        } => {
            let opts = BuildOptions {
                output_dir: None,
                base_url,
                drafts,
            };
            purge_sooner();
            check(root, &opts, format, fix, out)
        }
        Command::Export {
            output,
            base_url,
            drafts,
        } => {
            let opts = BuildOptions {
                base_url,
                drafts,
                ..Default::default()
            };
            export(root, &opts, output, out)
        }
        Command::Suggest { drafts, format } => {
            let opts = BuildOptions {
                drafts,
                ..Default::default()
            };
            suggest(root, &opts, format, out)
        }
        Command::Init { dir, templates } => init(&dir, templates),
    }
}

/// How to print: in colour (stderr is a terminal and `NO_COLOR` is not
/// set), and whether `--quiet` was given.
#[derive(Clone, Copy)]
struct Out {
    color: bool,
    quiet: bool,
}

/// `glossa build --watch`: build, then rebuild after every change until Ctrl-C.
fn build_and_watch(root: &Path, opts: BuildOptions, out: Out) -> ExitCode {
    let interrupt = Interrupt::catch();
    match glossa::serve::watch_and_build(root, opts, out.color, glossa::serve::DEBOUNCE) {
        Ok(watching) => {
            wait_for_ctrl_c(interrupt);
            watching.stop();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot watch {}: {e}", root.display());
            ExitCode::from(1)
        }
    }
}

/// `glossa serve`: until Ctrl-C.
fn serve(opts: glossa::serve::ServeOptions) -> ExitCode {
    let (interface, port) = (opts.interface, opts.port);
    let interrupt = Interrupt::catch();
    match glossa::serve::start(opts) {
        Ok(server) => {
            wait_for_ctrl_c(interrupt);
            eprintln!("Stopping.");
            server.stop();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot serve on {interface}:{port}: {e}");
            ExitCode::from(1)
        }
    }
}

/// `glossa build`: the site, its warnings, the hosts that would refuse it
/// and a last line with what was written and the output's size.
fn build_once(root: &Path, opts: &BuildOptions, out: Out) -> ExitCode {
    let started = Instant::now();
    // (a phase line on a terminal only: nothing in a pipe or a CI log)
    glossa::progress::enable(std::io::stderr().is_terminal() && !out.quiet);
    glossa::progress::start("reading the last build's manifest");
    let built = build(root, opts);
    glossa::progress::clear();
    let (report, diags, sources) = match built {
        Ok(built) => built,
        Err(f) => {
            eprint!("{}", f.diags.render(&f.sources, out.color));
            eprintln!("Nothing was written.");
            return ExitCode::from(1);
        }
    };
    if !diags.is_empty() {
        eprint!("{}", diags.render(&sources, out.color));
    }
    let s = report.stats;
    // Hosts that would refuse the site, then the last line with the output's size.
    let size = match &report.size {
        Some(size) => {
            for w in glossa::output::hosting::warnings(size, &glossa::output::hosting::LIMITS) {
                eprintln!("{w}");
            }
            format!(": {}", glossa::output::hosting::summary(size))
        }
        None => String::new(),
    };
    if !out.quiet {
        eprintln!(
            "Built {} pages into {} in {} ms ({} rendered; files: {} written, {} unchanged, {} removed){size}",
            report.pages,
            report.output_dir.display(),
            started.elapsed().as_millis(),
            report.rendered,
            s.written,
            s.unchanged,
            s.removed
        );
    }
    ExitCode::SUCCESS
}

/// `glossa check [--fix]`: every problem, as text or JSON.
fn check(root: &Path, opts: &BuildOptions, format: Format, fix: bool, out: Out) -> ExitCode {
    glossa::progress::enable(std::io::stderr().is_terminal() && !out.quiet);
    glossa::progress::start("loading articles, annotations and entities");
    let report = glossa::check(root, opts, fix);
    glossa::progress::clear();
    match format {
        Format::Json => println!("{}", report.diags.to_json(&report.sources)),
        Format::Human => eprint!("{}", report.diags.render(&report.sources, out.color)),
    }
    for f in &report.fixed {
        eprintln!("fixed {}", f.display());
    }
    if report.diags.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `glossa export [-o FILE]`: the W3C collection, to a file or stdout.
fn export(root: &Path, opts: &BuildOptions, output: Option<PathBuf>, out: Out) -> ExitCode {
    let collection = match glossa::export(root, opts) {
        Ok(Ok(v)) => v,
        Ok(Err(relative)) => {
            eprintln!("error: {relative}\n  = hint: {}", relative.hint());
            return ExitCode::from(2);
        }
        Err(f) => {
            eprint!("{}", f.diags.render(&f.sources, out.color));
            return ExitCode::from(1);
        }
    };
    let text = serde_json::to_string_pretty(&collection).unwrap_or_default() + "\n";
    let Some(path) = output else {
        print!("{text}");
        return ExitCode::SUCCESS;
    };
    match std::fs::write(&path, text) {
        Ok(()) => {
            eprintln!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", path.display());
            ExitCode::from(1)
        }
    }
}

/// `glossa suggest`: the coverage report, as text or JSON.
fn suggest(root: &Path, opts: &BuildOptions, format: Format, out: Out) -> ExitCode {
    match glossa::suggest(root, opts) {
        Ok(report) => {
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default()),
                Format::Human => print!("{}", glossa::commands::suggest::render_human(&report)),
            }
            ExitCode::SUCCESS
        }
        Err(f) => {
            eprint!("{}", f.diags.render(&f.sources, out.color));
            ExitCode::from(1)
        }
    }
}

/// `glossa init DIR [--templates]`: the files made, and what to do next.
fn init(dir: &Path, templates: bool) -> ExitCode {
    match glossa::commands::init::init(dir, templates) {
        Ok(files) => {
            for f in &files {
                eprintln!("created {}", dir.join(f).display());
            }
            eprintln!("Next: glossa --root {} serve", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Ctrl-C (SIGINT) and SIGTERM, caught from the moment this is made (so a
/// Ctrl-C during the first build is not lost) until [`Interrupt::wait`].
struct Interrupt {
    rt: tokio::runtime::Runtime,
    #[cfg(unix)]
    signals: Vec<tokio::signal::unix::Signal>,
}

impl Interrupt {
    fn catch() -> Option<Interrupt> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_io().build().ok()?;
        #[cfg(unix)]
        let signals = {
            use tokio::signal::unix::{SignalKind, signal};
            let _guard = rt.enter();
            vec![
                signal(SignalKind::interrupt()).ok()?,
                signal(SignalKind::terminate()).ok()?,
            ]
        };
        Some(Interrupt {
            rt,
            #[cfg(unix)]
            signals,
        })
    }

    /// Blocks until Ctrl-C or SIGTERM.
    fn wait(self) {
        #[cfg(unix)]
        {
            let Interrupt { rt, mut signals } = self;
            rt.block_on(async {
                let (int, rest) = signals.split_at_mut(1);
                tokio::select! {
                    _ = int[0].recv() => {}
                    _ = rest[0].recv() => {}
                }
            });
        }
        #[cfg(not(unix))]
        {
            let _ = self.rt.block_on(tokio::signal::ctrl_c());
        }
    }
}

/// Blocks until Ctrl-C, with the handler set up by `caught` (made before the
/// work started) when there is one.
fn wait_for_ctrl_c(caught: Option<Interrupt>) {
    match caught.or_else(Interrupt::catch) {
        Some(i) => i.wait(),
        // No signal handling: wait until the process is killed.
        None => loop {
            std::thread::park();
        },
    }
}
