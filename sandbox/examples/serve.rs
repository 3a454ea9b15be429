//! Runs the emulator alone on a loopback port until Ctrl-C, for poking at it with curl:
//! `cargo run -p sandbox --example serve -- 8099`, then
//! `curl -H 'Authorization: Bearer x' -H 'Version: 2021-07-28' http://127.0.0.1:8099/locations/sbxDemoLoc4Q8hT2vW7k`.

use std::net::SocketAddr;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = match std::env::args().nth(1) {
        None => 0,
        Some(p) => match p.parse() {
            Ok(p) => p,
            Err(_) => {
                eprintln!(
                    "usage: serve [PORT]  (PORT must be a number from 0 to 65535, got {p:?})"
                );
                std::process::exit(2);
            }
        },
    };
    let sandbox = sandbox::Sandbox::start_on(
        SocketAddr::from(([127, 0, 0, 1], port)),
        sandbox::SandboxConfig::default(),
    )
    .await?;
    println!(
        "HighLevel sandbox at {} (location {})",
        sandbox.base_url(),
        sandbox::DEMO_LOCATION_ID
    );
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown().await;
    Ok(())
}
