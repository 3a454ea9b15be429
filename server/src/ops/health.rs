//! `highlevel-mcp health`: asks the server running on this host whether it is healthy, so an
//! image without a shell or curl (`FROM scratch`) can still have a `HEALTHCHECK`.

use std::time::Duration;

use super::flags::HealthArgs;

/// GETs `http://127.0.0.1:<port><path>`; `Ok` on a 2xx within 3 s, else what went wrong.
pub async fn check(args: &HealthArgs) -> anyhow::Result<()> {
    let url = format!("http://127.0.0.1:{}{}", args.port, args.path);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let resp = client
        .get(&url)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{url} did not answer: {e}"))?;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    if status.is_success() {
        println!("{body}");
        Ok(())
    } else {
        anyhow::bail!(
            "{url} answered {status}: {}",
            body.chars().take(500).collect::<String>()
        )
    }
}
