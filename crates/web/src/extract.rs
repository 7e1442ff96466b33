//! Extractors: who is signed in (cookie for pages, bearer token for the API), request ids, and CSRF.

use crate::AppState;
use crate::error::WebError;
use crate::security::RequestId;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use concordat_app::AppError;
use concordat_app::auth::{SessionContext, SessionKind};
use concordat_domain::policy::Actor;
use std::net::IpAddr;
use std::sync::Arc;

pub const SESSION_COOKIE: &str = "concordat_session";
pub const CSRF_COOKIE: &str = "concordat_csrf";

/// Reads a cookie by name.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn request_id(parts: &Parts) -> Option<String> {
    parts.extensions.get::<RequestId>().map(|r| r.0.clone())
}

/// A signed-in browser user who has passed MFA where their role needs it.
pub struct Signed {
    pub ctx: SessionContext,
    pub request_id: Option<String>,
}

impl Signed {
    /// The actor for app calls.
    pub fn actor(&self) -> Result<Actor, WebError> {
        self.ctx.actor(self.request_id.clone()).ok_or_else(|| {
            WebError::html(AppError::invalid(
                "membership",
                "your account has no role yet: ask your administrator",
            ))
        })
    }
}

/// A browser session whether or not MFA is done (for the MFA pages themselves).
pub struct AnySession {
    pub ctx: SessionContext,
    pub request_id: Option<String>,
}

async fn session_from(parts: &Parts, state: &AppState) -> Result<Option<SessionContext>, WebError> {
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    state
        .app
        .resolve_session(token, SessionKind::Cookie)
        .await
        .map_err(WebError::html)
}

impl FromRequestParts<Arc<AppState>> for AnySession {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        match session_from(parts, state).await? {
            Some(ctx) => Ok(AnySession {
                ctx,
                request_id: request_id(parts),
            }),
            None => Err(WebError::Redirect("/sign-in".into())),
        }
    }
}

impl OptionalFromRequestParts<Arc<AppState>> for AnySession {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(session_from(parts, state).await?.map(|ctx| AnySession {
            ctx,
            request_id: request_id(parts),
        }))
    }
}

impl FromRequestParts<Arc<AppState>> for Signed {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let Some(ctx) = session_from(parts, state).await? else {
            return Err(WebError::Redirect("/sign-in".into()));
        };
        if ctx.mfa_outstanding() {
            let to = if ctx.user.totp_enabled {
                "/sign-in/mfa"
            } else {
                "/mfa/enrol"
            };
            return Err(WebError::Redirect(to.into()));
        }
        Ok(Signed {
            ctx,
            request_id: request_id(parts),
        })
    }
}

/// An API caller with a bearer token.
pub struct ApiUser {
    pub ctx: SessionContext,
    pub request_id: Option<String>,
}

impl ApiUser {
    pub fn actor(&self) -> Result<Actor, WebError> {
        self.ctx.actor(self.request_id.clone()).ok_or_else(|| {
            WebError::json(AppError::invalid("membership", "this account has no role"))
        })
    }
}

impl FromRequestParts<Arc<AppState>> for ApiUser {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(WebError::Json(AppError::Unauthenticated))?;
        let ctx = state
            .app
            .resolve_session(token, SessionKind::Bearer)
            .await
            .map_err(WebError::json)?
            .ok_or(WebError::Json(AppError::Unauthenticated))?;
        Ok(ApiUser {
            ctx,
            request_id: request_id(parts),
        })
    }
}

/// A network (an address and a prefix length), as in `10.0.0.0/8`, `192.0.2.7` or `2001:db8::/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `ADDRESS` or `ADDRESS/PREFIX`; the message says what is wrong.
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (a, p) = s.split_once('/').unwrap_or((s, ""));
        let addr: IpAddr = a
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or network such as 10.0.0.0/8"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = if p.is_empty() {
            max
        } else {
            p.parse::<u8>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {max}"))?
        };
        Ok(Cidr { addr, prefix })
    }

    /// Whether `ip` is in this network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let max = if self.addr.is_ipv4() { 32 } else { 128 };
        if self.prefix == max {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

/// The client's address as the throttles see it. `X-Forwarded-For` is believed only when the socket
/// peer is a configured trusted proxy: then the client is the right-most address in the header that
/// is not itself a trusted proxy (addresses to its left could have been written by the client).
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[Cidr],
) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // An entry that is not an address ends the walk: nothing to its left can be trusted.
        let Ok(ip) = hop.parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    Some(client)
}

/// The client's network address for throttling: see [`client_address`].
pub struct ClientAddr(pub String);

impl FromRequestParts<Arc<AppState>> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let addr = client_address(peer, &parts.headers, &state.cfg.trusted_proxies)
            .map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
        Ok(ClientAddr(addr))
    }
}

/// Compares a submitted CSRF token with the expected one in constant time.
pub fn csrf_ok(expected: &str, submitted: &str) -> bool {
    let (a, b) = (expected.as_bytes(), submitted.as_bytes());
    !a.is_empty()
        && a.len() == b.len()
        && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse()
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn networks_parse_and_match() {
        let net = Cidr::parse("10.1.0.0/16").unwrap_or(Cidr::parse("0.0.0.0/32").unwrap_or(Cidr {
            addr: ip("0.0.0.0"),
            prefix: 32,
        }));
        assert!(net.contains(ip("10.1.2.3")));
        assert!(net.contains(ip("::ffff:10.1.2.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(Cidr::parse("192.0.2.7").is_ok_and(|c| c.contains(ip("192.0.2.7"))));
        assert!(Cidr::parse("2001:db8::/32").is_ok_and(|c| c.contains(ip("2001:db8::1"))));
        assert!(Cidr::parse("0.0.0.0/0").is_ok_and(|c| c.contains(ip("8.8.8.8"))));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("proxy.local").is_err());
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = [Cidr::parse("10.0.0.0/8").unwrap_or(Cidr {
            addr: ip("10.0.0.0"),
            prefix: 8,
        })];
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "1.1.1.1, 203.0.113.9, 10.0.0.5"
                .parse()
                .unwrap_or_else(|_| header::HeaderValue::from_static("")),
        );
        // From a trusted proxy: the right-most address that is not a proxy.
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), &h, &trusted),
            Some(ip("203.0.113.9"))
        );
        // From anyone else: the header is ignored.
        assert_eq!(
            client_address(Some(ip("198.51.100.1")), &h, &trusted),
            Some(ip("198.51.100.1"))
        );
        // No proxies configured: the header is ignored.
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), &h, &[]),
            Some(ip("10.0.0.2"))
        );
        // Garbage stops the walk at the last good hop.
        h.insert(
            "x-forwarded-for",
            "nonsense, 10.0.0.9"
                .parse()
                .unwrap_or_else(|_| header::HeaderValue::from_static("")),
        );
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), &h, &trusted),
            Some(ip("10.0.0.9"))
        );
        // No header: the peer.
        assert_eq!(
            client_address(Some(ip("10.0.0.2")), &HeaderMap::new(), &trusted),
            Some(ip("10.0.0.2"))
        );
    }
}
