//! `blosc2 view`: serves the arrays under the given paths to a browser (the page and API of
//! blosc2-server's viewer).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use blosc2_server::{serve, viewer, Limits};
use clap::Args;

#[derive(Args, Debug)]
pub struct ViewArgs {
    /// `.b2nd` / `.b2frame` files, or folders searched for them.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Address to listen on (0.0.0.0 to serve other machines).
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8090)]
    port: u16,
    /// Most cells one answer may hold (a larger view is refused with 413).
    #[arg(long, default_value_t = Limits::default().cell_budget)]
    cell_budget: u64,
}

pub fn run(args: ViewArgs) -> Result<()> {
    for p in &args.paths {
        if !p.exists() {
            bail!("{}: no such file or folder", p.display());
        }
    }
    let catalog = viewer::Catalog::find(&args.paths);
    for (path, why) in &catalog.skipped {
        eprintln!("skipped {}: {}", path.display(), why.replace('\n', " "));
    }
    if catalog.entries.is_empty() {
        bail!("no readable .b2nd or .b2frame array under the given paths");
    }
    eprintln!("{} arrays", catalog.entries.len());
    let limits = Limits { cell_budget: args.cell_budget, ..Limits::default() };
    serve(viewer::router(catalog, limits.clone()), &limits, &args.bind, args.port)
        .with_context(|| format!("serving on {}:{}", args.bind, args.port))
}
