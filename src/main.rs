//! The command line (SPEC.md §1). Exit codes: 0 success, 1 runtime failure,
//! 2 usage or configuration error.
// `deny`, not `forbid`: the one module that needs `unsafe` (the allocator's calls into
// mimalloc) allows it for itself; the library forbids it outright.
#![deny(unsafe_code)]

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use vinstream::record::ProviderKind;
use vinstream::settings::{self, Config};

/// mimalloc, not glibc's malloc: a drained message allocates and frees some 80 small
/// blocks across threads, and glibc's per-thread cache (7 blocks per size) sent most of
/// them to the locked arenas (issue 21; docs/performance.md). Called through
/// `allocator.rs`, not the `mimalloc` crate, which takes a slow path for most sizes.
#[global_allocator]
static ALLOCATOR: allocator::MiMalloc = allocator::MiMalloc;

#[allow(unsafe_code)]
mod allocator;

#[derive(Parser)]
#[command(
    name = "vinstream",
    version,
    about = "Vehicle-telematics MQTT ingestion: provider streams in, normalized VSS records out"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon.
    Run {
        /// Config file (else $VINSTREAM_CONFIG, else /etc/vinstream/vinstream.toml).
        #[arg(
            short,
            long,
            env = "VINSTREAM_CONFIG",
            default_value = "/etc/vinstream/vinstream.toml"
        )]
        config: PathBuf,
    },
    /// Validate the config without connecting.
    Check {
        #[arg(
            short,
            long,
            env = "VINSTREAM_CONFIG",
            default_value = "/etc/vinstream/vinstream.toml"
        )]
        config: PathBuf,
    },
    /// Zero-setup demo: an embedded broker, a simulated fleet in all three provider
    /// formats, and the real pipeline printing normalized records on stdout.
    Demo {
        /// Simulated vehicles (split across High Mobility V2, V1 and BMW).
        #[arg(long, default_value_t = 5)]
        vehicles: usize,
        /// Messages per second, all vehicles together.
        #[arg(long, default_value_t = 5.0)]
        rate: f64,
        /// Stop after this long (e.g. "30s"); default: until Ctrl-C.
        #[arg(long)]
        duration: Option<String>,
        /// Print the configuration the demo runs, as a starting point, and exit.
        #[arg(long)]
        print_config: bool,
    },
    /// Log in to BMW CarData (device-code flow) and write the token file.
    BmwLogin {
        /// The CarData client id from the BMW portal.
        #[arg(long)]
        client_id: String,
        /// Where to write the tokens (mode 0600); the daemon's `token_file`.
        #[arg(long)]
        token_file: PathBuf,
        #[arg(long, default_value = vinstream::providers::bmw::oauth::DEFAULT_DEVICE_CODE_URL)]
        device_code_url: String,
        #[arg(long, default_value = vinstream::providers::bmw::oauth::DEFAULT_TOKEN_URL)]
        token_url: String,
    },
    /// Normalize provider payloads from FILE or stdin and print records.
    Normalize {
        #[arg(long, value_enum)]
        format: Format,
        file: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    #[value(name = "hm-v1")]
    HmV1,
    #[value(name = "hm-v2")]
    HmV2,
    #[value(name = "bmw")]
    Bmw,
}

fn main() -> ExitCode {
    allocator::configure();
    // One TLS crypto provider for the whole process (rumqttc and reqwest both use it).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    match cli.command {
        Command::Run { config } => run(config),
        Command::Check { config } => check(config),
        Command::Normalize { format, file } => normalize(format, file),
        Command::Demo {
            vehicles,
            rate,
            duration,
            print_config,
        } => demo(vehicles, rate, duration, print_config),
        Command::BmwLogin {
            client_id,
            token_file,
            device_code_url,
            token_url,
        } => bmw_login(&client_id, &token_file, &device_code_url, &token_url),
    }
}

fn demo(vehicles: usize, rate: f64, duration: Option<String>, print_config: bool) -> ExitCode {
    if print_config {
        print!("{}", vinstream::demo::print_config());
        return ExitCode::SUCCESS;
    }
    let duration = match duration.map(|d| humantime::parse_duration(d.trim())) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            eprintln!("vinstream demo: --duration: {e} (e.g. \"30s\", \"5m\")");
            return ExitCode::from(2);
        }
    };
    if rate.is_nan() || rate <= 0.0 || vehicles == 0 {
        eprintln!("vinstream demo: --rate and --vehicles must be positive");
        return ExitCode::from(2);
    }
    vinstream::logging::init(vinstream::config::LogFormat::Text, "info,rumqttd=off");
    let runtime = match vinstream::daemon::runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let opts = vinstream::demo::Options {
        vehicles,
        rate,
        duration,
    };
    let result = runtime.block_on(vinstream::demo::run(opts));
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vinstream demo: {e}");
            ExitCode::from(1)
        }
    }
}

fn bmw_login(
    client_id: &str,
    token_file: &std::path::Path,
    device_code_url: &str,
    token_url: &str,
) -> ExitCode {
    use vinstream::providers::bmw::{login, oauth::OAuth};
    let problems = login::check_flags(client_id, token_file, device_code_url, token_url);
    if !problems.is_empty() {
        for p in problems {
            eprintln!("vinstream bmw-login: {p}");
        }
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        let oauth = OAuth::new(client_id, device_code_url, token_url)?;
        let mut out = std::io::stdout();
        login::login(&oauth, token_file, &mut out).await
    });
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vinstream bmw-login: {e}");
            ExitCode::from(1)
        }
    }
}

fn load(path: &std::path::Path) -> Result<Config, ExitCode> {
    settings::load(path).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(2)
    })
}

fn run(path: PathBuf) -> ExitCode {
    let config = match load(&path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    vinstream::logging::init(config.daemon.log_format, &config.daemon.log_level);
    let runtime = match vinstream::daemon::runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(vinstream::daemon::run(config, Some(path)));
    // A sink can be stuck in a blocking write (a full stdout pipe): don't wait for it.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("vinstream: {e}");
            ExitCode::from(1)
        }
    }
}

fn check(path: PathBuf) -> ExitCode {
    let config = match load(&path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    println!("{}: configuration is valid", path.display());
    for (name, p) in &config.providers {
        let (host, port) = p.broker();
        let topics = p.topics().join(", ");
        println!(
            "  provider {name}: {} {host}:{port} topic {topics}",
            p.kind()
        );
    }
    for (name, s) in &config.sinks {
        println!("  sink {name}: {}", s.kind());
    }
    println!("  state_dir: {}", config.daemon.state_dir.display());
    ExitCode::SUCCESS
}

fn normalize(format: Format, file: Option<PathBuf>) -> ExitCode {
    let (kind, name) = match format {
        Format::HmV1 => (ProviderKind::HighMobilityV1, "hm-v1"),
        Format::HmV2 => (ProviderKind::HighMobilityV2, "hm-v2"),
        Format::Bmw => (ProviderKind::BmwCardata, "bmw"),
    };
    let input = match &file {
        Some(f) => std::fs::read(f).map_err(|e| format!("cannot read {}: {e}", f.display())),
        None => {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
                .map(|_| buf)
                .map_err(|e| format!("cannot read stdin: {e}"))
        }
    };
    let input = match input {
        Ok(i) => i,
        Err(e) => {
            eprintln!("vinstream normalize: {e}");
            return ExitCode::from(1);
        }
    };
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    match vinstream::offline::normalize_all(
        kind,
        name,
        &input,
        &mut stdout.lock(),
        &mut stderr.lock(),
    ) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("vinstream normalize: {e}");
            ExitCode::from(1)
        }
    }
}
