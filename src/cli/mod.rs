//! The command line: clap structs for what the user typed, resolved into [`Settings`] — the
//! only place that reads environment variables, the terminal and the clock — then handed to
//! `commands`. Exit codes follow `terraform plan -detailed-exitcode`: 0 clean, 2 drift,
//! 1 error or incomplete scan; clap's own usage errors are mapped to 1 so they never read as
//! "drift".

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands;
use crate::error::Error;

#[derive(Debug, Parser)]
#[command(
    name = "driftgate",
    version,
    about = "Where your AWS account has drifted from your Terraform, told truthfully.",
    after_help = "Exit codes: 0 no drift, 2 drift found, 1 error or incomplete scan."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compare terraform state (recorded) with the cloud (observed) and report drift.
    Scan(ScanArgs),
    /// Record what the cloud has now into a file that `scan --observed` can replay.
    Observe(ObserveArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// A terraform state: a local file or s3://bucket/key. Repeat for several states.
    /// Default: ./terraform.tfstate.
    #[arg(long = "state", value_name = "STATE")]
    pub states: Vec<String>,
    /// AWS region to scan. Repeat for several. Default: the regions the states' resources live
    /// in, plus the configured region (AWS_REGION / profile).
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Count AWS-owned objects (default VPC, default security groups, ...) as unmanaged, and
    /// treat resource types driftgate does not support yet as an incomplete scan.
    #[arg(long)]
    pub strict: bool,
    /// Replay a recorded observation (from `driftgate observe`) instead of calling AWS.
    #[arg(long, value_name = "FILE")]
    pub observed: Option<PathBuf>,
    /// Colors in the table: auto (a terminal, and NO_COLOR unset), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct ObserveArgs {
    /// Where to write the observation (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// AWS region to observe. Repeat for several. Default: as for `scan`.
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// States whose sensitive values must be stored only as fingerprints (and whose regions
    /// are observed by default). Default: ./terraform.tfstate when it exists.
    #[arg(long = "state", value_name = "STATE")]
    pub states: Vec<String>,
}

/// Everything a command needs from the outside world, resolved once.
#[derive(Debug, Clone)]
pub struct Settings {
    /// A progress bar on stderr (a terminal, not CI).
    pub progress: bool,
    pub color: bool,
    /// DRIFTGATE_FINGERPRINT_KEY: the key for fingerprints of sensitive values.
    pub fingerprint_key: Option<Vec<u8>>,
    /// Today's date (UTC): the only clock reading.
    pub today: time::Date,
    /// Set by the resolution of default state paths.
    pub cwd: PathBuf,
}

impl Settings {
    pub fn from_env(color: ColorChoice) -> Settings {
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
        let stderr_tty = std::io::stderr().is_terminal();
        let stdout_tty = std::io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Settings {
            progress: stderr_tty && !ci,
            color: match color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => stdout_tty && !no_color,
            },
            fingerprint_key: std::env::var("DRIFTGATE_FINGERPRINT_KEY")
                .ok()
                .filter(|k| !k.is_empty())
                .map(String::into_bytes),
            today: time::OffsetDateTime::now_utc().date(),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        }
    }
}

/// Parse, run, print any error as a diagnostic on stderr, and return the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                // clap exits 2 for usage errors, which would read as "drift found".
                _ => ExitCode::from(1),
            };
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("{:?}", miette::Report::new(e));
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> Result<commands::Outcome, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::AwsConfig(format!("cannot start the async runtime: {e}")))?;
    match cli.command {
        Command::Scan(args) => {
            let settings = Settings::from_env(args.color);
            runtime.block_on(commands::scan::run(&args, &settings))
        }
        Command::Observe(args) => {
            let settings = Settings::from_env(ColorChoice::Never);
            runtime.block_on(commands::observe::run(&args, &settings))
        }
    }
}
