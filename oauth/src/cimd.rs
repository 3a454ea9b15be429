//! Client ID Metadata Documents: a client whose id is an https URL publishes its metadata (name,
//! redirect URIs) at that URL. We fetch it with a size cap (64 KiB), a time cap (5 s), no
//! redirects, and only from public addresses (the host is resolved first and the connection is
//! pinned to the checked address, so DNS cannot swap in an internal one). Documents are cached
//! for five minutes. Plain http on 127.0.0.1 is accepted only when the operator turns on
//! `allow_loopback_client_metadata` (tests and local development).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;
use url::Url;

use crate::AuthServer;
use crate::clients::{Client, ClientKind, UnknownClient, check_redirect_uri, shorten};

const MAX_BYTES: usize = 64 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
const CACHE_FOR: Duration = Duration::from_secs(300);
const CACHE_MAX: usize = 512;

/// Fetched documents by URL.
#[derive(Debug, Default)]
pub struct Cache(Mutex<HashMap<String, (Instant, Client)>>);

#[derive(Debug, Deserialize)]
struct Document {
    client_id: String,
    #[serde(default)]
    client_name: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
}

fn refuse(url: &str, why: impl std::fmt::Display) -> UnknownClient {
    UnknownClient(format!(
        "The client id `{}` is a metadata document URL, but {why}.",
        shorten(url)
    ))
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            let seg = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg & 0xfe00) == 0xfc00
                || (seg & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|m| !is_public(IpAddr::V4(m))))
        }
    }
}

/// Resolves (from the cache or by fetching) the client behind a metadata document URL.
pub async fn resolve(server: &AuthServer, client_id: &str) -> Result<Client, UnknownClient> {
    {
        let cache = server
            .cimd_cache
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some((at, client)) = cache.get(client_id)
            && at.elapsed() < CACHE_FOR
        {
            return Ok(client.clone());
        }
    }
    let client = fetch(server, client_id).await?;
    let mut cache = server
        .cimd_cache
        .0
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if cache.len() >= CACHE_MAX {
        cache.retain(|_, (at, _)| at.elapsed() < CACHE_FOR);
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
    }
    cache.insert(client_id.to_owned(), (Instant::now(), client.clone()));
    Ok(client)
}

async fn fetch(server: &AuthServer, client_id: &str) -> Result<Client, UnknownClient> {
    let url =
        Url::parse(client_id).map_err(|e| refuse(client_id, format!("it is not a URL ({e})")))?;
    let loopback_dev = server.config.allow_loopback_client_metadata
        && url.scheme() == "http"
        && url.host_str() == Some("127.0.0.1");
    if url.scheme() != "https" && !loopback_dev {
        return Err(refuse(client_id, "it is not https"));
    }
    if url.path() == "/"
        || url.path().is_empty()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(refuse(
            client_id,
            "it needs a path, and no fragment or user name",
        ));
    }
    let host = url
        .host_str()
        .ok_or_else(|| refuse(client_id, "it has no host"))?
        .to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = tokio::time::timeout(
        FETCH_TIMEOUT,
        tokio::net::lookup_host((host.as_str(), port)),
    )
    .await
    .map_err(|_| refuse(client_id, "its host name did not resolve in time"))?
    .map_err(|_| refuse(client_id, "its host name does not resolve"))?
    .collect();
    let addr = addrs
        .into_iter()
        .find(|a| loopback_dev || is_public(a.ip()))
        .ok_or_else(|| {
            refuse(
                client_id,
                "its host resolves only to private or loopback addresses",
            )
        })?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(FETCH_TIMEOUT)
        .resolve(&host, addr)
        .build()
        .map_err(|_| refuse(client_id, "the server could not prepare the request"))?;
    let mut resp = http
        .get(url.clone())
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|_| refuse(client_id, "fetching it failed"))?;
    if !resp.status().is_success() {
        return Err(refuse(
            client_id,
            format!("fetching it answered HTTP {}", resp.status().as_u16()),
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|_| refuse(client_id, "reading it failed"))?
    {
        if body.len() + chunk.len() > MAX_BYTES {
            return Err(refuse(client_id, "the document is larger than 64 KiB"));
        }
        body.extend_from_slice(&chunk);
    }
    let doc: Document = serde_json::from_slice(&body).map_err(|e| {
        refuse(
            client_id,
            format!("the document is not valid client metadata JSON ({e})"),
        )
    })?;
    if doc.client_id != client_id {
        return Err(refuse(
            client_id,
            "the document's client_id is not the URL it was fetched from",
        ));
    }
    if doc.redirect_uris.is_empty() || doc.redirect_uris.len() > 20 {
        return Err(refuse(
            client_id,
            "the document lists no redirect_uris (or more than 20)",
        ));
    }
    for uri in &doc.redirect_uris {
        check_redirect_uri(uri).map_err(|e| refuse(client_id, e))?;
    }
    match doc.token_endpoint_auth_method.as_deref() {
        None | Some("none") => {}
        Some(other) => {
            return Err(refuse(
                client_id,
                format!(
                    "it asks for token_endpoint_auth_method `{other}`; this server supports only `none` for metadata-document clients"
                ),
            ));
        }
    }
    let name = doc
        .client_name
        .map(|n| n.chars().take(100).collect::<String>())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| host.clone());
    Ok(Client {
        client_id: client_id.to_owned(),
        name,
        redirect_uris: doc.redirect_uris,
        auth_method: "none".into(),
        secret_hash: None,
        kind: ClientKind::MetadataDocument,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_loopback_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.1.1",
            "172.16.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
        ] {
            assert!(!is_public(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["1.1.1.1", "2606:4700::1111"] {
            assert!(is_public(ip.parse().expect("ip")), "{ip}");
        }
    }
}
